"""Who is asking, and how fast: callers identified without the database, and token buckets.

A signed-in user is known by a valid bearer token (verified once, then recognised until it
expires), an API key by its hash, anyone else by the client's address. Each caller has a
token bucket that refills continuously; the buckets live in this process.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from authz import tokens
from domain.access.apikeys import KEY_PREFIX
from domain.access.errors import AuthenticationError

Scope = MutableMapping[str, Any]
SWEEP_AT = 10_000  # buckets kept before the full (idle) ones are dropped


@dataclass(frozen=True)
class Rate:
    """A token bucket's refill (requests per second) and size (the burst)."""

    per_second: float
    burst: int

    @classmethod
    def parse(cls, name: str, raw: str) -> Rate | None:
        """`"RATE"` or `"RATE,BURST"` (burst default: twice the rate); `0` or `off`: no limit."""
        text = raw.strip().lower()
        if text in ("0", "off", "none"):
            return None
        rate, _, burst = text.partition(",")
        try:
            per_second = float(rate)
            size = int(burst) if burst.strip() else max(1, math.ceil(per_second * 2))
        except ValueError:
            per_second, size = -1.0, 0
        if not (per_second > 0 and math.isfinite(per_second)) or size < 1:
            raise ValueError(f"{name} must be RATE or RATE,BURST (e.g. 50,200) or off; got {raw!r}")
        return cls(per_second, size)


class Buckets:
    """Token buckets by caller; a bucket refills continuously and is dropped once full."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, as of)

    def take(self, caller: str, now: float) -> float:
        """0 when the caller may go on (one token taken), else the seconds until it may."""
        tokens_, since = self._buckets.get(caller, (float(self.rate.burst), now))
        tokens_ = min(float(self.rate.burst), tokens_ + (now - since) * self.rate.per_second)
        if tokens_ < 1:
            self._buckets[caller] = (tokens_, now)
            return (1 - tokens_) / self.rate.per_second
        if len(self._buckets) >= SWEEP_AT:
            self._sweep(now)
        self._buckets[caller] = (tokens_ - 1, now)
        return 0.0

    def _sweep(self, now: float) -> None:
        full = self.rate.burst / self.rate.per_second  # seconds for an empty bucket to refill
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full}


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return bytes(value).decode("latin-1")
    return None


_verified: dict[str, tuple[str, float]] = {}  # token -> its subject, until it expires


def _subject_of_token(token: str) -> str | None:
    """The subject of a valid token; a token seen before costs a lookup, not a verification."""
    now = time.time()
    known = _verified.get(token)
    if known is not None and known[1] > now:
        return known[0]
    try:
        claims = tokens.verify_token(token, now=datetime.now(UTC))
    except (AuthenticationError, ValueError):
        return None  # refused later by authentication; limited as its address meanwhile
    if len(_verified) >= SWEEP_AT:
        _verified.clear()
    subject = f"{claims.issuer}:{claims.sub}"
    _verified[token] = (subject, claims.exp.timestamp())
    return subject


def caller_of(scope: Scope) -> tuple[str, str]:
    """Who asks, cheaply: ("user", id) for a valid bearer token, ("api key", its hash's start)
    for an API key, else ("address", the client's address). No database statement."""
    auth = header(scope, b"authorization") or ""
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        subject = _subject_of_token(token.strip())
        if subject is not None:
            return "user", subject
    key = (header(scope, b"x-api-key") or "").strip()
    if key.startswith(KEY_PREFIX):
        return "api key", hashlib.sha256(key.encode()).hexdigest()[:24]
    client = scope.get("client")
    return "address", str(client[0]) if client else "unknown"
