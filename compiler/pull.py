"""`schemac pull`: a live database written out as `.schema` files.

Contract: `pull_files(schema, split_by)` returns {relative file name: text}, every file in
the formatter's canonical layout. Tables are grouped in sections named after their
PostgreSQL schema; `split_by` chooses one file per section (`section`), per PostgreSQL schema
(`schema`), or one file (`none`). Types, enums and domains go with the first file of their
schema, and so do sequences, functions and views; a trigger goes with its table; extensions
into the first file. Loading the files back gives the pulled IR.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from enum import StrEnum

from compiler import ir
from compiler.generators.dsl import render_dsl
from compiler.memory import paused_gc


class SplitBy(StrEnum):
    SECTION = "section"
    SCHEMA = "schema"
    NONE = "none"


def _section_of(schema_name: str) -> str:
    return schema_name


def _file_name(key: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-") or "schema"
    return f"{slug}.schema"


def pull_files(schema: ir.Schema, split_by: SplitBy = SplitBy.SCHEMA) -> dict[str, str]:
    # The printer makes a few hundred thousand short-lived strings and lines next to a large
    # IR that lives on: every full pass of the cyclic collector would rescan that IR (about
    # half the render time at 5,000 tables) and find nothing, as both are acyclic.
    with paused_gc():
        return _pull_files(schema, split_by)


def _pull_files(schema: ir.Schema, split_by: SplitBy) -> dict[str, str]:
    tables = tuple(dataclasses.replace(t, section=_section_of(t.name.schema))
                   for t in schema.tables)
    if split_by == SplitBy.NONE or not tables:
        whole = dataclasses.replace(schema, tables=tables,
                                    sections=tuple(dict.fromkeys(t.section or "" for t in
                                                                 tables)))
        return {"schema.schema": render_dsl(whole)}
    # section and schema coincide for a pulled database: a section is its PostgreSQL schema
    groups: dict[str, list[ir.Table]] = {}
    for t in tables:
        groups.setdefault(t.name.schema, []).append(t)
    for ns in [n.name for n in schema.namespaces] + [e.name.schema for e in schema.enums] + [
            x.name.schema for x in schema.views] + [x.name.schema for x in schema.functions] + [
            x.name.schema for x in schema.sequences]:
        groups.setdefault(ns, [])
    order = sorted(groups, key=lambda s: (s != "public", s))
    files: dict[str, str] = {}
    for i, key in enumerate(order):
        part = ir.Schema(
            namespaces=tuple(n for n in schema.namespaces if n.name == key),
            extensions=schema.extensions if i == 0 else (),
            enums=_in(schema.enums, key),
            domains=_in(schema.domains, key),
            tables=tuple(groups[key]),
            sequences=_in(schema.sequences, key),
            functions=_in(schema.functions, key),
            views=_in(schema.views, key),
            triggers=tuple(t for t in schema.triggers if t.table.schema == key),
            policies=tuple(p for p in schema.policies if p.table.schema == key),
            grants=tuple(g for g in schema.grants
                         if (g.on.name if g.kind == "schema" else g.on.schema) == key),
            sections=(key,) if groups[key] else (),
        )
        files[_file_name(key)] = render_dsl(part)
    return files


def _in(objs: Sequence[ir.Enum] | Sequence[ir.Domain] | Sequence[ir.View]
        | Sequence[ir.Function] | Sequence[ir.Sequence], schema_name: str
        ) -> tuple:  # type: ignore[type-arg]
    return tuple(o for o in objs if o.name.schema == schema_name)
