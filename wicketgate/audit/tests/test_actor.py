"""Who did something, as the audit log and every action take it."""

from __future__ import annotations


def test_an_actor_knows_the_account_behind_a_person_signed_in() -> None:
    from wicketgate.accounts.models import UserKind
    from wicketgate.audit.log import USER_KINDS, Actor

    assert set(UserKind.values) == USER_KINDS
    assert Actor("staff", "12", "sec.a").user_id == 12
    assert Actor.operator("root").user_id is None
    assert Actor.system("gateway").user_id is None
