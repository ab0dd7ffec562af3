"""Who is asking, and how fast: callers identified without the database, and token buckets.

A signed-in user is known by a valid bearer token (verified once, then recognised until it
expires), an API key by its hash once this process has seen it verified, anyone else by the
client's address. A key not yet verified counts as its address: random keys must not buy a
bucket each. Each caller has a token bucket that refills continuously; the buckets live in
this process, at most `KEPT` of them, the least recently used dropped first.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from authz import tokens
from domain.access.apikeys import KEY_PREFIX
from domain.access.errors import AuthenticationError

Scope = MutableMapping[str, Any]
KEPT = 10_000  # buckets, verified tokens and verified keys kept per process
KEY_SECONDS = 600.0  # a verified key is recognised this long without the database


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
    """Token buckets by caller; a bucket refills continuously. Past `KEPT` callers the least
    recently seen is dropped (in constant time): it comes back full, as it would have been
    soon, while every caller still sending keeps its bucket."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # (tokens, as of)

    def take(self, caller: str, now: float) -> float:
        """0 when the caller may go on (one token taken), else the seconds until it may."""
        tokens_, since = self._buckets.pop(caller, (float(self.rate.burst), now))
        tokens_ = min(float(self.rate.burst), tokens_ + (now - since) * self.rate.per_second)
        while len(self._buckets) >= KEPT:
            self._buckets.popitem(last=False)
        if tokens_ < 1:
            self._buckets[caller] = (tokens_, now)
            return (1 - tokens_) / self.rate.per_second
        self._buckets[caller] = (tokens_ - 1, now)
        return 0.0

    def __len__(self) -> int:
        return len(self._buckets)


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return bytes(value).decode("latin-1")
    return None


_verified: OrderedDict[str, tuple[str, float]] = OrderedDict()  # token -> subject, expiry
_keys: OrderedDict[str, float] = OrderedDict()  # a verified key's hash -> recognised until


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
    while len(_verified) >= KEPT:
        _verified.popitem(last=False)
    subject = f"{claims.issuer}:{claims.sub}"
    _verified[token] = (subject, claims.exp.timestamp())
    return subject


def _key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def remember_key(key: str) -> None:
    """An API key authentication accepted: its bucket is its own from now on."""
    known = _key_id(key)
    _keys.pop(known, None)
    while len(_keys) >= KEPT:
        _keys.popitem(last=False)
    _keys[known] = time.monotonic() + KEY_SECONDS


def known_key(key: str) -> bool:
    """Whether this process saw the key verified within `KEY_SECONDS`."""
    until = _keys.get(_key_id(key))
    return until is not None and until > time.monotonic()


@dataclass(frozen=True)
class Caller:
    """Who asks: ("user", subject), ("api key", its hash's start) or ("address", the address);
    `key` is an API key presented but not yet verified (counted as its address meanwhile)."""

    kind: str
    who: str
    key: str | None = None

    @property
    def anonymous(self) -> bool:
        """Charged, and limited in body size, as an address."""
        return self.kind == "address"


def caller_from(authorization: str, api_key: str, address: str) -> Caller:
    """The caller of these credentials, cheaply: no database statement."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        subject = _subject_of_token(token.strip())
        if subject is not None:
            return Caller("user", subject)
    key = api_key.strip()
    if key.startswith(KEY_PREFIX):
        if known_key(key):
            return Caller("api key", _key_id(key))
        return Caller("address", address, key=key)
    return Caller("address", address)


def caller_of(scope: Scope) -> Caller:
    """The caller of an HTTP request or a websocket's handshake."""
    client = scope.get("client")
    address = str(client[0]) if client else "unknown"
    return caller_from(header(scope, b"authorization") or "",
                       header(scope, b"x-api-key") or "", address)  # fmt: skip


def verified(caller: Caller) -> Caller:
    """The API key's own caller, once the key is known good."""
    return Caller("api key", _key_id(caller.key)) if caller.key else caller
