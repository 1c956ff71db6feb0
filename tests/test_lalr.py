"""`compiler.lalr` runs the lowering parser's tables itself: it must parse exactly as Lark does.

For every input, the driver and Lark agree on whether the text is in the language, on every
token (type, value and offsets, which diagnostics and spans are made from)
and on the shape of the result: with callbacks that build a tree, the driver's tree equals
the tree `Lark.parse` builds. Inputs: the bundled schema, every `.schema` file of the tests,
a synthetic schema from the benchmark generator, texts the grammar generates (Hypothesis)
and near-miss text. `parse_source` on top of it is covered by the golden and error tests.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark, Token, Tree, UnexpectedInput

from compiler.lalr import Rejected, driver
from compiler.parse import lowering_parser, parser

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted([*(ROOT / "schema").glob("*.schema"), *(ROOT / "tests").rglob("*.schema")])


def _token(t: Token) -> tuple[Any, ...]:
    return (t.type, t.value, t.start_pos, t.end_pos)


def _lark() -> Lark:
    lark, _builder, _run = lowering_parser()
    return lark


def _tree_driver(blanks_after: int | None = None) -> Any:
    """The driver with callbacks that build the tree Lark builds, and collect the tokens."""
    seen: list[Token] = []

    def callback_for(name: str, _symbols: Any) -> Any:
        def build(children: list[Any]) -> Tree:
            seen.extend(c for c in children if isinstance(c, Token))
            return Tree(name, children)

        return build

    return driver(_lark(), callback_for, blanks_after), seen


def _lark_tokens(text: str) -> list[tuple[Any, ...]]:
    return [_token(t) for t in _lark().parse_interactive(text).iter_parse()]


def _same_as_lark(text: str) -> None:
    # with Lark's lexers (a small parse), and with those that match blanks with tokens
    _same_as_lark_with(text, None)
    _same_as_lark_with(text, 0)


def _same_as_lark_with(text: str, blanks_after: int | None) -> None:
    run, seen = _tree_driver(blanks_after)
    try:
        expected = _lark().parse(text)
    except UnexpectedInput:
        with pytest.raises(Rejected):
            run(text)
        return
    got = run(text)
    assert got == expected
    # every token ends up, once, among the children of a named rule
    assert sorted((_token(t) for t in seen), key=lambda t: t[2]) == _lark_tokens(text)
    assert [_token(t) for t in got.scan_values(lambda v: isinstance(v, Token))] == [
        _token(t) for t in expected.scan_values(lambda v: isinstance(v, Token))]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_files_parse_as_lark_parses_them(path: Path) -> None:
    _same_as_lark(path.read_text(encoding="utf-8").removeprefix("\ufeff"))


def test_a_synthetic_schema_parses_as_lark_parses_it() -> None:
    spec = importlib.util.spec_from_file_location("gen_schema", ROOT / "bench" / "gen_schema.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    _same_as_lark("\n".join(gen.block_text(b, 50, 1) for b in range(2)))


def test_a_process_told_it_will_parse_much_parses_as_lark_parses() -> None:
    """`run(text, expected)`: told that its process will parse megabytes, the driver uses
    its quickest lexers from the first text on, and still finds what Lark finds."""
    text = "\n".join(p.read_text(encoding="utf-8")
                     for p in sorted((ROOT / "schema").glob("*.schema")))
    run, _seen = _tree_driver()
    assert run(text, 10**8) == _lark().parse(text)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(from_lark(parser(strict=True), start="start"))
# a name reduced as soon as it is shifted: the word after it is still read in the context
# Lark reads it in, as `NAME` (then rejected), not as the keyword `on` and a name
@example('grant""onschema""toA\n')
def test_grammatical_text_parses_as_lark_parses_it(text: str) -> None:
    _same_as_lark(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("table{}()id int'\"\n\t ;,.-/:$abc123_")),
               max_size=80))
def test_any_text_is_accepted_or_rejected_as_lark_does(text: str) -> None:
    _same_as_lark(text)


_PIECES = ["table t {\n", "  id int primary key\n", "  name text not null default 'x'\n",
           "  /// doc\n", "  index (name) where deleted_at is null\n", "}\n",
           "enum e { a, b }\n", "  a int check (a > 0 and (b < 1))\n", "// comment\n", "\n",
           "  x jsonb default '{}'::jsonb\n", "view v as $$ select 1 $$\n",
           "  unique (a, b) nulls not distinct\n",
           "  Status \"Odd\".t[] references u on delete cascade\n"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12))
def test_near_miss_text_is_accepted_or_rejected_as_lark_does(pieces: list[str]) -> None:
    _same_as_lark("".join(pieces))

