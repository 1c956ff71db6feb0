"""Drift of a table's keys, foreign keys, checks and indexes, as findings.

Contract: `key_drift(declared, live, exact)` compares one declared table (expressions already
in PostgreSQL's stored form) with its live counterpart: primary key, UNIQUE constraints,
foreign keys, CHECKs, then indexes. Objects are matched by name first and then by
definition, so one that exists under another name is reported once (`name-mismatch`); a
declared UNIQUE that a unique index already enforces is not missing, and that index is not
reported again as unexpected. Every finding carries the SQL that closes it, written for a
table in use (concurrent index builds, NOT VALID then VALIDATE). A pure function.
"""

from __future__ import annotations

import dataclasses

from compiler import ir
from compiler import ops as o
from compiler.check.findings import Finding, finding
from compiler.generators.sql import op_statements
from compiler.names import display, quote_ident


def key_drift(t: ir.Table, lt: ir.Table, exact: bool) -> list[Finding]:
    found, consumed = _constraints(t, lt, exact)
    return found + _indexes(t, lt, exact, consumed)


def _actions(fk: ir.ForeignKey) -> str:
    limited = f" ({', '.join(fk.on_delete_columns)})" if fk.on_delete_columns else ""
    return (f"ON DELETE {fk.on_delete.upper()}{limited} ON UPDATE {fk.on_update.upper()}")


def _sql(*ops: o.Op) -> str:
    return "\n".join(stmt for op in ops for stmt in op_statements(op))


def _unique_index_on(lt: ir.Table, cols: tuple[str, ...], nnd: bool) -> ir.Index | None:
    return next((ix for ix in lt.indexes if ix.unique and ix.where is None
                 and ix.nulls_not_distinct == nnd and all(e.column for e in ix.elements)
                 and {e.column for e in ix.elements} == set(cols)
                 and len(ix.elements) == len(cols)), None)


def _unique_words(u: ir.Unique) -> str:
    flags = [w for w, on in (("NULLS NOT DISTINCT", u.nulls_not_distinct),
                             ("DEFERRABLE", u.deferrable),
                             ("INITIALLY DEFERRED", u.initially_deferred)) if on]
    return f"({', '.join(u.columns)})" + "".join(f" {w}" for w in flags)


def _unnamed(x: object) -> object:
    return dataclasses.replace(x, name="")  # type: ignore[type-var]


def _constraints(t: ir.Table, lt: ir.Table, exact: bool) -> tuple[list[Finding], set[str]]:
    """Findings, and the live unique indexes that stand in for declared UNIQUE constraints
    (so the index pass does not also call them unexpected)."""
    out: list[Finding] = []
    name = t.name
    consumed_indexes: set[str] = set()

    def add_ops(c: ir.PrimaryKey | ir.Unique) -> str:
        ix = ir.Index(name=c.name, elements=tuple(ir.IndexElement(column=col)
                                                  for col in c.columns), unique=True,
                      nulls_not_distinct=isinstance(c, ir.Unique) and c.nulls_not_distinct)
        return _sql(o.CreateIndex(table=name, index=ix, concurrently=True),
                    o.AddConstraint(table=name, constraint=c, using_index=c.name))

    pk, lpk = t.primary_key, lt.primary_key
    if pk and not lpk:
        out.append(finding("missing-primary-key", table=name, columns=pk.columns,
                           object=pk.name, span=pk.span or t.span,
                           message=f"{name} has no primary key; the schema declares "
                                   f"({', '.join(pk.columns)})", fix=add_ops(pk)))
    elif pk and lpk and pk.columns != lpk.columns:
        out.append(finding("primary-key-mismatch", table=name, columns=pk.columns,
                           object=lpk.name, span=pk.span or t.span,
                           message=f"the primary key of {name} is ({', '.join(lpk.columns)}); "
                                   f"the schema declares ({', '.join(pk.columns)})",
                           fix="`schemac diff` shows the statements"))
    elif pk and lpk and pk.name != lpk.name:
        out.append(_renamed(name, "primary key", pk.name, lpk.name, pk.span))
    elif lpk and not pk:
        out.append(_unexpected(t, lpk.name, "primary key", lpk.columns))

    live_u = {u.name: u for u in lt.uniques}
    for u in t.uniques:
        cols = u.columns
        lu = live_u.pop(u.name, None)
        if lu is not None and lu == u:
            continue
        if lu is not None:  # same name, another definition: the declared one is not enforced
            out.append(finding("missing-unique", table=name, columns=cols, object=u.name,
                               span=u.span, message=f"UNIQUE {u.name} of {name} is "
                               f"{_unique_words(lu)}; the schema declares {_unique_words(u)}",
                               fix="`schemac diff` shows the statements"))
            continue
        other = next((x for x in live_u.values() if _unnamed(x) == _unnamed(u)), None)
        if other is not None:
            del live_u[other.name]
            out.append(_renamed(name, "unique constraint", u.name, other.name, u.span, cols))
            continue
        ix = _unique_index_on(lt, cols, u.nulls_not_distinct)
        if ix is not None:
            consumed_indexes.add(ix.name)
            out.append(finding(
                "constraint-form-mismatch", table=name, columns=cols, object=u.name,
                span=u.span, message=f"UNIQUE ({', '.join(cols)}) of {name} is enforced by the "
                f"unique index {ix.name}, not by a constraint", fix=None))
            continue
        out.append(finding("missing-unique", table=name, columns=cols, object=u.name,
                           span=u.span, message=f"UNIQUE ({', '.join(cols)}) of {name} is not "
                           "enforced by the database", fix=add_ops(u)))
    for lu in live_u.values():
        out.append(_unexpected(t, lu.name, "unique constraint", lu.columns))

    live_fk = {f.name: f for f in lt.foreign_keys}
    for fk in t.foreign_keys:
        cols = fk.columns
        lfk = live_fk.pop(fk.name, None)
        if lfk is None:
            lfk = next((x for x in live_fk.values() if _unnamed(x) == _unnamed(fk)), None)
            if lfk is not None:
                del live_fk[lfk.name]
                out.append(_renamed(name, "foreign key", fk.name, lfk.name, fk.span, cols))
                continue
            out.append(finding(
                "missing-foreign-key", table=name, columns=cols, object=fk.name, span=fk.span,
                message=f"foreign key {name}({', '.join(cols)}) -> {fk.ref_table}"
                        f"({', '.join(fk.ref_columns)}) is missing",
                fix=_add_validated(name, fk)))
            continue
        if lfk == fk:
            continue
        same_ref = dataclasses.replace(lfk, on_delete=fk.on_delete, on_update=fk.on_update,
                                       on_delete_columns=fk.on_delete_columns)
        if same_ref == fk:
            out.append(finding(
                "on-delete-mismatch", table=name, columns=cols, object=fk.name, span=fk.span,
                message=f"foreign key {fk.name} is {_actions(lfk)}; the schema declares "
                        f"{_actions(fk)}",
                fix=_replace(name, fk)))
        else:
            out.append(finding(
                "foreign-key-mismatch", table=name, columns=cols, object=fk.name, span=fk.span,
                message=f"foreign key {fk.name} is ({', '.join(lfk.columns)}) -> "
                        f"{lfk.ref_table}({', '.join(lfk.ref_columns)}); the schema declares "
                        f"({', '.join(cols)}) -> {fk.ref_table}({', '.join(fk.ref_columns)})",
                fix=_replace(name, fk)))
    for lfk in live_fk.values():
        out.append(_unexpected(t, lfk.name, "foreign key", lfk.columns))

    live_ch = list(lt.checks)
    for ch in t.checks:
        by_name = next((x for x in live_ch if x.name == ch.name), None)
        by_expr = next((x for x in live_ch if x.expression == ch.expression), None)
        if by_name is not None and (by_name.expression == ch.expression or not exact):
            live_ch.remove(by_name)
            continue
        if by_expr is not None and exact:
            live_ch.remove(by_expr)
            if not ch.derived_name:
                out.append(_renamed(name, "check", ch.name, by_expr.name, ch.span))
            continue
        if by_name is not None:
            live_ch.remove(by_name)
            out.append(finding(
                "check-mismatch", table=name, object=ch.name, span=ch.span,
                message=f"CHECK {ch.name} of {name} is ({by_name.expression}); the schema "
                        f"declares ({ch.expression})",
                fix=_replace(name, ch)))
            continue
        if not exact and ch.derived_name:
            continue  # its stored name and text are unknown without a dev database
        out.append(finding(
            "missing-check", table=name, object=ch.name, span=ch.span,
            message=f"CHECK ({ch.expression}) of {name} is not enforced by the database",
            fix=_add_validated(name, ch)))
    if exact:
        for lch in live_ch:
            out.append(_unexpected(t, lch.name, "CHECK", (), f" ({lch.expression})"))
    return out, consumed_indexes


def _add_validated(table: ir.QName, c: ir.ForeignKey | ir.Check) -> str:
    # NOT VALID takes its strong lock only for an instant; VALIDATE scans under a weak one
    return _sql(o.AddConstraint(table=table, constraint=c, not_valid=True),
                o.ValidateConstraint(table=table, name=c.name))


def _replace(table: ir.QName, c: ir.ForeignKey | ir.Check) -> str:
    return _sql(o.DropConstraint(table=table, name=c.name, replaced=True)) + "\n" + \
        _add_validated(table, c)


def _renamed(table: ir.QName, kind: str, declared: str, live: str, span: object,
             columns: tuple[str, ...] = ()) -> Finding:
    return finding("name-mismatch", table=table, columns=columns, object=declared,
                   span=span,  # type: ignore[arg-type]
                   message=f"{kind} {declared} of {table} exists as {live}",
                   fix=f"ALTER TABLE {display(table)} RENAME CONSTRAINT {quote_ident(live)} TO "
                       f"{quote_ident(declared)};" if kind != "index" else
                   _sql(o.RenameIndex(schema=table.schema, old=live, new=declared)))


def _unexpected(t: ir.Table, cname: str, kind: str, columns: tuple[str, ...],
                detail: str = "") -> Finding:
    cols = f" ({', '.join(columns)})" if columns else detail
    return finding("unexpected-constraint", table=t.name, columns=columns, object=cname,
                   span=t.span, message=f"{kind} {cname}{cols} of {t.name} is not in the "
                                        "schema",
                   fix="declare it, or once nothing relies on it:\n"
                       + _sql(o.DropConstraint(table=t.name, name=cname)))


def _index_key(ix: ir.Index, exact: bool) -> object:
    ix = dataclasses.replace(ix, name="", comment=None)
    if not exact:
        ix = dataclasses.replace(ix, where=None, elements=tuple(
            dataclasses.replace(e, expression=None) for e in ix.elements))
    return ix


def _indexes(t: ir.Table, lt: ir.Table, exact: bool, consumed: set[str]) -> list[Finding]:
    out: list[Finding] = []
    name = t.name
    live = {ix.name: ix for ix in lt.indexes if ix.name not in consumed}
    uniques = {frozenset(u.columns): u for u in lt.uniques}
    if lt.primary_key:
        uniques.setdefault(frozenset(lt.primary_key.columns), lt.primary_key)  # type: ignore
    for ix in t.indexes:
        cols = tuple(e.column for e in ix.elements if e.column)
        lix = live.pop(ix.name, None)
        if lix is not None:
            if _index_key(lix, exact) != _index_key(ix, exact):
                out.append(finding(
                    "index-mismatch", table=name, columns=cols, object=ix.name, span=ix.span,
                    message=f"index {ix.name} of {name} differs from its declaration",
                    fix=_sql(o.DropIndex(schema=name.schema, name=ix.name, concurrently=True,
                                         replaced=True),
                             o.CreateIndex(table=name, index=ix, concurrently=True))))
            continue
        other = next((x for x in live.values() if _index_key(x, exact) == _index_key(ix, exact)),
                     None)
        if other is not None:
            del live[other.name]
            out.append(_renamed(name, "index", ix.name, other.name, ix.span, cols))
            continue
        plain = ix.unique and ix.where is None and len(cols) == len(ix.elements) \
            and not ix.include
        if plain and frozenset(cols) in uniques:
            out.append(finding(
                "constraint-form-mismatch", table=name, columns=cols, object=ix.name,
                span=ix.span, message=f"unique index {ix.name} of {name} is enforced by the "
                f"constraint {uniques[frozenset(cols)].name} instead", fix=None))
            continue
        create = _sql(o.CreateIndex(table=name, index=ix, concurrently=True))
        if ix.unique:
            where = f" where {ix.where}" if ix.where else ""
            out.append(finding(
                "missing-unique", table=name, columns=cols, object=ix.name, span=ix.span,
                message=f"unique index {ix.name} ({', '.join(cols) or 'expressions'}){where} "
                        f"of {name} does not exist, so the database does not enforce it",
                fix=create))
        else:
            out.append(finding(
                "missing-index", table=name, columns=cols, object=ix.name, span=ix.span,
                message=f"index {ix.name} ({', '.join(cols) or 'expressions'}) of {name} "
                        "does not exist", fix=create))
    for lix in live.values():
        cols = tuple(e.column for e in lix.elements if e.column)
        out.append(finding(
            "unexpected-index", table=name, columns=cols, object=lix.name, span=t.span,
            message=f"index {lix.name} of {name} is not in the schema",
            fix="declare it, or once no query needs it:\n"
                + _sql(o.DropIndex(schema=name.schema, name=lix.name, concurrently=True))))
    return out
