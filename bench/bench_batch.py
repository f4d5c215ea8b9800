"""Batch throughput against an OpenAI-compatible test server with a fixed latency.

An in-process FastAPI app (uvicorn on a loopback port; ``BENCH_SERVER=process`` moves it to a
child process so its CPU does not share our GIL) answers ``/v1/chat/completions``
after exactly ``LATENCY`` seconds with a reply that fits the requested JSON schema. The real
pipeline talks to it through the ``openai:`` provider; a care batch of ``CUSTOMERS``
customers (all due their day-3 message) runs at several ``--concurrency`` values.

Printed per run: items/s, model calls, and the ratio of the ideal time
(``calls x latency / concurrency``: as if the model were the only thing that takes time) to
the measured wall time. Target: >= 0.9. Also the process CPU per item: with ``c`` threads
the ratio can only approach 1 while ``c x CPU per item`` stays well under the latency (one
GIL), and a loaded machine stretches that CPU time — the load average is printed too.

- ``runner`` runs: one model call per item, no pipeline work — the batch machinery itself
  (claim, provider client, draft + state stored in one transaction) at each concurrency
  (``BENCH_CONCURRENCY=1,4,8,16``), then once with 10 % of calls answered HTTP 429
  (``Retry-After``) to show rate limits slow the batch without failing items.
- ``pipeline`` runs: the full pipeline (retrieval, render, checks, revise); its CPU work per
  item is not model latency and shares the GIL, so its ratio is lower and says how much the
  pipeline itself costs next to a 200 ms model.

Knobs: ``BENCH_CONCURRENCY`` (default ``1,4,8,16``), ``BENCH_CUSTOMERS`` (default 56),
``BENCH_SERVER=process``.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import multiprocessing as mp
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from llm.fake import placeholder_reply

LATENCY = 0.2
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "56"))
PIPELINE_CONCURRENCY = (4, 8)
CONCURRENCY = tuple(int(c) for c in os.environ.get("BENCH_CONCURRENCY", "1,4,8,16").split(","))
DATE = dt.date(2027, 3, 10)


Counter = Any  # a multiprocessing.Value("i") shared with the server


def _app(latency: float, calls: Counter, limited: Counter, limit_every: Counter) -> FastAPI:
    """The fake OpenAI chat endpoint: sleeps ``latency``, answers what the schema asks."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> Any:
        body = await request.json()
        with calls.get_lock():
            calls.value += 1
            n = calls.value
        if limit_every.value and n % limit_every.value == 0:
            with limited.get_lock():
                limited.value += 1
            return JSONResponse(
                {"error": {"message": "rate limit", "type": "rate_limit"}},
                status_code=429,
                headers={"retry-after": "0.2"},
            )
        await asyncio.sleep(latency)
        fmt = body.get("response_format") or {}
        schema = (fmt.get("json_schema") or {}).get("schema") or fmt.get("schema")
        text = placeholder_reply(body["messages"], schema)
        return {
            "id": f"chatcmpl-{n}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "bench"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
        }

    return app


def _serve(port: int, latency: float, calls: Counter, limited: Counter, every: Counter) -> None:
    app = _app(latency, calls, limited, every)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


class ModelServer:
    """The fake server on a loopback port: in a thread of this process (default, as the
    issue asks) or, with ``separate_process=True``, in a child process so that its own CPU
    work does not compete with the batch for this process's GIL."""

    def __init__(self, latency: float, *, separate_process: bool = False) -> None:
        ctx = mp.get_context("spawn")
        self.calls, self.limited, self.every = (
            ctx.Value("i", 0),
            ctx.Value("i", 0),
            ctx.Value("i", 0),
        )
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        args = (self.port, latency, self.calls, self.limited, self.every)
        self.process = (
            ctx.Process(target=_serve, args=args, daemon=True) if separate_process else None
        )
        if self.process is None:
            config = uvicorn.Config(
                _app(latency, self.calls, self.limited, self.every),
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
            )
            self.server: uvicorn.Server | None = uvicorn.Server(config)
            self.thread = threading.Thread(target=self.server.run, daemon=True)
        else:
            self.server = None

    def __enter__(self) -> ModelServer:
        if self.process is not None:
            self.process.start()
        else:
            self.thread.start()
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the test server did not start")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.join(timeout=5)
        elif self.server is not None:
            self.server.should_exit = True
            self.thread.join(timeout=5)


def _bench_pack(root: Path) -> Path:
    """The qingshui example plus CUSTOMERS synthetic customers, all due their day-3 care."""
    from tests.conftest import EXAMPLES

    pack = root / "pack"
    shutil.copytree(EXAMPLES / "qingshui", pack)
    bought = (DATE - dt.timedelta(days=3)).isoformat()
    with (pack / "customers.csv").open("a", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        for i in range(CUSTOMERS):
            writer.writerow(
                [
                    f"b-{i:04d}",
                    f"客户{i}",
                    "first_contact",
                    f"repair-serum@{bought}",
                    "skin=敏感肌",
                    "",
                    "wechat",
                    "false",
                    "",
                ]
            )
    return pack


class ThinDrafter:
    """One model call per item and no pipeline work: isolates the runner + storage path."""

    def __init__(self, settings: Any) -> None:
        from llm import make_llm

        self.llm = make_llm(settings)

    def draft(self, request: Any, *, customer: Any = None, as_of: dt.date | None = None) -> Any:
        from evals.types import Verdict
        from generator.drafts import Draft, Plan

        llm = self.llm
        who = customer.id if customer else (request.customer_id or "")
        reply = llm.complete([{"role": "user", "content": f"{request.trigger} for {who}"}])
        trigger, channel = str(request.trigger or ""), str(request.channel or "wechat")
        return Draft(
            kind=request.kind,
            brand=request.brand,
            customer=who,
            stage="first_contact",
            trigger=trigger,
            channel=channel,
            text=reply.text,
            verdict=Verdict.PASS,
            score=1.0,
            provider=llm.provider,
            model=llm.model,
            template="bench",
            template_hash="0",
            plan=Plan(
                stage="first_contact",
                stage_name="初识",
                trigger=trigger,
                channel=channel,
                goal="bench",
            ),
        )


def _run(
    server: ModelServer, root: Path, n: int, mode: str, concurrency: int, limit_every: int = 0
) -> None:
    from batch.jobs import BatchKind, BatchSpec
    from batch.service import BatchService
    from core.settings import Settings
    from drafting.packs import ingest_pack
    from drafting.service import DraftingService
    from generator.pipeline import build_pipeline
    from knowledge.service import KnowledgeBase
    from storage.db import open_database

    settings = Settings(
        data_dir=root / f"data-{n}",
        llm="openai:bench-model",
        llm_base_url=f"http://127.0.0.1:{server.port}/v1",
        llm_api_key="bench",  # type: ignore[arg-type]
        llm_max_retries=5,
        embedder="hash",
        environment="test",
    )
    kb = KnowledgeBase(settings)
    _, sessions = open_database(settings)
    drafter = ThinDrafter(settings) if mode == "runner" else build_pipeline(settings, knowledge=kb)
    drafting = DraftingService(settings, sessions=sessions, knowledge=kb, drafter=drafter)
    ingest_pack(kb, drafting.customers, _bench_pack(root / f"p{n}"))
    service = BatchService(drafting)
    record = service.create(BatchSpec(kind=BatchKind.CARE, brand="qingshui", date=DATE))
    server.every.value, server.limited.value = limit_every, 0
    calls_before = server.calls.value
    started, cpu_started = time.perf_counter(), time.process_time()
    summary = service.run(record.id, concurrency=concurrency)
    wall = time.perf_counter() - started
    cpu_ms = (time.process_time() - cpu_started) * 1000 / max(1, summary.counts["done"])
    limited = server.limited.value
    calls = server.calls.value - calls_before - limited
    ideal = calls * LATENCY / concurrency
    tag = f", 1/{limit_every} calls answered 429" if limit_every else ""
    print(
        f"{mode:<8} concurrency {concurrency:>2}{tag}: {summary.counts['done']} done, "
        f"{summary.counts['failed']} failed, {calls} calls, {wall:.2f}s, "
        f"{summary.counts['done'] / wall:.1f} items/s, CPU {cpu_ms:.0f} ms/item, "
        f"ratio to ideal {ideal / wall:.2f}"
        + (f" ({limited} rate-limited answers retried)" if limit_every else ""),
        flush=True,
    )
    for failure in summary.failures[:1]:
        print(f"  first failure: {failure['key']}: {failure['error'][:300]}")


def main() -> None:
    os.environ["ZHENXIN_ALLOW_MODEL_REQUESTS"] = "1"  # a loopback test server, not a model
    root = Path(tempfile.mkdtemp(prefix="zhenxin-bench-batch-"))
    try:
        separate = os.environ.get("BENCH_SERVER", "thread") == "process"
        with ModelServer(LATENCY, separate_process=separate) as server:
            where = "child process" if separate else "in-process thread"
            print(
                f"server ({where}): 127.0.0.1:{server.port}, latency {LATENCY * 1000:.0f} ms, "
                f"{CUSTOMERS} synthetic + the example's due customers; "
                f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
            )
            n = 0
            # runner: the batch machinery (claim, provider call, store) at each concurrency
            for concurrency in CONCURRENCY:
                _run(server, root, n := n + 1, "runner", concurrency)
            _run(server, root, n := n + 1, "runner", CONCURRENCY[-1], limit_every=10)
            # pipeline: the same batch through the whole pipeline (retrieval, checks, revise)
            for concurrency in PIPELINE_CONCURRENCY:
                _run(server, root, n := n + 1, "pipeline", concurrency)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
