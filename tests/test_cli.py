"""`schemac build` and `schemac fmt` as a user runs them: a whole process, its exit code, what
it prints and what it leaves on disk. Bad input is one readable message and exit 2, never a
traceback; `--check` is exit 1 when the files on disk are stale."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def schemac(*args: str, cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCHEMAC_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], cwd=cwd, env=env,
                          stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the bundled schema/ (17 tables in six files), not yet built."""
    shutil.copytree(ROOT / "schema", tmp_path / "schema")
    return tmp_path


def test_build_writes_then_check_passes_and_unchanged_files_are_not_rewritten(
        project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    built = schemac("build", cwd=project, cache=cache)
    assert built.returncode == 0, built.stderr
    assert "(17 tables)" in built.stdout
    sql, md = project / "generated" / "schema.sql", project / "generated" / "schema.md"
    assert sql.read_text().startswith("--") and md.read_text().startswith("<!--")
    assert sql.read_bytes() == (ROOT / "generated" / "schema.sql").read_bytes()

    stamps = {p: p.stat().st_mtime_ns for p in (sql, md)}
    again = schemac("build", cwd=project, cache=cache)
    assert again.returncode == 0, again.stderr
    assert {p: p.stat().st_mtime_ns for p in (sql, md)} == stamps  # make-style tools rely on it

    checked = schemac("build", "--check", cwd=project, cache=cache)
    assert checked.returncode == 0, checked.stderr
    assert "up to date" in checked.stdout


@pytest.mark.parametrize("change", ["same size", "longer"])
def test_build_check_exits_1_on_a_stale_output_and_writes_nothing(
        change: str, project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert schemac("build", cwd=project, cache=cache).returncode == 0
    md = project / "generated" / "schema.md"
    text = md.read_text()
    # an edit that keeps the size must be found as surely as one that does not
    stale = text.replace("users", "usrrs", 1) if change == "same size" else text + "\nextra\n"
    assert stale != text
    md.write_text(stale)

    checked = schemac("build", "--check", cwd=project, cache=cache)
    assert checked.returncode == 1
    assert "stale" in checked.stderr and "schema.md" in checked.stderr
    assert "schema.sql" not in checked.stderr.split("stale", 1)[1]
    assert md.read_text() == stale  # --check writes nothing
    assert schemac("build", cwd=project, cache=cache).returncode == 0
    assert md.read_text() == text


def test_a_syntax_error_is_located_with_its_line_and_a_caret(project: Path,
                                                              tmp_path: Path) -> None:
    broken = project / "schema" / "zz_broken.schema"
    broken.write_text("table t {\n  id int not nul\n}\n")
    out = schemac("build", cwd=project, cache=tmp_path / "cache")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "schema/zz_broken.schema:2:" in out.stderr
    assert "  id int not nul" in out.stderr and "^" in out.stderr
    assert not (project / "generated").exists()


@pytest.mark.parametrize(("setup", "message"), [
    (lambda p: None, "schema directory nowhere does not exist"),
    (lambda p: (p / "nowhere").mkdir(), "no .schema files in nowhere"),
    (lambda p: ((p / "nowhere").mkdir(), (p / "nowhere" / "a.schema").write_bytes(b"\xff\xfe")),
     "is not UTF-8 text (byte 0)"),
], ids=["missing directory", "no schema files", "not UTF-8"])
def test_bad_input_is_one_line_and_exit_2(setup: object, message: str, project: Path,
                                          tmp_path: Path) -> None:
    setup(project)  # type: ignore[operator]
    out = schemac("build", "--schema", "nowhere", cwd=project, cache=tmp_path / "cache")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_fmt_check_exits_1_on_an_unformatted_file_and_fmt_fixes_it(project: Path,
                                                                   tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert schemac("fmt", "--check", "schema", cwd=project, cache=cache).returncode == 0
    f = sorted((project / "schema").glob("*.schema"))[0]
    formatted = f.read_text()
    f.write_text(formatted.replace("\n  ", "\n      ", 1))
    checked = schemac("fmt", "--check", "schema", cwd=project, cache=cache)
    assert checked.returncode == 1
    assert f.name in checked.stdout + checked.stderr
    assert schemac("fmt", "schema", cwd=project, cache=cache).returncode == 0
    assert f.read_text() == formatted


@pytest.mark.parametrize("command", ["diff", "apply", "check", "pull"])
def test_an_unreachable_server_is_one_line_with_the_password_masked(
        command: str, project: Path, tmp_path: Path) -> None:
    # port 1 on the loopback: refused at once, nothing listens there
    out = schemac(command, "--db", "postgresql://app:s3cret@127.0.0.1:1/prod", cwd=project,
                  cache=tmp_path / "cache")
    assert out.returncode == 2
    assert out.stderr.strip() == ("error: cannot connect to postgresql://app:***@127.0.0.1:1/"
                                  "prod: connection refused (is the server running?)")
    assert "s3cret" not in out.stdout + out.stderr
