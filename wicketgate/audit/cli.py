"""``wicketgate audit``: verify the tamper-evident log, export from it, sign its head."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from wicketgate.lib.cli import BY, Refused, progress
from wicketgate.lib.cli import setup_django as _setup_django


@click.group()
def audit() -> None:
    """The tamper-evident audit log: verify it, export from it, sign its head."""


@audit.command(name="verify")
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Public key (PEM) to check checkpoints against; default: this installation's own.",
)
def audit_verify(key_file: Path | None) -> None:
    """Recompute the hash chain and check every signed checkpoint.

    Exits 0 when the log is intact; otherwise 1, naming the first bad event and what is
    wrong with it (modified, missing, inserted, reordered, truncated after a checkpoint).
    """
    _setup_django()
    from wicketgate.audit.models import AuditHead
    from wicketgate.audit.signing import SigningKeyError, load_public_key, private_key
    from wicketgate.audit.verify import verify

    try:
        public = load_public_key(key_file.read_bytes()) if key_file else private_key().public_key()
    except (OSError, ValueError, SigningKeyError) as exc:
        raise Refused(f"cannot read the public key: {exc}") from exc
    head = AuditHead.objects.filter(pk=1).first()
    with progress(head.seq if head else 0, "Verifying ") as tick:
        report = verify(public, progress=tick)
    if report.problem is not None:
        raise Refused(f"the audit log is NOT intact: {report.problem}")
    click.echo(
        f"intact: {report.events} events, {report.checkpoints} signed checkpoints, head {report.head_hash[:16]}…"
    )


@audit.command(name="export")
@click.option("--prisoner", default="", help="Prison number the events are about.")
@click.option("--actor", default="", help="Username (or component) that acted.")
@click.option(
    "--action", default="", help='Exact action, or a prefix ending in "." such as people.'
)
@click.option("--establishment", default="", help="Establishment code.")
@click.option("--since", type=click.DateTime(), help="From this time (establishment local time).")
@click.option("--until", type=click.DateTime(), help="Up to (not including) this time.")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: standard output).",
)
@BY
def audit_export(
    prisoner: str,
    actor: str,
    action: str,
    establishment: str,
    since: Any,
    until: Any,
    fmt: str,
    output: Path | None,
    by: str | None,
) -> None:
    """Export a selection of events with the signed checkpoint they verify against.

    The export is itself recorded in the log. For CSV the checkpoint is written beside
    the file as FILE.checkpoint.json (or to standard error).
    """
    _setup_django()
    import json

    from django.utils import timezone

    from wicketgate.audit.export import do_export_audit_events, write_all
    from wicketgate.audit.log import Actor
    from wicketgate.audit.models import AuditEvent
    from wicketgate.audit.queries import EventFilter, search

    def aware(moment: Any) -> Any:
        return timezone.make_aware(moment) if moment is not None else None

    chosen = EventFilter(
        prisoner=prisoner,
        actor=actor,
        action=action,
        establishment=establishment,
        since=aware(since),
        until=aware(until),
    )
    manifest, lines = do_export_audit_events(
        search(AuditEvent.objects.all(), chosen), chosen=chosen, fmt=fmt, actor=Actor.operator(by)
    )
    if output is None:
        write_all(lines, sys.stdout)
        if fmt == "csv":
            click.echo(json.dumps(manifest), err=True)
        return
    with output.open("w", encoding="utf-8", newline="") as handle:
        write_all(lines, handle)
    if fmt == "csv":
        output.with_name(output.name + ".checkpoint.json").write_text(
            json.dumps(manifest, indent=2) + "\n"
        )
    click.echo(f"{output}: {manifest['events']} events", err=True)


@audit.command(name="checkpoint")
def audit_checkpoint() -> None:
    """Sign the chain's head now (the background worker does this every few minutes)."""
    _setup_django()
    from wicketgate.audit.log import sign_checkpoint

    checkpoint = sign_checkpoint(force=True)
    if checkpoint is None:
        raise Refused("the audit log is empty; there is nothing to sign")
    click.echo(
        f"checkpoint at event {checkpoint.seq}: {checkpoint.head_hash} signed by key {checkpoint.key_id}"
    )


@audit.command(name="replay")
def audit_replay() -> None:
    """Write events left in local spool files (after a crash) into the log."""
    _setup_django()
    from wicketgate.audit.spool import replay_all

    click.echo(f"{replay_all()} events written from the spool")


@audit.command(name="public-key")
def audit_public_key() -> None:
    """Print the public key (PEM) that verifies this installation's checkpoints."""
    _setup_django()
    from wicketgate.audit.signing import public_key_pem

    click.echo(public_key_pem().decode(), nl=False)
