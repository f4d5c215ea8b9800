"""The channel furniture around a body: SMS signature and opt-out, email footer."""

from __future__ import annotations

import pytest

from generator.compose import furnish, sms_head
from knowledge.loader import load_pack
from tests.conftest import EXAMPLES


@pytest.mark.parametrize(
    ("signature", "head"),
    [("【青水肌研】", "【青水肌研】"), ("[Stride & Co.]", "[Stride & Co.] "), ("", "")],
)
def test_an_sms_signature_in_latin_letters_is_followed_by_a_space(
    signature: str, head: str
) -> None:
    assert sms_head(signature) == head


@pytest.mark.parametrize(
    ("pack", "body", "text"),
    [
        ("qingshui", "周可你好，还顺手吗？", "【青水肌研】周可你好，还顺手吗？ 回复TD退订"),
        (
            "stride",
            "Hi Emma, how did the run feel?",
            "[Stride & Co.] Hi Emma, how did the run feel? Reply STOP to opt out",
        ),
    ],
)
def test_an_sms_carries_its_signature_and_opt_out_once(pack: str, body: str, text: str) -> None:
    brand = load_pack(EXAMPLES / pack).brand
    assert brand.sms is not None
    written = f"{brand.sms.signature}{body}"  # signed already
    signed, _ = furnish(written, brand, "sms")
    assert signed.text == text and signed.body == body
    furnished, offset = furnish(body, brand, "sms")
    assert furnished.text == text and furnished.text[offset:].startswith(body)
