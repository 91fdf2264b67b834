"""The family portal's contact pages: registering, confirming the e-mail address (and
sending the link again), giving identity details, asking to be a prisoner's contact and
adding a child.

A family member reads and changes only what is theirs: every page goes through the
person behind the signed-in account, so another family member's link is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.mail import send_mail
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from wicketgate.audit.log import Actor
from wicketgate.contacts.actions import (
    VERIFY_DAYS,
    AlreadyRegistered,
    ContactError,
    do_add_child,
    do_register_family_member,
    do_request_link,
    do_resend_verification,
    do_verify_email,
)
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.documents import (
    do_give_identity_with_image,
    image_days,
    links_taking_images,
    takes_images,
)
from wicketgate.contacts.forms import (
    AskForm,
    ChildForm,
    IdentityImageForm,
    RegisterForm,
    ResendVerificationForm,
)
from wicketgate.contacts.models import Contact, ContactLink
from wicketgate.contacts.queries import links_of
from wicketgate.contacts.text import STATUS
from wicketgate.web.decorators import family_required
from wicketgate.web.portals import signed_in_contact


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@sensitive_post_parameters("password")
def register(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            person, token = do_register_family_member(
                email=data["email"],
                password=data["password"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                date_of_birth=data["date_of_birth"],
            )
        except AlreadyRegistered:
            # The same page as for a new account: only the address's owner hears which.
            email = data["email"].strip().lower()
            _send_already_registered(request, email)
            return render(request, "contacts/family/check_email.html", {"email": email})
        except ContactError as exc:
            form.add_action_error(exc)
        else:
            _send_verification(request, person, token)
            return render(request, "contacts/family/check_email.html", {"email": person.email})
    return render(request, "contacts/family/register.html", {"form": form})


@require_GET
@never_cache
def verify(request: HttpRequest, token: str) -> HttpResponse:
    try:
        do_verify_email(token)
    except ContactError as exc:
        return render(request, "contacts/family/verified.html", {"problem": exc.message})
    return render(request, "contacts/family/verified.html", {"problem": ""})


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def resend(request: HttpRequest) -> HttpResponse:
    """Send the confirmation link again. The answer is the same whether or not the address
    has an account, is confirmed already, or was sent a link a moment ago: only who reads
    that mailbox learns which."""
    form = ResendVerificationForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        asker = request.user if request.user.is_authenticated else None
        try:
            found = do_resend_verification(
                email, actor=Actor.of_user(asker) if asker is not None else None
            )
        except ContactError:
            found = None  # too soon: the link already on its way will do
        if found is not None:
            _send_verification(request, *found)
        return render(request, "contacts/family/check_email.html", {"email": email, "again": True})
    return render(request, "contacts/family/resend.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
@family_required
def identity(request: HttpRequest) -> HttpResponse:
    person = signed_in_contact(request)
    initial = {
        "document_type": person.document_type,
        "address": person.address,
        "postcode": person.postcode,
    }
    # A copy of the document only for a prison that keeps them (contacts.documents).
    image_links = list(links_taking_images(person))
    posted = request.method == "POST"
    form = IdentityImageForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        initial=initial,
        takes_images=bool(image_links),
    )
    if form.is_bound and form.is_valid():
        try:
            do_give_identity_with_image(
                person, actor=Actor.of_user(request.user), **form.cleaned_data
            )
        except ContactError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request, _("Thank you. Staff will check your identity when you first visit.")
            )
            return redirect("contacts:family-prisoners")
    return render(
        request,
        "contacts/family/identity.html",
        {
            "form": form,
            "person": person,
            "takes_images": bool(image_links),
            "image_days": image_days(image_links),
        },
    )


@require_GET
@family_required
def prisoners(request: HttpRequest) -> HttpResponse:
    person = signed_in_contact(request)
    rows = [(link, *STATUS[link.status][::2]) for link in links_of(person)]
    return render(
        request,
        "contacts/family/prisoners.html",
        {"person": person, "rows": rows, "approved": LinkStatus.APPROVED},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@family_required
def ask(request: HttpRequest) -> HttpResponse:
    person = signed_in_contact(request)
    if person.email_verified_at is None:
        return render(request, "contacts/family/ask.html", {"person": person, "unverified": True})
    form = AskForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            link = do_request_link(
                person,
                prison_number=data["prison_number"],
                prisoner_date_of_birth=data["prisoner_date_of_birth"],
                relationship=data["relationship"],
                actor=Actor.of_user(request.user),
            )
        except ContactError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("You have asked to be their contact. They will be asked to confirm it."),
            )
            if takes_images(link) and not person.identity_checked:
                messages.info(
                    request,
                    _("This prison also takes a photo or scan of your identity document."),
                )
                return redirect("contacts:family-identity")
            return redirect("contacts:family-prisoners")
    return render(request, "contacts/family/ask.html", {"person": person, "form": form})


@require_http_methods(["GET", "HEAD", "POST"])
@family_required
def add_child(request: HttpRequest, pk: int) -> HttpResponse:
    person = signed_in_contact(request)
    adult = get_object_or_404(
        ContactLink.objects.for_contact(person).select_related("prisoner", "contact"), pk=pk
    )
    if adult.status != LinkStatus.APPROVED:
        raise Http404
    form = ChildForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            do_add_child(adult, actor=Actor.of_user(request.user), **form.cleaned_data)
        except ContactError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("%(name)s is added. They will be asked to confirm it, then the prison decides.")
                % {"name": form.cleaned_data["given_name"]},
            )
            return redirect("contacts:family-prisoners")
    return render(request, "contacts/family/add_child.html", {"form": form, "link": adult})


def _send_already_registered(request: HttpRequest, email: str) -> None:
    sign_in = request.build_absolute_uri(reverse("web:family-sign-in"))
    body = _(
        "Hello,\n\n"
        "Someone, perhaps you, tried to create a Wicketgate account with this email "
        "address. You already have one: sign in at\n\n%(url)s\n\n"
        "If it was not you, you can ignore this email: nothing has changed."
    ) % {"url": sign_in}
    send_mail(_("You already have an account"), body, None, [email])


def _send_verification(request: HttpRequest, person: Contact, token: str) -> None:
    url = request.build_absolute_uri(reverse("contacts:family-verify", kwargs={"token": token}))
    body = _(
        "Hello %(name)s,\n\n"
        "Confirm your email address for Wicketgate by opening this link:\n\n%(url)s\n\n"
        "The link works for %(days)s days. If you did not register, you can ignore this email."
    ) % {"name": person.given_name, "url": url, "days": VERIFY_DAYS}
    send_mail(_("Confirm your email address"), body, None, [person.email])
