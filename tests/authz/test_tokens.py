"""Tokens: HS256 round trip, every kind of refusal, RS256 from a JWKS file, revocation."""

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest

from authz.auth import resolve_subject
from authz.tokens import (
    TokenConfig,
    TokenError,
    TokenProblem,
    configure,
    issue_token,
    load_jwks,
    token_config,
    verify_token,
)
from domain.access import accounts
from tests.authz.support import NOW, staff

crypto = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")

SECRET = b"s" * 32
CONFIG = TokenConfig(secret=SECRET)


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[Any, Any]:
    """Two RSA key pairs: the identity provider's, and an impostor's."""
    return tuple(crypto.generate_private_key(public_exponent=65537, key_size=2048) for _ in "ab")


def _jwks_file(tmp_path: Path, key: Any, kid: str = "idp-1") -> Path:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    document = {"keys": [{**jwk, "kid": kid, "use": "sig", "alg": "RS256"}]}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(document))
    return path


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _refused(token: str, problem: TokenProblem, config: TokenConfig = CONFIG, now=NOW) -> str:
    with pytest.raises(TokenError) as caught:
        verify_token(token, now=now, config=config)
    assert caught.value.problem is problem
    if len(token) > 8:
        assert token[:20] not in caught.value.message and token[-8:] not in caught.value.message
    return caught.value.message


def _external(key: Any, kid: str = "idp-1", **claims: Any) -> str:
    payload = {"sub": "ext-42", "preferred_username": "am1", "iss": "https://idp.example"}
    payload |= {"aud": "lendgraph", "iat": int(NOW.timestamp())}
    payload |= {"exp": int((NOW + timedelta(minutes=5)).timestamp())} | claims
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


async def test_round_trip_and_resolve_subject(db: str) -> None:
    user = await staff("am1", ["account_manager"], branch="SH", team="east")
    token = issue_token(user, now=NOW, config=CONFIG)
    claims = verify_token(token, now=NOW + timedelta(minutes=14), config=CONFIG)
    assert (claims.user_id, claims.username, claims.tv, claims.external) == (
        user.id,
        "am1",
        0,
        False,
    )
    assert claims.exp - claims.iat == timedelta(minutes=15) and claims.jti
    subject = await resolve_subject(claims)
    assert (subject.user_id, subject.roles, subject.team, subject.via) == (
        user.id,
        ("account_manager",),
        "east",
        "jwt",
    )


async def test_expired_and_future_tokens_are_refused(db: str) -> None:
    user = await staff("am1", ["account_manager"])
    token = issue_token(user, now=NOW, ttl=timedelta(minutes=5), config=CONFIG)
    assert "expired" in _refused(token, TokenProblem.EXPIRED, now=NOW + timedelta(minutes=6))
    _refused(token, TokenProblem.NOT_YET_VALID, now=NOW - timedelta(minutes=5))


async def test_forged_tokens_are_refused(db: str) -> None:
    user = await staff("am1", ["account_manager"])
    token = issue_token(user, now=NOW, config=CONFIG)
    other_secret = issue_token(user, now=NOW, config=TokenConfig(secret=b"x" * 32))
    _refused(other_secret, TokenProblem.SIGNATURE)
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    tampered = _b64(json.dumps({**claims, "sub": "999"}).encode())
    _refused(f"{head}.{tampered}.{sig}", TokenProblem.SIGNATURE)
    _refused("not a token", TokenProblem.MALFORMED)
    _refused("", TokenProblem.MALFORMED)
    _refused(jwt.encode({"sub": "1"}, SECRET * 2, algorithm="HS512"), TokenProblem.ALGORITHM)
    no_issuer = jwt.encode({"sub": "1", "username": "x", "tv": 0, "iat": 1, "exp": 2**33}, SECRET)
    _refused(no_issuer, TokenProblem.ISSUER)


async def test_alg_none_is_refused(db: str) -> None:
    user = await staff("am1", ["account_manager"])
    claims = jwt.decode(
        issue_token(user, now=NOW, config=CONFIG), options={"verify_signature": False}
    )
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    unsigned = f"{header}.{_b64(json.dumps(claims).encode())}."
    assert "not accepted" in _refused(unsigned, TokenProblem.ALGORITHM)


async def test_hs256_signed_with_the_public_key_is_refused(db: str, rsa_keys, tmp_path) -> None:
    idp, _ = rsa_keys
    config = TokenConfig(secret=SECRET, jwks=load_jwks(_jwks_file(tmp_path, idp)))
    pem = idp.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "idp-1"}).encode())
    payload = {"sub": "ext-42", "preferred_username": "am1", "iat": int(NOW.timestamp())}
    body = _b64(json.dumps(payload | {"exp": int(NOW.timestamp()) + 60}).encode())
    signature = _b64(hmac.new(pem, f"{header}.{body}".encode(), hashlib.sha256).digest())
    _refused(f"{header}.{body}.{signature}", TokenProblem.SIGNATURE, config)


async def test_rs256_from_a_jwks_file(db: str, rsa_keys, tmp_path) -> None:
    idp, impostor = rsa_keys
    await staff("am1", ["account_manager"])
    config = TokenConfig(
        secret=SECRET,
        jwks=load_jwks(_jwks_file(tmp_path, idp)),
        external_issuer="https://idp.example",
        external_audience="lendgraph",
    )
    claims = verify_token(_external(idp), now=NOW, config=config)
    assert (claims.external, claims.username, claims.sub, claims.user_id) == (
        True,
        "am1",
        "ext-42",
        None,
    )
    subject = await resolve_subject(claims)
    assert subject.username == "am1" and subject.via == "jwt"

    _refused(_external(impostor), TokenProblem.SIGNATURE, config)
    _refused(_external(idp, kid="idp-2"), TokenProblem.UNKNOWN_KEY, config)
    _refused(_external(idp, iss="https://evil.example"), TokenProblem.ISSUER, config)
    _refused(_external(idp, aud="someone-else"), TokenProblem.AUDIENCE, config)
    _refused(_external(idp), TokenProblem.ALGORITHM)  # no JWKS configured: RS256 not accepted
    no_kid = jwt.encode({"sub": "x", "iat": 1, "exp": 2**33}, idp, algorithm="RS256")
    _refused(no_kid, TokenProblem.UNKNOWN_KEY, config)

    with pytest.raises(TokenError, match="unknown or disabled"):
        await resolve_subject(
            verify_token(_external(idp, preferred_username="nobody"), now=NOW, config=config)
        )
    await accounts.revoke_tokens((await staff("am2", ["account_manager"])).id, now=NOW)
    with pytest.raises(TokenError, match="revoked"):
        await resolve_subject(
            verify_token(_external(idp, preferred_username="am2"), now=NOW, config=config)
        )


async def test_token_version_bump_and_disabling_invalidate_tokens(db: str) -> None:
    user = await staff("am1", ["account_manager"])
    token = issue_token(user, now=NOW, config=CONFIG)
    await accounts.revoke_tokens(user.id, now=NOW)
    with pytest.raises(TokenError, match="revoked"):
        await resolve_subject(verify_token(token, now=NOW, config=CONFIG))
    await user.refresh_from_db()
    fresh = issue_token(user, now=NOW, config=CONFIG)
    assert (await resolve_subject(verify_token(fresh, now=NOW, config=CONFIG))).user_id == user.id
    await accounts.set_active(user.id, False, now=NOW)
    with pytest.raises(TokenError, match="disabled"):
        await resolve_subject(verify_token(fresh, now=NOW, config=CONFIG))
    await user.refresh_from_db()
    with pytest.raises(Exception, match="disabled"):
        issue_token(user, now=NOW, config=CONFIG)


def test_configuration_from_environment(monkeypatch: pytest.MonkeyPatch, caplog, tmp_path) -> None:
    monkeypatch.delenv("LENDGRAPH_SECRET", raising=False)
    monkeypatch.setenv("LENDGRAPH_TOKEN_TTL_MINUTES", "5")
    configure(None)
    try:
        generated = token_config()
        assert len(generated.secret) == 32 and generated.ttl == timedelta(minutes=5)
        assert token_config() is generated  # once per process
        assert "LENDGRAPH_SECRET is not set" in caplog.text
        monkeypatch.setenv("LENDGRAPH_SECRET", "too short")
        with pytest.raises(ValueError, match="at least 32"):
            TokenConfig.from_env()
        monkeypatch.setenv("LENDGRAPH_SECRET", "k" * 40)
        monkeypatch.setenv("LENDGRAPH_JWKS_FILE", str(tmp_path / "missing.json"))
        with pytest.raises(FileNotFoundError):
            TokenConfig.from_env()
    finally:
        configure(None)


def test_claims_out_of_range_are_refused_not_crashed() -> None:
    far = {"iss": "lendgraph", "sub": "1", "username": "x", "tv": 0, "iat": 1, "exp": 2**40}
    _refused(jwt.encode(far, SECRET), TokenProblem.CLAIMS)
    wrong_types = far | {"exp": 2**33, "tv": "0"}
    _refused(jwt.encode(wrong_types, SECRET), TokenProblem.CLAIMS)
