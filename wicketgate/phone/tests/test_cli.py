"""The `wicketgate phone` contract other tools depend on, and handsets registered as
gateway devices of kind phone."""

from __future__ import annotations

import getpass

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
