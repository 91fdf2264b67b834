"""Forms for conduct: reporting an incident, moving it through adjudication, giving,
activating and quashing sanctions, dealing with alerts and setting their triggers, and
a prisoner's appeal.

They check what was typed; the actions in ``conduct.actions`` check the rules, and their
refusals (which name the field first, "days 50: …") are shown against that field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wicketgate.conduct.actions import CLOCK_SKEW
from wicketgate.conduct.codes import REPORT_WITHIN, IncidentService, Service, Status
from wicketgate.conduct.models import Incident
from wicketgate.estate.models import Location
from wicketgate.people.codes import PRISON_NUMBER_PATTERN
from wicketgate.people.forms import LocationChoiceField
from wicketgate.people.models import Prisoner
from wicketgate.policy.forms import TIME_PATTERN
from wicketgate.policy.models import Category
from wicketgate.web.forms.base import GovukForm
from wicketgate.web.forms.fields import GovukDateField

ANY_OPEN = "open"  # the incident filter's choice for every open status
# "days 50: the most …", "reason: say why …": the field an action's refusal is about.
LATE_RULE = _(
    "The rules say an incident is reported within 2 days (48 hours) of it happening. "
    "If it happened longer ago than that, say why it is being reported late."
)


class ConductForm(GovukForm):
    # Names the actions give their arguments → the field that shows their problems.
    ACTION_FIELDS = {}


def _time_field(label: Any, help_text: Any, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=5,
        error_messages={"required": _("Enter the time, like 14:30")},
        widget=forms.TextInput(
            attrs={"class": "govuk-input--width-5", "inputmode": "numeric", "autocomplete": "off"}
        ),
    )


def parse_time(text: str) -> dt.time | None:
    """ "14:30" or "9.05" → a time; empty → None; anything else raises a ValidationError."""
    text = text.strip()
    if not text:
        return None
    match = re.fullmatch(TIME_PATTERN, text)
    if match is None:
        raise forms.ValidationError(_("Enter the time as hours and minutes, like 14:30"))
    return dt.time(int(match[1]), int(match[2]))


def local_moment(day: dt.date, time: dt.time) -> dt.datetime:
    """A date and time on the establishment's clock, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, time))


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _reason(label: Any, help_text: Any, required_message: Any, max_length: int) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=max_length,
        error_messages={
            "required": required_message,
            "max_length": _("This must be %(limit_value)s characters or fewer"),
        },
        widget=_textarea(3),
    )


# --- incidents -------------------------------------------------------------------------------


class IncidentFilterForm(GovukForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        error_messages={"invalid_choice": _("Choose a status from the list")},
    )
    prisoner = forms.CharField(label=_("Name or prison number"), required=False, max_length=100)
    service = forms.ChoiceField(
        label=_("Service"),
        required=False,
        choices=[("", _("Any service")), *IncidentService.choices],
        error_messages={"invalid_choice": _("Choose a service from the list")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            ("", _("Any status")),
            (ANY_OPEN, _("Open (not yet decided)")),
            *Status.choices,
        ]


class ReportIncidentForm(ConductForm):
    ACTION_FIELDS = {"occurred_at": "occurred_on"}

    prisoner = forms.CharField(
        label=_("Prison number"),
        help_text=_("For example, A1234BC"),
        max_length=7,
        error_messages={"required": _("Enter the prison number of the person it is about")},
        widget=forms.TextInput(
            attrs={
                "class": "govuk-input--width-10",
                "spellcheck": "false",
                "autocapitalize": "characters",
                "autocomplete": "off",
            }
        ),
    )
    occurred_on = GovukDateField(
        label=_("Date it happened"),
        help_text=_("For example, 27 3 2026"),
        error_messages={"required": _("Enter the date it happened")},
    )
    occurred_time = _time_field(_("Time it happened"), _("24-hour clock, for example 14:30"))
    location = LocationChoiceField(
        label=_("Where it happened (optional)"),
        required=False,
        queryset=Location.objects.none(),
        empty_label=_("Not recorded"),
        error_messages={"invalid_choice": _("Choose a place from the list")},
    )
    service = forms.ChoiceField(
        label=_("Which service was it about?"),
        choices=IncidentService.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the service it was about"),
            "invalid_choice": _("Choose the service it was about"),
        },
    )
    summary = forms.CharField(
        label=_("Summary"),
        help_text=_("What happened, in a line"),
        max_length=Incident._meta.get_field("summary").max_length,
        error_messages={
            "required": _("Enter a summary of what happened"),
            "max_length": _("The summary must be %(limit_value)s characters or fewer"),
        },
    )
    description = forms.CharField(
        label=_("Description"),
        help_text=_("What happened, who was there and what was said or done"),
        max_length=10_000,
        error_messages={"required": _("Describe what happened")},
        widget=_textarea(6),
    )
    evidence = forms.CharField(
        label=_("Evidence (optional)"),
        help_text=_(
            "Numbers of the audit events that show what happened, separated by commas or "
            "spaces, for example 10422, 10430"
        ),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    late_reason = forms.CharField(
        label=_("Why it is being reported late"),
        help_text=LATE_RULE,
        required=False,
        max_length=2000,
        widget=_textarea(3),
    )

    def __init__(self, *args: Any, prisoners: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prisoners = prisoners
        cast("forms.ModelChoiceField[Any]", self.fields["location"]).queryset = locations

    def clean_prisoner(self) -> Prisoner:
        number = self.cleaned_data["prisoner"].strip().upper()
        if not re.fullmatch(PRISON_NUMBER_PATTERN, number):
            raise forms.ValidationError(
                _("Enter a prison number in the right format, like A1234BC")
            )
        prisoner = self.prisoners.filter(prison_number=number).first()
        if prisoner is None:
            raise forms.ValidationError(
                _("There is nobody with prison number %(number)s at your establishments"),
                params={"number": number},
            )
        return cast(Prisoner, prisoner)

    def clean_occurred_time(self) -> dt.time | None:
        return parse_time(self.cleaned_data["occurred_time"])

    def clean_evidence(self) -> list[int]:
        items = [item for item in re.split(r"[\s,]+", self.cleaned_data["evidence"]) if item]
        wrong = [item for item in items if not item.isdigit()]
        if wrong:
            raise forms.ValidationError(
                _("Evidence must be audit event numbers, like 10422; “%(item)s” is not one"),
                params={"item": wrong[0]},
            )
        return sorted({int(item) for item in items})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, time = data.get("occurred_on"), data.get("occurred_time")
        if day and time:
            occurred_at = local_moment(day, time)
            data["occurred_at"] = occurred_at
            now = timezone.now()
            if occurred_at > now + CLOCK_SKEW:
                self.add_error(
                    "occurred_on", _("The date and time it happened must be in the past")
                )
            elif now - occurred_at > REPORT_WITHIN and not data.get("late_reason", "").strip():
                self.add_error(
                    "late_reason",
                    _(
                        "This happened more than 2 days ago. Incidents must be reported within "
                        "2 days: say why it is being reported late"
                    ),
                )
        prisoner, location = data.get("prisoner"), data.get("location")
        if prisoner and location and location.establishment_id != prisoner.establishment_id:
            self.add_error(
                "location",
                _("Choose a place at %(establishment)s, where %(name)s is held")
                % {"establishment": prisoner.establishment.name, "name": prisoner.full_name},
            )
        return data


# --- adjudication ----------------------------------------------------------------------------


class MoveForm(ConductForm):
    """One step of the adjudication; ``to`` is the status it moves the incident to."""

    STEPS: tuple[str, ...] = ()
    KEY = ""  # names its template section and, as several share a page, its controls' ids

    to = forms.ChoiceField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.KEY}-%s")
        super().__init__(*args, **kwargs)
        self.offer_only(self.STEPS)
        if len(self.STEPS) == 1:
            self.fields["to"].initial = self.STEPS[0]

    def offer_only(self, steps: Collection[str]) -> None:
        """Offer those of the form's steps that are in ``steps`` (the ones the incident may take)."""
        cast(forms.ChoiceField, self.fields["to"]).choices = [
            (step, Status(step).label) for step in self.STEPS if step in steps
        ]

    def notes_text(self) -> str:
        return str(self.cleaned_data.get("notes", ""))

    def hearing_at(self) -> dt.datetime | None:
        return None


class ReferForm(MoveForm):
    KEY = "refer"
    STEPS = (Status.REFERRED,)
    notes = forms.CharField(
        label=_("Why it is referred (optional)"),
        help_text=_("For example, additional days may be due"),
        required=False,
        max_length=2000,
        widget=_textarea(2),
    )


class HearingForm(MoveForm):
    KEY = "hearing"
    STEPS = (Status.HEARING_SCHEDULED,)
    ACTION_FIELDS = {"hearing_at": "hearing_on"}
    hearing_on = GovukDateField(
        label=_("Date of the hearing"),
        help_text=_("For example, 27 3 2026"),
        error_messages={"required": _("Enter the date of the hearing")},
    )
    hearing_time = _time_field(_("Time of the hearing"), _("24-hour clock, for example 10:00"))

    def clean_hearing_time(self) -> dt.time | None:
        return parse_time(self.cleaned_data["hearing_time"])

    def hearing_at(self) -> dt.datetime | None:
        day, time = self.cleaned_data.get("hearing_on"), self.cleaned_data.get("hearing_time")
        return local_moment(day, time) if day and time else None


class FindingForm(MoveForm):
    KEY = "finding"
    STEPS = (Status.PROVED, Status.NOT_PROVED, Status.DISMISSED)
    to = forms.ChoiceField(
        label=_("Finding"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the finding"),
            "invalid_choice": _("Choose the finding"),
        },
    )
    notes = _reason(
        _("Reasons for the finding"),
        _("Recorded with the finding and read by anyone who hears an appeal"),
        _("Give the reasons for the finding"),
        4000,
    )


class AppealForm(MoveForm):
    KEY = "appeal"
    STEPS = (Status.APPEALED,)
    ACTION_FIELDS = {"reason": "notes"}
    notes = _reason(
        _("Grounds of the appeal"),
        _("In the prisoner’s words, or as they asked for them to be written"),
        _("Enter the grounds of the appeal"),
        4000,
    )


class AppealOutcomeForm(MoveForm):
    KEY = "outcome"
    STEPS = (Status.UPHELD, Status.QUASHED)
    to = forms.ChoiceField(
        label=_("Outcome of the appeal"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the outcome of the appeal"),
            "invalid_choice": _("Choose the outcome of the appeal"),
        },
    )
    notes = _reason(
        _("Reasons for the outcome"),
        _("Quashing it also quashes every sanction given for it, at once"),
        _("Give the reasons for the outcome"),
        4000,
    )


# Each form by the name its page sends with it (a radio button may be left unchosen).
MOVE_STEPS: dict[str, type[MoveForm]] = {
    form.KEY: form for form in (ReferForm, HearingForm, FindingForm, AppealForm, AppealOutcomeForm)
}
# Which form records a move to each status.
MOVE_FORMS: dict[str, type[MoveForm]] = {
    step: form
    for form in (ReferForm, HearingForm, FindingForm, AppealForm, AppealOutcomeForm)
    for step in form.STEPS
}


# --- sanctions -------------------------------------------------------------------------------


class SanctionForm(ConductForm):
    ACTION_FIELDS = {"starts_at": "starts_on"}

    service = forms.ChoiceField(
        label=_("What it takes away"),
        choices=Service.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose what the sanction takes away"),
            "invalid_choice": _("Choose what the sanction takes away"),
        },
    )
    categories = forms.MultipleChoiceField(
        label=_("For web access: only these categories of website (optional)"),
        help_text=_("Leave them all unticked to take away all web access"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose categories from the list")},
    )
    includes_education = forms.BooleanField(
        label=_("Take away their courses' sites and library books too"),
        help_text=_(
            "Only with web access. Unticked, the prisoner keeps the sites and library books "
            "of the courses they are enrolled on"
        ),
        required=False,
    )
    privilege = forms.CharField(
        label=_("For another privilege: which one"),
        help_text=_("For example, in-cell television"),
        required=False,
        max_length=100,
    )
    days = forms.IntegerField(
        label=_("Number of days"),
        min_value=1,
        error_messages={
            "required": _("Enter the number of days"),
            "invalid": _("Enter the number of days as a whole number, like 14"),
            "min_value": _("The number of days must be at least 1"),
        },
        widget=forms.NumberInput(
            attrs={"class": "govuk-input--width-3", "min": 1, "inputmode": "numeric"}
        ),
    )
    starts_on = GovukDateField(
        label=_("Start date (optional)"),
        help_text=_("Leave the date and time empty for it to start now"),
        required=False,
    )
    starts_time = _time_field(
        _("Start time (optional)"), _("24-hour clock, for example 09:00"), required=False
    )
    suspend_months = forms.IntegerField(
        label=_("Suspend it for this many months (optional)"),
        required=False,
        min_value=1,
        error_messages={
            "invalid": _("Enter the number of months as a whole number, like 3"),
            "min_value": _("The number of months must be at least 1"),
        },
        widget=forms.NumberInput(
            attrs={"class": "govuk-input--width-3", "min": 1, "inputmode": "numeric"}
        ),
    )
    reason = _reason(
        _("Reason"),
        _("Recorded with the sanction; the prisoner is told what it takes away and why"),
        _("Enter the reason for the sanction"),
        300,
    )

    def __init__(self, *args: Any, max_days: int, max_months: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["categories"]).choices = list(
            Category.objects.order_by("name").values_list("code", "name")
        )
        self.fields["days"].widget.attrs["max"] = max_days
        self.fields["days"].help_text = _("At most %(days)s days for this prisoner") % {
            "days": max_days
        }
        self.fields["suspend_months"].widget.attrs["max"] = max_months
        self.fields["suspend_months"].help_text = _(
            "At most %(months)s months for this prisoner. A suspended sanction does not start: "
            "another proved charge within this time can activate it. Leave empty for it to "
            "take effect."
        ) % {"months": max_months}

    def clean_starts_time(self) -> dt.time | None:
        return parse_time(self.cleaned_data["starts_time"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        service = data.get("service")
        if data.get("categories") and service and service != Service.WEB:
            self.add_error("categories", _("Tick categories only when taking away web access"))
        if data.get("includes_education") and service and service != Service.WEB:
            self.add_error("includes_education", _("Tick this only when taking away web access"))
        if service == Service.PRIVILEGES and not data.get("privilege", "").strip():
            self.add_error("privilege", _("Enter which privilege is lost"))
        day, time = data.get("starts_on"), data.get("starts_time")
        if time and not day:
            self.add_error("starts_on", _("Enter the start date as well as the time"))
        elif day and not time and "starts_time" not in self.errors:
            self.add_error("starts_time", _("Enter the start time as well as the date"))
        elif day and time:
            if data.get("suspend_months"):
                self.add_error(
                    "starts_on",
                    _("A suspended sanction has no start date: leave it empty, or do not suspend"),
                )
            data["starts_at"] = local_moment(day, time)
        return data


if TYPE_CHECKING:  # Django's form fields take no type parameters when the code runs
    _ChargeChoiceFieldBase = forms.ModelChoiceField[Incident]
else:
    _ChargeChoiceFieldBase = forms.ModelChoiceField


class ChargeChoiceField(_ChargeChoiceFieldBase):
    def label_from_instance(self, obj: Incident) -> str:
        day = timezone.localtime(obj.occurred_at).strftime("%d/%m/%Y")
        return f"{obj.reference}: {obj.summary} ({day})"


class ActivateSanctionForm(ConductForm):
    ACTION_FIELDS = {"incident": "charge"}

    charge = ChargeChoiceField(
        label=_("The proved charge that activates it"),
        queryset=Incident.objects.none(),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the proved charge that activates it"),
            "invalid_choice": _("Choose a proved charge from the list"),
        },
    )
    days = forms.IntegerField(
        label=_("Days to activate (optional)"),
        required=False,
        min_value=1,
        error_messages={
            "invalid": _("Enter the number of days as a whole number, like 7"),
            "min_value": _("The number of days must be at least 1"),
        },
        widget=forms.NumberInput(
            attrs={"class": "govuk-input--width-3", "min": 1, "inputmode": "numeric"}
        ),
    )

    def __init__(self, *args: Any, charges: Any, suspended_days: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Any]", self.fields["charge"]).queryset = charges
        self.fields["days"].widget.attrs["max"] = suspended_days
        self.fields["days"].help_text = _(
            "Up to the %(days)s days suspended. Leave empty to activate all of them."
        ) % {"days": suspended_days}


class QuashSanctionForm(ConductForm):
    reason = _reason(
        _("Why it is quashed"),
        _("It stops applying at once, and the reason is recorded"),
        _("Enter why the sanction is quashed"),
        300,
    )


# --- alerts ----------------------------------------------------------------------------------


class DismissAlertForm(ConductForm):
    reason = _reason(
        _("Why it needs no action"),
        _("For example, the sites were tried during a supervised class"),
        _("Enter why the alert needs no action"),
        300,
    )


class AlertTriggerForm(ConductForm):
    # The fields each kind of alert uses; the others keep their values.
    KIND_FIELDS = {
        "repeated_blocked": ("enabled", "threshold", "window_minutes"),
        "during_sanction": ("enabled",),
        "unusual_hours": ("enabled", "quiet_from", "quiet_until"),
    }

    enabled = forms.TypedChoiceField(
        label=_("Raise these alerts here?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether to raise these alerts")},
    )
    threshold = forms.IntegerField(
        label=_("How many blocked attempts"),
        help_text=_("At one category of website, from 2 to 1000"),
        min_value=2,
        max_value=1000,
        error_messages={
            "required": _("Enter how many blocked attempts raise an alert"),
            "invalid": _("Enter a whole number, like 5"),
            "min_value": _("Enter a number from 2 to 1000"),
            "max_value": _("Enter a number from 2 to 1000"),
        },
        widget=forms.NumberInput(
            attrs={"class": "govuk-input--width-3", "min": 2, "max": 1000, "inputmode": "numeric"}
        ),
    )
    window_minutes = forms.IntegerField(
        label=_("Within how many minutes"),
        help_text=_("From 1 to 1440 (a day)"),
        min_value=1,
        max_value=1440,
        error_messages={
            "required": _("Enter the number of minutes"),
            "invalid": _("Enter a whole number of minutes, like 10"),
            "min_value": _("Enter a number of minutes from 1 to 1440"),
            "max_value": _("Enter a number of minutes from 1 to 1440"),
        },
        widget=forms.NumberInput(
            attrs={"class": "govuk-input--width-4", "min": 1, "max": 1440, "inputmode": "numeric"}
        ),
    )
    quiet_from = _time_field(_("Quiet hours start"), _("24-hour clock, for example 23:00"))
    quiet_until = _time_field(_("Quiet hours end"), _("For example 06:00, the next morning"))

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in self.KIND_FIELDS[kind]:
                del self.fields[name]

    def clean_quiet_from(self) -> dt.time | None:
        return parse_time(self.cleaned_data["quiet_from"])

    def clean_quiet_until(self) -> dt.time | None:
        return parse_time(self.cleaned_data["quiet_until"])


# --- the prisoner's own appeal ---------------------------------------------------------------


class PrisonerAppealForm(ConductForm):
    ACTION_FIELDS = {"reason": "grounds"}

    grounds = forms.CharField(
        label=_("Why do you think the decision was wrong?"),
        help_text=_(
            "Say what you think the hearing got wrong, and anything it did not know about."
        ),
        max_length=4000,
        error_messages={
            "required": _("Tell us why you think the decision was wrong"),
            "max_length": _("Your reasons must be %(limit_value)s characters or fewer"),
        },
        widget=_textarea(6),
    )
