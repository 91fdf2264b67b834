"""Reads for the contact pages that the contacts app does not offer (yet).

Staff reads take querysets the caller has already scoped with ``for_user``; family and
prisoner reads go through the signed-in person, so nothing here decides who may see what.
"""

from __future__ import annotations

from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.models import Contact, ContactLink, ContactLinkQuerySet
from wicketgate.people.models import Prisoner


def links_of(contact: Contact) -> list[ContactLink]:
    """The links a family member asked for, and those of the children they added."""
    return list(
        ContactLink.objects.filter(contact__in=[contact, *contact.children.all()])
        .select_related("prisoner", "contact")
        .order_by("prisoner__family_name", "contact__added_by_id", "pk")
    )


def waiting_for_staff(links: ContactLinkQuerySet) -> ContactLinkQuerySet:
    """Links the prisoner has confirmed and staff have still to decide: oldest first."""
    return (
        links.filter(status=LinkStatus.CONFIRMED)
        .select_related("prisoner__establishment", "contact")
        .order_by("confirmed_at", "pk")
    )


def links_for_prisoner(links: ContactLinkQuerySet, prisoner: Prisoner) -> ContactLinkQuerySet:
    return links.filter(prisoner=prisoner).select_related("contact").order_by("status", "pk")
