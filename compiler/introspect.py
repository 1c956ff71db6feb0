"""Introspection: a live PostgreSQL catalog -> the same IR the compiler builds from `.schema`.

Contract: `introspect(conn, schemas)` returns an `ir.Schema` such that a database built from
the compiler's DDL introspects equal (`==`) to the compiled schema, given PostgreSQL's
canonical text for expressions (defaults, checks, predicates are what PostgreSQL prints;
normalising the DSL side is not this module's job). `unmanaged(conn, schemas)` names every
object in those schemas that the IR cannot describe yet (views, functions, triggers, ...), so
that nothing is silently dropped.

How: pg_catalog only (never information_schema, which is slow at 10k tables), one set-based
query per object kind for the whole database (never one per table), the queries kept as
`.sql` resources in `compiler.queries`. `schemas=None` means every user schema; system
schemas and extension-owned objects are always skipped. All queries run in one REPEATABLE
READ snapshot with `search_path = public`, because `format_type` / `pg_get_expr` qualify a
name exactly when its schema is off the path, which is the IR's spelling rule.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import Any

import psycopg
from psycopg import pq

from compiler import ir
from compiler.db import server_major
from compiler.names import quote_literal

Conn = psycopg.Connection[Any]

_FK_ACTIONS = {
    "a": ir.FkAction.NO_ACTION,
    "r": ir.FkAction.RESTRICT,
    "c": ir.FkAction.CASCADE,
    "n": ir.FkAction.SET_NULL,
    "d": ir.FkAction.SET_DEFAULT,
}
_IDENTITY = {"a": ir.Identity.ALWAYS, "d": ir.Identity.BY_DEFAULT}
_METHODS = {m.value: m for m in ir.IndexMethod}
_INDOPTION_DESC = 1  # pg_index.indoption bits (catalog/pg_index.h)
_INDOPTION_NULLS_FIRST = 2

# `-- since 15` / `-- before 15` at the end of a line keeps that line only on servers of at
# least / below that major version: catalogs grow columns (indnullsnotdistinct in 15).
_VERSION_TAG = re.compile(r"--\s*(since|before)\s+(\d+)\s*$")


@functools.cache
def _query_text(name: str) -> str:
    return resources.files("compiler.queries").joinpath(f"{name}.sql").read_text("utf-8")


@functools.cache
def query(name: str, major: int) -> str:
    """The query `name` with its version-tagged lines resolved for server `major`."""
    lines = []
    for line in _query_text(name).splitlines():
        if m := _VERSION_TAG.search(line):
            since = m.group(1) == "since"
            if (major >= int(m.group(2))) != since:
                continue
        lines.append(line)
    return "\n".join(lines)


def _fetch(conn: Conn, name: str, major: int, **params: Any) -> list[tuple[Any, ...]]:
    # A plain tuple cursor: dict rows cost measurably at 100k column rows.
    with conn.cursor(row_factory=psycopg.rows.tuple_row) as cur:
        cur.execute(query(name, major).encode("utf-8"), params)
        return cur.fetchall()


@contextmanager
def _snapshot(conn: Conn) -> Iterator[None]:
    """One consistent catalog snapshot with search_path = public, rolled back afterwards.

    Inside a transaction the caller already holds, a savepoint is used instead: its
    isolation level is theirs, and rolling back the savepoint also restores search_path.
    """
    fresh = conn.info.transaction_status == pq.TransactionStatus.IDLE
    with conn.transaction(force_rollback=True), conn.cursor() as cur:
        if fresh:
            # Must be the transaction's first statement; several queries must agree.
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # Catalog queries are small and CPU-bound in pg_get_expr: parallel workers only add
        # start-up cost and make leader and worker each build the same hash tables.
        cur.execute("SELECT set_config('search_path', 'public', true), "
                    "set_config('max_parallel_workers_per_gather', '0', true)")
        yield


def _namespaces(conn: Conn, major: int, schemas: Sequence[str] | None
                ) -> tuple[dict[int, str], list[ir.Namespace]]:
    rows = _fetch(conn, "namespaces", major, schemas=list(schemas) if schemas is not None else None)
    by_oid = {oid: name for oid, name, _ in rows}
    # `public` exists in every database and is never declared: it is not listed.
    listed = [ir.Namespace(name=name, comment=comment)
              for _, name, comment in rows if name != "public"]
    return by_oid, sorted(listed, key=lambda n: n.name)


def introspect(conn: Conn, schemas: Sequence[str] | None = None) -> ir.Schema:
    """Read the schema of the database behind `conn` (see the module docstring)."""
    major = server_major(conn)
    with _snapshot(conn):
        nsp, namespaces = _namespaces(conn, major, schemas)
        oids = list(nsp)
        ext_rows = _fetch(conn, "extensions", major)
        enum_rows = _fetch(conn, "enums", major, nsp=oids)
        domain_rows = _fetch(conn, "domains", major, nsp=oids)
        table_rows = _fetch(conn, "tables", major, nsp=oids)
        column_rows = _fetch(conn, "columns", major, nsp=oids)
        constraint_rows = _fetch(conn, "constraints", major, nsp=oids)
        index_rows = _fetch(conn, "indexes", major, nsp=oids)

    extensions = sorted(
        # An extension in `public` is what `extension x` without a schema creates.
        (ir.Extension(name=name, schema=None if schema == "public" else schema)
         for name, schema in ext_rows),
        key=lambda e: e.name)
    enums = sorted(
        (ir.Enum(name=ir.QName(schema=nsp[ns], name=name), values=tuple(labels),
                 comment=comment)
         for ns, name, labels, comment in enum_rows),
        key=lambda e: e.name)
    domains = sorted((_domain(nsp, row) for row in domain_rows), key=lambda d: d.name)
    tables = _tables(nsp, table_rows, column_rows, constraint_rows, index_rows)
    return ir.Schema(namespaces=tuple(namespaces), extensions=tuple(extensions),
                     enums=tuple(enums), domains=tuple(domains), tables=tuple(tables))


def _domain(nsp: dict[int, str], row: tuple[Any, ...]) -> ir.Domain:
    ns, name, base, notnull, default, comment, check_names, check_exprs = row
    checks = sorted((ir.Check(name=n, expression=e) for n, e in zip(check_names, check_exprs)),
                    key=lambda c: c.name)
    return ir.Domain(name=ir.QName(schema=nsp[ns], name=name), type=base, nullable=not notnull,
                     default=default, checks=tuple(checks), comment=comment)


def _column(row: tuple[Any, ...]) -> ir.Column:
    (_rel, _num, name, type_, notnull, identity, generated, expr, collation, comment,
     owned_seq) = row
    kw: dict[str, Any] = {}
    if identity:
        kw["identity"] = _IDENTITY[identity]
    elif generated:
        # 's' (stored); PG18's virtual columns ('v') are flagged by `unmanaged` as well.
        kw["generated"] = expr
    elif owned_seq is not None and expr == f"nextval({quote_literal(owned_seq)}::regclass)":
        # serial: the default names a sequence this column owns; the flag stands for both.
        kw["serial"] = True
    else:
        kw["default"] = expr
    return ir.Column(name=name, type=type_, nullable=not notnull, collation=collation,
                     comment=comment, **kw)


def _tables(nsp: dict[int, str], table_rows: list[tuple[Any, ...]],
            column_rows: list[tuple[Any, ...]], constraint_rows: list[tuple[Any, ...]],
            index_rows: list[tuple[Any, ...]]) -> list[ir.Table]:
    columns: dict[int, list[ir.Column]] = defaultdict(list)
    attnames: dict[int, dict[int, str]] = defaultdict(dict)
    for row in column_rows:  # ordered by (table, attnum)
        columns[row[0]].append(_column(row))
        attnames[row[0]][row[1]] = row[2]

    pks: dict[int, ir.PrimaryKey] = {}
    uniques: dict[int, list[ir.Unique]] = defaultdict(list)
    fks: dict[int, list[ir.ForeignKey]] = defaultdict(list)
    checks: dict[int, list[ir.Check]] = defaultdict(list)
    for (rel, name, kind, conkey, deferrable, deferred, nnd, ref_schema, ref_table, ref_cols,
         upd, dele, check_expr) in constraint_rows:
        names = attnames[rel]
        cols = tuple(names[k] for k in conkey or ())
        if kind == "p":
            pks[rel] = ir.PrimaryKey(name=name, columns=cols)
        elif kind == "u":
            uniques[rel].append(ir.Unique(name=name, columns=cols, nulls_not_distinct=nnd,
                                          deferrable=deferrable, initially_deferred=deferred))
        elif kind == "f":
            fks[rel].append(ir.ForeignKey(
                name=name, columns=cols, ref_table=ir.QName(schema=ref_schema, name=ref_table),
                ref_columns=tuple(ref_cols), on_delete=_FK_ACTIONS[dele],
                on_update=_FK_ACTIONS[upd], deferrable=deferrable, initially_deferred=deferred))
        elif kind == "c":
            checks[rel].append(ir.Check(name=name, expression=check_expr))

    indexes: dict[int, list[ir.Index]] = defaultdict(list)
    # one row per index key, ordered by (index, position): group the runs
    for _oid, run in itertools.groupby(index_rows, key=lambda r: r[0]):
        keys = list(run)
        rel = keys[0][1]
        index = _index(keys, attnames[rel])
        if index is not None:
            indexes[rel].append(index)

    def by_name(items: list[Any]) -> tuple[Any, ...]:
        return tuple(sorted(items, key=lambda x: x.name))

    tables = [
        ir.Table(name=ir.QName(schema=nsp[ns], name=name), columns=tuple(columns[oid]),
                 primary_key=pks.get(oid), uniques=by_name(uniques[oid]),
                 foreign_keys=by_name(fks[oid]), checks=by_name(checks[oid]),
                 indexes=by_name(indexes[oid]), comment=comment)
        for oid, ns, name, comment in table_rows
    ]
    tables.sort(key=lambda t: t.name)
    return tables


def _index(keys: list[tuple[Any, ...]], names: dict[int, str]) -> ir.Index | None:
    (_oid, _rel, name, amname, unique, nnd, where, comment, nkeys, *_key) = keys[0]
    method = _METHODS.get(amname)
    if method is None:
        return None  # bloom, hnsw, ...: `unmanaged` names it
    elements = []
    include = []
    for *_head, position, attnum, expr, opclass, collation, option in keys:
        if position > nkeys:
            include.append(names[attnum])
            continue
        descending = bool(option & _INDOPTION_DESC)
        nulls_first = bool(option & _INDOPTION_NULLS_FIRST)
        elements.append(ir.IndexElement(
            column=names[attnum] if attnum else None,
            expression=None if attnum else expr,
            opclass=opclass,
            collation=collation,
            descending=descending,
            # NULLS LAST is the default for ASC and NULLS FIRST for DESC: only a departure
            # from that is recorded.
            nulls_first=None if nulls_first == descending else nulls_first,
        ))
    return ir.Index(name=name, elements=tuple(elements), unique=unique, method=method,
                    include=tuple(include), where=where, nulls_not_distinct=nnd,
                    comment=comment)


def unmanaged(conn: Conn, schemas: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(kind, name) of every object in `schemas` the IR cannot describe, sorted.

    Names follow `QName`'s display rule (public unqualified); sub-objects are `table.name`,
    functions carry their argument types: `('trigger', 'billing.invoices.audit')`.
    """
    major = server_major(conn)
    with _snapshot(conn):
        nsp, _ = _namespaces(conn, major, schemas)
        rows = _fetch(conn, "unmanaged", major, nsp=list(nsp))
    found = {(kind, name if schema in (None, "public") else f"{schema}.{name}")
             for kind, schema, name in rows}
    return sorted(found)
