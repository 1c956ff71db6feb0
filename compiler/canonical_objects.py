"""Bring declared views, functions and triggers to the text PostgreSQL prints for them.

Contract: `canonicalize_objects(target, current, dev_url)` returns `target` with the
definition of every view, function and trigger that the live database also has, but spelt
differently, replaced by what the dev database prints for it (`pg_get_viewdef`,
`pg_get_functiondef`, `pg_get_triggerdef`), and a function's arguments by
`pg_get_function_identity_arguments`. Nothing is asked when every text already agrees (a
pulled schema, or an unchanged one): that is the hot path. Everything is created inside one
transaction on the dev database and rolled back; an object PostgreSQL refuses stays as
declared (its own savepoint), so `diff` shows it and applying it reports PostgreSQL's error.
Overloaded functions (one name, several argument lists) are told apart by what the dev
database made of each declaration: `decimal` and `NUMERIC` arguments are `numeric` there.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import psycopg

from compiler import ir
from compiler import ops as o


def _doubtful(target: ir.Schema, current: ir.Schema) -> bool:
    views = {v.name: v for v in current.views}
    for v in target.views:
        old = views.get(v.name)
        if old is not None and (old.definition, old.options) != (v.definition, v.options):
            return True
    funcs = {(f.name, f.arguments): f for f in current.functions}
    names = {f.name for f in current.functions}
    for f in target.functions:
        fn = funcs.get((f.name, f.arguments))
        if (fn is None and f.name in names) or (fn is not None and fn.definition != f.definition):
            return True
    pol = {(p.table, p.name): p for p in current.policies}
    for p in target.policies:
        old_policy = pol.get((p.table, p.name))
        if old_policy is not None and old_policy != p:
            return True
    trig = {(t.table, t.name): t for t in current.triggers}
    for t in target.triggers:
        tg = trig.get((t.table, t.name))
        if tg is not None and tg.definition != t.definition:
            return True
    return False


def canonicalize_objects(target: ir.Schema, current: ir.Schema, dev_url: str | None
                         ) -> ir.Schema:
    if not _doubtful(target, current):
        return target
    asked = _ask_server(target, dev_url)
    if asked is None:
        return target
    stored, made = asked
    views = {v.name: v for v in stored.views}
    new_views = tuple(
        dataclasses.replace(v, definition=views[v.name].definition,
                            options=views[v.name].options, columns=views[v.name].columns)
        if v.name in views else v for v in target.views)
    exact = {(f.name, f.arguments): f for f in stored.functions}
    new_functions = []
    for f in target.functions:
        got = exact.get((f.name, made.get((f.name, f.arguments), f.arguments)))
        new_functions.append(dataclasses.replace(f, arguments=got.arguments,
                                                 definition=got.definition) if got else f)
    triggers = {(t.table, t.name): t for t in stored.triggers}
    new_triggers = tuple(dataclasses.replace(t, definition=triggers[(t.table, t.name)].definition)
                         if (t.table, t.name) in triggers else t for t in target.triggers)
    policies = {(p.table, p.name): p for p in stored.policies}
    new_policies = tuple(
        dataclasses.replace(p, using=got_policy.using, with_check=got_policy.with_check)
        if (got_policy := policies.get((p.table, p.name))) is not None else p
        for p in target.policies)
    return dataclasses.replace(target, views=new_views, functions=tuple(new_functions),
                               triggers=new_triggers, policies=new_policies)


def _ask_server(target: ir.Schema, dev_url: str | None
                ) -> tuple[ir.Schema, dict[tuple[ir.QName, str], str]] | None:
    """The target as the dev database stores it, and for each declared function (name,
    arguments as written) the identity arguments PostgreSQL gave the function it made."""
    from compiler.devdb import dev_connection
    from compiler.diff import diff
    from compiler.generators.sql import op_statements
    from compiler.introspect import introspect

    # the build of the target minus what cannot matter for the printed texts: only the
    # tables that views read and that triggers and policies sit on (with their parents), no
    # foreign keys, comments or rows; a schema of thousands of tables with a few views then
    # creates a few tables, not thousands in one transaction
    ops = [op for op in diff(ir.EMPTY, dataclasses.replace(
        target, rows=(), tables=_needed_tables(target)))
           if not isinstance(op, (o.Comment, o.InsertRows, o.AddConstraint,
                                  o.ValidateConstraint))]
    schemas = sorted({"public", *(n.name for n in target.namespaces)})
    made: dict[tuple[ir.QName, str], str] = {}
    with dev_connection(dev_url) as conn:
        with conn.transaction(force_rollback=True), conn.cursor() as cur:
            for op in ops:
                before = _overloads(cur, op.function.name) if isinstance(
                    op, o.CreateFunction) else set()
                try:
                    with conn.transaction():
                        for stmt in op_statements(op):
                            if isinstance(op, o.CreateSchema):
                                stmt = stmt.replace("CREATE SCHEMA", "CREATE SCHEMA IF NOT EXISTS")
                            cur.execute(stmt.encode())
                except psycopg.Error:
                    continue  # left as declared: diff shows it, applying it reports why
                if isinstance(op, o.CreateFunction):
                    new = _overloads(cur, op.function.name) - before
                    if len(new) == 1:
                        made[(op.function.name, op.function.arguments)] = new.pop()
            return introspect(conn, schemas), made


def _needed_tables(target: ir.Schema) -> tuple[ir.Table, ...]:
    from compiler.canonical import with_parents

    declared = {t.name: t for t in target.tables}
    wanted = {r for v in target.views for r in v.reads}
    wanted |= {t.table for t in target.triggers} | {p.table for p in target.policies}
    tables = with_parents([declared[n] for n in sorted(wanted) if n in declared], declared)
    return tuple(dataclasses.replace(t, foreign_keys=()) for t in tables)


def _overloads(cur: psycopg.Cursor[Any], name: ir.QName) -> set[str]:
    """The identity argument lists of the functions called `name` on the dev database."""
    cur.execute(b"SELECT pg_catalog.pg_get_function_identity_arguments(p.oid) "
                b"FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n "
                b"ON n.oid = p.pronamespace WHERE n.nspname = %s AND p.proname = %s",
                (name.schema, name.name))
    return {str(row[0]) for row in cur.fetchall()}
