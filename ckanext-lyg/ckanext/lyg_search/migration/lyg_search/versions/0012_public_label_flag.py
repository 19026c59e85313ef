"""Whether an entry carries the ``public`` permission label, as a flag.

Every CKAN search filters on the user's permission labels, and every user's
labels include ``public`` (an anonymous visitor's are only that). Testing
the ``text[]`` column costs each hit a copy of the array and a comparison of
its elements: on a 100,000-entry index a keyword's 9,700 hits took about
5 ms for that filter alone, a fifth of the query. A stored, generated
``labels_public`` flag placed with the fixed-width columns at the front of
the row answers the ``public`` part of the filter for nearly nothing
(``query.Translator``); other labels are still tested against the array.
The running counts' signature table (0006) gains the same flag, so the
filters it answers stay the same.

The index table is rewritten to place the column (about a minute per
100,000 entries, the table locked meanwhile: searches wait).

Revision ID: 0012_public_label_flag
Revises: 0011_short_pending_lists
Create Date: 2026-11-27
"""

from alembic import op

from ckanext.lyg_search.layout import rewrite

revision = "0012_public_label_flag"
down_revision = "0011_short_pending_lists"
branch_labels = None
depends_on = None

FLAG = "labels_public boolean GENERATED ALWAYS AS ('public' = ANY(permission_labels)) STORED"

ORDER = (
    # fixed width
    "doc_no", "indexed_at", "metadata_modified", "metadata_created", "labels_public",
    # the standard filters, the page's id, the ranking vector, facet codes
    "site_id", "state", "capacity", "dataset_type", "entity_type", "owner_org",
    "permission_labels", "index_id", "tsv_head", "facet_codes",
    # sorts, title search, suggestions, the map
    "title_string", "name", "tsv_title", "suggest", "bbox", "id",
    # out of line
    "tsv", "terms", "facets", "doc", "seg", "data_dict", "validated_data_dict",
)


def upgrade():
    op.execute(f"ALTER TABLE lyg_search_sig ADD COLUMN IF NOT EXISTS {FLAG}")
    rewrite(op.get_bind(), ORDER, add={"labels_public": FLAG.split(" ", 1)[1]})


def downgrade():
    op.execute("ALTER TABLE lyg_search_doc DROP COLUMN IF EXISTS labels_public")
    op.execute("ALTER TABLE lyg_search_sig DROP COLUMN IF EXISTS labels_public")
