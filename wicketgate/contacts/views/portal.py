"""The prisoner portal's contacts: people who asked to be my contact (confirm or decline
each), and my approved contacts.

A prisoner sees only their own list: every read goes through the signed-in prisoner, so
another prisoner's link is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wicketgate.audit.log import Actor
from wicketgate.contacts.actions import ContactError, do_confirm_link
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.models import ContactLink
from wicketgate.web.decorators import prisoner_required
from wicketgate.web.portals import signed_in_prisoner


@require_GET
@prisoner_required
def my_contacts(request: HttpRequest) -> HttpResponse:
    prisoner = signed_in_prisoner(request)
    links = ContactLink.objects.for_prisoner(prisoner).select_related("contact")
    return render(
        request,
        "contacts/portal/contacts.html",
        {
            "asked": links.filter(status=LinkStatus.REQUESTED).order_by("requested_at", "pk"),
            "waiting": links.filter(status=LinkStatus.CONFIRMED),
            "approved": links.approved(),
        },
    )


@require_POST
@prisoner_required
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    prisoner = signed_in_prisoner(request)
    link = get_object_or_404(
        ContactLink.objects.select_related("contact"), pk=pk, prisoner=prisoner
    )
    accept = request.POST.get("accept") == "yes"
    try:
        do_confirm_link(link, accept=accept, actor=Actor.of_user(request.user))
    except ContactError as exc:
        messages.error(request, capfirst(str(exc)))
    else:
        name = link.contact.full_name
        messages.success(
            request,
            _("You confirmed %(name)s. The prison will now decide.") % {"name": name}
            if accept
            else _("You declined %(name)s.") % {"name": name},
        )
    return redirect("contacts:portal-contacts")
