"""A database of its own for tests that run several processes against one log."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


@contextmanager
def isolated_database_url(folder: Path) -> Iterator[str]:
    """A fresh, empty database of the kind the suite runs on (SQLite file or PostgreSQL).

    On PostgreSQL it is a new database on the same server as ``DATABASE_URL``, dropped
    afterwards; on SQLite a file in ``folder``.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{folder / 'isolated.sqlite3'}"
        return
    name = f"wg_isolated_{secrets.token_hex(4)}"
    base, _, _old = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
