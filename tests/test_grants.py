"""Privileges (`grant`) on a real PostgreSQL, with `--with-privileges`.

- A database holding grants (PUBLIC, grant options, views, materialized views, serial
  sequences, schemas) is pulled with its privileges, and building the pulled files on an
  empty database gives the same `pg_dump --schema-only` privileges included; the diff
  against the pulled files is empty.
- Changed grants converge: granted, revoked (only with --allow-destructive, listed as
  `revoke-privileges` hazards), grant options added and taken away; a view rebuilt because
  a column it reads changed type gets its grants back; a renamed table keeps its own.
- Without --with-privileges grants are left alone on both sides; with it, `check` reports
  `missing-privilege` and `unexpected-privilege` with the GRANT or REVOKE that closes each.
- Hypothesis: any set of grants over a fixed schema migrates to any other, after which the
  database holds exactly the declared privileges (`all` as the server reads it).
The roles are the cluster's, so each test session makes its own (names with a suffix).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pgserver
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_migrate import build_on, dev_url, plan, run  # noqa: F401  (fixture)
from test_pull import normalised_dump, pg_dump_path  # noqa: F401  (fixture)

from compiler import ir
from compiler.build import ddl
from compiler.db import connect
from compiler.errors import UserError
from compiler.grants import every, for_server, normalized
from compiler.introspect import introspect
from compiler.load import load_schema
from compiler.names import quote_ident
from compiler.pull import SplitBy, pull_files

pytestmark = pytest.mark.db


@pytest.fixture(scope="session")
def roles(pg_dsn: str) -> Iterator[dict[str, str]]:
    suffix = uuid.uuid4().hex[:6]
    names = {"ro": f"app_ro_{suffix}", "rw": f"app_rw_{suffix}", "odd": f"Odd Role {suffix}"}
    for name in names.values():
        pgserver.run_sql(pg_dsn, f'CREATE ROLE "{name}"')
    yield names
    for name in names.values():
        pgserver.run_sql(pg_dsn, f'DROP OWNED BY "{name}"; DROP ROLE "{name}"')


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _schema(tmp_path: Path, text: str, roles: dict[str, str]) -> ir.Schema:
    d = tmp_path / f"s-{uuid.uuid4().hex[:6]}"
    d.mkdir()
    for key, name in roles.items():
        text = text.replace("{" + key + "}", _q(name))
    (d / "a.schema").write_text(text)
    schema, _ = load_schema(d, use_cache=False)
    return schema


LIVE_SQL = """
CREATE SCHEMA billing;
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);
CREATE TABLE billing.invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                               user_id int NOT NULL REFERENCES users (id), amount numeric);
CREATE VIEW active_users AS SELECT id, email FROM users;
CREATE MATERIALIZED VIEW billing.totals AS
  SELECT user_id, sum(amount) AS total FROM billing.invoices GROUP BY user_id;
GRANT USAGE ON SCHEMA billing TO {ro};
GRANT USAGE, CREATE ON SCHEMA billing TO {rw} WITH GRANT OPTION;
GRANT SELECT ON users, active_users, billing.totals TO {ro};
GRANT SELECT ON active_users TO PUBLIC;
GRANT SELECT, INSERT, UPDATE ON users TO {rw};
GRANT DELETE ON users TO {rw} WITH GRANT OPTION;
GRANT ALL ON billing.invoices TO {rw};
GRANT REFERENCES, TRIGGER ON billing.invoices TO {odd};
GRANT USAGE, SELECT ON SEQUENCE users_id_seq TO {rw};
GRANT SELECT ON SEQUENCE billing.invoices_id_seq TO {ro};
"""


def test_pull_with_privileges_round_trips(pg_dsn: str, roles: dict[str, str], psql_path: str,
                                           pg_dump_path: str, dev_url: str,  # noqa: F811
                                           tmp_path: Path) -> None:
    names = [f"schemac_grants_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    original, rebuilt = (pgserver.create_database(pg_dsn, n) for n in names)
    try:
        _round_trip(original, rebuilt, roles, psql_path, pg_dump_path, dev_url, tmp_path)
    finally:  # the roles can only be dropped once no database holds their privileges
        for n in names:
            pgserver.drop_database(pg_dsn, n)


def _round_trip(original: str, rebuilt: str, roles: dict[str, str], psql_path: str,
                pg_dump_path: str, dev_url: str, tmp_path: Path) -> None:  # noqa: F811
    sql = LIVE_SQL
    for key, name in roles.items():
        sql = sql.replace("{" + key + "}", _q(name))
    pgserver.run_sql(original, sql)

    conn = connect(original, read_only=True)
    try:
        live = introspect(conn, privileges=True)
    finally:
        conn.close()
    assert {(g.kind, str(g.on), g.role) for g in live.grants} >= {
        ("schema", "billing", roles["ro"]), ("table", "active_users", "public"),
        ("sequence", "users_id_seq", roles["rw"]), ("table", "billing.totals", roles["ro"])}
    assert not any(g.role == "postgres" for g in live.grants), "the owner's own are not grants"

    out = tmp_path / "pulled"
    out.mkdir()
    for name, text in pull_files(live, SplitBy.SCHEMA).items():
        (out / name).write_text(text)
    pulled, _ = load_schema(out, use_cache=False)
    assert plan(original, pulled, dev_url, with_privileges=True).plan.steps == ()

    script = tmp_path / "rebuilt.sql"
    script.write_text(ddl(pulled))
    pgserver.apply_sql_file(psql_path, rebuilt, script)
    assert normalised_dump(pg_dump_path, rebuilt, privileges=True) == \
        normalised_dump(pg_dump_path, original, privileges=True)


BEFORE = """
table users {
  id    serial primary key
  email text not null
  name  varchar(50)
}
table old_name {
  id int primary key
}
view user_names as $$ SELECT id, name FROM users $$
grant select, insert, update on users to {rw}
grant select on users to {ro} with grant option
grant select on user_names to {ro}, public
grant select, delete on old_name to {rw}
grant usage on sequence users_id_seq to {rw}
"""

AFTER = """
table users {
  id    serial primary key
  email text not null
  name  varchar(80)
}
table new_name renamed from old_name {
  id int primary key
}
view user_names as $$ SELECT id, name FROM users $$
grant select, insert on users to {rw} with grant option
grant select on users to {ro}
grant select on user_names to {ro}, public
grant select, delete on new_name to {rw}
grant usage, select on sequence users_id_seq to {rw}
grant select on users to {odd}
"""


def test_grant_changes_converge(fresh_db: str, roles: dict[str, str], psql_path: str,
                                dev_url: str, tmp_path: Path) -> None:  # noqa: F811
    before, after = _schema(tmp_path, BEFORE, roles), _schema(tmp_path, AFTER, roles)
    build_on(fresh_db, before, psql_path, tmp_path)
    assert plan(fresh_db, before, dev_url, with_privileges=True).plan.steps == ()

    safe = plan(fresh_db, after, dev_url, with_privileges=True)
    withheld = {(op.kind, op.grant.role, op.grant.privileges, op.option_only)
                for op in safe.plan.withheld if op.kind == "revoke_privileges"}
    assert withheld == {("revoke_privileges", roles["rw"], ("update",), False),
                        ("revoke_privileges", roles["ro"], ("select",), True)}
    assert all(h.code == "revoke-privileges" for op in safe.plan.withheld for h in op.hazards)
    kinds = [op.kind for op in safe.plan.steps]
    # the renamed table keeps its grants: nothing is granted or revoked on it
    assert not any(getattr(op, "grant", None) and op.grant.on.name in ("old_name", "new_name")
                   for op in safe.plan.steps)
    assert "grant_privileges" in kinds

    m = plan(fresh_db, after, dev_url, with_privileges=True, allow_destructive=True)
    run(fresh_db, m)
    again = plan(fresh_db, after, dev_url, with_privileges=True)
    assert again.plan.steps == () and again.plan.withheld == ()
    conn = connect(fresh_db, read_only=True)
    try:
        live = introspect(conn, privileges=True)
    finally:
        conn.close()
    view_grants = {g.role for g in live.grants if g.on.name == "user_names"}
    assert view_grants == {roles["ro"], "public"}, "a rebuilt view gets its grants back"


def test_grants_are_left_alone_without_the_flag(fresh_db: str, roles: dict[str, str],
                                                psql_path: str, dev_url: str,  # noqa: F811
                                                tmp_path: Path) -> None:
    schema = _schema(tmp_path, BEFORE, roles)
    build_on(fresh_db, schema, psql_path, tmp_path)
    pgserver.run_sql(fresh_db, f"GRANT TRUNCATE ON users TO {_q(roles['odd'])}")
    assert plan(fresh_db, schema, dev_url).plan.steps == ()
    assert plan(fresh_db, schema, dev_url).plan.withheld == ()
    flagged = plan(fresh_db, schema, dev_url, with_privileges=True)
    assert [op.kind for op in flagged.plan.withheld] == ["revoke_privileges"]


def test_normalized_merges_statements_in_any_order() -> None:
    users = ir.QName(name="users")
    a = ir.Grant(kind="table", on=users, role="r", privileges=("select",))
    b = ir.Grant(kind="table", on=users, role="r", privileges=("insert", "select"),
                 grantable=True)
    c = ir.Grant(kind="table", on=users, role="r", privileges=("update",))
    assert normalized([a, b, c]) == normalized([c, b, a]) == (
        ir.Grant(kind="table", on=users, role="r", privileges=("update",)),
        ir.Grant(kind="table", on=users, role="r", privileges=("insert", "select"),
                 grantable=True))


# --- any grants to any grants ------------------------------------------------------------------

BASE = """
schema app
table users {
  id    serial primary key
  email text not null
}
table app.events {
  id bigint generated always as identity primary key
}
view user_emails as $$ SELECT id, email FROM users $$
"""

_TARGETS = [("table", "users"), ("table", "app.events"), ("table", "user_emails"),
            ("sequence", "users_id_seq"), ("sequence", "app.events_id_seq"), ("schema", "app")]


@st.composite
def _grant_lines(draw: st.DrawFn, major: int) -> list[str]:
    """A few `grant` statements over the objects of BASE and the session's roles (their
    placeholders are filled in by `_schema`), with the privileges a server of version `major`
    has (MAINTAIN came in 17); PUBLIC cannot take a grant option."""
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        kind, name = draw(st.sampled_from(_TARGETS))
        privileges = draw(st.one_of(st.just(["all"]), st.lists(
            st.sampled_from(list(every(kind, major))), min_size=1, max_size=3, unique=True)))
        who = draw(st.lists(st.sampled_from(["{ro}", "{rw}", "{odd}", "public"]),
                            min_size=1, max_size=2, unique=True))
        target = name if kind == "table" else f"{kind} {name}"
        option = " with grant option" if draw(st.booleans()) and "public" not in who else ""
        lines.append(f"grant {', '.join(privileges)} on {target} to {', '.join(who)}{option}")
    return lines


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.data())
def test_any_grants_migrate_to_any_grants(pg_dsn: str, pg_major: int, roles: dict[str, str],
                                          psql_path: str,
                                          dev_url: str,  # noqa: F811
                                          tmp_path_factory: pytest.TempPathFactory,
                                          data: st.DataObject) -> None:
    tmp = tmp_path_factory.mktemp("grants")
    a = _schema(tmp, BASE + "\n".join(data.draw(_grant_lines(pg_major))) + "\n", roles)
    b = _schema(tmp, BASE + "\n".join(data.draw(_grant_lines(pg_major))) + "\n", roles)
    name = f"schemac_grants_{uuid.uuid4().hex[:8]}"
    dsn = pgserver.create_database(pg_dsn, name)
    try:
        build_on(dsn, a, psql_path, tmp)
        assert plan(dsn, a, dev_url, with_privileges=True).plan.steps == ()
        run(dsn, plan(dsn, b, dev_url, with_privileges=True, allow_destructive=True))
        after = plan(dsn, b, dev_url, with_privileges=True)
        assert (after.plan.steps, after.plan.withheld) == ((), ())
        conn = connect(dsn, read_only=True)
        try:
            live = introspect(conn, privileges=True)
            major = conn.info.server_version // 10000
        finally:
            conn.close()
        assert live.grants == for_server(b, major).grants
    finally:
        pgserver.drop_database(pg_dsn, name)


def test_check_reports_privilege_drift_only_when_asked(fresh_db: str, roles: dict[str, str],
                                                       psql_path: str, dev_url: str,  # noqa: F811
                                                       tmp_path: Path) -> None:
    from compiler.check.run import run_check

    schema = _schema(tmp_path, BEFORE, roles)
    build_on(fresh_db, schema, psql_path, tmp_path)
    pgserver.run_sql(fresh_db, f"REVOKE INSERT ON users FROM {_q(roles['rw'])}; "
                               f"GRANT TRUNCATE ON users TO {_q(roles['odd'])}")
    codes = {"missing-privilege", "unexpected-privilege"}
    plain = run_check(fresh_db, schema, skip_data=True, dev_url=dev_url)
    assert not [f for f in plain.findings if f.code in codes]
    report = run_check(fresh_db, schema, skip_data=True, dev_url=dev_url, with_privileges=True)
    found = sorted((f.code, f.message, f.fix) for f in report.findings if f.code in codes)
    assert found == [
        ("missing-privilege", f"{roles['rw']} lacks insert on table users, which the schema "
         "grants", f"GRANT INSERT ON TABLE users TO {quote_ident(roles['rw'])};"),
        ("unexpected-privilege", f"{roles['odd']} holds truncate on table users, which the "
         "schema does not grant",
         f"REVOKE TRUNCATE ON TABLE users FROM {quote_ident(roles['odd'])};")]


def test_a_privilege_the_server_lacks_is_one_clear_error() -> None:
    users = ir.QName(name="users")
    schema = ir.Schema(grants=(
        ir.Grant(kind="table", on=users, role="app", privileges=("maintain", "select")),))
    with pytest.raises(UserError, match="maintain on table users to app .*PostgreSQL 16"):
        for_server(schema, 16)
    assert for_server(schema, 17) == schema
