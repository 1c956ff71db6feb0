"""Expectations' regular expressions: the fast spelling matches exactly what PostgreSQL's
own `~` matches, asked of a real server (Hypothesis)."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.check.regex import matches_sql
from compiler.names import quote_literal

pytestmark = pytest.mark.db

_CLASSES = ["[0-9a-f]", "[A-Z]", r"\d", r"\w", r"\s", r"\D", "[^@]", "[]a]", "[[:alpha:]]",
            "[a-c_]", "[^[:space:]]"]
_BOUNDS = st.one_of(
    st.integers(0, 6).map(lambda n: f"{{{n}}}"),
    st.integers(0, 6).map(lambda n: f"{{{n},}}"),
    st.tuples(st.integers(0, 5), st.integers(0, 4)).map(lambda p: f"{{{p[0]},{p[0] + p[1]}}}"))
_PATTERNS = st.one_of(
    st.tuples(st.sampled_from(_CLASSES), _BOUNDS).map(lambda p: f"^{p[0]}{p[1]}$"),
    # shapes left as written: not anchored, two classes, a bound PostgreSQL refuses
    st.sampled_from(["[0-9a-f]{2}", "^[a-f]{2}[0-9]{1}$", "^a{2}$", "(?i)^[a-z]{2}$"]))
_TEXT = st.text(alphabet="abcfz0189AZ@]_ \n\té", max_size=9)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(_PATTERNS, st.lists(_TEXT, min_size=1, max_size=12))
def test_rewritten_patterns_match_what_postgresql_matches(pg_dsn: str, pattern: str,
                                                           values: list[str]) -> None:
    rows = ", ".join([*(f"({quote_literal(v)})" for v in values), "(NULL)"])
    sql = (f"SELECT v ~ {quote_literal(pattern)}, {matches_sql('v', pattern)} "
           f"FROM (VALUES {rows}) AS t(v)")
    with psycopg.connect(pg_dsn) as conn:
        got = conn.execute(sql.encode()).fetchall()
    assert [a for a, _ in got] == [b for _, b in got], (pattern, values)


def test_counted_class_is_rewritten_and_the_rest_left_alone() -> None:
    assert matches_sql("x", "^[0-9a-f]{64}$") == "(octet_length(x) = 64 AND x ~ '^[0-9a-f]*$')"
    assert matches_sql("x", "^[^@]{2}$") == "(char_length(x) = 2 AND x ~ '^[^@]*$')"
    assert matches_sql("x", "^[[:alpha:]]{2}$") == \
        "(char_length(x) = 2 AND x ~ '^[[:alpha:]]*$')"
    assert matches_sql("x", r"^\d{2,4}$") == r"(char_length(x) BETWEEN 2 AND 4 AND x ~ '^\d*$')"
    for kept in ("^[a-z]{300}$", "^[a-z]{3,2}$", "(?i)^[a-z]{2}$", r"^[\d]{3}$",
                 "^[[.a.]]{4}$"):
        assert matches_sql("x", kept) == f"(x ~ {quote_literal(kept)})"


# start-anchored patterns that can begin with only a few strings: each atom with strings it
# matches, so that many generated values match and many nearly do
_ATOMS = [("a", ["a"]), ("y", ["y"]), ("_", ["_"]), ("-", ["-"]), ("@", ["@"]), (" ", [" "]),
          ("%", ["%"]),
          ("2", ["2"]), (r"\$", ["$"]), (r"\.", ["."]), (r"\\", ["\\"]), (r"\(", ["("]),
          ("[aby]", ["a", "b", "y"]), ("[a-c_]", ["b", "_"]), ("[]a]", ["]", "a"]),
          ("[a-]", ["-"]), ("[0-9]", ["0", "9"]), (r"\d", ["0", "7", "٣", "²"]),
          ("(live|test)", ["live", "test"]), ("(?:a|bc)", ["a", "bc"]),
          ("(x[0-2]|y)", ["x1", "y"])]
_QUANTIFIERS = [("", 1), ("", 1), ("?", 0), ("{2}", 2), ("{0,2}", 1), ("{1,3}", 3)]
_NOISE = st.text(alphabet="aby2$._-x0%\\é٣Aａ \n", max_size=3)


@st.composite
def _prefix_cases(draw: st.DrawFn) -> tuple[str, list[str]]:
    parts = draw(st.lists(st.tuples(st.sampled_from(_ATOMS), st.sampled_from(_QUANTIFIERS)),
                          min_size=0, max_size=4))
    whole = draw(st.booleans())
    pattern = "^" + "".join(atom + q for (atom, _), (q, _) in parts) + ("$" if whole else "")
    values = []
    for _ in range(draw(st.integers(1, 6))):
        s = "".join(draw(st.sampled_from(examples)) * times
                    for (_, examples), (_, times) in parts)
        if draw(st.booleans()):  # a suffix, a missing or a changed character
            cut = draw(st.integers(0, len(s)))
            s = s[:cut] + draw(_NOISE) + s[cut + draw(st.integers(0, 1)):]
        values.append(s)
    return pattern, values


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(_prefix_cases())
def test_prefix_patterns_match_what_postgresql_matches(pg_dsn: str,
                                                       case: tuple[str, list[str]]) -> None:
    pattern, values = case
    rows = ", ".join([*(f"({quote_literal(v)})" for v in values), "(NULL)"])
    sql = (f"SELECT v, v ~ {quote_literal(pattern)}, {matches_sql('v', pattern)} "
           f"FROM (VALUES {rows}) AS t(v)")
    with psycopg.connect(pg_dsn) as conn:
        got = conn.execute(sql.encode()).fetchall()
    assert [(v, a) for v, a, _ in got] == [(v, b) for v, _, b in got], pattern


def test_prefix_patterns_are_listed_and_the_rest_left_alone() -> None:
    # a few beginnings: a LIKE each (LIKE's own wildcards and escape escaped); more: IN lists
    assert matches_sql("x", "^sk_(live|test)_") == \
        """((x) COLLATE "C" LIKE 'sk\\_live\\_%' OR (x) COLLATE "C" LIKE 'sk\\_test\\_%')"""
    assert matches_sql("x", r"^%\\") == """((x) COLLATE "C" LIKE '\\%\\\\%')"""
    assert matches_sql("x", "^[ab][ab]?c") == \
        """(left(x, 2) COLLATE "C" IN ('ac', 'bc') OR left(x, 3) COLLATE "C" IN ('aac', 'abc', \
'bac', 'bbc'))"""
    assert matches_sql("x", "^(a|b)$") == """((x) COLLATE "C" IN ('a', 'b'))"""
    # \d may hold more than 0-9 in some locales: the list only short-cuts the regex
    bcrypt = matches_sql("x", r"^\$2[aby]\$\d{2}\$")
    assert bcrypt.startswith("""(CASE WHEN (left(x, 7) COLLATE "C" IN ('$2a$00$', """)
    assert bcrypt.endswith(r"""THEN true ELSE (x ~ '^\$2[aby]\$\d{2}\$') END)""")
    assert bcrypt.count("'$2") == 300
    for kept in ("sk_", "^a|b", "^[^@]+@", "^a+", "^a*b", "^.b", "^[[:alpha:]]", r"^[\d]",
                 "^(?i)a", r"^\w", "^a{2,}", "^a{3,2}", "^a{256}", "^[a-z]{4}", "^a??",
                 "^[z-a]", "^[a-c-e]", "^é", "^a$b", "^(a", "^a)"):
        assert matches_sql("x", kept) == f"(x ~ {quote_literal(kept)})", kept
