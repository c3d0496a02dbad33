"""Query strings: a parameter the route does not declare is refused, never silently ignored.

``known_query_only`` is a dependency any route can take (``dependencies=[known_query_only]``):
it reads the query parameters the route declares (its own and its dependencies'), and answers
422 ``invalid_request`` naming each one it does not know (``query.<name>``), the same problem
document as any other invalid parameter. A misspelt filter (``?stat=revoked``) would otherwise
return the whole register as if it had matched.
"""

from __future__ import annotations

from typing import Final

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

_MAX_REPORTED: Final = 20
_MAX_NAME: Final = 64  # a name echoed back is cut short


def declared_query_names(dependant: Dependant) -> frozenset[str]:
    """Every query parameter name ``dependant`` and its sub-dependencies declare."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= declared_query_names(sub)
    return frozenset(names)


_KNOWN: dict[int, frozenset[str]] = {}


def _known(route: APIRoute) -> frozenset[str]:
    known = _KNOWN.get(id(route))
    if known is None:
        known = _KNOWN[id(route)] = declared_query_names(route.dependant)
    return known


def _reject_unknown(request: Request) -> None:
    route = request.scope.get("route")
    known = _known(route) if isinstance(route, APIRoute) else frozenset()
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name[:_MAX_NAME]),
                    "msg": "unknown query parameter",
                    "input": None,
                }
                for name in unknown[:_MAX_REPORTED]
            ]
        )


known_query_only = Depends(_reject_unknown)
