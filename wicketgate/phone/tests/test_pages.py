"""The phone pages: staff keep a prisoner's numbers, credit and phone PIN; the prisoner
asks for numbers and sees their own. (Who may open each page: tests/test_access.py.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client

from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.models import AuditEvent
from wicketgate.contacts.actions import do_add_official
from wicketgate.phone.actions import digest_ha1, do_request_phone_number, do_set_phone_pin
from wicketgate.phone.codes import CallState, EndedBy
from wicketgate.phone.models import PhoneAccount, PhoneCall, PhoneNumber, PhoneSettings
from wicketgate.phone.tests.data import a_phone_call
from wicketgate.testing.personas import SETUP, Estate, staff_client

pytestmark = pytest.mark.django_db

PHONE = "/staff/prisoners/A1234BC/phone/"
SETTINGS = "/staff/establishments/NGT/phone-settings"
SETTINGS_SENT = {
    "hours": "Mon-Fri 08:00-20:30",
    "max_call_minutes": "20",
    "uk_landline": "6",
    "uk_mobile": "7",
    "international": "30",
}


@pytest.fixture
def visits(estate: Estate) -> Client:
    return staff_client(estate, "visits.a", StaffRole.VISITS)


def page(response: HttpResponseBase) -> str:
    assert isinstance(response, HttpResponse)  # a page, not a stream
    return response.content.decode()


def test_the_profile_links_to_the_phone_page_only_for_those_who_manage_it(
    estate: Estate, visits: Client, client_a: Client
) -> None:
    assert "Phone: numbers, credit and PIN" in page(visits.get("/staff/prisoners/A1234BC/"))
    # The clerk at A is a wing officer: no phone page for them.
    assert "Phone: numbers, credit and PIN" not in page(client_a.get("/staff/prisoners/A1234BC/"))


def test_staff_add_a_number_linked_to_a_contact(estate: Estate, visits: Client) -> None:
    solicitor = do_add_official(
        estate.prisoner_a,
        given_name="Sol",
        family_name="Icitor",
        relationship="SOLICITOR",
        actor=SETUP,
    )
    form = page(visits.get(f"{PHONE}numbers/new"))
    assert "Sol Icitor (Solicitor)" in form
    refused = visits.post(
        f"{PHONE}numbers/new", {"number": "999", "name": "Police", "kind": "official"}
    )
    assert refused.status_code == 200
    assert "999 is an emergency number" in page(refused)
    assert 'href="#id_number"' in page(refused)  # the summary points at the field
    done = visits.post(
        f"{PHONE}numbers/new",
        {"number": "020 7946 0000", "name": "Sol", "kind": "legal", "contact_link": solicitor.pk},
    )
    assert done.status_code == 302 and done["Location"] == PHONE
    entry = PhoneNumber.objects.get()
    assert (entry.number, entry.status, entry.contact_link) == (
        "+442079460000",
        "approved",
        solicitor,
    )
    listing = page(visits.get(PHONE))
    assert "+442079460000" in listing and "Privileged" in listing


def test_staff_decide_what_the_prisoner_asked_for(estate: Estate, visits: Client) -> None:
    asked = do_request_phone_number(
        estate.prisoner_a, "07911 123456", name="My sister", kind="social", actor=SETUP
    )
    detail = page(visits.get(f"{PHONE}numbers/{asked.pk}/"))
    assert "My sister" in detail and "Save decision" in detail
    no_reason = visits.post(f"{PHONE}numbers/{asked.pk}/decide", {"decision": "refuse"})
    assert no_reason.status_code == 200 and "Say why the number is refused" in page(no_reason)
    refused = visits.post(
        f"{PHONE}numbers/{asked.pk}/decide", {"decision": "refuse", "reason": "Not her number"}
    )
    assert refused.status_code == 302
    asked.refresh_from_db()
    assert (asked.status, asked.decision_reason, asked.decided_by) == (
        "refused",
        "Not her number",
        "visits.a",
    )
    # Decided already: the page offers no decision, and a second one is refused.
    assert "Save decision" not in page(visits.get(f"{PHONE}numbers/{asked.pk}/"))
    again = visits.post(f"{PHONE}numbers/{asked.pk}/decide", {"decision": "approve"})
    assert "not waiting for staff" in page(again)


def test_staff_remove_a_number_with_a_reason(estate: Estate, visits: Client) -> None:
    visits.post(f"{PHONE}numbers/new", {"number": "07911 123456", "name": "Sis", "kind": "social"})
    entry = PhoneNumber.objects.get()
    assert "Remove number" in page(visits.get(f"{PHONE}numbers/{entry.pk}/"))
    assert "Give the reason" in page(visits.post(f"{PHONE}numbers/{entry.pk}/remove", {}))
    visits.post(f"{PHONE}numbers/{entry.pk}/remove", {"reason": "Asked by the prisoner"})
    entry.refresh_from_db()
    assert entry.status == "removed"


def test_staff_add_credit_in_pounds_and_see_the_statement(estate: Estate, visits: Client) -> None:
    done = visits.post(f"{PHONE}credit", {"amount": "5.50", "reason": "Private cash"})
    assert done.status_code == 302
    listing = page(visits.get(PHONE))
    assert "Balance: <strong>£5.50</strong>" in listing
    assert "+£5.50" in listing and "Private cash" in listing
    # Standard's limit is £35: what cannot be added is said against the amount.
    over = page(visits.post(f"{PHONE}credit", {"amount": "30.00", "reason": "Wages"}))
    assert "they have £5.50, so at most £29.50 can be added" in over
    assert 'href="#id_amount"' in over
    for typed in ("0", "five", "1.234", "1e3", "1_0.00", "-1", "NaN", " 5 5"):
        assert "govuk-error-summary" in page(
            visits.post(f"{PHONE}credit", {"amount": typed, "reason": "x"})
        )
    assert AuditEvent.objects.filter(action="phone.credit.add").count() == 1


def test_a_new_phone_pin_is_shown_once_and_kept_only_as_its_digest(
    estate: Estate, visits: Client
) -> None:
    assert "No phone PIN is set" in page(visits.get(PHONE))
    shown = visits.post(f"{PHONE}pin")
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    pin = re.search(r'<strong class="wg-pin">(\d{6})</strong>', page(shown))
    assert pin is not None
    account = PhoneAccount.objects.get(prisoner=estate.prisoner_a)
    assert account.ha1 == digest_ha1("A1234BC", account.realm, pin.group(1))
    assert pin.group(1) not in page(visits.get(PHONE))
    assert "Set on" in page(visits.get(PHONE))


def test_the_prisoner_asks_for_a_number_and_sees_only_their_own(
    estate: Estate, client_prisoner: Client
) -> None:
    do_request_phone_number(
        estate.prisoner_b, "07400 123456", name="Not yours", kind="social", actor=SETUP
    )
    home = page(client_prisoner.get("/portal/"))
    assert "My phone numbers and credit" in home
    bad = client_prisoner.post(
        "/portal/phone/numbers/new",
        {"number": "09063 000000", "name": "Chat line", "kind": "social"},
    )
    assert "charged at a premium rate" in page(bad)
    done = client_prisoner.post(
        "/portal/phone/numbers/new",
        {"number": "07911 123456", "name": "My sister", "kind": "social"},
    )
    assert done.status_code == 302
    mine = page(client_prisoner.get("/portal/phone/"))
    assert "+447911123456" in mine and "Waiting for staff" in mine
    assert "07400 123456" not in mine and "+447400123456" not in mine
    asked = AuditEvent.objects.filter(action="phone.number.request").latest("seq")
    assert (asked.actor_kind, asked.subject_label) == ("prisoner", str(estate.prisoner_a))


def test_the_portal_has_no_phone_pages_where_the_establishment_has_no_phones(
    estate: Estate, client_prisoner: Client
) -> None:
    estate.a.features = {**estate.a.features, "phone_calls": False}
    estate.a.save()
    assert "My phone numbers and credit" not in page(client_prisoner.get("/portal/"))
    assert client_prisoner.get("/portal/phone/").status_code == 404
    assert client_prisoner.get("/portal/phone/numbers/new").status_code == 404


def test_the_prisoner_changes_their_phone_pin_on_the_portal(
    estate: Estate, client_prisoner: Client
) -> None:
    do_set_phone_pin(estate.prisoner_a, "2468", actor=SETUP)
    assert "Change my phone PIN" in page(client_prisoner.get("/portal/phone/"))
    form = client_prisoner.get("/portal/phone/pin")
    assert "no-store" in form["Cache-Control"]
    mismatch = page(
        client_prisoner.post(
            "/portal/phone/pin", {"current": "2468", "new": "3579", "again": "3578"}
        )
    )
    assert "The new PINs are not the same" in mismatch
    wrong = page(
        client_prisoner.post(
            "/portal/phone/pin", {"current": "1111", "new": "3579", "again": "3579"}
        )
    )
    assert "That is not your phone PIN" in wrong and 'href="#id_current"' in wrong
    assert 'value="3579"' not in wrong and 'value="1111"' not in wrong  # no PIN is sent back
    done = client_prisoner.post(
        "/portal/phone/pin", {"current": "2468", "new": "3579", "again": "3579"}
    )
    assert done.status_code == 302 and done["Location"] == "/portal/phone/"
    account = PhoneAccount.objects.get(prisoner=estate.prisoner_a)
    assert account.ha1 == digest_ha1("A1234BC", account.realm, "3579")


def test_the_visits_team_sees_the_numbers_waiting_at_their_establishment(
    estate: Estate, visits: Client
) -> None:
    do_request_phone_number(
        estate.prisoner_a, "07911 123456", name="My sister", kind="social", actor=SETUP
    )
    do_request_phone_number(
        estate.prisoner_b, "07400 123456", name="Elsewhere", kind="social", actor=SETUP
    )
    queue = page(visits.get("/staff/phone/numbers/"))
    assert "+447911123456" in queue and "My sister" in queue and "A1234BC" in queue
    assert "+447400123456" not in queue  # the prisoner at B's is not theirs to see
    assert 'href="/staff/phone/numbers/"' in queue  # the Phone item in the menu
    at_b = staff_client(estate, "visits.b", StaffRole.VISITS, where="b")
    assert "+447400123456" in page(at_b.get("/staff/phone/numbers/"))
    assert "+447911123456" not in page(at_b.get("/staff/phone/numbers/"))


def test_a_governor_sets_the_phone_hours_longest_call_and_tariff(estate: Estate) -> None:
    governor = staff_client(estate, "governor.a", StaffRole.GOVERNOR)
    assert "Phone hours, longest call and tariff" in page(
        governor.get("/staff/establishments/NGT/")
    )
    form = page(governor.get(SETTINGS))
    assert 'value="Mon-Sun 08:00-21:00"' in form and 'name="uk_mobile" value="6"' in form
    wrong = page(governor.post(SETTINGS, {**SETTINGS_SENT, "hours": "weekdays"}))
    assert "is not like" in wrong and 'href="#id_hours"' in wrong
    done = governor.post(SETTINGS, SETTINGS_SENT)
    assert done.status_code == 302
    saved = PhoneSettings.objects.get(establishment=estate.a)
    assert (saved.hours, saved.max_call_minutes, saved.pence_a_minute("uk_mobile")) == (
        "Mon-Fri 08:00-20:30",
        20,
        7,
    )
    assert saved.changed_by == "governor.a"


def _a_call(estate: Estate, *, answered: bool, **changes: Any) -> PhoneCall:
    prisoner = changes.pop("prisoner", estate.prisoner_a)
    if answered:
        return a_phone_call(prisoner, dialog="5:6", **changes)
    return a_phone_call(prisoner, state=CallState.CONNECTING, answered_at=None, **changes)


@pytest.fixture
def security(estate: Estate) -> Client:
    return staff_client(estate, "security.a", StaffRole.SECURITY)


def test_the_prisoner_sees_their_calls_and_the_credit_held_for_the_one_they_are_on(
    estate: Estate, client_prisoner: Client
) -> None:
    _a_call(
        estate,
        answered=True,
        state=CallState.ENDED,
        duration_seconds=125,
        charge_pence=18,
        ended_by=EndedBy.CALLED,
        end_reason="staff note the prisoner does not read",
        sip_call_id="old@test",
    )
    _a_call(estate, answered=True)
    _a_call(estate, answered=False, prisoner=estate.prisoner_b, name="Not yours", sip_call_id="b@")
    mine = page(client_prisoner.get("/portal/phone/"))
    assert "My calls" in mine and "2:05" in mine and "£0.18" in mine
    assert "They hung up" in mine  # in the prisoner's words, not staff's
    assert "Up to £0.60 of it is held for the call you are on" in mine
    assert "Not yours" not in mine
    assert "staff note" not in mine


def test_staff_see_a_prisoners_calls_with_why_each_ended(estate: Estate, visits: Client) -> None:
    _a_call(
        estate,
        answered=True,
        state=CallState.ENDED,
        duration_seconds=60,
        charge_pence=6,
        ended_by=EndedBy.STAFF,
        end_reason="Threats heard",
    )
    shown = page(visits.get(PHONE))
    assert "Latest calls" in shown and "Ended by staff" in shown and "Threats heard" in shown


def test_security_see_live_calls_at_their_establishment_and_end_one_with_a_reason(
    estate: Estate, security: Client
) -> None:
    ringing = _a_call(estate, answered=False)
    elsewhere = _a_call(estate, answered=True, prisoner=estate.prisoner_b, sip_call_id="b@t")
    live = page(security.get("/staff/phone/live/"))
    assert "Ringing" in live and estate.prisoner_a.prison_number in live
    assert estate.prisoner_b.prison_number not in live
    assert security.get(f"/staff/phone/calls/{elsewhere.pk}/end").status_code == 404
    refused = page(security.post(f"/staff/phone/calls/{ringing.pk}/end", {"reason": " "}))
    assert "Error:" in refused
    done = security.post(f"/staff/phone/calls/{ringing.pk}/end", {"reason": "Threats heard"})
    assert done.status_code == 302
    ended = PhoneCall.objects.get(pk=ringing.pk)
    assert (ended.state, ended.ended_by, ended.end_reason) == (
        CallState.UNANSWERED,
        EndedBy.STAFF,
        "Threats heard",
    )
    assert "No phone calls are in progress." in page(security.get("/staff/phone/live/"))
    # Ended already: the page says so rather than ending it twice.
    again = security.get(f"/staff/phone/calls/{ringing.pk}/end", follow=True)
    assert "That call has already ended." in page(again)


def test_when_kamailio_does_not_confirm_the_hang_up_staff_are_told(
    estate: Estate, security: Client, settings: Any, tmp_path: Path
) -> None:
    settings.WICKETGATE_PHONE_RPC_SOCKET = tmp_path / "nobody.sock"
    on_call = _a_call(estate, answered=True)
    said = page(
        security.post(
            f"/staff/phone/calls/{on_call.pk}/end", {"reason": "Threats heard"}, follow=True
        )
    )
    assert "did not confirm it hung up" in said
    assert PhoneCall.objects.get(pk=on_call.pk).state == CallState.ENDED
