"""Events in: validation, files, idempotency, per-item errors, and what each event means for
the customer (orders, consent, contact log). zh first, en second."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest

from flywheel.events import Event, EventType, criticises, validate
from flywheel.service import FlywheelService
from storage import consent
from tests.flywheel.conftest import customer, ev, make_pack

Make = Callable[..., FlywheelService]


@pytest.mark.parametrize(
    "text",
    [
        "用了两周两颊反而更红了，有点失望",
        "鞋跟开胶了，想退货",
        "I'm disappointed, it broke after a week",
        "The heel gives me a blister after 5 km",
    ],
)
def test_criticism_is_marked(text: str) -> None:
    assert criticises(text)
    event = Event.model_validate(ev("e", "c", "replied", "2026-11-01", text=text))
    assert event.is_criticism


@pytest.mark.parametrize(
    "text",
    [
        "请问晚上用完精华还要用面霜吗？",
        "两颊不那么红了，谢谢阿青",
        "Loved the first 10K in them!",
        "Should I rotate them with my old pair?",
    ],
)
def test_praise_and_questions_are_not_criticism(text: str) -> None:
    assert not criticises(text)
    assert not Event.model_validate(ev("e", "c", "replied", "2026-11-01", text=text)).is_criticism


def test_a_complaint_is_criticism_and_a_mark_overrides_the_words() -> None:
    assert Event.model_validate(ev("e", "c", "complaint", "2026-11-01")).is_criticism
    marked = Event.model_validate(ev("e", "c", "replied", "2026-11-01", text="ok", criticism=True))
    assert marked.is_criticism


def test_times_dates_and_zones() -> None:
    e = Event.model_validate(ev("e", "c", "sent", "2026-11-01"))
    assert e.at == dt.datetime(2026, 11, 1)
    e = Event.model_validate(ev("e", "c", "sent", "2026-11-01T08:30:00+08:00"))
    assert e.at == dt.datetime(2026, 11, 1, 0, 30)  # stored as naive UTC


def test_bad_items_say_what_is_wrong() -> None:
    good, bad = validate(
        [
            ev("ok", "c", "sent", "2026-11-01"),
            ev("p", "c", "purchased", "2026-11-01"),  # no product
            ev("t", "c", "clicked", "2026-11-01"),  # unknown type
            {"customer_id": "c", "type": "sent", "at": "2026-11-01"},  # no id
            ev("d", "c", "sent", "yesterday"),
        ]
    )
    assert [e.id for e in good] == ["ok"]
    assert [(b.index, b.id) for b in bad] == [(1, "p"), (2, "t"), (3, None), (4, "d")]
    assert "product" in bad[0].error and "type" in bad[1].error and "id" in bad[2].error


def test_posting_the_same_batch_twice_counts_once(make_flywheel: Make) -> None:
    pack = make_pack("zh", [customer("qs-1", bought=["2026-10-01"])])
    fw = make_flywheel(pack)
    batch = [
        ev("e1", "qs-1", "sent", "2026-10-04", kind="care_message", trigger="day3"),
        ev("e2", "qs-1", "replied", "2026-10-05", text="好用"),
        ev("e3", "qs-1", "purchased", "2026-10-20", product="serum"),
        ev("e3", "qs-1", "purchased", "2026-10-20", product="serum"),  # twice in one batch
    ]
    first = fw.ingest("qingshui", batch)
    assert (first.accepted, first.duplicates, first.rejected) == (3, 1, [])
    again = fw.ingest("qingshui", batch)
    assert (again.accepted, again.duplicates, again.stage_changes) == (0, 4, [])
    bought = fw.drafting.customers.get("qingshui", "qs-1").purchases
    assert [p.date for p in bought] == [dt.date(2026, 10, 1), dt.date(2026, 10, 20)]
    with fw.sessions() as s:
        from storage.events import count

        assert count(s, "qingshui") == 3


def test_bad_items_are_reported_and_the_rest_kept(make_flywheel: Make) -> None:
    fw = make_flywheel(make_pack("zh", [customer("qs-1")]), make_pack("en", [customer("sb-1")]))
    result = fw.ingest(
        "qingshui",
        [
            ev("a", "qs-1", "delivered", "2026-11-01"),
            ev("b", "qs-1", "purchased", "2026-11-01"),
            ev("c", "sb-1", "sent", "2026-11-01"),  # another brand's customer: unknown here
            ev("d", "qs-9", "sent", "2026-11-01"),
            ev("e", "qs-1", "sent", "2026-11-02"),
        ],
    )
    assert result.accepted == 2
    assert [(r.index, r.id) for r in result.rejected] == [(1, "b"), (2, "c"), (3, "d")]
    assert "unknown customer 'sb-1'" in result.rejected[1].error


def test_unsubscribe_goes_into_the_consent_record(make_flywheel: Make) -> None:
    fw = make_flywheel(make_pack("en", [customer("sb-1"), customer("sb-2")]))
    result = fw.ingest(
        "slowbrew",
        [
            ev("u1", "sb-1", "unsubscribed", "2026-11-03"),
            ev("o1", "sb-2", "opted_out", "2026-11-03"),
            ev("o2", "sb-2", "opted_out", "2026-11-04"),
        ],
    )
    assert result.opted_out == ["sb-1", "sb-2"]
    for cid in ("sb-1", "sb-2"):
        assert fw.drafting.customers.get("slowbrew", cid).opted_out
    history = fw.drafting.customers.consent_history("slowbrew", "sb-2")
    assert len(history) == 1  # the second opt-out changes nothing
    assert history[0].source == "event" and "o1" in history[0].reason
    with fw.sessions() as s:
        assert consent.current(s, "slowbrew", "sb-1") == consent.OPTED_OUT


def test_a_send_from_another_tool_joins_the_contact_log(make_flywheel: Make) -> None:
    fw = make_flywheel(make_pack("zh", [customer("qs-1")]))
    fw.ingest("qingshui", [ev("s1", "qs-1", "sent", "2026-11-10", kind="care_message")])
    logged = fw.drafting.customers.get("qingshui", "qs-1").last_contacts
    assert [(c.date, c.purpose) for c in logged] == [(dt.date(2026, 11, 10), "care")]


def test_concurrent_posts_of_the_same_events_store_each_once(make_flywheel: Make) -> None:
    fw = make_flywheel(make_pack("zh", [customer("qs-1")]))
    batch = [ev(f"e{i}", "qs-1", "delivered", "2026-11-01") for i in range(200)]
    results = []

    def post() -> None:
        results.append(fw.ingest("qingshui", batch))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(r.accepted for r in results) == 200
    assert sum(r.duplicates for r in results) == 600


def test_event_types_are_the_documented_ones() -> None:
    assert [t.value for t in EventType] == [
        "sent",
        "delivered",
        "replied",
        "purchased",
        "unsubscribed",
        "opted_out",
        "complaint",
        "held_out",
    ]
