"""How the flywheel holds up as a brand grows (issues 13 and 15): a synthetic brand (the
qingshui pack's stages, products and usage guides; ``bench/synthetic.py``) with 1,000 /
10,000 / 100,000 customers and ~10 events each, on SQLite and on PostgreSQL.

Timed, each through the code a door uses:

- ``import customers``  ``CustomerStore.import_many`` (what a pack ingest does)
- ``ingest events``     ``FlywheelService.ingest`` in batches of 5,000 (the API's most per
                        request)
- ``re-ingest``         the same events again: every one a duplicate, nothing accepted
- ``events file``       the same events again as a JSON Lines file (written untimed), read
                        by ``FlywheelService.ingest_file`` as ``zhenxin events import`` reads
                        it: its +RSS says whether the file streams
- ``due customers``     ``BatchService.plan_care`` for one day, as ``BatchService.create``
                        feeds it (contact log, handled occurrences, the customer store)
- ``review queue``      the review form's first page: ``count_records`` + ``list_records``
- ``core members``      ``FlywheelService.members`` (top 50)
- ``outcomes report``   ``FlywheelService.outcomes`` over the six months of events
- ``a day's events``    the next day of a running brand (a tenth of the customers do one to
                        three things) ingested on top of all that history: the daily import
- ``ingest, 2 processes`` PostgreSQL: ``ingest events`` again into a fresh database, by
                        ``FlywheelService.ingest_batches`` over 2 worker processes (what
                        ``zhenxin events import --workers 2`` does); SQLite takes one writer
                        at a time, so it has none

Per operation: seconds, rows per second (rows: the customers, events or drafts it goes
through) and the growth of the resident set above where it started (sampled every few ms:
the memory the operation itself holds at its peak). Then, from the smallest size to the
largest, how much longer each operation took and how much more memory it held, beside how
much bigger the brand became: a time ratio near the size ratio is linear, memory that stays
flat is streaming.

Nothing is downloaded: the knowledge is the pack held in memory (``FakeKnowledge``) and no
draft is generated (the review queue's drafts are inserted as rows).

Knobs: ``ZHENXIN_BENCH_SIZES`` (customers, default ``1000,10000``; the full run is
``1000,10000,100000``, ~8 min on 2 cores), ``ZHENXIN_BENCH_DATABASES`` (default
``sqlite,postgresql``; PostgreSQL is skipped with a note when unreachable),
``ZHENXIN_BENCH_INGEST_WORKERS`` (the parallel ingest's processes, default 2; 1: none),
``ZHENXIN_BENCH_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``;
the run works in a schema of its own and drops it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import resource
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from batch.jobs import BatchKind, BatchSpec
from batch.service import BatchService
from bench.synthetic import START, TODAY, SyntheticBrand
from core.runtime import freeze_startup_objects
from core.settings import Settings
from drafting.service import DraftingService
from flywheel.ingest import IngestResult
from flywheel.service import FlywheelService
from generator.fake import FakeDrafter
from knowledge.fake import FakeKnowledge
from knowledge.loader import load_pack
from knowledge.pack import BrandPack
from storage import drafts as draft_rows
from storage.db import make_engine, session_factory, upgrade_to_head

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "examples" / "qingshui"
SIZES = tuple(
    int(s) for s in os.environ.get("ZHENXIN_BENCH_SIZES", "1000,10000").split(",") if s.strip()
)
DATABASES = tuple(
    d.strip()
    for d in os.environ.get("ZHENXIN_BENCH_DATABASES", "sqlite,postgresql").split(",")
    if d.strip()
)
PG_URL = os.environ.get(
    "ZHENXIN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BATCH = 5000  # events per ingest call
PAGE = 50  # the review form's page
OPERATIONS = (
    "import customers",
    "ingest events",
    "re-ingest",
    "events file",
    "due customers",
    "review queue",
    "core members",
    "outcomes report",
    "a day's events",
)
WORKERS = int(os.environ.get("ZHENXIN_BENCH_INGEST_WORKERS", "2"))  # the parallel ingest's
PARALLEL = f"ingest, {WORKERS} processes"  # PostgreSQL only


@dataclass(frozen=True)
class Result:
    operation: str
    database: str
    size: int  # customers
    seconds: float
    rows: int
    rss_mb: float  # resident-set growth at the operation's peak
    note: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


def _rss() -> int:
    """Resident bytes now (Linux); else the peak so far."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class _Peak:
    """The highest resident set while the block runs, sampled every 5 ms by a thread."""

    def __init__(self) -> None:
        self.start = _rss()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> _Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / 2**20


def measure(
    results: list[Result], operation: str, database: str, size: int, fn: Callable[[], Any]
) -> Any:
    """Run ``fn`` (it returns ``(rows, value)`` or ``(rows, value, note)``), record it."""
    with _Peak() as peak:
        started = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - started
    rows, value, *note = out
    results.append(
        Result(operation, database, size, seconds, rows, peak.growth_mb, note[0] if note else "")
    )
    return value


def bench_pack() -> BrandPack:
    """The qingshui pack without its own customers (the synthetic ones replace them)."""
    return load_pack(PACK).model_copy(update={"customers": []})


def analyze(sessions: sessionmaker[Session], *tables: str) -> None:
    """Table statistics, as autovacuum gathers them on a running PostgreSQL within a minute
    of a bulk load (not timed). Without them the planner takes a brand-new table for a few
    rows and may scan the brand's whole index for every ``IN (...)`` look-up. (The events
    table is left alone before the ingest: statistics saying it is empty mislead the
    planner more than none while it fills.)"""
    with sessions.begin() as s:
        if s.get_bind().dialect.name == "postgresql":
            for table in tables or ("",):
                s.execute(text(f"ANALYZE {table}"))


def _flywheel(sessions: sessionmaker[Session], pack: BrandPack, data_dir: Path) -> FlywheelService:
    """The services over ``sessions``, with the pack in memory and the fake drafter."""
    settings = Settings(
        data_dir=data_dir, llm="fake", embedder="hash", chroma_url="", database_url=""
    )
    drafting = DraftingService(
        settings, sessions=sessions, knowledge=FakeKnowledge([pack]), drafter=FakeDrafter()
    )
    return FlywheelService(drafting)


def run_size(
    sessions: sessionmaker[Session],
    database: str,
    size: int,
    *,
    data_dir: Path,
    pack: BrandPack | None = None,
    batch: int = BATCH,
    report: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Every operation once on a fresh database holding nothing of the brand yet."""
    pack = pack or bench_pack()
    synth = SyntheticBrand(pack, size)
    brand = synth.brand_id
    flywheel = _flywheel(sessions, pack, data_dir)
    drafting = flywheel.drafting
    results: list[Result] = []

    def step(operation: str, fn: Callable[[], Any]) -> Any:
        value = measure(results, operation, database, size, fn)
        if report is not None:
            report(results[-1])
        return value

    def import_customers() -> tuple[int, int]:
        n = drafting.customers.import_many(
            brand, synth.customers(), brand=pack.brand, source="pack"
        )
        return n, n

    step("import customers", import_customers)
    drafts = synth.insert_drafts(sessions)  # not timed: the queue's and the report's drafts
    analyze(sessions, "customers", "consent_events", "draft_requests", "drafts", "draft_versions")

    def ingest() -> tuple[int, dict[str, int]]:
        totals = {"events": 0, "accepted": 0, "duplicates": 0, "rejected": 0, "stage": 0}
        for items in synth.event_batches(batch):
            result = flywheel.ingest(brand, items, actor="import")
            totals["events"] += len(items)
            totals["accepted"] += result.accepted
            totals["duplicates"] += result.duplicates
            totals["rejected"] += len(result.rejected)
            totals["stage"] += len(result.stage_changes)
        return totals["events"], totals

    first = step("ingest events", ingest)
    analyze(sessions)
    if first["accepted"] != first["events"] or first["rejected"]:
        raise AssertionError(f"ingest stored {first}")
    again = step("re-ingest", ingest)
    if again["accepted"] != 0 or again["duplicates"] != again["events"]:
        raise AssertionError(f"re-ingest was not idempotent: {again}")
    data_dir.mkdir(parents=True, exist_ok=True)
    events_file = data_dir / "events.jsonl"  # not timed: the export a shop would send
    with events_file.open("w", encoding="utf-8") as fh:
        for items in synth.event_batches(batch):
            fh.writelines(json.dumps(e, ensure_ascii=False) + "\n" for e in items)

    def from_file() -> tuple[int, dict[str, int], str]:
        result = flywheel.ingest_file(brand, events_file, actor="import")
        if result.accepted != 0 or result.duplicates != again["events"] or result.rejected:
            raise AssertionError(f"the file's import was not idempotent: {result.as_dict()}")
        size_mb = events_file.stat().st_size / 1e6
        return again["events"], result.as_dict(), f"{size_mb:.0f} MB file, all held already"

    step("events file", from_file)
    events_file.unlink()

    def due() -> tuple[int, list[dict[str, Any]], str]:
        spec = BatchSpec(kind=BatchKind.CARE, brand=brand, date=TODAY)
        items = BatchService(drafting).plan_care(spec, pack)
        skipped = sum(1 for i in items if i.get("skip"))
        return size, items, f"{len(items) - skipped} due, {skipped} skipped"

    step("due customers", due)

    def queue() -> tuple[int, int, str]:
        with sessions() as s:
            total = draft_rows.count_records(s, brand, with_text=True, status="pending_review")
            page = draft_rows.list_records(
                s, brand, with_text=True, status="pending_review", limit=PAGE
            )
        return drafts, len(page), f"{total} pending of {drafts} drafts"

    step("review queue", queue)

    def members() -> tuple[int, int, str]:
        top = flywheel.members(brand, on=TODAY, limit=50)
        return size, len(top), f"{sum(m.core for m in top)} core in the top {len(top)}"

    step("core members", members)

    def outcomes() -> tuple[int, dict[str, Any], str]:
        data = flywheel.outcomes(brand, since=START, until=TODAY, as_of=TODAY)
        sent = sum(g["sent"] for g in data["groups"])
        return first["events"], data, f"{len(data['groups'])} groups, {sent} sends"

    step("outcomes report", outcomes)

    def a_day() -> tuple[int, dict[str, int], str]:
        events = list(synth.day_events(TODAY))
        accepted = stage = 0
        for start in range(0, len(events), batch):
            result = flywheel.ingest(brand, events[start : start + batch], actor="import")
            accepted += result.accepted
            stage += len(result.stage_changes)
        if accepted != len(events):
            raise AssertionError(f"a day's ingest stored {accepted} of {len(events)}")
        return len(events), {"accepted": accepted}, f"{accepted} new, {stage} stage changes"

    step("a day's events", a_day)
    return results


def run_parallel_ingest(
    sessions: sessionmaker[Session],
    size: int,
    *,
    data_dir: Path,
    pack: BrandPack | None = None,
    workers: int = WORKERS,
    report: Callable[[Result], None] | None = None,
) -> list[Result]:
    """The events ingested by ``workers`` processes (``FlywheelService.ingest_batches``, what
    ``zhenxin events import --workers`` does) into a fresh PostgreSQL database holding the
    brand's customers and drafts: the same work as ``ingest events``, side by side."""
    pack = pack or bench_pack()
    synth = SyntheticBrand(pack, size)
    flywheel = _flywheel(sessions, pack, data_dir)
    flywheel.drafting.customers.import_many(
        synth.brand_id, synth.customers(), brand=pack.brand, source="pack"
    )
    synth.insert_drafts(sessions)
    analyze(sessions, "customers", "consent_events", "draft_requests", "drafts", "draft_versions")

    def ingest() -> tuple[int, IngestResult, str]:
        batches = synth.event_batches(BATCH)
        result = flywheel.ingest_batches(synth.brand_id, batches, workers=workers, actor="import")
        events = result.accepted + result.duplicates + len(result.rejected)
        if result.rejected or result.duplicates:
            raise AssertionError(f"the parallel ingest stored {result.as_dict()}")
        return events, result, f"{workers} processes, {len(result.stage_changes)} stage changes"

    results: list[Result] = []
    measure(results, f"ingest, {workers} processes", "postgresql", size, ingest)
    if report is not None:
        report(results[-1])
    return results


# --- databases ---------------------------------------------------------------------------------
@contextlib.contextmanager
def sqlite_database(where: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{where / 'bench.db'}")
    upgrade_to_head(engine)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def postgres_reachable(url: str = PG_URL) -> str | None:
    """None if PostgreSQL answers at ``url``, else why not."""
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as c:
            c.execute(text("SELECT 1"))
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    finally:
        engine.dispose()


@contextlib.contextmanager
def postgres_database(url: str = PG_URL) -> Iterator[sessionmaker[Session]]:
    """A schema of this run's own (dropped afterwards) in the database at ``url``."""
    admin = create_engine(url, connect_args={"connect_timeout": 3})
    schema = f"zx_bench_{uuid.uuid4().hex[:12]}"
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    # the schema in the URL itself: the parallel ingest's worker processes connect by it
    in_schema = make_url(url).update_query_dict(
        {"connect_timeout": "3", "options": f"-csearch_path={schema}"}
    )
    engine = make_engine(in_schema.render_as_string(hide_password=False))
    try:
        upgrade_to_head(engine)
        yield session_factory(engine)
    finally:
        engine.dispose()
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --- the table ---------------------------------------------------------------------------------
def _rate(value: float) -> str:
    return f"{value:,.0f}" if value < 1e9 else "-"


def table(results: list[Result]) -> str:
    """Markdown: one row per operation and size, seconds / rows/s / RSS per database."""
    databases = [d for d in DATABASES if any(r.database == d for r in results)]
    sizes = sorted({r.size for r in results})
    head = ["operation", "customers"]
    for d in databases:
        head += [f"{d} s", f"{d} rows/s", f"{d} +RSS MB"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    by = {(r.operation, r.database, r.size): r for r in results}
    for op in (*OPERATIONS, PARALLEL):
        for size in sizes:
            cells = [op, f"{size:,}"]
            for d in databases:
                r = by.get((op, d, size))
                cells += (
                    [f"{r.seconds:.2f}", _rate(r.rate), f"{r.rss_mb:.0f}"] if r else ["-", "-", "-"]
                )
            lines.append("| " + " | ".join(cells) + " |")
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        steps = list(itertools.pairwise(sizes))
        if len(steps) > 1:
            steps.append((small, large))
        lines += [
            "",
            f"growth from {small:,} to {large:,} customers: how many times longer each step "
            f"took beside how many times bigger the brand became (x10 at x10 is linear), and "
            f"the memory held at {large:,}",
            "",
            "| operation | "
            + " | ".join(f"{d} {a:,} → {b:,} (x{b / a:,.0f})" for d in databases for a, b in steps)
            + " | "
            + " | ".join(f"{d} +MB at {large:,}" for d in databases)
            + " |",
            "|---|" + "---|" * (len(databases) * (len(steps) + 1)),
        ]
        for op in (*OPERATIONS, PARALLEL):
            cells = [op]
            for d in databases:
                for a, b in steps:
                    ra, rb = by.get((op, d, a)), by.get((op, d, b))
                    cells.append(
                        f"x{rb.seconds / max(ra.seconds, 1e-6):,.1f}" if ra and rb else "-"
                    )
            for d in databases:
                r = by.get((op, d, large))
                cells.append(f"{r.rss_mb:.0f}" if r else "-")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _print(r: Result) -> None:
    print(
        f"  {r.database:<10} {r.size:>8,} {r.operation:<16} {r.seconds:8.2f} s "
        f"{_rate(r.rate):>10} rows/s  +{r.rss_mb:5.0f} MB  {r.note}",
        flush=True,
    )


def main() -> None:
    pack = bench_pack()
    freeze_startup_objects()  # as the doors do once they have started
    results: list[Result] = []
    for database in DATABASES:
        if database == "postgresql":
            why = postgres_reachable()
            if why is not None:
                print(f"PostgreSQL skipped: unreachable at {PG_URL} ({why})")
                continue
        elif database != "sqlite":
            print(f"unknown database {database!r} (sqlite, postgresql)")
            continue
        for size in SIZES:
            with tempfile.TemporaryDirectory(prefix="zx-bench-scale-") as tmp:
                where = Path(tmp)
                db = sqlite_database(where) if database == "sqlite" else postgres_database()
                with db as sessions:
                    started = dt.datetime.now()
                    print(f"{database}, {size:,} customers ({started:%H:%M:%S})", flush=True)
                    results += run_size(
                        sessions, database, size, data_dir=where / "data", pack=pack, report=_print
                    )
                if database == "postgresql" and WORKERS > 1:  # SQLite: one writer at a time
                    with postgres_database() as sessions:
                        results += run_parallel_ingest(
                            sessions, size, data_dir=where / "data", pack=pack, report=_print
                        )
    print()
    print(table(results))


if __name__ == "__main__":
    main()
