"""Small pieces of the review form: the zh/en dictionary, span segmentation, the char diff,
the session cookie."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from api.routes.review import char_diff
from api.web_auth import csrf_ok, new_session
from api.web_highlight import segments, worst
from api.web_i18n import MESSAGES, t
from evals.types import Finding, Severity, Verdict
from generator.drafts import ContentKind, Trigger
from knowledge.pack import Channel, DocKind
from storage.drafts import DRAFT_STATUSES

TEMPLATES = Path(__file__).resolve().parents[2] / "api" / "templates" / "review"


def f(start: int, end: int, severity: Severity = Severity.WARN, rule: str = "r") -> Finding:
    return Finding(rule=rule, severity=severity, start=start, end=end, message="m")


def test_every_message_has_chinese_and_english() -> None:
    for key, (zh, en) in MESSAGES.items():
        assert zh.strip() and en.strip(), key
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key
    assert t("approve", "zh") == "通过" and t("approve", "en") == "Approve"
    assert t("saved", "en", n=3) == "Saved as version 3."


def test_templates_use_only_known_keys() -> None:
    used: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["'](\w+)["']\s*[,)]""", path.read_text("utf-8")))
    assert len(used) > 20, used
    assert used <= set(MESSAGES), used - set(MESSAGES)


def test_every_enum_value_has_a_label() -> None:
    """Templates build keys such as ``"verdict_" ~ value``: every value needs its entry."""
    families = {
        "kind": [k.value for k in ContentKind],
        "verdict": [v.value for v in Verdict],
        "severity": [s.value for s in Severity],
        "status": list(DRAFT_STATUSES),
        "channel": [c.value for c in Channel],
        "trigger": [tr.value for tr in Trigger],
        "doc_kind": [d.value for d in DocKind],
    }
    for prefix, values in families.items():
        for value in values:
            assert f"{prefix}_{value}" in MESSAGES, (prefix, value)


def test_segments_cover_the_text_and_split_overlaps() -> None:
    text = "仅限今天回购立减50元"
    findings = [f(0, 4, Severity.ERROR, "urgency"), f(2, 8, Severity.WARN, "discount")]
    segs = segments(text, findings)
    assert "".join(s.text for s in segs) == text
    assert [s.text for s in segs] == ["仅限", "今天", "回购立减", "50元"]
    assert [sorted(i for i, _ in s.findings) for s in segs] == [[0], [0, 1], [1], []]
    assert segs[1].severity == "error"  # the worst covering finding wins the colour
    assert segs[2].severity == "warn"


def test_segments_clip_bad_spans_and_keep_plain_text() -> None:
    text = "Hello there"
    segs = segments(text, [f(6, 99), f(5, 2), f(-3, 0)])
    assert "".join(s.text for s in segs) == text
    assert [s.text for s in segs if s.findings] == ["there"]
    assert segments("", [f(0, 1)]) == []
    assert segments("abc", []) == segments("abc", [f(1, 1)])


def test_worst_is_highest_severity_then_earliest() -> None:
    assert worst([]) is None
    findings = [f(5, 6, Severity.INFO), f(9, 10, Severity.ERROR), f(1, 2, Severity.ERROR)]
    top = worst(findings)
    assert top is not None and top.start == 1 and top.severity == "error"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("仅限今天回购", "回购", [("del", "仅限今天"), ("eq", "回购")]),
        (
            "Feed it daily",
            "Feed it twice daily",
            [("eq", "Feed it "), ("ins", "twice "), ("eq", "daily")],
        ),
        ("same", "same", [("eq", "same")]),
    ],
)
def test_char_diff(old: str, new: str, expected: list[tuple[str, str]]) -> None:
    ops = char_diff(old, new)
    assert ops == expected
    assert "".join(t for op, t in ops if op != "ins") == old
    assert "".join(t for op, t in ops if op != "del") == new


def test_csrf_tokens_are_random_and_compared_exactly() -> None:
    a, b = new_session("1", "x", "editor", "n"), new_session("1", "x", "editor", "n")
    assert a.csrf != b.csrf and len(a.csrf) >= 24
    assert csrf_ok(a, a.csrf)
    assert not csrf_ok(a, b.csrf) and not csrf_ok(a, "") and not csrf_ok(a, None)


def test_weak_session_secrets_are_refused_and_cookies_follow_secure(tmp_path: Path) -> None:
    from fastapi import Response

    from api.web_auth import write_session
    from core.errors import ConfigError
    from core.settings import Settings

    session = new_session("1", "x", "editor", "n", token="t" * 43)
    for environment in ("development", "production"):
        weak = Settings(
            data_dir=tmp_path,
            environment=environment,
            session_secret=SecretStr("dev-only-change-me"),
        )
        with pytest.raises(ConfigError, match="session secret"):
            write_session(Response(), weak, session, secure=True)
    strong = weak.model_copy(update={"session_secret": SecretStr("s" * 40)})
    for secure in (True, False):
        response = Response()
        write_session(response, strong, session, secure=secure)
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert ("Secure" in cookie) is secure
