"""The phone service in words."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


def pounds(pence: int | None) -> str:
    """1234 → "£12.34"."""
    value = pence or 0
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value) // 100}.{abs(value) % 100:02d}"


# How a call ended, as the prisoner reads it on the portal (staff read EndedBy's words).
ENDINGS_FOR_PRISONER: dict[str, Promise] = {
    "caller": _("You hung up"),
    "called": _("They hung up"),
    "limit": _("The call's time ran out"),
    "staff": _("Ended by staff"),
    "policy": _("Ended: no longer allowed"),
    "unreported": _("Charged to its time limit: its end was not recorded"),
    "failed": _("Not connected"),
    "not_accepted": _("The person you called did not accept the call"),
}


# What each of this app's audit actions means, for the timeline and the event page
# (gathered by audit.labels); an action not listed is shown by its code.
AUDIT_ACTIONS: dict[str, Promise] = {
    "phone.number.add": _("Phone number added by staff"),
    "phone.number.request": _("Phone number asked for"),
    "phone.number.approve": _("Phone number approved"),
    "phone.number.refuse": _("Phone number refused"),
    "phone.number.remove": _("Phone number removed"),
    "phone.number.bar": _("Phone number barred for everyone"),
    "phone.number.unbar": _("Phone number bar lifted"),
    "phone.pin.set": _("Phone PIN set by staff"),
    "phone.pin.change": _("Phone PIN changed by the prisoner"),
    "phone.pin.wrong": _("Wrong phone PIN"),
    "phone.credit.add": _("Phone credit added"),
    "phone.settings.change": _("Phone hours, longest call or tariff changed"),
    "phone.call.refused": _("Phone call refused"),
    "phone.call.start": _("Phone call placed"),
    "phone.call.answer": _("Phone call answered"),
    "phone.call.end": _("Phone call ended"),
    "phone.call.accept": _("Phone call accepted by the called person"),
    "phone.call.hangup_failed": _("Phone call could not be hung up"),
    "phone.recording.keep": _("Phone call recording kept"),
    "phone.recording.unreadable": _("Phone call recording could not be read"),
    "phone.recording.play": _("Phone call recording played"),
    "phone.recording.delete": _("Phone call recording deleted"),
}
