"""A lexer split by first character finds what the whole lexer finds: every terminal's first
characters hold the first character of each of its matches."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.first_chars import ByFirstChar, first_chars
from compiler.parse import parser

ROOT = Path(__file__).resolve().parent.parent
TERMINALS = [(t.name, t.pattern.to_regexp()) for t in parser().terminals]


def test_what_each_kind_of_expression_starts_with() -> None:
    assert first_chars(r"(?i:not)[ \t]+null") == {"n", "N"}
    assert first_chars(r"[eE]?'(?:[^']|'')*'") == {"e", "E", "'"}
    assert first_chars(r"[+-]?\d+") == set("+-0123456789")
    assert first_chars(r"(?!x)[a-c]|\s") == set("abc \t\n\r\f\v")
    assert first_chars(r"(?:\r?\n)+") == {"\r", "\n"}
    assert "(" not in (first_chars(r"[^()]+") or {"("})
    # the empty match, or a construct not analysed: any character
    assert first_chars(r"x*") is None
    assert first_chars(r"(a)\1") == {"a"}
    assert first_chars(r"(?P<x>a)?(?(x)b|c)") is None


@pytest.mark.parametrize(("name", "regexp"), TERMINALS, ids=[n for n, _ in TERMINALS])
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_match_starts_with_one_of_its_first_chars(name: str, regexp: str,
                                                       data: st.DataObject) -> None:
    first = first_chars(regexp)
    text = data.draw(st.from_regex(re.compile(regexp), fullmatch=True))
    if first is not None and text and text[0].isascii():
        assert text[0] in first, (name, text)


# the terminals a lexer that matches blanks with its tokens may have: none starts with a blank
NOT_BLANK = [(n, r) for n, r in TERMINALS if not (first_chars(r) or {" "}) & set(" \t\f")]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab(1 '/\n\tNn_x-", max_size=12), st.integers(0, 1))
def test_the_split_lexer_finds_what_the_whole_one_finds(text: str, blanked: int) -> None:
    prefix = "(?:[ \t\f]+)?" if blanked else ""
    terminals = NOT_BLANK if blanked else TERMINALS
    either = "|".join(f"(?P<{n}>{r})" for n, r in terminals)
    full = re.compile(f"{prefix}(?:{either})").match
    split = ByFirstChar(terminals, 0, full, prefix, " \t\f" if blanked else "")
    for pos in range(len(text)):
        first = text[pos]
        if blanked and first in " \t\f":
            first = text[pos + 1:pos + 2]
        got, want = split[first](text, pos), full(text, pos)
        assert (got and (got.lastgroup, got.end())) == (want and (want.lastgroup, want.end()))


def test_the_bundled_schema_is_lexed_alike_at_every_position() -> None:
    either = "|".join(f"(?P<{n}>{r})" for n, r in TERMINALS)
    full = re.compile(either).match
    split = ByFirstChar(TERMINALS, 0, full)
    for path in sorted((ROOT / "schema").glob("*.schema")):
        text = path.read_text()
        for pos in range(len(text)):
            got, want = split[text[pos]](text, pos), full(text, pos)
            assert (got and (got.lastgroup, got.end())) == (want and (want.lastgroup, want.end()))
