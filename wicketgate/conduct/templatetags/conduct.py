"""Template filters of the conduct pages."""

from __future__ import annotations

from django import template

from wicketgate.conduct.text import INCIDENT_STATUS_TAGS

register = template.Library()


@register.filter
def incident_tag(status: str) -> str:
    """The colour of an incident status's tag."""
    return INCIDENT_STATUS_TAGS.get(status, "govuk-tag--grey")
