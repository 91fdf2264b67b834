"""Who may see and change which parts of the policy: reads scoped by establishment.

The catalogue is one for the whole estate. Rules are estate-wide or belong to one
establishment; proposals belong to the establishment whose staff decide them, or to
none, and then only the estate administrator decides. Everything here goes through
``establishment_ids_for``, the same one place that scopes every other record.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from wicketgate.accounts.roles import Action
from wicketgate.accounts.scoping import ALL, establishment_ids_for, may_at, may_somewhere
from wicketgate.policy.models import AccessRule, PolicyProposal

PROPOSAL_ACTIONS = (Action.PROPOSE_POLICY, Action.APPROVE_POLICY)


def visible_rules(user: Any, action: str = Action.VIEW) -> Any:
    """Estate-wide rules, and the rules of the establishments where ``user`` may ``action``
    (none at all for someone who may not do it anywhere)."""
    ids = establishment_ids_for(user, action)
    if ids is ALL:
        return AccessRule.objects.all()
    if not ids:
        return AccessRule.objects.none()
    return AccessRule.objects.filter(Q(establishment__isnull=True) | Q(establishment__in=ids))


def visible_proposals(user: Any) -> Any:
    """Proposals for establishments where ``user`` may propose or approve policy, and
    their own; estate-wide proposals of others are the estate administrator's alone."""
    scoped = [PolicyProposal.objects.for_user(user, action) for action in PROPOSAL_ACTIONS]
    own = PolicyProposal.objects.filter(proposed_by=user) if user.is_authenticated else None
    found = scoped[0] | scoped[1]
    return found | own if own is not None else found


def may_propose(user: Any, establishment: Any) -> bool:
    """At an establishment: with PROPOSE_POLICY there. Estate-wide (None): with it anywhere,
    as only the estate administrator can approve it."""
    if establishment is None:
        return may_somewhere(user, Action.PROPOSE_POLICY)
    return may_at(user, Action.PROPOSE_POLICY, establishment.pk)


def may_approve_at(user: Any, establishment: Any) -> bool:
    """APPROVE_POLICY at the establishment; for an estate-wide proposal, the estate admin."""
    return may_at(user, Action.APPROVE_POLICY, establishment.pk if establishment else None)


def may_decide(user: Any, proposal: PolicyProposal) -> bool:
    """Whether ``user`` may approve or reject ``proposal`` now (never their own)."""
    return (
        proposal.status == PolicyProposal.Status.PENDING
        and proposal.proposed_by_id != getattr(user, "pk", None)
        and may_approve_at(user, proposal.establishment)
    )
