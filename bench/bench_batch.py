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

Scaling out (issue 15, ``BENCH_BATCH=scale``), at a model latency of ``BENCH_LATENCY``
seconds (default 2 s: a hosted model writes a care message of ~150 tokens in 1.5–4 s; the
embedded 1.5B model needs ~10 s; 200 ms is no real model's answer time, it only magnifies
our own overhead), the server always in a child process:

- ``process`` runs: the in-process runner (one model call per item, as in ``runner``) at each
  ``BENCH_CONCURRENCY``, with ``BENCH_WAVES`` (default 8) x concurrency items, so every run
  has the same ideal time and no half-empty last wave;
- ``dramatiq`` run: ``dramatiq bench.batch_worker --processes BENCH_PROCESSES (4) --threads
  BENCH_THREADS (16)`` on Redis, PostgreSQL (a schema of its own in
  ``ZHENXIN_BENCH_POSTGRES_URL``, dropped afterwards) and a care batch of ``BENCH_ITEMS``
  (default 10,000) items. Ideal: calls x latency / (processes x threads). Printed beside
  the ratio: items/s, CPU per item of the workers, of the following runner and of the
  PostgreSQL server, and the proof that no item was drafted twice (model calls, draft rows
  per customer, claims per item).

Knobs: ``BENCH_BATCH`` (``runner,pipeline`` by default; ``scale`` = ``process,dramatiq``),
``BENCH_CONCURRENCY`` (default ``1,4,8,16``), ``BENCH_CUSTOMERS`` (default 56),
``BENCH_SERVER=process``, ``BENCH_LATENCY``, ``BENCH_WAVES``, ``BENCH_ITEMS``,
``BENCH_PROCESSES``, ``BENCH_THREADS``.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
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
PARTS = os.environ.get("BENCH_BATCH", "runner,pipeline").replace("scale", "process,dramatiq")
SCALE_LATENCY = float(os.environ.get("BENCH_LATENCY", "2.0"))
WAVES = int(os.environ.get("BENCH_WAVES", "8"))
ITEMS = int(os.environ.get("BENCH_ITEMS", "10000"))
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", "16"))
POSTGRES_URL = os.environ.get(
    "ZHENXIN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


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


def _bench_pack(root: Path, customers: int = CUSTOMERS, *, only_synthetic: bool = False) -> Path:
    """The qingshui example plus ``customers`` synthetic customers, all due their day-3 care
    (``only_synthetic``: the example's own customers opted out, so the batch has exactly
    ``customers`` pending items)."""
    from tests.conftest import EXAMPLES

    pack = root / "pack"
    shutil.copytree(EXAMPLES / "qingshui", pack)
    bought = (DATE - dt.timedelta(days=3)).isoformat()
    if only_synthetic:  # the example's customers opt out: skipped when planned
        path = pack / "customers.csv"
        rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
        column = rows[0].index("opted_out")
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(
                [rows[0], *([*r[:column], "true", *r[column + 1 :]] for r in rows[1:])]
            )
    with (pack / "customers.csv").open("a", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        for i in range(customers):
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

    def draft(
        self,
        request: Any,
        *,
        customer: Any = None,
        as_of: dt.date | None = None,
        exemplars: Any = (),
    ) -> Any:
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


def bench_settings(data_dir: Path, port: int, database_url: str = "") -> Any:
    """Settings of a bench run: the ``openai:`` provider against the test server."""
    from core.settings import Settings

    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        llm="openai:bench-model",
        llm_base_url=f"http://127.0.0.1:{port}/v1",
        llm_api_key="bench",  # type: ignore[arg-type]
        llm_max_retries=5,
        embedder="hash",
        chroma_url="",
        environment="test",
    )


def _run(
    server: ModelServer,
    root: Path,
    n: int,
    mode: str,
    concurrency: int,
    limit_every: int = 0,
    *,
    latency: float = LATENCY,
    customers: int = CUSTOMERS,
    only_synthetic: bool = False,
) -> None:
    from batch.jobs import BatchKind, BatchSpec
    from batch.service import BatchService
    from drafting.packs import ingest_pack
    from drafting.service import DraftingService
    from generator.pipeline import build_pipeline
    from knowledge.service import KnowledgeBase
    from storage.db import open_database

    settings = bench_settings(root / f"data-{n}", server.port)
    kb = KnowledgeBase(settings)
    _, sessions = open_database(settings)
    drafter = ThinDrafter(settings) if mode == "runner" else build_pipeline(settings, knowledge=kb)
    drafting = DraftingService(settings, sessions=sessions, knowledge=kb, drafter=drafter)
    pack = _bench_pack(root / f"p{n}", customers, only_synthetic=only_synthetic)
    ingest_pack(kb, drafting.customers, pack)
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
    ideal = calls * latency / concurrency
    tag = f", 1/{limit_every} calls answered 429" if limit_every else ""
    print(
        f"{mode:<8} concurrency {concurrency:>2}{tag}: {summary.counts['done']} done, "
        f"{summary.counts['failed']} failed, {calls} calls, {wall:.2f}s, "
        f"{summary.counts['done'] / wall:.1f} items/s, CPU {cpu_ms:.0f} ms/item, "
        f"ratio to ideal {ideal / wall:.2f}, load {os.getloadavg()[0]:.1f}"
        + (f" ({limited} rate-limited answers retried)" if limit_every else ""),
        flush=True,
    )
    for failure in summary.failures[:1]:
        print(f"  first failure: {failure['key']}: {failure['error'][:300]}")


def _inprocess_scale(root: Path) -> None:
    """The in-process runner against the server in its own process, at a real latency."""
    with ModelServer(SCALE_LATENCY, separate_process=True) as server:
        print(
            f"process: server in a child process, latency {SCALE_LATENCY:.1f}s, "
            f"{WAVES} x concurrency items per run; load average {_load()}",
            flush=True,
        )
        for n, concurrency in enumerate(CONCURRENCY, start=100):
            _run(
                server,
                root,
                n,
                "runner",
                concurrency,
                latency=SCALE_LATENCY,
                customers=WAVES * concurrency,
                only_synthetic=True,
            )


def _load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _cpu(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each of these processes so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return out


def _cpu_since(before: dict[int, float], pids: list[int]) -> float:
    """CPU seconds these processes used since ``before`` (new processes: all of theirs)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in _cpu(pids).items())


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _dramatiq_scale(root: Path) -> None:
    """BENCH_ITEMS items on BENCH_PROCESSES dramatiq worker processes x BENCH_THREADS."""
    import redis
    from sqlalchemy import create_engine, func, select, text

    from batch import queue
    from batch.jobs import BatchKind, BatchSpec
    from batch.service import BatchService
    from drafting.service import DraftingService
    from knowledge.fake import FakeKnowledge
    from knowledge.loader import load_pack
    from storage.db import forget_databases, open_database
    from storage.models import BatchItemRow, DraftRequestRow, DraftRow

    redis_url = os.environ.get("ZHENXIN_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
        admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with admin.connect() as c:
            c.execute(text("SELECT 1"))
    except Exception as exc:
        print(f"dramatiq: skipped, Redis or PostgreSQL unreachable ({type(exc).__name__})")
        return
    schema, namespace = f"zx_bench_{uuid.uuid4().hex[:10]}", f"zhenxin-bench-{uuid.uuid4().hex}"
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    broker = queue.make_broker(redis_url, namespace=namespace)
    workers: subprocess.Popen[bytes] | None = None
    try:
        with ModelServer(SCALE_LATENCY, separate_process=True) as server:
            settings = bench_settings(root / "dramatiq", server.port, url)
            _, sessions = open_database(settings)
            pack_dir = _bench_pack(root / "dramatiq-pack", ITEMS, only_synthetic=True)
            pack = load_pack(pack_dir)
            drafting = DraftingService(
                settings,
                sessions=sessions,
                knowledge=FakeKnowledge([pack]),
                drafter=ThinDrafter(settings),
            )
            drafting.customers.import_many(
                "qingshui", pack.customers, brand=pack.brand, source="pack"
            )
            service = BatchService(drafting)
            record = service.create(BatchSpec(kind=BatchKind.CARE, brand="qingshui", date=DATE))
            env = {
                **os.environ,
                "BENCH_WORKER_REDIS_URL": redis_url,
                "BENCH_WORKER_NAMESPACE": namespace,
                "BENCH_WORKER_DATABASE_URL": url,
                "BENCH_WORKER_PORT": str(server.port),
                "BENCH_WORKER_PACK": str(pack_dir),
                "BENCH_WORKER_DATA_DIR": str(root / "dramatiq-worker"),
            }
            command = [sys.executable, "-m", "dramatiq", "bench.batch_worker"]
            command += ["--processes", str(PROCESSES), "--threads", str(THREADS)]
            with (root / "workers.log").open("wb") as log:
                workers = subprocess.Popen(
                    command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            heartbeats = f"{namespace}:__heartbeats__"
            for _ in range(1200):  # at most 2 minutes for the workers to start
                if broker.client.zcard(heartbeats) >= PROCESSES or workers.poll() is not None:
                    break
                time.sleep(0.1)
            pids = _children(workers.pid)
            if workers.poll() is not None or len(pids) < PROCESSES:
                print((root / "workers.log").read_text()[-2000:])
                raise RuntimeError("the dramatiq workers did not start")
            print(
                f"dramatiq: {record.counts['pending']} items, {PROCESSES} worker processes x "
                f"{THREADS} threads, latency {SCALE_LATENCY:.1f}s; load average {_load()}",
                flush=True,
            )
            runner = queue.DramatiqRunner(
                broker, service.repo, poll_seconds=0.5, sweep_seconds=settings.job_lease_seconds
            )
            calls_before = server.calls.value
            cpu_before = _cpu([workers.pid, *pids]), _cpu(_postgres_pids())
            started, own_started = time.perf_counter(), time.process_time()
            summary = service.run(record.id, runner=runner)
            wall = time.perf_counter() - started
            own = time.process_time() - own_started
            worker_cpu = _cpu_since(cpu_before[0], [workers.pid, *pids])
            pg_cpu = _cpu_since(cpu_before[1], _postgres_pids())  # every session
            calls = server.calls.value - calls_before
            load = _load()
        with sessions() as s:
            twice = s.scalar(
                select(func.count()).select_from(
                    select(DraftRequestRow.customer_id)
                    .group_by(DraftRequestRow.customer_id)
                    .having(func.count() > 1)
                    .subquery()
                )
            )
            drafts = s.scalar(select(func.count()).select_from(DraftRow))
            reclaimed = s.scalar(
                select(func.count()).select_from(BatchItemRow).where(BatchItemRow.attempts > 1)
            )
        done = summary.counts["done"]
        ideal = calls * SCALE_LATENCY / (PROCESSES * THREADS)
        per = 1000 / max(1, done)
        print(
            f"dramatiq {PROCESSES}x{THREADS}: {done} done, {summary.counts['failed']} failed, "
            f"{calls} calls, {wall:.1f}s, {done / wall:.1f} items/s, ratio to ideal "
            f"{ideal / wall:.2f}; CPU per item: workers {worker_cpu * per:.1f} ms, runner "
            f"{own * per:.1f} ms, PostgreSQL {pg_cpu * per:.1f} ms; load average {load}",
            flush=True,
        )
        print(
            f"  drafted twice: {twice} customers with more than one draft, {drafts} drafts for "
            f"{done} items, {calls} model calls, {reclaimed} items claimed more than once, "
            f"{runner.resent} messages sent again by the sweep",
            flush=True,
        )
    finally:
        if workers is not None and workers.poll() is None:
            os.killpg(workers.pid, signal.SIGTERM)
            try:
                workers.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(workers.pid, signal.SIGKILL)
                workers.wait(timeout=10)
        for key in broker.client.scan_iter(f"{namespace}*"):
            broker.client.delete(key)
        broker.close()
        forget_databases()
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    os.environ["ZHENXIN_ALLOW_MODEL_REQUESTS"] = "1"  # a loopback test server, not a model
    root = Path(tempfile.mkdtemp(prefix="zhenxin-bench-batch-"))
    parts = {p.strip() for p in PARTS.split(",")}
    try:
        if parts & {"runner", "pipeline"}:
            _fast_server(root, parts)
        if "process" in parts:
            _inprocess_scale(root)
        if "dramatiq" in parts:
            _dramatiq_scale(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _fast_server(root: Path, parts: set[str]) -> None:
    """The ``runner`` and ``pipeline`` runs against a 200 ms server."""
    separate = os.environ.get("BENCH_SERVER", "thread") == "process"
    with ModelServer(LATENCY, separate_process=separate) as server:
        where = "child process" if separate else "in-process thread"
        print(
            f"server ({where}): 127.0.0.1:{server.port}, latency {LATENCY * 1000:.0f} ms, "
            f"{CUSTOMERS} synthetic + the example's due customers; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        n = 0
        if "runner" in parts:
            # runner: the batch machinery (claim, provider call, store) at each concurrency
            for concurrency in CONCURRENCY:
                _run(server, root, n := n + 1, "runner", concurrency)
            _run(server, root, n := n + 1, "runner", CONCURRENCY[-1], limit_every=10)
        if "pipeline" in parts:
            # pipeline: the same batch through the whole pipeline (retrieval, checks, revise)
            for concurrency in PIPELINE_CONCURRENCY:
                _run(server, root, n := n + 1, "pipeline", concurrency)


if __name__ == "__main__":
    main()
