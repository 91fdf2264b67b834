from __future__ import annotations

import datetime as dt

from wicketgate.accounts.roles import Action
from wicketgate.estate.models import Establishment
from wicketgate.people.models import Prisoner
from wicketgate.testing.personas import Estate


def test_it_shows_a_clerk_only_their_own_establishment(estate: Estate) -> None:
    assert list(Establishment.objects.for_user(estate.clerk_a, Action.VIEW)) == [estate.a]
    assert list(Prisoner.objects.for_user(estate.clerk_b, Action.VIEW)) == [estate.prisoner_b]


def test_it_shows_the_estate_admin_everything(estate: Estate) -> None:
    assert Prisoner.objects.for_user(estate.estate_admin, Action.VIEW).count() == 2


def test_it_denies_an_action_the_role_does_not_have(estate: Estate) -> None:
    assert not Establishment.objects.for_user(estate.clerk_a, Action.MANAGE_ESTABLISHMENT).exists()


def test_it_denies_an_unknown_action(estate: Estate) -> None:
    assert not Prisoner.objects.for_user(estate.clerk_a, "launch_rockets").exists()


def test_it_shows_prisoners_and_families_nothing(estate: Estate) -> None:
    for user in (estate.prisoner_user, estate.family_user):
        assert not Prisoner.objects.for_user(user, Action.VIEW).exists()
        assert not Establishment.objects.for_user(user, Action.VIEW).exists()


def test_it_shows_an_inactive_member_of_staff_nothing(estate: Estate) -> None:
    estate.clerk_a.is_active = False
    estate.clerk_a.save()
    assert not Prisoner.objects.for_user(estate.clerk_a, Action.VIEW).exists()


def test_it_never_signs_in_a_prisoner_device_account_with_a_password(estate: Estate) -> None:
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    from wicketgate.testing.personas import PRISONER_PIN

    request = RequestFactory().post("/")
    username = estate.prisoner_user.username
    assert authenticate(request, username=username, password=PRISONER_PIN) is None
    assert authenticate(request, prison_number="A1234BC", pin=PRISONER_PIN) == estate.prisoner_user


def test_may_at_answers_for_one_establishment_as_for_user_scopes(estate: Estate) -> None:
    from wicketgate.accounts.scoping import may_at, may_somewhere

    a, b = estate.a.pk, estate.b.pk
    assert may_at(estate.clerk_a, Action.VIEW, a)
    assert not may_at(estate.clerk_a, Action.VIEW, b)
    assert not may_at(estate.clerk_a, Action.VIEW, None)  # estate-wide: the admin's alone
    assert not may_at(estate.clerk_a, Action.APPROVE_POLICY, a)  # not the clerk's role
    assert may_at(estate.estate_admin, Action.APPROVE_POLICY, b) and may_at(
        estate.estate_admin, Action.VIEW, None
    )
    assert not may_at(estate.prisoner_user, Action.VIEW, a)
    assert may_somewhere(estate.clerk_a, Action.VIEW)
    assert not may_somewhere(estate.clerk_a, Action.APPROVE_POLICY)
    assert not may_somewhere(estate.family_user, Action.VIEW)


def test_the_portals_see_their_own_person_s_records_only(estate: Estate) -> None:
    from wicketgate.calls.models import Booking
    from wicketgate.calls.tests import data as call_data
    from wicketgate.conduct.models import Sanction
    from wicketgate.contacts.models import Contact

    booking = call_data.booking(estate)
    rita = booking.main_caller
    stranger = Contact.objects.create(
        given_name="Sam", family_name="Stranger", date_of_birth=dt.date(1980, 1, 1)
    )
    assert list(Booking.objects.for_prisoner(estate.prisoner_a)) == [booking]
    assert not Booking.objects.for_prisoner(estate.prisoner_b).exists()
    assert list(Booking.objects.for_contact(rita)) == [booking]
    assert not Booking.objects.for_contact(stranger).exists()
    # A record no family sees is nobody's from the family portal: deny by default.
    assert not Sanction.objects.for_contact(rita).exists()
