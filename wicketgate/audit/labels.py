"""What each audit action means, in words: gathered from every app's ``text.AUDIT_ACTIONS``,
so an app names its own actions and the log's pages read them all."""

from __future__ import annotations

import importlib
from functools import cache

from django.apps import apps
from django.utils.functional import Promise


@cache
def audit_action_labels() -> dict[str, Promise]:
    labels: dict[str, Promise] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("wicketgate."):
            continue
        try:
            text = importlib.import_module(f"{config.name}.text")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.text":
                raise
            continue
        labels.update(getattr(text, "AUDIT_ACTIONS", {}))
    return labels


def action_label(action: str) -> str:
    """What an audit action means, in words; its code when there are none for it."""
    return str(audit_action_labels().get(action, action))
