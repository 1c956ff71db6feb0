"""Error cases: each `tests/errors/<case>.schema` fails to compile with exactly the rendered
diagnostics in `<case>.err` (path, line, column, source line, caret, hint).
`pytest --update-golden` rewrites the expectations."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.errors import CompileError, render
from compiler.load import load_schema

ERRORS = Path(__file__).parent / "errors"
CASES = sorted(ERRORS.glob("*.schema"))


def rendered(path: Path) -> str:
    with pytest.raises(CompileError) as info:
        load_schema(path, use_cache=False)
    diags = sorted(info.value.diagnostics, key=lambda d: (d.span.line, d.span.col)
                   if d.span else (0, 0))
    text = "\n".join(render(d) for d in diags) + "\n"
    return text.replace(str(path), path.name)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_error(case: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ERRORS)
    text = rendered(Path(case.name))
    expected = case.with_suffix(".err")
    if request.config.getoption("update_golden"):
        expected.write_text(text, encoding="utf-8")
    assert text == expected.read_text(encoding="utf-8")
