"""`compiler.frozen.replace` must give what `dataclasses.replace` gives, and `constructor` what
the class itself makes, for every IR class."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from compiler import ir
from compiler.errors import Span
from compiler.frozen import constructor, replace
from compiler.load import load_schema

ROOT = Path(__file__).resolve().parent.parent


def _objects() -> list[object]:
    schema, _ = load_schema(ROOT / "schema", use_cache=False)
    out: list[object] = [schema, *schema.enums]
    for t in schema.tables:
        out += [t, t.name, *t.columns, *t.foreign_keys, *t.indexes, *t.checks, *t.uniques]
        if t.primary_key:
            out.append(t.primary_key)
    return out


def test_replace_is_dataclasses_replace() -> None:
    objects = _objects()
    assert {type(o) for o in objects} >= {ir.Table, ir.Column, ir.ForeignKey, ir.Index}
    for obj in objects:
        for f in dataclasses.fields(obj):  # type: ignore[arg-type]
            value = getattr(obj, f.name)
            changed = {f.name: None if value is not None else "x"}
            got = replace(obj, **changed)
            want = dataclasses.replace(obj, **changed)  # type: ignore[type-var]
            assert type(got) is type(want)
            assert all(getattr(got, g.name) == getattr(want, g.name)
                       for g in dataclasses.fields(want))
            assert got is not obj
        assert replace(obj) == obj


def test_a_field_that_does_not_exist_is_refused() -> None:
    span = Span("a.schema", 1, 1)
    with pytest.raises(TypeError):
        replace(span, nope=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        replace(span).line = 2  # type: ignore[misc]


def test_constructor_makes_what_the_class_makes() -> None:
    for obj in [*_objects(), Span("a.schema", 1, 2, 3, 4)]:
        values = [getattr(obj, f.name) for f in dataclasses.fields(obj)]  # type: ignore[arg-type]
        made = constructor(type(obj))(*values)
        assert type(made) is type(obj)
        assert made == obj and hash(made) == hash(obj)
        assert all(getattr(made, f.name) is getattr(obj, f.name)
                   for f in dataclasses.fields(obj))  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        constructor(Span)("a.schema", 1, 1, None, None).line = 2  # type: ignore[misc]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Base:
    a: int = 0


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Derived(_Base):
    b: str  # required, after a field with a default (as in the migration's ops)


def test_a_subclass_is_made_and_copied_like_the_class_makes_it() -> None:
    # a subclass has its bases' slots as well as its own: it cannot be filled as a twin
    made = constructor(_Derived)(1, "x")  # every field, in order, as the cache's reading does
    assert type(made) is _Derived and made == _Derived(a=1, b="x")
    assert replace(made, b="y") == _Derived(a=1, b="y")
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.a = 2  # type: ignore[misc]


def test_constructor_takes_fields_by_name_with_the_class_defaults() -> None:
    for obj in _objects():
        fields = dataclasses.fields(obj)  # type: ignore[arg-type]
        given = {f.name: getattr(obj, f.name) for f in fields
                 if f.default is dataclasses.MISSING or getattr(obj, f.name) != f.default}
        made = constructor(type(obj))(**given)
        assert made == obj and type(made) is type(obj)
    with pytest.raises(TypeError):
        constructor(_Derived)(a=1)  # `b` is required, though it comes after a default
    assert constructor(_Derived)(b="x") == _Derived(b="x")
