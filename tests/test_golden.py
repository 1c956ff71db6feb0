"""Golden cases: each `tests/cases/<case>/input.schema` compiles to `expected.sql` and
`expected.md` byte for byte. `pytest --update-golden` rewrites the expectations."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.build import build_outputs
from compiler.load import load_schema

CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Path, request: pytest.FixtureRequest) -> None:
    schema, _warnings = load_schema(case / "input.schema", use_cache=False)
    outputs = build_outputs(schema)
    for name, text in outputs.items():
        expected = case / f"expected.{name.split('.')[-1]}"
        if request.config.getoption("update_golden"):
            expected.write_text(text, encoding="utf-8")
        assert expected.exists(), f"run pytest --update-golden to create {expected}"
        assert text == expected.read_text(encoding="utf-8"), f"{case.name}: {name} differs"
