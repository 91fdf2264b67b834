"""``wicketgate learning library``: the offline library's kiwix-serve, and checking a ZIM
file before it is added.

Exit codes: 0 done; 1 refused (kiwix-serve missing, a bad ZIM file); 2 wrong usage.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from wicketgate.lib.cli import Refused
from wicketgate.lib.cli import setup_django as _setup_django


@click.group()
def library() -> None:
    """The offline library: ZIM books served by kiwix-serve, reached through the gateway."""


@library.command(name="run")
def library_run() -> None:
    """Run kiwix-serve in the foreground on WICKETGATE_LIBRARY_LISTEN (`wicketgate up`
    starts it); books added or removed are served, or gone, without a restart."""
    _setup_django()
    from wicketgate.learning.library import (
        KIWIX_SERVE,
        LibraryError,
        command,
        configured,
        prepare,
    )

    if not Path(KIWIX_SERVE).exists():
        raise Refused(
            f"{KIWIX_SERVE} is not installed: run make install (it installs kiwix-tools), "
            "or start without the library: wicketgate up --no-library"
        )
    try:
        setup = prepare(configured())
    except (LibraryError, OSError) as exc:
        raise Refused(f"the library cannot start: {exc}") from exc
    click.echo(
        f"wicketgate: library on {setup.listen_address}:{setup.listen_port} "
        f"(kiwix-serve, books in {setup.books}; devices use http://{setup.host}:{setup.listen_port}/)"
    )
    sys.stdout.flush()
    program = command(setup)
    # Becomes kiwix-serve: signals from the supervisor reach it directly.
    os.execv(program[0], program)  # noqa: S606 - fixed program, our own arguments


@library.command(name="check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def library_check(file: Path) -> None:
    """Check a ZIM file as an upload is checked, and say what it holds."""
    from wicketgate.learning.zim import ZimProblem, read_zim

    try:
        book = read_zim(file)
    except ZimProblem as exc:
        raise Refused(str(exc)) from exc
    from wicketgate.learning.library import book_paths

    for label, value in (
        ("name", book.name),
        ("title", book.title),
        ("language", book.language),
        ("description", book.description),
        ("creator", book.creator),
        ("publisher", book.publisher),
        ("date", book.date),
        ("articles", str(book.article_count)),
        ("size", f"{book.size_bytes} bytes"),
        ("sha256", book.sha256),
        ("main page", book.main_path),
        ("paths", " ".join(book_paths(book.name))),
    ):
        click.echo(f"{label}:\t{value}")
