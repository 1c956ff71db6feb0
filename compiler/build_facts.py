"""What a large schema's rebuild knows without parsing: facts about each file, and the whole
schema worked out from them (part of `compiler.incremental`).

Contract: `file_facts(parsed)` is what a file contributes beyond its tables' text: per table,
a digest of the text it was parsed from, the tables it refers to and the names it takes, and
the file's types and schemas. `whole_schema(facts)` is what spans the schema (declaration and
creation order, anchors, foreign keys that wait for a cycle), or None when the full build must
run: something it would report as an error, or objects only it handles. `TableKeys` gives
each table the digest of everything its parts of the outputs are made from;
`same_shape` carries a whole schema over an edit that keeps every name and reference.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from compiler import ir
from compiler.frozen import constructor, replace
from compiler.generators.markdown_text import anchor_slug
from compiler.names import display, too_long
from compiler.order import creation_order
from compiler.parsed import ParsedFile
from compiler.types import BUILTIN, base_of, element_type
from compiler.validate import EXTENSION_TYPES, enum_errors, namespaces_of

if TYPE_CHECKING:
    from compiler.generators.markdown import DocumentAnchors

# Reading the facts back imports this module: it imports what only `whole_schema` needs (the
# diff's ordering, the docs' anchors, and what they import) when that runs, so that a rebuild
# can start parsing an edited file in a child before it has paid for those imports.

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
    type_bases: tuple[str, ...]  # every type the file names but the built-in ones
    tables: tuple[TableFacts, ...]


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
    for type_text in {c.type for c in t.columns}:
        base = base_of(type_text)
        if base not in BUILTIN:
            types |= {base, element_type(type_text)}
    schema = t.name.schema
    relations = [(schema, t.name.name), *((schema, ix.name) for ix in t.indexes),
                 *((schema, u.name) for u in t.uniques)]
    if t.primary_key:
        relations.append((schema, t.primary_key.name))
    parents = tuple(name_of(p) for p in t.inherits)
    if t.partition_of:
        parents += (name_of(t.partition_of),)
    return _new_table_facts(
        name_of(t.name),
        hashlib.blake2b(source + b"\0" + (t.section or "").encode() + b"\0"
                        + (b"True" if t.section is None else b"False"), digest_size=16).digest(),
        tuple([(fk.name, name_of(fk.ref_table)) for fk in t.foreign_keys]),
        parents, tuple(relations), tuple(sorted(types)), anchor_slug(str(t.name)),
        too_long(t.name.name))


# (name, source, foreign_keys, parents, relations, types, slug, long_name): one a table
_new_table_facts: Callable[..., TableFacts] = constructor(TableFacts)


def name_of(q: ir.QName) -> Name:
    return (q.schema, q.name)


_A_NAME = ir.QName(name="-")


def qname_of(n: Name) -> ir.QName:
    return replace(_A_NAME, schema=n[0], name=n[1])  # the quick copy: one per table a build


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


@dataclass(slots=True)
class Shape:
    """The whole schema of a build (without its tables, which the facts hold) and the keys
    of its tables: saved with the store, so that the next build need not work them out
    again when its files are the same."""

    facts: str  # `facts_digest` of the files' facts it was worked out from
    whole: Whole
    making: TableKeys
    keys: dict[Name, bytes]

    @classmethod
    def of(cls, file_keys: Iterable[str], whole: Whole, making: TableKeys,
           keys: dict[Name, bytes]) -> Shape:
        """Its tables are not kept: `restored` takes them from the facts."""
        return cls(facts_digest(file_keys), dataclasses.replace(whole, tables=[], by_name={}),
                   making, keys)

    def restored(self, facts: Sequence[FileFacts]) -> Whole:
        tables = [t for f in facts for t in f.tables]
        return dataclasses.replace(self.whole, tables=tables,
                                   by_name={t.name: t for t in tables})


def facts_digest(file_keys: Iterable[str]) -> str:
    return hashlib.sha256("\0".join(file_keys).encode()).hexdigest()


def whole_schema(facts: Sequence[FileFacts]) -> Whole | None:
    """None when the schema has something `compile_files` would report as an error across
    tables, or something only the full build handles."""
    from compiler.generators.markdown import document_anchors

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
    known = {display(n) for n in enums} | {display(n) for n in domains}
    known |= {t for e in extensions for t in EXTENSION_TYPES.get(e, ())}
    if any(b not in BUILTIN and b not in known for f in facts for b in f.type_bases):
        return None
    if enum_errors(enums.values()):
        return None

    used = {n[0] for n in by_name} | {n.schema for n in [*enums, *domains]}
    meta = ir.Schema(
        namespaces=namespaces_of([n for f in facts for n in f.namespaces], used),
        extensions=tuple(extensions[k] for k in sorted(extensions)),
        enums=tuple(enums[k] for k in sorted(enums)),
        domains=tuple(domains[k] for k in sorted(domains)),
        sections=tuple(dict.fromkeys(s for f in facts for s in f.sections)))
    anchors = document_anchors(meta, [(qname_of(t.name), t.slug) for t in tables])

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


class TableKeys:
    """Each table's key: a digest of everything its parts are made from (the docstring of
    `compiler.incremental`). What the keys read beyond the tables' own text (references both
    ways, anchors, types, the foreign keys that wait) is worked out once per shape of the
    schema: `same_shape` keeps it, so only the keys of tables near an edit are made again."""

    def __init__(self, whole: Whole, salt: str) -> None:
        self.incoming: dict[Name, set[Name]] = {}  # who references or inherits each table
        self.children: dict[Name, set[Name]] = {}
        for t in whole.tables:
            for _, ref in t.foreign_keys:
                self.incoming.setdefault(ref, set()).add(t.name)
            for p in t.parents:
                self.incoming.setdefault(p, set()).add(t.name)
                self.children.setdefault(p, set()).add(t.name)
        self.type_digest = {display(e.name): repr(e).encode() for e in whole.meta.enums}
        self.type_digest |= {display(d.name): repr(d).encode() for d in whole.meta.domains}
        self.table_anchor = {name_of(q): a for q, a in whole.anchors.tables.items()}
        self.salt = salt.encode()

    def of(self, whole: Whole, names: Iterable[Name] | None = None) -> dict[Name, bytes]:
        """The keys of `names` (default: every table) in `whole`, a schema of this shape."""
        by_name = whole.by_name
        anchor = self.table_anchor
        type_anchor = whole.anchors.types
        keys: dict[Name, bytes] = {}
        for t in whole.tables if names is None else (by_name[n] for n in names):
            h = hashlib.blake2b(self.salt, digest_size=20)
            h.update(t.source)
            h.update(anchor[t.name].encode())
            for n in sorted(reaches(t, by_name) | self.incoming.get(t.name, set())):
                other = by_name.get(n)
                h.update(b"\1" + (other.source if other else repr(n).encode())
                         + anchor.get(n, "").encode())
            for type_text in t.types:
                h.update(b"\2" + type_text.encode() + b"\0"
                         + self.type_digest.get(type_text, b"-")
                         + type_anchor.get(type_text, "").encode())
            h.update(b"\3" + "\0".join(sorted(whole.later[t.name])).encode())
            keys[t.name] = h.digest()
        return keys

    def readers(self, whole: Whole, changed: Iterable[Name]) -> set[Name]:
        """The tables whose key reads the text of a `changed` table: it, the tables it
        references (their pages list it), and those that reach it (reference it or inherit
        from it, or reference or inherit from a table that inherits from it)."""
        out: set[Name] = set()
        for c in changed:
            out.add(c)
            t = whole.by_name[c]
            out.update(ref for _, ref in t.foreign_keys)
            out.update(t.parents)
            todo, seen = [c], set()
            while todo:
                d = todo.pop()
                if d not in seen:
                    seen.add(d)
                    out |= self.incoming.get(d, set())
                    todo += self.children.get(d, ())
        return out & whole.by_name.keys()


def reaches(t: TableFacts, by_name: dict[Name, TableFacts]) -> set[Name]:
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


def ancestors(n: Name, by_name: dict[Name, TableFacts]) -> set[Name]:
    out: set[Name] = set()
    todo = list(by_name[n].parents)
    while todo:
        p = todo.pop()
        if p not in out and p in by_name:
            out.add(p)
            todo += by_name[p].parents
    return out


def same_shape(guess: Whole | None, before: Sequence[FileFacts | None],
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
