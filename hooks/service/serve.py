"""Entry points: build the app from a config file, serve it with uvicorn, or print its OpenAPI document."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from fastapi import FastAPI

from hooks.service.app import create_app, openapi_document
from hooks.service.config import HooksServiceConfig, load_service_config, resolve_tokens
from hooks.service.runtime import Runtime, build_runtime, prepare_audit_keys

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787


def app_from_config(config: HooksServiceConfig, env: Mapping[str, str] | None = None) -> FastAPI:
    """The app for ``config``; the tokens are read now (missing ones raise ``ServiceConfigError`` naming them)."""
    credentials = resolve_tokens(config.service.auth, os.environ if env is None else env)
    prepare_audit_keys(config)  # a missing key directory stops the start here, with its name, not in the lifespan

    def build() -> Runtime:
        return build_runtime(config, credentials)

    return create_app(build, max_body_bytes=config.service.max_body_bytes)


def app_from_file(path: Path, env: Mapping[str, str] | None = None) -> FastAPI:
    return app_from_config(load_service_config(path, env), env)


def serve(path: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve until interrupted (SIGINT/SIGTERM: graceful shutdown, final audit checkpoint).

    Held calls still waiting for a person when the grace period ends are cut off; the brain's retry of the same
    call waits on the same request (Redis store), so nobody has to decide twice.
    """
    import uvicorn

    config = load_service_config(path)
    app = app_from_config(config)
    grace = config.service.shutdown_grace_seconds
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=grace,
    )


def offline_openapi() -> str:
    """The OpenAPI document without a config (the routes do not depend on it)."""

    def build() -> Runtime:  # pragma: no cover - never called: no lifespan runs for app.openapi()
        raise RuntimeError("offline app")

    return openapi_document(create_app(build))
