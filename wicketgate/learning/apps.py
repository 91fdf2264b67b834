from typing import Any

from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "wicketgate.learning"
    verbose_name = "Learning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from wicketgate.people.models import Movement

        # A learner transferred: their courses at the old establishment end (the record
        # goes with them; the old establishment's course grants stop applying at once).
        post_save.connect(_transferred, sender=Movement, dispatch_uid="learning-transfer")


def _transferred(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    from wicketgate.audit.log import Actor
    from wicketgate.learning.actions import end_enrolments_on_transfer
    from wicketgate.people.models import Movement

    if not created or instance.kind != Movement.Kind.TRANSFER:
        return
    if instance.from_establishment_id is None:
        return
    end_enrolments_on_transfer(
        instance.prisoner, instance.from_establishment_id, actor=Actor.system("learning")
    )
