"""The estate in words."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FEATURE_LABELS: dict[str, Promise] = {
    "web_access": _("Approved websites"),
    "video_calls": _("Video calls"),
    "phone_calls": _("Phone calls"),
    "messaging": _("Secure messages"),
    "learning": _("Learning"),
    "prisoner_portal": _("Prisoner portal"),
}

# What a prisoner is told is on its way: services not built yet that their establishment
# may already have switched on. Approved websites and video calls work, so they are not here.
COMING_SERVICES: dict[str, Promise] = {
    "phone_calls": _("Phone calls to the numbers staff have approved"),
    "messaging": _("Secure messages with your approved contacts"),
    "learning": _("Online courses and your learning record"),
}

# What each of this app's audit actions means, for the timeline and the event page
# (gathered by audit.labels); an action not listed is shown by its code.
AUDIT_ACTIONS: dict[str, Promise] = {
    "estate.import": _("Establishments imported"),
    "estate.establishment.created": _("Establishment added"),
    "estate.establishment.updated": _("Establishment updated"),
    "estate.establishment.feature": _("Establishment feature turned on or off"),
    "estate.location.created": _("Location added"),
    "estate.location.updated": _("Location updated"),
}
