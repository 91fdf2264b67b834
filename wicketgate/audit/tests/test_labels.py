"""Audit actions in words: each app names its own, and the log's pages read them all."""

from __future__ import annotations

import importlib

from django.apps import apps

from wicketgate.audit.labels import action_label, audit_action_labels


def test_it_reads_the_words_an_app_gives_its_own_actions() -> None:
    assert action_label("calls.booking.create") == "Video call booked"
    assert action_label("people.alert.add") == "Alert added"
    assert action_label("contacts.link.approve") == "Contact approved by staff"


def test_it_shows_an_action_without_words_by_its_code() -> None:
    assert action_label("phone.call.nothing") == "phone.call.nothing"
    assert action_label("phone.call.start") == "Phone call placed"


def test_each_app_names_only_its_own_actions() -> None:
    seen = 0
    for config in apps.get_app_configs():
        if not config.name.startswith("wicketgate."):
            continue
        try:
            text = importlib.import_module(f"{config.name}.text")
        except ModuleNotFoundError:
            continue
        for action in getattr(text, "AUDIT_ACTIONS", {}):
            assert action.startswith(f"{config.label}."), (config.name, action)
            seen += 1
    assert seen == len(audit_action_labels())  # none lost, none named twice
