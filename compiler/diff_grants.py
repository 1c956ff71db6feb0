"""Privileges: the GRANT and REVOKE statements between two schemas' grants.

Compared privilege by privilege, per object and role: a privilege the target adds is
granted (with the grant option where declared), one it no longer has is revoked, and a grant
option alone is added or revoked. An object the migration (re)creates starts with no
privileges, so every grant it should hold is given again. Revokes are gated like drops.
"""

from __future__ import annotations

from dataclasses import replace

from compiler import ir
from compiler import ops as o
from compiler.grants import grantable_objects, held_privileges

_Object = tuple[str, ir.QName]  # (kind, object)


def grant_changes(cur: ir.Schema, tgt: ir.Schema, ops: list[o.Op]) -> list[o.Op]:
    """The grant and revoke ops; `ops` are the diff's other ops (which objects they create)."""
    recreated = _created(ops)
    # a renamed table keeps its privileges under the new name
    renamed = {op.old: op.new for op in ops if isinstance(op, o.RenameTable)}
    have = held_privileges(replace(g, on=renamed.get(g.on, g.on)) if g.kind == "table" else g
                  for g in cur.grants if (g.kind, g.on) not in recreated)
    want = held_privileges(tgt.grants)
    kept = grantable_objects(tgt)  # privileges on what goes are dropped with it
    out: list[o.Op] = []
    for holder in sorted(have.keys() | want.keys()):
        kind, on, role = holder
        now, then = have.get(holder, {}), want.get(holder, {})
        gone = sorted(p for p in now if p not in then)
        option_gone = sorted(p for p in now if p in then and now[p] and not then[p])
        for grantable in (False, True):
            added = sorted(p for p in then if then[p] == grantable
                           and (p not in now or (grantable and not now[p])))
            if added:
                out.append(o.GrantPrivileges(
                    grant=ir.Grant(kind=kind, on=on, role=role, privileges=tuple(added),
                                   grantable=grantable),
                    reason="declared privileges"))
        if on not in kept[kind]:
            gone = option_gone = []
        if gone:
            out.append(o.RevokePrivileges(
                grant=ir.Grant(kind=kind, on=on, role=role, privileges=tuple(gone)),
                reason="privileges no longer declared",
                hazards=(o.Hazard("revoke-privileges",
                                  f"{role} loses {', '.join(gone)} on {on}"),)))
        if option_gone:
            out.append(o.RevokePrivileges(
                grant=ir.Grant(kind=kind, on=on, role=role, privileges=tuple(option_gone)),
                option_only=True, reason="grant option no longer declared",
                hazards=(o.Hazard("revoke-privileges",
                                  f"{role} may no longer grant {', '.join(option_gone)} on "
                                  f"{on}"),)))
    return out


def _created(ops: list[o.Op]) -> set[_Object]:
    """Objects the other ops create or rebuild: they come back with no privileges."""
    out: set[_Object] = set()
    for op in ops:
        if isinstance(op, o.CreateTable):
            out.add(("table", op.table.name))
        elif isinstance(op, o.CreateView) and not op.replace:  # OR REPLACE keeps them
            out.add(("table", op.view.name))
        elif isinstance(op, o.CreateSequence):
            out.add(("sequence", op.sequence.name))
        elif isinstance(op, o.CreateSchema):
            out.add(("schema", ir.QName(name=op.name)))
    return out
