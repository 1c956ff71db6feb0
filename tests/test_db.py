"""compiler.db: password masking, one-line connection errors, and sessions that cannot write."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from compiler.db import connect, mask_dsn, server_major
from compiler.errors import UserError

SECRET = "s3cr3t-Pw"


@pytest.mark.parametrize(("dsn", "masked"), [
    ("postgresql://app:secret@db:5432/prod", "postgresql://app:***@db:5432/prod"),
    ("postgres://app:secret@db/prod?sslmode=require", "postgres://app:***@db/prod?sslmode=require"),
    ("postgresql://:secret@db/prod", "postgresql://:***@db/prod"),
    # an unencoded @ in the password: mask up to the last @, never leak the tail
    ("postgresql://app:p@ss@db/prod", "postgresql://app:***@db/prod"),
    ("postgresql://app@db/prod", "postgresql://app@db/prod"),
    ("postgresql:///prod?host=/tmp", "postgresql:///prod?host=/tmp"),
    ("postgresql://app@db/prod?password=secret&sslmode=require",
     "postgresql://app@db/prod?password=***&sslmode=require"),
    ("host=db user=app password=secret dbname=prod", "host=db user=app password=*** dbname=prod"),
    ("host=db password = secret", "host=db password = ***"),
    ("host=db password='sec ret\\' x' dbname=prod", "host=db password=*** dbname=prod"),
    ("host=db dbname=prod", "host=db dbname=prod"),
])
def test_mask_dsn(dsn: str, masked: str) -> None:
    assert mask_dsn(dsn) == masked
    assert "secret" not in mask_dsn(dsn)


@pytest.mark.parametrize("dsn", [
    # nothing listens on port 1
    f"postgresql://app:{SECRET}@127.0.0.1:1/prod",
    f"host=127.0.0.1 port=1 user=app password={SECRET} dbname=prod connect_timeout=3",
    # no socket in that directory
    f"host=/nonexistent/socket/dir user=app password={SECRET}",
    # libpq rejects these before connecting; one of them echoes the whole URI back
    f"postgresql://app:{SECRET}@[broken/prod",
    f"host=db password={SECRET} no_such_option=1",
])
def test_connection_failures_are_one_masked_line(dsn: str) -> None:
    with pytest.raises(UserError) as info:
        connect(dsn)
    message = str(info.value)
    assert SECRET not in message
    assert "\n" not in message
    assert message.startswith(f"cannot connect to {mask_dsn(dsn)}: ")
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_refused_connection_wording() -> None:
    with pytest.raises(UserError, match=r"connection refused \(is the server running\?\)$"):
        connect(f"postgresql://app:{SECRET}@127.0.0.1:1/prod")


@pytest.mark.db
def test_missing_database(pg_dsn: str) -> None:
    params = conninfo_to_dict(pg_dsn)
    params.update(dbname="schemac_no_such_db", password=SECRET)
    dsn = make_conninfo(**params)
    with pytest.raises(UserError, match='database "schemac_no_such_db" does not exist') as info:
        connect(dsn)
    assert SECRET not in str(info.value)


@pytest.mark.db
def test_read_only_session_cannot_write(fresh_db: str) -> None:
    with connect(fresh_db) as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TABLE t (id int)")
        conn.rollback()
        # a later transaction of the same session is read-only too
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE SCHEMA s")
        conn.rollback()
    with connect(fresh_db, read_only=False) as conn:
        conn.execute("CREATE TABLE t (id int)")
        conn.commit()


@pytest.mark.db
def test_session_settings(fresh_db: str) -> None:
    with connect(fresh_db, statement_timeout_ms=1500, lock_timeout_ms=250,
                 application_name="schemac-test") as conn:
        assert not conn.autocommit
        settings = dict(conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN ('statement_timeout', "
            "'lock_timeout', 'search_path', 'application_name', "
            "'default_transaction_read_only')").fetchall())
        assert settings == {"statement_timeout": "1500", "lock_timeout": "250",
                            "search_path": "public", "application_name": "schemac-test",
                            "default_transaction_read_only": "on"}
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT pg_sleep(5)")
        conn.rollback()
        assert 13 <= server_major(conn) <= 30
