"""Pure diff tests: `tests/diff/<case>/{before,after}.schema` -> `expected.sql`, the plan with
destructive steps included (withheld ones are listed in the header when not allowed).
No database: `diff` is a pure function of two IRs. `pytest --update-golden` rewrites."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import ir
from compiler import ops as o
from compiler.diff import DiffOptions, diff
from compiler.generators.sql import render_script
from compiler.load import load_schema
from compiler.plan import make_plan

CASES = sorted(p for p in (Path(__file__).parent / "diff").iterdir() if p.is_dir())


def _load(path: Path) -> ir.Schema:
    return load_schema(path, use_cache=False)[0]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_diff_golden(case: Path, request: pytest.FixtureRequest) -> None:
    before, after = _load(case / "before.schema"), _load(case / "after.schema")
    text = render_script(make_plan(diff(before, after), live=bool(before.tables)),
                         title=case.name)
    expected = case / "expected.sql"
    if request.config.getoption("update_golden"):
        expected.write_text(text, encoding="utf-8")
    assert text == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_diff_of_a_schema_with_itself_is_empty(case: Path) -> None:
    for name in ("before.schema", "after.schema"):
        s = _load(case / name)
        assert [op for op in diff(s, s) if not isinstance(op, o.InsertRows)] == []


def test_destructive_steps_are_withheld_unless_allowed() -> None:
    case = Path(__file__).parent / "diff" / "drop_and_deprecate"
    ops = diff(_load(case / "before.schema"), _load(case / "after.schema"))
    safe = make_plan(ops)
    assert not any(op.destructive for op in safe.steps)
    assert {type(op) for op in safe.withheld} == {o.DropColumn, o.DropTable}
    allowed = make_plan(ops, allow_destructive=True)
    assert {type(op) for op in allowed.steps} >= {o.DropColumn, o.DropTable}


def test_deprecated_column_is_kept_unless_drop_deprecated() -> None:
    case = Path(__file__).parent / "diff" / "drop_and_deprecate"
    before, after = _load(case / "before.schema"), _load(case / "after.schema")
    kept = [op for op in diff(before, after) if isinstance(op, o.DropColumn)]
    assert [op.column for op in kept] == ["legacy_flag"]
    dropped = diff(before, after, DiffOptions(drop_deprecated=True))
    assert sorted(op.column for op in dropped if isinstance(op, o.DropColumn)) == [
        "legacy_flag", "theme_preference"]


def test_renames_come_from_hints_never_from_guesses() -> None:
    case = Path(__file__).parent / "diff" / "renames"
    before, after = _load(case / "before.schema"), _load(case / "after.schema")
    kinds = [type(op) for op in diff(before, after)]
    assert o.RenameTable in kinds and o.RenameColumn in kinds
    assert o.DropTable not in kinds and o.DropColumn not in kinds
    # without the hints the same change is a drop and a create, withheld by default
    import dataclasses

    unhinted = dataclasses.replace(after, tables=tuple(
        dataclasses.replace(t, renamed_from=None, columns=tuple(
            dataclasses.replace(c, renamed_from=None) for c in t.columns))
        for t in after.tables))
    plan = make_plan(diff(before, unhinted))
    assert {o.DropTable, o.DropColumn} <= {type(op) for op in plan.withheld}


def test_ops_are_ordered_by_phase() -> None:
    for case in CASES:
        ops = diff(_load(case / "before.schema"), _load(case / "after.schema"))
        phases = [op.phase for op in ops]
        assert phases == sorted(phases), case.name


# Squawk rules a schemac plan may raise, each for a documented reason (docs/migrations.md);
# everything else Squawk knows (require-concurrent-index-creation,
# constraint-missing-not-valid, disallowed-unique-constraint, require-timeout settings, ...)
# must stay silent on every migration schemac writes.
ACCEPTED_SQUAWK_RULES = {
    "adding-required-field": "flagged as a hazard of the same name in the plan",
    "changing-column-type": "a declared type change; flagged as a hazard in the plan",
    "renaming-table": "only from an explicit `renamed from` hint",
    "renaming-column": "only from an explicit `renamed from` hint",
    "renaming-object": "a constraint or index renamed with its table, definition unchanged",
    "ban-drop-constraint": "the NOT NULL helper check, a replaced constraint, or a removal "
                           "withheld until --allow-destructive",
    "ban-drop-default": "the declared schema has no default",
    "prefer-robust-stmts": "schemac re-plans from the catalog instead of re-running a script; "
                           "IF NOT EXISTS would keep an invalid index a failed build left",
    "prefer-bigint-over-int": "the column types are the user's declared choice",
    "prefer-bigint-over-smallint": "the column types are the user's declared choice",
    "prefer-text-field": "the column types are the user's declared choice",
    "prefer-timestamptz": "the declared type; `schemac build` warns about it",
    "prefer-identity": "serial is the user's declared choice",
    "ban-drop-view": "a view dropped only to be recreated around a change of a column it "
                     "reads (a removal is withheld until --allow-destructive)",
    "ban-drop-function": "a function whose result type changes is dropped and recreated "
                         "(CREATE OR REPLACE cannot change it); a removal is withheld until "
                         "--allow-destructive",
    "constraint-missing-not-valid": "only for an exclusion constraint, which PostgreSQL cannot "
                                    "add NOT VALID; flagged as a hazard in the plan",
    "require-concurrent-index-creation": "only on a materialized view created earlier in the "
                                         "same migration, which Squawk does not track",
}


# Raised only by plans made with --allow-destructive: without it these steps are withheld.
DESTRUCTIVE_SQUAWK_RULES = {
    "ban-drop-table": "drops run only with --allow-destructive",
    "ban-drop-column": "drops run only with --allow-destructive",
    "ban-drop-type": "the old copy of an enum swapped to remove values; only with "
                     "--allow-destructive",
}


def squawk_findings(paths: list[Path], accepted: set[str]) -> list[str]:
    import shutil
    import subprocess
    import sys

    exe = shutil.which("squawk") or str(Path(sys.executable).parent / "squawk")
    if not Path(exe).exists():
        pytest.skip("squawk (pip install squawk-cli) is not installed")
    run = subprocess.run([exe, "--reporter", "gcc", "--pg-version", "13.0",
                          "--exclude", ",".join(sorted(accepted)),
                          *map(str, paths)], capture_output=True, text=True, check=False)
    return [line for line in run.stdout.splitlines() if ": warning: " in line
            or ": error: " in line]


def test_squawk_accepts_every_migration(tmp_path: Path) -> None:
    for allow in (False, True):
        paths = []
        for case in CASES:
            before, after = _load(case / "before.schema"), _load(case / "after.schema")
            p = tmp_path / f"{case.name}-{allow}.sql"
            p.write_text(render_script(make_plan(diff(before, after), allow_destructive=allow,
                                                 live=bool(before.tables))))
            paths.append(p)
        accepted = set(ACCEPTED_SQUAWK_RULES) | (set(DESTRUCTIVE_SQUAWK_RULES) if allow else set())
        assert squawk_findings(paths, accepted) == []


def test_long_plans_commit_in_batches() -> None:
    """A fresh build of thousands of tables must not hold every lock in one transaction."""
    from compiler.generators.sql import MAX_STEPS_PER_TRANSACTION, units

    tables = tuple(ir.Table(name=ir.QName(name=f"t{i:04d}"),
                            columns=(ir.Column(name="id", type="integer", nullable=False),),
                            primary_key=ir.PrimaryKey(name=f"t{i:04d}_pkey", columns=("id",)))
                   for i in range(2 * MAX_STEPS_PER_TRANSACTION + 5))
    plan = make_plan(diff(ir.EMPTY, ir.Schema(tables=tables)))
    batches = units(plan)
    assert len(batches) == 3
    assert all(u.transactional and len(u.parts) <= MAX_STEPS_PER_TRANSACTION for u in batches)
    text = render_script(plan)
    assert text.count("BEGIN;") == 3 and text.count("COMMIT;") == 3


def test_the_script_runs_its_steps_in_the_transactions_apply_runs_them_in() -> None:
    """`render_script` groups steps into transactions by the rule `units` (what `apply`
    executes) follows: a long run of plain steps in batches, a step that cannot run in a
    transaction alone, a validation in a transaction of its own."""
    from compiler.generators.sql import MAX_STEPS_PER_TRANSACTION, units

    def table(i: int, **kw: object) -> ir.Table:
        return ir.Table(name=ir.QName(name=f"t{i:04d}"),
                        columns=(ir.Column(name="id", type="integer", nullable=False),
                                 ir.Column(name="ref", type="integer")),
                        primary_key=ir.PrimaryKey(name=f"t{i:04d}_pkey", columns=("id",)),
                        **kw)  # type: ignore[arg-type]

    before = ir.Schema(tables=(table(0), table(1)))
    changed = table(1, indexes=(ir.Index(name="t0001_ref_idx", elements=(
        ir.IndexElement(column="ref"),)),), foreign_keys=(ir.ForeignKey(
            name="t0001_ref_fkey", columns=("ref",), ref_table=ir.QName(name="t0000"),
            ref_columns=("id",)),))
    after = ir.Schema(tables=(table(0), changed, *(table(i) for i in range(
        2, MAX_STEPS_PER_TRANSACTION + 40))))
    plan = make_plan(diff(before, after), live=True)
    expected = [(u.transactional, "\n".join(s for _, stmts in u.parts for s in stmts))
                for u in units(plan)]
    assert any(not t for t, _ in expected) and sum(t for t, _ in expected) >= 3

    found: list[tuple[bool, str]] = []
    current: list[str] | None = None
    for line in render_script(plan).splitlines():
        if line == "BEGIN;":
            current = []
        elif line == "COMMIT;":
            assert current is not None
            found.append((True, "\n".join(current)))
            current = None
        elif line.startswith(("--", "SET ")) or not line:
            continue
        elif current is not None:
            current.append(line)
        elif found and not found[-1][0] and not line[0].isupper():
            found[-1] = (False, found[-1][1] + "\n" + line)  # a statement's next line
        else:
            found.append((False, line))
    assert found == expected
