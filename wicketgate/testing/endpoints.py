"""The persona suite's list of every staff page and form, joined from the apps.

Each app describes its own staff routes in ``<app>/tests/endpoints.py`` as ``ENDPOINTS``
(and the routes anyone may use, such as signing in, as ``OPEN``); ``staff_endpoints()``
gathers them from every installed Wicketgate app, so an app added later joins by having
that module. ``wicketgate/tests/test_access.py`` tries each persona against all of them,
and refuses a staff route that no app has described.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps

from wicketgate.accounts.roles import StaffRole
from wicketgate.testing.personas import Estate

PROFILE = "/staff/prisoners/A1234BC/"  # the prisoner at A (see testing.personas)
NGT = "/staff/establishments/NGT/"  # establishment A


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    # Builds what the request needs in the database and returns (url, POST data).
    build: Callable[[Estate], tuple[str, dict[str, Any]]]
    owner_status: int = 200
    # Whether it is about one establishment's records, so an outsider must get a 404.
    scoped: bool = True
    # The role the clerks at A and B hold for it (see test_access.in_role): the audit
    # pages are for the security department, not for wing officers.
    role: str = StaffRole.WING_OFFICER
    # The action it needs beyond viewing, where roles without it must get a 404.
    action: str | None = None
    # A change to one prisoner's record, which goes back to their profile.
    returns_to_profile: bool = False
    # Whether the owner's request must leave an event in the audit log; by default every
    # change that is let through (a POST the owner may send), and nothing else.
    recorded: bool | None = None

    def __str__(self) -> str:
        return self.name

    @property
    def is_recorded(self) -> bool:
        if self.recorded is not None:
            return self.recorded
        return self.method == "post" and self.owner_status < 400


def _app_endpoints(attribute: str) -> Iterator[Endpoint]:
    for config in apps.get_app_configs():
        if not config.name.startswith("wicketgate."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tests.endpoints")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tests.endpoints":
                raise  # the module is there but imports something missing
            continue
        yield from getattr(module, attribute, [])


def staff_endpoints() -> list[Endpoint]:
    """Every staff page and form, from every app: the personas' ground."""
    found = list(_app_endpoints("ENDPOINTS"))
    names = [endpoint.name for endpoint in found]
    duplicated = {name for name in names if names.count(name) > 1}
    if duplicated:
        raise ValueError(f"two endpoints share a name: {sorted(duplicated)}")
    return found


def open_endpoints() -> list[Endpoint]:
    """Staff routes anyone may use (signing in and out): ``owner_status`` for everyone."""
    return list(_app_endpoints("OPEN"))


def staff_routes() -> set[str]:
    """Every staff page and form: each route under /staff/, as ``namespace:name``."""
    from django.urls import get_resolver
    from django.urls.resolvers import URLPattern, URLResolver

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                yield from walk(pattern, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), f"{namespace}:{pattern.name}"

    return {name for route, name in walk(get_resolver(), "", "") if route.startswith("staff/")}
