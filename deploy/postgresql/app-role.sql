-- The role the Wicketgate application connects as in production.
--
-- Migrations run as the database owner; the web app, the workers and the gateway
-- helpers connect as this role, which may read and write the platform's tables but
-- may only INSERT and SELECT the audit log: it can neither change nor remove an event
-- or a checkpoint, nor disable the triggers that guard them (only the owner can).
--
-- Run as the owner after `wicketgate migrate`, and again after each upgrade:
--   psql "$OWNER_DATABASE_URL" -v app_role=wicketgate_app -v app_password="$APP_PASSWORD" -f app-role.sql
-- then give the application DATABASE_URL=postgres://wicketgate_app:APP_PASSWORD@host/db

SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'app_role', :'app_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_role') \gexec

GRANT CONNECT ON DATABASE :"DBNAME" TO :"app_role";
GRANT USAGE ON SCHEMA public TO :"app_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";

-- The audit log: append and read, nothing else.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent, audit_auditcheckpoint FROM :"app_role";
GRANT SELECT, INSERT ON audit_auditevent, audit_auditcheckpoint TO :"app_role";
