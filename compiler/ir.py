"""The intermediate representation: frozen dataclasses, no behaviour.

Both the `.schema` compiler and database introspection produce a `Schema`. Fields that only
the DSL can know (source spans, sections, expectations, rename hints) are excluded from
equality, so two schemas that would create the same database compare equal.

Conventions: names are unquoted (quoting happens in one place, `compiler.sql`); types are
PostgreSQL's canonical `format_type` spelling (`character varying(255)`, `timestamp with time
zone`); expressions are SQL text; every constraint and index carries its final name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from compiler.errors import Span

_NO_SPAN = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class QName:
    """A schema-qualified object name."""

    schema: str = "public"
    name: str

    def __str__(self) -> str:
        return self.name if self.schema == "public" else f"{self.schema}.{self.name}"


class FkAction(StrEnum):
    NO_ACTION = "no action"
    RESTRICT = "restrict"
    CASCADE = "cascade"
    SET_NULL = "set null"
    SET_DEFAULT = "set default"


class Identity(StrEnum):
    ALWAYS = "always"
    BY_DEFAULT = "by default"


class IndexMethod(StrEnum):
    BTREE = "btree"
    HASH = "hash"
    GIN = "gin"
    GIST = "gist"
    SPGIST = "spgist"
    BRIN = "brin"


class ExpectKind(StrEnum):
    """Rules audited against rows but never enforced by DDL."""

    MATCHES = "matches"  # column ~ pattern
    NOT_MATCHES = "not matches"  # column !~ pattern
    JSON = "json"  # text column holds valid JSON
    PREDICATE = "predicate"  # any boolean SQL expression over the row


@dataclass(frozen=True, slots=True, kw_only=True)
class Expectation:
    kind: ExpectKind
    column: str | None = None  # None for a table-wide predicate
    argument: str | None = None  # the pattern, or the predicate's SQL
    message: str | None = None
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    # serial/bigserial/smallserial: an owned sequence feeding the default; kept as a flag so
    # that the generated default (which names the sequence) never appears as drift.
    serial: bool = False
    identity: Identity | None = None
    generated: str | None = None  # GENERATED ALWAYS AS (expr) STORED
    collation: str | None = None
    comment: str | None = None
    deprecated: str | None = field(default=None, compare=False)  # the reason
    renamed_from: str | None = field(default=None, compare=False)
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class PrimaryKey:
    name: str
    columns: tuple[str, ...]
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class Unique:
    name: str
    columns: tuple[str, ...]
    nulls_not_distinct: bool = False
    deferrable: bool = False
    initially_deferred: bool = False
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_table: QName
    ref_columns: tuple[str, ...]
    on_delete: FkAction = FkAction.NO_ACTION
    on_update: FkAction = FkAction.NO_ACTION
    deferrable: bool = False
    initially_deferred: bool = False
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    name: str
    expression: str
    # True when the name was derived, not written: the diff then matches by definition.
    derived_name: bool = field(default=False, compare=False)
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexElement:
    """One key of an index: a column or a parenthesised expression."""

    column: str | None = None
    expression: str | None = None
    opclass: str | None = None
    collation: str | None = None
    descending: bool = False
    nulls_first: bool | None = None  # None: the default for the direction


@dataclass(frozen=True, slots=True, kw_only=True)
class Index:
    name: str
    elements: tuple[IndexElement, ...]
    unique: bool = False
    method: IndexMethod = IndexMethod.BTREE
    include: tuple[str, ...] = ()
    where: str | None = None
    nulls_not_distinct: bool = False
    comment: str | None = None
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    name: QName
    columns: tuple[Column, ...]
    primary_key: PrimaryKey | None = None
    uniques: tuple[Unique, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[Check, ...] = ()
    indexes: tuple[Index, ...] = ()
    comment: str | None = None
    section: str | None = field(default=None, compare=False)
    expectations: tuple[Expectation, ...] = field(default=(), compare=False)
    renamed_from: str | None = field(default=None, compare=False)
    span: Span | None = _NO_SPAN

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Enum:
    name: QName
    values: tuple[str, ...]
    comment: str | None = None
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class Domain:
    name: QName
    type: str
    nullable: bool = True
    default: str | None = None
    checks: tuple[Check, ...] = ()
    comment: str | None = None
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class Extension:
    name: str
    schema: str | None = None
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class Namespace:
    name: str
    comment: str | None = None
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class Rows:
    """Reference rows, emitted as idempotent inserts and audited by `check`."""

    table: QName
    columns: tuple[str, ...]
    values: tuple[tuple[str, ...], ...]  # SQL literals
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class Schema:
    namespaces: tuple[Namespace, ...] = ()
    extensions: tuple[Extension, ...] = ()
    enums: tuple[Enum, ...] = ()
    domains: tuple[Domain, ...] = ()
    tables: tuple[Table, ...] = ()
    rows: tuple[Rows, ...] = field(default=(), compare=False)
    sections: tuple[str, ...] = field(default=(), compare=False)  # in first-seen order

    def table(self, name: QName) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


EMPTY = Schema()
