"""Escaping and anchors for the Markdown docs (`compiler.generators.markdown`): escaping
lives in one place, `code_span` for inline code, `table_cell` for Markdown table cells,
`prose` for names in headings and prose; `Anchors` makes explicit, unique HTML anchors.
"""

from __future__ import annotations

import functools
import re

_BACKTICK_RUNS = re.compile(r"`+")
_LINE_BREAKS = re.compile(r"[ \t]*\r?\n[ \t]*")


@functools.cache  # a large schema repeats the same names, types and defaults many times
def code_span(text: str) -> str:
    """An inline code span that survives any content: the fence is one backtick longer than
    the longest run inside, and a space pads content that starts or ends with a backtick.
    Line breaks become spaces (a code span cannot hold one in a table cell)."""
    if "\n" in text:
        text = _LINE_BREAKS.sub(" ", text)
    if not text:
        return ""
    longest = 0
    if "`" in text:
        longest = max(len(m) for m in _BACKTICK_RUNS.findall(text))
    fence = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`") or (
        text.startswith(" ") and text.endswith(" ") and text.strip()
    ):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def table_cell(markdown: str) -> str:
    """A fragment made safe for one Markdown table cell: GFM splits cells on `|` before it
    parses code spans, so every pipe is escaped, and a line break would end the row."""
    markdown = markdown.strip()
    if "\n" in markdown:
        markdown = _LINE_BREAKS.sub("<br>", markdown)
    return markdown.replace("|", "\\|") if "|" in markdown else markdown


def table_row(cells: list[str]) -> str:
    """The cells as one Markdown table row, each made safe by `table_cell`. A large schema's
    docs are hundreds of thousands of rows, most of which hold neither a pipe nor a line
    break: those are checked once for the whole row and only stripped."""
    joined = "".join(cells)
    if "|" in joined or "\n" in joined:
        return " | ".join([table_cell(c) for c in cells])
    return " | ".join([c.strip() for c in cells])


_MD_SPECIAL = re.compile(r"([\\`*\[\]<>#])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def prose(name: str) -> str:
    """A name as plain Markdown text (headings, link labels): escape what would start
    emphasis, code, links or HTML. Intraword underscores (`user_roles`) need no escape."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), name)


# --- anchors ---------------------------------------------------------------------------------


def anchor_slug(name: str) -> str:
    return _NOT_SLUG.sub("-", name.lower()).strip("-") or "x"


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class Anchors:
    """Explicit HTML anchors, so links never depend on a renderer's heading-slug rules
    (GitHub and MkDocs differ) or collide when a section and a table share a name."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def copy(self) -> Anchors:
        """Anchors to make more with, leaving these as they are."""
        other = Anchors()
        other._taken = set(self._taken)
        return other

    def make(self, kind: str, name: str, slug: str | None = None) -> str:
        """A new anchor for `name`; `slug`: `anchor_slug(name)`, when already known."""
        anchor = base = f"{kind}-{slug if slug is not None else anchor_slug(name)}"
        n = 2
        while anchor in self._taken:
            anchor, n = f"{base}-{n}", n + 1
        self._taken.add(anchor)
        return anchor
