"""``wicketgate policy`` and ``wicketgate decide``: load and read the access policy, and ask
the engine about one address."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wicketgate.lib.cli import BY, Refused, refusals
from wicketgate.lib.cli import setup_django as _setup_django


@click.group()
def policy() -> None:
    """The access policy: approved sites, rules, per-prisoner exceptions."""


@policy.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--establishment", default=None, help="Rules in the file apply at this establishment only."
)
@BY
def policy_import(file: Path, establishment: str | None, by: str | None) -> None:
    """Load sites, rules and exceptions from a YAML FILE (an administrator action: applied at once)."""
    _setup_django()
    from wicketgate.audit.log import Actor
    from wicketgate.estate.models import Establishment
    from wicketgate.people.models import AlertCode, Prisoner
    from wicketgate.policy.actions import do_import_policy
    from wicketgate.policy.imports import Known, read_policy
    from wicketgate.policy.models import Category, Site

    scope = None
    if establishment is not None:
        scope = Establishment.objects.filter(code=establishment.upper()).first()
        if scope is None:
            raise Refused(f"--establishment {establishment}: no such establishment")
    known = Known(
        categories=set(Category.objects.values_list("code", flat=True)),
        sites=set(Site.objects.values_list("name", flat=True)),
        prisoners=set(Prisoner.objects.values_list("prison_number", flat=True)),
        establishments=set(Establishment.objects.values_list("code", flat=True)),
        alerts=set(AlertCode.objects.values_list("code", flat=True)),
    )
    with refusals():
        parsed = read_policy(file, known)
        summary = do_import_policy(
            parsed, actor=Actor.operator(by), file_name=str(file), establishment=scope
        )
    click.echo(f"{file}: " + ", ".join(f"{n} {what}" for what, n in sorted(summary.counts.items())))


@policy.command(name="cedar")
def policy_cedar() -> None:
    """Print the Cedar policy set the rules compile to (for review, line by line)."""
    _setup_django()
    from wicketgate.policy.compiler import build_snapshot

    click.echo(build_snapshot().cedar_text)


@click.command()
@click.option("--prisoner", required=True, help="Prison number, e.g. A1234BC.")
@click.option("--url", required=True, help="The address asked for (or a bare host, as for HTTPS).")
@click.option(
    "--at",
    "at",
    default=None,
    help="ISO-8601 time (default: now); without a zone, establishment time.",
)
@click.option("--location", default=None, help="Location kind the request comes from, e.g. CELL.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def decide(prisoner: str, url: str, at: str | None, location: str | None, as_json: bool) -> None:
    """Ask the policy engine: exit 0 allowed, 1 denied, 2 bad input."""
    _setup_django()
    import datetime as dt
    import json

    from django.utils import timezone

    from wicketgate.estate.codes import LocationKind
    from wicketgate.policy.engine import UnknownPrisoner
    from wicketgate.policy.engine import decide as decide_
    from wicketgate.policy.hosts import BadResource

    moment = None
    if at is not None:
        try:
            moment = dt.datetime.fromisoformat(at)
        except ValueError as exc:
            raise click.BadParameter(f"{at!r} is not an ISO-8601 time", param_hint="--at") from exc
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
    if location is not None and location.upper() not in LocationKind.values:
        raise click.BadParameter(
            f"{location!r}; use one of {', '.join(LocationKind.values)}", param_hint="--location"
        )
    try:
        decision = decide_(
            prisoner, url, at=moment, location=location.upper() if location else None
        )
    except (UnknownPrisoner, BadResource) as exc:
        raise click.UsageError(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(decision.as_json()))
    else:
        click.echo(("ALLOW" if decision.allowed else "DENY") + f"  ({', '.join(decision.rules)})")
        for reason in decision.reasons:
            click.echo(f"  {reason}")
    sys.exit(0 if decision.allowed else 1)
