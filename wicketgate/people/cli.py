"""``wicketgate import prisoners``: prisoners from a CSV file (attached to the root's
``import`` group)."""

from __future__ import annotations

from pathlib import Path

import click

from wicketgate.lib.cli import BY, count_lines, progress, refusals
from wicketgate.lib.cli import setup_django as _setup_django


@click.command(name="prisoners")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@BY
def import_prisoners(file: Path, by: str | None) -> None:
    """Create, update or transfer prisoners from a CSV FILE (upsert by prison number).

    Columns: prison_number, given_name, family_name, date_of_birth, establishment,
    location, category, incentive_level, legal_status, alerts.
    """
    _setup_django()
    from wicketgate.audit.log import Actor
    from wicketgate.people.actions import IMPORT_COUNTS, do_import_prisoners
    from wicketgate.people.imports import read_prisoners, reference_data

    with refusals():
        reference = reference_data()
        rows = count_lines(file)
        with progress(rows, "Checking ") as tick:
            checked = read_prisoners(file, reference, progress=tick)
        with progress(len(checked), "Writing  ") as tick:
            summary = do_import_prisoners(
                checked, actor=Actor.operator(by), file_name=str(file), progress=tick
            )
    click.echo(f"{file}: " + summary.line(IMPORT_COUNTS))
