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
import pickle
from pathlib import Path

from compiler import __version__
from compiler.errors import CompileError, Diagnostic, UserError
from compiler.ir import Schema
from compiler.parse import ParsedFile, grammar_text, parse_source
from compiler.validate import compile_files


def load_schema(path: Path | str, *, use_cache: bool = True) -> tuple[Schema, list[Diagnostic]]:
    files = schema_files(Path(path))
    parsed: list[ParsedFile] = []
    problems: list[Diagnostic] = []
    for f in files:
        try:
            parsed.append(parse_file(f, use_cache=use_cache))
        except CompileError as err:
            problems.extend(err.diagnostics)
    if problems:
        raise CompileError(problems)
    return compile_files(parsed)


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


def parse_file(path: Path, *, use_cache: bool = True) -> ParsedFile:
    raw = read_text(path)
    display = os.path.relpath(path) if not path.is_absolute() or _under_cwd(path) else str(path)
    if not use_cache:
        return parse_source(raw, display)
    key = hashlib.sha256(
        b"\0".join([_salt(), display.encode(), raw.encode()])
    ).hexdigest()
    cached = _cache_dir() / key[:2] / f"{key}.pickle"
    try:
        with cached.open("rb") as fh:
            result: ParsedFile = pickle.load(fh)
            return result
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    result = parse_source(raw, display)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cached)  # atomic: a concurrent reader never sees half a file
    except OSError:
        pass  # a read-only cache directory only costs speed
    return result


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


def _cache_dir() -> Path:
    explicit = os.environ.get("SCHEMAC_CACHE_DIR")
    base = Path(explicit) if explicit else Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "schemac"
    return base / "parse"
