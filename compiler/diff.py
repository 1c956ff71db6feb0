"""IR × IR -> ordered change ops. A pure function: no database, no SQL text.

Contract: `diff(current, target)` returns the ops that turn `current` into `target`, in run
order (see `ops.Phase`), including destructive ones; `plan` decides which of those may run.
`build` is `diff(EMPTY, target)`. Renames come only from `renamed from` hints, never guesses.
Expressions are compared as text, so callers bring both sides to one canonical form first
(`compiler.canonical`).
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable, Iterable
from typing import TypeVar

from compiler import ir
from compiler import ops as o
from compiler.diff_objects import after_tables, before_tables
from compiler.frozen import replace


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DiffOptions:
    drop_deprecated: bool = False


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

    created_order = _fk_order(new_tables)
    created: set[ir.QName] = set()
    deferred_fks: list[o.Op] = []
    for t in created_order:
        inline: list[ir.ForeignKey] = []
        later: list[ir.ForeignKey] = []
        for fk in t.foreign_keys:
            target_ready = fk.ref_table in created or fk.ref_table == t.name or (
                fk.ref_table in have)
            (inline if target_ready else later).append(fk)
        out.append(o.CreateTable(table=_creatable(t), foreign_keys=tuple(inline),
                                 reason="new table"))
        created.add(t.name)
        out += _comments_for_new(t)
        for ix in t.indexes:
            out.append(o.CreateIndex(table=t.name, index=ix, reason="index of new table"))
            out += _index_comment(t.name, ix, None)
        for fk in later:
            deferred_fks.append(o.AddConstraint(
                table=t.name, constraint=fk,
                reason=f"foreign key to {fk.ref_table}, created later (breaks a reference "
                       "cycle)"))
    out += deferred_fks

    for new, old in sorted(renames.items()):
        out.append(o.RenameTable(old=old, new=new, reason=f"renamed from {old.name}"))
        out += _table_changes(dataclasses.replace(have[old], name=new), want[new], options)
    for name in sorted(have.keys() & want.keys()):
        out += _table_changes(have[name], want[name], options)
    return out


def _creatable(t: ir.Table) -> ir.Table:
    """A new table is created without its deprecated columns, and its indexes separately."""
    return replace(  # once per table of a new schema: the quick copy
        t, columns=tuple(c for c in t.columns if not c.deprecated), foreign_keys=(), indexes=())


def _comments_for_new(t: ir.Table) -> list[o.Op]:
    out: list[o.Op] = []
    if t.comment:
        out.append(o.Comment(object_kind="table", name=t.name, text=t.comment,
                             reason="description"))
    for c in t.columns:
        if c.comment and not c.deprecated:
            out.append(o.Comment(object_kind="column", name=t.name, column=c.name,
                                 text=c.comment, reason="description"))
    return out


def _table_changes(old: ir.Table, new: ir.Table, options: DiffOptions) -> list[o.Op]:
    t = new.name
    out: list[o.Op] = []
    have = {c.name: c for c in old.columns}
    want = {c.name: c for c in new.columns}
    renamed: dict[str, str] = {}
    for c in new.columns:
        if c.name not in have and c.renamed_from and c.renamed_from in have \
                and c.renamed_from not in want:
            renamed[c.name] = c.renamed_from
            out.append(o.RenameColumn(table=t, old=c.renamed_from, new=c.name,
                                      reason=f"renamed from {c.renamed_from}"))
    gone = set(renamed.values())

    for c in old.columns:
        if c.name in gone:
            continue
        target = want.get(c.name)
        if target is None:
            out.append(o.DropColumn(table=t, column=c.name, reason="column no longer declared"))
        elif target.deprecated and options.drop_deprecated:
            out.append(o.DropColumn(table=t, column=c.name,
                                    reason=f"deprecated: {target.deprecated}"))
    for c in new.columns:
        before = have.get(renamed.get(c.name, c.name))
        if c.deprecated:
            continue  # left as it is: dropped only with --drop-deprecated, never created
        if before is None:
            out.append(o.AddColumn(table=t, column=c, reason="new column",
                                   hazards=_add_column_hazards(c)))
            if c.comment:
                out.append(o.Comment(object_kind="column", name=t, column=c.name,
                                     text=c.comment, reason="description"))
            continue
        out += _column_changes(t, before, c)

    out += _constraint_changes(_with_renamed_columns(old, renamed), new)
    if old.unlogged != new.unlogged:
        out.append(o.SetLogged(table=t, logged=not new.unlogged,
                               reason="unlogged" if new.unlogged else "logged",
                               hazards=(o.Hazard("table-rewrite", "rewrites the table under "
                                                 "an ACCESS EXCLUSIVE lock"),)))
    # Partitioning and inheritance are not altered in place (a partition's bound is compared
    # only by `check`, since PostgreSQL respells the values): recreating the table would lose
    # its rows, so a change there is left to the user.
    if old.comment != new.comment:
        out.append(o.Comment(object_kind="table", name=t, text=new.comment,
                             reason="description changed"))
    return out


def _with_renamed_columns(t: ir.Table, renamed: dict[str, str]) -> ir.Table:
    """The live table as it reads after RENAME COLUMN: keys and indexes follow the column,
    so they are not seen as dropped and re-created."""
    if not renamed:
        return t
    new_of = {old: new for new, old in renamed.items()}

    def cols(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(new_of.get(n, n) for n in names)

    rep = dataclasses.replace
    return rep(
        t,
        primary_key=rep(t.primary_key, columns=cols(t.primary_key.columns))
        if t.primary_key else None,
        uniques=tuple(rep(u, columns=cols(u.columns)) for u in t.uniques),
        foreign_keys=tuple(rep(fk, columns=cols(fk.columns)) for fk in t.foreign_keys),
        indexes=tuple(rep(ix, include=cols(ix.include), elements=tuple(
            rep(e, column=new_of.get(e.column, e.column)) if e.column else e
            for e in ix.elements)) for ix in t.indexes),
    )


def _index_comment(t: ir.QName, ix: ir.Index, before: str | None) -> list[o.Op]:
    if ix.comment == before:
        return []
    return [o.Comment(object_kind="index", name=ir.QName(schema=t.schema, name=ix.name),
                      text=ix.comment, reason="description" if before is None
                      else "description changed")]


def _add_column_hazards(c: ir.Column) -> tuple[o.Hazard, ...]:
    if not c.nullable and c.default is None and not c.serial and not c.identity \
            and not c.generated:
        return (o.Hazard("adding-required-field",
                         "a NOT NULL column without a default fails on a table with rows"),)
    return ()


def _column_changes(t: ir.QName, old: ir.Column, new: ir.Column) -> list[o.Op]:
    out: list[o.Op] = []
    if old.type != new.type:
        narrowing = _narrowing(old.type, new.type)
        hazards = [o.Hazard("changing-column-type",
                            "rewrites the table and its indexes under an ACCESS EXCLUSIVE lock")]
        if narrowing:
            hazards.append(o.Hazard("narrowing-type",
                                    f"{old.type} -> {new.type} can fail or lose data"))
        out.append(o.AlterColumnType(
            table=t, column=new.name, old_type=old.type, new_type=new.type,
            using=f"{_q(new.name)}::{new.type}", narrowing=narrowing,
            reason=f"type {old.type} -> {new.type}", hazards=tuple(hazards)))
    if (old.default, old.serial, old.identity) != (new.default, new.serial, new.identity):
        if not new.serial and not old.serial and old.identity == new.identity:
            out.append(o.SetDefault(table=t, column=new.name, default=new.default,
                                    reason="default changed"))
    if old.nullable and not new.nullable:
        out.append(o.SetNotNull(table=t, column=new.name, reason="declared NOT NULL",
                                preflight=f"NULL in {t}.{new.name}"))
    elif not old.nullable and new.nullable:
        out.append(o.DropNotNull(table=t, column=new.name, reason="declared nullable"))
    if old.comment != new.comment:
        out.append(o.Comment(object_kind="column", name=t, column=new.name, text=new.comment,
                             reason="description changed"))
    return out


def _q(name: str) -> str:
    from compiler.names import quote_ident

    return quote_ident(name)


_WIDTH_ORDER = {"smallint": 1, "integer": 2, "bigint": 3}


def _narrowing(old: str, new: str) -> bool:
    """True when some existing values might not fit the new type."""
    import re

    if old == "timestamp without time zone" and new == "timestamp with time zone":
        return False  # every value converts (read in the session's time zone)
    if old in _WIDTH_ORDER and new in _WIDTH_ORDER:
        return _WIDTH_ORDER[new] < _WIDTH_ORDER[old]
    m_old = re.fullmatch(r"character varying\((\d+)\)", old)
    m_new = re.fullmatch(r"character varying\((\d+)\)", new)
    if m_old and (new == "text" or new == "character varying"):
        return False
    if m_old and m_new:
        return int(m_new.group(1)) < int(m_old.group(1))
    if old == "text" and new == "character varying":
        return False
    if old in _WIDTH_ORDER and new in ("numeric", "bigint", "text"):
        return False
    return True


def _constraint_changes(old: ir.Table, new: ir.Table) -> list[o.Op]:
    t = new.name
    out: list[o.Op] = []
    # deprecated columns that are not there: nothing may be built on them (inherited columns,
    # which the table does not list, are there)
    absent = {c.name for c in new.columns if c.deprecated} - {c.name for c in old.columns}

    def pair(a: Iterable[_Key], b: Iterable[_Key]) -> None:
        olds = {x.name: x for x in a}
        news = {x.name: x for x in b}
        _renames(olds, news, lambda x, y: out.append(
            o.RenameConstraint(table=t, old=x, new=y, reason="same definition, new name")))
        for n in sorted(olds):
            if n not in news or news[n] != olds[n]:
                out.append(o.DropConstraint(table=t, name=n, replaced=n in news,
                                            reason="constraint removed" if n not in news
                                            else "constraint changed"))
        for n in sorted(news):
            if n not in olds or news[n] != olds[n]:
                out.extend(_add_to_existing(t, news[n], "added" if n not in olds else "changed"))

    pair([old.primary_key] if old.primary_key else [],
         [new.primary_key] if new.primary_key else [])
    pair(old.uniques, new.uniques)
    pair(old.foreign_keys, new.foreign_keys)

    # checks: matched by definition when the declared name was derived (PostgreSQL and other
    # tools number unnamed checks differently), by name otherwise
    old_checks = list(old.checks)
    for ch in new.checks:
        match = next((c for c in old_checks if c.name == ch.name
                      and c.expression == ch.expression), None)
        if match is None and ch.derived_name:
            match = next((c for c in old_checks if c.expression == ch.expression), None)
        if match is not None:
            old_checks.remove(match)
            continue
        out.extend(_add_to_existing(t, ch, "added"))
    for c in old_checks:
        replaced = any(ch.name == c.name for ch in new.checks)
        out.insert(0, o.DropConstraint(table=t, name=c.name, replaced=replaced,
                                       reason="check changed" if replaced else "check removed"))

    # exclusion constraints: by name; a changed one is dropped and re-added (it builds its
    # index under a SHARE ROW EXCLUSIVE lock: there is no NOT VALID form)
    old_x = {x.name: x for x in old.exclusions}
    new_x = {x.name: x for x in new.exclusions}
    for n in sorted(old_x):
        if n not in new_x or new_x[n] != old_x[n]:
            out.insert(0, o.DropConstraint(table=t, name=n, replaced=n in new_x,
                                           reason="exclusion constraint changed" if n in new_x
                                           else "exclusion constraint removed"))
    for n in sorted(new_x):
        if n not in old_x or new_x[n] != old_x[n]:
            out.append(o.AddConstraint(table=t, constraint=new_x[n],
                                       reason="exclusion constraint " + (
                                           "changed" if n in old_x else "added"),
                                       hazards=(o.Hazard("exclusion-constraint-scan",
                                                "checks every row while blocking writes"),)))

    # indexes: compared whole; a changed index is dropped and rebuilt
    olds = {ix.name: ix for ix in old.indexes}
    news = {ix.name: ix for ix in new.indexes
            if all(e.column not in absent for e in ix.elements)}
    _renames(olds, news, lambda x, y: out.append(
        o.RenameIndex(schema=t.schema, old=x, new=y, reason="same definition, new name")))
    def same(a: ir.Index, b: ir.Index) -> bool:  # a description change is no rebuild
        return dataclasses.replace(a, comment=None) == dataclasses.replace(b, comment=None)

    for n in sorted(olds):
        if n not in news or not same(news[n], olds[n]):
            out.append(o.DropIndex(schema=t.schema, name=n, concurrently=True,
                                   replaced=n in news,
                                   reason="index removed" if n not in news else "index changed"))
    for n in sorted(news):
        if n not in olds or not same(news[n], olds[n]):
            out.append(o.CreateIndex(table=t, index=news[n], concurrently=True,
                                     reason="index added" if n not in olds else "index changed"))
            out += _index_comment(t, news[n], None)
        else:
            out += _index_comment(t, news[n], olds[n].comment)
    return out


Named = TypeVar("Named", ir.PrimaryKey, ir.Unique, ir.ForeignKey, ir.Index)
_Key = TypeVar("_Key", ir.PrimaryKey, ir.Unique, ir.ForeignKey)


def _renames(olds: dict[str, Named], news: dict[str, Named],
             emit: Callable[[str, str], None]) -> None:
    """An object that only changed its name is renamed, not dropped and rebuilt. Matched
    pairs are removed from both maps so the caller sees them as unchanged."""
    for old_name in sorted(set(olds) - set(news)):
        for new_name in sorted(set(news) - set(olds)):
            if dataclasses.replace(olds[old_name], name=new_name) == news[new_name]:
                emit(old_name, new_name)
                olds[new_name] = news[new_name]
                del olds[old_name]
                break


def _add_to_existing(t: ir.QName, c: ir.PrimaryKey | ir.Unique | ir.ForeignKey | ir.Check,
                     why: str) -> list[o.Op]:
    """Add a constraint to a table that holds rows without blocking it for a full scan:
    foreign keys and checks go in NOT VALID (instant) and are validated under a lock that
    lets reads and writes go on; unique and primary keys adopt an index built concurrently."""
    kind = {ir.PrimaryKey: "primary key", ir.Unique: "unique constraint",
            ir.ForeignKey: "foreign key", ir.Check: "check"}[type(c)]
    if isinstance(c, (ir.ForeignKey, ir.Check)):
        return [
            o.AddConstraint(table=t, constraint=c, not_valid=True,
                            reason=f"{kind} {why}; NOT VALID skips the scan under the "
                                   "exclusive lock", preflight=c.name),
            o.ValidateConstraint(table=t, name=c.name,
                                 reason="checks existing rows without blocking writes"),
        ]
    index = ir.Index(name=c.name, elements=tuple(ir.IndexElement(column=col)
                                                 for col in c.columns), unique=True,
                     nulls_not_distinct=isinstance(c, ir.Unique) and c.nulls_not_distinct)
    return [
        o.CreateIndex(table=t, index=index, concurrently=True,
                      reason=f"index for the {kind}, built without blocking writes",
                      preflight=c.name),
        o.AddConstraint(table=t, constraint=c, using_index=c.name,
                        reason=f"{kind} {why}, adopting the index just built"),
    ]


def _fk_order(tables: list[ir.Table]) -> list[ir.Table]:
    """Kahn's algorithm over foreign keys, ties broken by name, so a referenced table is
    created first and the order never depends on declaration order. Cycles are cut at the
    smallest remaining name; their foreign keys are added after."""
    by_name = {t.name: t for t in tables}
    # a partition or an inheriting table needs its parent, as a foreign key its target
    deps = {t.name: {r for r in (*(fk.ref_table for fk in t.foreign_keys), *t.inherits,
                                 *((t.partition_of,) if t.partition_of else ()))
                     if r in by_name and r != t.name} for t in tables}
    users: dict[ir.QName, set[ir.QName]] = {n: set() for n in by_name}
    for n, ds in deps.items():
        for d in ds:
            users[d].add(n)
    remaining = {n: set(ds) for n, ds in deps.items()}  # only tables not yet placed
    ready = [n for n, ds in remaining.items() if not ds]
    heapq.heapify(ready)
    order: list[ir.QName] = []
    while remaining:
        if not ready:  # a cycle: release the smallest name still waiting
            heapq.heappush(ready, min(remaining))
        n = heapq.heappop(ready)
        if n not in remaining:
            continue
        del remaining[n]
        order.append(n)
        for u in sorted(users[n]):
            if u in remaining:
                remaining[u].discard(n)
                if not remaining[u]:
                    heapq.heappush(ready, u)
    return [by_name[n] for n in order]


def _reverse_fk_order(have: dict[ir.QName, ir.Table], names: list[ir.QName]) -> list[ir.QName]:
    return [t.name for t in reversed(_fk_order([have[n] for n in names]))]
