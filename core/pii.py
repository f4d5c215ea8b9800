"""Keep customer personal data out of logs and prompts: phone numbers, e-mail and street
addresses, WeChat ids and ID-card numbers are masked in every log record, whichever logger or
handler it goes to — in the API, the CLI and the batch workers alike — and
:func:`contains_pii` keeps them out of what a prompt says about a customer.

:func:`install_pii_masking` wraps the log-record factory once per process, so records are
masked before any handler (uvicorn's, pytest's, a file's) sees them. :class:`PiiFilter` does
the same as a filter for handlers configured elsewhere.
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "[redacted]"

_PATTERNS = [
    # mainland resident ID cards: 18 digits (the last may be X) or the old 15, with a
    # birth date inside; before the phone patterns, which would take a piece of one
    re.compile(
        r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
        r"\d{3}[\dXx](?![0-9A-Za-z])"
    ),
    re.compile(r"(?<!\d)[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?!\d)"),
    # WeChat ids written after a label: 微信号 wxid_abc123, 加V: lin_2024, wechat: lin88
    re.compile(
        r"(?:微信号?|weixin|wechat|vx|v信|加v|加V|wxid)\s*[:：]?\s*[A-Za-z][-_A-Za-z0-9]{4,19}",
        re.IGNORECASE,
    ),
    # e-mail addresses
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    # mainland mobile numbers, optionally +86 / 86, with spaces or dashes: 138 1234 5678
    re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)"),
    # landlines 010-12345678, 0755 1234 5678
    re.compile(r"(?<!\d)0\d{2,3}[\s-]\d{3,4}[\s-]?\d{4}(?!\d)"),
    # international numbers: +44 20 7946 0958, (555) 123-4567, 555-123-4567
    re.compile(r"\+\d{1,3}[\s-]?(?:\(?\d{1,4}\)?[\s-]?){2,5}\d{2,4}"),
    re.compile(r"(?<!\d)\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)"),
    # Chinese addresses: ...省/市/区/县 ... 路/街/巷/弄/道 ... 号 (室/楼/单元)
    re.compile(
        r"[\u4e00-\u9fa5]{2,12}(?:省|市|自治区)?[\u4e00-\u9fa5]{0,12}(?:市|区|县|镇)"
        r"[\u4e00-\u9fa5\dA-Za-z]{0,20}(?:路|街|巷|弄|道|大道|胡同)"
        r"[\u4e00-\u9fa5\dA-Za-z\-#]{0,20}号(?:[\u4e00-\u9fa5\dA-Za-z\-#]{0,12}(?:室|楼|单元|层))?"
    ),
    re.compile(r"[\u4e00-\u9fa5]{1,20}(?:路|街|巷|弄|大道)\d{1,5}号(?:[\d\-]{1,8}(?:室|楼))?"),
    # English street addresses: 221B Baker Street, 1600 Pennsylvania Ave NW
    re.compile(
        r"\b\d{1,6}[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){1,4}"
        r"(?:Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct)\b\.?"
    ),
]


def contains_pii(text: str) -> bool:
    """True when ``text`` holds a phone number, an e-mail or street address, a WeChat id or
    an ID-card number."""
    return any(p.search(text) for p in _PATTERNS)


def mask_pii(text: str) -> str:
    """``text`` with phone numbers, e-mail and street addresses replaced by ``[redacted]``."""
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text


def _mask_arg(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value  # numbers keep their type (%d, %.1f)
    return mask_pii(value if isinstance(value, str) else str(value))


def _mask_record(record: logging.LogRecord) -> None:
    """Mask the format string and each argument in place, keeping the record's shape
    (formatters such as uvicorn's access log unpack ``record.args``)."""
    if getattr(record, "_zhenxin_masked", False):
        return
    if isinstance(record.msg, str):
        record.msg = mask_pii(record.msg)
    else:
        record.msg = mask_pii(str(record.msg))
    if isinstance(record.args, tuple):
        record.args = tuple(_mask_arg(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _mask_arg(v) for k, v in record.args.items()}
    if record.exc_info and not record.exc_text:
        # Tracebacks quote values (a validation error shows the input): format and mask now;
        # formatters reuse ``exc_text`` when it is set.
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_pii(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_pii(record.stack_info)
    record._zhenxin_masked = True  # type: ignore[attr-defined]


class PiiFilter(logging.Filter):
    """A logging filter that masks personal data in the record (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_record(record)
        return True


def install_pii_masking() -> None:
    """Mask personal data in every log record created from now on (idempotent). The API,
    the CLI and the Dramatiq workers call it at start."""
    current = logging.getLogRecordFactory()
    if getattr(current, "_zhenxin_pii", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _mask_record(record)
        return record

    factory._zhenxin_pii = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
