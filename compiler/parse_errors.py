"""Syntax errors worded for people: which labelled bad example a failing input resembles.

Contract: `syntax_diagnostic(err, text, path, parse)` turns Lark's `err` for `text` into one
`Diagnostic` with the position, a message and a hint. Lark matches the failing input against
the parser state each example of `SYNTAX_EXAMPLES` fails in, so a message is chosen by what
went wrong, not by which token came next; `parse` is the plain (tree-building) parser the
examples are matched with.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from lark import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.exceptions import UnexpectedEOF

from compiler.errors import Diagnostic, Span

# Labelled bad examples: Lark matches a failing input against the parser state each example
# fails in, so a message is chosen by what went wrong, not by which token came next.
SYNTAX_EXAMPLES: dict[str, tuple[str, list[str]]] = {
    "a column needs a type after its name": (
        "write `<name> <type> [options]`, e.g. `email varchar(255) not null`",
        ["table t {\n  id\n}", "table t {\n  id primary key\n}"],
    ),
    "unclosed table: missing `}`": (
        "every `table name {` needs a closing `}` on its own line",
        ["table t {\n  id int\n", "table t {\n  id int"],
    ),
    "expected `(` and a column list": (
        "indexes and keys list their columns in parentheses: `index idx_t_a (a)`",
        ["table t {\n  id int\n  index idx_t_a a\n}", "table t {\n  primary key id\n}"],
    ),
    "unclosed `(`": (
        "close the list with `)` on the same line",
        ["table t {\n  index idx (name\n}", "table t {\n  primary key (a, b\n}"],
    ),
    "a default needs a value": (
        "write e.g. `default 0`, `default 'x'`, `default now()` or `default (expr)`",
        ["table t {\n  id int default\n}", "table t {\n  id int not null default\n}"],
    ),
    "one column per line": (
        "start a new line for each column; options follow the type on the same line",
        ["table t { id int }", "table t {\n  id int name text\n}",
         "table t {\n  id int primary key name text\n}",
         "table t {\n  id int not null name text\n}"],
    ),
    "a table needs a name and a `{`": (
        "write `table users {` and one column per line",
        ["table {\n}", "table t\n"],
    ),
    "unknown declaration": (
        ("a file holds `table`, `enum`, `domain`, `extension`, `schema`, `sequence`, "
         "`function`, `procedure`, `view`, `materialized view`, `rows` and `section`"),
        ["tabel t {\n}", "create table t (id int);"],
    ),
    "unexpected character": (
        "strings use single quotes ('text'); names with odd characters use double quotes",
        ["table t {\n  id int default @\n}", "table t {\n  id# int\n}"],
    ),
}


def syntax_diagnostic(err: UnexpectedInput, text: str, path: str,
                      parse: Callable[[str], Any]) -> Diagnostic:
    """The diagnostic for a text the plain parser `parse` rejects with `err`."""
    try:
        label = err.match_examples(parse, _examples(), use_accepts=True)
    except TypeError:  # Lark formats a debug message eagerly and fails on some states
        label = err.match_examples(parse, _examples(), use_accepts=False)
    line = getattr(err, "line", 1) or 1
    col = getattr(err, "column", 1) or 1
    at_end = isinstance(err, UnexpectedToken) and err.token.type == "$END"
    if isinstance(err, UnexpectedEOF) or at_end:
        lines = text.splitlines() or [""]
        line, col = len(lines), len(lines[-1]) + 1
    found = _found(err)
    if label is None:
        label = f"unexpected {found}"
        hint = _expected_hint(err)
    else:
        hint = SYNTAX_EXAMPLES[label][0]
        label = f"{label} (found {found})"
    width = 1
    if isinstance(err, UnexpectedToken) and err.token.type not in ("$END", "_NL"):
        width = len(_found(err)) - 2
    return Diagnostic(label, Span(path, line, col, line, col + width), hint)


@functools.cache
def _examples() -> dict[str, list[str]]:
    return {label: ex for label, (_, ex) in SYNTAX_EXAMPLES.items()}


def _found(err: UnexpectedInput) -> str:
    if isinstance(err, UnexpectedCharacters):
        return f"character {err.char!r}"
    if isinstance(err, UnexpectedToken):
        if err.token.type == "$END":
            return "end of file"
        if err.token.type == "_NL":
            return "end of line"
        word = str(err.token).split()[0] if str(err.token).split() else str(err.token)
        return f"{word!r}"
    return "end of file"


def _expected_hint(err: UnexpectedInput) -> str | None:
    expected = getattr(err, "expected", None) or getattr(err, "allowed", None)
    if not expected:
        return None
    words = sorted(_TERMINAL_WORDS.get(t, t.lower()) for t in expected if not t.startswith("__"))
    return "expected one of: " + ", ".join(dict.fromkeys(words))


_TERMINAL_WORDS = {
    "_NL": "end of line", "NAME": "a name", "DQSTRING": "a quoted name or message",
    "STRING": "a 'string'", "LPAR": "`(`", "RPAR": "`)`", "LBRACE": "`{`", "RBRACE": "`}`",
    "COMMA": "`,`", "NUMBER": "a number", "SIGNED_INT": "a number", "DOC": "a /// comment",
    "NOT_NULL": "`not null`",
}
