"""Narrow index rows: short values and a ranking vector stay in the row, the
large payloads (dataset dicts, full document, segmented text, full-text
vector) live out of line, and a sequence numbers index generations.

Revision ID: 0002_narrow_rows
Revises: 0001_search_index
Create Date: 2026-11-26
"""

from alembic import op

revision = "0002_narrow_rows"
down_revision = "0001_search_index"
branch_labels = None
depends_on = None

LONG = 256


def upgrade():
    op.execute("ALTER TABLE lyg_search_doc ADD COLUMN IF NOT EXISTS terms jsonb")
    op.execute("ALTER TABLE lyg_search_doc ADD COLUMN IF NOT EXISTS tsv_head tsvector")
    # Existing rows: derive both from what is stored (no re-index needed).
    op.execute(
        f"""
        UPDATE lyg_search_doc d SET
          tsv_head = ts_filter(d.tsv, '{{a,b}}'),
          terms = COALESCE((
            SELECT jsonb_object_agg(e.key, CASE jsonb_typeof(e.value)
                WHEN 'array' THEN (SELECT COALESCE(jsonb_agg(x), '[]'::jsonb)
                                   FROM jsonb_array_elements(e.value) x
                                   WHERE length(x #>> '{{}}') <= {LONG})
                ELSE e.value END)
            FROM jsonb_each(d.doc) e
            WHERE jsonb_typeof(e.value) = 'array' OR length(e.value #>> '{{}}') <= {LONG}
          ), '{{}}'::jsonb)
        """
    )
    op.execute("ALTER TABLE lyg_search_doc ALTER COLUMN terms SET NOT NULL")
    op.execute("ALTER TABLE lyg_search_doc ALTER COLUMN terms SET DEFAULT '{}'::jsonb")
    op.execute("ALTER TABLE lyg_search_doc ALTER COLUMN tsv_head SET DEFAULT ''::tsvector")
    op.execute("UPDATE lyg_search_doc SET tsv_head = '' WHERE tsv_head IS NULL")
    op.execute("ALTER TABLE lyg_search_doc ALTER COLUMN tsv_head SET NOT NULL")
    for col in ("doc", "seg", "data_dict", "validated_data_dict", "tsv"):
        op.execute(f"ALTER TABLE lyg_search_doc ALTER COLUMN {col} SET STORAGE EXTERNAL")
    op.execute("ALTER TABLE lyg_search_doc SET (toast_tuple_target = 512)")
    op.execute("DROP INDEX IF EXISTS lyg_search_doc_doc")
    op.execute(
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_terms ON lyg_search_doc "
        "USING gin (terms jsonb_path_ops)"
    )
    op.execute("CREATE SEQUENCE IF NOT EXISTS lyg_search_generation")
    # Any change to the index, by any path, advances the generation.
    op.execute(
        """
        CREATE OR REPLACE FUNCTION lyg_search_advance() RETURNS trigger AS $$
        BEGIN
          PERFORM nextval('lyg_search_generation');
          RETURN NULL;
        END $$ LANGUAGE plpgsql
        """
    )
    op.execute("DROP TRIGGER IF EXISTS lyg_search_advance ON lyg_search_doc")
    op.execute(
        "CREATE TRIGGER lyg_search_advance AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON lyg_search_doc FOR EACH STATEMENT EXECUTE FUNCTION lyg_search_advance()"
    )
    # Rewrite existing rows so the new storage settings apply to them too.
    op.execute("UPDATE lyg_search_doc SET doc = doc || '{}'::jsonb")


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS lyg_search_advance ON lyg_search_doc")
    op.execute("DROP FUNCTION IF EXISTS lyg_search_advance()")
    op.execute("DROP SEQUENCE IF EXISTS lyg_search_generation")
    op.execute("DROP INDEX IF EXISTS lyg_search_doc_terms")
    op.execute(
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_doc ON lyg_search_doc "
        "USING gin (doc jsonb_path_ops)"
    )
    op.execute("ALTER TABLE lyg_search_doc DROP COLUMN IF EXISTS terms")
    op.execute("ALTER TABLE lyg_search_doc DROP COLUMN IF EXISTS tsv_head")
