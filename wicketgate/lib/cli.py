"""What every ``wicketgate`` command group shares: Django setup and the refusal exit."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

EXIT_REFUSED = 1

BY = click.option(
    "--by", "by", metavar="USERNAME", help="Record this operator instead of the OS user."
)
# For a decision a member of staff takes (a sanction, a phone number): who took it.
BY_STAFF = click.option(
    "--by",
    "by",
    metavar="STAFF_USERNAME",
    help="The member of staff who decided (default: the operating-system user).",
)


SCHEMA_BUILDERS = frozenset({"migrate", "up", "manage", "demo"})


class Group(click.Group):
    """The root command group: a command that finds the database without its schema (a
    fresh install, or an upgrade not migrated yet) says what to run instead of a
    traceback. Checked only when a command fails on the database, so it costs nothing."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from django.db.utils import OperationalError, ProgrammingError

            # A command that builds the schema itself keeps its own error: telling someone
            # whose ``migrate`` failed (a locked database) to run ``migrate`` helps nobody.
            builds_schema = ctx.invoked_subcommand in SCHEMA_BUILDERS
            if isinstance(exc, OperationalError | ProgrammingError) and not builds_schema:
                behind = unapplied_migrations()
                if behind:
                    raise Refused(schema_message(behind)) from exc
            raise


def unapplied_migrations() -> int:
    """How many migrations the database has not had (0 where it cannot tell)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except Exception:  # the database is unreachable: the first error stands
        return 0


def schema_message(behind: int) -> str:
    from django.db import connection

    where = connection.settings_dict.get("NAME") or "the database"
    state = (
        "has no tables yet" if not _has_migrated_before() else f"is {behind} migration(s) behind"
    )
    return (
        f"the database {where} {state}: run `wicketgate migrate` first "
        "(`wicketgate up` and `make demo` do it for you)"
    )


def _has_migrated_before() -> bool:
    from django.db import connection

    return "django_migrations" in connection.introspection.table_names()


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wicketgate.settings")
    import django

    django.setup()


class Refused(click.ClickException):
    """Bad input or a broken rule: print the reason, exit 1, nothing changed."""

    exit_code = EXIT_REFUSED

    def show(self, file: Any = None) -> None:
        click.echo(f"wicketgate: {self.message}", err=True)


def count_lines(file: Path) -> int:
    try:
        with file.open("rb") as handle:
            return max(sum(1 for _ in handle) - 1, 0)
    except OSError:
        return 0  # the reader reports the problem with the file's name


@contextmanager
def progress(length: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal for long work; silent when output is piped."""
    show = sys.stderr.isatty() and length > 200
    if not show:
        yield lambda _n: None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update


@contextmanager
def refusals() -> Iterator[None]:
    """Turn a rejected import or a broken rule into exit 1 with every problem listed."""
    from wicketgate.lib.errors import ActionError
    from wicketgate.lib.importing import ImportRejected

    try:
        yield
    except ImportRejected as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise Refused(f"{len(exc.problems)} problem(s); nothing was written") from exc
    except ActionError as exc:
        raise Refused(str(exc)) from exc


def staff_actor(by: str | None) -> Any:
    """The named active member of staff (``--by``), or the operating-system user as an
    operator when none is named."""
    from wicketgate.accounts.models import User, UserKind
    from wicketgate.audit.log import Actor

    if by is None:
        return Actor.operator()
    user = User.objects.filter(username=by, kind=UserKind.STAFF, is_active=True).first()
    if user is None:
        raise Refused(f"--by {by}: no active member of staff with that user name")
    return Actor.of_user(user)
