"""p50/p95 latency of the non-generating endpoints, measured from outside the server.

The API runs in its own process (``uvicorn api.main:create_app --factory``: fake model, hash
embedder, SQLite WAL in a temp dir, the qingshui example pack ingested, one stored draft) and
Debian's ``hey`` (or ``wrk``) loads it with ``CONNECTIONS`` concurrent connections, so the
client never shares the server's interpreter. For each endpoint it prints p50/p95 (ms),
requests/s and the p95 ratio against a raw baseline measured in the same run: a bare FastAPI
app with one async route (``bench/raw_app.py``) on the same uvicorn — the floor of the HTTP
stack on this machine. Nothing is asserted (the machine is shared).

It runs once per worker count: 1 (``zhenxin serve``'s default) and 2 (``zhenxin serve
--workers 2``); the raw baseline gets the same number of workers. "get draft (304)" is the
same read sent with the draft's ETag in ``If-None-Match`` (a polling client): only the body is
not sent.

Every endpoint is the same request again and again, so after the first ask the answers come
from the server's read cache (``api/read_cache.py``); ``ZHENXIN_READ_CACHE_SECONDS=0 python -m
bench api`` measures the routes themselves (what every ask after a write costs).

With a closed loop of 50 connections the latency is the queue: p50 is about 50 / (requests
per second), so a p95 near 20 ms asks for thousands of requests per second. On a shared
machine the latencies move with everyone else's load; "cpu ms" (the server processes' CPU
time per request, from /proc, Linux only) moves much less and is the column to compare runs.

    python -m bench api      # ZHENXIN_BENCH_REQUESTS (2000), ZHENXIN_BENCH_WORKERS ("1,2"),
                             # ZHENXIN_READ_CACHE_SECONDS (the server's; 0: no read cache)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

CONNECTIONS = 50
REQUESTS = int(os.environ.get("ZHENXIN_BENCH_REQUESTS", "2000"))
WORKERS = [int(w) for w in os.environ.get("ZHENXIN_BENCH_WORKERS", "1,2").split(",") if w]
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ZHENXIN_DATA_DIR": str(data_dir),
        "ZHENXIN_LLM": "fake",
        "ZHENXIN_EMBEDDER": "hash",
        "ZHENXIN_ENVIRONMENT": "test",
        # the load generator is one address: do not let the wrong-key limiter see a flood
        "ZHENXIN_API_KEY_RATE_LIMIT": "1000000/minute",
        "PYTHONPATH": str(ROOT),
    }


def _prepare(data_dir: Path) -> str:
    """Ingest the example pack and make an editor key (in this process, before the server)."""
    from core.settings import Settings
    from drafting.customers import CustomerStore
    from drafting.packs import ingest_pack
    from knowledge.service import KnowledgeBase
    from storage import keys
    from storage.db import open_database

    settings = Settings(data_dir=data_dir, llm="fake", embedder="hash", environment="test")
    _, sessions = open_database(settings)
    ingest_pack(KnowledgeBase(settings), CustomerStore(sessions), EXAMPLES / "qingshui")
    with sessions.begin() as s:
        return keys.create_key(s, "qingshui", keys.Role.EDITOR).secret


def _tree_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a process and its descendants so far (Linux /proc)."""
    proc = Path("/proc")
    if not (proc / str(pid) / "stat").exists():
        return None
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    wanted, todo = set(), [pid]
    while todo:
        current = todo.pop()
        wanted.add(current)
        todo += [child for child, parent in parents.items() if parent == current]
    return sum(times.get(p, 0.0) for p in wanted)


def _measured(
    load: Any, pid: int, url: str, headers: dict[str, str], method: str, body: Any
) -> dict[str, float]:
    before = _tree_cpu(pid)
    result: dict[str, float] = load(url, headers, method, body)
    after = _tree_cpu(pid)
    served = REQUESTS if load is _hey else result["rps"] * 10
    if before is not None and after is not None and served:
        result["cpu"] = (after - before) * 1000 / served
    return result


def _hey(url: str, headers: dict[str, str], method: str, body: Any) -> dict[str, float]:
    cmd = ["hey", "-n", str(REQUESTS), "-c", str(CONNECTIONS), "-m", method, "-t", "60"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    if body is not None:
        cmd += ["-T", "application/json", "-d", json.dumps(body, ensure_ascii=False)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=600).stdout
    found = {int(p): float(s) * 1000 for p, s in re.findall(r"(\d+)% in ([\d.]+) secs", out)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    codes = dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", out))
    errors = sum(int(n) for code, n in codes.items() if int(code) >= 400)
    return {"p50": found[50], "p95": found[95], "rps": rps, "errors": errors}


def _wrk(url: str, headers: dict[str, str], method: str, body: Any) -> dict[str, float]:
    """wrk has no 95th percentile in its report: a small script prints it."""
    data = json.dumps(body, ensure_ascii=False) if body is not None else ""
    lua = (
        f'wrk.method = "{method}"\nwrk.body = {json.dumps(data)}\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        + "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
        + "done = function(summary, latency, requests)\n"
        '  io.write(string.format("P50 %f\\nP95 %f\\nRPS %f\\nERR %d\\n", '
        "latency:percentile(50) / 1000, latency:percentile(95) / 1000, "
        "summary.requests / (summary.duration / 1e6), summary.errors.status))\nend\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", "-d10s", "-s", script.name, url],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    values = dict(re.findall(r"^(P50|P95|RPS|ERR) ([\d.]+)$", out, flags=re.M))
    return {
        "p50": float(values["P50"]),
        "p95": float(values["P95"]),
        "rps": float(values["RPS"]),
        "errors": float(values["ERR"]),
    }


def _serve(
    app: str, port: int, env: dict[str, str], workers: int, *factory: str
) -> subprocess.Popen[bytes]:
    """What ``zhenxin serve --workers N`` runs: uvicorn with the app factory."""
    cmd = [sys.executable, "-m", "uvicorn", app, *factory, "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    server = subprocess.Popen([*cmd, "--no-access-log"], env=env, cwd=ROOT)
    for _ in range(300):  # bounded: 30 s for the server to start
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError(f"{app} did not start")


def main() -> None:
    tool = "hey" if shutil.which("hey") else "wrk" if shutil.which("wrk") else None
    if tool is None:
        print("bench api: needs `hey` or `wrk` (Debian: apt-get install hey wrk)")
        return
    load = _hey if tool == "hey" else _wrk
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        key = _prepare(data_dir)
        for workers in WORKERS:
            _run(load, tool, data_dir, key, workers)


def _run(load: Any, tool: str, data_dir: Path, key: str, workers: int) -> None:
    raw_port = _free_port()
    raw = _serve("bench.raw_app:app", raw_port, _env(data_dir), workers)
    try:
        floor = _measured(load, raw.pid, f"http://127.0.0.1:{raw_port}/healthz", {}, "GET", None)
    finally:
        raw.terminate()
        raw.wait(timeout=20)
    port = _free_port()
    server = _serve("api.main:create_app", port, _env(data_dir), workers, "--factory")
    base = f"http://127.0.0.1:{port}"
    try:
        headers = {"Authorization": f"Bearer {key}"}
        draft = httpx.post(
            f"{base}/v1/drafts",
            headers={**headers, "Prefer": "wait=60"},
            json={"kind": "care_message", "customer_id": "qs-002", "trigger": "day3"},
            timeout=90,
        ).json()
        etag = httpx.get(f"{base}/v1/drafts/{draft['id']}", headers=headers).headers.get("etag")
        text = "小林你好，修护精华用到第三天了，早晚各一次、两泵就够。脸颊还泛红吗？"
        endpoints: list[tuple[str, str, str, Any, dict[str, str]]] = [
            ("healthz", "GET", "/healthz", None, {}),
            ("list drafts", "GET", "/v1/drafts?limit=20", None, headers),
            ("get draft", "GET", f"/v1/drafts/{draft['id']}", None, headers),
            (
                "get draft (304)",
                "GET",
                f"/v1/drafts/{draft['id']}",
                None,
                {**headers, "If-None-Match": etag or ""},
            ),
            ("get customer", "GET", "/v1/customers/qs-002", None, headers),
            ("check (zh)", "POST", "/v1/check", {"text": text, "channel": "wechat"}, headers),
            (
                "search",
                "GET",
                "/v1/knowledge/search?" + urlencode({"q": "修护精华怎么用", "k": 4}),
                None,
                headers,
            ),
        ]
        print(
            f"{tool}: {CONNECTIONS} connections, {REQUESTS} requests per endpoint; "
            f"uvicorn --workers {workers} in its own process, SQLite WAL"
        )
        head = f"{'endpoint':<16} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8}"
        print(f"{head} {'p95/raw':>8} {'cpu ms':>7} errors", flush=True)
        rows = [("raw baseline", floor)]
        for name, method, path, body, sent in endpoints:
            if name.endswith("(304)") and not etag:
                continue  # a server without ETags
            rows.append((name, _measured(load, server.pid, base + path, sent, method, body)))
        for name, r in rows:
            cpu = f"{r['cpu']:7.2f}" if "cpu" in r else f"{'-':>7}"
            print(
                f"{name:<16} {r['p50']:8.1f} {r['p95']:8.1f} {r['rps']:8.0f} "
                f"{r['p95'] / floor['p95']:8.2f} {cpu} {int(r['errors'])}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
