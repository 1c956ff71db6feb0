"""What the privileges of a grant are: the names each kind of object takes, and `all`.

Grants are compared and written as explicit privilege lists, in PostgreSQL's order-free
lower-case names. `all` is kept as declared (`("all",)`) until a server is known, because what
it holds depends on the server: PostgreSQL 17 added MAINTAIN on tables. `for_server` spells it
out for one major version, so that `grant all` and the list a live database reports compare
equal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from compiler import ir
from compiler.errors import Span, UserError
from compiler.names import derive, display, quote_ident

KINDS = ("table", "sequence", "schema")

# (privilege, first major version that has it), in PostgreSQL's documentation order
_PRIVILEGES: dict[str, tuple[tuple[str, int], ...]] = {
    "table": (("select", 0), ("insert", 0), ("update", 0), ("delete", 0), ("truncate", 0),
              ("references", 0), ("trigger", 0), ("maintain", 17)),
    "sequence": (("usage", 0), ("select", 0), ("update", 0)),
    "schema": (("usage", 0), ("create", 0)),
}


def known(kind: str) -> tuple[str, ...]:
    """Every privilege name `kind` takes on some server (`maintain` only from 17 on)."""
    return tuple(name for name, _ in _PRIVILEGES[kind])


def every(kind: str, major: int) -> tuple[str, ...]:
    """What `all` holds for `kind` on a server of that major version, sorted."""
    return tuple(sorted(name for name, since in _PRIVILEGES[kind] if major >= since))


def for_server(schema: ir.Schema, major: int) -> ir.Schema:
    """`schema` with every `all` spelt out as the server of version `major` reads it. A
    declared privilege that server does not have (MAINTAIN before 17) is a `UserError`
    naming it and where it is declared, before any plan is made."""
    for g in schema.grants:
        missing = [p for p in g.privileges if p != "all" and p not in every(g.kind, major)]
        if missing:
            where = f" ({g.span})" if g.span is not None else ""
            raise UserError(f"the grant of {missing[0]} on {g.kind} {g.on} to {g.role}{where} "
                            f"needs a newer server: PostgreSQL {major} has no such privilege")
    if not any(g.privileges == ("all",) for g in schema.grants):
        return schema
    grants = normalized(dataclasses.replace(g, privileges=every(g.kind, major))
                        if g.privileges == ("all",) else g for g in schema.grants)
    return dataclasses.replace(schema, grants=grants)


def target_sql(g: ir.Grant) -> str:
    """`TABLE x`, `SEQUENCE s` or `SCHEMA app`, names quoted as PostgreSQL needs."""
    if g.kind == "schema":
        return f"SCHEMA {quote_ident(g.on.name)}"
    return f"{g.kind.upper()} {display(g.on)}"


def role_sql(role: str) -> str:
    return "PUBLIC" if role == "public" else quote_ident(role)


def grantable_objects(schema: ir.Schema) -> dict[str, set[ir.QName]]:
    """What a grant of each kind may name in `schema`: its tables and views, its sequences
    (declared, or owned by a serial or identity column), its schemas but `public`."""
    return {
        "table": {t.name for t in schema.tables} | {v.name for v in schema.views},
        "sequence": {s.name for s in schema.sequences} | {
            ir.QName(schema=t.name.schema, name=derive(t.name.name, c.name, "seq"))
            for t in schema.tables for c in t.columns if c.serial or c.identity},
        # `public` is never declared: its privileges are each server's defaults (PUBLIC may
        # create objects there before PostgreSQL 15), not the schema's to compare
        "schema": {ir.QName(name=n.name) for n in schema.namespaces if n.name != "public"},
    }


Holder = tuple[str, ir.QName, str]  # (kind, object, role)


def held_privileges(grants: Iterable[ir.Grant]) -> dict[Holder, dict[str, bool]]:
    """(kind, object, role) -> privilege -> held with the grant option (if any grant gives it
    so), in the order the holders first appear."""
    held: dict[Holder, dict[str, bool]] = {}
    for g in grants:
        privileges = held.setdefault((g.kind, g.on, g.role), {})
        for p in g.privileges:
            privileges[p] = privileges.get(p, False) or g.grantable
    return held


def normalized(grants: Iterable[ir.Grant]) -> tuple[ir.Grant, ...]:
    """One Grant per object, role and grant option, each privilege once (held with the
    option if any grant gives it so), sorted: two spellings of the same privileges compare
    equal, whether they come from several statements or from the catalog."""
    grants = list(grants)
    spans: dict[Holder, Span | None] = {}
    for g in grants:
        spans.setdefault((g.kind, g.on, g.role), g.span)
    out = []
    for (kind, on, role), privileges in held_privileges(grants).items():
        for grantable in (False, True):
            names = sorted(p for p, option in privileges.items() if option == grantable)
            if names:
                out.append(ir.Grant(kind=kind, on=on, role=role, grantable=grantable,
                                    privileges=("all",) if "all" in names else tuple(names),
                                    span=spans[(kind, on, role)]))
    return tuple(sorted(out, key=lambda g: g.key))
