"""Money and time on the phone pages: pence as pounds, seconds as a call's length."""

from __future__ import annotations

from django import template

from wicketgate.phone.text import ENDINGS_FOR_PRISONER, pounds

register = template.Library()
register.filter("pounds", pounds)


@register.filter
def signed_pounds(pence: int) -> str:
    """What a statement line moved: "+£5.00", "-£0.42"."""
    return ("+" if pence > 0 else "") + pounds(pence)


@register.filter
def call_length(seconds: int) -> str:
    """How long a call lasted: "0:42", "12:05", "1:02:00"."""
    minutes, secs = divmod(max(int(seconds), 0), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def ending_for_prisoner(ended_by: str) -> str:
    """How a call ended, in the prisoner's words ("You hung up")."""
    return str(ENDINGS_FOR_PRISONER.get(ended_by, ended_by))
