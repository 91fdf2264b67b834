from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from django.conf import settings
from django.utils import timezone

from wicketgate.accounts.models import ApiToken, User
from wicketgate.audit.models import AuditEvent
from wicketgate.cli import main
from wicketgate.demo.load import DEMO_BACKUP_CODES, DEMO_DEVICE_KEY, DEMO_PHONE_PIN
from wicketgate.people.models import Prisoner
from wicketgate.testing.personas import Estate


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("path", all_commands(main), ids=lambda p: " ".join(p) or "wicketgate")
def test_it_has_help_on_every_command(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output
    assert len(result.output.splitlines()) > 3


def test_it_exits_2_on_wrong_usage() -> None:
    assert CliRunner().invoke(main, ["import", "prisoners"]).exit_code == 2
    assert CliRunner().invoke(main, ["no-such-command"]).exit_code == 2


def test_it_creates_and_revokes_an_api_token(estate: Estate) -> None:
    result = CliRunner().invoke(
        main, ["token", "create", "clerk.a", "--name", "wing kiosk reports", "--by", "ops"]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    token = ApiToken.find(secret)
    assert token is not None and token.user == estate.clerk_a
    assert AuditEvent.objects.filter(action="accounts.api_token.create", actor_label="ops").exists()
    result = CliRunner().invoke(main, ["token", "revoke", token.key_id])
    assert result.exit_code == 0
    assert ApiToken.find(secret) is None
    assert CliRunner().invoke(main, ["token", "revoke", token.key_id]).exit_code == 1


def test_it_refuses_a_token_for_someone_who_is_not_staff(estate: Estate) -> None:
    result = CliRunner().invoke(main, ["token", "create", "family@example.org", "--name", "x"])
    assert result.exit_code == 1 and "no member of staff called family@example.org" in result.output


def test_it_adds_staff_with_roles_and_prints_backup_codes(estate: Estate) -> None:
    password = "a-long-enough-passphrase-9"
    result = CliRunner().invoke(
        main,
        ["staff", "add", "sec.a", "--role", "security@NGT", "--role", "governor@rvs"],
        input=f"{password}\n{password}\n",
    )
    assert result.exit_code == 0, result.output
    user = User.objects.get(username="sec.a")
    assert sorted(user.staff_memberships.values_list("establishment__code", "role")) == [
        ("NGT", "security"),
        ("RVS", "governor"),
    ]
    assert user.check_password(password)
    assert "Backup codes" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "security@XXX"], "expected ROLE@CODE with a known establishment code"),
        (["--role", "jester@NGT"], "unknown role 'jester'"),
        ([], "needs a role at an establishment"),
    ],
)
def test_it_refuses_bad_staff_and_creates_nothing(
    estate: Estate, args: list[str], message: str
) -> None:
    password = "a-long-enough-passphrase-9"
    result = CliRunner().invoke(
        main, ["staff", "add", "x.y", *args], input=f"{password}\n{password}\n"
    )
    assert result.exit_code == 1
    assert message in result.output
    assert not User.objects.filter(username="x.y").exists()


def test_it_refuses_a_weak_staff_password(estate: Estate) -> None:
    result = CliRunner().invoke(
        main, ["staff", "add", "x.y", "--role", "security@NGT"], input="password\npassword\n"
    )
    assert result.exit_code == 1
    assert "too common" in result.output or "too short" in result.output
    assert not User.objects.filter(username="x.y").exists()


def test_it_sets_a_prisoner_pin_and_refuses_a_guessable_one(estate: Estate) -> None:
    result = CliRunner().invoke(main, ["prisoner", "set-pin", "B2345CD"], input="1234\n1234\n")
    assert result.exit_code == 1 and "run like 1234" in result.output
    result = CliRunner().invoke(main, ["prisoner", "set-pin", "b2345cd"], input="7391\n7391\n")
    assert result.exit_code == 0, result.output
    assert estate.prisoner_b.account.user.check_password("7391")


def test_it_loads_the_same_demo_estate_every_time(db: None) -> None:
    first = CliRunner().invoke(main, ["demo", "load"])
    assert first.exit_code == 0, first.output
    numbers = list(
        Prisoner.objects.order_by("prison_number").values_list("prison_number", flat=True)
    )
    assert len(numbers) == 300
    assert set(Prisoner.objects.values_list("establishment__code", flat=True)) == {
        "NGT",
        "RVS",
        "WBK",
    }
    today = timezone.localdate()
    assert max(p.age_on(today) for p in Prisoner.objects.filter(establishment__code="WBK")) <= 21
    assert min(p.age_on(today) for p in Prisoner.objects.exclude(establishment__code="WBK")) >= 21
    assert "ngt.officer" in first.output and DEMO_BACKUP_CODES[0] in first.output
    second = CliRunner().invoke(main, ["demo", "load"])
    assert second.exit_code == 0
    assert (
        list(Prisoner.objects.order_by("prison_number").values_list("prison_number", flat=True))
        == numbers
    )
    last_import = AuditEvent.objects.filter(action="people.import").first()
    assert last_import is not None
    assert last_import.details["counts"]["unchanged"] == 300
    # Learning: a course with its class, a ZIM book of its own in the offline library
    # (approved as a catalogue site), the Northgate demo prisoner enrolled; made once.
    from wicketgate.learning.models import Book, Course, Enrolment

    assert Course.objects.filter(title="Functional Skills Maths").count() == 1
    assert Enrolment.objects.filter(status="enrolled").count() == 1
    book = Book.objects.get(name="functional-maths")
    assert book.site is not None and book.site.internal
    assert book.site in Course.objects.get().sites.all()
    assert "Functional Skills Maths at HMP Northgate" in second.output
    assert f"/{book.name}/ (for the course's learners)" in second.output
    # A device for each demo prisoner, which signs them in with the printed demo key.
    from wicketgate.gateway.actions import device_by_key
    from wicketgate.gateway.models import Device

    devices = list(
        Device.objects.exclude(kind__in=["suite", "phone"])
        .order_by("device_id")
        .values_list("device_id", flat=True)
    )
    assert len(devices) == 3 and all(device in second.output for device in devices)
    assert all(device_by_key(device, DEMO_DEVICE_KEY) is not None for device in devices)
    assert Device.objects.get(establishment__code="RVS", kind__in=["laptop", "kiosk"]).kind == (
        "laptop"
    )
    # Video calls: each suite with its terminal and daily sessions, and a call on now for the
    # first demo family member, booked once however often the demo loads.
    from wicketgate.calls.models import Booking, SessionTemplate

    terminals = Device.objects.filter(kind="suite")
    assert sorted(terminals.values_list("location__code", flat=True)) == [
        "NGT-VS1",
        "RVS-VS1",
        "WBK-VS1",
    ]
    assert SessionTemplate.objects.filter(active=True).count() == 3 * 7 * 3
    (call,) = Booking.objects.all()
    assert call.starts_at <= timezone.now() < call.ends_at
    assert call.main_caller.email == "fay.ashdown@example.org"
    assert "fay.ashdown@example.org and A1032CJ have a call" in second.output
    # Conduct records to look at, made once: a sanction in force, one suspended, and an
    # incident waiting for its hearing.
    from wicketgate.conduct.models import Incident, Sanction

    assert sorted(s.state() for s in Sanction.objects.all()) == ["in_force", "suspended"]
    assert sorted(Incident.objects.values_list("status", flat=True)) == ["proved", "reported"]
    assert "wicketgate conduct sanction add --prisoner" in second.output
    # Family members are contacts: approved, waiting for staff, waiting for the prisoner;
    # and a solicitor; made once.
    from wicketgate.contacts.models import ContactLink

    statuses = sorted(ContactLink.objects.values_list("status", flat=True))
    assert statuses == ["approved", "approved", "approved", "approved", "confirmed", "requested"]
    assert ContactLink.objects.filter(relationship="SOLICITOR").count() == 1
    # A phone list and credit for the first demo prisoner, made once; the legal number is
    # the solicitor's.
    from wicketgate.phone.models import CreditEntry, PhoneNumber

    listed = sorted(PhoneNumber.objects.values_list("kind", "status"))
    assert listed == [
        ("legal", "approved"),
        ("official", "approved"),
        ("social", "approved"),
        ("social", "requested"),
    ]
    legal = PhoneNumber.objects.get(kind="legal")
    assert legal.contact_link is not None and legal.contact_link.relationship == "SOLICITOR"
    assert list(CreditEntry.objects.values_list("balance_after", flat=True)) == [1000]
    assert "£10.00 of credit" in second.output
    # Her phone PIN, and a phone on her wing at this machine's address: a softphone here
    # signs in to Kamailio with what the welcome prints.
    from wicketgate.phone.actions import digest_ha1
    from wicketgate.phone.models import PhoneAccount

    (handset,) = Device.objects.filter(kind="phone")
    assert (handset.device_id, handset.address, handset.location.kind) == (
        "NGT-A-PHONE-1",
        "127.0.0.1",
        "WING",
    )
    account = PhoneAccount.objects.get()
    assert account.prisoner.prison_number == "A1032CJ"
    cell = account.prisoner.location
    assert cell is not None and cell.wing() == handset.location
    assert account.ha1 == digest_ha1("A1032CJ", account.realm, DEMO_PHONE_PIN)
    assert f"account sip:A1032CJ@{settings.WICKETGATE_PHONE_SIP_LISTEN}," in second.output
    assert f"password (phone PIN) {DEMO_PHONE_PIN}" in second.output


def wicketgate_in_a_fresh_process(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command as an operator runs it, on an SQLite database of its own in tmp_path."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("WICKETGATE_", "DATABASE_URL"))
    }
    return subprocess.run(  # our own command, our own arguments
        [str(Path(sys.executable).with_name("wicketgate")), *args],
        env={**clean, "WICKETGATE_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.slow
def test_a_command_on_a_database_without_its_schema_says_what_to_run(tmp_path: Path) -> None:
    (tmp_path / "e.yaml").write_text(
        "establishments:\n  - {code: XYZ, name: HMP Test, kind: local, youth: false}\n"
    )
    fresh = wicketgate_in_a_fresh_process(
        tmp_path, "import", "establishments", str(tmp_path / "e.yaml")
    )
    assert fresh.returncode == 1, fresh.stderr
    assert "Traceback" not in fresh.stderr
    assert "has no tables yet: run `wicketgate migrate` first" in fresh.stderr
    # Migrated, then one step back (an upgrade not migrated yet): said as such.
    assert wicketgate_in_a_fresh_process(tmp_path, "migrate").returncode == 0
    back = wicketgate_in_a_fresh_process(tmp_path, "manage", "migrate", "estate", "zero")
    assert back.returncode == 0, back.stderr
    behind = wicketgate_in_a_fresh_process(
        tmp_path, "import", "establishments", str(tmp_path / "e.yaml")
    )
    assert behind.returncode == 1 and "Traceback" not in behind.stderr
    assert "migration(s) behind: run `wicketgate migrate` first" in behind.stderr
    assert wicketgate_in_a_fresh_process(tmp_path, "migrate").returncode == 0
    done = wicketgate_in_a_fresh_process(
        tmp_path, "import", "establishments", str(tmp_path / "e.yaml")
    )
    assert done.returncode == 0, done.stderr


def test_a_failing_migrate_keeps_its_own_error(
    db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Not "run wicketgate migrate first" when it was migrate that failed."""
    from django.db.utils import OperationalError

    import wicketgate.lib.cli as lib_cli

    def locked(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr("django.core.management.call_command", locked)
    monkeypatch.setattr(lib_cli, "unapplied_migrations", lambda: 3)
    result = CliRunner().invoke(main, ["migrate"])
    assert isinstance(result.exception, OperationalError)
    assert "database is locked" in str(result.exception)
    # The same error from a command that needs the schema says what to run.
    monkeypatch.setattr("wicketgate.people.imports.reference_data", locked)
    (tmp_path / "p.csv").write_text("prison_number\n")
    refused = CliRunner().invoke(main, ["import", "prisoners", str(tmp_path / "p.csv")])
    assert refused.exit_code == 1
    assert "run `wicketgate migrate` first" in refused.output
