"""The ID token check with crafted tokens: only the provider's published keys, a fixed list
of algorithms, this issuer and client, fresh, and this sign-in's nonce."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from issuer.access.oidc import Client, identity, validate_id_token
from issuer.errors import AuthenticationError

ISSUER = "https://id.example"
CLIENT = Client(ISSUER, "tessera-console", "the client secret, long enough for HS256")
NONCE = "n-0S6_WzA2Mj"
NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
ED_KEY = ed25519.Ed25519PrivateKey.generate()
OTHER_EC_KEY = ec.generate_private_key(ec.SECP256R1())


def _jwk(to_jwk: Callable[..., Any], key: Any, kid: str) -> dict[str, Any]:
    return {**to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig"}


# The provider's key set, as its jwks_uri publishes it.
JWKS = [
    _jwk(RSAAlgorithm.to_jwk, RSA_KEY, "rsa-1"),
    _jwk(ECAlgorithm.to_jwk, EC_KEY, "ec-1"),
    _jwk(OKPAlgorithm.to_jwk, ED_KEY, "ed-1"),
]
ALL = ("RS256", "ES256", "EdDSA")


def _claims(**changes: Any) -> dict[str, Any]:
    claims = {
        "iss": ISSUER,
        "sub": "248289761001",
        "aud": CLIENT.client_id,
        "exp": int((NOW + dt.timedelta(minutes=5)).timestamp()),
        "iat": int(NOW.timestamp()),
        "nonce": NONCE,
        "email": "registrar@example.com",
        "email_verified": True,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _token(key: Any = EC_KEY, alg: str = "ES256", kid: str | None = "ec-1", **changes: Any) -> str:
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(_claims(**changes), key, algorithm=alg, headers=headers)


def _check(token: str, *, keys: list[dict[str, Any]] = JWKS, nonce: str = NONCE) -> dict[str, Any]:
    return validate_id_token(token, keys=keys, client=CLIENT, algorithms=ALL, nonce=nonce, now=NOW)


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}.{signature}"


@pytest.mark.parametrize(
    ("key", "alg", "kid"),
    [(RSA_KEY, "RS256", "rsa-1"), (EC_KEY, "ES256", "ec-1"), (ED_KEY, "EdDSA", "ed-1")],
)
def test_a_token_signed_with_a_published_key_passes(key: Any, alg: str, kid: str) -> None:
    claims = _check(_token(key, alg, kid))
    assert claims["sub"] == "248289761001"
    person = identity(claims)
    assert person.subject == f"{ISSUER} 248289761001"
    assert person.email == "registrar@example.com"
    assert person.email_verified is True


def test_without_a_kid_the_only_key_for_the_algorithm_is_used() -> None:
    assert _check(_token(kid=None))["iss"] == ISSUER


def test_only_a_boolean_true_counts_as_verified() -> None:
    assert identity(_check(_token(email_verified="true"))).email_verified is False
    assert identity(_check(_token(email_verified=None))).email_verified is False


def test_the_userinfo_claims_count_only_when_the_token_has_no_email() -> None:
    claims = _check(_token(email=None, email_verified=None))
    extra = {"sub": "248289761001", "email": "a@example.com", "email_verified": True}
    assert identity(claims, extra).email == "a@example.com"
    assert identity(_check(_token()), extra).email == "registrar@example.com"


REFUSED = [
    ("unsigned", lambda: _unsigned({"alg": "none"}, _claims()), "algorithm not accepted"),
    (
        "HS256 with the client secret",
        lambda: jwt.encode(_claims(), CLIENT.client_secret, algorithm="HS256"),
        "algorithm not accepted",
    ),
    ("RS384", lambda: _token(RSA_KEY, "RS384", "rsa-1"), "algorithm not accepted"),
    ("another audience", lambda: _token(aud="someone-else"), "not meant for this service"),
    (
        "several audiences without azp",
        lambda: _token(aud=[CLIENT.client_id, "someone-else"]),
        "not meant for this service",
    ),
    ("azp of another client", lambda: _token(azp="someone-else"), "not meant for this service"),
    ("another issuer", lambda: _token(iss="https://evil.example"), "another issuer"),
    ("another nonce", lambda: _token(nonce="a-replayed-one"), "nonce"),
    ("no nonce", lambda: _token(nonce=None), "nonce"),
    (
        "expired",
        lambda: _token(exp=int((NOW - dt.timedelta(minutes=2)).timestamp())),
        "expired",
    ),
    (
        "issued in the future",
        lambda: _token(iat=int((NOW + dt.timedelta(minutes=5)).timestamp())),
        "not issued just now",
    ),
    (
        "issued long ago",
        lambda: _token(iat=int((NOW - dt.timedelta(hours=2)).timestamp())),
        "not issued just now",
    ),
    ("no exp", lambda: _token(exp=None), "not valid"),
    ("a kid not published", lambda: _token(kid="ec-2"), "does not publish"),
    ("no kid, an unpublished key", lambda: _token(OTHER_EC_KEY, kid=None), "signature"),
    ("another key under a published kid", lambda: _token(OTHER_EC_KEY), "signature"),
    (
        "its own key in the header",
        lambda: jwt.encode(
            _claims(),
            OTHER_EC_KEY,
            algorithm="ES256",
            headers={"kid": "mine", "jwk": _jwk(ECAlgorithm.to_jwk, OTHER_EC_KEY, "mine")},
        ),
        "does not publish",
    ),
    (
        "a key URL in the header",
        lambda: jwt.encode(
            _claims(),
            OTHER_EC_KEY,
            algorithm="ES256",
            headers={"kid": "mine", "jku": "https://evil.example/jwks"},
        ),
        "does not publish",
    ),
    ("an RSA kid for ES256", lambda: _token(EC_KEY, "ES256", "rsa-1"), "does not publish"),
    ("not a JWT", lambda: "not.a.token", "malformed"),
]


@pytest.mark.parametrize(
    ("make", "reason"), [(m, r) for _, m, r in REFUSED], ids=[n for n, _, _ in REFUSED]
)
def test_a_wrong_token_is_refused(make: Callable[[], str], reason: str) -> None:
    with pytest.raises(AuthenticationError, match=reason) as refused:
        _check(make())
    assert refused.value.code == "sso_failed"


def test_only_algorithms_the_provider_offers_are_used() -> None:
    with pytest.raises(AuthenticationError, match="algorithm not accepted"):
        validate_id_token(
            _token(), keys=JWKS, client=CLIENT, algorithms=("RS256",), nonce=NONCE, now=NOW
        )


def test_private_keys_in_a_key_set_are_not_used() -> None:
    private = {**ECAlgorithm.to_jwk(EC_KEY, as_dict=True), "kid": "ec-1"}
    with pytest.raises(AuthenticationError, match="does not publish"):
        _check(_token(), keys=[private])


def test_a_subject_too_long_to_keep_is_refused() -> None:
    claims = _check(_token(sub="s" * 255))
    long_issuer = {**claims, "iss": "https://id.example/" + "t" * 400}
    with pytest.raises(AuthenticationError, match="too long"):
        identity(long_issuer)
