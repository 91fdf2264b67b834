"""Staff pages for education: courses, their classes, enrolments, registers and results.

Viewing needs ``TEACH`` and changing a course or its learners ``MANAGE_LEARNING``; both
read through ``for_user``, so another establishment's course or learner is a 404. Every
change goes through ``learning.actions``, which records it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wicketgate.accounts.models import User
from wicketgate.accounts.roles import Action, StaffRole
from wicketgate.accounts.scoping import may_at, may_somewhere
from wicketgate.audit.log import Actor
from wicketgate.estate.models import Establishment, Location
from wicketgate.learning.actions import (
    TEACHING_PLACES,
    LearningError,
    Mark,
    do_add_class,
    do_cancel_course,
    do_change_course,
    do_complete_enrolment,
    do_create_course,
    do_enrol_learner,
    do_mark_register,
    do_record_unit_result,
    do_withdraw_learner,
)
from wicketgate.learning.codes import EnrolmentStatus
from wicketgate.learning.forms import (
    ClassForm,
    CourseForm,
    EnrolForm,
    ReasonForm,
    RegisterForm,
    ResultForm,
    SessionChoice,
    course_initial,
)
from wicketgate.learning.models import AttendanceMark, Course, CourseClass, Enrolment
from wicketgate.learning.queries import courses_with_counts, learners_of
from wicketgate.learning.timetable import recent_sessions
from wicketgate.people.models import Prisoner
from wicketgate.policy.models import Site
from wicketgate.web.decorators import somewhere_required, staff_required
from wicketgate.web.switcher import current_establishment

TEACH = Action.TEACH
MANAGE = Action.MANAGE_LEARNING


@require_GET
@staff_required
@somewhere_required(TEACH)
def courses(request: HttpRequest) -> HttpResponse:
    current = current_establishment(request)
    found = Course.objects.for_user(request.user, TEACH)
    if current is not None:
        found = found.filter(establishment=current)
    return render(
        request,
        "learning/staff/courses.html",
        {
            "courses": courses_with_counts(found),
            "current": current,
            "show_establishment": current is None,
            "may_manage": may_somewhere(request.user, MANAGE),
            "today": timezone.localdate(),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@somewhere_required(MANAGE)
def new_course(request: HttpRequest) -> HttpResponse:
    places = list(Establishment.objects.for_user(request.user, MANAGE).order_by("name"))
    current = current_establishment(request)
    where = current if current is not None and current in places else None
    if where is None and len(places) == 1:
        where = places[0]
    form = CourseForm(request.POST if request.method == "POST" else None, sites=_site_choices())
    if where is None:
        return render(
            request,
            "learning/staff/choose_establishment.html",
            {"places": places},
        )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            course = do_create_course(
                where,
                **_course_fields(data),
                units=data["units"],
                actor=Actor.of_user(request.user),
            )
        except LearningError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, _("%(title)s is set up.") % {"title": course.title})
            return redirect("learning:course", pk=course.pk)
    return render(request, "learning/staff/course_form.html", {"form": form, "where": where})


@require_GET
@staff_required
def course(request: HttpRequest, pk: int) -> HttpResponse:
    found = _course(request, pk, TEACH)
    enrolments = learners_of(found, Enrolment.objects.for_user(request.user, TEACH))
    return render(
        request,
        "learning/staff/course.html",
        {
            "course": found,
            "classes": list(found.classes.select_related("tutor", "location")),
            "units": list(found.units.all()),
            "sites": list(found.sites.select_related("category")),
            "current": [e for e in enrolments if e.status == EnrolmentStatus.ENROLLED],
            "past": [e for e in enrolments if e.status != EnrolmentStatus.ENROLLED],
            "may_manage": may_at(request.user, MANAGE, found.establishment_id),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def change_course(request: HttpRequest, pk: int) -> HttpResponse:
    found = _course(request, pk, MANAGE)
    form = CourseForm(
        request.POST if request.method == "POST" else None,
        initial=course_initial(found),
        sites=_site_choices(found),
        edit=True,
    )
    if form.is_bound and form.is_valid():
        try:
            do_change_course(
                found, **_course_fields(form.cleaned_data), actor=Actor.of_user(request.user)
            )
        except LearningError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, _("The course is changed."))
            return redirect("learning:course", pk=found.pk)
    return render(
        request,
        "learning/staff/course_form.html",
        {"form": form, "where": found.establishment, "course": found},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def cancel_course(request: HttpRequest, pk: int) -> HttpResponse:
    found = _course(request, pk, MANAGE)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            do_cancel_course(
                found, reason=form.cleaned_data["reason"], actor=Actor.of_user(request.user)
            )
        except LearningError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, _("The course is cancelled; its learners are withdrawn."))
            return redirect("learning:course", pk=found.pk)
    return render(request, "learning/staff/cancel_course.html", {"course": found, "form": form})


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def new_class(request: HttpRequest, pk: int) -> HttpResponse:
    found = _course(request, pk, MANAGE)
    tutors = list(
        User.objects.filter(
            is_active=True,
            staff_memberships__establishment=found.establishment,
            staff_memberships__role__in=[StaffRole.EDUCATION, StaffRole.GOVERNOR],
        )
        .distinct()
        .order_by("username")
    )
    places = list(
        Location.objects.filter(establishment=found.establishment, kind__in=TEACHING_PLACES)
    )
    form = ClassForm(
        request.POST if request.method == "POST" else None,
        tutors=[(str(u.pk), u.get_full_name() or u.username) for u in tutors],
        locations=[(str(p.pk), p.name or p.code) for p in places],
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            do_add_class(
                found,
                name=data["name"],
                tutor=next(u for u in tutors if str(u.pk) == data["tutor"]),
                location=next(p for p in places if str(p.pk) == data["location"]),
                timetable=data["timetable"],
                actor=Actor.of_user(request.user),
            )
        except LearningError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, _("The class is added."))
            return redirect("learning:course", pk=found.pk)
    return render(request, "learning/staff/class_form.html", {"course": found, "form": form})


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def enrol(request: HttpRequest, pk: int) -> HttpResponse:
    found = _course(request, pk, MANAGE)
    classes = list(found.classes.all())
    form = EnrolForm(request.POST if request.method == "POST" else None, classes=classes)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        # Only learners this member of staff may see at the course's establishment.
        learner = (
            Prisoner.objects.for_user(request.user, MANAGE)
            .filter(prison_number=data["prison_number"], establishment=found.establishment)
            .first()
        )
        chosen = next((c for c in classes if str(c.pk) == data["course_class"]), None)
        if learner is None:
            form.add_error(
                "prison_number",
                _("No one with that prison number is at %(place)s")
                % {"place": found.establishment.name},
            )
        else:
            try:
                do_enrol_learner(
                    found,
                    learner,
                    course_class=chosen,
                    accept_clashes=data["accept_clashes"],
                    actor=Actor.of_user(request.user),
                )
            except LearningError as exc:
                form.add_action_error(exc)
            else:
                messages.success(
                    request,
                    _(
                        "%(name)s is enrolled. The course's sites and books are open to them in its hours."
                    )
                    % {"name": learner.full_name},
                )
                return redirect("learning:course", pk=found.pk)
    return render(request, "learning/staff/enrol.html", {"course": found, "form": form})


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment(request, pk, MANAGE)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            do_withdraw_learner(
                enrolment, reason=form.cleaned_data["reason"], actor=Actor.of_user(request.user)
            )
        except LearningError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("%(name)s is withdrawn; the course's sites and books are closed to them.")
                % {"name": enrolment.prisoner.full_name},
            )
            return redirect("learning:course", pk=enrolment.course_id)
    return render(request, "learning/staff/withdraw.html", {"enrolment": enrolment, "form": form})


@require_POST
@staff_required
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment(request, pk, MANAGE)
    try:
        do_complete_enrolment(enrolment, actor=Actor.of_user(request.user))
    except LearningError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s has completed the course.") % {"name": enrolment.prisoner.full_name},
        )
    return redirect("learning:course", pk=enrolment.course_id)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def register(request: HttpRequest, pk: int) -> HttpResponse:
    """A class's registers: its recent sessions, and the register of the one chosen."""
    course_class = get_object_or_404(
        CourseClass.objects.for_user(request.user, TEACH).select_related(
            "course__establishment", "location", "tutor"
        ),
        pk=pk,
    )
    sessions = recent_sessions(course_class)
    choice = SessionChoice(request.GET or request.POST or None)
    session = choice.cleaned_data["session"] if choice.is_bound and choice.is_valid() else None
    if session is not None and session not in sessions:
        session = None
    # On the register of a session: those enrolled in the class when it began (and still,
    # or who left after it); with no session chosen, those enrolled now.
    learners = [
        e
        for e in Enrolment.objects.for_user(request.user, TEACH)
        .filter(course_class=course_class)
        .select_related("prisoner", "course")
        if (session is None and e.status == EnrolmentStatus.ENROLLED)
        or (session is not None and e.enrolled_at <= session and (e.ended_at or session) >= session)
    ]
    marked = {}
    if session is not None:
        marked = {
            m.enrolment_id: m
            for m in AttendanceMark.objects.filter(course_class=course_class, session_start=session)
        }
    initial: dict[str, Any] = {}
    for enrolment_id, mark in marked.items():
        initial[f"status_{enrolment_id}"] = mark.status
        initial[f"reason_{enrolment_id}"] = mark.reason
        initial[f"note_{enrolment_id}"] = mark.note
    form = RegisterForm(
        request.POST if request.method == "POST" else None, enrolments=learners, initial=initial
    )
    if request.method == "POST" and session is not None and form.is_valid():
        data = form.cleaned_data
        marks = [
            Mark(
                e,
                data[f"status_{e.pk}"],
                data.get(f"reason_{e.pk}", ""),
                data.get(f"note_{e.pk}", ""),
            )
            for e in learners
        ]
        try:
            do_mark_register(course_class, session, marks, actor=Actor.of_user(request.user))
        except LearningError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, _("The register is saved."))
            return redirect(f"{request.path}?session={timezone.localtime(session).isoformat()}")
    return render(
        request,
        "learning/staff/register.html",
        {
            "course_class": course_class,
            "sessions": sessions,
            "session": session,
            "session_value": timezone.localtime(session).isoformat() if session else "",
            "form": form,
            "marked": marked,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def results(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment(request, pk, TEACH)
    form = ResultForm(request.POST if request.method == "POST" else None, enrolment=enrolment)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        unit = enrolment.course.units.get(pk=data["unit"])
        try:
            do_record_unit_result(
                enrolment,
                unit,
                outcome=data["outcome"],
                note=data["note"],
                actor=Actor.of_user(request.user),
            )
        except LearningError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, _("The result is recorded."))
            return redirect("learning:results", pk=enrolment.pk)
    recorded = {r.unit_id: r for r in enrolment.results.all()}
    return render(
        request,
        "learning/staff/results.html",
        {
            "enrolment": enrolment,
            "units": [(u, recorded.get(u.pk)) for u in enrolment.course.units.all()],
            "form": form,
        },
    )


# --- internals -------------------------------------------------------------------------


def _course_fields(data: dict[str, Any]) -> dict[str, Any]:
    """What the course form gives ``do_create_course`` and ``do_change_course``."""
    return {
        **{
            name: data[name]
            for name in (
                "title",
                "provider",
                "level",
                "subject",
                "mode",
                "description",
                "starts_on",
                "ends_on",
                "capacity",
            )
        },
        "sites": Site.objects.filter(pk__in=data["sites"]),
    }


def _course(request: HttpRequest, pk: int, action: str) -> Course:
    return get_object_or_404(
        Course.objects.for_user(request.user, action).select_related("establishment"), pk=pk
    )


def _enrolment(request: HttpRequest, pk: int, action: str) -> Enrolment:
    """An enrolment of a learner this member of staff may see, on a course of theirs."""
    enrolment = get_object_or_404(
        Enrolment.objects.for_user(request.user, action).select_related(
            "prisoner__establishment", "course__establishment", "course_class"
        ),
        pk=pk,
    )
    if not may_at(request.user, action, enrolment.course.establishment_id):
        raise Http404("No such enrolment")
    return enrolment


def _site_choices(course: Course | None = None) -> list[tuple[str, str]]:
    """Approved catalogue sites and books (and any the course already has)."""
    sites = Site.objects.filter(
        retired_at__isnull=True, category__code__in=settings.WICKETGATE_LEARNING_CATEGORIES
    ).exclude(approved_by="")
    chosen = set(course.sites.values_list("pk", flat=True)) if course is not None else set()
    return [
        (str(site.pk), f"{site.name} ({site.category.name})")
        for site in Site.objects.filter(pk__in={*sites.values_list("pk", flat=True), *chosen})
        .select_related("category")
        .order_by("category__name", "name")
    ]
