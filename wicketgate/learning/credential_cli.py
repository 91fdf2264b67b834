"""``wicketgate learning verify``: check a learning record credential someone shows.

Exit 0 valid, 1 not valid (every problem listed) or unreadable, 2 wrong usage.
"""

from __future__ import annotations

import sys

import click

from wicketgate.lib.cli import Refused


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "--trust-estate/--integrity-only",
    "trust_estate",
    default=True,
    help="Trust the keys of this estate's establishments (default), or only check that "
    "the credential is intact, whoever signed it.",
)
@click.option(
    "--key",
    "keys",
    multiple=True,
    metavar="DID",
    help="Trust this did:key (repeatable); the estate's keys are then not read.",
)
def verify(file: str, trust_estate: bool, keys: tuple[str, ...]) -> None:
    """Check a signed learning record (FILE, or - for standard input)."""
    from wicketgate.learning.credential import load_credential, verify_credential

    name = "standard input" if file == "-" else file
    try:
        with click.open_file(file, "rb") as handle:
            content = handle.read()
    except OSError as exc:
        raise Refused(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    try:
        document = load_credential(content)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise Refused(f"{name}: not a JSON credential ({exc})") from exc

    trusted: dict[str, str] | None = None
    if keys:
        trusted = {f"--key {index}": did for index, did in enumerate(keys, start=1)}
    elif trust_estate:
        trusted = _estate_keys()

    result = verify_credential(document, trusted=trusted)
    if not result.valid:
        click.echo(f"NOT VALID: {name}")
        for problem in result.problems:
            click.echo(f"  - {problem}")
        sys.exit(1)
    click.echo(
        f"VALID: learning record of {result.subject_name} issued by {result.issuer_name} "
        f"({result.issuer_did})"
    )
    if trusted is None:
        click.echo("(integrity only: nothing was checked about who holds the issuer's key)")


def _estate_keys() -> dict[str, str]:
    from wicketgate.lib.cli import setup_django

    setup_django()
    from wicketgate.learning.credential import KeyFileError, published_keys

    try:
        return published_keys()
    except KeyFileError as exc:
        raise Refused(str(exc)) from exc
