"""deploy/postgresql/app-role.sql: the application's role may only INSERT and SELECT the log."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

from wicketgate.audit.log import Actor, record_event

ROLE_SQL = Path(__file__).resolve().parents[3] / "deploy/postgresql/app-role.sql"


def owner_url() -> str:
    s = connection.settings_dict
    return f"postgresql://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.mark.skipif(
    shutil.which("psql") is None, reason="psql comes with the postgresql-client package"
)
def test_the_app_role_can_append_and_read_but_never_change(transactional_db: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL roles: runs in the PostgreSQL pass of make test")
    record_event("test.before", actor=Actor.system("test"))
    role, password = f"wg_app_{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    subprocess.run(
        [
            "psql",
            owner_url(),
            "-v",
            "ON_ERROR_STOP=1",
            "-v",
            f"app_role={role}",
            "-v",
            f"app_password={password}",
            "-f",
            str(ROLE_SQL),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    s = connection.settings_dict
    as_app = f"postgresql://{role}:{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    try:
        with psycopg.connect(as_app, autocommit=True) as app:
            assert app.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (1,)
            app.execute(
                "INSERT INTO audit_auditevent (seq, prev_hash, hash, occurred_at, actor_kind, actor_id, actor_label, action,"
                " subject_kind, subject_id, subject_label, outcome, details_json)"
                " VALUES (2, 'x', 'y', now(), 'system', 't', 't', 'test.app', '', '', '', 'success', '{}')"
            )
            app.execute(
                "UPDATE people_alertcode SET description = description"
            )  # ordinary tables: fine
            for statement in [
                "UPDATE audit_auditevent SET action = 'rewritten'",
                "DELETE FROM audit_auditevent",
                "TRUNCATE audit_auditevent",
                "DELETE FROM audit_auditcheckpoint",
                "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
            ]:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    app.execute(statement)
    finally:
        with psycopg.connect(owner_url(), autocommit=True) as owner:
            for statement in [
                'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"',
                'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "{role}"',
                'REVOKE ALL ON SCHEMA public FROM "{role}"',
                'REVOKE ALL ON DATABASE "{db}" FROM "{role}"',
                'DROP ROLE "{role}"',
            ]:
                owner.execute(statement.format(role=role, db=s["NAME"]))
