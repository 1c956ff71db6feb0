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
    # ON DELETE SET NULL / SET DEFAULT (a, b): only these of `columns` (PostgreSQL 15+);
    # empty: all of them
    on_delete_columns: tuple[str, ...] = ()
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
class Exclusion:
    """An exclusion constraint; `definition` as pg_get_constraintdef prints it:
    `EXCLUDE USING gist (room_id WITH =, during WITH &&)`, maybe with ` WHERE (...)`."""

    name: str
    definition: str
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
    exclusions: tuple[Exclusion, ...] = ()
    comment: str | None = None
    unlogged: bool = False
    # PARTITION BY: the key as pg_get_partkeydef prints it (`RANGE (created_at)`)
    partition_by: str | None = None
    # a partition: its parent and bound (`FOR VALUES FROM (...) TO (...)`, `DEFAULT`); its
    # columns and inherited keys are the parent's, so `columns` holds none
    partition_of: QName | None = None
    partition_bound: str | None = None
    inherits: tuple[QName, ...] = ()  # INHERITS (...): `columns` holds only its own
    row_security: bool = False  # ENABLE ROW LEVEL SECURITY
    force_row_security: bool = False  # FORCE ROW LEVEL SECURITY (applies to the owner too)
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
class View:
    """A view or materialized view. `definition` is the query as `pg_get_viewdef(oid, true)`
    prints it (verbatim: leading space, trailing semicolon); the DSL side is brought to that
    form by `compiler.canonical`. `options` are reloptions (`security_barrier=true`), sorted.
    `reads`: other views and tables it depends on, for ordering only (from pg_depend, or
    from a scan of the text for declared names)."""

    name: QName
    definition: str
    materialized: bool = False
    options: tuple[str, ...] = ()
    indexes: tuple[Index, ...] = ()  # materialized views only
    comment: str | None = None
    reads: tuple[QName, ...] = field(default=(), compare=False)
    # (name, type) of its columns where known (the catalog, or the dev database): decides
    # whether CREATE OR REPLACE VIEW can apply a change (columns only appended)
    columns: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class Function:
    """A function or procedure, kept verbatim: `definition` is `pg_get_functiondef` output
    (a complete `CREATE OR REPLACE FUNCTION ...` statement, no trailing semicolon).
    Identified by name and `arguments` (pg_get_function_identity_arguments)."""

    name: QName
    arguments: str
    definition: str
    procedure: bool = False
    comment: str | None = None
    span: Span | None = _NO_SPAN

    @property
    def signature(self) -> str:
        return f"{self.name}({self.arguments})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Trigger:
    """A trigger on a table: `definition` is `pg_get_triggerdef(oid, true)` output, a complete
    `CREATE [CONSTRAINT] TRIGGER` statement without the semicolon."""

    table: QName
    name: str
    definition: str
    comment: str | None = None
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """A row-level security policy on a table. `command`: all, select, insert, update,
    delete; `roles`: role names (`public` for everyone); expressions as pg_get_expr prints
    them."""

    table: QName
    name: str
    permissive: bool = True
    command: str = "all"
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    with_check: str | None = None
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """Privileges a role holds on a table or view (`kind` "table"), a sequence or a schema,
    besides those its owner holds anyway. `on`: the object (for a schema, `on.name` is the
    schema's name). `role`: a role name, `public` for PUBLIC. `privileges`: lower-case
    privilege names, sorted, or ("all",) as declared before a server says what "all" holds.
    `grantable`: WITH GRANT OPTION (a role holding some privileges with the option and some
    without has one Grant for each)."""

    kind: str
    on: QName
    role: str
    privileges: tuple[str, ...]
    grantable: bool = False
    span: Span | None = _NO_SPAN

    @property
    def key(self) -> tuple[str, QName, str, bool]:
        return (self.kind, self.on, self.role, self.grantable)


@dataclass(frozen=True, slots=True, kw_only=True)
class Sequence:
    """A sequence that no serial or identity column owns. `owned_by` is (table, column)."""

    name: QName
    type: str = "bigint"
    start: int = 1
    increment: int = 1
    minvalue: int = 1
    maxvalue: int = 9223372036854775807
    cache: int = 1
    cycle: bool = False
    owned_by: tuple[QName, str] | None = None
    comment: str | None = None
    span: Span | None = _NO_SPAN


@dataclass(frozen=True, slots=True, kw_only=True)
class Schema:
    namespaces: tuple[Namespace, ...] = ()
    extensions: tuple[Extension, ...] = ()
    enums: tuple[Enum, ...] = ()
    domains: tuple[Domain, ...] = ()
    tables: tuple[Table, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    functions: tuple[Function, ...] = ()
    views: tuple[View, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    policies: tuple[Policy, ...] = ()
    grants: tuple[Grant, ...] = ()
    rows: tuple[Rows, ...] = field(default=(), compare=False)
    sections: tuple[str, ...] = field(default=(), compare=False)  # in first-seen order

    def table(self, name: QName) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


EMPTY = Schema()
