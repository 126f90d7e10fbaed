"""The hooks service's cost per tool call (before + after), next to a bare ASGI echo served the same way, same run.

Both servers run on uvicorn in child processes on loopback (one worker each); this process is the client (one
keep-alive ``httpx`` connection each; every tool call goes to the echo and then to the service, so drift on a
shared machine hits both alike). Per tool call the client sends the same two
bodies to each: the ``before`` body with a 1 KB argument and the ``after`` body with a 10 KB result. The echo
endpoint parses the JSON and sends it back (the floor any JSON-over-HTTP hook pays); the service runs the real
guardrail chain with the Baker Street policy and the real tamper-evident audit sink (file sink, fsync'd spool).
Reported: p50 / p99 per call for each, and the hooks' added p50 as a multiple of the echo p50 (target: <= 2).
Bounded: ``--calls`` (default 300) after ``--warmup`` (default 30); it stops by itself.

Run: ``.venv/bin/python bench/bench_hooks_service.py [--calls N] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "bench-app-token-0123456789"
SENTENCES = (
    "The quarterly report lists revenue by region and product line.",
    "Our team met on Tuesday to review the roadmap for the next release.",
    "The weather in Lisbon was mild, with light wind from the north-west.",
    "She moved the meeting to Thursday afternoon because of the holiday.",
    "The library keeps older issues of the journal in the basement archive.",
    "Delivery of the new chairs is expected at the end of the month.",
)


def _text(size: int) -> str:
    out: list[str] = []
    total = 0
    i = 0
    while total < size:
        sentence = SENTENCES[i % len(SENTENCES)]
        out.append(sentence)
        total += len(sentence) + 1
        i += 1
    return " ".join(out)[:size]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------------------------- servers (children)


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Bare ASGI: read the JSON body, send it back."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    payload = json.dumps(json.loads(body or b"{}")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _serve(kind: str, port: int, state: Path) -> None:
    import uvicorn

    if kind == "echo":
        uvicorn.run(echo_app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        return
    from hooks.audit.keys import keygen
    from hooks.service.config import parse_service_config
    from hooks.service.serve import app_from_config

    keygen(state / "keys")
    data = {
        "service": {"auditKeys": str(state / "keys"), "auth": {"applicationTokenEnv": "BENCH_TOKEN"}},
        "audit": {"spoolDir": str(state / "spool"), "sinks": [{"type": "file", "path": str(state / "trail.jsonl")}]},
        "governance": {"alerts": {"log": False}},
        "guardrails": str(ROOT / "docs" / "guardrails.bakerst.yaml"),
    }
    env = {"BENCH_TOKEN": TOKEN}
    app = app_from_config(parse_service_config(data, base=state, env=env), env)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")


# ----------------------------------------------------------------------------------------------------- client


def _start(kind: str, state: Path) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--port", str(port), "--state", str(state)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} server exited with {proc.returncode}")
        try:
            httpx.get(url + "/healthz", timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start")


def _measure(targets: dict[str, tuple[str, tuple[str, str]]], bodies: tuple[dict[str, Any], dict[str, Any]],
             calls: int, warmup: int) -> dict[str, list[float]]:  # fmt: skip
    """Per tool call, one pair of requests to each target in turn, so drift on this machine hits all alike."""
    import httpx

    times: dict[str, list[float]] = {name: [] for name in targets}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    clients = {name: httpx.Client(base_url=url, headers=headers, timeout=30) for name, (url, _) in targets.items()}
    try:
        for i in range(warmup + calls):
            for name, (_, paths) in targets.items():
                client = clients[name]
                start = time.perf_counter()
                first = client.post(paths[0], json=bodies[0])
                second = client.post(paths[1], json=bodies[1])
                elapsed = time.perf_counter() - start
                if first.status_code != 200 or second.status_code != 200:
                    raise RuntimeError(f"{name}: {first.status_code} {first.text[:200]} / {second.status_code}")
                if i >= warmup:
                    times[name].append(elapsed)
    finally:
        for client in clients.values():
            client.close()
    return times


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", choices=("echo", "hooks"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.port, args.state)
        return 0

    context = {"conversationId": "bench-conv", "userId": "bench-user", "toolName": "memory_store",
               "toolInput": {"content": _text(1024), "category": "work"}}  # fmt: skip
    before = context
    after = {"context": context, "result": _text(10 * 1024)}
    with tempfile.TemporaryDirectory(prefix="bench-hooks-") as tmp:
        results: dict[str, list[float]] = {}
        procs: list[subprocess.Popen[bytes]] = []
        try:
            echo, echo_url = _start("echo", Path(tmp))
            procs.append(echo)
            state = Path(tmp) / "hooks"
            state.mkdir()
            hooks, hooks_url = _start("hooks", state)
            procs.append(hooks)
            results = _measure(
                {"echo": (echo_url, ("/before", "/after")),
                 "hooks": (hooks_url, ("/v1/guardrail/before", "/v1/guardrail/after"))},
                (before, after), args.calls, args.warmup,
            )  # fmt: skip
        finally:
            for proc in procs:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    summary: dict[str, Any] = {"calls": len(results["hooks"]), "cpus": os.cpu_count()}
    for name, values in results.items():
        summary[name] = {
            "p50_ms": round(statistics.median(values) * 1000, 3),
            "p99_ms": round(_pct(values, 0.99) * 1000, 3),
            "mean_ms": round(statistics.fmean(values) * 1000, 3),
        }
    added = summary["hooks"]["p50_ms"] - summary["echo"]["p50_ms"]
    summary["added_p50_ms"] = round(added, 3)
    summary["added_over_echo_p50"] = round(added / summary["echo"]["p50_ms"], 2)
    summary["target_met"] = summary["added_over_echo_p50"] <= 2.0
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"per tool call (before + after, 1 KB argument, 10 KB result), {summary['calls']} calls each:")
        for name in ("echo", "hooks"):
            s = summary[name]
            print(f"  {name:<6} p50 {s['p50_ms']:8.3f} ms   p99 {s['p99_ms']:8.3f} ms   mean {s['mean_ms']:8.3f} ms")
        print(f"  hooks add {summary['added_p50_ms']:.3f} ms at p50 = {summary['added_over_echo_p50']:.2f}x the echo "
              f"p50 (target <= 2x: {'met' if summary['target_met'] else 'NOT met'})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
