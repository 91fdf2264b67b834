"""Forms for the phone pages: staff adding a number, deciding one, removing one, adding
credit; a prisoner asking for a number. They check what was typed; ``phone.actions``
checks the rules, and its refusals show against the field they name."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from wicketgate.contacts.models import ContactLink
from wicketgate.phone.codes import NumberKind
from wicketgate.web.forms.base import GovukForm

NUMBER_HINT = _("For example, 020 7946 0000 or +33 1 42 68 53 00 for a number abroad")


class PhoneForm(GovukForm):
    ACTION_FIELDS = {"number": "number", "name": "name", "kind": "kind", "reason": "reason"}


def _number() -> forms.CharField:
    return forms.CharField(
        label=_("Telephone number"),
        max_length=30,
        help_text=NUMBER_HINT,
        error_messages={"required": _("Enter the telephone number")},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "autocomplete": "off"}),
    )


def _name() -> forms.CharField:
    return forms.CharField(
        label=_("Whose number is it?"),
        max_length=100,
        help_text=_("Their name, and who they are to you, for example Rita Smith, my mother"),
        error_messages={"required": _("Say whose number it is")},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-30"}),
    )


def _kind(label: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=NumberKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what kind of number it is")},
    )


def _reason(label: Any, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=300,
        error_messages={"required": _("Give the reason")},
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _link_choices(links: list[ContactLink]) -> list[tuple[str, str]]:
    return [("", str(_("None")))] + [
        (str(link.pk), f"{link.contact.full_name} ({link.get_relationship_display()})")
        for link in links
    ]


class AddNumberForm(PhoneForm):
    ACTION_FIELDS = {**PhoneForm.ACTION_FIELDS, "contact_link": "contact_link"}

    number = _number()
    name = _name()
    kind = _kind(_("Kind of number"))
    contact_link = forms.ChoiceField(label=_("The approved contact it belongs to"), required=False)

    def __init__(self, *args: Any, links: list[ContactLink], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.links = {str(link.pk): link for link in links}
        cast(forms.ChoiceField, self.fields["contact_link"]).choices = _link_choices(links)

    def chosen_link(self) -> ContactLink | None:
        return self.links.get(self.cleaned_data.get("contact_link") or "")


class DecideNumberForm(PhoneForm):
    ACTION_FIELDS = {**PhoneForm.ACTION_FIELDS, "contact_link": "contact_link"}

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose approve or refuse")},
    )
    contact_link = forms.ChoiceField(label=_("The approved contact it belongs to"), required=False)
    reason = _reason(_("Reason (the prisoner reads it if you refuse)"), required=False)

    def __init__(self, *args: Any, links: list[ContactLink], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.links = {str(link.pk): link for link in links}
        cast(forms.ChoiceField, self.fields["contact_link"]).choices = _link_choices(links)

    def chosen_link(self) -> ContactLink | None:
        return self.links.get(self.cleaned_data.get("contact_link") or "")


class RemoveNumberForm(PhoneForm):
    reason = _reason(_("Why is it removed? (The prisoner reads this.)"))


class EndCallForm(PhoneForm):
    reason = _reason(_("Why is the call ended? (Kept in the record.)"))


class CreditForm(PhoneForm):
    ACTION_FIELDS = {**PhoneForm.ACTION_FIELDS, "pence": "amount"}

    # Pounds and pence as people write them ("5", "5.50"), nothing else: no exponents
    # ("1e3"), underscores or signs, which a decimal field would also read.
    amount = forms.RegexField(
        label=_("Amount in pounds"),
        regex=r"^\d{1,4}(\.\d{1,2})?$",
        max_length=7,
        error_messages={
            "required": _("Enter the amount"),
            "invalid": _("Enter the amount in pounds and pence, for example 5.50"),
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "decimal"}),
    )
    reason = _reason(_("Where does the money come from?"))

    def clean_amount(self) -> Decimal:
        amount = Decimal(self.cleaned_data["amount"])
        if amount <= 0:
            raise forms.ValidationError(_("Enter an amount of 1p or more"))
        return amount

    def pence(self) -> int:
        return int(self.cleaned_data["amount"] * 100)


class RequestNumberForm(PhoneForm):
    number = _number()
    name = _name()
    kind = _kind(_("Who is it?"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            (NumberKind.SOCIAL, _("Family or a friend")),
            (
                NumberKind.OFFICIAL,
                _("An official, such as probation, a job centre or a support service"),
            ),
            (
                NumberKind.LEGAL,
                _("My solicitor or legal adviser (these calls are never listened to)"),
            ),
        ]


def _pin(label: Any, required_message: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=8,
        strip=True,
        error_messages={"required": required_message},
        widget=forms.PasswordInput(
            attrs={"class": "govuk-input--width-5", "inputmode": "numeric", "autocomplete": "off"}
        ),
    )


class ChangePinForm(PhoneForm):
    ACTION_FIELDS = {"current": "current", "new": "new"}

    current = _pin(_("Your phone PIN now"), _("Enter your phone PIN now"))
    new = _pin(_("New phone PIN"), _("Enter a new phone PIN"))
    again = _pin(_("New phone PIN again"), _("Enter the new phone PIN again"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new") and data.get("again") and data["new"] != data["again"]:
            self.add_error("again", _("The new PINs are not the same"))
        return data


def _pence(label: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=500,
        error_messages={
            "required": _("Enter the pence a minute"),
            "invalid": _("Enter whole pence, for example 6"),
            "min_value": _("Enter 0 pence or more"),
            "max_value": _("Enter 500 pence or fewer"),
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
    )


class PhoneSettingsForm(PhoneForm):
    ACTION_FIELDS = {
        "hours": "hours",
        "max_call_minutes": "max_call_minutes",
        "tariff": "uk_landline",
    }

    hours = forms.CharField(
        label=_("Phone hours"),
        max_length=200,
        help_text=_("For example, Mon-Fri 08:00-20:30; Sat-Sun 09:00-17:00"),
        error_messages={"required": _("Enter the phone hours")},
    )
    max_call_minutes = forms.IntegerField(
        label=_("Longest call, in minutes"),
        min_value=1,
        max_value=120,
        error_messages={
            "required": _("Enter the longest call"),
            "invalid": _("Enter whole minutes, for example 30"),
            "min_value": _("Enter 1 minute or more"),
            "max_value": _("Enter 120 minutes or fewer"),
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
    )
    uk_landline = _pence(_("UK landlines, pence a minute"))
    uk_mobile = _pence(_("UK mobiles, pence a minute"))
    international = _pence(_("Numbers abroad, pence a minute"))

    def tariff(self) -> dict[str, int]:
        return {
            name: self.cleaned_data[name] for name in ("uk_landline", "uk_mobile", "international")
        }
