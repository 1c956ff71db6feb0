"""The built wheel, not only the editable checkout, carries the grammar, the catalog queries
and the templates: it is installed into a fresh virtual environment and `schemac build`
runs from it, outside the repository, on the bundled schema."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_installs_and_builds(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q",
                    "-w", str(wheels)], check=True, capture_output=True)
    wheel = next(wheels.glob("schemac-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    # the wheel alone (dependencies come from this interpreter's site-packages, which has
    # no copy of schemac on it: the editable install is a .pth hook PYTHONPATH skips)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True)
    site = sysconfig.get_paths()["purelib"]
    work = tmp_path / "work"
    work.mkdir()
    out = subprocess.run(
        [str(env_dir / "bin" / "schemac"), "build", "--schema", str(ROOT / "schema"),
         "--out", str(work / "generated")],
        cwd=work, capture_output=True, text=True, env={"PYTHONPATH": site, "HOME": str(work)},
        check=False)
    assert out.returncode == 0, out.stderr
    where = subprocess.run([str(py), "-c", "import compiler; print(compiler.__file__)"],
                           cwd=work, capture_output=True, text=True, env={"PYTHONPATH": site},
                           check=True).stdout
    assert str(env_dir) in where  # the wheel's copy ran, not the checkout
    built = (work / "generated" / "schema.sql").read_text()
    assert built == (ROOT / "generated" / "schema.sql").read_text()
    assert (work / "generated" / "schema.md").read_text() == (
        ROOT / "generated" / "schema.md").read_text()
