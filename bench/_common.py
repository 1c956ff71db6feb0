"""Helpers shared by the benchmark scripts: timing a child process (wall time and its own
peak RSS through os.wait4), medians, machine facts, Markdown tables."""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent  # the checkout
WORK = ROOT / "bench" / ".work"  # git-ignored scratch space
VENV_BIN = Path(sys.executable).parent
SCHEMAC = str(VENV_BIN / "schemac")


@dataclass
class Run:
    wall: float  # seconds
    maxrss_mb: float  # the child's own peak resident set size
    rc: int
    stdout: str = ""
    stderr: str = ""
    # CPU seconds (user + system) of the child and of the processes it waited for (workers,
    # forks): steadier than wall time when other jobs share the cores
    cpu: float = 0.0


def run(cmd: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
        check: bool = True, timeout: float | None = None) -> Run:
    """Run `cmd` as a whole process; wall time includes interpreter startup and imports."""
    import tempfile

    WORK.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=WORK) as fo, tempfile.TemporaryFile(dir=WORK) as fe:
        t0 = time.perf_counter()
        # cwd: not the checkout, whose compiler/ would shadow the snapshot for `python -m`/-c
        proc = subprocess.Popen(list(cmd), stdout=fo, stderr=fe, env=env, cwd=cwd or WORK)
        deadline = None if timeout is None else t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG if deadline else 0)
            if pid:
                break
            if deadline and time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - t0
        fo.seek(0)
        fe.seek(0)
        stdout = fo.read().decode(errors="replace")
        stderr = fe.read().decode(errors="replace")
    proc.returncode = os.waitstatus_to_exitcode(status)
    r = Run(wall, usage.ru_maxrss / 1024, proc.returncode, stdout, stderr,
            usage.ru_utime + usage.ru_stime)
    if check and r.rc != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.rc}:\n{r.stderr[-3000:]}\n"
                           f"{r.stdout[-2000:]}")
    return r


@dataclass
class Sample:
    """Repeated measurements of one case."""
    walls: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)

    def add(self, r: Run) -> None:
        self.walls.append(r.wall)
        self.rss.append(r.maxrss_mb)
        self.cpus.append(r.cpu)

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def spread(self) -> str:
        if len(self.walls) < 2:
            return "n=1"
        return f"{min(self.walls):.2f}–{max(self.walls):.2f} (n={len(self.walls)})"

    @property
    def peak_mb(self) -> float:
        return max(self.rss) if self.rss else 0.0


def repeat(fn: Callable[[int], Run], n: int, *, slow: float = 60.0,
           before: Callable[[int], None] | None = None) -> Sample:
    """Run fn(i) up to n times; a case slower than `slow` seconds runs once (noted n=1)."""
    s = Sample()
    for i in range(n):
        if before is not None:
            before(i)
        s.add(fn(i))
        if s.walls[-1] > slow:
            break
    return s


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def git_rev() -> str:
    try:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--",
                                "compiler", "grammar"],
                               capture_output=True, text=True, check=False).stdout.strip()
        return rev + (" + uncommitted changes in compiler/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine(pg_version: str | None = None) -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    import lark

    parts = [f"nproc {os.cpu_count()} ({cpu}), RAM {mem}",
             f"Python {interpreter_about()} at {os.path.realpath(sys.executable)}"
             f" ({platform.system()} {platform.release()})",
             f"lark {lark.__version__}", f"schemac {git_rev()}"]
    try:
        parts.append("load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3]))
    except OSError:
        pass
    if pg_version:
        parts.append(pg_version)
    return "; ".join(parts)


def interpreter_about() -> str:
    """This interpreter's version, and whether it runs from a shared libpython (calls into a
    shared library cost more than calls within one executable)."""
    try:
        shared = "libpython" in Path("/proc/self/maps").read_text()
    except OSError:
        shared = False
    return platform.python_version() + (", shared libpython" if shared else "")


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.3f}" if v < 10 else f"{v:.1f}"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def command_line() -> str:
    rel = os.path.relpath(sys.argv[0], ROOT)
    return " ".join([".venv/bin/python", rel, *sys.argv[1:]])


# --- the code under test: a snapshot of HEAD -------------------------------------------------
# Others commit to compiler/ while a benchmark runs; every process of one run must load the
# same code. By default the scripts export HEAD (`git archive`, read-only) to
# bench/.work/snapshot/<rev>/ and put it first on PYTHONPATH (it wins over the editable
# install's finder); --live benchmarks the working tree as it is instead.

SNAPSHOT: Path | None = None


def use_snapshot(live: bool, rev: str | None = None) -> str:
    """Select the code under test (a commit, HEAD by default); describe it for the report."""
    global SNAPSHOT
    if live:
        return f"working tree at {git_rev()}"
    rev, dest = export_snapshot(rev or "HEAD")
    SNAPSHOT = dest
    sys.path.insert(0, str(dest))
    for name in [m for m in sys.modules if m == "compiler" or m.startswith("compiler.")]:
        del sys.modules[name]
    return f"commit {rev[:10]} (snapshot in {dest.relative_to(ROOT)})"


def export_snapshot(rev: str) -> tuple[str, Path]:
    """(full hash, directory): commit `rev` exported read-only to bench/.work/snapshot/."""
    rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", rev],
                         capture_output=True, text=True, check=True).stdout.strip()
    dest = WORK / "snapshot" / rev[:12]
    if not (dest / "compiler" / "__init__.py").exists():
        tmp = dest.with_suffix(".tmp")
        fresh_dir(tmp)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tmp / "compiler")],
                       check=True)
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    return rev, dest


def source_root() -> Path:
    """Where the code under test lives (its schema/ is the bundled 17-table schema)."""
    return SNAPSHOT or ROOT


def base_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    if SNAPSHOT is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(SNAPSHOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    runtime = Path("/tmp/xdg")
    if not env.get("XDG_RUNTIME_DIR"):
        runtime.mkdir(mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = str(runtime)
    env.update(extra)
    return env


def med(xs: Sequence[float]) -> float | None:
    """The median, or None for no samples."""
    return statistics.median(xs) if xs else None


def spread(xs: Sequence[float]) -> str:
    """`min–max n=N` of the samples behind a median."""
    if not xs:
        return "—"
    return f"{min(xs):.2f}–{max(xs):.2f} n={len(xs)}" if len(xs) > 1 else "n=1"


def phase_timer(phases: dict[str, float]) -> Callable[[str, Callable[..., Any]],
                                                       Callable[..., Any]]:
    """`timed(name, fn)`: `fn`, adding the wall time of each call to `phases[name]`. The
    in-process breakdowns wrap a module's collaborators with it and call the code unchanged."""
    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            s = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - s
        return wrapper
    return timed


def child_json(cmd: Sequence[str], env: dict[str, str], timeout: float = 3600) -> tuple[Any, float]:
    """Run a child that prints one JSON value as its last line: (that value, its wall time)."""
    r = run(cmd, env=env, timeout=timeout)
    return json.loads(r.stdout.strip().splitlines()[-1]), r.wall
