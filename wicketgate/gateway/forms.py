"""Forms for the web gateway's staff pages: starting a lockdown, registering a device.

They check what was typed and chosen; the actions in ``gateway.actions`` check the rest,
and their refusals are shown as the form's own errors.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from wicketgate.estate.models import Establishment, Location
from wicketgate.gateway.models import Device, DeviceKind, Lockdown
from wicketgate.people.forms import LocationChoiceField
from wicketgate.web.forms.base import GovukForm

WHOLE = "all"  # the lockdown form's choice for the whole establishment


class GatewayForm(GovukForm):
    """The gateway's forms: the actions' refusals show at the top of the page."""


class LockdownForm(GatewayForm):
    scope = forms.ChoiceField(
        label=_("What to lock down"),
        error_messages={
            "required": _("Choose the establishment or a wing"),
            "invalid_choice": _("Choose the establishment or a wing from the list"),
        },
    )
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("Recorded with the lockdown and shown to staff until it is lifted."),
        max_length=Lockdown._meta.get_field("reason").max_length,
        error_messages={
            "required": _("Enter a reason for the lockdown"),
            "max_length": _("The reason must be %(limit_value)s characters or fewer"),
        },
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args: Any, establishment: Establishment, wings: list[Location], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.wings = {str(wing.pk): wing for wing in wings}
        cast(forms.ChoiceField, self.fields["scope"]).choices = [
            (WHOLE, _("All of %(name)s") % {"name": establishment.name}),
            *((pk, wing.label) for pk, wing in self.wings.items()),
        ]

    def chosen_wing(self) -> Location | None:
        """The wing chosen, or None for the whole establishment (once the form is valid)."""
        return self.wings.get(self.cleaned_data["scope"])


class RegisterDeviceForm(GatewayForm):
    ACTION_FIELDS = {"device": "device_id"}
    device_id = forms.CharField(
        label=_("Device ID"),
        help_text=_("Its asset tag or host name, for example NGT-A-LAPTOP-0142"),
        max_length=Device._meta.get_field("device_id").max_length,
        error_messages={
            "required": _("Enter the device ID"),
            "max_length": _("The device ID must be %(limit_value)s characters or fewer"),
        },
        widget=forms.TextInput(
            attrs={
                "class": "govuk-input--width-20",
                "spellcheck": "false",
                "autocapitalize": "characters",
                "autocomplete": "off",
            }
        ),
    )
    location = LocationChoiceField(
        label=_("Where it is"),
        help_text=_(
            "The cell or room it is in. A device cannot be registered to a wing or landing."
        ),
        queryset=Location.objects.none(),
        empty_label=_("Choose a location"),
        error_messages={
            "required": _("Choose where the device is"),
            "invalid_choice": _("Choose a location from the list"),
        },
    )
    kind = forms.ChoiceField(
        label=_("Kind of device"),
        choices=DeviceKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the kind of device"),
            "invalid_choice": _("Choose the kind of device"),
        },
    )
    address = forms.GenericIPAddressField(
        label=_("IP address (optional)"),
        help_text=_("If you give one, the gateway only accepts this device’s sessions from it"),
        required=False,
        error_messages={"invalid": _("Enter an IP address, like 10.20.1.42, or leave it empty")},
        widget=forms.TextInput(
            attrs={"class": "govuk-input--width-20", "spellcheck": "false", "autocomplete": "off"}
        ),
    )

    def __init__(self, *args: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Any]", self.fields["location"]).queryset = locations
