"""Which of their establishments a member of staff is looking at, kept in the session.

The choice narrows what the staff pages show; it never widens it. Scope itself is
always decided by ``for_user``, so a stale or tampered choice simply falls back to
"all my establishments".
"""

from __future__ import annotations

from django.http import HttpRequest

from wicketgate.accounts.roles import Action
from wicketgate.estate.models import Establishment, EstablishmentQuerySet

SESSION_KEY = "wg_establishment"
_CACHE_ATTR = "_wg_current_establishment"


def visible_establishments(request: HttpRequest) -> EstablishmentQuerySet:
    return Establishment.objects.for_user(request.user, Action.VIEW)


def current_establishment(request: HttpRequest) -> Establishment | None:
    """The establishment chosen in the switcher, or None for all of the user's establishments.

    Someone who can see only one establishment is always looking at that one.
    """
    if hasattr(request, _CACHE_ATTR):
        cached: Establishment | None = getattr(request, _CACHE_ATTR)
        return cached
    code = request.session.get(SESSION_KEY)
    chosen = visible_establishments(request).filter(code=code).first() if code else None
    if code and chosen is None:
        del request.session[SESSION_KEY]
    if chosen is None:
        only = list(visible_establishments(request)[:2])
        chosen = only[0] if len(only) == 1 else None
    setattr(request, _CACHE_ATTR, chosen)
    return chosen


def choose_establishment(request: HttpRequest, code: str) -> bool:
    """Remember ``code`` (or "" for all); False if the user may not view that establishment."""
    if not code:
        request.session.pop(SESSION_KEY, None)
        setattr(request, _CACHE_ATTR, None)
        return True
    chosen = visible_establishments(request).filter(code=code).first()
    if chosen is None:
        return False
    request.session[SESSION_KEY] = chosen.code
    setattr(request, _CACHE_ATTR, chosen)
    return True
