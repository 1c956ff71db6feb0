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
from collections.abc import Sequence
from pathlib import Path

from compiler import incremental, ir
from compiler.diff import diff
from compiler.forked import Forked
from compiler.generators.sql import render_script
from compiler.incremental import TITLE, Build
from compiler.load import parse_sources, read_sources
from compiler.memory import paused_gc
from compiler.plan import make_plan
from compiler.validate import TableWarnings, compile_files_by_table

# below this, forking costs more than rendering the docs alongside saves
_PARALLEL_TABLES = 1500
# below this, building in full is quicker than reading back megabytes of earlier parts
INCREMENTAL_TABLES = 500


def ddl(schema: ir.Schema) -> str:
    plan = make_plan(diff(ir.EMPTY, schema))
    return render_script(plan, title=TITLE)


def build_outputs(schema: ir.Schema) -> dict[str, str]:
    from compiler.generators.markdown import render_markdown

    with paused_gc():  # both passes allocate a great deal and free it all by refcount
        docs = Forked(lambda: render_markdown(schema), len(schema.tables) >= _PARALLEL_TABLES)
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
        if use_cache:
            quick = incremental.rebuild(root, sources, _code_digest())
            if quick is not None:
                return quick
        files = parse_sources(sources, use_cache=use_cache)
        schema, warnings, by_table = compile_files_by_table(files)
        if not use_cache or len(schema.tables) < INCREMENTAL_TABLES:
            return Build(_encoded(build_outputs(schema)), warnings, len(schema.tables))
        facts = [incremental.file_facts(f) for f in files]
        whole = incremental.whole_schema(facts)
        if whole is None:  # objects only a full build handles
            return Build(_encoded(build_outputs(schema)), warnings, len(schema.tables))
        parts = _all_parts(schema, whole, by_table)
        # the parts are stored for the next build by a child while this process joins them
        storing = Forked(lambda: incremental.remember(root, sources, facts, whole, parts,
                                                      _code_digest()))
        built = incremental.assemble(whole, parts)
        storing.result()
        return built


def _encoded(outputs: dict[str, str]) -> dict[str, bytes]:
    return {name: text.encode() for name, text in outputs.items()}


def _all_parts(schema: ir.Schema, whole: incremental.Whole,
               by_table: dict[ir.QName, TableWarnings]
               ) -> dict[incremental.Name, incremental.TableParts]:
    """Every table's parts: half of them made in a child while this process makes the rest."""
    from compiler.generators.markdown import table_page
    from compiler.generators.markdown_tables import Context

    ctx = Context(schema, whole.anchors.tables, whole.anchors.types)

    def make(tables: Sequence[ir.Table]) -> dict[incremental.Name, incremental.TableParts]:
        steps = incremental.table_steps(tables, whole.later)
        return {incremental.name_of(t.name): incremental.TableParts.of(
                    first, later, table_page(t, ctx), by_table[t.name])
                for t, (first, later) in zip(tables, steps, strict=True)}

    theirs = Forked(lambda: incremental.pack_parts(make(schema.tables[1::2])),
                    len(schema.tables) >= _PARALLEL_TABLES)
    try:
        mine = make(schema.tables[0::2])
    except BaseException:
        theirs.abandon()
        raise
    return mine | incremental.unpack_parts(theirs.result())


@functools.cache
def _code_digest() -> str:
    """Everything that could change what a build writes: the package and its templating."""
    from importlib.metadata import version

    here = Path(__file__).resolve().parent
    h = hashlib.sha256(f"jinja2 {version('jinja2')}\0".encode())
    for path in sorted(here.rglob("*")):
        if path.suffix in (".py", ".j2", ".sql", ".lark") and path.is_file():
            h.update(str(path.relative_to(here)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()
