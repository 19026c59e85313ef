"""Lucene/Solr query syntax → parameterised SQL over the index table.

``q`` and every ``fq`` are parsed by luqum into a tree, and the tree is
translated node by node into a SQL condition with ``%s`` parameters (never
string interpolation of user input). Field semantics follow :mod:`.fields`:
exact match for ``string`` fields, word match (segmented Chinese included)
for ``text`` fields, value comparison for dates and numbers.

Free text without a field (the ``dismax`` form CKAN sends for plain search
boxes) matches against the weighted ``tsvector`` of the whole document, with
Solr's minimum-should-match rule ``2<-1 5<80%`` as CKAN configures it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from luqum import tree as T
from luqum.exceptions import ParseError
from luqum.thread import parse as _luqum_parse

from . import fields as F
from . import text

ELEMS = (
    "jsonb_array_elements_text(CASE jsonb_typeof(d.terms->%s) WHEN 'array' THEN d.terms->%s "
    "WHEN 'string' THEN jsonb_build_array(d.terms->%s) ELSE '[]'::jsonb END)"
)
LONG_VALUE = 256
# Facet keys: ``field<US>value`` (migration 0006 builds them from ``terms``).
FACET_SEP = "\x1f"
PUBLIC_LABEL = "public"  # every CKAN user's permission labels include it


def facet_key(field: str, value: str) -> str:
    return f"{field}{FACET_SEP}{value}"
NUMERIC_RE = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"
MAX_CLAUSES = 1024


class QueryError(ValueError):
    """The query cannot be understood; the message says why, for the user."""


@dataclass
class Sql:
    """A SQL fragment and its parameters."""

    sql: str
    params: list[Any] = field(default_factory=list)
    # A fragment that is exactly "the row holds these facet keys" (see
    # ``_keyed``): AND-ed with others like it, they become one test.
    keys: tuple[str, ...] = ()
    coded: bool = False

    @staticmethod
    def true() -> Sql:
        return Sql("TRUE")

    @staticmethod
    def false() -> Sql:
        return Sql("FALSE")


def _keyed(keys: Sequence[str], coded: bool) -> Sql:
    """The row holds every one of the facet keys (``field<US>value``, in the
    GIN-indexed ``facets``). ``coded``: the rows have ``facet_codes``
    (migration 0008), tested first: a filter read row by row (a keyword's
    hits) rules out most rows on the in-row codes without reading their
    keys, which are stored out of line."""
    marks = ", ".join(["%s"] * len(keys))
    if coded:
        hashes = ", ".join(["hashtextextended(%s, 0)"] * len(keys))
        return Sql(f"(d.facet_codes @> ARRAY[{hashes}] AND d.facets @> ARRAY[{marks}]::text[])",
                   [*keys, *keys], tuple(keys), True)
    return Sql(f"d.facets @> ARRAY[{marks}]::text[]", list(keys), tuple(keys))


def _merge_keyed(parts: list[Sql]) -> list[Sql]:
    """AND-ed facet-key tests as one (in the first one's place): the codes of
    every key are tested before any key is read out of line."""
    out: list[Sql] = []
    slot: dict[bool, int] = {}
    for part in parts:
        if part.keys and part.coded in slot:
            first = out[slot[part.coded]]
            out[slot[part.coded]] = _keyed([*first.keys, *part.keys], part.coded)
            continue
        if part.keys:
            slot[part.coded] = len(out)
        out.append(part)
    return out


def _join(parts: list[Sql], op: str) -> Sql:
    if not parts:
        return Sql.true() if op == "AND" else Sql.false()
    if op == "AND":
        parts = _merge_keyed(parts)
    if len(parts) == 1:
        return parts[0]
    params: list[Any] = []
    for p in parts:
        params.extend(p.params)
    return Sql("(" + f" {op} ".join(p.sql for p in parts) + ")", params)


def _not(part: Sql) -> Sql:
    return Sql(f"(NOT COALESCE({part.sql}, FALSE))", list(part.params))


_ESCAPE = re.compile(r"\\(.)")


def unescape(value: str) -> str:
    return _ESCAPE.sub(r"\1", value)


def _like_pattern(value: str) -> str:
    """A Lucene wildcard term as a LIKE pattern (``*`` any run, ``?`` one char)."""
    out = []
    i = 0
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\\" + nxt if nxt in "%_\\" else nxt)
            i += 2
            continue
        if c == "*":
            out.append("%")
        elif c == "?":
            out.append("_")
        elif c in "%_\\":
            out.append("\\" + c)
        else:
            out.append(c)
        i += 1
    return "".join(out)


# ---------------------------------------------------------------- dates ----

_DATE_MATH = re.compile(r"([+-])(\d+)(YEAR|MONTH|DAY|HOUR|MINUTE|SECOND)S?", re.I)
_ROUND = re.compile(r"/(YEAR|MONTH|DAY|HOUR|MINUTE|SECOND)S?", re.I)


def parse_date(value: str) -> dt.datetime:
    """A Solr date (ISO 8601 with ``Z``, or ``NOW`` with date math)."""
    v = value.strip()
    if v.upper().startswith("NOW"):
        base = dt.datetime.now(dt.UTC)
        rest = v[3:]
    else:
        m = re.match(r"^(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?)(Z|[+-]\d{2}:?\d{2})?", v)
        if not m:
            raise QueryError(f"Invalid date: {value!r}")
        s = m.group(1).replace(" ", "T")
        try:
            base = dt.datetime.fromisoformat(s)
        except ValueError as e:
            raise QueryError(f"Invalid date: {value!r}") from e
        tz = m.group(2)
        if tz and tz != "Z":
            base = dt.datetime.fromisoformat(s + tz)
        elif base.tzinfo is None:
            base = base.replace(tzinfo=dt.UTC)
        rest = v[m.end():]
    pos = 0
    while pos < len(rest):
        m = _DATE_MATH.match(rest, pos)
        if m:
            n = int(m.group(2)) * (1 if m.group(1) == "+" else -1)
            unit = m.group(3).upper()
            if unit in ("YEAR", "MONTH"):
                months = base.month - 1 + n * (12 if unit == "YEAR" else 1)
                year, month = base.year + months // 12, months % 12 + 1
                if not 1 <= year <= 9999:
                    raise QueryError(f"Invalid date: {value!r}")
                day = min(base.day, calendar.monthrange(year, month)[1])
                base = base.replace(year=year, month=month, day=day)
            else:
                try:
                    base = base + dt.timedelta(**{unit.lower() + "s": n})
                except (OverflowError, ValueError):
                    raise QueryError(f"Invalid date: {value!r}") from None
            pos = m.end()
            continue
        m = _ROUND.match(rest, pos)
        if m:
            unit = m.group(1).upper()
            keep = ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"].index(unit)
            parts = dict(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
            for i, k in enumerate(["month", "day", "hour", "minute", "second"]):
                if i < keep:
                    parts.pop(k)
            base = base.replace(**parts)
            pos = m.end()
            continue
        raise QueryError(f"Invalid date: {value!r}")
    return base


def _iso(d: dt.datetime) -> str:
    return d.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


# ----------------------------------------------------------- translator ----


@dataclass
class Translator:
    """Translates one parsed query into SQL.

    ``df`` is the default field for unfielded terms, ``default_and`` the
    default operator. ``rank`` collects the text-search queries of positive
    clauses, for relevance ranking.
    """

    df: str = "text"
    default_and: bool = True
    rank: list[Sql] = field(default_factory=list)
    clauses: int = 0
    # Whether the rows have ``facet_codes`` (migration 0008): a facet-key
    # filter then tests the in-row codes before the out-of-line keys.
    codes: bool = False
    # Whether the rows have the ``labels_public`` flag (migration 0012): the
    # ``public`` permission label is then tested on it, not on the array.
    public_flag: bool = False

    # -- entry points ------------------------------------------------------

    def lucene(self, q: str) -> Sql:
        return self.node(parse(q), self.df, positive=True)

    def dismax(self, q: str, mm: str | None = None) -> Sql:
        """Free text the way the dismax parser reads it: words and quoted
        phrases, ``+``/``-`` marks, no fields; a syntax Lucene rejects is read
        as plain words, as dismax does."""
        try:
            tree = parse(q)
            items = self._flatten_dismax(tree)
        except QueryError:
            if q.count('"') % 2 or q.count("(") != q.count(")"):
                raise QueryError(f"Unbalanced quotes or parentheses in {q!r}") from None
            items = None
        if items is None:
            items = [("should", w) for w in re.findall(r"[^\s\"()+\-!:^~*?\[\]{}\\/]+", q)]
        must: list[Sql] = []
        must_not: list[Sql] = []
        should: list[Sql] = []
        for kind, word in items:
            cond = self._text_word(self.df, word, phrase=kind.endswith("phrase"),
                                   positive=not kind.startswith("not"),
                                   prefix=kind.endswith("prefix"))
            if cond is None:
                continue
            if kind.startswith("not"):
                must_not.append(cond)
            elif kind.startswith("must"):
                must.append(cond)
            else:
                should.append(cond)
        parts = list(must)
        if should:
            need = min_should_match(len(should), mm)
            if need >= len(should):
                parts.extend(should)
            elif need > 0:
                any_ = _join(should, "OR")
                counted = Sql(
                    "(" + " + ".join(f"({s.sql})::int" for s in should) + f") >= {int(need)}",
                    [p for s in should for p in s.params],
                )
                parts.append(_join([any_, counted], "AND"))
            elif not must:
                parts.append(_join(should, "OR"))
        if not parts and not must_not:
            return Sql.false() if items else Sql.true()
        return _join(parts + [_not(n) for n in must_not], "AND")

    def _flatten_dismax(self, node: T.Item) -> list[tuple[str, str]] | None:
        out: list[tuple[str, str]] = []

        def walk(n: T.Item, mark: str) -> bool:
            if isinstance(n, (T.UnknownOperation, T.AndOperation, T.OrOperation, T.Group)):
                children = n.children if not isinstance(n, T.Group) else [n.expr]
                return all(walk(c, mark) for c in children)
            if isinstance(n, T.Plus):
                return walk(n.a, "must")
            if isinstance(n, (T.Prohibit, T.Not)):
                return walk(n.a, "not")
            if isinstance(n, (T.Boost, T.BaseApprox)):
                return walk(n.expr if isinstance(n, T.Boost) else n.term, mark)
            if isinstance(n, T.Phrase):
                out.append((mark + "_phrase", n.value[1:-1]))
                return True
            if isinstance(n, T.Word):
                if n.value in ("AND", "OR", "NOT"):
                    return True
                out.append((mark + "_prefix" if n.has_wildcard() else mark, n.value))
                return True
            return False

        if not walk(node, "should"):
            return None
        return out

    # -- tree walk ---------------------------------------------------------

    def node(self, n: T.Item, fld: str, positive: bool) -> Sql:
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise QueryError("The query has too many clauses")
        if isinstance(n, T.SearchField):
            name = n.name
            if name == "*":
                if isinstance(n.expr, T.Word) and n.expr.value == "*":
                    return Sql.true()
                raise QueryError("Only *:* may use the field name *")
            if not F.FIELD_NAME.match(name):
                raise QueryError(f"Invalid field name: {name!r}")
            return self.node(n.expr, name, positive)
        if isinstance(n, (T.Group, T.FieldGroup)):
            return self.node(n.expr, fld, positive)
        if isinstance(n, T.Boost):
            return self.node(n.expr, fld, positive)
        if isinstance(n, T.BaseApprox):
            return self.node(n.term, fld, positive)
        if isinstance(n, (T.AndOperation, T.OrOperation, T.UnknownOperation)):
            return self._clauses(n, fld, positive)
        if isinstance(n, T.Plus):
            return self.node(n.a, fld, positive)
        if isinstance(n, (T.Not, T.Prohibit)):
            return _not(self.node(n.a, fld, not positive))
        if isinstance(n, T.Range):
            return self.range(fld, _bound(n.low), _bound(n.high), n.include_low, n.include_high)
        if isinstance(n, T.From):
            return self.range(fld, _bound(n.a), "*", n.include, True)
        if isinstance(n, T.To):
            return self.range(fld, "*", _bound(n.a), True, n.include)
        if isinstance(n, T.Phrase):
            return self.term(fld, n.value[1:-1], phrase=True, positive=positive)
        if isinstance(n, T.Regex):
            raise QueryError("Regular expression queries are not supported")
        if isinstance(n, T.Word):
            return self.term(fld, n.value, phrase=False, positive=positive)
        raise QueryError(f"Unsupported query element: {n!s}")

    def _clauses(self, n: T.Item, fld: str, positive: bool) -> Sql:
        """A boolean clause list read the way Lucene's classic query parser
        reads it: no precedence, each clause's occurrence decided by its
        conjunction and ``+``/``-`` marks (``a OR b`` makes both optional;
        with the default operator AND a bare clause is required), so that
        ``+x a OR b +y`` filters on x and y only, as it does on Solr."""
        seq: list[tuple[str | None, T.Item]] = []

        def flatten(node: T.Item, conj: str | None) -> None:
            if isinstance(node, (T.AndOperation, T.OrOperation, T.UnknownOperation)):
                own = ("AND" if isinstance(node, T.AndOperation)
                       else "OR" if isinstance(node, T.OrOperation) else None)
                for i, child in enumerate(node.children):
                    flatten(child, conj if i == 0 else own)
            else:
                seq.append((conj, node))

        flatten(n, None)
        if all(conj == "OR" for conj, _ in seq[1:]):
            same = self._same_field_values([c for _, c in seq], fld)
            if same is not None:
                name, values = same
                if name in F.ARRAY_COLUMNS:
                    return self._labels(F.ARRAY_COLUMNS[name], values)
                if name in F.COLUMNS:
                    return Sql(f"{F.COLUMNS[name]} = ANY(%s)", [values])
                keys = [facet_key(name, v) for v in values]
                if self.codes:
                    codes = ", ".join(["hashtextextended(%s, 0)"] * len(keys))
                    return Sql(f"(d.facet_codes && ARRAY[{codes}]::bigint[] "
                               "AND d.facets && %s::text[])", [*keys, keys])
                return Sql("d.facets && %s::text[]", [keys])
        occurs: list[list[Any]] = []  # [occur, node]
        for conj, child in seq:
            mod = None
            if isinstance(child, T.Plus):
                mod, child = "REQ", child.a
            elif isinstance(child, (T.Prohibit, T.Not)):
                mod, child = "NOT", child.a
            if occurs and conj == "AND" and occurs[-1][0] != "MUST_NOT":
                occurs[-1][0] = "MUST"
            if occurs and self.default_and and conj == "OR" and occurs[-1][0] != "MUST_NOT":
                occurs[-1][0] = "SHOULD"
            prohibited = mod == "NOT"
            if self.default_and:
                required = not prohibited and conj != "OR"
            else:
                required = mod == "REQ" or (conj == "AND" and not prohibited)
            occur = "MUST_NOT" if prohibited else "MUST" if required else "SHOULD"
            occurs.append([occur, child])
        must = [self.node(c, fld, positive) for o, c in occurs if o == "MUST"]
        should = [self.node(c, fld, positive) for o, c in occurs if o == "SHOULD"]
        must_not = [self.node(c, fld, not positive) for o, c in occurs if o == "MUST_NOT"]
        parts = list(must)
        if should and not must:
            parts.append(_join(should, "OR"))
        parts.extend(_not(x) for x in must_not)
        return _join(parts, "AND")

    def _same_field_values(self, children: list[T.Item], fld: str):
        """``f:a OR f:b OR …`` on one exact-match field (a column, or short
        values matched as facet keys): its values, else None."""
        name = None
        values: list[str] = []
        for child in children:
            f = fld
            if isinstance(child, T.SearchField):
                f, child = child.name, child.expr
            if isinstance(child, T.Phrase):
                v = unescape(child.value[1:-1])
            elif isinstance(child, T.Word) and not child.has_wildcard():
                v = unescape(child.value)
            else:
                return None
            if F.field_type(f) != F.STRING:
                return None
            if f not in F.COLUMNS and f not in F.ARRAY_COLUMNS and (
                    not v or len(v) > LONG_VALUE or FACET_SEP in f):
                return None
            if name not in (None, f):
                return None
            name = f
            values.append(v)
        return (name, values) if name else None

    # -- leaves ------------------------------------------------------------

    def term(self, fld: str, raw: str, phrase: bool, positive: bool) -> Sql:
        wildcard = (not phrase) and bool(re.search(r"(?<!\\)[*?]", raw))
        value = raw if wildcard else unescape(raw)
        if not phrase and raw == "*":
            return self.exists(fld)
        ftype = F.field_type(fld)
        if fld in F.ARRAY_COLUMNS:
            col = F.ARRAY_COLUMNS[fld]
            if wildcard:
                return Sql(f"EXISTS (SELECT 1 FROM unnest({col}) v WHERE v LIKE %s)",
                           [_like_pattern(value)])
            return self._labels(col, [value])
        if ftype == F.DATE:
            if wildcard:
                return self.exists(fld)
            return self.range(fld, value, value, True, True)
        if ftype == F.NUMBER and not wildcard:
            return self.range(fld, value, value, True, True)
        if ftype == F.NGRAM:
            return self._ngram(fld, value, wildcard)
        if ftype == F.TEXT:
            cond = self._text_word(fld, value, phrase=phrase, positive=positive,
                                   prefix=wildcard)
            return cond if cond is not None else Sql.false()
        # string
        if fld in F.COLUMNS:
            col = F.COLUMNS[fld]
            if wildcard:
                return Sql(f"{col} LIKE %s", [_like_pattern(value)])
            return Sql(f"{col} = %s", [value])
        if wildcard:
            return Sql(f"EXISTS (SELECT 1 FROM {ELEMS} v WHERE v LIKE %s)",
                       [fld, fld, fld, _like_pattern(value)])
        if len(value) <= LONG_VALUE and value and FACET_SEP not in fld:
            # short values are facet keys (``field<US>value``, GIN-indexed)
            return _keyed([facet_key(fld, value)], self.codes)
        return Sql(
            "(d.doc @> %s::jsonb OR d.doc @> %s::jsonb)",
            [json.dumps({fld: value}, ensure_ascii=False),
             json.dumps({fld: [value]}, ensure_ascii=False)],
        )

    def _ngram(self, fld: str, value: str, wildcard: bool) -> Sql:
        """Solr's ``name_ngram``/``title_ngram`` match any part of the name or
        title. Three characters or more: a substring of ``suggest`` (name and
        title, trigram index); shorter: a name containing it, or a title word
        starting with it (title vector index)."""
        core = re.sub(r"[*?]", "", value).strip().lower()
        if len(core) >= 3 or wildcard:
            return Sql("d.suggest LIKE %s", ["%" + _like_pattern(value.lower()) + "%"])
        if not core:
            return Sql.false()
        if fld == "name_ngram":
            if not core.isascii():
                return Sql.false()  # dataset names are ASCII
            return Sql("d.name LIKE %s", ["%" + _like_pattern(core) + "%"])
        return Sql("d.tsv_title @@ to_tsquery('simple', %s)", [_ts_lexeme(core) + ":*"])

    def _labels(self, col: str, values: list[str]) -> Sql:
        """Rows whose array ``col`` holds any of ``values``; for the
        permission labels, ``public`` is read from the row's flag."""
        if not (self.public_flag and col == F.ARRAY_COLUMNS["permission_labels"]
                and PUBLIC_LABEL in values):
            return _overlap(col, "%s::text[]", [values])
        others = [v for v in values if v != PUBLIC_LABEL]
        if not others:
            return Sql("d.labels_public")
        return Sql(f"(d.labels_public OR ({col} && %s::text[]) IS TRUE)", [others])

    def exists(self, fld: str) -> Sql:
        if fld in F.COLUMNS:
            return Sql(f"{F.COLUMNS[fld]} IS NOT NULL")
        if fld in F.ARRAY_COLUMNS:
            return Sql(f"cardinality({F.ARRAY_COLUMNS[fld]}) > 0")
        if fld in ("text", "title_ngram", "name_ngram"):
            return Sql.true()
        if F.field_type(fld) == F.TEXT:
            return Sql("jsonb_exists(d.seg, %s)", [fld])
        return Sql("jsonb_exists(d.terms, %s)", [fld])

    def _text_word(self, fld: str, value: str, phrase: bool, positive: bool,
                   prefix: bool = False) -> Sql | None:
        """A word or phrase against a text field; None when it has no word."""
        if prefix:
            stem = re.sub(r"[*?]+$", "", value)
            if re.search(r"[*?]", stem):
                raise QueryError("Wildcards are supported at the end of a word only")
            words = text.tokens(stem)
            if not words:
                return Sql.true()
            lexemes = [w.lower() for w in words]
            tsq = " & ".join(_ts_lexeme(w) for w in lexemes[:-1])
            tsq = (tsq + " & " if tsq else "") + _ts_lexeme(lexemes[-1]) + ":*"
            q = Sql("to_tsquery('simple', %s)", [tsq])
        else:
            seg = " ".join(text.query_words(value))
            if not seg:
                return None
            if phrase and not text.has_han(value) and " " in seg:
                q = Sql("phraseto_tsquery('simple', %s)", [seg])
            else:
                q = Sql("plainto_tsquery('simple', %s)", [seg])
        if positive:
            self.rank.append(q)
        match = Sql(f"d.tsv @@ {q.sql}", list(q.params))
        if fld in ("text", "_text_"):
            return match
        if fld == "title":
            return Sql(f"d.tsv_title @@ {q.sql}", list(q.params))
        else:
            field_match = Sql(
                f"to_tsvector('simple', COALESCE(d.seg->>%s, '')) @@ {q.sql}", [fld, *q.params]
            )
        if F.is_searched(fld):
            return _join([match, field_match], "AND")
        return field_match

    def range(self, fld: str, low: str, high: str, inc_low: bool, inc_high: bool) -> Sql:
        low, high = unescape(low), unescape(high)
        ftype = F.field_type(fld)
        conds: list[Sql] = []
        is_num = ftype == F.NUMBER or (
            ftype != F.DATE
            and all(v == "*" or re.match(NUMERIC_RE, v) for v in (low, high))
        )
        if ftype == F.DATE or fld in ("metadata_created", "metadata_modified"):
            bounds = [(low, ">=" if inc_low else ">"), (high, "<=" if inc_high else "<")]
            if fld in F.COLUMNS:
                for v, op in bounds:
                    if v != "*":
                        conds.append(Sql(f"{F.COLUMNS[fld]} {op} %s", [parse_date(v)]))
                if not conds:
                    return Sql(f"{F.COLUMNS[fld]} IS NOT NULL")
                return _join(conds, "AND")
            vals = [(_iso(parse_date(v)), op) for v, op in bounds if v != "*"]
            inner = " AND ".join(f"left(v, 19) {op} %s" for _, op in vals) or "TRUE"
            return Sql(f"EXISTS (SELECT 1 FROM {ELEMS} v WHERE {inner})",
                       [fld, fld, fld, *[v for v, _ in vals]])
        if is_num:
            bounds = []
            for v, op in ((low, ">=" if inc_low else ">"), (high, "<=" if inc_high else "<")):
                if v == "*":
                    continue
                try:
                    num = float(v)
                except ValueError as e:
                    raise QueryError(f"Invalid number: {v!r}") from e
                if math.isnan(num):
                    raise QueryError(f"Invalid number: {v!r}")
                bounds.append((v.strip(), op))
            inner = " AND ".join(
                f"(CASE WHEN v ~ %s THEN v::numeric END) {op} %s::numeric" for _, op in bounds
            ) or "v ~ %s"
            params: list[Any] = [fld, fld, fld]
            if bounds:
                for v, _ in bounds:
                    params.extend([NUMERIC_RE, v])
            else:
                params.append(NUMERIC_RE)
            return Sql(f"EXISTS (SELECT 1 FROM {ELEMS} v WHERE {inner})", params)
        # strings compare lexically, as Solr's string ranges do
        col = F.COLUMNS.get(fld)
        target = col if col else "v"
        inner_parts = []
        params = []
        if low != "*":
            inner_parts.append(f"{target} {'>=' if inc_low else '>'} %s")
            params.append(low)
        if high != "*":
            inner_parts.append(f"{target} {'<=' if inc_high else '<'} %s")
            params.append(high)
        inner = " AND ".join(inner_parts) or "TRUE"
        if col:
            return Sql(f"({col} IS NOT NULL AND {inner})", params)
        return Sql(f"EXISTS (SELECT 1 FROM {ELEMS} v WHERE {inner})", [fld, fld, fld, *params])


def _bound(node: T.Item) -> str:
    """A range bound as written: a term, or what luqum read as an operator
    (``[a TO -0]`` has ``-0``, a literal to Solr)."""
    value = getattr(node, "value", None)
    return value if isinstance(value, str) else str(node).strip()


def _overlap(col: str, array: str, params: list[Any]) -> Sql:
    """``col && array`` in a form no index answers. The only array column is
    ``permission_labels``, and every CKAN user's labels include ``public``:
    the filter keeps nearly every row, yet the planner, underrating the cost
    of reading the out-of-line text vector row by row, would take that index
    for a keyword matching most entries (a second, where the text index
    answers in a fifth of it)."""
    return Sql(f"({col} && {array}) IS TRUE", list(params))


def _ts_lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


# Queries up to this length are parsed once per process: every search of a
# portal carries the same filters (site, state, capacity, the user's
# permission labels), and parsing costs more than translating the tree.
PARSED_KEPT_LENGTH = 1000


def parse(q: str) -> T.Item:
    """The query's syntax tree (shared between callers: never modified)."""
    if len(q) > 20000:
        raise QueryError("The query is too long")
    if len(q) <= PARSED_KEPT_LENGTH:
        return _parse_kept(q)
    return _parse(q)


@functools.lru_cache(maxsize=1024)
def _parse_kept(q: str) -> T.Item:
    return _parse(q)


def _parse(q: str) -> T.Item:
    try:
        return _luqum_parse(q)
    except ParseError as e:
        raise QueryError(f"Cannot parse the query {q!r}: {e}") from None
    except RecursionError:
        raise QueryError("The query is nested too deeply") from None


def min_should_match(n: int, mm: str | None) -> int:
    """How many of ``n`` optional clauses must match under a dismax ``mm``
    spec such as CKAN's ``2<-1 5<80%``."""
    if not mm:
        return n
    mm = mm.strip()
    conds = re.findall(r"(\d+)<(-?\d+%?)", mm)
    spec = mm
    if conds:
        spec = None
        for limit, s in conds:
            if n > int(limit):
                spec = s
        if spec is None:
            return n
    if spec.endswith("%"):
        pct = int(spec[:-1])
        k = int(n * abs(pct) / 100)
        need = n - k if pct < 0 else k
    else:
        v = int(spec)
        need = n + v if v < 0 else v
    return max(0, min(n, need))
