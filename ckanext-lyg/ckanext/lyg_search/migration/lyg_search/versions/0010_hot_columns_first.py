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

revision = "0010_hot_columns_first"
down_revision = "0009_doc_numbers"
branch_labels = None
depends_on = None

TABLE = "lyg_search_doc"

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


def rewrite(conn, order: tuple[str, ...]) -> None:
    """Rewrite the table with its columns in ``order`` (columns not named
    keep their relative order, after the named ones)."""
    from sqlalchemy import text

    def rows(sql, **params):
        return conn.execute(text(sql), params).all()

    oid = conn.execute(text("SELECT to_regclass(:t)::oid"), {"t": TABLE}).scalar()
    columns = rows(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
        "pg_get_expr(d.adbin, d.adrelid), a.attgenerated, a.attstorage, t.typstorage "
        "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE a.attrelid = :oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        oid=oid)
    names = [c[0] for c in columns]
    wanted = [n for n in order if n in names] + [n for n in names if n not in order]
    if wanted == names:
        return
    by_name = {c[0]: c for c in columns}
    constraints = rows("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = :oid ORDER BY conname", oid=oid)
    indexes = [r[0] for r in rows(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = :oid "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
        "ORDER BY i.indexrelid", oid=oid)]
    triggers = [r[0] for r in rows(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = :oid "
        "AND NOT tgisinternal ORDER BY tgname", oid=oid)]
    options = conn.execute(text("SELECT reloptions FROM pg_class WHERE oid = :oid"),
                           {"oid": oid}).scalar() or []
    owned = rows(
        "SELECT s.oid::regclass::text, a.attname FROM pg_depend p "
        "JOIN pg_class s ON s.oid = p.objid AND s.relkind = 'S' "
        "JOIN pg_attribute a ON a.attrelid = p.refobjid AND a.attnum = p.refobjsubid "
        "WHERE p.classid = 'pg_class'::regclass AND p.refobjid = :oid AND p.deptype = 'a'",
        oid=oid)

    new = f"{TABLE}_rewrite"
    defs = []
    for name in wanted:
        _, type_, notnull, default, generated, _, _ = by_name[name]
        d = f'"{name}" {type_}'
        if generated == "s":
            d += f" GENERATED ALWAYS AS ({default}) STORED"
        elif default is not None:
            d += f" DEFAULT {default}"
        if notnull:
            d += " NOT NULL"
        defs.append(d)
    op.execute(f"CREATE TABLE {new} ({', '.join(defs)})")
    storage = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}
    changed = [f'ALTER COLUMN "{c[0]}" SET STORAGE {storage[c[5]]}'
               for c in columns if c[5] != c[6]]
    if changed:
        op.execute(f"ALTER TABLE {new} {', '.join(changed)}")
    if options:
        op.execute(f"ALTER TABLE {new} SET ({', '.join(options)})")
    copied = ", ".join(f'"{n}"' for n in wanted if by_name[n][4] != "s")
    op.execute(f"INSERT INTO {new} ({copied}) SELECT {copied} FROM {TABLE}")
    for seq, _ in owned:
        op.execute(f"ALTER SEQUENCE {seq} OWNED BY NONE")
    op.execute(f"DROP TABLE {TABLE}")
    op.execute(f"ALTER TABLE {new} RENAME TO {TABLE}")
    for seq, column in owned:
        op.execute(f'ALTER SEQUENCE {seq} OWNED BY {TABLE}."{column}"')
    for name, definition in constraints:
        if not definition.startswith("NOT NULL"):
            op.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
    for statement in [*indexes, *triggers]:
        op.execute(statement)
    op.execute(f"ANALYZE {TABLE}")
