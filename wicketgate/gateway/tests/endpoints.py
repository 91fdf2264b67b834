"""The gateway app's staff pages and forms (devices, sessions, lockdowns, browsing) for the
persona suite (wicketgate/tests/test_access.py)."""

from __future__ import annotations

from wicketgate.accounts.roles import Action, StaffRole
from wicketgate.gateway.tests import data as gateway_data
from wicketgate.testing.endpoints import NGT, PROFILE, Endpoint

SUPERVISE = Action.SUPERVISE_DEVICES
MANAGE = Action.MANAGE_DEVICES
GATEWAY = [
    Endpoint("devices and sessions", "get", lambda e: (f"{NGT}devices/", {}), action=SUPERVISE),
    Endpoint(
        "blocked on a wing", "get", lambda e: (f"{NGT}blocked/?wing=NGT-A", {}), action=SUPERVISE
    ),
    Endpoint(
        "register a device page",
        "get",
        lambda e: (f"{NGT}devices/new", {}),
        role=StaffRole.SECURITY,
        action=MANAGE,
    ),
    Endpoint(
        "browsing history",
        "get",
        lambda e: (f"{PROFILE}browsing/", {}),
        role=StaffRole.SECURITY,
        action=Action.VIEW_BROWSING,
    ),
    Endpoint(
        "end a session",
        "post",
        lambda e: (f"{NGT}sessions/{gateway_data.live_session(e).pk}/end", {}),
        302,
        action=SUPERVISE,
    ),
    Endpoint(
        "start a lockdown",
        "post",
        lambda e: (f"{NGT}lockdowns/new", {"scope": e.a_wing.pk, "reason": "Search of A wing"}),
        302,
        action=SUPERVISE,
    ),
    Endpoint(
        "lift a lockdown",
        "post",
        lambda e: (f"{NGT}lockdowns/{gateway_data.lockdown(e).pk}/lift", {}),
        302,
        action=SUPERVISE,
    ),
    Endpoint(
        "register a device",
        "post",
        lambda e: (
            f"{NGT}devices/new",
            {"device_id": "NGT-A-KIOSK-01", "location": e.a_cell.pk, "kind": "kiosk"},
        ),
        200,  # the page that shows the device's key, once
        role=StaffRole.SECURITY,
        action=MANAGE,
    ),
    Endpoint(
        "retire a device",
        "post",
        lambda e: (f"{NGT}devices/{gateway_data.device(e).pk}/retire", {}),
        302,
        role=StaffRole.SECURITY,
        action=MANAGE,
    ),
]

ENDPOINTS = GATEWAY
