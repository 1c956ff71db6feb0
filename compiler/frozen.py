"""`replace(obj, **changes)`: `dataclasses.replace` for the IR's frozen slots dataclasses,
without most of its cost; `constructor(cls)`: the class's constructor, positional, likewise.

Contract: the same result as `dataclasses.replace(obj, **changes)` (a new object, the
changed fields set, the others shared), and a `TypeError` for a name that is not a field.
`constructor(cls)(*values)` is `cls(*values)` with a value for every field, in order, for a
slots dataclass without `__post_init__`; nothing is checked.

Why: `dataclasses.replace` looks the fields up on every call and builds the copy through the
generated `__init__`, which sets each field of a frozen class with `object.__setattr__`:
about 10 µs for a table. Lowering and validation replace every table about three times and
every foreign key once. Here each class gets, once, a function that sets the copy's slots
directly. A class with a `__post_init__` or with fields left out of `__init__` (none in the
IR) would behave differently, so it goes through `dataclasses.replace`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def replace(obj: T, /, **changes: Any) -> T:
    cls = obj.__class__
    try:
        copier = _copiers[cls]
    except KeyError:
        copier = _copiers[cls] = _copier(cls)
    result: T = copier(obj, changes)
    return result


_copiers: dict[type, Callable[[Any, dict[str, Any]], Any]] = {}


def _copier(cls: type) -> Callable[[Any, dict[str, Any]], Any]:
    fields = dataclasses.fields(cls) if dataclasses.is_dataclass(cls) else ()
    if (not fields or "__slots__" not in cls.__dict__ or hasattr(cls, "__post_init__")
            or not all(f.init for f in fields)):
        return lambda obj, changes: dataclasses.replace(obj, **changes)
    names = [f.name for f in fields]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls, "names": frozenset(names),
                                 "slow": dataclasses.replace}
    namespace.update({f"set_{n}": getattr(cls, n).__set__ for n in names})
    body = "".join(f"    set_{n}(new_obj, c[{n!r}] if {n!r} in c else obj.{n})\n" for n in names)
    # a name that is not a field: dataclasses.replace raises the TypeError
    source = ("def copy(obj, c):\n"
              "    if not names.issuperset(c):\n"
              "        return slow(obj, **c)\n"
              "    new_obj = new(cls)\n"
              f"{body}"
              "    return new_obj\n")
    exec(source, namespace)  # noqa: S102
    copy: Callable[[Any, dict[str, Any]], Any] = namespace["copy"]
    return copy


@functools.cache
def constructor(cls: type[T]) -> Callable[..., T]:
    """Made once per class: a function that sets each slot of a new object directly (a frozen
    class's `__init__` goes through `object.__setattr__`, about twice as slow). Used where
    objects are made by the hundred thousand: spans in the parser, and the cache's reading."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    namespace.update({f"set_{n}": getattr(cls, n).__set__ for n in names})
    body = "".join(f"    set_{n}(o, {n})\n" for n in names)
    exec(f"def make({', '.join(names)}):\n    o = new(cls)\n{body}    return o\n",  # noqa: S102
         namespace)
    make: Callable[..., T] = namespace["make"]
    return make
