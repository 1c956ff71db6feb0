"""Merge and check the objects kept as SQL text: views, functions, triggers, sequences.

Contract: `resolve_objects(files, tables, error)` returns the merged, sorted
`(sequences, functions, views, triggers)` of all files, reporting problems through `error`
(the validator's collector): duplicates, triggers on undeclared tables, sequences owned by
undeclared columns, a view that shares its name with a table. Each view's `reads` is filled
from a scan of its text for the names of declared tables and views, which orders views
among themselves and tells `diff` which views a table change must rebuild. The SQL text
itself is PostgreSQL's to judge: it is checked when it runs (or in the dev database).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from compiler import ir
from compiler.errors import Span
from compiler.objects import names_read
from compiler.parsed import ParsedFile

Error = Callable[[str, Span | None, str | None], None]


def resolve_policies(files: list[ParsedFile], error: Error) -> tuple[ir.Policy, ...]:
    """Policies of all files, sorted by table and name; a name twice on a table is an error."""
    policies: dict[tuple[ir.QName, str], ir.Policy] = {}
    for p in (p for f in files for p in f.policies):
        if (p.table, p.name) in policies:
            error(f"policy `{p.name}` on `{p.table}` is declared twice", p.span, None)
            continue
        policies[(p.table, p.name)] = p
    return tuple(policies[k] for k in sorted(policies))


def resolve_objects(files: list[ParsedFile], tables: dict[ir.QName, ir.Table], error: Error
                    ) -> tuple[tuple[ir.Sequence, ...], tuple[ir.Function, ...],
                               tuple[ir.View, ...], tuple[ir.Trigger, ...]]:
    sequences: dict[ir.QName, ir.Sequence] = {}
    for s in (s for f in files for s in f.sequences):
        if s.name in sequences or s.name in tables:
            error(f"sequence `{s.name}` is declared twice", s.span, None)
            continue
        if s.owned_by is not None:
            table, column = s.owned_by
            t = tables.get(table)
            if t is None or t.column(column) is None:
                error(f"sequence `{s.name}` is owned by `{table}.{column}`, which is not "
                      "declared", s.span, "declare the column, or drop `owned by`")
        sequences[s.name] = s

    functions: dict[tuple[ir.QName, str], ir.Function] = {}
    for fn in (fn for f in files for fn in f.functions):
        key = (fn.name, fn.arguments)
        if key in functions:
            error(f"function `{fn.signature}` is declared twice", fn.span, None)
            continue
        functions[key] = fn

    views: dict[ir.QName, ir.View] = {}
    for v in (v for f in files for v in f.views):
        if v.name in views or v.name in tables or v.name in sequences:
            error(f"`{v.name}` is declared twice (views, tables and sequences share names)",
                  v.span, None)
            continue
        views[v.name] = v
    relations = [*tables, *views]
    views = {n: dataclasses.replace(v, reads=tuple(
        r for r in names_read(v.definition, relations) if r != n)) for n, v in views.items()}

    triggers: dict[tuple[ir.QName, str], ir.Trigger] = {}
    for tg in (tg for f in files for tg in f.triggers):
        if (tg.table, tg.name) in triggers:
            error(f"trigger `{tg.name}` on `{tg.table}` is declared twice", tg.span, None)
            continue
        triggers[(tg.table, tg.name)] = tg

    return (tuple(sequences[k] for k in sorted(sequences)),
            tuple(functions[k] for k in sorted(functions, key=lambda k: (k[0], k[1]))),
            tuple(views[k] for k in sorted(views)),
            tuple(triggers[k] for k in sorted(triggers)))
