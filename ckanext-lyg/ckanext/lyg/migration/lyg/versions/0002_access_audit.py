"""Access: the audit log (and what else the access rule needs to store).

Revision ID: 0002_access_audit
Revises: 0001_catalog_sequence
Create Date: 2026-11-26
"""

revision = "0002_access_audit"
down_revision = "0001_catalog_sequence"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
