"""Brand-pack uploads: a .zip or .tar.gz holding ``brand.yaml`` (at the top or one folder
down), unpacked safely (no absolute paths, no ``..``, no links, bounded size and count)."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import yaml

from core.errors import PackError, PackProblem, PayloadTooLargeError

MAX_FILES = 2000


def _bad(message: str, hint: str = "") -> PackError:
    return PackError([PackProblem("upload", "", message, hint)])


def _safe(name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        raise _bad(f"unsafe path in archive: {name!r}")
    return path


def unpack(data: bytes, dest: Path, *, max_bytes: int) -> Path:
    """Unpack an archive into ``dest`` and return the folder that holds ``brand.yaml``."""
    try:
        return _unpack(data, dest, max_bytes=max_bytes)
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError) as exc:
        raise _bad(
            f"the archive is damaged: {type(exc).__name__}: {exc}"[:300],
            hint="zip the pack folder again and re-upload it",
        ) from exc


def _unpack(data: bytes, dest: Path, *, max_bytes: int) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    budget = max_bytes * 10  # uncompressed limit: bounded, but packs compress well
    total = 0
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if len(infos) > MAX_FILES:
                raise _bad(f"archive has {len(infos)} files; at most {MAX_FILES}")
            for info in infos:
                rel = _safe(info.filename)
                total += info.file_size
                if total > budget:
                    raise PayloadTooLargeError("archive unpacks to more than the upload limit")
                target = dest.joinpath(*rel.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, target.open("wb") as out:
                    shutil.copyfileobj(src, out)
    else:
        try:
            tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115
        except tarfile.TarError as exc:
            raise _bad(
                "upload is neither a zip nor a tar archive",
                hint="zip the pack folder (brand.yaml, knowledge/, customers.csv)",
            ) from exc
        with tf:
            members = [m for m in tf.getmembers() if m.isfile()]
            if len(members) > MAX_FILES:
                raise _bad(f"archive has {len(members)} files; at most {MAX_FILES}")
            for member in members:
                _safe(member.name)
                total += member.size
                if total > budget:
                    raise PayloadTooLargeError("archive unpacks to more than the upload limit")
            tf.extractall(dest, members=members, filter="data")
    return _pack_root(dest)


def _pack_root(dest: Path) -> Path:
    if (dest / "brand.yaml").is_file():
        return dest
    candidates = [p.parent for p in dest.glob("*/brand.yaml")]
    if len(candidates) == 1:
        return candidates[0]
    raise _bad("no brand.yaml at the top of the archive or one folder down")


def pack_brand_id(root: Path) -> str:
    try:
        data = yaml.safe_load((root / "brand.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _bad(f"brand.yaml cannot be read: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise _bad("brand.yaml has no 'id'")
    return str(data["id"])


def upload_dir(data_dir: Path, brand_id_hint: str) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    return data_dir / "uploads" / brand_id_hint / stamp
