"""Lowering of the declarations kept as SQL text (views, functions, triggers, sequences) and
of a table header's kind (unlogged, partitioned, a partition, inheriting).

Contract: `ObjectCallbacks` is a mixin of `compiler.parse._Builder` (the callbacks the
parser calls as it reduces each rule): its methods are the callbacks of those grammar rules
and return IR objects, or small payloads the table assembly reads. A callback marked
`@with_meta` also gets the rule's extent (`start_pos`, `end_pos`: offsets into the text, which
`_span` turns into a span). Texts in `$$` blocks are kept verbatim (`compiler.objects`);
sequence options left out take PostgreSQL's defaults.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from lark import Token

from compiler import ir
from compiler.errors import Diagnostic, Span
from compiler.objects import sequence_defaults, sql_body
from compiler.parse_tables import Option, index_of
from compiler.parsed import ParsedFile

_F = TypeVar("_F", bound=Callable[..., Any])

# names of the callbacks that take the rule's position as their first argument
META_CALLBACKS: set[str] = set()


def with_meta(method: _F) -> _F:
    """Mark a callback as taking `(meta, children)` rather than `(children)`."""
    META_CALLBACKS.add(method.__name__)
    return method


class ObjectCallbacks:
    """Callbacks for `_Builder`; they use its `_span`, `_tok_span` and `diagnostics`."""

    diagnostics: list[Diagnostic]
    out: ParsedFile  # provided by _Builder

    def _span(self, meta: Any) -> Span:  # provided by _Builder
        raise NotImplementedError

    def _tok_span(self, tok: Token) -> Span:  # provided by _Builder
        raise NotImplementedError

    def unlogged(self, _c: list[Any]) -> _TableKind:
        return _TableKind(unlogged=True)

    def partition_by(self, c: list[Any]) -> _TableKind:
        return _TableKind(partition_by=f"{str(c[0]).upper()} ({c[1]})")

    def partition_of(self, c: list[Any]) -> _TableKind:
        (parent, _), bound = c[0], c[1]
        sub = c[2].partition_by if len(c) > 2 else None
        return _TableKind(partition_of=parent, partition_bound=bound, partition_by=sub)

    def bound_default(self, _c: list[Any]) -> str:
        return "DEFAULT"

    def bound_range(self, c: list[str]) -> str:
        return f"FOR VALUES FROM ({c[0]}) TO ({c[1]})"

    def bound_list(self, c: list[str]) -> str:
        return f"FOR VALUES IN ({c[0]})"

    def bound_hash(self, c: list[str]) -> str:
        return f"FOR VALUES WITH ({c[0]})"

    def inherits(self, c: list[Any]) -> _TableKind:
        return _TableKind(inherits=tuple(q for q, _ in c))


    # grants: one ir.Grant per object and role, collected straight into the file (a grant is
    # a statement of its own, not a definition that takes a description)
    @with_meta
    def grant(self, meta: Any, c: list[Any]) -> None:
        privileges, (kind, targets), *rest = c
        grantable = bool(rest) and rest[-1] is True
        span = self._span(meta)
        self.out.grants += [ir.Grant(kind=kind, on=on, role=str(role), privileges=privileges,
                                     grantable=grantable, span=span)
                            for on in targets for role in rest if role is not True]

    def grant_all(self, _c: list[Any]) -> tuple[str, ...]:
        return ("all",)

    def grant_list(self, c: list[Token]) -> tuple[str, ...]:
        return tuple(sorted({str(t).lower() for t in c}))

    def grant_privileges(self, c: list[Any]) -> tuple[str, ...]:
        return c[0]  # type: ignore[no-any-return]

    def grant_tables(self, c: list[tuple[ir.QName, Span]]) -> tuple[str, list[ir.QName]]:
        return "table", [q for q, _ in c]

    def grant_sequences(self, c: list[tuple[ir.QName, Span]]) -> tuple[str, list[ir.QName]]:
        return "sequence", [q for q, _ in c]

    def grant_schemas(self, c: list[Token]) -> tuple[str, list[ir.QName]]:
        return "schema", [ir.QName(name=str(t)) for t in c]

    def grant_target(self, c: list[Any]) -> Any:
        return c[0]

    def grant_option(self, _c: list[Any]) -> bool:
        return True

    # views, functions, triggers, sequences
    @with_meta
    def trigger(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return "trigger", (False, str(c[0]), c[1], c[2].strip()), self._span(meta)

    @with_meta
    def constraint_trigger(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return "trigger", (True, str(c[0]), c[1], c[2].strip()), self._span(meta)

    def trigger_def(self, c: list[Any]) -> tuple[str, Any, Span]:
        if len(c) == 2:
            kind, payload, span = c[1]
            return kind, (*payload, c[0]), span
        kind, payload, span = c[0]
        return kind, (*payload, None), span

    @with_meta
    def exclude(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        name = str(c[0]) if len(c) > 2 and isinstance(c[1], Token) else None
        rest = c[1:] if name else c
        method, elements = str(rest[0]), rest[1]
        where = next((x[1] for x in rest[2:] if isinstance(x, tuple) and x[0] == "where"), None)
        deferrable = next((x.value for x in rest[2:] if isinstance(x, Option)), None)
        definition = f"EXCLUDE USING {method} ({elements})"
        if where:
            definition += f" WHERE ({where})"
        if deferrable is not None:
            definition += " DEFERRABLE INITIALLY DEFERRED" if deferrable else " DEFERRABLE"
        return "exclude", (name, definition, elements), self._span(meta)

    @with_meta
    def rls_enable(self, meta: Any, _c: list[Any]) -> tuple[str, Any, Span]:
        return "rls", "row_security", self._span(meta)

    @with_meta
    def rls_force(self, meta: Any, _c: list[Any]) -> tuple[str, Any, Span]:
        return "rls", "force_row_security", self._span(meta)

    @with_meta
    def policy(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        span = self._span(meta)
        kw: dict[str, Any] = {"name": str(c[0])}
        for key, value in c[1:]:
            kw[key] = value
        if kw.get("command", "all") not in _COMMANDS:
            self.diagnostics.append(Diagnostic(
                f"policy `{kw['name']}`: unknown command `{kw['command']}`", span,
                "write `for all`, `for select`, `for insert`, `for update` or `for delete`"))
        word = kw.pop("as_word", "permissive")
        kw["permissive"] = word != "restrictive"
        if word not in ("permissive", "restrictive"):
            self.diagnostics.append(Diagnostic(
                f"policy `{kw['name']}`: `as` takes `permissive` or `restrictive`", span))
        return "policy", kw, span

    def policy_as(self, c: list[Token]) -> tuple[str, Any]:
        return "as_word", str(c[0])

    def policy_for(self, c: list[Token]) -> tuple[str, Any]:
        return "command", str(c[0])

    def policy_to(self, c: list[Token]) -> tuple[str, Any]:
        return "roles", tuple(str(x) for x in c)

    def policy_using(self, c: list[str]) -> tuple[str, Any]:
        return "using", c[0]

    def policy_check(self, c: list[str]) -> tuple[str, Any]:
        return "with_check", c[0]

    def before(self, _c: list[Any]) -> str:
        return "BEFORE"

    def after(self, _c: list[Any]) -> str:
        return "AFTER"

    def instead_of(self, _c: list[Any]) -> str:
        return "INSTEAD OF"

    def materialized(self, _c: list[Any]) -> str:
        return "materialized"

    def view_option(self, c: list[Any]) -> str:
        value = str(c[1]).lower() if len(c) > 1 else "true"
        return f"{c[0]}={value}"

    def view_options(self, c: list[str]) -> _ViewOptions:
        return _ViewOptions(sorted(c))

    def view_members(self, c: list[Any]) -> list[Any]:
        return c

    @with_meta
    def view(self, meta: Any, c: list[Any]) -> ir.View:
        materialized = c[0] == "materialized"
        rest = c[1:] if materialized else c
        (qn, where), rest = rest[0], rest[1:]
        span = self._span(where)
        options = next((x for x in rest if isinstance(x, _ViewOptions)), _ViewOptions())
        body = next(x for x in rest if isinstance(x, Token) and x.type == "SQL_BODY")
        members = next((x for x in rest if type(x) is list), [])
        indexes = tuple(index_of(qn.name, payload, ispan) for _k, payload, ispan in members)
        if indexes and not materialized:
            self.diagnostics.append(Diagnostic(
                f"view `{qn}` cannot have indexes", span,
                "only a `materialized view` holds rows to index"))
        return ir.View(name=qn, definition=sql_body(str(body)), materialized=materialized,
                       options=tuple(options), indexes=indexes, span=span)

    @with_meta
    def function(self, meta: Any, c: list[Any]) -> ir.Function:
        return self._function(c, False)

    @with_meta
    def procedure(self, meta: Any, c: list[Any]) -> ir.Function:
        return self._function(c, True)

    def _function(self, c: list[Any], procedure: bool) -> ir.Function:
        (qn, where), args, body = c[0], c[1], c[2]
        span = self._span(where)
        text = sql_body(str(body))
        if not re.match(r"\s*create\s+(or\s+replace\s+)?(function|procedure)\b", text,
                        re.IGNORECASE):
            self.diagnostics.append(Diagnostic(
                f"the body of `{qn}` must be a CREATE FUNCTION or CREATE PROCEDURE statement",
                self._tok_span(body), "paste the whole statement, as pg_get_functiondef "
                "prints it, between the $$ lines"))
        return ir.Function(name=qn, arguments=args, definition=text.strip().rstrip(";"),
                           procedure=procedure, span=span)

    @with_meta
    def sequence(self, meta: Any, c: list[Any]) -> ir.Sequence:
        (qn, where) = c[0]
        span = self._span(where)
        opts: dict[str, Any] = dict(c[1:])
        type_ = opts.pop("type", "bigint")
        increment = opts.get("increment", 1)
        low, high = sequence_defaults(type_, increment)
        minvalue = opts.get("minvalue", low)
        maxvalue = opts.get("maxvalue", high)
        start = opts.get("start", minvalue if increment > 0 else maxvalue)
        return ir.Sequence(name=qn, type=type_, increment=increment, minvalue=minvalue,
                           maxvalue=maxvalue, start=start, cache=opts.get("cache", 1),
                           cycle=opts.get("cycle", False), owned_by=opts.get("owned_by"),
                           span=span)

    def seq_type(self, c: list[Any]) -> tuple[str, Any]:
        return "type", c[0][0]

    def seq_increment(self, c: list[Token]) -> tuple[str, Any]:
        return "increment", int(str(c[0]))

    def seq_min(self, c: list[Token]) -> tuple[str, Any]:
        return "minvalue", int(str(c[0]))

    def seq_max(self, c: list[Token]) -> tuple[str, Any]:
        return "maxvalue", int(str(c[0]))

    def seq_start(self, c: list[Token]) -> tuple[str, Any]:
        return "start", int(str(c[0]))

    def seq_cache(self, c: list[Token]) -> tuple[str, Any]:
        return "cache", int(str(c[0]))

    def seq_cycle(self, _c: list[Any]) -> tuple[str, Any]:
        return "cycle", True

    def seq_owned(self, c: list[Token]) -> tuple[str, Any]:
        parts = [str(x) for x in c]
        table = ir.QName(schema=parts[0], name=parts[1]) if len(parts) == 3 else ir.QName(
            name=parts[0])
        return "owned_by", (table, parts[-1])



_COMMANDS = ("all", "select", "insert", "update", "delete")


class _ViewOptions(list[str]):
    """A view's `with (...)` options, as PostgreSQL's reloptions (`security_barrier=true`)."""

    __slots__ = ()


class _TableKind(NamedTuple):
    """What a table header says besides its name: unlogged, partitioning, inheritance."""

    unlogged: bool = False
    partition_by: str | None = None
    partition_of: ir.QName | None = None
    partition_bound: str | None = None
    inherits: tuple[ir.QName, ...] = ()
    row_security: bool = False
    force_row_security: bool = False
