"""p50/p95 latency of the non-generating endpoints under concurrent load.

An in-process uvicorn server on a free loopback port (fake model, hash embedder, SQLite in a
temp dir, two example brands ingested, one stored draft), hit by ``CLIENTS`` httpx async
clients for ``REQUESTS`` requests per endpoint. Prints per-endpoint p50/p95 (ms), requests/s,
and the p95/p50 ratio; nothing is asserted (the machine is shared).
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

CLIENTS = 16
REQUESTS = 300  # per endpoint
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _setup(data_dir: Path) -> tuple[Any, dict[str, str], str]:
    from api.deps import get_knowledge
    from api.main import create_app
    from core.settings import Settings
    from drafting.customers import CustomerStore
    from drafting.packs import ingest_pack
    from knowledge.service import KnowledgeBase
    from storage import keys

    settings = Settings(data_dir=data_dir, llm="fake", embedder="hash", environment="test")
    kb = KnowledgeBase(settings)
    app = create_app(settings)
    ingest_pack(kb, CustomerStore(app.state.sessions), EXAMPLES / "qingshui")
    app.dependency_overrides[get_knowledge] = lambda: kb
    with app.state.sessions.begin() as s:
        key = keys.create_key(s, "qingshui", keys.Role.EDITOR).secret
    headers = {"Authorization": f"Bearer {key}"}
    return app, headers, "qs-002"


async def _load(
    base: str, headers: dict[str, str], method: str, path: str, body: Any = None
) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(REQUESTS):
        queue.put_nowait(i)

    async def client() -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as c:
            while True:
                try:
                    queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                start = time.perf_counter()
                r = await c.request(method, path, json=body)
                latencies.append((time.perf_counter() - start) * 1000)
                if r.status_code >= 400:
                    errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return latencies, time.perf_counter() - start, errors


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app, headers, customer = _setup(Path(tmp))
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        draft = httpx.post(
            f"{base}/v1/drafts",
            headers=headers,
            timeout=60,
            json={"kind": "care_message", "customer_id": customer, "trigger": "day3"},
        ).json()
        text = "小林你好，修护精华用到第三天了，早晚各一次、两泵就够。脸颊还泛红吗？"
        endpoints: list[tuple[str, str, str, Any]] = [
            ("healthz", "GET", "/healthz", None),
            ("list drafts", "GET", "/v1/drafts?limit=20", None),
            ("get draft", "GET", f"/v1/drafts/{draft['id']}", None),
            ("get customer", "GET", f"/v1/customers/{customer}", None),
            ("check (zh)", "POST", "/v1/check", {"text": text, "channel": "wechat"}),
            ("search", "GET", "/v1/knowledge/search?q=修护精华怎么用&k=4", None),
        ]
        print(
            f"{CLIENTS} concurrent clients, {REQUESTS} requests per endpoint, "
            f"in-process uvicorn, SQLite WAL"
        )
        print(f"{'endpoint':<14} {'p50 ms':>8} {'p95 ms':>8} {'p95/p50':>8} {'req/s':>8} errors")
        try:
            for name, method, path, body in endpoints:
                lat, seconds, errors = asyncio.run(_load(base, headers, method, path, body))
                p50, p95 = _pct(lat, 50), _pct(lat, 95)
                print(
                    f"{name:<14} {p50:8.1f} {p95:8.1f} {p95 / p50:8.2f} "
                    f"{len(lat) / seconds:8.1f} {errors}",
                    flush=True,
                )
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            app.state.engine.dispose()


if __name__ == "__main__":
    main()
