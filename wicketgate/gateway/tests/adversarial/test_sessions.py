"""Credentials work from the moment they are handed out, and only for their session
(issue 13, items 6 and 7)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from typing import Any

import pytest

from wicketgate.gateway.actions import do_open_device_session, do_register_device
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
            prisoner=world.prisoner_a, device=device, actor=SETUP
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
