"""Forms on the staff prisoner pages: the list's filters and the changes to a record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from wicketgate.estate.codes import IncentiveLevel
from wicketgate.estate.models import Location
from wicketgate.people.codes import SecurityCategory
from wicketgate.people.models import AlertCode
from wicketgate.web.forms.base import GovukForm
from wicketgate.web.forms.fields import GovukDateField

if TYPE_CHECKING:  # Django's form fields take no type parameters when the code runs
    _LocationChoiceFieldBase = forms.ModelChoiceField[Location]
else:
    _LocationChoiceFieldBase = forms.ModelChoiceField


class LocationChoiceField(_LocationChoiceFieldBase):
    def label_from_instance(self, obj: Location) -> str:
        return f"{obj.label} – {obj.get_kind_display()}"


class PrisonerFilterForm(GovukForm):
    q = forms.CharField(label=_("Name or prison number"), required=False, max_length=100)
    wing = LocationChoiceField(
        label=_("Wing"),
        required=False,
        queryset=Location.objects.none(),
        empty_label=_("Any wing"),
        error_messages={"invalid_choice": _("Choose a wing from the list")},
    )
    category = forms.ChoiceField(
        label=_("Security category"),
        required=False,
        error_messages={"invalid_choice": _("Choose a security category from the list")},
    )
    level = forms.ChoiceField(
        label=_("Incentive level"),
        required=False,
        error_messages={"invalid_choice": _("Choose an incentive level from the list")},
    )
    alert = forms.ModelChoiceField(
        label=_("Active alert"),
        required=False,
        queryset=AlertCode.objects.filter(active=True),
        to_field_name="code",
        empty_label=_("Any or none"),
        error_messages={"invalid_choice": _("Choose an alert from the list")},
    )

    def __init__(self, *args: Any, wings: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Any]", self.fields["wing"]).queryset = wings
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                f"{field.widget.attrs.get('class', '')} govuk-!-width-full".strip()
            )
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            ("", _("Any category")),
            *SecurityCategory.choices,
        ]
        cast(forms.ChoiceField, self.fields["level"]).choices = [
            ("", _("Any level")),
            *IncentiveLevel.choices,
        ]


class AddAlertForm(GovukForm):
    code = forms.ModelChoiceField(
        label=_("Alert"),
        queryset=AlertCode.objects.filter(active=True),
        to_field_name="code",
        empty_label=_("Choose an alert"),
        error_messages={
            "required": _("Choose an alert"),
            "invalid_choice": _("Choose an alert from the list"),
        },
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    starts_on = GovukDateField(
        label=_("Start date"),
        required=False,
        help_text=_("Leave blank to start today. For example, 27 3 2025"),
    )
    ends_on = GovukDateField(
        label=_("End date (optional)"), required=False, help_text=_("For example, 27 3 2026")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("End date must be the same as or after the start date"))
        return data


class IncentiveReviewForm(GovukForm):
    level = forms.ChoiceField(
        label=_("New incentive level"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose an incentive level"),
            "invalid_choice": _("Choose one of the levels this establishment offers"),
        },
    )
    comment = forms.CharField(
        label=_("Reason for the review"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Enter the reason for the review")},
    )

    def __init__(self, *args: Any, offered: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(IncentiveLevel.choices)
        cast(forms.ChoiceField, self.fields["level"]).choices = [
            (level, labels[level]) for level in offered
        ]

    def clean_comment(self) -> str:
        comment: str = self.cleaned_data["comment"].strip()
        if not comment:
            raise forms.ValidationError(_("Enter the reason for the review"))
        return comment


class MoveForm(GovukForm):
    location = LocationChoiceField(
        label=_("New location"),
        queryset=Location.objects.none(),
        empty_label=_("Choose a location"),
        error_messages={
            "required": _("Choose a location"),
            "invalid_choice": _("Choose a location in this establishment from the list"),
        },
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Any]", self.fields["location"]).queryset = locations
