"""Ops -> a plan: which steps run, which are withheld, and the session settings around them.

Contract: `make_plan(ops, allow_destructive=...)` keeps the diff's order and withholds every
destructive op unless allowed; nothing that can lose data runs by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler import ops as o

# Ops that only ever create something new: a plan made of these alone (a fresh database)
# needs no lock or statement timeouts.
_FRESH = (o.CreateSchema, o.CreateExtension, o.CreateEnum, o.CreateDomain, o.CreateTable,
          o.Comment, o.InsertRows, o.CreateFunction, o.CreateSequence, o.SetSequenceOwner,
          o.CreateView, o.CreateTrigger, o.CreatePolicy, o.SetRowSecurity, o.GrantPrivileges)


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[o.Op, ...]
    withheld: tuple[o.Op, ...] = ()
    existing: bool = False  # touches objects that already hold data
    lock_timeout: str = "5s"
    statement_timeout: str = "0"  # index builds and validation may take long; locks may not

    @property
    def hazards(self) -> list[tuple[o.Op, o.Hazard]]:
        return [(op, h) for op in self.steps for h in op.hazards]


def make_plan(ops: tuple[o.Op, ...], *, allow_destructive: bool = False,
              lock_timeout: str = "5s", statement_timeout: str = "0",
              live: bool = False) -> Plan:
    """`live`: the database already holds tables, so even creating a table takes locks on
    the tables it references, and the plan runs with lock and statement timeouts."""
    steps = [op for op in ops if allow_destructive or not op.destructive]
    withheld = [op for op in ops if op.destructive and not allow_destructive]
    existing = live or any(not _is_fresh(op) for op in steps)
    return Plan(tuple(steps), tuple(withheld), existing, lock_timeout, statement_timeout)


def _is_fresh(op: o.Op) -> bool:
    if isinstance(op, o.CreateIndex):
        return not op.concurrently
    if isinstance(op, o.AddConstraint):
        return not op.not_valid and op.using_index is None
    return isinstance(op, _FRESH)
