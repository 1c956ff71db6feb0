"""A table's members as one `ir.Table` (part of the lowering in `compiler.parse`).

Contract: `assemble_table(diagnostics, name, span, renamed_from, members)` collects the inline
and table-level keys, foreign keys, checks, indexes, exclusion constraints and expectations
of a table's members (in the payloads the rule callbacks return) and names each the way
PostgreSQL would (`t_col_key`, `t_col_fkey`, `t_check1`, ...); problems are appended to
`diagnostics`. `index_of` does the same for one index (tables and materialized views). The
small payload classes the callbacks and this module share live here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from lark import Token

from compiler import ir, names
from compiler.errors import CompileError, Diagnostic, Span
from compiler.frozen import constructor


@dataclass(slots=True)
class ColumnParts:
    # ir.Column's arguments: the column is made once its description is known, as copying
    # a frozen dataclass to add one costs more than making it
    fields: dict[str, Any]
    inline: list[tuple[str, Any, Span]]  # ("pk"|"unique"|"fk"|"check"|"expect", payload, span)

    def column(self) -> ir.Column:
        return _new_column(**self.fields)


# the IR's constructors, as fast as `compiler.frozen` makes them: a table's members are made
# by the hundred thousand in a large schema
_new_table: Callable[..., ir.Table] = constructor(ir.Table)
_new_column: Callable[..., ir.Column] = constructor(ir.Column)
_new_check: Callable[..., ir.Check] = constructor(ir.Check)
_new_primary_key: Callable[..., ir.PrimaryKey] = constructor(ir.PrimaryKey)
_new_unique: Callable[..., ir.Unique] = constructor(ir.Unique)
_new_foreign_key: Callable[..., ir.ForeignKey] = constructor(ir.ForeignKey)
_new_index: Callable[..., ir.Index] = constructor(ir.Index)
_INDEX_METHODS = {m.value: m for m in ir.IndexMethod}  # a dict: `IndexMethod(x)` is slow


class ColumnList(tuple[str, ...]):
    """A parenthesised column list (typed, so a column named like an option is a column)."""

    __slots__ = ()


class Option(NamedTuple):
    """A foreign-key or constraint option: ("on_delete", (action, columns)),
    ("deferrable", deferred)."""

    key: str
    value: Any


def assemble_table(diagnostics: list[Diagnostic], qn: ir.QName, span: Span,
                   renamed_from: str | None, members: list[Any]) -> ir.Table:
    """Collect inline and table-level constraints, naming each the way PostgreSQL would."""
    t = qn.name
    columns: list[ir.Column] = []
    pk: ir.PrimaryKey | None = None
    uniques: list[ir.Unique] = []
    fks: list[ir.ForeignKey] = []
    checks: list[ir.Check] = []
    indexes: list[ir.Index] = []
    expects: list[ir.Expectation] = []
    exclusions: list[ir.Exclusion] = []
    last_column: str | None = None

    def add_check(name: str | None, expr: str, column: str | None, cspan: Span) -> None:
        derived = name is None
        if name is None:
            base = names.derive(t, column, "check") if column else names.derive(t, "check")
            name = base
            n = 0
            while any(ch.name == name for ch in checks):
                n += 1
                name = f"{base}{n}"
        checks.append(_new_check(name=name, expression=expr, derived_name=derived, span=cspan))

    def add_expect(payload: Any, column: str | None, espan: Span) -> None:
        table_wide, kind, arg, message = payload
        if table_wide or kind == ir.ExpectKind.PREDICATE and column is None:
            column = None
        elif column is None:
            diagnostics.append(Diagnostic(
                "`expect` has no column to apply to", espan,
                "put it on the line after a column, or write `expect table (predicate)`"))
            return
        expects.append(ir.Expectation(kind=kind, column=column, argument=arg, message=message,
                                      span=espan))

    for m in members:
        if isinstance(m, ColumnParts):
            col = m.column()
            columns.append(col)
            last_column = col.name
            for kind, payload, ispan in m.inline:
                if kind == "pk":
                    if pk is not None:
                        diagnostics.append(Diagnostic(
                            f"table `{t}` has a second primary key", ispan,
                            "declare one composite key instead: `primary key (a, b)`"))
                    pk = _new_primary_key(name=names.derive(t, "pkey"), columns=(col.name,),
                                          span=ispan)
                elif kind == "unique":
                    uniques.append(_new_unique(name=names.derive(t, col.name, "key"),
                                               columns=(col.name,), nulls_not_distinct=payload,
                                               span=ispan))
                elif kind == "fk":
                    target, ref_cols, opts = payload
                    fks.append(_fk(names.derive(t, col.name, "fkey"), (col.name,), target,
                                   ref_cols, opts, ispan))
                elif kind == "check":
                    cname, expr = payload
                    add_check(cname, expr, col.name, ispan)
                elif kind == "expect":
                    add_expect(payload, col.name, ispan)
            continue
        kind, payload, mspan = m
        if kind == "table_pk":
            name, cols = payload
            if pk is not None:
                diagnostics.append(Diagnostic(
                    f"table `{t}` has a second primary key", mspan,
                    "declare one composite key instead: `primary key (a, b)`"))
            pk = _new_primary_key(name=name or names.derive(t, "pkey"), columns=cols, span=mspan)
        elif kind == "table_unique":
            name, cols, nnd, deferrable = payload
            uniques.append(_new_unique(name=name or names.derive(t, *cols, "key"), columns=cols,
                                       nulls_not_distinct=nnd, deferrable=deferrable is not None,
                                       initially_deferred=bool(deferrable), span=mspan))
        elif kind == "table_fk":
            name, cols, target, ref_cols, opts = payload
            fks.append(_fk(name or names.derive(t, *cols, "fkey"), cols, target, ref_cols,
                           opts, mspan))
        elif kind == "check":
            cname, expr = payload
            add_check(cname, expr, None, mspan)
        elif kind == "index":
            indexes.append(index_of(t, payload, mspan))
        elif kind == "expect":
            add_expect(payload, last_column, mspan)
        elif kind == "exclude":
            xname, definition, elements = payload
            first = re.match(r'\s*"?([A-Za-z_][A-Za-z0-9_$]*)', elements)
            exclusions.append(ir.Exclusion(
                name=xname or names.derive(t, first.group(1).lower() if first else "expr",
                                           "excl"), definition=definition, span=mspan))
    return _new_table(name=qn, columns=tuple(columns), primary_key=pk, uniques=tuple(uniques),
                      foreign_keys=tuple(fks), checks=tuple(checks), indexes=tuple(indexes),
                      exclusions=tuple(exclusions),
                      expectations=tuple(expects), renamed_from=renamed_from, span=span)


def _fk(name: str, cols: tuple[str, ...], target: ir.QName, ref_cols: tuple[str, ...] | None,
        opts: dict[str, Any], span: Span) -> ir.ForeignKey:
    deferrable = opts.get("deferrable")
    on_delete, on_delete_columns = opts.get("on_delete", (ir.FkAction.NO_ACTION, ()))
    return _new_foreign_key(
        name=name, columns=cols, ref_table=target, ref_columns=ref_cols or (),
        on_delete=on_delete, on_delete_columns=on_delete_columns,
        on_update=opts.get("on_update", ir.FkAction.NO_ACTION),
        deferrable=deferrable is not None, initially_deferred=bool(deferrable), span=span)


def index_of(table: str, payload: Any, span: Span) -> ir.Index:
    """An index member's payload as the `ir.Index` it declares, named as PostgreSQL would."""
    unique, parts = payload
    kw: dict[str, Any] = {"unique": unique}
    name: str | None = None
    elements: tuple[ir.IndexElement, ...] = ()
    for p in parts:
        if isinstance(p, Token):
            name = str(p)
        elif p == "nulls_not_distinct":
            kw["nulls_not_distinct"] = True
        elif isinstance(p, tuple) and p and isinstance(p[0], ir.IndexElement):
            elements = p
        elif isinstance(p, Option):
            kw[p.key] = p.value
        elif isinstance(p, tuple):
            key, val = p
            if key == "using":
                kw["method"] = val
            else:
                kw[key] = val
    if name is None:
        name = names.derive(table, *names.element_words(elements), "idx")
    method = kw.pop("method", "btree")
    kw["method"] = _INDEX_METHODS.get(method)
    if kw["method"] is None:
        raise CompileError([Diagnostic(
            f"unknown index method `{method}`", span,
            "use one of: " + ", ".join(m.value for m in ir.IndexMethod))])
    return _new_index(name=name, elements=elements, span=span, **kw)
