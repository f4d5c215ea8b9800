from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

import llm.model_files as mf
from cli.main import run
from core.errors import ConfigError
from core.settings import Settings
from llm.model_files import (
    MODELS,
    ModelSpec,
    cached_sha256,
    find_parts,
    get_spec,
    join_parts,
    model_path,
    setup_model,
    verify_model,
)

Tiny = tuple[ModelSpec, list[Path]]


def _joined(paths: list[Path]) -> bytes:
    return b"".join(p.read_bytes() for p in paths)


def test_setup_joins_and_verifies(tmp_path: Path, tiny_parts: Tiny) -> None:
    spec, parts = tiny_parts
    status = setup_model(spec, tmp_path / "models", parts=parts)
    assert status.ok and status.action == "joined"
    target = tmp_path / "models" / spec.filename
    assert target.read_bytes() == _joined(parts)
    assert cached_sha256(target) == spec.sha256
    # the temp file is gone: only the model and its marker remain
    assert {p.name for p in target.parent.iterdir()} == {
        spec.filename,
        spec.filename + ".sha256.json",
    }


def test_rerun_uses_marker_without_hashing(
    tmp_path: Path, tiny_parts: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, parts = tiny_parts
    setup_model(spec, tmp_path, parts=parts)

    def no_hash(*_a: object, **_k: object) -> str:
        raise AssertionError("re-run must not hash again")

    monkeypatch.setattr(mf, "sha256_file", no_hash)
    status = setup_model(spec, tmp_path, parts=[])
    assert status.ok and status.action == "present"


def test_marker_is_ignored_when_file_changes(tmp_path: Path, tiny_parts: Tiny) -> None:
    spec, parts = tiny_parts
    setup_model(spec, tmp_path, parts=parts)
    target = tmp_path / spec.filename
    data = bytearray(target.read_bytes())
    data[10] ^= 0xFF  # same size, different content
    target.write_bytes(bytes(data))
    os.utime(target, ns=(1, 1))
    assert cached_sha256(target) is None
    status = verify_model(spec, target, use_cache=True)
    assert not status.ok and status.action == "verified"
    # setup notices, removes the bad file and joins again
    fixed = setup_model(spec, tmp_path, parts=parts)
    assert fixed.action == "joined"
    assert target.read_bytes() == _joined(parts)


def test_wrong_size_file_is_rebuilt(tmp_path: Path, tiny_parts: Tiny) -> None:
    spec, parts = tiny_parts
    (tmp_path / spec.filename).write_bytes(b"truncated")
    assert verify_model(spec, tmp_path / spec.filename).action == "bad-size"
    assert setup_model(spec, tmp_path, parts=parts).action == "joined"


def test_wrong_hash_is_an_error_and_leaves_no_file(tmp_path: Path, tiny_parts: Tiny) -> None:
    spec, parts = tiny_parts
    bad = dataclasses.replace(spec, sha256="0" * 64)
    models = tmp_path / "models"
    with pytest.raises(ConfigError, match="expected 0000"):
        setup_model(bad, models, parts=parts)
    assert list(models.iterdir()) == []


def test_parts_of_wrong_total_size_fail_before_writing(tmp_path: Path, tiny_parts: Tiny) -> None:
    spec, parts = tiny_parts
    with pytest.raises(ConfigError, match="add up to"):
        join_parts(spec, parts[:2], tmp_path / "models" / spec.filename)
    assert not (tmp_path / "models").exists()


def test_not_enough_disk_space(
    tmp_path: Path, tiny_parts: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, parts = tiny_parts
    monkeypatch.setattr(mf.shutil, "disk_usage", lambda _p: SimpleNamespace(free=spec.size - 1))
    with pytest.raises(ConfigError, match="not enough disk space"):
        setup_model(spec, tmp_path, parts=parts)
    assert not (tmp_path / spec.filename).exists()


def test_missing_parts_name_the_pip_command(tiny_parts: Tiny) -> None:
    spec, _ = tiny_parts
    with pytest.raises(ConfigError) as info:
        find_parts(spec)
    assert "pip install zhenxin-test-absent-part1==0.0.1" in str(info.value)
    assert "3 of 3" in str(info.value)


def test_installed_parts_are_found() -> None:
    spec = MODELS["qwen2.5-coder-1.5b"]
    if mf.installed_parts(spec) == 0:
        pytest.skip("model parts not installed: pip install -e '.[model]'")
    parts = find_parts(spec)
    assert len(parts) == 22
    assert [p.name for p in parts][:2] == ["part01.bin", "part02.bin"]
    assert sum(p.stat().st_size for p in parts) == spec.size


def test_specs_and_model_path(settings: Settings, tmp_path: Path) -> None:
    assert get_spec("qwen2.5-coder-0.5b").size == 491_400_064
    with pytest.raises(ConfigError, match="unknown local model"):
        get_spec("llama-70b")
    assert model_path(settings) == settings.models_dir / MODELS["qwen2.5-coder-1.5b"].filename
    small = settings.model_copy(update={"local_model": "qwen2.5-coder-0.5b"})
    assert model_path(small).name == "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    own = settings.model_copy(update={"local_model_path": tmp_path / "mine.gguf"})
    assert model_path(own) == tmp_path / "mine.gguf"


# --- CLI ------------------------------------------------------------------------------


@pytest.fixture
def cli_env(
    tmp_path: Path, tiny_parts: Tiny, monkeypatch: pytest.MonkeyPatch
) -> tuple[ModelSpec, Path]:
    spec, parts = tiny_parts
    tiny = dataclasses.replace(spec, key="qwen2.5-coder-1.5b")
    monkeypatch.setitem(MODELS, "qwen2.5-coder-1.5b", tiny)
    monkeypatch.setattr(mf, "find_parts", lambda s: parts)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("ZHENXIN_DATA_DIR", str(data_dir))
    monkeypatch.delenv("ZHENXIN_LOCAL_MODEL", raising=False)
    monkeypatch.delenv("ZHENXIN_LOCAL_MODEL_PATH", raising=False)
    return tiny, data_dir / "models" / tiny.filename


def test_cli_setup_verify_info(
    cli_env: tuple[ModelSpec, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    spec, target = cli_env
    assert run(["model", "verify"]) == 2
    assert "file not found" in capsys.readouterr().err
    assert run(["model", "setup"]) == 0
    assert "joined and verified" in capsys.readouterr().out
    assert target.is_file()
    assert run(["model", "setup"]) == 0
    assert "already verified" in capsys.readouterr().out
    assert run(["model", "verify"]) == 0
    assert "OK" in capsys.readouterr().out
    assert run(["model", "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    [row] = [r for r in info["models"] if r["selected"]]
    assert row["verified"] is True and row["path"] == str(target)
    assert info["runtime"].startswith("llama-cpp-python")
    target.write_bytes(b"x" * spec.size)
    assert run(["model", "verify"]) == 2
    assert "sha256" in capsys.readouterr().err


def test_cli_missing_parts_and_unknown_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZHENXIN_DATA_DIR", str(tmp_path))
    monkeypatch.setitem(
        MODELS,
        "qwen2.5-coder-0.5b",
        dataclasses.replace(MODELS["qwen2.5-coder-0.5b"], dist_prefix="zhenxin-test-absent-"),
    )
    assert run(["model", "setup", "--model", "qwen2.5-coder-0.5b"]) == 2
    assert "pip install zhenxin-test-absent-1==0.9.0" in capsys.readouterr().err
    assert run(["model", "setup", "--model", "gpt-5"]) == 2
    assert "unknown local model" in capsys.readouterr().err
    assert run(["model", "info"]) == 0
    assert "qwen2.5-coder-1.5b" in capsys.readouterr().out
