"""``tessera verify``: verify what a holder hands over: the PDF certificate, a baked badge
(PNG or SVG), a QR image, a ``.jwt`` file, a token, a verify link, packed QR link or share link.

Exit status: 0 only for a valid credential; 1 for any other verdict but unavailable; 2 when
the command could not run (unreadable file, bad JWKS, no QR code found...), always as one line
on stderr, never a traceback; 3 when the credential could not be checked now (unavailable:
keys, status list or the credential could not be had, or the cached copy is too old): trying
again later may help. ``--jwks`` keys are trusted for the issuer the credential names (the
person running the command vouches for them). ``--offline`` reads keys and status lists only
from the cache directory that earlier online runs wrote, and prints how old each one is.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Final

import typer

from verifier.credential import issuer_id_of
from verifier.errors import CredentialError
from verifier.holder_files import MAX_FILE_BYTES as MAX_HOLDER_FILE_BYTES
from verifier.holder_files import (
    NOT_A_CREDENTIAL,
    HolderFileError,
    read_handed_over,
    read_qr_image,
    read_text,
)
from verifier.jws import MAX_TOKEN_CHARS, decode_unverified_jws
from verifier.qr_packing import packed_credential_in, unpack_credential
from verifier.report import print_human, report_cache_use
from verifier.result import CredentialStatus
from verifier.settings import VerifierSettings
from verifier.sources.compromised_keys import (
    CompromisedKeySource,
    HttpCompromisedKeySource,
    OfflineCompromisedKeySource,
)
from verifier.sources.credential_locator import HttpCredentialLocator, looks_like_url
from verifier.sources.fetch import build_http_client, fetch_bounded
from verifier.sources.keys import (
    HttpKeyResolver,
    KeyResolver,
    OfflineKeyResolver,
    StaticKeyResolver,
    keys_from_jwks,
    utc_now,
)
from verifier.sources.offline_cache import OfflineCache
from verifier.sources.status_lists import (
    HttpStatusDetailSource,
    HttpStatusSource,
    OfflineStatusDetailSource,
    OfflineStatusSource,
    StaticStatusSource,
    StatusDetailSource,
    StatusSource,
)
from verifier.strict_json import loads_strict_object
from verifier.trust import TrustedIssuers
from verifier.verification import Verifier

MAX_FILE_BYTES: Final = 1024 * 1024
_FILE_SUFFIXES: Final = (".jwt", ".jws", ".txt", ".json", ".pdf", ".png", ".jpg", ".jpeg", ".svg")
EXIT_NOT_VALID: Final = 1
EXIT_ERROR: Final = 2
EXIT_UNAVAILABLE: Final = 3

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


class CommandError(Exception):
    """Internal: the command cannot run; the message is the one line printed."""


def default_cache_dir() -> Path:
    """``$TESSERA_VERIFY_CACHE_DIR`` or ``$XDG_CACHE_HOME/tessera-verifier`` (``~/.cache/...``)."""
    configured = os.environ.get("TESSERA_VERIFY_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tessera-verifier"


def _read_text(path: Path, what: str) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CommandError(f"{what} {path} is larger than {MAX_FILE_BYTES} bytes")
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CommandError(f"{what} {path} cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise CommandError(f"{what} {path} is not UTF-8 text") from None


def _read_handed_over(path: Path, *, qr_only: bool = False) -> str:
    """The credential or link in a file a holder handed over (``verifier.holder_files``)."""
    try:
        if path.stat().st_size > MAX_HOLDER_FILE_BYTES:
            raise CommandError(f"{path} is larger than {MAX_HOLDER_FILE_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path} cannot be read ({exc.strerror})") from None
    try:
        handed = read_qr_image(data) if qr_only else read_handed_over(data)
    except HolderFileError as exc:
        raise CommandError(f"{path}: {exc}") from None
    if handed.kind == "text":
        raise CommandError(f"{path}: {NOT_A_CREDENTIAL}")
    return handed.text


def _source_text(source: str | None, qr: Path | None) -> str:
    if qr is not None:
        if source is not None:
            raise CommandError("give either a token/file or --qr, not both")
        return _read_handed_over(qr, qr_only=True)
    if source is None:
        raise CommandError(
            "give a token, a file (.jwt, PDF certificate, badge, QR image), a link, or --qr IMAGE"
        )
    if source == "-":
        return read_text(sys.stdin.read(MAX_TOKEN_CHARS + 1)).text
    if looks_like_url(source):
        return read_text(source).text
    try:
        is_file = len(source) < 4096 and Path(source).is_file()
    except OSError:
        is_file = False
    if is_file:
        return _read_handed_over(Path(source))
    if "/" in source or source.lower().endswith(_FILE_SUFFIXES):
        raise CommandError(f"credential file {source} does not exist")
    return source.strip()


def _fetch_text(location: str, what: str) -> tuple[str, dt.datetime]:
    if looks_like_url(location):
        with build_http_client() as client:
            try:
                body = fetch_bounded(
                    client,
                    location,
                    accept="application/json, application/vc+jwt",
                    max_bytes=MAX_FILE_BYTES,
                )
            except CredentialError as exc:
                raise CommandError(f"{what} could not be fetched: {exc}") from None
        return body.decode("utf-8", errors="replace").strip(), utc_now()
    path = Path(location)
    text = _read_text(path, what)
    return text, dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)


def _unverified_issuer(token: str) -> str | None:
    try:
        packed = packed_credential_in(token)
        if packed is not None:
            token = unpack_credential(packed)
        return issuer_id_of(decode_unverified_jws(token).payload)
    except CredentialError:
        return None


def _key_resolver(
    jwks: str | None,
    issuer: str | None,
    trusted: TrustedIssuers,
    offline: bool,
    cache: OfflineCache,
    settings: VerifierSettings,
) -> tuple[KeyResolver, TrustedIssuers]:
    if jwks is not None:
        text, _ = _fetch_text(jwks, "JWKS")
        try:
            document = loads_strict_object(text.encode("utf-8"))
            keys_from_jwks(document)
        except CredentialError:
            raise CommandError("the JWKS is not a JSON JWK Set") from None
        if issuer is None:
            return StaticKeyResolver({}), trusted
        return StaticKeyResolver.from_jwks(issuer, document), trusted.with_issuer(issuer)
    if offline:
        if issuer is not None and issuer not in trusted:
            if cache.load("jwks", issuer) is None:
                raise CommandError(
                    "no cached keys for this issuer: run once online, or give --jwks FILE"
                )
            trusted = trusted.with_issuer(issuer)  # cached only because it was trusted online
        return OfflineKeyResolver(cache, max_age=settings.keys_max_age), trusted
    client = build_http_client(timeout=settings.verify_http_timeout_seconds)
    return (
        HttpKeyResolver(trusted, client, cache=cache, max_age=settings.keys_max_age),
        trusted,
    )


def _status_source(
    status_list: str | None,
    no_status: bool,
    offline: bool,
    trusted: TrustedIssuers,
    cache: OfflineCache,
) -> StatusSource | None:
    if no_status:
        return None
    if status_list is not None:
        text, fetched_at = _fetch_text(status_list, "status list")
        return StaticStatusSource(text, fetched_at)
    if offline:
        return OfflineStatusSource(cache)
    return HttpStatusSource(trusted, build_http_client(), cache=cache)


def _lifecycle_sources(
    offline: bool, trusted: TrustedIssuers, cache: OfflineCache
) -> tuple[StatusDetailSource, CompromisedKeySource]:
    """Where the reason/successor of a set status bit and the compromised keys come from."""
    if offline:
        return OfflineStatusDetailSource(cache), OfflineCompromisedKeySource(cache)
    client = build_http_client()
    return (
        HttpStatusDetailSource(trusted, client, cache=cache),
        HttpCompromisedKeySource(trusted, client, cache=cache),
    )


@app.command("verify")
def verify_command(
    ctx: typer.Context,
    source: Annotated[
        str | None,
        typer.Argument(
            help="A compact JWS or link, a file (.jwt, PDF certificate, badge PNG/SVG, QR "
            "image), or -"
        ),
    ] = None,
    qr: Annotated[
        Path | None, typer.Option("--qr", help="Read the credential or verify URL from a QR image")
    ] = None,
    jwks: Annotated[
        str | None,
        typer.Option(help="JWKS file or URL; its keys are trusted for the credential's issuer"),
    ] = None,
    status_list: Annotated[
        str | None, typer.Option("--status-list", help="Status-list credential file or URL")
    ] = None,
    no_status: Annotated[
        bool, typer.Option("--no-status", help="Do not check revocation status")
    ] = False,
    trusted_issuer: Annotated[
        list[str] | None, typer.Option("--trusted-issuer", help="Trust this issuer id (repeatable)")
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Use only cached keys and status lists")
    ] = False,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", help="Cache directory for --offline")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
) -> None:
    """Verify a credential and print the verdict and the checks; exit 0 only when valid."""
    try:
        if status_list is not None and no_status:
            raise CommandError("give either --status-list or --no-status, not both")
        token_or_url = _source_text(source, qr)
        settings = VerifierSettings()
        # An app that embeds this command (``tessera verify``) may put its own issuer id on
        # the context: a server's own credentials are then trusted by default.
        own_issuer = getattr(ctx.obj, "base_url", None)
        defaults = [own_issuer] if isinstance(own_issuer, str) else []
        trusted = TrustedIssuers([*settings.trusted(), *defaults, *(trusted_issuer or [])])
        cache = OfflineCache(cache_dir or default_cache_dir())
        # A packed QR link carries the credential itself: no network needed to find it.
        is_url = looks_like_url(token_or_url) and packed_credential_in(token_or_url) is None
        if is_url and offline:
            raise CommandError(
                "a verify URL needs the network; give the credential itself with --offline"
            )
        issuer = None if is_url else _unverified_issuer(token_or_url)
        keys, trusted = _key_resolver(jwks, issuer, trusted, offline, cache, settings)
        status = _status_source(status_list, no_status, offline, trusted, cache)
        details, compromised = _lifecycle_sources(offline, trusted, cache)
        verifier = Verifier(
            trusted_issuers=trusted,
            key_resolver=keys,
            status_source=status,
            status_detail_source=details,
            compromised_keys=compromised,
            credential_locator=HttpCredentialLocator(build_http_client()) if is_url else None,
            clock_skew=settings.clock_skew,
        )
        result = verifier.verify_submission(token_or_url)
    except CommandError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    except ValueError as exc:  # settings from the environment that do not validate
        typer.echo(f"error: invalid TESSERA_ setting ({exc.__class__.__name__})", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    if offline:
        report_cache_use([keys, status, details, compromised], utc_now())
    if json_output:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print_human(result)
    if result.verified:
        raise typer.Exit(0)
    unavailable = result.status is CredentialStatus.UNAVAILABLE
    raise typer.Exit(EXIT_UNAVAILABLE if unavailable else EXIT_NOT_VALID)


def main() -> None:
    """Run the command standalone (``python -m verifier``)."""
    app(prog_name="tessera-verify")
