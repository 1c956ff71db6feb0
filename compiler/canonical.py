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
   transaction that is rolled back (with only the parts that hold expressions, hundreds of
   statements per round trip), and read back through the same introspection as a live
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
    # dataclasses.replace costs microseconds: only rebuild the columns whose text changes
    changed = False
    cols = []
    for c in t.columns:
        d = static_default(c.default, c.type)
        if d != c.default:
            c = dataclasses.replace(c, default=d)
            changed = True
        cols.append(c)
    return dataclasses.replace(t, columns=tuple(cols)) if changed else t


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

    answers: dict[ir.QName, Answer] = {}
    misses: list[ir.QName] = []
    stored = _AnswerCache(_context_key(target, major)) if use_cache else None
    keys = {n: _table_key(tables[n]) for n in doubtful} if stored is not None else {}
    for n in doubtful:
        hit = stored.get(keys[n]) if stored is not None else None
        if hit is None:
            misses.append(n)
        else:
            answers[n] = hit
    dev_domains: dict[ir.QName, ir.Domain] = {}
    if misses or domains_doubtful:
        fetched, dev_domains = _ask_server(target, [tables[n] for n in misses], dev_url)
        for n in misses:
            if n in fetched:
                answers[n] = _answer_of(fetched[n])
                if stored is not None:
                    stored.put(keys[n], answers[n])
        if stored is not None:
            stored.save()
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


# What the dev database said about one table: the stored text of its expressions, as plain
# tuples (they pickle and load far faster than IR objects).
Answer = tuple[
    tuple[tuple[str, str | None, str | None], ...],  # (column, default, generated)
    tuple[tuple[str, str], ...],  # (check, expression)
    tuple[tuple[str, str | None, tuple[str | None, ...]], ...],  # (index, where, expressions)
    tuple[tuple[str, str], ...],  # (exclusion, definition)
]


def _answer_of(stored: ir.Table) -> Answer:
    return (tuple((c.name, c.default, c.generated) for c in stored.columns),
            tuple((c.name, c.expression) for c in stored.checks),
            tuple((i.name, i.where, tuple(e.expression for e in i.elements))
                  for i in stored.indexes),
            tuple((x.name, x.definition) for x in stored.exclusions))


def _merge(declared: ir.Table, answer: Answer) -> ir.Table:
    """`declared` with the expressions the server stored in their place; an object the
    server did not report keeps its declared text."""
    col_answers, check_answers, index_answers, excl_answers = answer
    cols = {name: (default, generated) for name, default, generated in col_answers}
    checks = dict(check_answers)
    indexes = {name: (where, exprs) for name, where, exprs in index_answers}
    excl = dict(excl_answers)
    columns = []
    for c in declared.columns:
        got = cols.get(c.name)
        if got is not None and not c.serial and not c.identity and got != (c.default,
                                                                           c.generated):
            c = dataclasses.replace(c, default=got[0], generated=got[1])
        columns.append(c)
    new_checks = tuple(dataclasses.replace(c, expression=checks[c.name])
                       if c.name in checks and checks[c.name] != c.expression else c
                       for c in declared.checks)
    new_indexes = []
    for ix in declared.indexes:
        found = indexes.get(ix.name)
        if found is None or len(found[1]) != len(ix.elements):
            new_indexes.append(ix)
            continue
        where, exprs = found
        elements = tuple(dataclasses.replace(e, expression=g) if e.expression else e
                         for e, g in zip(ix.elements, exprs, strict=True))
        new_indexes.append(dataclasses.replace(ix, where=where, elements=elements))
    new_excl = tuple(dataclasses.replace(x, definition=excl[x.name])
                     if x.name in excl else x for x in declared.exclusions)
    return dataclasses.replace(declared, columns=tuple(columns), checks=new_checks,
                               exclusions=new_excl, indexes=tuple(new_indexes))


def _merge_domain(declared: ir.Domain, stored: ir.Domain | None) -> ir.Domain:
    if stored is None:
        return dataclasses.replace(declared,
                                   default=static_default(declared.default, declared.type))
    checks = {c.name: c for c in stored.checks}
    return dataclasses.replace(
        declared, default=stored.default,
        checks=tuple(dataclasses.replace(c, expression=checks[c.name].expression)
                     if c.name in checks else c for c in declared.checks))


_BATCH = 500  # statements sent to the dev database in one round trip
# Every table created holds its locks until the transaction ends, and a server with default
# settings has room for about 6,400 (max_locks_per_transaction 64 x max_connections 100): a
# schema of thousands of tables is asked about a few hundred tables per transaction.
_TABLES_PER_TRANSACTION = 500


def _ask_server(target: ir.Schema, tables: list[ir.Table], dev_url: str | None
                ) -> tuple[dict[ir.QName, ir.Table], dict[ir.QName, ir.Domain]]:
    """Create the tables in question (and every type they may use) on the dev database
    inside transactions, read them back, and roll everything back."""
    from compiler.devdb import dev_connection
    from compiler.introspect import introspect

    support: list[o.Op] = [o.CreateSchema(name=n.name) for n in target.namespaces]
    support += [o.CreateExtension(extension=e) for e in target.extensions]
    support += [o.CreateEnum(enum=e) for e in target.enums]
    support += [o.CreateDomain(domain=d) for d in target.domains]
    # defaults and checks may name a sequence or call a function
    support += [o.CreateSequence(sequence=q) for q in target.sequences]
    support += [o.CreateFunction(function=f) for f in target.functions]
    declared = {t.name: t for t in target.tables}
    schemas = sorted({"public", *(n.name for n in target.namespaces)})
    found: dict[ir.QName, ir.Table] = {}
    domains: dict[ir.QName, ir.Domain] = {}
    with dev_connection(dev_url) as conn:
        for i in range(0, max(len(tables), 1), _TABLES_PER_TRANSACTION):
            chunk = tables[i:i + _TABLES_PER_TRANSACTION]
            ops = support + [op for t in with_parents(chunk, declared) for op in _bare(t)]
            statements = _statements(ops)
            with conn.transaction(force_rollback=True), conn.cursor() as cur:
                # many statements per round trip (a query without parameters may hold several)
                for j in range(0, len(statements), _BATCH):
                    cur.execute("\n".join(statements[j:j + _BATCH]).encode())
                stored = introspect(conn, schemas)
            wanted = {t.name for t in chunk}
            found.update({t.name: t for t in stored.tables if t.name in wanted})
            domains = {d.name: d for d in stored.domains}
    return found, domains


def _bare(t: ir.Table) -> list[o.Op]:
    """Only what holds an expression PostgreSQL may respell: columns (defaults, generated),
    checks, exclusions, and indexes with a predicate or an expression key. Keys, foreign keys
    and plain indexes would only cost index builds."""
    bare = dataclasses.replace(t, primary_key=None, uniques=(), foreign_keys=(), indexes=())
    return [o.CreateTable(table=bare)] + [
        o.CreateIndex(table=t.name, index=ix) for ix in t.indexes
        if ix.where is not None or any(e.expression for e in ix.elements)]


def with_parents(chunk: list[ir.Table], declared: dict[ir.QName, ir.Table]) -> list[ir.Table]:
    """`chunk` with the declared tables its partitions and inheriting tables need to be
    created, parents first."""
    out: dict[ir.QName, ir.Table] = {}

    def add(t: ir.Table) -> None:
        for parent in ([t.partition_of] if t.partition_of else []) + list(t.inherits):
            if parent in declared and parent not in out:
                add(declared[parent])
        out.setdefault(t.name, t)

    for t in chunk:
        add(t)
    return list(out.values())


def _statements(ops: list[o.Op]) -> list[str]:
    from compiler.generators.sql import op_statements

    out = []
    for op in ops:
        for stmt in op_statements(op):
            if isinstance(op, o.CreateSchema):
                stmt = stmt.replace("CREATE SCHEMA", "CREATE SCHEMA IF NOT EXISTS")
            out.append(stmt if stmt.rstrip().endswith(";") else stmt + ";")
    return out


# -- cache ------------------------------------------------------------------------------------


def _context_key(schema: ir.Schema, major: int) -> bytes:
    """What a table's stored form may depend on besides itself: the server's major version
    and the types it can use."""
    return hashlib.sha256(repr((major, schema.enums, schema.domains, schema.extensions,
                                schema.namespaces, schema.sequences,
                                schema.functions)).encode()).digest()


def _table_key(t: ir.Table) -> str:
    """What the stored text of a table's expressions depends on: the table's name and
    columns (types decide the casts PostgreSQL adds), its expressions and the indexes they
    sit in; not comments, foreign keys or expectations."""
    material = (
        t.name.schema, t.name.name, t.partition_by, t.partition_of, t.partition_bound,
        t.inherits,
        tuple((c.name, c.type, c.nullable, c.default, c.serial, c.identity, c.generated,
               c.collation) for c in t.columns),
        t.primary_key and t.primary_key.columns,
        tuple((u.name, u.columns) for u in t.uniques),
        tuple((c.name, c.expression) for c in t.checks),
        tuple((x.name, x.definition) for x in t.exclusions),
        tuple((i.name, i.unique, str(i.method), i.include, i.where, i.nulls_not_distinct,
               tuple((e.column, e.expression, e.opclass, e.collation, e.descending,
                      e.nulls_first) for e in i.elements)) for i in t.indexes),
    )
    return hashlib.sha256(repr(material).encode()).hexdigest()


class _AnswerCache:
    """Every answer the dev database gave for one context (server major and types), in one
    file, read once: a warm diff of a thousand tables reads one file, not a thousand."""

    LIMIT = 100_000  # answers kept per context; past it, only those this run used

    def __init__(self, context: bytes) -> None:
        self.path = cache.cache_dir("canonical") / f"{context.hex()}.answers"
        self.entries: dict[str, Answer] = cache.read(self.path, dict) or {}
        self.added: dict[str, Answer] = {}
        self.used: set[str] = set()

    def get(self, key: str) -> Answer | None:
        self.used.add(key)
        return self.entries.get(key)

    def put(self, key: str, answer: Answer) -> None:
        self.added[key] = answer

    def save(self) -> None:
        if not self.added:
            return
        # re-read: another process may have added answers since
        merged: dict[str, Answer] = cache.read(self.path, dict) or {}
        if len(merged) + len(self.added) > self.LIMIT:
            merged = {k: v for k, v in self.entries.items() if k in self.used}
        merged.update(self.added)
        cache.write(self.path, merged)
