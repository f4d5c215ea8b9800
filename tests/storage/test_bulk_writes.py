"""The bulk paths (import_many in chunks, events applied a chunk at a time) do exactly what
one-at-a-time writes did: opt-outs kept, a customer twice in one import, the last wins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.settings import Settings
from drafting import customers as customer_store
from drafting.customers import CustomerStore
from knowledge.pack import Customer
from storage import consent, contacts
from storage.brands import ensure_brand
from storage.db import open_database
from storage.models import BrandRow, ConsentRow, CustomerRow


def test_import_many_across_chunks_keeps_opt_outs_and_the_last_record(
    settings: Settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(customer_store, "IMPORT_CHUNK", 3)
    _, sessions = open_database(settings)
    store = CustomerStore(sessions)
    people = [Customer(id=f"c{i}", name=f"n{i}", stage="初识") for i in range(7)]
    assert store.import_many("b", people, brand=None, source="pack") == 7
    store.set_consent("b", "c1", opted_out=True, actor="op", admin=False)
    again = [
        Customer(id="c1", name="still out", stage="相知"),  # says nothing of consent
        Customer(id="c2", name="out now", stage="初识", opted_out=True),
        Customer(id="c9", name="new", stage="初识"),
        Customer(id="c9", name="new, twice", stage="初识", opted_out=True),
        Customer(id="c3", name="renamed", stage="初识"),
    ]
    assert store.import_many("b", again, brand=None, source="pack") == 5
    assert store.get("b", "c1").opted_out and store.get("b", "c1").name == "still out"
    assert store.get("b", "c1").stage == "getting_to_know"
    assert store.get("b", "c2").opted_out
    nine = store.get("b", "c9")
    assert nine.name == "new, twice" and nine.opted_out
    assert store.get("b", "c3").name == "renamed" and not store.get("b", "c3").opted_out
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CustomerRow)) == 8
        outs = s.scalars(select(ConsentRow.customer_id).order_by(ConsentRow.id)).all()
        assert outs == ["c1", "c2", "c9"]  # one opt-out each, none recorded twice
        assert consent.current_many(s, "b", ["c1", "c3", "c9"]) == {
            "c1": consent.OPTED_OUT,
            "c9": consent.OPTED_OUT,
        }


def test_bulk_contacts_and_held_brand_rows(settings: Settings) -> None:
    _, sessions = open_database(settings)
    day = dt.date(2026, 11, 2)
    with sessions.begin() as s:
        assert ensure_brand(s, "b") is ensure_brand(s, "b")
        n = contacts.record_contacts(
            s,
            "b",
            [
                {"customer_id": "c1", "channel": "wechat", "purpose": "care", "date": day},
                {"customer_id": "c1", "channel": "sms", "purpose": "sales", "date": day},
            ],
        )
        assert n == 2 and contacts.record_contacts(s, "b", []) == 0
    with sessions() as s:
        logged = contacts.history(s, "b", "c1")
    assert [(c.channel.value, c.purpose) for c in logged] == [("wechat", "care"), ("sms", "sales")]
    # a brand row added by a transaction that rolled back is not handed out again
    s = sessions()
    try:
        ensure_brand(s, "gone")
        s.rollback()
        row = ensure_brand(s, "gone")
        s.commit()
        assert row in s
    finally:
        s.close()
    with sessions() as s:
        assert s.get(BrandRow, "gone") is not None
