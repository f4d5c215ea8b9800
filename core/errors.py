"""The exception tree of zhenxin.

Every error we raise on purpose derives from ``ZhenxinError``; the CLI turns one into a
single clear line and exit code 2, the HTTP API into a JSON body and ``http_status``.

    ZhenxinError
    ├── ConfigError              settings that cannot work (bad provider name, missing model)
    ├── PackError                a brand pack that does not validate (carries every problem)
    ├── NotFoundError            unknown brand, customer, draft, batch, document
    ├── EmptyIndexError          a brand whose knowledge was never ingested
    ├── MissingKnowledgeError    the knowledge a draft needs is absent (no usage guide, ...)
    ├── RefusedError             we will not do it: opted-out customer, story without consent
    ├── PermissionDeniedError    the caller's role may not do this
    ├── ConflictError            a stale version was edited, a state change is not allowed
    ├── PayloadTooLargeError     text or upload over the limit
    ├── RateLimitedError         too many requests (failed sign-ins, a provider's 429) or a
    │                            full job queue: try again after ``retry_after`` seconds
    ├── QueueUnavailableError    the queue's broker (Redis) cannot take messages now
    └── ProviderError            the model or embedding service failed or timed out
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class ZhenxinError(Exception):
    """Base of every error zhenxin raises on purpose."""

    http_status: int = 400
    exit_code: int = 2
    code: str = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        return body


class ConfigError(ZhenxinError):
    http_status = 500
    code = "config_error"


@dataclass(frozen=True)
class PackProblem:
    """One problem in a brand pack: where it is, what is wrong, how to fix it."""

    file: str
    location: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.location}" if self.location else self.file
        tail = f" — {self.hint}" if self.hint else ""
        return f"{where}: {self.message}{tail}"


class PackError(ZhenxinError):
    http_status = 422
    code = "invalid_pack"

    def __init__(self, problems: list[PackProblem], *, pack: str = "") -> None:
        self.problems = list(problems)
        head = f"brand pack {pack!r} is invalid" if pack else "brand pack is invalid"
        super().__init__(f"{head}: {len(self.problems)} problem(s)")

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  {p}" for p in self.problems)])

    def to_dict(self) -> dict[str, object]:
        body = super().to_dict()
        body["problems"] = [
            {"file": p.file, "location": p.location, "message": p.message, "hint": p.hint}
            for p in self.problems
        ]
        return body


class NotFoundError(ZhenxinError):
    http_status = 404
    code = "not_found"


class EmptyIndexError(ZhenxinError):
    http_status = 409
    code = "empty_index"


class MissingKnowledgeError(ZhenxinError):
    http_status = 422
    code = "missing_knowledge"


class RefusedError(ZhenxinError):
    http_status = 422
    code = "refused"


class PermissionDeniedError(ZhenxinError):
    http_status = 403
    code = "forbidden"


class ConflictError(ZhenxinError):
    http_status = 409
    code = "conflict"


class PayloadTooLargeError(ZhenxinError):
    http_status = 413
    code = "too_large"


class RateLimitedError(ZhenxinError):
    """Too many requests — failures from one client or against one key, a provider
    answering 429 — or a full job queue. ``retry_after`` is the seconds to wait, when known;
    the HTTP API answers 429 with a ``Retry-After`` header (whole seconds, at least 1)."""

    http_status = 429
    code = "rate_limited"

    def __init__(
        self, message: str, *, retry_after: float | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = None if retry_after is None else float(retry_after)

    @property
    def retry_after_seconds(self) -> int | None:
        """``retry_after`` as the whole seconds of a ``Retry-After`` header (at least 1)."""
        return None if self.retry_after is None else max(1, math.ceil(self.retry_after))

    def to_dict(self) -> dict[str, object]:
        body = super().to_dict()
        if self.retry_after_seconds is not None:
            body["retry_after"] = self.retry_after_seconds
        return body


class QueueUnavailableError(ZhenxinError):
    """The queue's broker (Redis) did not take the messages; nothing was lost: the items
    stay pending and a later run sends them again."""

    http_status = 503
    code = "queue_unavailable"


class ProviderError(ZhenxinError):
    http_status = 502
    code = "provider_error"
