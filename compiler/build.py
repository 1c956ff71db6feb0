"""`schemac build`: the schema compiled into its generated files.

Contract: `build_outputs(schema)` returns {file name: text}, byte-identical for the same
schema. The DDL is `plan(diff(EMPTY, schema))` through the one SQL writer (DESIGN principle 2).
"""

from __future__ import annotations

from compiler import ir
from compiler.diff import diff
from compiler.generators.sql import render_script
from compiler.plan import make_plan


def ddl(schema: ir.Schema) -> str:
    plan = make_plan(diff(ir.EMPTY, schema))
    return render_script(
        plan, title="DDL for an empty database: psql -v ON_ERROR_STOP=1 -f schema.sql")


def build_outputs(schema: ir.Schema) -> dict[str, str]:
    from compiler.generators.markdown import render_markdown

    return {"schema.sql": ddl(schema), "schema.md": render_markdown(schema)}
