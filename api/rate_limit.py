"""Throttling of key guessing, with the maintained ``limits`` library (moving windows).

Two scopes, each counting *failures only*:

- ``sign_in``  failed review-form sign-ins, per client address and per key prefix
               (``ZHENXIN_SIGN_IN_RATE_LIMIT``, default 10/minute): the prefix limit stops
               a guesser who spreads one key's guesses over many addresses;
- ``api_key``  failed API-key authentications (a key sent, but wrong or revoked), per
               client address (``ZHENXIN_API_KEY_RATE_LIMIT``, default 10/minute).

A request is checked *before* its key is looked at: while an identity is over its limit,
even the right key waits (otherwise the answers would still tell right from wrong). Over the
limit raises :class:`core.errors.RateLimitedError` (429 + ``Retry-After``).

Counts live in memory (one API process) unless ``ZHENXIN_RATE_LIMIT_STORAGE=redis``: then
in Redis at ``ZHENXIN_REDIS_URL``, shared by every process. If Redis fails, the check lets
the request through and logs an error: a broken counter must not lock every editor out.
"""

from __future__ import annotations

import logging
import time
from typing import Literal

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from core.errors import ConfigError, RateLimitedError
from core.settings import Settings

log = logging.getLogger("zhenxin.api")

Scope = Literal["sign_in", "api_key"]

_MESSAGES: dict[Scope, str] = {
    "sign_in": "登录失败次数太多，请稍后再试 / too many failed sign-ins; try again later",
    "api_key": "API 密钥验证失败次数太多，请稍后再试 / too many failed API keys; try again later",
}


class RateLimiter:
    """Failure counters per scope and identity (an address, a key prefix)."""

    def __init__(
        self,
        limits: dict[Scope, RateLimitItem],
        storage: Storage,
        *,
        storage_kind: str,
        key_prefix: str,
    ) -> None:
        self.limits = limits
        self.storage = storage
        self.storage_kind = storage_kind
        self.key_prefix = key_prefix
        self._strategy = MovingWindowRateLimiter(storage)

    def check(self, scope: Scope, *identities: str) -> None:
        """Raise :class:`RateLimitedError` if any identity is over the scope's limit."""
        item = self.limits[scope]
        wait: float | None = None
        try:
            for identity in filter(None, identities):
                if not self._strategy.test(item, scope, identity):
                    reset = self._strategy.get_window_stats(item, scope, identity).reset_time
                    wait = max(wait or 0.0, reset - time.time())
        except StorageError as exc:
            log.error("rate limit storage failed, letting the request through: %s", exc)
            return
        if wait is not None:
            raise RateLimitedError(_MESSAGES[scope], retry_after=max(wait, 1.0))

    def fail(self, scope: Scope, *identities: str) -> None:
        """Count one failure against every identity."""
        item = self.limits[scope]
        try:
            for identity in filter(None, identities):
                self._strategy.hit(item, scope, identity)
        except StorageError as exc:
            log.error("rate limit storage failed, the failure was not counted: %s", exc)

    def healthy(self) -> bool:
        try:
            return bool(self.storage.check())
        except Exception:
            return False


def _limit(name: str, value: str) -> RateLimitItem:
    try:
        return parse(value)
    except ValueError:
        raise ConfigError(
            f"bad rate limit {name}={value!r} / 限流设置写错了",
            hint="write it like '10/minute' or '100/hour'",
        ) from None


def build_limiter(settings: Settings, *, key_prefix: str = "zhenxin-limits") -> RateLimiter:
    """The limiter the settings ask for (memory by default, Redis when asked)."""
    limits: dict[Scope, RateLimitItem] = {
        "sign_in": _limit("ZHENXIN_SIGN_IN_RATE_LIMIT", settings.sign_in_rate_limit),
        "api_key": _limit("ZHENXIN_API_KEY_RATE_LIMIT", settings.api_key_rate_limit),
    }
    storage: Storage
    if settings.rate_limit_storage == "redis":
        # Connects lazily; short timeouts so a Redis outage cannot stall a sign-in.
        storage = RedisStorage(
            settings.redis_url,
            key_prefix=key_prefix,
            wrap_exceptions=True,
            socket_connect_timeout=2,
            socket_timeout=2,
        )
    else:
        storage = MemoryStorage(wrap_exceptions=True)
    return RateLimiter(
        limits, storage, storage_kind=settings.rate_limit_storage, key_prefix=key_prefix
    )


__all__ = ["RateLimiter", "Scope", "build_limiter"]
