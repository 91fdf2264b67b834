"""The security department's audit pages: search, an event and its verification, a
prisoner's timeline, and exports. Who may open them at all is in test_access.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from wicketgate.accounts.actions import do_create_staff_user
from wicketgate.accounts.models import User
from wicketgate.accounts.roles import StaffRole
from wicketgate.audit import guards
from wicketgate.audit.log import Actor, PendingEvent, append_events, record_event, sign_checkpoint
from wicketgate.audit.models import AuditEvent
from wicketgate.audit.signing import checkpoint_message, private_key, signature_is_valid
from wicketgate.audit.views.staff import MANIFEST_HEADER, PER_PAGE
from wicketgate.estate.models import Establishment
from wicketgate.people.actions import do_add_alert, do_review_incentive_level, do_transfer_prisoner
from wicketgate.people.models import Prisoner
from wicketgate.testing.personas import PASSWORD, SETUP, Estate, sign_in_staff

SEARCH = "/staff/audit/"
EXPORT = "/staff/audit/export"
TIMELINE = "/staff/prisoners/A1234BC/timeline/"


def security_officer(username: str, *establishments: Establishment) -> User:
    return do_create_staff_user(
        username,
        password=PASSWORD,
        roles=[(establishment, StaffRole.SECURITY) for establishment in establishments],
        actor=SETUP,
        check_password=False,
    )


@pytest.fixture
def log(estate: Estate) -> Estate:
    """Something recorded at each establishment, about each prisoner, by each clerk."""
    clerk_a, clerk_b = Actor.of_user(estate.clerk_a), Actor.of_user(estate.clerk_b)
    do_add_alert(estate.prisoner_a, "ACCT", actor=clerk_a, comment="Reception screening")
    do_review_incentive_level(estate.prisoner_a, "ENH", actor=clerk_a, comment="Good work")
    do_add_alert(estate.prisoner_b, "ESCAPE", actor=clerk_b)
    other_at_a = Prisoner.objects.create(
        prison_number="A7777AA",
        given_name="Owen",
        family_name="Other",
        date_of_birth=dt.date(1992, 3, 4),
        establishment=estate.a,
        location=estate.a_cell,
        security_category="C",
        incentive_level="STD",
        legal_status="REMAND",
    )
    do_add_alert(other_at_a, "GANG", actor=clerk_a)
    return estate


@pytest.fixture
def security_a(log: Estate) -> Client:
    return sign_in_staff(Client(), security_officer("security.a", log.a))


@pytest.fixture
def security_b(log: Estate) -> Client:
    return sign_in_staff(Client(), security_officer("security.b", log.b))


@pytest.fixture
def security_both(log: Estate) -> Client:
    return sign_in_staff(Client(), security_officer("security.ab", log.a, log.b))


def listed(response: Any) -> list[int]:
    assert response.status_code == 200
    return [event.seq for event in response.context["page"].events]


def newest_first(**filters: Any) -> list[int]:
    return list(AuditEvent.objects.filter(**filters).order_by("-seq").values_list("seq", flat=True))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=timezone.get_current_timezone())


def recorded_at(estate: Estate, *moments: dt.datetime, action: str = "test.event") -> list[int]:
    """Events about the prisoner at A, at the times given (as a spooled writer would)."""
    events = append_events(
        [
            PendingEvent(
                action=action,
                actor=Actor.system("test"),
                occurred_at=moment,
                subject_kind="people.prisoner",
                subject_id=str(estate.prisoner_a.pk),
                subject_label=str(estate.prisoner_a),
                establishment_id=estate.a.pk,
            )
            for moment in moments
        ],
        keep=True,
    )
    return [event.seq for event in events]


def tamper(statement: str, params: list[Any]) -> None:
    """Change the log behind the application's back, as a database administrator could."""
    guards.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
    finally:
        guards.install(connection)


def downloaded(response: Any) -> str:
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


# --- search -------------------------------------------------------------------------------


def test_it_shows_security_staff_their_establishments_events_only(
    security_a: Client, security_b: Client, log: Estate
) -> None:
    assert listed(security_a.get(SEARCH)) == newest_first(establishment=log.a)
    assert listed(security_b.get(SEARCH)) == newest_first(establishment=log.b)
    assert not set(listed(security_a.get(SEARCH, {"prisoner": "B2345CD"})))


def test_it_lists_the_newest_first_with_what_happened(security_a: Client, log: Estate) -> None:
    content = security_a.get(SEARCH).content.decode()
    alert = AuditEvent.objects.get(action="people.alert.add", subject_label__contains="A1234BC")
    assert f'href="/staff/audit/events/{alert.seq}/"' in content
    assert "people.alert.add" in content
    assert "Alan Ashdown (A1234BC)" in content
    assert "clerk.a" in content
    assert "RVS" not in content


def test_it_shows_the_estate_admin_events_without_an_establishment(
    client_admin: Client, security_a: Client, log: Estate
) -> None:
    created = AuditEvent.objects.filter(action="accounts.staff.create", establishment=None)
    assert created.exists()
    everything = listed(client_admin.get(SEARCH))
    assert everything == newest_first()[:PER_PAGE]
    assert set(created.values_list("seq", flat=True)) <= set(everything)
    event = created.first()
    assert event is not None
    assert client_admin.get(f"/staff/audit/events/{event.seq}/").status_code == 200
    assert security_a.get(f"/staff/audit/events/{event.seq}/").status_code == 404


SEARCHES: list[tuple[dict[str, str], Callable[[Estate], dict[str, Any]]]] = [
    (
        {"prisoner": "a1234bc"},
        lambda e: {"subject_kind": "people.prisoner", "subject_id": str(e.prisoner_a.pk)},
    ),
    ({"actor": "clerk.b"}, lambda e: {"actor_label": "clerk.b"}),
    ({"action": "people.alert.add"}, lambda e: {"action": "people.alert.add"}),
    ({"action": "People."}, lambda e: {"action__startswith": "people."}),
    ({"establishment": "RVS"}, lambda e: {"establishment": e.b}),
    (
        {"prisoner": "A1234BC", "action": "people.alert."},
        lambda e: {"subject_id": str(e.prisoner_a.pk), "action__startswith": "people.alert."},
    ),
]


@pytest.mark.parametrize(("query", "expected"), SEARCHES, ids=lambda v: str(v))
def test_it_searches_by_each_filter(
    security_both: Client,
    log: Estate,
    query: dict[str, str],
    expected: Callable[[Estate], dict[str, Any]],
) -> None:
    wanted = newest_first(establishment__in=[log.a, log.b], **expected(log))
    assert wanted, "the search must find something"
    assert wanted != newest_first(establishment__in=[log.a, log.b]), "and leave something out"
    assert listed(security_both.get(SEARCH, query)) == wanted


def test_it_searches_a_time_range(security_a: Client, log: Estate) -> None:
    before, during, late, after = recorded_at(
        log, at(26, 23, 30), at(27, 10), at(27, 23, 59), at(28, 0, 30)
    )
    assert listed(security_a.get(SEARCH, {"since": "27/3/2025", "until": "27/3/2025"})) == [
        late,
        during,
    ]
    assert (
        listed(security_a.get(SEARCH, {"since": "2025-03-27T09:00", "until": "27/3/2025 10:00"}))
        == []
    )
    assert listed(
        security_a.get(SEARCH, {"since": "27/3/2025 09:00", "until": "27/3/2025 10:01"})
    ) == [during]
    since_28th = listed(security_a.get(SEARCH, {"since": "28/3/2025"}))
    assert after in since_28th and during not in since_28th
    assert listed(security_a.get(SEARCH, {"until": "27/03/25"})) == [late, during, before]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "yesterday"}, "Enter the ‘from’ date as a real date"),
        ({"until": "31/2/2025"}, "Enter the ‘to’ date as a real date"),
        ({"since": "28/3/2025", "until": "27/3/2025 12:00"}, "must be after the ‘from’ date"),
        ({"since": "27/3/2025 10:00", "until": "27/3/2025 10:00"}, "must be after the ‘from’ date"),
        ({"prisoner": "12345"}, "Enter a prison number in the right format"),
        ({"action": "people alert"}, "Enter an action such as people.alert.add"),
        ({"establishment": "RVS"}, "Choose an establishment from the list"),
    ],
)
def test_it_explains_a_search_it_cannot_make(
    security_a: Client, log: Estate, query: dict[str, str], message: str
) -> None:
    response = security_a.get(SEARCH, query)
    content = response.content.decode()
    assert response.status_code == 200
    assert response.context["page"] is None  # no results that quietly ignore a filter
    assert "There is a problem" in content
    assert message in content
    assert "<title>Error: Audit log" in content


def test_it_pages_through_many_events_by_their_place_in_the_chain(
    security_a: Client, log: Estate
) -> None:
    recorded_at(log, *[at(27, 9, minute) for minute in range(PER_PAGE + 5)])
    everything = newest_first(establishment=log.a)
    first = security_a.get(SEARCH)
    assert listed(first) == everything[:PER_PAGE]
    page = first.context["page"]
    assert page.newer_than is None
    assert f"?before={page.older_than}" in first.content.decode()
    second = security_a.get(SEARCH, {"before": page.older_than})
    assert listed(second) == everything[PER_PAGE:]
    assert second.context["page"].older_than is None
    back = security_a.get(SEARCH, {"after": second.context["page"].newer_than})
    assert listed(back) == everything[:PER_PAGE]


def test_it_links_to_the_audit_log_only_for_those_who_may_search_it(
    client_a: Client, security_a: Client, client_admin: Client, log: Estate
) -> None:
    link = 'href="/staff/audit/"'
    assert link in security_a.get("/staff/").content.decode()
    assert link in client_admin.get("/staff/").content.decode()
    assert link not in client_a.get("/staff/").content.decode()


# --- one event --------------------------------------------------------------------------


def event_page(client: Client, seq: int) -> str:
    response = client.get(f"/staff/audit/events/{seq}/")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def an_event_at_a(log: Estate) -> AuditEvent:
    return record_event(
        "people.prisoner.update",
        actor=Actor.of_user(log.clerk_a),
        subject=log.prisoner_a,
        establishment=log.a,
        details={"family_name": ["Ashdon", "Ashdown"], "note": "é ✓"},
    )


def test_it_shows_an_event_with_its_place_in_the_chain(security_a: Client, log: Estate) -> None:
    previous, event = an_event_at_a(log), an_event_at_a(log)
    content = event_page(security_a, event.seq)
    assert "Prisoner details updated" in content
    assert "people.prisoner.update" in content
    assert '["Ashdon","Ashdown"]' in content
    assert event.hash in content and event.prev_hash in content
    assert 'href="/staff/prisoners/A1234BC/"' in content  # what it is about
    assert "None yet: this is the newest event in the log" in content
    assert f'href="/staff/audit/events/{previous.seq}/"' in content
    assert "wicketgate audit verify" in content


def test_it_names_but_does_not_link_a_neighbour_the_user_cannot_see(
    security_a: Client, log: Estate
) -> None:
    event = an_event_at_a(log)
    do_add_alert(log.prisoner_b, "GANG", actor=Actor.of_user(log.clerk_b))
    content = event_page(security_a, event.seq)
    assert f"Event {event.seq + 1}, which is not one you can see" in content
    assert f'href="/staff/audit/events/{event.seq + 1}/"' not in content


def test_it_gives_a_404_for_an_event_of_another_establishment(
    security_a: Client, security_b: Client, log: Estate
) -> None:
    at_b = AuditEvent.objects.filter(establishment=log.b).first()
    assert at_b is not None
    assert security_a.get(f"/staff/audit/events/{at_b.seq}/").status_code == 404
    assert security_b.get(f"/staff/audit/events/{at_b.seq}/").status_code == 200
    assert security_a.get("/staff/audit/events/999999/").status_code == 404


def test_it_says_an_untouched_event_is_verified(security_a: Client, log: Estate) -> None:
    event = an_event_at_a(log)
    assert "Not yet covered by a checkpoint" in event_page(security_a, event.seq)
    record_event("test.later", actor=SETUP)
    checkpoint = sign_checkpoint(force=True)
    assert checkpoint is not None
    content = event_page(security_a, event.seq)
    assert "Verified" in content
    assert f"checkpoint at event {checkpoint.seq}" in content
    assert "DOES NOT VERIFY" not in content


def test_it_says_an_edited_event_does_not_verify(security_a: Client, log: Estate) -> None:
    before, event = an_event_at_a(log), an_event_at_a(log)
    sign_checkpoint(force=True)
    tamper(
        "UPDATE audit_auditevent SET details_json = %s WHERE seq = %s",
        ['{"family_name":["Ashdon","Smith"]}', event.seq],
    )
    content = event_page(security_a, event.seq)
    assert "DOES NOT VERIFY: its content no longer matches its hash" in content
    assert "Verified" not in content
    # Nor can the one before it be vouched for, since the chain to the checkpoint breaks.
    assert f"is broken at event {event.seq}" in event_page(security_a, before.seq)


def test_it_says_an_event_whose_hash_was_recomputed_no_longer_links(
    security_a: Client, log: Estate
) -> None:
    event = an_event_at_a(log)
    following = an_event_at_a(log)
    sign_checkpoint(force=True)
    tamper("UPDATE audit_auditevent SET hash = %s WHERE seq = %s", ["ab" * 32, event.seq])
    assert "DOES NOT VERIFY: its content no longer matches its hash" in event_page(
        security_a, event.seq
    )
    assert f"DOES NOT VERIFY: it no longer links to event {event.seq}" in event_page(
        security_a, following.seq
    )


def test_it_says_a_forged_checkpoint_does_not_verify(security_a: Client, log: Estate) -> None:
    event = an_event_at_a(log)
    checkpoint = sign_checkpoint(force=True)
    assert checkpoint is not None
    tamper(
        "UPDATE audit_auditcheckpoint SET signature = %s WHERE seq = %s",
        ["00" * 64, checkpoint.seq],
    )
    content = event_page(security_a, event.seq)
    assert "DOES NOT VERIFY: the checkpoint at event" in content
    assert "is not signed by this installation’s key" in content


# --- a prisoner's timeline ------------------------------------------------------------------


def test_it_shows_a_prisoners_activity_only(security_a: Client, log: Estate) -> None:
    response = security_a.get(TIMELINE)
    shown = [event.seq for _day, events in response.context["days"] for event in events]
    assert shown == newest_first(subject_kind="people.prisoner", subject_id=str(log.prisoner_a.pk))
    content = response.content.decode()
    assert "Alert added" in content and "Incentive level reviewed" in content
    assert "GANG" not in content  # the other prisoner's alert


def test_it_groups_the_timeline_by_day(security_a: Client, log: Estate) -> None:
    recorded_at(log, at(26, 9), at(27, 10), at(27, 11))
    response = security_a.get(TIMELINE)
    days = {day: [event.seq for event in events] for day, events in response.context["days"]}
    assert len(days[dt.date(2025, 3, 27)]) == 2
    assert len(days[dt.date(2025, 3, 26)]) == 1
    content = response.content.decode()
    assert content.index("Thursday 27 March 2025") < content.index("Wednesday 26 March 2025")


def test_it_keeps_events_with_the_establishment_they_happened_at_after_a_transfer(
    security_a: Client, security_b: Client, log: Estate
) -> None:
    do_transfer_prisoner(log.prisoner_a, log.b, location=log.b_cell, actor=SETUP)
    assert security_a.get(TIMELINE).status_code == 404  # no longer one of A's prisoners
    response = security_b.get(TIMELINE)
    events = [event for _day, events in response.context["days"] for event in events]
    assert events and all(event.establishment_id == log.b.pk for event in events)
    assert "people.alert.add" not in [event.action for event in events]


def test_it_gives_a_404_for_another_establishments_prisoner(
    security_b: Client, log: Estate
) -> None:
    assert security_b.get(TIMELINE).status_code == 404


def test_it_links_the_profile_to_the_timeline_for_security_staff_only(
    client_a: Client, security_a: Client, log: Estate
) -> None:
    link = f'href="{TIMELINE}"'
    assert link in security_a.get("/staff/prisoners/A1234BC/").content.decode()
    assert link not in client_a.get("/staff/prisoners/A1234BC/").content.decode()


# --- export -------------------------------------------------------------------------------


def test_it_exports_the_scoped_selection_as_json_lines(security_a: Client, log: Estate) -> None:
    wanted = sorted(newest_first(establishment=log.a, action__startswith="people."))
    response = security_a.post(EXPORT, {"action": "people.", "format": "jsonl"})
    assert re.fullmatch(
        r'attachment; filename="wicketgate-audit-\d{8}T\d{6}Z\.jsonl"',
        response["Content-Disposition"],
    )
    manifest, *events = [json.loads(line) for line in downloaded(response).splitlines()]
    assert manifest["type"] == "export"
    assert manifest["exported_by"] == "security.a"
    assert manifest["filters"] == {"action": "people."}
    assert manifest["events"] == len(wanted)
    assert [event["seq"] for event in events] == wanted
    assert all(event["establishment_id"] == log.a.pk for event in events)
    checkpoint = manifest["checkpoint"]
    signed_at = dt.datetime.strptime(checkpoint["signed_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=dt.UTC
    )
    assert signature_is_valid(
        private_key().public_key(),
        checkpoint_message(checkpoint["seq"], checkpoint["head_hash"], signed_at),
        checkpoint["signature"],
    )
    assert checkpoint["seq"] >= wanted[-1]


def test_it_records_the_export_in_the_audit_log(security_a: Client, log: Estate) -> None:
    downloaded(security_a.post(EXPORT, {"prisoner": "A1234BC", "format": "jsonl"}))
    export = AuditEvent.objects.get(action="audit.export")
    assert export.actor_label == "security.a"
    assert export.details["filters"] == {"prisoner": "A1234BC"}
    assert export.details["format"] == "jsonl"
    assert export.details["events"] == len(
        newest_first(subject_kind="people.prisoner", subject_id=str(log.prisoner_a.pk))
    )


def test_it_exports_only_the_users_establishments(security_a: Client, log: Estate) -> None:
    _manifest, *events = [
        json.loads(line)
        for line in downloaded(security_a.post(EXPORT, {"format": "jsonl"})).splitlines()
    ]
    assert [event["seq"] for event in events] == sorted(newest_first(establishment=log.a))


def test_it_exports_csv_with_the_manifest_in_a_header(security_a: Client, log: Estate) -> None:
    response = security_a.post(EXPORT, {"establishment": "NGT", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].endswith('.csv"')
    manifest = json.loads(response[MANIFEST_HEADER])
    assert manifest["checkpoint"]["seq"] >= 1
    assert manifest["filters"] == {"establishment": "NGT"}
    rows = list(csv.DictReader(io.StringIO(downloaded(response))))
    assert [int(row["seq"]) for row in rows] == sorted(newest_first(establishment=log.a))
    assert manifest["events"] == len(rows)


def test_it_exports_nothing_for_a_search_it_cannot_make(security_a: Client, log: Estate) -> None:
    response = security_a.post(EXPORT, {"since": "not a date", "format": "jsonl"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_it_needs_the_forms_csrf_token_to_export(log: Estate) -> None:
    client = sign_in_staff(Client(enforce_csrf_checks=True), security_officer("sec.x", log.a))
    assert client.post(EXPORT, {"format": "jsonl"}).status_code == 403
    assert not AuditEvent.objects.filter(action="audit.export").exists()
    page = client.get(SEARCH).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = client.post(EXPORT, {"format": "jsonl", "csrfmiddlewaretoken": token.group(1)})
    assert downloaded(response).startswith('{"type": "export"')
    assert AuditEvent.objects.filter(action="audit.export", actor_label="sec.x").exists()
