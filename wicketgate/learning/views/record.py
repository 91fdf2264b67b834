"""The learner record for staff: the page, the PDF to show an employer, the signed
credential, and the subject-access copy of everything held about the learner's education.

The record is read through the prisoner, scoped by where they are now: after a transfer
the new establishment sees it and the old one gets a 404. Each download is recorded.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wicketgate.accounts.roles import Action
from wicketgate.accounts.scoping import may_at
from wicketgate.audit.log import Actor, record_event
from wicketgate.learning.credential import issue_credential
from wicketgate.learning.queries import learner_record, subject_access, week_ahead
from wicketgate.learning.record_pdf import render_pdf
from wicketgate.people.models import Prisoner
from wicketgate.web.decorators import staff_required

TEACH = Action.TEACH
MANAGE = Action.MANAGE_LEARNING


@require_GET
@staff_required
def learner(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = _prisoner(request, prison_number, Action.VIEW)
    record = learner_record(prisoner)
    return render(
        request,
        "learning/staff/learner.html",
        {
            "prisoner": prisoner,
            "record": record,
            "sessions": week_ahead(prisoner),
            "may_download": may_at(request.user, TEACH, prisoner.establishment_id),
            "may_copy": may_at(request.user, MANAGE, prisoner.establishment_id),
        },
    )


@never_cache
@require_GET
@staff_required
def record_pdf(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = _prisoner(request, prison_number, TEACH)
    body = render_pdf(learner_record(prisoner))
    _downloaded(request, prisoner, "pdf")
    return _attachment(body, "application/pdf", f"learning-record-{prisoner.prison_number}.pdf")


@never_cache
@require_GET
@staff_required
def credential(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = _prisoner(request, prison_number, TEACH)
    signed = issue_credential(learner_record(prisoner))
    _downloaded(request, prisoner, "credential", credential=signed["id"])
    body = json.dumps(signed, indent=2, ensure_ascii=False).encode()
    return _attachment(
        body, "application/json", f"learning-credential-{prisoner.prison_number}.json"
    )


@never_cache
@require_GET
@staff_required
def subject_access_copy(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = _prisoner(request, prison_number, MANAGE)
    body = json.dumps(subject_access(prisoner), indent=2, ensure_ascii=False).encode()
    _downloaded(request, prisoner, "subject_access")
    return _attachment(
        body, "application/json", f"education-subject-access-{prisoner.prison_number}.json"
    )


def _prisoner(request: HttpRequest, prison_number: str, action: str) -> Prisoner:
    return get_object_or_404(
        Prisoner.objects.for_user(request.user, action).select_related("establishment"),
        prison_number=prison_number.upper(),
    )


def _downloaded(request: HttpRequest, prisoner: Prisoner, what: str, **details: object) -> None:
    record_event(
        f"learning.record.{what}",
        actor=Actor.of_user(request.user),
        subject=prisoner,
        establishment=prisoner.establishment,
        details={"prisoner": prisoner.prison_number, **details},
    )


def _attachment(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
