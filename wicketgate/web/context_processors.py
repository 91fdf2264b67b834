from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from wicketgate.accounts.roles import Action
from wicketgate.web.decorators import is_verified_staff, may_somewhere
from wicketgate.web.switcher import current_establishment, visible_establishments

# Which part of the site a page belongs to, from the start of its path.
_PORTALS = (("/portal/", "prisoner"), ("/family/", "family"), ("/staff/", "staff"))


def staff_context(request: HttpRequest) -> dict[str, Any]:
    """The portal a page is in and, for verified staff, the establishment switcher.

    The switcher's queries run only if a template uses it.
    """
    portal = next((name for prefix, name in _PORTALS if request.path.startswith(prefix)), "staff")
    context: dict[str, Any] = {"wg_portal": portal, "wg_staff": False}
    user = getattr(request, "user", None)
    if user is not None and is_verified_staff(user):
        context["wg_staff"] = True
        context["wg_establishments"] = SimpleLazyObject(
            lambda: list(visible_establishments(request))
        )
        context["wg_current_establishment"] = SimpleLazyObject(
            lambda: current_establishment(request)
        )
        context["wg_can_view_policy"] = SimpleLazyObject(lambda: may_somewhere(user, Action.VIEW))
        context["wg_can_view_audit"] = SimpleLazyObject(
            lambda: may_somewhere(user, Action.VIEW_AUDIT)
        )
        context["wg_can_review_site_requests"] = SimpleLazyObject(
            lambda: may_somewhere(user, Action.REVIEW_SITE_REQUESTS)
        )
    return context
