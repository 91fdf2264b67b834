"""The review queue for prisoners' requests for sites (education and security staff).

Every page reads through ``SiteRequest.objects.for_user(user, REVIEW_SITE_REQUESTS)``:
a request belongs to the prisoner's establishment, so another establishment's request
is a 404, and staff who may review requests nowhere get a 404 for every page.
Proposing a site also needs ``PROPOSE_POLICY`` at the prisoner's establishment.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wicketgate.accounts.roles import Action
from wicketgate.accounts.scoping import may_at, may_somewhere
from wicketgate.audit.log import Actor
from wicketgate.policy.models import SiteRequest, SiteRequestQuerySet
from wicketgate.policy.site_request_forms import DeclineForm, ProposeSiteForm
from wicketgate.policy.site_requests import (
    SiteRequestError,
    do_decline_site_request,
    do_propose_site_from_request,
)
from wicketgate.web.decorators import staff_required
from wicketgate.web.switcher import current_establishment

PER_PAGE = 50


def review_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """May review site requests at some establishment; anyone else gets a 404.

    Goes beneath ``staff_required``. Which requests they see is still for ``for_user``.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not may_somewhere(request.user, Action.REVIEW_SITE_REQUESTS):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@staff_required
@review_required
def queue(request: HttpRequest) -> HttpResponse:
    current = current_establishment(request)
    waiting = (
        _requests_for(request)
        .filter(status=SiteRequest.Status.OPEN)
        .select_related("prisoner__establishment")
        .order_by("created_at", "pk")  # oldest first: the longest wait is answered first
    )
    if current is not None:
        waiting = waiting.filter(prisoner__establishment=current)
    paginator = Paginator(waiting, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "policy/staff/site_requests.html",
        {
            "page": page,
            "page_numbers": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "ellipsis": Paginator.ELLIPSIS,
            "current": current,
            "show_establishment": current is None,
        },
    )


@require_GET
@staff_required
@review_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    site_request = _request_to_review(request, pk)
    return _detail_page(request, site_request)


@require_POST
@staff_required
@review_required
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    site_request = _request_to_review(request, pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            do_decline_site_request(
                site_request,
                actor=Actor.of_user(request.user),
                response=form.cleaned_data["response"],
            )
        except SiteRequestError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("Request for %(host)s declined. %(name)s can read your response.")
                % {"host": site_request.host, "name": site_request.prisoner.full_name},
            )
            return redirect("policy:site-requests")
    return _detail_page(request, site_request, decline_form=form)


@require_POST
@staff_required
@review_required
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    # Found only among the requests of establishments where they may also propose.
    site_request = _request_to_review(request, pk, also=Action.PROPOSE_POLICY)
    form = ProposeSiteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            do_propose_site_from_request(
                site_request,
                actor=Actor.of_user(request.user),
                name=data["name"],
                category=data["category"],
                paths=data["paths"],
                note=data["note"],
            )
        except SiteRequestError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("%(name)s proposed for the catalogue. Another member of staff must approve it.")
                % {"name": data["name"].strip()},
            )
            return redirect("policy:site-requests")
    return _detail_page(request, site_request, propose_form=form)


# --- internals ---------------------------------------------------------------------------


def _requests_for(request: HttpRequest) -> SiteRequestQuerySet:
    return SiteRequest.objects.for_user(request.user, Action.REVIEW_SITE_REQUESTS)


def _request_to_review(request: HttpRequest, pk: int, *, also: str | None = None) -> SiteRequest:
    found = _requests_for(request)
    if also is not None:
        found = found.for_user(request.user, also)
    return get_object_or_404(
        found.select_related("prisoner__establishment", "handled_by", "proposal"), pk=pk
    )


def _detail_page(
    request: HttpRequest,
    site_request: SiteRequest,
    *,
    decline_form: DeclineForm | None = None,
    propose_form: ProposeSiteForm | None = None,
) -> HttpResponse:
    is_open = site_request.status == SiteRequest.Status.OPEN
    may_propose = is_open and may_at(
        request.user, Action.PROPOSE_POLICY, site_request.prisoner.establishment_id
    )
    return render(
        request,
        "policy/staff/site_request.html",
        {
            "site_request": site_request,
            "is_open": is_open,
            "may_propose": may_propose,
            # The page's title and error summary speak for whichever form was sent.
            "form": decline_form or propose_form,
            "decline_form": decline_form or DeclineForm(),
            "propose_form": propose_form
            or (ProposeSiteForm(initial={"name": site_request.host}) if may_propose else None),
            "other_open": _requests_for(request)
            .filter(status=SiteRequest.Status.OPEN, host=site_request.host)
            .exclude(pk=site_request.pk)
            .count(),
        },
    )
