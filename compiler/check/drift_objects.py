"""Drift of views, functions, triggers, sequences and row-level security, as findings.

Contract: `object_drift(target, live, exact=...)` returns one `Finding` per declared view,
materialized view, function or procedure, trigger, sequence or policy that the live database
lacks (`missing-object`) or holds in another form (`object-differs`), and per table whose
row-level security flags differ; each with the SQL that closes it. The comparison is the
migration's own (`compiler.diff_objects`), so `check` and `diff` cannot disagree about these
objects; objects the schema does not declare are the `unmanaged-object` findings of
`drift.py`. With `exact=False` (no dev database), bodies and definitions could not be brought
to PostgreSQL's stored text, so only missing objects are reported. A pure function.
`object_keys(schema)` names each such object as the findings do (`drift.py` lists the
undeclared ones by the same names).
"""

from __future__ import annotations

from collections import defaultdict

from compiler import ir
from compiler import ops as o
from compiler.check.findings import Finding, finding
from compiler.diff_objects import after_tables, before_tables
from compiler.generators.sql import op_statements

Key = tuple[str, str]  # (kind, name as shown)


def object_drift(target: ir.Schema, live: ir.Schema, *, exact: bool = True) -> list[Finding]:
    present = {t.name for t in live.tables}
    ops = [op for op in before_tables(live, target) + after_tables(live, target, ())
           if not _goes_with_missing_table(op, present)]
    by_object: dict[Key, list[o.Op]] = defaultdict(list)
    for op in ops:
        key = _declared_key(op)
        if key is not None:
            by_object[key].append(op)
    if not by_object:
        return []
    # the drops that make room for a recreated object belong to its fix
    for op in ops:
        if isinstance(op, o.DropForRebuild) and op.replaced:
            key = _dropped_key(op)
            if key in by_object:
                by_object[key].insert(0, op)
    exists = _keys(live)
    declared = _keys(target)
    out: list[Finding] = []
    for key in sorted(by_object):
        kind, name = key
        # row-level security a table declares but does not have on is as good as missing
        missing = key not in exists or any(
            isinstance(op, o.SetRowSecurity) and True in (op.enable, op.force)
            for op in by_object[key])
        if not missing and not exact:
            continue
        table = _table_of(by_object[key])
        fix = "\n".join(s for op in by_object[key] for s in op_statements(op))
        if missing:
            out.append(finding("missing-object", table=table, object=name,
                               span=getattr(declared.get(key), "span", None),
                               message=f"declared {kind} {name} is missing", fix=fix))
        else:
            why = "; ".join(dict.fromkeys(op.reason for op in by_object[key] if op.reason))
            out.append(finding("object-differs", table=table, object=name,
                               span=getattr(declared.get(key), "span", None),
                               message=f"{kind} {name} differs from its declaration"
                                       + (f" ({why})" if why else ""), fix=fix))
    return out


def _goes_with_missing_table(op: o.Op, present: set[ir.QName]) -> bool:
    """Triggers, policies and row-level security of a missing table: `missing-table`
    already brings them (its fix is the whole table)."""
    match op:
        case o.CreateTrigger(trigger=t):
            return t.table not in present
        case o.CreatePolicy(policy=p):
            return p.table not in present
        case o.SetRowSecurity(table=t):
            return t not in present
    return False


def _declared_key(op: o.Op) -> Key | None:
    match op:
        case o.CreateView(view=v):
            return _view_key(v.name, v.materialized)
        case o.CreateFunction(function=f):
            return _function_key(f)
        case o.CreateTrigger(trigger=t):
            return ("trigger", f"{t.table}.{t.name}")
        case o.CreateSequence(sequence=s) | o.AlterSequence(sequence=s):
            return ("sequence", str(s.name))
        case o.SetSequenceOwner(name=n):
            return ("sequence", str(n))
        case o.CreatePolicy(policy=p):
            return ("policy", f"{p.table}.{p.name}")
        case o.SetRowSecurity(table=t):
            return (_RLS, str(t))
    return None


def _dropped_key(op: o.Op) -> Key | None:
    match op:
        case o.DropView(name=n, materialized=m):
            return _view_key(n, m)
        case o.DropFunction(function=f):
            return _function_key(f)
        case o.DropTrigger(table=t, name=n):
            return ("trigger", f"{t}.{n}")
        case o.DropPolicy(table=t, name=n):
            return ("policy", f"{t}.{n}")
    return None


_RLS = "row-level security of table"


def _view_key(name: ir.QName, materialized: bool) -> Key:
    return ("materialized view" if materialized else "view", str(name))


def _function_key(f: ir.Function) -> Key:
    return ("procedure" if f.procedure else "function", f.signature)


def object_keys(schema: ir.Schema) -> dict[Key, object]:
    """Every view, function, trigger, sequence and policy of `schema` by (kind, name as
    shown), the names findings give them."""
    keys: dict[Key, object] = {}
    for v in schema.views:
        keys[_view_key(v.name, v.materialized)] = v
    for f in schema.functions:
        keys[_function_key(f)] = f
    for t in schema.triggers:
        keys[("trigger", f"{t.table}.{t.name}")] = t
    for s in schema.sequences:
        keys[("sequence", str(s.name))] = s
    for p in schema.policies:
        keys[("policy", f"{p.table}.{p.name}")] = p
    return keys


def _keys(schema: ir.Schema) -> dict[Key, object]:
    """`object_keys`, and each table's row-level security."""
    return object_keys(schema) | {(_RLS, str(t.name)): t for t in schema.tables}


def _table_of(ops: list[o.Op]) -> ir.QName | None:
    for op in ops:
        match op:
            case o.CreateTrigger(trigger=t):
                return t.table
            case o.CreatePolicy(policy=p):
                return p.table
            case o.SetRowSecurity(table=t):
                return t
    return None
