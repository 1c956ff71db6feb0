"""The Mermaid ER diagram of the Markdown docs: one entity per table, its columns, and one
relation per foreign key, with names made safe for Mermaid's grammar."""

from __future__ import annotations

import functools
import re

from compiler import ir
from compiler.generators.markdown_tables import by_name, type_name, unique_columns

_MERMAID_UNSAFE = re.compile(r"[^0-9A-Za-z_\u00C0-\uFFFF]+")
# Words Mermaid's erDiagram lexer takes as keywords wherever an entity name may stand.
_MERMAID_KEYWORDS = frozenset(
    {"erdiagram", "style", "classdef", "class", "subgraph", "end", "one", "many", "to",
     "only", "zero", "optionally", "direction", "acctitle", "accdescr", "u"}
)


@functools.cache  # column names and types repeat across tables
def _mermaid_token(text: str) -> str:
    return _MERMAID_UNSAFE.sub("_", text.replace("[]", "_array")).strip("_")


def _mermaid_entity(name: ir.QName) -> str:
    """Mermaid identifiers cannot hold dots: `billing.invoices` becomes `billing_invoices`.
    A name the lexer would read as a keyword or a number is quoted, which Mermaid allows."""
    token = _mermaid_token(name.name if name.schema == "public" else f"{name.schema}_{name.name}")
    if not token or token[0].isdigit() or token.lower() in _MERMAID_KEYWORDS:
        return '"' + (token or "table") + '"'
    return token


@functools.cache
def _mermaid_attribute(text: str) -> str:
    # Attribute names and types cannot be quoted; `PK`/`FK`/`UK` (any case) are key markers.
    token = _mermaid_token(text) or "x"
    if token[0].isdigit():
        token = "_" + token
    if token.lower() in {"pk", "fk", "uk"}:
        token += "_"
    return token


def er_parts(table: ir.Table) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The table's entity (its columns) and its relations (one per foreign key)."""
    lines: list[str] = []
    pk = set(table.primary_key.columns) if table.primary_key else set()
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    unique = unique_columns(table)
    lines.append(f"{_mermaid_entity(table.name)} {{")
    for column in table.columns:
        name = column.name
        line = f"    {_mermaid_attribute(type_name(column))} {_mermaid_attribute(name)}"
        if name in pk or name in fk_columns or name in unique:
            line += " " + ", ".join([k for k, on in (("PK", name in pk), ("FK", name in fk_columns),
                                                     ("UK", name in unique)) if on])
        if column.deprecated is not None:
            line += ' "deprecated"'
        lines.append(line)
    lines.append("}")
    relations: list[str] = []
    unique_sets = {frozenset(u.columns) for u in table.uniques}
    if table.primary_key:
        unique_sets.add(frozenset(table.primary_key.columns))
    unique_sets |= {
        frozenset(e.column for e in i.elements if e.column)
        for i in table.indexes
        if i.unique and i.where is None and all(e.column for e in i.elements)
    }
    for fk in by_name(table.foreign_keys):
        cols = [table.column(c) for c in fk.columns]
        optional = any(c is None or c.nullable for c in cols)
        parent = "|o" if optional else "||"
        # A key that is also unique makes the relationship one-to-one.
        child = "o|" if frozenset(fk.columns) in unique_sets else "o{"
        label = ", ".join(fk.columns).replace('"', "'")
        relations.append(f"{_mermaid_entity(fk.ref_table)} {parent}--{child} "
                         f'{_mermaid_entity(table.name)} : "{label}"')
    return tuple(lines), tuple(relations)
