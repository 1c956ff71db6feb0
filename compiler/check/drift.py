"""Drift: where the live catalog differs from the declared schema, as findings.

Contract: `drift(target, live, unmanaged_objects, exact=...)` compares a declared schema
(already brought to PostgreSQL's canonical text by `compiler.canonical`, so defaults, checks
and index predicates compare as text) with the introspected one and returns one `Finding` per
difference, each with the SQL that would close it (written by the one SQL writer,
`compiler.generators.sql`) and the span of the declaration. A pure function: no database.

Objects are matched by name first and then by definition, so an object that exists under
another name is reported once (`name-mismatch`), not as missing plus unexpected. With
`exact=False` (no dev database to canonicalise expressions) expression texts are not
compared, only presence; the caller says so in an `expressions-not-compared` finding.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from compiler import ir
from compiler import ops as o
from compiler.check.drift_objects import object_drift
from compiler.check.findings import Finding, finding
from compiler.generators.sql import op_statements
from compiler.names import display, quote_ident
from compiler.types import base_of

# unmanaged kinds that the hygiene pass reports in its own words
_HYGIENE_KINDS = {"not valid constraint"}


def _sql(*ops: o.Op) -> str:
    return "\n".join(stmt for op in ops for stmt in op_statements(op))


def drift(target: ir.Schema, live: ir.Schema, unmanaged_objects: Sequence[tuple[str, str]],
          *, exact: bool = True, covered: Iterable[str] = ()) -> list[Finding]:
    """`covered`: unmanaged names another pass already reports (invalid indexes)."""
    out: list[Finding] = []
    out += _namespaces(target, live)
    out += _types(target, live, exact)
    skip = set(covered)
    # an invalid index (reported by hygiene) neither serves nor satisfies a declaration
    have = {t.name: dataclasses.replace(t, indexes=tuple(
        ix for ix in t.indexes
        if display(ir.QName(schema=t.name.schema, name=ix.name)) not in skip))
        for t in live.tables}
    want = {t.name: t for t in target.tables}
    renamed_away = {ir.QName(schema=t.name.schema, name=t.renamed_from)
                    for t in target.tables if t.renamed_from and t.name not in have}
    for name, t in want.items():
        lt = have.get(name)
        if lt is None:
            out.append(_missing_table(t, have))
        else:
            out += _table(t, lt, exact)
    for name in sorted(have.keys() - want.keys() - renamed_away):
        out.append(finding(
            "unexpected-table", table=name, message=f"table {name} is not in the schema",
            fix=f"declare it in the schema, or once nothing uses it:\n"
                f"{_sql(o.DropTable(name=name))}"))
    out += _undeclared_objects(target, live)
    out += object_drift(target, live, exact=exact)
    for kind, what in unmanaged_objects:
        if kind in _HYGIENE_KINDS or (kind == "index" and what in skip):
            continue
        out.append(finding("unmanaged-object", table=None, object=what,
                           message=f"{kind} {what} is not described by the schema "
                                   "(schemac leaves it as it is)"))
    return out


def _namespaces(target: ir.Schema, live: ir.Schema) -> list[Finding]:
    out = []
    have = {n.name for n in live.namespaces} | {"public"}
    for n in target.namespaces:
        if n.name not in have:
            out.append(finding("missing-schema", table=None, object=n.name, span=n.span,
                               message=f"schema {n.name} does not exist",
                               fix=_sql(o.CreateSchema(name=n.name))))
    exts = {e.name for e in live.extensions}
    for e in target.extensions:
        if e.name not in exts:
            out.append(finding("missing-extension", table=None, object=e.name, span=e.span,
                               message=f"extension {e.name} is not installed",
                               fix=_sql(o.CreateExtension(extension=e))))
    return out


def _types(target: ir.Schema, live: ir.Schema, exact: bool) -> list[Finding]:
    out: list[Finding] = []
    have = {e.name: e for e in live.enums}
    for e in target.enums:
        old = have.pop(e.name, None)
        if old is None:
            out.append(finding("missing-enum", table=None, object=str(e.name), span=e.span,
                               message=f"enum type {e.name} does not exist",
                               fix=_sql(o.CreateEnum(enum=e))))
            continue
        for i, v in enumerate(e.values):
            if v not in old.values:
                after = next((p for p in reversed(e.values[:i]) if p in old.values), None)
                before = None if after else next((p for p in e.values[i:] if p in old.values),
                                                 None)
                out.append(finding(
                    "enum-value-missing", table=None, object=str(e.name), span=e.span,
                    message=f"enum {e.name} lacks the value '{v}'",
                    fix=_sql(o.AddEnumValue(enum=e.name, value=v, after=after, before=before))))
        for v in old.values:
            if v not in e.values:
                out.append(finding(
                    "enum-value-unexpected", table=None, object=str(e.name), span=e.span,
                    message=f"enum {e.name} has the value '{v}', which the schema does not "
                            "declare",
                    fix=f"declare '{v}' in enum {e.name}, or move the rows holding it to "
                        "another value; then `schemac apply --allow-destructive` swaps the "
                        "type"))
        kept = [v for v in e.values if v in old.values]
        if kept != [v for v in old.values if v in e.values]:
            out.append(finding(
                "enum-order-mismatch", table=None, object=str(e.name), span=e.span,
                message=f"enum {e.name} orders its values ({', '.join(old.values)}) unlike "
                        f"the schema ({', '.join(e.values)})",
                fix="`schemac apply --allow-destructive` swaps the type for one in the "
                    "declared order"))
    for name in sorted(have):
        out.append(finding("unexpected-enum", table=None, object=str(name),
                           message=f"enum type {name} is not in the schema",
                           fix="declare it in the schema, or drop it once no column uses it"))
    doms = {d.name: d for d in live.domains}
    for d in target.domains:
        old_d = doms.pop(d.name, None)
        if old_d is None:
            out.append(finding("missing-domain", table=None, object=str(d.name), span=d.span,
                               message=f"domain {d.name} does not exist",
                               fix=_sql(o.CreateDomain(domain=d))))
            continue
        a = dataclasses.replace(d, comment=None)
        b = dataclasses.replace(old_d, comment=None)
        if not exact:
            a = dataclasses.replace(a, default=None, checks=())
            b = dataclasses.replace(b, default=None, checks=())
        if a != b:
            out.append(finding("domain-mismatch", table=None, object=str(d.name), span=d.span,
                               message=f"domain {d.name} differs from its declaration",
                               fix="`schemac diff` shows the statements that recreate it"))
    for dn in sorted(doms):
        out.append(finding("unexpected-domain", table=None, object=str(dn),
                           message=f"domain {dn} is not in the schema",
                           fix="declare it in the schema, or drop it once no column uses it"))
    return out


def _missing_table(t: ir.Table, have: dict[ir.QName, ir.Table]) -> Finding:
    bare = dataclasses.replace(t, columns=tuple(c for c in t.columns if not c.deprecated),
                               foreign_keys=(), indexes=())
    ops: list[o.Op] = [o.CreateTable(table=bare)]
    ops += [o.CreateIndex(table=t.name, index=ix) for ix in t.indexes]
    ops += [o.AddConstraint(table=t.name, constraint=fk) for fk in t.foreign_keys]
    msg = f"table {t.name} does not exist"
    if t.renamed_from and ir.QName(schema=t.name.schema, name=t.renamed_from) in have:
        msg += f" (it is declared as renamed from {t.renamed_from}, which still exists)"
    return finding("missing-table", table=t.name, span=t.span, message=msg,
                   fix="`schemac apply`, or:\n" + _sql(*ops))


def _table(t: ir.Table, lt: ir.Table, exact: bool) -> list[Finding]:
    out = _columns(t, lt, exact)
    found, consumed = _constraints(t, lt, exact)
    out += found
    out += _indexes(t, lt, exact, consumed)
    out += _comments(t, lt)
    return out


def _columns(t: ir.Table, lt: ir.Table, exact: bool) -> list[Finding]:
    out: list[Finding] = []
    name = t.name
    have = {c.name: c for c in lt.columns}
    declared = {c.name for c in t.columns}
    renamed = {c.renamed_from for c in t.columns if c.renamed_from and c.name not in have}
    for c in t.columns:
        lc = have.get(c.name)
        cols = (c.name,)
        if c.deprecated:
            if lc is not None:
                out.append(finding(
                    "deprecated-column-present", table=name, columns=cols, span=c.span,
                    message=f"{name}.{c.name} is deprecated ({c.deprecated}) but still "
                            "present",
                    fix=_sql(o.DropColumn(table=name, column=c.name))
                    + "  -- once no code reads it (`schemac apply --drop-deprecated`)"))
            continue
        if lc is None:
            msg = f"column {name}.{c.name} ({c.type}) does not exist"
            if c.renamed_from and c.renamed_from in have:
                msg += f"; {c.renamed_from}, which it is declared renamed from, still does"
            out.append(finding("missing-column", table=name, columns=cols, span=c.span,
                               message=msg, fix=_sql(o.AddColumn(table=name, column=c))))
            continue
        if c.type != lc.type:
            code = ("column-length-mismatch" if base_of(c.type) == base_of(lc.type)
                    else "column-type-mismatch")
            out.append(finding(
                code, table=name, columns=cols, span=c.span,
                message=f"{name}.{c.name} is {lc.type}; the schema declares {c.type}",
                fix=_sql(o.AlterColumnType(table=name, column=c.name, old_type=lc.type,
                                           new_type=c.type,
                                           using=f"{quote_ident(c.name)}::{c.type}"))))
        if not c.nullable and lc.nullable:
            out.append(finding(
                "not-null-missing", table=name, columns=cols, span=c.span,
                message=f"{name}.{c.name} is declared NOT NULL but the database allows NULL",
                fix=_sql(o.SetNotNull(table=name, column=c.name))))
        elif c.nullable and not lc.nullable and c.name not in (t.primary_key.columns
                                                               if t.primary_key else ()):
            out.append(finding(
                "not-null-unexpected", table=name, columns=cols, span=c.span,
                message=f"{name}.{c.name} is NOT NULL in the database but declared nullable",
                fix=_sql(o.DropNotNull(table=name, column=c.name))))
        want = (c.serial, c.identity, c.generated if exact else bool(c.generated),
                c.default if exact else None)
        got = (lc.serial, lc.identity, lc.generated if exact else bool(lc.generated),
               lc.default if exact else None)
        if want != got:
            out.append(finding(
                "default-mismatch", table=name, columns=cols, span=c.span,
                message=f"{name}.{c.name} defaults to {_default_words(lc)}; the schema "
                        f"declares {_default_words(c)}",
                fix=_sql(o.SetDefault(table=name, column=c.name, default=c.default))
                if not (c.serial or c.identity or c.generated or lc.serial or lc.identity
                        or lc.generated) else "`schemac diff` shows the statements"))
        if c.collation != lc.collation:
            out.append(finding(
                "collation-mismatch", table=name, columns=cols, span=c.span,
                message=f"{name}.{c.name} uses collation {lc.collation or 'default'}; the "
                        f"schema declares {c.collation or 'default'}",
                fix=_sql(o.AlterColumnType(
                    table=name, column=c.name, old_type=lc.type, new_type=c.type + (
                        " COLLATE " + ".".join(quote_ident(p) for p in c.collation.split("."))
                        if c.collation else " COLLATE \"default\"")))))
    for lc in lt.columns:
        if lc.name not in declared and lc.name not in renamed:
            out.append(finding(
                "unexpected-column", table=name, columns=(lc.name,), span=t.span,
                message=f"column {name}.{lc.name} ({lc.type}) is not in the schema",
                fix="declare it, or once nothing uses it:\n"
                    + _sql(o.DropColumn(table=name, column=lc.name))))
    return out


def _default_words(c: ir.Column) -> str:
    if c.serial:
        return "a serial sequence"
    if c.identity:
        return f"identity ({c.identity})"
    if c.generated:
        return f"the generated expression {c.generated}"
    return c.default if c.default is not None else "no default"


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
        same_ref = dataclasses.replace(lfk, on_delete=fk.on_delete, on_update=fk.on_update)
        if same_ref == fk:
            out.append(finding(
                "on-delete-mismatch", table=name, columns=cols, object=fk.name, span=fk.span,
                message=f"foreign key {fk.name} is ON DELETE {lfk.on_delete.upper()} ON UPDATE "
                        f"{lfk.on_update.upper()}; the schema declares ON DELETE "
                        f"{fk.on_delete.upper()} ON UPDATE {fk.on_update.upper()}",
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


def _comments(t: ir.Table, lt: ir.Table) -> list[Finding]:
    ops: list[o.Op] = []
    what: list[str] = []
    if t.comment != lt.comment:
        what.append("the table")
        ops.append(o.Comment(object_kind="table", name=t.name, text=t.comment))
    have = {c.name: c for c in lt.columns}
    for c in t.columns:
        lc = have.get(c.name)
        if lc is not None and not c.deprecated and c.comment != lc.comment:
            what.append(c.name)
            ops.append(o.Comment(object_kind="column", name=t.name, column=c.name,
                                 text=c.comment))
    if not what:
        return []
    return [finding("comment-mismatch", table=t.name, span=t.span,
                    message=f"descriptions of {', '.join(what)} differ from the schema",
                    fix=_sql(*ops))]


def _undeclared_objects(target: ir.Schema, live: ir.Schema) -> list[Finding]:
    """Views, functions, triggers, sequences and policies in the database that the schema
    does not declare: named (as `unmanaged-object`, the rule for what schemac leaves in place) so
    nothing is out of view. Declared ones that are missing or differ: `object_drift`."""
    declared: set[tuple[str, str]] = set()
    found: list[tuple[str, str]] = []
    for schema, into in ((target, None), (live, found)):
        objs = [("materialized view" if v.materialized else "view", str(v.name))
                for v in schema.views]
        objs += [("procedure" if f.procedure else "function", f.signature)
                 for f in schema.functions]
        objs += [("trigger", f"{t.table}.{t.name}") for t in schema.triggers]
        objs += [("sequence", str(q.name)) for q in schema.sequences]
        objs += [("policy", f"{p.table}.{p.name}") for p in schema.policies]
        if into is None:
            declared.update(objs)
        else:
            into += objs
    return [finding("unmanaged-object", table=None, object=what,
                    message=f"{kind} {what} is not declared in the schema")
            for kind, what in sorted(found) if (kind, what) not in declared]
