"""Facet keys and running facet counts.

* ``facets``: every short exact-match value of the row as one ``field<US>value``
  string (``US`` = U+001F), generated from ``terms``. Equality filters use its
  GIN index (so a keyword and two ``fq`` filters meet in one bitmap), and facet
  counts read one narrow array per hit instead of decoding ``terms``.
* ``lyg_search_sig`` / ``lyg_search_sig_facet``: the documents grouped by the
  columns CKAN's standard filters read (site, state, capacity, type, department,
  permission labels), with a row count and a count per facet key of the fields
  listed in ``lyg_search_counted`` (facet fields, not unique codes), kept by
  statement triggers in the writing transaction. A query whose filters read only
  those columns (``*:*`` on the search page, the home page, a department's page)
  gets its count and facets from these few rows instead of from every hit.

Revision ID: 0006_facet_keys
Revises: 0005_title_vector
Create Date: 2026-11-26
"""

from alembic import op

revision = "0006_facet_keys"
down_revision = "0005_title_vector"
branch_labels = None
depends_on = None

# Fields whose values are counted per signature (CKAN's default facets; the
# plugin adds ``ckanext.lyg_search.counted_fields`` at start-up).
DEFAULT_COUNTED = ("organization", "groups", "tags", "res_format", "license_id")
# Rows longer than this have their out-of-line columns (terms and the large
# payloads) moved out, leaving the columns every search reads in the row.
TOAST_TARGET = 1536
LOCK_KEY = 7264001  # pg_advisory_xact_lock key of the count writers

SIG_COLUMNS = ("site_id", "state", "capacity", "dataset_type", "entity_type", "owner_org",
               "permission_labels")

# The signature key of a row: its filter columns, NULLs and separators kept apart.
_SIG_KEY = ("md5(concat_ws(E'\\x1e', " + ", ".join(
    f"coalesce({c}::text, E'\\x1d')" for c in SIG_COLUMNS) + "))")

_DELTA = """
    WITH delta AS ({rows}),
    sig AS (
        INSERT INTO lyg_search_sig AS t (sig, {cols}, n)
        SELECT sig, {cols}, sum(w) FROM delta
        GROUP BY sig, {cols} HAVING sum(w) <> 0 ORDER BY sig
        ON CONFLICT (sig) DO UPDATE SET n = t.n + EXCLUDED.n
    )
    INSERT INTO lyg_search_sig_facet AS t (sig, key, n)
    SELECT sig, k, sum(w) FROM delta, unnest(delta.facets) k
    WHERE split_part(k, E'\\x1f', 1) IN (SELECT field FROM lyg_search_counted)
    GROUP BY sig, k HAVING sum(w) <> 0 ORDER BY sig, k
    ON CONFLICT (sig, key) DO UPDATE SET n = t.n + EXCLUDED.n;
"""


def _rows(table: str, weight: int) -> str:
    return (f"SELECT {_SIG_KEY} AS sig, {', '.join(SIG_COLUMNS)}, facets, {weight} AS w "
            f"FROM {table}")


def _function(name: str, rows: str) -> str:
    body = _DELTA.format(rows=rows, cols=", ".join(SIG_COLUMNS))
    # One writer at a time updates the counts (until it commits): the rows it
    # locks are shared by nearly every write anyway, and taking them in one
    # order per statement cannot stop two multi-statement writers deadlocking.
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$\n"
            f"BEGIN\nPERFORM pg_advisory_xact_lock({LOCK_KEY});\n{body}\nRETURN NULL;\n"
            "END $$ LANGUAGE plpgsql")


def upgrade():
    op.execute(
        r"""
        CREATE OR REPLACE FUNCTION lyg_search_facet_keys(t jsonb) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT coalesce(array_agg(DISTINCT e.key || E'\x1f' || v ORDER BY e.key || E'\x1f' || v),
                          '{}')
          FROM jsonb_each(t) e
          CROSS JOIN LATERAL jsonb_array_elements_text(
            CASE jsonb_typeof(e.value) WHEN 'array' THEN e.value
                 ELSE jsonb_build_array(e.value) END) v
          WHERE v <> ''
        $$
        """
    )
    # One statement, so that the rewrite it causes already stores the rows
    # the new way: facet keys in the row (every facet count reads them),
    # terms (now only for wildcards, ranges and field-exists tests) out of it.
    op.execute(
        "ALTER TABLE lyg_search_doc "
        "ADD COLUMN IF NOT EXISTS facets text[] "
        "GENERATED ALWAYS AS (lyg_search_facet_keys(terms)) STORED, "
        "ALTER COLUMN facets SET STORAGE MAIN, "
        "ALTER COLUMN terms SET STORAGE EXTERNAL, "
        # rows under 2 kB are never toasted by default: move terms out sooner
        f"SET (toast_tuple_target = {TOAST_TARGET})"
    )
    op.execute("DROP INDEX IF EXISTS lyg_search_doc_terms")
    op.execute(
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_facets ON lyg_search_doc USING gin (facets)"
    )
    cols = ", ".join(f"{c} text" for c in SIG_COLUMNS[:-1])
    op.execute(
        f"""
        CREATE TABLE IF NOT EXISTS lyg_search_sig (
            sig text PRIMARY KEY,
            {cols},
            permission_labels text[] NOT NULL,
            n bigint NOT NULL
        )
        """
    )
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS lyg_search_sig_facet (
            sig text NOT NULL,
            key text NOT NULL,
            n bigint NOT NULL,
            PRIMARY KEY (sig, key)
        )
        """
    )
    op.execute("CREATE TABLE IF NOT EXISTS lyg_search_counted (field text PRIMARY KEY)")
    op.execute("INSERT INTO lyg_search_counted (field) VALUES "
               + ", ".join(f"('{f}')" for f in DEFAULT_COUNTED) + " ON CONFLICT DO NOTHING")
    op.execute(_function("lyg_search_sig_insert", _rows("new_rows", 1)))
    op.execute(_function("lyg_search_sig_delete", _rows("old_rows", -1)))
    op.execute(_function("lyg_search_sig_update",
                         _rows("new_rows", 1) + " UNION ALL " + _rows("old_rows", -1)))
    op.execute(
        """
        CREATE OR REPLACE FUNCTION lyg_search_sig_truncate() RETURNS trigger AS $$
        BEGIN
          DELETE FROM lyg_search_sig_facet;
          DELETE FROM lyg_search_sig;
          RETURN NULL;
        END $$ LANGUAGE plpgsql
        """
    )
    for event, table in (("INSERT", "NEW TABLE AS new_rows"), ("DELETE", "OLD TABLE AS old_rows"),
                         ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows")):
        name = f"lyg_search_sig_{event.lower()}"
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON lyg_search_doc")
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON lyg_search_doc "
                   f"REFERENCING {table} FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
    op.execute("DROP TRIGGER IF EXISTS lyg_search_sig_truncate ON lyg_search_doc")
    op.execute("CREATE TRIGGER lyg_search_sig_truncate AFTER TRUNCATE ON lyg_search_doc "
               "FOR EACH STATEMENT EXECUTE FUNCTION lyg_search_sig_truncate()")
    # Counts of the rows already indexed.
    op.execute("DELETE FROM lyg_search_sig_facet")
    op.execute("DELETE FROM lyg_search_sig")
    op.execute(_DELTA.format(rows=_rows("lyg_search_doc", 1), cols=", ".join(SIG_COLUMNS)))


def downgrade():
    for event in ("insert", "delete", "update", "truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS lyg_search_sig_{event} ON lyg_search_doc")
        op.execute(f"DROP FUNCTION IF EXISTS lyg_search_sig_{event}()")
    op.execute("DROP TABLE IF EXISTS lyg_search_sig_facet")
    op.execute("DROP TABLE IF EXISTS lyg_search_sig")
    op.execute("DROP TABLE IF EXISTS lyg_search_counted")
    op.execute("DROP INDEX IF EXISTS lyg_search_doc_facets")
    op.execute("ALTER TABLE lyg_search_doc DROP COLUMN IF EXISTS facets")
    op.execute("ALTER TABLE lyg_search_doc ALTER COLUMN terms SET STORAGE MAIN")
    op.execute("ALTER TABLE lyg_search_doc RESET (toast_tuple_target)")
    op.execute("DROP FUNCTION IF EXISTS lyg_search_facet_keys(jsonb)")
    op.execute(
        "CREATE INDEX IF NOT EXISTS lyg_search_doc_terms ON lyg_search_doc "
        "USING gin (terms jsonb_path_ops)"
    )
