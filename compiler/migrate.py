"""Live-database side of a migration: plan it, count what would fail, run it.

Contract:
- `plan_migration(conn, schema, ...)` introspects the database behind a read-only `conn`,
  brings the declared schema to canonical form, diffs, plans and runs the preflight counts;
  it never writes.
- `run_plan(conn, plan)` executes a plan on a read-write connection step by step: consecutive
  transactional steps share one transaction, the others run on their own; at the first failure
  it stops and reports which steps ran and which did not (a failed transaction group is rolled
  back whole, so nothing is half-applied inside it).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg

from compiler import ir
from compiler import ops as o
from compiler.canonical import canonicalize
from compiler.check.audits import (
    Audit,
    check_audit,
    count_and_sample,
    fk_audit,
    missing_rows_sql,
    not_null_audit,
    unique_audit,
)
from compiler.db import server_major
from compiler.diff import DiffOptions, diff
from compiler.generators.sql import describe, units
from compiler.grants import for_server
from compiler.introspect import introspect, unmanaged
from compiler.plan import Plan, make_plan


@dataclass(frozen=True, slots=True)
class Migration:
    plan: Plan
    current: ir.Schema
    target: ir.Schema
    unmanaged: tuple[tuple[str, str], ...] = ()
    server_major: int = 0


def schemas_of(schema: ir.Schema) -> list[str]:
    return sorted({"public", *(n.name for n in schema.namespaces)})


def plan_migration(conn: psycopg.Connection[tuple[object, ...]], schema: ir.Schema, *,
                   allow_destructive: bool = False, drop_deprecated: bool = False,
                   dev_url: str | None = None, lock_timeout: str = "5s",
                   with_privileges: bool = False) -> Migration:
    """`with_privileges`: grants are compared too (otherwise neither side's count)."""
    major = server_major(conn)
    scope = schemas_of(schema)
    current = introspect(conn, scope, privileges=with_privileges)
    extra = tuple(unmanaged(conn, scope))
    declared = (for_server(schema, major) if with_privileges
                else dataclasses.replace(schema, grants=()))
    target = canonicalize(declared, current, dev_url=dev_url, major=major)
    ops = diff(current, target, DiffOptions(drop_deprecated=drop_deprecated))
    ops = preflight(conn, _only_missing_rows(conn, ops, current), target, current)
    plan = make_plan(ops, allow_destructive=allow_destructive, lock_timeout=lock_timeout,
                     live=bool(current.tables))
    conn.rollback()
    return Migration(plan, current, target, extra, major)


def _only_missing_rows(conn: psycopg.Connection[tuple[object, ...]], ops: tuple[o.Op, ...],
                       current: ir.Schema) -> tuple[o.Op, ...]:
    """Reference rows are inserted only where missing: the plan stays empty on a database
    that has them, even if someone edited their other columns since."""
    out: list[o.Op] = []
    for op in ops:
        if isinstance(op, o.InsertRows):
            t = current.table(op.rows.table)
            if t is not None:
                try:
                    with conn.transaction(), conn.cursor() as cur:
                        cur.execute(missing_rows_sql(t, op.rows).encode())
                        missing = [int(r[0]) for r in cur.fetchall()]  # type: ignore[call-overload]
                except psycopg.Error:
                    missing = list(range(len(op.rows.values)))
                if not missing:
                    continue
                rows = dataclasses.replace(op.rows, values=tuple(op.rows.values[i]
                                                                 for i in missing))
                op = dataclasses.replace(op, rows=rows, reason=f"{len(missing)} missing "
                                         "reference row(s)")
        out.append(op)
    return tuple(out)


def _audit_for(op: o.Op, target: ir.Schema, current: ir.Schema) -> Audit | None:
    """The data question a step depends on, asked of the table as it is now."""
    if isinstance(op, o.ReplaceEnum):
        return enum_values_audit(op)
    table_name = getattr(op, "table", None)
    if not isinstance(table_name, ir.QName):
        return None
    t = current.table(table_name)
    if t is None:
        return None
    match op:
        case o.AddConstraint(constraint=ir.ForeignKey() as fk):
            return fk_audit(t, fk)
        case o.AddConstraint(constraint=ir.Check() as ch):
            return check_audit(t, ch)
        case o.CreateIndex(index=ix) if ix.unique and op.preflight:
            cols = tuple(e.column for e in ix.elements if e.column)
            return unique_audit(t, cols, nulls_not_distinct=ix.nulls_not_distinct,
                                rule=f"UNIQUE ({', '.join(cols)})")
        case o.SetNotNull(column=col):
            c = t.column(col)
            return not_null_audit(t, c) if c else None
    return None


def preflight(conn: psycopg.Connection[tuple[object, ...]], ops: tuple[o.Op, ...],
              target: ir.Schema, current: ir.Schema) -> tuple[o.Op, ...]:
    """Count the rows that would make each constraint step fail, before anything runs."""
    out: list[o.Op] = []
    for op in ops:
        audit = _audit_for(op, target, current) if op.preflight else None
        if audit is None:
            out.append(op)
            continue
        try:
            with conn.transaction(), conn.cursor() as cur:
                count, sample = count_and_sample(cur, audit)
            if count:
                verb = "VALIDATE" if isinstance(op, o.AddConstraint) else "this step"
                shown = f" (e.g. {', '.join(map(str, sample))})" if sample else ""
                result = (f"{verb} would fail: {count} row(s) in {audit.table} break "
                          f"{audit.rule}{shown}")
            else:
                result = f"ok: no row breaks {audit.rule}"
        except psycopg.Error as err:
            result = f"not counted ({str(err).splitlines()[0]})"
        out.append(dataclasses.replace(op, preflight_result=result))
    return tuple(out)


def enum_values_audit(op: o.ReplaceEnum) -> Audit | None:
    """Rows still holding a value the new enum drops, over every column using the type."""
    if not op.removed or not op.usages:
        return None
    from compiler.names import display, quote_ident, quote_literal

    values = ", ".join(quote_literal(v) for v in op.removed)
    parts = []
    for u in op.usages:
        col = quote_ident(u.column)
        cond = (f"{col}::text[] && ARRAY[{values}]" if u.array else f"{col}::text IN ({values})")
        parts.append(f"SELECT count(*) AS n FROM {display(u.table)} WHERE {cond}")
    sql = f"SELECT sum(n)::bigint, NULL::text[] FROM ({' UNION ALL '.join(parts)}) AS c"
    return Audit("enum-value-in-use", op.usages[0].table, (), f"values {', '.join(op.removed)} "
                 f"of {op.enum.name} are gone", sql)


@dataclass(slots=True)
class RunResult:
    done: list[o.Op] = field(default_factory=list)
    failed: o.Op | None = None
    error: str | None = None
    not_run: list[o.Op] = field(default_factory=list)
    rolled_back: list[o.Op] = field(default_factory=list)


def run_plan(conn: psycopg.Connection[tuple[object, ...]], plan: Plan,
             echo: Callable[[str], None] = lambda _s: None) -> RunResult:
    result = RunResult()
    conn.autocommit = True
    with conn.cursor() as cur:
        if plan.existing:
            cur.execute(f"SET lock_timeout = '{plan.lock_timeout}'".encode())
            cur.execute(f"SET statement_timeout = '{plan.statement_timeout}'".encode())
    all_units = units(plan)
    for ui, unit in enumerate(all_units):
        running: o.Op | None = None
        try:
            ctx = conn.transaction() if unit.transactional else contextlib.nullcontext()
            with ctx, conn.cursor() as cur:
                for op, stmts in unit.parts:
                    running = op
                    for stmt in stmts:
                        cur.execute(stmt.encode())
        except psycopg.Error as err:
            result.failed = running
            result.error = str(err).strip().splitlines()[0]
            unit_ops = [op for op, _ in unit.parts]
            before = unit_ops[: unit_ops.index(running)] if running in unit_ops else []
            result.rolled_back = before if unit.transactional else []
            # a step split over several units may have run partly: it counts as failed
            result.done = [op for op in result.done if op is not running]
            later = [op for u in all_units[ui:] for op, _ in u.parts]
            result.not_run = list(dict.fromkeys(
                op for op in later if op is not running and op not in result.rolled_back))
            return result
        for op, _ in unit.parts:
            if op not in result.done:
                echo(f"ok  {describe(op)}")
                result.done.append(op)
    return result
