"""Facet keys as 64-bit codes in the row; the text keys out of it.

Counting the facets of a keyword's hits read every hit's text keys
(``field<US>value``), kept those of the asked fields and grouped them as text:
about 80 % of a keyword + facets search. ``facet_codes`` holds the same keys
as ``hashtextextended(key, 0)`` codes (the hash PostgreSQL keeps stable for
hash partitioning); the engine counts the codes of the keys it can name — those
of the counted fields, all listed in ``lyg_search_sig_facet`` — with integer
comparisons, and names them from that list (a query whose candidate keys share
a code is answered from the text keys instead).

The text keys (``facets``) stay for their GIN index (exact-match filters) and
for facets on fields that are not counted, but out of the row, which narrows
every row by a third.

Revision ID: 0008_facet_codes
Revises: 0007_no_labels_index
Create Date: 2026-11-26
"""

from alembic import op

revision = "0008_facet_codes"
down_revision = "0007_no_labels_index"
branch_labels = None
depends_on = None

# Rows longer than this have their out-of-line columns (now the text keys too)
# moved out.
TOAST_TARGET = 768


def upgrade():
    op.execute(
        """
        CREATE OR REPLACE FUNCTION lyg_search_facet_codes(t jsonb) RETURNS bigint[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT coalesce(array_agg(hashtextextended(k, 0)), '{}')
          FROM unnest(lyg_search_facet_keys(t)) k
        $$
        """
    )
    # One statement: the rewrite it causes stores the rows the new way.
    op.execute(
        "ALTER TABLE lyg_search_doc "
        "ADD COLUMN IF NOT EXISTS facet_codes bigint[] "
        "GENERATED ALWAYS AS (lyg_search_facet_codes(terms)) STORED, "
        "ALTER COLUMN facet_codes SET STORAGE MAIN, "
        "ALTER COLUMN facets SET STORAGE EXTERNAL, "
        f"SET (toast_tuple_target = {TOAST_TARGET})"
    )
    op.execute("ANALYZE lyg_search_doc")


def downgrade():
    op.execute(
        "ALTER TABLE lyg_search_doc DROP COLUMN IF EXISTS facet_codes, "
        "ALTER COLUMN facets SET STORAGE MAIN, SET (toast_tuple_target = 1536)"
    )
    op.execute("DROP FUNCTION IF EXISTS lyg_search_facet_codes(jsonb)")
