"""``wicketgate learning``: the offline library, its books, learner records and checking a
learner's credential offline.

Exit codes: 0 done, 1 refused (the reason is printed; nothing was written), 2 wrong usage.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from wicketgate.learning.credential_cli import verify
from wicketgate.learning.library_cli import library
from wicketgate.lib.cli import BY_STAFF, Refused, refusals, staff_actor
from wicketgate.lib.cli import setup_django as _setup_django


@click.group()
def learning() -> None:
    """Learning: the offline library's books, learner records and credentials."""


learning.add_command(verify)
learning.add_command(library)


@learning.group()
def book() -> None:
    """Books of the offline library (ZIM files, served by kiwix-serve)."""


@book.command(name="add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--category", required=True, help="Its catalogue category, e.g. EDUCATION.")
@BY_STAFF
def book_add(file: Path, category: str, by: str | None) -> None:
    """Check FILE with libzim and add it to the library with its catalogue entry.

    With --by, the entry is proposed in that member of staff's name for a second one to
    approve; without, it is added approved by the operator (as ``policy import`` is).
    """
    _setup_django()
    from wicketgate.learning.books import do_add_book

    actor = staff_actor(by)
    with refusals():
        added = do_add_book(file, filename=file.name, category=category.upper(), actor=actor)
    state = "approved" if added.site is not None else "waiting for a second member of staff"
    click.echo(
        f"{added.name}: {added.title} ({added.article_count} entries); catalogue entry {state}"
    )


@book.command(name="list")
def book_list() -> None:
    """The library's books (tab-separated: name, title, category, entries, approved)."""
    _setup_django()
    from wicketgate.learning.models import Book

    for found in Book.objects.filter(removed_at__isnull=True).select_related("category"):
        approved = "approved" if found.site is not None else "waiting"
        click.echo(
            "\t".join(
                [found.name, found.title, found.category.code, str(found.article_count), approved]
            )
        )


@learning.command(name="record")
@click.argument("prison_number")
@click.option("--pdf", "pdf", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--credential", "credential", type=click.Path(dir_okay=False, path_type=Path), default=None
)
def record(prison_number: str, pdf: Path | None, credential: Path | None) -> None:
    """Export a learner's record: the PDF to show an employer and the signed credential
    (at release, or when they ask)."""
    if pdf is None and credential is None:
        raise click.UsageError("give --pdf FILE, --credential FILE or both")
    _setup_django()
    from wicketgate.audit.log import Actor, record_event
    from wicketgate.learning.credential import issue_credential
    from wicketgate.learning.queries import learner_record
    from wicketgate.learning.record_pdf import render_pdf
    from wicketgate.people.models import Prisoner

    found = (
        Prisoner.objects.select_related("establishment")
        .filter(prison_number=prison_number.strip().upper())
        .first()
    )
    if found is None:
        raise Refused(f"no prisoner {prison_number}")
    learner = learner_record(found)
    if pdf is not None:
        pdf.write_bytes(render_pdf(learner))
        click.echo(f"{pdf}: the learning record of {learner.full_name}")
    if credential is not None:
        signed = issue_credential(learner)
        credential.write_text(json.dumps(signed, indent=2, ensure_ascii=False) + "\n")
        click.echo(f"{credential}: signed by {found.establishment.name} ({signed['issuer']['id']})")
    record_event(
        "learning.record.export",
        actor=Actor.operator(),
        subject=found,
        establishment=found.establishment,
        details={
            "prisoner": found.prison_number,
            "pdf": pdf is not None,
            "credential": credential is not None,
        },
    )
