"""On PostgreSQL, tell listening gateways at once when policy or sessions change.

A trigger sends NOTIFY on channel ``wicketgate_changes`` (delivered when the changing
transaction commits) for every new PolicyChange row and every session opened or closed.
Session activity updates (last seen) do not notify. SQLite has no such thing: gateways
poll there, as they also do on PostgreSQL as a fallback.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

FORWARD = """
CREATE OR REPLACE FUNCTION wicketgate_notify_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('wicketgate_changes', TG_TABLE_NAME);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER policy_change_notify AFTER INSERT ON policy_policychange
    FOR EACH STATEMENT EXECUTE FUNCTION wicketgate_notify_change();
CREATE TRIGGER device_session_notify AFTER INSERT OR UPDATE OF closed_at ON gateway_devicesession
    FOR EACH STATEMENT EXECUTE FUNCTION wicketgate_notify_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS policy_change_notify ON policy_policychange;
DROP TRIGGER IF EXISTS device_session_notify ON gateway_devicesession;
DROP FUNCTION IF EXISTS wicketgate_notify_change();
"""


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("gateway", "0001_initial"),
        ("policy", "0003_proposals_and_site_requests"),
    ]

    operations = [migrations.RunPython(forward, backward)]
