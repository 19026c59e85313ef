"""Access: the audit log (审计日志).

``lyg_access_audit`` holds one row per decision, role change and download of
data that is not unconditionally open. A trigger refuses ``UPDATE`` and
``DELETE`` so no application path can change a row; ``TRUNCATE`` (an
operator's or the test suite's reset) is not a row operation and still works.

Revision ID: 0002_access_audit
Revises: 0001_catalog_sequence
Create Date: 2026-11-26
"""

from alembic import op

revision = "0002_access_audit"
down_revision = "0001_catalog_sequence"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS lyg_access_audit (
            id bigserial PRIMARY KEY,
            created timestamptz NOT NULL DEFAULT now(),
            event text NOT NULL,
            actor text,
            portal text,
            object_type text NOT NULL,
            object_id text NOT NULL,
            package_id text,
            detail jsonb NOT NULL DEFAULT '{}'::jsonb
        )
        """
    )
    op.execute("CREATE INDEX IF NOT EXISTS lyg_access_audit_created ON lyg_access_audit (created)")
    op.execute("CREATE INDEX IF NOT EXISTS lyg_access_audit_event ON lyg_access_audit (event, created)")
    op.execute("CREATE INDEX IF NOT EXISTS lyg_access_audit_actor ON lyg_access_audit (actor, created)")
    op.execute("CREATE INDEX IF NOT EXISTS lyg_access_audit_package ON lyg_access_audit (package_id)")
    op.execute(
        """
        CREATE OR REPLACE FUNCTION lyg_access_audit_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'lyg_access_audit is append-only (% refused)', TG_OP;
        END
        $$
        """
    )
    op.execute("DROP TRIGGER IF EXISTS lyg_access_audit_append_only ON lyg_access_audit")
    op.execute(
        "CREATE TRIGGER lyg_access_audit_append_only BEFORE UPDATE OR DELETE ON lyg_access_audit"
        " FOR EACH ROW EXECUTE FUNCTION lyg_access_audit_append_only()"
    )


def downgrade():
    op.execute("DROP TABLE IF EXISTS lyg_access_audit")
    op.execute("DROP FUNCTION IF EXISTS lyg_access_audit_append_only()")
