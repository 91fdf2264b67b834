"""Error bodies, declared so that the OpenAPI document describes them."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    detail: str


class InvalidOut(ErrorOut):
    errors: list[dict[str, Any]]


# The responses an endpoint can give besides its 200, for ``response={200: ..., **...}``.
UNAUTHENTICATED: dict[int, Any] = {401: ErrorOut}
NOT_FOUND: dict[int, Any] = {401: ErrorOut, 404: ErrorOut}
INVALID: dict[int, Any] = {401: ErrorOut, 422: InvalidOut}
