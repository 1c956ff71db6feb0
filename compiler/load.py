"""Read a schema directory: find `.schema` files, parse each (through a content-hash cache),
and compile them into one `ir.Schema`.

Contract: `load_schema(path)` returns `(schema, warnings)`. Problems with the files themselves
(a missing directory, an unreadable or non-UTF-8 file) raise `UserError`; problems in their
text raise one `CompileError` holding the diagnostics of every file.

The cache lives outside the repository (`$XDG_CACHE_HOME/schemac`, or `SCHEMAC_CACHE_DIR`),
keyed by the file's path, its bytes, the grammar and the compiler version, so an edit to one
file of a large schema re-parses that file alone; it keeps the last two versions of a file.
`read_sources` and `parse_sources` are the two halves of loading, for `build`, which looks
at the sources before it parses. Parsing and reading the cache run without the cyclic
collector (`compiler.memory`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import re
from pathlib import Path
from typing import NamedTuple

from compiler import __version__, cache, forked
from compiler.errors import CompileError, Diagnostic, UserError
from compiler.ir import Schema
from compiler.memory import paused_gc
from compiler.parsed import ParsedFile, grammar_text
from compiler.validate import compile_files


def load_schema(path: Path | str, *, use_cache: bool = True) -> tuple[Schema, list[Diagnostic]]:
    with paused_gc():
        return compile_files(parse_sources(read_sources(Path(path)), use_cache=use_cache))


def read_sources(path: Path) -> list[tuple[str, str]]:
    """(name as diagnostics show it, text) of every `.schema` file under `path`, in order."""
    return [(_display(f), read_text(f)) for f in schema_files(path)]


def parse_sources(sources: list[tuple[str, str]], *, use_cache: bool = True) -> list[ParsedFile]:
    """Each source parsed (or read back from the cache); one `CompileError` for them all."""
    with paused_gc():
        results: dict[str, ParsedFile | CompileError] = {}
        misses: list[tuple[str, str]] = []
        for name, text in sources:
            hit = _cache_get(name, text) if use_cache else None
            if hit is None:
                misses.append((name, text))
            else:
                results[name] = hit
        for (name, _), outcome in zip(misses, _parse_many(misses, use_cache), strict=True):
            results[name] = outcome
        problems = [d for r in results.values() if isinstance(r, CompileError)
                    for d in r.diagnostics]
        if problems:
            raise CompileError(problems)
        return [r for name, _ in sources if isinstance(r := results[name], ParsedFile)]


def source_key(name: str, text: str) -> str:
    """A file's identity for the caches: its name, its bytes and the compiler's parse salt."""
    return hashlib.sha256(b"\0".join([_salt(), name.encode(), text.encode()])).hexdigest()


# Parsing is the costly pass (pure-Python LALR). A large schema is parsed in parallel: big
# files are cut at top-level declarations into pieces, parsed by this process and a worker per
# other core. A worker hands its result back already in the cache's format, which is also the
# cheapest to read; a piece that is a whole file goes into the cache from whoever parsed it.
_PARALLEL_BYTES = 384 * 1024  # below this, starting processes costs more than it saves
_PIECE_BYTES = 128 * 1024
_TOP_LEVEL = re.compile(r"(?:table|enum|domain|rows|extension|schema|section)\b|///")


def _parse_many(sources: list[tuple[str, str]],
                use_cache: bool = False) -> list[ParsedFile | CompileError]:
    total = sum(len(t) for _, t in sources)
    workers = min(os.cpu_count() or 1, 8)
    if total < _PARALLEL_BYTES or workers < 2:
        return [_parse_and_store(name, text, use_cache) for name, text in sources]
    # (source, name, piece, its first line, cache path of a file in one piece, whether the
    # piece's bytes go into the cache entry of a file in several)
    jobs: list[tuple[int, str, str, int, str | None, bool]] = []
    for i, (name, text) in enumerate(sources):
        pieces = split_pieces(text)
        whole = use_cache and len(pieces) == 1
        for first_line, piece in pieces:
            jobs.append((i, name, piece, first_line,
                         str(_cache_path(name, text)) if whole else None,
                         use_cache and not whole))
    # This process parses too, beside a forked worker per other core (`forked.shared_work`):
    # the workers from the first piece on, this process from the last back. What it parses
    # is neither pickled to be handed over nor read back. The workers are forked before this
    # process loads the grammar: each loads it (from Lark's cache) at the same time.
    share = total // workers  # about what each process parses: a hint to the parser

    def parse(k: int, handed_over: bool) -> tuple[bytes | None, ParsedFile | CompileError]:
        """Piece k's parse, and its bytes in the cache's format where they are needed (to
        hand it over, to store a whole file, to join a file's entry); a whole file stored."""
        _, name, piece, first_line, cache_path, keep = jobs[k]
        outcome = _parse_or_error(name, piece, share, first_line)
        if isinstance(outcome, CompileError) or not (handed_over or cache_path or keep):
            return None, outcome
        data = cache.dumps(outcome)
        if cache_path is not None:
            _store(Path(cache_path), data)
        return data, outcome

    def here(k: int) -> tuple[bytes | None, ParsedFile | CompileError]:
        return parse(k, handed_over=False)

    def there(k: int) -> bytes:
        data, outcome = parse(k, handed_over=True)
        return pickle.dumps(outcome) if data is None else data  # an error: pickled as such

    def back(data: bytes) -> tuple[bytes | None, ParsedFile | CompileError]:
        outcome: ParsedFile | CompileError = cache.loads(data)
        return data, outcome

    outcomes = forked.shared_work(len(jobs), here, there, back, workers - 1)
    by_source: dict[int, list[tuple[bytes | None, ParsedFile | CompileError]]] = {}
    for k, (i, *_) in enumerate(jobs):
        by_source.setdefault(i, []).append(outcomes[k])
    results: list[ParsedFile | CompileError] = []
    for i, (name, text) in enumerate(sources):
        parsed = [outcome for _, outcome in by_source[i]]
        if any(isinstance(p, CompileError) for p in parsed):
            # report against the whole file, exactly as a plain parse would
            results.append(_parse_or_error(name, text))
        elif len(parsed) == 1:
            results.append(parsed[0])  # stored by whoever parsed it
        else:
            results.append(merge_pieces(name, [p for p in parsed if isinstance(p, ParsedFile)]))
            if use_cache:  # the pieces as they were pickled: `_cache_get` merges them
                entry = _Pieces(tuple(data for data, _ in by_source[i] if data is not None))
                _store(_cache_path(name, text), pickle.dumps(entry, pickle.HIGHEST_PROTOCOL))
    return results


class _Pieces(NamedTuple):
    """The cache entry of a file parsed in pieces: each piece's parse in the cache's format.
    Pickling the merged file again would take this process a quarter of a second at 10,000
    tables, with the other cores idle."""

    parts: tuple[bytes, ...]


def _parse_and_store(name: str, text: str, use_cache: bool) -> ParsedFile | CompileError:
    outcome = _parse_or_error(name, text)
    if use_cache and isinstance(outcome, ParsedFile):
        _cache_put(name, text, outcome)
    return outcome


def _parse_or_error(name: str, text: str, expected: int = 0, first_line: int = 1
                    ) -> ParsedFile | CompileError:
    from compiler.parse import parse_source

    try:
        return parse_source(text, name, expected=expected, first_line=first_line)
    except CompileError as err:
        return err


def split_pieces(text: str) -> list[tuple[int, str]]:
    """Cut a file before unindented top-level declarations (and the `///` lines that document
    them), into pieces of about _PIECE_BYTES, each with the number of its first line in the
    file (its spans are the file's). A piece always starts a new `section` scope only where
    the file has a `section` line; the merge carries the section across the other cuts."""
    if len(text) <= _PIECE_BYTES:
        return [(1, text)]
    lines = text.splitlines(keepends=True)
    pieces: list[tuple[int, str]] = []
    start = 0
    size = 0
    previous = ""
    for i, line in enumerate(lines):
        if size >= _PIECE_BYTES and _TOP_LEVEL.match(line) and not previous.startswith("///"):
            pieces.append((start + 1, "".join(lines[start:i])))
            start, size = i, 0
        size += len(line)
        previous = line
    pieces.append((start + 1, "".join(lines[start:])))
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
                      "sequences", "functions", "views", "triggers", "policies", "grants",
                      "table_sources"):
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
    """parse/<the file's path, hashed>/<its key>.pickle: one folder a file, holding the parses
    of its last versions."""
    where = hashlib.sha256(os.path.abspath(name).encode()).hexdigest()[:32]
    return cache.cache_dir("parse") / where / f"{source_key(name, text)}.pickle"


def cached_parse(name: str, text: str) -> ParsedFile:
    """The file's parse from the cache, else parsed now (and stored)."""
    hit = _cache_get(name, text)
    if hit is not None:
        return hit
    outcome = _parse_and_store(name, text, True)
    if isinstance(outcome, CompileError):
        raise outcome
    return outcome


def _cache_get(name: str, text: str) -> ParsedFile | None:
    found = cache.read(_cache_path(name, text), object)
    if isinstance(found, _Pieces):
        try:
            pieces = [cache.loads(data) for data in found.parts]
        except cache.UNREADABLE:
            return None
        if pieces and all(isinstance(p, ParsedFile) for p in pieces):
            return merge_pieces(name, pieces)
        return None
    return found if isinstance(found, ParsedFile) else None


def _cache_put(name: str, text: str, result: ParsedFile) -> None:
    _store(_cache_path(name, text), cache.dumps(result))


# The parse cache keeps the last few versions of each file, by its path: every edit of a file
# adds an entry (a megabyte or more for a large file), and a schema edited for months, or a
# new compiler (whose entries are keyed anew), would otherwise leave one behind each time.
# Two: an edit undone, or a switch to another branch and back, still finds its parse.
_VERSIONS_KEPT = 2


def _store(entry: Path, data: bytes) -> None:
    """Write `entry`, then remove the parses of the same file's older versions beyond the
    newest _VERSIONS_KEPT (newest by when they were written). The first build of a schema
    creates each file's folder and has nothing to remove: no more than one new folder and
    one new file a source file (creating files is most of what writing a cache costs). A race
    between two builds of the same file can only cost a parse again: entries are named by
    their content."""
    _old_layout_removed()
    try:
        entry.parent.mkdir(parents=True)
        new = True
    except FileExistsError:
        new = False
    except OSError:
        return  # a read-only cache directory only costs speed
    cache.write_bytes(entry, data)
    if new:
        return
    try:
        versions = [(p.stat().st_mtime_ns, p) for p in entry.parent.glob("*.pickle")]
    except OSError:
        return
    for _, old in sorted(versions, reverse=True)[_VERSIONS_KEPT:]:
        if old != entry:
            old.unlink(missing_ok=True)


@functools.cache
def _old_layout_removed() -> None:
    """Entries of an earlier layout (parse/<2 hex digits>/, with an index per file in
    parse/by-file/) are never read: remove them once, rather than leave them for good."""
    root = cache.cache_dir("parse")
    if not (root / "by-file").is_dir():
        return
    import shutil

    for old in [root / "by-file", *root.glob("[0-9a-f][0-9a-f]")]:
        shutil.rmtree(old, ignore_errors=True)


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
    for module in ("parse.py", "lalr.py", "frozen.py", "parsed.py", "parse_objects.py",
                   "parse_tables.py",
                   "objects.py", "cache.py", "ir.py", "types.py", "names.py", "errors.py"):
        h.update((here / module).read_bytes())
    return h.digest()

