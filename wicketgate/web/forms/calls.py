"""Forms for booking and cancelling video calls.

They check what was chosen; ``calls.booking`` checks the rules, and its refusals (which
name the field first, "day: …") are shown against that field.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from wicketgate.calls.booking import BookingError
from wicketgate.calls.codes import MAX_OTHER_CALLERS
from wicketgate.web.forms.base import GovukForm

_ACTION_ERROR = re.compile(r"^([a-z_]+): (.+)$", re.DOTALL)


class CallForm(GovukForm):
    # Names do_book_video_call's refusals start with → the field that shows them.
    ACTION_FIELDS: dict[str, str] = {"day": "slot", "session": "slot", "others": "others"}

    def add_action_error(self, error: BookingError) -> None:
        text = str(error)
        match = _ACTION_ERROR.match(text)
        if match:
            name = self.ACTION_FIELDS.get(match[1], match[1])
            if name in self.fields:
                self.add_error(name, capfirst(match[2]))
                return
            text = match[2]
        self.add_error(None, capfirst(text))


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
