"""Money on the phone pages: pence as pounds."""

from __future__ import annotations

from django import template

from wicketgate.phone.text import pounds

register = template.Library()
register.filter("pounds", pounds)


@register.filter
def signed_pounds(pence: int) -> str:
    """What a statement line moved: "+£5.00", "-£0.42"."""
    return ("+" if pence > 0 else "") + pounds(pence)
