"""Identifier rules: PostgreSQL's 63-byte limit, derived names, and quoting.

All quoting goes through `quote_ident` / `quote_literal`, so a table named
`x"; DROP TABLE users; --` is always an identifier, never SQL.
"""

from __future__ import annotations

import re

from compiler import ir

MAX_IDENTIFIER_BYTES = 63

# PostgreSQL's reserved key words (those that cannot be a column or table name unquoted),
# from the "SQL Key Words" appendix: reserved and reserved-(can be function or type).
RESERVED = frozenset("""
all analyse analyze and any array as asc asymmetric authorization binary both case cast check
collate collation column concurrently constraint create cross current_catalog current_date
current_role current_schema current_time current_timestamp current_user default deferrable desc
distinct do else end except false fetch for foreign freeze from full grant group having ilike in
initially inner intersect into is isnull join lateral leading left like limit localtime
localtimestamp natural not notnull null offset on only or order outer overlaps placing primary
references returning right select session_user similar some symmetric system_user table
tablesample then to trailing true union unique user using variadic verbose when where window with
""".split())

_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")


def quote_ident(name: str) -> str:
    """Quote only where PostgreSQL needs it: upper case, odd characters, reserved words."""
    try:
        return _quoted[name]
    except KeyError:
        pass
    quoted = name if _PLAIN.match(name) and name not in RESERVED else (
        '"' + name.replace('"', '""') + '"')
    if len(_quoted) < 100_000:
        _quoted[name] = quoted
    return quoted


# The DDL of a large schema quotes the same few thousand names hundreds of thousands of
# times (every column, key and index names its columns): each is worked out once. Bounded,
# so that a long-lived process is not made to hold every name it ever saw.
_quoted: dict[str, str] = {}


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def qualified(name: ir.QName) -> str:
    return f"{quote_ident(name.schema)}.{quote_ident(name.name)}"


def display(name: ir.QName) -> str:
    """Short form for SQL and messages: `public` names go unqualified."""
    if name.schema == "public":
        return quote_ident(name.name)
    return qualified(name)


def too_long(name: str) -> bool:
    # an ASCII name is as many bytes as characters (`isascii` is a flag lookup): most names
    # are checked without encoding them
    size = len(name) if name.isascii() else len(name.encode("utf-8"))
    return size > MAX_IDENTIFIER_BYTES


def derive(*parts: str) -> str:
    """A derived name, `<table>_<columns>_<suffix>`, cut to 63 bytes as PostgreSQL would cut it
    (the suffix is kept; the leading parts are shortened)."""
    *head, suffix = parts
    name = "_".join([*head, suffix])
    if not too_long(name):
        return name
    budget = MAX_IDENTIFIER_BYTES - len(suffix.encode()) - 1
    stem = "_".join(head).encode("utf-8")[:budget].decode("utf-8", "ignore")
    return f"{stem}_{suffix}"


def element_words(elements: tuple[ir.IndexElement, ...]) -> list[str]:
    words: list[str] = []
    for e in elements:
        if e.column:
            words.append(e.column)
        else:
            m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(", e.expression or "")
            words.append(m.group(1).lower() if m else "expr")
    return words
