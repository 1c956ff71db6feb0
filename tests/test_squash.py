"""`squash` folds white space in SQL text; its shortcut for text with nothing to fold must
give what the character-by-character fold gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.parse import _strip_comments, squash


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \t\n\r\f\v\xa0\u2003'\"ab(/-")), max_size=40))
def test_squash_takes_its_shortcut_only_where_nothing_would_change(text: str) -> None:
    stripped = text.strip()
    if "//" not in text and "--" not in text and "  " not in stripped \
            and stripped.isprintable():
        assert squash(text) == stripped == _squash_by_characters(text)
    assert squash(text) == _squash_by_characters(text)


def _squash_by_characters(sql: str) -> str:
    """`squash` without its shortcut, as it was written."""
    if "//" in sql or "--" in sql:
        sql = _strip_comments(sql)
    out: list[str] = []
    quote: str | None = None
    pending_space = False
    for ch in sql.strip():
        if quote:
            out.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch.isspace():
            pending_space = True
            continue
        if pending_space and out:
            out.append(" ")
        pending_space = False
        out.append(ch)
        if ch in "'\"":
            quote = ch
    return "".join(out)
