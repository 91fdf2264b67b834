"""Words for codes, where the models' own choice labels are not enough."""

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

# What a prisoner is told is on its way, for each feature their establishment has on.
COMING_SERVICES: dict[str, Promise] = {
    "web_access": _("Approved websites, with a reason shown when something is blocked"),
    "video_calls": _("Video calls with the family and friends on your approved list"),
    "phone_calls": _("Phone calls to the numbers staff have approved"),
    "messaging": _("Secure messages with your approved contacts"),
    "learning": _("Online courses and your learning record"),
}
