"""The register's counts beside the credentials they count (migration 0019)."""

from __future__ import annotations

from sqlalchemy import func, select

from issuer.services import Services
from issuer.store.models import Credential, RegisterCount


def counted(services: Services) -> dict[tuple[int, int, str], int]:
    """The register's counts per (unit id, level id, state), groups of none left out."""
    total = func.sum(RegisterCount.n)
    query = (
        select(RegisterCount.unit_id, RegisterCount.level_id, RegisterCount.state, total)
        .group_by(RegisterCount.unit_id, RegisterCount.level_id, RegisterCount.state)
        .having(total != 0)
    )
    with services.read_sessions() as session:
        return {(u, lv, s): int(n) for u, lv, s, n in session.execute(query)}


def grouped(services: Services) -> dict[tuple[int, int, str], int]:
    """The same figures counted from the credentials themselves."""
    query = select(
        Credential.unit_id, Credential.level_id, Credential.state, func.count()
    ).group_by(Credential.unit_id, Credential.level_id, Credential.state)
    with services.read_sessions() as session:
        return {(u, lv, s): int(n) for u, lv, s, n in session.execute(query)}


def assert_counts_exact(services: Services) -> None:
    assert counted(services) == grouped(services)
