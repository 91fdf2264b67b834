"""Every change that can alter a decision is logged, in its own transaction, as a new version.

Handlers rather than calls in each action, so that no code path (an import, the admin,
a future app) can change what a prisoner may reach without the engines hearing of it.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from wicketgate.policy.models import PolicyChange


def policy_changed(sender: Any, **kwargs: Any) -> None:
    PolicyChange.objects.create(kind=PolicyChange.Kind.POLICY)


def prisoner_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    prisoner_id = getattr(instance, "prisoner_id", None) or instance.pk
    PolicyChange.objects.create(kind=PolicyChange.Kind.PRISONER, key=str(prisoner_id))


def connect() -> None:
    from wicketgate.conduct.models import Sanction
    from wicketgate.contacts.models import ContactLink, ContactRestriction
    from wicketgate.estate.models import Establishment
    from wicketgate.people.models import Prisoner, PrisonerAlert
    from wicketgate.policy.models import AccessRule, Category, PrisonerException, Site

    policy_models: list[type[Any]] = [Category, Site, AccessRule, Establishment]
    prisoner_models: list[type[Any]] = [
        Prisoner,
        PrisonerAlert,
        PrisonerException,
        Sanction,
        ContactLink,
        ContactRestriction,
    ]
    for model in policy_models:
        post_save.connect(
            policy_changed, sender=model, dispatch_uid=f"policy-{model.__name__}-save"
        )
        post_delete.connect(
            policy_changed, sender=model, dispatch_uid=f"policy-{model.__name__}-delete"
        )
    for model in prisoner_models:
        post_save.connect(
            prisoner_changed, sender=model, dispatch_uid=f"prisoner-{model.__name__}-save"
        )
        post_delete.connect(
            prisoner_changed, sender=model, dispatch_uid=f"prisoner-{model.__name__}-delete"
        )
