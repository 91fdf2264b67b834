"""Forms on the security department's audit pages: the search, and the export of its results."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wicketgate.audit.queries import EventFilter
from wicketgate.estate.models import Establishment
from wicketgate.people.codes import PRISON_NUMBER_PATTERN
from wicketgate.web.forms.base import GovukForm

ACTION_PATTERN = r"^[a-z0-9_]+(\.[a-z0-9_]+)*\.?$"
# Day first, whatever the language: the active locale's own formats would read 3/4 as
# the 4th of March in English. ISO 8601 (2025-03-27T14:30) is always understood too.
DATE_TIME_FORMATS = [
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d/%m/%y %H:%M",
    "%d/%m/%y",
    "%Y-%m-%d %H:%M",
]


class AuditSearchForm(GovukForm):
    prisoner = forms.CharField(
        label=_("Prison number"),
        required=False,
        max_length=7,
        help_text=_("For example, A1234BC"),
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    actor = forms.CharField(
        label=_("Done by"),
        required=False,
        max_length=150,
        help_text=_("A username, or a part of the system such as web"),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "none"}),
    )
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=80,
        help_text=_("Such as people.alert.add, or people. for every action that starts so"),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "none"}),
    )
    establishment = forms.ModelChoiceField(
        label=_("Establishment"),
        required=False,
        queryset=Establishment.objects.none(),
        to_field_name="code",
        empty_label=_("All your establishments"),
        error_messages={"invalid_choice": _("Choose an establishment from the list")},
    )
    since = forms.DateTimeField(
        label=_("From"),
        required=False,
        input_formats=DATE_TIME_FORMATS,
        help_text=_("For example, 27/3/2025 or 27/3/2025 14:30"),
        error_messages={"invalid": _("Enter the ‘from’ date as a real date, like 27/3/2025 14:30")},
    )
    until = forms.DateTimeField(
        label=_("To"),
        required=False,
        input_formats=DATE_TIME_FORMATS,
        help_text=_("For example, 28/3/2025 09:00, or a date alone for the whole day"),
        error_messages={"invalid": _("Enter the ‘to’ date as a real date, like 28/3/2025 09:00")},
    )

    def __init__(self, *args: Any, establishments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Any]", self.fields["establishment"]).queryset = establishments
        for name in AuditSearchForm.base_fields:  # each fills its column of the search panel
            widget = self.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} govuk-!-width-full".strip()

    def clean_prisoner(self) -> str:
        number: str = self.cleaned_data["prisoner"].strip().upper()
        if number and not re.fullmatch(PRISON_NUMBER_PATTERN, number):
            raise forms.ValidationError(
                _("Enter a prison number in the right format, like A1234BC")
            )
        return number

    def clean_actor(self) -> str:
        return str(self.cleaned_data["actor"]).strip()

    def clean_action(self) -> str:
        action: str = self.cleaned_data["action"].strip().lower()
        if action and not re.fullmatch(ACTION_PATTERN, action):
            raise forms.ValidationError(
                _("Enter an action such as people.alert.add, or the start of one such as people.")
            )
        return action

    def clean_until(self) -> dt.datetime | None:
        until: dt.datetime | None = self.cleaned_data["until"]
        typed = str(self.data.get(self.add_prefix("until"), ""))
        if until is not None and ":" not in typed:
            # A day on its own is meant to include that day: search() stops just before this.
            next_day = until.date() + dt.timedelta(days=1)
            until = timezone.make_aware(dt.datetime.combine(next_day, dt.time.min))
        return until

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since >= until:
            self.add_error("until", _("The ‘to’ date must be after the ‘from’ date"))
        return data

    def chosen(self) -> EventFilter:
        """The filters, once the form is valid."""
        data = self.cleaned_data
        establishment = data.get("establishment")
        return EventFilter(
            prisoner=data.get("prisoner", ""),
            actor=data.get("actor", ""),
            action=data.get("action", ""),
            establishment=establishment.code if establishment else "",
            since=data.get("since"),
            until=data.get("until"),
        )


class AuditExportForm(AuditSearchForm):
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[
            ("jsonl", _("JSON Lines (recommended)")),
            ("csv", _("CSV, for spreadsheets")),
        ],
        initial="jsonl",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a format for the export"),
            "invalid_choice": _("Choose JSON Lines or CSV"),
        },
    )
