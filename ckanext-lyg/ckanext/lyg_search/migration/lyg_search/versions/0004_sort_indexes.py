"""Indexes that serve the sorts CKAN asks for without sorting every hit:
(key, index_id) — ties end on index_id in the key's direction.

Revision ID: 0004_sort_indexes
Revises: 0003_inline_hot_columns
Create Date: 2026-11-26
"""

from alembic import op

revision = "0004_sort_indexes"
down_revision = "0003_inline_hot_columns"
branch_labels = None
depends_on = None

KEYS = ("metadata_modified", "metadata_created", "title_string", "name")


def upgrade():
    for key in KEYS:
        op.execute(f"DROP INDEX IF EXISTS lyg_search_doc_{key}_sort")
        op.execute(
            f"CREATE INDEX lyg_search_doc_{key}_sort ON lyg_search_doc ({key}, index_id)"
        )
    op.execute("DROP INDEX IF EXISTS lyg_search_doc_modified")
    op.execute("DROP INDEX IF EXISTS lyg_search_doc_title")
    op.execute("ANALYZE lyg_search_doc")


def downgrade():
    for key in KEYS:
        op.execute(f"DROP INDEX IF EXISTS lyg_search_doc_{key}_sort")
    op.execute("CREATE INDEX IF NOT EXISTS lyg_search_doc_modified ON lyg_search_doc (metadata_modified)")
    op.execute("CREATE INDEX IF NOT EXISTS lyg_search_doc_title ON lyg_search_doc (title_string)")
