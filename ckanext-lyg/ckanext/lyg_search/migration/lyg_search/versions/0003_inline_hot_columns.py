"""Keep the columns every query reads (short values, ranking vector,
suggestions, labels) inside the row, uncompressed where they fit; only the
large payloads go out of line.

Revision ID: 0003_inline_hot_columns
Revises: 0002_narrow_rows
Create Date: 2026-11-26
"""

from alembic import op

revision = "0003_inline_hot_columns"
down_revision = "0002_narrow_rows"
branch_labels = None
depends_on = None

HOT = ("terms", "tsv_head", "suggest", "permission_labels", "name", "title_string")


def upgrade():
    for col in HOT:
        op.execute(f"ALTER TABLE lyg_search_doc ALTER COLUMN {col} SET STORAGE MAIN")
    op.execute("ALTER TABLE lyg_search_doc RESET (toast_tuple_target)")
    # Existing rows are re-stored by the next write or `ckan search-index rebuild`.


def downgrade():
    for col in HOT:
        op.execute(f"ALTER TABLE lyg_search_doc ALTER COLUMN {col} SET STORAGE EXTENDED")
