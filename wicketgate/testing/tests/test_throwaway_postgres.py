from __future__ import annotations

import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest

from wicketgate.testing.throwaway_postgres import find_bindir, throwaway_cluster

pytestmark = pytest.mark.skipif(
    find_bindir() is None,
    reason="no PostgreSQL server binaries (initdb) on this machine: scripts/bootstrap.sh installs them",
)


def _cluster_folders(prefix: str) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"{prefix}*"))


def test_it_serves_a_database_and_leaves_nothing_behind() -> None:
    prefix = f"wicketgate-pg-test-{uuid.uuid4().hex}-"

    with throwaway_cluster(prefix=prefix) as url:
        assert url.startswith("postgres://wicketgate:")
        assert len(_cluster_folders(prefix)) == 1
        with psycopg.connect(url) as conn:
            assert conn.execute("select 1").fetchone() == (1,)

    assert _cluster_folders(prefix) == []


def test_it_leaves_nothing_behind_when_the_body_fails() -> None:
    prefix = f"wicketgate-pg-test-{uuid.uuid4().hex}-"

    with pytest.raises(RuntimeError, match="boom"), throwaway_cluster(prefix=prefix):
        raise RuntimeError("boom")

    assert _cluster_folders(prefix) == []


def test_it_lets_the_role_create_databases() -> None:
    # pytest-django creates test_<name> beside the database it is given.
    with throwaway_cluster() as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create database test_wicketgate")
        conn.execute("drop database test_wicketgate")


def test_it_runs_a_command_with_database_url_and_returns_its_exit_code() -> None:
    check = (
        "import os, sys, psycopg\n"
        "with psycopg.connect(os.environ['DATABASE_URL']) as conn:\n"
        "    assert conn.execute('select current_database()').fetchone() == ('wicketgate',)\n"
        "sys.exit(7)\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "wicketgate.testing.throwaway_postgres",
            "--",
            sys.executable,
            "-c",
            check,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 7, result.stderr
