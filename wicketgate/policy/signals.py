"""Every change that can alter a decision is logged, in its own transaction, as a new version.

Handlers rather than calls in each action, so that no code path (an import, the admin,
a future app) can change what a prisoner may reach without the engines hearing of it.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

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
    from wicketgate.learning.models import Course, CourseClass, Enrolment
    from wicketgate.people.models import Prisoner, PrisonerAlert
    from wicketgate.policy.models import AccessRule, Category, PrisonerException, Site

    policy_models: list[type[Any]] = [
        Category,
        Site,
        AccessRule,
        Establishment,
        Course,
        CourseClass,
    ]
    prisoner_models: list[type[Any]] = [
        Prisoner,
        PrisonerAlert,
        PrisonerException,
        Sanction,
        ContactLink,
        ContactRestriction,
        Enrolment,
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
    # A course's sites are a many-to-many: adding or taking one away saves neither side.
    m2m_changed.connect(
        _course_sites_changed, sender=Course.sites.through, dispatch_uid="policy-course-sites"
    )


def _course_sites_changed(sender: Any, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        PolicyChange.objects.create(kind=PolicyChange.Kind.POLICY)
