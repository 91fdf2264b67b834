"""Who is signed in to each portal: the one way every portal page asks.

A prisoner's device account and a family member's account each stand for one person
(a ``Prisoner``, a ``Contact``): the pages read that person here, and scope what they
show through ``for_prisoner`` / ``for_contact`` on the model's queryset. An account
without its person (made another way) gets a 404, as any page not theirs does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404, HttpRequest

if TYPE_CHECKING:
    from wicketgate.contacts.models import Contact
    from wicketgate.people.models import Prisoner


def signed_in_prisoner(request: HttpRequest) -> Prisoner:
    """The prisoner whose device account is signed in (beneath ``prisoner_required``)."""
    from wicketgate.accounts.models import PrisonerAccount

    account = (
        PrisonerAccount.objects.select_related("prisoner__establishment")
        .filter(user_id=request.user.pk or 0)
        .first()
    )
    if account is None:
        raise Http404
    return account.prisoner


def signed_in_contact(request: HttpRequest) -> Contact:
    """The person behind the signed-in family account (beneath ``family_required``)."""
    from wicketgate.contacts.models import Contact

    person = Contact.objects.filter(user_id=request.user.pk or 0).first()
    if person is None:
        raise Http404  # an account made by staff, not through registration
    return person
