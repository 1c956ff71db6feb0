"""Migrations converge on a real PostgreSQL, for generated schemas (Hypothesis).

- Any generated schema builds on an empty database (the DDL applies) and then diffs empty.
- For a schema `a` and a schema `b` derived from it by random edits (columns added, dropped,
  retyped, made NOT NULL or nullable, defaults changed, indexes and checks added or removed,
  enum values appended, tables added or dropped): build `a`, plan and run `diff(a -> b)`;
  a second diff is empty, and the database reads back as `b` does when built fresh.
- `a -> b -> c` leaves the same database as `a -> c`.
- With views, materialized views, functions, triggers, sequences and row-level security over
  the tables, each kept, dropped, changed or added between `a` and `b`: the same.
Each example gets databases of its own; example counts are kept small (each one is several
round trips to the server).
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pgserver
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import compiler_order, edited_specs, object_specs, schemas, with_objects

from compiler import ir
from compiler.build import ddl
from compiler.db import connect
from compiler.introspect import introspect
from compiler.migrate import plan_migration, run_plan

pytestmark = pytest.mark.db

SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def dev_url(pg_dsn: str) -> str:
    return pgserver.create_database(pg_dsn, f"schemac_dev_{uuid.uuid4().hex[:8]}")


@contextmanager
def database(admin: str) -> Iterator[str]:
    name = f"schemac_prop_{uuid.uuid4().hex[:10]}"
    dsn = pgserver.create_database(admin, name)
    try:
        yield dsn
    finally:
        pgserver.drop_database(admin, name)


def build(dsn: str, schema: ir.Schema) -> None:
    pgserver.run_sql(dsn, ddl(schema))


def migrate(dsn: str, target: ir.Schema, dev_url: str) -> None:
    conn = connect(dsn, read_only=True)
    try:
        m = plan_migration(conn, target, allow_destructive=True, dev_url=dev_url)
    finally:
        conn.close()
    rw = connect(dsn, read_only=False, statement_timeout_ms=0)
    try:
        result = run_plan(rw, m.plan)
    finally:
        rw.close()
    assert result.failed is None, result.error


def pending(dsn: str, target: ir.Schema, dev_url: str) -> list[str]:
    conn = connect(dsn, read_only=True)
    try:
        m = plan_migration(conn, target, allow_destructive=True, dev_url=dev_url)
    finally:
        conn.close()
    return [op.reason for op in (*m.plan.steps, *m.plan.withheld)]


def read(dsn: str) -> ir.Schema:
    conn = connect(dsn, read_only=True)
    try:
        return introspect(conn)
    finally:
        conn.close()


# --- edits that turn one valid schema into another ---------------------------------------


def _referenced(t: ir.Table, s: ir.Schema) -> set[str]:
    """Columns a key, index, check or foreign key (in any table) depends on."""
    cols: set[str] = set()
    if t.primary_key:
        cols |= set(t.primary_key.columns)
    for u in t.uniques:
        cols |= set(u.columns)
    for fk in t.foreign_keys:
        cols |= set(fk.columns)
    texts = [ch.expression for ch in t.checks]
    for ix in t.indexes:
        cols |= {e.column for e in ix.elements if e.column} | set(ix.include)
        texts += [ix.where or ""] + [e.expression or "" for e in ix.elements]
    cols |= {c.name for c in t.columns
             if any(re.search(rf"\b{re.escape(c.name)}\b", text) for text in texts)}
    for other in s.tables:
        for fk in other.foreign_keys:
            if fk.ref_table == t.name:
                cols |= set(fk.ref_columns)
    return cols


@st.composite
def edited(draw: Callable[..., Any], s: ir.Schema) -> ir.Schema:
    tables = list(s.tables)
    enums = list(s.enums)
    for _ in range(draw(st.integers(2, 7))):
        if not tables:
            break
        i = draw(st.integers(0, len(tables) - 1))
        t = tables[i]
        free = [c for c in t.columns if c.name not in _referenced(t, ir.Schema(tables=tuple(
            tables)))]
        kind = draw(st.sampled_from(["add", "drop", "null", "default", "type", "index",
                                     "unindex", "check", "enum", "drop_table"]))
        if kind == "add":
            name = f"added_{draw(st.integers(0, 999))}"
            if t.column(name) is None:
                col = ir.Column(name=name, type=draw(st.sampled_from(
                    ["text", "integer", "boolean", "timestamp with time zone"])))
                t = dataclasses.replace(t, columns=(*t.columns, col))
        elif kind == "drop" and free:
            c = draw(st.sampled_from(free))
            t = dataclasses.replace(t, columns=tuple(x for x in t.columns if x is not c),
                                    expectations=tuple(e for e in t.expectations
                                                       if e.column != c.name))
        elif kind == "null" and free:
            c = draw(st.sampled_from(free))
            t = _replace_col(t, dataclasses.replace(c, nullable=not c.nullable))
        elif kind == "default" and free:
            c = draw(st.sampled_from([c for c in free]))
            if c.type in ("integer", "bigint", "smallint") and not c.serial and not c.identity:
                t = _replace_col(t, dataclasses.replace(c, default=None if c.default else "7"))
        elif kind == "type" and free:
            c = draw(st.sampled_from(free))
            widen = {"integer": "bigint", "smallint": "integer", "character varying(10)": "text"}
            if c.type in widen and not c.serial and not c.identity and c.default is None:
                t = _replace_col(t, dataclasses.replace(c, type=widen[c.type]))
        elif kind == "index" and t.columns:
            c = draw(st.sampled_from(list(t.columns)))
            name = f"edit_{t.name.name[:20]}_{draw(st.integers(0, 99))}_idx"
            if all(ix.name != name for x in tables for ix in x.indexes):
                ix = ir.Index(name=name, elements=(ir.IndexElement(column=c.name),))
                t = dataclasses.replace(t, indexes=(*t.indexes, ix))
        elif kind == "unindex" and t.indexes:
            gone = draw(st.sampled_from(list(t.indexes)))
            t = dataclasses.replace(t, indexes=tuple(x for x in t.indexes if x is not gone))
        elif kind == "check" and t.checks:
            t = dataclasses.replace(t, checks=t.checks[1:])
        elif kind == "enum" and enums:
            j = draw(st.integers(0, len(enums) - 1))
            value = f"v{draw(st.integers(0, 999))}"
            if value not in enums[j].values:
                enums[j] = dataclasses.replace(enums[j], values=(*enums[j].values, value))
        elif kind == "drop_table":
            if not any(fk.ref_table == t.name for x in tables for fk in x.foreign_keys
                       if x is not t):
                tables.pop(i)
                continue
        tables[i] = t
    return compiler_order(dataclasses.replace(s, tables=tuple(tables), enums=tuple(enums)))


def _replace_col(t: ir.Table, col: ir.Column) -> ir.Table:
    return dataclasses.replace(t, columns=tuple(col if c.name == col.name else c
                                                for c in t.columns))


def _shape(s: ir.Schema) -> Any:
    """What two databases must agree on, with PostgreSQL's own spelling of expressions."""
    return (s.enums, s.domains, s.tables)


def _objects(s: ir.Schema) -> Any:
    return (s.sequences, s.functions, s.views, s.triggers, s.policies,
            [(t.name, t.row_security, t.force_row_security) for t in s.tables])


@SETTINGS
@given(schemas(max_tables=4, max_columns=6))
def test_generated_schema_builds_and_does_not_drift(pg_dsn: str, dev_url: str,
                                                   s: ir.Schema) -> None:
    with database(pg_dsn) as dsn:
        build(dsn, s)
        assert pending(dsn, s, dev_url) == []


@SETTINGS
@given(st.data())
def test_migration_to_an_edited_schema_converges(pg_dsn: str, dev_url: str,
                                                 data: st.DataObject) -> None:
    a = data.draw(schemas(max_tables=4, max_columns=6))
    b = data.draw(edited(a))
    with database(pg_dsn) as migrated, database(pg_dsn) as fresh:
        build(migrated, a)
        migrate(migrated, b, dev_url)
        assert pending(migrated, b, dev_url) == []
        build(fresh, b)
        assert _shape(read(migrated)) == _shape(read(fresh))


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.data())
def test_a_to_b_to_c_equals_a_to_c(pg_dsn: str, dev_url: str, data: st.DataObject) -> None:
    a = data.draw(schemas(max_tables=3, max_columns=5))
    b = data.draw(edited(a))
    c = data.draw(edited(b))
    with database(pg_dsn) as stepwise, database(pg_dsn) as direct:
        build(stepwise, a)
        migrate(stepwise, b, dev_url)
        migrate(stepwise, c, dev_url)
        build(direct, a)
        migrate(direct, c, dev_url)
        assert _shape(read(stepwise)) == _shape(read(direct))


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.data())
def test_views_functions_triggers_and_policies_converge(pg_dsn: str, dev_url: str,
                                                       data: st.DataObject) -> None:
    a = data.draw(schemas(max_tables=3, max_columns=5))
    b = data.draw(edited(a))
    in_b = {t.name for t in b.tables}
    keyed = [t.name for t in a.tables if t.primary_key is not None and t.name in in_b]
    spec_a = data.draw(object_specs(len(keyed)))
    spec_b = data.draw(edited_specs(spec_a, len(keyed)))
    a, b = with_objects(a, spec_a, keyed), with_objects(b, spec_b, keyed)
    with database(pg_dsn) as migrated, database(pg_dsn) as fresh:
        build(migrated, a)
        assert pending(migrated, a, dev_url) == []
        migrate(migrated, b, dev_url)
        assert pending(migrated, b, dev_url) == []
        build(fresh, b)
        assert _objects(read(migrated)) == _objects(read(fresh))
        assert _shape(read(migrated)) == _shape(read(fresh))
