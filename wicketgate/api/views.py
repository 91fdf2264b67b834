"""Plain Django views that sit beside the NinjaAPI."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse


def not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": "Not Found"}, status=404)
