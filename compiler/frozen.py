"""`replace(obj, **changes)`: `dataclasses.replace` for the IR's frozen slots dataclasses,
without most of its cost; `constructor(cls)`: the class's constructor, positional, likewise.

Contract: the same result as `dataclasses.replace(obj, **changes)` (a new object, the
changed fields set, the others shared), and a `TypeError` for a name that is not a field.
`constructor(cls)(...)` is `cls(...)` (fields by position or by name, defaults as the class
has them) for a slots dataclass without `__post_init__`; no type is checked.

Why: `dataclasses.replace` looks the fields up on every call and builds the copy through the
generated `__init__`, which sets each field of a frozen class with `object.__setattr__`:
about 10 µs for a table. Lowering and validation replace every table about three times and
every foreign key once, and reading the cache makes every object of the IR again. Here each
class gets, once, a function that fills a new object as an instance of the class's mutable
twin (the same slots, so the same layout in memory), where setting a slot is an ordinary
attribute store, and then makes it an instance of the class itself (`__class__` assignment,
which Python allows between classes of the same layout): a 12-field column is made in a
quarter of the time of `dataclasses.replace`, and in half the time of setting each slot
through its descriptor. A class with a `__post_init__` or with fields left out of `__init__`
(none in the IR) would behave differently, so it goes through `dataclasses.replace`.
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
    namespace = _filling(cls, names)
    namespace.update({"names": frozenset(names), "slow": dataclasses.replace})
    body = "".join(namespace["store"](n, f"c[{n!r}] if {n!r} in c else obj.{n}")
                   for n in names)
    # a name that is not a field: dataclasses.replace raises the TypeError
    source = ("def copy(obj, c):\n"
              "    if not names.issuperset(c):\n"
              "        return slow(obj, **c)\n"
              "    o = new(made_as)\n"
              f"{body}"
              f"{namespace['finish']}"
              "    return o\n")
    exec(source, namespace)  # noqa: S102
    copy: Callable[[Any, dict[str, Any]], Any] = namespace["copy"]
    return copy


@functools.cache
def constructor(cls: type[T]) -> Callable[..., T]:
    """Made once per class: a function that fills a new object and gives it the class. It
    takes the fields as `cls` does (by position or by name; those with a default may be
    left out). Used where objects are made by the hundred thousand: spans and tables in the
    parser, and the cache's reading."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = [f.name for f in fields]
    namespace = _filling(cls, names)
    params, body = [], []
    defaulted = False  # a field with a default came before
    for f in fields:
        if f.default is not dataclasses.MISSING:
            defaulted = True
            namespace[f"default_{f.name}"] = f.default
            params.append(f"{f.name}=default_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            defaulted = True
            namespace[f"factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=missing")
            body.append(f"    if {f.name} is missing:\n        {f.name} = factory_{f.name}()\n")
        elif defaulted:  # a required field after one with a default (kw_only classes)
            params.append(f"{f.name}=missing")
            body.append(f"    if {f.name} is missing:\n"
                        f"        raise TypeError('missing argument: {f.name}')\n")
        else:
            params.append(f.name)
        body.append(namespace["store"](f.name, f.name))
    namespace["missing"] = dataclasses.MISSING
    exec(f"def make({', '.join(params)}):\n    o = new(made_as)\n{''.join(body)}"  # noqa: S102
         f"{namespace['finish']}    return o\n", namespace)
    make: Callable[..., T] = namespace["make"]
    return make


def _filling(cls: type, names: list[str]) -> dict[str, Any]:
    """What the generated code of `cls` needs: `new(made_as)` makes the object, `store(name,
    value)` writes the statement that sets a field, `finish` the one that makes it a `cls`.
    A class made directly from object is filled as its twin: a plain class with the same
    slots in the same order, whose instances have the same layout and can be given the
    class. A subclass (whose bases' slots the twin would lack) is filled through each slot's
    descriptor, which the frozen class's `__setattr__` does not stand in front of."""
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    if cls.__bases__ == (object,):
        slots = tuple(cls.__dict__["__slots__"])
        namespace["made_as"] = type(f"{cls.__qualname__}Twin", (),
                                    {"__slots__": slots, "__module__": __name__})
        namespace["store"] = lambda name, value: f"    o.{name} = {value}\n"
        namespace["finish"] = "    o.__class__ = cls\n"
    else:
        namespace["made_as"] = cls
        namespace.update({f"set_{n}": getattr(cls, n).__set__ for n in names})
        namespace["store"] = lambda name, value: f"    set_{name}(o, {value})\n"
        namespace["finish"] = ""
    return namespace
