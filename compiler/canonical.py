"""Bring the declared schema's expressions to the form PostgreSQL stores them in.

A person writes `default 'pending'` and `check (amount >= 0)`; the catalog holds
`'pending'::character varying` and `(amount >= (0)::numeric)`. Contract:
`canonicalize(target, current, ...)` returns `target` with every default, check, generated
column, index predicate and index expression spelt as the server would print it, wherever
the two sides could disagree, so that `diff` can compare text; views, functions and triggers
likewise (`compiler.canonical_objects`).

Three tiers, cheapest first (DESIGN principle 3):
1. static rules for the common literal forms (`'x'` on a varchar column);
2. an on-disk cache of earlier answers, keyed by the table's definition and the server's major;
3. one batch to the dev database: the tables still in question are created inside a
   transaction that is rolled back, and read back through the same introspection as a live
   database.
Only tables that exist on both sides and whose texts still differ after tier 1 go further;
a table the migration creates needs no canonical text at all.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re

from compiler import cache, ir
from compiler import ops as o
from compiler.types import base_of

_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"\d+(\.\d+)?")
_KEYWORD_DEFAULTS = {
    "current_timestamp": "CURRENT_TIMESTAMP",
    "current_date": "CURRENT_DATE",
    "current_time": "CURRENT_TIME",
    "localtimestamp": "LOCALTIMESTAMP",
    "current_user": "CURRENT_USER",
    "true": "true",
    "false": "false",
}


def literal_cast_type(type_text: str) -> str:
    """The type PostgreSQL names in a literal's cast: no length (`character varying`), and
    `bpchar` for `character(n)`."""
    dims = "[]" * type_text.count("[]")
    base = base_of(type_text)
    if base == "character":
        base = "bpchar"
    return base + dims


def static_default(expr: str | None, type_text: str) -> str | None:
    """The stored form of a default, where it can be known without asking the server."""
    if expr is None:
        return None
    e = expr.strip()
    low = e.lower()
    if low == "null":
        return None
    if low in _KEYWORD_DEFAULTS:
        return _KEYWORD_DEFAULTS[low]
    if _STRING.fullmatch(e):
        return f"{e}::{literal_cast_type(type_text)}"
    m = re.fullmatch(r"('(?:[^']|'')*')::(.+)", e)
    if m:
        from compiler.types import canonical_type

        cast = m.group(2).strip().lower()
        dims = cast.count("[]")
        canon, known = canonical_type(cast.replace("[]", "").strip(), (), None, dims)
        if known or cast == type_text:
            return f"{m.group(1)}::{literal_cast_type(canon)}"
    if _NUMBER.fullmatch(e):
        return e
    if re.fullmatch(r"[a-z_][a-z0-9_]*\(\)", low):
        return low
    return e


def _static_table(t: ir.Table) -> ir.Table:
    cols = tuple(dataclasses.replace(c, default=static_default(c.default, c.type))
                 for c in t.columns)
    return dataclasses.replace(t, columns=cols)


def _slots(t: ir.Table) -> dict[tuple[str, str], object]:
    """Every expression of a table, keyed by where it lives."""
    out: dict[tuple[str, str], object] = {}
    for c in t.columns:
        out[("default", c.name)] = c.default
        out[("generated", c.name)] = c.generated
    for ch in t.checks:
        out[("check", ch.name)] = ch.expression
    for x in t.exclusions:
        out[("exclusion", x.name)] = x.definition
    for ix in t.indexes:
        out[("index", ix.name)] = (ix.where, tuple(e.expression for e in ix.elements))
    return out


def _needs_server(target: ir.Table, current: ir.Table) -> bool:
    cur = _slots(current)
    cur_checks = {ch.expression for ch in current.checks}
    for key, value in _slots(target).items():
        if key[0] == "check" and value in cur_checks:
            continue
        if key in cur and cur[key] != value:
            return True
        if key[0] == "check" and key not in cur:
            return True  # a derived name may differ: match by definition after canonical form
    return False


def canonicalize(target: ir.Schema, current: ir.Schema, *, dev_url: str | None = None,
                 major: int = 0, use_cache: bool = True) -> ir.Schema:
    from compiler.canonical_objects import canonicalize_objects

    tables_done = _canonicalize_tables(target, current, dev_url=dev_url, major=major,
                                       use_cache=use_cache)
    # views, functions and triggers: `compiler.canonical_objects`
    return canonicalize_objects(tables_done, current, dev_url)


def _canonicalize_tables(target: ir.Schema, current: ir.Schema, *, dev_url: str | None,
                         major: int, use_cache: bool) -> ir.Schema:
    tables = {t.name: _static_table(t) for t in target.tables}
    have = {t.name: t for t in current.tables}
    doubtful = [n for n, t in tables.items() if n in have and _needs_server(t, have[n])]
    domains_doubtful = _domains_doubtful(target, current)
    if not doubtful and not domains_doubtful:
        return dataclasses.replace(target, tables=tuple(tables[n] for n in sorted(tables)))

    context = _context_key(target, major)
    answers: dict[ir.QName, ir.Table] = {}
    misses: list[ir.QName] = []
    for n in doubtful:
        hit = _cache_get(_table_key(context, tables[n])) if use_cache else None
        if hit is None:
            misses.append(n)
        else:
            answers[n] = hit
    dev_domains: dict[ir.QName, ir.Domain] = {}
    if misses or domains_doubtful:
        fetched, dev_domains = _ask_server(target, [tables[n] for n in misses], dev_url)
        for n in misses:
            if n in fetched:
                answers[n] = fetched[n]
                if use_cache:
                    _cache_put(_table_key(context, tables[n]), fetched[n])
    merged = {n: _merge(t, answers[n]) if n in answers else t for n, t in tables.items()}
    domains = tuple(_merge_domain(d, dev_domains.get(d.name)) for d in target.domains)
    return dataclasses.replace(target, tables=tuple(merged[n] for n in sorted(merged)),
                               domains=domains)


def _domains_doubtful(target: ir.Schema, current: ir.Schema) -> bool:
    have = {d.name: d for d in current.domains}
    for d in target.domains:
        old = have.get(d.name)
        if old is None:
            continue
        if static_default(d.default, d.type) != old.default or \
                {c.expression for c in d.checks} != {c.expression for c in old.checks}:
            return True
    return False


def _merge(declared: ir.Table, stored: ir.Table) -> ir.Table:
    cols = {c.name: c for c in stored.columns}
    checks = {c.name: c for c in stored.checks}
    indexes = {i.name: i for i in stored.indexes}
    columns = tuple(
        dataclasses.replace(c, default=cols[c.name].default, generated=cols[c.name].generated)
        if c.name in cols and not c.serial and not c.identity else c
        for c in declared.columns)
    new_checks = tuple(dataclasses.replace(c, expression=checks[c.name].expression)
                       if c.name in checks else c for c in declared.checks)
    new_indexes = []
    for ix in declared.indexes:
        got = indexes.get(ix.name)
        if got is None or len(got.elements) != len(ix.elements):
            new_indexes.append(ix)
            continue
        elements = tuple(dataclasses.replace(e, expression=g.expression) if e.expression else e
                         for e, g in zip(ix.elements, got.elements, strict=True))
        new_indexes.append(dataclasses.replace(ix, where=got.where, elements=elements))
    excl = {x.name: x for x in stored.exclusions}
    new_excl = tuple(dataclasses.replace(x, definition=excl[x.name].definition)
                     if x.name in excl else x for x in declared.exclusions)
    return dataclasses.replace(declared, columns=columns, checks=new_checks,
                               exclusions=new_excl,
                               indexes=tuple(new_indexes))


def _merge_domain(declared: ir.Domain, stored: ir.Domain | None) -> ir.Domain:
    if stored is None:
        return dataclasses.replace(declared,
                                   default=static_default(declared.default, declared.type))
    checks = {c.name: c for c in stored.checks}
    return dataclasses.replace(
        declared, default=stored.default,
        checks=tuple(dataclasses.replace(c, expression=checks[c.name].expression)
                     if c.name in checks else c for c in declared.checks))


def _ask_server(target: ir.Schema, tables: list[ir.Table], dev_url: str | None
                ) -> tuple[dict[ir.QName, ir.Table], dict[ir.QName, ir.Domain]]:
    """Create the tables in question (and every type they may use) on the dev database
    inside a transaction, read them back, and roll everything back."""
    from compiler.devdb import dev_connection
    from compiler.generators.sql import op_statements
    from compiler.introspect import introspect

    ops: list[o.Op] = [o.CreateSchema(name=n.name) for n in target.namespaces]
    ops += [o.CreateExtension(extension=e) for e in target.extensions]
    ops += [o.CreateEnum(enum=e) for e in target.enums]
    ops += [o.CreateDomain(domain=d) for d in target.domains]
    # defaults and checks may name a sequence or call a function
    ops += [o.CreateSequence(sequence=q) for q in target.sequences]
    ops += [o.CreateFunction(function=f) for f in target.functions]
    for t in tables:
        ops.append(o.CreateTable(table=dataclasses.replace(t, foreign_keys=(), indexes=())))
        ops += [o.CreateIndex(table=t.name, index=ix) for ix in t.indexes]
    schemas = sorted({"public", *(n.name for n in target.namespaces)})
    with dev_connection(dev_url) as conn:
        with conn.transaction(force_rollback=True), conn.cursor() as cur:
            for op in ops:
                for stmt in op_statements(op):
                    if isinstance(op, o.CreateSchema):
                        stmt = stmt.replace("CREATE SCHEMA", "CREATE SCHEMA IF NOT EXISTS")
                    cur.execute(stmt.encode())
            stored = introspect(conn, schemas)
    wanted = {t.name for t in tables}
    return ({t.name: t for t in stored.tables if t.name in wanted},
            {d.name: d for d in stored.domains})


# -- cache ------------------------------------------------------------------------------------


def _context_key(schema: ir.Schema, major: int) -> bytes:
    """What a table's stored form may depend on besides itself: the server's major version
    and the types it can use."""
    return hashlib.sha256(repr((major, schema.enums, schema.domains, schema.extensions,
                                schema.namespaces, schema.sequences,
                                schema.functions)).encode()).digest()


def _table_key(context: bytes, t: ir.Table) -> str:
    body = dataclasses.replace(t, foreign_keys=(), comment=None, section=None,
                               expectations=(), renamed_from=None,
                               columns=tuple(dataclasses.replace(c, comment=None, deprecated=None,
                                                                 renamed_from=None)
                                             for c in t.columns))
    return hashlib.sha256(context + repr(body).encode()).hexdigest()


def _cache_get(key: str) -> ir.Table | None:
    return cache.read(cache.cache_dir("canonical") / key[:2] / key, ir.Table)


def _cache_put(key: str, table: ir.Table) -> None:
    cache.write(cache.cache_dir("canonical") / key[:2] / key, table)
