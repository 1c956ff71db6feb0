"""The on-disk cache: where it lives and how entries are read and written.

Contract: `cache_dir(kind)` is `$SCHEMAC_CACHE_DIR/<kind>`, else
`$XDG_CACHE_HOME/schemac/<kind>` (`~/.cache/schemac/<kind>`), never inside the repository.
`read(path, cls)` returns the pickled object when it is a `cls`, else None (a missing,
truncated or stale entry is a miss, never an error); `write(path, obj)` replaces the entry
atomically and ignores a cache it cannot write (that only costs speed).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_dir(kind: str) -> Path:
    explicit = os.environ.get("SCHEMAC_CACHE_DIR")
    base = Path(explicit) if explicit else Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "schemac"
    return base / kind


def read(path: Path, cls: type[T]) -> T | None:
    try:
        with path.open("rb") as fh:
            value = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return value if isinstance(value, cls) else None


def write(path: Path, obj: object) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)  # atomic: a concurrent reader never sees half a file
    except OSError:
        pass  # a read-only cache directory only costs speed
