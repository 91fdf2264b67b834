"""Forms on the policy pages: the catalogue's search, proposals, decisions, and the "why?" tool.

The proposal forms only gather an entry in the shape of a policy file; checking it is
for ``policy.proposals``, with the same checks as an import, and each problem it finds
is shown beside the field it names.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wicketgate.estate.codes import IncentiveLevel, LocationKind
from wicketgate.estate.models import Establishment
from wicketgate.people.codes import PRISON_NUMBER_PATTERN, LegalStatus, SecurityCategory
from wicketgate.people.models import AlertCode
from wicketgate.policy.codes import ALL, Clearance, Effect, Https
from wicketgate.policy.models import Category, Site
from wicketgate.policy.proposals import REASON_MAX, ProposalError
from wicketgate.web.forms.base import GovukForm
from wicketgate.web.forms.fields import GovukDateField

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

TIME_PATTERN = r"^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])$"
ESTATE_WIDE = _("The estate administrator (estate-wide)")


def _lines(text: str) -> list[str]:
    """One item a line (commas and spaces also separate), blanks dropped."""
    return [item for item in re.split(r"[\s,]+", text) if item]


def _any_of(label: StrOrPromise, choices: list[tuple[str, str]]) -> forms.MultipleChoiceField:
    """An optional set of checkboxes: a rule condition that matches any one ticked."""
    return forms.MultipleChoiceField(
        label=label, required=False, choices=choices, widget=forms.CheckboxSelectMultiple
    )


class ProposalForm(GovukForm):
    """What every proposal form has: who decides it, and why it is wanted."""

    # Keys of an entry (as the checks name them) → the field that shows their problems.
    ENTRY_FIELDS: dict[str, str] = {}

    decider = forms.ModelChoiceField(
        label=_("Who should approve it"),
        help_text=_("Someone with the right to approve policy changes there, other than you"),
        required=False,
        queryset=Establishment.objects.none(),
        to_field_name="code",
        empty_label=ESTATE_WIDE,
        error_messages={"invalid_choice": _("Choose one of your establishments from the list")},
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        help_text=_("The person who approves it reads this, and it is kept on the record"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason for the change")},
    )

    def __init__(self, *args: Any, establishments: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if establishments is None:
            del self.fields["decider"]
        else:
            cast("forms.ModelChoiceField[Any]", self.fields["decider"]).queryset = establishments

    def payload(self) -> dict[str, Any]:  # pragma: no cover - forms with an entry override it
        """The entry the proposal makes, from the form's cleaned data. A form with no entry
        of its own (ReasonForm) is given one by the view, which then never asks it."""
        raise NotImplementedError(f"{type(self).__name__} has no entry: the view gives it")

    def add_proposal_error(self, error: ProposalError) -> None:
        for key, message in error.errors():
            name = self.ENTRY_FIELDS.get(key or "", key)
            field = name if name in self.fields and not self.fields[name].disabled else None
            self.add_error(field, message if field else f"{key}: {message}" if key else message)


class SiteFilterForm(GovukForm):
    q = forms.CharField(
        label=_("Name, address or category"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        required=False,
        queryset=Category.objects.all(),
        to_field_name="code",
        empty_label=_("Any category"),
        error_messages={"invalid_choice": _("Choose a category from the list")},
    )
    review = forms.ChoiceField(
        label=_("Review date"),
        required=False,
        choices=[
            ("", _("Any")),
            ("overdue", _("Overdue")),
            ("soon", _("Due in the next 60 days, or overdue")),
        ],
        error_messages={"invalid_choice": _("Choose a review date from the list")},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("In the catalogue")), ("retired", _("Retired")), ("all", _("All"))],
        error_messages={"invalid_choice": _("Choose a status from the list")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                f"{field.widget.attrs.get('class', '')} govuk-!-width-full".strip()
            )


class SiteProposalForm(ProposalForm):
    ENTRY_FIELDS = {"min_clearance": "min_clearance"}

    name = forms.CharField(
        label=_("Name"),
        help_text=_("As prisoners will see it, for example NHS website"),
        max_length=120,
        error_messages={"required": _("Enter a name for the site")},
    )
    hosts = forms.CharField(
        label=_("Addresses"),
        help_text=_(
            "One a line: a host such as www.nhs.uk, or *.nhs.uk for every address ending .nhs.uk"
        ),
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "none"}),
        error_messages={"required": _("Enter at least one address")},
    )
    paths = forms.CharField(
        label=_("Only these pages (optional)"),
        help_text=_("One path prefix a line, such as /conditions/. Leave empty for the whole site"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "autocapitalize": "none"}),
    )
    ports = forms.CharField(
        label=_("Other ports (optional)"),
        help_text=_(
            "Every site is served on ports 80 and 443. Name any others it needs, such as 8443, "
            "separated by spaces"
        ),
        required=False,
        widget=forms.TextInput(attrs={"spellcheck": "false", "inputmode": "numeric"}),
    )
    internal = forms.BooleanField(
        label=_("It is an internal service"),
        help_text=_(
            "Such as the offline library: its addresses may be on the prison's own networks, "
            "which the gateway refuses for every other site. It is then served only on the "
            "ports named above"
        ),
        required=False,
    )
    https = forms.ChoiceField(
        label=_("HTTPS"),
        choices=[
            (Https.INSPECT, _("Inspected: decrypted and checked page by page (the usual choice)")),
            (
                Https.PASS_THROUGH,
                _(
                    "Passed through: never decrypted, for sites where decrypting is wrong or "
                    "impossible, such as legal advice. The whole site only, on port 443; the "
                    "gateway cannot see which pages are opened, nor stop a site that shares "
                    "its servers being reached through its name (domain fronting)"
                ),
            ),
        ],
        initial=Https.INSPECT,
        required=False,  # inspected unless said otherwise
        widget=forms.RadioSelect,
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        to_field_name="code",
        empty_label=_("Choose a category"),
        error_messages={
            "required": _("Choose a category"),
            "invalid_choice": _("Choose a category from the list"),
        },
    )
    min_clearance = forms.ChoiceField(
        label=_("Minimum clearance (optional)"),
        help_text=_("Only people held in these conditions, or more open ones, may use it"),
        required=False,
        choices=[("", _("None")), *((c.name, c.label) for c in Clearance)],
        error_messages={"invalid_choice": _("Choose a clearance from the list")},
    )
    review_by = GovukDateField(
        label=_("Review by (optional)"),
        required=False,
        help_text=_("It stops being allowed after this day until it is approved again"),
    )
    field_order = [
        "name",
        "hosts",
        "paths",
        "ports",
        "https",
        "internal",
        "category",
        "min_clearance",
        "review_by",
    ]

    def __init__(self, *args: Any, fixed_name: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if fixed_name is not None:
            # The name is what a site is known by: a change keeps it.
            self.fields["name"].disabled = True
            self.fields["name"].help_text = ""
            self.initial["name"] = fixed_name

    def clean_ports(self) -> list[int]:
        words = str(self.cleaned_data.get("ports") or "").replace(",", " ").split()
        if not all(w.isdigit() and 0 < int(w) < 65536 for w in words):
            raise forms.ValidationError(_("Enter ports as numbers from 1 to 65535"))
        return [int(w) for w in words]

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"].strip(),
            "hosts": _lines(data["hosts"]),
            "paths": _lines(data["paths"]),
            "ports": data["ports"],
            "internal": data["internal"],
            "https": data["https"] or Https.INSPECT,
            "category": data["category"].code,
            "min_clearance": data["min_clearance"] or None,
            "review_by": data["review_by"].isoformat() if data["review_by"] else None,
        }

    @staticmethod
    def initial_from(entry: dict[str, Any]) -> dict[str, Any]:
        review = entry.get("review_by")
        return {
            "name": entry["name"],
            "hosts": "\n".join(entry["hosts"]),
            "paths": "\n".join(entry["paths"]),
            "ports": " ".join(str(p) for p in entry.get("ports") or []),
            "internal": bool(entry.get("internal")),
            "https": entry.get("https") or Https.INSPECT,
            "category": entry["category"],
            "min_clearance": entry["min_clearance"] or "",
            "review_by": dt.date.fromisoformat(review) if review else None,
        }


def _choices(options: Any) -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in options]


class RuleProposalForm(ProposalForm):
    ENTRY_FIELDS = {
        "id": "rule_id",
        "allow": "categories",
        "forbid": "categories",
        "category": "security_categories",
        "incentive_level": "incentive_levels",
        "legal_status": "legal_statuses",
        "establishment": "establishments",
        "alert": "alerts",
    }

    rule_id = forms.CharField(
        label=_("Rule id"),
        help_text=_("Lower-case letters, digits and hyphens, for example std-learning"),
        max_length=63,
        widget=forms.TextInput(
            attrs={
                "spellcheck": "false",
                "autocapitalize": "none",
                "class": "govuk-input--width-20",
            }
        ),
        error_messages={"required": _("Enter an id for the rule")},
    )
    effect = forms.ChoiceField(
        label=_("What it does"),
        choices=[(Effect.ALLOW, _("Allow")), (Effect.FORBID, _("Forbid"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose allow or forbid")},
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories of site"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one category, or every category"),
            "invalid_choice": _("Choose categories from the list"),
        },
    )
    security_categories = _any_of(_("Security categories"), _choices(SecurityCategory.choices))
    incentive_levels = _any_of(_("Incentive levels"), _choices(IncentiveLevel.choices))
    youth = forms.ChoiceField(
        label=_("Age"),
        required=False,
        choices=[
            ("", _("Any age")),
            ("yes", _("Only people under 18")),
            ("no", _("Only people aged 18 or over")),
        ],
        widget=forms.RadioSelect,
    )
    legal_statuses = _any_of(_("Legal status"), _choices(LegalStatus.choices))
    alerts = forms.MultipleChoiceField(
        label=_("Alerts"),
        help_text=_("People with any one of these alerts active"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    establishments = forms.MultipleChoiceField(
        label=_("Establishments"),
        help_text=_("People held at one of these; none ticked for wherever the rule applies"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    hours = forms.CharField(
        label=_("Hours (optional)"),
        help_text=_("For example, Mon-Fri 08:00-20:00; Sat-Sun 10:00-16:00. Empty for any time"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    locations = forms.MultipleChoiceField(
        label=_("Only from these places (optional)"),
        help_text=_("None ticked for anywhere"),
        required=False,
        choices=_choices(LocationKind.choices),
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("Reason shown to prisoners (optional)"),
        help_text=_("In plain words, for example: Education sites are open in the daytime."),
        required=False,
        max_length=300,
    )
    field_order = [
        "decider",
        "rule_id",
        "effect",
        "categories",
        "security_categories",
        "incentive_levels",
        "youth",
        "legal_statuses",
        "alerts",
        "establishments",
        "hours",
        "locations",
        "description",
        "reason",
    ]

    def __init__(self, *args: Any, fixed: Any = None, **kwargs: Any) -> None:
        """``fixed``: the rule being changed, whose id and scope stay as they are."""
        super().__init__(*args, **kwargs)
        self.fields["decider"].label = _("Where it applies")
        self.fields["decider"].help_text = _(
            "Staff who may approve policy there decide it; the estate administrator decides "
            "a rule for every establishment"
        )
        cast("forms.ModelChoiceField[Any]", self.fields["decider"]).empty_label = _(
            "Every establishment (estate-wide)"
        )
        cast(forms.MultipleChoiceField, self.fields["categories"]).choices = [
            (ALL, _("Every category")),
            *Category.objects.values_list("code", "name"),
        ]
        cast(forms.MultipleChoiceField, self.fields["alerts"]).choices = list(
            AlertCode.objects.filter(active=True).values_list("code", "description")
        )
        cast(forms.MultipleChoiceField, self.fields["establishments"]).choices = list(
            Establishment.objects.order_by("name").values_list("code", "name")
        )
        if fixed is not None:
            for name in ("rule_id", "decider"):
                self.fields[name].disabled = True
            self.initial["rule_id"] = fixed.rule_id
            self.initial["decider"] = fixed.establishment.code if fixed.establishment else ""

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        categories = data["categories"]
        when: dict[str, Any] = {
            key: data[name]
            for key, name in (
                ("category", "security_categories"),
                ("incentive_level", "incentive_levels"),
                ("legal_status", "legal_statuses"),
                ("alert", "alerts"),
                ("establishment", "establishments"),
            )
            if data[name]
        }
        if data["youth"]:
            when["youth"] = data["youth"] == "yes"
        entry: dict[str, Any] = {
            "id": data["rule_id"].strip(),
            data["effect"]: ALL if ALL in categories else categories,
            "description": data["description"].strip(),
        }
        if when:
            entry["when"] = when
        if data["hours"].strip():
            entry["hours"] = data["hours"].strip()
        if data["locations"]:
            entry["locations"] = data["locations"]
        return entry

    @staticmethod
    def initial_from(entry: dict[str, Any]) -> dict[str, Any]:
        effect = Effect.ALLOW if "allow" in entry else Effect.FORBID
        value = entry[effect]
        when = entry.get("when") or {}
        youth = when.get("youth")
        return {
            "rule_id": entry["id"],
            "effect": effect,
            "categories": [ALL] if value == ALL else list(value),
            "security_categories": when.get("category", []),
            "incentive_levels": when.get("incentive_level", []),
            "youth": "" if youth is None else "yes" if youth else "no",
            "legal_statuses": when.get("legal_status", []),
            "alerts": when.get("alert", []),
            "establishments": when.get("establishment", []),
            "hours": entry.get("hours", ""),
            "locations": entry.get("locations", []),
            "description": entry.get("description", ""),
        }


class ExceptionProposalForm(ProposalForm):
    """One prisoner's exception: allow or forbid one site, or one category, until a day."""

    # "reason" is the proposal's own; the exception's reason is exception_reason.
    ENTRY_FIELDS = {"allow": "site", "forbid": "site", "until": "until"}

    effect = forms.ChoiceField(
        label=_("Allow or forbid"),
        choices=[
            (Effect.ALLOW, _("Allow, whatever the rules say")),
            (Effect.FORBID, _("Forbid, whatever the rules say")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose allow or forbid")},
    )
    site = forms.ModelChoiceField(
        label=_("One site from the catalogue"),
        required=False,
        queryset=Site.objects.none(),
        empty_label=_("Choose a site"),
        error_messages={"invalid_choice": _("Choose a site from the list")},
    )
    category = forms.ModelChoiceField(
        label=_("Or every site in a category"),
        required=False,
        queryset=Category.objects.order_by("name"),
        to_field_name="code",
        empty_label=_("Choose a category"),
        error_messages={"invalid_choice": _("Choose a category from the list")},
    )
    until = GovukDateField(
        label=_("Until"),
        help_text=_("It applies up to the end of this day. For example, 31 1 2027"),
        error_messages={"required": _("Enter the last day it applies")},
    )
    exception_reason = forms.CharField(
        label=_("Reason for the exception"),
        help_text=_("Kept with the exception and shown to staff who ask why"),
        max_length=300,
        error_messages={"required": _("Give the reason for the exception")},
    )
    field_order = ["effect", "site", "category", "until", "exception_reason", "reason"]

    def __init__(self, *args: Any, prisoner: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prisoner = prisoner
        # Only what is in the catalogue now: a retired or unapproved site allows nothing.
        cast("forms.ModelChoiceField[Any]", self.fields["site"]).queryset = (
            Site.objects.filter(retired_at__isnull=True).exclude(approved_by="").order_by("name")
        )

    def clean_until(self) -> dt.date:
        until: dt.date = self.cleaned_data["until"]
        if until < timezone.localdate():
            raise forms.ValidationError(_("The last day it applies must be today or in the future"))
        return until

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "site" in self.errors or "category" in self.errors:
            return data
        if not data.get("site") and not data.get("category"):
            self.add_error("site", _("Choose a site or a category"))
        elif data.get("site") and data.get("category"):
            self.add_error("category", _("Choose a site or a category, not both"))
        return data

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        target = (
            {"site": data["site"].name} if data["site"] else {"category": data["category"].code}
        )
        return {
            "prisoner": self.prisoner.prison_number,
            data["effect"]: target,
            "until": data["until"].isoformat(),
            "reason": data["exception_reason"].strip(),
        }


class DecisionForm(GovukForm):
    note = forms.CharField(
        label=_("Note (needed to reject)"),
        help_text=_("The proposer reads this, and it is kept on the record"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        error_messages={"required": _("Choose approve or reject")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not data.get("note", "").strip():
            self.add_error("note", _("Say why it is rejected, for the person who proposed it"))
        return data


class WhyForm(GovukForm):
    prisoner = forms.CharField(
        label=_("Prison number"),
        help_text=_("For example, A1234BC"),
        max_length=7,
        widget=forms.TextInput(attrs={"spellcheck": "false", "class": "govuk-input--width-10"}),
        error_messages={"required": _("Enter a prison number")},
    )
    url = forms.CharField(
        label=_("Web address"),
        help_text=_(
            "A full address such as https://www.nhs.uk/conditions/, or a host alone as an HTTPS connection shows it"
        ),
        max_length=2000,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "none"}),
        error_messages={"required": _("Enter a web address")},
    )
    on = GovukDateField(
        label=_("Date"),
        required=False,
        help_text=_("Leave empty for today. For example, 27 3 2026"),
    )
    time = forms.CharField(
        label=_("Time"),
        help_text=_("Establishment time, for example 14:30. Leave empty for now"),
        required=False,
        max_length=5,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "numeric"}),
    )
    location = forms.ChoiceField(
        label=_("Where they are"),
        required=False,
        choices=[("", _("Not known")), *_choices(LocationKind.choices)],
        error_messages={"invalid_choice": _("Choose a place from the list")},
    )

    def clean_prisoner(self) -> str:
        number: str = self.cleaned_data["prisoner"].strip().upper()
        if not re.fullmatch(PRISON_NUMBER_PATTERN, number):
            raise forms.ValidationError(
                _("Enter a prison number in the right format, like A1234BC")
            )
        return number

    def clean_time(self) -> dt.time | None:
        text = self.cleaned_data["time"].strip()
        if not text:
            return None
        match = re.fullmatch(TIME_PATTERN, text)
        if match is None:
            raise forms.ValidationError(_("Enter the time as hours and minutes, like 14:30"))
        return dt.time(int(match[1]), int(match[2]))


class ReasonForm(ProposalForm):
    """Retiring a site or removing a rule: nothing to fill in but who decides, and why."""
