"""`.schema` text for views, functions, sequences and triggers (part of the canonical printer,
`compiler.generators.dsl`, which calls these).

Views and functions print PostgreSQL's text verbatim in a dollar-quoted block (`$$`, or
`$sql$` when the text holds `$$`); a trigger is a table member, its `CREATE TRIGGER`
statement without the words the table already says. A sequence prints only the options
that differ from PostgreSQL's defaults. Whatever cannot be read back exactly raises a
`CompileError` (never a silently different schema).
"""

from __future__ import annotations

import re

from compiler import ir
from compiler.generators.dsl_text import (
    Line,
    doc_lines,
    fail,
    index_text,
    member_paren,
    qname,
    quote_name,
    type_text,
)
from compiler.objects import dollar_quote, sequence_defaults, trigger_member


def view_lines(i: int, v: ir.View) -> list[Line]:
    key = ("view", i)
    head = f"{'materialized view' if v.materialized else 'view'} {qname(v.name)}"
    if v.options:
        head += f" with ({', '.join(v.options)})"
    body = dollar_quote(v.definition).split("\n")
    lines = [*doc_lines(v.comment, 0, key, v.span), Line(f"{head} as {body[0]}", owner=key)]
    lines += [Line(ln) for ln in body[1:-1]]
    if v.indexes:
        lines.append(Line(body[-1] + " {"))
        for x in v.indexes:
            ikey = ("view_index", i, x.name)
            lines += [*doc_lines(x.comment, 2, ikey, x.span), Line(index_text(v.name.name, x), 2,
                                                             start=ikey, owner=ikey)]
        lines.append(Line("}", start=("view_end", i), owner=("view_end", i), lead_indent=2))
    else:
        lines.append(Line(body[-1]))
    lines[0].start = key
    return lines


def function_lines(i: int, f: ir.Function) -> list[Line]:
    key = ("function", i)
    if "\n" in f.arguments:
        raise fail(f"the arguments of {f.signature} hold a line break", f.span)
    body = dollar_quote(f.definition).split("\n")
    word = "procedure" if f.procedure else "function"
    lines = [*doc_lines(f.comment, 0, key, f.span),
             Line(f"{word} {qname(f.name)}({f.arguments}) as {body[0]}", owner=key)]
    lines += [Line(ln) for ln in body[1:]]
    lines[0].start = key
    return lines


def sequence_line(i: int, s: ir.Sequence) -> list[Line]:
    key = ("sequence", i)
    parts = [f"sequence {qname(s.name)}"]
    if s.type != "bigint":
        parts.append(f"as {type_text(s.type, s.span)}")
    if s.increment != 1:
        parts.append(f"increment by {s.increment}")
    low, high = sequence_defaults(s.type, s.increment)
    if s.minvalue != low:
        parts.append(f"minvalue {s.minvalue}")
    if s.maxvalue != high:
        parts.append(f"maxvalue {s.maxvalue}")
    if s.start != (s.minvalue if s.increment > 0 else s.maxvalue):
        parts.append(f"start with {s.start}")
    if s.cache != 1:
        parts.append(f"cache {s.cache}")
    if s.cycle:
        parts.append("cycle")
    if s.owned_by is not None:
        table, column = s.owned_by
        parts.append(f"owned by {qname(table)}.{quote_name(column)}")
    lines = [*doc_lines(s.comment, 0, key, s.span), Line(" ".join(parts), owner=key)]
    lines[0].start = key
    return lines


def trigger_text(t: ir.Trigger) -> str:
    from compiler.parse import squash

    member = trigger_member(t)
    if member is None or "\n" in member[2] or squash(member[2]) != member[2]:
        raise fail(f"trigger {t.name} on {t.table} cannot be written in the .schema language: "
                    f"{t.definition}", t.span)
    constraint, timing, clause = member
    head = "constraint trigger" if constraint else "trigger"
    return f"{head} {quote_name(t.name)} {timing} {clause}"


_RANGE = re.compile(r"FOR VALUES FROM \((.*)\) TO \((.*)\)\Z", re.DOTALL)
_LIST = re.compile(r"FOR VALUES (IN|WITH) \((.*)\)\Z", re.DOTALL)
_KEY = re.compile(r"(\w+) \((.*)\)\Z", re.DOTALL)


def table_kind(t: ir.Table) -> str:
    """` partition by range (at)`, ` partition of p for values ...`, ` inherits (a, b)`."""
    out = ""
    if t.partition_of is not None:
        bound = t.partition_bound or ""
        if bound == "DEFAULT":
            words = "default"
        elif m := _RANGE.match(bound):
            words = f"for values from ({m[1]}) to ({m[2]})"
        elif m := _LIST.match(bound):
            words = f"for values {m[1].lower()} ({m[2]})"
        else:
            raise fail(f"the partition bound of {t.name} cannot be written: {bound}", t.span)
        out += f" partition of {qname(t.partition_of)} {words}"
    if t.inherits:
        out += f" inherits ({', '.join(qname(p) for p in t.inherits)})"
    if t.partition_by:
        m = _KEY.match(t.partition_by)
        if m is None:
            raise fail(f"the partition key of {t.name} cannot be written: {t.partition_by}",
                        t.span)
        out += f" partition by {m[1].lower()} ({m[2]})"
    return out


_EXCLUDE = re.compile(r"EXCLUDE USING (\w+) \((.*?)\)(?: WHERE \((.*?)\))?"
                      r"( DEFERRABLE( INITIALLY DEFERRED)?)?\Z", re.DOTALL)


def exclusion_text(x: ir.Exclusion) -> str:
    """`exclude name using gist (room WITH =, during WITH &&) where (...)`."""
    from compiler.parse import squash

    m = _EXCLUDE.match(x.definition)
    text = f"exclude {quote_name(x.name)} using {m[1]} ({m[2]})" if m else ""
    if m and m[4]:
        text += " deferrable initially deferred" if m[5] else " deferrable"
    if m and m[3] is not None:
        text += f" where {m[3]}"
    if not m or "\n" in x.definition or squash(text) != text:
        raise fail(f"exclusion constraint {x.name} cannot be written in the .schema language:"
                    f" {x.definition}", x.span)
    return text


def policy_text(p: ir.Policy) -> str:
    """`policy name [as restrictive] [for select] [to a, b] [using (...)] [with check (...)]`."""
    text = f"policy {quote_name(p.name)}"
    if not p.permissive:
        text += " as restrictive"
    if p.command != "all":
        text += f" for {p.command}"
    if p.roles != ("public",):
        text += " to " + ", ".join(quote_name(r) for r in p.roles)
    for word, expr in (("using", p.using), ("with check", p.with_check)):
        if expr is not None:
            # checked like any parenthesised expression: it must read back unchanged
            text = member_paren(f"{text} {word} ", expr, "", p.span)
    return text
