"""Canonical form on a real PostgreSQL: declared expressions take the text the catalog holds,
and the dev database's answers are remembered on disk, so a warm run needs no dev database."""

from __future__ import annotations

import uuid
from pathlib import Path

import pgserver
import pytest

from compiler import ir
from compiler.build import ddl
from compiler.canonical import canonicalize
from compiler.db import connect
from compiler.errors import UserError
from compiler.introspect import introspect
from compiler.load import load_schema

pytestmark = pytest.mark.db

SCHEMA = """
table invoices {
  id       bigint primary key
  amount   numeric(12, 2) not null default 0 check (amount >= 0)
  status   varchar(20) not null default 'draft'
  due      date check (due > '2000-01-01')
  index invoices_open (due) where status <> 'paid'
  index invoices_lower (lower(status))
}
"""
UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"


def _load(tmp_path: Path, text: str) -> ir.Schema:
    (tmp_path / "s").mkdir(exist_ok=True)
    (tmp_path / "s" / "x.schema").write_text(text)
    return load_schema(tmp_path / "s", use_cache=False)[0]


def test_warm_cache_needs_no_dev_database(tmp_path: Path, pg_dsn: str, pg_major: int,
                                          fresh_db: str, psql_path: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEMAC_CACHE_DIR", str(tmp_path / "cache"))
    schema = _load(tmp_path, SCHEMA)
    (tmp_path / "schema.sql").write_text(ddl(schema))
    pgserver.apply_sql_file(psql_path, fresh_db, tmp_path / "schema.sql")
    with connect(fresh_db) as conn:
        live = introspect(conn, ["public"])
    assert live.tables != schema.tables  # the catalog spells the expressions its own way

    name = f"schemac_dev_{uuid.uuid4().hex[:8]}"
    dev = pgserver.create_database(pg_dsn, name)
    try:
        cold = canonicalize(schema, live, dev_url=dev, major=pg_major)
    finally:
        pgserver.drop_database(pg_dsn, name)
    assert cold.tables == live.tables

    # the answers were kept: the same schema is canonical without any dev database
    assert canonicalize(schema, live, dev_url=UNREACHABLE, major=pg_major) == cold
    # an edited expression is a new question, which needs the dev database again
    edited = _load(tmp_path, SCHEMA.replace("amount >= 0", "amount >= 1"))
    with pytest.raises(UserError):
        canonicalize(edited, live, dev_url=UNREACHABLE, major=pg_major)


def test_tables_are_asked_a_few_hundred_per_transaction(tmp_path: Path, pg_dsn: str,
                                                        pg_major: int, fresh_db: str,
                                                        psql_path: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A large schema is canonicalised in several dev-database transactions (each created
    table holds locks until its transaction ends); a table asked about in another
    transaction than the one it inherits from still gets its parent, and the answers are the
    same."""
    import compiler.canonical as canonical

    monkeypatch.setenv("SCHEMAC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(canonical, "_TABLES_PER_TRANSACTION", 2)
    text = SCHEMA + "".join(
        f"table t{i} {{\n  id int primary key\n  n numeric default 1 check (n >= 0)\n}}\n"
        for i in range(3)) + (
        "table events partition by range (at) {\n  at date not null\n"
        "  kind text default 'x' check (kind <> '')\n}\n"
        "table events_2024 partition of events for values from ('2024-01-01') "
        "to ('2025-01-01') {\n}\n"
        "table a_base {\n  at date default current_date check (at > '2000-01-01')\n}\n"
        "table zz_child inherits (a_base) {\n  note text default 'y' check (note <> '')\n}\n")
    schema = _load(tmp_path, text)
    (tmp_path / "schema.sql").write_text(ddl(schema))
    pgserver.apply_sql_file(psql_path, fresh_db, tmp_path / "schema.sql")
    with connect(fresh_db) as conn:
        live = introspect(conn, ["public"])
    name = f"schemac_dev_{uuid.uuid4().hex[:8]}"
    dev = pgserver.create_database(pg_dsn, name)
    try:
        assert canonicalize(schema, live, dev_url=dev, major=pg_major).tables == live.tables
    finally:
        pgserver.drop_database(pg_dsn, name)
