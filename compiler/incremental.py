"""A large schema built again after an edit: only the tables the edit can change are compiled;
every other table's share of the outputs comes from the last build.

Contract: `rebuild(root, sources, salt)` returns the build (outputs and warnings) byte for
byte as a build without any cache gives it, or None when it cannot: no earlier build of the
directory, a file declaring objects other than tables, types and schemas, or any error (the
caller then builds in full, which reports errors as always). `FirstBuild(...)`, begun when
the files are parsed and finished once they are validated, is the full build of such a
schema, made of the same parts, which it stores for the next one.

How. Each file has facts (`compiler.build_facts`), kept by its content as parses are. A
table's parts of the outputs (its steps in the DDL, its page and ER lines in the docs, its
warnings) are a function of its own text and of a few things beyond it: the tables it refers
to (targets, parents and theirs), the tables that refer to it (its page lists them), the
anchors of all of those, the enums and domains its columns use, and which of its foreign keys
wait for the end of a reference cycle. A digest of exactly these is the table's key among the
stored parts (`compiler.build_store`). Tables whose key is missing are compiled from the
parses of the files that hold them and their neighbours; what spans the whole schema (names
declared twice, unknown types, creation order, anchors, counts) is worked out from the facts.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from compiler import forked, ir
from compiler.build_facts import (
    Name,
    Shape,
    TableKeys,
    Whole,
    ancestors,
    facts_digest,
    file_facts,
    name_of,
    qname_of,
    reaches,
    same_shape,
    whole_schema,
)
from compiler.build_store import (
    Store,
    TableParts,
    TableSteps,
    read_facts,
    read_parts,
    read_shape,
    store_dir,
    stored_warnings,
    stores_of,
    write_new_store,
    write_pages,
    write_shape,
    write_steps,
    write_store,
)
from compiler.errors import CompileError, Diagnostic
from compiler.forked import Asked, Forked
from compiler.memory import retain
from compiler.parsed import ParsedFile

if TYPE_CHECKING:
    from compiler.generators.markdown import TablePage
    from compiler.generators.markdown_tables import Context
    from compiler.generators.sql import StepRun
    from compiler.validate import TableWarnings

# The generators, the diff and validation are imported by the functions that use them: a
# rebuild forks the child that parses the edited files before it imports them.

# Above this share of the tables to compile, or of the source in files the last build did not
# have, a rebuild gives way to the full build: at 10,000 tables, parsing every file and
# compiling every table here took 10 s against 7 s for a build from nothing, and a full
# build from cached parses takes about half of that.
MOST_TABLES = 0.5

TITLE = "DDL for an empty database: psql -v ON_ERROR_STOP=1 -f schema.sql"


@dataclass(frozen=True, slots=True)
class Build:
    outputs: dict[str, bytes]  # UTF-8
    warnings: list[Diagnostic]
    tables: int


def table_steps(tables: Iterable[ir.Table], later: dict[Name, frozenset[str]]
                ) -> list[TableSteps]:
    """Each table's steps in the DDL: creating it, then its foreign keys in `later`."""
    from compiler.diff import new_table_ops
    from compiler.generators.sql import step_runs, step_text

    out = []
    for t in tables:
        first, after = new_table_ops(t, later[name_of(t.name)])
        out.append((step_runs(step_text(op) for op in first),
                    step_runs(step_text(op) for op in after)))
    return out


def table_parts(tables: Sequence[ir.Table], ctx: Context,
                warnings: dict[ir.QName, TableWarnings],
                later: dict[Name, frozenset[str]]) -> dict[Name, TableParts]:
    """The parts of `tables`, their pages made in `ctx` (which knows the tables that refer
    to them: their pages list those)."""
    from compiler.generators.markdown import table_page

    return {name_of(t.name): TableParts.of(first, after, table_page(t, ctx), warnings[t.name])
            for t, (first, after) in zip(tables, table_steps(tables, later), strict=True)}


def assemble(whole: Whole, parts: dict[Name, TableParts]) -> Build:
    ddl = assemble_ddl(whole, {n: (p.first, p.later) for n, p in parts.items()})
    docs = assemble_docs(whole, {n: p.page for n, p in parts.items()})
    warnings = collect_warnings([t.name for t in whole.tables],
                                {n: p.table_warnings() for n, p in parts.items()})
    return Build({"schema.sql": ddl, "schema.md": docs}, warnings, len(whole.tables))


def assemble_ddl(whole: Whole, steps: Mapping[Name, TableSteps]) -> bytes:
    """The DDL from each table's steps (first, later) and the other objects'."""
    from compiler.diff import diff
    from compiler.generators.sql import script_data, step_runs, step_text

    # the diff's order: by phase, and within a phase the other objects, then each table's
    # creation in creation order, then the foreign keys that wait
    by_phase: dict[int, list[StepRun]] = {}
    for run in step_runs(step_text(op) for op in diff(ir.EMPTY, whole.meta)):
        by_phase.setdefault(run[0], []).append(run)
    for n in whole.order:
        for run in steps[n][0]:
            by_phase.setdefault(run[0], []).append(run)
    for n in whole.order:
        for run in steps[n][1]:
            by_phase.setdefault(run[0], []).append(run)
    return script_data([run for phase in sorted(by_phase) for run in by_phase[phase]],
                       title=TITLE)


def assemble_docs(whole: Whole, pages: Mapping[Name, TablePage]) -> bytes:
    from compiler.generators.markdown import assemble_markdown_data

    # anchors are in page order
    return assemble_markdown_data(whole.meta, [pages[name_of(q)] for q in whole.anchors.tables],
                                  whole.anchors)


def collect_warnings(order: Iterable[Name], tables: Mapping[Name, TableWarnings]
                     ) -> list[Diagnostic]:
    """Every table's warnings, as a full build orders them (`order`: the tables in the order
    they are declared)."""
    found = [tables[n] for n in order]
    return [*(w for each, _ in found for w in each), *(w for _, linted in found for w in linted)]


def built_before(root: Path) -> bool:
    """Whether a build of `root` may have left parts (cheap: no digest of the compiler)."""
    return stores_of(root).is_dir()


def rebuild(root: Path, sources: Sequence[tuple[str, str]], salt: str,
            timings: dict[str, float] | None = None) -> Build | None:
    """`timings`, when given, gets each phase's wall seconds (for the benchmarks)."""

    # The edited files are parsed in a child, forked now so that it loads the parser (Lark,
    # its tables, the driver: the longest leg of a rebuild) while this process finds which
    # files changed; then it parses them while this process reads the stored parts and
    # works out the whole schema as it was (an edit seldom changes what that is made of).
    parsing: Asked[list[int], list[ParsedFile] | None] = Asked(
        _parser_loaded, lambda edited: _parse_some([sources[i] for i in edited]))
    try:
        return _rebuild(root, sources, salt, lap=_Laps(timings), parsing=parsing)
    finally:
        parsing.abandon()


def _rebuild(root: Path, sources: Sequence[tuple[str, str]], salt: str, *, lap: _Laps,
             parsing: Asked[list[int], list[ParsedFile] | None]) -> Build | None:
    from compiler.load import source_key

    place = store_dir(root, salt)
    known = read_facts(place)
    if known is None:
        return None
    file_keys = [source_key(name, text) for name, text in sources]
    edited = [i for i, key in enumerate(file_keys) if key not in known]
    by_path = {f.path: f for f in known.values()}
    before = [known.get(key) or by_path.get(name) for (name, _), key in zip(sources, file_keys,
                                                                          strict=True)]
    new_bytes = sum(len(text) for (_, text), old in zip(sources, before, strict=True) if not old)
    if new_bytes > sum(len(text) for _, text in sources) * MOST_TABLES:
        return None  # mostly files the last build did not have (or under other names)
    lap("facts read")
    if edited:
        parsing.ask(edited)
    else:
        parsing.abandon()
    stored = read_parts(place)
    lap("parts read (edited files parsed alongside)")
    guess: Whole | None = None
    making: TableKeys | None = None
    guessed: dict[Name, bytes] = {}
    if all(before) and len(before) == len(known):  # the same files as the last build
        key_of = {id(f): key for key, f in known.items()}
        kept = read_shape(place, facts_digest(key_of[id(f)] for f in before))
        if kept is not None:
            guess, making, guessed = kept.restored(before), kept.making, kept.keys  # type: ignore[arg-type]
        else:
            guess = whole_schema(before)  # type: ignore[arg-type]
            making = TableKeys(guess, salt) if guess else None
            guessed = making.of(guess) if making and guess else {}
    lap("whole schema and keys as they were (alongside)")
    parses = parsing.result() if edited else []
    lap("waiting for the parse")
    if stored is None or parses is None:
        return None
    parsed = dict(zip(edited, parses, strict=True))
    facts = [file_facts(parsed[i]) if i in parsed else known[key]
             for i, key in enumerate(file_keys)]
    whole = same_shape(guess, before, facts)
    if whole is not None and making is not None:  # the keys of tables near an edit change
        changed = [new.name for i in edited for old, new in zip(
            before[i].tables, facts[i].tables, strict=True)  # type: ignore[union-attr]
            if old.source != new.source]
        keys = guessed | making.of(whole, making.readers(whole, changed))
    else:
        whole = whole_schema(facts)
        if whole is None:
            return None
        making = TableKeys(whole, salt)
        keys = making.of(whole)
    missing = [t.name for t in whole.tables if keys[t.name] not in stored]
    if len(missing) > len(whole.tables) * MOST_TABLES:
        # Compiling most tables one by one, each with the tables around it, is slower than
        # the full build, which finds every parse in the cache now (the edited files' too).
        # An edit of what every table uses can come to this.
        return None
    parts = {n: stored[k] for n, k in keys.items() if k in stored}
    lap("whole schema and keys")
    if missing:
        made = _compile_some(missing, whole, sources, parsed)
        if made is None:
            return None
        parts.update(made)
    lap(f"compiling the {len(missing)} tables whose key is new")
    build = assemble(whole, parts)
    retain(known, stored, parts, whole, guess, parsed)
    lap("joining the outputs")
    if missing or len(stored) != len(keys) or known.keys() != set(file_keys):
        write_store(place, Store(
            facts=dict(zip(file_keys, facts, strict=True)),
            parts={keys[n]: p for n, p in parts.items()}), Store(known, stored))
        write_shape(place, Shape.of(file_keys, whole, making, keys))
    lap("storing what changed")
    return build


class _Laps:
    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def __call__(self, phase: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[phase] = now - self.last
            self.last = now


def _parser_loaded() -> None:
    from compiler.parse import lowering_parser

    lowering_parser()


def _parse_some(sources: list[tuple[str, str]]) -> list[ParsedFile] | None:
    """Each source's parse (from the cache, else parsed, in parallel when large, and
    stored), or None on an error: the full build reports it."""
    from compiler.load import parse_sources

    try:
        return parse_sources(list(sources))
    except CompileError:
        return None


def _compile_some(missing: list[Name], whole: Whole, sources: Sequence[tuple[str, str]],
                  parsed: dict[int, ParsedFile]) -> dict[Name, TableParts] | None:
    """The parts of the `missing` tables, compiled from the files holding them and the tables
    around them; None on any error."""
    from compiler.load import cached_parse
    from compiler.validate import resolve_tables

    by_name = whole.by_name
    wanted = set(missing)
    referrers = {t.name for t in whole.tables
                 if any(ref in wanted for _, ref in t.foreign_keys)
                 or any(p in wanted for p in t.parents)} - wanted
    # what the wanted tables look up, and the referrers' parents (a referrer is resolved
    # for its key to a wanted table alone, which needs nothing else it references)
    needed = set(wanted) | referrers
    for n in wanted:
        needed |= {r for r in reaches(by_name[n], by_name) if r in by_name}
    for n in referrers:
        needed |= ancestors(n, by_name)
    declared: dict[ir.QName, ir.Table] = {}
    for i in sorted({whole.home[n] for n in needed}):
        if i not in parsed:
            try:
                parsed[i] = cached_parse(*sources[i])
            except CompileError:
                return None
        for t in parsed[i].tables:
            if name_of(t.name) in needed:
                declared[t.name] = t
    checked = [qname_of(n) for n in missing]
    resolved = resolve_tables(declared, whole.meta.enums, checked,
                              sorted(qname_of(n) for n in referrers))
    if resolved is None:
        return None
    from compiler.generators.markdown_tables import Context

    ctx = Context(ir.Schema(tables=tuple(r for r, _ in resolved.values())),
                  whole.anchors.tables, whole.anchors.types)
    return table_parts([resolved[q][0] for q in checked], ctx,
                       {q: w for q, (_, w) in resolved.items()}, whole.later)


class FirstBuild:
    """The full build of a schema, made of parts that are stored for the next build.

    Begun as soon as the files are parsed: a child works out what spans the whole schema
    (the files' facts, creation order, anchors, the tables' keys) and starts the store with
    it, while this process validates; `finish(schema, by_table)` then makes the parts from
    the validated schema, or gives None when the schema has objects only `build_outputs`
    handles. A schema found wrong is `abandon`ed (what the child stored is keyed by content,
    so it is never taken for the parts of another schema)."""

    def __init__(self, root: Path, sources: Sequence[tuple[str, str]],
                 files: Sequence[ParsedFile], salt: str) -> None:
        self._whole = Forked(lambda: _whole_and_keys(root, sources, files, salt),
                             forked.worth_a_child(sum(len(f.tables) for f in files)))

    def abandon(self) -> None:
        self._whole.abandon()

    def finish(self, schema: ir.Schema, by_table: dict[ir.QName, TableWarnings]
               ) -> Build | None:
        from compiler.generators.markdown import table_page
        from compiler.generators.markdown_tables import Context

        found = self._whole.result()
        if found is None:
            return None
        place, whole, keys = found
        names = [name_of(t.name) for t in schema.tables]

        def ddl() -> bytes:
            """Every table's steps in the DDL, stored (with its warnings), and the DDL."""
            made = table_steps(schema.tables, whole.later)
            write_steps(place, {keys[n]: (first, later, stored_warnings(by_table[t.name]))
                                for n, t, (first, later) in zip(names, schema.tables, made,
                                                                strict=True)})
            return assemble_ddl(whole, dict(zip(names, made, strict=True)))

        # The DDL is made by a child while this process makes the docs: the two take about
        # as long, and only the finished script comes back (not the parts: each process
        # stores what it made). The docs stay here as they cost a little more, and the
        # child's first touch of each object it reads costs it a copy of the page.
        theirs = Forked(ddl, forked.worth_a_child(len(schema.tables)))
        try:
            ctx = Context(schema, whole.anchors.tables, whole.anchors.types)
            pages = dict(zip(names, [table_page(t, ctx) for t in schema.tables], strict=True))
            write_pages(place, {keys[n]: page for n, page in pages.items()})
            docs = assemble_docs(whole, pages)
            retain(whole, keys, ctx, pages)
        except BaseException:
            theirs.abandon()
            raise
        return Build({"schema.sql": theirs.result(), "schema.md": docs},
                     collect_warnings(names, {name_of(q): w for q, w in by_table.items()}),
                     len(schema.tables))


def _whole_and_keys(root: Path, sources: Sequence[tuple[str, str]],
                    files: Sequence[ParsedFile], salt: str
                    ) -> tuple[Path, Whole, dict[Name, bytes]] | None:
    """The store's place, the whole schema and the tables' keys; the store started with the
    files' facts and the schema's shape. None: objects only a full build handles. The whole
    schema comes back without its tables' facts: the build has the tables themselves, and
    10,000 tables' facts took 0.08 s to hand back."""
    from compiler.load import source_key

    facts = [file_facts(f) for f in files]
    whole = whole_schema(facts)
    if whole is None:
        return None
    place = store_dir(root, salt)
    file_keys = [source_key(name, text) for name, text in sources]
    making = TableKeys(whole, salt)
    keys = making.of(whole)
    write_new_store(place, dict(zip(file_keys, facts, strict=True)))
    write_shape(place, Shape.of(file_keys, whole, making, keys))
    return place, dataclasses.replace(whole, tables=[], by_name={}, home={}), keys
