"""IR × IR -> ordered change ops. A pure function: no database, no SQL text.

Contract: `diff(current, target)` returns the ops that turn `current` into `target`, in run
order (see `ops.Phase`), including destructive ones; `plan` decides which of those may run.
`build` is `diff(EMPTY, target)`. Renames come only from `renamed from` hints, never guesses.
Expressions are compared as text, so callers bring both sides to one canonical form first
(`compiler.canonical`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from compiler import ir
from compiler import ops as o
from compiler.diff_grants import grant_changes
from compiler.diff_objects import after_tables, before_tables
from compiler.diff_tables import DiffOptions, index_comment, table_changes
from compiler.frozen import replace
from compiler.order import creation_order

__all__ = ["DiffOptions", "diff", "new_table_ops", "table_dependencies"]


def diff(current: ir.Schema, target: ir.Schema,
         options: DiffOptions | None = None) -> tuple[o.Op, ...]:
    options = options or DiffOptions()
    out: list[o.Op] = []
    out += _namespaces(current, target)
    out += _extensions(current, target)
    out += _enums(current, target)
    out += _domains(current, target)
    out += before_tables(current, target)
    table_ops = _tables(current, target, options)
    out += table_ops
    out += after_tables(current, target, out)  # sees enum swaps as well as table changes
    out += grant_changes(current, target, out)  # after every op that (re)creates an object
    out += [o.InsertRows(rows=r, reason="reference rows") for r in target.rows]
    # stable sort: within a phase the order built above (already deterministic) is kept
    return tuple(sorted(out, key=lambda op: op.phase))


def _namespaces(cur: ir.Schema, tgt: ir.Schema) -> list[o.Op]:
    have = {n.name: n for n in cur.namespaces}
    want = {n.name: n for n in tgt.namespaces}
    out: list[o.Op] = [o.CreateSchema(name=n, reason="declared schema")
                       for n in sorted(want.keys() - have.keys())]
    out += [o.DropSchema(name=n, reason="schema no longer declared")
            for n in sorted(have.keys() - want.keys())]
    for n in sorted(want.keys() & have.keys()):
        if want[n].comment != have[n].comment:
            out.append(o.Comment(object_kind="schema", name=ir.QName(schema=n, name=n),
                                 text=want[n].comment, reason="description changed"))
    for n in sorted(want.keys() - have.keys()):
        if want[n].comment:
            out.append(o.Comment(object_kind="schema", name=ir.QName(schema=n, name=n),
                                 text=want[n].comment, reason="description"))
    return out


def _extensions(cur: ir.Schema, tgt: ir.Schema) -> list[o.Op]:
    have = {e.name for e in cur.extensions}
    want = {e.name: e for e in tgt.extensions}
    out: list[o.Op] = [o.CreateExtension(extension=want[n], reason="declared extension")
                       for n in sorted(want.keys() - have)]
    out += [o.DropExtension(name=n, reason="extension no longer declared")
            for n in sorted(have - want.keys())]
    return out


def _enums(cur: ir.Schema, tgt: ir.Schema) -> list[o.Op]:
    have = {e.name: e for e in cur.enums}
    want = {e.name: e for e in tgt.enums}
    out: list[o.Op] = []
    for name in sorted(want.keys() - have.keys()):
        out.append(o.CreateEnum(enum=want[name], reason="new enum type"))
        if want[name].comment:
            out.append(o.Comment(object_kind="type", name=name, text=want[name].comment,
                                 reason="description"))
    for name in sorted(want.keys() & have.keys()):
        old, new = have[name], want[name]
        removed = tuple(v for v in old.values if v not in new.values)
        kept_order = [v for v in new.values if v in old.values]
        if removed or kept_order != [v for v in old.values if v in new.values]:
            out.append(o.ReplaceEnum(
                enum=new, removed=removed, usages=_enum_usages(cur, tgt, name),
                reason=f"enum {name}: " + (f"values {', '.join(removed)} removed" if removed
                                           else "values reordered") + "; the type is swapped",
                preflight=str(name),
                hazards=(o.Hazard("enum-value-removed", "rows holding a removed value make "
                                  "the swap fail; columns using the type are rewritten"),)))
        else:
            existing = set(old.values)
            for i, value in enumerate(new.values):
                if value in existing:
                    continue
                # next to its neighbour in the declared order, so the sort order matches
                after = new.values[i - 1] if i > 0 else None
                before = None if after else next((v for v in new.values[i + 1:]
                                                  if v in existing), None)
                out.append(o.AddEnumValue(enum=name, value=value, after=after, before=before,
                                          reason=f"new value of {name}"))
                existing.add(value)
        if old.comment != new.comment:
            out.append(o.Comment(object_kind="type", name=name, text=new.comment,
                                 reason="description changed"))
    for name in sorted(have.keys() - want.keys()):
        out.append(o.DropEnum(name=name, reason="enum type no longer declared"))
    return out


def _enum_usages(cur: ir.Schema, tgt: ir.Schema, name: ir.QName) -> tuple[o.EnumUsage, ...]:
    from compiler.names import display

    type_text = display(name)
    wanted = {t.name: t for t in tgt.tables}
    out = []
    for t in cur.tables:
        for c in t.columns:
            if c.type in (type_text, type_text + "[]"):
                declared = wanted.get(t.name)
                dc = declared.column(c.name) if declared else None
                out.append(o.EnumUsage(table=t.name, column=c.name,
                                       default=dc.default if dc else c.default,
                                       array=c.type.endswith("[]")))
    return tuple(out)


def _domains(cur: ir.Schema, tgt: ir.Schema) -> list[o.Op]:
    have = {d.name: d for d in cur.domains}
    want = {d.name: d for d in tgt.domains}
    out: list[o.Op] = []
    for name in sorted(want.keys() - have.keys()):
        out.append(o.CreateDomain(domain=want[name], reason="new domain"))
    for name in sorted(want.keys() & have.keys()):
        if dataclasses.replace(have[name], comment=None) != dataclasses.replace(want[name],
                                                                              comment=None):
            out.append(o.DropDomain(name=name, reason="domain definition changed",
                                    hazards=(o.Hazard("domain-changed",
                                             "domains are recreated; columns using it block "
                                             "the drop"),)))
            out.append(o.CreateDomain(domain=want[name], reason="domain definition changed"))
    for name in sorted(have.keys() - want.keys()):
        out.append(o.DropDomain(name=name, reason="domain no longer declared"))
    return out


# -- tables -----------------------------------------------------------------------------------


def _tables(cur: ir.Schema, tgt: ir.Schema, options: DiffOptions) -> list[o.Op]:
    have = {t.name: t for t in cur.tables}
    want = {t.name: t for t in tgt.tables}
    out: list[o.Op] = []
    renames: dict[ir.QName, ir.QName] = {}  # new -> old
    for name, t in want.items():
        if name not in have and t.renamed_from:
            old = ir.QName(schema=name.schema, name=t.renamed_from)
            if old in have and old not in want:
                renames[name] = old
    if renames:
        # foreign keys in the live database follow a renamed table
        new_of = {old: new for new, old in renames.items()}
        have = {n: dataclasses.replace(t, foreign_keys=tuple(
            dataclasses.replace(fk, ref_table=new_of.get(fk.ref_table, fk.ref_table))
            for fk in t.foreign_keys)) for n, t in have.items()}
    new_tables = [want[n] for n in want if n not in have and n not in renames]
    dropped = [n for n in have if n not in want and n not in renames.values()]

    # foreign keys from kept tables to dropped ones are not in the target either, so the
    # per-table diff drops them in DROP_DEPENDENTS, before these tables go
    for name in _reverse_fk_order(have, dropped):
        out.append(o.DropTable(name=name, reason="table no longer declared"))

    created: set[ir.QName] = set()
    deferred_fks: list[o.Op] = []
    for t in _fk_order(new_tables):
        later = {fk.name for fk in t.foreign_keys if fk.ref_table not in created
                 and fk.ref_table != t.name and fk.ref_table not in have}
        first, after = new_table_ops(t, later)
        out += first
        deferred_fks += after
        created.add(t.name)
    out += deferred_fks

    for new, old in sorted(renames.items()):
        out.append(o.RenameTable(old=old, new=new, reason=f"renamed from {old.name}"))
        out += table_changes(dataclasses.replace(have[old], name=new), want[new], options)
    for name in sorted(have.keys() & want.keys()):
        out += table_changes(have[name], want[name], options)
    return out


def new_table_ops(t: ir.Table, later: Collection[str] = ()) -> tuple[list[o.Op], list[o.Op]]:
    """The ops that create table `t`: its table, comments and indexes, then (second list,
    run once every new table exists) the foreign keys named in `later`, whose target is
    created after `t` in a reference cycle."""
    first: list[o.Op] = [o.CreateTable(
        table=_creatable(t), foreign_keys=tuple(fk for fk in t.foreign_keys
                                                if fk.name not in later),
        reason="new table")]
    first += _comments_for_new(t)
    for ix in t.indexes:
        first.append(o.CreateIndex(table=t.name, index=ix, reason="index of new table"))
        first += index_comment(t.name, ix, None)
    after: list[o.Op] = [o.AddConstraint(
        table=t.name, constraint=fk,
        reason=f"foreign key to {fk.ref_table}, created later (breaks a reference cycle)")
        for fk in t.foreign_keys if fk.name in later]
    return first, after


def table_dependencies(t: ir.Table) -> tuple[ir.QName, ...]:
    """The tables `t` needs to exist first: those its foreign keys reference, and (as a
    partition or an inheriting table) its parents."""
    return (*(fk.ref_table for fk in t.foreign_keys), *t.inherits,
            *((t.partition_of,) if t.partition_of else ()))


def _creatable(t: ir.Table) -> ir.Table:
    """A new table is created without its deprecated columns, and its indexes separately."""
    return replace(  # once per table of a new schema: the quick copy
        t, columns=tuple(c for c in t.columns if not c.deprecated), foreign_keys=(), indexes=())


def _comments_for_new(t: ir.Table) -> list[o.Op]:
    out: list[o.Op] = []
    if t.comment:
        out.append(o.Comment(object_kind="table", name=t.name, text=t.comment,
                             reason="description"))
    # copies of one op (`replace` sets the slots directly): a new schema's DDL has a dozen
    # column descriptions per table, and making each through `__init__` cost twice as much
    described = [c for c in t.columns if c.comment and not c.deprecated]
    if described:
        first = o.Comment(object_kind="column", name=t.name, reason="description")
        out += [replace(first, column=c.name, text=c.comment) for c in described]
    return out



def _fk_order(tables: list[ir.Table]) -> list[ir.Table]:
    """A referenced table is created first; foreign keys of a cycle are added after."""
    by_name = {t.name: t for t in tables}
    return [by_name[n] for n in creation_order({t.name: table_dependencies(t)
                                                 for t in tables})]


def _reverse_fk_order(have: dict[ir.QName, ir.Table], names: list[ir.QName]) -> list[ir.QName]:
    return [t.name for t in reversed(_fk_order([have[n] for n in names]))]
