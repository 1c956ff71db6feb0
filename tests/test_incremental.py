"""A build that reuses the caches writes exactly what a cold build writes.

A schema large enough for every shortcut of `schemac build` (files parsed in parallel, their
parses and the outputs kept in the cache) is built, one file is edited, and it is built
again with the cache; every output must be byte-for-byte what a build without any cache
writes. Edits: a column changed, a table added, a table removed, a table that another file
references changed, a foreign key added across files, and nothing at all.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import build, load
from compiler.build import build_outputs
from compiler.load import load_schema

ROOT = Path(__file__).resolve().parent.parent
TABLES = 600  # above build._CACHED_TABLES, and above load._PARALLEL_BYTES of source


def _generate(out: Path) -> None:
    spec = importlib.util.spec_from_file_location("gen_schema", ROOT / "bench" / "gen_schema.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    gen.write_schema(out, TABLES)


def _sub(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert count == 1, pattern
    path.write_text(new, encoding="utf-8")


def change_a_column(d: Path) -> None:
    _sub(d / "0003.schema", r"^  name varchar\(\d+\) not null$", "  name text not null")


def add_a_table(d: Path) -> None:
    with (d / "0005.schema").open("a", encoding="utf-8") as f:
        f.write("\n/// Added later\ntable added_table {\n  id serial primary key\n"
                "  note text\n}\n")


def remove_a_table(d: Path) -> None:
    # the last table of the last file: nothing references it
    path = sorted(d.glob("*.schema"))[-1]
    text = path.read_text(encoding="utf-8")
    start = text.rindex("\n/// ", 0, text.rindex("\ntable ")) + 1
    path.write_text(text[:start], encoding="utf-8")


def change_a_referenced_table(d: Path) -> None:
    # tables of later files reference those of the first: one loses its sequence
    _sub(d / "0000.schema", r"^  id serial primary key$", "  id int primary key")


def add_a_foreign_key_across_files(d: Path) -> None:
    _sub(d / "0009.schema", r"^  /// Primary key\n  id serial primary key$",
         "  /// Primary key\n  id serial primary key\n"
         "  other_id int references account_00000(id) on delete set null")


def nothing(_d: Path) -> None:
    pass


EDITS = [change_a_column, add_a_table, remove_a_table, change_a_referenced_table,
         add_a_foreign_key_across_files, nothing]


@pytest.fixture(scope="module")
def schema_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("incremental") / "schema"
    _generate(d)
    return d


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.__name__)
def test_a_rebuild_after_an_edit_writes_what_a_cold_build_writes(
        edit: Callable[[Path], None], schema_dir: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "schema"
    d.mkdir()
    for f in schema_dir.glob("*.schema"):
        (d / f.name).write_bytes(f.read_bytes())
    assert sum(f.stat().st_size for f in d.glob("*.schema")) > load._PARALLEL_BYTES
    monkeypatch.setenv("SCHEMAC_CACHE_DIR", str(tmp_path / "cache"))

    schema, _ = load_schema(d)  # fills the parse cache and the output cache
    assert len(schema.tables) >= build._CACHED_TABLES
    before = build_outputs(schema)
    edit(d)
    warm, _ = load_schema(d)
    rebuilt = build_outputs(warm)

    cold_schema, _ = load_schema(d, use_cache=False)
    cold = build_outputs(cold_schema)
    assert rebuilt.keys() == cold.keys()
    for name in cold:
        assert rebuilt[name].encode() == cold[name].encode(), name
    assert (rebuilt == before) == (edit is nothing)
