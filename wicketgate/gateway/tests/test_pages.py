"""The web gateway's staff pages: devices and sessions, lockdowns, what is being blocked,
and a prisoner's browsing history.

Who may open each page and send each form (owner, outsider, estate admin, roles without
the action, anonymous, prisoner, family) is in test_access.py, through endpoints.GATEWAY.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.templatetags.static import static
from django.test import Client
from django.utils import timezone

from wicketgate.accounts.models import StaffMembership
from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.models import AuditEvent
from wicketgate.estate.models import Location
from wicketgate.gateway.actions import (
    GatewayError,
    device_by_key,
    do_close_device_session,
    do_open_device_session,
)
from wicketgate.gateway.models import CloseReason, Device, DeviceSession, Lockdown
from wicketgate.gateway.queries import recent_refusals
from wicketgate.gateway.tests import data as gateway_data
from wicketgate.gateway.tests.data import log_request
from wicketgate.people.models import Prisoner
from wicketgate.testing.personas import SETUP, Estate, sign_in_staff

NGT = "/staff/establishments/NGT/"
DEVICES = f"{NGT}devices/"
BLOCKED = f"{NGT}blocked/"
REGISTER = f"{NGT}devices/new"
HISTORY = "/staff/prisoners/A1234BC/browsing/"


class Unchanged:
    """Counts the rows a refused change must not write."""

    MODELS = (Device, DeviceSession, Lockdown, AuditEvent)

    def __enter__(self) -> Unchanged:
        self.before = [model.objects.count() for model in self.MODELS]
        return self

    def __exit__(self, *exc: Any) -> None:
        after = [model.objects.count() for model in self.MODELS]
        assert after == self.before, "a refused change wrote to the database"


@pytest.fixture
def security_a(estate: Estate) -> Client:
    """The clerk at A, in the security department: may manage devices and read browsing."""
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.SECURITY)
    return sign_in_staff(Client(), estate.clerk_a)


def prisoner_at_a(estate: Estate, number: str, location: Location | None = None) -> Prisoner:
    return Prisoner.objects.create(
        prison_number=number,
        given_name="Omar",
        family_name=f"Other{number[-2:]}",
        date_of_birth=dt.date(1991, 2, 3),
        establishment=estate.a,
        location=location or estate.a_cell,
        security_category="C",
        incentive_level="STD",
        legal_status="SENTENCED",
    )


@pytest.fixture
def online(estate: Estate) -> dict[str, DeviceSession]:
    """The prisoner at A on a laptop on A wing, another on the video suite's PC (on no
    wing), a third whose session has closed, and the prisoner at B online there."""
    laptop = gateway_data.live_session(estate)
    suite = gateway_data.device(estate, "NGT-VS-PC-01", estate.a_video_suite, "pc")
    elsewhere = gateway_data.live_session(estate, prisoner_at_a(estate, "A6666AA"), suite)
    closed = gateway_data.live_session(
        estate,
        prisoner_at_a(estate, "A7777AA"),
        gateway_data.device(estate, "NGT-A-LAPTOP-03"),
    )
    do_close_device_session(closed, reason=CloseReason.SIGNED_OUT, actor=SETUP)
    b_device = Device.objects.create(
        device_id="RVS-H-LAPTOP-01",
        establishment=estate.b,
        location=estate.b_cell,
        kind="laptop",
        key_hash="0" * 64,
    )
    at_b = do_open_device_session(
        prisoner=estate.prisoner_b, device=b_device, actor=SETUP, address="127.0.0.1"
    )[0]
    return {"laptop": laptop, "elsewhere": elsewhere, "closed": closed, "at_b": at_b}


def text(response: Any) -> str:
    """The page's text without tags or runs of space, for reading what it says."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# --- devices and sessions --------------------------------------------------------------


def test_it_lists_live_sessions_by_wing(
    client_a: Client, estate: Estate, online: dict[str, DeviceSession]
) -> None:
    response = client_a.get(DEVICES)
    assert response.status_code == 200
    content = text(response)
    assert "2 people are online now." in content
    assert "A wing (NGT-A) – 1 session" in content
    assert "Not on a wing – 1 session" in content
    assert content.index("A wing (NGT-A)") < content.index("Not on a wing")
    assert content.index("Ashdown") < content.index("Not on a wing") < content.index("A6666AA")
    assert "NGT-A-LAPTOP-01" in content and "NGT-VS-PC-01" in content
    assert "A7777AA" not in content  # closed
    assert "B2345CD" not in content  # at another establishment
    html = response.content.decode()
    for session in (online["laptop"], online["elsewhere"]):
        assert f'action="{NGT}sessions/{session.pk}/end"' in html


def test_it_shows_a_wing_officer_sessions_but_not_the_devices(
    client_a: Client, estate: Estate, online: dict[str, DeviceSession]
) -> None:
    content = client_a.get(DEVICES).content.decode()
    assert "End session" in content
    assert "Start lockdown" in content
    assert "Register a device" not in content
    assert "/retire" not in content


def test_it_ends_a_session(
    client_a: Client, estate: Estate, online: dict[str, DeviceSession]
) -> None:
    session = online["laptop"]
    response = client_a.post(f"{NGT}sessions/{session.pk}/end", follow=True)
    assert "Session ended: Alan Ashdown on NGT-A-LAPTOP-01." in text(response)
    session.refresh_from_db()
    assert session.closed_at is not None
    assert session.close_reason == CloseReason.ENDED_BY_STAFF
    event = AuditEvent.objects.filter(action="gateway.session.close").latest("seq")
    assert (event.actor_label, event.details["reason"]) == ("clerk.a", "ended_by_staff")
    assert f"{NGT}sessions/{session.pk}/end" not in response.content.decode()


def test_it_says_when_a_session_had_already_ended(
    client_a: Client, estate: Estate, online: dict[str, DeviceSession]
) -> None:
    with Unchanged():
        response = client_a.post(f"{NGT}sessions/{online['closed'].pk}/end", follow=True)
    assert "That session had already ended." in text(response)


def test_it_will_not_end_another_establishments_session_from_this_one(
    client_admin: Client, estate: Estate, online: dict[str, DeviceSession]
) -> None:
    with Unchanged():
        response = client_admin.post(f"{NGT}sessions/{online['at_b'].pk}/end")
    assert response.status_code == 404


def test_it_locks_down_a_wing_ending_its_sessions_and_refusing_new_ones(
    client_a: Client, estate: Estate, online: dict[str, DeviceSession]
) -> None:
    response = client_a.post(
        f"{NGT}lockdowns/new",
        {"scope": estate.a_wing.pk, "reason": "Search of A wing"},
        follow=True,
    )
    content = text(response)
    assert (
        "Lockdown of A wing (NGT-A) started: 1 session ended and no new ones can start." in content
    )
    assert "A lockdown is in force" in content
    assert "Search of A wing" in content
    lockdown = Lockdown.objects.get()
    assert (lockdown.wing, lockdown.started_by) == (estate.a_wing, "clerk.a")
    online["laptop"].refresh_from_db()
    online["elsewhere"].refresh_from_db()
    assert online["laptop"].close_reason == CloseReason.LOCKDOWN
    assert online["elsewhere"].closed_at is None  # not on the wing
    with pytest.raises(GatewayError, match="no new sessions"):
        do_open_device_session(
            prisoner=estate.prisoner_a,
            device=gateway_data.device(estate),
            actor=SETUP,
            address="127.0.0.1",
        )


def test_it_locks_down_the_whole_establishment(
    client_a: Client, estate: Estate, online: dict[str, DeviceSession]
) -> None:
    response = client_a.post(
        f"{NGT}lockdowns/new", {"scope": "all", "reason": "Incident"}, follow=True
    )
    assert "Lockdown of HMP Northgate started: 2 sessions ended" in text(response)
    assert not DeviceSession.objects.live().filter(device__establishment=estate.a).exists()
    assert DeviceSession.objects.live().filter(pk=online["at_b"].pk).exists()


def test_it_needs_a_reason_for_a_lockdown(
    client_a: Client, estate: Estate, online: dict[str, DeviceSession]
) -> None:
    with Unchanged():
        response = client_a.post(f"{NGT}lockdowns/new", {"scope": "all", "reason": "  "})
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Error: Devices and sessions at HMP Northgate" in content
    assert '<a href="#id_reason">Enter a reason for the lockdown</a>' in content


def test_it_offers_only_this_establishments_wings_for_a_lockdown(
    client_a: Client, estate: Estate
) -> None:
    content = client_a.get(DEVICES).content.decode()
    assert f'<option value="{estate.a_wing.pk}">A wing (NGT-A)</option>' in content
    assert "RVS-H" not in content
    with Unchanged():
        response = client_a.post(f"{NGT}lockdowns/new", {"scope": estate.b_wing.pk, "reason": "x"})
    assert "Choose the establishment or a wing from the list" in response.content.decode()


def test_it_shows_a_lockdown_the_action_refuses_as_a_form_error(
    client_a: Client, estate: Estate
) -> None:
    gateway_data.lockdown(estate)  # the whole establishment, so the wing is covered already
    with Unchanged():
        response = client_a.post(
            f"{NGT}lockdowns/new", {"scope": estate.a_wing.pk, "reason": "Search"}
        )
    assert response.status_code == 200
    assert '<a href="#id_scope">A lockdown already covers that</a>' in response.content.decode()


def test_it_lifts_a_lockdown(client_a: Client, estate: Estate) -> None:
    lockdown = gateway_data.lockdown(estate, estate.a_wing)
    response = client_a.post(f"{NGT}lockdowns/{lockdown.pk}/lift", follow=True)
    assert "Lockdown of A wing (NGT-A) lifted: sessions can start again." in text(response)
    assert "No lockdowns are in force." in text(response)
    lockdown.refresh_from_db()
    assert (lockdown.ended_at is not None, lockdown.ended_by) == (True, "clerk.a")
    gateway_data.live_session(estate)  # sessions can open again

    response = client_a.post(f"{NGT}lockdowns/{lockdown.pk}/lift", follow=True)
    assert "That lockdown has already been lifted" in text(response)


# --- devices ---------------------------------------------------------------------------


def test_it_registers_a_device_and_shows_its_key_once(security_a: Client, estate: Estate) -> None:
    response = security_a.post(
        REGISTER,
        {
            "device_id": " ngt-a-kiosk-01 ",
            "location": estate.a_cell.pk,
            "kind": "kiosk",
            "address": "10.20.1.42",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = re.search(
        r'<code class="wg-code wg-key wg-break" id="device-key">([^<]+)</code>',
        response.content.decode(),
    )
    assert key is not None
    device = Device.objects.get(device_id="NGT-A-KIOSK-01")
    assert (device.establishment, device.location, device.kind, device.address) == (
        estate.a,
        estate.a_cell,
        "kiosk",
        "10.20.1.42",
    )
    assert device_by_key("NGT-A-KIOSK-01", key.group(1)) == device
    event = AuditEvent.objects.get(action="gateway.device.register")
    assert (event.actor_label, event.details["location"]) == ("clerk.a", "NGT-A-1-01")
    assert key.group(1) not in event.details_json
    listing = security_a.get(DEVICES).content.decode()
    assert "NGT-A-KIOSK-01" in listing and key.group(1) not in listing
    assert key.group(1) not in str(dict(security_a.session))


def test_it_offers_only_places_at_this_establishment_where_a_device_can_be(
    security_a: Client, estate: Estate
) -> None:
    content = security_a.get(REGISTER).content.decode()
    options = re.findall(r'<option value="(\d+)"', content)
    assert sorted(int(pk) for pk in options) == sorted([estate.a_cell.pk, estate.a_video_suite.pk])
    with Unchanged():
        response = security_a.post(
            REGISTER, {"device_id": "X-1", "location": estate.b_cell.pk, "kind": "laptop"}
        )
    assert "Choose a location from the list" in response.content.decode()


def test_it_shows_a_registration_the_action_refuses_as_a_form_error(
    security_a: Client, estate: Estate
) -> None:
    gateway_data.device(estate)
    with Unchanged():
        response = security_a.post(
            REGISTER,
            {"device_id": gateway_data.LAPTOP, "location": estate.a_cell.pk, "kind": "laptop"},
        )
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Error: Register a device" in content
    assert '<a href="#id_device_id">Device NGT-A-LAPTOP-01 is already registered</a>' in content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"device_id": "", "kind": "laptop"}, "Enter the device ID"),
        ({"device_id": "NGT A 1", "kind": "laptop"}, "Use 1 to 40 letters, digits"),
        ({"device_id": "NGT-1"}, "Choose the kind of device"),
        ({"device_id": "NGT-1", "kind": "desk"}, "Choose the kind of device"),
        ({"device_id": "NGT-1", "kind": "phone"}, "A phone handset is bound to its address"),
        ({"device_id": "NGT-1", "kind": "pc", "address": "10.20.1"}, "Enter an IP address"),
    ],
)
def test_it_refuses_a_device_it_cannot_register(
    security_a: Client, estate: Estate, data: dict[str, str], message: str
) -> None:
    with Unchanged():
        response = security_a.post(REGISTER, {"location": estate.a_cell.pk, **data})
    assert response.status_code == 200
    assert message in response.content.decode()
    if data.get("device_id") == "NGT A 1":  # the action's refusal, beside the field it names
        assert 'id="id_device_id_error"' in response.content.decode()


def test_it_retires_a_device_and_ends_its_session(security_a: Client, estate: Estate) -> None:
    session = gateway_data.live_session(estate)
    device = session.device
    response = security_a.post(f"{NGT}devices/{device.pk}/retire", follow=True)
    assert "NGT-A-LAPTOP-01 retired: its session has ended and it cannot open another." in text(
        response
    )
    device.refresh_from_db()
    session.refresh_from_db()
    assert device.retired_at is not None
    assert session.close_reason == CloseReason.DEVICE_RETIRED
    assert f"{NGT}devices/{device.pk}/retire" not in response.content.decode()
    assert "Retired" in text(response)

    response = security_a.post(f"{NGT}devices/{device.pk}/retire", follow=True)
    assert "Device NGT-A-LAPTOP-01 is already retired" in text(response)


def test_it_pages_through_many_devices(security_a: Client, estate: Estate) -> None:
    for n in range(55):
        Device.objects.create(
            device_id=f"NGT-A-LAPTOP-{n:03d}",
            establishment=estate.a,
            location=estate.a_cell,
            kind="laptop",
            key_hash="0" * 64,
        )
    first = security_a.get(DEVICES).content.decode()
    assert "NGT-A-LAPTOP-049" in first and "NGT-A-LAPTOP-050" not in first
    assert "55 devices registered here" in first
    second = security_a.get(DEVICES, {"page": 2}).content.decode()
    assert "NGT-A-LAPTOP-054" in second and "NGT-A-LAPTOP-049" not in second


# --- blocked on this wing --------------------------------------------------------------


@pytest.fixture
def refusals(estate: Estate, online: dict[str, DeviceSession]) -> None:
    now = timezone.now()
    log_request(
        online["laptop"],
        "http://www.bbc.co.uk/news",
        allowed=False,
        reasons=("News websites are not allowed.",),
        rules=("sanction-news",),
        at=now - dt.timedelta(minutes=3),
    )
    log_request(
        online["elsewhere"],
        "www.facebook.com:443",
        allowed=False,
        reasons=("Social media is not allowed.",),
        rules=("deny-social",),
        at=now - dt.timedelta(minutes=1),
    )
    log_request(online["laptop"], "www.nhs.uk:443", allowed=True)
    log_request(
        online["laptop"],
        "www.old.example:443",
        allowed=False,
        reasons=("Yesterday's refusal.",),
        at=now - dt.timedelta(hours=25),
    )
    log_request(online["at_b"], "www.riverside.example:443", allowed=False, reasons=("At B.",))


def test_it_shows_what_is_being_refused_at_the_establishment(
    client_a: Client, estate: Estate, refusals: None
) -> None:
    response = client_a.get(BLOCKED)
    assert response.status_code == 200
    content = text(response)
    assert "Blocked on every wing" in content
    assert content.index("www.facebook.com") < content.index("www.bbc.co.uk /news")
    assert "News websites are not allowed. sanction-news" in content
    assert "Alan Ashdown A1234BC" in content
    assert "NGT-A-LAPTOP-01 NGT-A-1-01" in content
    assert "www.nhs.uk" not in content  # allowed
    assert "www.old.example" not in content  # more than a day ago
    assert "riverside" not in content  # at B


def test_it_shows_what_is_being_refused_on_one_wing(
    client_a: Client, estate: Estate, refusals: None
) -> None:
    response = client_a.get(BLOCKED, {"wing": "ngt-a"})
    content = text(response)
    assert "<title>Blocked on A wing (NGT-A)" in response.content.decode()
    assert "www.bbc.co.uk" in content
    assert "www.facebook.com" not in content  # from the video suite, on no wing
    assert '<option value="NGT-A" selected>' in response.content.decode()


def test_it_says_when_nothing_has_been_refused_on_a_wing(client_a: Client, estate: Estate) -> None:
    content = text(client_a.get(BLOCKED, {"wing": "NGT-A"}))
    assert "Nothing has been refused on A wing (NGT-A) in the last 24 hours." in content


def test_it_updates_itself_within_the_content_security_policy(
    client_a: Client, estate: Estate
) -> None:
    response = client_a.get(BLOCKED)
    content = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert nonce is not None
    assert f'src="{static("web/live.js")}" nonce="{nonce.group(1)}"' in content
    assert '<noscript><meta http-equiv="refresh" content="10"></noscript>' in content
    assert 'id="blocked-requests" data-wg-live="10"' in content
    assert "Pause updates" in content

    paused = client_a.get(BLOCKED, {"live": "off", "wing": "NGT-A"}).content.decode()
    assert "live.js" not in paused and "refresh" not in paused and "data-wg-live" not in paused
    assert 'href="?wing=NGT-A">Resume updates' in paused
    assert '<input type="hidden" name="live" value="off">' in paused


def test_it_reads_a_wings_refusals_in_bounded_chunks(
    estate: Estate, online: dict[str, DeviceSession]
) -> None:
    at = timezone.now() - dt.timedelta(minutes=30)
    for n in range(7):
        log_request(online["laptop"], f"wing{n}.example:443", allowed=False, at=at)
        log_request(online["elsewhere"], f"suite{n}.example:443", allowed=False, at=at)
    events = AuditEvent.objects.filter(establishment=estate.a)
    since = timezone.now() - dt.timedelta(hours=1)
    on_wing = {"NGT-A", "NGT-A-1", "NGT-A-1-01"}
    found = recent_refusals(events, since=since, location_codes=on_wing, limit=5, chunk=3)
    assert [e.details["host"] for e in found] == [f"wing{n}.example" for n in (6, 5, 4, 3, 2)]
    found = recent_refusals(events, since=since, location_codes=on_wing, chunk=3, most=6)
    assert [e.details["host"] for e in found] == ["wing6.example", "wing5.example", "wing4.example"]


# --- browsing history ------------------------------------------------------------------


def test_it_shows_a_prisoners_browsing_history_newest_first(
    security_a: Client, estate: Estate, online: dict[str, DeviceSession]
) -> None:
    now = timezone.now()
    session = online["laptop"]
    log_request(
        session,
        "http://www.open.edu/openlearn/maths",
        allowed=True,
        at=now - dt.timedelta(minutes=5),
        bytes_out=12_800,
        duration_ms=2_500,
    )
    log_request(session, "www.nhs.uk:443", allowed=True, at=now - dt.timedelta(minutes=4))
    log_request(
        session,
        "www.bbc.co.uk:443",
        allowed=False,
        reasons=("News websites are not allowed.",),
        rules=("sanction-news",),
        at=now - dt.timedelta(minutes=3),
    )
    log_request(online["elsewhere"], "www.someone-else.example:443", allowed=True)

    response = security_a.get(HISTORY)
    assert response.status_code == 200
    content = text(response)
    assert content.index("www.bbc.co.uk") < content.index("www.nhs.uk") < content.index("open.edu")
    assert (
        "www.open.edu /openlearn/maths Allowed catalogue 12.5 KB 310 bytes 2.5 s NGT-A-LAPTOP-01"
        in content
    )
    assert "www.nhs.uk Allowed catalogue 5.0 KB 310 bytes 240 ms" in content
    assert "www.bbc.co.uk Refused News websites are not allowed. sanction-news 0 bytes" in content
    assert "someone-else" not in content


def test_it_pages_through_a_long_browsing_history(
    security_a: Client, estate: Estate, online: dict[str, DeviceSession]
) -> None:
    start = timezone.now() - dt.timedelta(hours=1)
    for n in range(53):
        log_request(
            online["laptop"],
            f"site{n:02d}.example:443",
            allowed=True,
            at=start + dt.timedelta(seconds=n),
        )
    first = security_a.get(HISTORY).content.decode()
    assert "site52.example" in first and "site03.example" in first
    assert "site02.example" not in first
    older = re.search(r'href="\?before=(\d+)"', first)
    assert older is not None
    second = security_a.get(HISTORY, {"before": older.group(1)}).content.decode()
    assert "site02.example" in second and "site00.example" in second
    assert "site03.example" not in second


def test_it_links_to_browsing_history_only_for_those_who_may_read_it(
    client_a: Client, security_a: Client, estate: Estate
) -> None:
    assert f'href="{HISTORY}"' in security_a.get("/staff/prisoners/A1234BC/").content.decode()
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.WING_OFFICER)
    assert f'href="{HISTORY}"' not in client_a.get("/staff/prisoners/A1234BC/").content.decode()


# --- links from the establishment page -------------------------------------------------


def test_it_links_to_the_gateway_pages_from_the_establishment_page(
    client_a: Client, estate: Estate
) -> None:
    content = client_a.get(NGT).content.decode()
    assert f'href="{DEVICES}"' in content and f'href="{BLOCKED}"' in content
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.VISITS)
    content = sign_in_staff(Client(), estate.clerk_a).get(NGT).content.decode()
    assert f'href="{DEVICES}"' not in content
