"""Every declared rule is also a question to ask of existing rows (DESIGN principle 4).

Contract: `rule_audits(table)` yields one `Audit` per UNIQUE, FOREIGN KEY, NOT NULL, CHECK and
expectation of a table; `Audit.sql` is one set-based, read-only query returning
`(violations, sample)` — the number of offending rows and up to five of their primary keys
(as text); for duplicates under NULLS NOT DISTINCT only the number (`Audit.sample_sql` then
finds the sample once there is one: grouping is as cheap as the plain GROUP BY only without
per-row keys);
`count_and_sample(cur, audit)` runs one. `Audit.listing` is a query a person can run to see
those rows. `migrate` runs the same queries as preflight before adding a constraint, and
`check` runs them as the data review, so the two can never disagree.

NULLs follow PostgreSQL's own semantics: a foreign key with a NULL column is not checked
(MATCH SIMPLE), NULLs never collide in a UNIQUE unless it is NULLS NOT DISTINCT, and a CHECK
or expectation that evaluates to NULL passes. Orphans are found with NOT EXISTS, never NOT IN,
which a single NULL defeats. Identifiers from the catalog are always quoted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg

from compiler import ir
from compiler.check.regex import matches_sql
from compiler.names import display, quote_ident, quote_literal

Cursor = psycopg.Cursor[Any]

SAMPLE_SIZE = 5
# audits whose condition reads one row and nothing else (an orphan's reads the parent table)
ROW_LOCAL = frozenset({"null-in-not-null", "check-violated", "expectation-failed"})


@dataclass(frozen=True, slots=True)
class Audit:
    code: str  # duplicate-values, orphaned-rows, null-in-not-null, check-violated, expectation-*
    table: ir.QName
    columns: tuple[str, ...]
    rule: str  # what was declared, in words
    sql: str
    source: object | None = None  # the IR object that declared the rule (for its span)
    # expect json on a server without pg_input_is_valid: the rows are read and parsed
    streamed: bool = False
    # SELECT listing the offending rows (or, for duplicates, the duplicated keys)
    listing: str | None = None
    # a row-local rule (NOT NULL, CHECK, expectation): its condition on the row `r` and the
    # row's key expression, so that all of a table's such rules share one scan
    where: str | None = None
    key: str | None = None
    # when `sql` only counts (a GROUP BY that sampled keys would cast every row's key): the
    # query for up to five offending keys, run only when the count is not zero
    sample_sql: str | None = None

    @property
    def row_local(self) -> bool:
        return self.where is not None and self.code in ROW_LOCAL


def _key_expr(t: ir.Table, alias: str) -> str:
    """The primary key of a row as text, for samples; ctid when there is no key."""
    if t.primary_key:
        cols = [f"{alias}.{quote_ident(c)}::text" for c in t.primary_key.columns]
        return cols[0] if len(cols) == 1 else "concat_ws(',', " + ", ".join(cols) + ")"
    return f"{alias}.ctid::text"


def _listing(t: ir.Table, where: str) -> str:
    return f"SELECT r.* FROM {display(t.name)} AS r WHERE {where};"


def _count_and_sample(t: ir.Table, where: str) -> str:
    key = _key_expr(t, "r")
    return (f"SELECT count(*), (array_agg({key}) FILTER (WHERE {key} IS NOT NULL))[1:"
            f"{SAMPLE_SIZE}] FROM {display(t.name)} AS r WHERE {where}")


def count_and_sample(cur: Cursor, a: Audit) -> tuple[int, tuple[str, ...]]:
    """Run an audit: the number of offending rows and up to five of their keys."""
    cur.execute(a.sql.encode("utf-8"))
    row = cur.fetchone()
    count = int(row[0] or 0) if row else 0
    found = row[1] if row and row[1] else None
    if count and found is None and a.sample_sql is not None:
        cur.execute(a.sample_sql.encode("utf-8"))
        more = cur.fetchone()
        found = more[0] if more else None
    return count, tuple(str(s) for s in (found or ()) if s is not None)


def one_scan_sql(audits: list[Audit]) -> str:
    """One scan of a table answering several row-local audits (all of the same table): per
    audit, the count of rows that break it and up to five of their keys, in audit order.
    The WHERE keeps only the rows that break some rule, so a clean row has each rule
    evaluated once (OR stops at the first broken one) and only broken rows reach the
    aggregates. No subquery: a plain scan keeps the planner free to scan in parallel."""
    parts = []
    for a in audits:
        parts.append(f"count(*) FILTER (WHERE {a.where})")
        parts.append(f"(array_agg({a.key}) FILTER (WHERE ({a.where}) AND {a.key} IS NOT NULL))"
                     f"[1:{SAMPLE_SIZE}]")
    broken = " OR ".join(f"({a.where})" for a in audits)
    return f"SELECT {', '.join(parts)} FROM {display(audits[0].table)} AS r WHERE {broken}"


def unique_audit(t: ir.Table, columns: tuple[str, ...], *, nulls_not_distinct: bool = False,
                 where: str | None = None, rule: str, source: object = None) -> Audit:
    cols = ", ".join(quote_ident(c) for c in columns)
    conds = [] if nulls_not_distinct else [f"{quote_ident(c)} IS NOT NULL" for c in columns]
    if where:
        conds.append(f"({where})")
    filt = (" WHERE " + " AND ".join(conds)) if conds else ""
    key = _key_expr(t, "r")
    # rows sharing a key with another row: as cheap as the GROUP BY itself, no per-row key
    groups = f"FROM {display(t.name)} AS r{filt} GROUP BY {cols} HAVING count(*) > 1"
    listing = (f"SELECT {cols}, count(*) AS copies, array_agg({key}) AS keys "
               f"FROM {display(t.name)} AS r{filt} GROUP BY {cols} HAVING count(*) > 1 "
               "ORDER BY count(*) DESC;")
    if nulls_not_distinct:
        # NULLs match no IN, so the sample is each group's smallest key, asked only when
        # there are duplicates (min(key) casts every row's key)
        sql = (f"SELECT coalesce(sum(n), 0)::bigint, NULL::text[] FROM (SELECT count(*) AS n "
               f"{groups}) AS d")
        sample = (f"SELECT (array_agg(k ORDER BY k))[1:{SAMPLE_SIZE}] FROM (SELECT min({key}) "
                  f"AS k {groups}) AS d")
        return Audit("duplicate-values", t.name, columns, rule, sql, source, listing=listing,
                     sample_sql=sample)
    # One statement: the duplicated keys are grouped once (only the groups with copies are
    # kept), and the sample reads the rows of the first few of them (through the key's
    # index, when there is one). Counting first and sampling in a second query grouped the
    # whole table twice whenever there were duplicates. d's columns are renamed, so that a
    # key column called n cannot clash with the count.
    names = [f"k{i}" for i in range(len(columns))]
    keys = ", ".join(names)
    mine = ", ".join(f"r.{quote_ident(c)}" for c in columns)
    extra = f" AND ({where})" if where else ""
    sql = (f"WITH d({keys}, n) AS MATERIALIZED (SELECT {cols}, count(*) {groups}) "
           f"SELECT (SELECT coalesce(sum(n), 0)::bigint FROM d), "
           f"(SELECT array_agg(k ORDER BY k) FROM (SELECT {key} AS k FROM {display(t.name)} "
           f"AS r WHERE ({mine}) IN (SELECT {keys} FROM d ORDER BY {keys} LIMIT {SAMPLE_SIZE})"
           f"{extra} ORDER BY 1 LIMIT {SAMPLE_SIZE}) AS s)")
    return Audit("duplicate-values", t.name, columns, rule, sql, source, listing=listing)


def fk_audit(t: ir.Table, fk: ir.ForeignKey) -> Audit:
    present = " AND ".join(f"r.{quote_ident(c)} IS NOT NULL" for c in fk.columns)
    match = " AND ".join(f"p.{quote_ident(rc)} = r.{quote_ident(c)}"
                         for c, rc in zip(fk.columns, fk.ref_columns, strict=True))
    where = f"{present} AND NOT EXISTS (SELECT 1 FROM {display(fk.ref_table)} AS p WHERE {match})"
    rule = (f"{', '.join(fk.columns)} references {fk.ref_table}"
            f"({', '.join(fk.ref_columns)})")
    return Audit("orphaned-rows", t.name, fk.columns, rule, _count_and_sample(t, where), fk,
                 listing=_listing(t, where))


def not_null_audit(t: ir.Table, column: ir.Column) -> Audit:
    where = f"r.{quote_ident(column.name)} IS NULL"
    return Audit("null-in-not-null", t.name, (column.name,), f"{column.name} is NOT NULL",
                 _count_and_sample(t, where), column, listing=_listing(t, where),
                 where=where, key=_key_expr(t, "r"))


def check_audit(t: ir.Table, check: ir.Check) -> Audit:
    # a CHECK passes when its expression is NULL, so only FALSE is a violation
    where = f"({check.expression}) IS FALSE"
    return Audit("check-violated", t.name, (), f"CHECK ({check.expression})",
                 _count_and_sample(t, where), check, listing=_listing(t, where),
                 where=where, key=_key_expr(t, "r"))


def expectation_audit(t: ir.Table, ex: ir.Expectation, *, server_major: int) -> Audit:
    col = quote_ident(ex.column) if ex.column else ""
    cols = (ex.column,) if ex.column else ()
    shown = None  # the condition in the listing, when the query's is spelt for speed
    match ex.kind:
        case ir.ExpectKind.MATCHES:
            value, pattern = f"r.{col}::text", ex.argument or ""
            where = f"r.{col} IS NOT NULL AND NOT {matches_sql(value, pattern)}"
            shown = f"r.{col} IS NOT NULL AND NOT {value} ~ {quote_literal(pattern)}"
            rule = f"{ex.column} matches '{ex.argument}'"
        case ir.ExpectKind.NOT_MATCHES:
            value, pattern = f"r.{col}::text", ex.argument or ""
            where = matches_sql(value, pattern)
            shown = f"{value} ~ {quote_literal(pattern)}"
            rule = f"{ex.column} does not match '{ex.argument}'"
        case ir.ExpectKind.JSON:
            rule = f"{ex.column} holds valid JSON"
            if server_major < 16:
                # no pg_input_is_valid: the rows are streamed and parsed client-side
                sql = (f"SELECT {_key_expr(t, 'r')}, r.{col}::text FROM {display(t.name)} AS r "
                       f"WHERE r.{col} IS NOT NULL")
                listing = (f"SELECT r.* FROM {display(t.name)} AS r WHERE r.{col} IS NOT NULL;"
                           f"  -- the rows whose {ex.column} does not parse as JSON")
                return Audit("expectation-failed", t.name, cols, rule, sql, ex, streamed=True,
                             listing=listing)
            where = f"r.{col} IS NOT NULL AND NOT pg_input_is_valid(r.{col}::text, 'json')"
        case _:
            where = f"({ex.argument}) IS FALSE"
            rule = ex.argument or ""
    return Audit("expectation-failed", t.name, cols, rule, _count_and_sample(t, where), ex,
                 listing=_listing(t, shown or where), where=where, key=_key_expr(t, "r"))


def rule_audits(t: ir.Table, *, server_major: int = 18) -> Iterator[Audit]:
    live = [c for c in t.columns if not c.deprecated]
    if t.primary_key:
        yield unique_audit(t, t.primary_key.columns, rule="primary key "
                           f"({', '.join(t.primary_key.columns)})", source=t.primary_key)
    for u in t.uniques:
        yield unique_audit(t, u.columns, nulls_not_distinct=u.nulls_not_distinct,
                           rule=f"UNIQUE ({', '.join(u.columns)})", source=u)
    for ix in t.indexes:
        if ix.unique and all(e.column for e in ix.elements):
            cols = tuple(e.column for e in ix.elements if e.column)
            rule = f"unique index {ix.name} ({', '.join(cols)})" + (
                f" WHERE {ix.where}" if ix.where else "")
            yield unique_audit(t, cols, nulls_not_distinct=ix.nulls_not_distinct,
                               where=ix.where, rule=rule, source=ix)
    for fk in t.foreign_keys:
        yield fk_audit(t, fk)
    for c in live:
        if not c.nullable and not c.serial and not c.identity and not c.generated:
            yield not_null_audit(t, c)
    for ch in t.checks:
        yield check_audit(t, ch)
    for ex in t.expectations:
        yield expectation_audit(t, ex, server_major=server_major)


def row_key(t: ir.Table, rows: ir.Rows) -> tuple[str, ...]:
    """The columns that identify a reference row: the first primary key or unique constraint
    (or unconditional unique index) whose columns were all given, else every given column."""
    given = set(rows.columns)
    keys: list[tuple[str, ...]] = []
    if t.primary_key:
        keys.append(t.primary_key.columns)
    keys += [u.columns for u in t.uniques]
    keys += [tuple(e.column for e in ix.elements if e.column) for ix in t.indexes
             if ix.unique and ix.where is None and all(e.column for e in ix.elements)]
    return next((k for k in keys if set(k) <= given), rows.columns)


def missing_rows_sql(t: ir.Table, rows: ir.Rows) -> str:
    """Positions (0-based) of the declared rows that no row of the table matches by key."""
    key = row_key(t, rows)
    names = ["_pos", *rows.columns]
    values = ", ".join(f"({i}, {', '.join(v)})" for i, v in enumerate(rows.values))
    alias = ", ".join(quote_ident(n) for n in names)
    match = " AND ".join(f"r.{quote_ident(c)} = v.{quote_ident(c)}" for c in key)
    return (f"SELECT v._pos FROM (VALUES {values}) AS v({alias}) WHERE NOT EXISTS "
            f"(SELECT 1 FROM {display(t.name)} AS r WHERE {match}) ORDER BY v._pos")
