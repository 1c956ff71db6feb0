"""Data audits: the rows that break each declared rule (DESIGN principle 4).

Contract:
- `plan_audits(declared, live, major)` lists one `Audit` (from `compiler.check.audits`, the
  same queries `migrate` uses as preflight) per declared UNIQUE, primary key, unique index,
  FOREIGN KEY, NOT NULL, CHECK and `expect`, plus one per `rows` block (reference rows that
  must exist). Audits whose table, columns or referenced table are missing from the live
  database are planned as skipped: drift already reports what is missing.
- `plan_live_audits(live, not_validated)`: without a schema, the rows behind constraints the
  database added NOT VALID (the only rules it does not guarantee).
- `run_audits(conn, planned, ...)` runs each audit inside its own savepoint under the
  session's statement timeout: a timeout becomes an `audit-timed-out` finding, any other
  error an `audit-failed` finding, and the next audit runs. Streamed audits (JSON validity on
  servers before 16, which lack pg_input_is_valid) are read through a server-side cursor in
  batches and parsed here, so memory does not grow with the table.

NULL semantics are PostgreSQL's (see `findings.NULL_SEMANTICS`), because the audits are
written in SQL with the same rules the constraints apply.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from compiler import ir
from compiler import ops as o
from compiler.check.audits import (
    SAMPLE_SIZE,
    Audit,
    check_audit,
    fk_audit,
    missing_rows_sql,
    not_null_audit,
    row_key,
    rule_audits,
)
from compiler.check.findings import AuditOutcome, Finding, finding
from compiler.errors import Span, UserError
from compiler.generators.sql import op_statements

Progress = Callable[[str, int, int], None]  # (what is running, done, total)
STREAM_BATCH = 2000


@dataclass(frozen=True, slots=True)
class Planned:
    audit: Audit
    skip: str | None = None  # why it is not run
    rows: ir.Rows | None = None  # for the reference-rows audit
    key: tuple[str, ...] = ()  # the columns those rows are matched on


@dataclass(slots=True)
class DataResult:
    findings: list[Finding] = field(default_factory=list)
    outcomes: list[AuditOutcome] = field(default_factory=list)


def plan_audits(declared: ir.Schema, live: ir.Schema, major: int) -> list[Planned]:
    planned: list[Planned] = []
    tables = {t.name: t for t in live.tables}
    for t in declared.tables:
        lt = tables.get(t.name)
        if lt is None:
            continue  # missing-table says it all
        have = {c.name for c in lt.columns}
        if t.primary_key and not set(t.primary_key.columns) <= have:
            t = dataclasses.replace(t, primary_key=None)  # samples fall back to ctid
        for audit in rule_audits(t, server_major=major):
            missing = [c for c in audit.columns if c not in have]
            skip = f"column {', '.join(missing)} missing" if missing else None
            if skip is None and isinstance(audit.source, ir.ForeignKey):
                skip = _reference_missing(audit.source, tables)
            planned.append(Planned(audit, skip))
    for rows in declared.rows:
        rt = declared.table(rows.table)
        lt = tables.get(rows.table)
        if rt is None or lt is None:
            continue
        have = {c.name for c in lt.columns}
        missing = [c for c in rows.columns if c not in have]
        audit = Audit("missing-reference-rows", rt.name, rows.columns,
                      f"{len(rows.values)} reference row(s)", missing_rows_sql(rt, rows), rows)
        planned.append(Planned(audit, f"column {', '.join(missing)} missing" if missing
                               else None, rows, row_key(rt, rows)))
    return planned


def _reference_missing(fk: ir.ForeignKey, tables: dict[ir.QName, ir.Table]) -> str | None:
    ref = tables.get(fk.ref_table)
    if ref is None:
        return f"referenced table {fk.ref_table} missing"
    gone = [c for c in fk.ref_columns if ref.column(c) is None]
    return f"referenced column {', '.join(gone)} missing" if gone else None


def plan_live_audits(live: ir.Schema,
                     not_validated: list[tuple[ir.QName, str, str, tuple[str, ...]]]
                     ) -> list[Planned]:
    planned: list[Planned] = []
    for name, con, kind, cols in not_validated:
        t = live.table(name)
        if t is None:
            continue
        fk = next((x for x in t.foreign_keys if x.name == con), None)
        ch = next((x for x in t.checks if x.name == con), None)
        col = t.column(cols[0]) if kind == "n" and cols else None
        if fk is not None:
            planned.append(Planned(fk_audit(t, fk)))
        elif ch is not None:
            planned.append(Planned(check_audit(t, ch)))
        elif col is not None:
            planned.append(Planned(not_null_audit(t, col)))
    return planned


class _OutOfTime(Exception):
    """A streamed audit ran past the statement timeout on the client's clock."""


def run_audits(conn: psycopg.Connection[Any], planned: list[Planned], *, timeout_ms: int,
               progress: Progress | None = None,
               helpers: Sequence[psycopg.Connection[Any]] = ()) -> DataResult:
    """Run every planned audit; with `helpers` (connections that imported this
    transaction's snapshot), audits are shared out among the connections, one thread each.
    Outcomes and findings keep the order of `planned`, whatever finished first."""
    conns = [conn, *helpers]
    todo = [i for i, p in enumerate(planned) if p.skip is None]
    results: dict[int, tuple[AuditOutcome, Finding | None]] = {}
    lock = threading.Lock()
    done = 0

    def work(c: psycopg.Connection[Any], indexes: list[int]) -> None:
        nonlocal done
        for i in indexes:
            a = planned[i].audit
            if progress is not None:
                with lock:
                    progress(f"{a.table}: {a.rule}", done, len(todo))
            outcome = _run_one(c, planned[i], timeout_ms)
            with lock:
                results[i] = outcome
                done += 1

    if len(conns) == 1 or len(todo) < 2:
        work(conn, todo)
    else:
        with ThreadPoolExecutor(max_workers=len(conns)) as pool:
            shares = [todo[k::len(conns)] for k in range(len(conns))]
            for future in [pool.submit(work, c, share) for c, share in zip(conns, shares,
                                                                          strict=True)]:
                future.result()  # re-raises a lost connection as its UserError
    result = DataResult()
    for i, p in enumerate(planned):
        if p.skip is not None:
            result.outcomes.append(_outcome(p.audit, "skipped"))
            continue
        outcome, found = results[i]
        result.outcomes.append(outcome)
        if found is not None:
            result.findings.append(found)
    if progress is not None:
        progress("done", done, len(todo))
    return result


def _run_one(conn: psycopg.Connection[Any], p: Planned, timeout_ms: int
             ) -> tuple[AuditOutcome, Finding | None]:
    a = p.audit
    started = time.monotonic()
    missing: list[int] = []
    sample: tuple[str, ...] = ()
    try:
        with conn.transaction():  # a savepoint: a failed audit leaves the rest running
            if p.rows is not None:
                missing = _missing_rows(conn, a)
                count = len(missing)
            elif a.streamed:
                count, sample = _stream_json(conn, a, started + timeout_ms / 1000)
            else:
                with conn.cursor() as cur:
                    cur.execute(a.sql.encode("utf-8"))
                    row = cur.fetchone()
                count = int(row[0] or 0) if row else 0
                sample = tuple(str(s) for s in (row[1] or ()) if s is not None) if row \
                    else ()
    except (pg_errors.QueryCanceled, _OutOfTime):
        return _outcome(a, "timed-out"), finding(
            "audit-timed-out", table=a.table, columns=a.columns, object=_object(a),
            span=_span(a), message=f"checking {a.rule} on {a.table} took longer than the "
            f"statement timeout ({timeout_ms / 1000:g} s)",
            fix="rerun with a longer --timeout, or run this query off-peak:\n"
                + (a.listing or a.sql))
    except psycopg.Error as err:
        if conn.broken:
            raise UserError(f"lost the connection while checking {a.rule} on {a.table}: "
                            f"{_first_line(err)}") from None
        return _outcome(a, "failed"), finding(
            "audit-failed", table=a.table, columns=a.columns, object=_object(a),
            span=_span(a), message=f"could not check {a.rule} on {a.table}: "
            f"{_first_line(err)}", fix=None)
    if count:
        return _outcome(a, "violated", count), _violation(p, count, sample, missing)
    return _outcome(a, "ok", count), None


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def _outcome(a: Audit, status: str, count: int | None = None) -> AuditOutcome:
    # no timings: the same database must give the same report, byte for byte
    return AuditOutcome(table=str(a.table), rule=a.rule, code=a.code, columns=a.columns,
                        status=status, count=count)


def _span(a: Audit) -> Span | None:
    return getattr(a.source, "span", None)


def _object(a: Audit) -> str | None:
    """The constraint or index audited; for an expectation, its rule (several may share a
    column, and the object tells their findings apart)."""
    if isinstance(a.source, (ir.PrimaryKey, ir.Unique, ir.ForeignKey, ir.Check, ir.Index)):
        return a.source.name
    if isinstance(a.source, ir.Expectation):
        return a.rule
    return None


def _missing_rows(conn: psycopg.Connection[Any], a: Audit) -> list[int]:
    """Positions of the declared reference rows that no row matches."""
    with conn.cursor() as cur:
        cur.execute(a.sql.encode("utf-8"))
        return [int(r[0]) for r in cur.fetchall()]


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # Python accepts NaN/Infinity; PostgreSQL does not


def valid_json(text: str) -> bool:
    """What PostgreSQL's json input accepts, near enough: RFC 8259 text of any value."""
    try:
        json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return False
    return True


def _stream_json(conn: psycopg.Connection[Any], a: Audit, deadline: float
                 ) -> tuple[int, tuple[str, ...]]:
    count = 0
    sample: list[str] = []
    with conn.cursor(name="schemac_json_audit") as cur:
        cur.itersize = STREAM_BATCH
        cur.execute(a.sql)
        for key, text in cur:
            if not valid_json(text):
                count += 1
                if len(sample) < SAMPLE_SIZE:
                    sample.append(str(key))
            if time.monotonic() > deadline:
                raise _OutOfTime
    return count, tuple(sample)


_REMEDY = {
    "duplicate-values": "keep one row per key (merge or delete the others)",
    "orphaned-rows": "delete them, point them at rows that exist, or set the column to NULL",
    "null-in-not-null": "fill in a value for them",
    "check-violated": "correct the values (or the rule, if the data is right)",
    "expectation-failed": "correct the values (or the rule, if the data is right)",
}


def _violation(p: Planned, count: int, sample: tuple[str, ...], missing: list[int]
               ) -> Finding:
    a, rows, key = p.audit, p.rows, p.key
    t = a.table
    src = a.source
    if rows is not None:
        shown = "; ".join(", ".join(f"{c} = {rows.values[i][rows.columns.index(c)]}"
                                    for c in key) for i in missing)
        subset = dataclasses.replace(rows, values=tuple(rows.values[i] for i in missing))
        return finding("missing-reference-rows", table=t, columns=key, span=_span(a),
                       count=count, message=f"{count} of the {len(rows.values)} declared rows "
                       f"of {t} are missing: {shown}",
                       fix="\n".join(op_statements(o.InsertRows(rows=subset))))
    cols = ", ".join(a.columns)
    one = count == 1
    rows_of = f"{count} row{'' if one else 's'} of {t}"
    match a.code:
        case "duplicate-values":
            msg = (f"{rows_of} share their ({cols}) with another row ({a.rule})" if not one
                   else f"{rows_of} shares its ({cols}) with another row ({a.rule})")
        case "orphaned-rows":
            assert isinstance(src, ir.ForeignKey)
            msg = (f"{rows_of} {'has' if one else 'have'} {cols} pointing at no row of "
                   f"{src.ref_table} ({a.rule})")
        case "null-in-not-null":
            msg = f"{rows_of} {'has' if one else 'have'} NULL in {cols}, declared NOT NULL"
        case "expectation-failed":
            said = getattr(src, "message", None)
            verb = "breaks" if one else "break"
            msg = f"{rows_of} {verb}: {said} ({a.rule})" if said else \
                f"{rows_of} {verb} the expectation {a.rule}"
        case _:
            msg = f"{rows_of} {'breaks' if one else 'break'} {a.rule}"
    fix = None
    if a.listing:
        fix = f"-- see them:\n{a.listing}\n-- then {_REMEDY.get(a.code, 'fix them')}"
    return finding(a.code, table=t, columns=a.columns, object=_object(a), span=_span(a),
                   count=count, sample=sample, message=msg, fix=fix)

