"""Form fields for GOV.UK patterns that Django does not have."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class GovukDateWidget(forms.MultiWidget):
    """The GOV.UK date input: day, month and year as three short text boxes."""

    template_name = "web/widgets/date_input.html"
    use_fieldset = True

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        def box(width: int) -> forms.TextInput:
            return forms.TextInput(
                attrs={
                    "class": f"govuk-input govuk-date-input__input govuk-input--width-{width}",
                    "inputmode": "numeric",
                }
            )

        super().__init__({"day": box(2), "month": box(2), "year": box(4)}, attrs)

    def decompress(self, value: dt.date | None) -> list[int | None]:
        if value:
            return [value.day, value.month, value.year]
        return [None, None, None]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        labels = [_("Day"), _("Month"), _("Year")]
        for subwidget, label in zip(context["widget"]["subwidgets"], labels, strict=True):
            subwidget["label"] = label
        return context


class GovukDateField(forms.MultiValueField):
    widget = GovukDateWidget

    def __init__(self, **kwargs: Any) -> None:
        parts = (
            forms.CharField(required=False),
            forms.CharField(required=False),
            forms.CharField(required=False),
        )
        super().__init__(fields=parts, require_all_fields=False, **kwargs)

    def compress(self, data_list: list[str | None]) -> dt.date | None:
        parts = [(part or "").strip() for part in (data_list or [])]
        if not any(parts):
            return None
        label = self.label or _("The date")
        if not all(parts) or len(parts) != 3:
            raise ValidationError(
                _("%(label)s must include a day, month and year"),
                code="incomplete",
                params={"label": label},
            )
        try:
            day, month, year = (int(part) for part in parts)
            if year < 1000:
                raise ValueError(year)
            return dt.date(year, month, day)
        except ValueError:
            raise ValidationError(
                _("%(label)s must be a real date"), code="invalid", params={"label": label}
            ) from None
