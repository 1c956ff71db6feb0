"""Database connections: the one place schemac opens a psycopg 3 connection.

Contract:
- `connect(dsn, ...)` returns a psycopg connection (autocommit off) whose session is read-only
  unless `read_only=False`, with a statement timeout, an optional lock timeout, and
  `search_path = public`. The IR spells names in `public` unqualified and every other schema
  qualified; `format_type` and `pg_get_expr` follow exactly that rule when `public` is the only
  schema on the path, so introspection depends on this setting.
- Every connection problem (bad DSN, unreachable server, failed authentication, missing
  database or privilege) becomes one `UserError` line naming the DSN with its password masked.
  No psycopg exception and no password ever reaches a user.
- `mask_dsn(dsn)` hides passwords in URL and key=value DSNs; `server_major(conn)` is the
  server's major version (13, 15, 18, ...).
"""

from __future__ import annotations

import re

import psycopg

from compiler.errors import UserError

# URL form: scheme://user:password@host... The password may (wrongly, but people do) hold a
# raw `@`, so the match runs greedily to the last `@`: masking too much beats leaking.
_URL_PASSWORD = re.compile(r"^([a-z][a-z0-9+.-]*://[^:@/?#]*:)(.*)@", re.IGNORECASE | re.DOTALL)
# `password=...` as a key=value pair or a URL query parameter; the value may be quoted with
# backslash escapes in key=value form.
_KV_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&]*)", re.IGNORECASE)

MASK = "***"


def mask_dsn(dsn: str) -> str:
    """`postgresql://u:secret@h/db` -> `postgresql://u:***@h/db`; `password=x` -> `password=***`."""
    masked = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + "@", dsn, count=1)
    return _KV_PASSWORD.sub(lambda m: m.group(1) + MASK, masked)


def _passwords(dsn: str) -> list[str]:
    """Every password-like substring of `dsn`, so error text that echoes it can be scrubbed."""
    found: list[str] = []
    if m := _URL_PASSWORD.match(dsn):
        found.append(m.group(2))
    for m in _KV_PASSWORD.finditer(dsn):
        value = m.group(2)
        found.append(value)
        if value.startswith("'"):
            found.append(value.strip("'"))
    return sorted({p for p in found if p and p != MASK}, key=len, reverse=True)


def _reason(err: BaseException, dsn: str) -> str:
    """libpq's message cut to one readable line, scrubbed of the DSN and its password."""
    text = str(err).strip()
    # libpq sometimes quotes the whole URI back (`... in URI: "postgresql://u:pw@..."`).
    text = text.replace(dsn, mask_dsn(dsn))
    for secret in _passwords(dsn):
        text = text.replace(secret, MASK)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    first = lines[0] if lines else type(err).__name__
    # "connection failed: connection to server at "h", port 5432 failed: Connection refused"
    # -> keep what came after the last "failed:", which is the actual cause.
    for prefix in ("connection failed:", "connection is bad:"):
        first = first.removeprefix(prefix).strip()
    if " failed: " in first:
        first = first.rsplit(" failed: ", 1)[1].strip()
    first = first.removeprefix("FATAL:").strip()
    reason = first[:1].lower() + first[1:] if first[:2] != first[:2].upper() else first
    lowered = reason.lower()
    if "connection refused" in lowered or "no such file or directory" in lowered:
        reason += " (is the server running?)"
    elif "timeout expired" in lowered:
        reason += " (is the host reachable?)"
    return reason


def connect(
    dsn: str,
    *,
    read_only: bool = True,
    statement_timeout_ms: int = 30000,
    lock_timeout_ms: int | None = None,
    application_name: str = "schemac",
) -> psycopg.Connection[tuple[object, ...]]:
    """Open a connection; see the module docstring for the session it sets up."""
    try:
        conn = psycopg.connect(dsn, autocommit=False, application_name=application_name)
    except psycopg.Error as err:
        raise UserError(f"cannot connect to {mask_dsn(dsn)}: {_reason(err, dsn)}") from None
    try:
        with conn.cursor() as cur:
            # Settings go through SET rather than the `options` startup parameter, which
            # poolers such as PgBouncer reject.
            if read_only:
                # `check`, `diff` and `pull` must never write to the database they inspect:
                # every transaction of this session is read-only (it also forbids temp tables).
                cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            cur.execute("SELECT set_config('statement_timeout', %s, false)",
                        (f"{int(statement_timeout_ms)}ms",))
            if lock_timeout_ms is not None:
                cur.execute("SELECT set_config('lock_timeout', %s, false)",
                            (f"{int(lock_timeout_ms)}ms",))
            # The IR writes `public` names unqualified; format_type/pg_get_expr qualify a name
            # exactly when its schema is not on the search_path (pg_catalog always is).
            cur.execute("SELECT set_config('search_path', 'public', false)")
        conn.commit()
    except psycopg.Error as err:
        conn.close()
        raise UserError(f"cannot set up a session on {mask_dsn(dsn)}: {_reason(err, dsn)}") \
            from None
    return conn


def server_major(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    """The server's major version: 150004 -> 15, 180001 -> 18 (numbering since PostgreSQL 10)."""
    return conn.info.server_version // 10000
