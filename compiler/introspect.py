"""Introspection: a live PostgreSQL catalog -> the same IR the compiler builds from `.schema`.

Contract: `introspect(conn, schemas)` returns an `ir.Schema` such that a database built from
the compiler's DDL introspects equal (`==`) to the compiled schema, given PostgreSQL's
canonical text for expressions (defaults, checks, predicates are what PostgreSQL prints;
normalising the DSL side is not this module's job). `unmanaged(conn, schemas)` names every
object in those schemas that the IR cannot describe yet (partitions, policies, aggregates,
...), so that nothing is silently dropped.

How: pg_catalog only (never information_schema, which is slow at 10k tables), one set-based
query per object kind for the whole database (never one per table), the queries kept as
`.sql` resources in `compiler.queries`. `schemas=None` means every user schema; system
schemas and extension-owned objects are always skipped. All queries run in one REPEATABLE
READ snapshot with `search_path = public`, because `format_type` / `pg_get_expr` qualify a
name exactly when its schema is off the path, which is the IR's spelling rule. The queries
are sent one after another by a helper thread while this one builds IR from the rows already
back, so the server's work and Python's overlap (`_Ahead`); the caller's connection is only
used again once the helper is done.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from importlib import resources
from operator import itemgetter
from typing import Any

import psycopg
from psycopg import pq

from compiler import ir
from compiler.db import server_major
from compiler.grants import normalized
from compiler.introspect_objects import build_objects
from compiler.memory import paused_gc
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


class _Ahead:
    """Catalog queries run one after another on a helper thread, in the order given, while
    the caller turns the rows of earlier ones into IR: the server executes query k+1 while
    Python works on query k (at thousands of tables each side takes about half the time, and
    they run on different cores). `rows(name)` waits for that query's rows; leaving the
    block waits for the helper, so the connection is the caller's again."""

    def __init__(self, conn: Conn, major: int,
                 requests: Sequence[tuple[str, dict[str, Any]]]) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="schemac-catalog")
        # one worker: the queries run in submission order, on the caller's snapshot
        self._pending = {name: self._pool.submit(_fetch, conn, name, major, **params)
                         for name, params in requests}

    def rows(self, name: str) -> list[tuple[Any, ...]]:
        return self._pending[name].result()

    def finish(self) -> None:
        """Wait for every query sent (their rows stay available)."""
        for future in self._pending.values():
            future.exception()

    def __enter__(self) -> _Ahead:
        return self

    def __exit__(self, *exc: object) -> None:
        # on an error, the queries not yet started are dropped; the running one completes
        self._pool.shutdown(wait=True, cancel_futures=exc[0] is not None)


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


def introspect(conn: Conn, schemas: Sequence[str] | None = None, *,
               privileges: bool = False) -> ir.Schema:
    """Read the schema of the database behind `conn` (see the module docstring); with
    `privileges`, the grants on its tables, views, sequences and schemas too."""
    # Hundreds of thousands of small acyclic objects are built here; the cyclic collector
    # would rescan the growing heap over and over (a third of the run time at 5,000 tables)
    # without ever finding garbage.
    with paused_gc():
        return _introspect(conn, schemas, privileges)


def _introspect(conn: Conn, schemas: Sequence[str] | None, privileges: bool) -> ir.Schema:
    major = server_major(conn)
    with _snapshot(conn):
        nsp, namespaces = _namespaces(conn, major, schemas)
        oids = {"nsp": list(nsp)}
        # In the order they are needed: the rows of one query become IR while the server
        # runs the next ones.
        with _Ahead(conn, major, [
                ("sequences", oids), ("tables", oids), ("columns", oids),
                ("constraints", oids), ("indexes", oids), ("extensions", {}), ("enums", oids),
                ("domains", oids), ("views", oids), ("functions", oids), ("triggers", oids),
                ("policies", oids), *([("grants", oids)] if privileges else [])]) as ahead:
            sequence_rows = ahead.rows("sequences")
            table_rows = ahead.rows("tables")
            serials = _serial_candidates(sequence_rows, table_rows)
            builder = _TableBuilder(nsp, table_rows, ahead.rows("columns"), serials)
            constraint_rows = ahead.rows("constraints")
            # Foreign keys into tables outside the inspected schemas: name those few targets
            # (after the queries already sent: one connection runs one query at a time).
            outside = sorted({row[7] for row in constraint_rows
                              if row[2] == "f" and row[7] not in builder.qnames})
            if outside:
                ahead.finish()
                builder.add_targets(_fetch(conn, "relation_columns", major, rels=outside))
            builder.add_constraints(constraint_rows)
            index_rows = ahead.rows("indexes")
            builder.add_indexes(index_rows)
            ext_rows = ahead.rows("extensions")
            enum_rows = ahead.rows("enums")
            domain_rows = ahead.rows("domains")
            view_rows = ahead.rows("views")
            function_rows = ahead.rows("functions")
            trigger_rows = ahead.rows("triggers")
            policy_rows = ahead.rows("policies")
            grant_rows = ahead.rows("grants") if privileges else []

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
    tables = builder.build()
    sequences, functions, views, triggers = build_objects(
        nsp, builder.qnames, builder.serial_sequences, view_rows, index_rows, function_rows,
        trigger_rows, sequence_rows)
    return ir.Schema(namespaces=tuple(namespaces), extensions=tuple(extensions),
                     enums=tuple(enums), domains=tuple(domains), tables=tuple(tables),
                     sequences=sequences, functions=functions, views=views, triggers=triggers,
                     policies=_policies(builder.qnames, policy_rows),
                     grants=_grants(nsp, grant_rows))


def _grants(nsp: dict[int, str], rows: list[tuple[Any, ...]]) -> tuple[ir.Grant, ...]:
    return normalized(
        ir.Grant(kind=kind, on=ir.QName(name=name) if kind == "schema"
                 else ir.QName(schema=nsp[ns], name=name),
                 role="public" if grantee is None else grantee, privileges=(privilege,),
                 grantable=grantable)
        for kind, ns, name, grantee, privilege, grantable in rows)


_POLICY_COMMANDS = {"*": "all", "r": "select", "a": "insert", "w": "update", "d": "delete"}


def _policies(tables: dict[int, ir.QName], rows: list[tuple[Any, ...]]) -> tuple[ir.Policy, ...]:
    out = [ir.Policy(table=tables[rel], name=name, permissive=permissive,
                     command=_POLICY_COMMANDS[cmd], roles=tuple(roles), using=using,
                     with_check=check)
           for rel, name, permissive, cmd, roles, using, check in rows if rel in tables]
    return tuple(sorted(out, key=lambda p: (p.table, p.name)))


def _domain(nsp: dict[int, str], row: tuple[Any, ...]) -> ir.Domain:
    ns, name, base, notnull, default, comment, check_names, check_exprs = row
    checks = sorted((ir.Check(name=n, expression=e) for n, e in zip(check_names, check_exprs)),
                    key=_by_name)
    return ir.Domain(name=ir.QName(schema=nsp[ns], name=name), type=base, nullable=not notnull,
                     default=default, checks=tuple(checks), comment=comment)


def _by_name(item: Any) -> str:
    return item.name  # type: ignore[no-any-return]


_Column = ir.Column


def _column(row: tuple[Any, ...], serial_seq: str | None) -> ir.Column:
    (_rel, _num, name, type_, notnull, identity, generated, expr, collation, comment,
     _local) = row
    if identity:
        return _Column(name=name, type=type_, nullable=not notnull, identity=_IDENTITY[identity],
                       collation=collation, comment=comment)
    if generated:
        # 's' (stored); PG18's virtual columns ('v') are flagged by `unmanaged` as well.
        return _Column(name=name, type=type_, nullable=not notnull, generated=expr,
                       collation=collation, comment=comment)
    # serial: the default names a sequence this column owns; the flag stands for both.
    serial = serial_seq is not None
    return _Column(name=name, type=type_, nullable=not notnull, default=None if serial else expr,
                   serial=serial, collation=collation, comment=comment)


# (table oid, column name) -> (regclass text, type) of each sequence the column owns
_Serials = dict[tuple[int, str], list[tuple[str, str]]]


def _serial_candidates(sequence_rows: list[tuple[Any, ...]],
                       table_rows: list[tuple[Any, ...]]) -> _Serials:
    """The sequences that make their owning column read as `serial`, by owner column.

    A column reads as `serial` only if `serial` would recreate its sequence: owned by the
    column (OWNED BY: pg_depend deptype 'a', which sequences.sql reads), of the column's
    type, with default options (its name may differ: a renamed table keeps it), and named by
    the column's default. Any other owned sequence feeding a default (Rails'
    `invoice_number_seq START 1000`) stays a sequence of its own, with a plain `nextval`
    default."""
    from compiler.objects import SEQUENCE_LIMITS

    tables = {row[0] for row in table_rows}
    found: _Serials = {}
    for (_ns, _name, regclass, type_, start, inc, low, high, cache, cycle, owner, column,
         _comment) in sequence_rows:
        if owner not in tables or column is None:
            continue
        if (start, inc, low, cache, cycle) == (1, 1, 1, 1, False) \
                and high == SEQUENCE_LIMITS.get(type_):
            found.setdefault((owner, column), []).append((regclass, type_))
    return found


def _serial_of(row: tuple[Any, ...], serials: _Serials) -> str | None:
    """The sequence behind a serial column (a plain default `nextval('<owned>'::regclass)`),
    or None. A column may own several sequences (`ALTER SEQUENCE ... OWNED BY` twice)."""
    if row[5] or row[6] or row[7] is None:  # identity, generated, no default
        return None
    for regclass, type_ in serials.get((row[0], row[2]), ()):
        if type_ == row[3] and row[7] == f"nextval({quote_literal(regclass)}::regclass)":
            return regclass
    return None


class _TableBuilder:
    """Assembles tables from the per-kind row sets (which arrive unordered)."""

    def __init__(self, nsp: dict[int, str], table_rows: list[tuple[Any, ...]],
                 column_rows: list[tuple[Any, ...]], serials: _Serials) -> None:
        self.table_rows = table_rows
        self.qnames = {row[0]: ir.QName(schema=nsp[row[1]], name=row[2]) for row in table_rows}
        by_table: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in column_rows:
            by_table[row[0]].append(row)
        # rows of tables that tables.sql left out (extension-owned) are dropped here
        self.attnames: dict[int, dict[int, str]] = {}
        self.columns: dict[int, tuple[ir.Column, ...]] = {}
        self.serial_sequences: set[str] = set()  # fed by a serial column: its business
        for oid in self.qnames:
            rows = by_table.get(oid, [])
            rows.sort(key=itemgetter(1))  # attnum: the table's column order
            self.attnames[oid] = {row[1]: row[2] for row in rows}
            seqs = [_serial_of(row, serials) for row in rows] if serials else [None] * len(rows)
            self.serial_sequences.update(seq for seq in seqs if seq is not None)
            # only its own columns: a partition's, or a child's inherited ones, are the parent's
            self.columns[oid] = tuple([_column(row, seq) for row, seq in zip(rows, seqs)
                                       if row[10]])
        self.targets = dict(self.qnames)
        self.target_attnames = self.attnames
        self.pks: dict[int, ir.PrimaryKey] = {}
        self.exclusions: dict[int, list[ir.Exclusion]] = defaultdict(list)
        self.parts: dict[int, tuple[list[Any], list[Any], list[Any]]] = {
            oid: ([], [], []) for oid in self.qnames}  # uniques, foreign keys, checks
        self.indexes: dict[int, list[ir.Index]] = defaultdict(list)

    def add_targets(self, rows: list[tuple[Any, ...]]) -> None:
        self.target_attnames = dict(self.attnames)
        for oid, schema, name, attnum, attname in rows:
            self.targets[oid] = ir.QName(schema=schema, name=name)
            self.target_attnames.setdefault(oid, {})[attnum] = attname

    def add_constraints(self, constraint_rows: list[tuple[Any, ...]]) -> None:
        attnames = self.attnames
        pks = self.pks
        exclusions = self.exclusions
        parts = self.parts
        for (rel, name, kind, conkey, deferrable, deferred, nnd, ref, refkey, upd, dele,
             check_expr, delete_cols) in constraint_rows:
            if rel not in parts:
                continue
            if kind == "c":
                parts[rel][2].append(ir.Check(name=name, expression=check_expr))
                continue
            if kind == "x":
                exclusions[rel].append(ir.Exclusion(name=name, definition=check_expr))
                continue
            names = attnames[rel]
            cols = tuple([names[k] for k in conkey])
            if kind == "p":
                pks[rel] = ir.PrimaryKey(name=name, columns=cols)
            elif kind == "u":
                parts[rel][0].append(ir.Unique(
                    name=name, columns=cols, nulls_not_distinct=bool(nnd),
                    deferrable=deferrable, initially_deferred=deferred))
            elif kind == "f":
                ref_names = self.target_attnames[ref]
                parts[rel][1].append(ir.ForeignKey(
                    name=name, columns=cols, ref_table=self.targets[ref],
                    ref_columns=tuple([ref_names[k] for k in refkey]),
                    on_delete=_FK_ACTIONS[dele], on_update=_FK_ACTIONS[upd],
                    on_delete_columns=tuple([names[k] for k in delete_cols or ()]),
                    deferrable=deferrable, initially_deferred=deferred))


    def add_indexes(self, index_rows: list[tuple[Any, ...]]) -> None:
        keys_by_index: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in index_rows:
            keys_by_index[row[0]].append(row)
        for keys in keys_by_index.values():
            rel = keys[0][1]
            if rel in self.parts:
                index = _index(keys, self.attnames[rel])
                if index is not None:
                    self.indexes[rel].append(index)

    def build(self) -> list[ir.Table]:
        parts, pks, exclusions, indexes = self.parts, self.pks, self.exclusions, self.indexes
        tables = []
        for (oid, _ns, _name, comment, unlogged, partkey, parents, bound, rls,
             force_rls) in self.table_rows:
            uniques, fks, checks = parts[oid]
            parent_names = tuple(self.qnames[p] for p in parents or () if p in self.qnames)
            tables.append(ir.Table(
                name=self.qnames[oid], columns=self.columns[oid], primary_key=pks.get(oid),
                uniques=tuple(sorted(uniques, key=_by_name)),
                foreign_keys=tuple(sorted(fks, key=_by_name)),
                checks=tuple(sorted(checks, key=_by_name)),
                indexes=tuple(sorted(indexes.get(oid, ()), key=_by_name)),
                exclusions=tuple(sorted(exclusions.get(oid, ()), key=_by_name)),
                comment=comment, unlogged=unlogged, partition_by=partkey,
                partition_of=parent_names[0] if bound is not None and parent_names else None,
                partition_bound=bound,
                inherits=parent_names if bound is None else (),
                row_security=rls, force_row_security=force_rls))
        tables.sort(key=lambda t: (t.name.schema, t.name.name))
        return tables


def _index(keys: list[tuple[Any, ...]], names: dict[int, str]) -> ir.Index | None:
    (_oid, _rel, name, amname, unique, nnd, *_rest) = keys[0]
    method = _METHODS.get(amname)
    if method is None:
        return None  # bloom, hnsw, ...: `unmanaged` names it
    if len(keys) > 1:
        keys.sort(key=itemgetter(9))  # key position
    where = comment = None
    elements = []
    include = []
    for (*_head, where_k, comment_k, nkeys, position, attnum, expr, opclass, collation,
         option) in keys:
        if position == 1:
            where, comment = where_k, comment_k
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
                    include=tuple(include), where=where, nulls_not_distinct=bool(nnd),
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
