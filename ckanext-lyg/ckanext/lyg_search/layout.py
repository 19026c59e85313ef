"""Rewriting the index table with its columns in another order (migrations).

PostgreSQL takes a row's values apart from the first column up to the last
one a statement reads, and fixed-width columns placed first have fixed
offsets: the order of the columns is part of what a search costs (see
migrations 0010 and 0012). PostgreSQL cannot reorder columns in place, so
the table is copied into a new one with the wanted order, and its rows, row
numbers, indexes, constraints, triggers, storage settings and table options
are carried over as they are. The table is locked meanwhile (about a minute
per 100,000 entries).
"""

from __future__ import annotations

from typing import Any

TABLE = "lyg_search_doc"


def rewrite(conn: Any, order: tuple[str, ...], add: dict[str, str] | None = None) -> None:
    """Rewrite the index table with its columns in ``order`` (columns not
    named keep their relative order, after the named ones), inside the
    running migration (``conn`` is its connection). ``add``: new columns
    (name: definition, computed or defaulted) made in the same copy."""
    add = add or {}
    from alembic import op
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
    existing = list(names)
    names += [n for n in add if n not in existing]
    wanted = list(dict.fromkeys([n for n in order if n in names] + names))
    if wanted == existing:
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
        if name not in by_name:
            defs.append(f'"{name}" {add[name]}')
            continue
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
    copied = ", ".join(f'"{n}"' for n in wanted if n in by_name and by_name[n][4] != "s")
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
