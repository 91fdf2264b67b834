"""``wicketgate conduct``: sanctions from the command line, and the alert scan.

``sanction add`` and ``sanction quash`` are a contract other tools depend on: the id is
printed alone on stdout; bad input exits 1 with the reason and records nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from wicketgate.lib.cli import BY_STAFF as BY
from wicketgate.lib.cli import Refused, staff_actor
from wicketgate.lib.cli import setup_django as _setup_django

SERVICES = ("web", "video", "phone", "messages", "device")


@click.group()
def conduct() -> None:
    """Incidents, adjudications, sanctions and conduct alerts."""


@conduct.group()
def sanction() -> None:
    """Give, quash and list sanctions."""


@contextmanager
def _refusals() -> Iterator[None]:
    from wicketgate.conduct.actions import ConductError

    try:
        yield
    except ConductError as exc:
        raise Refused(str(exc)) from exc


@sanction.command(name="add")
@click.option("--prisoner", "prison_number", required=True, help="Prison number, e.g. A1234BC.")
@click.option("--service", required=True, help="web | video | phone | messages | device")
@click.option(
    "--categories", default="", help="Web only: comma-separated category codes (default: all)."
)
@click.option("--days", required=True, type=int, help="How many days it lasts.")
@click.option("--reason", required=True)
@click.option(
    "--incident", "incident_ref", default=None, help="The proved incident (INC-12 or 12)."
)
@click.option(
    "--suspend-months",
    type=int,
    default=None,
    help="Suspend it for this many months instead of applying it now.",
)
@BY
def sanction_add(
    prison_number: str,
    service: str,
    categories: str,
    days: int,
    reason: str,
    incident_ref: str | None,
    suspend_months: int | None,
    by: str | None,
) -> None:
    """Record a sanction (an audited administrator action); prints its id."""
    _setup_django()
    from wicketgate.conduct.actions import do_add_sanction
    from wicketgate.conduct.models import Incident
    from wicketgate.people.models import Prisoner

    prisoner = Prisoner.objects.filter(prison_number=prison_number.strip().upper()).first()
    if prisoner is None:
        raise Refused(f"--prisoner {prison_number}: no such prisoner")
    if service not in SERVICES:
        raise Refused(f"--service {service}: expected one of {', '.join(SERVICES)}")
    incident = None
    if incident_ref is not None:
        incident = Incident.objects.filter(pk=_number(incident_ref, "INC-", "--incident")).first()
        if incident is None:
            raise Refused(f"--incident {incident_ref}: no such incident")
    actor = staff_actor(by)
    with _refusals():
        given = do_add_sanction(
            prisoner=prisoner,
            service=service,
            categories=[code for code in categories.split(",") if code.strip()],
            days=days,
            reason=reason,
            incident=incident,
            suspend_months=suspend_months,
            actor=actor,
        )
    click.echo(given.pk)


@sanction.command(name="quash")
@click.argument("sanction_id")
@click.option("--reason", required=True)
@BY
def sanction_quash(sanction_id: str, reason: str, by: str | None) -> None:
    """Quash a sanction: it stops applying at once."""
    _setup_django()
    from wicketgate.conduct.actions import do_quash_sanction
    from wicketgate.conduct.models import Sanction

    found = Sanction.objects.filter(pk=_number(sanction_id, "SAN-", "ID")).first()
    if found is None:
        raise Refused(f"no sanction {sanction_id}")
    actor = staff_actor(by)
    with _refusals():
        do_quash_sanction(found, reason=reason, actor=actor)
    click.echo(f"quashed {found.reference}")


@sanction.command(name="list")
@click.option("--prisoner", "prison_number", default=None)
@click.option("--all", "show_all", is_flag=True, help="Include served, lapsed and quashed ones.")
def sanction_list(prison_number: str | None, show_all: bool) -> None:
    """Sanctions in force, to come, or suspended (tab-separated)."""
    _setup_django()
    from django.utils import timezone

    from wicketgate.conduct.models import Sanction

    sanctions = Sanction.objects.select_related("prisoner").order_by("pk")
    if prison_number:
        sanctions = sanctions.filter(prisoner__prison_number=prison_number.strip().upper())
    if not show_all:
        sanctions = sanctions.current_or_coming()
    now = timezone.now()
    for row in sanctions:
        ends = timezone.localtime(row.ends_at).isoformat() if row.ends_at else "-"
        click.echo(
            "\t".join(
                (str(row.pk), row.prisoner.prison_number, row.restricts, row.state(now), ends)
            )
        )


@conduct.command(name="scan")
def conduct_scan() -> None:
    """Look through the audit log for what the alert triggers describe (Huey does this
    every minute under ``wicketgate up``); prints how many alerts were raised."""
    _setup_django()
    from wicketgate.conduct.alerts import do_scan_for_alerts

    click.echo(f"{do_scan_for_alerts()} alert(s) raised")


def _number(text: str, prefix: str, name: str) -> int:
    digits = text.strip().upper().removeprefix(prefix)
    if not digits.isdigit():
        raise Refused(f"{name} {text}: expected a number such as {prefix}12")
    return int(digits)
