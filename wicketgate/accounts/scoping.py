"""Establishment scoping, decided in one place.

Every establishment-scoped queryset inherits :class:`ScopedQuerySet` and every view and
API endpoint reads through ``for_user(user, action)``. An object outside the user's
establishments is simply not in the queryset, so fetching it is a 404 everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from django.db import models

from wicketgate.accounts.roles import ROLE_ACTIONS

if TYPE_CHECKING:
    from wicketgate.accounts.models import User
    from wicketgate.audit.log import Actor

ALL = None  # every establishment: the estate administrator's scope


def establishment_ids_for(user: Any, action: str) -> set[int] | None:
    """Ids of the establishments where ``user`` may do ``action``; None means all.

    Anyone who is not an active member of staff gets the empty
    set: deny by default.
    """
    if not _is_active_staff(user):
        return set()
    if user.is_estate_admin:
        return ALL
    # One query a request for all the checks a page makes: the user object lives as long
    # as the request (or the command), and so does this.
    memberships: list[tuple[int, str]] | None = user.__dict__.get("_wg_memberships")
    if memberships is None:
        memberships = list(user.staff_memberships.values_list("establishment_id", "role"))
        user.__dict__["_wg_memberships"] = memberships
    return {
        establishment_id
        for establishment_id, role in memberships
        if action in ROLE_ACTIONS.get(role, frozenset())
    }


def may_at(user: Any, action: str, establishment_id: int | None) -> bool:
    """Whether ``user`` may do ``action`` at this establishment (the estate admin: at all)."""
    ids = establishment_ids_for(user, action)
    return ids is ALL or (establishment_id is not None and establishment_id in ids)


def may_somewhere(user: Any, action: str) -> bool:
    """Whether ``user`` may do ``action`` at any establishment (the estate admin: at all)."""
    ids = establishment_ids_for(user, action)
    return ids is ALL or bool(ids)


def actions_somewhere(user: Any) -> frozenset[str]:
    """Every action ``user`` may do at one establishment or more, in one query: what
    ``may_somewhere`` answers for one action, for all of them at once."""
    from wicketgate.accounts.roles import Action

    if not _is_active_staff(user):
        return frozenset()  # deny by default, as establishment_ids_for does
    if user.is_estate_admin:
        return frozenset(Action.values)
    roles = set(user.staff_memberships.values_list("role", flat=True))
    return frozenset().union(*(ROLE_ACTIONS.get(role, frozenset()) for role in roles))


def _is_active_staff(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    from wicketgate.accounts.models import UserKind

    return bool(user.kind == UserKind.STAFF)


_M = TypeVar("_M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[_M]):
    """A queryset that knows the path from its model to its establishment."""

    establishment_field: ClassVar[str] = "establishment"
    # The portals' scoping: the path from the model to the prisoner it is about, and to a
    # contact it concerns (None where no contact sees these records).
    prisoner_field: ClassVar[str] = "prisoner"
    contact_field: ClassVar[str | None] = None

    def for_user(self, user: User | Any, action: str) -> Self:
        ids = establishment_ids_for(user, action)
        if ids is ALL:
            return self.all()
        if not ids:
            return self.none()
        return self.filter(**{f"{self.establishment_field}__in": ids})

    def for_prisoner(self, prisoner: Any) -> Self:
        """What the prisoner signed in to the portal may see of these: their own."""
        return self.filter(**{self.prisoner_field: prisoner})

    def for_contact(self, contact: Any) -> Self:
        """What the family member signed in may see of these: those they are on."""
        if self.contact_field is None:
            return self.none()  # deny by default: not a family's record
        return self.filter(**{self.contact_field: contact}).distinct()


def staff_behind(actor: Actor) -> User | None:
    """The active staff account an actor stands for (None for an operator, a component,
    a prisoner or a family member): for actions that a member of staff must take in person,
    such as deciding on someone else's policy proposal."""
    from wicketgate.accounts.models import User, UserKind

    if actor.kind != UserKind.STAFF or actor.user_id is None:
        return None
    return User.objects.filter(pk=actor.user_id, kind=UserKind.STAFF, is_active=True).first()
