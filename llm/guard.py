"""A global switch that forbids real model calls (like pydantic-ai's ``ALLOW_MODEL_REQUESTS``).

Fast tests set ``ZHENXIN_ALLOW_MODEL_REQUESTS=0`` (an autouse fixture in ``tests/conftest.py``),
so a test that forgot to use the fake model fails loudly instead of loading a 1 GB model or
calling a paid API. Real providers call :func:`check_model_requests_allowed` before every
request (and before loading a local model); the fake model never does.
"""

from __future__ import annotations

import os

from core.errors import ConfigError

ALLOW_MODEL_REQUESTS_ENV = "ZHENXIN_ALLOW_MODEL_REQUESTS"

_FALSE = {"0", "false", "no", "off"}


def model_requests_allowed() -> bool:
    """True unless ``ZHENXIN_ALLOW_MODEL_REQUESTS`` is set to 0/false/no/off (read each call)."""
    return os.environ.get(ALLOW_MODEL_REQUESTS_ENV, "1").strip().lower() not in _FALSE


def check_model_requests_allowed(provider: str) -> None:
    """Raise :class:`ConfigError` when real model requests are switched off."""
    if not model_requests_allowed():
        raise ConfigError(
            f"real model requests are disabled ({ALLOW_MODEL_REQUESTS_ENV}=0); "
            f"refusing to call the {provider!r} provider",
            hint='use llm="fake" (llm.fake.FakeLLM) in fast tests',
        )
