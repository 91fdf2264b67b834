"""``wicketgate phone``: approved numbers, phone PINs and phone credit.

``number add``, ``pin set`` and ``credit add`` are a contract other tools depend on (a
prison's existing telephony records can be loaded through them): exit 0 done, 1 refused
with the reason and nothing written, 2 wrong usage.
"""

from __future__ import annotations

from pathlib import Path
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
@click.option(
    "--contact",
    "reference",
    default=None,
    metavar="CON-N",
    help="The approved contact it belongs to (a legal number: their legal adviser, required).",
)
@BY_STAFF
def number_add(
    prison_number: str, number_: str, name: str, kind: str, reference: str | None, by: str | None
) -> None:
    """Put a number on a prisoner's list, approved (the pages have the ask → approve way)."""
    _setup_django()
    from wicketgate.contacts.models import ContactLink
    from wicketgate.phone.actions import do_add_phone_number

    found = _prisoner(prison_number)
    link = None
    if reference is not None:
        key = reference.strip().upper().removeprefix("CON-")
        link = (
            ContactLink.objects.filter(pk=int(key), prisoner=found).first()
            if key.isdigit()
            else None
        )
        if link is None:
            raise Refused(
                f"--contact {reference}: no contact of {found.prison_number} with that reference"
            )
    actor = staff_actor(by)
    with refusals():
        entry = do_add_phone_number(
            found, number_, name=name, kind=kind, contact_link=link, actor=actor
        )
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


@phone.command(name="settings")
@click.option("--establishment", "code", required=True, help="Establishment code, e.g. NGT.")
@click.option(
    "--hours", default=None, help='Phone hours, e.g. "Mon-Fri 08:00-20:30; Sat-Sun 09:00-17:00".'
)
@click.option("--max-minutes", type=int, default=None, help="The longest call, in minutes.")
@click.option(
    "--tariff",
    "tariffs",
    multiple=True,
    metavar="DESTINATION=PENCE",
    help="Pence a started minute: uk_landline, uk_mobile or international (repeatable).",
)
@BY_STAFF
def settings_(
    code: str, hours: str | None, max_minutes: int | None, tariffs: tuple[str, ...], by: str | None
) -> None:
    """Show, or change, an establishment's phone hours, longest call and tariff."""
    _setup_django()
    from wicketgate.estate.models import Establishment
    from wicketgate.phone.actions import do_change_phone_settings
    from wicketgate.phone.decide import phone_settings_for

    establishment = Establishment.objects.filter(code=code.strip().upper()).first()
    if establishment is None:
        raise Refused(f"--establishment {code}: no such establishment")
    tariff: dict[str, int] = {}
    for item in tariffs:
        destination, sep, pence = item.partition("=")
        if not sep or not pence.strip().isdigit():
            raise click.BadParameter(f"{item!r}: expected DESTINATION=PENCE", param_hint="--tariff")
        tariff[destination.strip()] = int(pence)
    if hours is not None or max_minutes is not None or tariff:
        actor = staff_actor(by)
        with refusals():
            do_change_phone_settings(
                establishment, actor=actor, hours=hours, max_call_minutes=max_minutes, tariff=tariff
            )
    chosen = phone_settings_for(establishment.pk)
    click.echo(f"hours\t{chosen.hours}")
    click.echo(f"max_minutes\t{chosen.max_call_minutes}")
    for destination in ("uk_landline", "uk_mobile", "international", "free"):
        click.echo(f"tariff\t{destination}\t{chosen.pence_a_minute(destination)}")


@phone.command(name="decide")
@click.option("--prisoner", "prison_number", required=True, help="Prison number, e.g. A1234BC.")
@click.option("--number", "number_", required=True, help="The number dialled.")
@click.option("--handset", required=True, help="The phone's device id.")
@click.option("--address", required=True, help="The address the call comes from.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def decide(prison_number: str, number_: str, handset: str, address: str, as_json: bool) -> None:
    """Ask what Kamailio asks for a call: exit 0 allowed (with its limit), 1 refused."""
    _setup_django()
    import dataclasses
    import json
    import sys

    from wicketgate.phone.decide import decide_call

    decision = decide_call(prison_number, number_, handset=handset, address=address)
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(decision)))
    elif decision.allowed:
        recorded = "recorded" if decision.record else "not recorded"
        click.echo(f"ALLOW  {decision.number} for up to {decision.limit_seconds} s, {recorded}")
    else:
        click.echo(f"DENY  {decision.status} ({decision.rule}): {decision.reason}")
    sys.exit(0 if decision.allowed else 1)


@phone.command(name="sip-config")
def sip_config() -> None:
    """Write Kamailio's configuration (deploy/kamailio) and print how to start it."""
    _setup_django()
    import shlex

    from wicketgate.phone.kamailio import command, configured, render_config

    setup = configured()
    written = render_config(setup)
    click.echo(f"wrote {written}")
    click.echo(shlex.join(command(setup)))


@phone.command(name="run")
def phone_run() -> None:
    """Run Kamailio, the phone gateway, in the foreground until stopped (as the kamailio
    user when started as root). It listens on WICKETGATE_PHONE_SIP_LISTEN and asks the
    web app at WICKETGATE_PHONE_ASK_URL (`wicketgate up` sets it to its own address)."""
    _setup_django()
    import os
    import pwd
    import sys
    from urllib.parse import urlsplit

    from django.db import connections

    from wicketgate.phone.kamailio import KamailioSetupError, check_config, command, configured
    from wicketgate.phone.kamailio import prepare as prepare_kamailio

    setup = configured()
    try:
        user = prepare_kamailio(setup)
        check_config(setup)
    except KamailioSetupError as exc:
        raise Refused(str(exc)) from exc
    argv = command(setup, user=user)
    asks = urlsplit(setup.ask_url)  # not its path: that holds the key
    click.echo(
        f"wicketgate: phone gateway (Kamailio) on udp:{setup.listen_address}:{setup.listen_port}"
        f" as user {user or pwd.getpwuid(os.geteuid()).pw_name}; asks {asks.scheme}://{asks.netloc}; "
        f"calls out through {setup.trunk}; config {setup.config_file}"
    )
    sys.stdout.flush()
    sys.stderr.flush()
    connections.close_all()
    # Kamailio takes this process's place: a supervisor's SIGTERM reaches it directly, and
    # it stops its own workers (a Python parent in between would only have to relay it).
    os.execv(argv[0], argv)  # noqa: S606 - our own fixed command line


@phone.command(name="media")
def phone_media() -> None:
    """Run rtpengine, the calls' media relay, in the foreground until stopped (as the
    rtpengine user when started as root): audio on WICKETGATE_PHONE_MEDIA_ADDRESS, ports
    WICKETGATE_PHONE_MEDIA_PORTS, controlled by Kamailio on WICKETGATE_PHONE_MEDIA_CONTROL.
    `wicketgate up` runs it beside Kamailio."""
    _setup_django()
    import os
    import sys

    from wicketgate.phone.rtpengine import (
        RTPENGINE,
        MediaRelayError,
        command,
        configured,
        render_config,
    )

    if not Path(RTPENGINE).exists():
        raise Refused(
            f"{RTPENGINE} is not installed: run `make install` (it installs rtpengine-daemon)"
        )
    setup = configured()
    try:
        render_config(setup)
    except MediaRelayError as exc:
        raise Refused(str(exc)) from exc
    argv = command(setup)
    click.echo(
        f"wicketgate: media relay (rtpengine) on {setup.interface}, ports "
        f"{setup.port_min}-{setup.port_max}, control udp:{setup.control}; recordings in "
        f"{setup.recordings}"
    )
    sys.stdout.flush()
    os.execv(argv[0], argv)  # noqa: S606 - our own fixed command line


@phone.command(name="watch")
def phone_watch() -> None:
    """Keep live phone calls in step with the records until stopped: every half second,
    end (through Kamailio's RPC socket, WICKETGATE_PHONE_RPC_SOCKET) each live call a new
    ban, sanction, alert, removed or barred number or retired handset no longer allows,
    and settle calls whose end was never reported. `wicketgate up` runs it beside Kamailio."""
    _setup_django()
    import signal
    import threading

    from wicketgate.phone.watcher import PhoneWatcher
    from wicketgate.policy.engine import Engine

    stopping = threading.Event()

    def on_signal(*_: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    from django.conf import settings

    from wicketgate.phone.announcements import KeyListener

    keys = KeyListener()
    click.echo(
        "wicketgate: phone calls watched every 0.5 s; key presses heard on "
        f"udp:{settings.WICKETGATE_PHONE_KEYS_LISTEN}"
    )
    PhoneWatcher(Engine(refresh_every=0)).run(stopping, keys=keys)


def _prisoner(prison_number: str) -> Any:
    from wicketgate.people.models import Prisoner

    found = Prisoner.objects.filter(prison_number=prison_number.strip().upper()).first()
    if found is None:
        raise Refused(f"--prisoner {prison_number}: no such prisoner")
    return found
