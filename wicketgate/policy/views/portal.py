"""The prisoner portal's website pages: what I can use, and asking for a site.

A prisoner sees only their own requests: every read goes through the signed-in
prisoner, so another prisoner's request is a 404.
"""

from __future__ import annotations

from contextlib import suppress

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from wicketgate.audit.log import Actor
from wicketgate.policy.access import Status, what_i_can_use
from wicketgate.policy.engine import UnknownPrisoner, engine
from wicketgate.policy.models import PolicyProposal, SiteRequest
from wicketgate.policy.site_request_forms import SiteRequestForm
from wicketgate.policy.site_requests import SiteRequestError, do_request_site
from wicketgate.policy.text import SITE_REQUEST_PROGRESS
from wicketgate.web.decorators import prisoner_required
from wicketgate.web.portals import signed_in_prisoner


@require_GET
@prisoner_required
def access(request: HttpRequest) -> HttpResponse:
    prisoner = signed_in_prisoner(request)
    web_access = prisoner.establishment.feature("web_access")
    at = timezone.now()
    categories = []
    if web_access:
        # Someone only just admitted may not be in the snapshot for a second: nothing yet.
        with suppress(UnknownPrisoner):
            categories = what_i_can_use(engine().snapshot(), prisoner.prison_number, at)
    return render(
        request,
        "policy/portal/access.html",
        {
            "web_access": web_access,
            "at": at,
            "sections": [
                (heading, [category for category in categories if category.status == status])
                for status, heading in (
                    (Status.OPEN, _("You can use these now")),
                    (Status.LATER, _("You can use these later")),
                    (Status.CLOSED, _("You cannot use these")),
                )
            ],
            "nothing": not categories,
        },
    )


@require_GET
@prisoner_required
def request_list(request: HttpRequest) -> HttpResponse:
    rows = [
        (site_request, *SITE_REQUEST_PROGRESS[progress(site_request)])
        for site_request in _own_requests(request)
    ]
    return render(request, "policy/portal/requests.html", {"rows": rows})


@require_GET
@prisoner_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    site_request = get_object_or_404(_own_requests(request), pk=pk)
    label, colour, next_step = SITE_REQUEST_PROGRESS[progress(site_request)]
    return render(
        request,
        "policy/portal/request.html",
        {"site_request": site_request, "label": label, "colour": colour, "next_step": next_step},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@prisoner_required
def request_new(request: HttpRequest) -> HttpResponse:
    prisoner = signed_in_prisoner(request)
    if request.method == "POST":
        form = SiteRequestForm(request.POST)
    else:
        # The gateway's block page links here with the address that was blocked.
        form = SiteRequestForm(initial={"url": request.GET.get("url", "")[:2000]})
    if form.is_bound and form.is_valid():
        try:
            do_request_site(
                prisoner,
                form.cleaned_data["url"],
                form.cleaned_data["reason"],
                actor=Actor.of_user(request.user),
            )
        except SiteRequestError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request, _("Your request has been sent. Staff will look at it and reply here.")
            )
            return redirect("policy:portal-requests")
    return render(
        request,
        "policy/portal/request_new.html",
        {"form": form, "limit": settings.WICKETGATE_SITE_REQUESTS_OPEN_LIMIT},
    )


def progress(site_request: SiteRequest) -> str:
    """Where a request has got to, including the approval of the proposal made from it."""
    proposal = site_request.proposal
    if site_request.status != SiteRequest.Status.PROPOSED or proposal is None:
        return str(site_request.status)
    if proposal.status == PolicyProposal.Status.APPROVED:
        return "approved"
    if proposal.status in (PolicyProposal.Status.REJECTED, PolicyProposal.Status.WITHDRAWN):
        return "rejected"
    return "proposed"


def _own_requests(request: HttpRequest) -> QuerySet[SiteRequest]:
    return (
        SiteRequest.objects.for_prisoner(signed_in_prisoner(request))
        .select_related("proposal")
        .order_by("-created_at")
    )
