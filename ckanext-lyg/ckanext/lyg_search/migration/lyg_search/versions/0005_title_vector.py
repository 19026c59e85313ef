"""A small in-row vector of the title alone, for ``title:…`` queries (the
autocomplete sends one for every keystroke).

Revision ID: 0005_title_vector
Revises: 0004_sort_indexes
Create Date: 2026-11-26
"""

from alembic import op

revision = "0005_title_vector"
down_revision = "0004_sort_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "ALTER TABLE lyg_search_doc ADD COLUMN IF NOT EXISTS tsv_title tsvector "
        "NOT NULL DEFAULT ''"
    )
    op.execute("ALTER TABLE lyg_search_doc ALTER COLUMN tsv_title SET STORAGE MAIN")
    op.execute(
        "UPDATE lyg_search_doc SET tsv_title = to_tsvector('simple', COALESCE(seg->>'title', ''))"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_tsv_title ON lyg_search_doc USING gin (tsv_title)"
    )


def downgrade():
    op.execute("ALTER TABLE lyg_search_doc DROP COLUMN IF EXISTS tsv_title")
