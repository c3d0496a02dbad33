"""The issuer as the verify page names it at its top: names and logo from the profile.

The page asks on each visit (in a worker thread), so a name or logo changed in the console
shows at once. A database that does not answer costs the page its header, never the page:
the ways to verify still work (decision 0048).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from sqlalchemy.exc import SQLAlchemyError

from issuer.services import Services
from verifier.web.landing import IssuerCard

LOGO_PATH: Final = "/issuer/logo.png"
"""Where ``issuer.web.routes.public`` serves the logo; a path, so the page's own origin."""

log = logging.getLogger(__name__)


def issuer_card_of(services: Services) -> Callable[[], IssuerCard | None]:
    """What ``create_verify_router(issuer_card=...)`` calls for each verify page."""

    def card() -> IssuerCard | None:
        try:
            with services.read_sessions() as session:
                profile = services.profile(session)
        except SQLAlchemyError as exc:
            log.warning("the issuer profile could not be read: %s", type(exc).__name__)
            return None
        logo = LOGO_PATH if profile.logo_png else None
        return IssuerCard(name_zh=profile.name_zh, name_en=profile.name_en, logo_url=logo)

    return card
