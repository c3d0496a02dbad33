"""The certificate as an SD-JWT VC (``typ: dc+sd-jwt``) for wallets.

Being written: the signature below is the interface other modules call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from issuer.keys.signer import Signer
from issuer.store.models import Credential


def build_sd_jwt_vc(
    session: Session,
    credential: Credential,
    *,
    base_url: str,
    signer: Signer,
    holder_jwk: Mapping[str, Any],
    now: dt.datetime,
) -> str:
    """``credential`` as an SD-JWT VC bound to ``holder_jwk`` (``cnf``), with every
    disclosure and no key-binding JWT: ``<issuer-signed JWT>~<disclosure>~…~``."""
    raise NotImplementedError
