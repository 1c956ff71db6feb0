"""`squash` folds white space in SQL text; its shortcut for text with nothing to fold must
give what the character-by-character fold gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.parse import _strip_comments, fold_spaces, squash


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \t\n\r\f\v\xa0\u2003'\"ab(/-")), max_size=40))
def test_squash_takes_its_shortcut_only_where_nothing_would_change(text: str) -> None:
    stripped = text.strip()
    if "//" not in text and "--" not in text and "  " not in stripped \
            and stripped.isprintable():
        assert squash(text) == stripped == _squash_by_characters(text)
    assert squash(text) == _squash_by_characters(text)


def _squash_by_characters(sql: str) -> str:
    """`squash` without its shortcut."""
    return fold_spaces(_strip_comments(sql) if "//" in sql or "--" in sql else sql)
