"""Drift of privileges, as findings (`check --with-privileges`).

Contract: `grant_drift(target, live)` returns one finding per object and role whose live
privileges differ from the declared ones: `missing-privilege` for what the schema grants and
the database does not (a grant option included), `unexpected-privilege` for what the
database grants beyond the schema. The comparison and the fix are the migration's own
(`compiler.diff_grants`), so `check` and `diff` cannot disagree. Both sides hold grants only
when the run asked for them; otherwise this finds nothing. A pure function.
"""

from __future__ import annotations

from compiler import ir
from compiler import ops as o
from compiler.check.findings import Finding, finding
from compiler.diff_grants import grant_changes
from compiler.errors import Span
from compiler.generators.sql import op_statements


def grant_drift(target: ir.Schema, live: ir.Schema) -> list[Finding]:
    if not target.grants and not live.grants:
        return []
    present = {t.name for t in live.tables} | {v.name for v in live.views}
    out = []
    for op in grant_changes(live, target, []):
        assert isinstance(op, (o.GrantPrivileges, o.RevokePrivileges))
        g = op.grant
        if g.kind == "table" and g.on not in present:
            continue  # the missing table or view is a finding of its own
        what = f"schema {g.on.name}" if g.kind == "schema" else f"{g.kind} {g.on}"
        privileges = ", ".join(g.privileges)
        table = g.on if g.kind == "table" else None
        fix = "\n".join(op_statements(op))
        if isinstance(op, o.GrantPrivileges):
            option = " with grant option" if g.grantable else ""
            out.append(finding("missing-privilege", table=table, object=what, fix=fix,
                               span=_declared_span(target, g),
                               message=f"{g.role} lacks {privileges}{option} on {what}, "
                                       "which the schema grants"))
        else:
            held = f"the grant option for {privileges}" if op.option_only else privileges
            out.append(finding("unexpected-privilege", table=table, object=what, fix=fix,
                               message=f"{g.role} holds {held} on {what}, which the schema "
                                       "does not grant"))
    return out


def _declared_span(target: ir.Schema, g: ir.Grant) -> Span | None:
    return next((d.span for d in target.grants if (d.kind, d.on, d.role) ==
                 (g.kind, g.on, g.role)), None)
