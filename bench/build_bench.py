"""`schemac build` benchmark: whole-process wall time and peak RSS, cold (empty cache) / warm
(nothing changed: every parse and, from 500 tables, the outputs come from the cache) / one
file of a many-file schema changed (a table in the middle, or one that many tables reference);
one file vs many files; and an in-process breakdown
(imports, grammar, parse, cache, validate, DDL, Markdown) measured in a fresh child process.

    .venv/bin/python bench/build_bench.py --quick       # smoke run, well under a minute
    .venv/bin/python bench/build_bench.py               # 17, 1,000 and 10,000 tables
    .venv/bin/python bench/build_bench.py --profile 1000  # + pyinstrument/cProfile reports
    .venv/bin/python bench/build_bench.py --against REV   # + REV's code, in turn with it

Results: printed as Markdown and saved to bench/.work/build_results.{md,json}; profiles to
bench/.work/profile-build-*.txt. Issue targets: 17 tables < 0.3 s (whole process); 10,000
tables < 5 s cold; < 1 s when one file of a many-file schema changed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    ROOT,
    SCHEMAC,
    WORK,
    Sample,
    base_env,
    command_line,
    export_snapshot,
    fresh_dir,
    machine,
    repeat,
    run,
    source_root,
    table,
    use_snapshot,
)
from gen_schema import write_schema

BUILD = WORK / "build"
# --against REV: that commit's code is timed too, taking turns with the code under test in
# every repeat, so that the machine's other work weighs on both alike
AGAINST: tuple[str, Path] | None = None
# --python PATH: the code under test is timed on these interpreters too, in turn with the
# default one ((label, their `schemac`)). How CPython was built weighs on a pure-Python
# compiler: Debian's 3.11 ran the parse 15% faster than pyenv's build of 3.11 (no
# --enable-optimizations, a shared libpython).
INTERPRETERS: list[tuple[str, str]] = []


def bundled(layout: str) -> Path:
    """The bundled schema/ (17 tables), copied so that edits never touch the checkout."""
    out = fresh_dir(BUILD / f"s17-{layout}")
    files = sorted((source_root() / "schema").glob("*.schema"))
    if layout == "one":
        (out / "schema.schema").write_text("\n".join(f.read_text() for f in files))
    else:
        for f in files:
            shutil.copy(f, out / f.name)
    return out


def schema_dir(n: int, layout: str) -> Path:
    if n == 17:
        return bundled(layout)
    d = BUILD / f"s{n}-{layout}"
    write_schema(d, n, one_file=(layout == "one"))
    return d


def edit_one_file(d: Path, i: int) -> None:
    """Change one table's description in one file (a different edit every time)."""
    files = sorted(d.glob("*.schema"))
    _edit_first_description(files[len(files) // 2], i)


def edit_a_referenced_table(d: Path, i: int) -> None:
    """Change a description of the first file's first table, which tables of many other
    files reference: their keys read its text, so they are compiled again too."""
    _edit_first_description(sorted(d.glob("*.schema"))[0], i)


def _edit_first_description(f: Path, i: int) -> None:
    text = f.read_text()
    pos = text.index("\n  /// ", text.index("table ")) + 3  # a column's description
    line_end = text.index("\n", pos)
    f.write_text(text[:pos] + f"/// edited description #{i}" + text[line_end:])


def build_cmd(d: Path, out: Path, schemac: str = SCHEMAC) -> list[str]:
    return [schemac, "build", "--schema", str(d), "--out", str(out)]


def interpreter(path: str) -> tuple[str, str]:
    """(label, `schemac` command) for the interpreter at `path`: a venv of its own under
    bench/.work/venvs with the project installed (its dependencies; the code run is still
    the snapshot's, first on PYTHONPATH), made on first use."""
    import hashlib

    real = os.path.realpath(shutil.which(path) or path)
    venv = WORK / "venvs" / hashlib.sha256(real.encode()).hexdigest()[:12]
    schemac = venv / "bin" / "schemac"
    if not schemac.exists():
        fresh_dir(venv)
        subprocess.run([real, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(ROOT)], check=True)
    about = (f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); "
             "import _common; print(_common.interpreter_about())")
    version = subprocess.run([str(venv / "bin" / "python"), "-c", about],
                             capture_output=True, text=True, check=True).stdout.strip()
    return f"python {version} at {real}", str(schemac)


def whole_process(n: int, layout: str, repeats: int, cases: list[str]) -> list[dict[str, object]]:
    d = schema_dir(n, layout)
    # (suffix of the case's name, environment, `schemac`): the code under test, then the
    # commit compared, then the other interpreters
    codes = [("", base_env(), SCHEMAC)]
    if AGAINST is not None:
        codes.append((f" (before: {AGAINST[0][:7]})",
                      {**base_env(), "PYTHONPATH": str(AGAINST[1])}, SCHEMAC))
    codes += [(f" ({label})", base_env(), schemac) for label, schemac in INTERPRETERS]
    rows: list[dict[str, object]] = []

    def runner(k: int, env: dict[str, str], schemac: str
               ) -> tuple[Path, Callable[[int], object]]:
        key = f"{n}-{layout}" + (f"-code{k}" if k else "")
        cache, out = BUILD / f"cache-{key}", BUILD / f"out-{key}"
        env = {**env, "SCHEMAC_CACHE_DIR": str(cache)}

        def one(_: int) -> object:
            r = run(build_cmd(d, out, schemac), env=env, timeout=1800)
            assert "tables)" in r.stdout, r.stdout
            return r

        return cache, one

    runners = [(tag, *runner(k, env, schemac)) for k, (tag, env, schemac) in enumerate(codes)]

    def record(case: str, s: Sample) -> None:
        cpu = statistics.median(s.cpus)
        rows.append({"tables": n, "layout": layout, "case": case, "median_s": s.median,
                     "spread": s.spread, "peak_rss_mb": s.peak_mb, "walls": s.walls,
                     "median_cpu_s": cpu, "cpus": s.cpus})
        print(f"  {n:>6} {layout:4} {case:12} {s.median:8.3f} s  {s.spread}  "
              f"{s.peak_mb:.0f} MB  cpu {cpu:.2f} s", flush=True)

    def in_turn(case: str, before: Callable[[int, Path], None] | None) -> None:
        samples = {tag: Sample() for tag, _, _ in runners}
        for i in range(repeats):
            for k, (tag, cache, one) in enumerate(runners):
                if before is not None:
                    before(i * len(runners) + k, cache)
                samples[tag].add(one(i))  # type: ignore[arg-type]
            if max(s.walls[-1] for s in samples.values()) > 60:
                break  # a case slower than a minute runs once
        for tag, _, _ in runners:
            record(case + tag, samples[tag])

    def empty_cache(_i: int, cache: Path) -> None:
        fresh_dir(cache)

    if "cold" in cases:
        in_turn("cold", empty_cache)
    else:
        for _, cache, one in runners:
            fresh_dir(cache)
            one(0)  # fill the cache
    if "warm" in cases:
        in_turn("warm", None)
    if "one-changed" in cases and layout == "many":
        in_turn("one-changed", lambda i, _cache: edit_one_file(d, i))
    if "referenced-changed" in cases and layout == "many":
        in_turn("referenced-changed", lambda i, _cache: edit_a_referenced_table(d, i))
    return rows


# --- in-process breakdown (runs in a fresh child so that imports are really cold) -----------


def child_breakdown(d: Path, out: Path) -> None:
    import resource

    t = [time.perf_counter()]
    import compiler.cli
    t.append(time.perf_counter())
    import compiler.build
    import compiler.generators.markdown
    import compiler.generators.sql
    import compiler.load
    import compiler.validate  # noqa: F401
    t.append(time.perf_counter())
    from lark import Lark

    from compiler import cache
    from compiler.memory import paused_gc
    from compiler.parse import grammar_text, lowering_parser, parse_source

    # what the first run on a machine pays (lowering_parser() below may find Lark's cache)
    Lark(grammar_text(), parser="lalr", lexer="contextual", keep_all_tokens=True,
         maybe_placeholders=False)
    t.append(time.perf_counter())
    lowering_parser()
    t.append(time.perf_counter())
    from compiler.load import load_schema, read_text, schema_files

    parsed = [parse_source(read_text(f), str(f)) for f in schema_files(d)]
    t.append(time.perf_counter())
    load_schema(d, use_cache=False)  # as `build` parses (possibly in parallel) + validate
    t.append(time.perf_counter())
    blobs = [cache.dumps(p) for p in parsed]
    t.append(time.perf_counter())
    with paused_gc():  # as load_schema reads the cache
        parsed = [cache.loads(b) for b in blobs]
    t.append(time.perf_counter())
    from compiler.validate import compile_files

    with paused_gc():
        schema, _warnings = compile_files(parsed)
    t.append(time.perf_counter())
    from compiler.build import build_outputs, ddl

    with paused_gc():
        sql = ddl(schema)
    t.append(time.perf_counter())
    from compiler.generators.markdown import render_markdown

    with paused_gc():
        md = render_markdown(schema)
    t.append(time.perf_counter())
    outputs = build_outputs(schema)  # not loaded by load_schema: never from the cache
    assert outputs == {"schema.sql": sql, "schema.md": md}
    t.append(time.perf_counter())
    out.mkdir(parents=True, exist_ok=True)
    (out / "schema.sql").write_text(sql)
    (out / "schema.md").write_text(md)
    t.append(time.perf_counter())
    # the rebuild after an edit: the build above left no parts, so one build first
    from compiler.build import _code_digest, build_directory
    from compiler.incremental import rebuild
    from compiler.load import read_sources

    build_directory(d)
    edit_one_file(d, 0)
    rebuild_phases: dict[str, float] = {}
    started = time.perf_counter()
    with paused_gc():
        rebuilt = rebuild(d, read_sources(d), _code_digest(), rebuild_phases)
    rebuild_phases["**rebuild in all (no imports, no writes)**"] = time.perf_counter() - started
    assert rebuilt is not None
    names = ["import cli (typer)", "import compiler (lark, jinja2)",
             "(grammar from scratch: first run on a machine)",
             "grammar (lowering_parser(), as a run with cache misses builds or loads it)",
             "parse, serial (parse_source per file: CPU cost)",
             "load_schema(use_cache=False) (parse as build does + validate)",
             "(cache.dumps: cache write)", "cache read (cache.loads)",
             "validate (compile_files)", "generate DDL (ddl)", "generate docs (render_markdown)",
             "build_outputs (DDL + docs as build renders them)", "write files"]
    phases = {k: t[i + 1] - t[i] for i, k in enumerate(names)}
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"phases": phases, "rebuild": rebuild_phases, "tables": len(schema.tables),
                      "columns": sum(len(x.columns) for x in schema.tables),
                      "source_mb": sum(f.stat().st_size for f in schema_files(d)) / 1e6,
                      "sql_mb": len(sql) / 1e6, "md_mb": len(md) / 1e6, "rss_mb": rss}))


def breakdown(n: int) -> dict[str, object]:
    d = schema_dir(n, "many")
    r = run([sys.executable, __file__, "--child-breakdown", str(d), str(BUILD / "out-bd")],
            env=base_env(SCHEMAC_CACHE_DIR=str(fresh_dir(BUILD / "cache-bd"))), timeout=3600)
    data: dict[str, object] = json.loads(r.stdout.strip().splitlines()[-1])
    data["process_wall_s"] = r.wall
    data["n"] = n
    phases = data["phases"]
    assert isinstance(phases, dict)
    print(f"  breakdown {n}: " + ", ".join(f"{k}={v:.3f}" for k, v in phases.items()), flush=True)
    return data


# --- profiles --------------------------------------------------------------------------------


def profile(n: int) -> None:
    """pyinstrument (if installed) and cProfile of an in-process cold build of n tables."""
    d = schema_dir(n, "many")
    code = (
        "import sys, os\n"
        "from compiler.load import load_schema\n"
        "from compiler.build import build_outputs\n"
        f"s, w = load_schema({str(d)!r}, use_cache=False)\n"
        "o = build_outputs(s)\n"
    )
    script = WORK / "profile_build.py"
    script.write_text(code)
    try:
        import pyinstrument  # noqa: F401

        out = WORK / f"profile-build-{n}-pyinstrument.txt"
        run([sys.executable, "-m", "pyinstrument", "--show-all", "-o", str(out), str(script)],
            env=base_env(), timeout=3600)
        print(f"  wrote {out}")
    except ImportError:
        print("  pyinstrument not installed: cProfile only")
    pstats_file = WORK / f"profile-build-{n}.pstats"
    run([sys.executable, "-m", "cProfile", "-o", str(pstats_file), str(script)], env=base_env(),
        timeout=3600)
    import io
    import pstats

    buf = io.StringIO()
    st = pstats.Stats(str(pstats_file), stream=buf)
    st.sort_stats("tottime").print_stats(30)
    st.sort_stats("cumulative").print_stats(45)
    out = WORK / f"profile-build-{n}-cprofile.txt"
    out.write_text(buf.getvalue())
    print(f"  wrote {out}")


# --- driver ----------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="17 and 100 tables, 3 repeats")
    ap.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=None,
                    help="table counts (17 = the bundled schema/), e.g. 17,1000,10000")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--profile", type=int, default=None, metavar="N",
                    help="also profile an in-process cold build of N tables")
    ap.add_argument("--no-breakdown", action="store_true")
    ap.add_argument("--many-files-only", action="store_true",
                    help="time the one-file layout only below 5,000 tables")
    ap.add_argument("--live", action="store_true",
                    help="benchmark the working tree instead of a snapshot of HEAD")
    ap.add_argument("--rev", default=None, help="benchmark this commit (default HEAD)")
    ap.add_argument("--against", default=None, metavar="REV",
                    help="also time this commit's code, in turn with the code under test")
    ap.add_argument("--python", action="append", default=[], metavar="PATH",
                    help="also time the code under test on this interpreter, in turn with "
                         "the default one (repeatable)")
    ap.add_argument("--child-breakdown", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_breakdown:
        child_breakdown(*args.child_breakdown)
        return 0

    sizes = args.sizes or ([17, 100] if args.quick else [17, 1000, 10000])
    repeats = args.repeats or (3 if args.quick else 5)
    BUILD.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    code = use_snapshot(args.live, args.rev)
    if args.against:
        global AGAINST
        AGAINST = export_snapshot(args.against)
        code += f"; compared in turn with commit {AGAINST[0][:10]}"
    INTERPRETERS.extend(interpreter(path) for path in args.python)
    for label, _ in INTERPRETERS:
        code += f"; also run on {label}"
    if args.live:
        # as a snapshot is: with PYTHONDONTWRITEBYTECODE set, every run would otherwise
        # compile the working tree's modules again (about 40 ms per process)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "compiler")],
                       check=True)
    print(f"machine: {machine()}\ncode: {code}", flush=True)

    floor = {}
    env = base_env()
    floor["python -c pass"] = repeat(lambda _: run([sys.executable, "-c", "pass"], env=env),
                                     repeats).median
    floor["python -c 'import compiler.cli'"] = repeat(
        lambda _: run([sys.executable, "-c", "import compiler.cli"], env=env), repeats).median
    floor["schemac --help"] = repeat(lambda _: run([SCHEMAC, "--help"], env=env), repeats).median
    for label, schemac in INTERPRETERS:
        floor[f"schemac --help ({label})"] = repeat(
            lambda _, schemac=schemac: run([schemac, "--help"], env=env), repeats).median
    print("  floor: " + ", ".join(f"{k}={v:.3f}" for k, v in floor.items()), flush=True)

    rows: list[dict[str, object]] = []
    for n in sizes:
        big = n >= 5000
        for layout in (["many"] if big and args.many_files_only else ["many", "one"]):
            cases = (["cold", "warm", "one-changed", "referenced-changed"] if layout == "many"
                     else ["cold", "warm"])
            rows += whole_process(n, layout, repeats, cases)
    breakdowns = [] if args.no_breakdown else [breakdown(n) for n in sizes]
    if args.profile:
        profile(args.profile)

    # --- report ---
    by = {(r["tables"], r["layout"], r["case"]): r for r in rows}
    small = by.get((17, "many", "warm")) or by.get((17, "many", "cold"))
    report = [f"Command: `{command_line()}`  ", f"Machine: {machine()}  ",
              f"Code under test: {code}  ",
              f"Total benchmark time: {time.perf_counter() - started:.0f} s", "",
              "Process floor (median): " + ", ".join(f"`{k}` {v:.3f} s" for k, v in floor.items()),
              "", "Whole process (`schemac build --schema DIR --out OUT`), median wall seconds:",
              ""]
    trows = []
    for r in rows:
        tag = str(r["case"]).partition(" ")[2]
        base = by.get((r["tables"], r["layout"], f"cold {tag}".strip()))
        ratio = f"{r['median_s'] / base['median_s']:.2f}" if base else ""
        per_table = 1000 * r["median_s"] / r["tables"]  # type: ignore[operator]
        trows.append([r["tables"], r["layout"], r["case"], r["median_s"], r["spread"], ratio,
                      f"{per_table:.2f}", f"{r['median_cpu_s']:.2f}",
                      f"{r['peak_rss_mb']:.0f}"])
    report.append(table(["tables", "files", "case", "median s", "min–max", "÷ cold",
                         "ms/table", "median CPU s", "peak RSS MB"], trows))
    if breakdowns:
        report += ["", ("In-process breakdown (fresh child process, parse without cache, "
                   "many-file layout), seconds:"), ""]
        names = list(breakdowns[0]["phases"])  # type: ignore[call-overload]
        head = ["phase"] + [f"{b['n']} tables" for b in breakdowns]
        brows = []
        for k in names:
            brows.append([k] + [f"{b['phases'][k]:.3f}" for b in breakdowns])  # type: ignore[index]
        brows.append(["**child wall (whole process)**"]
                     + [f"{b['process_wall_s']:.3f}" for b in breakdowns])
        brows.append(["peak RSS MB"] + [f"{b['rss_mb']:.0f}" for b in breakdowns])
        brows.append(["source MB / columns"] + [f"{b['source_mb']:.2f} / {b['columns']}"
                                                for b in breakdowns])
        report.append(table(head, brows))
        report += ["", "The rebuild after one file's edit, in the same child (in-process, "
                   "seconds; its phases as `compiler.incremental.rebuild` times them):", ""]
        rebuild_rows = []
        for k in breakdowns[0]["rebuild"]:  # type: ignore[attr-defined]
            label = re.sub(r"the \d+ tables", "the N tables", k)
            rebuild_rows.append([label] + [f"{b['rebuild'].get(k, 0.0):.3f}"  # type: ignore[attr-defined]
                                           for b in breakdowns])
        report.append(table(head, rebuild_rows))

    def verdict(label: str, value: float | None, limit: float) -> str:
        if value is None:
            return f"- {label}: not measured"
        ok = "MET" if value < limit else "NOT MET"
        return (f"- {label}: {value:.2f} s vs < {limit} s: **{ok}** "
                f"({value / limit:.1f}x the target)")

    cold10k = by.get((10000, "many", "cold"))
    cold10k_one = by.get((10000, "one", "cold"))
    one10k = by.get((10000, "many", "one-changed"))
    on_others = [verdict(f"{what} ({label})", r["median_s"], limit)  # type: ignore[arg-type]
                 for label, _ in INTERPRETERS
                 for what, n, case, limit in [("17 tables, whole process (warm)", 17, "warm", 0.3),
                                              ("10,000 tables cold", 10000, "cold", 5.0)]
                 if (r := by.get((n, "many", f"{case} ({label})"))) is not None]
    report += ["", "Targets:",
               verdict("17 tables, whole process (warm)", small["median_s"] if small else None,
                       0.3),
               verdict("10,000 tables cold", cold10k["median_s"] if cold10k else None, 5.0),
               verdict("10,000 tables cold, in one file",
                       cold10k_one["median_s"] if cold10k_one else None, 5.0),
               verdict("10,000 tables, one file changed", one10k["median_s"] if one10k else None,
                       1.0), *on_others]
    text = "\n".join(report) + "\n"
    print("\n" + text)
    (WORK / "build_results.md").write_text(text)
    (WORK / "build_results.json").write_text(json.dumps(
        {"floor": floor, "rows": rows, "breakdowns": breakdowns}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
