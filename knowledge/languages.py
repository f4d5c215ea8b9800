"""The languages a brand writes in. ``zh`` is simplified Chinese, ``zh-Hant`` traditional
(繁體, brands in Hong Kong and Taiwan), ``en`` English.

Rules and lexicons exist in two languages: :func:`base_language` says which one a brand's
language reads with (``zh-Hant`` → ``zh``; the checks convert 繁體 text to simplified before
matching, see ``evals/normalise.py``).
"""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("zh", "zh-Hant", "en")
LANGUAGE_PATTERN = r"^(zh|zh-Hant|en)$"


def base_language(lang: str | None) -> str:
    """``en`` for English, ``zh`` for every Chinese (and anything unknown)."""
    return "en" if lang == "en" else "zh"
