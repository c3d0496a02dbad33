"""Build the unsigned credential: a VCDM 2.0 ``OpenBadgeCredential`` plus its JWT claims.

Header and claims follow VC-JOSE-COSE §3.1 and OB 3.0 "JSON Web Token Proof Format":
the payload is the credential itself (no ``vc`` claim), with ``iss``/``jti``/``sub``/``nbf``
equal to ``issuer.id``/``id``/``credentialSubject.id``/``validFrom`` and ``exp`` only when
``validUntil`` is set. National ID and birth date are never put in the credential.
The VC 2.0 context defines every claim but ``jti``, which the undefined-terms context, last
in ``@context``, defines (VCDM 2.0 §5.2; docs/decisions/0053-json-ld-undefined-terms.md).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from verifier.format import CREDENTIAL_CONTEXTS, OPEN_BADGE_CREDENTIAL, VERIFIABLE_CREDENTIAL


@functools.lru_cache(maxsize=256)  # a campaign shares one issuance time
def xsd_datetime(moment: dt.datetime) -> str:
    """An XML Schema ``dateTimeStamp`` in UTC with whole seconds (VCDM 2.0 §5.8)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_credential(
    *,
    base_url: str,
    issuer_name: str,
    credential_id: str,
    holder_id: str,
    holder_name: str,
    employee_number: str,
    achievement: dict[str, Any],
    unit: dict[str, Any],
    exam_date: dt.date,
    valid_from: dt.datetime,
    valid_until: dt.datetime | None,
    status: dict[str, str],
    issued_at: dt.datetime,
) -> dict[str, Any]:
    """The JWS payload for one credential."""
    cred_uri = f"urn:uuid:{credential_id}"
    subject_uri = f"urn:uuid:{holder_id}"
    valid_from = valid_from.replace(microsecond=0)
    payload: dict[str, Any] = {
        "@context": list(CREDENTIAL_CONTEXTS),
        "id": cred_uri,
        "type": [VERIFIABLE_CREDENTIAL, OPEN_BADGE_CREDENTIAL],
        "issuer": {"id": base_url, "type": ["Profile"], "name": issuer_name, "url": base_url},
        "validFrom": xsd_datetime(valid_from),
        "name": achievement["name"],
        "credentialSubject": {
            "id": subject_uri,
            "type": ["AchievementSubject"],
            "identifier": [
                _identity("name", holder_name),
                _identity("identifier", employee_number),
            ],
            "achievement": achievement,
            "source": unit,
            "activityEndDate": f"{exam_date.isoformat()}T00:00:00Z",
        },
        "credentialStatus": status,
        "iss": base_url,
        "jti": cred_uri,
        "sub": subject_uri,
        "nbf": int(valid_from.timestamp()),
        "iat": int(issued_at.timestamp()),
    }
    if valid_until is not None:
        valid_until = valid_until.replace(microsecond=0)
        payload["validUntil"] = xsd_datetime(valid_until)
        payload["exp"] = int(valid_until.timestamp())
    return payload


def _identity(identity_type: str, value: str) -> dict[str, Any]:
    # OB 3.0 IdentityObject; hashed=false carries the plain value the employer reads.
    return {
        "type": "IdentityObject",
        "identityType": identity_type,
        "hashed": False,
        "identityHash": value,
    }
