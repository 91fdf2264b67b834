"""Janus's events reach the audit log: joins, media up, leaving, hang-ups, per call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wicketgate.audit.models import AuditEvent
from wicketgate.calls.janus import configured
from wicketgate.calls.models import Booking

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _janus_dir(settings: Any, tmp_path: Path) -> None:
    settings.WICKETGATE_JANUS_DIR = tmp_path / "janus"


def janus_posts(call: Booking) -> list[dict[str, Any]]:
    """As Janus's sample event handler posts them (shapes from docs/research/janus)."""
    stamp = int(timezone.now().timestamp() * 1e6)
    room = call.room
    plugin = {"plugin": "janus.plugin.videoroom"}
    return [
        {"emitter": "j", "type": 1, "timestamp": stamp, "session_id": 1, "event": {"name": "created"}},
        {"emitter": "j", "type": 64, "timestamp": stamp, "session_id": 1, "handle_id": 2,
         "event": {**plugin, "data": {"event": "joined", "room": room, "id": 77, "display": "prisoner"}}},
        {"emitter": "j", "type": 16, "subtype": 6, "timestamp": stamp + 1, "session_id": 1,
         "handle_id": 2, "opaque_id": f"wg-{room}-prisoner", "event": {"connection": "webrtcup"}},
        {"emitter": "j", "type": 16, "subtype": 4, "timestamp": stamp + 2, "opaque_id": f"wg-{room}-prisoner",
         "event": {"selected-pair": "x"}},
        {"emitter": "j", "type": 32, "timestamp": stamp + 3, "event": {"media": "video", "receiving": True}},
        {"emitter": "j", "type": 64, "timestamp": stamp + 4,
         "event": {**plugin, "data": {"event": "leaving", "room": room, "id": 77}}},
        {"emitter": "j", "type": 16, "subtype": 6, "timestamp": stamp + 5, "opaque_id": f"wg-{room}-prisoner",
         "event": {"connection": "hangup", "reason": "Close PC"}},
        {"emitter": "j", "type": 64, "timestamp": stamp, "event": {**plugin, "data": {"event": "joined", "room": 4242}}},
    ]  # fmt: skip


def test_what_happened_on_a_call_is_recorded_and_the_rest_left_out(call: Booking) -> None:
    key = configured().setup.events_key
    response = Client().post(
        f"/calls/janus-events/{key}", json.dumps(janus_posts(call)), content_type="application/json"
    )
    assert response.status_code == 204
    recorded = list(
        AuditEvent.objects.filter(action__startswith="calls.janus.")
        .order_by("seq")
        .values_list("action", "subject_label", "details_json")
    )
    assert [(a, s) for a, s, _ in recorded] == [
        ("calls.janus.joined", "A1234BC"),
        ("calls.janus.webrtcup", "A1234BC"),
        ("calls.janus.leaving", "A1234BC"),
        ("calls.janus.hangup", "A1234BC"),
    ]
    assert json.loads(recorded[-1][2]) == {
        "booking": call.pk,
        "room": call.room,
        "who": "prisoner",
        "reason": "Close PC",
    }


def test_only_janus_with_its_key_may_post(call: Booking) -> None:
    configured()
    body = json.dumps(janus_posts(call))
    assert (
        Client()
        .post("/calls/janus-events/guess", body, content_type="application/json")
        .status_code
        == 404
    )
    assert not AuditEvent.objects.filter(action__startswith="calls.janus.").exists()
    key = configured().setup.events_key
    assert (
        Client()
        .post(f"/calls/janus-events/{key}", "not json", content_type="application/json")
        .status_code
        == 400
    )
    assert configured().setup.event_url.endswith(f"/calls/janus-events/{key}")
