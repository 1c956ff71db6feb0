"""Text rules for the objects kept as PostgreSQL's own SQL: views, functions, triggers; and
sequence defaults.

Contract (pure functions, no database):
- `sql_body(token)` / `dollar_quote(text)`: a `$tag$ ... $tag$` block of the language <-> its
  text (one line break after the opening and before the closing delimiter belongs to the
  block, not to the text);
- `trigger_definition(...)` builds the `CREATE TRIGGER` statement a table member stands for,
  and `trigger_member(trigger)` reads one back into the member's words;
- `names_read(sql, candidates)`: which of `candidates` a query mentions (a conservative scan
  over identifiers outside string literals), used to order views among themselves and to find
  the views a table change must drop and recreate;
- `sequence_defaults(...)`: PostgreSQL's defaults for CREATE SEQUENCE options.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from compiler import ir
from compiler.names import display, quote_ident

_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def sql_body(token: str) -> str:
    m = _TAG.match(token)
    assert m is not None
    inner = token[m.end():len(token) - len(m.group(0))]
    if inner.startswith("\n"):
        inner = inner[1:]
    elif inner.startswith("\r\n"):
        inner = inner[2:]
    return inner.removesuffix("\n")


def dollar_quote(text: str) -> str:
    """A block holding `text` exactly: `$$` unless the text holds it, then `$sql$`, `$sql1$`."""
    tag = ""
    n = 0
    while f"${tag}$" in text:
        tag = "sql" if n == 0 else f"sql{n}"
        n += 1
    return f"${tag}$\n{text}\n${tag}$"


# -- triggers ---------------------------------------------------------------------------------

# Clauses that may follow a trigger's events, in pg_get_triggerdef's order: `ON table` goes
# before the first of them.
_AFTER_EVENTS = re.compile(
    r"\b(from|not\s+deferrable|deferrable|initially|referencing|for|when|execute)\b",
    re.IGNORECASE)


def _mask(text: str) -> str:
    """`text` with everything inside quotes and parentheses blanked (same length), so that
    a keyword search sees only the top level."""
    out = []
    depth = 0
    quote: str | None = None
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
            out.append(" ")
        elif ch in "'\"":
            quote = ch
            out.append(" ")
        elif ch == "(":
            depth += 1
            out.append(" ")
        elif ch == ")":
            depth -= 1
            out.append(" ")
        else:
            out.append(" " if depth else ch)
    return "".join(out)


def trigger_definition(table: ir.QName, name: str, timing: str, clause: str,
                       constraint: bool = False) -> str:
    """`trigger name before update for each row execute function f()` on `table` ->
    `CREATE TRIGGER name before update ON table for each row execute function f()`."""
    clause = clause.strip()
    m = _AFTER_EVENTS.search(_mask(clause))
    cut = m.start() if m else len(clause)
    events, rest = clause[:cut].strip(), clause[cut:].strip()
    head = "CREATE CONSTRAINT TRIGGER" if constraint else "CREATE TRIGGER"
    text = f"{head} {quote_ident(name)} {timing} {events} ON {display(table)}"
    return f"{text} {rest}" if rest else text


def trigger_member(t: ir.Trigger) -> tuple[bool, str, str] | None:
    """(constraint, timing, clause) of a trigger's definition, or None when it does not read
    back the way `trigger_definition` writes it (then the member cannot say it)."""
    # the name as quote_ident writes it: a quoted one may hold spaces and doubled quotes
    m = re.match(r'CREATE (CONSTRAINT )?TRIGGER ("(?:[^"]|"")*"|\S+) (BEFORE|AFTER|INSTEAD OF) '
                 r"(.*)\Z", t.definition, re.DOTALL)
    if m is None or m.group(2) != quote_ident(t.name):
        return None
    on = f" ON {display(t.table)}"
    rest = m.group(4)
    idx = rest.find(on + " ")
    if idx < 0:
        return None
    clause = (rest[:idx] + rest[idx + len(on):]).strip()
    constraint, timing = bool(m.group(1)), m.group(3)
    if trigger_definition(t.table, t.name, timing, clause, constraint) != t.definition:
        return None
    return constraint, timing, clause


# -- names a query reads ----------------------------------------------------------------------

_WORD = re.compile(r"'(?:[^']|'')*'|\"((?:[^\"]|\"\")+)\"|([A-Za-z_][A-Za-z0-9_$]*)")


def _words(sql: str) -> set[str]:
    out: set[str] = set()
    for m in _WORD.finditer(sql):
        if m.group(1) is not None:
            out.add(m.group(1).replace('""', '"'))
        elif m.group(2) is not None:
            out.add(m.group(2).lower())
    return out


def names_read(sql: str, candidates: Iterable[ir.QName]) -> tuple[ir.QName, ...]:
    """The candidates whose (unqualified) name appears as a word in `sql`: a superset of what
    the query reads, which is what ordering and recreation need (an extra edge only orders or
    rebuilds a view that did not need it)."""
    words = _words(sql)
    return tuple(sorted(q for q in candidates if q.name in words))


# -- sequences --------------------------------------------------------------------------------

SEQUENCE_LIMITS = {"smallint": 32767, "integer": 2147483647, "bigint": 9223372036854775807}


def sequence_defaults(type_: str, increment: int) -> tuple[int, int]:
    """(minvalue, maxvalue) PostgreSQL picks when the options are left out."""
    top = SEQUENCE_LIMITS.get(type_, SEQUENCE_LIMITS["bigint"])
    return (1, top) if increment > 0 else (-top - 1, -1)
