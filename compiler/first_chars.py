"""The characters a regular expression's match can start with, and a lexer split by them.

Contract: `first_chars(pattern, flags)` is a set of ASCII characters that holds the first
character of every non-empty match of `pattern`, or None when no such set was worked out
(the expression may match the empty string, or uses a construct not analysed here): None
always means "any character". `ByFirstChar(terminals, ...)[ch]` is the match function of
the alternation of only those `terminals` whose first characters may include `ch`, in their
order; for any text whose token starts with `ch` it finds what the alternation of all of
them finds, as a terminal that cannot start with `ch` cannot match there.

Why: Python's `re` tries an alternation's branches one by one, and a parser state's lexer
has up to 55 terminals; most are keywords or punctuation that fail on the first character.
Looking the branches up by that character first halved the time the parse spends matching.
The analysis reads `re`'s own parse of the expression (`re._parser`, the module behind
`re.compile` since Python 3.11); anything it does not know makes the answer None, which
costs only speed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

try:  # `re`'s own modules, private: a Python without them only loses the speed
    from re import _constants as sre
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - present from Python 3.11 to at least 3.13
    sre = sre_parse = None

_ASCII = frozenset(chr(i) for i in range(128))
_DIGITS = frozenset("0123456789")
_SPACES = frozenset(" \t\n\r\f\v")
_WORD = frozenset(ch for ch in _ASCII if ch.isalnum() or ch == "_")
_CATEGORIES = {} if sre is None else {
    sre.CATEGORY_DIGIT: _DIGITS, sre.CATEGORY_NOT_DIGIT: _ASCII - _DIGITS,
    sre.CATEGORY_SPACE: _SPACES, sre.CATEGORY_NOT_SPACE: _ASCII - _SPACES,
    sre.CATEGORY_WORD: _WORD, sre.CATEGORY_NOT_WORD: _ASCII - _WORD,
}


class _NotAnalysed(Exception):
    pass


def first_chars(pattern: str, flags: int = 0) -> frozenset[str] | None:
    if sre_parse is None:  # pragma: no cover
        return None
    try:
        parsed = sre_parse.parse(pattern, flags)
        chars, may_be_empty = _sequence(parsed.data,
                                        bool(parsed.state.flags & re.IGNORECASE))
    except (_NotAnalysed, re.error, KeyError, TypeError, ValueError):
        return None
    return None if may_be_empty else frozenset(chars)


# Each part of the parsed expression gives (characters it can start with, whether it can
# match the empty string: then what follows it can start the match too).
_Start = tuple[set[str], bool]


def _sequence(items: Any, ignore_case: bool) -> _Start:
    out: set[str] = set()
    for op, arg in items:
        chars, may_be_empty = _item(op, arg, ignore_case)
        out |= chars
        if not may_be_empty:
            return out, False
    return out, True


def _item(op: Any, arg: Any, ignore_case: bool) -> _Start:
    if op is sre.LITERAL:
        return _cased({chr(arg)}, ignore_case), False
    if op is sre.NOT_LITERAL:
        return set(_ASCII - _cased({chr(arg)}, ignore_case)), False
    if op is sre.ANY:
        return set(_ASCII), False
    if op is sre.IN:
        return _class(arg, ignore_case), False
    if op is sre.BRANCH:
        out: set[str] = set()
        may_be_empty = False
        for alternative in arg[1]:
            chars, empty = _sequence(alternative, ignore_case)
            out |= chars
            may_be_empty = may_be_empty or empty
        return out, may_be_empty
    if op is sre.SUBPATTERN:
        _group, add, remove, items = arg
        return _sequence(items, (ignore_case or bool(add & re.IGNORECASE))
                         and not remove & re.IGNORECASE)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        least, _most, items = arg
        chars, empty = _sequence(items, ignore_case)
        return chars, empty or least == 0
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return set(), True  # takes no character: what follows starts the match
    raise _NotAnalysed(op)


def _class(items: Any, ignore_case: bool) -> set[str]:
    chars: set[str] = set()
    negate = False
    for op, arg in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            chars.add(chr(arg))
        elif op is sre.RANGE:
            chars |= {chr(i) for i in range(arg[0], min(arg[1], 127) + 1)}
        elif op is sre.CATEGORY:
            chars |= _CATEGORIES[arg]
        else:
            raise _NotAnalysed(op)
    chars = _cased(chars & _ASCII, ignore_case)
    return set(_ASCII - chars) if negate else chars


def _cased(chars: set[str], ignore_case: bool) -> set[str]:
    if not ignore_case:
        return chars & _ASCII
    return {c for ch in chars for c in (ch.lower(), ch.upper())} & _ASCII


Match = Callable[[str, int], Any]
Terminal = tuple[str, str]  # (name, regular expression)


class ByFirstChar(dict[str, Match]):
    """A lexer's match function for each first character, made when that character is
    first met (compiling the alternations costs about 10 ms in a process). `prefix` is put
    before the alternation (the blanks a lexer matches with its tokens); then the character
    looked up must be the one after those blanks, and `full` (the alternation of every
    terminal) is used for a blank. A character outside ASCII uses `full` too."""

    def __init__(self, terminals: Sequence[Terminal], flags: int, full: Match,
                 prefix: str = "", blanks: str = "",
                 made: dict[tuple[str, ...], Match] | None = None, split: bool = True) -> None:
        super().__init__()
        # not `split`: `full` for every character (a lexer not worth its alternations)
        self._terminals = [(name, regexp, _first_chars_of(regexp, flags) if split else None)
                           for name, regexp in terminals]
        self._flags = flags
        self._full = full
        self._prefix = prefix
        self._blanks = blanks
        # the alternations made, by (prefix, names): lexers of many states share them
        self._made = {} if made is None else made

    def __missing__(self, ch: str) -> Match:
        found = self._full
        if len(ch) == 1 and ch in _ASCII and ch not in self._blanks:
            kept = [(name, regexp) for name, regexp, first in self._terminals
                    if first is None or ch in first]
            if len(kept) < len(self._terminals):
                found = self._alternation(kept)
        self[ch] = found
        return found

    def _alternation(self, kept: list[Terminal]) -> Match:
        key = (self._prefix, str(self._flags), *(name for name, _ in kept))
        if key not in self._made:
            if not kept:
                self._made[key] = _no_match
            else:
                # as Lark writes a scanner's expression, with only these terminals
                either = "|".join(f"(?P<{name}>{regexp})" for name, regexp in kept)
                self._made[key] = re.compile(f"{self._prefix}(?:{either})", self._flags).match
        return self._made[key]


def _no_match(_text: str, _pos: int) -> None:
    return None


@functools.cache
def _first_chars_of(regexp: str, flags: int) -> frozenset[str] | None:
    return first_chars(regexp, flags)
