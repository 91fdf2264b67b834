"""Database guards that refuse UPDATE and DELETE (and TRUNCATE) on the audit tables."""

from __future__ import annotations

from typing import Any

GUARDED_TABLES = ["audit_auditevent", "audit_auditcheckpoint"]

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION wicketgate_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def install_sql(vendor: str) -> list[str]:
    statements: list[str] = []
    if vendor == "postgresql":
        statements.append(_PG_FUNCTION)
        for table in GUARDED_TABLES:
            statements += [
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION wicketgate_audit_append_only()",
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION wicketgate_audit_append_only()",
            ]
    elif vendor == "sqlite":
        for table in GUARDED_TABLES:
            for op in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} BEGIN "
                    f"SELECT RAISE(ABORT, 'audit records are append-only: {op} on {table} is refused'); END"
                )
    else:
        raise NotImplementedError(f"no audit guards for the {vendor} database")
    return statements


def remove_sql(vendor: str) -> list[str]:
    statements: list[str] = []
    for table in GUARDED_TABLES:
        if vendor == "postgresql":
            statements += [
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            ]
        else:
            statements += [
                f"DROP TRIGGER IF EXISTS {table}_no_{op} " for op in ("update", "delete")
            ]
    return statements


def install(connection: Any) -> None:
    remove(connection)
    with connection.cursor() as cursor:
        for statement in install_sql(connection.vendor):
            cursor.execute(statement)


def remove(connection: Any) -> None:
    """Only for tests that must empty the database, and for a deliberate, recorded purge."""
    with connection.cursor() as cursor:
        for statement in remove_sql(connection.vendor):
            cursor.execute(statement)
