"""The one access policy: what each role may read and change, and within which units.

- ``admin``: everything, every unit; decides other admins' approval requests.
- ``registrar``: reads and changes credentials of its units only; sees its own imports.
- ``auditor``: reads everything, the audit log included; changes nothing.

Rights pass down, never up: a principal creates principals and tokens with at most its own
role and units (``covers``), and an admin principal, or a token for another admin, only
through a second principal's approval (issuer/access/principals.py).

Routes and commands ask here; nothing else decides who may do what.
"""

from __future__ import annotations

from issuer.access.tokens import Principal
from issuer.errors import IssuerErrorCode, PermissionDeniedError
from issuer.store.models import PrincipalRecord
from issuer.vocabulary import Role

WRITER_ROLES = frozenset({Role.ADMIN, Role.REGISTRAR})
OVERSEER_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})


def covers(role: str, units: tuple[str, ...], wanted_role: str, wanted_units: list[str]) -> bool:
    """Whether rights ``role`` over ``units`` include ``wanted_role`` over ``wanted_units``.

    An admin's include every right. Otherwise only the same role: a registrar's over a subset
    of its units, an auditor's. (An auditor reads every unit, a registrar only its own: neither
    includes the other.)
    """
    if role == Role.ADMIN:
        return True
    if wanted_role != role:
        return False
    return role != Role.REGISTRAR or set(wanted_units) <= set(units)


def require_writer(principal: Principal) -> Principal:
    """A principal allowed to change credentials (admin or registrar)."""
    if principal.role not in WRITER_ROLES:
        raise PermissionDeniedError("this role is read-only")
    return principal


def require_admin(principal: Principal) -> Principal:
    if principal.role != Role.ADMIN:
        raise PermissionDeniedError("admin role required")
    return principal


def require_overseer(principal: Principal) -> Principal:
    """A principal who may read everything, including the audit log (admin or auditor)."""
    if principal.role not in OVERSEER_ROLES:
        raise PermissionDeniedError("admin or auditor role required")
    return principal


def require_unit(principal: Principal, unit_code: str) -> None:
    """Changes: registrars act only within their units; admins everywhere."""
    if principal.role == Role.ADMIN:
        return
    if principal.role != Role.REGISTRAR or unit_code not in principal.units:
        raise PermissionDeniedError("this token may not act for that unit")


def require_any_unit(principal: Principal, unit_codes: set[str]) -> None:
    """Changes to a holder (their photo): registrars only for holders with a credential of
    one of their units; admins for every holder."""
    if principal.role == Role.ADMIN:
        return
    if principal.role != Role.REGISTRAR or not unit_codes & set(principal.units):
        raise PermissionDeniedError("this token may not act for that holder's units")


def unit_scope(principal: Principal) -> tuple[str, ...] | None:
    """The units ``principal`` is confined to, for reads and changes; ``None``: every unit."""
    return principal.units if principal.role == Role.REGISTRAR else None


def require_readable(principal: Principal, unit_code: str) -> None:
    """Reads: registrars see their units' credentials only; admins and auditors all."""
    scope = unit_scope(principal)
    if scope is not None and unit_code not in scope:
        raise PermissionDeniedError("this token may not see that unit's credentials")


def import_owner_scope(principal: Principal) -> str | None:
    """Whose imports ``principal`` sees: a registrar its own (its actor name); ``None``: all."""
    return principal.actor_name if principal.role == Role.REGISTRAR else None


def require_own_import(principal: Principal, created_by: str) -> None:
    """Registrars see the imports they started; admins and auditors every import."""
    owner = import_owner_scope(principal)
    if owner is not None and created_by != owner:
        raise PermissionDeniedError("registrars see their own imports only")


def require_grant(caller: Principal, role: str, units: list[str]) -> None:
    """The caller may hand out ``role`` over ``units``: within its own rights (403
    ``rights_exceeded``)."""
    if not covers(caller.role, caller.units, role, units):
        raise PermissionDeniedError(
            "a principal cannot grant more rights than its own",
            code=IssuerErrorCode.RIGHTS_EXCEEDED,
        )


def require_token_for(caller: Principal, owner: PrincipalRecord) -> None:
    """A token for oneself within one's rights; for another principal, admins only."""
    if owner.id != caller.principal_id and caller.role != Role.ADMIN:
        raise PermissionDeniedError("only admins create tokens for other principals")


def grant_needs_approval(caller: Principal, owner_role: str, owner_id: int | None) -> bool:
    """Whether a grant needs a second principal's approval: a new admin principal
    (``owner_id`` None), or any token for an admin principal other than the caller."""
    return owner_role == Role.ADMIN and owner_id != caller.principal_id
