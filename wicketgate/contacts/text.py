"""How the contact pages name a link's status and a person's identity check."""

from __future__ import annotations

from typing import Any

from django.utils.formats import date_format
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
