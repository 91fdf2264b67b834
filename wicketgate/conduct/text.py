"""Conduct records in words: what a sanction takes away, where an incident has got to.

Staff read the adjudication's own terms; a prisoner reads plain words, told each time
that legal contact is never taken away.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wicketgate.conduct.codes import CONTACT_SERVICES, Service, Status
from wicketgate.conduct.models import Sanction

# The colour of each incident status's tag on the staff pages.
INCIDENT_STATUS_TAGS: dict[str, str] = {
    Status.REPORTED: "govuk-tag--blue",
    Status.REFERRED: "govuk-tag--purple",
    Status.HEARING_SCHEDULED: "govuk-tag--yellow",
    Status.PROVED: "govuk-tag--red",
    Status.NOT_PROVED: "govuk-tag--grey",
    Status.DISMISSED: "govuk-tag--grey",
    Status.APPEALED: "govuk-tag--orange",
    Status.UPHELD: "govuk-tag--red",
    Status.QUASHED: "govuk-tag--green",
}

# A sanction's state (``Sanction.state``): words for staff, words for the prisoner, colour.
SANCTION_STATES: dict[str, tuple[Promise, Promise, str]] = {
    "in_force": (gettext_lazy("In force"), gettext_lazy("In force now"), "govuk-tag--red"),
    "pending": (gettext_lazy("Starts later"), gettext_lazy("Starts later"), "govuk-tag--yellow"),
    "suspended": (gettext_lazy("Suspended"), gettext_lazy("Suspended"), "govuk-tag--orange"),
    "lapsed": (
        gettext_lazy("Suspension lapsed"),
        gettext_lazy("Suspension ended: it will not apply"),
        "govuk-tag--grey",
    ),
    "served": (gettext_lazy("Served"), gettext_lazy("Finished"), "govuk-tag--grey"),
    "quashed": (gettext_lazy("Quashed"), gettext_lazy("Cancelled"), "govuk-tag--green"),
}

# Where a charge has got to, as the prisoner reads it.
INCIDENT_STATUS_FOR_PRISONER: dict[str, Promise] = {
    Status.REPORTED: gettext_lazy("Reported: waiting for a hearing to be arranged"),
    Status.REFERRED: gettext_lazy("Sent to the independent adjudicator"),
    Status.HEARING_SCHEDULED: gettext_lazy("Hearing arranged"),
    Status.PROVED: gettext_lazy("Found proved"),
    Status.NOT_PROVED: gettext_lazy("Not proved"),
    Status.DISMISSED: gettext_lazy("Dismissed"),
    Status.APPEALED: gettext_lazy("You have appealed: waiting for the decision"),
    Status.UPHELD: gettext_lazy("Appeal refused: the finding stands"),
    Status.QUASHED: gettext_lazy("Appeal allowed: the finding and its punishments are cancelled"),
}


def category_list(sanction: Sanction, names: Mapping[str, str]) -> str:
    return ", ".join(names.get(code, code) for code in sanction.categories)


def restricts_for_staff(sanction: Sanction, names: Mapping[str, str]) -> str:
    """What it takes away, with category names rather than codes."""
    if sanction.service == Service.WEB and sanction.categories:
        return _("Web access to %(categories)s") % {"categories": category_list(sanction, names)}
    if sanction.service == Service.PRIVILEGES:
        return _("%(privilege)s (on the wing)") % {
            "privilege": sanction.privilege or Service.PRIVILEGES.label
        }
    label = str(Service(sanction.service).label)
    if sanction.service in CONTACT_SERVICES:
        return _("%(service)s (legal contact not affected)") % {"service": label}
    return label


def restricts_for_prisoner(sanction: Sanction, names: Mapping[str, str]) -> str:
    """What it takes away, in plain words."""
    service = sanction.service
    if service == Service.WEB:
        if sanction.categories:
            return _("Web access to %(categories)s sites") % {
                "categories": category_list(sanction, names)
            }
        return _("All web access")
    if service == Service.VIDEO:
        return _("Video calls — calls with your legal adviser are not affected")
    if service == Service.PHONE:
        return _("Phone calls — calls to your legal adviser are not affected")
    if service == Service.MESSAGES:
        return _("Secure messages — messages with your legal adviser are not affected")
    if service == Service.DEVICE:
        return _("Using websites on a laptop or kiosk")
    return sanction.privilege or _("A privilege on the wing")


# What each of this app's audit actions means, for the timeline and the event page
# (gathered by audit.labels); an action not listed is shown by its code.
AUDIT_ACTIONS: dict[str, Promise] = {
    "conduct.incident.report": gettext_lazy("Incident reported"),
    "conduct.incident.referred": gettext_lazy("Referred to the independent adjudicator"),
    "conduct.incident.hearing_scheduled": gettext_lazy("Hearing scheduled"),
    "conduct.incident.proved": gettext_lazy("Found proved"),
    "conduct.incident.not_proved": gettext_lazy("Found not proved"),
    "conduct.incident.dismissed": gettext_lazy("Dismissed"),
    "conduct.incident.appealed": gettext_lazy("Appeal lodged"),
    "conduct.incident.upheld": gettext_lazy("Appeal refused: finding upheld"),
    "conduct.incident.quashed": gettext_lazy("Quashed on appeal"),
    "conduct.sanction.add": gettext_lazy("Sanction given"),
    "conduct.sanction.activate": gettext_lazy("Suspended sanction activated"),
    "conduct.sanction.deactivate": gettext_lazy(
        "Sanction suspended again (its activating charge was quashed)"
    ),
    "conduct.sanction.quash": gettext_lazy("Sanction quashed"),
    "conduct.alert.raise": gettext_lazy("Conduct alert raised"),
    "conduct.alert.dismiss": gettext_lazy("Conduct alert dismissed"),
    "conduct.alert.incident": gettext_lazy("Conduct alert made an incident"),
    "conduct.trigger.change": gettext_lazy("Conduct alert trigger changed"),
}
