"""The JSON API under /api/v1: OpenAPI at openapi.json, interactive docs at docs."""

from django.urls import path, re_path

from wicketgate.api.api import api
from wicketgate.api.views import not_found

urlpatterns = [
    path("", api.urls),
    # Anything else under /api/v1 is a JSON 404, not the staff UI's HTML page.
    re_path(r"^.*$", not_found),
]
