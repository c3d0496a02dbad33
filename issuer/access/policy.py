"""The one access policy: what each role may read and change, and within which units.

- ``admin``: everything, every unit; decides other admins' approval requests.
- ``registrar``: reads and changes credentials of its units only; sees its own imports.
- ``auditor``: reads everything, the audit log included; changes nothing.

Routes and commands ask here; nothing else decides who may do what.
"""

from __future__ import annotations

from issuer.access.tokens import Principal
from issuer.errors import PermissionDeniedError
from issuer.vocabulary import Role

WRITER_ROLES = frozenset({Role.ADMIN, Role.REGISTRAR})
OVERSEER_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})


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


def unit_scope(principal: Principal) -> tuple[str, ...] | None:
    """The units ``principal`` is confined to, for reads and changes; ``None``: every unit."""
    return principal.units if principal.role == Role.REGISTRAR else None


def require_readable(principal: Principal, unit_code: str) -> None:
    """Reads: registrars see their units' credentials only; admins and auditors all."""
    scope = unit_scope(principal)
    if scope is not None and unit_code not in scope:
        raise PermissionDeniedError("this token may not see that unit's credentials")


def require_own_import(principal: Principal, created_by: str) -> None:
    """Registrars see the imports they started; admins and auditors every import."""
    if principal.role == Role.REGISTRAR and created_by != principal.actor_name:
        raise PermissionDeniedError("registrars see their own imports only")
