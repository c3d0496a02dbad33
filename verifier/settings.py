"""Settings of the standalone verifier (``verifier.web.app:create_app``, ``python -m verifier``).

Environment variables, prefixed ``TESSERA_`` (docs/configuration.md): ``TESSERA_TRUSTED_ISSUERS``
(comma-separated issuer ids; default: ``TESSERA_BASE_URL``, i.e. this server itself),
``TESSERA_VERIFY_CLOCK_SKEW_SECONDS`` (60), ``TESSERA_VERIFY_HTTP_TIMEOUT_SECONDS`` (5),
``TESSERA_VERIFY_CACHE_DIR`` (where fetched keys and status lists are also written for
``--offline``; unset: not written), and how failures of an issuer are remembered
(``TESSERA_VERIFY_FAILURE_CACHE_SECONDS`` 30, ``TESSERA_VERIFY_BREAKER_FAILURES`` 5,
``TESSERA_VERIFY_BREAKER_COOL_OFF_SECONDS`` 300) and how old cached keys may be when a
refresh fails (``TESSERA_VERIFY_KEYS_MAX_AGE_SECONDS``, 86,400), and the time zone the verify
page shows times in (``TESSERA_VERIFIER_TIME_ZONE``, ``Asia/Shanghai``). Read when
``VerifierSettings()`` is built, never at import.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from verifier.local_time import DEFAULT_TIME_ZONE, UnknownTimeZoneError, time_zone
from verifier.sources.breaker import FailurePolicy, failure_policy
from verifier.trust import TrustedIssuers


class VerificationPolicy(BaseSettings):
    """How any Tessera verifier checks and fetches: the clock skew it allows, and
    (docs/decisions/0022-slow-partners.md) the deadline of one request to an issuer, how long
    failures are remembered, how old cached keys may get. The standalone verifier's settings
    and the issuer's (for its built-in verifier) both take these."""

    model_config = SettingsConfigDict(env_prefix="TESSERA_", extra="ignore")

    verify_clock_skew_seconds: int = Field(default=60, ge=0, le=3600)
    verify_http_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    verify_failure_cache_seconds: int = Field(default=30, ge=0, le=3600)
    verify_breaker_failures: int = Field(default=5, ge=1, le=100)
    verify_breaker_cool_off_seconds: int = Field(default=300, ge=1, le=86_400)
    verify_keys_max_age_seconds: int = Field(default=86_400, ge=60, le=30 * 86_400)

    @property
    def clock_skew(self) -> dt.timedelta:
        """Allowed clock difference for validity checks."""
        return dt.timedelta(seconds=self.verify_clock_skew_seconds)

    @property
    def failure_policy(self) -> FailurePolicy:
        """How failures of an issuer's publications are remembered (decision 0022)."""
        return failure_policy(
            failure_cache_seconds=self.verify_failure_cache_seconds,
            breaker_failures=self.verify_breaker_failures,
            cool_off_seconds=self.verify_breaker_cool_off_seconds,
            request_seconds=self.verify_http_timeout_seconds,
        )

    @property
    def keys_max_age(self) -> dt.timedelta:
        """How old cached keys may be when their refresh fails."""
        return dt.timedelta(seconds=self.verify_keys_max_age_seconds)


class VerifierSettings(VerificationPolicy):
    """Configuration of a standalone verifier."""

    base_url: str | None = None
    trusted_issuers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    verify_cache_dir: Path | None = None
    verifier_time_zone: str = DEFAULT_TIME_ZONE

    @field_validator("verifier_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            time_zone(value)
        except UnknownTimeZoneError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("trusted_issuers", mode="before")
    @classmethod
    def _split_issuers(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_issuers")
    @classmethod
    def _http_issuers(cls, value: list[str]) -> list[str]:
        for issuer in value:
            if not issuer.startswith(("http://", "https://")):
                raise ValueError("trusted issuers must be http(s) URLs")
        return value

    def trusted(self) -> TrustedIssuers:
        """The trusted issuers; this server's own base URL when none are configured."""
        if self.trusted_issuers:
            return TrustedIssuers(self.trusted_issuers)
        return TrustedIssuers([self.base_url] if self.base_url else [])
