"""The prisoner portal's learning page: my courses, this week's classes, my progress and
my time on my courses' sites and books. A prisoner sees only their own."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from wicketgate.learning.queries import learner_record, week_ahead
from wicketgate.web.decorators import prisoner_required
from wicketgate.web.portals import signed_in_prisoner


@require_GET
@prisoner_required
def my_learning(request: HttpRequest) -> HttpResponse:
    prisoner = signed_in_prisoner(request)
    record = learner_record(prisoner)
    return render(
        request,
        "learning/portal/learning.html",
        {
            "record": record,
            "current": [c for c in record.courses if c.status == "enrolled"],
            "past": [c for c in record.courses if c.status != "enrolled"],
            "sessions": week_ahead(prisoner),
        },
    )
