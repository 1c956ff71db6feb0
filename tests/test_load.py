"""Loading a schema directory: the parse cache and the parallel, piecewise parse of large
schemas give exactly what a plain parse of each file gives (spans and sections included)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import load
from compiler.errors import CompileError
from compiler.parse import parse_source

ROOT = Path(__file__).resolve().parent.parent


def _one_big_file() -> str:
    return "\n".join(p.read_text() for p in sorted((ROOT / "schema").glob("*.schema")))


def test_pieces_merge_to_the_plain_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _one_big_file()
    monkeypatch.setattr(load, "_PIECE_BYTES", 2000)
    monkeypatch.setattr(load, "_PARALLEL_BYTES", 0)
    assert len(load.split_pieces(text)) > 5
    (merged,) = load._parse_many([("big.schema", text)])
    plain = parse_source(text, "big.schema")
    assert not isinstance(merged, CompileError)
    assert merged.tables == plain.tables
    assert [(t.section, t.span, t.expectations, t.comment) for t in merged.tables] == [
        (t.section, t.span, t.expectations, t.comment) for t in plain.tables]
    assert merged.sections == plain.sections and merged.enums == plain.enums
    assert merged.rows == plain.rows


def test_an_error_in_a_piece_is_reported_against_the_whole_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    text = _one_big_file() + "\ntable broken {\n  id\n}\n"
    monkeypatch.setattr(load, "_PIECE_BYTES", 2000)
    monkeypatch.setattr(load, "_PARALLEL_BYTES", 0)
    (outcome,) = load._parse_many([("big.schema", text)])
    assert isinstance(outcome, CompileError)
    span = outcome.diagnostics[0].span
    assert span is not None and span.line == text.count("\n") - 1


def test_files_parsed_in_parallel_are_each_parsed_and_cached(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files shared between this process and the parse workers: each comes back as its plain
    parse, in order, and each is in the cache, whoever parsed it."""
    monkeypatch.setenv("SCHEMAC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(load, "_PARALLEL_BYTES", 0)
    sources = [(p.name, p.read_text()) for p in sorted((ROOT / "schema").glob("*.schema"))]
    assert len(sources) > 4
    outcomes = load._parse_many(sources, use_cache=True)
    for (name, text), outcome in zip(sources, outcomes, strict=True):
        plain = parse_source(text, name)
        assert not isinstance(outcome, CompileError)
        assert outcome.tables == plain.tables and outcome.enums == plain.enums
        assert [t.span for t in outcome.tables] == [t.span for t in plain.tables]
        cached = load._cache_get(name, text)
        assert cached is not None and cached.tables == plain.tables


def test_a_file_parsed_in_pieces_is_cached_and_read_back_as_its_plain_parse(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEMAC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(load, "_PIECE_BYTES", 2000)
    monkeypatch.setattr(load, "_PARALLEL_BYTES", 0)
    text = _one_big_file()
    (parsed,) = load.parse_sources([("big.schema", text)])
    cached = load._cache_get("big.schema", text)
    plain = parse_source(text, "big.schema")
    assert cached is not None
    for got in (parsed, cached):
        assert got.tables == plain.tables and got.enums == plain.enums
        assert [(t.section, t.span) for t in got.tables] == [
            (t.section, t.span) for t in plain.tables]
    # a damaged entry is a miss, never an error
    (entry,) = (tmp_path / "cache" / "parse").rglob("*.pickle")
    entry.write_bytes(entry.read_bytes()[:-100])
    assert load._cache_get("big.schema", text) is None


def test_cache_returns_what_was_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEMAC_CACHE_DIR", str(tmp_path / "cache"))
    first, _ = load.load_schema(ROOT / "schema")
    assert any((tmp_path / "cache" / "parse").rglob("*.pickle"))
    second, _ = load.load_schema(ROOT / "schema")
    assert first == second
    assert [t.span for t in first.tables] == [t.span for t in second.tables]


@pytest.mark.parametrize("parallel", [False, True], ids=["one process", "parse workers"])
def test_the_parse_cache_keeps_the_last_two_versions_of_a_file(
        parallel: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEMAC_CACHE_DIR", str(tmp_path / "cache"))
    if parallel:
        monkeypatch.setattr(load, "_PARALLEL_BYTES", 0)
    d = tmp_path / "schema"
    d.mkdir()
    (d / "other.schema").write_text("table other {\n  id int primary key\n}\n")
    edited = d / "edited.schema"
    versions = [f"table edited {{\n  id int primary key\n  v{i} text\n}}\n" for i in range(5)]

    def entries() -> set[str]:
        return {p.name for p in (tmp_path / "cache" / "parse").rglob("*.pickle")}

    seen: list[set[str]] = []
    for text in versions:
        edited.write_text(text)
        load.load_schema(d)
        seen.append(entries())
    # the other file's entry, and the edited file's last two versions: never one per edit
    assert all(len(s) == 3 for s in seen[1:])
    assert seen[-1] - seen[-2] and seen[-1] & (seen[-2] - seen[0])
    # an edit undone still finds its parse
    edited.write_text(versions[-2])
    load.load_schema(d)
    assert entries() == seen[-1]


def test_entries_of_the_earlier_cache_layout_are_removed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEMAC_CACHE_DIR", str(tmp_path / "cache"))
    load._old_layout_removed.cache_clear()
    parse = tmp_path / "cache" / "parse"
    (parse / "by-file").mkdir(parents=True)
    (parse / "by-file" / ("0" * 32)).write_text("a" * 64 + ".pickle")
    (parse / "ab").mkdir()
    (parse / "ab" / ("ab" + "0" * 62 + ".pickle")).write_bytes(b"old")
    load.load_schema(ROOT / "schema")
    assert not (parse / "by-file").exists() and not (parse / "ab").exists()
    assert len(list(parse.rglob("*.pickle"))) == len(list((ROOT / "schema").glob("*.schema")))
