"""A table as `.schema` text (part of the canonical printer, `compiler.generators.dsl`).

One column per line, names and types aligned, each column's expectations on the lines after
it; then table-level constraints, table-wide expectations, indexes, triggers and row-level
security, each group after a blank line. A single-column key or check whose name is the
derived default (`compiler.names.derive`) is written on its column, any other name is written
out; where keeping list order would push such a check off its column, the checks are
regrouped (the compiler sorts them by name anyway).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from compiler import ir, names
from compiler.errors import Span
from compiler.generators.dsl_objects import exclusion_text, policy_text, table_kind, trigger_text
from compiler.generators.dsl_text import (
    Key,
    Line,
    column_list,
    doc_lines,
    fail,
    index_text,
    literal,
    member_paren,
    qname,
    quote_name,
    quoted_text,
    sql_text,
    type_text,
)

_T = TypeVar("_T")


def _inline_prefix(items: Sequence[_T], column_of: Callable[[_T], int | None],
                   strict: bool = True) -> int:
    """How many leading `items` can be written on their columns without reordering the list:
    each must belong to a column, in column order."""
    last = -1
    for n, item in enumerate(items):
        pos = column_of(item)
        if pos is None or pos < last or (strict and pos == last):
            return n
        last = pos
    return len(items)


def _regroup(items: Sequence[_T], column_of: Callable[[_T], int | None],
             name: Callable[[_T], str]) -> list[_T]:
    """Schema mode: the inline-able items first, by column (then name), then the rest."""
    inline = [x for x in items if column_of(x) is not None]
    rest = [x for x in items if column_of(x) is None]

    def natural(x: _T) -> tuple[int, str, int]:
        m = re.fullmatch(r"(.*?)(\d*)", name(x))
        assert m is not None
        return column_of(x) or 0, m[1], int(m[2] or -1)

    return sorted(inline, key=natural) + rest


def check_text(c: ir.Check, name: str | None) -> str:
    named = f" {quote_name(name)}" if name is not None else ""
    return f"check{named} ({sql_text('paren', c.expression, c.span)})"


def _fk_options(fk: ir.ForeignKey) -> str:
    text = ""
    if fk.on_delete != ir.FkAction.NO_ACTION:
        text += f" on delete {fk.on_delete.value}"
        if fk.on_delete_columns:
            text += f" ({', '.join(quote_name(c) for c in fk.on_delete_columns)})"
    if fk.on_update != ir.FkAction.NO_ACTION:
        text += f" on update {fk.on_update.value}"
    return text + _deferrable(fk.deferrable, fk.initially_deferred, fk.name, fk.span)


def _deferrable(deferrable: bool, deferred: bool, name: str, span: Span | None) -> str:
    if deferred and not deferrable:
        raise fail(f"constraint {name} is initially deferred but not deferrable", span)
    return " deferrable initially deferred" if deferred else " deferrable" if deferrable else ""


def _plan_checks(t: ir.Table, column_of: Callable[[ir.Check], int | None], keep_order: bool
                 ) -> tuple[list[ir.Check], int, list[str | None]]:
    """(checks in print order, how many go inline, the name to print for each or None).

    Where list order would push a derived check to table level, where it could only keep its
    name by spelling it out (losing `derived_name`), the checks are regrouped instead: their
    order means nothing to the compiler, which sorts them by name."""
    checks = list(t.checks)
    if not keep_order:
        checks = _regroup(checks, column_of, lambda x: x.name)
    n_inline, printed = _name_checks(t, checks, column_of, keep_order)
    if keep_order and any(c.derived_name and p is not None
                          for c, p in zip(checks, printed, strict=True)):
        checks = _regroup(checks, column_of, lambda x: x.name)
        n_inline, printed = _name_checks(t, checks, column_of, keep_order)
    return checks, n_inline, printed


def _name_checks(t: ir.Table, checks: list[ir.Check], column_of: Callable[[ir.Check], int | None],
                 keep_order: bool) -> tuple[int, list[str | None]]:
    """Parse names an unnamed check in reading order (`<t>_<col>_check` inline, `<t>_check` at
    table level, a counter on clashes): simulate it, and spell out every other name."""
    n_inline = _inline_prefix(checks, column_of, strict=False)
    seen: list[str] = []
    printed: list[str | None] = []
    for k, c in enumerate(checks):
        col = column_of(c) if k < n_inline else None
        base = names.derive(t.name.name, *([t.columns[col].name] if col is not None else []),
                            "check")
        name, n = base, 0
        while name in seen:
            n += 1
            name = f"{base}{n}"
        seen.append(c.name)
        printed.append(None if name == c.name and (c.derived_name or not keep_order) else c.name)
    return n_inline, printed


@dataclass(slots=True)
class _Placement:
    """Which constraints of a table go on their column, and how each check is named."""

    pos: dict[str, int]  # column name -> position
    pk_col: int | None
    uniques: list[ir.Unique]
    n_uniques: int  # the first n go inline
    fks: list[ir.ForeignKey]
    n_fks: int
    checks: list[ir.Check]
    n_checks: int
    check_names: list[str | None]  # None: left for parse to derive
    check_col: Callable[[ir.Check], int | None]


def _place(t: ir.Table, keep_order: bool) -> _Placement:
    tname = t.name.name
    pos = {c.name: n for n, c in enumerate(t.columns)}

    def single(cols: tuple[str, ...], name: str, suffix: str) -> int | None:
        if len(cols) == 1 and cols[0] in pos and name == names.derive(tname, cols[0], suffix):
            return pos[cols[0]]
        return None

    def unique_of(u: ir.Unique) -> int | None:  # `unique` on a column cannot say deferrable
        return None if u.deferrable or u.initially_deferred else single(u.columns, u.name, "key")

    def fk_of(f: ir.ForeignKey) -> int | None:
        return single(f.columns, f.name, "fkey")

    # Each is asked several times per constraint (regrouping, sort keys, inline prefixes,
    # naming): the answers are kept per object.
    unique_col = _memo(unique_of)
    fk_col = _memo(fk_of)
    check_col = _memo(_check_column(t, pos))

    uniques, fks = list(t.uniques), list(t.foreign_keys)
    if not keep_order:
        uniques = _regroup(uniques, unique_col, lambda x: x.name)
        fks = _regroup(fks, fk_col, lambda x: x.name)
    checks, n_checks, check_names = _plan_checks(t, check_col, keep_order)
    pk, pk_col = t.primary_key, None
    if pk is not None and len(pk.columns) == 1 and pk.name == names.derive(tname, "pkey"):
        col = t.column(pk.columns[0])  # inline `primary key` makes its column NOT NULL
        pk_col = pos[col.name] if col is not None and not col.nullable else None
    return _Placement(pos, pk_col, uniques, _inline_prefix(uniques, unique_col), fks,
                      _inline_prefix(fks, fk_col), checks, n_checks, check_names, check_col)


def _memo(fn: Callable[[_T], int | None]) -> Callable[[_T], int | None]:
    """`fn` answering once per object (by identity: the objects outlive the table's layout)."""
    seen: dict[int, int | None] = {}

    def cached(x: _T) -> int | None:
        key = id(x)
        if key not in seen:
            seen[key] = fn(x)
        return seen[key]

    return cached


def _check_column(t: ir.Table, pos: dict[str, int]) -> Callable[[ir.Check], int | None]:
    """The column a check is named after: the first column whose derived check name is the
    check's name, or that name followed by a decimal counter (parse numbers clashes)."""
    first: dict[str, int] = {}
    for col in t.columns if t.checks else ():
        first.setdefault(names.derive(t.name.name, col.name, "check"), pos[col.name])

    def column_of(c: ir.Check) -> int | None:
        name = c.name
        found = first.get(name)
        end = len(name)
        while end > 0 and name[end - 1].isdecimal():  # a base plus a counter
            end -= 1
            p = first.get(name[:end])
            if p is not None and (found is None or p < found):
                found = p
        return found

    return column_of


def _member(text: str, key: Key) -> Line:
    return Line(text, 2, start=key, owner=key)


def table_lines(ti: int, t: ir.Table, keep_order: bool, triggers: Sequence[ir.Trigger] = (),
           policies: Sequence[ir.Policy] = ()) -> list[Line]:
    pl = _place(t, keep_order)
    inline: dict[int, list[str]] = {n: [] for n in range(len(t.columns))}
    if pl.pk_col is not None:
        inline[pl.pk_col].append("primary key")
    for u in pl.uniques[: pl.n_uniques]:
        inline[pl.pos[u.columns[0]]].append(
            "unique nulls not distinct" if u.nulls_not_distinct else "unique")
    for f in pl.fks[: pl.n_fks]:
        inline[pl.pos[f.columns[0]]].append(f"references {_reference(f)}")
    for c, cname in zip(pl.checks[: pl.n_checks], pl.check_names, strict=False):
        p = pl.check_col(c)
        assert p is not None
        inline[p].append(check_text(c, cname))

    slots = _expect_slots(t, pl.pos)

    def expects(slot: int | str) -> list[Line]:
        return [_member(_expect(t.expectations[k]), ("expect", ti, k)) for k in slots.get(slot, [])]

    heads = [(quote_name(c.name), _type_text(c)) for c in t.columns]
    opts = [" ".join(_column_options(c, inline[n], pl.pk_col == n))
            for n, c in enumerate(t.columns)]
    w_name = max((len(h[0]) for h in heads), default=0)
    w_type = max((len(h[1]) for h, o in zip(heads, opts, strict=True) if o), default=0)
    body = expects("start")
    for n, col in enumerate(t.columns):
        ckey: Key = ("column", ti, col.name)
        text = f"{heads[n][0].ljust(w_name)} {heads[n][1]}"
        if opts[n]:
            text = f"{heads[n][0].ljust(w_name)} {heads[n][1].ljust(w_type)} {opts[n]}"
        block = [*doc_lines(col.comment, 2, ckey, col.span), Line(text, 2, owner=ckey)]
        block[0].start = ckey
        body += block + expects(n)

    key: Key = ("table", ti)
    renamed = f" renamed from {quote_name(t.renamed_from)}" if t.renamed_from else ""
    unlogged = "unlogged " if t.unlogged else ""
    header = Line(f"{unlogged}table {qname(t.name)}{renamed}{table_kind(t)} {{",
                  owner=key)
    lines = [*doc_lines(t.comment, 0, key, t.span), header]
    lines[0].start = key
    lines += body
    indexes = [ln for x in t.indexes for ln in (
        *doc_lines(x.comment, 2, ("index", ti, x.name), x.span),
        _member(index_text(t.name.name, x), ("index", ti, x.name)))]
    trigger_lines = []
    for tg in triggers:
        tkey: Key = ("trigger", ti, tg.name)
        block = [*doc_lines(tg.comment, 2, tkey, tg.span), _member(trigger_text(tg), tkey)]
        block[0].start = tkey
        trigger_lines += block
    security = [_member(text, ("rls", ti, text)) for text, on in (
        ("enable row level security", t.row_security),
        ("force row level security", t.force_row_security)) if on]
    security += [_member(policy_text(p), ("policy", ti, p.name))
                 for p in policies]
    for group in (_table_constraints(ti, t, pl), expects("end"), indexes, trigger_lines,
                  security):
        if group:  # one blank line between columns, constraints, expectations and indexes
            lines += [Line(""), *group] if lines[-1] is not header else group
    lines.append(Line("}", start=("table_end", ti), owner=("table_end", ti), lead_indent=2))
    return lines


def _expect_slots(t: ir.Table, pos: dict[str, int]) -> dict[int | str, list[int]]:
    """Where each expectation is printed: after its column (slot = column position), or for a
    table-wide one, where it keeps its place in the list ("start", a column, or "end")."""
    slots: dict[int | str, list[int]] = {}
    last: int | str = "start"
    slot: int | str
    for k, e in enumerate(t.expectations):
        if e.column is not None:
            if e.column not in pos:
                raise fail(f"an expectation names column {e.column}, which table {t.name} "
                            "does not have", e.span)
            slot = last = pos[e.column]
        elif any(x.column is not None for x in t.expectations[k + 1 :]):
            slot = last
        else:
            slot = "end"
        slots.setdefault(slot, []).append(k)
    return slots


def _table_constraints(ti: int, t: ir.Table, pl: _Placement) -> list[Line]:
    tname = t.name.name

    def named(name: str, derived: str) -> str:
        return "" if name == derived else f" {quote_name(name)}"

    out: list[Line] = []
    pk = t.primary_key
    if pk is not None and pl.pk_col is None:
        text = f"primary key{named(pk.name, names.derive(tname, 'pkey'))} {column_list(pk.columns)}"
        out.append(_member(text, ("primary_key", ti)))
    for u in pl.uniques[pl.n_uniques :]:
        derived = names.derive(tname, *u.columns, 'key')
        text = f"unique{named(u.name, derived)} {column_list(u.columns)}"
        text += " nulls not distinct" if u.nulls_not_distinct else ""
        text += _deferrable(u.deferrable, u.initially_deferred, u.name, u.span)
        out.append(_member(text, ("unique", ti, u.name)))
    for f in pl.fks[pl.n_fks :]:
        text = (f"foreign key{named(f.name, names.derive(tname, *f.columns, 'fkey'))} "
                f"{column_list(f.columns)} references {_reference(f)}")
        out.append(_member(text, ("foreign_key", ti, f.name)))
    for c, cname in zip(pl.checks[pl.n_checks :], pl.check_names[pl.n_checks :], strict=True):
        head = "check " if cname is None else f"check {quote_name(cname)} "
        out.append(_member(member_paren(head, c.expression, "", c.span), ("check", ti, c.name)))
    out += [_member(exclusion_text(x), ("exclusion", ti, x.name))
            for x in t.exclusions]
    return out


def _reference(f: ir.ForeignKey) -> str:
    ref = qname(f.ref_table) + (column_list(f.ref_columns) if f.ref_columns else "")
    return ref + _fk_options(f)


def _type_text(c: ir.Column) -> str:
    if c.serial:
        serial = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}.get(c.type)
        if serial is None:
            raise fail(f"column {c.name} is serial but of type {c.type}", c.span)
        return serial
    return type_text(c.type, c.span)


def _column_options(c: ir.Column, inline: list[str], inline_pk: bool) -> list[str]:
    opts: list[str] = []
    if c.collation is not None:
        opts.append(f"collate {quote_name(c.collation)}")
    if c.identity is not None:
        opts.append(f"generated {c.identity.value} as identity")
    if c.generated is not None:
        opts.append(f"generated always as ({sql_text('paren', c.generated, c.span)}) stored")
    if c.nullable and (c.identity is not None or c.serial):
        raise fail(f"column {c.name} is an identity or serial column but allows NULL", c.span)
    if not c.nullable and not (inline_pk or c.identity is not None or c.serial):
        opts.append("not null")
    if c.default is not None:
        opts.append("default " + sql_text("default", c.default, c.span))
    opts += inline
    if c.deprecated is not None:
        opts.append("deprecated" if c.deprecated == "deprecated"
                    else f"deprecated {quoted_text(c.deprecated, 'the reason', c.span)}")
    if c.renamed_from is not None:
        opts.append(f"renamed from {quote_name(c.renamed_from)}")
    return opts


def _expect(e: ir.Expectation) -> str:
    text = "expect table " if e.column is None else "expect "
    if e.kind in (ir.ExpectKind.MATCHES, ir.ExpectKind.NOT_MATCHES):
        if e.argument is None:
            raise fail(f"a `{e.kind.value}` expectation needs a pattern", e.span)
        text += f"{e.kind.value} {literal(e.argument)}"
    elif e.kind == ir.ExpectKind.JSON:
        text += "json"
    else:
        tail = "" if e.message is None else " " + quoted_text(e.message, "the message", e.span)
        return member_paren(text, e.argument or "", tail, e.span)
    if e.message is not None:
        text += " " + quoted_text(e.message, "the message", e.span)
    return text
