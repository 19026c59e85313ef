"""Per-class sequences of resource codes (信息资源代码 分类码/顺序码).

One row per 分类码 holding the last 顺序码 given out. Entries take the next
number with ``INSERT … ON CONFLICT DO UPDATE … RETURNING``, which locks the
row until their transaction commits: two creations in one class never get
the same number, and a rolled-back creation gives its number back.

Revision ID: 0001_catalog_sequence
Revises:
Create Date: 2026-11-26
"""

from alembic import op

revision = "0001_catalog_sequence"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS lyg_catalog_sequence (
            class_code text PRIMARY KEY,
            last_value integer NOT NULL CHECK (last_value >= 0)
        )
        """
    )
    # look-up by code (lyg_catalog_show_by_code, /catalog/<code>, import)
    op.execute(
        "CREATE INDEX IF NOT EXISTS lyg_package_resource_code"
        " ON package ((extras->>'resource_code'))"
    )


def downgrade():
    op.execute("DROP INDEX IF EXISTS lyg_package_resource_code")
    op.execute("DROP TABLE IF EXISTS lyg_catalog_sequence")
