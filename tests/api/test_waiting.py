"""A second message to the same customer for the same days is flagged: the drafting service
knows the customer's other drafts (the pipeline has no store), and the pressure check warns
when a care message and an email would reach one customer on one day. Another draft of the
same kind is an alternative (a regenerate), not a second message; a rejected one is gone."""

from __future__ import annotations

import datetime as dt

from drafting.service import DraftingService
from generator.drafts import DraftRequest
from tests.api.conftest import Env

DAY = dt.date(2026, 11, 23)


def _rules(service: DraftingService, brand: str, draft_id: str) -> list[str]:
    record = service.record(brand, draft_id)
    return [f["rule"] for f in (record.generated or {}).get("findings", [])]


def _generate(service: DraftingService, brand: str, kind: str, cid: str, day: dt.date = DAY) -> str:
    request = DraftRequest(brand=brand, customer_id=cid, kind=kind)
    return service.generate(brand, request, as_of=day).id


def test_a_care_message_and_an_email_for_one_day_are_flagged(env: Env) -> None:
    service = env.service
    care = _generate(service, "qingshui", "care_message", "qs-006")
    assert "pressure.waiting" not in _rules(service, "qingshui", care)
    email = _generate(service, "qingshui", "aftersale_email", "qs-006")
    assert "pressure.waiting" in _rules(service, "qingshui", email)
    record = service.record("qingshui", email)
    found = next(f for f in record.generated["findings"] if f["rule"] == "pressure.waiting")
    assert "一天会收到两条" in found["message"] and "wechat" in found["message"]
    # another care message is flagged for the email, never for the first care message
    again = _generate(service, "qingshui", "care_message", "qs-006")
    assert "pressure.waiting" in _rules(service, "qingshui", again)
    # another customer, or a week later, is not flagged
    other = _generate(service, "qingshui", "aftersale_email", "qs-007")
    assert "pressure.waiting" not in _rules(service, "qingshui", other)
    later = _generate(service, "qingshui", "aftersale_email", "qs-006", DAY + dt.timedelta(days=7))
    assert "pressure.waiting" not in _rules(service, "qingshui", later)


def test_a_rejected_draft_is_not_waiting_and_english_says_so(env: Env) -> None:
    service = env.service
    email = _generate(service, "stride", "aftersale_email", "st-001")
    care = _generate(service, "stride", "care_message", "st-001")
    found = service.record("stride", care).generated["findings"]
    waiting = next(f for f in found if f["rule"] == "pressure.waiting")
    assert "two messages in a day" in waiting["message"]
    service.decide("stride", email, approve=False, reviewer="ed", reason="one is enough")
    care_again = _generate(service, "stride", "care_message", "st-001")
    assert "pressure.waiting" not in _rules(service, "stride", care_again)


def test_a_post_about_the_customer_is_not_a_second_message_to_them(env: Env) -> None:
    # A reader of the demo: 晓林's story post was flagged "TA 一天会收到两条" because her care
    # message and email were waiting; a community post is not sent to her, either way round.
    service = env.service
    care = _generate(service, "qingshui", "care_message", "qs-023")
    post = _generate(service, "qingshui", "user_story_post", "qs-023")
    assert "pressure.waiting" not in _rules(service, "qingshui", post)
    email = _generate(service, "qingshui", "aftersale_email", "qs-023")
    found = service.record("qingshui", email).generated["findings"]
    waiting = next(f for f in found if f["rule"] == "pressure.waiting")
    assert "另外 1 条（wechat）" in waiting["message"]  # the care message, not the post
    assert "pressure.waiting" not in _rules(service, "qingshui", care)
    en_post = _generate(service, "stride", "user_story_post", "st-019")
    en_care = _generate(service, "stride", "care_message", "st-019")
    assert "pressure.waiting" not in _rules(service, "stride", en_post)
    assert "pressure.waiting" not in _rules(service, "stride", en_care)
