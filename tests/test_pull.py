"""`schemac pull` round trips on a real PostgreSQL.

For every schema of the corpus (`tests/corpus/*.sql`, plus the seed): load it into a
database D, pull D into `.schema` files, then
- the pulled files diff empty against D (`diff(D, pull(D)) == ()`), and
- building them on an empty database gives a database whose `pg_dump --schema-only` equals
  D's, after normalising the order of statements and of columns inside CREATE TABLE.
The same for generated databases (Hypothesis: tables with views, functions, triggers,
sequences and row-level security).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pgserver
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import object_specs, schemas, with_objects

from compiler.build import ddl
from compiler.db import connect
from compiler.introspect import introspect
from compiler.load import load_schema
from compiler.migrate import plan_migration
from compiler.pull import SplitBy, pull_files

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.sql")) + [
    ROOT / "generated" / "schema.sql"]


@pytest.fixture(scope="session")
def pg_dump_path(psql_path: str) -> str:
    candidate = Path(psql_path).with_name("pg_dump")
    found = str(candidate) if candidate.exists() else shutil.which("pg_dump")
    if not found:
        pytest.skip("no pg_dump")
    return found


@pytest.fixture(scope="session")
def dev_url(pg_dsn: str) -> str:
    return pgserver.create_database(pg_dsn, f"schemac_dev_{uuid.uuid4().hex[:8]}")


def normalised_dump(pg_dump: str, dsn: str, privileges: bool = False) -> list[str]:
    """`pg_dump --schema-only`, owners left out, privileges too unless `privileges`."""
    flags = ["--schema-only", "--no-owner", *([] if privileges else ["--no-privileges"])]
    out = subprocess.run([pg_dump, *flags, "-d", dsn],
                         capture_output=True, text=True, check=True).stdout
    lines = [ln for ln in out.splitlines()
             if ln.strip() and not ln.startswith("--") and not ln.startswith("SET ")
             and not ln.startswith("SELECT pg_catalog.set_config")
             and not ln.startswith("\\restrict") and not ln.startswith("\\unrestrict")]
    statements = re.split(r";\n", "\n".join(lines))
    normal = []
    for stmt in statements:
        stmt = stmt.strip()
        if stmt.startswith("CREATE TABLE"):
            head, _, rest = stmt.partition("(\n")
            body, _, tail = rest.rpartition("\n)")
            items = sorted(i.strip().rstrip(",") for i in body.split("\n"))
            stmt = head + "(" + ",".join(items) + ")" + tail
        normal.append(stmt)
    return sorted(normal)


@pytest.mark.parametrize("source", CORPUS, ids=[p.stem for p in CORPUS])
def test_pull_round_trip(source: Path, pg_dsn: str, pg_major: int, psql_path: str,
                         pg_dump_path: str, dev_url: str, tmp_path: Path) -> None:
    if re.search(r"NULLS NOT DISTINCT|ON DELETE SET NULL \(", source.read_text()) and \
            pg_major < 15:
        pytest.skip("NULLS NOT DISTINCT and ON DELETE SET NULL (columns) need PostgreSQL 15")
    original = pgserver.create_database(pg_dsn, f"schemac_pull_{uuid.uuid4().hex[:8]}")
    rebuilt = pgserver.create_database(pg_dsn, f"schemac_rebuilt_{uuid.uuid4().hex[:8]}")
    pgserver.apply_sql_file(psql_path, original, source)

    out = tmp_path / "pulled"
    cli = subprocess.run([sys.executable, "-m", "compiler.cli", "pull", "--db", original,
                          "--out", str(out)], capture_output=True, text=True, check=False)
    assert cli.returncode == 0, cli.stderr
    pulled, _warnings = load_schema(out, use_cache=False)

    conn = connect(original, read_only=True)
    try:
        m = plan_migration(conn, pulled, dev_url=dev_url)
    finally:
        conn.close()
    assert [op.reason for op in m.plan.steps] == []
    assert [op.reason for op in m.plan.withheld] == []

    script = tmp_path / "rebuilt.sql"
    script.write_text(ddl(pulled))
    pgserver.apply_sql_file(psql_path, rebuilt, script)
    assert normalised_dump(pg_dump_path, rebuilt) == normalised_dump(pg_dump_path, original)


@pytest.mark.parametrize("split", list(SplitBy))
def test_split_modes_load_back_the_same(split: SplitBy, fresh_db: str, psql_path: str) -> None:
    pgserver.apply_sql_file(psql_path, fresh_db, CORPUS[0])
    conn = connect(fresh_db, read_only=True)
    try:
        live = introspect(conn)
    finally:
        conn.close()
    files = pull_files(live, split)
    assert all(name.endswith(".schema") for name in files)
    from compiler.parse import parse_source
    from compiler.validate import compile_files

    schema, _ = compile_files([parse_source(text, name) for name, text in files.items()])
    assert schema.tables == live.tables
    assert schema.enums == live.enums and schema.domains == live.domains


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.data())
def test_generated_databases_round_trip_through_pull(pg_dsn: str, psql_path: str,
                                                     pg_dump_path: str, dev_url: str,
                                                     tmp_path_factory: pytest.TempPathFactory,
                                                     data: st.DataObject) -> None:
    """Any generated schema, with views, functions, triggers, sequences and row-level
    security over its tables, built on a database D: the files `pull` writes for D diff
    empty against D, and built afresh they dump as D does."""
    schema = data.draw(schemas(max_tables=3, max_columns=5))
    keyed = [t.name for t in schema.tables if t.primary_key is not None]
    schema = with_objects(schema, data.draw(object_specs(len(keyed))), keyed)
    tmp = tmp_path_factory.mktemp("pulled")
    names = [f"schemac_gen_{uuid.uuid4().hex[:8]}", f"schemac_genb_{uuid.uuid4().hex[:8]}"]
    original, rebuilt = (pgserver.create_database(pg_dsn, n) for n in names)
    try:
        pgserver.run_sql(original, ddl(schema))
        conn = connect(original, read_only=True)
        try:
            live = introspect(conn)
        finally:
            conn.close()
        for name, text in pull_files(live, SplitBy.SCHEMA).items():
            (tmp / name).write_text(text)
        pulled, _warnings = load_schema(tmp, use_cache=False)
        conn = connect(original, read_only=True)
        try:
            m = plan_migration(conn, pulled, dev_url=dev_url)
        finally:
            conn.close()
        assert [op.reason for op in (*m.plan.steps, *m.plan.withheld)] == []
        pgserver.run_sql(rebuilt, ddl(pulled))
        assert normalised_dump(pg_dump_path, rebuilt) == normalised_dump(pg_dump_path,
                                                                           original)
    finally:
        for n in names:
            pgserver.drop_database(pg_dsn, n)
