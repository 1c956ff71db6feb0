"""Data audits: the rows that break each declared rule (DESIGN principle 4).

Contract:
- `plan_audits(declared, live, major, trust=...)` lists one `Audit` (from
  `compiler.check.audits`, the same queries `migrate` uses as preflight) per declared UNIQUE,
  primary key, unique index, FOREIGN KEY, NOT NULL, CHECK and `expect`, plus one per `rows`
  block (reference rows that must exist). Audits whose table, columns or referenced table are
  missing from the live database are planned as skipped: drift already reports what is
  missing. Given `trust`, a rule that a validated live constraint already guarantees is
  planned as enforced (`compiler.check.enforced`): PostgreSQL has refused every row that would
  break it, so scanning the table would only prove zero again (`check --verify-enforced`
  scans them all the same).
- `plan_live_audits(live, not_validated, not_enforced)`: without a schema, the rows behind
  the constraints the database does not guarantee (added NOT VALID, or a foreign key whose
  triggers are disabled).
- `run_audits(conn, planned, ...)` runs the audits, each query inside its own savepoint under
  the session's statement timeout: a timeout becomes an `audit-timed-out` finding, any other
  error an `audit-failed` finding, and the next query runs. A table's row-local rules (NOT
  NULL, CHECK, expectations) are answered by one scan of it (two when its expectations were
  scanned early, `early.py`: the expectations', and the unguaranteed constraints'); should
  that scan fail, they are asked one by one so that the failing rule is named. Streamed
  audits (JSON validity on servers before 16, which lack pg_input_is_valid) are read through
  a server-side cursor in batches and parsed here, so memory does not grow with the table.

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
    count_and_sample,
    fk_audit,
    missing_rows_sql,
    not_null_audit,
    one_scan_sql,
    row_key,
    rule_audits,
)
from compiler.check.early import (
    TIMED_OUT,
    EarlyScans,
    Outcome,
    row_estimates,
    work_estimate,
)
from compiler.check.enforced import Trust, enforced_by
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
    enforced_by: str | None = None  # the validated constraint or index that guarantees it


@dataclass(slots=True)
class DataResult:
    findings: list[Finding] = field(default_factory=list)
    outcomes: list[AuditOutcome] = field(default_factory=list)


def plan_audits(declared: ir.Schema, live: ir.Schema, major: int, *,
                trust: Trust | None = None, canonical: ir.Schema | None = None
                ) -> list[Planned]:
    """With `trust`, a UNIQUE, primary key, foreign key, NOT NULL or CHECK that a validated
    live constraint (or valid unique index) already guarantees is planned as enforced, not
    scanned; `canonical` (the declared schema in PostgreSQL's stored form) lets partial
    indexes and checks be matched by expression. Without `trust`, every rule is scanned."""
    planned: list[Planned] = []
    tables = {t.name: t for t in live.tables}
    # a table with inheritance children: its constraints do not cover the children's rows,
    # which a scan of the parent reads
    parents = {p for t in live.tables for p in t.inherits}
    for t in declared.tables:
        lt = tables.get(t.name)
        if lt is None:
            continue  # missing-table says it all
        ct = canonical.table(t.name) if canonical is not None else None
        have = {c.name for c in lt.columns}
        if t.primary_key and not set(t.primary_key.columns) <= have:
            t = dataclasses.replace(t, primary_key=None)  # samples fall back to ctid
        for audit in rule_audits(t, server_major=major):
            missing = [c for c in audit.columns if c not in have]
            skip = f"column {', '.join(missing)} missing" if missing else None
            if skip is None and isinstance(audit.source, ir.ForeignKey):
                skip = _reference_missing(audit.source, tables)
            enforced = None
            if skip is None and trust is not None and t.name not in parents:
                enforced = enforced_by(audit.source, lt, ct, trust)
            planned.append(Planned(audit, skip, enforced_by=enforced))
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
                     not_validated: list[tuple[ir.QName, str, str, tuple[str, ...]]],
                     not_enforced: set[tuple[ir.QName, str]] | frozenset[tuple[ir.QName, str]]
                     = frozenset()) -> list[Planned]:
    planned: list[Planned] = []
    disabled = [(name, con, "f", ()) for name, con in sorted(not_enforced)
                if not any((name, con) == (n, c) for n, c, _, _ in not_validated)]
    for name, con, kind, cols in [*not_validated, *disabled]:
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
               helpers: Sequence[psycopg.Connection[Any]] = (),
               early: EarlyScans | None = None) -> DataResult:
    """Run every planned audit that is neither skipped nor enforced. A table's row-local
    rules share one scan; the scans go largest table first to whichever connection is free
    (`helpers` imported this transaction's snapshot, one thread each). With `early`, a
    table's expectations are a scan of their own, reused when `early` already started that
    very query, and its helper then serves the rest of the audits. Outcomes and findings
    keep the order of `planned`, whatever finished first."""
    conns = [conn, *helpers]
    todo = [i for i, p in enumerate(planned) if p.skip is None and p.enforced_by is None]
    units = _units(planned, todo, apart=early is not None)
    rows = row_estimates(conn, sorted({u.table for u in units}))
    # biggest first (stable: ties keep the plan's order)
    units.sort(key=lambda u: -work_estimate(rows.get(u.table, 0.0), len(u.members)))
    results: dict[int, tuple[AuditOutcome, Finding | None]] = {}
    lock = threading.Lock()
    ready = threading.Event()  # the early helper may ask for work before `units` is final
    taken = done = 0

    def work(c: psycopg.Connection[Any]) -> None:
        nonlocal taken, done
        ready.wait()
        while True:
            with lock:
                if taken == len(units):
                    return
                unit = units[taken]
                taken += 1
                if progress is not None:
                    progress(_label(planned, unit), done, len(todo))
            answers = _run_unit(c, planned, unit, timeout_ms)
            with lock:
                results.update(answers)
                done += len(unit.members)

    reused: list[_Unit] = []
    if early is not None:
        started = early.handoff(work)
        reused = [u for u in units if _unit_sql(planned, u) in started]
        units = [u for u in units if _unit_sql(planned, u) not in started]
    ready.set()
    if len(conns) == 1 or len(units) < 2:
        work(conn)
    else:
        with ThreadPoolExecutor(max_workers=len(conns)) as pool:
            for future in [pool.submit(work, c) for c in conns]:
                future.result()  # re-raises a lost connection as its UserError
    if early is not None:
        early.join()  # re-raises a lost connection as its UserError
        for unit in reused:
            if progress is not None:
                progress(_label(planned, unit), done, len(todo))
            results.update(_early_answers(conn, planned, unit, early.outcome(
                _unit_sql(planned, unit)), timeout_ms))
            done += len(unit.members)
    result = DataResult()
    for i, p in enumerate(planned):
        if p.skip is not None:
            result.outcomes.append(_outcome(p.audit, "skipped"))
            continue
        if p.enforced_by is not None:
            result.outcomes.append(_outcome(p.audit, "enforced"))
            continue
        outcome, found = results[i]
        result.outcomes.append(outcome)
        if found is not None:
            result.findings.append(found)
    if progress is not None:
        progress("done", done, len(todo))
    return result


@dataclass(frozen=True, slots=True)
class _Unit:
    """What one query answers: one audit, or (`sql` set) all row-local audits of a table."""

    table: ir.QName
    members: tuple[int, ...]  # positions in the plan
    sql: str | None = None


def _units(planned: list[Planned], todo: list[int], *, apart: bool = False) -> list[_Unit]:
    """`apart`: a table's expectations and its other row-local rules are two scans (the
    expectations' may have started before the catalog said which constraints to scan)."""
    units: list[_Unit] = []
    local: dict[tuple[ir.QName, bool], list[int]] = {}
    for i in todo:
        a = planned[i].audit
        if a.row_local and not a.streamed and planned[i].rows is None:
            expectation = apart and isinstance(a.source, ir.Expectation)
            local.setdefault((a.table, expectation), []).append(i)
        else:
            units.append(_Unit(a.table, (i,)))
    for (table, _), members in local.items():
        sql = one_scan_sql([planned[i].audit for i in members]) if len(members) > 1 else None
        units.append(_Unit(table, tuple(members), sql))
    return units


def _unit_sql(planned: list[Planned], unit: _Unit) -> str:
    """The one query that answers a unit (as `early.plan_early` spells it)."""
    return unit.sql if unit.sql is not None else planned[unit.members[0]].audit.sql


def _label(planned: list[Planned], unit: _Unit) -> str:
    if len(unit.members) == 1:
        a = planned[unit.members[0]].audit
        return f"{a.table}: {a.rule}"
    return f"{unit.table}: {len(unit.members)} rules in one scan"


def _run_unit(conn: psycopg.Connection[Any], planned: list[Planned], unit: _Unit,
              timeout_ms: int) -> dict[int, tuple[AuditOutcome, Finding | None]]:
    if unit.sql is None:
        return {i: _run_one(conn, planned[i], timeout_ms) for i in unit.members}
    try:
        with conn.transaction(), conn.cursor() as cur:  # a savepoint, as for one audit
            cur.execute(unit.sql.encode("utf-8"))
            row = cur.fetchone()
    except pg_errors.QueryCanceled:
        return {i: _timed_out(planned[i].audit, timeout_ms) for i in unit.members}
    except psycopg.Error as err:
        if conn.broken:
            raise UserError(f"lost the connection while checking {unit.table}: "
                            f"{_first_line(err)}") from None
        # one rule's expression failed on some row: asked one by one, each says which
        return {i: _run_one(conn, planned[i], timeout_ms) for i in unit.members}
    return _scan_answers(planned, unit, row)


def _scan_answers(planned: list[Planned], unit: _Unit, row: tuple[Any, ...] | None
                  ) -> dict[int, tuple[AuditOutcome, Finding | None]]:
    """A one-scan row: per member, its count and sample keys."""
    answers: dict[int, tuple[AuditOutcome, Finding | None]] = {}
    for k, i in enumerate(unit.members):
        count = int(row[2 * k] or 0) if row else 0
        sample = tuple(str(s) for s in (row[2 * k + 1] or ()) if s is not None) if row else ()
        answers[i] = _answer(planned[i], count, sample, [])
    return answers


def _early_answers(conn: psycopg.Connection[Any], planned: list[Planned], unit: _Unit,
                   outcome: Outcome, timeout_ms: int
                   ) -> dict[int, tuple[AuditOutcome, Finding | None]]:
    """A unit's answers from the row its early scan fetched (a single audit's query returns
    the same two columns, count and sample, as one member of a shared scan)."""
    if outcome == TIMED_OUT:
        return {i: _timed_out(planned[i].audit, timeout_ms) for i in unit.members}
    if not isinstance(outcome, tuple):  # it failed: asked again, so that the error is named
        return _run_unit(conn, planned, unit, timeout_ms)
    return _scan_answers(planned, unit, outcome)


def _answer(p: Planned, count: int, sample: tuple[str, ...], missing: list[int]
            ) -> tuple[AuditOutcome, Finding | None]:
    if count:
        return _outcome(p.audit, "violated", count), _violation(p, count, sample, missing)
    return _outcome(p.audit, "ok", count), None


def _timed_out(a: Audit, timeout_ms: int) -> tuple[AuditOutcome, Finding | None]:
    return _outcome(a, "timed-out"), finding(
        "audit-timed-out", table=a.table, columns=a.columns, object=_object(a),
        span=_span(a), message=f"checking {a.rule} on {a.table} took longer than the "
        f"statement timeout ({timeout_ms / 1000:g} s)",
        fix="rerun with a longer --timeout, or run this query off-peak:\n"
            + (a.listing or a.sql))


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
                    count, sample = count_and_sample(cur, a)
    except (pg_errors.QueryCanceled, _OutOfTime):
        return _timed_out(a, timeout_ms)
    except psycopg.Error as err:
        if conn.broken:
            raise UserError(f"lost the connection while checking {a.rule} on {a.table}: "
                            f"{_first_line(err)}") from None
        return _outcome(a, "failed"), finding(
            "audit-failed", table=a.table, columns=a.columns, object=_object(a),
            span=_span(a), message=f"could not check {a.rule} on {a.table}: "
            f"{_first_line(err)}", fix=None)
    return _answer(p, count, sample, missing)


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

