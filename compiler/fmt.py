"""`schemac fmt`: rewrite a `.schema` file in the canonical layout, keeping its `//` comments.

Contract: `format_source(text, path)` returns the canonical text of `text`; parsing the result
gives the same IR as parsing `text` (every field but spans, including comments, sections,
expectations, deprecations, renames and rows; only the order of a table's uniques, foreign
keys and checks may differ, which the compiler sorts by name), and formatting the result again
changes nothing. Every `//` comment is kept. Invalid input raises `CompileError` (from
`parse_source`); so does input the printer could not write back exactly (checked on every
call, never a silently different file).

The lexer drops `//` comments, so a scanner that quotes the way the lexer does ('...'
strings, "..." names, `///` doc lines) finds them, and each is attached to an anchor: a comment
on its own line to the declaration, member, enum value or row that follows it (or to the `}`
that closes its block, or to the end of the file); a comment after code to the first anchor that
starts on its line. The printer (`compiler.generators.dsl.layout`) tags every line with the
anchor it prints, so a comment follows its declaration wherever the canonical order puts it.
A `///` comment on an `extension` or `rows` block, which the IR has no field for, is kept the
same way. A blank line before or after an own-line comment is kept; other blank lines are not.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from lark import Token, Tree

from compiler import ir
from compiler.errors import CompileError, Diagnostic, Span
from compiler.generators.dsl import Key, Line, layout
from compiler.parse import parse_source, parser
from compiler.parsed import ParsedFile


@dataclass(slots=True)
class _Comment:
    line: int
    col: int
    text: str
    own_line: bool
    blank_before: bool = False
    blank_after: bool = False


def format_source(text: str, path: str) -> str:
    text = text.removeprefix("\ufeff")
    parsed = parse_source(text, path)
    anchors, docs = _anchors(text, parsed)
    comments = sorted([*_scan(text), *docs], key=lambda c: (c.line, c.col))

    every_enum = range(len(parsed.enums))
    emitted = {ln.start for ln in layout(parsed, keep_order=True, expand_enums=every_enum)}
    leading, trailing, eof = _attach(comments, anchors, emitted)
    # an enum with a comment among its values is written one value per line to hold it
    expand = {k[1] for k in [*leading, *trailing] if k[0] in ("enum_value", "enum_end")}
    lines = layout(parsed, keep_order=True, expand_enums=expand)
    out = _weave(lines, leading, trailing, eof)

    again = parse_source(out, path)
    if ir_fingerprint(again) != ir_fingerprint(parsed):  # a printer bug must never reach a file
        raise CompileError([Diagnostic("formatting would change the meaning of this file",
                                       Span(path, 1, 1), "please report this as a bug")])
    return out


_N = TypeVar("_N", ir.Unique, ir.ForeignKey, ir.Check, ir.Index)


def _by_name(items: tuple[_N, ...]) -> tuple[_N, ...]:
    return tuple(sorted(items, key=lambda x: x.name))


def ir_fingerprint(obj: Any) -> Any:
    """Everything the IR holds except source positions, as nested tuples: two parses agree
    exactly when their fingerprints are equal (unlike `==`, this sees comments, sections,
    expectations and the other fields equality ignores). A table's uniques, foreign keys,
    checks and indexes count as sets, since the compiler sorts them by name."""
    if isinstance(obj, ParsedFile):
        return tuple(ir_fingerprint(getattr(obj, f)) for f in (
            "namespaces", "extensions", "enums", "domains", "tables", "rows", "sections",
            "sequences", "functions", "views", "triggers", "policies", "grants"))
    if isinstance(obj, ir.Table):  # the compiler sorts these by name: their order is free
        obj = dataclasses.replace(
            obj, uniques=_by_name(obj.uniques), foreign_keys=_by_name(obj.foreign_keys),
            checks=_by_name(obj.checks), indexes=_by_name(obj.indexes))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return (type(obj).__name__, *((f.name, ir_fingerprint(getattr(obj, f.name)))
                                      for f in dataclasses.fields(obj) if f.name != "span"))
    if isinstance(obj, (list, tuple)):
        return tuple(ir_fingerprint(x) for x in obj)
    return obj


# --- finding comments ------------------------------------------------------------------------

# The lexer's own quoting: a `//` inside '...' or "..." is text, `///` starts a doc line.
_TOKENS = re.compile(r"""(?P<body>\$(?P<tag>(?:[A-Za-z_][A-Za-z0-9_]*)?)\$.*?\$(?P=tag)\$)"""
                     r"""|(?P<s>'(?:[^']|'')*')|(?P<q>"(?:[^"\n]|"")*")|(?P<doc>///[^\n]*)"""
                     r"""|(?P<c>//[^\n]*)|[A-Za-z0-9_]+\$*|[^'"/$A-Za-z0-9_]+|.""", re.DOTALL)


def _scan(text: str) -> list[_Comment]:
    lines = text.split("\n")
    starts = [0]
    for ln in lines[:-1]:
        starts.append(starts[-1] + len(ln) + 1)
    out: list[_Comment] = []
    line = 0
    for m in _TOKENS.finditer(text):
        if m.lastgroup != "c":
            continue
        while line + 1 < len(starts) and starts[line + 1] <= m.start():
            line += 1
        col = m.start() - starts[line]
        own = not lines[line][:col].strip()
        out.append(_Comment(
            line + 1, col + 1, m.group().rstrip(), own,
            blank_before=own and line > 0 and not lines[line - 1].strip(),
            blank_after=own and line + 1 < len(lines) - 1 and not lines[line + 1].strip()))
    return out


def _doc_comments(doc: Token) -> list[_Comment]:
    """The `///` lines of a DOC token (a description's lines and the line breaks between)."""
    out = []
    for k, line in enumerate(str(doc).split("\n")):
        text = line.strip()
        if text.startswith("///"):
            column = (doc.column or 1) if k == 0 else len(line) - len(line.lstrip()) + 1
            out.append(_Comment((doc.line or 1) + k, column, text, True))
    return out


_KINDS = {"table": "table", "enum": "enum", "domain": "domain", "extension": "extension",
          "namespace": "schema", "rows": "rows", "view": "view", "function": "function",
          "procedure": "function", "sequence": "sequence"}


def _anchors(text: str, parsed: ParsedFile) -> tuple[list[tuple[int, int, Key]], list[_Comment]]:
    """Where each printable object starts in the source, keyed as `layout` keys its lines;
    plus the `///` lines the IR has no field for."""
    anchors: list[tuple[int, int, Key]] = []
    docs: list[_Comment] = []
    counts: dict[str, int] = {}
    sections: dict[str, int] = {}

    def at(node: Tree[Any] | Token, key: Key, end: bool = False) -> None:
        if isinstance(node, Token):
            anchors.append((node.line or 1, node.column or 1, key))
        elif end:
            anchors.append((node.meta.end_line, node.meta.end_column - 1, key))
        else:
            anchors.append((node.meta.line, node.meta.column, key))

    for item in parser().parse(text).children:
        if not isinstance(item, Tree):
            continue
        if item.data == "grant":
            at(item, ("grant", counts.get("grant", 0)))
            counts["grant"] = counts.get("grant", 0) + 1
            continue
        if item.data == "section":
            name = str(item.children[0])[1:-1].replace('""', '"')
            at(item, ("section", name, sections.get(name, 0)))
            sections[name] = sections.get(name, 0) + 1
            continue
        obj = item.children[-1]
        assert isinstance(obj, Tree)
        kind = _KINDS[str(obj.data)]
        i = counts[kind] = counts.get(kind, -1) + 1
        at(obj, (kind, i))
        subtrees = [c for c in obj.children if isinstance(c, Tree)]
        if kind == "enum":
            for k, v in enumerate(c for c in subtrees if c.data == "enum_value"):
                at(v, ("enum_value", i, k))
        elif kind == "rows":
            for k, r in enumerate(c for c in subtrees if c.data == "row"):
                at(r, ("row", i, k))
        if kind == "view":
            view_members = next((c for c in subtrees if c.data == "view_members"), None)
            if view_members is not None:
                for x in view_members.children:
                    if isinstance(x, Tree):
                        ix = parsed.views[i].indexes[len([a for a in anchors
                                                          if a[2][:2] == ("view_index", i)])]
                        at(x, ("view_index", i, ix.name))
                at(obj, ("view_end", i), end=True)
        if kind in ("enum", "table", "rows"):
            at(obj, (f"{kind}_end", i), end=True)
        doc = item.children[0]
        if kind in ("extension", "rows") and isinstance(doc, Tree):  # the IR drops these
            docs += [c for t in doc.children if isinstance(t, Token) for c in _doc_comments(t)]

    for i, t in enumerate(parsed.tables):
        members: list[tuple[Any, Key]] = [(c.span, ("column", i, c.name)) for c in t.columns]
        if t.primary_key is not None:
            members.append((t.primary_key.span, ("primary_key", i)))
        members += [(u.span, ("unique", i, u.name)) for u in t.uniques]
        members += [(f.span, ("foreign_key", i, f.name)) for f in t.foreign_keys]
        members += [(c.span, ("check", i, c.name)) for c in t.checks]
        members += [(x.span, ("exclusion", i, x.name)) for x in t.exclusions]
        members += [(p.span, ("policy", i, p.name)) for p in parsed.policies
                    if p.table == t.name]
        members += [(x.span, ("index", i, x.name)) for x in t.indexes]
        members += [(e.span, ("expect", i, k)) for k, e in enumerate(t.expectations)]
        members += [(tg.span, ("trigger", i, tg.name)) for tg in parsed.triggers
                    if tg.table == t.name]
        anchors += [(s.line, s.col, key) for s, key in members if s is not None]
    anchors.sort(key=lambda a: (a[0], a[1]))
    return anchors, docs


def _attach(comments: list[_Comment], anchors: list[tuple[int, int, Key]], emitted: set[Any]
            ) -> tuple[dict[Key, list[_Comment]], dict[Key, _Comment], list[_Comment]]:
    """Leading comments per anchor, one trailing comment per anchor, and the file's tail."""
    live = [a for a in anchors if a[2] in emitted]
    leading: dict[Key, list[_Comment]] = {}
    trailing: dict[Key, _Comment] = {}
    eof: list[_Comment] = []
    for c in comments:
        key: Key | None = None
        if not c.own_line:
            on_line = [a for a in live if a[0] == c.line and a[1] < c.col]
            before = [a for a in live if (a[0], a[1]) < (c.line, c.col)]
            if on_line or before:
                key = (on_line[0] if on_line else before[-1])[2]
            if key is not None and key not in trailing:
                trailing[key] = c
                continue
        if key is None:
            key = next((a[2] for a in live if (a[0], a[1]) > (c.line, c.col)), None)
        if key is None:
            eof.append(c)
        else:
            leading.setdefault(key, []).append(c)
    return leading, trailing, eof


def _weave(lines: list[Line], leading: dict[Key, list[_Comment]],
           trailing: dict[Key, _Comment], eof: list[_Comment]) -> str:
    out: list[str] = []
    opens = True  # at the start of the file or just after a `{`: no blank line wanted

    def put(group: list[_Comment], indent: int) -> None:
        nonlocal opens
        if group and group[0].blank_before and not opens and out[-1]:
            out.append("")
        for c in group:
            out.append(" " * indent + c.text)
            if c.blank_after:
                out.append("")
        opens = False

    for line in lines:
        # pop: two objects with one key (a duplicate name, which validation reports) must
        # not both get the comments
        if line.start is not None and line.start in leading:
            put(leading.pop(line.start),
                line.indent if line.lead_indent is None else line.lead_indent)
        text = str(line)
        if line.owner is not None and line.owner in trailing:
            text += " " + trailing.pop(line.owner).text
        out.append(text)
        opens = line.text.endswith("{")
    put(eof, 0)
    return "".join(f"{ln}\n" for ln in out)
