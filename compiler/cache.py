"""The on-disk cache: where it lives and how entries are read and written.

Contract: `cache_dir(kind)` is `$SCHEMAC_CACHE_DIR/<kind>`, else
`$XDG_CACHE_HOME/schemac/<kind>` (`~/.cache/schemac/<kind>`), never inside the repository.
`read(path, cls)` returns the stored object when it is a `cls`, else None (a missing,
truncated or stale entry is a miss, never an error); `write(path, obj)` replaces the entry
atomically and ignores a cache it cannot write (that only costs speed). `dumps`/`loads` are
the entry format without the file, for handing results between processes.

The format is pickle, except that dataclasses with slots (the IR, spans, parsed files) are
stored as their field values and rebuilt by a generated positional constructor. Pickle's
default for them, `dataclasses._dataclass_setstate`, calls `fields()` once per object and
made reading a large schema's cache back slower than parsing a small one.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import os
import pickle
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from compiler.frozen import constructor

T = TypeVar("T")


def cache_dir(kind: str) -> Path:
    explicit = os.environ.get("SCHEMAC_CACHE_DIR")
    base = Path(explicit) if explicit else Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "schemac"
    return base / kind


def read(path: Path, cls: type[T]) -> T | None:
    try:
        value = loads(path.read_bytes())
    except (OSError, *UNREADABLE):
        return None
    return value if isinstance(value, cls) else None


# What reading a damaged or stale entry raises (TypeError: an entry of a class whose fields
# have changed since): a miss.
UNREADABLE = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError,
              ValueError, IndexError)


def write(path: Path, obj: object) -> None:
    write_bytes(path, dumps(obj))


def write_bytes(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: a concurrent reader never sees half a file
    except OSError:
        pass  # a read-only cache directory only costs speed


def dumps(obj: object) -> bytes:
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


def loads(data: bytes) -> Any:
    return pickle.loads(data)


# --- slots dataclasses as field values -------------------------------------------------------


class _Reducers(dict[type, Callable[[Any], tuple[Any, ...]]]):
    """Pickle's dispatch table, filled on first sight of each class: slots dataclasses get a
    reducer to (their constructor, field values); other classes pickle as usual."""

    def __missing__(self, cls: type) -> Callable[[Any], tuple[Any, ...]]:
        if not _eligible(cls):
            raise KeyError(cls)
        names = _field_names(cls)
        maker = getattr(_makers, _key(cls))
        namespace: dict[str, Any] = {"maker": maker}
        values = "".join(f"o.{n}, " for n in names)
        exec(f"def reduce(o):\n    return maker, ({values})\n", namespace)  # noqa: S102
        reducer: Callable[[Any], tuple[Any, ...]] = namespace["reduce"]
        self[cls] = reducer
        return reducer


class _Pickler(pickle.Pickler):
    dispatch_table = _Reducers()


class _Makers:
    """Positional constructors, found by pickle as `compiler.cache._makers.<key>`: built on
    first use in each process, from the class the key names."""

    def __getattr__(self, key: str) -> Callable[..., Any]:
        *module, qualname = key.split("__")
        if not module or module[0] != "compiler":  # e.g. a probe for `__deepcopy__`
            raise AttributeError(key)
        try:
            cls = getattr(importlib.import_module(".".join(module)), qualname)
        except (ImportError, AttributeError):
            raise AttributeError(key) from None
        if not isinstance(cls, type) or not _eligible(cls) or _key(cls) != key:
            raise AttributeError(key)
        # a function of its own (not the shared `frozen.constructor`): pickle finds it by name
        maker: Callable[..., Any] = _renamed(constructor(cls))
        maker.__qualname__ = f"_makers.{key}"
        maker.__module__ = __name__
        setattr(self, key, maker)
        return maker


_makers = _Makers()


def _renamed(function: Callable[..., Any]) -> Callable[..., Any]:
    return types.FunctionType(function.__code__, function.__globals__, function.__name__,
                              function.__defaults__)


def _eligible(cls: type) -> bool:
    return (dataclasses.is_dataclass(cls) and "__slots__" in cls.__dict__
            and cls.__module__.startswith("compiler.") and "." not in cls.__qualname__)


def _field_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _key(cls: type) -> str:
    return "__".join([*cls.__module__.split("."), cls.__qualname__])
