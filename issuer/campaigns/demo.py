"""The demo campaign: 16 units, 42 occupations, 1,391 synthetic candidates, one credential each.

Deterministic (a fixed seed), idempotent (a second run issues nothing new).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.credentials.issuance import IssueRequest, IssuerIdentity, issue_credentials
from issuer.store.audit import Actor
from issuer.store.models import Credential, Holder, Level, Occupation, Unit

LEVEL_COUNTS = {"junior": 761, "intermediate": 280, "senior": 350}
CANDIDATES = sum(LEVEL_COUNTS.values())  # 1,391
CAMPAIGN = "2026-Q4"
CAMPAIGN_START = dt.date(2026, 10, 12)  # a seven-day, computer-based exam campaign
_SEED = 20261012


@dataclass(frozen=True)
class DemoResult:
    issued: int
    already_present: int


def catalog_data() -> dict[str, Any]:
    text = resources.files("issuer.campaigns").joinpath("data/demo_catalog.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_catalog_data(session: Session, data: dict[str, Any]) -> None:
    """Insert the units, occupations and levels that are not there yet (by code)."""
    for model, rows in (
        (Unit, data["units"]),
        (Occupation, data["occupations"]),
        (Level, data["levels"]),
    ):
        existing = set(session.scalars(select(model.code)))
        for row in rows:
            if row["code"] not in existing:
                session.add(model(**row))
    session.flush()


def campaign_requests(data: dict[str, Any]) -> list[IssueRequest]:
    """The 1,391 passed exams of the demo campaign (synthetic names, fixed seed)."""
    rng = random.Random(_SEED)  # noqa: S311 - synthetic demo data, not security
    levels = [lv for lv, n in LEVEL_COUNTS.items() for _ in range(n)]
    rng.shuffle(levels)
    surnames, chars = data["surnames"], data["given_name_chars"]
    units = [u["code"] for u in data["units"]]
    occupations = [o["code"] for o in data["occupations"]]
    requests = []
    for i, level in enumerate(levels, start=1):
        given = "".join(rng.choice(chars) for _ in range(rng.choice((1, 2, 2, 2))))
        day = rng.randrange(7)
        requests.append(
            IssueRequest(
                holder_name=rng.choice(surnames[:60] if rng.random() < 0.9 else surnames) + given,
                employee_number=f"SF{i:06d}",
                occupation=rng.choice(occupations),
                level=level,
                unit=rng.choice(units),
                exam_date=CAMPAIGN_START + dt.timedelta(days=day),
                exam_session=f"{CAMPAIGN}-D{day + 1}-R{rng.randrange(1, 13):02d}",
                score=float(rng.randrange(60, 100)),
            )
        )
    return requests


def load_demo(session: Session, *, issuer: IssuerIdentity, now: dt.datetime) -> DemoResult:
    """Load the catalog and issue every demo credential not issued yet."""
    data = catalog_data()
    load_catalog_data(session, data)
    requests = campaign_requests(data)
    done = set(
        session.scalars(
            select(Holder.employee_number)
            .join(Credential, Credential.holder_id == Holder.id)
            .where(Credential.exam_session.like(f"{CAMPAIGN}-%"))
        )
    )
    todo = [r for r in requests if r.employee_number not in done]
    issue_credentials(session, todo, issuer=issuer, actor=Actor("demo-loader"), now=now)
    return DemoResult(issued=len(todo), already_present=len(requests) - len(todo))
