"""Forms for contacts: a family member registering, giving identity details, asking to
be a prisoner's contact and adding a child; staff approving, refusing, revoking,
restricting and adding officials.

They check what was typed; ``contacts.actions`` checks the rules, and its refusals
(which name the field first, "date_of_birth: …") are shown against that field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wicketgate.contacts.codes import OFFICIAL, DocumentType, Relationship, RestrictionCode
from wicketgate.contacts.documents import MAX_BYTES, content_type_of
from wicketgate.contacts.models import IDENTITY_IMAGE_MAX_DAYS
from wicketgate.web.forms.base import GovukForm
from wicketgate.web.forms.fields import GovukDateField

SOCIAL_CHOICES = [("", _("Choose"))] + [
    (value, label) for value, label in Relationship.choices if value not in OFFICIAL
]
OFFICIAL_CHOICES = [("", _("Choose"))] + [
    (value, label) for value, label in Relationship.choices if value in OFFICIAL
]


class ContactForm(GovukForm):
    # Names the actions give their arguments → the field that shows their problems.
    ACTION_FIELDS = {}
    # Several forms share the staff link page: each keeps its own ids.
    AUTO_ID = "id_%s"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", self.AUTO_ID)
        super().__init__(*args, **kwargs)


def _name(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=100,
        error_messages={"required": _("Enter %(label)s") % {"label": str(label).lower()}},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20"}),
    )


def _date(label: Any, *, required: bool = True, help_text: Any = "") -> GovukDateField:
    return GovukDateField(
        label=label,
        required=required,
        help_text=help_text or _("For example, 27 3 1985"),
        error_messages={"required": _("Enter %(label)s") % {"label": str(label).lower()}},
    )


def _relationship(choices: list[tuple[str, Any]], label: Any = None) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label or _("Relationship"),
        choices=choices,
        error_messages={"required": _("Choose the relationship")},
    )


def _reason(label: Any, message: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=300,
        error_messages={"required": message},
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- the family portal -----------------------------------------------------------------


class RegisterForm(ContactForm):
    ACTION_FIELDS = {"name": "given_name"}

    given_name = _name(_("First name"))
    family_name = _name(_("Last name"))
    date_of_birth = _date(_("Your date of birth"))
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("We will send a link to this address to check it is yours"),
        error_messages={
            "required": _("Enter your email address"),
            "invalid": _("Enter an email address like name@example.com"),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Create a password"),
        help_text=_("At least 12 characters. A few unusual words together work well."),
        strip=False,
        error_messages={"required": _("Create a password")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ResendVerificationForm(ContactForm):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("The address you registered with"),
        error_messages={
            "required": _("Enter your email address"),
            "invalid": _("Enter an email address like name@example.com"),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )


class IdentityForm(ContactForm):
    document_type = forms.ChoiceField(
        label=_("Which document will you show?"),
        choices=DocumentType.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the document you will show")},
    )
    document_number = forms.CharField(
        label=_("Document number"),
        max_length=40,
        help_text=_("As printed on the document"),
        error_messages={"required": _("Enter the document number")},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false"}),
    )
    address = forms.CharField(
        label=_("Your address"),
        max_length=300,
        error_messages={"required": _("Enter your address")},
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        error_messages={"required": _("Enter your postcode")},
        widget=forms.TextInput(
            attrs={"class": "govuk-input--width-10", "autocomplete": "postal-code"}
        ),
    )


class IdentityImageForm(IdentityForm):
    """Identity details, with a copy of the document where the prison keeps copies.

    Where none does (``takes_images`` false) the page does not show the field, and a file
    sent anyway is refused."""

    document_image = forms.FileField(
        label=_("A photo or scan of the document (optional)"),
        required=False,
        help_text=_("A JPEG, PNG or PDF file, smaller than 5 MB"),
        widget=forms.ClearableFileInput(
            attrs={"class": "govuk-file-upload", "accept": ".jpg,.jpeg,.png,.pdf"}
        ),
    )

    def __init__(self, *args: Any, takes_images: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.takes_images = takes_images

    def clean_document_image(self) -> bytes | None:
        upload = self.cleaned_data.get("document_image")
        if not upload:
            return None
        if not self.takes_images:
            # The field is not on the page: the refusal goes at the top of it.
            self.add_error(
                None, _("The prison does not keep copies of documents: bring the document with you")
            )
            return None
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The photo or scan of the document must be smaller than 5 MB")
            )
        data = b"".join(upload.chunks())
        if content_type_of(data) is None:
            raise forms.ValidationError(
                _("The photo or scan of the document must be a JPEG, PNG or PDF file")
            )
        return data


class AskForm(ContactForm):
    prison_number = forms.CharField(
        label=_("Their prison number"),
        max_length=7,
        help_text=_("For example, A1234BC. They can tell you, or find it on a letter from them."),
        error_messages={"required": _("Enter their prison number")},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "spellcheck": "false"}),
    )
    prisoner_date_of_birth = _date(_("Their date of birth"))
    relationship = _relationship(SOCIAL_CHOICES, _("What are you to them?"))


class ChildForm(ContactForm):
    ACTION_FIELDS = {"name": "given_name"}

    given_name = _name(_("Child's first name"))
    family_name = _name(_("Child's last name"))
    date_of_birth = _date(_("Child's date of birth"))
    relationship = _relationship(SOCIAL_CHOICES, _("What is the child to them?"))


# --- staff -----------------------------------------------------------------------------


class ApproveForm(ContactForm):
    AUTO_ID = "approve_%s"

    relationship = _relationship(Relationship.choices)
    expires_on = _date(
        _("Approved until (optional)"),
        required=False,
        help_text=_("Leave empty to approve with no end date"),
    )


class RefuseForm(ContactForm):
    AUTO_ID = "refuse_%s"

    reason = _reason(_("Why is the contact refused?"), _("Say why the contact is refused"))


class RevokeForm(ContactForm):
    AUTO_ID = "revoke_%s"

    reason = _reason(_("Why is the contact revoked?"), _("Say why the contact is revoked"))


class RestrictionForm(ContactForm):
    AUTO_ID = "restriction_%s"

    ACTION_FIELDS = {"code": "code"}

    code = forms.ChoiceField(
        label=_("Restriction"),
        choices=[
            (code, label if label.upper() == code else f"{label} ({code})")
            for code, label in RestrictionCode.choices
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the restriction")},
    )
    starts_on = _date(
        _("From (optional)"), required=False, help_text=_("Leave empty to start today")
    )
    ends_on = _date(
        _("Until (optional)"), required=False, help_text=_("Leave empty for no end date")
    )
    reason = _reason(_("Why is it needed?"), _("Say why the restriction is needed"))


class OfficialForm(ContactForm):
    ACTION_FIELDS = {"name": "given_name"}

    given_name = _name(_("First name"))
    family_name = _name(_("Last name"))
    relationship = _relationship(OFFICIAL_CHOICES, _("Role"))
    email = forms.EmailField(
        label=_("Email address (optional)"),
        required=False,
        error_messages={"invalid": _("Enter an email address like name@example.com")},
    )
    expires_on = _date(
        _("Approved until (optional)"),
        required=False,
        help_text=_("Leave empty for no end date"),
    )


class ContactSettingsForm(ContactForm):
    keep_identity_images = forms.TypedChoiceField(
        label=_("Keep copies of family members' identity documents?"),
        help_text=_(
            "Family members may then send a photo or scan of the document they will show. "
            "Copies are kept encrypted and deleted once staff have checked the identity, "
            "or after the number of days below."
        ),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether to keep copies")},
    )
    identity_image_days = forms.IntegerField(
        label=_("Delete copies after (days)"),
        min_value=1,
        max_value=IDENTITY_IMAGE_MAX_DAYS,
        error_messages={
            "required": _("Enter the number of days"),
            "invalid": _("Enter the number of days as a whole number"),
        },
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-4"}),
    )
