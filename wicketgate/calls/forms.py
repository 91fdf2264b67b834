"""Forms for booking and cancelling video calls.

They check what was chosen; ``calls.booking`` checks the rules, and its refusals (which
name the field first, "day: …") are shown against that field.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from wicketgate.calls.codes import MAX_OTHER_CALLERS
from wicketgate.web.forms.base import GovukForm


class CallForm(GovukForm):
    # Names do_book_video_call's refusals start with → the field that shows them.
    ACTION_FIELDS = {"day": "slot", "session": "slot", "others": "others"}


class BookCallForm(CallForm):
    slot = forms.ChoiceField(
        label=_("Session"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a session")},
    )
    others = forms.MultipleChoiceField(
        label=_("Who else is on the call (optional)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Up to %(n)s more people") % {"n": MAX_OTHER_CALLERS},
    )

    def __init__(
        self,
        *args: Any,
        slots: list[tuple[str, str]],
        others: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["slot"]).choices = slots
        cast(forms.ChoiceField, self.fields["others"]).choices = others
        if not others:
            del self.fields["others"]

    def clean_others(self) -> list[str]:
        chosen: list[str] = self.cleaned_data["others"]
        if len(chosen) > MAX_OTHER_CALLERS:
            raise forms.ValidationError(
                _("Choose at most %(n)s more people") % {"n": MAX_OTHER_CALLERS}
            )
        return chosen


class StaffBookCallForm(BookCallForm):
    ACTION_FIELDS = {**CallForm.ACTION_FIELDS, "main_caller": "main_caller"}

    main_caller = forms.ChoiceField(
        label=_("Main caller"), error_messages={"required": _("Choose the main caller")}
    )
    field_order = ["slot", "main_caller", "others"]

    def __init__(self, *args: Any, callers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, others=callers, **kwargs)
        cast(forms.ChoiceField, self.fields["main_caller"]).choices = [("", _("Choose")), *callers]


class CancelCallForm(CallForm):
    ACTION_FIELDS = {"reason": "reason"}

    reason = forms.CharField(
        label=_("Why is the call cancelled?"),
        help_text=_("The family sees this"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the call is cancelled")},
    )


class FamilyCancelCallForm(CallForm):
    ACTION_FIELDS = {"reason": "reason"}

    reason = forms.CharField(
        label=_("Why are you cancelling? (optional)"),
        help_text=_("The prison sees this"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class SessionForm(CallForm):
    ACTION_FIELDS = {"suite": "suite"}

    suite = forms.ChoiceField(label=_("Video suite"))
    weekday = forms.TypedChoiceField(label=_("Day"), choices=WEEKDAYS, coerce=int)
    starts = forms.TimeField(
        label=_("Starts at"),
        help_text=_("24-hour clock, for example 14:00"),
        widget=forms.TimeInput(attrs={"class": "govuk-input--width-5"}, format="%H:%M"),
        error_messages={
            "required": _("Enter when the session starts"),
            "invalid": _("Enter a time such as 14:00"),
        },
    )
    minutes = forms.TypedChoiceField(
        label=_("Length"), choices=[(30, _("30 minutes")), (60, _("60 minutes"))], coerce=int
    )
    capacity = forms.IntegerField(
        label=_("Calls at once"),
        min_value=1,
        max_value=20,
        initial=1,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
    )

    def __init__(self, *args: Any, suites: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["suite"]).choices = suites


class CallSettingsForm(CallForm):
    ACTION_FIELDS = {"window_days": "window_days"}

    lead_hours = forms.IntegerField(
        label=_("Lead time (hours)"),
        help_text=_("Calls are booked at least this long before the start"),
        min_value=0,
        max_value=24 * 14,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-4"}),
    )
    window_days = forms.IntegerField(
        label=_("Booking window (days)"),
        help_text=_("Calls are booked at most this far ahead"),
        min_value=1,
        max_value=90,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-4"}),
    )
    ineligible_alerts = forms.MultipleChoiceField(
        label=_("Alerts that stop video calls"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        levels: list[tuple[str, str]],
        alerts: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.levels = levels
        for code, label in levels:
            self.fields[f"minutes_{code}"] = forms.IntegerField(
                label=_("Minutes a month: %(level)s") % {"level": label},
                min_value=0,
                max_value=24 * 60,
                widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-4"}),
            )
        cast(forms.ChoiceField, self.fields["ineligible_alerts"]).choices = alerts
        self.order_fields([f"minutes_{code}" for code, _label in levels])

    def minute_fields(self) -> list[forms.BoundField]:
        return [self[f"minutes_{code}"] for code, _label in self.levels]
