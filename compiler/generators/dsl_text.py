"""The words and SQL text of the `.schema` printer (`compiler.generators.dsl`): names quoted
as the DSL reads them back, `///` descriptions, types in their short spelling, and SQL text
checked to read back unchanged through the grammar (`probe`), which is also how long
expressions are wrapped and index members written (tables and materialized views share them).
Anything the language cannot write raises a `CompileError` (`fail`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lark.exceptions import LarkError

from compiler import ir, names
from compiler.errors import CompileError, Diagnostic, Span
from compiler.parse import parse_source
from compiler.parsed import grammar_text
from compiler.types import BUILTIN

Key = tuple[Any, ...]  # the IR object a printed line belongs to, e.g. ("column", 0, "id")
MAX_WIDTH = 100  # a one-line enum or member longer than this is broken over lines


@dataclass(slots=True)
class Line:
    """One output line. `start`: comments that precede the object go before this line;
    `owner`: a comment trailing the object goes at its end; `lead_indent`: indentation of
    comments placed before it (a closing `}` takes its members' indentation)."""

    text: str
    indent: int = 0
    start: Key | None = None
    owner: Key | None = None
    lead_indent: int | None = None

    def __str__(self) -> str:
        return " " * self.indent + self.text if self.text else ""


# --- words -----------------------------------------------------------------------------------

PLAIN = re.compile(r"[a-z_][a-z0-9_$]*\Z")


@functools.cache
def keywords() -> frozenset[str]:
    """Every word the grammar spells as a literal: a name equal to one is always quoted, even
    where the contextual lexer would have read it as a name."""
    code = "\n".join(ln for ln in grammar_text().splitlines() if not ln.lstrip().startswith("//"))
    return frozenset(re.findall(r'"([a-z_]+)"', code))


def fail(message: str, span: Span | None = None, hint: str | None = None) -> CompileError:
    return CompileError([Diagnostic(message, span, hint)])


def quote_name(name: str) -> str:
    """A name as the DSL reads it back: bare when plain lower case and not a keyword."""
    if PLAIN.match(name) and name not in keywords():
        return name
    if "\n" in name:
        raise fail(f"the name {name!r} holds a line break: the .schema language cannot write it")
    return '"' + name.replace('"', '""') + '"'


def qname(q: ir.QName) -> str:
    if q.schema == "public":
        return quote_name(q.name)
    return f"{quote_name(q.schema)}.{quote_name(q.name)}"


def column_list(cols: Sequence[str]) -> str:
    return "(" + ", ".join(quote_name(c) for c in cols) + ")"


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quoted_text(text: str, what: str, span: Span | None) -> str:
    if "\n" in text:
        raise fail(f"{what} {text!r} holds a line break: the .schema language cannot write it",
                    span)
    return '"' + text.replace('"', '""') + '"'


def doc_lines(comment: str | None, indent: int, key: Key, span: Span | None) -> list[Line]:
    if comment is None:
        return []
    if "\n" not in comment and comment == comment.strip():  # the usual one-line comment
        return [Line(f"/// {comment}" if comment else "///", indent, start=key)]
    lines = comment.split("\n")
    if any(ln != ln.strip() for ln in lines):
        raise fail(f"the comment {comment!r} has lines with leading or trailing white space, "
                    "which `///` comments cannot keep", span)
    return [Line(f"/// {ln}" if ln else "///", indent, start=key if i == 0 else None)
            for i, ln in enumerate(lines)]


# --- types and SQL text ----------------------------------------------------------------------

_SHORT = {
    "integer": "int", "boolean": "bool", "character varying": "varchar", "character": "char",
    "timestamp with time zone": "timestamptz", "timestamp without time zone": "timestamp",
    "time with time zone": "timetz", "time without time zone": "time", "bit varying": "varbit",
}
_ZONED = re.compile(r"(timestamp|time)(\([^()]*\)) (with|without) time zone")
_ARGS = re.compile(r"(.*?)(\([-+0-9, ]*\))?")


def _short_type(canon: str) -> str:
    t, dims = canon, 0
    while t.endswith("[]"):
        t, dims = t[:-2], dims + 1
    if m := _ZONED.fullmatch(t):
        text = m[1] + ("tz" if m[3] == "with" else "") + m[2]
    else:
        m = _ARGS.fullmatch(t)
        base, args = (m[1], m[2] or "") if m else (t, "")
        if base in BUILTIN:
            text = "char" if t == "character(1)" else _SHORT.get(base, base) + args
        else:
            text = ".".join(quote_name(p) for p in _ident_parts(base)) + args
    return text + "[]" * dims


def _bare(text: str) -> str:
    return re.sub(r'"((?:[^"]|"")*)"', lambda m: m[1].replace('""', '"'), text)


def _ident_parts(text: str) -> list[str]:
    """`app."Mood"` -> ["app", "Mood"] (a user type as parse or `format_type` spells it)."""
    parts = re.findall(r'"((?:[^"]|"")*)"|([^."]+)', text)
    return [q.replace('""', '"') if q else p for q, p in parts]


def type_text(canon: str, span: Span | None) -> str:
    text = _type_text_of(canon)
    if text is None:
        raise fail(f"the type `{canon}` cannot be written in the .schema language", span)
    return text


@functools.lru_cache(maxsize=8192)
def _type_text_of(canon: str) -> str | None:
    """How the DSL writes the type `canon`, or None when it cannot (cached: a schema repeats
    a few dozen types over thousands of columns)."""
    text = _short_type(canon)
    back = probe("type", text)
    # a user type's name may come quoted (`"Mood"`, as `format_type` spells it) or bare
    if back is None or _bare(back) != _bare(canon):
        return None
    return text


def sql_text(kind: str, text: str, span: Span | None) -> str:
    """SQL text as written after `default` (a value), in `(...)`, after `where`, or in a row;
    it must read back unchanged."""
    written = _sql_text_of(kind, text)
    if written is None:
        raise fail(f"the expression `{text}` cannot be written in the .schema language", span,
                    "a `//` outside quotes starts a comment, and parentheses must balance")
    return written


@functools.lru_cache(maxsize=8192)
def _sql_text_of(kind: str, text: str) -> str | None:
    if probe(kind, text) == text:
        return text
    if kind in ("default", "row") and probe(kind, f"({text})") == f"({text})":
        return f"({text})"  # not a single value: PostgreSQL reads the parenthesised form alike
    return None


_PROBES: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "type": ("table t {\n  c %s\n}", lambda p: p.tables[0].columns[0].type),
    "default": ("table t {\n  c int default %s\n}", lambda p: p.tables[0].columns[0].default),
    "paren": ("table t {\n  check (%s)\n}", lambda p: p.tables[0].checks[0].expression),
    "where": ("table t {\n  index (c) where %s\n}", lambda p: p.tables[0].indexes[0].where),
    "row": ("rows t (c) {\n  (%s)\n}", lambda p: p.rows[0].values[0][0]),
}


@functools.lru_cache(maxsize=8192)
def probe(kind: str, text: str) -> str | None:
    """Parse `text` in a minimal context and return what the IR keeps of it."""
    template, pick = _PROBES[kind]
    try:
        return str(pick(parse_source(template % text, "<probe>")))
    except (CompileError, LarkError, LookupError, AttributeError):  # cannot be written so
        return None


def _call_form(expr: str) -> bool:
    """`lower(email)` can stand as an index key without its own parentheses."""
    m = re.match(r"([a-z_][a-z0-9_$]*)\(", expr, re.IGNORECASE)
    if not m or m[1].lower() in keywords() or not expr.endswith(")"):
        return False
    depth, i = 0, m.end() - 1
    while i < len(expr):
        ch = expr[i]
        if ch in "'\"":
            end = expr.find(ch, i + 1)
            while end != -1 and expr[end + 1 : end + 2] == ch:
                end = expr.find(ch, end + 2)
            if end == -1:
                return False
            i = end
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i == len(expr) - 1
        i += 1
    return False


# --- long expressions and index members ----------------------------------------------------


def member_paren(head: str, expr: str, tail: str, span: Span | None) -> str:
    """A member line `head(expr)tail`; past the line width the expression gets lines of its
    own, broken before a top-level `and` / `or` where possible (parse folds the line breaks
    back to the single spaces they replace)."""
    expr = sql_text("paren", expr, span)
    one = f"{head}({expr}){tail}"
    if 2 + len(one) <= MAX_WIDTH or "\n" in one or "--" in expr:
        return one
    lines = _wrap(expr, MAX_WIDTH - 4)
    inner = "".join(f"\n    {ln}" for ln in lines) + "\n  "
    if probe("paren", inner) != expr:
        return one
    return f"{head}({inner}){tail}"


def _spaces(text: str) -> list[tuple[int, int]]:
    """(index, paren depth) of each space outside quotes, quoting the way `squash` does."""
    out: list[tuple[int, int]] = []
    quote: str | None = None
    depth = 0
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "()":
            depth += 1 if ch == "(" else -1
        elif ch == " ":
            out.append((i, depth))
    return out


def _wrap(expr: str, width: int) -> list[str]:
    cuts = [i for i, depth in _spaces(expr)
            if depth == 0 and re.match(r"(?:and|or)\s", expr[i + 1 :], re.IGNORECASE)]
    clauses = [expr[a + 1 : b] for a, b in zip([-1, *cuts], [*cuts, len(expr)], strict=True)]
    packed: list[str] = []
    for clause in clauses:
        if packed and len(packed[-1]) + 1 + len(clause) <= width:
            packed[-1] += " " + clause
        else:
            packed.append(clause)
    lines: list[str] = []
    for line in packed:  # a clause longer than the width: fill words
        while len(line) > width:
            spaces = [i for i, _ in _spaces(line)]
            if not spaces:
                break
            cut = max((i for i in spaces if i <= width), default=spaces[0])
            lines.append(line[:cut])
            line = line[cut + 1 :]
        lines.append(line)
    return lines


def index_text(table: str, x: ir.Index) -> str:
    derived = names.derive(table, *names.element_words(x.elements), "idx")
    text = "unique index" if x.unique else "index"
    if x.name != derived:
        text += f" {quote_name(x.name)}"
    if x.method != ir.IndexMethod.BTREE:
        text += f" using {x.method.value}"
    text += " (" + ", ".join(_element(e, x.span) for e in x.elements) + ")"
    if x.include:
        text += f" include {column_list(x.include)}"
    if x.nulls_not_distinct:
        text += " nulls not distinct"
    if x.where is not None:
        text += " where " + sql_text("where", x.where, x.span)
    return text


def _element(e: ir.IndexElement, span: Span | None) -> str:
    if e.column is not None:
        text = quote_name(e.column)
    else:
        expr = e.expression or ""
        paren = f"({sql_text('paren', expr, span)})"
        text = expr if _call_form(expr) and probe("paren", expr) == expr else paren
    if e.collation is not None:
        text += f" collate {quote_name(e.collation)}"
    if e.opclass is not None:
        text += f" {quote_name(e.opclass)}"
    if e.descending:
        text += " desc"
    if e.nulls_first is not None:
        text += " nulls first" if e.nulls_first else " nulls last"
    return text
