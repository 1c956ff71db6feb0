"""A large schema built again after an edit: only the tables the edit can change are compiled;
every other table's share of the outputs comes from the last build.

Contract: `rebuild(sources)` returns the build (outputs and warnings) byte for byte as a
build without any cache gives it, or None when it cannot: no earlier build of these files, a
file declaring objects other than tables, types and schemas, or any error (the caller then
builds in full, which reports errors as always). `remember(...)` keeps a full build's parts
for the next one; `eligible(files)` says whether a schema is built this way at all.

How. Each file has `FileFacts`, kept by its content as parses are: per table, a digest of
the text it was parsed from, the tables it refers to and the names it takes. A table's parts
of the outputs (its steps in the DDL, its page and ER lines in the docs, its warnings) are a
function of its own text and of a few things beyond it: the tables it refers to (targets,
parents and theirs), the tables that refer to it (its page lists them), the anchors of all of
those, the enums and domains its columns use, and which of its foreign keys wait for the end
of a reference cycle. A digest of exactly these is the table's key among the stored parts.
Tables whose key is missing are compiled from the parses of the files that hold them and
their neighbours; what spans the whole schema (names declared twice, unknown types, creation
order, anchors, counts) is worked out from the facts alone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from compiler import cache, ir
from compiler.diff import creation_order, diff, new_table_ops
from compiler.errors import CompileError, Diagnostic
from compiler.forked import Forked
from compiler.frozen import replace
from compiler.generators.markdown import (
    DocumentAnchors,
    TablePage,
    assemble_markdown_data,
    document_anchors,
    table_page,
)
from compiler.generators.markdown_tables import Context
from compiler.generators.markdown_text import anchor_slug
from compiler.generators.sql import StepRun, script_data, step_runs, step_text
from compiler.names import too_long
from compiler.parsed import ParsedFile
from compiler.types import BUILTIN, base_of
from compiler.validate import EXTENSION_TYPES, TableWarnings, enum_errors, resolve_tables

TITLE = "DDL for an empty database: psql -v ON_ERROR_STOP=1 -f schema.sql"

# (schema, name): a table's name as plain data, quick to store and to read back
Name = tuple[str, str]


@dataclass(frozen=True, slots=True)
class TableFacts:
    name: Name
    source: bytes  # digest of the text it was parsed from, and of its section
    foreign_keys: tuple[tuple[str, Name], ...]  # (constraint, referenced table)
    parents: tuple[Name, ...]  # inherited tables, or the partitioned one
    relations: tuple[Name, ...]  # it, its indexes, primary key and unique constraints
    types: tuple[str, ...]  # enums or domains its columns may name
    slug: str  # of its anchor in the docs
    long_name: bool  # over PostgreSQL's limit


@dataclass(frozen=True, slots=True)
class FileFacts:
    path: str
    simple: bool  # tables, enums, domains, extensions, schemas and sections only
    sections: tuple[str, ...]
    namespaces: tuple[ir.Namespace, ...]
    extensions: tuple[ir.Extension, ...]
    enums: tuple[ir.Enum, ...]
    domains: tuple[ir.Domain, ...]
    type_bases: tuple[str, ...]  # every type the file names, as validation looks it up
    tables: tuple[TableFacts, ...]


class TableParts(NamedTuple):
    """A table's share of the outputs."""

    first: tuple[StepRun, ...]  # creating it: table, comments, indexes
    later: tuple[StepRun, ...]  # foreign keys added once every table exists
    page: TablePage
    warnings: bytes  # its `TableWarnings`, stored; empty when it has none

    @classmethod
    def of(cls, first: tuple[StepRun, ...], later: tuple[StepRun, ...], page: TablePage,
           warnings: TableWarnings) -> TableParts:
        return cls(first, later, page, cache.dumps(warnings) if any(warnings) else b"")

    def table_warnings(self) -> TableWarnings:
        found: TableWarnings = cache.loads(self.warnings) if self.warnings else ((), ())
        return found


@dataclass(frozen=True, slots=True)
class Build:
    outputs: dict[str, bytes]  # UTF-8
    warnings: list[Diagnostic]
    tables: int


@dataclass(slots=True)
class _Store:
    """What the last build of a directory left: facts by file key, parts by table key."""

    facts: dict[str, FileFacts]
    parts: dict[bytes, TableParts]


def eligible(files: Sequence[ParsedFile]) -> bool:
    return all(_simple(f) for f in files)


def file_facts(f: ParsedFile) -> FileFacts:
    return FileFacts(
        path=f.path, simple=_simple(f), sections=tuple(f.sections),
        namespaces=tuple(f.namespaces), extensions=tuple(f.extensions), enums=tuple(f.enums),
        domains=tuple(f.domains),
        type_bases=tuple(sorted({base_of(text) for text, _ in f.type_uses})),
        tables=tuple(_table_facts(t, source)
                     for t, source in zip(f.tables, f.table_sources, strict=True)))


def _simple(f: ParsedFile) -> bool:
    return not (f.rows or f.sequences or f.functions or f.views or f.triggers or f.policies
                or f.grants) and not any(t.row_security or t.force_row_security
                                         for t in f.tables)


def _table_facts(t: ir.Table, source: bytes) -> TableFacts:
    types: set[str] = set()
    for c in t.columns:
        base = base_of(c.type)
        if base not in BUILTIN:
            types |= {base, _strip_array(c.type)}
    relations = [t.name.name, *(ix.name for ix in t.indexes), *(u.name for u in t.uniques)]
    if t.primary_key:
        relations.append(t.primary_key.name)
    return TableFacts(
        name=name_of(t.name),
        source=hashlib.blake2b(source + b"\0" + (t.section or "").encode() + b"\0"
                               + str(t.section is None).encode(), digest_size=16).digest(),
        foreign_keys=tuple((fk.name, name_of(fk.ref_table)) for fk in t.foreign_keys),
        parents=tuple(name_of(p) for p in (*t.inherits, *((t.partition_of,) if t.partition_of
                                                         else ()))),
        relations=tuple((t.name.schema, r) for r in relations), types=tuple(sorted(types)),
        slug=anchor_slug(str(t.name)), long_name=too_long(t.name.name))


def name_of(q: ir.QName) -> Name:
    return (q.schema, q.name)


_A_NAME = ir.QName(name="-")


def _qname(n: Name) -> ir.QName:
    return replace(_A_NAME, schema=n[0], name=n[1])  # the quick copy: one per table a build


def _strip_array(type_text: str) -> str:
    while type_text.endswith("[]"):
        type_text = type_text.removesuffix("[]")
    return type_text


# --- the store -------------------------------------------------------------------------------


def _layout(root: Path, salt: str) -> str:
    """One store per schema directory: each build replaces the last one's, so editing does
    not pile up entries of megabytes each. (`marshal`'s format may change with Python.)"""
    return hashlib.sha256(f"{salt}\0{sys.version}\0{root.resolve()}".encode()).hexdigest()


# The store is cut into shards by key, and a build writes only the shards whose keys changed:
# an edit changes the parts of a few tables, and rewriting 50 MB of the rest would cost more
# than all else the rebuild does. Parts are plain tuples in `marshal`'s format, the quickest
# Python reads back; facts (a few objects a file) are pickled.
_SHARDS = {"facts": 16, "parts": 64}


def _shard(key: str | bytes, n: int) -> int:
    return (int(key[:2], 16) if isinstance(key, str) else key[0]) % n


def _shard_path(layout: str, kind: str, i: int) -> Path:
    return cache.cache_dir("build") / layout / f"{kind}-{i:02d}.data"


def _read_facts(layout: str) -> dict[str, FileFacts] | None:
    facts: dict[str, FileFacts] = {}
    for i in range(_SHARDS["facts"]):
        shard = cache.read(_shard_path(layout, "facts", i), dict)
        if shard is None:  # never written, or damaged: the store is not whole
            return None
        facts.update(shard)
    return facts


def _read_parts(layout: str) -> dict[bytes, TableParts] | None:
    parts: dict[bytes, TableParts] = {}
    for i in range(_SHARDS["parts"]):
        try:
            parts.update(unpack_parts(_shard_path(layout, "parts", i).read_bytes()))
        except (OSError, EOFError, ValueError, TypeError, AttributeError):
            return None
    return parts


_P = TypeVar("_P", bytes, tuple[str, str])


def pack_parts(parts: dict[_P, TableParts]) -> bytes:
    """Parts as bytes (in `marshal`'s format: plain tuples), keyed as given."""
    return marshal.dumps({key: (p.first, p.later, tuple(p.page), p.warnings)
                          for key, p in parts.items()})


def unpack_parts(data: bytes) -> dict[Any, TableParts]:
    make_page = TablePage._make
    return {key: TableParts(first, later, make_page(page), warnings)
            for key, (first, later, page, warnings) in marshal.loads(data).items()}


def _write_store(layout: str, store: _Store, old: _Store | None = None) -> None:
    for i, shard in _changed_shards(store.facts, old.facts if old else None, "facts"):
        cache.write(_shard_path(layout, "facts", i), shard)
    for i, parts in _changed_shards(store.parts, old.parts if old else None, "parts"):
        cache.write_bytes(_shard_path(layout, "parts", i), pack_parts(parts))


_K = TypeVar("_K", str, bytes)
_V = TypeVar("_V")


def _changed_shards(new: dict[_K, _V], old: dict[_K, _V] | None,
                    kind: str) -> list[tuple[int, dict[_K, _V]]]:
    """The shards to write: all of them without an `old` store, else those whose keys
    changed (a key names its value's content, so equal keys hold equal values)."""
    n = _SHARDS[kind]
    shards: list[dict[_K, _V]] = [{} for _ in range(n)]
    for key, value in new.items():
        shards[_shard(key, n)][key] = value
    changed = range(n) if old is None else sorted({_shard(k, n) for k in new.keys() ^ old.keys()})
    return [(i, shards[i]) for i in changed]


# --- the whole schema, from the facts ---------------------------------------------------------


@dataclass(slots=True)
class Whole:
    """What spans the whole schema, worked out from the files' facts."""

    meta: ir.Schema  # every object but the tables
    tables: list[TableFacts]  # in declaration order
    by_name: dict[Name, TableFacts]
    home: dict[Name, int]  # the index of the file declaring each table
    anchors: DocumentAnchors
    later: dict[Name, frozenset[str]]  # foreign keys added after every table exists
    order: list[Name]  # creation order


def whole_schema(facts: Sequence[FileFacts]) -> Whole | None:
    """None when the schema has something `compile_files` would report as an error across
    tables, or something only the full build handles."""
    if not all(f.simple for f in facts):
        return None
    tables = [t for f in facts for t in f.tables]
    by_name = {t.name: t for t in tables}
    enums = {e.name: e for f in facts for e in f.enums}
    domains = {d.name: d for f in facts for d in f.domains}
    if (len(by_name) < len(tables) or len(enums) < sum(len(f.enums) for f in facts)
            or len(domains) < sum(len(f.domains) for f in facts)):
        return None  # declared twice
    if any(too_long(n.name) for n in [*enums, *domains]) or any(t.long_name for t in tables):
        return None
    taken: set[Name] = set()
    count = 0
    for t in tables:
        taken.update(t.relations)
        count += len(t.relations)
    if len(taken) < count:
        return None  # a name used twice in one schema's relation namespace
    extensions = {e.name: e for f in facts for e in f.extensions}
    known = {_display(n) for n in enums} | {_display(n) for n in domains}
    known |= {t for e in extensions for t in EXTENSION_TYPES.get(e, ())}
    if any(b not in BUILTIN and b not in known for f in facts for b in f.type_bases):
        return None
    if enum_errors(enums.values()):
        return None

    used = {n[0] for n in by_name} | {n.schema for n in [*enums, *domains]}
    namespaces = {n.name: n for f in facts for n in f.namespaces}
    for s in sorted(used - namespaces.keys() - {"public"}):
        namespaces[s] = ir.Namespace(name=s)
    meta = ir.Schema(
        namespaces=tuple(namespaces[k] for k in sorted(namespaces) if k != "public"),
        extensions=tuple(extensions[k] for k in sorted(extensions)),
        enums=tuple(enums[k] for k in sorted(enums)),
        domains=tuple(domains[k] for k in sorted(domains)),
        sections=tuple(dict.fromkeys(s for f in facts for s in f.sections)))
    anchors = document_anchors(meta, [(_qname(t.name), t.slug) for t in tables])

    order = creation_order({t.name: [*(ref for _, ref in t.foreign_keys), *t.parents]
                            for t in tables})
    created: set[Name] = set()
    later: dict[Name, frozenset[str]] = {}
    for n in order:
        later[n] = frozenset(fk for fk, ref in by_name[n].foreign_keys
                             if ref not in created and ref != n)
        created.add(n)
    home = {t.name: i for i, f in enumerate(facts) for t in f.tables}
    return Whole(meta, tables, by_name, home, anchors, later, order)


def _keys(whole: Whole, salt: str) -> dict[Name, bytes]:
    """Each table's key: a digest of everything its parts are made from (module docstring)."""
    by_name = whole.by_name
    incoming: dict[Name, set[Name]] = {}
    for t in whole.tables:
        for _, ref in t.foreign_keys:
            incoming.setdefault(ref, set()).add(t.name)
        for p in t.parents:
            incoming.setdefault(p, set()).add(t.name)
    type_digest = {_display(e.name): repr(e).encode() for e in whole.meta.enums}
    type_digest |= {_display(d.name): repr(d).encode() for d in whole.meta.domains}
    table_anchor = {name_of(q): a for q, a in whole.anchors.tables.items()}
    type_anchor = whole.anchors.types
    salt_bytes = salt.encode()
    keys: dict[Name, bytes] = {}
    for t in whole.tables:
        h = hashlib.blake2b(salt_bytes, digest_size=20)
        h.update(t.source)
        h.update(table_anchor[t.name].encode())
        for n in sorted(_reaches(t, by_name) | incoming.get(t.name, set())):
            other = by_name.get(n)
            h.update(b"\1" + (other.source if other else repr(n).encode())
                     + table_anchor.get(n, "").encode())
        for type_text in t.types:
            h.update(b"\2" + type_text.encode() + b"\0" + type_digest.get(type_text, b"-")
                     + type_anchor.get(type_text, "").encode())
        h.update(b"\3" + "\0".join(sorted(whole.later[t.name])).encode())
        keys[t.name] = h.digest()
    return keys


def _reaches(t: TableFacts, by_name: dict[Name, TableFacts]) -> set[Name]:
    """Tables `t` looks up when it is checked: what its keys reference and its parents, with
    every ancestor of those (a table is checked with its inherited columns)."""
    out: set[Name] = set()
    todo = [ref for _, ref in t.foreign_keys] + list(t.parents)
    while todo:
        n = todo.pop()
        if n in out:
            continue
        out.add(n)
        other = by_name.get(n)
        if other is not None:
            todo += other.parents
    return out


def _ancestors(n: Name, by_name: dict[Name, TableFacts]) -> set[Name]:
    out: set[Name] = set()
    todo = list(by_name[n].parents)
    while todo:
        p = todo.pop()
        if p not in out and p in by_name:
            out.add(p)
            todo += by_name[p].parents
    return out


def _display(q: ir.QName) -> str:
    from compiler.names import display

    return display(q)


# --- parts and outputs ------------------------------------------------------------------------


def table_steps(tables: Iterable[ir.Table], later: dict[Name, frozenset[str]]
                ) -> list[tuple[tuple[StepRun, ...], tuple[StepRun, ...]]]:
    """Each table's steps in the DDL: creating it, then its foreign keys in `later`."""
    out = []
    for t in tables:
        first, after = new_table_ops(t, later[name_of(t.name)])
        out.append((step_runs(step_text(op) for op in first),
                    step_runs(step_text(op) for op in after)))
    return out


def table_parts(resolved: dict[ir.QName, ir.Table], wanted: Iterable[ir.QName],
                warnings: dict[ir.QName, TableWarnings], anchors: DocumentAnchors,
                later: dict[Name, frozenset[str]]) -> dict[Name, TableParts]:
    """The parts of the `wanted` tables; `resolved` holds them and every table that refers
    to one of them (their pages list those)."""
    ctx = Context(ir.Schema(tables=tuple(resolved.values())), anchors.tables, anchors.types)
    tables = [resolved[q] for q in wanted]
    return {name_of(t.name): TableParts.of(first, after, table_page(t, ctx), warnings[t.name])
            for t, (first, after) in zip(tables, table_steps(tables, later), strict=True)}


def assemble(whole: Whole, parts: dict[Name, TableParts]) -> Build:
    # the diff's order: by phase, and within a phase the other objects, then each table's
    # creation in creation order, then the foreign keys that wait
    by_phase: dict[int, list[StepRun]] = {}
    for run in step_runs(step_text(op) for op in diff(ir.EMPTY, whole.meta)):
        by_phase.setdefault(run[0], []).append(run)
    for n in whole.order:
        for run in parts[n].first:
            by_phase.setdefault(run[0], []).append(run)
    for n in whole.order:
        for run in parts[n].later:
            by_phase.setdefault(run[0], []).append(run)
    ddl = script_data([run for phase in sorted(by_phase) for run in by_phase[phase]],
                      title=TITLE)
    pages = [parts[name_of(q)].page for q in whole.anchors.tables]  # anchors are in page order
    docs = assemble_markdown_data(whole.meta, pages, whole.anchors)
    tables = [parts[t.name].table_warnings() for t in whole.tables]
    warnings = [*(w for found, _ in tables for w in found),
                *(w for _, linted in tables for w in linted)]
    return Build({"schema.sql": ddl, "schema.md": docs}, warnings, len(whole.tables))


# --- the two entry points ----------------------------------------------------------------------


def rebuild(root: Path, sources: Sequence[tuple[str, str]], salt: str) -> Build | None:
    from compiler.load import source_key

    layout = _layout(root, salt)
    known = _read_facts(layout)
    if known is None:
        return None
    file_keys = [source_key(name, text) for name, text in sources]
    edited = [i for i, key in enumerate(file_keys) if key not in known]
    # The edited files are parsed in a child while this process reads the stored parts and
    # works out the whole schema as it was: an edit seldom changes what that is made of.
    parsing = Forked(lambda: _parse_some([sources[i] for i in edited]), bool(edited))
    stored = _read_parts(layout)
    by_path = {f.path: f for f in known.values()}
    before = [known.get(key) or by_path.get(name) for (name, _), key in zip(sources, file_keys,
                                                                          strict=True)]
    guess = whole_schema(before) if all(before) else None  # type: ignore[arg-type]
    parses = parsing.result()
    if stored is None or parses is None:
        return None
    parsed = dict(zip(edited, parses, strict=True))
    facts = [file_facts(parsed[i]) if i in parsed else known[key]
             for i, key in enumerate(file_keys)]
    whole = _same_shape(guess, before, facts) or whole_schema(facts)
    if whole is None:
        return None
    keys = _keys(whole, salt)
    missing = [t.name for t in whole.tables if keys[t.name] not in stored]
    parts = {n: stored[k] for n, k in keys.items() if k in stored}
    if missing:
        made = _compile_some(missing, whole, sources, parsed)
        if made is None:
            return None
        parts.update(made)
    build = assemble(whole, parts)
    if missing or len(stored) != len(keys) or known.keys() != set(file_keys):
        _write_store(layout, _Store(
            facts=dict(zip(file_keys, facts, strict=True)),
            parts={keys[n]: p for n, p in parts.items()}), _Store(known, stored))
    return build


def _same_shape(guess: Whole | None, before: Sequence[FileFacts | None],
                after: Sequence[FileFacts]) -> Whole | None:
    """`guess` (the whole schema of the files `before`) brought up to the files `after`, when
    no file changed more than the text of its tables: the same names, references, types and
    everything else the whole schema is worked out from. None otherwise."""
    if guess is None:
        return None
    tables = list(guess.tables)
    by_name = dict(guess.by_name)
    at = {t.name: i for i, t in enumerate(tables)}
    for old, new in zip(before, after, strict=True):
        if old is new:
            continue
        if old is None or _shape(old) != _shape(new):
            return None
        for t in new.tables:
            tables[at[t.name]] = by_name[t.name] = t
    return dataclasses.replace(guess, tables=tables, by_name=by_name)


def _shape(f: FileFacts) -> tuple[object, ...]:
    return (f.path, f.simple, f.sections, f.namespaces, f.extensions, f.enums, f.domains,
            f.type_bases, [dataclasses.replace(t, source=b"") for t in f.tables])


def _parse_some(sources: list[tuple[str, str]]) -> list[ParsedFile] | None:
    """Each source's parse (from the cache, else parsed and stored), or None on an error:
    the full build reports it."""
    from compiler.load import cached_parse

    try:
        return [cached_parse(name, text) for name, text in sources]
    except CompileError:
        return None


def _compile_some(missing: list[Name], whole: Whole, sources: Sequence[tuple[str, str]],
                  parsed: dict[int, ParsedFile]) -> dict[Name, TableParts] | None:
    """The parts of the `missing` tables, compiled from the files holding them and the tables
    around them; None on any error."""
    from compiler.load import cached_parse

    by_name = whole.by_name
    wanted = set(missing)
    referrers = {t.name for t in whole.tables
                 if any(ref in wanted for _, ref in t.foreign_keys)
                 or any(p in wanted for p in t.parents)} - wanted
    # what the wanted tables look up, and the referrers' parents (a referrer is resolved
    # for its key to a wanted table alone, which needs nothing else it references)
    needed = set(wanted) | referrers
    for n in wanted:
        needed |= {r for r in _reaches(by_name[n], by_name) if r in by_name}
    for n in referrers:
        needed |= _ancestors(n, by_name)
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
    checked = [_qname(n) for n in missing]
    resolved = resolve_tables(declared, whole.meta.enums, checked,
                              sorted(_qname(n) for n in referrers))
    if resolved is None:
        return None
    return table_parts({q: r for q, (r, _) in resolved.items()}, checked,
                       {q: w for q, (_, w) in resolved.items()}, whole.anchors, whole.later)


def remember(root: Path, sources: Sequence[tuple[str, str]], facts: Sequence[FileFacts],
             whole: Whole, parts: dict[Name, TableParts], salt: str) -> None:
    """Keep a full build's parts for the next build of the same directory."""
    from compiler.load import source_key

    keys = _keys(whole, salt)
    _write_store(_layout(root, salt), _Store(
        facts={source_key(name, text): f for (name, text), f in zip(sources, facts,
                                                                     strict=True)},
        parts={keys[n]: p for n, p in parts.items()}))
