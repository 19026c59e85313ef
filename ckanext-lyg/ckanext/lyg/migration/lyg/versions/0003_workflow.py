"""Workflows: sharing requests, open-data applications, not-shared reviews.

Revision ID: 0003_workflow
Revises: 0002_access_audit
Create Date: 2026-11-26
"""

revision = "0003_workflow"
down_revision = "0002_access_audit"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
