"""The conduct pages: incidents and their adjudication, sanctions, alerts and their
triggers, a prisoner's conduct record, and the prisoner's own "My sanctions" and appeal.

Who may open each staff page and send each staff form (owner, outsider, estate admin,
roles without the action, anonymous, prisoner, family) is in test_access.py, through
endpoints.CONDUCT; here, what the pages say and do.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from django.test import Client
from django.utils import timezone

from wicketgate.accounts.models import StaffMembership, User
from wicketgate.accounts.roles import Action, StaffRole
from wicketgate.accounts.scoping import actions_somewhere, may_somewhere
from wicketgate.audit.models import AuditEvent
from wicketgate.conduct.actions import do_add_sanction, do_move_incident
from wicketgate.conduct.alerts import trigger_for
from wicketgate.conduct.codes import TRANSITIONS, AlertStatus, Status
from wicketgate.conduct.models import AlertTrigger, ConductAlert, Incident, Sanction
from wicketgate.conduct.tests import data as conduct_data
from wicketgate.conduct.tests.endpoints import CONDUCT
from wicketgate.people.models import Prisoner
from wicketgate.testing.endpoints import Endpoint
from wicketgate.testing.personas import SETUP, Estate, staff_client

INCIDENTS = "/staff/conduct/incidents/"
REPORT = f"{INCIDENTS}new"
ALERTS = "/staff/conduct/alerts/"
SANCTIONS = "/staff/conduct/sanctions/"
TRIGGERS = "/staff/establishments/NGT/alert-triggers/"
CONDUCT_RECORD = "/staff/prisoners/A1234BC/conduct/"
MY_SANCTIONS = "/portal/sanctions/"


class Unchanged:
    """Counts the rows a refused change must not write."""

    MODELS = (Incident, Sanction, ConductAlert, AlertTrigger, AuditEvent)

    def __enter__(self) -> Unchanged:
        self.before = [model.objects.count() for model in self.MODELS]
        return self

    def __exit__(self, *exc: Any) -> None:
        after = [model.objects.count() for model in self.MODELS]
        assert after == self.before, "a refused change wrote to the database"


@pytest.fixture
def governor(estate: Estate) -> Client:
    """A governor at A: hears adjudications and gives sanctions there."""
    return staff_client(estate, "governor.a", StaffRole.GOVERNOR)


def text(response: Any) -> str:
    """The page's text without tags or runs of space, for reading what it says."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def error_for(response: Any, field_id: str) -> str:
    """The error message shown against the control with this id, or ''."""
    match = re.search(
        rf'<p id="{re.escape(field_id)}_error" class="govuk-error-message">(.*?)</p>',
        response.content.decode(),
        re.DOTALL,
    )
    return " ".join(re.sub(r"<[^>]+>", " ", match[1]).split()) if match else ""


def steps_offered(response: Any) -> set[str]:
    """The statuses the page's forms would move the incident to."""
    content = response.content.decode()
    return {
        value
        for tag in re.findall(r"<input[^>]*name=\"to\"[^>]*>", content)
        for value in re.findall(r'value="([^"]+)"', tag)
    }


def report_data(estate: Estate, *, ago: dt.timedelta, **changes: Any) -> dict[str, Any]:
    when = timezone.localtime() - ago
    return {
        "prisoner": "A1234BC",
        "occurred_on_day": when.day,
        "occurred_on_month": when.month,
        "occurred_on_year": when.year,
        "occurred_time": f"{when:%H:%M}",
        "location": "",
        "service": "web",
        "summary": "Tried news sites during a sanction",
        "description": "Tried the BBC eleven times in ten minutes.",
        "evidence": "",
        "late_reason": "",
        **changes,
    }


def youth_at_a(estate: Estate) -> Prisoner:
    """Someone at A who is 17: the YOI limits apply."""
    today = timezone.localdate()
    return Prisoner.objects.create(
        prison_number="Y1234YZ",
        given_name="Yusuf",
        family_name="Young",
        date_of_birth=today - relativedelta(years=17, days=30),
        establishment=estate.a,
        location=estate.a_cell,
        security_category="B",
        incentive_level="STD",
        legal_status="SENTENCED",
    )


# --- every page ---------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", [e for e in CONDUCT if e.method == "get"], ids=str)
def test_it_renders_each_page_for_its_role_and_hides_it_from_the_other_establishment(
    estate: Estate, endpoint: Endpoint, client_b: Client
) -> None:
    owner = staff_client(estate, "owner.a", endpoint.role)
    url, _data = endpoint.build(estate)
    response = owner.get(url)
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">' in response.content.decode()
    if endpoint.scoped:
        assert client_b.get(url).status_code == 404


# --- reporting an incident ----------------------------------------------------------------


def test_it_reports_an_incident(client_a: Client, estate: Estate) -> None:
    evidence = conduct_data.refused_request(estate)
    response = client_a.post(
        REPORT,
        report_data(
            estate, ago=dt.timedelta(hours=2), location=estate.a_cell.pk, evidence=str(evidence.seq)
        ),
    )
    incident = Incident.objects.get()
    assert response["Location"] == f"{INCIDENTS}{incident.pk}/"
    assert incident.prisoner == estate.prisoner_a
    assert incident.location == estate.a_cell
    assert incident.evidence == [evidence.seq]
    assert incident.reported_by == "clerk.a"
    assert not incident.is_late
    assert AuditEvent.objects.filter(action="conduct.incident.report").count() == 1
    page = text(client_a.get(response["Location"]))
    assert f"{incident.reference} reported: Tried news sites during a sanction" in page
    assert "Within the 2 days the rules allow" in page


def test_it_refuses_a_late_incident_without_a_reason(client_a: Client, estate: Estate) -> None:
    with Unchanged():
        response = client_a.post(REPORT, report_data(estate, ago=dt.timedelta(days=3)))
    assert response.status_code == 200
    assert error_for(response, "id_late_reason").endswith(
        "This happened more than 2 days ago. Incidents must be reported within 2 days: say "
        "why it is being reported late"
    )
    # The rule is explained beside the field before anyone gets it wrong.
    assert "reported within 2 days (48 hours) of it happening" in text(client_a.get(REPORT))


def test_it_records_a_late_incident_with_its_reason(client_a: Client, estate: Estate) -> None:
    response = client_a.post(
        REPORT,
        report_data(estate, ago=dt.timedelta(days=4), late_reason="Found on the weekly review"),
    )
    incident = Incident.objects.get()
    assert incident.is_late
    assert incident.late_reason == "Found on the weekly review"
    page = text(client_a.get(response["Location"]))
    assert "Reported late" in page
    assert "Why it is late: Found on the weekly review" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"prisoner": "B2345CD"}, "id_prisoner", "nobody with prison number B2345CD"),
        ({"prisoner": "12345"}, "id_prisoner", "in the right format"),
        ({"occurred_time": "25:00"}, "id_occurred_time", "hours and minutes"),
        ({"evidence": "12, twelve"}, "id_evidence", "“twelve” is not one"),
        ({"evidence": "999999"}, "id_evidence", "No audit event 999999"),
        ({"summary": ""}, "id_summary", "Enter a summary"),
    ],
)
def test_it_shows_what_is_wrong_with_a_report_against_its_field(
    client_a: Client, estate: Estate, changes: dict[str, Any], field: str, message: str
) -> None:
    with Unchanged():
        response = client_a.post(REPORT, report_data(estate, ago=dt.timedelta(hours=1), **changes))
    assert response.status_code == 200
    assert message in error_for(response, field)


def test_it_refuses_a_place_at_another_establishment(client_admin: Client, estate: Estate) -> None:
    with Unchanged():
        response = client_admin.post(
            REPORT, report_data(estate, ago=dt.timedelta(hours=1), location=estate.b_cell.pk)
        )
    # Only the prisoner's establishment's places are offered once the prisoner is known.
    assert "Choose a place from the list" in error_for(response, "id_location")


def test_it_does_not_let_the_outsider_report_on_anothers_prisoner(
    client_b: Client, estate: Estate
) -> None:
    with Unchanged():
        response = client_b.post(REPORT, report_data(estate, ago=dt.timedelta(hours=1)))
    assert "nobody with prison number A1234BC" in error_for(response, "id_prisoner")


def test_it_prefills_the_prisoner_from_their_conduct_record(
    client_a: Client, estate: Estate
) -> None:
    record = client_a.get(CONDUCT_RECORD).content.decode()
    assert f'href="{REPORT}?prisoner=A1234BC"' in record
    form = client_a.get(f"{REPORT}?prisoner=A1234BC").content.decode()
    assert 'name="prisoner" value="A1234BC"' in form
    assert "NGT-A-1-01 – Cell" in form  # the places of the prisoner's establishment
    assert "RVS-H-01" not in form


# --- the incident list ------------------------------------------------------------------------


def test_it_lists_open_incidents_first_and_filters_them(client_a: Client, estate: Estate) -> None:
    closed = conduct_data.incident(estate, Status.DISMISSED)
    opened = conduct_data.incident(estate, Status.REPORTED)
    conduct_data.incident(estate, Status.REPORTED, prisoner=estate.prisoner_b)  # at B
    page = text(client_a.get("/staff/conduct/"))
    assert page.index(opened.reference) < page.index(closed.reference)
    assert "Showing 1 to 2 of 2 incidents" in page
    open_only = text(client_a.get("/staff/conduct/?status=open&prisoner=&service="))
    assert opened.reference in open_only
    assert closed.reference not in open_only
    by_service = text(client_a.get("/staff/conduct/?service=video"))
    assert "No incidents found" in by_service


# --- adjudication ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(Status))
def test_it_offers_exactly_the_steps_the_state_machine_allows(
    governor: Client, estate: Estate, status: str
) -> None:
    incident = conduct_data.incident(estate, status)
    response = governor.get(f"{INCIDENTS}{incident.pk}/")
    assert steps_offered(response) == set(TRANSITIONS[status])


def test_it_offers_a_wing_officer_only_the_appeal(client_a: Client, estate: Estate) -> None:
    reported = conduct_data.incident(estate)
    assert steps_offered(client_a.get(f"{INCIDENTS}{reported.pk}/")) == set()
    proved = conduct_data.incident(estate, Status.PROVED)
    assert steps_offered(client_a.get(f"{INCIDENTS}{proved.pk}/")) == {Status.APPEALED}
    with Unchanged():
        response = client_a.post(f"{INCIDENTS}{reported.pk}/move", {"to": "referred", "notes": ""})
    assert response.status_code == 404


def test_it_refuses_an_illegal_move_with_the_reason(governor: Client, estate: Estate) -> None:
    incident = conduct_data.incident(estate)
    with Unchanged():
        response = governor.post(
            f"{INCIDENTS}{incident.pk}/move", {"to": "proved", "notes": "Seen on CCTV"}, follow=True
        )
    assert (
        f"{incident.reference} is reported: it cannot become proved "
        "(it can become: hearing scheduled, referred to the independent adjudicator)"
    ) in text(response)
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED


def test_it_schedules_a_hearing_and_shows_it_in_the_history(
    governor: Client, estate: Estate
) -> None:
    incident = conduct_data.incident(estate)
    response = governor.post(
        f"{INCIDENTS}{incident.pk}/move",
        {
            "to": "hearing_scheduled",
            "hearing_on_day": "3",
            "hearing_on_month": "12",
            "hearing_on_year": "2099",
            "hearing_time": "10:30",
        },
        follow=True,
    )
    incident.refresh_from_db()
    assert incident.status == Status.HEARING_SCHEDULED
    assert f"{timezone.localtime(incident.hearing_at):%Y-%m-%d %H:%M}" == "2099-12-03 10:30"
    page = text(response)
    assert f"{incident.reference} is now: hearing scheduled." in page
    assert "Incident reported by test-setup" in page
    assert "Hearing scheduled by governor.a" in page
    assert "Hearing on 3 December 2099, 10:30" in page


def test_it_needs_the_date_of_a_hearing(governor: Client, estate: Estate) -> None:
    incident = conduct_data.incident(estate)
    with Unchanged():
        response = governor.post(
            f"{INCIDENTS}{incident.pk}/move", {"to": "hearing_scheduled", "hearing_time": "10:00"}
        )
    assert response.status_code == 200
    assert "Enter the date of the hearing" in error_for(response, "hearing-hearing_on")


def test_it_needs_reasons_for_a_finding(governor: Client, estate: Estate) -> None:
    incident = conduct_data.incident(estate, Status.HEARING_SCHEDULED)
    with Unchanged():
        response = governor.post(f"{INCIDENTS}{incident.pk}/move", {"to": "proved", "notes": ""})
    assert "Give the reasons for the finding" in error_for(response, "finding-notes")
    governor.post(f"{INCIDENTS}{incident.pk}/move", {"to": "proved", "notes": "Admitted it"})
    incident.refresh_from_db()
    assert (incident.status, incident.finding_notes) == (Status.PROVED, "Admitted it")


def test_it_lodges_an_appeal_for_the_prisoner(client_a: Client, estate: Estate) -> None:
    incident = conduct_data.incident(estate, Status.PROVED)
    with Unchanged():
        response = client_a.post(f"{INCIDENTS}{incident.pk}/move", {"to": "appealed", "notes": ""})
    assert "Enter the grounds of the appeal" in error_for(response, "appeal-notes")
    client_a.post(f"{INCIDENTS}{incident.pk}/move", {"to": "appealed", "notes": "No witness"})
    incident.refresh_from_db()
    assert (incident.status, incident.appeal_reason) == (Status.APPEALED, "No witness")


def test_it_quashes_the_sanctions_of_a_charge_quashed_on_appeal(
    governor: Client, estate: Estate
) -> None:
    given = conduct_data.sanction(estate)
    incident = given.incident
    assert incident is not None
    do_move_incident(incident, Status.APPEALED, actor=SETUP, notes="Wrong person")
    governor.post(
        f"{INCIDENTS}{incident.pk}/move", {"to": "quashed", "notes": "CCTV shows someone else"}
    )
    given.refresh_from_db()
    assert given.state() == "quashed"
    page = text(governor.get(f"{INCIDENTS}{incident.pk}/"))
    assert "Quashed on appeal" in page
    assert "This adjudication is finished" in page


# --- sanctions ------------------------------------------------------------------------------


def sanction_data(**changes: Any) -> dict[str, Any]:
    return {"service": "web", "categories": ["NEWS"], "days": "14", "reason": "Misuse", **changes}


def test_it_gives_a_sanction_with_the_limits_beside_the_form(
    governor: Client, estate: Estate
) -> None:
    incident = conduct_data.incident(estate, Status.PROVED)
    url = f"{INCIDENTS}{incident.pk}/sanctions/new"
    page = governor.get(url).content.decode()
    assert "For an adult: loss of a privilege up to 42 days; suspended for up to 6 months." in page
    assert re.search(r'<input type="number" name="days"[^>]* max="42"', page)
    assert re.search(r'<input type="number" name="suspend_months"[^>]* max="6"', page)
    response = governor.post(url, sanction_data(), follow=True)
    given = Sanction.objects.get()
    assert (given.service, given.categories, given.days) == ("web", ["NEWS"], 14)
    assert given.state() == "in_force"
    assert given.incident == incident
    assert f"{given.reference} given: Web access to News from" in text(response)


def test_it_refuses_days_over_an_adults_limit(governor: Client, estate: Estate) -> None:
    incident = conduct_data.incident(estate, Status.PROVED)
    with Unchanged():
        response = governor.post(
            f"{INCIDENTS}{incident.pk}/sanctions/new", sanction_data(days="50")
        )
    assert response.status_code == 200
    assert "The most for A1234BC is 42 days (adult limit for loss of privileges)" in error_for(
        response, "id_days"
    )
    assert "For an adult: loss of a privilege up to 42 days" in text(response)


def test_it_refuses_days_over_a_young_persons_limit(governor: Client, estate: Estate) -> None:
    youth = youth_at_a(estate)
    incident = conduct_data.incident(estate, Status.PROVED, prisoner=youth)
    url = f"{INCIDENTS}{incident.pk}/sanctions/new"
    page = governor.get(url).content.decode()
    assert (
        "For a young person (YOI rules): loss of a privilege up to 21 days; suspended for up to "
        "4 months."
    ) in page
    assert re.search(r'<input type="number" name="days"[^>]* max="21"', page)
    assert "The stricter youth rules apply" in page
    with Unchanged():
        response = governor.post(url, sanction_data(days="22"))
    assert "The most for Y1234YZ is 21 days (YOI limit for loss of privileges)" in error_for(
        response, "id_days"
    )
    with Unchanged():
        response = governor.post(url, sanction_data(days="7", suspend_months="5"))
    assert "Between 1 and 4 for Y1234YZ (YOI limit)" in error_for(response, "id_suspend_months")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"service": "video"}, "id_categories", "Tick categories only when taking away web"),
        ({"service": "privileges", "categories": []}, "id_privilege", "which privilege"),
        ({"reason": ""}, "id_reason", "Enter the reason"),
        ({"days": "0"}, "id_days", "at least 1"),
        ({"starts_time": "09:00"}, "id_starts_on", "start date as well as the time"),
    ],
)
def test_it_shows_what_is_wrong_with_a_sanction_against_its_field(
    governor: Client, estate: Estate, changes: dict[str, Any], field: str, message: str
) -> None:
    incident = conduct_data.incident(estate, Status.PROVED)
    with Unchanged():
        response = governor.post(
            f"{INCIDENTS}{incident.pk}/sanctions/new", sanction_data(**changes)
        )
    assert message in error_for(response, field)


def test_it_gives_no_sanction_before_a_charge_is_proved(governor: Client, estate: Estate) -> None:
    incident = conduct_data.incident(estate, Status.HEARING_SCHEDULED)
    with Unchanged():
        response = governor.post(
            f"{INCIDENTS}{incident.pk}/sanctions/new", sanction_data(), follow=True
        )
    assert "sanctions are given only for a proved charge" in text(response)
    assert "Give a sanction" not in text(governor.get(f"{INCIDENTS}{incident.pk}/"))


def test_it_suspends_a_sanction_and_activates_it_for_another_charge(
    governor: Client, estate: Estate
) -> None:
    incident = conduct_data.incident(estate, Status.PROVED)
    governor.post(f"{INCIDENTS}{incident.pk}/sanctions/new", sanction_data(suspend_months="3"))
    suspended = Sanction.objects.get()
    assert suspended.state() == "suspended"
    charge = conduct_data.second_charge(estate)
    # The second charge's page offers to activate it.
    page = governor.get(f"{INCIDENTS}{charge.pk}/").content.decode()
    assert f"{SANCTIONS}{suspended.pk}/activate?incident={charge.pk}" in page
    form = governor.get(f"{SANCTIONS}{suspended.pk}/activate?incident={charge.pk}")
    # Any other proved charge may activate it, not the one it was given for.
    offered = re.findall(r'name="charge" type="radio" value="(\d+)"', form.content.decode())
    assert offered == [str(charge.pk)]
    assert re.search(rf'value="{charge.pk}" checked', form.content.decode())
    with Unchanged():
        refused = governor.post(
            f"{SANCTIONS}{suspended.pk}/activate", {"charge": charge.pk, "days": "15"}
        )
    assert "Between 1 and the 14 suspended" in error_for(refused, "id_days")
    response = governor.post(
        f"{SANCTIONS}{suspended.pk}/activate", {"charge": charge.pk, "days": "5"}
    )
    assert response["Location"] == f"{INCIDENTS}{charge.pk}/"
    suspended.refresh_from_db()
    assert suspended.state() == "in_force"
    assert suspended.activated_by == charge
    assert suspended.starts_at is not None and suspended.ends_at is not None
    assert suspended.ends_at - suspended.starts_at == dt.timedelta(days=5)


def test_it_quashes_a_sanction_with_a_reason(governor: Client, estate: Estate) -> None:
    given = conduct_data.sanction(estate)
    url = f"{SANCTIONS}{given.pk}/quash"
    with Unchanged():
        response = governor.post(url, {"reason": ""})
    assert "Enter why the sanction is quashed" in error_for(response, "id_reason")
    response = governor.post(url, {"reason": "Given for the wrong charge"}, follow=True)
    given.refresh_from_db()
    assert given.state() == "quashed"
    assert given.quash_reason == "Given for the wrong charge"
    assert given.quashed_by == "governor.a"
    assert f"{given.reference} quashed: it no longer applies." in text(response)
    assert AuditEvent.objects.filter(action="conduct.sanction.quash").count() == 1


# --- alerts ---------------------------------------------------------------------------------


def test_it_queues_open_alerts_with_their_evidence(security: Client, estate: Estate) -> None:
    alert = conduct_data.alert(estate)
    older = ConductAlert.objects.create(
        establishment=estate.a,
        prisoner=estate.prisoner_a,
        kind="unusual_hours",
        summary="Signed in on NGT-A-LAPTOP-01 at 02:10",
        first_seen_at=alert.first_seen_at - dt.timedelta(days=1),
        last_seen_at=alert.first_seen_at - dt.timedelta(days=1),
    )
    conduct_data.alert(estate, estate.prisoner_b)  # at B
    page = security.get(ALERTS).content.decode()
    assert "2 open alerts, the most recently seen first" in text(security.get(ALERTS))
    assert page.index(alert.reference) < page.index(older.reference)
    assert f'href="/staff/audit/events/{alert.evidence[0]}/"' in page
    assert f'href="{ALERTS}{alert.pk}/incident"' in page
    assert "B2345CD" not in page


def test_it_needs_a_reason_to_dismiss_an_alert(security: Client, estate: Estate) -> None:
    alert = conduct_data.alert(estate)
    url = f"{ALERTS}{alert.pk}/dismiss"
    with Unchanged():
        response = security.post(url, {"reason": "  "})
    assert "Enter why the alert needs no action" in error_for(response, "id_reason")
    response = security.post(url, {"reason": "Supervised class"})
    assert response["Location"] == ALERTS
    alert.refresh_from_db()
    assert (alert.status, alert.dismiss_reason, alert.closed_by) == (
        AlertStatus.DISMISSED,
        "Supervised class",
        "security.a",
    )
    assert "No open alerts" in text(security.get(ALERTS))
    assert security.get(url).status_code == 404  # nothing left to do


def test_it_makes_an_alert_an_incident(security: Client, estate: Estate) -> None:
    alert = conduct_data.alert(estate)
    url = f"{ALERTS}{alert.pk}/incident"
    form = security.get(url).content.decode()
    first = timezone.localtime(alert.first_seen_at)
    assert 'name="prisoner" value="A1234BC"' in form
    assert 'value="web" checked' in form
    assert f'name="occurred_time" value="{first:%H:%M}"' in form
    assert f'value="{alert.evidence[0]}, {alert.evidence[1]}"' in form
    data = report_data(estate, ago=dt.timedelta(hours=2), evidence="")
    data.update(
        occurred_on_day=first.day,
        occurred_on_month=first.month,
        occurred_on_year=first.year,
        occurred_time=f"{first:%H:%M}",
    )
    response = security.post(url, data)
    incident = Incident.objects.get()
    assert response["Location"] == f"{INCIDENTS}{incident.pk}/"
    alert.refresh_from_db()
    assert (alert.status, alert.incident) == (AlertStatus.INCIDENT, incident)
    assert incident.evidence == alert.evidence  # the alert's evidence comes with it
    assert "From alerts" in text(security.get(response["Location"]))


def test_it_keeps_an_alert_for_its_own_prisoner(security: Client, estate: Estate) -> None:
    alert = conduct_data.alert(estate)
    Prisoner.objects.create(
        prison_number="A7777AA",
        given_name="Owen",
        family_name="Other",
        date_of_birth=dt.date(1992, 3, 4),
        establishment=estate.a,
        security_category="C",
        incentive_level="STD",
        legal_status="REMAND",
    )
    with Unchanged():
        response = security.post(
            f"{ALERTS}{alert.pk}/incident",
            report_data(estate, ago=dt.timedelta(hours=1), prisoner="A7777AA"),
        )
    assert f"{alert.reference} is about another prisoner" in text(response)


def test_it_sets_an_establishments_own_alert_trigger(security: Client, estate: Estate) -> None:
    page = text(security.get(TRIGGERS))
    assert "5 or more blocked attempts at one category within 10 minutes" in page
    assert "Default" in page
    url = f"{TRIGGERS}repeated_blocked"
    with Unchanged():
        response = security.post(url, {"enabled": "yes", "threshold": "1", "window_minutes": "10"})
    assert "Enter a number from 2 to 1000" in error_for(response, "id_threshold")
    response = security.post(url, {"enabled": "yes", "threshold": "8", "window_minutes": "15"})
    assert response["Location"] == TRIGGERS
    own = trigger_for("repeated_blocked", estate.a.pk)
    assert (own.establishment, own.threshold, own.window_minutes) == (estate.a, 8, 15)
    event = AuditEvent.objects.get(action="conduct.trigger.change")
    assert event.establishment == estate.a
    assert event.details["after"]["threshold"] == 8
    assert "Set for HMP Northgate" in text(security.get(TRIGGERS))
    assert trigger_for("repeated_blocked", estate.b.pk).pk is None  # B keeps the default
    with Unchanged():
        security.post(url, {"enabled": "yes", "threshold": "8", "window_minutes": "15"})


def test_it_sets_quiet_hours(security: Client, estate: Estate) -> None:
    url = f"{TRIGGERS}unusual_hours"
    with Unchanged():
        response = security.post(
            url, {"enabled": "yes", "quiet_from": "22", "quiet_until": "06:00"}
        )
    assert "hours and minutes" in error_for(response, "id_quiet_from")
    security.post(url, {"enabled": "no", "quiet_from": "22:00", "quiet_until": "06:30"})
    own = trigger_for("unusual_hours", estate.a.pk)
    assert (own.enabled, own.quiet_from, own.quiet_until) == (
        False,
        dt.time(22, 0),
        dt.time(6, 30),
    )
    assert security.get(f"{TRIGGERS}no_such_kind").status_code == 404


# --- a prisoner's conduct record --------------------------------------------------------------


def test_it_shows_a_prisoners_conduct_in_time_order(security: Client, estate: Estate) -> None:
    given = conduct_data.sanction(estate)
    suspended = conduct_data.sanction(estate, suspended=True)
    alert = conduct_data.alert(estate)
    page = text(security.get(CONDUCT_RECORD))
    assert "Web access to News" in page
    assert "In force" in page
    assert f"{suspended.reference}" in page
    assert "Suspended sanctions another proved charge could activate" in page
    assert alert.reference in page
    # Newest first: the sanctions were given after the charge they were given for.
    timeline = page[page.index("Timeline") :]
    assert timeline.index(f"{given.reference}: Web access") < timeline.index("reported by")


def test_it_shows_alerts_on_the_record_only_to_those_who_review_them(
    client_a: Client, estate: Estate
) -> None:
    alert = conduct_data.alert(estate)
    assert alert.reference not in text(client_a.get(CONDUCT_RECORD))


@pytest.mark.parametrize("role", list(StaffRole))
def test_it_shows_each_link_of_the_navigation_to_whoever_may_use_it(
    estate: Estate, role: str
) -> None:
    user = User.objects.get(username="clerk.a")
    StaffMembership.objects.filter(user=user).update(role=role)
    expected = {action for action in Action if may_somewhere(user, action)}
    assert actions_somewhere(User.objects.get(pk=user.pk)) == expected
    assert actions_somewhere(estate.estate_admin) == set(Action)
    assert actions_somewhere(estate.prisoner_user) == set()


def test_it_links_the_conduct_pages_where_staff_look(
    client_a: Client, security: Client, estate: Estate
) -> None:
    profile = client_a.get("/staff/prisoners/A1234BC/").content.decode()
    assert f'href="{CONDUCT_RECORD}"' in profile
    home = client_a.get("/staff/").content.decode()
    assert 'href="/staff/conduct/"' in home
    assert f'href="{ALERTS}"' not in home  # wing officers do not review alerts
    security_home = security.get("/staff/").content.decode()
    assert f'href="{ALERTS}"' in security_home
    establishment = security.get("/staff/establishments/NGT/").content.decode()
    assert f'href="{TRIGGERS}"' in establishment


# --- the prisoner portal --------------------------------------------------------------------


def test_it_shows_a_prisoner_their_own_sanctions_in_plain_words(
    client_prisoner: Client, estate: Estate
) -> None:
    conduct_data.sanction(estate)
    incident = conduct_data.second_charge(estate)
    do_add_sanction(
        prisoner=estate.prisoner_a,
        incident=incident,
        service="video",
        days=7,
        reason="Misuse of a video call",
        actor=SETUP,
    )
    conduct_data.sanction(estate, suspended=True)
    other = Prisoner.objects.create(
        prison_number="A7777AA",
        given_name="Owen",
        family_name="Other",
        date_of_birth=dt.date(1992, 3, 4),
        establishment=estate.a,
        security_category="C",
        incentive_level="STD",
        legal_status="REMAND",
    )
    other_charge = conduct_data.incident(estate, Status.PROVED, prisoner=other, summary="Not mine")
    do_add_sanction(
        prisoner=other,
        incident=other_charge,
        service="phone",
        days=3,
        reason="Someone else's sanction",
        actor=SETUP,
    )
    page = text(client_prisoner.get(MY_SANCTIONS))
    assert "Web access to News sites" in page
    assert "Video calls — calls with your legal adviser are not affected" in page
    assert "Suspended until" in page
    assert "How to appeal" in page
    assert "Someone else's sanction" not in page
    assert "Not mine" not in page
    home = client_prisoner.get("/portal/").content.decode()
    assert f'href="{MY_SANCTIONS}"' in home


def test_it_keeps_past_sanctions_in_a_closed_list(client_prisoner: Client, estate: Estate) -> None:
    given = conduct_data.sanction(estate)
    Sanction.objects.filter(pk=given.pk).update(quashed_at=timezone.now(), quash_reason="Error")
    content = client_prisoner.get(MY_SANCTIONS).content.decode()
    assert "You have no sanctions now." in content
    assert re.search(
        r'<details class="govuk-details">.*Past sanctions \(1\).*Cancelled', content, re.S
    )


def test_it_lets_a_prisoner_appeal_a_proved_charge(client_prisoner: Client, estate: Estate) -> None:
    incident = conduct_data.sanction(estate).incident
    assert incident is not None
    url = f"/portal/sanctions/incidents/{incident.pk}/appeal"
    assert f'href="{url}"' in client_prisoner.get(MY_SANCTIONS).content.decode()
    with Unchanged():
        response = client_prisoner.post(url, {"grounds": ""})
    assert "Tell us why you think the decision was wrong" in error_for(response, "id_grounds")
    response = client_prisoner.post(url, {"grounds": "I was not on the wing that day."})
    assert response["Location"] == MY_SANCTIONS
    incident.refresh_from_db()
    assert incident.status == Status.APPEALED
    assert incident.appeal_reason == "I was not on the wing that day."
    event = AuditEvent.objects.get(action="conduct.incident.appealed")
    assert (event.actor_kind, event.details["notes"]) == ("prisoner", incident.appeal_reason)
    page = text(client_prisoner.get(MY_SANCTIONS))
    assert f"Your appeal against {incident.reference} has been sent." in page
    assert "You have appealed: waiting for the decision" in page
    # Once appealed, there is nothing more to appeal.
    assert client_prisoner.get(url)["Location"] == MY_SANCTIONS


def test_it_gives_a_prisoner_a_404_for_anothers_charge(
    client_prisoner: Client, estate: Estate
) -> None:
    theirs = conduct_data.incident(estate, Status.PROVED, prisoner=estate.prisoner_b)
    with Unchanged():
        response = client_prisoner.post(
            f"/portal/sanctions/incidents/{theirs.pk}/appeal", {"grounds": "Not me"}
        )
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["client_a", "client_admin", "client_family"])
def test_it_gives_staff_and_families_a_404_for_my_sanctions(
    who: str, estate: Estate, request: pytest.FixtureRequest
) -> None:
    incident = conduct_data.incident(estate, Status.PROVED)
    client = request.getfixturevalue(who)
    assert client.get(MY_SANCTIONS).status_code == 404
    assert client.get(f"/portal/sanctions/incidents/{incident.pk}/appeal").status_code == 404


def test_it_sends_an_anonymous_visitor_to_the_portal_sign_in(client_anon: Client) -> None:
    assert client_anon.get(MY_SANCTIONS)["Location"] == f"/portal/sign-in?next={MY_SANCTIONS}"


def test_it_asks_for_the_finding_when_none_is_chosen(governor: Client, estate: Estate) -> None:
    incident = conduct_data.incident(estate, Status.HEARING_SCHEDULED)
    with Unchanged():
        response = governor.post(
            f"{INCIDENTS}{incident.pk}/move", {"step": "finding", "notes": "Admitted it"}
        )
    assert response.status_code == 200
    assert "Choose the finding" in error_for(response, "finding-to")


def test_it_follows_a_transferred_prisoner_with_their_conduct_record(
    client_a: Client, estate: Estate
) -> None:
    from wicketgate.people.actions import do_transfer_prisoner

    incident = conduct_data.incident(estate, Status.HEARING_SCHEDULED)
    do_transfer_prisoner(estate.prisoner_a, estate.b, actor=SETUP)
    governor_b = staff_client(estate, "governor.b", StaffRole.GOVERNOR, where="b")
    governor_b.post(
        f"{INCIDENTS}{incident.pk}/move",
        {"step": "finding", "to": "proved", "notes": "Admitted it"},
    )
    page = text(governor_b.get(f"{INCIDENTS}{incident.pk}/"))
    # The whole history, what was recorded at A and what is recorded at B.
    assert "Incident reported by test-setup" in page
    assert "Found proved by governor.b" in page
    assert client_a.get(f"{INCIDENTS}{incident.pk}/").status_code == 404
