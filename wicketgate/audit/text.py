"""The audit log in words."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# What each of this app's audit actions means, for the timeline and the event page
# (gathered by audit.labels); an action not listed is shown by its code.
AUDIT_ACTIONS: dict[str, Promise] = {
    "audit.export": _("Audit events exported"),
}
