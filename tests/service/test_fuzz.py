"""Schemathesis, from the checked-in OpenAPI document, against the running service: no 5xx (other than a
documented 503), every error in the documented shape, every 2xx response valid against its schema.

Bounded: a fixed number of examples per operation and mode, derandomized (the same cases every run).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.core.result import Ok

from hooks.service.models import ErrorBody
from tests.service.conftest import ALICE_TOKEN, APP_TOKEN, Service

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "hooks-openapi.json"
EXAMPLES = int(os.environ.get("HOOKS_FUZZ_EXAMPLES", "15"))
DOCUMENTED_503 = {"/readyz", "/v1/audit/events", "/v1/llm/admit"}


def _check(service: Service, case: Any, path: str, positive: bool) -> None:
    token = ALICE_TOKEN if path.endswith(("/approve", "/deny")) else APP_TOKEN
    response = case.call(base_url=service.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    status = response.status_code
    assert status < 500 or (status == 503 and path in DOCUMENTED_503), f"{case.method} {path}: {status} {response.text}"
    if path in ("/metrics", "/readyz", "/healthz"):
        return
    if status >= 400:
        ErrorBody.model_validate(response.json())
    elif positive:
        case.operation.validate_response(response)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_fuzz_every_operation(service: Service, mode: str) -> None:
    schema = schemathesis.openapi.from_dict(json.loads(OPENAPI.read_text(encoding="utf-8")))
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"invalid operation in the OpenAPI document: {result}"
        operations.append(result.ok())
    assert len(operations) >= 12
    generation = schemathesis.GenerationMode.POSITIVE if mode == "positive" else schemathesis.GenerationMode.NEGATIVE
    for operation in operations:
        _fuzz(service, operation, generation, positive=mode == "positive")


def _fuzz(service: Service, operation: Any, generation: Any, *, positive: bool) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy(generation_mode=generation))
        _check(service, case, operation.path, positive)

    try:
        run()
    except Unsatisfiable:  # nothing in this operation can be made invalid (e.g. GET /healthz takes no input)
        assert not positive, f"{operation.label}: no valid input could be generated"
