"""The `wicketgate conduct sanction` contract other tools depend on."""

from __future__ import annotations

import getpass
import json

import pytest
from click.testing import CliRunner

from wicketgate.audit.models import AuditEvent
from wicketgate.cli import main
from wicketgate.conduct.models import Sanction
from wicketgate.conduct.tests.conftest import incident_in
from wicketgate.policy.engine import Engine
from wicketgate.testing.personas import Estate

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["conduct", "sanction", *args])
    return result.exit_code, result.stdout, result.stderr


def test_add_prints_the_id_alone_and_audits_the_os_user(world: Estate) -> None:
    code, out, _ = run(
        "add", "--prisoner", "a1234bc", "--service", "web", "--days", "14", "--reason", "Misuse"
    )
    assert code == 0 and out.strip().isdigit()
    given = Sanction.objects.get(pk=int(out))
    assert (given.service, given.days, given.categories, given.state()) == (
        "web",
        14,
        [],
        "in_force",
    )
    event = AuditEvent.objects.get(action="conduct.sanction.add")
    assert (event.actor_kind, event.actor_label) == ("operator", getpass.getuser())
    assert json.loads(event.details_json)["sanction"] == given.pk
    assert not Engine(refresh_every=0).decide("A1234BC", "https://www.bbc.co.uk/").allowed


def test_add_with_categories_an_incident_and_a_member_of_staff(world: Estate) -> None:
    incident = incident_in(world.prisoner_a)
    code, out, _ = run(
        "add",
        "--prisoner",
        "A1234BC",
        "--service",
        "web",
        "--categories",
        "news,EDUCATION",
        "--days",
        "5",
        "--reason",
        "Proved",
        "--incident",
        incident.reference,
        "--by",
        world.clerk_a.username,
    )
    assert code == 0
    given = Sanction.objects.get(pk=int(out))
    assert given.categories == ["EDUCATION", "NEWS"] and given.incident == incident
    event = AuditEvent.objects.get(action="conduct.sanction.add")
    assert (event.actor_kind, event.actor_label) == ("staff", world.clerk_a.username)
    assert given.given_by == world.clerk_a.username


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prisoner", "Z9999ZZ", "--service", "web", "--days", "3"], "no such prisoner"),
        (["--prisoner", "A1234BC", "--service", "web", "--days", "43"], "days 43: the most"),
        (["--prisoner", "A1234BC", "--service", "tv", "--days", "3"], "--service tv: expected"),
        (
            ["--prisoner", "A1234BC", "--service", "web", "--days", "3", "--categories", "CHESS"],
            "no category CHESS",
        ),
        (
            ["--prisoner", "A1234BC", "--service", "web", "--days", "3", "--by", "nobody"],
            "--by nobody: no active member of staff",
        ),
        (
            ["--prisoner", "A1234BC", "--service", "web", "--days", "3", "--incident", "INC-404"],
            "no such incident",
        ),
    ],
)
def test_bad_input_is_a_clear_error_and_records_nothing(
    world: Estate, args: list[str], message: str
) -> None:
    events = AuditEvent.objects.count()
    code, out, err = run("add", *args, "--reason", "r")
    assert code == 1 and out == ""
    assert err.startswith("wicketgate: ") and message in err
    assert not Sanction.objects.exists() and AuditEvent.objects.count() == events


def test_quash_lifts_it_and_refuses_twice(world: Estate) -> None:
    _, out, _ = run(
        "add", "--prisoner", "A1234BC", "--service", "video", "--days", "3", "--reason", "r"
    )
    code, out2, _ = run("quash", out.strip(), "--reason", "Appeal allowed")
    assert code == 0 and out2.strip() == f"quashed SAN-{int(out)}"
    assert Sanction.objects.get(pk=int(out)).state() == "quashed"
    code, _, err = run("quash", f"SAN-{int(out)}", "--reason", "again")
    assert code == 1 and "already quashed" in err
    code, _, err = run("quash", "12345", "--reason", "x")
    assert code == 1 and "no sanction 12345" in err


def test_list_shows_what_is_current(world: Estate) -> None:
    run("add", "--prisoner", "A1234BC", "--service", "phone", "--days", "3", "--reason", "r")
    code, out, _ = run("list")
    assert code == 0
    number, prisoner, restricts, state, _ends = out.strip().split("\t")
    assert (prisoner, restricts, state) == ("A1234BC", "Phone calls", "in_force")
