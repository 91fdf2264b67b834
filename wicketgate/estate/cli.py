"""``wicketgate import establishments``: the estate from a YAML file (attached to the root's
``import`` group)."""

from __future__ import annotations

from pathlib import Path

import click

from wicketgate.lib.cli import BY, refusals
from wicketgate.lib.cli import setup_django as _setup_django


@click.command(name="establishments")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@BY
def import_establishments(file: Path, by: str | None) -> None:
    """Create or update establishments and their locations from a YAML FILE."""
    _setup_django()
    from wicketgate.audit.log import Actor
    from wicketgate.estate.actions import do_import_establishments
    from wicketgate.estate.imports import read_establishments
    from wicketgate.estate.models import Location

    existing = {
        code: (est, kind)
        for code, est, kind in Location.objects.values_list("code", "establishment__code", "kind")
    }
    with refusals():
        parsed = read_establishments(file, existing)
        summary = do_import_establishments(parsed, actor=Actor.operator(by))
    click.echo(
        f"{file}: "
        + summary.line(
            ["establishments created", "establishments updated", "establishments unchanged"]
        )
        + "; "
        + summary.line(["locations created", "locations updated", "locations unchanged"])
    )
