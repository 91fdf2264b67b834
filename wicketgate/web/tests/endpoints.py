"""The shared chrome's staff routes for the persona suite (wicketgate/tests/test_access.py):
the home page and the establishment switcher, and signing in and out, which are open to
anyone who comes."""

from __future__ import annotations

from wicketgate.testing.endpoints import Endpoint

ENDPOINTS = [
    Endpoint("home", "get", lambda e: ("/staff/", {}), scoped=False),
    Endpoint(
        "switch establishment",
        "post",
        lambda e: ("/staff/establishment", {"establishment": "NGT"}),
        302,
        recorded=False,  # a choice of view, not a change to any record
    ),
]

OPEN = [
    Endpoint("staff sign-in page", "get", lambda e: ("/staff/sign-in", {}), scoped=False),
    # Signing out goes back to the sign-in page, whoever asks; only staff are signed out.
    Endpoint("staff sign-out", "post", lambda e: ("/staff/sign-out", {}), 302, scoped=False),
]
