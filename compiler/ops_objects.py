"""Change ops for the objects kept as SQL text (views, functions, triggers) and sequences.

Same contract as `compiler.ops` (which re-exports these): frozen dataclasses that know their
phase, lock and whether they can lose behaviour or data. A view or trigger dropped only to
be recreated (`replaced`) is not destructive; dropping one for good is, like any drop.
Functions are created before tables (a default or a check may call one) with
`check_function_bodies` off, as pg_dump does; views and triggers come back last, after every
column they may read exists in its final type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from compiler import ir
from compiler.ops import ACCESS_EXCLUSIVE, NO_LOCK, DropForRebuild, Op, Phase


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateView(Op):
    view: ir.View
    replace: bool = False  # CREATE OR REPLACE VIEW: the change only appends columns
    phase: ClassVar[Phase] = Phase.ADD_DEPENDENTS
    lock: ClassVar[str] = NO_LOCK


@dataclass(frozen=True, slots=True, kw_only=True)
class DropView(DropForRebuild):
    name: ir.QName
    materialized: bool = False
    # replaced: dropped to be recreated (a column it reads changes)
    phase: ClassVar[Phase] = Phase.DROP_DEPENDENTS
    lock: ClassVar[str] = ACCESS_EXCLUSIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateFunction(Op):
    """CREATE OR REPLACE: also how a changed body is applied."""

    function: ir.Function
    phase: ClassVar[Phase] = Phase.CREATE
    lock: ClassVar[str] = NO_LOCK


@dataclass(frozen=True, slots=True, kw_only=True)
class DropFunction(DropForRebuild):
    function: ir.Function
    # replaced: its result type changes, which OR REPLACE cannot do
    phase: ClassVar[Phase] = Phase.DROP
    lock: ClassVar[str] = NO_LOCK


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTrigger(Op):
    trigger: ir.Trigger
    phase: ClassVar[Phase] = Phase.ADD_DEPENDENTS
    lock: ClassVar[str] = "SHARE ROW EXCLUSIVE"


@dataclass(frozen=True, slots=True, kw_only=True)
class DropTrigger(DropForRebuild):
    table: ir.QName
    name: str
    phase: ClassVar[Phase] = Phase.DROP_DEPENDENTS


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSequence(Op):
    sequence: ir.Sequence
    phase: ClassVar[Phase] = Phase.CREATE
    lock: ClassVar[str] = NO_LOCK


@dataclass(frozen=True, slots=True, kw_only=True)
class AlterSequence(Op):
    """Options only (type, increment, bounds, start, cache, cycle): the current value stays."""

    sequence: ir.Sequence


@dataclass(frozen=True, slots=True, kw_only=True)
class SetSequenceOwner(Op):
    """OWNED BY a column, once the table exists (or OWNED BY NONE)."""

    name: ir.QName
    owned_by: tuple[ir.QName, str] | None
    phase: ClassVar[Phase] = Phase.ADD_DEPENDENTS


@dataclass(frozen=True, slots=True, kw_only=True)
class DropSequence(Op):
    name: ir.QName
    phase: ClassVar[Phase] = Phase.DROP
    destructive: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatePolicy(Op):
    policy: ir.Policy
    phase: ClassVar[Phase] = Phase.ADD_DEPENDENTS


@dataclass(frozen=True, slots=True, kw_only=True)
class DropPolicy(DropForRebuild):
    """Destructive when the policy goes for good: who may see or write which rows changes."""

    table: ir.QName
    name: str
    phase: ClassVar[Phase] = Phase.DROP_DEPENDENTS


@dataclass(frozen=True, slots=True, kw_only=True)
class SetRowSecurity(Op):
    """ENABLE/DISABLE and FORCE/NO FORCE ROW LEVEL SECURITY (None: unchanged). Turning either
    off opens rows to roles the policies kept out, so it is gated like a drop."""

    table: ir.QName
    enable: bool | None = None
    force: bool | None = None

    @property
    def destructive(self) -> bool:  # type: ignore[override]
        return self.enable is False or self.force is False


@dataclass(frozen=True, slots=True, kw_only=True)
class GrantPrivileges(Op):
    """GRANT, once the object exists (again, when a rebuild dropped its privileges)."""

    grant: ir.Grant
    phase: ClassVar[Phase] = Phase.ADD_DEPENDENTS
    lock: ClassVar[str] = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class RevokePrivileges(Op):
    """REVOKE (of the grant option alone when `option_only`): gated like a drop, since an
    application that relies on the privilege stops working the moment it goes."""

    grant: ir.Grant
    option_only: bool = False
    phase: ClassVar[Phase] = Phase.ALTER
    destructive: ClassVar[bool] = True
    lock: ClassVar[str] = "none"
