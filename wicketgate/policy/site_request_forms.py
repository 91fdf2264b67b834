"""Forms for asking for a site (prisoners) and for reviewing the request (staff).

They check that something was typed; the actions in ``policy.site_requests`` check the
rest, and their errors are shown beside the field they name.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from wicketgate.policy.models import Category
from wicketgate.policy.site_requests import REASON_MAX, RESPONSE_MAX, URL_MAX
from wicketgate.web.forms.base import GovukForm


class ActionErrorsForm(GovukForm):
    """The site request forms: each refusal shows beside the field it names."""


class SiteRequestForm(ActionErrorsForm):
    url = forms.CharField(
        label=_("Website address"),
        help_text=_("For example, www.nhs.uk"),
        max_length=URL_MAX,
        error_messages={
            "required": _("Enter the address of the website, like www.nhs.uk"),
            "max_length": _("That address is too long. Enter a shorter one."),
        },
        widget=forms.TextInput(
            attrs={"spellcheck": "false", "autocapitalize": "none", "autocomplete": "off"}
        ),
    )
    reason = forms.CharField(
        label=_("What do you need it for?"),
        help_text=_("Tell staff how the website will help you. For example, to look for work."),
        max_length=REASON_MAX,
        error_messages={
            "required": _("Tell us what you need the website for"),
            "max_length": _("What you need it for must be %(limit_value)s characters or fewer"),
        },
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DeclineForm(ActionErrorsForm):
    response = forms.CharField(
        label=_("Response to the prisoner"),
        help_text=_("The prisoner will read this. Use plain words and say why."),
        max_length=RESPONSE_MAX,
        error_messages={"required": _("Enter a response for the prisoner")},
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ProposeSiteForm(ActionErrorsForm):
    name = forms.CharField(
        label=_("Name in the catalogue"),
        help_text=_("What prisoners will see, for example Citizens Advice"),
        max_length=120,
        error_messages={"required": _("Enter a name for the site")},
    )
    category = forms.ChoiceField(
        label=_("Category"),
        error_messages={
            "required": _("Choose a category"),
            "invalid_choice": _("Choose a category from the list"),
        },
    )
    paths = forms.CharField(
        label=_("Only these pages (optional)"),
        help_text=_(
            "One on each line, each starting with /, for example /openlearn/. "
            "Leave it empty to propose the whole site."
        ),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )
    note = forms.CharField(
        label=_("Note for the person who approves it"),
        help_text=_("Why the site should be in the catalogue. The prisoner’s reason is added."),
        max_length=2000,
        error_messages={"required": _("Enter a note for the person who will approve the proposal")},
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            ("", _("Choose a category")),
            *Category.objects.order_by("name").values_list("code", "name"),
        ]

    def clean_paths(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["paths"].splitlines() if line.strip()]
