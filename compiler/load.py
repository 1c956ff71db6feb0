"""Read a schema directory: find `.schema` files, parse each (through a content-hash cache),
and compile them into one `ir.Schema`.

Contract: `load_schema(path)` returns `(schema, warnings)`. Problems with the files themselves
(a missing directory, an unreadable or non-UTF-8 file) raise `UserError`; problems in their
text raise one `CompileError` holding the diagnostics of every file.

The cache lives outside the repository (`$XDG_CACHE_HOME/schemac`, or `SCHEMAC_CACHE_DIR`),
keyed by the file's path, its bytes, the grammar and the compiler version, so an edit to one
file of a large schema re-parses that file alone.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path

from compiler import __version__, cache
from compiler.errors import CompileError, Diagnostic, UserError
from compiler.ir import Schema
from compiler.parse import ParsedFile, grammar_text, parse_source, parser
from compiler.validate import compile_files


def load_schema(path: Path | str, *, use_cache: bool = True) -> tuple[Schema, list[Diagnostic]]:
    files = schema_files(Path(path))
    sources = [(_display(f), read_text(f)) for f in files]
    results: dict[str, ParsedFile | CompileError] = {}
    misses: list[tuple[str, str]] = []
    for name, text in sources:
        hit = _cache_get(name, text) if use_cache else None
        if hit is None:
            misses.append((name, text))
        else:
            results[name] = hit
    for (name, text), outcome in zip(misses, _parse_many(misses), strict=True):
        results[name] = outcome
        if use_cache and isinstance(outcome, ParsedFile):
            _cache_put(name, text, outcome)
    problems = [d for r in results.values() if isinstance(r, CompileError) for d in r.diagnostics]
    if problems:
        raise CompileError(problems)
    return compile_files([r for name, _ in sources if isinstance(r := results[name], ParsedFile)])


# Parsing is the costly pass (pure-Python LALR). A large schema is parsed in parallel: big
# files are cut at top-level declarations into pieces, and pieces go to one process per core.
_PARALLEL_BYTES = 384 * 1024  # below this, starting processes costs more than it saves
_PIECE_BYTES = 128 * 1024
_TOP_LEVEL = re.compile(r"(?:table|enum|domain|rows|extension|schema|section)\b|///")


def _parse_many(sources: list[tuple[str, str]]) -> list[ParsedFile | CompileError]:
    total = sum(len(t) for _, t in sources)
    workers = min(os.cpu_count() or 1, 8)
    if total < _PARALLEL_BYTES or workers < 2:
        return [_parse_or_error(name, text) for name, text in sources]
    jobs: list[tuple[int, str, str]] = []  # (source index, display name, piece text)
    for i, (name, text) in enumerate(sources):
        for piece in split_pieces(text):
            jobs.append((i, name, piece))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork")  # workers inherit the loaded grammar
    parser()  # build (or load) the grammar once, before the fork
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        outcomes = list(pool.map(_parse_piece, [(n, p) for _, n, p in jobs], chunksize=1))
    by_source: dict[int, list[ParsedFile | CompileError]] = {}
    for (i, _, _), outcome in zip(jobs, outcomes, strict=True):
        by_source.setdefault(i, []).append(outcome)
    results: list[ParsedFile | CompileError] = []
    for i, (name, text) in enumerate(sources):
        pieces = by_source[i]
        if any(isinstance(p, CompileError) for p in pieces):
            # report against the whole file, exactly as a plain parse would
            results.append(_parse_or_error(name, text))
        else:
            results.append(merge_pieces(name, [p for p in pieces if isinstance(p, ParsedFile)]))
    return results


def _parse_piece(job: tuple[str, str]) -> ParsedFile | CompileError:
    return _parse_or_error(*job)


def _parse_or_error(name: str, text: str) -> ParsedFile | CompileError:
    try:
        return parse_source(text, name)
    except CompileError as err:
        return err


def split_pieces(text: str) -> list[str]:
    """Cut a file before unindented top-level declarations (and the `///` lines that document
    them), into pieces of about _PIECE_BYTES. Each piece is prefixed with as many newlines as
    precede it, so line numbers in diagnostics and spans stay those of the file. A piece
    always starts a new `section` scope only where the file has a `section` line; the merge
    carries the section across the other cuts."""
    if len(text) <= _PIECE_BYTES:
        return [text]
    lines = text.splitlines(keepends=True)
    pieces: list[str] = []
    start = 0
    size = 0
    previous = ""
    for i, line in enumerate(lines):
        if size >= _PIECE_BYTES and _TOP_LEVEL.match(line) and not previous.startswith("///"):
            pieces.append("\n" * start + "".join(lines[start:i]))
            start, size = i, 0
        size += len(line)
        previous = line
    pieces.append("\n" * start + "".join(lines[start:]))
    return pieces


def merge_pieces(name: str, pieces: list[ParsedFile]) -> ParsedFile:
    """Join the pieces of one file. A table before the first `section` line of its piece
    belongs to the section in force where the piece was cut."""
    import dataclasses

    out = ParsedFile(name)
    current: str | None = None
    for p in pieces:
        out.tables += [dataclasses.replace(t, section=current) if t.section is None else t
                       for t in p.tables]
        for field in ("namespaces", "extensions", "enums", "domains", "rows", "type_uses",
                      "sequences", "functions", "views", "triggers", "policies"):
            getattr(out, field).extend(getattr(p, field))
        out.sections += [sec for sec in p.sections if sec not in out.sections]
        current = p.last_section or current
    out.last_section = current
    return out


def schema_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.exists():
        raise UserError(f"schema directory {path} does not exist")
    if not path.is_dir():
        raise UserError(f"{path} is neither a directory nor a .schema file")
    files = sorted(p for p in path.rglob("*.schema") if p.is_file())
    if not files:
        raise UserError(f"no .schema files in {path}")
    return files


def read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except PermissionError:
        raise UserError(f"cannot read {path}: permission denied") from None
    except UnicodeDecodeError as err:
        raise UserError(f"{path} is not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise UserError(f"cannot read {path}: {err.strerror}") from None


def _display(path: Path) -> str:
    return os.path.relpath(path) if not path.is_absolute() or _under_cwd(path) else str(path)


def _cache_path(name: str, text: str) -> Path:
    key = hashlib.sha256(b"\0".join([_salt(), name.encode(), text.encode()])).hexdigest()
    return cache.cache_dir("parse") / key[:2] / f"{key}.pickle"


def _cache_get(name: str, text: str) -> ParsedFile | None:
    return cache.read(_cache_path(name, text), ParsedFile)


def parse_file(path: Path, *, use_cache: bool = True) -> ParsedFile:
    raw = read_text(path)
    name = _display(path)
    hit = _cache_get(name, raw) if use_cache else None
    if hit is not None:
        return hit
    result = parse_source(raw, name)
    if use_cache:
        _cache_put(name, raw, result)
    return result


def _cache_put(name: str, text: str, result: ParsedFile) -> None:
    cache.write(_cache_path(name, text), result)


def _under_cwd(path: Path) -> bool:
    try:
        path.resolve().relative_to(Path.cwd().resolve())
        return True
    except ValueError:
        return False


@functools.cache
def _salt() -> bytes:
    """Anything that changes what a parse produces: the grammar and the lowering code."""
    h = hashlib.sha256(f"{__version__}\0{grammar_text()}".encode())
    here = Path(__file__).resolve().parent
    for module in ("parse.py", "ir.py", "types.py", "names.py", "errors.py"):
        h.update((here / module).read_bytes())
    return h.digest()

