from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def staff_context(request: HttpRequest) -> dict[str, Any]:
    """The signed-in member of staff's establishments, for the switcher in the header."""
    return {}
