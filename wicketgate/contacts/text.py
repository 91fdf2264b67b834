"""How the contact pages name a link's status and a person's identity check."""

from __future__ import annotations

from typing import Any

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.models import Contact

# status → (plain words for the family member, for the prisoner, tag colour)
STATUS: dict[str, tuple[Any, Any, str]] = {
    LinkStatus.REQUESTED: (
        _("Waiting for them to confirm they know you"),
        _("Waiting for you to confirm"),
        "blue",
    ),
    LinkStatus.CONFIRMED: (
        _("Confirmed by them, waiting for the prison to decide"),
        _("Waiting for the prison to decide"),
        "yellow",
    ),
    LinkStatus.APPROVED: (_("Approved"), _("Approved"), "green"),
    LinkStatus.REFUSED: (_("Not approved"), _("Not approved"), "red"),
    LinkStatus.REVOKED: (_("No longer approved"), _("No longer approved"), "grey"),
}


def identity_status(person: Contact) -> tuple[str, str]:
    """(words, tag colour) for where a person's identity check stands."""
    if person.user_id is None:
        return str(_("No account: not needed")), "grey"
    if person.identity_checked_at is not None:
        when = date_format(person.identity_checked_at, "j F Y")
        return str(_("Checked on %(when)s") % {"when": when}), "green"
    if person.document_type:
        return str(_("Details given, not checked")), "yellow"
    return str(_("No details given yet")), "red"


# What each of this app's audit actions means, for the timeline and the event page
# (gathered by audit.labels); an action not listed is shown by its code.
AUDIT_ACTIONS: dict[str, Promise] = {
    "contacts.register": _("Family account registered"),
    "contacts.email.verify": _("Email address confirmed"),
    "contacts.email.resend": _("Confirmation email sent again"),
    "contacts.settings.change": _("Contact settings changed"),
    "contacts.identity.give": _("Identity details given"),
    "contacts.identity.check": _("Identity checked"),
    "contacts.identity_image.add": _("Identity document added"),
    "contacts.identity_image.view": _("Identity document looked at"),
    "contacts.identity_image.delete": _("Identity document deleted"),
    "contacts.link.request": _("Asked to be a contact"),
    "contacts.link.no_match": _("Contact request did not match a prisoner"),
    "contacts.link.limited": _("Contact requests limited for a while"),
    "contacts.link.add_official": _("Official contact added"),
    "contacts.link.confirm": _("Contact agreed by the prisoner"),
    "contacts.link.decline": _("Contact declined by the prisoner"),
    "contacts.link.approve": _("Contact approved by staff"),
    "contacts.link.refuse": _("Contact refused by staff"),
    "contacts.link.revoke": _("Contact withdrawn"),
    "contacts.link.victim": _("Marked as a victim, or no longer"),
    "contacts.link.restrict": _("Contact restricted"),
    "contacts.link.unrestrict": _("Contact restriction ended"),
}
