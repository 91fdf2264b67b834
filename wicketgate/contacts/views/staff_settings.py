"""Staff pages for copies of identity documents: an establishment's switch and retention,
and seeing a copy kept for a link.

The switch is the establishment's data-protection choice, so it needs
``MANAGE_ESTABLISHMENT`` (governors); seeing a copy needs ``MANAGE_CONTACTS``, as the
identity check itself does. Both read through ``for_user``, so another establishment's
page or copy is a 404, as is either for staff whose role lacks the action.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from wicketgate.accounts.roles import Action
from wicketgate.audit.log import Actor
from wicketgate.contacts.actions import ContactError
from wicketgate.contacts.documents import (
    EXTENSION,
    do_set_contact_settings,
    do_view_identity_image,
    settings_for,
)
from wicketgate.contacts.forms import ContactSettingsForm
from wicketgate.contacts.models import IdentityImage
from wicketgate.estate.models import Establishment
from wicketgate.web.decorators import staff_required


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def contact_settings(request: HttpRequest, code: str) -> HttpResponse:
    establishment = get_object_or_404(
        Establishment.objects.for_user(request.user, Action.MANAGE_ESTABLISHMENT),
        code=code.upper(),
    )
    current = settings_for(establishment)
    form = ContactSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={
            "keep_identity_images": "yes" if current.keep_identity_images else "no",
            "identity_image_days": current.identity_image_days,
        },
    )
    if form.is_bound and form.is_valid():
        try:
            do_set_contact_settings(
                establishment, actor=Actor.of_user(request.user), **form.cleaned_data
            )
        except ContactError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, _("The contact settings are saved."))
            return redirect("contacts:settings", code=establishment.code)
    return render(
        request,
        "contacts/staff/settings.html",
        {"establishment": establishment, "form": form, "current": current},
    )


@require_GET
@staff_required
def identity_image(request: HttpRequest, pk: int, image: int) -> HttpResponse:
    """A copy of a contact's identity document, decrypted for staff at the link's
    establishment; every viewing is audited, and the browser is told not to keep it."""
    found = get_object_or_404(
        IdentityImage.objects.for_user(request.user, Action.MANAGE_CONTACTS)
        .live()
        .select_related("link__prisoner__establishment", "link__contact"),
        pk=image,
        link_id=pk,
    )
    try:
        data = do_view_identity_image(found, actor=Actor.of_user(request.user))
    except ContactError as exc:  # deleted meanwhile, or the key has changed
        raise Http404 from exc
    response = HttpResponse(data, content_type=found.content_type)
    name = f"identity-{found.link.reference}.{EXTENSION[found.content_type]}"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
