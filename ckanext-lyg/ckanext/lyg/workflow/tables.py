"""The workflow tables (created by migration ``0003_workflow``), as SQLAlchemy
Core tables in a metadata of their own: CKAN's ``db init``/``clean`` never
create or drop them, alembic does."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

__all__ = ["metadata", "request", "share_review", "notice", "KINDS", "STATES"]

metadata = sa.MetaData()

KINDS = ("share", "open")
STATES = ("pending", "approved", "refused", "withdrawn", "expired")

request = sa.Table(
    "lyg_workflow_request", metadata,
    sa.Column("id", sa.UnicodeText, primary_key=True),
    sa.Column("kind", sa.UnicodeText, nullable=False),
    sa.Column("package_id", sa.UnicodeText, nullable=False),
    sa.Column("provider_org_id", sa.UnicodeText, nullable=False),
    sa.Column("requester_user_id", sa.UnicodeText, nullable=False),
    sa.Column("requester_org_id", sa.UnicodeText),
    sa.Column("purpose", sa.UnicodeText, nullable=False),
    sa.Column("fields", JSONB, nullable=False),
    sa.Column("basis", sa.UnicodeText, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("state", sa.UnicodeText, nullable=False),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("decided", sa.DateTime),
    sa.Column("decided_by", sa.UnicodeText),
    sa.Column("reason", sa.UnicodeText),
)

share_review = sa.Table(
    "lyg_share_review", metadata,
    sa.Column("id", sa.UnicodeText, primary_key=True),
    sa.Column("package_id", sa.UnicodeText, nullable=False),
    sa.Column("owner_org_id", sa.UnicodeText),
    sa.Column("decision", sa.UnicodeText, nullable=False),
    sa.Column("basis", sa.UnicodeText, nullable=False),
    sa.Column("share_type", sa.UnicodeText),
    sa.Column("reason", sa.UnicodeText),
    sa.Column("decided", sa.DateTime, nullable=False),
    sa.Column("decided_by", sa.UnicodeText),
)

notice = sa.Table(
    "lyg_workflow_notice", metadata,
    sa.Column("id", sa.UnicodeText, primary_key=True),
    sa.Column("user_id", sa.UnicodeText),
    sa.Column("organization_id", sa.UnicodeText),
    sa.Column("message", sa.UnicodeText, nullable=False),
    sa.Column("params", JSONB, nullable=False),
    sa.Column("object_type", sa.UnicodeText, nullable=False),
    sa.Column("object_id", sa.UnicodeText, nullable=False),
    sa.Column("package_id", sa.UnicodeText),
    sa.Column("created", sa.DateTime, nullable=False),
)
