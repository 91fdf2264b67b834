"""Through the real Squid: real clients (curl, Python's HTTP client) to local upstreams."""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import os
import signal
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from wicketgate.audit.models import AuditEvent
from wicketgate.gateway.actions import (
    do_close_device_session,
    do_open_device_session,
    do_register_device,
    do_start_lockdown,
)
from wicketgate.gateway.models import CloseReason
from wicketgate.testing.gateway import (
    RunningGateway,
    block_reasons,
    curl,
    device_session,
    gateway_world,
    running_gateway,
)
from wicketgate.testing.gateway import wait_for as _wait_for
from wicketgate.testing.personas import SETUP, Estate

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _closed_hour() -> str:
    """An hour's window that is not open now (establishment time), nor within the test."""
    hour = (dt.datetime.now(ZoneInfo("Europe/London")).hour + 3) % 22
    return f"Mon-Sun {hour:02d}:00-{hour + 1:02d}:00"


POLICY = f"""
sites:
  - name: NHS
    hosts: ["www.nhs.uk"]
    category: HEALTH
  - name: BBC News
    hosts: ["www.bbc.co.uk"]
    category: NEWS
  - name: Find a job
    hosts: ["findajob.dwp.gov.uk"]
    category: EMPLOYMENT
  - name: OpenLearn
    hosts: ["www.open.edu"]
    category: EDUCATION
    paths: ["/openlearn/"]
  - name: Citizens Advice
    hosts: ["www.citizensadvice.org.uk"]
    category: LEGAL
    https: pass-through
rules:
  - id: health
    allow: [HEALTH, EDUCATION, LEGAL]
  - id: jobs
    allow: [EMPLOYMENT]
    hours: "{_closed_hour()}"
  - id: no-news
    forbid: [NEWS]
    description: News sites are not part of this trial.
"""


@pytest.fixture
def world(transactional_db: Any, load_policy: Callable[..., Any]) -> Estate:
    return gateway_world(load_policy, POLICY)


@pytest.fixture
def gateway(world: Estate, settings: Any) -> Iterator[RunningGateway]:
    with running_gateway(settings) as running:
        yield running


@pytest.fixture
def credentials(world: Estate, gateway: RunningGateway) -> str:
    session, password = device_session(world, "NGT-LAPTOP-1", gateway=gateway)
    return f"{session.username}:{password}"


def _usernames(gateway: RunningGateway) -> set[str]:
    assert gateway.service is not None
    return set(gateway.service.sessions._sessions)


def _block_reasons(redirect: str) -> dict[str, Any]:
    assert redirect.startswith("http://127.0.0.1:8000/portal/blocked?d="), redirect
    return block_reasons(redirect)


def test_it_lets_an_allowed_site_through_and_records_the_request(
    gateway: RunningGateway, credentials: str, world: Estate
) -> None:
    status, _, body = curl(gateway, gateway.http_url("www.nhs.uk", "/conditions/"), credentials)
    assert (status, body) == (
        200,
        "hello from www.nhs.uk/conditions/\n",
    )
    gateway.record_now()
    event = AuditEvent.objects.filter(action="gateway.request").latest("seq")
    details = json.loads(event.details_json)
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert event.subject_id == str(world.prisoner_a.pk)
    assert event.establishment_id == world.a.pk
    assert details["device"] == "NGT-LAPTOP-1"
    assert details["host"] == "www.nhs.uk"
    assert details["path"] == "/conditions/"
    assert details["rules"] == ["rule:estate:health"]
    assert details["bytes_out"] > len(body)
    assert details["duration_ms"] >= 0


def test_it_sends_a_site_refused_by_category_to_the_block_page_with_the_reason(
    gateway: RunningGateway, credentials: str
) -> None:
    status, redirect, _ = curl(gateway, gateway.http_url("www.bbc.co.uk", "/news"), credentials)
    assert status == 302
    data = _block_reasons(redirect)
    assert data["h"] == "www.bbc.co.uk"
    assert data["r"] == ["News sites are not part of this trial."]
    gateway.record_now()
    event = AuditEvent.objects.filter(action="gateway.request").latest("seq")
    assert event.outcome == AuditEvent.Outcome.DENIED
    assert json.loads(event.details_json)["reasons"] == ["News sites are not part of this trial."]


def test_it_refuses_a_site_outside_its_hours(gateway: RunningGateway, credentials: str) -> None:
    status, redirect, _ = curl(gateway, gateway.http_url("findajob.dwp.gov.uk"), credentials)
    assert status == 302
    data = _block_reasons(redirect)
    assert data["i"] == ["default:deny"]
    assert "open Mon" in data["r"][0] or "open every day" in data["r"][0] or "open" in data["r"][0]


def test_it_refuses_a_site_not_in_the_catalogue(gateway: RunningGateway, credentials: str) -> None:
    status, redirect, _ = curl(gateway, gateway.http_url("blocked.example.com"), credentials)
    assert status == 302
    assert _block_reasons(redirect)["i"] == ["catalogue:not-listed"]


def test_it_asks_for_credentials_and_refuses_wrong_ones(
    gateway: RunningGateway, credentials: str
) -> None:
    assert curl(gateway, gateway.http_url("www.nhs.uk"), None)[0] == 407
    user, _, _password = credentials.partition(":")
    assert curl(gateway, gateway.http_url("www.nhs.uk"), f"{user}:wrong-password")[0] == 407
    assert curl(gateway, gateway.http_url("www.nhs.uk"), "wgnobody:whatever")[0] == 407


def test_it_refuses_a_session_within_a_second_of_its_end(
    gateway: RunningGateway, credentials: str, world: Estate
) -> None:
    url = gateway.http_url("www.nhs.uk")
    assert curl(gateway, url, credentials)[0] == 200
    session = world.prisoner_a.device_sessions.get()
    do_close_device_session(session, reason=CloseReason.ENDED_BY_STAFF, actor=SETUP)
    elapsed = _wait_for(lambda: curl(gateway, url, credentials)[0] != 200)
    assert elapsed < 1.0
    status, redirect, _ = curl(gateway, url, credentials)
    assert status in (302, 407)
    if status == 302:
        assert _block_reasons(redirect)["i"] == ["gateway:no-session"]


def test_a_lockdown_of_the_wing_ends_the_session(
    gateway: RunningGateway, credentials: str, world: Estate
) -> None:
    url = gateway.http_url("www.nhs.uk")
    assert curl(gateway, url, credentials)[0] == 200
    do_start_lockdown(establishment=world.a, wing=world.a_wing, reason="Search", actor=SETUP)
    assert _wait_for(lambda: curl(gateway, url, credentials)[0] != 200) < 1.0


def test_it_allows_again_within_a_second_of_an_exception_being_granted(
    gateway: RunningGateway, credentials: str, load_policy: Callable[..., Any]
) -> None:
    url = gateway.http_url("findajob.dwp.gov.uk")
    assert curl(gateway, url, credentials)[0] == 302
    until = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()
    load_policy(
        POLICY
        + f"""
exceptions:
  - prisoner: A1234BC
    allow: {{site: Find a job}}
    until: {until}
    reason: Release planning
"""
    )
    assert _wait_for(lambda: curl(gateway, url, credentials)[0] == 200) < 1.0


def test_it_enforces_a_new_forbid_within_a_second(
    gateway: RunningGateway, credentials: str, load_policy: Callable[..., Any]
) -> None:
    url = gateway.http_url("www.nhs.uk")
    assert curl(gateway, url, credentials)[0] == 200
    until = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()
    load_policy(
        POLICY
        + f"""
exceptions:
  - prisoner: A1234BC
    forbid: {{category: HEALTH}}
    until: {until}
    reason: Sanction for misuse
"""
    )
    assert _wait_for(lambda: curl(gateway, url, credentials)[0] == 302) < 1.0


def test_a_sanction_is_enforced_within_a_second_and_lifted_within_a_second_of_its_quashing(
    world: Estate, gateway: RunningGateway, credentials: str
) -> None:
    from wicketgate.conduct.actions import do_add_sanction, do_quash_sanction
    from wicketgate.conduct.alerts import do_scan_for_alerts
    from wicketgate.conduct.models import ConductAlert

    url = gateway.http_url("www.nhs.uk")
    assert curl(gateway, url, credentials)[0] == 200
    given = do_add_sanction(
        prisoner=world.prisoner_a, service="web", days=7, reason="Proved: misuse", actor=SETUP
    )
    assert _wait_for(lambda: curl(gateway, url, credentials)[0] == 302) < 1.0
    _status, redirect, _ = curl(gateway, url, credentials)
    reasons = _block_reasons(redirect)
    assert reasons["i"] == ["sanction:web"]
    assert reasons["r"][0].startswith("A sanction has stopped your web access until")
    # HTTPS too: the CONNECT is refused.
    assert curl(gateway, gateway.https_url("www.nhs.uk"), credentials)[0] != 200
    do_quash_sanction(given, reason="Quashed on appeal", actor=SETUP)
    assert _wait_for(lambda: curl(gateway, url, credentials)[0] == 200) < 1.0
    # The refusals reached the audit log with their rule, and raised an alert for staff.
    gateway.record_now()
    refused = AuditEvent.objects.filter(action="gateway.request", outcome="denied")
    assert any("sanction:web" in json.loads(e.details_json)["rules"] for e in refused)
    assert do_scan_for_alerts() >= 1
    assert ConductAlert.objects.filter(kind="during_sanction", prisoner=world.prisoner_a).exists()


def test_a_site_passed_through_is_spliced_so_the_client_sees_the_real_certificate(
    gateway: RunningGateway, credentials: str
) -> None:
    url = gateway.https_url("www.citizensadvice.org.uk", "/a")
    only_upstream = ("--cacert", str(gateway.upstreams.ca_file))
    status, _, body = curl(gateway, url, credentials, *only_upstream)
    # curl verified the upstream's certificate against the test CA: nothing was decrypted.
    assert (status, body) == (200, "hello from www.citizensadvice.org.uk/a\n")
    gateway.record_now()
    event = AuditEvent.objects.filter(action="gateway.request").latest("seq")
    details = json.loads(event.details_json)
    assert (details["method"], details["rules"]) == ("CONNECT", ["rule:estate:health"])


def test_an_inspected_site_is_decrypted_with_the_gateways_certificate(
    gateway: RunningGateway, credentials: str
) -> None:
    # The default: a device that does not carry the gateway's CA cannot open it...
    only_upstream = ("--cacert", str(gateway.upstreams.ca_file))
    assert curl(gateway, gateway.https_url("www.nhs.uk", "/a"), credentials, *only_upstream)[0] == 0
    # ... a managed device can, and each request is decided and recorded with its path.
    status, _, body = curl(gateway, gateway.https_url("www.nhs.uk", "/a"), credentials)
    assert (status, body) == (200, "hello from www.nhs.uk/a\n")
    gateway.record_now()
    event = AuditEvent.objects.filter(action="gateway.request").latest("seq")
    details = json.loads(event.details_json)
    assert (details["method"], details["path"], details["rules"]) == (
        "GET",
        "/a",
        ["rule:estate:health"],
    )


def test_https_to_a_host_not_in_the_catalogue_is_refused_at_its_connect(
    gateway: RunningGateway, credentials: str
) -> None:
    status, _, _ = curl(gateway, gateway.https_url("blocked.example.com"), credentials)
    assert status != 200
    gateway.record_now()
    # Squid answers inside the connection (with a certificate of the gateway's) so that
    # the browser can show why; nothing went on to the site.
    events = AuditEvent.objects.filter(action="gateway.request").order_by("seq")
    connect, answer = (json.loads(event.details_json) for event in events)
    assert (connect["method"], connect["host"], connect["rules"]) == (
        "CONNECT",
        "blocked.example.com",
        ["catalogue:not-listed"],
    )
    assert (answer["status"], answer["result"]) == (403, "NONE_NONE")
    assert {event.outcome for event in events} == {AuditEvent.Outcome.DENIED}


def test_https_to_an_inspected_site_the_prisoner_may_not_use_goes_to_the_block_page(
    gateway: RunningGateway, credentials: str
) -> None:
    status, redirect, _ = curl(gateway, gateway.https_url("www.bbc.co.uk", "/news"), credentials)
    assert status == 302
    assert _block_reasons(redirect)["r"] == ["News sites are not part of this trial."]
    gateway.record_now()
    event = AuditEvent.objects.filter(action="gateway.request").latest("seq")
    details = json.loads(event.details_json)
    assert (event.outcome, details["method"], details["path"]) == (
        AuditEvent.Outcome.DENIED,
        "GET",
        "/news",
    )


def test_a_tls_name_that_differs_from_the_connect_host_is_decided_on_the_tls_name(
    gateway: RunningGateway, credentials: str
) -> None:
    # CONNECT names an allowed host, the TLS handshake another: the tunnel is closed.
    status, _, _ = curl(
        gateway,
        gateway.https_url("www.bbc.co.uk"),
        credentials,
        "--connect-to",
        "www.bbc.co.uk:443:www.nhs.uk:443",
    )
    assert status != 200


def test_pythons_http_client_gets_the_same_answers(
    gateway: RunningGateway, credentials: str
) -> None:
    auth = "Basic " + base64.b64encode(credentials.encode()).decode()
    plain = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    plain.request("GET", gateway.http_url("www.nhs.uk"), headers={"Proxy-Authorization": auth})
    assert plain.getresponse().status == 200
    plain.close()
    context = ssl.create_default_context(cafile=str(gateway.device_ca))
    tunnel = http.client.HTTPSConnection("127.0.0.1", gateway.port, timeout=10, context=context)
    tunnel.set_tunnel(
        "www.nhs.uk", gateway.upstreams.https_port, headers={"Proxy-Authorization": auth}
    )
    tunnel.request("GET", "/py")
    response = tunnel.getresponse()
    assert (response.status, response.read()) == (
        200,
        b"hello from www.nhs.uk/py\n",
    )
    tunnel.close()
    refused = http.client.HTTPSConnection("127.0.0.1", gateway.port, timeout=10, context=context)
    refused.set_tunnel(
        "www.bbc.co.uk", gateway.upstreams.https_port, headers={"Proxy-Authorization": auth}
    )
    refused.request("GET", "/")
    answer = refused.getresponse()
    assert answer.status == 302
    assert _block_reasons(answer.getheader("Location", ""))["i"] == ["rule:estate:no-news"]
    refused.close()


def test_it_refuses_everything_while_the_service_is_down_and_serves_again_when_it_is_back(
    gateway: RunningGateway, credentials: str
) -> None:
    url = gateway.http_url("www.nhs.uk")
    assert curl(gateway, url, credentials)[0] == 200
    gateway.stop_service()
    status, redirect, _ = curl(gateway, url, credentials)
    assert status in (302, 407)
    if status == 302:
        assert _block_reasons(redirect)["i"] == ["gateway:unavailable"]
    gateway.start_service()
    _wait_for(lambda: curl(gateway, url, credentials)[0] == 200, seconds=10)


def test_it_refuses_while_squids_helpers_are_killed_and_serves_once_they_are_restarted(
    gateway: RunningGateway, credentials: str
) -> None:
    url = gateway.http_url("www.nhs.uk")
    assert curl(gateway, url, credentials)[0] == 200
    relays = _relay_pids(gateway.layout.relay)
    assert relays
    for pid in relays:
        subprocess.run(["kill", f"-{signal.SIGKILL.value}", str(pid)], check=False)
    # Squid starts new helpers; until then nothing is let through.
    _wait_for(lambda: curl(gateway, url, credentials)[0] == 200, seconds=15)
    assert not set(_relay_pids(gateway.layout.relay)) & set(relays)


def test_the_service_fails_closed_when_its_policy_goes_stale(
    gateway: RunningGateway, credentials: str
) -> None:
    url = gateway.http_url("www.nhs.uk")
    assert curl(gateway, url, credentials)[0] == 200
    assert gateway.service is not None
    gateway.service.stopping.set()  # the poller stops: nothing is refreshed any more
    gateway.service.gatekeeper.grace_seconds = 0.3
    _wait_for(lambda: curl(gateway, url, credentials)[0] != 200, seconds=3)


def _relay_pids(relay: Path) -> list[int]:
    result = subprocess.run(  # pgrep on our own helpers
        ["pgrep", "-f", str(relay)], capture_output=True, text=True, check=False
    )
    return [int(pid) for pid in result.stdout.split()]


def test_with_interception_each_https_request_is_decided_on_its_path(
    gateway: RunningGateway, world: Estate
) -> None:
    device, _key = do_register_device(
        device_id="NGT-PC-1", establishment=world.a, location=world.a_cell, kind="pc", actor=SETUP
    )
    session, password = do_open_device_session(
        prisoner=world.prisoner_a, device=device, actor=SETUP, address="127.0.0.1"
    )
    _wait_for(lambda: session.username in _usernames(gateway))
    credentials = f"{session.username}:{password}"
    # The device trusts the gateway's CA: the connection is decrypted and decided request
    # by request, so a site approved only for some paths works, and the record has them.
    ca = ["--cacert", str(gateway.layout.ca_cert)]  # the gateway's CA alone
    status, _, body = curl(
        gateway, gateway.https_url("www.open.edu", "/openlearn/maths"), credentials, *ca
    )
    assert (status, body) == (
        200,
        "hello from www.open.edu/openlearn/maths\n",
    )
    status, redirect, _ = curl(
        gateway, gateway.https_url("www.open.edu", "/shop"), credentials, *ca
    )
    assert status == 302
    assert _block_reasons(redirect)["i"] == ["catalogue:not-listed"]
    gateway.record_now()
    paths = [
        json.loads(event.details_json).get("path")
        for event in AuditEvent.objects.filter(action="gateway.request").order_by("seq")
    ]
    assert "/openlearn/maths" in paths and "/shop" in paths


def test_the_access_log_is_started_afresh_without_losing_a_request(
    gateway: RunningGateway, credentials: str
) -> None:
    from wicketgate.gateway import accesslog
    from wicketgate.gateway.squid import reopen_log_command

    for n in range(3):
        assert curl(gateway, gateway.http_url("www.nhs.uk", f"/{n}"), credentials)[0] == 200
    _wait_for(lambda: gateway.layout.access_log.read_text().count("\n") >= 3)

    def reopen() -> None:
        subprocess.run(reopen_log_command(gateway.layout), check=True)

    accesslog.rotate(gateway.layout.access_log, reopen)
    assert curl(gateway, gateway.http_url("www.nhs.uk", "/after"), credentials)[0] == 200
    _wait_for(lambda: "/after" in gateway.layout.access_log.read_text())
    gateway.record_now()
    paths = [
        json.loads(event.details_json)["path"]
        for event in AuditEvent.objects.filter(action="gateway.request").order_by("seq")
    ]
    assert paths == ["/0", "/1", "/2", "/after"]


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="LISTEN/NOTIFY is PostgreSQL's; on SQLite gateways poll",
)
def test_on_postgresql_changes_are_pushed_to_the_gateway_not_waited_for(
    world: Estate, settings: Any
) -> None:
    # Polling every 30 s: only the notification can make this quick.
    with running_gateway(settings, poll_seconds=30) as gateway:
        device, _ = do_register_device(
            device_id="NGT-LT-2",
            establishment=world.a,
            location=world.a_cell,
            kind="laptop",
            actor=SETUP,
        )
        session, password = do_open_device_session(
            prisoner=world.prisoner_a, device=device, actor=SETUP, address="127.0.0.1"
        )
        assert _wait_for(lambda: session.username in _usernames(gateway)) < 1.0
        credentials, url = f"{session.username}:{password}", gateway.http_url("www.nhs.uk")
        assert curl(gateway, url, credentials)[0] == 200
        do_close_device_session(session, reason=CloseReason.ENDED_BY_STAFF, actor=SETUP)
        assert _wait_for(lambda: curl(gateway, url, credentials)[0] != 200) < 1.0
