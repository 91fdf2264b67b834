"""The web gateway in words."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# What each of this app's audit actions means, for the timeline and the event page
# (gathered by audit.labels); an action not listed is shown by its code.
AUDIT_ACTIONS: dict[str, Promise] = {
    "gateway.request": _("Web request through the gateway"),
    "gateway.device.register": _("Device registered on the gateway"),
    "gateway.device.retire": _("Device retired from the gateway"),
    "gateway.session.open": _("Device session opened"),
    "gateway.session.close": _("Device session closed"),
    "gateway.lockdown.start": _("Lockdown started"),
    "gateway.lockdown.end": _("Lockdown lifted"),
    "gateway.bypass_attempt": _("Attempt to get around the gateway"),
    "gateway.fail_closed": _("Gateway refusing everything (its policy could not be read)"),
    "gateway.recovered": _("Gateway deciding again"),
    "gateway.log.unreadable": _("Gateway log line that could not be read"),
}
