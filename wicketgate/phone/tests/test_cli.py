"""The `wicketgate phone` contract other tools depend on, and handsets registered as
gateway devices of kind phone."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from typing import Any

import pytest
from click.testing import CliRunner

from wicketgate.audit.models import AuditEvent
from wicketgate.cli import main
from wicketgate.gateway.models import Device, DeviceSession
from wicketgate.phone.actions import digest_ha1
from wicketgate.phone.models import CreditEntry, PhoneAccount, PhoneNumber
from wicketgate.testing.personas import Estate

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_number_add_records_an_approved_number_by_the_staff_named(estate: Estate) -> None:
    code, out, _ = run(
        "phone", "number", "add", "--prisoner", "a1234bc", "--number", "020 7946 0000",
        "--name", "Mum", "--kind", "social", "--by", estate.clerk_a.username,
    )  # fmt: skip
    assert code == 0
    assert out == "+442079460000 (social, Mum) approved for A1234BC\n"
    entry = PhoneNumber.objects.get()
    assert (entry.status, entry.decided_by) == ("approved", estate.clerk_a.username)
    event = AuditEvent.objects.get(action="phone.number.add")
    assert (event.actor_kind, event.actor_label) == ("staff", estate.clerk_a.username)
    code, out, _ = run("phone", "number", "list", "--prisoner", "A1234BC")
    assert out == "+442079460000\tsocial\tapproved\tuk_landline\tMum\n"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--number", "999"], "number: 999 is an emergency number"),
        (["--number", "+44 20 7946 0000", "--prisoner", "Z9999ZZ"], "--prisoner Z9999ZZ: no such"),
        (["--by", "nobody"], "--by nobody: no active member of staff"),
    ],
)
def test_number_add_refuses_with_the_reason_and_writes_nothing(
    estate: Estate, args: list[str], says: str
) -> None:
    given = {
        "--prisoner": "A1234BC",
        "--number": "020 7946 0000",
        "--name": "Mum",
        "--kind": "social",
    }
    given.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [part for pair in given.items() for part in pair]
    before = AuditEvent.objects.count()
    code, out, err = run("phone", "number", "add", *flat)
    assert code == 1 and out == ""
    assert says in err
    assert not PhoneNumber.objects.exists() and AuditEvent.objects.count() == before


def test_number_add_takes_only_the_three_kinds(estate: Estate) -> None:
    code, _out, err = run(
        "phone", "number", "add", "--prisoner", "A1234BC", "--number", "020 7946 0000",
        "--name", "Mum", "--kind", "friend",
    )  # fmt: skip
    assert code == 2 and "'friend' is not one of 'social', 'official', 'legal'" in err


def test_pin_set_generates_and_prints_a_pin_or_sets_the_one_given(estate: Estate) -> None:
    code, out, _ = run("phone", "pin", "set", "a1234bc")
    assert code == 0 and out.strip().isdigit() and len(out.strip()) == 6
    account = PhoneAccount.objects.get(prisoner=estate.prisoner_a)
    assert account.ha1 == digest_ha1("A1234BC", account.realm, out.strip())
    assert account.pin_set_by == getpass.getuser()
    code, out, err = run("phone", "pin", "set", "A1234BC", "--pin", "2468")
    assert code == 0 and out == "" and "phone PIN set for A1234BC" in err
    account.refresh_from_db()
    assert account.ha1 == digest_ha1("A1234BC", account.realm, "2468")
    code, out, err = run("phone", "pin", "set", "A1234BC", "--pin", "1111")
    assert code == 1 and "pin: too easy to guess" in err


def test_credit_add_prints_the_new_balance_in_pence(estate: Estate) -> None:
    code, out, _ = run(
        "phone",
        "credit",
        "add",
        "--prisoner",
        "A1234BC",
        "--pence",
        "500",
        "--reason",
        "Private cash",
    )
    assert (code, out) == (0, "500\n")
    code, out, _ = run(
        "phone", "credit", "add", "--prisoner", "A1234BC", "--pence", "250", "--reason", "Wages"
    )
    assert (code, out) == (0, "750\n")
    code, out, err = run(
        "phone", "credit", "add", "--prisoner", "A1234BC", "--pence", "-1", "--reason", "x"
    )
    assert code == 1 and "pence -1: add 1 penny or more" in err
    assert CreditEntry.objects.count() == 2


def test_a_handset_is_a_device_of_kind_phone_bound_to_its_address(estate: Estate) -> None:
    # A wing phone hangs on the wing: unlike a laptop or a kiosk, it may be registered there.
    add = ["gateway", "device", "add", "NGT-PH-1", "--establishment", "NGT", "--location", "NGT-A", "--kind", "phone"]  # fmt: skip
    code, _out, err = run(*add)
    assert code == 1 and "address" in err and "bound to its address" in err
    assert not Device.objects.exists()
    code, out, _ = run(*add, "--address", "10.20.0.5")
    assert code == 0 and "registered NGT-PH-1" in out
    phone = Device.objects.get(device_id="NGT-PH-1")
    assert (phone.kind, phone.address, phone.location.code) == ("phone", "10.20.0.5", "NGT-A")
    # A laptop still may not be registered on a wing.
    code, _out, err = run(
        "gateway", "device", "add", "NGT-LT-1", "--establishment", "NGT", "--location", "NGT-A",
        "--kind", "laptop",
    )  # fmt: skip
    assert code == 1 and "register the device in a cell" in err
    # A handset never browses: no gateway session opens on it.
    code, _out, err = run(
        "gateway", "session", "open", "--prisoner", "A1234BC", "--device", "NGT-PH-1",
        "--address", "10.20.0.5",
    )  # fmt: skip
    assert code == 1 and "is a phone handset: it does not browse" in err
    assert not DeviceSession.objects.exists()


def test_settings_show_the_defaults_and_change_what_is_given(estate: Estate) -> None:
    code, out, _ = run("phone", "settings", "--establishment", "ngt")
    assert code == 0
    assert "hours\tMon-Sun 08:00-21:00\n" in out and "tariff\tuk_mobile\t6\n" in out
    code, out, _ = run(
        "phone", "settings", "--establishment", "NGT", "--hours", "Mon-Fri 08:00-20:30",
        "--max-minutes", "20", "--tariff", "international=40", "--by", estate.clerk_a.username,
    )  # fmt: skip
    assert code == 0
    assert "hours\tMon-Fri 08:00-20:30\n" in out and "max_minutes\t20\n" in out
    assert "tariff\tinternational\t40\n" in out and "tariff\tuk_landline\t6\n" in out
    event = AuditEvent.objects.get(action="phone.settings.change")
    assert event.details["max_call_minutes"] == [30, 20]
    for args, says in [
        (["--hours", "Mon-Fri 20:00-08:00"], "hours: 'Mon-Fri 20:00-08:00' ends before it starts"),
        (["--max-minutes", "0"], "max_call_minutes 0: use 1 to 120 minutes"),
        (["--tariff", "free=5"], "tariff 'free': expected one of"),
        (["--tariff", "uk_mobile=900"], "tariff uk_mobile: use 0 to 500 pence"),
    ]:
        code, _out, err = run("phone", "settings", "--establishment", "NGT", *args)
        assert code == 1 and says in err, err
    assert AuditEvent.objects.filter(action="phone.settings.change").count() == 1


@pytest.mark.time_machine(dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC), tick=False)
def test_decide_answers_as_kamailio_will_be_answered(estate: Estate) -> None:
    run("gateway", "device", "add", "NGT-PH-1", "--establishment", "NGT", "--location", "NGT-A", "--kind", "phone", "--address", "10.20.0.5")  # fmt: skip
    run("phone", "number", "add", "--prisoner", "A1234BC", "--number", "020 7946 0101", "--name", "Mum", "--kind", "social")  # fmt: skip
    ask = ["phone", "decide", "--prisoner", "A1234BC", "--number", "020 7946 0101", "--handset", "NGT-PH-1", "--address", "10.20.0.5"]  # fmt: skip
    code, out, _ = run(*ask)
    assert (code, out) == (1, "DENY  402 (credit:none): there is not enough phone credit\n")
    run("phone", "credit", "add", "--prisoner", "A1234BC", "--pence", "60", "--reason", "Cash")
    code, out, _ = run(*ask)
    assert (code, out) == (0, "ALLOW  +442079460101 for up to 600 s, recorded\n")
    code, out, _ = run(*ask, "--json")
    assert code == 0 and json.loads(out)["limit_seconds"] == 600


def test_number_add_takes_the_contact_a_legal_number_belongs_to(estate: Estate) -> None:
    from wicketgate.contacts.actions import do_add_official
    from wicketgate.testing.personas import SETUP

    add = ["phone", "number", "add", "--prisoner", "A1234BC", "--number", "020 7946 0102", "--name", "Sol", "--kind", "legal"]  # fmt: skip
    code, _out, err = run(*add)
    assert code == 1 and "a legal number is approved only as a verified legal adviser's" in err
    code, _out, err = run(*add, "--contact", "CON-999")
    assert code == 1 and "--contact CON-999: no contact of A1234BC" in err
    solicitor = do_add_official(
        estate.prisoner_a,
        given_name="Sol",
        family_name="Icitor",
        relationship="SOLICITOR",
        actor=SETUP,
    )
    code, out, _ = run(*add, "--contact", solicitor.reference)
    assert code == 0 and "(legal, Sol) approved" in out
    assert PhoneNumber.objects.get().contact_link == solicitor


def test_sip_config_writes_kamailios_configuration_with_its_key(
    estate: Estate, settings: Any, tmp_path: Any
) -> None:
    settings.WICKETGATE_PHONE_DIR = tmp_path / "phone"
    settings.WICKETGATE_PHONE_TRUNK = "sip:127.0.0.1:5080"
    code, out, _ = run("phone", "sip-config")
    assert code == 0
    written = tmp_path / "phone" / "kamailio" / "kamailio.cfg"
    assert f"wrote {written}" in out and "/usr/sbin/kamailio -DD -E -f" in out
    text = written.read_text()
    assert (written.stat().st_mode & 0o777) == 0o600  # it holds the key
    from wicketgate.phone.kamailio import ask_key

    assert f"wg=>http://127.0.0.1:8000/phone/kamailio/{ask_key()}" in text
    assert "listen=udp:127.0.0.1:5060" in text and "@127.0.0.1:5080" in text
    assert "{{" not in text and "{%" not in text
