"""Forms that render as GOV.UK Design System components.

Widgets get the design system's classes, fields in error get its error classes, and
``error_summary`` lists each error with the id of the control it links to.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.text import capfirst

from wicketgate.lib.errors import ActionError

_WIDGET_CLASSES: list[tuple[type[forms.Widget], str]] = [
    (forms.Textarea, "govuk-textarea"),
    (forms.RadioSelect, ""),
    (forms.CheckboxSelectMultiple, ""),
    (forms.Select, "govuk-select"),
    (forms.CheckboxInput, ""),
    (forms.widgets.Input, "govuk-input"),
]
_ERROR_CLASSES = {
    "govuk-input": "govuk-input--error",
    "govuk-select": "govuk-select--error",
    "govuk-textarea": "govuk-textarea--error",
}


class GovukForm(forms.Form):
    # The names actions give their arguments → the field of this form that shows their
    # refusals, where the two differ (``name`` → ``given_name``); a name not among the
    # form's fields shows at the top of the page.
    ACTION_FIELDS: ClassVar[dict[str, str]] = {}

    def add_action_error(self, error: ActionError) -> None:
        """Show an action's refusal beside the field it names (see lib.errors)."""
        name = self.ACTION_FIELDS.get(error.field, error.field) if error.field else None
        self.add_error(name if name in self.fields else None, capfirst(error.message))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            for widget in _widgets_of(field.widget):
                css = next((css for kind, css in _WIDGET_CLASSES if isinstance(widget, kind)), "")
                classes = widget.attrs.get("class", "").split()
                if css and css not in classes:
                    widget.attrs["class"] = " ".join([css, *classes])

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            for widget in _widgets_of(self.fields[name].widget):
                classes = widget.attrs.get("class", "").split()
                extra = [_ERROR_CLASSES[css] for css in classes if css in _ERROR_CLASSES]
                widget.attrs["class"] = " ".join(dict.fromkeys(classes + extra))

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor id, message) for every error, in the order the fields appear."""
        if not self.is_bound or not self.errors:
            return []
        first_field = next(iter(self.fields), None)
        items = [
            (self.anchor_for(first_field) if first_field else "", str(message))
            for message in self.non_field_errors()
        ]
        for name in self.fields:
            items.extend(
                (self.anchor_for(name), str(message)) for message in self.errors.get(name, [])
            )
        return items

    def anchor_for(self, name: str) -> str:
        """The id of the first control of field ``name``, for links from the error summary."""
        bound = self[name]
        widget = bound.field.widget
        if isinstance(widget, forms.RadioSelect):
            return f"{bound.auto_id}_0"
        if isinstance(widget, forms.MultiWidget):
            names: list[str] = getattr(widget, "widgets_names", None) or ["_0"]
            return f"{bound.auto_id}{names[0]}"
        return str(bound.auto_id)


def _widgets_of(widget: forms.Widget) -> list[forms.Widget]:
    if isinstance(widget, forms.MultiWidget):
        return list(widget.widgets)
    return [widget]
