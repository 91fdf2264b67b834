"""Contacts: registration, identity, the list a prisoner's contacts are on, restrictions,
and the one question calls, phone and messages will ask."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from django.core import signing
from django.utils import timezone

from wicketgate.accounts.models import User
from wicketgate.audit.log import Actor
from wicketgate.audit.models import AuditEvent
from wicketgate.contacts.actions import (
    NO_MATCH,
    ContactError,
    do_add_child,
    do_add_restriction,
    do_confirm_link,
    do_decide_link,
    do_end_restriction,
    do_register_family_member,
    do_request_link,
    do_revoke_link,
    do_set_victim,
    do_verify_email,
    verification_token,
)
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.models import Contact, ContactLink
from wicketgate.contacts.tests.conftest import PASSWORD, STAFF, approved_contact
from wicketgate.people.actions import do_add_alert
from wicketgate.policy.engine import Engine
from wicketgate.policy.models import PolicyChange
from wicketgate.testing.personas import SETUP, Estate

pytestmark = pytest.mark.django_db

ALAN = "A1234BC"
LONDON = ZoneInfo("Europe/London")
TICK = dt.timedelta(microseconds=1)
PRISONER = Actor("prisoner", "p", ALAN)


@pytest.fixture
def engine() -> Engine:
    return Engine(refresh_every=0)


def register(email: str = "fay@example.org", born: dt.date = dt.date(1970, 1, 2)) -> Contact:
    person, _ = do_register_family_member(
        email=email, password=PASSWORD, given_name="Fay", family_name="Ashdown", date_of_birth=born
    )
    return person


# --- registration ------------------------------------------------------------------------


def test_an_adult_registers_and_verifies_their_email(estate: Estate) -> None:
    person, token = do_register_family_member(
        email=" Fay@Example.org ",
        password=PASSWORD,
        given_name="Fay",
        family_name="Ashdown",
        date_of_birth=dt.date(1970, 1, 2),
    )
    assert person.user is not None and person.user.kind == "family"
    assert person.email == "fay@example.org" and person.email_verified_at is None
    assert do_verify_email(token).email_verified_at is not None
    assert AuditEvent.objects.filter(action="contacts.email.verify").count() == 1
    with pytest.raises(ContactError, match="token: this link is not valid"):
        do_verify_email(token[:-3] + "abc")
    other = signing.dumps(
        {"c": person.pk, "e": "someone@else.org"}, salt="wicketgate.contacts.verify-email"
    )
    with pytest.raises(ContactError, match="not valid"):
        do_verify_email(other)


def test_children_weak_passwords_and_second_accounts_are_refused_and_nothing_is_kept(
    estate: Estate,
) -> None:
    today = timezone.localdate()
    with pytest.raises(ContactError, match="date_of_birth: you must be 18 or over"):
        register(born=today - relativedelta(years=17))
    with pytest.raises(ContactError, match="^password: "):
        do_register_family_member(
            email="a@example.org",
            password="short",
            given_name="A",
            family_name="B",
            date_of_birth=dt.date(1980, 1, 1),
        )
    register()
    with pytest.raises(ContactError, match="email: there is already an account"):
        register()
    assert Contact.objects.count() == 1 and User.objects.filter(kind="family").count() == 2


# --- the list ----------------------------------------------------------------------------


def test_asking_needs_the_right_number_and_date_of_birth_and_says_nothing_else(
    estate: Estate,
) -> None:
    person = register()
    owner = Actor.of_user(person.user)
    for number, born in (("A1234BC", dt.date(1991, 5, 17)), ("Z9999ZZ", dt.date(1990, 5, 17))):
        with pytest.raises(ContactError) as caught:
            do_request_link(
                person,
                prison_number=number,
                prisoner_date_of_birth=born,
                relationship="MOTHER",
                actor=owner,
            )
        assert str(caught.value) == NO_MATCH  # the same whether or not the number exists
    misses = AuditEvent.objects.filter(action="contacts.link.no_match", outcome="denied")
    assert misses.count() == 2 and not ContactLink.objects.exists()
    with pytest.raises(ContactError, match="officials"):
        do_request_link(
            person,
            prison_number=ALAN,
            prisoner_date_of_birth=estate.prisoner_a.date_of_birth,
            relationship="SOLICITOR",
            actor=owner,
        )


def test_the_prisoner_confirms_then_staff_approve_after_checking_identity(
    estate: Estate, engine: Engine
) -> None:
    person = register()
    link = do_request_link(
        person,
        prison_number="a1234bc",
        prisoner_date_of_birth=estate.prisoner_a.date_of_birth,
        relationship="MOTHER",
        actor=Actor.of_user(person.user),
    )
    contact_id = str(person.pk)
    assert not engine.decide_contact(ALAN, "video", contact_id).allowed
    with pytest.raises(ContactError, match="once the prisoner has confirmed"):
        do_decide_link(link, approve=True, actor=STAFF)
    do_confirm_link(link, accept=True, actor=PRISONER)
    with pytest.raises(ContactError, match="check their identity before approving"):
        do_decide_link(link, approve=True, actor=STAFF)
    assert not engine.decide_contact(ALAN, "video", contact_id).allowed
    approved = approved_contact(estate.prisoner_a, "PARTNER")
    decision = engine.decide_contact(ALAN, "phone", str(approved.contact_id))
    assert decision.allowed and decision.rules == ("contact:approved",)
    assert "privileged" not in decision.obligations
    actions = set(
        AuditEvent.objects.filter(action__startswith="contacts.link.").values_list(
            "action", flat=True
        )
    )
    assert {"contacts.link.request", "contacts.link.confirm", "contacts.link.approve"} <= actions


def test_a_refusal_needs_a_reason_and_a_declined_request_goes_no_further(estate: Estate) -> None:
    person = register()
    link = do_request_link(
        person,
        prison_number=ALAN,
        prisoner_date_of_birth=estate.prisoner_a.date_of_birth,
        relationship="FRIEND",
        actor=Actor.of_user(person.user),
    )
    do_confirm_link(link, accept=False, actor=PRISONER)
    link.refresh_from_db()
    assert link.status == LinkStatus.REFUSED
    with pytest.raises(ContactError, match="is refused"):
        do_confirm_link(link, accept=True, actor=PRISONER)
    with pytest.raises(ContactError, match="reason"):
        do_decide_link(link, approve=False, actor=STAFF)


def test_an_approval_expires_at_the_end_of_its_day(estate: Estate, engine: Engine) -> None:
    link = approved_contact(estate.prisoner_a, "FRIEND")
    ContactLink.objects.filter(pk=link.pk).update(expires_on=timezone.localdate())
    PolicyChange.objects.create(kind="prisoner", key=str(estate.prisoner_a.pk))
    today = timezone.localtime().replace(hour=23, minute=59)
    tomorrow = today + dt.timedelta(minutes=2)
    assert engine.decide_contact(ALAN, "video", str(link.contact_id), at=today).allowed
    late = engine.decide_contact(ALAN, "video", str(link.contact_id), at=tomorrow)
    assert not late.allowed and late.rules == ("contact:not-approved",)


# --- restrictions, victims, revocation -----------------------------------------------------


def test_a_ban_stops_every_channel_while_it_is_in_force(estate: Estate, engine: Engine) -> None:
    link = approved_contact(estate.prisoner_a, "FRIEND")
    contact_id = str(link.contact_id)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    ban = do_add_restriction(
        link, code="BAN", reason="Smuggling attempt", actor=STAFF, ends_on=tomorrow
    )
    assert PolicyChange.objects.filter(key=str(estate.prisoner_a.pk)).exists()
    for channel in ("video", "phone", "messages"):
        decision = engine.decide_contact(ALAN, channel, contact_id)
        assert not decision.allowed and decision.rules == ("restriction:ban",)
        assert decision.reasons == ("Staff have banned contact with this person.",)
    after = timezone.now() + dt.timedelta(days=2)
    assert engine.decide_contact(ALAN, "video", contact_id, at=after).allowed  # it ended
    do_end_restriction(ban, actor=STAFF)
    assert engine.decide_contact(ALAN, "video", contact_id).allowed
    with pytest.raises(ContactError, match="already ended"):
        do_end_restriction(ban, actor=STAFF)


def test_a_cctv_restriction_asks_for_monitoring_and_other_codes_do_not_block(
    estate: Estate, engine: Engine
) -> None:
    link = approved_contact(estate.prisoner_a, "FRIEND")
    do_add_restriction(link, code="CCTV", reason="Intelligence", actor=STAFF)
    decision = engine.decide_contact(ALAN, "video", str(link.contact_id))
    assert decision.allowed and decision.obligations.get("monitor") is True
    with pytest.raises(ContactError, match="code 'NOPE'"):
        do_add_restriction(link, code="NOPE", reason="x", actor=STAFF)
    with pytest.raises(ContactError, match="ends_on: before"):
        do_add_restriction(
            link,
            code="BAN",
            reason="x",
            actor=STAFF,
            ends_on=timezone.localdate() - dt.timedelta(days=1),
        )


def test_a_victim_is_never_reachable_while_the_victim_alert_is_in_force(
    estate: Estate, engine: Engine
) -> None:
    link = approved_contact(estate.prisoner_a, "FRIEND")
    do_set_victim(link, victim=True, actor=STAFF)
    assert engine.decide_contact(ALAN, "messages", str(link.contact_id)).allowed  # no alert yet
    do_add_alert(estate.prisoner_a, "VICTIM", actor=SETUP)
    decision = engine.decide_contact(ALAN, "messages", str(link.contact_id))
    assert not decision.allowed and decision.rules == ("restriction:victim",)
    other = approved_contact(estate.prisoner_a, "MOTHER")
    assert engine.decide_contact(ALAN, "messages", str(other.contact_id)).allowed


def test_revoking_an_adult_revokes_the_children_they_added(estate: Estate, engine: Engine) -> None:
    adult = approved_contact(estate.prisoner_a, "PARTNER")
    today = timezone.localdate()
    with pytest.raises(ContactError, match="under 18"):
        do_add_child(
            adult,
            given_name="Old",
            family_name="Ashdown",
            date_of_birth=dt.date(1990, 1, 1),
            relationship="SON",
            actor=STAFF,
        )
    child = do_add_child(
        adult,
        given_name="Ava",
        family_name="Ashdown",
        date_of_birth=today - relativedelta(years=9),
        relationship="DAUGHTER",
        actor=Actor.of_user(adult.contact.user),
    )
    assert child.contact.added_by == adult.contact and child.contact.is_child()
    do_confirm_link(child, accept=True, actor=PRISONER)
    do_decide_link(child, approve=True, actor=STAFF)  # no account of her own: no ID check
    assert engine.decide_contact(ALAN, "video", str(child.contact_id)).allowed
    do_revoke_link(adult, reason="Harassment of staff", actor=STAFF)
    child.refresh_from_db()
    assert child.status == LinkStatus.REVOKED
    for link in (adult, child):
        assert not engine.decide_contact(ALAN, "video", str(link.contact_id)).allowed
    revokes = AuditEvent.objects.filter(action="contacts.link.revoke").order_by("seq")
    assert revokes.count() == 2
    last = revokes.last()
    assert last is not None
    assert json.loads(last.details_json)["reason"].startswith("The adult who added")


def _years_ago(years: int) -> dt.date:
    """This day ``years`` ago (28 February for 29 February)."""
    return timezone.localdate() - relativedelta(years=years)


def _child_of(adult: ContactLink, born: dt.date) -> ContactLink:
    child = do_add_child(
        adult,
        given_name="Ava",
        family_name="Ashdown",
        date_of_birth=born,
        relationship="DAUGHTER",
        actor=Actor.of_user(adult.contact.user),
    )
    do_confirm_link(child, accept=True, actor=PRISONER)
    do_decide_link(child, approve=True, actor=STAFF)
    return child


@pytest.mark.time_machine(dt.datetime(2027, 6, 14, 12, tzinfo=LONDON), tick=False)
def test_a_child_contact_restriction_alert_stops_contact_with_children_only(
    estate: Estate, engine: Engine
) -> None:
    adult = approved_contact(estate.prisoner_a, "PARTNER")
    child = _child_of(adult, dt.date(2009, 6, 15))  # 18 tomorrow
    assert engine.decide_contact(ALAN, "video", str(child.contact_id)).allowed  # no alert
    do_add_alert(estate.prisoner_a, "CHILD", actor=SETUP)
    for channel in ("video", "phone", "messages"):
        decision = engine.decide_contact(ALAN, channel, str(child.contact_id))
        assert not decision.allowed and decision.rules == ("restriction:child-alert",)
        assert "under 18" in decision.reasons[0]
    assert engine.decide_contact(ALAN, "video", str(adult.contact_id)).allowed
    # The day they turn 18 they are not a child: decided from the day, no change needed.
    birthday = dt.datetime(2027, 6, 15, tzinfo=LONDON)
    assert not engine.decide_contact(
        ALAN, "video", str(child.contact_id), at=birthday - TICK
    ).allowed
    assert engine.decide_contact(ALAN, "video", str(child.contact_id), at=birthday).allowed


@pytest.mark.time_machine(dt.datetime(2030, 2, 28, 12, tzinfo=LONDON), tick=False)
def test_someone_born_on_29_february_is_18_from_1_march_in_a_year_without_one(
    estate: Estate, engine: Engine
) -> None:
    adult = approved_contact(estate.prisoner_a, "PARTNER")
    child = _child_of(adult, dt.date(2012, 2, 29))
    do_add_alert(estate.prisoner_a, "CHILD", actor=SETUP)
    on_the_28th = engine.decide_contact(ALAN, "video", str(child.contact_id))
    assert not on_the_28th.allowed and on_the_28th.rules == ("restriction:child-alert",)
    first_of_march = dt.datetime(2030, 3, 1, tzinfo=LONDON)
    assert engine.decide_contact(ALAN, "video", str(child.contact_id), at=first_of_march).allowed


@pytest.mark.parametrize("on", ["child", "adult"])
def test_a_child_to_be_vetted_is_stopped_until_staff_end_the_restriction(
    estate: Estate, engine: Engine, on: str
) -> None:
    """CHILD ("child visitors to be vetted") on the child's own pair, or on the pair of the
    adult who added them, stops the child; never the adult; ended, the child is vetted."""
    adult = approved_contact(estate.prisoner_a, "PARTNER")
    child = _child_of(adult, _years_ago(9))
    restriction = do_add_restriction(
        child if on == "child" else adult, code="CHILD", reason="Not yet vetted", actor=STAFF
    )
    decision = engine.decide_contact(ALAN, "video", str(child.contact_id))
    assert not decision.allowed and decision.rules == ("restriction:child-vetting",)
    assert decision.reasons == (
        "Staff have to vet this child before they can be in contact with you.",
    )
    assert engine.decide_contact(ALAN, "video", str(adult.contact_id)).allowed
    do_end_restriction(restriction, actor=STAFF)
    assert engine.decide_contact(ALAN, "video", str(child.contact_id)).allowed


def test_a_child_whose_adult_is_no_longer_on_the_list_is_not_vetted(
    estate: Estate, engine: Engine
) -> None:
    """Revoking the adult revokes the child; should the child's link outlive the adult's by
    any other route (a data fix), the child is stopped, not waved through."""
    adult = approved_contact(estate.prisoner_a, "PARTNER")
    child = _child_of(adult, _years_ago(9))
    ContactLink.objects.filter(pk=adult.pk).update(status=LinkStatus.REFUSED)
    decision = engine.decide_contact(ALAN, "video", str(child.contact_id))
    assert not decision.allowed and decision.rules == ("restriction:child-vetting",)


def test_a_verification_link_expires_after_three_days(
    estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    person = register()
    four_days_ago = time.time() - 4 * 86400
    monkeypatch.setattr("django.core.signing.time.time", lambda: four_days_ago)
    old = verification_token(person)
    monkeypatch.undo()
    with pytest.raises(ContactError, match="expired"):
        do_verify_email(old)
