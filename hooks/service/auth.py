"""Bearer-token authentication: which identity a request carries, decided by a pure function.

Tokens are compared in constant time (``hmac.compare_digest``) against every configured token, so the time taken
does not depend on which one (if any) matched. A group token needs the ``X-Approver`` header naming one of the
group's members; the identity is then ``<group>/<member>`` and the self-approval check compares the member name.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal

from hooks.service.config import Credentials

Role = Literal["application", "approver"]
APPROVER_HEADER = "x-approver"


@dataclass(frozen=True)
class Principal:
    role: Role
    identity: str
    """``application``, ``<approver>`` or ``<group>/<member>``."""
    person: str = ""
    """For approvers: the person's own name (the member name for a group), compared with the requester."""


@dataclass(frozen=True)
class Rejection:
    reason: str
    """``missing_token``, ``invalid_token``, ``missing_approver``, ``unknown_member``."""


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def authenticate(authorization: str | None, approver_header: str | None, creds: Credentials) -> Principal | Rejection:
    """The principal a request's ``Authorization`` header (and ``X-Approver``) names, or why it is refused."""
    if not authorization or not authorization.startswith("Bearer ") or not authorization[7:].strip():
        return Rejection("missing_token")
    token = authorization[7:].strip()
    found: Principal | Rejection = Rejection("invalid_token")
    if _same(token, creds.application):
        found = Principal("application", "application")
    for name, expected in creds.approvers.items():
        if _same(token, expected):
            found = Principal("approver", name, name)
    for group, (expected, members) in creds.groups.items():
        if _same(token, expected):
            member = (approver_header or "").strip()
            if not member:
                found = Rejection("missing_approver")
            elif member not in members:
                found = Rejection("unknown_member")
            else:
                found = Principal("approver", f"{group}/{member}", member)
    return found
