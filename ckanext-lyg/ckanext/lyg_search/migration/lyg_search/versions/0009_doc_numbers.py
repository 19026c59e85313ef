"""A number for every index row, kept while the row is rewritten.

The engine keeps the facet values of every row in memory (see
``facet_memory``), as Solr keeps its docValues; a query's hits are named
to it by these numbers (an integer each, where ``index_id`` is text).
A row keeps its number when it is written again (the upsert does not set
it); a row deleted and indexed again gets a new one.

Revision ID: 0009_doc_numbers
Revises: 0008_facet_codes
Create Date: 2026-11-27
"""

from alembic import op

revision = "0009_doc_numbers"
down_revision = "0008_facet_codes"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE SEQUENCE IF NOT EXISTS lyg_search_doc_no")
    # A volatile default numbers the rows already there as the table is
    # rewritten, in one statement and without firing the row triggers.
    op.execute(
        "ALTER TABLE lyg_search_doc ADD COLUMN IF NOT EXISTS doc_no bigint NOT NULL "
        "DEFAULT nextval('lyg_search_doc_no')"
    )
    op.execute("ALTER SEQUENCE lyg_search_doc_no OWNED BY lyg_search_doc.doc_no")
    op.execute("ANALYZE lyg_search_doc")


def downgrade():
    op.execute("ALTER TABLE lyg_search_doc DROP COLUMN IF EXISTS doc_no")
    op.execute("DROP SEQUENCE IF EXISTS lyg_search_doc_no")
