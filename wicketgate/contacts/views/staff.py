"""Staff pages for contacts: the queue of links waiting for a decision, a link's page
(identity check, approve or refuse, revoke, victim flag, restrictions), a prisoner's
contact list and adding an official.

Every page needs ``MANAGE_CONTACTS`` and reads through ``for_user`` with it, so a link at
another establishment is a 404, as is every page for staff whose role lacks the action;
every change goes through ``contacts.actions``, which records it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wicketgate.accounts.roles import Action
from wicketgate.audit.log import Actor
from wicketgate.contacts.actions import (
    ContactError,
    do_add_official,
    do_add_restriction,
    do_check_identity,
    do_decide_link,
    do_end_restriction,
    do_revoke_link,
    do_set_victim,
)
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.documents import CLOCK as PURGE_ELSEWHERE
from wicketgate.contacts.documents import do_purge_identity_images
from wicketgate.contacts.forms import (
    ApproveForm,
    ContactForm,
    OfficialForm,
    RefuseForm,
    RestrictionForm,
    RevokeForm,
)
from wicketgate.contacts.models import ContactLink, ContactRestriction, IdentityImage
from wicketgate.contacts.queries import links_for_prisoner, waiting_for_staff
from wicketgate.contacts.text import STATUS, identity_status
from wicketgate.people.models import Prisoner
from wicketgate.web.decorators import somewhere_required, staff_required
from wicketgate.web.switcher import current_establishment

MANAGE = Action.MANAGE_CONTACTS


@require_GET
@staff_required
@somewhere_required(MANAGE)
def queue(request: HttpRequest) -> HttpResponse:
    current = current_establishment(request)
    links = ContactLink.objects.for_user(request.user, MANAGE)
    if current is not None:
        links = links.filter(prisoner__establishment=current)
    rows = [(link, *identity_status(link.contact)) for link in waiting_for_staff(links)]
    return render(
        request,
        "contacts/staff/queue.html",
        {"rows": rows, "current": current, "show_establishment": current is None},
    )


@require_GET
@staff_required
def link_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _link_page(request, _link(request, pk))


@require_POST
@staff_required
def check_identity(request: HttpRequest, pk: int) -> HttpResponse:
    link = _link(request, pk)
    try:
        do_check_identity(link.contact, actor=Actor.of_user(request.user))
    except ContactError as exc:
        messages.error(request, capfirst(str(exc)))
    else:
        # The check was what a copy of the document was for: none is kept beyond it. Copies
        # here go in this member of staff's name; those another establishment keeps, in the
        # system's (staff here act for this establishment only).
        establishment = link.prisoner.establishment
        do_purge_identity_images(
            contact=link.contact, establishment=establishment, actor=Actor.of_user(request.user)
        )
        do_purge_identity_images(contact=link.contact, actor=PURGE_ELSEWHERE)
        messages.success(
            request, _("%(name)s's identity is checked.") % {"name": link.contact.full_name}
        )
    return redirect("contacts:contact-link", pk=link.pk)


@require_POST
@staff_required
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    link = _link(request, pk)
    form = ApproveForm(request.POST)
    if form.is_valid() and _done(
        form,
        lambda: do_decide_link(
            link,
            approve=True,
            relationship=form.cleaned_data["relationship"],
            expires_on=form.cleaned_data["expires_on"],
            actor=Actor.of_user(request.user),
        ),
    ):
        messages.success(request, _("%(ref)s is approved.") % {"ref": link.reference})
        return redirect("contacts:contact-link", pk=link.pk)
    return _link_page(request, link, approve_form=form)


@require_POST
@staff_required
def refuse(request: HttpRequest, pk: int) -> HttpResponse:
    link = _link(request, pk)
    form = RefuseForm(request.POST)
    if form.is_valid() and _done(
        form,
        lambda: do_decide_link(
            link,
            approve=False,
            reason=form.cleaned_data["reason"],
            actor=Actor.of_user(request.user),
        ),
    ):
        messages.success(request, _("%(ref)s is refused.") % {"ref": link.reference})
        return redirect("contacts:contact-link", pk=link.pk)
    return _link_page(request, link, refuse_form=form)


@require_POST
@staff_required
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    link = _link(request, pk)
    form = RevokeForm(request.POST)
    if form.is_valid() and _done(
        form,
        lambda: do_revoke_link(
            link, reason=form.cleaned_data["reason"], actor=Actor.of_user(request.user)
        ),
    ):
        messages.success(request, _("%(ref)s is revoked.") % {"ref": link.reference})
        return redirect("contacts:contact-link", pk=link.pk)
    return _link_page(request, link, revoke_form=form)


@require_POST
@staff_required
def set_victim(request: HttpRequest, pk: int) -> HttpResponse:
    link = _link(request, pk)
    victim = request.POST.get("victim") == "yes"
    do_set_victim(link, victim=victim, actor=Actor.of_user(request.user))
    messages.success(
        request,
        _("%(name)s is marked as a victim of the prisoner's offence.")
        % {"name": link.contact.full_name}
        if victim
        else _("%(name)s is no longer marked as a victim.") % {"name": link.contact.full_name},
    )
    return redirect("contacts:contact-link", pk=link.pk)


@require_POST
@staff_required
def add_restriction(request: HttpRequest, pk: int) -> HttpResponse:
    link = _link(request, pk)
    form = RestrictionForm(request.POST)
    if form.is_valid() and _done(
        form,
        lambda: do_add_restriction(link, actor=Actor.of_user(request.user), **form.cleaned_data),
    ):
        messages.success(request, _("The restriction is added."))
        return redirect("contacts:contact-link", pk=link.pk)
    return _link_page(request, link, restriction_form=form)


@require_POST
@staff_required
def end_restriction(request: HttpRequest, pk: int) -> HttpResponse:
    restriction = get_object_or_404(
        ContactRestriction.objects.for_user(request.user, MANAGE).select_related("link"), pk=pk
    )
    try:
        do_end_restriction(restriction, actor=Actor.of_user(request.user))
    except ContactError as exc:
        messages.error(request, capfirst(str(exc)))
    else:
        messages.success(request, _("The restriction has ended."))
    return redirect("contacts:contact-link", pk=restriction.link_id)


@require_GET
@staff_required
def prisoner_contacts(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = _prisoner(request, prison_number)
    links = links_for_prisoner(ContactLink.objects.for_user(request.user, MANAGE), prisoner)
    rows = [(link, link.get_status_display(), STATUS[link.status][2]) for link in links]
    return render(
        request, "contacts/staff/prisoner_contacts.html", {"prisoner": prisoner, "rows": rows}
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def add_official(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = _prisoner(request, prison_number)
    form = OfficialForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        holder: list[ContactLink] = []
        if _done(
            form,
            lambda: holder.append(
                do_add_official(prisoner, actor=Actor.of_user(request.user), **form.cleaned_data)
            ),
        ):
            messages.success(
                request,
                _("%(name)s is added and approved.")
                % {"name": f"{form.cleaned_data['given_name']} {form.cleaned_data['family_name']}"},
            )
            return redirect("contacts:contact-link", pk=holder[0].pk)
    return render(request, "contacts/staff/add_official.html", {"prisoner": prisoner, "form": form})


# --- internals -----------------------------------------------------------------------------


def _link(request: HttpRequest, pk: int) -> ContactLink:
    return get_object_or_404(
        ContactLink.objects.for_user(request.user, MANAGE).select_related(
            "prisoner__establishment", "contact__added_by"
        ),
        pk=pk,
    )


def _prisoner(request: HttpRequest, prison_number: str) -> Prisoner:
    return get_object_or_404(
        Prisoner.objects.for_user(request.user, MANAGE).select_related("establishment"),
        prison_number=prison_number.upper(),
    )


def _done(form: ContactForm, change: Any) -> bool:
    """Make the change; a refusal goes on the form and False is returned."""
    try:
        change()
    except ContactError as exc:
        form.add_action_error(exc)
        return False
    return True


def _link_page(request: HttpRequest, link: ContactLink, **sent: ContactForm) -> HttpResponse:
    person = link.contact
    today = timezone.localdate()
    identity, identity_colour = identity_status(person)
    forms: dict[str, ContactForm] = {
        "approve_form": ApproveForm(initial={"relationship": link.relationship}),
        "refuse_form": RefuseForm(),
        "revoke_form": RevokeForm(),
        "restriction_form": RestrictionForm(),
        **sent,
    }
    return render(
        request,
        "contacts/staff/link.html",
        {
            "link": link,
            "person": person,
            "prisoner": link.prisoner,
            "status_colour": STATUS[link.status][2],
            "identity": identity,
            "identity_colour": identity_colour,
            "may_check_identity": person.user_id is not None
            and bool(person.document_type)
            and not person.identity_checked,
            "deciding": link.status == LinkStatus.CONFIRMED,
            "approved": link.status == LinkStatus.APPROVED,
            "restrictions": [(r, r.in_force(today)) for r in link.restrictions.all()],
            "identity_images": IdentityImage.objects.live().filter(link=link).defer("ciphertext"),
            # The form sent with errors, for the error summary and the page title.
            "form": next(iter(sent.values()), None),
            **forms,
        },
    )
