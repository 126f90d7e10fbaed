"""The service's objects, built from its config: the real audit sink, guardrail chain, governance and approval store.

This is the I/O rim: it opens the key material and the spool, starts the sink's threads and connects to Redis.
Build it inside the running event loop (the ASGI lifespan) so Redis clients bind to that loop; close it at shutdown
(final audit checkpoint, connections closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hooks.audit.config import build_shippers
from hooks.audit.keys import keygen, writer_dir
from hooks.audit.sink import TamperEvidentAuditSink
from hooks.governance.factory import Governance, build_governance
from hooks.guardrails.chain import GuardrailChain
from hooks.service.approvals import ApprovalStoreAPI, MemoryApprovalStore
from hooks.service.config import Credentials, HooksServiceConfig, ServiceConfigError
from hooks.service.metrics import ServiceMetrics
from hooks.service.reservations import MemoryReservations, RedisReservations, ReservationStore
from hooks.types import utc_now

log = logging.getLogger("hooks.service")


@dataclass
class Runtime:
    config: HooksServiceConfig
    credentials: Credentials
    sink: TamperEvidentAuditSink
    chain: GuardrailChain
    governance: Governance
    approvals: ApprovalStoreAPI
    metrics: ServiceMetrics
    redis_url: str | None
    clock: Callable[[], datetime] = utc_now
    reservations: ReservationStore = field(default_factory=MemoryReservations)
    _redis_probe: Any = None

    async def spool_writable(self) -> bool:
        def probe() -> bool:
            directory = Path(self.config.audit.spool_dir)
            try:
                with tempfile.NamedTemporaryFile(dir=directory, prefix=".ready-", delete=True) as fh:
                    fh.write(b"1")
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError:
                return False
            return True

        return await asyncio.to_thread(probe)

    async def redis_up(self) -> bool | None:
        """None when no Redis is configured."""
        if self.redis_url is None:
            return None
        if self._redis_probe is None:
            from redis.asyncio import Redis

            self._redis_probe = Redis.from_url(self.redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        try:
            return bool(await asyncio.wait_for(self._redis_probe.ping(), 2.0))
        except Exception:
            return False

    async def aclose(self) -> None:
        with contextlib.suppress(Exception):
            await self.approvals.aclose()
        with contextlib.suppress(Exception):
            await self.reservations.aclose()
        backend = getattr(self.governance.limiter, "_backend", None)
        if backend is not None and hasattr(backend, "aclose"):
            with contextlib.suppress(Exception):
                await backend.aclose()
        if self._redis_probe is not None:
            with contextlib.suppress(Exception):
                await self._redis_probe.aclose()
        await asyncio.to_thread(self.sink.close, 10.0)


def prepare_audit_keys(config: HooksServiceConfig) -> Path:
    """The audit key directory; created when empty and ``createAuditKeys`` allows it, else an error naming it."""
    keys = Path(config.service.audit_keys)
    if not (keys / "writer").is_dir() and not (keys / "state.json").is_file():
        if not config.service.create_audit_keys:
            raise ServiceConfigError(
                f"service.auditKeys: {keys} holds no audit keys; run `bakerst-hardened audit keygen --out {keys}` "
                "(or set service.createAuditKeys: true for a development instance)"
            )
        keygen(keys)
        log.warning("created audit keys in %s: move %s off this host and keep it for verification", keys,
                    keys / "verifier")  # fmt: skip
    writer_dir(keys)
    return keys


def build_runtime(config: HooksServiceConfig, credentials: Credentials) -> Runtime:
    """Every object the service needs (call from inside the event loop that will serve)."""
    keys = prepare_audit_keys(config)
    audit_cfg = config.audit
    spool = Path(audit_cfg.spool_dir)
    spool.mkdir(parents=True, exist_ok=True)
    for sink_cfg in audit_cfg.sinks:
        path = getattr(sink_cfg, "path", None)
        if isinstance(path, str):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    sink = TamperEvidentAuditSink(
        keys,
        spool,
        build_shippers(audit_cfg),
        flush_interval=audit_cfg.flush_interval_seconds,
        flush_events=audit_cfg.flush_events,
        heartbeat=audit_cfg.checkpoint_interval_seconds,
    )
    try:
        governance = build_governance(config.governance, audit=sink)
        settings = config.service.approvals
        redis_url = settings.redis_url or config.governance.redis_url
        use_redis = settings.backend == "redis" or (settings.backend == "auto" and redis_url is not None)
        approvals: ApprovalStoreAPI
        if use_redis:
            if redis_url is None:
                raise ServiceConfigError("service.approvals.backend is redis but no redisUrl is configured")
            from hooks.service.approvals_redis import RedisApprovalStore

            approvals = RedisApprovalStore.from_url(
                redis_url,
                prefix=f"{config.governance.key_prefix}:approvals",
                retention_seconds=settings.retention_seconds,
                poll_interval=settings.poll_interval_ms / 1000,
            )
        else:
            approvals = MemoryApprovalStore(retention_seconds=settings.retention_seconds)
        chain = GuardrailChain(config.guardrails, audit=sink, approval_backend=approvals)
    except BaseException:
        sink.close(5.0)
        raise
    reservations: ReservationStore
    if config.governance.redis_url:
        reservations = RedisReservations(
            config.governance.redis_url,
            prefix=config.governance.key_prefix,
            ttl_seconds=config.governance.budgets.reservation_ttl_seconds,
        )
    else:
        reservations = MemoryReservations(config.service.reservations_kept)
    return Runtime(
        config=config,
        reservations=reservations,
        credentials=credentials,
        sink=sink,
        chain=chain,
        governance=governance,
        approvals=approvals,
        metrics=ServiceMetrics(),
        redis_url=config.governance.redis_url or (redis_url if use_redis else None),
    )
