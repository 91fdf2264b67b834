"""The one function every state change calls to put itself on the record.

Call it inside the same transaction as the change it records, so a change that rolls
back leaves no audit row and an audit row never describes a change that did not happen.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any

from django.db import models

from wicketgate.audit.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who did something: a person signed in, a command-line operator, or a component."""

    kind: str  # staff | prisoner | family | operator | system
    id: str
    label: str

    @classmethod
    def of_user(cls, user: Any) -> Actor:
        return cls(kind=str(user.kind), id=str(user.pk), label=str(user.username))

    @classmethod
    def operator(cls, username: str | None = None) -> Actor:
        """Whoever ran a command at the console (the OS user unless named)."""
        name = username or getpass.getuser()
        return cls(kind="operator", id=name, label=name)

    @classmethod
    def system(cls, component: str) -> Actor:
        return cls(kind="system", id=component, label=component)


def as_actor(who: Actor | Any) -> Actor:
    return who if isinstance(who, Actor) else Actor.of_user(who)


def record_event(
    action: str,
    *,
    actor: Actor | Any,
    subject: models.Model | None = None,
    establishment: Any = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. ``action`` is a dotted verb such as ``people.prisoner.transfer``."""
    who = as_actor(actor)
    subject_kind = subject_id = subject_label = ""
    if subject is not None:
        subject_kind = subject._meta.label_lower
        subject_id = str(subject.pk)
        subject_label = str(subject)[:200]
    return AuditEvent.objects.create(
        actor_kind=who.kind,
        actor_id=who.id,
        actor_label=who.label,
        action=action,
        subject_kind=subject_kind,
        subject_id=subject_id,
        subject_label=subject_label,
        establishment=establishment,
        outcome=outcome,
        details=details or {},
    )
