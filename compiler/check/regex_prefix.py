"""The finite set of strings a start-anchored regular expression can begin with.

Contract: `literal_prefixes(pattern)` returns `Prefixes` when `pattern` is `^` followed by
atoms that each match one character out of a known set (`a`, `\\$`, `[aby]`, `[0-9a-f]`,
`\\d`), groups of alternatives `(live|test)` and bounded repetitions (`{2}`, `{1,3}`, `?`),
optionally ended by `$`, and spells at most `LIMIT` strings; otherwise None. Then
`value ~ pattern` holds exactly when `value` starts with one of `Prefixes.strings` (is one of
them, when `whole`), provided `exact`; when not exact (`\\d`, whose members beyond 0-9 depend
on the locale, was narrowed to 0-9), a value in the set surely matches and one outside it
may still match. Only ASCII is accepted, and only constructs PostgreSQL's ARE syntax reads
the same way under every locale and encoding: no embedded options, no complemented or
named classes, no escapes in brackets, no unbounded repetition, no bound it would reject.
A pure function of the pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

LIMIT = 1000  # strings; an IN list that long is still one hash probe per row
_MAX_BOUND = 255  # RE_DUP_MAX: PostgreSQL rejects larger bounds
_DIGITS = frozenset("0123456789")
_SPECIAL = frozenset("^$.[]()|*+?{}\\")


@dataclass(frozen=True, slots=True)
class Prefixes:
    strings: frozenset[str]
    whole: bool  # the pattern ends with $: a match is one of the strings, not just starts so
    exact: bool  # False: the strings surely match, but other values may match too


class _Unsupported(Exception):
    pass


def literal_prefixes(pattern: str) -> Prefixes | None:
    if not pattern.startswith("^"):
        return None
    try:
        parser = _Parser(pattern)
        strings = parser.sequence(1)
    except _Unsupported:
        return None
    return Prefixes(frozenset(strings), parser.whole, parser.exact)


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0
        self.whole = False
        self.exact = True

    def _peek(self) -> str:
        return self.p[self.i] if self.i < len(self.p) else ""

    def sequence(self, start: int, depth: int = 0) -> set[str]:
        """Atoms up to a `|` or `)` (inside a group) or the end of the pattern."""
        self.i = start
        acc = {""}
        while self.i < len(self.p):
            c = self.p[self.i]
            if c in "|)":
                if depth == 0:
                    raise _Unsupported  # ^a|b is (^a)|(b): the second branch is unanchored
                break
            if c == "$":
                if depth or self.i != len(self.p) - 1:
                    raise _Unsupported
                self.whole = True
                self.i += 1
                break
            atom = self._repeat(self._atom(depth))
            acc = {a + b for a in acc for b in atom}
            if len(acc) > LIMIT:
                raise _Unsupported
        return acc

    def _atom(self, depth: int) -> set[str]:
        c = self._peek()
        if c == "(":
            return self._group(depth)
        if c == "[":
            return self._bracket()
        if c == "\\":
            nxt = self.p[self.i + 1] if self.i + 1 < len(self.p) else ""
            self.i += 2
            if nxt == "d":
                self.exact = False  # [[:digit:]]: 0-9, and more in some locales
                return set(_DIGITS)
            if _printable(nxt) and not nxt.isalnum():
                return {nxt}  # an escaped punctuation character stands for itself
            raise _Unsupported  # other escapes: classes, constraints, entries, back-refs
        if c in _SPECIAL or not _printable(c):
            raise _Unsupported
        self.i += 1
        return {c}

    def _group(self, depth: int) -> set[str]:
        start = self.i + 1
        if self.p.startswith("(?:", self.i):
            start = self.i + 3
        elif self.p.startswith("(?", self.i):
            raise _Unsupported  # embedded options or lookaround
        out = self._branch(start, depth)
        while self._peek() == "|":
            out |= self._branch(self.i + 1, depth)
        if self._peek() != ")":
            raise _Unsupported
        self.i += 1
        return out

    def _branch(self, start: int, depth: int) -> set[str]:
        out = self.sequence(start, depth + 1)
        if self.i == start:
            raise _Unsupported  # an empty branch: leave such patterns to PostgreSQL
        return out

    def _bracket(self) -> set[str]:
        j = self.i + 1
        if j < len(self.p) and self.p[j] == "^":
            raise _Unsupported  # a complement: every other character, not a finite set
        members: set[str] = set()
        first = j
        while True:
            if j >= len(self.p):
                raise _Unsupported
            c = self.p[j]
            if c == "]" and j > first:
                break
            if c in "[\\" or not _printable(c):
                raise _Unsupported  # classes, collating elements, escapes
            if c == "-" and j != first and self.p[j + 1:j + 2] != "]":
                raise _Unsupported  # a dash only as the first or last member
            if self.p[j + 1:j + 2] == "-" and self.p[j + 2:j + 3] not in ("]", ""):
                hi = self.p[j + 2]
                if not (c.isalnum() and hi.isalnum() and _printable(hi) and c <= hi):
                    raise _Unsupported  # only ranges between letters and digits
                # ranges are by code point when matching is case sensitive (ARE's range())
                members |= {chr(k) for k in range(ord(c), ord(hi) + 1)}
                j += 3
                continue
            members.add(c)
            j += 1
        self.i = j + 1
        return members

    def _repeat(self, atom: set[str]) -> set[str]:
        c = self._peek()
        if c == "?":
            self.i += 1
            counts = range(0, 2)
        elif c == "{":
            end = self.p.find("}", self.i)
            body = self.p[self.i + 1:end] if end > 0 else ""
            low_s, comma, high_s = body.partition(",")
            if not _number(low_s) or not (_number(high_s) if comma else not high_s):
                raise _Unsupported  # {n,} is unbounded; anything else is no bound
            low, high = int(low_s), int(high_s) if comma else int(low_s)
            if not low <= high <= _MAX_BOUND:
                raise _Unsupported
            self.i = end + 1
            counts = range(low, high + 1)
        elif c in ("*", "+"):
            raise _Unsupported
        else:
            return atom
        if self._peek() in ("?", "*", "+", "{"):
            raise _Unsupported  # a non-greedy or doubled quantifier
        out: set[str] = set()
        power = {""}  # the atom k times over
        for k in range(counts.stop):
            if k >= counts.start:
                out |= power
            if k + 1 < counts.stop:
                power = {a + b for a in power for b in atom}
                if len(power) > LIMIT:
                    raise _Unsupported
        if len(out) > LIMIT:
            raise _Unsupported
        return out


def _printable(c: str) -> bool:
    return len(c) == 1 and " " <= c <= "~"


def _number(s: str) -> bool:
    return s != "" and all(c in _DIGITS for c in s)
