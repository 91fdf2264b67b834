"""Forms for the learning pages. They check what was typed; ``learning.actions`` checks
the rules, and its refusals show against the field they name."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from wicketgate.learning.actions import UnitSpec
from wicketgate.learning.codes import AbsenceReason, Attendance, Level, Mode, Outcome, Subject
from wicketgate.learning.models import Course, CourseClass, Enrolment
from wicketgate.web.forms.base import GovukForm
from wicketgate.web.forms.fields import GovukDateField


class LearningForm(GovukForm):
    ACTION_FIELDS = {"prisoner": "prison_number"}


def _reason(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=300,
        error_messages={"required": _("Give the reason")},
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CourseForm(LearningForm):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        error_messages={"required": _("Enter the course's title")},
    )
    provider = forms.CharField(
        label=_("Provider"),
        max_length=120,
        help_text=_("Who delivers it, for example Novus or The Open University"),
        error_messages={"required": _("Enter who provides the course")},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20"}),
    )
    subject = forms.ChoiceField(
        label=_("Subject"),
        choices=Subject.choices,
        error_messages={"required": _("Choose the subject")},
    )
    level = forms.ChoiceField(
        label=_("Level"),
        choices=Level.choices,
        error_messages={"required": _("Choose the level")},
    )
    mode = forms.ChoiceField(
        label=_("How is it taught?"),
        choices=Mode.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "In-cell and blended courses' sites and books are open in the establishment's "
            "in-cell study hours as well as in class"
        ),
        error_messages={"required": _("Choose how the course is taught")},
    )
    description = forms.CharField(
        label=_("Description (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    starts_on = GovukDateField(
        label=_("Start date"), error_messages={"required": _("Enter the start date")}
    )
    ends_on = GovukDateField(
        label=_("End date"),
        help_text=_("Its sites and books close to its learners at the end of this day"),
        error_messages={"required": _("Enter the end date")},
    )
    capacity = forms.IntegerField(
        label=_("Places"),
        min_value=1,
        max_value=500,
        error_messages={
            "required": _("Enter how many learners it takes"),
            "invalid": _("Enter the places as a whole number, like 12"),
            "min_value": _("A course has at least 1 place"),
        },
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
    )
    sites = forms.MultipleChoiceField(
        label=_("Sites and library books it opens to its learners"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Approved catalogue sites and books only"),
        error_messages={"invalid_choice": _("Choose sites from the list")},
    )
    units = forms.CharField(
        label=_("Units (optional)"),
        required=False,
        max_length=8000,
        help_text=_("One a line: its code, a space, its title. For example: FM1 Fractions"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, sites: list[tuple[str, str]], edit: bool = False, **kw: Any):
        super().__init__(*args, **kw)
        cast(forms.MultipleChoiceField, self.fields["sites"]).choices = sites
        if edit:
            del self.fields["units"]  # units are set when the course is made

    def clean_units(self) -> list[UnitSpec]:
        specs = []
        for number, line in enumerate(self.cleaned_data.get("units", "").splitlines(), 1):
            if not line.strip():
                continue
            code, _space, title = line.strip().partition(" ")
            if not title.strip():
                raise forms.ValidationError(
                    _("Line %(n)s: give a code, a space and a title") % {"n": number}
                )
            specs.append(UnitSpec(code, title))
        return specs

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The end date must be on or after the start date"))
        return data


def course_initial(course: Course) -> dict[str, Any]:
    return {
        "title": course.title,
        "provider": course.provider,
        "subject": course.subject,
        "level": course.level,
        "mode": course.mode,
        "description": course.description,
        "starts_on": course.starts_on,
        "ends_on": course.ends_on,
        "capacity": course.capacity,
        "sites": [str(pk) for pk in course.sites.values_list("pk", flat=True)],
    }


class ClassForm(LearningForm):
    name = forms.CharField(
        label=_("Name of the class"),
        max_length=80,
        help_text=_("For example, Monday morning group"),
        error_messages={"required": _("Give the class a name")},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20"}),
    )
    tutor = forms.ChoiceField(label=_("Tutor"), error_messages={"required": _("Choose the tutor")})
    location = forms.ChoiceField(
        label=_("Where it is taught"), error_messages={"required": _("Choose the room")}
    )
    timetable = forms.CharField(
        label=_("Weekly sessions"),
        max_length=200,
        help_text=_("For example: Mon 09:00-11:30; Wed 13:30-16:00"),
        error_messages={"required": _("Give the weekly sessions")},
    )

    def __init__(
        self,
        *args: Any,
        tutors: list[tuple[str, str]],
        locations: list[tuple[str, str]],
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        cast(forms.ChoiceField, self.fields["tutor"]).choices = [("", ""), *tutors]
        cast(forms.ChoiceField, self.fields["location"]).choices = [("", ""), *locations]


class EnrolForm(LearningForm):
    prison_number = forms.CharField(
        label=_("Prison number"),
        max_length=7,
        help_text=_("For example, A1234BC"),
        error_messages={"required": _("Enter the learner's prison number")},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "autocomplete": "off"}),
    )
    course_class = forms.ChoiceField(label=_("Class"), required=False)
    accept_clashes = forms.BooleanField(
        label=_("Enrol even if it clashes with their other classes or booked calls"),
        required=False,
    )

    def __init__(self, *args: Any, classes: list[CourseClass], **kw: Any) -> None:
        super().__init__(*args, **kw)
        cast(forms.ChoiceField, self.fields["course_class"]).choices = [
            ("", _("No class (in-cell study only)")),
            *((str(c.pk), f"{c.name}: {c.timetable}") for c in classes),
        ]

    def clean_prison_number(self) -> str:
        return str(self.cleaned_data["prison_number"]).strip().upper()


class ReasonForm(LearningForm):
    reason = _reason(_("Reason"))


class ResultForm(LearningForm):
    unit = forms.ChoiceField(label=_("Unit"), error_messages={"required": _("Choose the unit")})
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the outcome")},
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, enrolment: Enrolment, **kw: Any) -> None:
        super().__init__(*args, **kw)
        cast(forms.ChoiceField, self.fields["unit"]).choices = [
            ("", ""),
            *((str(u.pk), f"{u.code} {u.title}") for u in enrolment.course.units.all()),
        ]


class RegisterForm(LearningForm):
    """One row a learner: present, absent (with a reason) or excluded (with a note)."""

    def __init__(self, *args: Any, enrolments: list[Enrolment], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.enrolments = enrolments
        for enrolment in enrolments:
            key = str(enrolment.pk)
            name = f"{enrolment.prisoner.full_name} ({enrolment.prisoner.prison_number})"
            self.fields[f"status_{key}"] = forms.ChoiceField(
                label=name,
                choices=Attendance.choices,
                widget=forms.RadioSelect,
                error_messages={"required": _("Mark %(name)s") % {"name": name}},
            )
            self.fields[f"reason_{key}"] = forms.ChoiceField(
                label=_("If absent: why"),
                choices=[("", ""), *AbsenceReason.choices],
                required=False,
            )
            self.fields[f"note_{key}"] = forms.CharField(
                label=_("Note (needed for an exclusion)"), required=False, max_length=300
            )

    def rows(self) -> list[tuple[Enrolment, Any, Any, Any]]:
        return [
            (e, self[f"status_{e.pk}"], self[f"reason_{e.pk}"], self[f"note_{e.pk}"])
            for e in self.enrolments
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for enrolment in self.enrolments:
            key = str(enrolment.pk)
            status = data.get(f"status_{key}")
            if status == Attendance.ABSENT and not data.get(f"reason_{key}"):
                self.add_error(f"reason_{key}", _("Choose why they were absent"))
            if status == Attendance.EXCLUDED and not data.get(f"note_{key}", "").strip():
                self.add_error(f"note_{key}", _("Say why they were excluded"))
        return data


class SessionChoice(forms.Form):
    session = forms.DateTimeField(input_formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"])

    def clean_session(self) -> dt.datetime:
        return cast(dt.datetime, self.cleaned_data["session"])
