"""`value ~ pattern` as SQL, spelt so that PostgreSQL evaluates it fast.

Contract: `matches_sql(value, pattern)` returns an SQL boolean expression true exactly when
`value ~ pattern` is (NULL when `value` is NULL). Most patterns are returned as that very
test. Two common shapes are rewritten:
- a whole-string match of one character class repeated a counted number of times,
  `^[0-9a-f]{64}$`, `^\\d{5}$`, `^[A-Z]{2,3}$`. PostgreSQL's regex engine unrolls a counted
  repetition into one state per copy, which made `^[0-9a-f]{64}$` about ten times slower per
  row than `^[0-9a-f]*$`; the same strings are those of the right length (`char_length`, in
  characters, as the regex counts them; `octet_length` when the class holds only ASCII
  characters, one byte each in every server encoding) whose every character is in the class;
- a start-anchored pattern that can begin with only a few strings (`^sk_(live|test)_`,
  `^\\$2[aby]\\$\\d{2}\\$`, `compiler.check.regex_prefix`): a `LIKE 'sk\\_live\\_%'` per
  string when there are up to four, else its first characters in one hashed IN list per
  length. A regex call costs PostgreSQL 150-300 ns per row whatever the pattern (it converts
  the value to wide characters and builds the automaton's states afresh), a hashed IN probe
  about 50 ns, a prefix LIKE about 20. Both compare under the "C" collation, byte for byte,
  as the regex compares characters. When the strings are only those that surely match
  (`\\d` taken as 0-9), a value outside them is still asked of the regex: `CASE` keeps that
  order, which the planner would be free to change in an OR.
Anything else (embedded options, collating elements, escapes inside brackets, bounds
PostgreSQL would reject) is left as written.
"""

from __future__ import annotations

import re

from compiler.check.regex_prefix import Prefixes, literal_prefixes
from compiler.names import quote_literal

# a bracket expression: optional ^, optional leading ], then literal characters, ranges and
# [:class:] names; no backslash (an escape in ARE brackets) and no [. .] / [= =] elements
_BRACKET = r"\[\^?\]?(?:\[:[a-z]+:\]|[^\]\[\\])*\]"
_CLASS_ESCAPE = r"\\[dswDSW]"
_COUNTED = re.compile(rf"\^({_BRACKET}|{_CLASS_ESCAPE})\{{(\d{{1,3}})(,(\d{{0,3}}))?\}}\$")
_MAX_BOUND = 255  # RE_DUP_MAX: PostgreSQL rejects larger bounds, and so must we
_FEW = 4  # up to this many beginnings, a LIKE each; more, a hashed IN list per length


def matches_sql(value: str, pattern: str) -> str:
    m = _COUNTED.fullmatch(pattern)
    if m is not None:
        cls, low, comma, high = m.group(1), int(m.group(2)), m.group(3), m.group(4)
        top = low if comma is None else (int(high) if high else None)
        if low <= _MAX_BOUND and (top is None or low <= top <= _MAX_BOUND):
            if top == low:
                length = f"= {low}"
            elif top is None:
                length = f">= {low}"
            else:
                length = f"BETWEEN {low} AND {top}"
            starred = quote_literal(f"^{cls}*$")
            # a class of ASCII characters only: every match has one byte per character, and
            # octet_length reads the value's header where char_length walks it (on 64
            # characters, 130 ns a row of the 400 the test costs)
            size = "octet_length" if _ascii_class(cls) else "char_length"
            return f"({size}({value}) {length} AND {value} ~ {starred})"
    regex = f"({value} ~ {quote_literal(pattern)})"
    prefixes = literal_prefixes(pattern)
    if prefixes is None:
        return regex
    listed = _listed(value, prefixes)
    return listed if prefixes.exact else f"(CASE WHEN {listed} THEN true ELSE {regex} END)"


def _ascii_class(cls: str) -> bool:
    """A bracket of ASCII characters and ranges: not complemented, no named class (whose
    members, like those of \\d, \\s and \\w, depend on the locale)."""
    return cls.startswith("[") and not cls.startswith("[^") and "[" not in cls[1:] \
        and cls.isascii()


def _listed(value: str, p: Prefixes) -> str:
    """`value` is (whole) or starts with one of the strings, compared byte for byte."""
    if p.whole:
        return f"(({value}) COLLATE \"C\" IN ({_literals(p.strings)}))"
    # a string that starts with another of the set adds nothing
    starts = sorted(s for s in p.strings if not any(s[:k] in p.strings for k in range(len(s))))
    if len(starts) <= _FEW:
        # LIKE 'sk\_live\_%' stops at the first differing character: cheaper than cutting
        # the value with left() and hashing it, for a few strings
        tests = [f"({value}) COLLATE \"C\" LIKE {quote_literal(_like_prefix(s))}"
                 for s in starts]
    else:
        by_length: dict[int, list[str]] = {}
        for s in starts:
            by_length.setdefault(len(s), []).append(s)
        tests = [f"left({value}, {n}) COLLATE \"C\" IN ({_literals(by_length[n])})"
                 for n in sorted(by_length)]
    return f"({' OR '.join(tests)})"


def _like_prefix(s: str) -> str:
    """The LIKE pattern of the strings that start with `s` (backslash is LIKE's escape)."""
    return "".join("\\" + c if c in "\\%_" else c for c in s) + "%"


def _literals(strings: object) -> str:
    return ", ".join(quote_literal(s) for s in sorted(strings))  # type: ignore[call-overload]
