"""`schemac check` against real PostgreSQL databases (no mocks).

Module-scoped databases, each checked once:
- drifted: generated/schema.sql, then tests/fixtures/seed_drift.sql (every problem the seed
  review lists, and rows breaking each table-specific rule), then a failed concurrent build;
- clean: generated/schema.sql with valid rows (tests/fixtures/seed_clean_data.sql);
- hygiene: tests/fixtures/hygiene.sql, checked without a schema (the FK-index rule's edges
  and the other catalog lints);
- hostile: identifiers with quotes, semicolons, reserved words and mixed case.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import psycopg
import pytest
from pgserver import apply_sql_file, create_database, drop_database, run_sql

from compiler import ir
from compiler.build import ddl
from compiler.check.data import plan_audits, run_audits, valid_json
from compiler.check.findings import RULES, Finding, Report
from compiler.check.report import render, to_dict
from compiler.check.run import run_check
from compiler.db import connect
from compiler.errors import UserError
from compiler.introspect import introspect
from compiler.load import load_schema

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
HOSTILE = 'x"; DROP TABLE users; --'

Make = Callable[[], str]  # makes a database, returns its DSN
Checked = tuple[str, Report]  # a database and its check report


@pytest.fixture(scope="module", autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # the canonical-form and parse caches go to a scratch directory, not the user's home
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SCHEMAC_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def databases(pg_dsn: str) -> Iterator[Callable[[], str]]:
    """A factory of databases dropped when the module ends."""
    made: list[str] = []

    def make() -> str:
        name = f"schemac_check_{uuid.uuid4().hex[:10]}"
        made.append(name)
        return create_database(pg_dsn, name)

    yield make
    for name in made:
        drop_database(pg_dsn, name)


@pytest.fixture(scope="module")
def dev_db(databases: Make) -> str:
    return databases()


@pytest.fixture(scope="module")
def seed() -> ir.Schema:
    schema, _ = load_schema(ROOT / "schema")
    return schema


def _seed_db(databases: Make, psql_path: str, *files: Path) -> str:
    dsn = databases()
    apply_sql_file(psql_path, dsn, ROOT / "generated" / "schema.sql")
    for f in files:
        apply_sql_file(psql_path, dsn, f)
    return dsn


@pytest.fixture(scope="module")
def drifted(databases: Make, psql_path: str, dev_db: str, seed: ir.Schema
            ) -> Checked:
    dsn = _seed_db(databases, psql_path, FIXTURES / "seed_drift.sql")
    # a failed CREATE INDEX CONCURRENTLY leaves an invalid index behind
    with pytest.raises(psycopg.errors.UniqueViolation):
        run_sql(dsn, "CREATE UNIQUE INDEX CONCURRENTLY idx_teams_slug_unique ON teams (slug)")
    return dsn, run_check(dsn, seed, dev_url=dev_db)


@pytest.fixture(scope="module")
def clean(databases: Make, psql_path: str, dev_db: str, seed: ir.Schema) -> Checked:
    dsn = _seed_db(databases, psql_path, FIXTURES / "seed_clean_data.sql")
    return dsn, run_check(dsn, seed, dev_url=dev_db)


@pytest.fixture(scope="module")
def hygiene_db(databases: Make, psql_path: str) -> Checked:
    dsn = databases()
    apply_sql_file(psql_path, dsn, FIXTURES / "hygiene.sql")
    with pytest.raises(psycopg.errors.UniqueViolation):
        run_sql(dsn, "CREATE UNIQUE INDEX CONCURRENTLY pair_invalid_ab ON pair_invalid (a, b)")
    return dsn, run_check(dsn, None)


def _find(report: Report, code: str, table: str | None = None, column: str | None = None,
          obj: str | None = None) -> list[Finding]:
    return [f for f in report.findings if f.code == code
            and (table is None or f.table == table)
            and (column is None or column in f.columns)
            and (obj is None or f.object == obj)]


def _codes(findings: list[Finding]) -> set[tuple[str, str | None]]:
    return {(f.code, f.table) for f in findings}


# -- the seed's review, automated ---------------------------------------------------------

DRIFTED = [
    # Critical issues 1-5 and the common production issues of the seed review
    ("missing-table", "security_audit_logs", None, None),
    ("fk-without-index", "projects", "user_id", None),
    ("missing-index", "projects", "user_id", "idx_projects_user_id"),
    ("missing-unique", "users", "email", None),
    ("duplicate-values", "users", "email", None),
    ("missing-unique", "teams", "slug", None),
    ("duplicate-values", "teams", "slug", None),
    ("missing-unique", "api_keys", "key_hash", None),
    ("duplicate-values", "api_keys", "key_hash", None),
    ("missing-foreign-key", "subscriptions", "user_id", None),
    ("orphaned-rows", "subscriptions", "user_id", None),
    ("orphaned-rows", "team_members", "team_id", None),
    ("orphaned-rows", "team_members", "user_id", None),
    ("timestamp-without-time-zone", "invoices", "paid_at", None),
    ("column-type-mismatch", "invoices", "paid_at", None),
    ("missing-column", "api_keys", "revoked_reason", None),
    ("deprecated-column-present", "users", "theme_preference", None),
    # table-specific rules
    ("expectation-failed", "users", "hashed_password", None),  # not bcrypt
    ("expectation-failed", "api_keys", "key_hash", None),  # plain text
    ("expectation-failed", "api_keys", "key_prefix", None),
    ("expectation-failed", "teams", "settings", None),  # invalid JSON
    ("expectation-failed", "webhook_events", "payload", None),
    ("missing-unique", "themes", "is_active", "themes_one_active"),
    ("duplicate-values", "themes", "is_active", "themes_one_active"),  # two active themes
    ("missing-reference-rows", "roles", None, None),  # superadmin
    # the rest of the drift
    ("column-length-mismatch", "roles", "name", None),
    ("not-null-missing", "projects", "name", None),
    ("null-in-not-null", "projects", "name", None),
    ("default-mismatch", "files", "storage_type", None),
    ("on-delete-mismatch", "api_keys", "user_id", None),
    ("enum-value-unexpected", None, None, "subscription_status"),
    ("unexpected-column", "projects", "legacy_code", None),
    ("unexpected-table", "legacy_sessions", None, None),
    ("table-without-primary-key", "legacy_sessions", None, None),
    ("unmanaged-object", None, None, "active_users"),
    ("duplicate-index", "files", None, "idx_files_user_id_copy"),
    ("unexpected-index", "files", None, "idx_files_user_id_copy"),
    ("constraint-not-validated", "invitations", None, "invitations_expiry_check"),
    ("unexpected-constraint", "invitations", None, "invitations_expiry_check"),
    ("sequence-near-exhaustion", "invoices", "id", None),
    ("invalid-index", "teams", None, "idx_teams_slug_unique"),
    ("redundant-index", "roles", None, "idx_roles_name"),
]


@pytest.mark.parametrize(("code", "table", "column", "obj"), DRIFTED,
                         ids=[f"{c}-{t or o}-{col or ''}" for c, t, col, o in DRIFTED])
def test_drifted_database_finding(drifted: Checked, code: str, table: str | None,
                                  column: str | None, obj: str | None) -> None:
    _, report = drifted
    hits = _find(report, code, table, column, obj)
    assert hits, f"no {code} on {table}.{column} {obj}: " + "\n".join(
        f"{f.code} {f.table} {f.columns} {f.object}" for f in report.findings)
    assert all(f.severity == RULES[code].severity for f in hits)


def test_drifted_counts_samples_and_spans(drifted: Checked) -> None:
    _, report = drifted
    dup = _find(report, "duplicate-values", "users", "email")[0]
    assert (dup.count, dup.sample) == (2, ("2", "3"))  # both rows of the duplicated e-mail
    orphan = _find(report, "orphaned-rows", "subscriptions", "user_id")[0]
    assert (orphan.count, orphan.sample) == (1, ("2",))
    assert "NOT EXISTS" in (orphan.fix or "")
    themes = _find(report, "duplicate-values", "themes", "is_active")[0]
    assert themes.count == 2 and set(themes.sample) <= {"1", "2"}
    pw = _find(report, "expectation-failed", "users", "hashed_password")[0]
    assert pw.sample == ("4",) and "bcrypt" in pw.message
    # located on the declaring line
    unique = _find(report, "missing-unique", "users", "email")[0]
    assert unique.span is not None and unique.span.path.endswith("01-core.schema")
    assert unique.span.line == 9
    deprecated = _find(report, "deprecated-column-present", "users")[0]
    assert deprecated.fix and deprecated.fix.startswith(
        "ALTER TABLE users DROP COLUMN theme_preference;")
    roles = _find(report, "missing-reference-rows", "roles")[0]
    assert "Super Admin" in roles.message and "INSERT INTO roles" in (roles.fix or "")
    # the invalid index satisfies nothing, so the missing UNIQUE is still an error
    assert not _find(report, "constraint-form-mismatch", "teams")
    # a hygiene note that restates a drift finding is dropped
    assert not _find(report, "implied-foreign-key", "subscriptions", "user_id")
    assert report.has_errors


def test_drifted_summary(drifted: Checked) -> None:
    _, report = drifted
    s = report.summary
    assert (s.tables_declared, s.tables_found, s.tables_live) == (17, 16, 17)
    # 19 declared; the missing table takes one, the drift dropped three
    assert (s.foreign_keys_declared, s.foreign_keys_live) == (19, 15)
    assert s.findings["error"] == len([f for f in report.findings if f.severity == "error"])
    assert s.audits["violated"] >= 14 and "timed-out" not in s.audits
    assert "NULL" in s.null_semantics and "MATCH SIMPLE" in s.null_semantics
    users = next(t for t in report.tables if t.table == "users")
    assert users.declared and users.present
    assert any(a.status == "ok" for a in users.audits)
    missing = next(t for t in report.tables if t.table == "security_audit_logs")
    assert missing.declared and not missing.present and not missing.audits


def test_clean_database_has_no_errors(clean: Checked) -> None:
    _, report = clean
    errors = [f for f in report.findings if f.severity == "error"]
    assert errors == [], errors
    # what remains are the seed's own choices: three foreign keys it gives no index, and
    # plain indexes beside UNIQUE constraints (idx_users_email and friends)
    assert {f.code for f in report.findings if f.severity == "warning"} == {"fk-without-index"}
    assert _find(report, "redundant-index", "users", "email", "idx_users_email")
    outcomes = [o for t in report.tables for o in t.audits]
    # every key, reference, NOT NULL and CHECK the built database enforces is answered by
    # its validated constraint; the rules no constraint can state are scanned and hold
    assert {o.code for o in outcomes if o.status == "enforced"} == {
        "duplicate-values", "orphaned-rows", "null-in-not-null", "check-violated"}
    assert {o.status for o in outcomes if o.code in ("expectation-failed",
                                                      "missing-reference-rows")} == {"ok"}
    assert {o.status for o in outcomes} == {"ok", "enforced"}
    assert report.summary.tables_found == report.summary.tables_declared == 17


def test_verify_enforced_scans_every_rule(clean: Checked, seed: ir.Schema, dev_db: str
                                          ) -> None:
    dsn, report = clean
    again = run_check(dsn, seed, dev_url=dev_db, verify_enforced=True)
    before = {(o.table, o.rule): o.status for t in report.tables for o in t.audits}
    after = {(o.table, o.rule): o.status for t in again.tables for o in t.audits}
    assert before.keys() == after.keys()
    assert set(after.values()) == {"ok"}
    assert again.findings == report.findings


def test_rows_a_disabled_foreign_key_let_in_are_found(databases: Make, psql_path: str,
                                                       dev_db: str, seed: ir.Schema) -> None:
    """A validated foreign key whose triggers were disabled guarantees nothing: the check
    says so and scans its rows, with and without a schema."""
    dsn = _seed_db(databases, psql_path, FIXTURES / "seed_clean_data.sql")
    run_sql(dsn, "ALTER TABLE subscriptions DISABLE TRIGGER ALL; "
                 "INSERT INTO subscriptions (id, user_id, plan_id, status) "
                 "SELECT 999999, 999999, id, 'active' FROM plans LIMIT 1")
    for schema in (seed, None):
        report = run_check(dsn, schema, dev_url=dev_db)
        off = _find(report, "constraint-not-enforced", "subscriptions", "user_id")
        assert off and off[0].severity == "error"
        assert "ENABLE TRIGGER ALL" in (off[0].fix or "")
        orphans = _find(report, "orphaned-rows", "subscriptions", "user_id")
        assert orphans and orphans[0].count == 1


# -- renderers --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_schema() -> dict[str, Any]:
    return json.loads((ROOT / "docs" / "check-report.schema.json").read_text())


def test_json_output_validates(drifted: Checked, clean: Checked, hygiene_db: Checked,
                                report_schema: dict[str, Any]) -> None:
    for _, report in (drifted, clean, hygiene_db):
        doc = json.loads(render(report, "json"))
        jsonschema.validate(doc, report_schema)
        assert set(doc) >= {"findings", "summary"}


def test_same_database_same_bytes(drifted: Checked, seed: ir.Schema, dev_db: str) -> None:
    dsn, first = drifted
    second = run_check(dsn, seed, dev_url=dev_db)
    for fmt in ("md", "json", "sarif"):
        assert render(first, fmt) == render(second, fmt)


def test_early_scans_change_nothing(drifted: Checked, seed: ir.Schema, dev_db: str,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Expectations scanned on a helper while the catalog is reviewed give the report that
    one connection, scanning everything after the catalog, gives; and a table's
    expectations and its unenforced constraints (the drifted database has both) are all
    still asked."""
    import compiler.check.run as check_run

    dsn, first = drifted
    monkeypatch.setattr(check_run, "AUDIT_CONNECTIONS", 1)
    alone = run_check(dsn, seed, dev_url=dev_db)
    assert render(first, "json") == render(alone, "json")
    assert _find(first, "null-in-not-null") and _find(first, "expectation-failed")


def test_json_schema_lists_every_code(report_schema: dict[str, Any]) -> None:
    codes = report_schema["$defs"]["finding"]["properties"]["code"]["enum"]
    assert sorted(codes) == sorted(RULES)


def test_docs_explain_every_code() -> None:
    text = (ROOT / "docs" / "check.md").read_text()
    documented = set(re.findall(r"^#### `([a-z-]+)`", text, re.MULTILINE))
    assert documented == set(RULES)


def test_markdown_report(drifted: Checked) -> None:
    md = render(drifted[1], "md")
    assert md.startswith("# Database check\n")
    assert "| Tables | 17 | 16 |" in md
    assert "### ❌ `users`" in md and "**duplicate-values** `email`" in md
    assert "```sql\n    ALTER TABLE users DROP COLUMN theme_preference;" in md
    assert "NULL semantics are PostgreSQL's" in md


def test_sarif_report(drifted: Checked) -> None:
    doc = json.loads(render(drifted[1], "sarif"))
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
    located = [r for r in run["results"] if r["ruleId"] == "missing-unique"
               and r["properties"].get("table") == "users"]
    region = located[0]["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"].endswith("schema/01-core.schema")
    assert region["region"]["startLine"] == 9


# -- hygiene without a schema -----------------------------------------------------------------


def test_fk_without_index_rule_edges(hygiene_db: Checked) -> None:
    _, report = hygiene_db
    reported = {f.table: f.columns for f in _find(report, "fk-without-index")}
    assert reported == {
        "single_none": ("parent_id",),
        "pair_prefix_only": ("a", "b"),
        "pair_gap": ("a", "b"),
        "pair_partial": ("a", "b"),
        "pair_expr": ("a", "b"),
        "pair_none": ("a", "b"),
        "pair_invalid": ("a", "b"),
    }
    fix = _find(report, "fk-without-index", "pair_none")[0].fix or ""
    assert fix.startswith("CREATE INDEX CONCURRENTLY pair_none_a_b_idx ON pair_none (a, b);")


def test_catalog_hygiene_lints(hygiene_db: Checked) -> None:
    _, report = hygiene_db
    ts = {c for f in _find(report, "timestamp-without-time-zone", "events") for c in f.columns}
    assert ts == {"at", "ats"}
    assert _codes(_find(report, "table-without-primary-key")) == {
        ("table-without-primary-key", "heap"), ("table-without-primary-key", "keyless")}
    assert "keyless_code_key" in (_find(report, "table-without-primary-key", "keyless")[0].fix
                                  or "")
    assert {f.object for f in _find(report, "duplicate-index", "idx")} == {
        "idx_a_b_copy", "idx_e_hash_copy"}
    assert {f.object for f in _find(report, "redundant-index", "idx")} == {"idx_a", "idx_id"}
    assert _find(report, "invalid-index", "pair_invalid", obj="pair_invalid_ab")
    nullable = _find(report, "nullable-column-in-unique")
    assert [(f.table, f.columns) for f in nullable] == [
        ("memberships", ("team_id",)), ("pair_unique", ("b", "a"))]
    assert _find(report, "fk-type-mismatch", "smallchild", "bigparent_id")
    assert [f.object for f in _find(report, "duplicate-foreign-key")] == ["twice_b"]
    implied = {(f.table, f.columns) for f in _find(report, "implied-foreign-key")}
    assert implied == {("orders", ("customer_id",)), ("orders", ("category_id",))}
    assert [f.table for f in _find(report, "sequence-near-exhaustion")] == ["counters"]
    assert _find(report, "constraint-not-validated", "loose", obj="loose_parent_fkey")
    # without a schema, the rows behind a NOT VALID constraint are still audited
    orphans = _find(report, "orphaned-rows", "loose")
    assert orphans and orphans[0].count == 1 and orphans[0].sample == ("2",)
    assert not any(f.category == "drift" for f in report.findings)
    assert not report.summary.schema_given


# -- options ----------------------------------------------------------------------------------


def test_ignore_codes_and_skip_data(drifted: Checked, seed: ir.Schema, dev_db: str) -> None:
    dsn, full = drifted
    # (the test server trusts local connections, so the password is accepted and unused)
    report = run_check(dsn + " password=hunter2", seed, dev_url=dev_db, skip_data=True,
                       ignore=("redundant-index", "missing-unique"))
    for fmt in ("md", "json", "sarif"):
        assert "hunter2" not in render(report, fmt)
    assert "password=***" in report.summary.database
    assert not _find(report, "redundant-index") and not _find(report, "missing-unique")
    assert report.summary.ignored["missing-unique"] == len(_find(full, "missing-unique"))
    assert not report.summary.data_checked and report.summary.audits == {}
    assert not [f for f in report.findings if f.category == "data"]
    assert _find(report, "missing-table", "security_audit_logs")
    with pytest.raises(UserError, match="no-such-code"):
        run_check(dsn, seed, ignore=("no-such-code",))


def test_statement_timeout_is_a_finding(databases: Make, psql_path: str, dev_db: str
                                        ) -> None:
    dsn = databases()
    apply_sql_file(psql_path, dsn, FIXTURES / "slow" / "slow.sql")
    schema, _ = load_schema(FIXTURES / "slow")
    report = run_check(dsn, schema, dev_url=dev_db, statement_timeout_ms=500)
    assert _find(report, "audit-timed-out", "slow")
    failed = {f.message.split(" on slow: ")[0]: f.message
              for f in _find(report, "audit-failed", "slow")}
    assert 'column "no_such_column" does not exist' in failed["could not check no_such_column > 0"]
    # an expression that would write (nextval) is refused: check never writes
    assert "read-only transaction" in failed["could not check nextval('slow_id_seq') > 0"]
    # the audits after them still ran, in the same transaction
    assert _find(report, "null-in-not-null", "zz", "name")[0].count == 1
    assert report.summary.audits["timed-out"] == 1


def test_declared_views_functions_triggers_and_policies(databases: Make, psql_path: str,
                                                         dev_db: str, tmp_path: Path) -> None:
    """A database built from the schema shows no drift of these objects; each one dropped,
    changed or switched off is a finding whose fix is the migration's own SQL."""
    schema_dir = tmp_path / "objects"
    schema_dir.mkdir()
    for case in ("views_functions_triggers", "row_level_security"):
        text = (ROOT / "tests" / "diff" / case / "after.schema").read_text()
        (schema_dir / f"{case}.schema").write_text(text)
    schema, _ = load_schema(schema_dir)
    (tmp_path / "schema.sql").write_text(ddl(schema))
    dsn = databases()
    apply_sql_file(psql_path, dsn, tmp_path / "schema.sql")
    codes = ("missing-object", "object-differs")
    clean = run_check(dsn, schema, dev_url=dev_db, skip_data=True)
    assert [f for f in clean.findings if f.code in codes] == []

    run_sql(dsn, "DROP VIEW adult_names; DROP TRIGGER users_touch ON users; "
                 "CREATE OR REPLACE FUNCTION shout(t text) RETURNS text LANGUAGE sql "
                 "IMMUTABLE AS 'SELECT lower(t)'; "
                 "ALTER TABLE documents DISABLE ROW LEVEL SECURITY")
    report = run_check(dsn, schema, dev_url=dev_db, skip_data=True)
    found = {(f.code, f.object): f for f in report.findings if f.code in codes}
    assert set(found) == {("missing-object", "adult_names"),
                          ("missing-object", "users.users_touch"),
                          ("object-differs", "shout(t text)"),
                          ("missing-object", "documents")}
    assert "CREATE VIEW" in (found["missing-object", "adult_names"].fix or "")
    assert "upper(t)" in (found["object-differs", "shout(t text)"].fix or "")
    assert "ENABLE ROW LEVEL SECURITY" in (found["missing-object", "documents"].fix or "")
    assert found["missing-object", "adult_names"].span is not None
    # the fixes are the migration: applied, the drift is gone
    run_sql(dsn, "\n".join(f.fix or "" for f in found.values()))
    again = run_check(dsn, schema, dev_url=dev_db, skip_data=True)
    assert [f for f in again.findings if f.code in codes] == []


def test_one_scan_per_table_answers_as_each_rule_alone(drifted: Checked, seed: ir.Schema
                                                       ) -> None:
    """A table's row-local rules share one scan; its counts and samples are those of the
    rules asked one by one (the drifted database breaks several rules of one table)."""
    dsn, _ = drifted
    with connect(dsn) as conn:
        live = introspect(conn, ["public"])
        planned = [p for p in plan_audits(seed, live, 18) if p.skip is None]
        together = run_audits(conn, planned, timeout_ms=10_000)
        alone = [run_audits(conn, [p], timeout_ms=10_000) for p in planned]
        conn.rollback()
    assert together.outcomes == [o for r in alone for o in r.outcomes]
    assert together.findings == [f for r in alone for f in r.findings]
    folded = [p for p in planned if p.audit.row_local]
    assert len({p.audit.table for p in folded}) < len(folded)  # some tables do share a scan
    assert any(f.code == "expectation-failed" for f in together.findings)


def test_json_validity_streamed_before_pg16(drifted: Checked, seed: ir.Schema) -> None:
    """The client-side JSON check (servers before 16) finds what pg_input_is_valid finds."""
    dsn, _ = drifted
    with connect(dsn) as conn:
        live = introspect(conn, ["public"])
        old = [p for p in plan_audits(seed, live, 15) if p.audit.streamed]
        assert len(old) == 4  # teams.settings, plans.features, metadata, payload
        streamed = run_audits(conn, old, timeout_ms=10_000)
        server = None
        if conn.info.server_version >= 160000:
            new = [p for p in plan_audits(seed, live, 18) if "pg_input_is_valid" in p.audit.sql]
            server = run_audits(conn, new, timeout_ms=10_000)
        # the client-side stream keeps to the timeout too (on its own clock)
        late = run_audits(conn, old, timeout_ms=0)
        conn.rollback()
    counts = [(o.table, o.count) for o in streamed.outcomes]
    assert sorted(counts) == [
        ("plans", 0), ("subscriptions", 0), ("teams", 1), ("webhook_events", 1)]
    if server is not None:
        assert counts == [(o.table, o.count) for o in server.outcomes]
    assert {f.table: f.sample for f in streamed.findings} == {
        "teams": ("2",), "webhook_events": ("2",)}
    assert {o.table for o in late.outcomes if o.status == "timed-out"} == {
        "teams", "webhook_events"}  # the tables with rows to read
    assert valid_json('{"a": [1, 2.5e3, null]}') and valid_json('"text"')
    assert not valid_json("NaN") and not valid_json("{'a': 1}") and not valid_json("")


# -- hostile names and ignore directives ------------------------------------------------------


def test_hostile_names_are_audited_not_executed(databases: Make, psql_path: str,
                                                dev_db: str) -> None:
    dsn = databases()
    apply_sql_file(psql_path, dsn, FIXTURES / "hostile" / "hostile.sql")
    schema, _ = load_schema(FIXTURES / "hostile")
    report = run_check(dsn, schema, dev_url=dev_db)
    t = HOSTILE
    for code, column in [("missing-unique", "Order"), ("duplicate-values", "Order"),
                         ("missing-foreign-key", "user"), ("orphaned-rows", "user"),
                         ("not-null-missing", "select"), ("null-in-not-null", "select"),
                         ("expectation-failed", "Order")]:
        assert _find(report, code, t, column), (code, column)
    assert _find(report, "missing-check", t) and _find(report, "check-violated", t)
    assert _find(report, "null-in-not-null", t, "select")[0].sample == ("2",)
    # `// schemac:ignore fk-without-index ...` above "group" silences that column only
    assert not _find(report, "fk-without-index", t, "group")
    [gone] = [s for s in report.suppressed if s.finding.code == "fk-without-index"]
    assert gone.finding.columns == ("group",) and gone.reason == "the parent table is tiny"
    bad = _find(report, "invalid-ignore-directive", "users")
    assert bad and "no-such-code" in bad[0].message
    # every identifier was quoted: the table named like an injection is still just a table
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT to_regclass('users') IS NOT NULL").fetchone() == (True,)
    # and the SQL offered as a fix runs as written
    run_sql(dsn, (gone.finding.fix or "").splitlines()[0])
    again = run_check(dsn, schema, dev_url=dev_db, skip_data=True)
    assert not [s for s in again.suppressed if s.finding.code == "fk-without-index"]
    doc = to_dict(report)
    assert any(f["table"] == HOSTILE for f in doc["findings"])
    sarif = json.loads(render(report, "sarif"))
    assert any(r.get("suppressions") for r in sarif["runs"][0]["results"])


def test_audit_connections_share_one_snapshot(fresh_db: str) -> None:
    """Audits run on two connections, and both see the database at the same instant."""
    import psycopg

    from compiler.check.run import _helpers

    with psycopg.connect(fresh_db, autocommit=True) as admin:
        admin.execute("create table t (id int)")
        admin.execute("insert into t values (1)")
        conn = connect(fresh_db, read_only=True)
        try:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            with _helpers(conn, fresh_db, 10_000) as helpers:
                assert len(helpers) == 1
                admin.execute("insert into t values (2)")  # after the snapshot was taken
                seen = [c.execute("select count(*) from t").fetchone() for c in
                        (conn, *helpers)]
            assert seen == [(1,), (1,)]
        finally:
            conn.close()


def test_duplicates_counted_and_sampled_in_one_statement(fresh_db: str) -> None:
    """Count and sample of a UNIQUE come from one query: rows sharing a key, NULLs never
    colliding, a partial key counting only its rows, a key column named like the count."""
    from compiler.check.audits import count_and_sample, unique_audit

    with psycopg.connect(fresh_db, autocommit=True) as admin:
        admin.execute("create table t (id int primary key, n int, k text, live bool)")
        admin.execute("insert into t values (1, 1, 'a', true), (2, 1, 'a', false), "
                      "(3, 1, 'a', true), (4, 2, 'b', true), (5, 2, null, true), "
                      "(6, 2, null, true), (7, 3, 'c', true), (8, 3, 'c', true), "
                      "(9, 9, 'z', false), (10, 9, 'z', false)")
    t = ir.Table(name=ir.QName(name="t"), columns=(
        ir.Column(name="id", type="int", nullable=False), ir.Column(name="n", type="int"),
        ir.Column(name="k", type="text"), ir.Column(name="live", type="bool")),
        primary_key=ir.PrimaryKey(name="t_pkey", columns=("id",)))
    cases = [(unique_audit(t, ("n", "k"), rule="UNIQUE (n, k)"),
              (7, ("1", "10", "2", "3", "7"))),
             (unique_audit(t, ("n",), where="live", rule="partial"),
              (7, ("1", "3", "4", "5", "6"))),
             (unique_audit(t, ("id",), rule="primary key"), (0, ())),
             # NULLS NOT DISTINCT: the NULL pair collides; each group's smallest key (as text)
             (unique_audit(t, ("n", "k"), nulls_not_distinct=True, rule="NND"),
              (9, ("1", "10", "5", "7")))]
    with connect(fresh_db) as conn, conn.cursor() as cur:
        for audit, want in cases:
            assert count_and_sample(cur, audit) == want, audit.rule
            assert (audit.sample_sql is None) == (audit.rule != "NND")


def test_an_invalid_index_whose_name_needs_quotes_is_reported_once(
        databases: Make, dev_db: str, tmp_path: Path) -> None:
    (tmp_path / "a.schema").write_text("table t {\n  id serial primary key\n  c  int\n}\n")
    schema, _ = load_schema(tmp_path, use_cache=False)
    dsn = databases()
    run_sql(dsn, ddl(schema))
    run_sql(dsn, "INSERT INTO t (c) VALUES (1), (1)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        run_sql(dsn, 'CREATE UNIQUE INDEX CONCURRENTLY "Odd Idx" ON t (c)')
    report = run_check(dsn, schema, dev_url=dev_db, skip_data=True)
    about = [(f.code, f.object) for f in report.findings if "Odd Idx" in (f.object or "")
             or "Odd Idx" in f.message]
    assert about == [("invalid-index", "Odd Idx")]
