"""The verifier's memo: a repeat skips only what depends on the token's bytes alone.

A remembered token must give exactly the result the full run gives, and everything that can
change between two verifications (key published, key compromised, validity period, status
bits) must be asked again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

import verifier.jws
import verifier.verification
from tests.verifier.kit import NOW, STATUS_INDEX, IssuerKit, new_es256
from verifier.result import CredentialStatus, VerificationResult
from verifier.sources.compromised_keys import CallableCompromisedKeySource
from verifier.sources.keys import CallableKeyResolver
from verifier.sources.status_lists import CallableStatusSource
from verifier.verification import Verifier


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def live_verifier(
    kit: IssuerKit, *, clock: Clock, compromised: dict[str, str], memo_size: int = 8
) -> Verifier:
    """Keys, compromised keys and status lists read from ``kit`` on every call."""
    return Verifier(
        trusted_issuers=[kit.base],
        key_resolver=CallableKeyResolver(lambda _issuer: kit.jwks),
        status_source=CallableStatusSource(kit.status_list_for_url, clock=clock),
        compromised_keys=CallableCompromisedKeySource(lambda _issuer: compromised),
        clock=clock,
        memo_size=memo_size,
    )


@pytest.fixture
def signatures_checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts signature checks of credentials (status lists are checked elsewhere)."""
    calls: list[str] = []
    real = verifier.jws.verify_jws_signature

    def counting(jws: Any, *args: Any) -> None:
        calls.append(jws.token)
        real(jws, *args)

    monkeypatch.setattr(verifier.verification, "verify_jws_signature", counting)
    return calls


def comparable(result: VerificationResult) -> dict[str, Any]:
    return result.model_dump(exclude={"checked_at"})


def test_repeat_gives_the_full_result_without_a_second_signature_check(
    signatures_checked: list[str],
) -> None:
    kit = IssuerKit()
    token = kit.token()
    memo = live_verifier(kit, clock=Clock(), compromised={})
    first, second = memo.verify(token), memo.verify(token)
    full = live_verifier(kit, clock=Clock(), compromised={}, memo_size=0).verify(token)
    assert first.status is CredentialStatus.VALID
    assert comparable(second) == comparable(first) == comparable(full)
    assert signatures_checked.count(token) == 2  # the first run and the memo-off run


def test_memo_off_checks_every_time(signatures_checked: list[str]) -> None:
    kit = IssuerKit()
    token = kit.token()
    plain = live_verifier(kit, clock=Clock(), compromised={}, memo_size=0)
    plain.verify(token)
    plain.verify(token)
    assert signatures_checked.count(token) == 2


def test_status_is_asked_again_on_a_repeat() -> None:
    kit = IssuerKit()
    token = kit.token()
    memo = live_verifier(kit, clock=Clock(), compromised={})
    assert memo.verify(token).status is CredentialStatus.VALID
    kit.revoked.add(STATUS_INDEX)
    assert memo.verify(token).status is CredentialStatus.REVOKED
    kit.revoked.clear()  # (a registrar cannot; a list can): the bit is read every time
    assert memo.verify(token).status is CredentialStatus.VALID


def test_validity_is_asked_again_on_a_repeat() -> None:
    kit = IssuerKit()
    clock = Clock()
    token = kit.token(kit.credential(valid_until=NOW + dt.timedelta(days=1)))
    memo = live_verifier(kit, clock=clock, compromised={})
    assert memo.verify(token).status is CredentialStatus.VALID
    clock.now = NOW + dt.timedelta(days=2)
    assert memo.verify(token).status is CredentialStatus.EXPIRED


def _withdraw_key(kit: IssuerKit, _compromised: dict[str, str]) -> None:
    kit.key = new_es256()  # the signing key is no longer in the JWKS


def _compromise_key(kit: IssuerKit, compromised: dict[str, str]) -> None:
    compromised[kit.key.kid] = "2026-01-01T00:00:00Z"


@pytest.mark.parametrize("change", [_withdraw_key, _compromise_key])
def test_a_key_that_stops_vouching_stops_the_memo(
    change: Callable[[IssuerKit, dict[str, str]], None],
) -> None:
    kit = IssuerKit()
    token = kit.token()
    compromised: dict[str, str] = {}
    memo = live_verifier(kit, clock=Clock(), compromised=compromised)
    assert memo.verify(token).verified is True
    change(kit, compromised)
    result = memo.verify(token)
    assert result.verified is False
    failed = result.failed_check()
    assert failed is not None
    assert failed.code.value == "key"


def test_a_new_key_under_the_same_kid_does_not_inherit_the_memo() -> None:
    kit = IssuerKit()
    token = kit.token()
    memo = live_verifier(kit, clock=Clock(), compromised={})
    assert memo.verify(token).verified is True
    stranger = new_es256()
    published = kit.key.jwk

    def swapped_jwks(_issuer: str) -> dict[str, Any]:
        return {"keys": [{**stranger.jwk, "kid": published["kid"]}]}

    memo.key_resolver = CallableKeyResolver(swapped_jwks)
    result = memo.verify(token)
    assert result.verified is False
    failed = result.failed_check()
    assert failed is not None
    assert failed.code.value in ("key", "signature")


def test_only_genuine_tokens_are_remembered_and_the_memo_is_bounded(
    signatures_checked: list[str],
) -> None:
    kit = IssuerKit()
    memo = live_verifier(kit, clock=Clock(), compromised={}, memo_size=2)
    tokens = [kit.token() for _ in range(3)]
    for token in tokens:
        memo.verify(token)
    forged = tokens[0][:-4] + ("AAAA" if not tokens[0].endswith("AAAA") else "BBBB")
    assert memo.verify(forged).verified is False
    assert memo.verify(forged).verified is False
    assert signatures_checked.count(forged) == 2  # a failure is never remembered
    memo.verify(tokens[0])  # the oldest was pushed out: checked again
    memo.verify(tokens[2])  # still remembered
    assert signatures_checked.count(tokens[0]) == 2
    assert signatures_checked.count(tokens[2]) == 1
