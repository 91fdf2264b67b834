"""The forms that change a prisoner's record: each one's success, and its errors writing nothing."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.utils import timezone

from wicketgate.accounts.models import PinThrottle, PrisonerAccount
from wicketgate.accounts.pins import check_prisoner_pin
from wicketgate.audit.models import AuditEvent
from wicketgate.gateway.actions import do_register_device
from wicketgate.gateway.models import Device
from wicketgate.people.actions import do_add_alert, do_end_alert
from wicketgate.people.models import IncentiveReview, Movement, Prisoner, PrisonerAlert
from wicketgate.testing.personas import PRISONER_PIN, SETUP, Estate

PROFILE = "/staff/prisoners/A1234BC/"


class Unchanged:
    """Counts the rows an error must not write."""

    MODELS = (PrisonerAlert, IncentiveReview, Movement, AuditEvent)

    def __enter__(self) -> Unchanged:
        self.before = [model.objects.count() for model in self.MODELS]
        return self

    def __exit__(self, *exc: Any) -> None:
        after = [model.objects.count() for model in self.MODELS]
        assert after == self.before, "an error path wrote to the database"


def followed(client: Client, url: str, data: dict[str, Any]) -> str:
    return client.post(url, data, follow=True).content.decode()


# --- add an alert ----------------------------------------------------------------------


def test_it_adds_an_alert(client_a: Client, estate: Estate) -> None:
    content = followed(
        client_a,
        f"{PROFILE}alerts/new",
        {
            "code": "ESCAPE",
            "comment": " Found with a map ",
            "starts_on_day": "1",
            "starts_on_month": "3",
            "starts_on_year": "2025",
        },
    )
    alert = PrisonerAlert.objects.get(prisoner=estate.prisoner_a, code__code="ESCAPE")
    assert alert.comment == "Found with a map"
    assert str(alert.starts_on) == "2025-03-01"
    assert alert.created_by == estate.clerk_a
    assert "Escape risk alert added for Alan Ashdown." in content
    assert "govuk-notification-banner--success" in content
    assert AuditEvent.objects.filter(action="people.alert.add", actor_label="clerk.a").exists()


def test_it_starts_an_alert_today_when_no_date_is_given(client_a: Client, estate: Estate) -> None:
    client_a.post(f"{PROFILE}alerts/new", {"code": "GANG"})
    assert PrisonerAlert.objects.get(code__code="GANG").starts_on == timezone.localdate()


def test_it_refuses_an_alert_that_ends_before_it_starts(client_a: Client, estate: Estate) -> None:
    with Unchanged():
        response = client_a.post(
            f"{PROFILE}alerts/new",
            {
                "code": "GANG",
                **{"starts_on_day": "10", "starts_on_month": "5", "starts_on_year": "2025"},
                **{"ends_on_day": "9", "ends_on_month": "5", "ends_on_year": "2025"},
            },
        )
    content = response.content.decode()
    assert (
        '<a href="#id_ends_on_day">End date must be the same as or after the start date</a>'
        in content
    )
    assert "<title>Error: Add an alert – Wicketgate</title>" in content


def test_it_refuses_a_date_that_does_not_exist(client_a: Client, estate: Estate) -> None:
    with Unchanged():
        response = client_a.post(
            f"{PROFILE}alerts/new",
            {
                "code": "GANG",
                "starts_on_day": "31",
                "starts_on_month": "2",
                "starts_on_year": "2025",
            },
        )
    content = response.content.decode()
    assert "Start date must be a real date" in content
    assert "govuk-input--error" in content


def test_it_refuses_an_alert_without_a_code(client_a: Client, estate: Estate) -> None:
    with Unchanged():
        response = client_a.post(f"{PROFILE}alerts/new", {"code": "NOPE"})
    assert '<a href="#id_code">Choose an alert from the list</a>' in response.content.decode()


# --- end an alert ----------------------------------------------------------------------


def test_it_ends_an_alert(client_a: Client, estate: Estate) -> None:
    alert = do_add_alert(estate.prisoner_a, "ACCT", actor=SETUP)
    content = followed(client_a, f"{PROFILE}alerts/{alert.pk}/end", {})
    alert.refresh_from_db()
    assert alert.ends_on == timezone.localdate()
    assert "Self-harm: ACCT open alert ended." in content


def test_it_refuses_to_end_an_alert_that_has_ended(client_a: Client, estate: Estate) -> None:
    alert = do_end_alert(do_add_alert(estate.prisoner_a, "ACCT", actor=SETUP), actor=SETUP)
    with Unchanged():
        content = followed(client_a, f"{PROFILE}alerts/{alert.pk}/end", {})
    assert "the alert has already ended" in content
    assert 'class="govuk-error-summary"' in content


def test_it_gives_a_404_for_another_prisoners_alert_under_this_prisoner(
    client_admin: Client, estate: Estate
) -> None:
    alert = do_add_alert(estate.prisoner_b, "ACCT", actor=SETUP)
    with Unchanged():
        assert client_admin.post(f"{PROFILE}alerts/{alert.pk}/end").status_code == 404


# --- incentive review ------------------------------------------------------------------


def test_it_offers_only_the_levels_the_establishment_offers(
    client_a: Client, estate: Estate
) -> None:
    content = client_a.get(f"{PROFILE}incentive-review").content.decode()
    assert 'value="ENH"' in content
    assert 'value="EN2"' not in content
    assert 'value="STD" checked' in content


def test_it_records_an_incentive_review(client_a: Client, estate: Estate) -> None:
    content = followed(
        client_a, f"{PROFILE}incentive-review", {"level": "BAS", "comment": "Assault on staff"}
    )
    estate.prisoner_a.refresh_from_db()
    assert estate.prisoner_a.incentive_level == "BAS"
    review = IncentiveReview.objects.get(prisoner=estate.prisoner_a, reason="review")
    assert review.comment == "Assault on staff"
    assert review.reviewed_by == "clerk.a"
    assert "Alan Ashdown is now on Basic." in content


def test_it_refuses_a_level_the_establishment_does_not_offer(
    client_a: Client, estate: Estate
) -> None:
    with Unchanged():
        response = client_a.post(
            f"{PROFILE}incentive-review", {"level": "EN2", "comment": "Exemplary"}
        )
    assert (
        '<a href="#id_level_0">Choose one of the levels this establishment offers</a>'
        in response.content.decode()
    )
    assert Prisoner.objects.get(pk=estate.prisoner_a.pk).incentive_level == "STD"


def test_it_refuses_a_review_without_a_reason(client_a: Client, estate: Estate) -> None:
    with Unchanged():
        response = client_a.post(f"{PROFILE}incentive-review", {"level": "ENH", "comment": "   "})
    assert "Enter the reason for the review" in response.content.decode()


# --- move ------------------------------------------------------------------------------


def test_it_offers_only_locations_in_the_prisoners_establishment(
    client_a: Client, estate: Estate
) -> None:
    content = client_a.get(f"{PROFILE}move").content.decode()
    assert "NGT-VS" in content
    assert "RVS-H-01" not in content
    assert f'value="{estate.a_cell.pk}"' not in content  # where they are now


def test_it_moves_a_prisoner(client_a: Client, estate: Estate) -> None:
    content = followed(
        client_a, f"{PROFILE}move", {"location": estate.a_video_suite.pk, "comment": "Video call"}
    )
    estate.prisoner_a.refresh_from_db()
    assert estate.prisoner_a.location == estate.a_video_suite
    assert Movement.objects.get(prisoner=estate.prisoner_a, kind="move").comment == "Video call"
    assert "Alan Ashdown moved to Video suite (NGT-VS)." in content


def test_it_refuses_a_move_to_another_establishment(client_a: Client, estate: Estate) -> None:
    with Unchanged():
        response = client_a.post(f"{PROFILE}move", {"location": estate.b_cell.pk})
    assert "Choose a location in this establishment from the list" in response.content.decode()
    estate.prisoner_a.refresh_from_db()
    assert estate.prisoner_a.location == estate.a_cell


def test_it_refuses_a_move_to_where_they_already_are(client_a: Client, estate: Estate) -> None:
    with Unchanged():
        response = client_a.post(f"{PROFILE}move", {"location": estate.a_cell.pk})
    assert "Choose a location in this establishment from the list" in response.content.decode()


# --- unlock the device account ---------------------------------------------------------


def wrong_pins(number: str = "A1234BC", times: int = 5, device: Device | None = None) -> None:
    for _ in range(times):
        assert check_prisoner_pin(number, "1111", device=device).user is None


def kiosk(estate: Estate, device_id: str = "NGT-KIOSK-1", establishment: Any = None) -> Device:
    where = establishment or estate.a
    location = estate.a_cell if where == estate.a else estate.b_cell
    device, _key = do_register_device(
        device_id=device_id, establishment=where, location=location, kind="kiosk", actor=SETUP
    )
    return device


def test_it_clears_the_wrong_pins_of_a_device_account(client_a: Client, estate: Estate) -> None:
    wrong_pins()
    assert check_prisoner_pin("A1234BC", PRISONER_PIN).throttled
    content = followed(client_a, f"{PROFILE}account/unlock", {})
    assert "Alan Ashdown can try their PIN again on any device." in content
    assert not PinThrottle.objects.filter(failures__gt=0).exists()
    assert check_prisoner_pin("A1234BC", PRISONER_PIN).user == estate.prisoner_user
    event = AuditEvent.objects.get(action="accounts.prisoner_account.unlock")
    assert event.actor_label == "clerk.a"
    assert event.details == {"throttles_cleared": 1, "was_refusing": True}


def test_it_refuses_to_clear_an_account_with_no_wrong_pins(
    client_a: Client, estate: Estate
) -> None:
    with Unchanged():
        content = followed(client_a, f"{PROFILE}account/unlock", {})
    assert "no wrong PINs are counted against this account" in content


def test_it_clears_a_devices_wrong_pins_from_the_profile(
    client_a: Client, estate: Estate, settings: Any
) -> None:
    settings.WICKETGATE_PIN_DEVICE_FAILURE_LIMIT = 3
    device = kiosk(estate)
    wrong_pins(times=3, device=device)
    assert check_prisoner_pin("A1234BC", PRISONER_PIN, device=device).throttled
    profile = client_a.get(PROFILE).content.decode()
    assert "NGT-KIOSK-1" in profile
    assert "Clear the device's count" in profile
    content = followed(client_a, f"{PROFILE}account/devices/{device.pk}/unlock", {})
    assert "NGT-KIOSK-1 takes PIN sign-ins again." in content
    assert not PinThrottle.objects.filter(device=device, account=None, failures__gt=0).exists()
    # The account's own count is the account's to clear, not the device's.
    assert PinThrottle.objects.get(device=None).failures == 3
    event = AuditEvent.objects.get(action="accounts.pin_device.unlock")
    assert (event.actor_label, event.subject_label, event.establishment) == (
        "clerk.a",
        "NGT-KIOSK-1",
        estate.a,
    )


def test_it_gives_a_404_to_clear_a_device_out_of_reach(
    client_a: Client, client_b: Client, estate: Estate
) -> None:
    device = kiosk(estate)
    wrong_pins(device=device)
    url = f"{PROFILE}account/devices/{device.pk}/unlock"
    # B's clerk cannot see the prisoner at A.
    assert client_b.post(url).status_code == 404
    # A device where this prisoner typed nothing is not cleared from their page.
    other = kiosk(estate, "NGT-KIOSK-2")
    wrong_pins("A7777ZZ", device=other)
    assert client_a.post(f"{PROFILE}account/devices/{other.pk}/unlock").status_code == 404
    # Nor a device at an establishment the clerk cannot see, from a prisoner they can.
    at_b = kiosk(estate, "RVS-KIOSK-1", establishment=estate.b)
    wrong_pins(device=at_b)
    assert client_a.post(f"{PROFILE}account/devices/{at_b.pk}/unlock").status_code == 404
    assert "RVS-KIOSK-1" not in client_a.get(PROFILE).content.decode()
    assert not AuditEvent.objects.filter(action="accounts.pin_device.unlock").exists()


def test_it_gives_a_404_to_unlock_a_prisoner_without_an_account(
    client_a: Client, estate: Estate
) -> None:
    PrisonerAccount.objects.filter(prisoner=estate.prisoner_a).delete()
    assert client_a.post(f"{PROFILE}account/unlock").status_code == 404
