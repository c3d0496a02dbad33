"""Verify a credential: the ordered checks, turned into a ``VerificationResult``.

Checks run in this order: ``locate`` (only for a verify URL), ``parse``, ``header``,
``issuer_trusted``, ``key``, ``signature``, ``credential``, ``validity``, ``status``.
A failure of any check up to ``credential`` ends the run: the checks after it are omitted
from the result (nothing after them can be trusted). ``validity`` and ``status`` both run
once the credential is genuine, so an expired credential that was also revoked reads
``revoked``. Precedence of the final status: ``invalid`` (any failed check up to
``credential``, or a status that could not be established) > ``revoked`` (``superseded``
when the issuer's status detail names a replacement) > ``suspended`` >
``expired`` / ``not_yet_valid`` > ``valid``. ``verified`` is true only for ``valid``.
A status check the caller disabled is listed as ``skipped`` (``passed`` false) and does not
stop ``verified`` being true.

This is the one function that turns errors into a result; everything below it raises.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from verifier.credential import CredentialFacts, check_credential, issuer_id_of
from verifier.display import extract_display
from verifier.errors import (
    CredentialError,
    CredentialErrorCode,
    LocatorError,
    StatusError,
    UntrustedIssuerError,
)
from verifier.header import check_header
from verifier.jws import decode_unverified_jws, verify_jws_signature
from verifier.problem import make_problem
from verifier.qr_packing import packed_credential_in, unpack_credential
from verifier.result import (
    Check,
    CheckCode,
    CredentialDisplay,
    CredentialStatus,
    Problem,
    StatusReport,
    Unavailability,
    VerificationResult,
)
from verifier.sources.compromised_keys import CompromisedKeySource, check_key_not_compromised
from verifier.sources.credential_locator import (
    CredentialLocator,
    checked_verify_url,
    looks_like_url,
)
from verifier.sources.keys import Clock, KeyResolver, check_key_binding, utc_now
from verifier.sources.status_lists import StatusDetailSource, StatusSource
from verifier.status import StatusChecker
from verifier.trust import TrustedIssuers
from verifier.urls import published_key_id
from verifier.validity import DEFAULT_CLOCK_SKEW, check_validity
from verifier.verdict import verdict_for

log = logging.getLogger(__name__)


class _StepFailedError(Exception):
    """Internal: a gating check failed; the run stops."""


class _Run:
    """The checks and problems of one verification, accumulated in order."""

    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.problems: list[Problem] = []
        self.first_error: CredentialError | None = None

    def passed(self, code: CheckCode, detail: str | None = None) -> None:
        self.checks.append(_passed_check(code, detail))

    def failed(self, code: CheckCode, error: CredentialError) -> None:
        detail = str(error)
        self.checks.append(Check(code=code, passed=False, error=error.code, detail=detail))
        self.problems.append(make_problem(error.code, code, detail))
        if self.first_error is None:
            self.first_error = error

    def skipped(self, code: CheckCode, detail: str) -> None:
        self.checks.append(Check(code=code, passed=False, skipped=True, detail=detail))


_PASSED: dict[tuple[CheckCode, str | None], Check] = {}
_PASSED_MAX = 256


def _passed_check(code: CheckCode, detail: str | None) -> Check:
    """A passed check. ``Check`` is frozen and a passed check's words come from a short list
    (a few vary with the algorithm or a count), so one instance per distinct pair serves
    every result: building nine models per verification cost more than parsing the header."""
    key = (code, detail)
    check = _PASSED.get(key)
    if check is None:
        check = Check(code=code, passed=True, detail=detail)
        if len(_PASSED) < _PASSED_MAX:
            _PASSED[key] = check
    return check


@dataclass(frozen=True)
class _Genuine:
    """What the checks from ``parse`` to ``credential`` established about one exact token:
    facts of its bytes and of the key that signed them (identified by thumbprint)."""

    issuer_id: str
    kid: str
    key_thumbprint: str
    facts: CredentialFacts
    display: CredentialDisplay
    details: tuple[tuple[CheckCode, str], ...]


class Verifier:
    """A configured verifier: trusted issuers, where keys and status lists come from, a clock.

    ``status_source=None`` means the caller chose not to check status (``--no-status``).
    ``memo_size`` tokens that passed every check up to ``credential`` are remembered (by
    their exact text, least recently used first out): verifying one again skips parsing,
    the signature and the shape checks, which depend on nothing but those bytes and the
    key. Everything that can change is asked again every time: the issuer is trusted, the
    key is still published with the same thumbprint and not compromised, the validity
    period, the status lists. 0 turns the memo off.
    """

    def __init__(
        self,
        *,
        trusted_issuers: TrustedIssuers | Iterable[str],
        key_resolver: KeyResolver,
        status_source: StatusSource | None,
        credential_locator: CredentialLocator | None = None,
        status_detail_source: StatusDetailSource | None = None,
        compromised_keys: CompromisedKeySource | None = None,
        clock: Clock = utc_now,
        clock_skew: dt.timedelta = DEFAULT_CLOCK_SKEW,
        memo_size: int = 0,
    ) -> None:
        self.trusted_issuers = (
            trusted_issuers
            if isinstance(trusted_issuers, TrustedIssuers)
            else TrustedIssuers(trusted_issuers)
        )
        self.key_resolver = key_resolver
        self.credential_locator = credential_locator
        self.status_detail_source = status_detail_source
        self.compromised_keys = compromised_keys
        self.clock = clock
        self.clock_skew = clock_skew
        self._status = (
            StatusChecker(status_source, key_resolver) if status_source is not None else None
        )
        self.memo_size = memo_size
        self._memo: OrderedDict[str, _Genuine] = OrderedDict()
        self._memo_lock = threading.Lock()

    def verify_submission(self, unverified_text: str) -> VerificationResult:
        """Verify what a person or system submitted: a compact JWS, a verify URL, or a packed
        verify URL (``<base>/c#<digits>``, the credential itself in the fragment: unpacked
        here, nothing fetched, docs/credential-format.md "QR packing")."""
        packed = packed_credential_in(unverified_text)
        if packed is not None:
            return self._verify_packed(packed)
        if not looks_like_url(unverified_text):
            return self.verify(unverified_text)
        run = _Run()
        try:
            if self.credential_locator is None:
                raise LocatorError(
                    "verify URLs are not accepted here",
                    code=CredentialErrorCode.UNTRUSTED_VERIFY_URL,
                )
            url = checked_verify_url(self.trusted_issuers, unverified_text)
            token = self.credential_locator.locate_credential(url)
        except CredentialError as exc:
            run.failed(CheckCode.LOCATE, exc)
            return self._failed(run, None)
        except Exception:
            log.exception("credential locator failed unexpectedly")
            run.failed(
                CheckCode.LOCATE,
                CredentialError("internal error", code=CredentialErrorCode.INTERNAL_ERROR),
            )
            return self._failed(run, None)
        run.passed(CheckCode.LOCATE, "the link is under a trusted issuer")
        return self._verify(token, run)

    def not_located(self, error: LocatorError) -> VerificationResult:
        """The result for a credential that could not be located, by a caller that locates
        credentials itself (a look-up by certificate number): the ``locate`` check failed
        with ``error``, exactly as for a verify link that names no credential."""
        run = _Run()
        run.failed(CheckCode.LOCATE, error)
        return self._failed(run, None)

    def _verify_packed(self, packed: str) -> VerificationResult:
        run = _Run()
        try:
            token = unpack_credential(packed)
        except CredentialError as exc:
            run.failed(CheckCode.LOCATE, exc)
            return self._failed(run, None)
        run.passed(CheckCode.LOCATE, "the credential travels in the link (QR packing)")
        return self._verify(token, run)

    def verify(self, unverified_token: str) -> VerificationResult:
        """Verify a compact JWS credential; never raises for any input."""
        return self._verify(unverified_token, _Run())

    def _verify(self, unverified_token: str, run: _Run) -> VerificationResult:
        state: dict[str, Any] = {"step": CheckCode.PARSE}
        try:
            return self._run_checks(unverified_token, run, state)
        except _StepFailedError:
            return self._failed(run, None)
        except Exception:
            log.exception("verification failed unexpectedly at check %s", state["step"])
            run.failed(
                state["step"],
                CredentialError("internal error", code=CredentialErrorCode.INTERNAL_ERROR),
            )
            return self._failed(run, None)

    def _run_checks(self, token: str, run: _Run, state: dict[str, Any]) -> VerificationResult:
        now = self.clock()
        genuine = self._remembered(token, run, state)
        if genuine is None:
            genuine = self._check_genuine(token, run, state)
            self._remember(token, genuine)
        display, facts, issuer_id = genuine.display, genuine.facts, genuine.issuer_id

        state["step"] = CheckCode.VALIDITY
        period_status = CredentialStatus.VALID
        try:
            check_validity(
                now=now,
                not_before=facts.not_before,
                not_after=facts.not_after,
                skew=self.clock_skew,
            )
            run.passed(CheckCode.VALIDITY, "within the validity period")
        except CredentialError as exc:
            run.failed(CheckCode.VALIDITY, exc)
            period_status = CredentialStatus(exc.code)

        state["step"] = CheckCode.STATUS
        if self._status is None:
            run.skipped(CheckCode.STATUS, "status not checked: disabled by the caller")
            return self._result(run, period_status, display)
        try:
            outcome = self._status.check(
                facts.status_entries, issuer_id=issuer_id, now=now, skew=self.clock_skew
            )
        except StatusError as exc:
            run.failed(CheckCode.STATUS, exc)
            return self._failed(run, display)
        if outcome.status is CredentialStatus.VALID:
            run.passed(CheckCode.STATUS, outcome.detail)
            return self._result(run, period_status, display, fetched_at=outcome.fetched_at)
        run.checks.append(
            Check(
                code=CheckCode.STATUS,
                passed=False,
                error=outcome.status.value,
                detail=outcome.detail,
            )
        )
        report = self._status_report(facts.credential_id, outcome.status, issuer_id)
        final = outcome.status
        if final is CredentialStatus.REVOKED and report is not None and report.superseded_by:
            # The bit says revoked; the issuer says why: replaced by a newer credential.
            final = CredentialStatus.SUPERSEDED
        return self._result(run, final, display, fetched_at=outcome.fetched_at, report=report)

    def _check_genuine(self, token: str, run: _Run, state: dict[str, Any]) -> _Genuine:
        """The checks from ``parse`` to ``credential``; a failure raises ``_StepFailedError``.

        Straight-line code: ``code`` names the check running, and the one handler records a
        failure against it (decision 0063: a wrapper call per step cost more than some
        checks)."""
        details: list[tuple[CheckCode, str]] = []
        code = CheckCode.PARSE
        try:
            jws = decode_unverified_jws(token)
            details.append((code, "compact JWS with strict JSON header and payload"))
            code = state["step"] = CheckCode.HEADER
            header = check_header(jws.header, jws.payload)
            details.append((code, f"alg {header.algorithm}, typ {header.typ or 'absent'}"))
            code = state["step"] = CheckCode.ISSUER_TRUSTED
            issuer_id = self._trusted_issuer(jws.payload)
            details.append((code, "the issuer is trusted"))
            code = state["step"] = CheckCode.KEY
            kid = published_key_id(issuer_id, header.kid)
            if self.compromised_keys is not None:
                check_key_not_compromised(self.compromised_keys, issuer_id, kid)
            key = self.key_resolver.resolve_key(issuer_id, kid)
            check_key_binding(key, jws.header, header.algorithm)
            details.append((code, "the issuer publishes this key for this algorithm"))
            code = state["step"] = CheckCode.SIGNATURE
            verify_jws_signature(jws, key.public_key, key.algorithm)
            details.append((code, "the signature verifies"))
            code = state["step"] = CheckCode.CREDENTIAL
            display = extract_display(jws.payload, key_id=key.kid)
            facts = check_credential(jws.payload)
            kind = "Open Badges 3.0" if facts.is_open_badge else "VC 2.0"
            details.append((code, f"a conforming {kind} credential"))
        except CredentialError as exc:
            for passed_code, detail in details:
                run.passed(passed_code, detail)
            run.failed(code, exc)
            raise _StepFailedError from None
        for passed_code, detail in details:
            run.passed(passed_code, detail)
        return _Genuine(issuer_id, kid, key.thumbprint, facts, display, tuple(details))

    def _remembered(self, token: str, run: _Run, state: dict[str, Any]) -> _Genuine | None:
        """The memo's entry for these exact bytes, if the key that signed them is still
        published, not compromised, and the issuer still trusted; ``None`` sends the token
        through every check (which then says precisely what changed)."""
        with self._memo_lock:
            genuine = self._memo.get(token)
            if genuine is not None:
                self._memo.move_to_end(token)
        if genuine is None or genuine.issuer_id not in self.trusted_issuers:
            return None
        state["step"] = CheckCode.KEY
        try:
            if self.compromised_keys is not None:
                check_key_not_compromised(self.compromised_keys, genuine.issuer_id, genuine.kid)
            key = self.key_resolver.resolve_key(genuine.issuer_id, genuine.kid)
        except CredentialError:
            return None
        if key.thumbprint != genuine.key_thumbprint:
            return None
        for code, detail in genuine.details:
            run.passed(code, detail)
        return genuine

    def _remember(self, token: str, genuine: _Genuine) -> None:
        if self.memo_size <= 0:
            return
        with self._memo_lock:
            self._memo[token] = genuine
            while len(self._memo) > self.memo_size:
                self._memo.popitem(last=False)

    def _trusted_issuer(self, payload: dict[str, Any]) -> str:
        issuer_id = issuer_id_of(payload)
        if issuer_id not in self.trusted_issuers:
            raise UntrustedIssuerError("the issuer is not in the trusted list")
        if "iss" in payload and payload["iss"] != issuer_id:
            raise UntrustedIssuerError(
                "iss names another issuer", code=CredentialErrorCode.ISSUER_MISMATCH
            )
        return issuer_id

    def _status_report(
        self, credential_id: str | None, status: CredentialStatus, issuer_id: str
    ) -> StatusReport | None:
        if self.status_detail_source is None or credential_id is None:
            return None
        try:
            detail = self.status_detail_source.get_status_detail(
                credential_id, status.value, issuer_id=issuer_id
            )
        except Exception:
            log.warning("status detail source failed for credential_id=%s", credential_id)
            return None
        if detail is None:
            return None
        return StatusReport(
            reason=detail.reason, superseded_by=detail.superseded_by, changed_at=detail.changed_at
        )

    def _failed(self, run: _Run, display: CredentialDisplay | None) -> VerificationResult:
        """The result of a run that stopped on a failed check: its verdict says which kind
        of failure (``verifier.verdict``)."""
        failed = next((c for c in run.checks if not c.passed and not c.skipped), None)
        status = verdict_for(failed.error if failed else None)
        result = self._result(run, status, display)
        if status is not CredentialStatus.UNAVAILABLE or failed is None:
            return result
        return result.model_copy(
            update={"unavailable": _unavailability(failed.code, run.first_error, result)}
        )

    def _result(
        self,
        run: _Run,
        status: CredentialStatus,
        display: CredentialDisplay | None,
        *,
        fetched_at: dt.datetime | None = None,
        report: StatusReport | None = None,
    ) -> VerificationResult:
        return VerificationResult(
            verified=status is CredentialStatus.VALID,
            status=status,
            checks=run.checks,
            credential=display,
            status_detail=report,
            status_list_fetched_at=fetched_at,
            problems=run.problems,
            checked_at=self.clock(),
        )


def _unavailability(
    check: CheckCode, error: CredentialError | None, result: VerificationResult
) -> Unavailability:
    """What could not be checked, and how old the cached copy that was refused was."""
    cached_at = error.cached_at if error is not None else None
    max_age = error.max_age if error is not None else None
    age = result.checked_at - cached_at if cached_at is not None else None
    return Unavailability(
        check=check,
        cached_at=cached_at,
        cache_age_seconds=max(0, int(age.total_seconds())) if age is not None else None,
        max_age_seconds=int(max_age.total_seconds()) if max_age is not None else None,
    )
