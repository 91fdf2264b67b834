"""The phone app's staff pages and forms for the persona suite
(wicketgate/tests/test_access.py)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from wicketgate.accounts.roles import Action, StaffRole
from wicketgate.phone.actions import do_add_phone_number, do_request_phone_number
from wicketgate.phone.codes import CallState, NumberStatus
from wicketgate.phone.models import PhoneCall, PhoneListening, PhoneNumber
from wicketgate.phone.recordings import recordings_folder
from wicketgate.phone.tests.data import a_phone_call
from wicketgate.phone.tests.test_listening import BROWSER_ANSWER as ANSWER
from wicketgate.testing.endpoints import PROFILE, Endpoint
from wicketgate.testing.personas import SETUP, Estate

PHONE = f"{PROFILE}phone/"


def _entry(estate: Estate, status: str) -> PhoneNumber:
    """A number on the prisoner at A's list, waiting or approved: the same one however
    often it is asked for."""
    number = "07911 100001" if status == NumberStatus.REQUESTED else "07911 100002"
    found = PhoneNumber.objects.filter(prisoner=estate.prisoner_a, status=status).first()
    if found is not None:
        return found
    add = do_request_phone_number if status == NumberStatus.REQUESTED else do_add_phone_number
    return add(estate.prisoner_a, number, name="Mum", kind="social", actor=SETUP)


def _waiting(estate: Estate) -> int:
    return _entry(estate, NumberStatus.REQUESTED).pk


def _approved(estate: Estate) -> int:
    return _entry(estate, NumberStatus.APPROVED).pk


def _phone(name: str, method: str, build: Any, status: int = 200) -> Endpoint:
    """A phone page: for the visits team (and security, governors), with MANAGE_PHONE."""
    return Endpoint(name, method, build, status, role=StaffRole.VISITS, action=Action.MANAGE_PHONE)


ENDPOINTS = [
    Endpoint(
        "phone numbers waiting",
        "get",
        lambda e: ("/staff/phone/numbers/", {}),
        scoped=False,
        role=StaffRole.VISITS,
        action=Action.MANAGE_PHONE,
    ),
    _phone("phone", "get", lambda e: (PHONE, {})),
    _phone("add a phone number page", "get", lambda e: (f"{PHONE}numbers/new", {})),
    _phone(
        "add a phone number",
        "post",
        lambda e: (
            f"{PHONE}numbers/new",
            {"number": "020 7946 0000", "name": "Mum", "kind": "social"},
        ),
        302,
    ),
    _phone("phone number", "get", lambda e: (f"{PHONE}numbers/{_waiting(e)}/", {})),
    _phone(
        "decide a phone number",
        "post",
        lambda e: (f"{PHONE}numbers/{_waiting(e)}/decide", {"decision": "approve"}),
        302,
    ),
    _phone(
        "remove a phone number",
        "post",
        lambda e: (f"{PHONE}numbers/{_approved(e)}/remove", {"reason": "Asked by the prisoner"}),
        302,
    ),
    _phone("add phone credit page", "get", lambda e: (f"{PHONE}credit", {})),
    _phone(
        "add phone credit",
        "post",
        lambda e: (f"{PHONE}credit", {"amount": "5.00", "reason": "Private cash"}),
        302,
    ),
    _phone("give a new phone PIN", "post", lambda e: (f"{PHONE}pin", {})),
]
SETTINGS = "/staff/establishments/NGT/phone-settings"
ENDPOINTS += [
    Endpoint(
        "phone settings page",
        "get",
        lambda e: (SETTINGS, {}),
        role=StaffRole.GOVERNOR,
        action=Action.MANAGE_ESTABLISHMENT,
    ),
    Endpoint(
        "change phone settings",
        "post",
        lambda e: (
            SETTINGS,
            {
                "hours": "Mon-Sun 08:00-21:00",
                "max_call_minutes": "20",
                "uk_landline": "6",
                "uk_mobile": "7",
                "international": "25",
            },
        ),
        302,
        role=StaffRole.GOVERNOR,
        action=Action.MANAGE_ESTABLISHMENT,
    ),
]


def _live_call(estate: Estate) -> int:
    """A call from the prisoner at A, ringing (no dialog yet: ending it needs no Kamailio)."""
    found = PhoneCall.objects.live().filter(prisoner=estate.prisoner_a).first()
    if found is not None:
        return found.pk
    return a_phone_call(estate.prisoner_a, state=CallState.CONNECTING, answered_at=None).pk


def _oversee(name: str, method: str, build: Any, status: int = 200, **more: Any) -> Endpoint:
    """A live phone call page: for security and governors, with OVERSEE_PHONE."""
    return Endpoint(
        name, method, build, status, role=StaffRole.SECURITY, action=Action.OVERSEE_PHONE, **more
    )


ENDPOINTS += [
    _oversee("live phone calls", "get", lambda e: ("/staff/phone/live/", {}), scoped=False),
    _oversee(
        "end a phone call page", "get", lambda e: (f"/staff/phone/calls/{_live_call(e)}/end", {})
    ),
    _oversee(
        "end a phone call",
        "post",
        lambda e: (f"/staff/phone/calls/{_live_call(e)}/end", {"reason": "Threats heard"}),
        302,
    ),
]


def _answered_call(estate: Estate) -> int:
    """A call from the prisoner at A, on the phone now (tags as rtpengine knows them)."""
    found = PhoneCall.objects.live().filter(prisoner=estate.prisoner_a).first()
    if found is not None:
        return found.pk
    return a_phone_call(estate.prisoner_a, caller_tag="hs", called_tag="tr").pk


def _listening(estate: Estate) -> tuple[int, int]:
    """The clerk at A listening to that call (asked, not yet answered)."""
    call = _answered_call(estate)
    found = PhoneListening.objects.filter(call_id=call, listener=estate.clerk_a).first()
    if found is None:
        found = PhoneListening.objects.create(
            call_id=call, listener=estate.clerk_a, tag="persona", asked_at=timezone.now()
        )
    return call, found.pk


# With no media relay in this suite, asking it is refused (409) after every check of who
# may ask has passed; the answer and the stop are the listener's own (anyone else: 404).
ENDPOINTS += [
    _oversee(
        "listen to a phone call page",
        "get",
        lambda e: (f"/staff/phone/calls/{_answered_call(e)}/listen", {}),
    ),
    _oversee(
        "listen to a phone call",
        "post",
        lambda e: (f"/staff/phone/calls/{_answered_call(e)}/listen/offer", {}),
        409,
    ),
    _oversee(
        "answer a listening",
        "post",
        lambda e: (
            "/staff/phone/calls/{}/listen/{}/answer".format(*_listening(e)),
            {"sdp": ANSWER},
        ),
        409,
        scoped=False,
    ),
    _oversee(
        "stop a listening",
        "post",
        lambda e: ("/staff/phone/calls/{}/listen/{}/stop".format(*_listening(e)), {}),
        409,
        scoped=False,
    ),
]


def _recorded_call(estate: Estate) -> int:
    """An ended call of the prisoner at A, with its recording kept."""
    found = PhoneCall.objects.filter(prisoner=estate.prisoner_a).exclude(recording="").first()
    if found is None:
        found = a_phone_call(
            estate.prisoner_a,
            state=CallState.ENDED,
            ended_at=timezone.now(),
            recording="persona.wav",
        )
    folder = recordings_folder()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "persona.wav").write_bytes(b"RIFF")
    return found.pk


ENDPOINTS.append(
    Endpoint(
        "play a phone call's recording",
        "get",
        lambda e: (f"/staff/phone/calls/{_recorded_call(e)}/recording.wav", {}),
        role=StaffRole.SECURITY,
        action=Action.VIEW_RECORDINGS,
        recorded=True,  # every playing is on the record
    )
)
