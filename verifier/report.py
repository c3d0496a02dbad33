"""What ``tessera verify`` prints: the verdict in Chinese and English, the lines under it
(reason, date, successor; what could not be checked, how old the cached copy was), the
credential, the checks, and in ``--offline`` runs how old each cached document used was."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import typer

from verifier.result import CredentialStatus, VerificationResult
from verifier.sources.offline_cache import CachedDocument, describe_age
from verifier.web.page import CHANGED_ON, DATE_LABELS, REASONS, VERDICTS

_CACHED_KINDS: Final = {
    "jwks": "keys",
    "status_list": "status list",
    "status_detail": "status detail",
    "compromised_keys": "compromised-keys list",
}


def _verdict_lines(result: VerificationResult) -> list[str]:
    """The lines under the verdict: reason, date, successor; what could not be checked."""
    lines: list[str] = []
    detail, shown, status = result.status_detail, result.credential, result.status
    if detail is not None and detail.reason:
        zh, en = REASONS.get(detail.reason, (detail.reason, detail.reason))
        lines.append(f"reason: {detail.reason} ({zh} / {en})")
    if status in CHANGED_ON and detail is not None and detail.changed_at is not None:
        lines.append(f"{DATE_LABELS[status][1].lower()}: {detail.changed_at.isoformat()}")
    if status is CredentialStatus.EXPIRED and shown is not None and shown.valid_until:
        lines.append(f"expired on: {shown.valid_until}")
    if status is CredentialStatus.NOT_YET_VALID and shown is not None and shown.valid_from:
        lines.append(f"not valid before: {shown.valid_from}")
    if detail is not None and detail.superseded_by:
        lines.append(f"superseded by: {detail.superseded_by}")
    if status is CredentialStatus.UNTRUSTED_ISSUER:
        lines.append(
            "the issuer is not trusted here, so its signature was not checked"
            " (--trusted-issuer URL or --jwks FILE if you trust it)"
        )
    missing = result.unavailable
    if status is CredentialStatus.UNAVAILABLE and missing is not None:
        failed = result.failed_check()
        lines.append(f"could not check: {missing.check.value} ({failed.detail if failed else ''})")
        if missing.cached_at is not None:
            age = describe_age(result.checked_at - missing.cached_at)
            limit = (
                f", over the limit of {describe_age(dt.timedelta(seconds=missing.max_age_seconds))}"
                if missing.max_age_seconds is not None
                else ""
            )
            lines.append(f"cached copy: fetched {age} ago ({missing.cached_at.isoformat()}){limit}")
        lines.append("trying again later may help (exit status 3)")
    return lines


def print_human(result: VerificationResult) -> None:
    verdict = VERDICTS[result.status]
    typer.echo(f"{verdict.symbol} {result.status.value.upper()}: {verdict.zh} / {verdict.en}")
    for line in _verdict_lines(result):
        typer.echo(f"  {line}")
    shown = result.credential
    if shown is not None:
        for label, value in (
            ("holder", shown.holder_name),
            ("employee number", shown.employee_number),
            ("achievement", shown.achievement_name or shown.credential_name),
            ("issuer", shown.issuer_name or shown.issuer_id),
            ("issuer id", shown.issuer_id),
            ("unit", shown.unit_name),
            ("valid from", shown.valid_from),
            ("valid until", shown.valid_until),
            ("credential id", shown.credential_id),
            ("key id", shown.key_id),
        ):
            if value:
                typer.echo(f"  {label}: {value}")
    typer.echo("checks:")
    for check in result.checks:
        mark = "skip" if check.skipped else ("ok" if check.passed else "FAIL")
        error = f" [{check.error}]" if check.error else ""
        typer.echo(f"  {mark:4} {check.code.value}{error}: {check.detail or ''}")
    typer.echo(f"checked at: {result.checked_at.isoformat()}")


def report_cache_use(resolvers: list[Any], now: dt.datetime) -> None:
    used: list[CachedDocument] = [doc for r in resolvers for doc in getattr(r, "used", [])]
    seen: set[tuple[str, str]] = set()
    for document in used:
        if (document.kind, document.url) in seen:
            continue
        seen.add((document.kind, document.url))
        what = _CACHED_KINDS.get(document.kind, "status list")
        age = describe_age(document.age(now))
        typer.echo(f"offline: cached {what} for {document.url} fetched {age} ago", err=True)
