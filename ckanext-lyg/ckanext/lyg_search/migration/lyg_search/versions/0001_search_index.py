"""Create the search index table.

Revision ID: 0001_search_index
Revises:
Create Date: 2026-11-26
"""

from alembic import op

revision = "0001_search_index"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS lyg_search_doc (
            index_id text PRIMARY KEY,
            id text NOT NULL,
            site_id text NOT NULL,
            name text,
            title_string text,
            state text,
            capacity text,
            dataset_type text,
            entity_type text,
            owner_org text,
            metadata_created timestamptz,
            metadata_modified timestamptz,
            permission_labels text[] NOT NULL DEFAULT '{}',
            doc jsonb NOT NULL,
            seg jsonb NOT NULL DEFAULT '{}',
            data_dict text,
            validated_data_dict text,
            tsv tsvector NOT NULL,
            suggest text NOT NULL DEFAULT '',
            bbox box,
            indexed_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    for stmt in (
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_id ON lyg_search_doc (id)",
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_name ON lyg_search_doc (name)",
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_modified ON lyg_search_doc (metadata_modified)",
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_title ON lyg_search_doc (title_string)",
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_owner ON lyg_search_doc (owner_org)",
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_doc ON lyg_search_doc USING gin (doc jsonb_path_ops)",
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_tsv ON lyg_search_doc USING gin (tsv)",
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_labels ON lyg_search_doc USING gin (permission_labels)",
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_bbox ON lyg_search_doc USING gist (bbox)",
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_suggest ON lyg_search_doc "
        "USING gin (suggest gin_trgm_ops)",
    ):
        op.execute(stmt)


def downgrade():
    op.execute("DROP TABLE IF EXISTS lyg_search_doc")
