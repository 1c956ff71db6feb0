"""The canonical `.schema` printer: IR -> text (used by `fmt` and `pull`).

Contract: `render_dsl(content)` prints a parsed file (`compiler.parse.ParsedFile`) or a whole
`ir.Schema` in the one canonical layout, and parsing the text gives back the same IR for every
`content` that `parse` (or the compiler) produced — including the fields equality ignores
(comments, sections, expectations, deprecations, renames, rows, `Check.derived_name`) and the
order of tables, columns, enum values, expectations and rows. Only the order of a table's
uniques, foreign keys and checks may change, and only where keeping it would push a
single-column constraint off its column: the compiler sorts those lists by name anyway.
Rendering is idempotent. What the language cannot say (a line break in a
name or message) raises a `CompileError`; nothing is dropped silently.

Layout: extensions, schemas, enums, domains, sequences, functions, then tables (a `section`
line whenever the section changes; the first one goes before the enums), then views, then
rows (`compiler.generators.dsl_objects` prints the objects kept as SQL text). In a table: one
column per line,
names and types aligned, its expectations on the lines after it; then table-level constraints,
table-wide expectations and indexes, each group after a blank line. A single-column key or
check whose name is the derived default (`compiler.names.derive`) is written on its column;
any other name is written out. Long predicates wrap inside their parentheses.

`layout()` is the same printer returning lines tagged with the IR object they belong to;
`compiler.fmt` uses the tags to put the user's `//` comments back.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from lark.exceptions import LarkError

from compiler import ir, names
from compiler.errors import CompileError, Diagnostic, Span
from compiler.generators.dsl_objects import (
    exclusion_text,
    function_lines,
    policy_text,
    sequence_line,
    table_kind,
    trigger_text,
    view_lines,
)
from compiler.parse import parse_source
from compiler.parsed import grammar_text
from compiler.types import BUILTIN

Key = tuple[Any, ...]  # the IR object a printed line belongs to, e.g. ("column", 0, "id")
_T = TypeVar("_T")
_MAX_WIDTH = 100  # a one-line enum longer than this is written one value per line


class DslContent(Protocol):
    """What `render_dsl` reads: a `ParsedFile` and an `ir.Schema` both fit."""

    @property
    def namespaces(self) -> Sequence[ir.Namespace]: ...
    @property
    def extensions(self) -> Sequence[ir.Extension]: ...
    @property
    def enums(self) -> Sequence[ir.Enum]: ...
    @property
    def domains(self) -> Sequence[ir.Domain]: ...
    @property
    def tables(self) -> Sequence[ir.Table]: ...
    @property
    def rows(self) -> Sequence[ir.Rows]: ...
    # also read when present: sequences, functions, views, triggers
    @property
    def sections(self) -> Sequence[str]: ...


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


def render_dsl(content: DslContent, *, keep_order: bool | None = None) -> str:
    """Print `content` as canonical `.schema` text.

    `keep_order` (default: True, unless `content` is an `ir.Schema`) keeps each table's
    uniques, foreign keys and checks in list order where that costs nothing, and honours
    `Check.derived_name`; False regroups them to put as many as possible on their columns
    (their order means nothing to the compiler) and leaves a check unnamed whenever parse
    would derive its name."""
    return join_lines(layout(content, keep_order=keep_order))


def join_lines(lines: Sequence[Line | str]) -> str:
    # `str(line)` spelt out: this runs once per printed line (~170k for 5,000 tables)
    return "".join([f"{' ' * line.indent}{line.text}\n" if type(line) is Line and line.text
                    else f"{line}\n" for line in lines])


def layout(content: DslContent, *, keep_order: bool | None = None,
           expand_enums: Container[int] = ()) -> list[Line]:
    """`render_dsl` as tagged lines; enums whose index is in `expand_enums` are written one
    value per line whatever their length."""
    if keep_order is None:
        keep_order = not isinstance(content, ir.Schema)
    head, tables = _tables(content, keep_order)
    blocks: list[list[Line]] = []
    if content.extensions:
        blocks.append([_extension(i, e) for i, e in enumerate(content.extensions)])
    if content.namespaces:
        blocks.append([ln for i, n in enumerate(content.namespaces) for ln in _namespace(i, n)])
    blocks += head
    blocks += [_enum(i, e, i in expand_enums) for i, e in enumerate(content.enums)]
    blocks += [_domain(i, d, keep_order) for i, d in enumerate(content.domains)]
    blocks += [sequence_line(i, q, _doc, _qname, quote_name, _type, Line)
               for i, q in enumerate(getattr(content, "sequences", ()))]
    blocks += [function_lines(i, f, _doc, _qname, Line)
               for i, f in enumerate(getattr(content, "functions", ()))]
    blocks += tables
    blocks += [view_lines(i, v, _doc, _qname, _index, Line)
               for i, v in enumerate(getattr(content, "views", ()))]
    blocks += [_rows(i, r) for i, r in enumerate(content.rows)]
    out: list[Line] = []
    for block in blocks:
        if out:
            out.append(Line(""))
        out += block
    return out


# --- words -----------------------------------------------------------------------------------

_PLAIN = re.compile(r"[a-z_][a-z0-9_$]*\Z")


@functools.cache
def keywords() -> frozenset[str]:
    """Every word the grammar spells as a literal: a name equal to one is always quoted, even
    where the contextual lexer would have read it as a name."""
    code = "\n".join(ln for ln in grammar_text().splitlines() if not ln.lstrip().startswith("//"))
    return frozenset(re.findall(r'"([a-z_]+)"', code))


def _fail(message: str, span: Span | None = None, hint: str | None = None) -> CompileError:
    return CompileError([Diagnostic(message, span, hint)])


def quote_name(name: str) -> str:
    """A name as the DSL reads it back: bare when plain lower case and not a keyword."""
    if _PLAIN.match(name) and name not in keywords():
        return name
    if "\n" in name:
        raise _fail(f"the name {name!r} holds a line break: the .schema language cannot write it")
    return '"' + name.replace('"', '""') + '"'


def _qname(q: ir.QName) -> str:
    if q.schema == "public":
        return quote_name(q.name)
    return f"{quote_name(q.schema)}.{quote_name(q.name)}"


def _names(cols: Sequence[str]) -> str:
    return "(" + ", ".join(quote_name(c) for c in cols) + ")"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _dq(text: str, what: str, span: Span | None) -> str:
    if "\n" in text:
        raise _fail(f"{what} {text!r} holds a line break: the .schema language cannot write it",
                    span)
    return '"' + text.replace('"', '""') + '"'


def _doc(comment: str | None, indent: int, key: Key, span: Span | None) -> list[Line]:
    if comment is None:
        return []
    if "\n" not in comment and comment == comment.strip():  # the usual one-line comment
        return [Line(f"/// {comment}" if comment else "///", indent, start=key)]
    lines = comment.split("\n")
    if any(ln != ln.strip() for ln in lines):
        raise _fail(f"the comment {comment!r} has lines with leading or trailing white space, "
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


def _bare(type_text: str) -> str:
    return re.sub(r'"((?:[^"]|"")*)"', lambda m: m[1].replace('""', '"'), type_text)


def _ident_parts(text: str) -> list[str]:
    """`app."Mood"` -> ["app", "Mood"] (a user type as parse or `format_type` spells it)."""
    parts = re.findall(r'"((?:[^"]|"")*)"|([^."]+)', text)
    return [q.replace('""', '"') if q else p for q, p in parts]


def _type(canon: str, span: Span | None) -> str:
    text = _type_text_of(canon)
    if text is None:
        raise _fail(f"the type `{canon}` cannot be written in the .schema language", span)
    return text


@functools.lru_cache(maxsize=8192)
def _type_text_of(canon: str) -> str | None:
    """How the DSL writes the type `canon`, or None when it cannot (cached: a schema repeats
    a few dozen types over thousands of columns)."""
    text = _short_type(canon)
    back = _probe("type", text)
    # a user type's name may come quoted (`"Mood"`, as `format_type` spells it) or bare
    if back is None or _bare(back) != _bare(canon):
        return None
    return text


def _sql(kind: str, text: str, span: Span | None) -> str:
    """SQL text as written after `default` (a value), in `(...)`, after `where`, or in a row;
    it must read back unchanged."""
    written = _sql_text_of(kind, text)
    if written is None:
        raise _fail(f"the expression `{text}` cannot be written in the .schema language", span,
                    "a `//` outside quotes starts a comment, and parentheses must balance")
    return written


@functools.lru_cache(maxsize=8192)
def _sql_text_of(kind: str, text: str) -> str | None:
    if _probe(kind, text) == text:
        return text
    if kind in ("default", "row") and _probe(kind, f"({text})") == f"({text})":
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
def _probe(kind: str, text: str) -> str | None:
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


# --- top-level declarations ------------------------------------------------------------------


def _extension(i: int, e: ir.Extension) -> Line:
    text = f"extension {quote_name(e.name)}"
    if e.schema is not None:
        text += f" schema {quote_name(e.schema)}"
    return Line(text, start=("extension", i), owner=("extension", i))


def _namespace(i: int, n: ir.Namespace) -> list[Line]:
    key = ("schema", i)
    head = Line(f"schema {quote_name(n.name)}", owner=key)
    lines = [*_doc(n.comment, 0, key, n.span), head]
    lines[0].start = key
    return lines


def _enum_value(v: str) -> str:
    return v if _PLAIN.match(v) and v not in keywords() else _literal(v)


def _enum(i: int, e: ir.Enum, expand: bool) -> list[Line]:
    key = ("enum", i)
    values = [_enum_value(v) for v in e.values]
    head = f"enum {_qname(e.name)} {{"
    one = f"{head} {', '.join(values)} }}" if values else f"{head}}}"
    if not expand and len(one) <= _MAX_WIDTH and "\n" not in one:
        body = [Line(one, owner=key)]
    else:
        body = [Line(head, owner=key)]
        body += [Line(f"{v},", 2, start=("enum_value", i, k), owner=("enum_value", i, k))
                 for k, v in enumerate(values)]
        body.append(Line("}", start=("enum_end", i), owner=("enum_end", i), lead_indent=2))
    lines = [*_doc(e.comment, 0, key, e.span), *body]
    lines[0].start = key
    return lines


def _domain(i: int, d: ir.Domain, keep_order: bool) -> list[Line]:
    key = ("domain", i)
    parts = [f"domain {_qname(d.name)} {_type(d.type, d.span)}"]
    if not d.nullable:
        parts.append("not null")
    if d.default is not None:
        parts.append("default " + _sql("default", d.default, d.span))
    derived = names.derive(d.name.name, "check")
    for c in d.checks:
        unnamed = c.name == derived and (c.derived_name or not keep_order)
        parts.append(_check_text(c, None if unnamed else c.name))
    lines = [*_doc(d.comment, 0, key, d.span), Line(" ".join(parts), owner=key)]
    lines[0].start = key
    return lines


def _rows(i: int, r: ir.Rows) -> list[Line]:
    key = ("rows", i)
    values = [[_sql("row", v, r.span) for v in row] for row in r.values]
    widths: dict[int, int] = {}
    for row in values:
        for k, v in enumerate(row[:-1]):
            widths[k] = max(widths.get(k, 0), len(v) + 1)
    lines = [Line(f"rows {_qname(r.table)} {_names(r.columns)} {{", start=key, owner=key)]
    for k, row in enumerate(values):
        cells = [f"{v},".ljust(widths[j]) for j, v in enumerate(row[:-1])] + row[-1:]
        lines.append(Line(f"({' '.join(cells)})", 2, start=("row", i, k), owner=("row", i, k)))
    lines.append(Line("}", start=("rows_end", i), owner=("rows_end", i), lead_indent=2))
    return lines


def _tables(content: DslContent, keep_order: bool) -> tuple[list[list[Line]], list[list[Line]]]:
    """(blocks to print before the enums, table blocks). The first table's `section` line, and
    any empty ones declared before it, come before the enums and domains: a section groups
    tables only, and a file per section usually declares its types under that line."""
    declared = list(dict.fromkeys([*content.sections,
                                   *(t.section for t in content.tables if t.section)]))
    order = list(enumerate(content.tables))
    if not keep_order:  # group by section; a table outside every section comes first
        order.sort(key=lambda it: -1 if it[1].section is None else declared.index(it[1].section))
    head: list[list[Line]] = []
    blocks: list[list[Line]] = []
    printed: dict[str, int] = {}
    triggers: dict[ir.QName, list[ir.Trigger]] = {}
    for tg in getattr(content, "triggers", ()):
        triggers.setdefault(tg.table, []).append(tg)
    policies: dict[ir.QName, list[ir.Policy]] = {}
    for p in getattr(content, "policies", ()):
        policies.setdefault(p.table, []).append(p)

    def section(name: str, into: list[list[Line]]) -> None:
        key = ("section", name, printed.get(name, 0))
        printed[name] = printed.get(name, 0) + 1
        into.append([Line(f"section {_dq(name, 'the section name', None)}", start=key,
                          owner=key)])

    current = order[0][1].section if order else None
    for s in declared[: declared.index(current) + 1] if current is not None else ():
        section(s, head)
    for i, t in order:
        if t.section != current:
            if t.section is None:
                raise _fail(f"table {t.name} follows a `section` line but belongs to no section",
                            t.span, "a `section` line holds until the end of the file")
            if t.section not in printed:  # sections declared but left empty stay in order
                for s in declared[: declared.index(t.section)]:
                    if s not in printed:
                        section(s, blocks)
            section(t.section, blocks)
            current = t.section
        blocks.append(_table(i, t, keep_order, triggers.get(t.name, []),
                             policies.get(t.name, [])))
    for s in declared:
        if s not in printed:
            section(s, head if not order else blocks)
    return head, blocks


# --- tables ----------------------------------------------------------------------------------


def _inline_prefix(items: Sequence[_T], column_of: Callable[[_T], int | None],
                   strict: bool = True) -> int:
    """How many leading `items` can be written on their columns without reordering the list:
    each must belong to a column, in column order."""
    last = -1
    for n, item in enumerate(items):
        pos = column_of(item)
        if pos is None or pos < last or (strict and pos == last):
            return n
        last = pos
    return len(items)


def _regroup(items: Sequence[_T], column_of: Callable[[_T], int | None],
             name: Callable[[_T], str]) -> list[_T]:
    """Schema mode: the inline-able items first, by column (then name), then the rest."""
    inline = [x for x in items if column_of(x) is not None]
    rest = [x for x in items if column_of(x) is None]

    def natural(x: _T) -> tuple[int, str, int]:
        m = re.fullmatch(r"(.*?)(\d*)", name(x))
        assert m is not None
        return column_of(x) or 0, m[1], int(m[2] or -1)

    return sorted(inline, key=natural) + rest


def _check_text(c: ir.Check, name: str | None) -> str:
    named = f" {quote_name(name)}" if name is not None else ""
    return f"check{named} ({_sql('paren', c.expression, c.span)})"


def _fk_options(fk: ir.ForeignKey) -> str:
    text = ""
    if fk.on_delete != ir.FkAction.NO_ACTION:
        text += f" on delete {fk.on_delete.value}"
        if fk.on_delete_columns:
            text += f" ({', '.join(quote_name(c) for c in fk.on_delete_columns)})"
    if fk.on_update != ir.FkAction.NO_ACTION:
        text += f" on update {fk.on_update.value}"
    return text + _deferrable(fk.deferrable, fk.initially_deferred, fk.name, fk.span)


def _deferrable(deferrable: bool, deferred: bool, name: str, span: Span | None) -> str:
    if deferred and not deferrable:
        raise _fail(f"constraint {name} is initially deferred but not deferrable", span)
    return " deferrable initially deferred" if deferred else " deferrable" if deferrable else ""


def _plan_checks(t: ir.Table, column_of: Callable[[ir.Check], int | None], keep_order: bool
                 ) -> tuple[list[ir.Check], int, list[str | None]]:
    """(checks in print order, how many go inline, the name to print for each or None).

    Where list order would push a derived check to table level, where it could only keep its
    name by spelling it out (losing `derived_name`), the checks are regrouped instead: their
    order means nothing to the compiler, which sorts them by name."""
    checks = list(t.checks)
    if not keep_order:
        checks = _regroup(checks, column_of, lambda x: x.name)
    n_inline, printed = _name_checks(t, checks, column_of, keep_order)
    if keep_order and any(c.derived_name and p is not None
                          for c, p in zip(checks, printed, strict=True)):
        checks = _regroup(checks, column_of, lambda x: x.name)
        n_inline, printed = _name_checks(t, checks, column_of, keep_order)
    return checks, n_inline, printed


def _name_checks(t: ir.Table, checks: list[ir.Check], column_of: Callable[[ir.Check], int | None],
                 keep_order: bool) -> tuple[int, list[str | None]]:
    """Parse names an unnamed check in reading order (`<t>_<col>_check` inline, `<t>_check` at
    table level, a counter on clashes): simulate it, and spell out every other name."""
    n_inline = _inline_prefix(checks, column_of, strict=False)
    seen: list[str] = []
    printed: list[str | None] = []
    for k, c in enumerate(checks):
        col = column_of(c) if k < n_inline else None
        base = names.derive(t.name.name, *([t.columns[col].name] if col is not None else []),
                            "check")
        name, n = base, 0
        while name in seen:
            n += 1
            name = f"{base}{n}"
        seen.append(c.name)
        printed.append(None if name == c.name and (c.derived_name or not keep_order) else c.name)
    return n_inline, printed


@dataclass(slots=True)
class _Placement:
    """Which constraints of a table go on their column, and how each check is named."""

    pos: dict[str, int]  # column name -> position
    pk_col: int | None
    uniques: list[ir.Unique]
    n_uniques: int  # the first n go inline
    fks: list[ir.ForeignKey]
    n_fks: int
    checks: list[ir.Check]
    n_checks: int
    check_names: list[str | None]  # None: left for parse to derive
    check_col: Callable[[ir.Check], int | None]


def _place(t: ir.Table, keep_order: bool) -> _Placement:
    tname = t.name.name
    pos = {c.name: n for n, c in enumerate(t.columns)}

    def single(cols: tuple[str, ...], name: str, suffix: str) -> int | None:
        if len(cols) == 1 and cols[0] in pos and name == names.derive(tname, cols[0], suffix):
            return pos[cols[0]]
        return None

    def unique_of(u: ir.Unique) -> int | None:  # `unique` on a column cannot say deferrable
        return None if u.deferrable or u.initially_deferred else single(u.columns, u.name, "key")

    def fk_of(f: ir.ForeignKey) -> int | None:
        return single(f.columns, f.name, "fkey")

    # Each is asked several times per constraint (regrouping, sort keys, inline prefixes,
    # naming): the answers are kept per object.
    unique_col = _memo(unique_of)
    fk_col = _memo(fk_of)
    check_col = _memo(_check_column(t, pos))

    uniques, fks = list(t.uniques), list(t.foreign_keys)
    if not keep_order:
        uniques = _regroup(uniques, unique_col, lambda x: x.name)
        fks = _regroup(fks, fk_col, lambda x: x.name)
    checks, n_checks, check_names = _plan_checks(t, check_col, keep_order)
    pk, pk_col = t.primary_key, None
    if pk is not None and len(pk.columns) == 1 and pk.name == names.derive(tname, "pkey"):
        col = t.column(pk.columns[0])  # inline `primary key` makes its column NOT NULL
        pk_col = pos[col.name] if col is not None and not col.nullable else None
    return _Placement(pos, pk_col, uniques, _inline_prefix(uniques, unique_col), fks,
                      _inline_prefix(fks, fk_col), checks, n_checks, check_names, check_col)


def _memo(fn: Callable[[_T], int | None]) -> Callable[[_T], int | None]:
    """`fn` answering once per object (by identity: the objects outlive the table's layout)."""
    seen: dict[int, int | None] = {}

    def cached(x: _T) -> int | None:
        key = id(x)
        if key not in seen:
            seen[key] = fn(x)
        return seen[key]

    return cached


def _check_column(t: ir.Table, pos: dict[str, int]) -> Callable[[ir.Check], int | None]:
    """The column a check is named after: the first column whose derived check name is the
    check's name, or that name followed by a decimal counter (parse numbers clashes)."""
    first: dict[str, int] = {}
    for col in t.columns if t.checks else ():
        first.setdefault(names.derive(t.name.name, col.name, "check"), pos[col.name])

    def column_of(c: ir.Check) -> int | None:
        name = c.name
        found = first.get(name)
        end = len(name)
        while end > 0 and name[end - 1].isdecimal():  # a base plus a counter
            end -= 1
            p = first.get(name[:end])
            if p is not None and (found is None or p < found):
                found = p
        return found

    return column_of


def _member(text: str, key: Key) -> Line:
    return Line(text, 2, start=key, owner=key)


def _table(ti: int, t: ir.Table, keep_order: bool, triggers: Sequence[ir.Trigger] = (),
           policies: Sequence[ir.Policy] = ()) -> list[Line]:
    pl = _place(t, keep_order)
    inline: dict[int, list[str]] = {n: [] for n in range(len(t.columns))}
    if pl.pk_col is not None:
        inline[pl.pk_col].append("primary key")
    for u in pl.uniques[: pl.n_uniques]:
        inline[pl.pos[u.columns[0]]].append(
            "unique nulls not distinct" if u.nulls_not_distinct else "unique")
    for f in pl.fks[: pl.n_fks]:
        inline[pl.pos[f.columns[0]]].append(f"references {_reference(f)}")
    for c, cname in zip(pl.checks[: pl.n_checks], pl.check_names, strict=False):
        p = pl.check_col(c)
        assert p is not None
        inline[p].append(_check_text(c, cname))

    slots = _expect_slots(t, pl.pos)

    def expects(slot: int | str) -> list[Line]:
        return [_member(_expect(t.expectations[k]), ("expect", ti, k)) for k in slots.get(slot, [])]

    heads = [(quote_name(c.name), _type_text(c)) for c in t.columns]
    opts = [" ".join(_column_options(c, inline[n], pl.pk_col == n))
            for n, c in enumerate(t.columns)]
    w_name = max((len(h[0]) for h in heads), default=0)
    w_type = max((len(h[1]) for h, o in zip(heads, opts, strict=True) if o), default=0)
    body = expects("start")
    for n, col in enumerate(t.columns):
        ckey: Key = ("column", ti, col.name)
        text = f"{heads[n][0].ljust(w_name)} {heads[n][1]}"
        if opts[n]:
            text = f"{heads[n][0].ljust(w_name)} {heads[n][1].ljust(w_type)} {opts[n]}"
        block = [*_doc(col.comment, 2, ckey, col.span), Line(text, 2, owner=ckey)]
        block[0].start = ckey
        body += block + expects(n)

    key: Key = ("table", ti)
    renamed = f" renamed from {quote_name(t.renamed_from)}" if t.renamed_from else ""
    unlogged = "unlogged " if t.unlogged else ""
    header = Line(f"{unlogged}table {_qname(t.name)}{renamed}{table_kind(t, _qname)} {{",
                  owner=key)
    lines = [*_doc(t.comment, 0, key, t.span), header]
    lines[0].start = key
    lines += body
    indexes = [ln for x in t.indexes for ln in (
        *_doc(x.comment, 2, ("index", ti, x.name), x.span),
        _member(_index(t.name.name, x), ("index", ti, x.name)))]
    trigger_lines = []
    for tg in triggers:
        tkey: Key = ("trigger", ti, tg.name)
        block = [*_doc(tg.comment, 2, tkey, tg.span), _member(trigger_text(tg), tkey)]
        block[0].start = tkey
        trigger_lines += block
    security = [_member(text, ("rls", ti, text)) for text, on in (
        ("enable row level security", t.row_security),
        ("force row level security", t.force_row_security)) if on]
    security += [_member(policy_text(p, quote_name, _member_paren), ("policy", ti, p.name))
                 for p in policies]
    for group in (_table_constraints(ti, t, pl), expects("end"), indexes, trigger_lines,
                  security):
        if group:  # one blank line between columns, constraints, expectations and indexes
            lines += [Line(""), *group] if lines[-1] is not header else group
    lines.append(Line("}", start=("table_end", ti), owner=("table_end", ti), lead_indent=2))
    return lines


def _expect_slots(t: ir.Table, pos: dict[str, int]) -> dict[int | str, list[int]]:
    """Where each expectation is printed: after its column (slot = column position), or for a
    table-wide one, where it keeps its place in the list ("start", a column, or "end")."""
    slots: dict[int | str, list[int]] = {}
    last: int | str = "start"
    slot: int | str
    for k, e in enumerate(t.expectations):
        if e.column is not None:
            if e.column not in pos:
                raise _fail(f"an expectation names column {e.column}, which table {t.name} "
                            "does not have", e.span)
            slot = last = pos[e.column]
        elif any(x.column is not None for x in t.expectations[k + 1 :]):
            slot = last
        else:
            slot = "end"
        slots.setdefault(slot, []).append(k)
    return slots


def _table_constraints(ti: int, t: ir.Table, pl: _Placement) -> list[Line]:
    tname = t.name.name

    def named(name: str, derived: str) -> str:
        return "" if name == derived else f" {quote_name(name)}"

    out: list[Line] = []
    pk = t.primary_key
    if pk is not None and pl.pk_col is None:
        text = f"primary key{named(pk.name, names.derive(tname, 'pkey'))} {_names(pk.columns)}"
        out.append(_member(text, ("primary_key", ti)))
    for u in pl.uniques[pl.n_uniques :]:
        text = f"unique{named(u.name, names.derive(tname, *u.columns, 'key'))} {_names(u.columns)}"
        text += " nulls not distinct" if u.nulls_not_distinct else ""
        text += _deferrable(u.deferrable, u.initially_deferred, u.name, u.span)
        out.append(_member(text, ("unique", ti, u.name)))
    for f in pl.fks[pl.n_fks :]:
        text = (f"foreign key{named(f.name, names.derive(tname, *f.columns, 'fkey'))} "
                f"{_names(f.columns)} references {_reference(f)}")
        out.append(_member(text, ("foreign_key", ti, f.name)))
    for c, cname in zip(pl.checks[pl.n_checks :], pl.check_names[pl.n_checks :], strict=True):
        head = "check " if cname is None else f"check {quote_name(cname)} "
        out.append(_member(_member_paren(head, c.expression, "", c.span), ("check", ti, c.name)))
    out += [_member(exclusion_text(x, quote_name), ("exclusion", ti, x.name))
            for x in t.exclusions]
    return out


def _reference(f: ir.ForeignKey) -> str:
    ref = _qname(f.ref_table) + (_names(f.ref_columns) if f.ref_columns else "")
    return ref + _fk_options(f)


def _type_text(c: ir.Column) -> str:
    if c.serial:
        serial = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}.get(c.type)
        if serial is None:
            raise _fail(f"column {c.name} is serial but of type {c.type}", c.span)
        return serial
    return _type(c.type, c.span)


def _column_options(c: ir.Column, inline: list[str], inline_pk: bool) -> list[str]:
    opts: list[str] = []
    if c.collation is not None:
        opts.append(f"collate {quote_name(c.collation)}")
    if c.identity is not None:
        opts.append(f"generated {c.identity.value} as identity")
    if c.generated is not None:
        opts.append(f"generated always as ({_sql('paren', c.generated, c.span)}) stored")
    if c.nullable and (c.identity is not None or c.serial):
        raise _fail(f"column {c.name} is an identity or serial column but allows NULL", c.span)
    if not c.nullable and not (inline_pk or c.identity is not None or c.serial):
        opts.append("not null")
    if c.default is not None:
        opts.append("default " + _sql("default", c.default, c.span))
    opts += inline
    if c.deprecated is not None:
        opts.append("deprecated" if c.deprecated == "deprecated"
                    else f"deprecated {_dq(c.deprecated, 'the reason', c.span)}")
    if c.renamed_from is not None:
        opts.append(f"renamed from {quote_name(c.renamed_from)}")
    return opts


def _expect(e: ir.Expectation) -> str:
    text = "expect table " if e.column is None else "expect "
    if e.kind in (ir.ExpectKind.MATCHES, ir.ExpectKind.NOT_MATCHES):
        if e.argument is None:
            raise _fail(f"a `{e.kind.value}` expectation needs a pattern", e.span)
        text += f"{e.kind.value} {_literal(e.argument)}"
    elif e.kind == ir.ExpectKind.JSON:
        text += "json"
    else:
        tail = "" if e.message is None else " " + _dq(e.message, "the message", e.span)
        return _member_paren(text, e.argument or "", tail, e.span)
    if e.message is not None:
        text += " " + _dq(e.message, "the message", e.span)
    return text


def _member_paren(head: str, expr: str, tail: str, span: Span | None) -> str:
    """A member line `head(expr)tail`; past the line width the expression gets lines of its
    own, broken before a top-level `and` / `or` where possible (parse folds the line breaks
    back to the single spaces they replace)."""
    expr = _sql("paren", expr, span)
    one = f"{head}({expr}){tail}"
    if 2 + len(one) <= _MAX_WIDTH or "\n" in one or "--" in expr:
        return one
    lines = _wrap(expr, _MAX_WIDTH - 4)
    inner = "".join(f"\n    {ln}" for ln in lines) + "\n  "
    if _probe("paren", inner) != expr:
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


def _index(table: str, x: ir.Index) -> str:
    derived = names.derive(table, *names.element_words(x.elements), "idx")
    text = "unique index" if x.unique else "index"
    if x.name != derived:
        text += f" {quote_name(x.name)}"
    if x.method != ir.IndexMethod.BTREE:
        text += f" using {x.method.value}"
    text += " (" + ", ".join(_element(e, x.span) for e in x.elements) + ")"
    if x.include:
        text += f" include {_names(x.include)}"
    if x.nulls_not_distinct:
        text += " nulls not distinct"
    if x.where is not None:
        text += " where " + _sql("where", x.where, x.span)
    return text


def _element(e: ir.IndexElement, span: Span | None) -> str:
    if e.column is not None:
        text = quote_name(e.column)
    else:
        expr = e.expression or ""
        paren = f"({_sql('paren', expr, span)})"
        text = expr if _call_form(expr) and _probe("paren", expr) == expr else paren
    if e.collation is not None:
        text += f" collate {quote_name(e.collation)}"
    if e.opclass is not None:
        text += f" {quote_name(e.opclass)}"
    if e.descending:
        text += " desc"
    if e.nulls_first is not None:
        text += " nulls first" if e.nulls_first else " nulls last"
    return text
