"""Settings from the environment (``TESSERA_`` prefix), built once and passed down.

Every variable is documented in docs/configuration.md.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import ssl
import stat
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import SplitResult, urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from issuer.errors import ConfigurationError
from verifier.settings import VerificationPolicy

DEV_PASSPHRASE_FILE = Path("var/dev-passphrase")
# Values that mark a secret as "not chosen yet"; refused outside development.
_PLACEHOLDERS = frozenset({"", "changeme", "change-me", "changethis", "secret", "password", "dev"})
_RATE_LIMIT = re.compile(r"^(off|\d+/(second|minute|hour|day))$")
_MAIL_FROM = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]+")
SMTP_SCHEMES = ("smtp", "smtp+starttls", "smtps")
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def check_smtp_url(value: str) -> SplitResult:
    """``TESSERA_SMTP_URL`` split; ``ValueError`` (never quoting it: it may hold a password)
    for another scheme, no host, or a password sent in the clear to a host not on loopback."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError("TESSERA_SMTP_URL is not a URL") from None
    if parts.scheme not in SMTP_SCHEMES or not parts.hostname:
        raise ValueError(
            "TESSERA_SMTP_URL must be smtp://, smtp+starttls:// or smtps://host[:port]"
        )
    if parts.password and parts.scheme == "smtp" and parts.hostname not in _LOOPBACK:
        raise ValueError(
            "TESSERA_SMTP_URL would send its password in the clear: use smtp+starttls:// "
            "or smtps://"
        )
    return parts


def check_oidc_issuer(value: str, *, development: bool) -> None:
    """``TESSERA_OIDC_ISSUER``: an https URL without query or fragment; plain http only to
    this machine (a provider started for tests or a demo) and only in development, because
    the client secret and the person's tokens travel over it."""
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise ValueError("TESSERA_OIDC_ISSUER must be an absolute https URL without query")
    parts = urlsplit(value)
    if parts.scheme == "http" and not (development and parts.hostname in _LOOPBACK):
        raise ValueError(
            "TESSERA_OIDC_ISSUER must be https (plain http only to 127.0.0.1 or localhost, "
            "in development)"
        )


def normalise_base_url(value: str) -> str:
    """A public base URL as the issuer's id: an absolute http(s) URL without query or
    fragment, its trailing ``/`` removed; raises ``ValueError`` otherwise."""
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise ValueError("TESSERA_BASE_URL must be an absolute http(s) URL without query")
    return value.rstrip("/")


class Settings(VerificationPolicy):
    """Tessera's configuration. Construct with ``load_settings()`` to get one-line errors."""

    model_config = SettingsConfigDict(env_prefix="TESSERA_", extra="ignore", frozen=True)

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///var/tessera.db"
    keys_dir: Path = Path("keys")
    key_passphrase: SecretStr | None = None
    key_passphrase_file: Path | None = None
    key_algorithm: Literal["ES256", "EdDSA"] = "ES256"
    # What a JWS header's ``kid`` holds: the bare JWK thumbprint (decision 0001), or the key's
    # URL ``<base>/keys/<thumbprint>``, which Open Badges 3.0 validators dereference (0054).
    kid_form: Literal["thumbprint", "url"] = "thumbprint"
    # The issuer's identity is stored in the database (``tessera init``, ``tessera db
    # upgrade``); when set, this must agree with it, or the process refuses to sign.
    base_url: str | None = None
    issuer_name: str = (
        "朔方稀土集团职业技能等级认定中心 / "
        "Shuofang Rare Earth Group Vocational Skills Certification Centre"
    )
    rate_limit: str = "600/minute"
    # Look-ups by certificate number and holder name (decision 0027), per client, on top of
    # the limit above: stricter, as each one is a guess at a register of names.
    lookup_rate_limit: str = "10/minute"
    status_list_ttl_seconds: int = Field(default=300, ge=1, le=86_400)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Credentials that passed the signature and shape checks, remembered by their exact text
    # so that verifying one again skips those checks (verifier/verification.py); 0: off.
    verify_memo_size: int = Field(default=2048, ge=0, le=1_000_000)
    trusted_issuers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    admin_token_file: Path = Path("var/admin-token")
    # More revocations or suspensions than this by one principal within the window (one at a
    # time or as a batch) wait for a second admin (issue 4; issuer/access/limits.py).
    batch_approval_threshold: int = Field(default=50, ge=0)
    batch_approval_window_seconds: int = Field(default=3600, ge=1, le=366 * 86400)
    # How long an Idempotency-Key's answer is kept for repeats, and how long a console form's
    # one-time token stays usable (docs/decisions/0035-repeat-safe-issuance.md).
    idempotency_retention_seconds: int = Field(default=86_400, ge=60, le=30 * 86_400)
    form_token_ttl_seconds: int = Field(default=4 * 3600, ge=60, le=7 * 86_400)
    # Imports of exam results (docs/import-format.md) and their download bundles.
    import_max_bytes: int = Field(default=20 * 1_048_576, ge=1024)
    import_max_rows: int = Field(default=100_000, ge=1, le=1_000_000)
    import_chunk_rows: int = Field(default=500, ge=1, le=5000)
    bundle_dir: Path = Path("var/bundles")
    # A console dry run's file, kept (mode 0600) until it is confirmed or its form expires.
    import_upload_dir: Path = Path("var/uploads")
    # Bundles hold every holder's PDF with a live share link: deleted this long after building.
    bundle_ttl_hours: int = Field(default=72, ge=1, le=8760)
    # How often each server process signs the audit chain's head if it moved (decision 0023).
    audit_checkpoint_interval_seconds: int = Field(default=3600, ge=0, le=604_800)
    render_workers: int = Field(default=2, ge=1, le=64)
    # Holders per bundle job (one chunk); a worker renders about 30 ms a holder (decision 0060).
    bundle_chunk_size: int = Field(default=50, ge=1, le=1000)
    # Credentials per re-issue job after a key compromise, each chunk one transaction (0066).
    reissue_chunk_size: int = Field(default=200, ge=1, le=5000)
    # Where long jobs run: "auto" is `tessera worker` processes on PostgreSQL and the server's
    # own process on SQLite; "in_process" also on PostgreSQL (one server, no workers).
    task_runner: Literal["auto", "in_process", "workers"] = "auto"
    # Export jobs' files (register CSV, audit log) and how long they are kept after written;
    # finished task-engine jobs are deleted this long after they ended (decision 0065).
    export_dir: Path = Path("var/exports")
    export_ttl_hours: int = Field(default=168, ge=1, le=8760)
    job_retention_hours: int = Field(default=168, ge=1, le=8760)
    # Operations (docs/operations.md): logs, the reverse proxy, shutdown.
    log_format: Literal["text", "json"] = "text"
    # The reverse proxies whose X-Forwarded-For/-Proto are believed; none by default.
    forwarded_allow_ips: str = ""
    shutdown_grace_seconds: int = Field(default=30, ge=1, le=3600)
    # Which library draws QR codes (credentials/qr.py, decision 0016), chosen at start-up.
    qr_encoder: Literal["auto", "zxing", "qrcode"] = "auto"
    # Notices to holders by e-mail (docs/decisions/0030-holder-notices.md). Unset: none are
    # queued. smtp://, smtp+starttls:// or smtps://, with user:password@ if the relay wants.
    smtp_url: SecretStr | None = None
    # PEM certificates of the authorities that the TLS relay's certificate is checked
    # against, instead of the system's (a private relay's own CA). Unset: the system's.
    smtp_ca_file: Path | None = None
    mail_from: str | None = None
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    notice_interval_seconds: int = Field(default=60, ge=0, le=86_400)
    notice_retry_seconds: int = Field(default=60, ge=1, le=86_400)
    notice_retry_max_seconds: int = Field(default=6 * 3600, ge=1, le=7 * 86_400)
    notice_max_attempts: int = Field(default=20, ge=1, le=1000)
    notice_expiry_days: int = Field(default=30, ge=1, le=366)
    # Batch verification (POST /api/v1/verify/batch, /verify/batch): the body of one batch
    # (uploaded certificates included), and how many batches one client may send.
    verify_batch_max_bytes: int = Field(default=32 * 1_048_576, ge=1024)
    verify_batch_rate_limit: str = "20/hour"
    # The registrar console (docs/decisions/0038-console-sign-in.md): sessions end after this
    # much inactivity, and in any case this long after signing in.
    console_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    console_absolute_hours: int = Field(default=12, ge=1, le=30 * 24)
    # This many wrong passwords (or codes) in a row lock the account for the lock-out time.
    console_lockout_failures: int = Field(default=5, ge=1, le=100)
    console_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Admins must set up a second factor (TOTP) before the console opens anything else.
    console_require_totp_for_admins: bool = False
    # Single sign-on with an OpenID Connect provider (docs/decisions/0041-single-sign-on.md):
    # on when the issuer, the client id and the client secret are all set.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    # The sign-in button's name for the provider ("企业微信 / WeCom", "Company sign-in").
    oidc_label: str | None = None

    @field_validator("trusted_issuers", mode="before")
    @classmethod
    def _split_issuers(cls, value: object) -> object:
        # Comma-separated, as the standalone verifier reads the same variable.
        if isinstance(value, str):
            return [item.strip().rstrip("/") for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_issuers")
    @classmethod
    def _check_issuers(cls, value: list[str]) -> list[str]:
        for issuer in value:
            # did:key issuers: trusted for credentials with embedded proofs that a holder
            # presents through the VC-API (decision 0055); never fetched from.
            if issuer.startswith("did:key:") and re.fullmatch(
                r"did:key:z[1-9A-HJ-NP-Za-km-z]+", issuer
            ):
                continue
            if not re.fullmatch(r"https?://[^\s/?#,]+(/[^\s?#,]*)?", issuer):
                raise ValueError(
                    "TESSERA_TRUSTED_ISSUERS must be comma-separated http(s) URLs or did:key DIDs"
                )
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        return None if value is None else normalise_base_url(value)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError("TESSERA_DATABASE_URL is not a database URL") from exc
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError("TESSERA_DATABASE_URL must be sqlite or postgresql")
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _check_forwarded_allow_ips(cls, value: str) -> str:
        items = [item.strip() for item in value.split(",") if item.strip()]
        if items == ["*"]:
            return "*"
        for item in items:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    "TESSERA_FORWARDED_ALLOW_IPS must be comma-separated IP addresses or "
                    "networks (CIDR) of the reverse proxies, * or empty"
                ) from None
        return ",".join(items)

    @field_validator("rate_limit", "lookup_rate_limit")
    @classmethod
    def _check_rate_limit(cls, value: str, info: ValidationInfo) -> str:
        if not _RATE_LIMIT.match(value):
            name = f"TESSERA_{(info.field_name or '').upper()}"
            raise ValueError(f"{name} must look like 600/minute, or be off")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        check_smtp_url(value.get_secret_value())  # the message never repeats the URL
        return value

    @field_validator("smtp_ca_file")
    @classmethod
    def _check_smtp_ca_file(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        try:
            ssl.create_default_context(cafile=value)
        except (OSError, ValueError):  # ssl.SSLError is an OSError
            raise ValueError(
                "TESSERA_SMTP_CA_FILE must be a readable file of PEM certificates"
            ) from None
        return value

    @field_validator("mail_from")
    @classmethod
    def _check_mail_from(cls, value: str | None) -> str | None:
        if value is not None and not _MAIL_FROM.fullmatch(value.strip()):
            raise ValueError("TESSERA_MAIL_FROM must be an address such as notices@example.org")
        return value.strip() if value else None

    @model_validator(mode="after")
    def _need_mail_from(self) -> Settings:
        if self.smtp_url is not None and self.mail_from is None:
            raise ValueError("TESSERA_MAIL_FROM must be set when TESSERA_SMTP_URL is")
        if self.smtp_ca_file is not None and (
            self.smtp_url is None
            or check_smtp_url(self.smtp_url.get_secret_value()).scheme == "smtp"
        ):
            raise ValueError(
                "TESSERA_SMTP_CA_FILE needs a TESSERA_SMTP_URL of smtp+starttls:// or smtps://"
            )
        return self

    @field_validator("oidc_issuer", "oidc_client_id", "oidc_label")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("oidc_client_secret")
    @classmethod
    def _blank_secret_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value() else None

    @field_validator("oidc_label")
    @classmethod
    def _check_oidc_label(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 60 or not value.isprintable()):
            raise ValueError("TESSERA_OIDC_LABEL must be at most 60 printable characters")
        return value

    @model_validator(mode="after")
    def _check_oidc(self) -> Settings:
        given = [self.oidc_issuer, self.oidc_client_id, self.oidc_client_secret]
        if any(value is not None for value in given) and None in given:
            raise ValueError(
                "single sign-on needs all of TESSERA_OIDC_ISSUER, TESSERA_OIDC_CLIENT_ID and "
                "TESSERA_OIDC_CLIENT_SECRET (or none of them)"
            )
        if self.oidc_issuer is not None:
            check_oidc_issuer(self.oidc_issuer, development=self.environment == "development")
        return self

    @field_validator("verify_batch_rate_limit")
    @classmethod
    def _check_batch_rate_limit(cls, value: str) -> str:
        if not _RATE_LIMIT.match(value):
            raise ValueError("TESSERA_VERIFY_BATCH_RATE_LIMIT must look like 20/hour, or be off")
        return value

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.environment == "development":
            return self
        if self.key_passphrase is None and self.key_passphrase_file is None:
            raise ValueError(
                "TESSERA_KEY_PASSPHRASE or TESSERA_KEY_PASSPHRASE_FILE must be set in production"
            )
        secret = self.key_passphrase.get_secret_value() if self.key_passphrase else None
        if secret is not None and secret.strip().lower() in _PLACEHOLDERS:
            raise ValueError("TESSERA_KEY_PASSPHRASE is a placeholder; choose a real secret")
        if (
            self.key_passphrase_file is not None
            and self.key_passphrase_file.resolve() == DEV_PASSPHRASE_FILE.resolve()
        ):
            raise ValueError("the development passphrase file cannot be used in production")
        return self

    @property
    def bundle_ttl(self) -> dt.timedelta:
        return dt.timedelta(hours=self.bundle_ttl_hours)

    @property
    def export_ttl(self) -> dt.timedelta:
        return dt.timedelta(hours=self.export_ttl_hours)

    @property
    def sso_on(self) -> bool:
        """Whether the console offers single sign-on: only with a provider and a client."""
        return self.oidc_issuer is not None

    @property
    def notices_on(self) -> bool:
        """Whether notices to holders are queued: only with an SMTP server to send them."""
        return self.smtp_url is not None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def passphrase_path(self) -> Path | None:
        """The file the key passphrase is read from, if it comes from a file."""
        if self.key_passphrase is not None:
            return None
        if self.key_passphrase_file is not None:
            return self.key_passphrase_file
        return DEV_PASSPHRASE_FILE if self.environment == "development" else None

    def read_passphrase(self) -> bytes:
        """The signing-key passphrase; raises ``ConfigurationError`` with one clear line."""
        if self.key_passphrase is not None:
            value = self.key_passphrase.get_secret_value()
        else:
            path = self.passphrase_path()
            if path is None:
                raise ConfigurationError("no key passphrase: set TESSERA_KEY_PASSPHRASE")
            try:
                value = path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigurationError(
                    f"key passphrase file {path} cannot be read ({exc.strerror}); "
                    "run `make run` or `tessera init` once, or set TESSERA_KEY_PASSPHRASE_FILE"
                ) from exc
            if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO) and os.name == "posix":
                raise ConfigurationError(f"key passphrase file {path} must be mode 0600")
        if not value:
            raise ConfigurationError("the key passphrase is empty")
        return value.encode("utf-8")


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment; a bad value becomes one ``ConfigurationError`` line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigurationError(f"invalid setting {where}: {message}") from None
