"""Customer personal data (phone numbers, addresses, e-mail) never reaches the logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from core.pii import MASK, PiiFilter, install_pii_masking, mask_pii

PII = [
    "13812345678",
    "+86 138 1234 5678",
    "138-1234-5678",
    "010-12345678",
    "0755 1234 5678",
    "+44 20 7946 0958",
    "(555) 123-4567",
    "lin.xiaoyu@example.com",
    "上海市徐汇区漕溪北路88号",
    "浙江省杭州市西湖区文三路478号华星时代广场A座1201室",
    "北京市朝阳区建国路93号",
    "221B Baker Street",
    "1600 Pennsylvania Avenue",
]


@pytest.mark.parametrize("value", PII)
def test_mask_pii(value: str) -> None:
    masked = mask_pii(f"客户 customer: {value} 。")
    assert value not in masked and MASK in masked


@pytest.mark.parametrize(
    "text",
    [
        "修护精华用到第三天了，早晚各一次、两泵就够。",
        "Run 5 km three times a week.",
        "2026-11-20 purchase, order 20261120",
        "draft 0ecfa1b7674b459fbc542c40a297803e v2",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert mask_pii(text) == text


def test_every_logger_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    install_pii_masking()
    install_pii_masking()  # idempotent
    with caplog.at_level(logging.INFO):
        logging.getLogger("uvicorn.access").info(
            "call %s at %s", "13812345678", "上海市徐汇区漕溪北路88号"
        )
        logging.getLogger("somewhere.else").warning("mail lin@example.com")
    text = caplog.text
    assert "13812345678" not in text and "漕溪北路88号" not in text
    assert "lin@example.com" not in text and text.count(MASK) == 3


def test_filter_for_foreign_handlers() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "phone %s", ("13912345678",), None)
    assert PiiFilter().filter(record) is True
    assert record.getMessage() == f"phone {MASK}"


def test_tracebacks_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    install_pii_masking()
    try:
        raise ValueError("bad input_value='13712345678' for 上海市徐汇区漕溪北路88号")
    except ValueError:
        logging.getLogger("zhenxin.api").exception("failed")
    assert "ValueError" in caplog.text
    assert "13712345678" not in caplog.text and "漕溪北路88号" not in caplog.text


def test_uvicorn_access_log_still_formats(caplog: pytest.LogCaptureFixture) -> None:
    from uvicorn.logging import AccessFormatter

    install_pii_masking()
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            "/v1/knowledge/search?q=13812345678",
            "1.1",
            200,
        )
    record = caplog.records[-1]
    line = AccessFormatter(use_colors=False).format(record)
    assert "GET" in line and "200" in line and "13812345678" not in line


def test_cli_and_worker_logs_are_masked_too(caplog: pytest.LogCaptureFixture) -> None:
    """The API process masked its logs; the CLI and the Dramatiq workers did not."""
    from cli.main import run

    assert run(["version"]) == 0  # the CLI installs the masking at start
    with caplog.at_level(logging.WARNING, logger="zhenxin.batch"):
        logging.getLogger("zhenxin.batch").warning(
            "item failed for %s (ID %s, wechat %s)",
            "13812345678",
            "110105199003071234",
            "微信号 lin_xiaoyu88",
        )
    text = caplog.records[-1].getMessage()
    assert "13812345678" not in text and "110105199003071234" not in text
    assert "lin_xiaoyu88" not in text and text.count(MASK) == 3
    worker = Path(__file__).resolve().parents[2] / "batch" / "worker.py"
    assert "install_pii_masking()" in worker.read_text(encoding="utf-8")


@pytest.mark.parametrize("value", ["110105199003071234", "11010519900307123X", "110105900307123"])
def test_id_card_numbers_are_masked(value: str) -> None:
    assert value not in mask_pii(f"身份证号 {value}，请核对")


def test_order_numbers_and_dates_are_not_id_cards() -> None:
    text = "订单号 20261203123456，2026-11-23 第3天"
    assert mask_pii(text) == text
