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
rows. This module prints the file and its top-level declarations; a table is printed by
`dsl_tables`, the objects kept as SQL text (views, functions, sequences, triggers, policies)
by `dsl_objects`, and the words, types and SQL text they all share come from `dsl_text`.

`layout()` is the same printer returning lines tagged with the IR object they belong to;
`compiler.fmt` uses the tags to put the user's `//` comments back.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from typing import Protocol

from compiler import ir, names
from compiler.generators.dsl_objects import function_lines, sequence_line, view_lines
from compiler.generators.dsl_tables import check_text, table_lines
from compiler.generators.dsl_text import (
    MAX_WIDTH,
    PLAIN,
    Key,
    Line,
    column_list,
    doc_lines,
    fail,
    keywords,
    literal,
    qname,
    quote_name,
    quoted_text,
    sql_text,
    type_text,
)

__all__ = ["Key", "Line", "join_lines", "layout", "quote_name", "render_dsl"]


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
    blocks += [sequence_line(i, q)
               for i, q in enumerate(getattr(content, "sequences", ()))]
    blocks += [function_lines(i, f)
               for i, f in enumerate(getattr(content, "functions", ()))]
    blocks += tables
    blocks += [view_lines(i, v)
               for i, v in enumerate(getattr(content, "views", ()))]
    if grants := _grants(getattr(content, "grants", ()), isinstance(content, ir.Schema)):
        blocks.append(grants)
    blocks += [_rows(i, r) for i, r in enumerate(content.rows)]
    out: list[Line] = []
    for block in blocks:
        if out:
            out.append(Line(""))
        out += block
    return out

# --- top-level declarations ------------------------------------------------------------------


def _extension(i: int, e: ir.Extension) -> Line:
    text = f"extension {quote_name(e.name)}"
    if e.schema is not None:
        text += f" schema {quote_name(e.schema)}"
    return Line(text, start=("extension", i), owner=("extension", i))


def _namespace(i: int, n: ir.Namespace) -> list[Line]:
    key = ("schema", i)
    head = Line(f"schema {quote_name(n.name)}", owner=key)
    lines = [*doc_lines(n.comment, 0, key, n.span), head]
    lines[0].start = key
    return lines


def _enum_value(v: str) -> str:
    return v if PLAIN.match(v) and v not in keywords() else literal(v)


def _enum(i: int, e: ir.Enum, expand: bool) -> list[Line]:
    key = ("enum", i)
    values = [_enum_value(v) for v in e.values]
    head = f"enum {qname(e.name)} {{"
    one = f"{head} {', '.join(values)} }}" if values else f"{head}}}"
    if not expand and len(one) <= MAX_WIDTH and "\n" not in one:
        body = [Line(one, owner=key)]
    else:
        body = [Line(head, owner=key)]
        body += [Line(f"{v},", 2, start=("enum_value", i, k), owner=("enum_value", i, k))
                 for k, v in enumerate(values)]
        body.append(Line("}", start=("enum_end", i), owner=("enum_end", i), lead_indent=2))
    lines = [*doc_lines(e.comment, 0, key, e.span), *body]
    lines[0].start = key
    return lines


def _domain(i: int, d: ir.Domain, keep_order: bool) -> list[Line]:
    key = ("domain", i)
    parts = [f"domain {qname(d.name)} {type_text(d.type, d.span)}"]
    if not d.nullable:
        parts.append("not null")
    if d.default is not None:
        parts.append("default " + sql_text("default", d.default, d.span))
    derived = names.derive(d.name.name, "check")
    for c in d.checks:
        unnamed = c.name == derived and (c.derived_name or not keep_order)
        parts.append(check_text(c, None if unnamed else c.name))
    lines = [*doc_lines(d.comment, 0, key, d.span), Line(" ".join(parts), owner=key)]
    lines[0].start = key
    return lines


def _grants(grants: Sequence[ir.Grant], merged: bool) -> list[Line]:
    """One line per `grant` statement: a parsed file's grants by the statement they came
    from (they share its span); a schema's (`merged`: one Grant per object, role and grant
    option, whichever statements it came from) per object, privileges and grant option,
    roles together."""
    statements: dict[object, list[ir.Grant]] = {}
    for g in grants:
        key: object = (g.kind, g.on, g.privileges, g.grantable)
        if not merged and g.span is not None:
            key = g.span
        statements.setdefault(key, []).append(g)
    lines = []
    for k, group in enumerate(statements.values()):
        first = group[0]
        objects = list(dict.fromkeys(g.on for g in group))
        roles = list(dict.fromkeys(g.role for g in group))
        if first.kind == "schema":
            target = "schema " + ", ".join(quote_name(o.name) for o in objects)
        else:
            target = ("sequence " if first.kind == "sequence" else "") + ", ".join(
                qname(o) for o in objects)
        text = (f"grant {', '.join(first.privileges)} on {target} to "
                f"{', '.join(quote_name(r) for r in roles)}")
        lines.append(Line(text + (" with grant option" if first.grantable else ""),
                          start=("grant", k), owner=("grant", k)))
    return lines


def _rows(i: int, r: ir.Rows) -> list[Line]:
    key = ("rows", i)
    values = [[sql_text("row", v, r.span) for v in row] for row in r.values]
    widths: dict[int, int] = {}
    for row in values:
        for k, v in enumerate(row[:-1]):
            widths[k] = max(widths.get(k, 0), len(v) + 1)
    lines = [Line(f"rows {qname(r.table)} {column_list(r.columns)} {{", start=key, owner=key)]
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
        into.append([Line(f"section {quoted_text(name, 'the section name', None)}", start=key,
                          owner=key)])

    current = order[0][1].section if order else None
    for s in declared[: declared.index(current) + 1] if current is not None else ():
        section(s, head)
    for i, t in order:
        if t.section != current:
            if t.section is None:
                raise fail(f"table {t.name} follows a `section` line but belongs to no section",
                            t.span, "a `section` line holds until the end of the file")
            if t.section not in printed:  # sections declared but left empty stay in order
                for s in declared[: declared.index(t.section)]:
                    if s not in printed:
                        section(s, blocks)
            section(t.section, blocks)
            current = t.section
        blocks.append(table_lines(i, t, keep_order, triggers.get(t.name, []),
                             policies.get(t.name, [])))
    for s in declared:
        if s not in printed:
            section(s, head if not order else blocks)
    return head, blocks
