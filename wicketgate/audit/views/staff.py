"""The security department's audit pages: search, one event, a prisoner's timeline, export.

Every page reads events through ``AuditEvent.objects.for_user(user, Action.VIEW_AUDIT)``.
An event belongs to the establishment where it happened, so another establishment's
event is a 404, and events with none (imports, staff accounts) are the estate admin's
alone. Staff who may not search the log anywhere get a 404 for every page.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wicketgate.accounts.roles import Action
from wicketgate.audit.event_check import WALK_LIMIT, EventCheck, check_event
from wicketgate.audit.export import do_export_audit_events
from wicketgate.audit.forms import AuditExportForm, AuditSearchForm
from wicketgate.audit.log import Actor
from wicketgate.audit.models import AuditEvent, AuditEventQuerySet
from wicketgate.audit.queries import EventFilter, search
from wicketgate.audit.signing import private_key
from wicketgate.estate.models import Establishment
from wicketgate.people.models import Prisoner
from wicketgate.web.decorators import somewhere_required, staff_required

PER_PAGE = 50
PRISONER = "people.prisoner"  # how events name a prisoner as their subject
MANIFEST_HEADER = "X-Wicketgate-Export-Manifest"
CONTENT_TYPES = {"jsonl": "application/jsonl; charset=utf-8", "csv": "text/csv; charset=utf-8"}


@dataclass(frozen=True)
class EventPage:
    """One page of events, newest first, and where the pages either side of it start.

    Pages are found by position in the chain rather than counted out, so that paging
    through a log of many millions of events costs the same at the end as at the start.
    """

    events: list[AuditEvent]
    newer_than: int | None  # "after" for the page of newer events, if there are any
    older_than: int | None  # "before" for the page of older events


@require_GET
@staff_required
@somewhere_required(Action.VIEW_AUDIT)
def audit_search(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(
        request.GET if _has_filters(request.GET) else None,
        establishments=_establishments(request),
    )
    return _search_page(request, form)


@require_POST
@staff_required
@somewhere_required(Action.VIEW_AUDIT)
def audit_export(request: HttpRequest) -> HttpResponseBase:
    form = AuditExportForm(request.POST, establishments=_establishments(request))
    if not form.is_valid():
        return _search_page(request, form)  # nothing exported, nothing recorded
    chosen, fmt = form.chosen(), form.cleaned_data["format"]
    events = search(_events_for(request), chosen)  # the action cuts it off at "now"
    manifest, lines = do_export_audit_events(
        events, chosen=chosen, fmt=fmt, actor=Actor.of_user(request.user)
    )
    response = StreamingHttpResponse(lines, content_type=CONTENT_TYPES[fmt])
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="wicketgate-audit-{stamp}.{fmt}"'
    if fmt == "csv":
        # JSON Lines carries the manifest as its first line; a CSV file has nowhere to put
        # it. Headers are easily lost on the way to a file, hence the page's advice.
        response[MANIFEST_HEADER] = json.dumps(manifest, separators=(",", ":"))
    return response


@require_GET
@staff_required
@somewhere_required(Action.VIEW_AUDIT)
def audit_event(request: HttpRequest, seq: int) -> HttpResponse:
    visible = _events_for(request)
    event = get_object_or_404(visible.select_related("establishment"), seq=seq)
    check = check_event(event, private_key().public_key())
    subject_prisoner = None
    if event.subject_kind == PRISONER and event.subject_id.isdigit():
        subject_prisoner = (
            Prisoner.objects.for_user(request.user, Action.VIEW)
            .filter(pk=int(event.subject_id))
            .first()
        )
    return render(
        request,
        "audit/staff/event.html",
        {
            "event": event,
            "check": check,
            "problems": _problems(event, check),
            "subject_prisoner": subject_prisoner,
            "previous_visible": event.seq > 1 and visible.filter(seq=event.seq - 1).exists(),
            "next_exists": AuditEvent.objects.filter(seq=event.seq + 1).exists(),
            "next_visible": visible.filter(seq=event.seq + 1).exists(),
            "checkpoint_every": settings.WICKETGATE_AUDIT_CHECKPOINT_EVERY,
            "checkpoint_minutes": max(1, settings.WICKETGATE_AUDIT_CHECKPOINT_SECONDS // 60),
            "walk_limit": WALK_LIMIT,
        },
    )


@require_GET
@staff_required
@somewhere_required(Action.VIEW_AUDIT)
def prisoner_timeline(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = get_object_or_404(
        Prisoner.objects.for_user(request.user, Action.VIEW_AUDIT).select_related("establishment"),
        prison_number=prison_number.upper(),
    )
    # Deliberately only the events of establishments where the user may search the log:
    # each event stays with the establishment where it happened, so after a transfer the
    # security department at the new establishment sees what happened there, and the
    # history from before stays with the establishment that recorded it.
    events = (
        _events_for(request)
        .filter(subject_kind=PRISONER, subject_id=str(prisoner.pk))
        .select_related("establishment")
    )
    page = newest_first(events, request.GET)
    days: dict[dt.date, list[AuditEvent]] = {}
    for event in page.events:
        days.setdefault(timezone.localdate(event.occurred_at), []).append(event)
    return render(
        request,
        "audit/staff/prisoner_timeline.html",
        {"prisoner": prisoner, "page": page, "days": list(days.items())},
    )


def newest_first(events: QuerySet[AuditEvent], query: QueryDict, size: int = PER_PAGE) -> EventPage:
    """The page of ``events`` that ``before`` or ``after`` in ``query`` asks for."""
    before, after = _seq(query.get("before")), _seq(query.get("after"))
    if after is not None:
        chunk = list(events.filter(seq__gt=after).order_by("seq")[:size])[::-1]
    elif before is not None:
        chunk = list(events.filter(seq__lt=before).order_by("-seq")[:size])
    else:
        chunk = list(events.order_by("-seq")[:size])
    if not chunk:
        return EventPage([], None, None)
    newest, oldest = chunk[0].seq, chunk[-1].seq
    return EventPage(
        chunk,
        newest if events.filter(seq__gt=newest).exists() else None,
        oldest if events.filter(seq__lt=oldest).exists() else None,
    )


def _search_page(request: HttpRequest, form: AuditSearchForm) -> HttpResponse:
    page = None
    # With any filter in error, no results at all: an investigator must not take a list
    # that quietly ignored a mistyped date for the one they asked for. (An export's
    # format in error leaves the search itself sound.)
    if not form.is_bound or not set(form.errors) - {"format"}:
        chosen = form.chosen() if form.is_bound else EventFilter()
        page = newest_first(
            search(_events_for(request), chosen).select_related("establishment"), request.GET
        )
    source = request.POST if request.method == "POST" else request.GET
    return render(
        request,
        "audit/staff/search.html",
        {
            "form": form,
            "page": page,
            "filters": [
                (name, source[name]) for name in AuditSearchForm.base_fields if source.get(name)
            ],
            "chosen_format": source.get("format", "jsonl"),
        },
    )


def _events_for(request: HttpRequest) -> AuditEventQuerySet:
    return AuditEvent.objects.for_user(request.user, Action.VIEW_AUDIT)


def _establishments(request: HttpRequest) -> Any:
    return Establishment.objects.for_user(request.user, Action.VIEW_AUDIT).order_by("name")


def _has_filters(query: QueryDict) -> bool:
    return any(key in query for key in AuditSearchForm.base_fields)


def _seq(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 19 else None


def _problems(event: AuditEvent, check: EventCheck) -> list[str]:
    """What is wrong, in words, most telling first; empty when nothing is."""
    problems = []
    if not check.content_matches:
        problems.append(_("its content no longer matches its hash, so it has been changed"))
    if check.previous_missing:
        problems.append(
            _("event %(seq)s, before it in the chain, is missing") % {"seq": event.seq - 1}
        )
    elif not check.links_back:
        problems.append(
            _("it no longer links to event %(seq)s: that event’s hash is not the one it records")
            % {"seq": event.seq - 1}
            if event.seq > 1
            else _("it does not link to the start of the chain")
        )
    checkpoint = check.checkpoint
    if checkpoint is not None and not check.signature_valid:
        problems.append(
            _("the checkpoint at event %(seq)s is not signed by this installation’s key")
            % {"seq": checkpoint.seq}
        )
    if checkpoint is not None and check.broken_at is not None:
        problems.append(
            _(
                "the chain from it to the checkpoint at event %(checkpoint)s is broken at "
                "event %(seq)s"
            )
            % {"checkpoint": checkpoint.seq, "seq": check.broken_at}
        )
    return problems
