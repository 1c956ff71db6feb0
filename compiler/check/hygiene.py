"""Catalog hygiene: lints a DBA runs on any PostgreSQL database, with or without a schema.

Contract: `hygiene(conn, major, nsp, declared)` runs the set-based catalog queries
`compiler/queries/check_*.sql` over the namespaces `nsp` (one query per rule, never one per
table) and returns a `Hygiene`: the findings, plus what other passes need to avoid saying the
same thing twice (invalid index names, which `unmanaged` also lists) or to audit what the
database does not guarantee (constraints added NOT VALID). When a declared schema is given,
findings point at the declaring `.schema` line. Read-only; runs inside the caller's
transaction.

Duplicate and redundant indexes are decided here from one description of every index
(`check_indexes.sql`), so the rules live in one readable place:
- duplicate: same method, key descriptors (column or expression, operator class, collation,
  order), predicate and uniqueness as another index;
- redundant: a valid btree whose keys are a leading prefix of another valid btree's with the
  same predicate, that is neither unique (it would enforce something) nor behind a
  constraint, and has no INCLUDE columns (it might serve index-only scans the other cannot).
  A plain index on the columns of a UNIQUE constraint is redundant by this rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from compiler import ir
from compiler import ops as o
from compiler.check.findings import Finding, finding
from compiler.errors import Span
from compiler.generators.sql import op_statements
from compiler.introspect import query
from compiler.names import derive, display, quote_ident

SEQUENCE_THRESHOLD = 0.75  # share of the column's range a sequence may use before we warn


@dataclass(slots=True)
class Hygiene:
    findings: list[Finding] = field(default_factory=list)
    invalid_indexes: set[str] = field(default_factory=set)  # display names, as `unmanaged`
    # (table, constraint, contype, columns) of constraints added NOT VALID
    not_validated: list[tuple[ir.QName, str, str, tuple[str, ...]]] = field(default_factory=list)
    # (table, constraint) of foreign keys whose enforcement triggers are disabled
    not_enforced: set[tuple[ir.QName, str]] = field(default_factory=set)
    indexes_live: int = 0


class _Spans:
    """Where the declared schema speaks of a table, column, index or constraint."""

    def __init__(self, schema: ir.Schema | None) -> None:
        self.tables: dict[str, Span | None] = {}
        self.parts: dict[tuple[str, str], Span | None] = {}
        for t in schema.tables if schema else ():
            key = str(t.name)
            self.tables[key] = t.span
            for c in t.columns:
                self.parts[(key, c.name)] = c.span
            for ix in t.indexes:
                self.parts[(key, ix.name)] = ix.span
            for x in (t.primary_key, *t.uniques, *t.foreign_keys, *t.checks):
                if x is not None:
                    self.parts[(key, x.name)] = x.span

    def of(self, table: str, part: str | None = None) -> Span | None:
        if part is not None and (hit := self.parts.get((table, part))) is not None:
            return hit
        return self.tables.get(table)


def _fetch(conn: psycopg.Connection[Any], name: str, major: int,
           **params: Any) -> list[tuple[Any, ...]]:
    with conn.cursor(row_factory=psycopg.rows.tuple_row) as cur:
        cur.execute(query(name, major).encode("utf-8"), params)
        return cur.fetchall()


def index_label(table: ir.QName, index: str) -> str:
    """An index as `invalid_indexes` and the unmanaged-object listing name it."""
    return index if table.schema == "public" else f"{table.schema}.{index}"


def _qn(schema: str, name: str) -> ir.QName:
    return ir.QName(schema=schema, name=name)


def _sql(*ops: o.Op) -> str:
    return "\n".join(s for op in ops for s in op_statements(op))


def hygiene(conn: psycopg.Connection[Any], major: int, nsp: Sequence[int],
            declared: ir.Schema | None) -> Hygiene:
    out = Hygiene()
    spans = _Spans(declared)
    oids = list(nsp)
    f = out.findings

    for schema, table, con, cols, ref_schema, ref_table, rows in _fetch(
            conn, "check_fk_without_index", major, nsp=oids):
        t = _qn(schema, table)
        ix = ir.Index(name=derive(table, *cols, "idx"),
                      elements=tuple(ir.IndexElement(column=c) for c in cols))
        f.append(finding(
            "fk-without-index", table=t, columns=tuple(cols), object=con,
            span=spans.of(str(t), con),
            message=f"foreign key {con} ({', '.join(cols)}) -> {_qn(ref_schema, ref_table)} "
                    f"has no index starting with its columns{_about(rows)}",
            fix=_sql(o.CreateIndex(table=t, index=ix, concurrently=True))
            + f"\n-- and declare it: index {quote_ident(ix.name)} "
              f"({', '.join(quote_ident(c) for c in cols)})"))

    for schema, table, column, type_ in _fetch(conn, "check_timestamp_without_tz", major,
                                               nsp=oids):
        t = _qn(schema, table)
        new = type_.replace("timestamp without time zone", "timestamp with time zone")
        f.append(finding(
            "timestamp-without-time-zone", table=t, columns=(column,),
            span=spans.of(str(t), column),
            message=f"{t}.{column} is {type_}",
            fix=_sql(o.AlterColumnType(table=t, column=column, old_type=type_, new_type=new,
                                       using=f"{quote_ident(column)} AT TIME ZONE 'UTC'"))
            + "  -- if the stored values are UTC; rewrites the table"))

    for schema, table, rows, candidate in _fetch(conn, "check_no_primary_key", major,
                                                 nsp=oids):
        t = _qn(schema, table)
        fix = (f"ALTER TABLE {display(t)} ADD CONSTRAINT {quote_ident(table + '_pkey')} "
               f"PRIMARY KEY USING INDEX {quote_ident(candidate)};" if candidate else
               "add a primary key column (e.g. `id bigint generated always as identity "
               "primary key`)")
        f.append(finding("table-without-primary-key", table=t, span=spans.of(str(t)),
                         message=f"{t} has no primary key{_about(rows)}"
                         + (f"; the unique index {candidate} could become one"
                            if candidate else ""), fix=fix))

    _indexes(out, _fetch(conn, "check_indexes", major, nsp=oids), spans)

    for schema, table, con, kind, cols, definition in _fetch(conn, "check_not_validated", major,
                                                             nsp=oids):
        t = _qn(schema, table)
        out.not_validated.append((t, con, kind, tuple(cols)))
        f.append(finding(
            "constraint-not-validated", table=t, columns=tuple(cols), object=con,
            span=spans.of(str(t), con),
            message=f"{t} constraint {con} ({definition}) was never validated against the "
                    "existing rows",
            fix=f"ALTER TABLE {display(t)} VALIDATE CONSTRAINT {quote_ident(con)};"
                "  -- fails while rows break it; the data audits count them"))

    for schema, table, con, cols, definition, where in _fetch(conn, "check_disabled_triggers",
                                                              major, nsp=oids):
        t = _qn(schema, table)
        out.not_enforced.add((t, con))
        f.append(finding(
            "constraint-not-enforced", table=t, columns=tuple(cols), object=con,
            span=spans.of(str(t), con),
            message=f"{t} foreign key {con} ({definition}) is not enforced: its triggers are "
                    f"disabled on {', '.join(where)}",
            fix="\n".join(f"ALTER TABLE {w} ENABLE TRIGGER ALL;" for w in where)
                + "  -- after removing the orphans the data audits find"))

    for schema, table, index, con, cols, nullable in _fetch(conn, "check_nullable_unique",
                                                            major, nsp=oids):
        t = _qn(schema, table)
        what = f"UNIQUE {con}" if con else f"unique index {index}"
        f.append(finding(
            "nullable-column-in-unique", table=t, columns=tuple(nullable), object=con or index,
            span=spans.of(str(t), con or index),
            message=f"{what} ({', '.join(cols)}) of {t} allows NULL in {', '.join(nullable)}: "
                    "rows that differ only by a NULL there are not duplicates to PostgreSQL",
            fix="make " + ", ".join(nullable) + " NOT NULL, or declare the key NULLS NOT "
                "DISTINCT (PostgreSQL 15+)"))

    for (schema, table, con, col, type_, ref_schema, ref_table, ref_col,
         ref_type) in _fetch(conn, "check_fk_type_mismatch", major, nsp=oids):
        t = _qn(schema, table)
        f.append(finding(
            "fk-type-mismatch", table=t, columns=(col,), object=con,
            span=spans.of(str(t), col),
            message=f"{t}.{col} is {type_} but references {_qn(ref_schema, ref_table)}."
                    f"{ref_col}, which is {ref_type}",
            fix=_sql(o.AlterColumnType(table=t, column=col, old_type=type_, new_type=ref_type,
                                       using=f"{quote_ident(col)}::{ref_type}"))))

    for schema, table, col, type_, seq, last, limit in _fetch(
            conn, "check_sequences", major, nsp=oids, threshold=SEQUENCE_THRESHOLD):
        t = _qn(schema, table)
        share = 100 * int(last) / int(limit) if limit else 100.0
        f.append(finding(
            "sequence-near-exhaustion", table=t, columns=(col,), object=seq,
            span=spans.of(str(t), col),
            message=f"sequence {seq} of {t}.{col} ({type_}) is at {last} of {limit} "
                    f"({share:.0f}%)",
            fix=(_sql(o.AlterColumnType(table=t, column=col, old_type=type_,
                                        new_type="bigint")) + f"\nALTER SEQUENCE {seq} AS "
                 "bigint;  -- rewrites the table; plan it") if type_ != "bigint" else
            "archive or renumber rows; the bigint range itself is nearly used"))

    for schema, table, dup, kept, cols in _fetch(conn, "check_duplicate_fks", major, nsp=oids):
        t = _qn(schema, table)
        f.append(finding(
            "duplicate-foreign-key", table=t, columns=tuple(cols), object=dup,
            span=spans.of(str(t), dup),
            message=f"foreign key {dup} of {t} repeats {kept} ({', '.join(cols)})",
            fix=_sql(o.DropConstraint(table=t, name=dup))))

    for schema, table, col, ref_schema, ref_table, ref_col in _fetch(
            conn, "check_implied_fks", major, nsp=oids):
        t = _qn(schema, table)
        ref = _qn(ref_schema, ref_table)
        fk = ir.ForeignKey(name=derive(table, col, "fkey"), columns=(col,), ref_table=ref,
                           ref_columns=(ref_col,))
        f.append(finding(
            "implied-foreign-key", table=t, columns=(col,), span=spans.of(str(t), col),
            message=f"{t}.{col} looks like a reference to {ref}.{ref_col} but has no "
                    "foreign key",
            fix=_sql(o.AddConstraint(table=t, constraint=fk, not_valid=True),
                     o.ValidateConstraint(table=t, name=fk.name))
            + "\n-- if it is a reference; otherwise ignore this note"))
    return out


@dataclass(frozen=True, slots=True)
class _Ix:
    table: ir.QName
    name: str
    method: str
    unique: bool
    primary: bool
    valid: bool
    constraint: str | None
    predicate: str | None
    keys: tuple[str, ...]
    key_names: tuple[str, ...]
    includes: int
    size: int
    definition: str

    @property
    def pinned(self) -> bool:
        """Backs a constraint, or enforces uniqueness: never the one to drop for redundancy."""
        return self.constraint is not None or self.unique

    def drop_sql(self) -> str:
        if self.constraint:
            return _sql(o.DropConstraint(table=self.table, name=self.constraint))
        return _sql(o.DropIndex(schema=self.table.schema, name=self.name, concurrently=True))


def _keeper_order(ix: _Ix) -> tuple[bool, bool, bool, str]:
    # the index to keep of two identical ones: a primary key, then a constraint, then a
    # unique index, then the first by name
    return (not ix.primary, ix.constraint is None, not ix.unique, ix.name)


def _indexes(out: Hygiene, rows: list[tuple[Any, ...]], spans: _Spans) -> None:
    by_table: dict[ir.QName, list[_Ix]] = defaultdict(list)
    for (schema, table, name, method, unique, primary, valid, con, _contype, pred, keys,
         names, includes, size, definition) in rows:
        ix = _Ix(_qn(schema, table), name, method, unique, primary, valid, con, pred,
                 tuple(keys), tuple(names), includes, size, definition)
        by_table[ix.table].append(ix)
        out.indexes_live += 1
    f = out.findings
    for t, indexes in by_table.items():
        for ix in indexes:
            if not ix.valid:
                out.invalid_indexes.add(index_label(t, ix.name))
                f.append(finding(
                    "invalid-index", table=t, columns=ix.key_names, object=ix.name,
                    span=spans.of(str(t), ix.name),
                    message=f"index {ix.name} of {t} is invalid (a failed CREATE INDEX "
                            "CONCURRENTLY or REINDEX)",
                    fix=f"REINDEX INDEX CONCURRENTLY {_index_ref(t, ix.name)};"
                        + ("  -- fails until the duplicate rows are fixed" if ix.unique
                           else "")))
        live = [ix for ix in indexes if ix.valid]
        reported: set[str] = set()
        for ix in sorted(live, key=_keeper_order):
            if ix.name in reported:
                continue
            for other in live:
                if other is ix or other.name in reported:
                    continue
                same = (other.method, other.keys, other.predicate) == \
                    (ix.method, ix.keys, ix.predicate)
                if same and other.unique == ix.unique and _keeper_order(ix) < \
                        _keeper_order(other):
                    reported.add(other.name)
                    f.append(finding(
                        "duplicate-index", table=t, columns=other.key_names,
                        object=other.name, span=spans.of(str(t), other.name),
                        message=f"index {other.name} of {t} duplicates {ix.name} "
                                f"({', '.join(ix.key_names)}; {_size(other.size)})",
                        fix=other.drop_sql()))
        for ix in live:
            if ix.name in reported or ix.pinned or ix.includes or ix.method != "btree":
                continue
            wider = next((w for w in sorted(live, key=_keeper_order)
                          if w is not ix and w.name not in reported and w.method == "btree"
                          and w.predicate == ix.predicate
                          and len(w.keys) >= len(ix.keys) and w.keys[:len(ix.keys)] == ix.keys
                          and (len(w.keys) > len(ix.keys) or w.pinned)), None)
            if wider is None:
                continue
            reported.add(ix.name)
            what = (f"the primary key {wider.constraint}" if wider.primary else
                    f"UNIQUE {wider.constraint}" if wider.constraint else f"index {wider.name}")
            f.append(finding(
                "redundant-index", table=t, columns=ix.key_names, object=ix.name,
                span=spans.of(str(t), ix.name),
                message=f"index {ix.name} ({', '.join(ix.key_names)}) of {t} is covered by "
                        f"{what} ({', '.join(wider.key_names)}); {_size(ix.size)}",
                fix=ix.drop_sql() + "\n-- and remove it from the schema if it is declared"))


def _about(reltuples: int) -> str:
    # pg_class.reltuples is an estimate, and -1 (PostgreSQL 14+) until the first ANALYZE
    return f" (about {reltuples} rows)" if reltuples > 0 else ""


def _index_ref(t: ir.QName, name: str) -> str:
    return display(ir.QName(schema=t.schema, name=name))


def _size(n: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"
