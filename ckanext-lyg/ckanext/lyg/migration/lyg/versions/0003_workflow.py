"""Workflows: sharing requests, open-data applications, not-shared reviews.

* ``lyg_workflow_request``: one row per sharing request (``kind = share``,
  from a department) or open-data application (``kind = open``, from a public
  user) for one entry; its state moves ``pending`` → ``approved`` | ``refused``
  | ``withdrawn``, and ``approved`` → ``expired``. An approved row grants data
  access while ``end_date`` has not passed (``workflow/grants.py``).
* ``lyg_share_review``: the decisions of the not-shared review (不予共享认定),
  confirmed or rejected (with the sharing type the entry gets). The queue
  itself is the entries held ``share_review = pending``.
* ``lyg_workflow_notice``: what a department or user is told (dashboard):
  an English msgid of the ``ckanext-lyg`` domain and its parameters,
  translated when shown.

Revision ID: 0003_workflow
Revises: 0002_access_audit
Create Date: 2026-11-26
"""

from alembic import op

revision = "0003_workflow"
down_revision = "0002_access_audit"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS lyg_workflow_request (
            id text PRIMARY KEY,
            kind text NOT NULL CHECK (kind IN ('share', 'open')),
            package_id text NOT NULL REFERENCES package (id) ON DELETE CASCADE,
            provider_org_id text NOT NULL REFERENCES "group" (id) ON DELETE CASCADE,
            requester_user_id text NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
            requester_org_id text REFERENCES "group" (id) ON DELETE CASCADE,
            purpose text NOT NULL,
            fields jsonb NOT NULL DEFAULT '[]'::jsonb,
            basis text NOT NULL,
            end_date date NOT NULL,
            state text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'approved', 'refused', 'withdrawn', 'expired')),
            created timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
            due_date date NOT NULL,
            decided timestamp,
            decided_by text REFERENCES "user" (id) ON DELETE SET NULL,
            reason text,
            CHECK ((kind = 'share') = (requester_org_id IS NOT NULL))
        )
        """
    )
    # grants (granted_package_ids): approved rows of a user or department
    op.execute(
        "CREATE INDEX IF NOT EXISTS lyg_workflow_request_grant_org"
        " ON lyg_workflow_request (requester_org_id, end_date) WHERE state = 'approved'"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS lyg_workflow_request_grant_user"
        " ON lyg_workflow_request (requester_user_id, end_date) WHERE state = 'approved'"
    )
    # queues: a provider's pending requests, overdue ones
    op.execute(
        "CREATE INDEX IF NOT EXISTS lyg_workflow_request_queue"
        " ON lyg_workflow_request (provider_org_id, state, due_date)"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS lyg_workflow_request_package"
        " ON lyg_workflow_request (package_id)"
    )
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS lyg_share_review (
            id text PRIMARY KEY,
            package_id text NOT NULL REFERENCES package (id) ON DELETE CASCADE,
            owner_org_id text REFERENCES "group" (id) ON DELETE SET NULL,
            decision text NOT NULL CHECK (decision IN ('confirmed', 'rejected')),
            basis text NOT NULL DEFAULT '',
            share_type text CHECK (share_type IN ('unconditional', 'conditional')),
            reason text,
            decided timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
            decided_by text REFERENCES "user" (id) ON DELETE SET NULL,
            CHECK ((decision = 'rejected') = (share_type IS NOT NULL))
        )
        """
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS lyg_share_review_package ON lyg_share_review (package_id, decided)"
    )
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS lyg_workflow_notice (
            id text PRIMARY KEY,
            user_id text REFERENCES "user" (id) ON DELETE CASCADE,
            organization_id text REFERENCES "group" (id) ON DELETE CASCADE,
            message text NOT NULL,
            params jsonb NOT NULL DEFAULT '{}'::jsonb,
            object_type text NOT NULL,
            object_id text NOT NULL,
            package_id text,
            created timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
            CHECK (user_id IS NOT NULL OR organization_id IS NOT NULL)
        )
        """
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS lyg_workflow_notice_user ON lyg_workflow_notice (user_id, created)"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS lyg_workflow_notice_org"
        " ON lyg_workflow_notice (organization_id, created)"
    )
    # the not-shared queue: entries held 不予共享（待认定）
    op.execute(
        "CREATE INDEX IF NOT EXISTS lyg_package_share_review"
        " ON package ((extras->>'share_review')) WHERE extras ? 'share_review'"
    )


def downgrade():
    op.execute("DROP INDEX IF EXISTS lyg_package_share_review")
    op.execute("DROP TABLE IF EXISTS lyg_workflow_notice")
    op.execute("DROP TABLE IF EXISTS lyg_share_review")
    op.execute("DROP TABLE IF EXISTS lyg_workflow_request")
