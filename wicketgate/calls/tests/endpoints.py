"""The video calls' staff pages and forms for the persona suite
(wicketgate/tests/test_access.py), and the family portal's call pages."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from django.utils import timezone

from wicketgate.accounts.roles import Action, StaffRole
from wicketgate.calls.models import Recording
from wicketgate.calls.tests import data as call_data
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.tests import data as contact_data
from wicketgate.contacts.tests.endpoints import visits_endpoint
from wicketgate.estate.codes import IncentiveLevel
from wicketgate.testing.endpoints import PROFILE, Endpoint
from wicketgate.testing.personas import Estate

CALLS_URL = "/staff/video-calls/"
CALL_BOOK_URL = f"{PROFILE}video-calls/book"
SESSIONS_URL = "/staff/establishments/NGT/video-calls/sessions/"
SETTINGS_URL = "/staff/establishments/NGT/video-calls/settings"


def _rita(estate: Estate) -> int:
    return contact_data.link(estate, LinkStatus.APPROVED).contact.pk


CALLS = [
    visits_endpoint("video calls", "get", lambda e: (CALLS_URL, {}), scoped=False),
    visits_endpoint("book a video call page", "get", lambda e: (CALL_BOOK_URL, {})),
    visits_endpoint(
        "cancel a video call page",
        "get",
        lambda e: (f"{CALLS_URL}{call_data.booking(e).pk}/cancel", {}),
    ),
    visits_endpoint(
        "book a video call",
        "post",
        lambda e: (CALL_BOOK_URL, {"slot": call_data.slot_value(e), "main_caller": _rita(e)}),
    ),
    visits_endpoint(
        "cancel a video call",
        "post",
        lambda e: (f"{CALLS_URL}{call_data.booking(e).pk}/cancel", {"reason": "Suite closed"}),
    ),
    visits_endpoint("video-call sessions", "get", lambda e: (SESSIONS_URL, {})),
    visits_endpoint("video-call settings page", "get", lambda e: (SETTINGS_URL, {})),
    visits_endpoint(
        "add a video-call session",
        "post",
        lambda e: (
            SESSIONS_URL,
            {
                "suite": e.a_video_suite.pk,
                "weekday": 3,
                "starts": "10:00",
                "minutes": 30,
                "capacity": 1,
            },
        ),
    ),
    visits_endpoint(
        "stop offering a video-call session",
        "post",
        lambda e: (f"{SESSIONS_URL}{call_data.session(e).pk}/deactivate", {}),
    ),
    visits_endpoint(
        "change video-call settings",
        "post",
        lambda e: (
            SETTINGS_URL,
            {
                **{f"minutes_{level}": 60 for level in IncentiveLevel.values},
                "lead_hours": 24,
                "window_days": 21,
            },
        ),
    ),
    Endpoint(
        "live calls",
        "get",
        lambda e: (f"{CALLS_URL}live/", {}),
        scoped=False,
        action=Action.OVERSEE_CALLS,
    ),
]

# A call staff watch, mute, note and end (the call page's own routes). The call is booked
# and not open, so the requests that need a live call are refused (409) once the member of
# staff has been let in: what is tried here is who is let in.
WATCH_URL = "/staff/calls/"


def _recording(estate: Estate) -> tuple[str, dict[str, Any]]:
    """A recording of the call at A, its file in place: the same one however often asked."""
    booking = call_data.booking(estate)
    found = Recording.objects.filter(booking=booking).first()
    if found is None:
        folder = Path(tempfile.gettempdir()) / "wicketgate-test-recordings"
        folder.mkdir(exist_ok=True)
        media = folder / f"{booking.pk}-prisoner-audio.opus"
        media.write_bytes(b"OggS")
        found = Recording.objects.create(
            booking=booking,
            kind="audio",
            who="prisoner",
            path=str(media),
            size=4,
            delete_after=timezone.now() + dt.timedelta(days=90),
        )
    return f"{WATCH_URL}{booking.pk}/recordings/{found.pk}", {}


# Refused for want of a live call (409), and the watch page, write nothing; a note does.
LIVE_CALLS = [
    Endpoint(
        "watch a video call",
        "get",
        lambda e: (f"{WATCH_URL}{call_data.booking(e).pk}/", {}),
        action=Action.OVERSEE_CALLS,
    ),
    Endpoint(
        "tokens to watch a video call",
        "post",
        lambda e: (f"{WATCH_URL}{call_data.booking(e).pk}/tokens", {}),
        owner_status=409,
        action=Action.OVERSEE_CALLS,
    ),
    Endpoint(
        "end a video call",
        "post",
        lambda e: (f"{WATCH_URL}{call_data.booking(e).pk}/end", {"reason": "Test"}),
        owner_status=409,
        action=Action.OVERSEE_CALLS,
    ),
    Endpoint(
        "mute someone on a video call",
        "post",
        lambda e: (
            f"{WATCH_URL}{call_data.booking(e).pk}/moderate",
            {"participant": "1", "track": "audio", "mute": "1"},
        ),
        owner_status=409,
        action=Action.OVERSEE_CALLS,
    ),
    Endpoint(
        "note on a video call",
        "post",
        lambda e: (f"{WATCH_URL}{call_data.booking(e).pk}/notes", {"text": "Calm throughout"}),
        owner_status=302,
        action=Action.OVERSEE_CALLS,
    ),
    Endpoint(
        "play a call recording",
        "get",
        _recording,
        role=StaffRole.SECURITY,
        action=Action.VIEW_RECORDINGS,
        recorded=True,  # listening to a recording is an audited read
    ),
]


# The family portal's pages about one family's records, for test_family_call_cancel.py:
# Rita (the main caller) gets ``owner_status``; another family member, staff and a
# prisoner get a 404, and a visitor is sent to the family sign-in. Not in ALL, which is
# the staff site.
FAMILY_CALLS_URL = "/family/video-calls/"

FAMILY = [
    Endpoint(
        "family: cancel a video call page",
        "get",
        lambda e: (f"{FAMILY_CALLS_URL}{call_data.booking(e).pk}/cancel", {}),
    ),
    Endpoint(
        "family: cancel a video call",
        "post",
        lambda e: (f"{FAMILY_CALLS_URL}{call_data.booking(e).pk}/cancel", {"reason": "Unwell"}),
        owner_status=302,
    ),
]

ENDPOINTS = CALLS + LIVE_CALLS
