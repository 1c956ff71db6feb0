"""What parsing one `.schema` file yields, and the grammar's text: no parser needed.

Kept apart from `compiler.parse` so that reading parsed files back from the cache (the common
case: nothing changed) never imports Lark or builds the grammar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

from compiler import ir
from compiler.errors import Span


@dataclass(slots=True)
class ParsedFile:
    path: str
    namespaces: list[ir.Namespace] = field(default_factory=list)
    extensions: list[ir.Extension] = field(default_factory=list)
    enums: list[ir.Enum] = field(default_factory=list)
    domains: list[ir.Domain] = field(default_factory=list)
    tables: list[ir.Table] = field(default_factory=list)
    rows: list[ir.Rows] = field(default_factory=list)
    sequences: list[ir.Sequence] = field(default_factory=list)
    functions: list[ir.Function] = field(default_factory=list)
    views: list[ir.View] = field(default_factory=list)
    triggers: list[ir.Trigger] = field(default_factory=list)
    policies: list[ir.Policy] = field(default_factory=list)
    grants: list[ir.Grant] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    # written type names that validation must resolve (all but PostgreSQL's built-in types):
    # (type text, span)
    type_uses: list[tuple[str, Span]] = field(default_factory=list)
    last_section: str | None = None  # the section in force at the end of the file
    # one digest per table, of the text it was parsed from (`compiler.parse`): an unchanged
    # digest means an unchanged table, without comparing IR
    table_sources: list[bytes] = field(default_factory=list)


def grammar_text() -> str:
    """The grammar ships inside the package as `compiler/grammar/schema.lark` in a wheel, and
    as the top-level `grammar/` folder in a checkout."""
    packaged = resources.files("compiler").joinpath("grammar/schema.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    from pathlib import Path

    return (Path(__file__).resolve().parent.parent / "grammar" / "schema.lark").read_text(
        encoding="utf-8"
    )
