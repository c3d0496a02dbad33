"""Per-client rate limits on the public endpoints (``TESSERA_RATE_LIMIT``, e.g. ``600/minute``).

GCRA (the generic cell rate algorithm): each client may send ``limit`` requests per ``period``
with bursts up to ``limit``; one timestamp per client, kept in this process. Over the limit,
429 with ``Retry-After``. Registrar endpoints are authenticated and not limited here.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from issuer.errors import IssuerErrorCode
from verifier.web.problem_response import send_problem

PUBLIC_PREFIXES = (
    "/api/v1/verify",
    "/verify",
    "/v/",
    "/c",  # packed QR links (/c#...); /credentials/{id}/status and /compromised-keys.json,
    # and the VC-API's /credentials/issue, /credentials/status and /credentials/verify
    "/presentations/",  # the VC-API's /presentations/verify
    "/s/",  # holder share pages and their files
    "/status/",
    "/.well-known/",
    "/oid4vci/",  # wallets: offers, token, nonce and credential endpoints
    "/achievements/",
    "/keys/",
    "/units/",
    "/types/",  # SD-JWT VC type metadata
    "/issuer",  # the issuer's profile and logo
    "/qr-packing/",
    "/ask",  # an employer's presentation requests, their results and QR codes
    "/api/v1/presentation-requests",
    "/oid4vp/",  # the wallet's side of a presentation request
)


def is_rate_limited(path: str) -> bool:
    """True for the public paths (and path templates) the per-client limit applies to."""
    return path == "/" or path.startswith(PUBLIC_PREFIXES)


_PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
_MAX_CLIENTS = 100_000


def parse_rate(text: str) -> tuple[int, float] | None:
    """``"600/minute"`` -> (600, 60.0); ``"off"`` -> None."""
    if text == "off":
        return None
    count, _, unit = text.partition("/")
    return int(count), _PERIODS[unit]


class RateLimiter:
    """Decides, per client key, whether one more request fits the rate."""

    def __init__(
        self, limit: int, period: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval = period / limit
        self._period = period
        self._clock = clock
        self._tat: dict[str, float] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        """0 if the request may proceed (and count it), else seconds to wait."""
        now = self._clock()
        with self._lock:
            tat = max(self._tat.get(key, now), now)
            new_tat = tat + self._interval
            if new_tat - now > self._period:
                return new_tat - now - self._period
            if len(self._tat) >= _MAX_CLIENTS:
                self._tat = {k: v for k, v in self._tat.items() if v > now}
            self._tat[key] = new_tat
            return 0.0


class RateLimitMiddleware:
    """Answer 429 to a client over its rate on the public endpoints."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not is_rate_limited(path):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.limiter.retry_after(client[0] if client else "unknown")
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        seconds = max(1, math.ceil(wait))
        await send_problem(
            send,
            429,
            "Too many requests",
            f"retry in {seconds} s",
            IssuerErrorCode.RATE_LIMITED,
            headers=[(b"retry-after", str(seconds).encode())],
        )
