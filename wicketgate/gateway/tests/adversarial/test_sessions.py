"""Credentials work from the moment they are handed out, and only for their session
(issue 13, items 6 and 7)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from typing import Any

import pytest

from wicketgate.gateway.actions import do_open_device_session, do_register_device
from wicketgate.gateway.gatekeeper import WRONG_DEVICE
from wicketgate.testing.gateway import RunningGateway, curl, device_session, running_gateway
from wicketgate.testing.personas import SETUP, Estate

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slow_poll(world: Estate, settings: Any) -> Iterator[RunningGateway]:
    """A gateway that looks at the database only every 5 s of its own accord (on SQLite the
    default is every 250 ms): a session it has not seen yet must still work at once."""
    with running_gateway(settings, poll_seconds=5) as gateway:
        yield gateway


def test_fresh_credentials_work_on_their_first_request(
    world: Estate, slow_poll: RunningGateway
) -> None:
    device, _key = do_register_device(
        device_id="NGT-LT-FRESH",
        establishment=world.a,
        location=world.a_cell,
        kind="laptop",
        actor=SETUP,
    )
    for _ in range(3):  # sign in, browse at once, sign out; again
        session, password = do_open_device_session(
            prisoner=world.prisoner_a, device=device, actor=SETUP, address="127.0.0.1"
        )
        status, _, body = curl(slow_poll, "http://www.nhs.uk/", f"{session.username}:{password}")
        assert (status, body) == (200, "hello from www.nhs.uk/\n")
        from wicketgate.gateway.actions import do_close_device_session

        do_close_device_session(session, reason="signed_out", actor=SETUP)


def test_made_up_names_are_refused_and_hold_up_no_one_else(
    world: Estate, slow_poll: RunningGateway
) -> None:
    session, password = device_session(world, "NGT-LT-REAL")  # not waited for
    real = f"{session.username}:{password}"
    assert curl(slow_poll, "http://www.nhs.uk/", real)[0] == 200

    def made_up(n: int) -> int:
        return curl(slow_poll, "http://www.nhs.uk/", f"wg{n:012x}:guess")[0]

    def fresh_login(n: int) -> int:
        # Another connection each time, so Squid asks the helper afresh (no cached login).
        return curl(slow_poll, f"http://www.nhs.uk/{n}", real, "--proxy-header", f"X-N: {n}")[0]

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        floods = [pool.submit(made_up, n) for n in range(300)]
        ordinary = [pool.submit(fresh_login, n) for n in range(20)]
        # Meanwhile Bilal signs in on one laptop after another, each session new to the
        # gateway and used at once, in the thick of the flood.
        for n in range(5):
            fresh, secret = device_session(world, f"RVS-LT-{n}", who="b")
            status, _, body = curl(slow_poll, "http://www.nhs.uk/b", f"{fresh.username}:{secret}")
            assert (status, body) == (200, "hello from www.nhs.uk/b\n")
        assert all(f.result() == 200 for f in ordinary)
        assert all(f.result() == 407 for f in floods)


# --- a session is served to the address its device signed in from (item 7) --------------


def _sign_in_from(address: str, device_key: str) -> dict[str, Any]:
    """The device agent's sign-in, as it reaches the platform from ``address``."""
    import json

    from django.test import Client

    from wicketgate.testing.personas import PRISONER_PIN

    response = Client(REMOTE_ADDR=address).post(
        "/api/v1/device/sessions",
        data=json.dumps({"prison_number": "A1234BC", "pin": PRISONER_PIN}),
        content_type="application/json",
        headers={"X-Wicketgate-Device": device_key},
    )
    return {"status": response.status_code, **response.json()}


def _from(gateway: RunningGateway, address: str, credentials: str) -> tuple[int, str, str]:
    """A request through the gateway from ``address`` (any of 127/8 is this machine's)."""
    return curl(gateway, "http://www.nhs.uk/", credentials, "--interface", address)


@pytest.fixture
def gateway(world: Estate, settings: Any) -> Iterator[RunningGateway]:
    with running_gateway(settings) as running:
        yield running


def test_credentials_replayed_from_another_address_are_refused_recorded_and_raised(
    world: Estate, gateway: RunningGateway
) -> None:
    import json

    from wicketgate.audit.models import AuditEvent
    from wicketgate.conduct.alerts import do_scan_for_alerts
    from wicketgate.conduct.models import ConductAlert
    from wicketgate.testing.gateway import block_reasons, wait_for

    # A laptop on DHCP (no registered address) signs in from 127.0.0.3: that is its address.
    _device, key = do_register_device(
        device_id="NGT-LT-DHCP",
        establishment=world.a,
        location=world.a_cell,
        kind="laptop",
        actor=SETUP,
    )
    # Someone else's kiosk, registered at 127.0.0.4, where the stolen details are tried.
    do_register_device(
        device_id="NGT-KIOSK-9",
        establishment=world.a,
        location=world.a_cell,
        kind="kiosk",
        actor=SETUP,
        address="127.0.0.4",
    )
    signed_in = _sign_in_from("127.0.0.3", f"NGT-LT-DHCP:{key}")
    assert signed_in["status"] == 201, signed_in
    credentials = f"{signed_in['username']}:{signed_in['password']}"
    wait_for(
        lambda: gateway.service is not None and gateway.service.sessions.get(signed_in["username"])
    )
    assert _from(gateway, "127.0.0.3", credentials)[:1] == (200,)
    for elsewhere in ("127.0.0.4", "127.0.0.1"):
        status, redirect, body = _from(gateway, elsewhere, credentials)
        assert status == 302 and "hello" not in body, elsewhere
        assert block_reasons(redirect)["i"] == [WRONG_DEVICE]
    # Over HTTPS too: the CONNECT is refused.
    status, _, body = curl(gateway, "https://www.nhs.uk/", credentials, "--interface", "127.0.0.4")
    assert status != 200 and "hello" not in body
    gateway.record_now()
    attempts = [
        json.loads(e.details_json)
        for e in AuditEvent.objects.filter(action="gateway.bypass_attempt").order_by("seq")
    ]
    assert [(a["client"], a["rules"], a.get("used_on")) for a in attempts][:2] == [
        ("127.0.0.4", [WRONG_DEVICE], "NGT-KIOSK-9"),
        ("127.0.0.1", [WRONG_DEVICE], None),
    ]
    do_scan_for_alerts()
    alert = ConductAlert.objects.get(kind="bypass_attempt", prisoner=world.prisoner_a)
    assert alert.count == len(attempts) and "127.0.0.4 (NGT-KIOSK-9)" in alert.summary


def test_a_device_registered_at_an_address_signs_in_only_from_it(
    world: Estate, gateway: RunningGateway
) -> None:
    from wicketgate.gateway.models import DeviceSession

    _device, key = do_register_device(
        device_id="NGT-PC-FIXED",
        establishment=world.a,
        location=world.a_cell,
        kind="pc",
        actor=SETUP,
        address="127.0.0.6",
    )
    # Its key, copied to another machine, opens nothing.
    refused = _sign_in_from("127.0.0.7", f"NGT-PC-FIXED:{key}")
    assert refused["status"] == 409 and "registered at 127.0.0.6" in refused["detail"]
    assert not DeviceSession.objects.exists()
    signed_in = _sign_in_from("127.0.0.6", f"NGT-PC-FIXED:{key}")
    assert signed_in["status"] == 201
    assert DeviceSession.objects.get().address == "127.0.0.6"
