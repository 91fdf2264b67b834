"""Sign-in forms for the three portals. They check what was typed; views check who it is."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from wicketgate.people.codes import PRISON_NUMBER_PATTERN
from wicketgate.web.forms.base import GovukForm


class StaffSignInForm(GovukForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        error_messages={"required": _("Enter your username")},
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        error_messages={"required": _("Enter your password")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_token = forms.CharField(
        label=_("Security code"),
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes"),
        max_length=32,
        error_messages={
            "required": _("Enter the security code from your authenticator app, or a backup code")
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "spellcheck": "false",
                "autocapitalize": "none",
                "class": "govuk-input--width-10",
            }
        ),
    )

    def clean_otp_token(self) -> str:
        return re.sub(r"[\s-]", "", self.cleaned_data["otp_token"]).lower()


class PinSignInForm(GovukForm):
    prison_number = forms.CharField(
        label=_("Prison number"),
        help_text=_("For example, A1234BC"),
        max_length=7,
        error_messages={"required": _("Enter your prison number")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "class": "govuk-input--width-10"}
        ),
    )
    # Called "password" so that django-axes masks it in its record of failed attempts.
    password = forms.CharField(
        label=_("PIN"),
        strip=False,
        max_length=8,
        error_messages={"required": _("Enter your PIN")},
        widget=forms.PasswordInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "class": "govuk-input--width-5"}
        ),
    )

    def clean_prison_number(self) -> str:
        number: str = self.cleaned_data["prison_number"].strip().upper()
        if not re.fullmatch(PRISON_NUMBER_PATTERN, number):
            raise forms.ValidationError(
                _("Enter a prison number in the right format, like A1234BC")
            )
        return number

    def clean_password(self) -> str:
        pin: str = self.cleaned_data["password"].strip()
        if not pin.isdigit():
            raise forms.ValidationError(_("Your PIN must only include numbers"))
        return pin


class FamilySignInForm(GovukForm):
    email = forms.EmailField(
        label=_("Email address"),
        error_messages={
            "required": _("Enter your email address"),
            "invalid": _("Enter an email address in the correct format, like name@example.com"),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        error_messages={"required": _("Enter your password")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class EstablishmentSwitchForm(forms.Form):
    establishment = forms.CharField(required=False, max_length=5)
    next = forms.CharField(required=False, max_length=2000)
