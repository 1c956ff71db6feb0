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
from compiler.names import too_long
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


def resolve_grants(files: list[ParsedFile], schema: ir.Schema, error: Error
                   ) -> tuple[ir.Grant, ...]:
    """Grants of all files, merged per object and role (`compiler.grants.normalized`). Each
    must name privileges its kind of object takes and an object the schema declares: a table
    or view, a sequence (declared, or the one a serial or identity column owns) or a schema."""
    from compiler.grants import KINDS, grantable_objects, known, normalized

    grants = [g for f in files for g in f.grants]
    if not grants:
        return ()  # and no need for every sequence a serial column owns (10,000 tables: 25 ms)
    objects = grantable_objects(schema)
    kept = []
    for g in grants:
        assert g.kind in KINDS
        wrong = [p for p in g.privileges if p != "all" and p not in known(g.kind)]
        if wrong:
            also = " (for a sequence: `on sequence <name>`)" if g.kind == "table" else ""
            error(f"`{wrong[0]}` is not a privilege on a {g.kind}", g.span,
                  f"a {g.kind} takes: {', '.join(known(g.kind))} (or all){also}")
        elif g.kind == "schema" and g.on.name == "public":
            error("privileges on schema `public` are not managed", g.span,
                  "they are each server's defaults; grant on your own schemas instead")
        elif g.on not in objects[g.kind]:
            what = g.on.name if g.kind == "schema" else str(g.on)
            error(f"grant on {g.kind} `{what}`, which the schema does not declare", g.span,
                  "a view takes `on table`" if g.kind == "table" else
                  "a serial column's sequence is <table>_<column>_seq" if g.kind == "sequence"
                  else "declare the schema, or check the spelling")
        elif too_long(g.role):
            error(f"the role name `{g.role}` is longer than 63 bytes", g.span, None)
        else:
            kept.append(g)
    return normalized(kept)
