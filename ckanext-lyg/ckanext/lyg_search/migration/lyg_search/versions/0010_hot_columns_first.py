"""The columns a search reads first in the row.

A keyword search visits every hit's row: it tests the standard filters
(site, state, capacity, dataset type, permission labels), ranks the hit
(``tsv_head``) and returns its number and date. PostgreSQL takes a row's
values apart from the first column up to the last one a statement reads, so
with those columns at positions 3 to 27 every hit paid for the 20-odd
columns between them; and fixed-width columns placed first have fixed
offsets. The table is rewritten with the fixed-width columns first, then the
filter columns, the ranking vector and the facet codes, and the large
payloads last. Rows, row numbers (``doc_no``), indexes, the primary key,
triggers, storage settings and table options are carried over as they are.
On a 100,000-entry index a keyword query's main statement took 17 % less
CPU (six common words, backend CPU per statement: 42–46 → 34–37 ms).

Rewriting copies every row once (about a minute per 100,000 entries) and
holds the table locked meanwhile: searches wait until the migration ends.

Revision ID: 0010_hot_columns_first
Revises: 0009_doc_numbers
Create Date: 2026-11-27
"""

from alembic import op

from ckanext.lyg_search.layout import rewrite

revision = "0010_hot_columns_first"
down_revision = "0009_doc_numbers"
branch_labels = None
depends_on = None

HOT_FIRST = (
    # fixed width
    "doc_no", "indexed_at", "metadata_modified", "metadata_created",
    # the standard filters, the page's id, the ranking vector, facet codes
    "site_id", "state", "capacity", "dataset_type", "entity_type", "owner_org",
    "permission_labels", "index_id", "tsv_head", "facet_codes",
    # sorts, title search, suggestions, the map
    "title_string", "name", "tsv_title", "suggest", "bbox", "id",
    # out of line
    "tsv", "terms", "facets", "doc", "seg", "data_dict", "validated_data_dict",
)

BEFORE = (
    "index_id", "id", "site_id", "name", "title_string", "state", "capacity",
    "dataset_type", "entity_type", "owner_org", "metadata_created", "metadata_modified",
    "permission_labels", "doc", "seg", "data_dict", "validated_data_dict", "tsv", "suggest",
    "bbox", "indexed_at", "terms", "tsv_head", "tsv_title", "facets", "facet_codes", "doc_no",
)


def upgrade():
    rewrite(op.get_bind(), HOT_FIRST)


def downgrade():
    rewrite(op.get_bind(), BEFORE)
