"""Prisoner records in words."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# What each of this app's audit actions means, for the timeline and the event page
# (gathered by audit.labels); an action not listed is shown by its code.
AUDIT_ACTIONS: dict[str, Promise] = {
    "people.import": _("Prisoners imported"),
    "people.prisoner.create": _("Prisoner record created"),
    "people.prisoner.update": _("Prisoner details updated"),
    "people.prisoner.move": _("Moved to another location"),
    "people.prisoner.transfer": _("Transferred"),
    "people.alert.add": _("Alert added"),
    "people.alert.end": _("Alert ended"),
    "people.alert.sync": _("Alerts updated from an import"),
    "people.incentive.review": _("Incentive level reviewed"),
}
