"""Approved drafts become examples of the brand's voice: approving a draft (API or service)
stores its text as approved — ``edited`` when an editor changed it first — and the next draft
of the same kind for that brand is handed it; other kinds and other brands are not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from api.deps import get_drafting, get_knowledge
from api.main import create_app
from core.settings import Settings
from drafting.service import DraftingService
from generator.drafts import Draft, DraftRequest
from generator.exemplars import Exemplar
from generator.fake import FakeDrafter
from knowledge.fake import FakeKnowledge
from knowledge.loader import load_pack
from knowledge.pack import Customer
from storage import exemplars as exemplar_rows
from storage import keys
from tests.conftest import EXAMPLES


class RecordingDrafter(FakeDrafter):
    """The fake drafter, keeping the examples of the brand's voice each draft was given."""

    def __init__(self) -> None:
        super().__init__()
        self.exemplars: list[list[Exemplar]] = []

    def draft(
        self,
        request: DraftRequest,
        *,
        customer: Customer | None = None,
        as_of: dt.date | None = None,
        exemplars: Sequence[Exemplar] = (),
    ) -> Draft:
        self.exemplars.append(list(exemplars))
        return super().draft(request, customer=customer, as_of=as_of, exemplars=exemplars)


@dataclass
class App:
    client: TestClient
    service: DraftingService
    drafter: RecordingDrafter
    keys: dict[str, str]

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    def create(self, who: str = "qs_operator", **body: object) -> dict[str, object]:
        payload = {"kind": "care_message", "customer_id": "qs-002", "trigger": "day3", **body}
        r = self.client.post("/v1/drafts", json=payload, headers=self.h(who))
        assert r.status_code == 201, r.text
        return dict(r.json())

    def approve(self, draft_id: object, who: str = "qs_editor") -> None:
        r = self.client.post(
            f"/v1/drafts/{draft_id}/approve",
            headers=self.h(who),
            json={"override_reason": "checked in a test"},
        )
        assert r.status_code == 200 and r.json()["status"] == "approved", r.text

    def stored(self, brand: str = "qingshui", kind: str = "care_message") -> list[tuple]:
        with self.service.sessions() as s:
            return [
                (r.kind, r.trigger, r.stage, r.text, r.draft_id, r.edited)
                for r in exemplar_rows.for_kind(s, brand, kind)
            ]


@pytest.fixture
def app(settings: Settings) -> Iterator[App]:
    fastapi_app = create_app(settings)
    packs = [load_pack(EXAMPLES / "qingshui"), load_pack(EXAMPLES / "stride")]
    knowledge = FakeKnowledge(packs)
    drafter = RecordingDrafter()
    service = DraftingService(
        settings, sessions=fastapi_app.state.sessions, knowledge=knowledge, drafter=drafter
    )
    for pack in packs:
        service.customers.import_many(
            pack.brand.id, pack.customers, brand=pack.brand, source="pack"
        )
    fastapi_app.dependency_overrides[get_knowledge] = lambda: knowledge
    fastapi_app.dependency_overrides[get_drafting] = lambda: service
    secrets: dict[str, str] = {}
    with fastapi_app.state.sessions.begin() as s:
        for brand, short in (("qingshui", "qs"), ("stride", "st")):
            for role in keys.Role:
                secrets[f"{short}_{role.value}"] = keys.create_key(s, brand, role).secret
    with TestClient(fastapi_app, headers={"Prefer": "wait=20"}) as client:
        yield App(client, service, drafter, secrets)
    fastapi_app.state.engine.dispose()


def test_an_approved_draft_is_kept_as_an_example_and_handed_to_the_next_draft(app: App) -> None:
    first = app.create()
    assert app.drafter.exemplars == [[]]  # nothing approved yet
    app.approve(first["id"])
    assert app.stored() == [
        ("care_message", "day3", first["stage"], first["text"], first["id"], False)
    ]
    app.create(customer_id="qs-006")  # another customer of the same brand, the same kind
    assert app.drafter.exemplars[-1] == [
        Exemplar(
            kind="care_message",
            text=str(first["text"]),
            trigger="day3",
            stage=str(first["stage"]),
            edited=False,
        )
    ]


def test_an_edited_then_approved_draft_is_kept_as_edited(app: App) -> None:
    first = app.create()
    edited_text = "周可你好，洁面用了三天，洗完摸摸脸，还紧吗？"
    r = app.client.patch(
        f"/v1/drafts/{first['id']}",
        headers=app.h("qs_operator"),
        json={"text": edited_text, "version": 1, "note": "更口语"},
    )
    assert r.status_code == 200 and r.json()["version"] == 2, r.text
    app.approve(first["id"])
    assert app.stored() == [
        ("care_message", "day3", first["stage"], edited_text, first["id"], True)
    ]
    app.create(customer_id="qs-006")
    (given,) = app.drafter.exemplars[-1]
    assert given.text == edited_text and given.edited  # the editor's words, not the model's


def test_newest_first_and_only_approved_ones(app: App) -> None:
    rejected = app.create()
    r = app.client.post(
        f"/v1/drafts/{rejected['id']}/reject",
        headers=app.h("qs_editor"),
        json={"reason": "语气不对"},
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert app.stored() == []  # a rejected draft teaches nothing
    older, newer = app.create(customer_id="qs-006"), app.create(customer_id="qs-007")
    app.approve(older["id"])
    app.approve(newer["id"])
    assert [row[4] for row in app.stored()] == [newer["id"], older["id"]]
    app.create(customer_id="qs-012")
    assert [e.text for e in app.drafter.exemplars[-1]] == [newer["text"], older["text"]]


def test_other_kinds_and_other_brands_do_not_get_it(app: App) -> None:
    first = app.create()
    app.approve(first["id"])
    app.create(kind="aftersale_email", customer_id="qs-006", trigger=None)
    assert app.drafter.exemplars[-1] == []  # an after-sale email learns from emails only
    assert app.stored(kind="aftersale_email") == []
    app.create("st_operator", customer_id="st-001")
    assert app.drafter.exemplars[-1] == []  # another brand's voice is not this one's
    assert app.stored(brand="stride") == []


def test_the_service_alone_keeps_approved_drafts(app: App) -> None:
    service = app.service
    request = DraftRequest(brand="qingshui", customer_id="qs-006", kind="care_message")
    record = service.generate("qingshui", request, as_of=dt.date(2026, 11, 23))
    assert record.current is not None
    edited = service.edit(
        "qingshui", record.id, text="许晴你好，精华用到一半了，慢慢来。", version=1, author="ed"
    )
    assert edited.current is not None and edited.current.version == 2
    service.decide("qingshui", record.id, approve=True, reviewer="ed", override_reason="ok")
    ((kind, _trigger, _stage, text, draft_id, was_edited),) = app.stored()
    assert (kind, text, draft_id, was_edited) == (
        "care_message",
        "许晴你好，精华用到一半了，慢慢来。",
        record.id,
        True,
    )
    service.draft("qingshui", request, as_of=dt.date(2026, 11, 23))
    assert [e.text for e in app.drafter.exemplars[-1]] == ["许晴你好，精华用到一半了，慢慢来。"]


def test_an_approved_email_is_kept_without_its_subject(app: App) -> None:
    email = app.create(kind="aftersale_email", customer_id="qs-006", trigger=None)
    subject = str(email["subject"])
    assert subject and str(email["text"]).startswith(subject)
    app.approve(email["id"])
    ((_kind, _trigger, _stage, text, _id, _edited),) = app.stored(kind="aftersale_email")
    assert not text.startswith(subject) and text in str(email["text"])


def test_drafts_approved_with_their_batch_teach_nothing(app: App) -> None:
    # nobody read them one by one: the model's own text must not become the brand's voice
    record = app.service.generate(
        "qingshui",
        DraftRequest(brand="qingshui", customer_id="qs-006", kind="care_message"),
        as_of=dt.date(2026, 11, 23),
    )
    app.service.decide(
        "qingshui", record.id, approve=True, reviewer="ed", reason="batch", exemplar=False
    )
    assert app.stored() == []
