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
A table's keys and indexes are compared by `drift_keys`; declared views, functions,
triggers, sequences and policies by `drift_objects`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from compiler import ir
from compiler import ops as o
from compiler.check.drift_grants import grant_drift
from compiler.check.drift_keys import key_drift
from compiler.check.drift_objects import object_drift, object_keys
from compiler.check.findings import Finding, finding
from compiler.check.hygiene import index_label
from compiler.generators.sql import op_statements
from compiler.names import quote_ident
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
        ix for ix in t.indexes if index_label(t.name, ix.name) not in skip))
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
    out += grant_drift(target, live)  # both sides hold grants only with --with-privileges
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
    out += key_drift(t, lt, exact)
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
    declared = object_keys(target)
    return [finding("unmanaged-object", table=None, object=what,
                    message=f"{kind} {what} is not declared in the schema")
            for kind, what in sorted(object_keys(live).keys() - declared.keys())]
