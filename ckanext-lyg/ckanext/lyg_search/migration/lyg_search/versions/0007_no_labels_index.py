"""Drop the index on permission labels; a change to the counted fields is a
new index generation.

* Every CKAN user's labels include ``public``, so the labels filter keeps
  nearly every row and no query gains from the index; the engine now writes
  that filter in a form the planner cannot answer with it (see
  ``query._overlap``), since taking it for a keyword that matches most
  entries read every row's out-of-line text vector. Dropping it also spares
  every index write one GIN update.
* The engine remembers the counted fields per index generation
  (``summary.counted``); any change to ``lyg_search_counted`` now advances
  the generation, so no process keeps a set the database no longer holds.

Revision ID: 0007_no_labels_index
Revises: 0006_facet_keys
Create Date: 2026-11-26
"""

from alembic import op

revision = "0007_no_labels_index"
down_revision = "0006_facet_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DROP INDEX IF EXISTS lyg_search_doc_labels")
    op.execute("DROP TRIGGER IF EXISTS lyg_search_counted_advance ON lyg_search_counted")
    op.execute(
        "CREATE TRIGGER lyg_search_counted_advance AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON lyg_search_counted FOR EACH STATEMENT EXECUTE FUNCTION lyg_search_advance()"
    )


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS lyg_search_counted_advance ON lyg_search_counted")
    op.execute(
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_labels ON lyg_search_doc "
        "USING gin (permission_labels)"
    )
