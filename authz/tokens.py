"""Signed tokens: our own HS256 tokens, and RS256 tokens of an external identity provider.

Configuration (read once per process, see `TokenConfig.from_env`):
- LENDGRAPH_SECRET: the HS256 key, at least 32 characters. When unset, a random one is made per
  process and a warning logged: tokens then die with the process and are not accepted by other
  processes, which is only fit for a single-process demo.
- LENDGRAPH_TOKEN_TTL_MINUTES: lifetime of issued tokens (default 15).
- LENDGRAPH_JWKS_FILE: a JWKS JSON file with the identity provider's RSA public keys (never
  fetched over the network). RS256 tokens are refused when it is not set.
- LENDGRAPH_JWT_ISSUER / LENDGRAPH_JWT_AUDIENCE: checked on RS256 tokens when set.
"""

import json
import logging
import os
import re
import secrets
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from jwt.types import Options

from domain.access.errors import AuthenticationError
from domain.user.models import User

log = logging.getLogger("lendgraph.authz")
LOCAL_ISSUER = "lendgraph"
MIN_SECRET_LENGTH = 32
MAX_TOKEN_LENGTH = 8192
KEPT = 4096  # tokens whose signature this process checked, kept to skip checking it again


class TokenProblem(StrEnum):
    """Why a token was refused (for logs and tests; the message says it in words)."""

    MALFORMED = "malformed"
    ALGORITHM = "algorithm"
    UNKNOWN_KEY = "unknown_key"
    SIGNATURE = "signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    ISSUER = "issuer"
    AUDIENCE = "audience"
    CLAIMS = "claims"
    REVOKED = "revoked"


class TokenError(AuthenticationError):
    """A token was refused. The message names the reason and never contains the token."""

    def __init__(self, problem: TokenProblem, message: str) -> None:
        super().__init__(message, reason=problem.value)
        self.problem = problem


@dataclass(frozen=True)
class TokenConfig:
    """Keys and rules for issuing and verifying tokens."""

    secret: bytes
    ttl: timedelta = timedelta(minutes=15)
    leeway: timedelta = timedelta(seconds=30)
    jwks: dict[str, jwt.PyJWK] = field(default_factory=dict)
    external_issuer: str | None = None
    external_audience: str | None = None

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"the token secret must be at least {MIN_SECRET_LENGTH} bytes")

    @classmethod
    def from_env(cls) -> "TokenConfig":
        """The configuration from LENDGRAPH_* variables (see the module docstring)."""
        secret = os.environ.get("LENDGRAPH_SECRET", "")
        if not secret:
            log.warning(
                "LENDGRAPH_SECRET is not set: using a random per-process secret. Tokens will not "
                "survive a restart nor work across processes; set it in production."
            )
        ttl = os.environ.get("LENDGRAPH_TOKEN_TTL_MINUTES", "").strip() or "15"
        if not ttl.isdigit() or int(ttl) <= 0:
            raise ValueError("LENDGRAPH_TOKEN_TTL_MINUTES must be a positive integer")
        jwks_file = os.environ.get("LENDGRAPH_JWKS_FILE")
        return cls(
            secret=secret.encode() if secret else secrets.token_bytes(32),
            ttl=timedelta(minutes=int(ttl)),
            jwks=load_jwks(Path(jwks_file)) if jwks_file else {},
            external_issuer=os.environ.get("LENDGRAPH_JWT_ISSUER") or None,
            external_audience=os.environ.get("LENDGRAPH_JWT_AUDIENCE") or None,
        )


def load_jwks(path: Path) -> dict[str, jwt.PyJWK]:
    """The RSA signing keys of a JWKS file, by key id (keys without a kid are skipped)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    keys: dict[str, jwt.PyJWK] = {}
    for item in document.get("keys", []):
        if item.get("kty") != "RSA" or not item.get("kid") or item.get("use", "sig") != "sig":
            continue
        if item.get("alg", "RS256") != "RS256":
            continue
        keys[str(item["kid"])] = jwt.PyJWK(item, algorithm="RS256")
    if not keys:
        raise ValueError(f"{path}: no RS256 signing key with a kid")
    return keys


_config: TokenConfig | None = None


def token_config() -> TokenConfig:
    """This process's configuration, read from the environment on first use."""
    global _config
    if _config is None:
        _config = TokenConfig.from_env()
    return _config


def configure(config: TokenConfig | None) -> None:
    """Replace this process's configuration (None: read the environment again on next use)."""
    global _config
    _config = config
    _signed.clear()


@dataclass(frozen=True, slots=True)
class Claims:
    """What a verified token says. Local tokens carry a user id and token version."""

    sub: str
    username: str
    iat: datetime
    exp: datetime
    jti: str | None
    tv: int | None
    issuer: str
    external: bool

    @property
    def user_id(self) -> int | None:
        """The lendgraph user id of a local token (None for external ones)."""
        return None if self.external else int(self.sub)


def issue_token(
    user: User, *, now: datetime, ttl: timedelta | None = None, config: TokenConfig | None = None
) -> str:
    """A signed HS256 token for an active user, valid from now for ttl (default: configured)."""
    cfg = config or token_config()
    _check_aware(now)
    if not user.is_active:
        raise AuthenticationError("the account is disabled", reason="disabled")
    payload = {
        "iss": LOCAL_ISSUER,
        "sub": str(user.id),
        "username": user.username,
        "iat": int(now.timestamp()),
        "exp": int((now + (ttl or cfg.ttl)).timestamp()),
        "jti": uuid.uuid4().hex,
        "tv": user.token_version,
    }
    return jwt.encode(payload, cfg.secret, algorithm="HS256")


def _check_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware wall-clock instant")


def _key_for(header: dict[str, Any], cfg: TokenConfig) -> tuple[str, Any]:
    alg = header.get("alg")
    if alg == "HS256":
        return alg, cfg.secret
    if alg == "RS256":
        if not cfg.jwks:
            raise TokenError(TokenProblem.ALGORITHM, "RS256 tokens are not accepted here")
        kid = header.get("kid")
        if not isinstance(kid, str) or kid not in cfg.jwks:
            raise TokenError(TokenProblem.UNKNOWN_KEY, "the token's key id is not known")
        return alg, cfg.jwks[kid].key
    shown = f" {alg!r}" if isinstance(alg, str) and re.fullmatch(r"\w{1,16}", alg) else ""
    raise TokenError(TokenProblem.ALGORITHM, f"token algorithm{shown} is not accepted")


# token -> the configuration that verified its signature, whether it is external, its payload
_signed: OrderedDict[str, tuple[TokenConfig, bool, dict[str, Any]]] = OrderedDict()


def _signed_payload(token: str, cfg: TokenConfig) -> tuple[bool, dict[str, Any]]:
    """`_decode`, remembered for tokens whose signature verified: a client sends the same token
    with every request, and the same bytes under the same keys verify the same way. Only the
    signature is remembered; times, issuer, audience and claims are checked on every call."""
    known = _signed.get(token) if isinstance(token, str) else None
    if known is not None and known[0] is cfg:
        _signed.move_to_end(token)
        return known[1], known[2]
    external, payload = _decode(token, cfg)
    while len(_signed) >= KEPT:
        _signed.popitem(last=False)
    _signed[token] = (cfg, external, payload)
    return external, payload


def _decode(token: str, cfg: TokenConfig) -> tuple[bool, dict[str, Any]]:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenError(TokenProblem.MALFORMED, "the token is malformed")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenError(TokenProblem.MALFORMED, "the token is malformed") from None
    alg, key = _key_for(header, cfg)
    # times, issuer and audience are checked below against the caller's clock and settings
    options: Options = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}
    options |= {"verify_iss": False, "verify_aud": False, "verify_sub": False, "verify_jti": False}
    try:
        payload = jwt.decode(token, key, algorithms=[alg], options=options)
    except jwt.InvalidSignatureError:
        raise TokenError(TokenProblem.SIGNATURE, "the token signature is not valid") from None
    except jwt.PyJWTError:
        raise TokenError(TokenProblem.MALFORMED, "the token is malformed") from None
    return alg == "RS256", payload


def _instant(payload: dict[str, Any], name: str) -> datetime:
    value = payload.get(name)
    problem = TokenError(TokenProblem.CLAIMS, f"the token has no valid {name!r} claim")
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise problem
    try:
        return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):  # out of the representable range
        raise problem from None


def _check_times(payload: dict[str, Any], now: datetime, leeway: timedelta) -> None:
    if now >= _instant(payload, "exp") + leeway:
        raise TokenError(TokenProblem.EXPIRED, "the token has expired")
    if _instant(payload, "iat") > now + leeway:
        raise TokenError(TokenProblem.NOT_YET_VALID, "the token is issued in the future")
    if "nbf" in payload and _instant(payload, "nbf") > now + leeway:
        raise TokenError(TokenProblem.NOT_YET_VALID, "the token is not valid yet")


def _check_audience(payload: dict[str, Any], audience: str | None) -> None:
    if audience is None:
        return
    aud = payload.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience not in audiences:
        raise TokenError(TokenProblem.AUDIENCE, "the token is meant for another audience")


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value or len(value) > 256:
        raise TokenError(TokenProblem.CLAIMS, f"the token has no valid {name!r} claim")
    return value


def verify_token(token: str, *, now: datetime, config: TokenConfig | None = None) -> Claims:
    """The claims of a valid token, or a TokenError saying why it is refused."""
    cfg = config or token_config()
    _check_aware(now)
    external, payload = _signed_payload(token, cfg)
    _check_times(payload, now, cfg.leeway)
    issuer = payload.get("iss")
    if external:
        if cfg.external_issuer is not None and issuer != cfg.external_issuer:
            raise TokenError(TokenProblem.ISSUER, "the token comes from an unexpected issuer")
        _check_audience(payload, cfg.external_audience)
        sub = _text(payload, "sub")
        name = payload.get("preferred_username")
        username = name if isinstance(name, str) and name else sub
        jti, tv = payload.get("jti"), None
    else:
        if issuer != LOCAL_ISSUER:
            raise TokenError(TokenProblem.ISSUER, "the token comes from an unexpected issuer")
        sub, username = _text(payload, "sub"), _text(payload, "username")
        jti, tv = payload.get("jti"), payload.get("tv")
        if not sub.isdigit() or not isinstance(tv, int) or isinstance(tv, bool):
            raise TokenError(TokenProblem.CLAIMS, "the token's claims are not valid")
    return Claims(
        sub=sub,
        username=username,
        iat=_instant(payload, "iat"),
        exp=_instant(payload, "exp"),
        jti=jti if isinstance(jti, str) else None,
        tv=tv,
        issuer=str(issuer or ""),
        external=external,
    )
