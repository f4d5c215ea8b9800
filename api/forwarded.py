"""What we believe about a request's origin: its client address and whether it came over HTTPS.

Without a proxy, the socket says it all. Behind a reverse proxy (``trust_proxy_headers``),
the proxy's own headers are believed: ``X-Forwarded-Proto`` for the scheme and the *last*
``X-Forwarded-For`` entry for the client (the proxy appends the address it saw; anything
before it was written by the client and may be made up). Never trust these headers when the
app is reachable directly: anyone could claim any address and dodge the rate limits.
"""

from __future__ import annotations

from fastapi import Request

from core.settings import Settings


def client_ip(request: Request, settings: Settings) -> str:
    """The address the rate limits count for this request."""
    if settings.trust_proxy_headers:
        forwarded = request.headers.get("x-forwarded-for", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return request.client.host if request.client else "unknown"


def is_https(request: Request, settings: Settings) -> bool:
    """True when the browser reached us over HTTPS (so cookies may be ``Secure``)."""
    if request.url.scheme == "https":
        return True
    if settings.trust_proxy_headers:
        proto = request.headers.get("x-forwarded-proto", "")
        return proto.rsplit(",", 1)[-1].strip().lower() == "https"
    return False
