from __future__ import annotations

import operator
from functools import partial
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from wicketgate.accounts.roles import Action
from wicketgate.accounts.scoping import actions_somewhere
from wicketgate.web.decorators import is_verified_staff
from wicketgate.web.switcher import current_establishment, visible_establishments

# The navigation's links, each shown to staff who may do its action somewhere.
_NAVIGATION = {
    "wg_can_view_policy": Action.VIEW,
    "wg_can_view_audit": Action.VIEW_AUDIT,
    "wg_can_review_site_requests": Action.REVIEW_SITE_REQUESTS,
    "wg_can_report_incidents": Action.REPORT_INCIDENTS,
    "wg_can_review_alerts": Action.REVIEW_ALERTS,
    "wg_can_manage_contacts": Action.MANAGE_CONTACTS,
    "wg_can_manage_phone": Action.MANAGE_PHONE,
    "wg_can_oversee_calls": Action.OVERSEE_CALLS,
    "wg_can_oversee_phone": Action.OVERSEE_PHONE,
    "wg_can_teach": Action.TEACH,
}

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
        # One query answers every link of the navigation, whichever the page shows.
        actions = SimpleLazyObject(lambda: actions_somewhere(user))
        for name, action in _NAVIGATION.items():
            context[name] = SimpleLazyObject(partial(operator.contains, actions, action))
    return context
