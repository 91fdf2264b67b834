"""The one NinjaAPI instance behind /api/v1, its authentication and its error bodies.

Every error is JSON with a ``detail`` message; validation errors also carry the
machine-readable ``errors`` list pydantic produced.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from wicketgate.accounts.api import router as accounts_router
from wicketgate.api.auth import BearerToken, VerifiedStaffSession
from wicketgate.conduct.api import router as conduct_router
from wicketgate.estate.api import router as estate_router
from wicketgate.gateway.api import router as devices_router
from wicketgate.learning.api import router as learning_router
from wicketgate.people.api import router as people_router
from wicketgate.policy.api import router as policy_router

api = NinjaAPI(
    title="Wicketgate API",
    version="1",
    description=(
        "Read access to the estate and the people in it, scoped to the caller's "
        "establishments; sanctions given and quashed by adjudicators. Authenticate with `Authorization: Bearer wg_<keyid>_<secret>`, "
        "or from the staff UI with a session whose second factor is verified."
    ),
    urls_namespace="api",
    auth=[BearerToken(), VerifiedStaffSession()],
)
api.add_router("", accounts_router)
api.add_router("", estate_router)
api.add_router("", people_router)
api.add_router("", policy_router)
api.add_router("", devices_router)
api.add_router("", conduct_router)
api.add_router("", learning_router)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = exc.message
    if detail == "Unauthorized":  # ninja's default, when no credentials were given at all
        detail = "Authentication required: send Authorization: Bearer <token>."
    response = api.create_response(request, {"detail": detail}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="wicketgate"'
    return response


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": describe_errors(exc.errors), "errors": exc.errors}, status=422
    )


def describe_errors(errors: list[dict[str, Any]]) -> str:
    """One line a person can read, e.g. ``category: Input should be 'B' or 'C'``."""
    parts = []
    for error in errors:
        # The first element says where (query, path, body); the rest name the field.
        loc = [str(part) for part in error.get("loc", ())][1:]
        where = ".".join(loc) or "request"
        parts.append(f"{where}: {error.get('msg', 'is not valid')}")
    return "; ".join(parts) or "The request is not valid."
