"""SQL for the ops of views, functions, triggers and sequences (registered with
`compiler.generators.sql.op_statements`, the one SQL writer).

The stored texts are PostgreSQL's own (`pg_get_viewdef`, `pg_get_functiondef`,
`pg_get_triggerdef`), so they are emitted as they are; only the statement heads are written
here, and quoting still goes through `compiler.names`.
"""

from __future__ import annotations

import re

from compiler import ir
from compiler import ops as o
from compiler.generators.sql import index_sql, op_statements
from compiler.grants import role_sql, target_sql
from compiler.names import display, quote_ident


def view_sql(v: ir.View, replace: bool = False) -> str:
    kind = "MATERIALIZED VIEW" if v.materialized else "VIEW"
    head = f"CREATE OR REPLACE {kind}" if replace else f"CREATE {kind}"
    options = f" WITH ({', '.join(v.options)})" if v.options else ""
    body = v.definition.strip().rstrip(";").rstrip()
    return f"{head} {display(v.name)}{options} AS\n{body};"


@op_statements.register
def _create_view_sql(op: o.CreateView) -> list[str]:
    out = [view_sql(op.view, op.replace)]
    return out


@op_statements.register
def _drop_view_sql(op: o.DropView) -> list[str]:
    kind = "MATERIALIZED VIEW" if op.materialized else "VIEW"
    return [f"DROP {kind} {display(op.name)};"]


_CREATE_HEAD = re.compile(r"\s*create\s+(?:or\s+replace\s+)?(function|procedure)\b", re.IGNORECASE)


@op_statements.register
def _create_function_sql(op: o.CreateFunction) -> list[str]:
    # pg_dump's setting: a body is not checked against tables that may come later in the
    # script; PostgreSQL checks it again when the function runs
    text = _CREATE_HEAD.sub(lambda m: f"CREATE OR REPLACE {m.group(1).upper()}",
                            op.function.definition, count=1)
    return ["SET check_function_bodies = false;", text.rstrip().rstrip(";") + ";"]


@op_statements.register
def _drop_function_sql(op: o.DropFunction) -> list[str]:
    f = op.function
    kind = "PROCEDURE" if f.procedure else "FUNCTION"
    return [f"DROP {kind} {display(f.name)}({f.arguments});"]


@op_statements.register
def _create_trigger_sql(op: o.CreateTrigger) -> list[str]:
    return [op.trigger.definition.rstrip().rstrip(";") + ";"]


@op_statements.register
def _drop_trigger_sql(op: o.DropTrigger) -> list[str]:
    return [f"DROP TRIGGER {quote_ident(op.name)} ON {display(op.table)};"]


def _sequence_options(s: ir.Sequence) -> str:
    return (f"AS {s.type} INCREMENT BY {s.increment} MINVALUE {s.minvalue} "
            f"MAXVALUE {s.maxvalue} START WITH {s.start} CACHE {s.cache}"
            + (" CYCLE" if s.cycle else " NO CYCLE"))


@op_statements.register
def _create_sequence_sql(op: o.CreateSequence) -> list[str]:
    return [f"CREATE SEQUENCE {display(op.sequence.name)} {_sequence_options(op.sequence)};"]


@op_statements.register
def _alter_sequence_sql(op: o.AlterSequence) -> list[str]:
    return [f"ALTER SEQUENCE {display(op.sequence.name)} {_sequence_options(op.sequence)};"]


@op_statements.register
def _set_sequence_owner_sql(op: o.SetSequenceOwner) -> list[str]:
    if op.owned_by is None:
        owner = "NONE"
    else:
        owner = f"{display(op.owned_by[0])}.{quote_ident(op.owned_by[1])}"
    return [f"ALTER SEQUENCE {display(op.name)} OWNED BY {owner};"]


@op_statements.register
def _drop_sequence_sql(op: o.DropSequence) -> list[str]:
    return [f"DROP SEQUENCE {display(op.name)};"]


def policy_sql(p: ir.Policy) -> str:
    parts = [f"CREATE POLICY {quote_ident(p.name)} ON {display(p.table)}"]
    if not p.permissive:
        parts.append("AS RESTRICTIVE")
    if p.command != "all":
        parts.append(f"FOR {p.command.upper()}")
    if p.roles != ("public",):
        parts.append("TO " + ", ".join("PUBLIC" if r == "public" else quote_ident(r)
                                       for r in p.roles))
    if p.using is not None:
        parts.append(f"USING ({p.using})")
    if p.with_check is not None:
        parts.append(f"WITH CHECK ({p.with_check})")
    return " ".join(parts) + ";"


@op_statements.register
def _create_policy_sql(op: o.CreatePolicy) -> list[str]:
    return [policy_sql(op.policy)]


@op_statements.register
def _drop_policy_sql(op: o.DropPolicy) -> list[str]:
    return [f"DROP POLICY {quote_ident(op.name)} ON {display(op.table)};"]


@op_statements.register
def _set_row_security_sql(op: o.SetRowSecurity) -> list[str]:
    t = display(op.table)
    out = []
    if op.enable is not None:
        out.append(f"ALTER TABLE {t} {'ENABLE' if op.enable else 'DISABLE'} ROW LEVEL SECURITY;")
    if op.force is not None:
        out.append(f"ALTER TABLE {t} {'' if op.force else 'NO '}FORCE ROW LEVEL SECURITY;")
    return out


def _privileges_sql(g: ir.Grant) -> str:
    return "ALL" if g.privileges == ("all",) else ", ".join(p.upper() for p in g.privileges)


@op_statements.register
def _grant_sql(op: o.GrantPrivileges) -> list[str]:
    g = op.grant
    option = " WITH GRANT OPTION" if g.grantable else ""
    return [f"GRANT {_privileges_sql(g)} ON {target_sql(g)} TO {role_sql(g.role)}{option};"]


@op_statements.register
def _revoke_sql(op: o.RevokePrivileges) -> list[str]:
    # without CASCADE: if the role passed the privilege on, PostgreSQL refuses, and says so
    g = op.grant
    what = f"GRANT OPTION FOR {_privileges_sql(g)}" if op.option_only else _privileges_sql(g)
    return [f"REVOKE {what} ON {target_sql(g)} FROM {role_sql(g.role)};"]


__all__ = ["index_sql", "policy_sql", "view_sql"]
