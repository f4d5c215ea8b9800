"""POST /v1/knowledge/ingest (uploaded pack, admins) and GET /v1/knowledge/search."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

from core.settings import Settings
from tests.api.conftest import Env, make_env
from tests.conftest import EXAMPLES


def _zip(root: Path, *, prefix: str = "", replace: tuple[bytes, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                if replace and path.name == "brand.yaml":
                    data = data.replace(*replace)
                zf.writestr(prefix + path.relative_to(root).as_posix(), data)
    return buf.getvalue()


def _tgz(root: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        tf.add(root, arcname="pack")
    return buf.getvalue()


def test_ingest_zip_then_search_and_draft(settings: Settings) -> None:
    env = make_env(settings, brands=())
    h = env.h("st_admin")
    r = env.client.post(
        "/v1/knowledge/ingest",
        headers=h,
        files={
            "file": ("stride.zip", _zip(EXAMPLES / "stride", prefix="stride/"), "application/zip")
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["brand"] == "stride" and body["customers"] > 0 and body["report"]["chunks"] > 0
    # Customers arrive in the database with the pack.
    assert env.client.get("/v1/customers/st-001", headers=h).status_code == 200
    found = env.client.get("/v1/knowledge/search", headers=h, params={"q": "running shoe"})
    assert found.status_code == 200 and found.json()["passages"]
    d = env.client.post(
        "/v1/drafts",
        headers=env.h("st_operator"),
        json={"kind": "care_message", "customer_id": "st-001", "trigger": "day3"},
    )
    assert d.status_code == 201, d.text
    env.app.state.engine.dispose()


def test_ingest_tar_gz(settings: Settings) -> None:
    env = make_env(settings, brands=())
    r = env.client.post(
        "/v1/knowledge/ingest",
        headers=env.h("qs_admin"),
        files={"file": ("qs.tgz", _tgz(EXAMPLES / "qingshui"), "application/gzip")},
    )
    assert r.status_code == 200, r.text
    assert r.json()["brand"] == "qingshui"
    env.app.state.engine.dispose()


def test_search_before_ingest_is_409(settings: Settings) -> None:
    env = make_env(settings, brands=())
    r = env.client.get("/v1/knowledge/search", headers=env.h("qs_operator"), params={"q": "x"})
    assert r.status_code in (404, 409), r.text
    env.app.state.engine.dispose()


def test_pack_of_another_brand_is_refused(env: Env) -> None:
    r = env.client.post(
        "/v1/knowledge/ingest",
        headers=env.h("qs_admin"),
        files={"file": ("s.zip", _zip(EXAMPLES / "stride"), "application/zip")},
    )
    assert r.status_code == 403
    assert "qingshui" in r.json()["error"]["message"]


def test_bad_uploads(env: Env) -> None:
    h = env.h("st_admin")
    junk = env.client.post(
        "/v1/knowledge/ingest",
        headers=h,
        files={"file": ("x.zip", b"not an archive", "application/zip")},
    )
    assert junk.status_code == 422 and junk.json()["error"]["code"] == "invalid_pack"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../evil/brand.yaml", "id: stride")
    evil = env.client.post(
        "/v1/knowledge/ingest",
        headers=h,
        files={"file": ("e.zip", buf.getvalue(), "application/zip")},
    )
    assert evil.status_code == 422 and "unsafe" in evil.json()["error"]["problems"][0]["message"]
    assert not (env.settings.data_dir.parent / "evil").exists()
    # An invalid pack lists every problem.
    damaged = _zip(EXAMPLES / "stride").replace(b"language: en", b"language: fr")
    crc = env.client.post(
        "/v1/knowledge/ingest", headers=h, files={"file": ("d.zip", damaged, "application/zip")}
    )
    assert crc.status_code == 422 and "damaged" in crc.json()["error"]["problems"][0]["message"]
    broken = _zip(EXAMPLES / "stride", replace=(b"language: en", b"language: fr"))
    bad = env.client.post(
        "/v1/knowledge/ingest", headers=h, files={"file": ("b.zip", broken, "application/zip")}
    )
    assert bad.status_code == 422 and bad.json()["error"]["problems"]
    missing = env.client.post("/v1/knowledge/ingest", headers=h)
    assert missing.status_code == 422


def test_upload_over_the_limit_is_413(settings: Settings) -> None:
    small = settings.model_copy(update={"max_upload_bytes": 2000})
    env = make_env(small, brands=())
    r = env.client.post(
        "/v1/knowledge/ingest",
        headers=env.h("st_admin"),
        files={"file": ("s.zip", _zip(EXAMPLES / "stride"), "application/zip")},
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    env.app.state.engine.dispose()


def test_search_parameters(env: Env) -> None:
    h = env.h("qs_operator")
    guides = env.client.get(
        "/v1/knowledge/search", headers=h, params={"q": "洁面 用量", "kind": "usage_guide", "k": 3}
    ).json()
    assert 0 < len(guides["passages"]) <= 3
    assert {p["kind"] for p in guides["passages"]} == {"usage_guide"}
    assert env.client.get("/v1/knowledge/search", headers=h, params={"q": ""}).status_code == 422
    assert (
        env.client.get("/v1/knowledge/search", headers=h, params={"q": "x", "k": 0}).status_code
        == 422
    )
