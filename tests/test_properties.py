"""Properties of the compiler that hold for every input, not just the examples.

- Determinism: the same schema gives byte-identical output, and declaration order (tables
  shuffled across and within files) never changes the DDL or the docs.
- Robustness: any text the grammar can produce either compiles or fails with a
  `CompileError`; no other exception ever escapes (so no traceback reaches a user).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from compiler.build import build_outputs
from compiler.errors import CompileError
from compiler.parse import parse_source, parser
from compiler.validate import compile_files

ROOT = Path(__file__).resolve().parent.parent
SEED = sorted((ROOT / "schema").glob("*.schema"))


_STARTS = re.compile(r"(///|table |enum |rows |extension |domain |schema )")


def _blocks(text: str) -> list[str]:
    """Top-level declarations of a file, each with the doc comment above it: a block starts
    at an unindented declaration or `///` line that does not follow a `///` line."""
    blocks: list[list[str]] = [[]]
    previous = ""
    for line in text.splitlines():
        if _STARTS.match(line) and not previous.startswith("///"):
            blocks.append([])
        blocks[-1].append(line)
        previous = line
    return ["\n".join(b).strip("\n") + "\n" for b in blocks if "".join(b).strip()]


def _compile(files: dict[str, str]) -> dict[str, str]:
    parsed = [parse_source(text, name) for name, text in sorted(files.items())]
    schema, _ = compile_files(parsed)
    return build_outputs(schema)


def test_build_is_deterministic() -> None:
    files = {p.name: p.read_text() for p in SEED}
    assert _compile(files) == _compile(files)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_declaration_order_does_not_change_output(seed: int) -> None:
    rnd = random.Random(seed)
    files = {p.name: p.read_text() for p in SEED}
    reference = _compile(files)
    # sections are a file-level notion: keep each file's `section` line at its top, shuffle
    # the declarations below it, and move whole declarations to differently named files
    shuffled: dict[str, str] = {}
    for name, text in files.items():
        head, _, body = text.partition("\n")
        blocks = _blocks(body)
        rnd.shuffle(blocks)
        shuffled[f"{rnd.randint(0, 9)}-{name}"] = head + "\n\n" + "\n".join(blocks)
    out = _compile(shuffled)
    assert out["schema.sql"] == reference["schema.sql"]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(from_lark(parser(strict=True), start="start"))
def test_any_grammatical_text_compiles_or_fails_cleanly(text: str) -> None:
    try:
        parsed = parse_source(text, "fuzz.schema")
        schema, _ = compile_files([parsed])
        build_outputs(schema)
    except CompileError as err:
        assert err.diagnostics and all(d.message for d in err.diagnostics)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("table{}()id int'\"\n ;,.-/:abc123_")),
               max_size=80))
def test_any_text_compiles_or_fails_cleanly(text: str) -> None:
    try:
        compile_files([parse_source(text, "fuzz.schema")])
    except CompileError as err:
        d = err.diagnostics[0]
        assert d.span is None or d.span.line >= 1
