"""``wicketgate phone``: approved numbers, phone PINs and phone credit.

``number add``, ``pin set`` and ``credit add`` are a contract other tools depend on (a
prison's existing telephony records can be loaded through them): exit 0 done, 1 refused
with the reason and nothing written, 2 wrong usage.
"""

from __future__ import annotations

from typing import Any

import click

from wicketgate.lib.cli import BY_STAFF, Refused, refusals, staff_actor
from wicketgate.lib.cli import setup_django as _setup_django


@click.group()
def phone() -> None:
    """Phone calls: each prisoner's approved numbers, phone PINs and credit."""


@phone.group()
def number() -> None:
    """Numbers a prisoner may call, and numbers barred for everyone."""


@number.command(name="add")
@click.option("--prisoner", "prison_number", required=True, help="Prison number, e.g. A1234BC.")
@click.option("--number", "number_", required=True, help="The number, e.g. +442079460123.")
@click.option("--name", required=True, help="Whose number it is.")
@click.option("--kind", type=click.Choice(["social", "official", "legal"]), required=True)
@BY_STAFF
def number_add(prison_number: str, number_: str, name: str, kind: str, by: str | None) -> None:
    """Put a number on a prisoner's list, approved (the pages have the ask → approve way)."""
    _setup_django()
    from wicketgate.phone.actions import do_add_phone_number

    found = _prisoner(prison_number)
    actor = staff_actor(by)
    with refusals():
        entry = do_add_phone_number(found, number_, name=name, kind=kind, actor=actor)
    click.echo(
        f"{entry.number} ({entry.get_kind_display().lower()}, {entry.name}) approved for {found.prison_number}"
    )


@number.command(name="list")
@click.option("--prisoner", "prison_number", required=True, help="Prison number, e.g. A1234BC.")
def number_list(prison_number: str) -> None:
    """A prisoner's numbers: approved and waiting (tab-separated)."""
    _setup_django()
    from wicketgate.phone.codes import LIVE
    from wicketgate.phone.models import PhoneNumber

    found = _prisoner(prison_number)
    for entry in PhoneNumber.objects.filter(prisoner=found, status__in=LIVE):
        click.echo(
            "\t".join([entry.number, entry.kind, entry.status, entry.destination, entry.name])
        )


@number.command(name="bar")
@click.argument("number_")
@click.option("--reason", required=True, help="Why, e.g. the owner asked not to be called.")
@BY_STAFF
def number_bar(number_: str, reason: str, by: str | None) -> None:
    """Bar a number for every prisoner; it comes off every list."""
    _setup_django()
    from wicketgate.phone.actions import do_bar_number

    actor = staff_actor(by)
    with refusals():
        bar = do_bar_number(number_, reason=reason, actor=actor)
    click.echo(f"{bar.number} barred")


@phone.group()
def pin() -> None:
    """Phone PINs: what a prisoner types (with their prison number) on a handset."""


@pin.command(name="set")
@click.argument("prison_number")
@click.option(
    "--pin",
    "pin_",
    default=None,
    help="The PIN (4 to 8 digits); default: a new random one, printed.",
)
@BY_STAFF
def pin_set(prison_number: str, pin_: str | None, by: str | None) -> None:
    """Set or generate a prisoner's phone PIN."""
    _setup_django()
    from wicketgate.phone.actions import do_set_phone_pin

    found = _prisoner(prison_number)
    actor = staff_actor(by)
    with refusals():
        chosen = do_set_phone_pin(found, pin_, actor=actor)
    if pin_ is None:
        click.echo(chosen)
    else:
        click.echo(f"phone PIN set for {found.prison_number}", err=True)


@phone.group()
def credit() -> None:
    """Phone credit, in pence."""


@credit.command(name="add")
@click.option("--prisoner", "prison_number", required=True, help="Prison number, e.g. A1234BC.")
@click.option("--pence", type=int, required=True, help="How much to add, in pence.")
@click.option("--reason", required=True, help="Where the money comes from.")
@BY_STAFF
def credit_add(prison_number: str, pence: int, reason: str, by: str | None) -> None:
    """Add phone credit from the prisoner's funds; prints the new balance in pence."""
    _setup_django()
    from wicketgate.phone.actions import do_add_phone_credit

    found = _prisoner(prison_number)
    actor = staff_actor(by)
    with refusals():
        entry = do_add_phone_credit(found, pence, reason=reason, actor=actor)
    click.echo(str(entry.balance_after))


def _prisoner(prison_number: str) -> Any:
    from wicketgate.people.models import Prisoner

    found = Prisoner.objects.filter(prison_number=prison_number.strip().upper()).first()
    if found is None:
        raise Refused(f"--prisoner {prison_number}: no such prisoner")
    return found
