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
    assert matches_sql("x", "^[0-9a-f]{64}$") == "(char_length(x) = 64 AND x ~ '^[0-9a-f]*$')"
    assert matches_sql("x", r"^\d{2,4}$") == r"(char_length(x) BETWEEN 2 AND 4 AND x ~ '^\d*$')"
    for kept in ("^sk_(live|test)_", "^[a-z]{300}$", "^[a-z]{3,2}$", "(?i)^[a-z]{2}$",
                 r"^[\d]{3}$", "^[[.a.]]{4}$"):
        assert matches_sql("x", kept) == f"(x ~ {quote_literal(kept)})"
