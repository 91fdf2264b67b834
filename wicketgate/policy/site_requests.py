"""Prisoners' requests for sites, and what staff who review them do with each one.

A prisoner asks from the portal (and, once the gateway exists, from its block page).
Staff with ``Action.REVIEW_SITE_REQUESTS`` at the prisoner's establishment either
decline it, with a response the prisoner reads, or propose the site for the catalogue:
a ``PolicyProposal`` that a second member of staff must approve before anyone can use
the site (four eyes). Each ``do_`` function is atomic and writes its own audit event.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError

from wicketgate.accounts.models import User
from wicketgate.accounts.scoping import staff_behind
from wicketgate.audit.log import Actor, record_event
from wicketgate.lib.errors import ActionError
from wicketgate.people.models import Prisoner
from wicketgate.policy.hosts import BadResource, parse_url
from wicketgate.policy.imports import SiteEntry
from wicketgate.policy.models import Category, PolicyProposal, Site, SiteRequest
from wicketgate.policy.proposals import ProposalError, do_propose_policy_change

URL_MAX = 2000  # SiteRequest.url
REASON_MAX = 1000
RESPONSE_MAX = 1000


class SiteRequestError(ActionError):
    """A request or a review breaks a rule; nothing was changed."""


def do_request_site(prisoner: Prisoner, url: str, reason: str, *, actor: Actor) -> SiteRequest:
    """A prisoner asks for a site. The limit on waiting requests is
    ``WICKETGATE_SITE_REQUESTS_OPEN_LIMIT``; one site may not be asked for twice at once."""
    address, host = _address_and_host(url)
    words = reason.strip()
    if not words:
        raise SiteRequestError(_("Tell us what you need the website for"), "reason")
    if len(words) > REASON_MAX:
        raise SiteRequestError(
            _("What you need it for must be %(max)s characters or fewer") % {"max": REASON_MAX},
            "reason",
        )
    with transaction.atomic():
        # One prisoner's requests are counted under the lock on their row, so two at
        # once from two kiosks cannot both slip under the limit.
        locked = (
            Prisoner.objects.select_for_update().select_related("establishment").get(pk=prisoner.pk)
        )
        waiting = SiteRequest.objects.filter(prisoner=locked, status=SiteRequest.Status.OPEN)
        if waiting.filter(host=host).exists():
            raise SiteRequestError(
                _("You have already asked for %(host)s. Staff will answer that request first.")
                % {"host": host},
                "url",
            )
        limit = settings.WICKETGATE_SITE_REQUESTS_OPEN_LIMIT
        if waiting.count() >= limit:
            raise SiteRequestError(
                _(
                    "You already have %(limit)s requests waiting for staff. You can ask for "
                    "another website when staff have answered one of them."
                )
                % {"limit": limit}
            )
        site_request = SiteRequest.objects.create(
            prisoner=locked, url=address, host=host, reason=words
        )
        record_event(
            "policy.site_request.create",
            actor=actor,
            subject=site_request,
            establishment=locked.establishment,
            details={"request": site_request.pk, "host": host, "url": address, "reason": words},
        )
    return site_request


def do_decline_site_request(
    site_request: SiteRequest, *, actor: Actor, response: str
) -> SiteRequest:
    """Say no, and why: the response is what the prisoner reads."""
    user = _staff(actor)
    text = response.strip()
    if not text:
        raise SiteRequestError(_("Enter a response for the prisoner"), "response")
    if len(text) > RESPONSE_MAX:
        raise SiteRequestError(
            _("The response must be %(max)s characters or fewer") % {"max": RESPONSE_MAX},
            "response",
        )
    with transaction.atomic():
        locked = _lock_open(site_request)
        locked.status = SiteRequest.Status.DECLINED
        locked.response = text
        locked.handled_by = user
        locked.handled_at = timezone.now()
        locked.save(update_fields=["status", "response", "handled_by", "handled_at"])
        record_event(
            "policy.site_request.decline",
            actor=actor,
            subject=locked,
            establishment=locked.prisoner.establishment,
            details={"request": locked.pk, "host": locked.host, "response": text},
        )
    return locked


def do_propose_site_from_request(
    site_request: SiteRequest,
    *,
    actor: Actor,
    name: str,
    category: str,
    paths: list[str],
    note: str,
) -> PolicyProposal:
    """Propose the requested host as a new catalogue site. Nothing is allowed until a
    second member of staff approves the proposal; the request then reads as proposed."""
    user = _staff(actor)
    entry = _site_entry(name, site_request.host, category, paths)
    words = note.strip()
    if not words:
        raise SiteRequestError(
            _("Enter a note for the person who will approve the proposal"), "note"
        )
    if not entry.category:
        raise SiteRequestError(_("Choose a category"), "category")
    if not Category.objects.filter(code=entry.category).exists():
        raise SiteRequestError(
            _("There is no category %(code)s") % {"code": entry.category}, "category"
        )
    if Site.objects.filter(name=entry.name).exists():
        raise SiteRequestError(
            _("There is already a site called %(name)s in the catalogue. Choose another name.")
            % {"name": entry.name},
            "name",
        )
    payload = {
        "name": entry.name,
        "hosts": entry.hosts,
        "category": entry.category,
        "paths": entry.paths,
    }
    with transaction.atomic():
        locked = _lock_open(site_request)
        if PolicyProposal.objects.filter(
            kind=PolicyProposal.Kind.SITE,
            status=PolicyProposal.Status.PENDING,
            payload__name=entry.name,
        ).exists():
            raise SiteRequestError(
                _("A proposal to add a site called %(name)s is already waiting for approval.")
                % {"name": entry.name},
                "name",
            )
        establishment = locked.prisoner.establishment
        reason = f"{words}\n\nThe prisoner's reason (site request {locked.pk}): {locked.reason}"
        try:
            # The same path as a proposal made on the staff policy pages: checked as an
            # import would be, recorded, and left for a second person to approve.
            proposal = do_propose_policy_change(
                PolicyProposal.Kind.SITE, payload, establishment=None, reason=reason, actor=actor
            )
        except ProposalError as exc:
            field, message = (exc.errors() or [("name", str(exc))])[0]
            raise SiteRequestError(message, field) from exc
        locked.status = SiteRequest.Status.PROPOSED
        locked.proposal = proposal
        locked.handled_by = user
        locked.handled_at = timezone.now()
        locked.save(update_fields=["status", "proposal", "handled_by", "handled_at"])
        record_event(
            "policy.site_request.propose",
            actor=actor,
            subject=locked,
            establishment=establishment,
            details={
                "request": locked.pk,
                "proposal": proposal.pk,
                "payload": payload,
                "note": words,
            },
        )
    return proposal


# --- internals ---------------------------------------------------------------------------


def _address_and_host(url: str) -> tuple[str, str]:
    address = url.strip()
    if not address:
        raise SiteRequestError(_("Enter the address of the website, like www.nhs.uk"), "url")
    if len(address) > URL_MAX:
        raise SiteRequestError(_("That address is too long. Enter a shorter one."), "url")
    # People type www.nhs.uk/conditions as often as a full address; both name a host.
    full = address if "://" in address else f"https://{address}"
    try:
        return address, parse_url(full).host
    except BadResource:
        raise SiteRequestError(
            _("Enter a website address in the right format, like www.nhs.uk"), "url"
        ) from None


def _site_entry(name: str, host: str, category: str, paths: list[str]) -> SiteEntry:
    """The proposal's payload, checked as an entry in a policy file would be."""
    try:
        return SiteEntry(name=name, hosts=[host], category=category, paths=paths)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = str(first["loc"][0]) if first["loc"] else None
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] in ("string_too_short", "missing"):
            message = _("Enter a name for the site")
        field = where if where in ("name", "category", "paths") else None
        raise SiteRequestError(message, field) from None


def _staff(actor: Actor) -> User:
    """The member of staff behind ``actor``: the request records who handled it."""
    user = staff_behind(actor)
    if user is None:
        raise SiteRequestError(_("Only a member of staff, signed in, can do this."))
    return user


def _lock_open(site_request: SiteRequest) -> SiteRequest:
    locked = (
        SiteRequest.objects.select_for_update()
        .select_related("prisoner__establishment")
        .get(pk=site_request.pk)
    )
    if locked.status != SiteRequest.Status.OPEN:
        raise SiteRequestError(_("This request has already been dealt with."))
    return locked
