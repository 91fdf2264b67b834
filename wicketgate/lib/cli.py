"""What every ``wicketgate`` command group shares: Django setup and the refusal exit."""

from __future__ import annotations

import os
from typing import Any

import click

EXIT_REFUSED = 1


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wicketgate.settings")
    import django

    django.setup()


class Refused(click.ClickException):
    """Bad input or a broken rule: print the reason, exit 1, nothing changed."""

    exit_code = EXIT_REFUSED

    def show(self, file: Any = None) -> None:
        click.echo(f"wicketgate: {self.message}", err=True)
