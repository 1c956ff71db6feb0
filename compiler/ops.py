"""Typed change operations: what a migration does, not how it is spelt.

Each op is a frozen dataclass that knows its phase, whether it can lose data (`destructive`),
the lock it takes, whether it may run inside a transaction, and the hazards a reviewer should
see (named after Squawk's rules where they overlap, since users know those names). SQL text
is written in one place only: `compiler.generators.sql`. Safety is never decided from SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from compiler import ir


class Phase(IntEnum):
    """The fixed order a migration runs in. Dependents go first and come back last, so no
    statement ever meets an object that is missing or about to change under it."""

    DROP_DEPENDENTS = 10  # foreign keys, indexes, checks that are removed or will be rebuilt
    DROP = 20  # tables, columns, enum types (destructive, gated)
    CREATE = 30  # schemas, extensions, types, then tables in foreign-key order
    ALTER = 40  # renames, new columns, type/default/nullability changes, comments
    ADD_DEPENDENTS = 50  # indexes, constraints, foreign keys that close a cycle
    DATA = 60  # reference rows


# Lock levels, as PostgreSQL names them.
ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
SHARE = "SHARE"
ROW_EXCLUSIVE = "ROW EXCLUSIVE"
NO_LOCK = "none (new object)"


@dataclass(frozen=True, slots=True)
class Hazard:
    code: str  # e.g. "require-concurrent-index-creation", "table-rewrite"
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Op:
    phase: ClassVar[Phase] = Phase.ALTER
    # a sentence for the comment above the statement: why this step is here
    reason: str = ""
    destructive: ClassVar[bool] = False
    lock: ClassVar[str] = ACCESS_EXCLUSIVE
    transactional: ClassVar[bool] = True
    isolated: ClassVar[bool] = False  # runs in a transaction of its own
    hazards: tuple[Hazard, ...] = ()
    # what to count before this step runs (rows that would make it fail), and the answer
    preflight: str | None = None
    preflight_result: str | None = None

    @property
    def kind(self) -> str:
        name = type(self).__name__
        return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


@dataclass(frozen=True, slots=True, kw_only=True)
class DropForRebuild(Op):
    """A drop that loses nothing when the object is only dropped to be recreated in a new
    form (`replaced`, e.g. an index whose definition changed); dropping it for good is
    destructive, like any drop."""

    replaced: bool = False

    @property
    def destructive(self) -> bool:  # type: ignore[override]
        return not self.replaced


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSchema(Op):
    name: str
    phase: ClassVar[Phase] = Phase.CREATE
    lock: ClassVar[str] = NO_LOCK


@dataclass(frozen=True, slots=True, kw_only=True)
class DropSchema(Op):
    name: str
    phase: ClassVar[Phase] = Phase.DROP
    destructive: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateExtension(Op):
    extension: ir.Extension
    phase: ClassVar[Phase] = Phase.CREATE
    lock: ClassVar[str] = NO_LOCK


@dataclass(frozen=True, slots=True, kw_only=True)
class DropExtension(Op):
    name: str
    phase: ClassVar[Phase] = Phase.DROP
    destructive: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateEnum(Op):
    enum: ir.Enum
    phase: ClassVar[Phase] = Phase.CREATE
    lock: ClassVar[str] = NO_LOCK


@dataclass(frozen=True, slots=True, kw_only=True)
class AddEnumValue(Op):
    """Runs outside a transaction: a value added inside one cannot be used until it commits,
    and a later step of the same migration may use it (a default, a row)."""

    enum: ir.QName
    value: str
    after: str | None = None  # None: before the first value
    before: str | None = None
    phase: ClassVar[Phase] = Phase.CREATE
    transactional: ClassVar[bool] = False
    lock: ClassVar[str] = "none (catalog only)"


@dataclass(frozen=True, slots=True, kw_only=True)
class EnumUsage:
    table: ir.QName
    column: str
    default: str | None  # the default to restore, in the new type
    array: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplaceEnum(Op):
    """Removing (or reordering) enum values: PostgreSQL cannot drop a value, so the type is
    swapped: the old one renamed, the new one created, every column converted through text,
    the old type dropped. Destructive: rows holding a removed value make it fail, and the
    preflight counts them first."""

    enum: ir.Enum
    removed: tuple[str, ...]
    usages: tuple[EnumUsage, ...] = ()
    phase: ClassVar[Phase] = Phase.CREATE
    destructive: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class DropEnum(Op):
    name: ir.QName
    phase: ClassVar[Phase] = Phase.DROP
    destructive: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateDomain(Op):
    domain: ir.Domain
    phase: ClassVar[Phase] = Phase.CREATE
    lock: ClassVar[str] = NO_LOCK


@dataclass(frozen=True, slots=True, kw_only=True)
class DropDomain(Op):
    name: ir.QName
    phase: ClassVar[Phase] = Phase.DROP
    destructive: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTable(Op):
    """Columns, primary key, unique and check constraints inline; foreign keys to tables
    created earlier in the same plan too (the rest are added after, breaking cycles)."""

    table: ir.Table
    foreign_keys: tuple[ir.ForeignKey, ...] = ()
    phase: ClassVar[Phase] = Phase.CREATE
    lock: ClassVar[str] = NO_LOCK


@dataclass(frozen=True, slots=True, kw_only=True)
class SetLogged(Op):
    """SET LOGGED / SET UNLOGGED: rewrites the table (and writes it all to the WAL)."""

    table: ir.QName
    logged: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DropTable(Op):
    name: ir.QName
    phase: ClassVar[Phase] = Phase.DROP
    destructive: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameTable(Op):
    old: ir.QName
    new: ir.QName
    phase: ClassVar[Phase] = Phase.CREATE


@dataclass(frozen=True, slots=True, kw_only=True)
class AddColumn(Op):
    table: ir.QName
    column: ir.Column


@dataclass(frozen=True, slots=True, kw_only=True)
class DropColumn(Op):
    table: ir.QName
    column: str
    phase: ClassVar[Phase] = Phase.DROP
    destructive: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameColumn(Op):
    table: ir.QName
    old: str
    new: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AlterColumnType(Op):
    table: ir.QName
    column: str
    old_type: str
    new_type: str
    using: str | None = None
    narrowing: bool = False

    @property
    def destructive(self) -> bool:  # type: ignore[override]
        return self.narrowing


@dataclass(frozen=True, slots=True, kw_only=True)
class SetDefault(Op):
    table: ir.QName
    column: str
    default: str | None  # None drops the default


@dataclass(frozen=True, slots=True, kw_only=True)
class SetNotNull(Op):
    """On a table that exists: a CHECK (col IS NOT NULL) NOT VALID, validated under a weak
    lock, lets SET NOT NULL skip its full-table scan under ACCESS EXCLUSIVE (PostgreSQL 12+)."""

    table: ir.QName
    column: str
    via_check: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class DropNotNull(Op):
    table: ir.QName
    column: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AddConstraint(Op):
    table: ir.QName
    constraint: ir.PrimaryKey | ir.Unique | ir.ForeignKey | ir.Check | ir.Exclusion
    not_valid: bool = False  # existing rows are checked later by ValidateConstraint
    using_index: str | None = None  # UNIQUE/PK adopted from a concurrently built index
    phase: ClassVar[Phase] = Phase.ADD_DEPENDENTS
    lock: ClassVar[str] = SHARE_ROW_EXCLUSIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidateConstraint(Op):
    table: ir.QName
    name: str
    isolated: ClassVar[bool] = True
    phase: ClassVar[Phase] = Phase.ADD_DEPENDENTS
    lock: ClassVar[str] = SHARE_UPDATE_EXCLUSIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class DropConstraint(DropForRebuild):
    """Destructive when the constraint goes away; a constraint dropped to be re-added in a
    new form (`replaced`) loses nothing."""

    table: ir.QName
    name: str
    phase: ClassVar[Phase] = Phase.DROP_DEPENDENTS


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameConstraint(Op):
    """Same definition, new name (e.g. `accounts_pkey` after `accounts` became `users`)."""

    table: ir.QName
    old: str
    new: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameIndex(Op):
    schema: str
    old: str
    new: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateIndex(Op):
    table: ir.QName
    index: ir.Index
    concurrently: bool = False
    phase: ClassVar[Phase] = Phase.ADD_DEPENDENTS

    @property
    def transactional(self) -> bool:  # type: ignore[override]
        return not self.concurrently

    @property
    def lock(self) -> str:  # type: ignore[override]
        return SHARE_UPDATE_EXCLUSIVE if self.concurrently else SHARE


@dataclass(frozen=True, slots=True, kw_only=True)
class DropIndex(DropForRebuild):
    schema: str
    name: str
    concurrently: bool = False
    # replaced: dropped to be rebuilt in a new form
    phase: ClassVar[Phase] = Phase.DROP_DEPENDENTS

    @property
    def transactional(self) -> bool:  # type: ignore[override]
        return not self.concurrently


@dataclass(frozen=True, slots=True, kw_only=True)
class Comment(Op):
    """COMMENT ON; `target` is the SQL object designator (`TABLE users`, `COLUMN users.id`).
    For a function `column` holds its arguments; for a trigger `name` is its table and
    `column` the trigger's name."""

    object_kind: str  # table | column | type | domain | schema | index | view | ...
    name: ir.QName
    column: str | None = None
    text: str | None = None
    lock: ClassVar[str] = SHARE_UPDATE_EXCLUSIVE

    @property
    def phase(self) -> Phase:  # type: ignore[override]  # an index is described once it exists
        return Phase.ADD_DEPENDENTS if self.object_kind in (
            "index", "view", "materialized view", "trigger", "sequence") else Phase.ALTER


@dataclass(frozen=True, slots=True, kw_only=True)
class InsertRows(Op):
    rows: ir.Rows
    phase: ClassVar[Phase] = Phase.DATA
    lock: ClassVar[str] = ROW_EXCLUSIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class Unmanaged(Op):
    """An object in the database the schema does not declare and schemac does not manage.
    Planned as nothing; shown so nothing is silently out of view."""

    object_kind: str
    name: str
    lock: ClassVar[str] = "none"


# Ops of the objects kept as SQL text, defined beside their diff (imported last: they build on Op).
from compiler.ops_objects import (  # noqa: E402
    AlterSequence,
    CreateFunction,
    CreatePolicy,
    CreateSequence,
    CreateTrigger,
    CreateView,
    DropFunction,
    DropPolicy,
    DropSequence,
    DropTrigger,
    DropView,
    GrantPrivileges,
    RevokePrivileges,
    SetRowSecurity,
    SetSequenceOwner,
)

# re-exported (names defined above are exported anyway)
__all__ = [
    "AlterSequence",
    "CreateFunction",
    "CreatePolicy",
    "CreateSequence",
    "CreateTrigger",
    "CreateView",
    "DropFunction",
    "DropPolicy",
    "DropSequence",
    "DropTrigger",
    "DropView",
    "GrantPrivileges",
    "RevokePrivileges",
    "SetRowSecurity",
    "SetSequenceOwner",
]
