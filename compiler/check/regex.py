"""`value ~ pattern` as SQL, spelt so that PostgreSQL evaluates it fast.

Contract: `matches_sql(value, pattern)` returns an SQL boolean expression true exactly when
`value ~ pattern` is (NULL when `value` is NULL). Most patterns are returned as that very
test. One common shape is rewritten: a whole-string match of one character class repeated a
counted number of times, `^[0-9a-f]{64}$`, `^\\d{5}$`, `^[A-Z]{2,3}$`. PostgreSQL's regex
engine unrolls a counted repetition into one state per copy, which made `^[0-9a-f]{64}$`
about ten times slower per row than `^[0-9a-f]*$`; the same strings are those of the right
length (`char_length`, in characters, as the regex counts them) whose every character is in
the class. Anything else (embedded options, collating elements, escapes inside brackets,
bounds PostgreSQL would reject) is left as written.
"""

from __future__ import annotations

import re

from compiler.names import quote_literal

# a bracket expression: optional ^, optional leading ], then literal characters, ranges and
# [:class:] names; no backslash (an escape in ARE brackets) and no [. .] / [= =] elements
_BRACKET = r"\[\^?\]?(?:\[:[a-z]+:\]|[^\]\[\\])*\]"
_CLASS_ESCAPE = r"\\[dswDSW]"
_COUNTED = re.compile(rf"\^({_BRACKET}|{_CLASS_ESCAPE})\{{(\d{{1,3}})(,(\d{{0,3}}))?\}}\$")
_MAX_BOUND = 255  # RE_DUP_MAX: PostgreSQL rejects larger bounds, and so must we


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
            return f"(char_length({value}) {length} AND {value} ~ {starred})"
    return f"({value} ~ {quote_literal(pattern)})"
