"""Drift findings from pure IR pairs (no database): what a difference is called and fixed by."""

from __future__ import annotations

import dataclasses

from compiler import ir
from compiler.check.drift_keys import key_drift


def _tables() -> tuple[ir.Table, ir.ForeignKey]:
    fk = ir.ForeignKey(name="posts_author_fkey", columns=("tenant_id", "author_id"),
                       ref_table=ir.QName(name="users"), ref_columns=("tenant_id", "id"),
                       on_delete=ir.FkAction.SET_NULL, on_delete_columns=("author_id",))
    t = ir.Table(name=ir.QName(name="posts"), columns=(
        ir.Column(name="tenant_id", type="integer", nullable=False),
        ir.Column(name="author_id", type="integer")), foreign_keys=(fk,))
    return t, fk


def test_on_delete_columns_differ_is_an_action_mismatch() -> None:
    declared, fk = _tables()
    live = dataclasses.replace(declared, foreign_keys=(
        dataclasses.replace(fk, on_delete_columns=()),))
    [found] = key_drift(declared, live, exact=True)
    assert found.code == "on-delete-mismatch"
    assert "ON DELETE SET NULL ON UPDATE" in found.message
    assert "ON DELETE SET NULL (author_id) ON UPDATE" in found.message
    assert "ON DELETE SET NULL (author_id)" in (found.fix or "")
    assert key_drift(declared, declared, exact=True) == []


def test_a_trigger_with_a_quoted_name_reads_back_as_a_member() -> None:
    """A trigger named with a space (quoted in SQL) can still be written in the language."""
    from compiler.objects import trigger_definition, trigger_member

    table = ir.QName(name="with space")
    for name in ("trg_with space", 'say "hi"', "plain"):
        definition = trigger_definition(table, name, "BEFORE",
                                        "insert for each row execute function touch()")
        trigger = ir.Trigger(table=table, name=name, definition=definition)
        member = trigger_member(trigger)
        assert member is not None, definition
        assert member[0] is False and member[2].endswith("execute function touch()"), member
