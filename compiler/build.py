"""`schemac build`: the schema compiled into its generated files.

Contract: `build_outputs(schema)` returns {file name: text}, byte-identical for the same
schema. The DDL is `plan(diff(EMPTY, schema))` through the one SQL writer (DESIGN principle 2).
A large schema's docs are written in a forked child while this process writes the DDL: the
two are independent and each takes about a second per 10,000 tables. A large schema loaded
from unchanged files gets the outputs of its last build back from the cache: one slot per
set of files, so editing does not pile up entries of megabytes each.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from compiler import cache, ir
from compiler.diff import diff
from compiler.generators.sql import render_script
from compiler.load import compiled_from
from compiler.memory import paused_gc
from compiler.plan import make_plan

# below this, forking costs more than rendering the docs alongside saves
_PARALLEL_TABLES = 1500
# below this, rendering is quicker than reading back megabytes of cached output
_CACHED_TABLES = 500


def ddl(schema: ir.Schema) -> str:
    plan = make_plan(diff(ir.EMPTY, schema))
    return render_script(
        plan, title="DDL for an empty database: psql -v ON_ERROR_STOP=1 -f schema.sql")


def build_outputs(schema: ir.Schema) -> dict[str, str]:
    origin = compiled_from(schema) if len(schema.tables) >= _CACHED_TABLES else None
    if origin is None:
        return _render(schema)
    layout, sources = origin
    slot = cache.cache_dir("build") / layout
    key = hashlib.sha256(f"{sources}\0{_code_digest()}".encode()).hexdigest()
    if cache.read(slot.with_suffix(".key"), str) == key:  # spares reading a stale entry
        stored = cache.read(slot.with_suffix(".pickle"), tuple)
        if stored is not None and len(stored) == 2 and stored[0] == key:
            outputs: dict[str, str] = stored[1]
            return outputs
    outputs = _render(schema)
    cache.write(slot.with_suffix(".pickle"), (key, outputs))
    cache.write(slot.with_suffix(".key"), key)
    return outputs


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


def _render(schema: ir.Schema) -> dict[str, str]:
    from compiler.generators.markdown import render_markdown

    with paused_gc():  # both passes allocate a great deal and free it all by refcount
        if len(schema.tables) < _PARALLEL_TABLES or (os.cpu_count() or 1) < 2:
            return {"schema.sql": ddl(schema), "schema.md": render_markdown(schema)}
        docs = _Forked(lambda: render_markdown(schema))
        try:
            sql = ddl(schema)
        except BaseException:
            docs.abandon()
            raise
        return {"schema.sql": sql, "schema.md": docs.result()}


class _Forked:
    """`make()` run in a forked child, its text read back through a pipe. Where fork is
    missing or the child fails, `result()` runs `make()` here instead: the output never
    depends on whether the child worked."""

    def __init__(self, make: Callable[[], str]) -> None:
        self._make = make
        self._pid = 0
        self._read_end = -1
        if not hasattr(os, "fork"):
            return
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            code = 1
            try:
                os.close(read_end)
                with os.fdopen(write_end, "wb") as out:
                    out.write(make().encode("utf-8"))
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        self._pid, self._read_end = pid, read_end

    def abandon(self) -> None:
        """Stop waiting for the child: it fails writing to the closed pipe and exits."""
        if self._pid:
            os.close(self._read_end)
            os.waitpid(self._pid, 0)
            self._pid = 0

    def result(self) -> str:
        if not self._pid:
            return self._make()
        with os.fdopen(self._read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self._pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            return self._make()
        return data.decode("utf-8")
