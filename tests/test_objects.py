"""Views, functions, triggers and sequences on a real PostgreSQL.

- Versioned corpora (`tests/corpus/versions/<name>/<n>.sql`): a database holding version n is
  migrated (with --allow-destructive) to the schema pulled from a database holding version
  n+1; the two then dump the same (`pg_dump --schema-only`, normalised as in test_pull), and
  a second plan is empty. Views read columns whose types change, functions change bodies and
  result types, triggers and sequences come and go.
- A view change that only appends columns is applied with CREATE OR REPLACE VIEW.
- A view declared in the DSL in a person's spelling plans nothing against the same view in
  the database (its text is brought to pg_get_viewdef's form through the dev database).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pgserver
import pytest
from test_migrate import plan, run
from test_pull import normalised_dump, pg_dump_path  # noqa: F401  (fixture)

from compiler import ir
from compiler import ops as o
from compiler.db import connect
from compiler.introspect import introspect
from compiler.parse import parse_source
from compiler.validate import compile_files

pytestmark = pytest.mark.db

VERSIONS = Path(__file__).parent / "corpus" / "versions"
STEPS = [(d.name, n) for d in sorted(VERSIONS.iterdir()) if d.is_dir()
         for n in range(1, len(list(d.glob("*.sql"))))]


@pytest.fixture(scope="session")
def dev_url(pg_dsn: str) -> str:
    return pgserver.create_database(pg_dsn, f"schemac_dev_{uuid.uuid4().hex[:8]}")


def _db(pg_dsn: str) -> str:
    return pgserver.create_database(pg_dsn, f"schemac_obj_{uuid.uuid4().hex[:8]}")


def _live(dsn: str) -> ir.Schema:
    conn = connect(dsn, read_only=True)
    try:
        return introspect(conn)
    finally:
        conn.close()


def _pulled(dsn: str) -> ir.Schema:
    """The live schema through the language: printed, parsed and compiled back."""
    from compiler.pull import SplitBy, pull_files

    files = pull_files(_live(dsn), SplitBy.SCHEMA)
    return compile_files([parse_source(text, name) for name, text in files.items()])[0]


@pytest.mark.parametrize(("corpus", "n"), STEPS, ids=[f"{c}-{n}to{n + 1}" for c, n in STEPS])
def test_versioned_corpus_migrates(corpus: str, n: int, pg_dsn: str, dev_url: str,
                                   psql_path: str, pg_dump_path: str) -> None:  # noqa: F811
    here, there = _db(pg_dsn), _db(pg_dsn)
    pgserver.apply_sql_file(psql_path, here, VERSIONS / corpus / f"{n}.sql")
    pgserver.apply_sql_file(psql_path, there, VERSIONS / corpus / f"{n + 1}.sql")
    target = _pulled(there)
    m = plan(here, target, dev_url, allow_destructive=True)
    assert m.plan.steps, "consecutive versions differ"
    run(here, m)
    assert normalised_dump(pg_dump_path, here) == normalised_dump(pg_dump_path, there)
    again = plan(here, target, dev_url, allow_destructive=True)
    assert [op.reason for op in again.plan.steps] == []


def test_appending_columns_replaces_the_view(fresh_db: str, dev_url: str) -> None:
    pgserver.run_sql(fresh_db, """
        CREATE TABLE t (id int PRIMARY KEY, a text, b text);
        CREATE VIEW v AS SELECT id, a FROM t;
        CREATE VIEW w AS SELECT id FROM v;
    """)
    schema, _ = compile_files([parse_source(
        "table t {\n  id int primary key\n  a text\n  b text\n}\n"
        "view v as $$ SELECT id, a, b FROM t $$\n"
        "view w as $$ SELECT id FROM v $$\n", "x.schema")])
    m = plan(fresh_db, schema, dev_url)
    assert [(type(op), getattr(op, "replace", None)) for op in m.plan.steps] == [
        (o.CreateView, True)]
    run(fresh_db, m)
    assert plan(fresh_db, schema, dev_url, allow_destructive=True).plan.steps == ()


def test_declared_spelling_plans_nothing(fresh_db: str, dev_url: str) -> None:
    pgserver.run_sql(fresh_db, """
        CREATE TABLE users (id int PRIMARY KEY, email text, active bool);
        CREATE FUNCTION norm(e text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT lower(e)';
        CREATE VIEW active AS SELECT id, norm(email) AS email FROM users WHERE active;
    """)
    schema, _ = compile_files([parse_source(
        "function norm(e text) as $$\n"
        "create function norm(e text) returns text language sql immutable as 'SELECT lower(e)'\n"
        "$$\n"
        "table users {\n  id int primary key\n  email text\n  active bool\n}\n"
        "view active as $$\n  select id, norm(email) as email\n  from users where active\n$$\n",
        "x.schema")])
    assert plan(fresh_db, schema, dev_url, allow_destructive=True).plan.steps == ()


def test_overloads_spelt_otherwise_plan_nothing(fresh_db: str, dev_url: str) -> None:
    """Each overload is matched by the arguments PostgreSQL makes of its declaration
    (`decimal` is `numeric`), not by the text as written."""
    pgserver.run_sql(fresh_db, """
        CREATE FUNCTION cents(amount numeric) RETURNS bigint LANGUAGE sql IMMUTABLE
            AS 'SELECT round(amount * 100)::bigint';
        CREATE FUNCTION cents(amount numeric, rate numeric) RETURNS bigint LANGUAGE sql
            IMMUTABLE AS 'SELECT round(amount * rate * 100)::bigint';
    """)
    text = (
        "function cents(amount decimal) as $$\n"
        "create function cents(amount decimal) returns bigint language sql immutable\n"
        "  as 'SELECT round(amount * 100)::bigint'\n$$\n"
        "function cents(amount NUMERIC, rate Numeric) as $$\n"
        "create function cents(amount NUMERIC, rate Numeric) returns bigint language sql\n"
        "  immutable as 'SELECT round(amount * rate * 100)::bigint'\n$$\n")
    schema, _ = compile_files([parse_source(text, "x.schema")])
    assert plan(fresh_db, schema, dev_url, allow_destructive=True).plan.steps == ()
    # a changed body of one overload replaces that one only
    changed, _ = compile_files([parse_source(text.replace("rate * 100", "rate * 1000"),
                                             "x.schema")])
    steps = plan(fresh_db, changed, dev_url, allow_destructive=True).plan.steps
    assert [(type(op), op.function.arguments) for op in steps] == [  # type: ignore[attr-defined]
        (o.CreateFunction, "amount numeric, rate numeric")]


def test_views_are_built_after_what_they_read(fresh_db: str, psql_path: str,
                                              tmp_path: Path) -> None:
    from compiler.build import ddl

    # declared in an order that would fail if kept: b reads a, a reads the table
    schema, _ = compile_files([parse_source(
        "view b as $$ SELECT x FROM a $$\n"
        "view a as $$ SELECT x FROM t $$\n"
        "table t {\n  x int\n}\n", "x.schema")])
    script = tmp_path / "build.sql"
    script.write_text(ddl(schema))
    pgserver.apply_sql_file(psql_path, fresh_db, script)
    live = _live(fresh_db)
    assert [str(v.name) for v in live.views] == ["a", "b"]
    assert live.views[1].reads == (ir.QName(name="a"),)


ALL_KINDS = '''\
// every kind kept as SQL text, and every table header, in a person's layout
extension btree_gist
sequence   invoice_no as integer start with 1000 cache 10   // trailing comment

/// bumps updated_at
function touch() as $$
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN NEW.updated_at := now(); RETURN NEW; END  -- not a // comment of the language
$fn$
$$

unlogged table staging {
  line int
}

table events partition by range (at) {
  id  bigint not null
  at  timestamptz not null
  // comment before the exclusion
  exclude events_no_dup using gist (id with =, at with =)
}

table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01') {
}

table users {
  id         bigserial primary key
  tenant     int not null
  updated_at timestamptz
  /// keep it fresh
  trigger touch_users before update for each row execute function touch()
  enable row level security
  policy same_tenant for select to public using (tenant = 1)
}

table admins inherits (users) {
  level int
}

/// active ones
view active with (security_barrier) as $$
  select id from users where tenant > 0
$$

materialized view counts as $sql$
select tenant, count(*) as n from users group by tenant -- $$ inside
$sql$ {
  // the key
  unique index (tenant)
}
'''


def test_format_keeps_every_kind_and_is_idempotent() -> None:
    from compiler.fmt import format_source, ir_fingerprint

    once = format_source(ALL_KINDS, "all.schema")
    assert format_source(once, "all.schema") == once
    assert ir_fingerprint(parse_source(once, "all.schema")) == ir_fingerprint(
        parse_source(ALL_KINDS, "all.schema"))
    assert "// trailing comment" in once and "// the key" in once
    schema, _ = compile_files([parse_source(once, "all.schema")])
    assert [str(v.name) for v in schema.views] == ["active", "counts"]
    assert schema.views[1].definition.endswith("-- $$ inside")
    assert [t.name for t in schema.triggers] == ["touch_users"]
    assert [p.name for p in schema.policies] == ["same_tenant"]
    assert schema.table(ir.QName(name="events_2024")).partition_of == ir.QName(name="events")


def test_diff_of_every_kind_with_itself_is_empty() -> None:
    from compiler.diff import diff

    schema, _ = compile_files([parse_source(ALL_KINDS, "all.schema")])
    assert diff(schema, schema) == ()
    from compiler.generators.dsl import render_dsl

    again, _ = compile_files([parse_source(render_dsl(schema), "x.schema")])
    assert again == schema
