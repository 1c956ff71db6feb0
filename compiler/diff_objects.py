"""Diff of views, functions, triggers and sequences: IR x IR -> ops, pure like `compiler.diff`.

Contract: `before_tables(cur, tgt)` gives the ops that must be listed before the table ops
of their phase (functions and sequences are created before the tables whose defaults and
checks may use them); `after_tables(cur, tgt, table_ops)` gives the rest (view, trigger and
sequence-ownership changes; function and sequence drops, which come after the tables that
used them are gone). Texts are compared as they are: `compiler.canonical` brings the
declared ones to PostgreSQL's form first.

Views: a view whose definition, options or kind changed is replaced with CREATE OR REPLACE
VIEW when both sides' columns are known and the new ones only append to the old, else
dropped and recreated. A column type change or drop (or a dropped table) under a view drops
the view in DROP_DEPENDENTS and recreates it in ADD_DEPENDENTS; so is every view reading a
view that is recreated, dependents first on the way down, dependencies first on the way up.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from compiler import ir
from compiler import ops as o
from compiler.objects import names_read
from compiler.order import creation_order


def before_tables(cur: ir.Schema, tgt: ir.Schema) -> list[o.Op]:
    out: list[o.Op] = []
    have = {(f.name, f.arguments): f for f in cur.functions}
    for key, f in ((k, f) for f in tgt.functions if (k := (f.name, f.arguments))):
        old = have.get(key)
        if old is None:
            out.append(o.CreateFunction(function=f, reason=f"new {_fkind(f)}"))
            out += _comment(_fkind(f), f.name, f.comment, None, column=f.arguments)
            continue
        if old.definition != f.definition:
            if _returns(old) != _returns(f) or old.procedure != f.procedure:
                out.append(o.DropFunction(function=old, replaced=True,
                                          reason=f"{f.signature}: result type changed"))
            out.append(o.CreateFunction(function=f, reason=f"{f.signature} changed"))
        out += _comment(_fkind(f), f.name, f.comment, old.comment, column=f.arguments)
    seqs = {s.name: s for s in cur.sequences}
    for s in tgt.sequences:
        if s.name not in seqs:
            out.append(o.CreateSequence(sequence=s, reason="new sequence"))
            out += _comment("sequence", s.name, s.comment, None)
    return out


def after_tables(cur: ir.Schema, tgt: ir.Schema, table_ops: Iterable[o.Op]) -> list[o.Op]:
    table_ops = list(table_ops)
    out = _views(cur, tgt, table_ops)
    out += _triggers(cur, tgt)
    out += _row_security(cur, tgt, table_ops)
    out += _sequences(cur, tgt)
    want = {(f.name, f.arguments) for f in tgt.functions}
    out += [o.DropFunction(function=f, reason=f"{_fkind(f)} no longer declared")
            for f in cur.functions if (f.name, f.arguments) not in want]
    # (views calling a function that goes for good are the user's to change: they are in
    # the target, so PostgreSQL reports the dependency when the drop runs)
    return out


def _fkind(f: ir.Function) -> str:
    return "procedure" if f.procedure else "function"


def _returns(f: ir.Function) -> str | None:
    m = _RETURNS.search(f.definition)
    return " ".join(m.group(1).lower().split()) if m else None


# the result type: up to the next clause of CREATE FUNCTION, or the end of its line
_RETURNS = re.compile(
    r"\)\s*RETURNS\s+(.+?)(?=\s+(?:LANGUAGE|AS|IMMUTABLE|STABLE|VOLATILE|STRICT|CALLED|"
    r"SECURITY|EXTERNAL|LEAKPROOF|NOT|COST|ROWS|SUPPORT|SET|PARALLEL|WINDOW|TRANSFORM|BEGIN)\b"
    r"|\n|$)", re.IGNORECASE | re.DOTALL)


def _comment(kind: str, name: ir.QName, new: str | None, old: str | None,
             column: str | None = None) -> list[o.Op]:
    if new == old:
        return []
    return [o.Comment(object_kind=kind, name=name, column=column, text=new,
                      reason="description" if old is None else "description changed")]


# -- views ------------------------------------------------------------------------------------


def _affected_tables(table_ops: list[o.Op]) -> set[ir.QName]:
    """Tables whose columns change under the views that read them (an enum swap changes the
    type of every column using the enum)."""
    out: set[ir.QName] = set()
    for op in table_ops:
        if isinstance(op, (o.AlterColumnType, o.DropColumn)):
            out.add(op.table)
        elif isinstance(op, o.DropTable):
            out.add(op.name)
        elif isinstance(op, o.ReplaceEnum):
            out.update(u.table for u in op.usages)
    return out


def _dropped_functions(table_ops: list[o.Op]) -> list[ir.QName]:
    return [op.function.name for op in table_ops if isinstance(op, o.DropFunction)]


def _order(views: dict[ir.QName, ir.View]) -> list[ir.QName]:
    """Dependencies first (a cycle, impossible in PostgreSQL, is cut at the smallest name)."""
    return creation_order({n: v.reads for n, v in views.items()})


def _shape(v: ir.View) -> ir.View:
    return dataclasses.replace(v, indexes=(), comment=None)


def _appends_only(old: ir.View, new: ir.View) -> bool:
    return (not old.materialized and not new.materialized and old.options == new.options
            and bool(old.columns) and bool(new.columns)
            and new.columns[:len(old.columns)] == old.columns)


def _views(cur: ir.Schema, tgt: ir.Schema, table_ops: list[o.Op]) -> list[o.Op]:
    have = {v.name: v for v in cur.views}
    want = {v.name: v for v in tgt.views}
    touched = _affected_tables(table_ops)
    # a function dropped and recreated (its result type changed) takes the views calling it
    functions = _dropped_functions(table_ops)
    rebuild: set[ir.QName] = set()
    replace: set[ir.QName] = set()
    for n in sorted(have.keys() & want.keys()):
        if any(r in touched for r in have[n].reads) or names_read(have[n].definition,
                                                                  functions):
            rebuild.add(n)
        elif _shape(have[n]) != _shape(want[n]):
            (replace if _appends_only(have[n], want[n]) else rebuild).add(n)
    gone = have.keys() - want.keys()
    # a view reading one that is dropped (for good or to come back) goes down with it
    changed = True
    while changed:
        changed = False
        for n, v in have.items():
            if n in want and n not in rebuild and any(r in rebuild or r in gone
                                                       for r in v.reads):
                rebuild.add(n)
                replace.discard(n)
                changed = True

    out: list[o.Op] = []
    down = [n for n in reversed(_order(have)) if n in gone or n in rebuild]
    for n in down:
        out.append(o.DropView(name=n, materialized=have[n].materialized, replaced=n in rebuild,
                              reason="view no longer declared" if n in gone else
                              "recreated: its definition or a column it reads changes"))
    for n in _order(want):
        v = want[n]
        kind = "materialized view" if v.materialized else "view"
        old = have.get(n)
        if old is None or n in rebuild:
            out.append(o.CreateView(view=v, reason=f"new {kind}" if old is None else
                                    f"{kind} {n} recreated"))
            for ix in v.indexes:
                out.append(o.CreateIndex(table=n, index=ix, reason=f"index of {kind} {n}"))
                out += _comment("index", ir.QName(schema=n.schema, name=ix.name), ix.comment,
                                None)
            out += _comment(kind, n, v.comment, None)
            continue
        if n in replace:
            out.append(o.CreateView(view=v, replace=True,
                                    reason=f"{kind} {n} changed (columns appended)"))
        out += _view_indexes(n, old.indexes, v.indexes)
        out += _comment(kind, n, v.comment, old.comment)
    return out


def _view_indexes(view: ir.QName, old: tuple[ir.Index, ...], new: tuple[ir.Index, ...]
                  ) -> list[o.Op]:
    olds = {i.name: i for i in old}
    news = {i.name: i for i in new}

    def same(a: ir.Index, b: ir.Index) -> bool:
        return dataclasses.replace(a, comment=None) == dataclasses.replace(b, comment=None)

    out: list[o.Op] = []
    for n in sorted(olds):
        if n not in news or not same(olds[n], news[n]):
            out.append(o.DropIndex(schema=view.schema, name=n, concurrently=True,
                                   replaced=n in news, reason="index removed" if n not in news
                                   else "index changed"))
    for n in sorted(news):
        ix_name = ir.QName(schema=view.schema, name=n)
        if n not in olds or not same(olds[n], news[n]):
            out.append(o.CreateIndex(table=view, index=news[n], concurrently=True,
                                     reason="index added" if n not in olds else "index changed"))
            out += _comment("index", ix_name, news[n].comment, None)
        else:
            out += _comment("index", ix_name, news[n].comment, olds[n].comment)
    return out


# -- triggers and sequences -------------------------------------------------------------------


def _triggers(cur: ir.Schema, tgt: ir.Schema) -> list[o.Op]:
    have = {(t.table, t.name): t for t in cur.triggers}
    want = {(t.table, t.name): t for t in tgt.triggers}
    live_tables = {t.name for t in tgt.tables}
    out: list[o.Op] = []
    for key in sorted(have):
        if key not in want and key[0] in live_tables:  # else it goes with its table
            out.append(o.DropTrigger(table=key[0], name=key[1],
                                     reason="trigger no longer declared"))
        elif key in want and want[key].definition != have[key].definition:
            out.append(o.DropTrigger(table=key[0], name=key[1], replaced=True,
                                     reason="trigger changed"))
    for key in sorted(want):
        t = want[key]
        old = have.get(key)
        if old is None or old.definition != t.definition:
            out.append(o.CreateTrigger(trigger=t, reason="new trigger" if old is None
                                       else "trigger changed"))
            out += _comment("trigger", t.table, t.comment, None, column=t.name)
        else:
            out += _comment("trigger", t.table, t.comment, old.comment, column=t.name)
    return out


def _sequences(cur: ir.Schema, tgt: ir.Schema) -> list[o.Op]:
    have = {s.name: s for s in cur.sequences}
    want = {s.name: s for s in tgt.sequences}
    out: list[o.Op] = []
    for n in sorted(want):
        s, old = want[n], have.get(n)
        if old is not None:
            if dataclasses.replace(old, owned_by=None, comment=None) != dataclasses.replace(
                    s, owned_by=None, comment=None):
                out.append(o.AlterSequence(sequence=s, reason=f"sequence {n} options changed"))
            out += _comment("sequence", n, s.comment, old.comment)
        if s.owned_by != (old.owned_by if old else None):
            out.append(o.SetSequenceOwner(name=n, owned_by=s.owned_by,
                                          reason="sequence owner" if old is None
                                          else "sequence owner changed"))
    tables = {t.name for t in tgt.tables}
    # a sequence owned by a column goes with its table
    out += [o.DropSequence(name=n, reason="sequence no longer declared")
            for n in sorted(have.keys() - want.keys())
            if (owner := have[n].owned_by) is None or owner[0] in tables]
    return out


# -- row-level security -----------------------------------------------------------------------


def _row_security(cur: ir.Schema, tgt: ir.Schema, table_ops: list[o.Op]) -> list[o.Op]:
    """Flags, then policies. A policy on a table whose column changes type is dropped and
    recreated around the change (PostgreSQL refuses to alter a column a policy uses)."""
    out: list[o.Op] = []
    have_t = {t.name: t for t in cur.tables}
    for t in tgt.tables:
        old = have_t.get(t.name)
        was = (old.row_security, old.force_row_security) if old else (False, False)
        if was != (t.row_security, t.force_row_security):
            out.append(o.SetRowSecurity(
                table=t.name, enable=t.row_security if t.row_security != was[0] else None,
                force=t.force_row_security if t.force_row_security != was[1] else None,
                reason="row-level security" if old is None else "row-level security changed"))
    retyped = {op.table for op in table_ops if isinstance(op, o.AlterColumnType)}
    live = {t.name for t in tgt.tables}
    have = {(p.table, p.name): p for p in cur.policies}
    want = {(p.table, p.name): p for p in tgt.policies}
    for key in sorted(have):
        if key not in want:
            if key[0] in live:  # else it goes with its table
                out.append(o.DropPolicy(table=key[0], name=key[1], reason="policy removed"))
        elif want[key] != have[key] or key[0] in retyped:
            out.append(o.DropPolicy(table=key[0], name=key[1], replaced=True,
                                    reason="policy changed" if want[key] != have[key] else
                                    "recreated around a column type change"))
    for key in sorted(want):
        if key not in have or want[key] != have[key] or key[0] in retyped:
            out.append(o.CreatePolicy(policy=want[key], reason="new policy" if key not in have
                                      else "policy recreated"))
    return out
