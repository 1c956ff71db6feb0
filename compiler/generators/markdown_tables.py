"""A table's page of the Markdown docs, and the enums' and domains' (part of
`compiler.generators.markdown`, which lays out the document).

Contract: `table_view(table, ctx)` returns the `TableView` the template renders: columns with
their keys, indexes, constraints, audited rules, references in and out, triggers, policies,
reference rows and facts (partitioning, inheritance, unlogged, row-level security);
`enum_view` and `domain_view` the same for types. `Context` holds what a page needs from the
rest of the schema (anchors, reverse lookups), built once per document. Every fragment comes
escaped (`compiler.generators.markdown_text`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from compiler import ir
from compiler.frozen import constructor
from compiler.generators.markdown_text import code_span, prose, table_cell, table_row
from compiler.names import display
from compiler.types import BUILTIN, base_of, element_type, short_type

_SERIAL_NAMES = {"smallint": "smallserial", "integer": "serial", "bigint": "bigserial"}


# --- view model ------------------------------------------------------------------------------


# A Markdown table row: its cells, each already escaped with `table_cell`.
_Row = tuple[str, ...]
# The same row's cells joined with " | " (joined here: a Jinja filter per row is costly in a
# schema of 100,000 columns)
_Line = str


@dataclass(frozen=True, slots=True)
class RowsView:
    header: _Row
    rows: tuple[_Row, ...]


@dataclass(frozen=True, slots=True)
class TableView:
    title: str
    anchor: str
    summary: str  # first line of the comment, for the contents
    comment: str
    facts: tuple[str, ...]  # partitioning, inheritance, unlogged, row-level security
    no_columns: str  # what to say when `columns` is empty
    columns: tuple[_Line, ...]  # name, type, nullable, default, keys, description
    primary_key: str
    indexes: tuple[_Line, ...]  # name, keys, unique, notes
    uniques: tuple[str, ...]
    foreign_keys: tuple[str, ...]
    checks: tuple[str, ...]
    expectations: tuple[str, ...]
    referenced_by: tuple[str, ...]
    triggers: tuple[str, ...]
    policies: tuple[str, ...]
    rows: tuple[RowsView, ...]


# made as fast as `compiler.frozen` makes objects: once per table of the document
_new_table_view: Callable[..., TableView] = constructor(TableView)


@dataclass(frozen=True, slots=True)
class SectionView:
    title: str
    anchor: str
    count: int  # tables
    contents: str  # a line per table, for the contents


@dataclass(frozen=True, slots=True)
class TypeView:
    """An enum or a domain."""

    title: str
    anchor: str
    comment: str
    values: str  # an enum's values in order; "" for a domain
    facts: tuple[str, ...]  # a domain's type, default, checks; () for an enum
    used_by: tuple[str, ...]


def type_name(column: ir.Column) -> str:
    """The type as people write it; a serial column shows as `serial`, not `integer`."""
    return _written_type(column.type, column.serial)


@functools.cache  # a schema uses few distinct types
def _written_type(type_text: str, serial: bool) -> str:
    if serial and type_text in _SERIAL_NAMES:
        return _SERIAL_NAMES[type_text]
    return short_type(type_text)


def table_key(table: ir.Table) -> tuple[str, str]:
    # Public names first-class: `users` sorts among `teams`, not after every `billing.*`.
    return (table.name.name, table.name.schema)


def policy_rule(p: ir.Policy) -> str:
    rule = ("" if p.permissive else "as restrictive ") + f"for {p.command} to {', '.join(p.roles)}"
    rule += f" using ({p.using})" if p.using else ""
    rule += f" with check ({p.with_check})" if p.with_check else ""
    return rule


class Context:
    """What a table's page needs from the rest of the schema."""

    def __init__(self, schema: ir.Schema, table_anchor: dict[ir.QName, str],
                 type_anchor: dict[str, str],
                 users: dict[str, list[str]] | None = None) -> None:
        """`users`: type -> links to the columns using it, for the enums' and domains' part
        of the document (gathered from the tables' pages)."""
        self.schema = schema
        self.table_anchor = table_anchor
        self.type_anchor = type_anchor
        # reverse lookups built once: asking every table about every other is quadratic
        self.incoming: dict[ir.QName, list[tuple[ir.Table, ir.ForeignKey]]] = {}
        self.users = users if users is not None else {}
        for t in sorted(schema.tables, key=table_key):
            for fk in t.foreign_keys:
                self.incoming.setdefault(fk.ref_table, []).append((t, fk))
        self.rows: dict[ir.QName, list[ir.Rows]] = {}
        for r in schema.rows:
            self.rows.setdefault(r.table, []).append(r)
        self.partitions: dict[ir.QName, list[ir.Table]] = {}
        self.heirs: dict[ir.QName, list[ir.Table]] = {}
        for t in sorted(schema.tables, key=table_key):
            if t.partition_of is not None:
                self.partitions.setdefault(t.partition_of, []).append(t)
            for parent in t.inherits:
                self.heirs.setdefault(parent, []).append(t)
        self.triggers: dict[ir.QName, list[ir.Trigger]] = {}
        for tr in sorted(schema.triggers, key=lambda x: x.name):
            self.triggers.setdefault(tr.table, []).append(tr)
        self.policies: dict[ir.QName, list[ir.Policy]] = {}
        for p in sorted(schema.policies, key=lambda x: x.name):
            self.policies.setdefault(p.table, []).append(p)
        self._type_texts: dict[tuple[str, bool, str | None], str] = {}

    def table_link(self, name: ir.QName, columns: Sequence[str] = ()) -> str:
        """`users.id` / `t(a, b)` as code, linked to the table's heading when it is ours."""
        label = str(name)
        if len(columns) == 1:
            label += f".{columns[0]}"
        elif columns:
            label += f"({', '.join(columns)})"
        anchor = self.table_anchor.get(name)
        return f"[{code_span(label)}](#{anchor})" if anchor else code_span(label)

    def type_text(self, column: ir.Column) -> str:
        key = (column.type, column.serial, column.collation)
        text = self._type_texts.get(key)
        if text is None:
            text = self._type_texts[key] = self._new_type_text(column)
        return text

    def _new_type_text(self, column: ir.Column) -> str:
        text = code_span(type_name(column))
        anchor = self.type_anchor.get(element_type(column.type))
        if anchor:
            text = f"[{text}](#{anchor})"
        if column.collation:
            text += f" collate {code_span(column.collation)}"
        return text


# --- tables ----------------------------------------------------------------------------------


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_N = TypeVar("_N", bound=_Named)


def by_name(items: Iterable[_N]) -> list[_N]:
    return sorted(items, key=lambda x: x.name)


def type_users(t: ir.Table, ctx: Context) -> list[tuple[str, str]]:
    """(type, link to the column) for each column of `t` whose type may be an enum or a
    domain: what their part of the document lists as their users."""
    out = []
    for c in t.columns:
        type_text = element_type(c.type)
        if base_of(type_text) not in BUILTIN:
            out.append((type_text, ctx.table_link(t.name, (c.name,))))
    return out


def table_view(table: ir.Table, ctx: Context) -> TableView:
    comment = (table.comment or "").strip()
    pk = table.primary_key
    return _new_table_view(
        title=prose(str(table.name)),
        anchor=ctx.table_anchor[table.name],
        summary=comment.splitlines()[0] if comment else "",
        comment=comment,
        facts=_facts(table, ctx),
        no_columns=("*Columns, keys and indexes: those of the partitioned table.*"
                    if table.partition_of is not None else "*No columns.*"),
        columns=_column_rows(table, ctx),
        primary_key=(f"{code_span(', '.join(pk.columns))} ({code_span(pk.name)})" if pk else ""),
        indexes=tuple(_index_row(i) for i in by_name(table.indexes)),
        uniques=tuple(_unique_text(u) for u in by_name(table.uniques)),
        foreign_keys=tuple(_fk_text(fk, ctx) for fk in by_name(table.foreign_keys)),
        checks=tuple(f"{code_span(c.name)}: {code_span(c.expression)}"
                     for c in by_name(table.checks)),
        expectations=tuple(_expectation_text(e) for e in table.expectations),
        referenced_by=_referenced_by(table, ctx),
        triggers=tuple(f"{code_span(tr.name)}: {code_span(tr.definition.strip())}"
                       + (f" — {prose(tr.comment)}" if tr.comment else "")
                       for tr in ctx.triggers.get(table.name, ())),
        policies=tuple(f"{code_span(p.name)}: {code_span(policy_rule(p))}"
                       for p in ctx.policies.get(table.name, ())),
        rows=tuple(rows_view(r) for r in ctx.rows.get(table.name, ())),
    )


def _facts(table: ir.Table, ctx: Context) -> tuple[str, ...]:
    """How the table is stored and who may see its rows, one sentence each."""
    out: list[str] = []
    if table.partition_by:
        parts = ctx.partitions.get(table.name, ())
        listed = "; ".join(f"{ctx.table_link(p.name)} {code_span(p.partition_bound or '')}"
                           for p in parts)
        out.append(f"**Partitioned by** {code_span(table.partition_by)}"
                   + (f" into {listed}" if listed else " (no partitions declared)"))
    if table.partition_of is not None:
        out.append(f"**Partition of** {ctx.table_link(table.partition_of)} "
                   f"{code_span(table.partition_bound or '')}")
    if table.inherits:
        out.append("**Inherits from** " + ", ".join(ctx.table_link(p) for p in table.inherits))
    heirs = ctx.heirs.get(table.name, ())
    if heirs:
        out.append("**Inherited by** " + ", ".join(ctx.table_link(h.name) for h in heirs))
    if table.unlogged:
        out.append("**Unlogged**: not written to the WAL, so emptied after a crash and not "
                   "replicated")
    if table.row_security:
        forced = ", forced for the owner too" if table.force_row_security else ""
        n = len(ctx.policies.get(table.name, ()))
        out.append(f"**Row-level security** enabled{forced}: "
                   + (f"{n} polic{'y' if n == 1 else 'ies'} (below) decide which rows each "
                      "role sees" if n else "no policy, so roles other than the owner see no "
                      "rows"))
    return tuple(out)


def unique_columns(table: ir.Table) -> set[str]:
    """Columns that are unique on their own: a one-column UNIQUE or full unique index."""
    out = {u.columns[0] for u in table.uniques if len(u.columns) == 1}
    out |= {i.elements[0].column for i in table.indexes
            if _is_unique_on_one(i) and i.elements[0].column is not None}
    return out


def _is_unique_on_one(index: ir.Index) -> bool:
    """A full (not partial) unique index on one plain column."""
    return (index.unique and index.where is None and len(index.elements) == 1
            and index.elements[0].column is not None)


@dataclass(frozen=True, slots=True)
class _KeyFacts:
    """What the Keys cell of every column of one table is made from (found once a table)."""

    primary: frozenset[str]
    foreign_keys: list[ir.ForeignKey]  # by name
    unique: set[str]
    indexed: set[str]  # some index leads with it, other than the one that made it UNIQUE


_new_key_facts: Callable[..., _KeyFacts] = constructor(_KeyFacts)


def _column_rows(table: ir.Table, ctx: Context) -> tuple[_Line, ...]:
    facts = _new_key_facts(
        primary=frozenset(table.primary_key.columns if table.primary_key else ()),
        foreign_keys=by_name(table.foreign_keys),
        unique=unique_columns(table),
        indexed={i.elements[0].column for i in table.indexes
                 if i.elements and i.elements[0].column is not None
                 and not _is_unique_on_one(i)},
    )
    return tuple(_column_row(c, facts, ctx) for c in table.columns)


def _column_row(column: ir.Column, facts: _KeyFacts, ctx: Context) -> _Line:
    keys: list[str] = []
    if column.name in facts.primary:
        keys.append("PK")
    for fk in facts.foreign_keys:
        if column.name in fk.columns:
            at = fk.columns.index(column.name)
            ref = fk.ref_columns[at:at + 1] if len(fk.ref_columns) == len(fk.columns) else ()
            keys.append(f"FK → {ctx.table_link(fk.ref_table, ref)}")
    if column.name in facts.unique:
        keys.append("UNIQUE")
    if column.name in facts.indexed:
        keys.append("indexed")

    if column.identity is not None:
        default = f"identity ({column.identity.value})"
    elif column.generated is not None:
        default = f"generated: {code_span(column.generated)}"
    else:
        default = code_span(column.default) if column.default is not None else ""

    description = []
    if column.deprecated is not None:
        reason = column.deprecated.strip()
        description.append("**deprecated**" + (f": {reason}" if reason else ""))
    if column.comment:
        description.append(column.comment.strip())

    return table_row([code_span(column.name), ctx.type_text(column),
                      "yes" if column.nullable else "no", default, ", ".join(keys),
                      "<br>".join(description)])


_CALL = re.compile(r"[A-Za-z_][A-Za-z0-9_$.]*\s*\(")


def _is_call(expression: str) -> bool:
    """`lower(email)` is a call; `lower(a) || b` is not, though it starts like one."""
    m = _CALL.match(expression)
    if not m:
        return False
    depth, quoted = 0, False
    for i, ch in enumerate(expression[m.end() - 1:], start=m.end() - 1):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth == 0:
                return i == len(expression.rstrip()) - 1
    return False


def _element_text(e: ir.IndexElement) -> str:
    if e.column is not None:
        text = e.column
    else:
        expr = (e.expression or "").strip()
        # PostgreSQL needs parentheses around an index expression unless it is a call.
        text = expr if _is_call(expr) else f"({expr})"
    if e.collation:
        text += f' COLLATE "{e.collation}"'
    if e.opclass:
        text += f" {e.opclass}"
    if e.descending:
        text += " DESC"
    if e.nulls_first is not None:
        text += " NULLS FIRST" if e.nulls_first else " NULLS LAST"
    return text


def _index_row(index: ir.Index) -> _Line:
    notes: list[str] = []
    if index.method is not ir.IndexMethod.BTREE:
        notes.append(f"using {index.method.value}")
    if index.include:
        notes.append(f"include {code_span(', '.join(index.include))}")
    if index.nulls_not_distinct:
        notes.append("nulls not distinct")
    if index.where is not None:
        notes.append(f"where {code_span(index.where)}")
    if index.comment:
        notes.append(index.comment.strip())
    keys = code_span(", ".join(_element_text(e) for e in index.elements))
    return table_row([code_span(index.name), keys, "yes" if index.unique else "",
                      "; ".join(notes)])


def _deferral(deferrable: bool, initially_deferred: bool) -> str:
    if not deferrable:
        return ""
    return ", DEFERRABLE INITIALLY DEFERRED" if initially_deferred else ", DEFERRABLE"


def _unique_text(u: ir.Unique) -> str:
    text = f"{code_span(', '.join(u.columns))} ({code_span(u.name)})"
    if u.nulls_not_distinct:
        text += ", NULLS NOT DISTINCT"
    return text + _deferral(u.deferrable, u.initially_deferred)


def _actions(fk: ir.ForeignKey) -> str:
    out = ""
    if fk.on_delete is not ir.FkAction.NO_ACTION:
        out += f", ON DELETE {fk.on_delete.value.upper()}"
        if fk.on_delete_columns:
            out += f" ({', '.join(fk.on_delete_columns)})"
    if fk.on_update is not ir.FkAction.NO_ACTION:
        out += f", ON UPDATE {fk.on_update.value.upper()}"
    return out + _deferral(fk.deferrable, fk.initially_deferred)


def _fk_text(fk: ir.ForeignKey, ctx: Context) -> str:
    target = ctx.table_link(fk.ref_table, fk.ref_columns)
    return f"{code_span(', '.join(fk.columns))} → {target}{_actions(fk)} ({code_span(fk.name)})"


def _referenced_by(table: ir.Table, ctx: Context) -> tuple[str, ...]:
    incoming = sorted(ctx.incoming.get(table.name, ()),
                      key=lambda pair: (table_key(pair[0]), pair[1].name))
    return tuple(
        f"{ctx.table_link(t.name, fk.columns)}{_actions(fk)} ({code_span(fk.name)})"
        for t, fk in incoming
    )


def _expectation_text(e: ir.Expectation) -> str:
    column = code_span(e.column) if e.column else ""
    argument = code_span(e.argument or "")
    match e.kind:
        case ir.ExpectKind.MATCHES:
            text = f"{column or 'row'} matches {argument}"
        case ir.ExpectKind.NOT_MATCHES:
            text = f"{column or 'row'} does not match {argument}"
        case ir.ExpectKind.JSON:
            text = f"{column or 'row'} holds valid JSON"
        case ir.ExpectKind.PREDICATE:
            text = f"{column}: {argument}" if column else f"every row: {argument}"
    if e.message:
        text += f" — {e.message.strip()}"
    return text


def rows_view(rows: ir.Rows) -> RowsView:
    return RowsView(
        header=tuple(table_cell(prose(c)) for c in rows.columns),
        rows=tuple(tuple(table_cell(code_span(v)) for v in row) for row in rows.values),
    )


# --- enums and domains -----------------------------------------------------------------------


def _users_of(name: ir.QName, ctx: Context) -> tuple[str, ...]:
    # columns spell a user type as format_type does (quoted where needed)
    return tuple(ctx.users.get(display(name), ()))


def enum_view(enum: ir.Enum, anchor: str, ctx: Context) -> TypeView:
    return TypeView(
        title=prose(str(enum.name)),
        anchor=anchor,
        comment=(enum.comment or "").strip(),
        values=", ".join(code_span(v) for v in enum.values) or "(none)",
        facts=(),
        used_by=_users_of(enum.name, ctx),
    )


def domain_view(domain: ir.Domain, anchor: str, ctx: Context) -> TypeView:
    facts = [f"**Type:** {code_span(short_type(domain.type))}"]
    if not domain.nullable:
        facts.append("**Not null**")
    if domain.default is not None:
        facts.append(f"**Default:** {code_span(domain.default)}")
    facts += [f"**Check** {code_span(c.name)}: {code_span(c.expression)}"
              for c in by_name(domain.checks)]
    return TypeView(
        title=prose(str(domain.name)),
        anchor=anchor,
        comment=(domain.comment or "").strip(),
        values="",
        facts=tuple(facts),
        used_by=_users_of(domain.name, ctx),
    )
