"""State changes of contacts: registration, identity, links, restrictions. Atomic, audited.

Every change to a link or a restriction logs a policy change for the prisoner (through
``policy.signals``), so calls, phone and messages, which ask ``Engine.decide_contact``,
follow within a second.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone

from wicketgate.accounts.models import User, UserKind
from wicketgate.audit.log import Actor, record_event
from wicketgate.audit.models import AuditEvent
from wicketgate.contacts.codes import (
    LEGAL,
    OFFICIAL,
    DocumentType,
    LinkStatus,
    Relationship,
    RestrictionCode,
)
from wicketgate.contacts.models import (
    Contact,
    ContactLink,
    ContactRestriction,
    LinkRequestAttempt,
)
from wicketgate.lib.errors import ActionError
from wicketgate.people.models import Prisoner

VERIFY_SALT = "wicketgate.contacts.verify-email"
VERIFY_DAYS = 3
REGISTER = "contacts.register"  # as do_register_family_member records it
RESEND = "contacts.email.resend"
RESEND_EVERY = dt.timedelta(minutes=1)
RESEND_PER_HOUR = 5
# Asks to be a contact are counted over this long (see do_request_link).
REQUEST_WINDOW = dt.timedelta(hours=24)
NO_MATCH = "We could not match those details to anyone. Check the prison number and date of birth."


class ContactError(ActionError):
    """A contact change that cannot be made; the message names the field and says why."""


class TooManyRequests(ContactError):
    """Too many asks to be a contact: by this account, or naming this prison number.

    The same words for both, so the answer says nothing about the prison number.
    """

    def __init__(self, retry_at: dt.datetime) -> None:
        self.retry_at = retry_at
        when = timezone.localtime(retry_at)
        if when.second or when.microsecond:  # shown to the minute: the next one
            when = when.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        super().__init__(
            "Too many requests to be a contact have been made with these details. "
            f"You can try again after {formats.time_format(when, 'H:i')} on "
            f"{formats.date_format(when, 'j F Y')}."
        )


class AlreadyRegistered(ContactError):
    """The address has an account already: the page says the same as for a new one, and
    the address's owner is told by e-mail."""


# --- the family portal -----------------------------------------------------------------


def do_register_family_member(
    *,
    email: str,
    password: str,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
    check_password: bool = True,
) -> tuple[Contact, str]:
    """A family-portal account and its person; returns them and the e-mail verification token.

    Only adults register: a child is added by an approved adult. ``check_password=False``
    is for the demo estate only, whose printed password is below production strength.
    """
    email = email.strip().lower()
    if not given_name.strip() or not family_name.strip():
        raise ContactError("give your first and last names", field="name")
    today = timezone.localdate()
    person = Contact(
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        date_of_birth=date_of_birth,
        email=email,
    )
    if date_of_birth > today:
        raise ContactError("that is in the future", field="date_of_birth")
    if person.is_child(today):
        raise ContactError(
            "you must be 18 or over to register; an approved adult adds children",
            field="date_of_birth",
        )
    user = User(
        username=email,
        email=email,
        first_name=person.given_name,
        last_name=person.family_name,
        kind=UserKind.FAMILY,
    )
    try:
        if check_password:
            validate_password(password, user)
    except ValidationError as exc:
        raise ContactError("; ".join(exc.messages), field="password") from exc
    # Checked after everything else, and at the same cost as registering (the password is
    # hashed either way): whether an address has an account here says that someone it
    # belongs to has a relative or friend in prison. The page answers the same; only the
    # mailbox's owner hears which (``AlreadyRegistered``).
    if User.objects.filter(username=email).exists():
        make_password(password)
        record_event(
            "contacts.register",
            actor=Actor.system("family-portal"),
            outcome=AuditEvent.Outcome.DENIED,
            details={"email": email, "why": "already registered"},
        )
        raise AlreadyRegistered(f"there is already an account for {email}", field="email")
    with transaction.atomic():
        user.set_password(password)
        user.save()
        person.user = user
        person.save()
        record_event(
            "contacts.register",
            actor=Actor.of_user(user),
            subject=person,
            details={"email": email},
        )
    return person, verification_token(person)


def verification_token(contact: Contact) -> str:
    return signing.dumps({"c": contact.pk, "e": contact.email}, salt=VERIFY_SALT)


def do_verify_email(token: str) -> Contact:
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=dt.timedelta(days=VERIFY_DAYS))
    except signing.SignatureExpired as exc:
        raise ContactError("this link has expired; ask for a new one", field="token") from exc
    except signing.BadSignature as exc:
        raise ContactError("this link is not valid", field="token") from exc
    with transaction.atomic():
        person = Contact.objects.select_for_update().filter(pk=data.get("c")).first()
        if person is None or person.email != data.get("e"):
            raise ContactError("this link is not valid", field="token")
        if person.email_verified_at is None:
            person.email_verified_at = timezone.now()
            person.save(update_fields=["email_verified_at"])
            record_event("contacts.email.verify", actor=_owner(person), subject=person)
    return person


def do_resend_verification(
    email: str, *, actor: Actor | None = None, now: dt.datetime | None = None
) -> tuple[Contact, str] | None:
    """A fresh verification token for a registered family account whose address is not
    yet confirmed; None when there is nothing to send (no such account, or confirmed).

    The page that asks answers the same whichever it is, so it cannot be used to find out
    who has an account. At most one link a minute and ``RESEND_PER_HOUR`` an hour go to
    an address (the one sent at registration counts), so it cannot be used to flood one.
    Links sent earlier keep working until they expire: tokens are signed, not stored, and
    each only confirms this address for this person, as the new one does.
    """
    moment = now or timezone.now()
    address = email.strip().lower()
    with transaction.atomic():
        person = (
            Contact.objects.select_for_update()
            .select_related("user")
            .filter(
                email=address,
                email_verified_at__isnull=True,
                user__username=address,
                user__kind=UserKind.FAMILY,
                user__is_active=True,
            )
            .first()
        )
        if person is None:
            return None
        sent = sorted(
            AuditEvent.objects.filter(
                action__in=(REGISTER, RESEND),
                subject_kind=Contact._meta.label_lower,
                subject_id=str(person.pk),
                occurred_at__gt=moment - dt.timedelta(hours=1),
            ).values_list("occurred_at", flat=True)
        )
        if sent and sent[-1] > moment - RESEND_EVERY:
            raise ContactError(
                "we sent a link less than a minute ago; wait and try again", field="email"
            )
        if len(sent) >= RESEND_PER_HOUR:
            raise ContactError(
                "we have sent several links this hour; try again later", field="email"
            )
        record_event(
            RESEND,
            actor=actor or Actor.system("web"),
            subject=person,
            details={"email": address},
        )
    return person, verification_token(person)


def do_give_identity(
    contact: Contact,
    *,
    document_type: str,
    document_number: str,
    address: str,
    postcode: str,
    actor: Actor,
) -> Contact:
    """Identity details for staff to check; giving new ones means they are checked afresh."""
    if document_type not in DocumentType.values:
        raise ContactError(
            f"expected one of {', '.join(DocumentType.values)}",
            field="document_type",
            subject=f"{document_type!r}",
        )
    number = "".join(document_number.split()).upper()
    if not 5 <= len(number) <= 40 or not number.isalnum():
        raise ContactError(
            "5 to 40 letters and digits, as on the document", field="document_number"
        )
    if not address.strip():
        raise ContactError("give your address", field="address")
    if not postcode.strip():
        raise ContactError("give your postcode", field="postcode")
    with transaction.atomic():
        person = Contact.objects.select_for_update().get(pk=contact.pk)
        person.document_type = document_type
        person.document_number = number
        person.address = address.strip()[:300]
        person.postcode = postcode.strip().upper()[:10]
        person.identity_checked_at = None
        person.identity_checked_by = ""
        person.save()
        # The number itself stays out of the audit log: only that it was given.
        record_event(
            "contacts.identity.give",
            actor=actor,
            subject=person,
            details={"document_type": document_type},
        )
    return person


def do_check_identity(contact: Contact, *, actor: Actor) -> Contact:
    """Staff have seen the document and proof of address and they match."""
    with transaction.atomic():
        person = Contact.objects.select_for_update().get(pk=contact.pk)
        if not person.document_type or not person.address:
            raise ContactError(f"{person}: no identity details to check yet")
        person.identity_checked_at = timezone.now()
        person.identity_checked_by = actor.label
        person.save(update_fields=["identity_checked_at", "identity_checked_by"])
        record_event("contacts.identity.check", actor=actor, subject=person)
    return person


# --- links to prisoners --------------------------------------------------------------------


def do_request_link(
    contact: Contact,
    *,
    prison_number: str,
    prisoner_date_of_birth: dt.date,
    relationship: str,
    actor: Actor,
) -> ContactLink:
    """Ask to be on a prisoner's list. Both the number and the date of birth must match;
    any mismatch gets the same answer, so that nobody can find out who is in prison.

    Every ask, matched or not, counts towards two limits over any 24 hours: asks by this
    account (``WICKETGATE_CONTACT_REQUESTS_PER_ACCOUNT``) and asks naming this prison
    number from any account (``WICKETGATE_CONTACT_REQUESTS_PER_PRISON_NUMBER``), so that
    dates of birth cannot be fished for. Past either, the ask is refused before anything is
    looked up, saying when to try again (:class:`TooManyRequests`).
    """
    if relationship not in Relationship.values:
        raise ContactError("not a relationship", field="relationship", subject=f"{relationship!r}")
    if relationship in OFFICIAL:
        raise ContactError(
            "officials (solicitors, probation, …) are added by the prison's staff",
            field="relationship",
        )
    number = prison_number.strip().upper()[:20]
    _count_link_request(contact, number, actor)
    prisoner = Prisoner.objects.filter(
        prison_number=number, date_of_birth=prisoner_date_of_birth
    ).first()
    if prisoner is None:
        # On the record, in its own transaction: repeated guessing shows in the audit log.
        record_event(
            "contacts.link.no_match",
            actor=actor,
            subject=contact,
            outcome=AuditEvent.Outcome.DENIED,
            details={"prison_number": number[:7]},
        )
        raise ContactError(NO_MATCH)
    with transaction.atomic():
        if ContactLink.objects.filter(prisoner=prisoner, contact=contact).exists():
            raise ContactError("you have already asked to be a contact of this person")
        link = ContactLink.objects.create(
            prisoner=prisoner,
            contact=contact,
            relationship=relationship,
            requested_by=actor.label,
        )
        _record(link, "request", actor)
    return link


def _count_link_request(contact: Contact, number: str, actor: Actor) -> None:
    """Count an ask, or refuse it (on the record) if either limit is reached."""
    now = timezone.now()
    since = now - REQUEST_WINDOW
    with transaction.atomic():
        # One ask at a time per account, so two at once cannot both take the last one.
        Contact.objects.select_for_update().filter(pk=contact.pk).first()
        recent = LinkRequestAttempt.objects.filter(made_at__gt=since)
        retry_at, limit = None, ""
        for name, rows, most in (
            (
                "account",
                recent.filter(contact=contact),
                settings.WICKETGATE_CONTACT_REQUESTS_PER_ACCOUNT,
            ),
            (
                "prison_number",
                recent.filter(prison_number=number),
                settings.WICKETGATE_CONTACT_REQUESTS_PER_PRISON_NUMBER,
            ),
        ):
            # The ask that must leave the window before another fits in it.
            oldest = rows.order_by("-made_at").values_list("made_at", flat=True)[most - 1 : most]
            for made_at in oldest:
                if retry_at is None or made_at + REQUEST_WINDOW > retry_at:
                    retry_at, limit = made_at + REQUEST_WINDOW, name
        if retry_at is None:
            LinkRequestAttempt.objects.create(contact=contact, prison_number=number, made_at=now)
            return
    record_event(
        "contacts.link.limited",
        actor=actor,
        subject=contact,
        outcome=AuditEvent.Outcome.DENIED,
        details={"prison_number": number[:7], "limit": limit, "retry_at": retry_at.isoformat()},
    )
    raise TooManyRequests(retry_at)


def do_add_child(
    adult: ContactLink,
    *,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
    relationship: str,
    actor: Actor,
) -> ContactLink:
    """An approved adult contact adds a child (under 18) to the same prisoner's list."""
    if adult.status != LinkStatus.APPROVED:
        raise ContactError("only an approved contact can add a child")
    if relationship not in Relationship.values or relationship in OFFICIAL:
        raise ContactError(
            "not a family relationship", field="relationship", subject=f"{relationship!r}"
        )
    child = Contact(
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        date_of_birth=date_of_birth,
        added_by=adult.contact,
    )
    if not child.given_name or not child.family_name:
        raise ContactError("give the child's first and last names", field="name")
    if date_of_birth > timezone.localdate() or not child.is_child():
        raise ContactError("a child added here must be under 18", field="date_of_birth")
    with transaction.atomic():
        child.save()
        link = ContactLink.objects.create(
            prisoner=adult.prisoner,
            contact=child,
            relationship=relationship,
            requested_by=actor.label,
        )
        _record(link, "request", actor, child=True, added_by=adult.contact_id)
    return link


def do_add_official(
    prisoner: Prisoner,
    *,
    given_name: str,
    family_name: str,
    relationship: str,
    actor: Actor,
    email: str = "",
    expires_on: dt.date | None = None,
) -> ContactLink:
    """Staff add an official (a solicitor, a probation officer, …), approved at once."""
    if relationship not in OFFICIAL:
        raise ContactError(
            "not an official relationship", field="relationship", subject=f"{relationship!r}"
        )
    if not given_name.strip() or not family_name.strip():
        raise ContactError("give the first and last names", field="name")
    with transaction.atomic():
        person = Contact.objects.create(
            given_name=given_name.strip(),
            family_name=family_name.strip(),
            date_of_birth=dt.date(1900, 1, 1),  # not asked of officials
            email=email.strip().lower(),
        )
        now = timezone.now()
        link = ContactLink.objects.create(
            prisoner=prisoner,
            contact=person,
            relationship=relationship,
            status=LinkStatus.APPROVED,
            requested_by=actor.label,
            decided_at=now,
            decided_by=actor.label,
            expires_on=expires_on,
        )
        _record(link, "add_official", actor, legal=relationship in LEGAL)
    return link


def do_confirm_link(link: ContactLink, *, accept: bool, actor: Actor) -> ContactLink:
    """The prisoner says whether they know this person and want them on their list."""
    with transaction.atomic():
        locked = _locked(link)
        if locked.status != LinkStatus.REQUESTED:
            raise ContactError(f"{locked.reference} is {locked.get_status_display().lower()}")
        locked.status = LinkStatus.CONFIRMED if accept else LinkStatus.REFUSED
        if accept:
            locked.confirmed_at = timezone.now()
        else:
            locked.decided_at = timezone.now()
            locked.decided_by = actor.label
            locked.decision_reason = "Declined by the prisoner"
        locked.save()
        _record(locked, "confirm" if accept else "decline", actor)
    return locked


def do_decide_link(
    link: ContactLink,
    *,
    approve: bool,
    actor: Actor,
    relationship: str | None = None,
    expires_on: dt.date | None = None,
    reason: str = "",
) -> ContactLink:
    """Staff approve (with the relationship, and an expiry if they set one) or refuse."""
    if relationship is not None and relationship not in Relationship.values:
        raise ContactError("not a relationship", field="relationship", subject=f"{relationship!r}")
    if not approve and not reason.strip():
        raise ContactError("say why the contact is refused", field="reason")
    if expires_on is not None and expires_on < timezone.localdate():
        raise ContactError("that day has passed", field="expires_on")
    with transaction.atomic():
        locked = _locked(link)
        if locked.status != LinkStatus.CONFIRMED:
            raise ContactError(
                f"{locked.reference} is {locked.get_status_display().lower()}: staff decide "
                "once the prisoner has confirmed"
            )
        person = locked.contact
        if approve and person.user_id is not None and not person.identity_checked:
            raise ContactError(f"{person}: check their identity before approving")
        if approve and person.added_by_id is not None:
            sponsor = ContactLink.objects.approved().filter(
                prisoner_id=locked.prisoner_id, contact_id=person.added_by_id
            )
            if not sponsor.exists():
                raise ContactError(
                    f"{person} was added by {person.added_by}, who is no longer approved"
                )
        locked.status = LinkStatus.APPROVED if approve else LinkStatus.REFUSED
        locked.relationship = relationship or locked.relationship
        locked.expires_on = expires_on if approve else None
        locked.decided_at = timezone.now()
        locked.decided_by = actor.label
        locked.decision_reason = reason.strip()[:300]
        locked.save()
        _record(
            locked,
            "approve" if approve else "refuse",
            actor,
            **({"reason": locked.decision_reason} if locked.decision_reason else {}),
        )
    return locked


def do_revoke_link(link: ContactLink, *, reason: str, actor: Actor) -> ContactLink:
    """Take an approved contact off the list: every channel to them stops within a second."""
    if not reason.strip():
        raise ContactError("say why the contact is revoked", field="reason")
    with transaction.atomic():
        locked = _locked(link)
        if locked.status != LinkStatus.APPROVED:
            raise ContactError(f"{locked.reference} is {locked.get_status_display().lower()}")
        locked.status = LinkStatus.REVOKED
        locked.decided_at = timezone.now()
        locked.decided_by = actor.label
        locked.decision_reason = reason.strip()[:300]
        locked.save()
        _record(locked, "revoke", actor, reason=locked.decision_reason)
        # Children this person added cannot join calls without them: they go too.
        for child in ContactLink.objects.select_for_update().filter(
            prisoner_id=locked.prisoner_id,
            contact__added_by_id=locked.contact_id,
            status__in=[LinkStatus.APPROVED, LinkStatus.CONFIRMED, LinkStatus.REQUESTED],
        ):
            child.status = LinkStatus.REVOKED
            child.decided_at = locked.decided_at
            child.decided_by = locked.decided_by
            child.decision_reason = f"The adult who added them ({locked.reference}) was revoked"
            child.save()
            _record(child, "revoke", actor, reason=child.decision_reason)
    return locked


def do_set_victim(link: ContactLink, *, victim: bool, actor: Actor) -> ContactLink:
    with transaction.atomic():
        locked = _locked(link)
        locked.victim = victim
        locked.save(update_fields=["victim"])
        _record(locked, "victim", actor, victim=victim)
    return locked


# --- restrictions --------------------------------------------------------------------------


def do_add_restriction(
    link: ContactLink,
    *,
    code: str,
    reason: str,
    actor: Actor,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> ContactRestriction:
    if code not in RestrictionCode.values:
        raise ContactError(
            f"expected one of {', '.join(RestrictionCode.values)}",
            field="code",
            subject=f"{code!r}",
        )
    if not reason.strip():
        raise ContactError("say why the restriction is needed", field="reason")
    start = starts_on or timezone.localdate()
    if ends_on is not None and ends_on < start:
        raise ContactError("before the restriction starts", field="ends_on")
    with transaction.atomic():
        locked = _locked(link)
        restriction = ContactRestriction.objects.create(
            link=locked,
            code=code,
            starts_on=start,
            ends_on=ends_on,
            reason=reason.strip()[:300],
            created_by=actor.label,
        )
        _record(
            locked,
            "restrict",
            actor,
            code=code,
            restriction=restriction.pk,
            starts_on=start.isoformat(),
            ends_on=ends_on.isoformat() if ends_on else None,
            reason=restriction.reason,
        )
    return restriction


def do_end_restriction(restriction: ContactRestriction, *, actor: Actor) -> None:
    with transaction.atomic():
        locked = ContactRestriction.objects.select_for_update().get(pk=restriction.pk)
        if locked.ended_at is not None:
            raise ContactError(f"restriction {locked.pk} has already ended")
        locked.ended_at = timezone.now()
        locked.save(update_fields=["ended_at"])
        _record(locked.link, "unrestrict", actor, code=locked.code, restriction=locked.pk)


# --- internals ---------------------------------------------------------------------------


def _locked(link: ContactLink) -> ContactLink:
    return (
        ContactLink.objects.select_for_update(of=("self",))
        .select_related("prisoner__establishment", "contact")
        .get(pk=link.pk)
    )


def _record(link: ContactLink, verb: str, actor: Actor, **details: Any) -> None:
    record_event(
        f"contacts.link.{verb}",
        actor=actor,
        subject=link.prisoner,
        establishment=link.prisoner.establishment,
        details={
            "link": link.pk,
            "contact": link.contact_id,
            "relationship": link.relationship,
            "status": link.status,
            **details,
        },
    )


def _owner(person: Contact) -> Actor:
    if person.user is not None:
        return Actor.of_user(person.user)
    return Actor.system("contacts")
