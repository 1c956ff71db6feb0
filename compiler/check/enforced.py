"""Which declared rules PostgreSQL already guarantees, so that no row need be read for them.

Contract: `enforced_by(rule, live_table, canonical_table, trust)` names the live constraint
or index that makes PostgreSQL refuse every row breaking `rule` (a declared primary key,
UNIQUE, unique index, foreign key, NOT NULL column or CHECK), or returns None. A constraint
counts only when `Trust` does not say otherwise: constraints added NOT VALID, foreign keys
whose triggers are disabled, invalid indexes. Expressions (CHECKs, index predicates) are
matched in PostgreSQL's stored form (`canonical_table`). A pure function: no database.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler import ir
from compiler.check.hygiene import index_label


@dataclass(frozen=True, slots=True)
class Trust:
    """What the live catalog says PostgreSQL does not guarantee, although a constraint exists:
    constraints added NOT VALID, foreign keys with disabled triggers, invalid indexes."""

    untrusted: frozenset[tuple[ir.QName, str]] = frozenset()  # (table, constraint)
    # (table, column) whose NOT NULL was added NOT VALID (PostgreSQL 18+)
    unvalidated_not_null: frozenset[tuple[ir.QName, str]] = frozenset()
    invalid_indexes: frozenset[str] = frozenset()  # hygiene.index_label of each


def enforced_by(rule: object, lt: ir.Table, ct: ir.Table | None, trust: Trust) -> str | None:
    """The live constraint or index that makes PostgreSQL refuse every row breaking `rule`
    (a declared key, foreign key, NOT NULL column or CHECK), or None."""
    match rule:
        case ir.PrimaryKey(columns=cols):
            return _unique_enforcer(set(cols), True, None, lt, trust)
        case ir.Unique(columns=cols, nulls_not_distinct=nnd):
            return _unique_enforcer(set(cols), nnd, None, lt, trust)
        case ir.Index(name=name, elements=elements, nulls_not_distinct=nnd, where=where):
            if where is not None:
                canon = next((i for i in ct.indexes if i.name == name), None) if ct else None
                if canon is None:
                    return None
                where = canon.where
            return _unique_enforcer({e.column for e in elements if e.column}, nnd, where, lt,
                                    trust)
        case ir.ForeignKey():
            return next((fk.name for fk in lt.foreign_keys
                         if (fk.columns, fk.ref_table, fk.ref_columns)
                         == (rule.columns, rule.ref_table, rule.ref_columns)
                         and (lt.name, fk.name) not in trust.untrusted), None)
        case ir.Column(name=name):
            col = lt.column(name)
            if col is None or col.nullable or (lt.name, name) in trust.unvalidated_not_null:
                return None
            return "NOT NULL"
        case ir.Check(name=name):
            expr = next((c.expression for c in ct.checks if c.name == name), None) if ct \
                else None
            if expr is None:
                return None
            return next((c.name for c in lt.checks if c.expression == expr
                         and (lt.name, c.name) not in trust.untrusted), None)
    return None


def _unique_enforcer(cols: set[str], nulls_not_distinct: bool, where: str | None,
                     lt: ir.Table, trust: Trust) -> str | None:
    """A live key whose columns are among `cols` refuses every duplicate of `cols`, provided
    it covers the same rows (no predicate, or the same one) and, when NULLs must collide,
    it treats them so too (NULLS NOT DISTINCT, or columns that cannot be NULL)."""
    keys: list[tuple[str, tuple[str, ...], bool, str | None]] = []
    if lt.primary_key:
        keys.append((lt.primary_key.name, lt.primary_key.columns, True, None))
    keys += [(u.name, u.columns, u.nulls_not_distinct, None) for u in lt.uniques]
    keys += [(ix.name, tuple(e.column for e in ix.elements if e.column), ix.nulls_not_distinct,
              ix.where) for ix in lt.indexes
             # an explicit collation or operator class may compare otherwise than the
             # column does (a "C" collation under a case-insensitive column): not counted
             if ix.unique and all(e.column and e.collation is None and e.opclass is None
                                  for e in ix.elements)
             and index_label(lt.name, ix.name) not in trust.invalid_indexes]
    for name, kcols, knnd, kwhere in keys:
        if not kcols or not set(kcols) <= cols or (kwhere is not None and kwhere != where):
            continue
        if nulls_not_distinct and not knnd and any(
                (c := lt.column(k)) is None or c.nullable for k in kcols):
            continue
        return name
    return None
