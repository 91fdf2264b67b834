"""The estate app's staff pages for the persona suite (wicketgate/tests/test_access.py)."""

from __future__ import annotations

from wicketgate.testing.endpoints import NGT, Endpoint

ENDPOINTS = [
    Endpoint("establishment", "get", lambda e: (NGT, {})),
]
