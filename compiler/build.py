"""`schemac build`: the schema compiled into its generated files.

Contract: `build_outputs(schema)` returns {file name: text}, byte-identical for the same
schema. The DDL is `plan(diff(EMPTY, schema))` through the one SQL writer (DESIGN principle 2).
`build_directory(path)` is the command: it loads the schema itself, so that a large schema
built before is built again from the parts of its last build, compiling only the tables an
edit can change (`compiler.incremental`); a large schema built for the first time leaves its
parts for the next build. A large schema's docs are written in a forked child while this
process writes the DDL: the two are independent and each takes about a second per 10,000
tables.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from compiler import incremental, ir
from compiler.forked import Forked, worth_a_child
from compiler.incremental import TITLE, Build
from compiler.load import parse_sources, read_sources
from compiler.memory import paused_gc, retain

# The diff, the generators and validation are imported where they are used: a rebuild that
# reuses the last build's parts forks its parsing child before it needs them.

# below this, building in full is quicker than reading back megabytes of earlier parts
INCREMENTAL_TABLES = 500


def ddl(schema: ir.Schema) -> str:
    from compiler.diff import diff
    from compiler.generators.sql import render_script
    from compiler.plan import make_plan

    plan = make_plan(diff(ir.EMPTY, schema))
    return render_script(plan, title=TITLE)


def build_outputs(schema: ir.Schema) -> dict[str, str]:
    from compiler.generators.markdown import render_markdown

    with paused_gc():  # both passes allocate a great deal and free it all by refcount
        docs = Forked(lambda: render_markdown(schema), worth_a_child(len(schema.tables)))
        try:
            sql = ddl(schema)
        except BaseException:
            docs.abandon()
            raise
        return {"schema.sql": sql, "schema.md": docs.result()}


def build_directory(root: Path, *, use_cache: bool = True) -> Build:
    """Load and build the schema under `root`; errors raise as `load_schema` raises them."""
    sources = read_sources(root)
    with paused_gc():
        if use_cache and incremental.built_before(root):  # else a small schema, or new
            quick = incremental.rebuild(root, sources, _code_digest())
            if quick is not None:
                return quick
        from compiler.validate import compile_files_by_table

        files = parse_sources(sources, use_cache=use_cache)
        first = (incremental.FirstBuild(root, sources, files, _code_digest())
                 if use_cache and sum(len(f.tables) for f in files) >= INCREMENTAL_TABLES
                 else None)
        try:
            schema, warnings, by_table = compile_files_by_table(files)
        except BaseException:
            if first:
                first.abandon()
            raise
        retain(files, schema, by_table)
        built = first.finish(schema, by_table) if first else None
        if built is None:  # a small schema, or objects only a full build handles
            return Build(_encoded(build_outputs(schema)), warnings, len(schema.tables))
        return built


def _encoded(outputs: dict[str, str]) -> dict[str, bytes]:
    return {name: text.encode() for name, text in outputs.items()}


@functools.cache
def _code_digest() -> str:
    """Everything that could change what a build writes: the package and its templating."""
    from compiler.generators.markdown import jinja2_version

    here = Path(__file__).resolve().parent
    h = hashlib.sha256(f"jinja2 {jinja2_version()}\0".encode())
    for path in sorted(here.rglob("*")):
        if path.suffix in (".py", ".j2", ".sql", ".lark") and path.is_file():
            h.update(str(path.relative_to(here)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()
