"""Where a large schema's build keeps its parts for the next build (part of
`compiler.incremental`).

Contract: the store of a schema directory and compiler is `store_dir(root, salt)`;
`read_facts(place)` and `read_parts(place)` give what the last build stored there (None when
there is none, or it is damaged: a miss, never an error). A first build starts it with
`write_new_store` (which removes the directory's stores of other compiler versions), then
`write_steps` and `write_pages`, each from the process that made them; a rebuild brings it up
to date with `write_store`, writing only what changed.
"""

from __future__ import annotations

import hashlib
import marshal
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from compiler import cache
from compiler.build_facts import FileFacts, Shape

if TYPE_CHECKING:  # imported when parts are read (see `compiler.build_facts`)
    from compiler.generators.markdown import TablePage
    from compiler.generators.sql import StepRun
    from compiler.validate import TableWarnings


class TableParts(NamedTuple):
    """A table's share of the outputs."""

    first: tuple[StepRun, ...]  # creating it: table, comments, indexes
    later: tuple[StepRun, ...]  # foreign keys added once every table exists
    page: TablePage
    warnings: bytes  # its `TableWarnings`, stored; empty when it has none

    @classmethod
    def of(cls, first: tuple[StepRun, ...], later: tuple[StepRun, ...], page: TablePage,
           warnings: TableWarnings) -> TableParts:
        return cls(first, later, page, stored_warnings(warnings))

    def table_warnings(self) -> TableWarnings:
        found: TableWarnings = cache.loads(self.warnings) if self.warnings else ((), ())
        return found


TableSteps = tuple[tuple["StepRun", ...], tuple["StepRun", ...]]  # first, later


def stored_warnings(warnings: TableWarnings) -> bytes:
    """A table's warnings as `TableParts` keeps them: empty when it has none."""
    return cache.dumps(warnings) if any(warnings) else b""


@dataclass(slots=True)
class Store:
    """What the last build of a directory left: facts by file key, parts by table key."""

    facts: dict[str, FileFacts]
    parts: dict[bytes, TableParts]


def store_dir(root: Path, salt: str) -> Path:
    """One store per schema directory (each build replaces the last one's, so editing does
    not pile up entries of megabytes each) and per compiler: its code (`salt`) and Python
    (`marshal`'s format may change with it)."""
    version = hashlib.sha256(f"{salt}\0{sys.version}".encode()).hexdigest()[:32]
    return stores_of(root) / version


def stores_of(root: Path) -> Path:
    """Where the stores of a schema directory's builds are, whatever the compiler: none there
    (a schema too small to keep parts) means nothing to look for."""
    return cache.cache_dir("build") / hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:32]


# The store is cut into shards by key, and a build writes only the shards whose keys changed:
# an edit changes the parts of a few tables, and rewriting 50 MB of the rest would cost more
# than all else the rebuild does. Parts are plain tuples in `marshal`'s format, the quickest
# Python reads back; facts (a few objects a file) are pickled.
_SHARDS = {"facts": 16, "parts": 64}


def _shard(key: str | bytes, n: int) -> int:
    return (int(key[:2], 16) if isinstance(key, str) else key[0]) % n


def _shard_path(store: Path, kind: str, i: int) -> Path:
    return store / f"{kind}-{i:02d}.data"


def read_facts(store: Path) -> dict[str, FileFacts] | None:
    facts: dict[str, FileFacts] = {}
    for i in range(_SHARDS["facts"]):
        shard = cache.read(_shard_path(store, "facts", i), dict)
        if shard is None:  # never written, or damaged: the store is not whole
            return None
        facts.update(shard)
    return facts


def read_parts(store: Path) -> dict[bytes, TableParts] | None:
    from compiler.generators.markdown import TablePage

    make_page = TablePage._make
    parts: dict[bytes, TableParts] = {}
    for i in range(_SHARDS["parts"]):
        try:
            steps = marshal.loads(_shard_path(store, "steps", i).read_bytes())
            pages = marshal.loads(_shard_path(store, "pages", i).read_bytes())
            if steps.keys() != pages.keys():  # the two halves of different builds
                return None
            parts.update({key: TableParts(first, later, make_page(pages[key]), warnings)
                          for key, (first, later, warnings) in steps.items()})
        except (OSError, EOFError, ValueError, TypeError, AttributeError):
            return None
    return parts


# A table's parts are stored as two kinds of shard, with the same keys in each: its steps
# in the DDL (and its warnings), and its page of the docs. A first build makes the two in
# two processes, and each stores what it made.
def write_steps(place: Path, steps: dict[bytes, tuple[*TableSteps, bytes]]) -> None:
    """Every shard of steps, from each table's (first, later, warnings) by key."""
    for i, shard in _changed_shards(steps, None, "parts"):
        _write_steps_shard(place, i, shard)


def write_pages(place: Path, pages: dict[bytes, TablePage]) -> None:
    """Every shard of pages, from the page of every table (by key)."""
    for i, shard in _changed_shards(pages, None, "parts"):
        _write_pages_shard(place, i, shard)


def _write_steps_shard(place: Path, i: int, steps: dict[bytes, tuple[*TableSteps, bytes]]
                       ) -> None:
    cache.write_bytes(_shard_path(place, "steps", i), marshal.dumps(steps))


def _write_pages_shard(place: Path, i: int, pages: dict[bytes, TablePage]) -> None:
    cache.write_bytes(_shard_path(place, "pages", i),
                      marshal.dumps({key: tuple(page) for key, page in pages.items()}))


def write_store(place: Path, store: Store, old: Store) -> None:
    """Bring `place` from `old` (what it holds) to `store`: only the shards that differ."""
    for i, shard in _changed_shards(store.facts, old.facts, "facts"):
        cache.write(_shard_path(place, "facts", i), shard)
    for i, parts in _changed_shards(store.parts, old.parts, "parts"):
        _write_steps_shard(place, i, {key: (p.first, p.later, p.warnings)
                                      for key, p in parts.items()})
        _write_pages_shard(place, i, {key: p.page for key, p in parts.items()})


def write_new_store(place: Path, facts: dict[str, FileFacts]) -> None:
    """Start the store at `place` with `facts`, removing the stores this directory has from
    other compiler versions; `write_steps` and `write_pages` add the parts."""
    if place.parent.is_dir():
        for other in place.parent.iterdir():
            if other != place:
                shutil.rmtree(other, ignore_errors=True)
    for i, shard in _changed_shards(facts, None, "facts"):
        cache.write(_shard_path(place, "facts", i), shard)


def read_shape(place: Path, facts_digest: str) -> Shape | None:
    """The saved shape, if it was worked out from the facts with this digest."""
    shape = cache.read(place / "shape.data", Shape)
    return shape if shape is not None and shape.facts == facts_digest else None


def write_shape(place: Path, shape: Shape) -> None:
    cache.write(place / "shape.data", shape)


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
