"""Cross-cutting pieces every layer shares: settings, the exception tree, text helpers."""

from core.errors import (
    ConfigError,
    ConflictError,
    EmptyIndexError,
    MissingKnowledgeError,
    NotFoundError,
    PackError,
    PackProblem,
    PayloadTooLargeError,
    PermissionDeniedError,
    ProviderError,
    QueueUnavailableError,
    RateLimitedError,
    RefusedError,
    ZhenxinError,
)
from core.settings import Settings, get_settings

__all__ = [
    "ConfigError",
    "ConflictError",
    "EmptyIndexError",
    "MissingKnowledgeError",
    "NotFoundError",
    "PackError",
    "PackProblem",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "ProviderError",
    "QueueUnavailableError",
    "RateLimitedError",
    "RefusedError",
    "Settings",
    "ZhenxinError",
    "get_settings",
]
