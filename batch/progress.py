"""A rich progress bar for batch runs: done / failed / skipped counts and an ETA."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from batch.runner import Outcome
from batch.service import RunSummary
from storage.batches import BatchRecord


class BatchProgress:
    """Use as a context manager; pass :meth:`start` and :meth:`advance` to ``service.run``."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "[green]done {task.fields[done]}[/] [red]failed {task.fields[failed]}[/] "
                "[yellow]skipped {task.fields[skipped]}[/]"
            ),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
        )
        self.task: TaskID | None = None
        self.counts = {"done": 0, "failed": 0, "skipped": 0}

    def __enter__(self) -> BatchProgress:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def start(self, record: BatchRecord, pending: int) -> None:
        # items finished by earlier runs count as already complete
        self.counts = {k: record.counts.get(k, 0) for k in self.counts}
        already = sum(self.counts.values())
        self.task = self.progress.add_task(
            record.id,
            total=already + pending,
            completed=already,
            done=self.counts["done"],
            failed=self.counts["failed"],
            skipped=self.counts["skipped"],
        )

    def advance(self, outcome: Outcome) -> None:
        if self.task is None:
            return
        if outcome.status in self.counts:
            self.counts[outcome.status] += 1
        self.progress.update(
            self.task,
            advance=1,
            done=self.counts["done"],
            failed=self.counts["failed"],
            skipped=self.counts["skipped"],
        )

    def print_summary(self, summary: RunSummary) -> None:
        c = summary.counts
        self.console.print(
            f"batch {summary.batch_id}: {c.get('done', 0)} done, {c.get('failed', 0)} failed, "
            f"{c.get('skipped', 0)} skipped, {c.get('pending', 0) + c.get('running', 0)} open "
            f"— this run {sum(summary.ran.values())} item(s) in {summary.seconds:.1f}s"
        )
        if summary.verdicts:
            checks = ", ".join(f"{n} {v}" for v, n in sorted(summary.verdicts.items()))
            self.console.print(f"  eval verdicts of the new drafts: {checks} (all await review)")
        for failure in summary.failures[:10]:
            self.console.print(f"  [red]failed[/] {failure['key']}: {failure['error']}")
        if c.get("failed"):
            self.console.print("  retry them with --retry-failed")
