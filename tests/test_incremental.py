"""A build that reuses the last build's parts writes exactly what a cold build writes.

A schema large enough for every shortcut of `schemac build` (files parsed in parallel, each
table's parts of the outputs kept for the next build) is built, one edit is made, and it is
built again from those parts; the outputs and warnings must be byte-for-byte what a build
without any cache gives, and the rebuild must really have been incremental. An edit that
makes the schema wrong falls back to the full build and reports exactly its errors.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import build, forked, incremental, load
from compiler.build import build_directory
from compiler.errors import CompileError, render
from compiler.load import read_sources

ROOT = Path(__file__).resolve().parent.parent
TABLES = 600  # above build.INCREMENTAL_TABLES, and above load._PARALLEL_BYTES of source


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


def add_a_column_early_in_a_file(d: Path) -> None:
    # every table below it in the file moves down a line
    _sub(d / "0004.schema", r"^  name (varchar\(\d+\) not null)$", "  name \\1\n  nickname text")


def add_an_enum_value(d: Path) -> None:
    _sub(d / "0002.schema", r"^enum (status_b\d+) \{ active, ", "enum \\1 { fresh, active, ")


def make_a_reference_cycle(d: Path) -> None:
    # a table of the first file comes to reference one of the last: created later
    last = sorted(d.glob("*.schema"))[-1].read_text(encoding="utf-8")
    target = re.findall(r"^table (\w+) \{", last, flags=re.MULTILINE)[-1]
    _sub(d / "0000.schema", r"^  /// Primary key\n  id serial primary key$",
         f"  /// Primary key\n  id serial primary key\n  late_id int references {target}(id)\n"
         "  index (late_id)")


def add_a_file(d: Path) -> None:
    (d / "9999-extra.schema").write_text(
        '/// Added later\ntable extra_table {\n  id serial primary key\n'
        '  owner_id int not null references account_00000(id)\n}\n', encoding="utf-8")


def remove_the_last_file(d: Path) -> None:
    sorted(d.glob("*.schema"))[-1].unlink()


def a_foreign_key_without_an_index(d: Path) -> None:
    _sub(d / "0007.schema", r"^  /// Primary key\n  id serial primary key$",
         "  /// Primary key\n  id serial primary key\n"
         "  extra_id int references account_00000(id)")


def nothing(_d: Path) -> None:
    pass


EDITS = [change_a_column, add_a_table, remove_a_table, change_a_referenced_table,
         add_a_foreign_key_across_files, add_a_column_early_in_a_file, add_an_enum_value,
         make_a_reference_cycle, add_a_file, remove_the_last_file,
         a_foreign_key_without_an_index, nothing]


def a_reference_to_a_missing_table(d: Path) -> None:
    _sub(d / "0006.schema", r"^  /// Primary key\n  id serial primary key$",
         "  /// Primary key\n  id serial primary key\n  gone_id int references no_such_table(id)")


def a_name_declared_twice(d: Path) -> None:
    with (d / "0008.schema").open("a", encoding="utf-8") as f:
        f.write("\ntable account_00000 {\n  id serial primary key\n}\n")


def a_syntax_error(d: Path) -> None:
    _sub(d / "0003.schema", r"^  name ", "  name name ")


def a_referenced_key_changes_type(d: Path) -> None:
    # the tables of other files that reference it, unchanged, no longer match
    _sub(d / "0000.schema", r"^  id serial primary key$", "  id bigserial primary key")


ERRORS = [a_reference_to_a_missing_table, a_name_declared_twice, a_syntax_error,
          a_referenced_key_changes_type]


@pytest.fixture(scope="module")
def schema_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("incremental") / "schema"
    _generate(d)
    return d


def _copy(schema_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "schema"
    d.mkdir()
    for f in schema_dir.glob("*.schema"):
        (d / f.name).write_bytes(f.read_bytes())
    assert sum(f.stat().st_size for f in d.glob("*.schema")) > load._PARALLEL_BYTES
    monkeypatch.setenv("SCHEMAC_CACHE_DIR", str(tmp_path / "cache"))
    return d


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.__name__)
def test_a_rebuild_after_an_edit_writes_what_a_cold_build_writes(
        edit: Callable[[Path], None], schema_dir: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    d = _copy(schema_dir, tmp_path, monkeypatch)
    before = build_directory(d)  # leaves its parts for the next build
    assert before.tables >= build.INCREMENTAL_TABLES
    edit(d)
    rebuilt = incremental.rebuild(d, read_sources(d), build._code_digest())
    assert rebuilt is not None, "the edit was not handled incrementally"

    cold = build_directory(d, use_cache=False)
    assert rebuilt.outputs.keys() == cold.outputs.keys()
    for name in cold.outputs:
        assert rebuilt.outputs[name] == cold.outputs[name], name
    assert [render(w) for w in rebuilt.warnings] == [render(w) for w in cold.warnings]
    assert (rebuilt.outputs == before.outputs) == (edit is nothing)
    # and the next build, from the parts this one left, is the same again
    again = build_directory(d)
    assert again.outputs == cold.outputs


def test_schemac_build_after_an_edit_builds_from_the_parts(
        schema_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`build_directory`, as `schemac build` calls it, finds the parts its last build left
    and compiles only what the edit changed, never the whole schema."""
    from compiler import validate

    d = _copy(schema_dir, tmp_path, monkeypatch)
    build_directory(d)
    change_a_column(d)
    cold = build_directory(d, use_cache=False)

    def whole_schema_compiled(*_: object) -> None:
        raise AssertionError("the whole schema was compiled again")

    monkeypatch.setattr(validate, "compile_files_by_table", whole_schema_compiled)
    assert build_directory(d).outputs == cold.outputs


@pytest.mark.parametrize("edit", ERRORS, ids=lambda e: e.__name__)
def test_an_edit_that_breaks_the_schema_reports_what_a_cold_build_reports(
        edit: Callable[[Path], None], schema_dir: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    d = _copy(schema_dir, tmp_path, monkeypatch)
    build_directory(d)
    edit(d)
    assert incremental.rebuild(d, read_sources(d), build._code_digest()) is None
    with pytest.raises(CompileError) as warm:
        build_directory(d)
    with pytest.raises(CompileError) as cold:
        build_directory(d, use_cache=False)
    assert [render(x) for x in warm.value.diagnostics] == [
        render(x) for x in cold.value.diagnostics]


def test_a_build_split_over_two_processes_writes_what_one_process_writes(
        schema_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _copy(schema_dir, tmp_path, monkeypatch)
    alone = build_directory(d, use_cache=False)
    monkeypatch.setattr(forked, "PARALLEL_TABLES", 1)  # every child this build can start
    split = build_directory(d)  # the parts made by two processes, then stored by a child
    assert split.outputs == alone.outputs
    assert [render(w) for w in split.warnings] == [render(w) for w in alone.warnings]
    again = incremental.rebuild(d, read_sources(d), build._code_digest())
    assert again is not None and again.outputs == alone.outputs  # from what the child stored


def test_a_build_from_another_directory_is_built_in_full(
        schema_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _copy(schema_dir, tmp_path, monkeypatch)
    monkeypatch.chdir(tmp_path)  # files named schema/0000.schema, ...
    build_directory(d)
    monkeypatch.chdir("/")  # ... and now by their absolute paths: new files to the store
    assert incremental.rebuild(d, read_sources(d), build._code_digest()) is None
    cold = build_directory(d, use_cache=False)
    assert build_directory(d).outputs == cold.outputs
    assert incremental.rebuild(d, read_sources(d), build._code_digest()) is not None


def test_an_edit_that_changes_most_tables_is_built_in_full(
        schema_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _copy(schema_dir, tmp_path, monkeypatch)
    build_directory(d)
    change_a_column(d)
    monkeypatch.setattr(incremental, "MOST_TABLES", 0.0)  # any table to compile is too many
    assert incremental.rebuild(d, read_sources(d), build._code_digest()) is None
    cold = build_directory(d, use_cache=False)
    warm = build_directory(d)  # the edited file's parse, stored by the rebuild, is reused
    assert warm.outputs == cold.outputs
    assert [render(w) for w in warm.warnings] == [render(w) for w in cold.warnings]


# --- any sequence of edits ------------------------------------------------------------------

_EDITS_OF_A_TABLE = [
    # (pattern in a table's text, replacement): each keeps or breaks the schema as it may
    (r"\n  name (varchar\(\d+\)) not null\n", r"\n  name \1\n"),  # nullability
    (r"\n  name varchar\(\d+\) not null\n", "\n  name text not null\n  note text\n"),  # column
    (r"\n  /// Primary key\n", "\n  /// The key\n"),  # a description
    (r"\n  id serial primary key\n", "\n  id bigserial primary key\n"),  # breaks referrers
    (r"\n  status (\w+) not null default 'active'\n",
     r"\n  status \1 not null default 'pending'\n"),
    (r"\n  created_at timestamptz", "\n  created_at timestamp"),  # a warning
    (r"\n  index idx_\w+_live \(status\) where deleted_at is null\n", "\n"),  # an index
]


def _edit_a_table(d: Path, file_index: int, table_index: int, edit: int,
                  reference: int | None) -> None:
    files = sorted(d.glob("*.schema"))
    path = files[file_index % len(files)]
    text = path.read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"^table ", text, flags=re.MULTILINE)]
    if not starts:
        return
    start = starts[table_index % len(starts)]
    end = text.index("\n}\n", start) + 3
    table = text[start:end]
    if reference is not None:  # a foreign key to any table, maybe a later one: a cycle
        names = re.findall(r"^table (\w+) \{", "".join(
            f.read_text(encoding="utf-8") for f in files), flags=re.MULTILINE)
        target = names[reference % len(names)]
        table = table.replace("\n  id serial primary key\n",
                              f"\n  id serial primary key\n  to_{target} int "
                              f"references {target}(id)\n", 1)
    else:
        pattern, replacement = _EDITS_OF_A_TABLE[edit % len(_EDITS_OF_A_TABLE)]
        table = re.sub(pattern, replacement, table, count=1)
    path.write_text(text[:start] + table + text[end:], encoding="utf-8")


_edits = st.lists(st.tuples(st.integers(0, 50), st.integers(0, 60), st.integers(0, 20),
                            st.none() | st.integers(0, 10_000)), min_size=1, max_size=4)


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=_edits)
def test_any_sequence_of_edits_builds_as_a_cold_build(
        sequence: list[tuple[int, int, int, int | None]], schema_dir: Path,
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _copy(schema_dir, tmp_path_factory.mktemp("edits"), monkeypatch)
    build_directory(d)
    for edit in sequence:  # each build starts from what the one before it stored
        _edit_a_table(d, *edit)
        quick = incremental.rebuild(d, read_sources(d), build._code_digest())
        try:
            cold = build_directory(d, use_cache=False)
        except CompileError as err:
            assert quick is None  # a schema with errors is never built from parts
            with pytest.raises(CompileError) as warm:
                build_directory(d)
            assert [render(x) for x in warm.value.diagnostics] == [
                render(x) for x in err.diagnostics]
            continue
        assert quick is not None, "a valid schema was not rebuilt from its parts"
        assert quick.outputs == cold.outputs
        assert [render(w) for w in quick.warnings] == [render(w) for w in cold.warnings]


def test_a_damaged_store_is_a_miss_never_an_error(
        schema_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _copy(schema_dir, tmp_path, monkeypatch)
    cold = build_directory(d, use_cache=False)
    build_directory(d)
    store = next((tmp_path / "cache" / "build").glob("*/*"))
    (store / "steps-00.data").write_bytes(b"not what was stored")  # damaged
    (store / "pages-01.data").unlink()  # gone
    (store / "shape.data").write_bytes(b"\x80")
    assert incremental.rebuild(d, read_sources(d), build._code_digest()) is None
    assert build_directory(d).outputs == cold.outputs  # built in full, the store made anew
    assert incremental.rebuild(d, read_sources(d), build._code_digest()) is not None


def test_steps_and_pages_of_different_builds_are_a_miss(
        schema_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A table's steps and its page are stored apart, by the two processes of a first build:
    a shard of one kind left from another build (one of them died while writing) must not
    be paired with the other kind's."""
    d = _copy(schema_dir, tmp_path, monkeypatch)
    build_directory(d)
    store = next((tmp_path / "cache" / "build").glob("*/*"))
    shards = {p.name: p.read_bytes() for p in store.glob("pages-*.data")}
    change_a_column(d)
    build_directory(d)
    changed = [name for name, data in shards.items() if (store / name).read_bytes() != data]
    assert changed, "renaming a column changed no page"
    for name in changed:
        (store / name).write_bytes(shards[name])  # the page of the earlier build
    assert incremental.rebuild(d, read_sources(d), build._code_digest()) is None


def test_a_store_of_another_compiler_version_is_removed(
        schema_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _copy(schema_dir, tmp_path, monkeypatch)
    build_directory(d)
    monkeypatch.setattr(build, "_code_digest", lambda: "another version")
    build_directory(d)
    assert len(list((tmp_path / "cache" / "build").glob("*/*"))) == 1


def test_the_stores_key_names_the_installed_jinja2_with_or_without_its_attribute(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts rendered by another jinja2 release are never reused: the code digest names the
    installed release, read from the module, else (a release without the attribute) from
    the package's metadata."""
    from importlib.metadata import version

    import jinja2

    from compiler.generators.markdown import jinja2_version

    assert jinja2_version() == version("jinja2")
    monkeypatch.delattr(jinja2, "__version__")
    assert jinja2_version() == version("jinja2")
