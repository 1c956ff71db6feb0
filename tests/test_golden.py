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


@pytest.mark.db
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_ddl_applies(case: Path, fresh_db: str, psql_path: str) -> None:
    """Every golden DDL runs on a real, empty PostgreSQL under ON_ERROR_STOP."""
    import pgserver

    pgserver.apply_sql_file(psql_path, fresh_db, case / "expected.sql")


@pytest.mark.db
def test_generated_schema_applies(fresh_db: str, psql_path: str) -> None:
    import pgserver

    root = Path(__file__).resolve().parent.parent
    pgserver.apply_sql_file(psql_path, fresh_db, root / "generated" / "schema.sql")
