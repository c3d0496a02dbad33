"""Forms on the holder's share page: a token per link, and the browser's word on where it came from.

The holder has no account and no cookie: the share token in the page's URL is what lets them
in, so there is no session for a usual CSRF token to hang on. Each form carries instead a
token drawn from that link: HMAC-SHA-256 over the link token's SHA-256, under a key derived
(HKDF-SHA-256, a purpose label of its own) from the server's key passphrase. A page on
another site cannot make it without the passphrase, and a token drawn for one link is
refused by every other. Beside it, a form the browser says came from another site
(``Sec-Fetch-Site``, ``Origin``) is refused, as the console does
(``issuer.web.console.identity.check_same_site``). No cookie is set, so ``SameSite`` plays
no part.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import Request

from issuer.documents.share_link import hash_token
from issuer.web.console.identity import check_same_site, csrf_refused

FORM_FIELD = "form"
_PURPOSE = b"tessera share page forms"


def _key(passphrase: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(passphrase)


def form_token(passphrase: bytes, link_token: str) -> str:
    """The token every form on ``link_token``'s page carries."""
    return hmac.new(_key(passphrase), hash_token(link_token).encode(), hashlib.sha256).hexdigest()


async def check_share_form(request: Request, passphrase: bytes, link_token: str) -> dict[str, str]:
    """The posted form's fields once it came from this site with the link's form token;
    ``PermissionDeniedError`` (``csrf_failed``) otherwise."""
    check_same_site(request)
    form = await request.form()
    presented = form.get(FORM_FIELD)
    expected = form_token(passphrase, link_token)
    if not isinstance(presented, str) or not hmac.compare_digest(expected, presented[:128]):
        raise csrf_refused()
    return {name: value for name, value in form.items() if isinstance(value, str)}
