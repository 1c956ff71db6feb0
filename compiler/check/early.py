"""Expectation scans started while the catalog is still being reviewed.

Contract: `start_early(declared, major, open_helper)` returns `EarlyScans` whose thread
opens a helper connection (`open_helper()`, which shares the main transaction's snapshot, or
None) and scans, biggest first (`work_estimate`), each declared table for its row-local
expectations: rules no constraint can guarantee, so the final plan asks them whatever the
catalog says, and their queries (`plan_early`) are those `data.run_audits` would send. The
catalog review (introspection, hygiene, drift) is mostly the client's work and leaves a core
idle, which these scans use. `handoff(work)` stops starting scans and, once the scan under
way is done, runs `work(helper)` on the thread (the helper then serves the rest of the
audits); it returns the queries already started, whose outcome `outcome(sql)` gives after
`join()`: the row, or `TIMED_OUT`, or `FAILED` (any other error, a table or column missing
included: the caller asks again the usual way). `close()` cancels what still runs and closes
the helper. A scan runs in its own savepoint under the statement timeout, like every audit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from compiler import ir
from compiler.check.audits import one_scan_sql, rule_audits
from compiler.errors import UserError
from compiler.names import qualified

TIMED_OUT = "timed out"
FAILED = "failed"
Outcome = tuple[Any, ...] | str | None  # a row, TIMED_OUT or FAILED


def plan_early(declared: ir.Schema, major: int) -> list[tuple[ir.QName, str, int]]:
    """Per table, the query answering its row-local expectations (one scan for several, else
    the audit's own query, as `run_audits` groups them) and how many rules it asks."""
    out = []
    for t in declared.tables:
        audits = [a for a in rule_audits(t, server_major=major)
                  if isinstance(a.source, ir.Expectation) and a.row_local]
        if audits:
            sql = one_scan_sql(audits) if len(audits) > 1 else audits[0].sql
            out.append((t.name, sql, len(audits)))
    return out


def work_estimate(rows: float, rules: int) -> float:
    """A query's work, to run the biggest first: its table's rows, times the rules it asks
    of each row plus the scan itself (a key's grouping or a foreign key's join counts as one
    rule). By rows alone, `api_keys`' five regex rules (0.15 s) went last, after cheaper
    scans of bigger tables, and one connection finished them while the other sat idle."""
    return rows * (rules + 1)


def start_early(declared: ir.Schema, major: int,
                open_helper: Callable[[], psycopg.Connection[Any] | None]) -> EarlyScans:
    early = EarlyScans(plan_early(declared, major), open_helper)
    early.thread.start()
    return early


class EarlyScans:
    def __init__(self, scans: list[tuple[ir.QName, str, int]],
                 open_helper: Callable[[], psycopg.Connection[Any] | None]) -> None:
        self._scans = scans
        self._open_helper = open_helper
        self._lock = threading.Lock()
        self._started: list[str] = []
        self._outcomes: dict[str, Outcome] = {}
        self._stopped = False
        self._work: Callable[[psycopg.Connection[Any]], None] | None = None
        self._handed_off = threading.Event()
        self._error: BaseException | None = None
        self.helper: psycopg.Connection[Any] | None = None
        self.thread = threading.Thread(target=self._run, name="schemac-early", daemon=True)

    def _run(self) -> None:
        try:
            self.helper = self._open_helper()
            if self.helper is not None:
                self._scan(self.helper)
                self._handed_off.wait()
                if self._work is not None:
                    self._work(self.helper)
        except BaseException as err:  # re-raised in the main thread by join()
            self._error = err

    def _scan(self, conn: psycopg.Connection[Any]) -> None:
        rows = row_estimates(conn, [t for t, _, _ in self._scans])
        order = sorted(self._scans, key=lambda s: -work_estimate(rows.get(s[0], 0.0), s[2]))
        for table, sql, _ in order:
            with self._lock:
                if self._stopped:
                    return
                self._started.append(sql)
            self._outcomes[sql] = _fetch(conn, table, sql)

    def handoff(self, work: Callable[[psycopg.Connection[Any]], None]) -> set[str]:
        """No scan starts after this; `work` runs on the helper once the current one ends."""
        with self._lock:
            self._stopped = True
            started = set(self._started)
        self._work = work
        self._handed_off.set()
        return started

    def join(self) -> None:
        self.thread.join()
        if self._error is not None:
            raise self._error

    def outcome(self, sql: str) -> Outcome:
        return self._outcomes.get(sql, FAILED)

    def close(self) -> None:
        with self._lock:
            self._stopped = True
        self._handed_off.set()
        if self.thread.is_alive() and self.helper is not None:
            try:
                self.helper.cancel()  # the main connection failed: stop scanning
            except psycopg.Error:
                pass
        self.thread.join()
        if self.helper is not None:
            self.helper.close()  # read-only: closing rolls its transaction back


def _fetch(conn: psycopg.Connection[Any], table: ir.QName, sql: str) -> Outcome:
    try:
        with conn.transaction(), conn.cursor() as cur:  # a savepoint, as for every audit
            cur.execute(sql.encode("utf-8"))
            return cur.fetchone()
    except pg_errors.QueryCanceled:
        return TIMED_OUT
    except psycopg.Error as err:
        if conn.broken:
            lines = str(err).strip().splitlines()
            raise UserError(f"lost the connection while checking {table}: "
                            f"{lines[0] if lines else type(err).__name__}") from None
        return FAILED


def row_estimates(conn: psycopg.Connection[Any], tables: list[ir.QName]
                  ) -> dict[ir.QName, float]:
    """The planner's row count of each table (pg_class.reltuples; 0 when it is missing):
    big scans go first, so that two connections finish together rather than one waiting
    on the last big table."""
    if not tables:
        return {}
    with conn.cursor() as cur:
        cur.execute(b"SELECT coalesce((SELECT c.reltuples FROM pg_catalog.pg_class c "
                    b"WHERE c.oid = to_regclass(t)), 0) FROM unnest(%s::text[]) AS t",
                    ([qualified(t) for t in tables],))
        return {t: float(row[0]) for t, row in zip(tables, cur.fetchall(), strict=True)}
