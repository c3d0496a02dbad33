"""``/console/``: the dashboard (``/console/account`` is in ``account``)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import HTMLResponse, RedirectResponse

from issuer.access.policy import OVERSEER_ROLES
from issuer.credentials.notices import outbox_counts
from issuer.credentials.search import CredentialFilter
from issuer.vocabulary import CredentialState
from issuer.web.console.credential_words import action_words, reason_words, state_words
from issuer.web.console.dashboard import STATES, figures
from issuer.web.console.identity import ConsoleUserDep
from issuer.web.console.pages import page
from issuer.web.console.search_form import search_url
from issuer.web.console.words import actor_words
from issuer.web.deps import ReadSessionDep, ServicesDep

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("")
def console_root() -> RedirectResponse:
    return RedirectResponse("/console/", status_code=307)


def _find(*, unit: str | None = None, level: str | None = None, state: str | None = None) -> str:
    """The search behind a figure: the list a number links to."""
    return search_url(
        CredentialFilter(
            units=(unit,) if unit else (),
            level=level,
            state=CredentialState(state) if state else None,
        )
    )


@router.get("/")
def dashboard(user: ConsoleUserDep, services: ServicesDep, session: ReadSessionDep) -> HTMLResponse:
    return page(
        services,
        "dashboard.html",
        user=user,
        current="/console/",
        figures=figures(session, user),
        states=STATES,
        find=_find,
        state_words=state_words,
        action_words=action_words,
        reason_words=reason_words,
        actor_name=actor_words,
        # The notice outbox, for admins and auditors, when notices are on (decision 0066).
        notices=(
            outbox_counts(session)
            if services.settings.notices_on and user.role in OVERSEER_ROLES
            else None
        ),
    )
