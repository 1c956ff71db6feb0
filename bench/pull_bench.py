"""`schemac pull` against migra's inspection (schemainspect) of the same database, side by side.

One embedded PostgreSQL 18 (`diff_bench.Server`, own data directory under
bench/.work/pull/, max_locks_per_transaction raised for the 5,000-table DDL). For each size
(1,000 and 5,000 tables; `--quick`: 1,000), gen_schema.py writes realistic `.schema` files,
`schemac build` compiles them (timed, for information), and `psql -f` loads the DDL into a
database. Then, timed as whole processes and interleaved (the order alternates per repeat):
  schemac: `schemac pull --db URL --out DIR --force`
  migra:   `python -c '...schemainspect.get_inspector(sqlbag.S(url))...'` in the migra venv
           (bench/.work/migra-venv, made by diff_bench.ensure_migra), which loads everything
           in its constructor; the script also touches .tables, .indexes, .constraints,
           .enums, .sequences, .functions, .views, .triggers, ... and prints their sizes.
Each process's peak RSS comes from os.wait4. The pulled files are checked for the table count.
After the timed runs, one more `schemac pull` in a fresh child is broken down by phase
(imports, connect, introspect, unmanaged, render, write).

    .venv/bin/python bench/pull_bench.py --quick      # 1,000 tables, 3 repeats
    .venv/bin/python bench/pull_bench.py              # 1,000 and 5,000 tables, 5 repeats

Target: schemac pull at least 5x faster than migra's inspection (ratio migra ÷ schemac >= 5).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    SCHEMAC,
    WORK,
    base_env,
    child_json,
    command_line,
    fresh_dir,
    machine,
    med,
    run,
    spread,
    table,
    use_snapshot,
)
from diff_bench import MIGRA_VENV, Server, ensure_migra  # noqa: E402
from gen_schema import write_schema  # noqa: E402

PULL = WORK / "pull"
INSPECT = """
import sys
from sqlbag import S
from schemainspect import get_inspector
with S(sys.argv[1]) as s:
    i = get_inspector(s)
    parts = {k: len(getattr(i, k)) for k in (
        "schemas", "tables", "views", "materialized_views", "selectables", "indexes",
        "constraints", "enums", "sequences", "functions", "triggers", "extensions",
        "privileges", "collations", "rlspolicies", "types", "domains")}
    print(" ".join(f"{k}={v}" for k, v in parts.items()))
"""


def pull_cmd(url: str, out: Path) -> list[str]:
    return [SCHEMAC, "pull", "--db", url, "--out", str(out), "--force"]


def migra_cmd(url: str) -> list[str]:
    return [str(MIGRA_VENV / "bin" / "python"), "-c", INSPECT, url]


def pulled_tables(out: Path) -> int:
    return sum(len(re.findall(r"^table ", p.read_text(), re.M)) for p in out.rglob("*.schema"))


def child_breakdown(url: str, out: str) -> None:
    """One `schemac pull` in this (fresh) process, phase by phase, as the CLI runs it."""
    t0 = time.perf_counter()
    import compiler.cli  # noqa: F401
    from compiler.db import connect
    from compiler.introspect import introspect, unmanaged
    from compiler.pull import SplitBy, pull_files

    phases = {"imports (cli, db, introspect, pull)": time.perf_counter() - t0}
    s = time.perf_counter()
    conn = connect(url, read_only=True)
    phases["connect"] = time.perf_counter() - s
    s = time.perf_counter()
    schema = introspect(conn, None)
    phases["introspect"] = time.perf_counter() - s
    s = time.perf_counter()
    unmanaged(conn, None)
    phases["unmanaged"] = time.perf_counter() - s
    conn.close()
    s = time.perf_counter()
    files = pull_files(schema, SplitBy.SCHEMA)
    phases["render .schema text (first use loads the parser for probes)"] = (
        time.perf_counter() - s)
    s = time.perf_counter()
    Path(out).mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (Path(out) / name).write_text(text, encoding="utf-8")
    phases["write"] = time.perf_counter() - s
    phases["total in process"] = time.perf_counter() - t0
    print(json.dumps(phases))


def breakdown(url: str, out: Path) -> dict[str, float]:
    phases, wall = child_json([sys.executable, __file__, "--child-breakdown", url, str(out)],
                              base_env())
    phases["whole child process (wall)"] = wall
    print("    breakdown: " + ", ".join(f"{k}={v:.3f}" for k, v in phases.items()), flush=True)
    return phases


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1,000 tables, 3 repeats")
    ap.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=None)
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--slow", type=float, default=120.0,
                    help="after a repeat whose slowest process took longer (s), stop")
    ap.add_argument("--live", action="store_true",
                    help="benchmark the working tree instead of a snapshot of HEAD")
    ap.add_argument("--rev", default=None)
    ap.add_argument("--tag", default="", help="suffix for the result files")
    ap.add_argument("--child-breakdown", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_breakdown:
        child_breakdown(*args.child_breakdown)
        return 0

    sizes = args.sizes or ([1000] if args.quick else [1000, 5000])
    repeats = args.repeats or (3 if args.quick else 5)
    started = time.perf_counter()
    code = use_snapshot(args.live, args.rev)
    migra_version = ensure_migra()
    fresh_dir(PULL)
    server = Server(PULL / "pg")
    print(f"machine: {machine(server.version)}\ncode: {code}\nmigra: {migra_version}",
          flush=True)
    results: list[dict[str, Any]] = []
    try:
        for n in sizes:
            sdir, gdir, out = PULL / f"s{n}", PULL / f"g{n}", PULL / f"pulled-{n}"
            write_schema(sdir, n)
            build = run([SCHEMAC, "build", "--schema", str(sdir), "--out", str(gdir)],
                        env=base_env(SCHEMAC_CACHE_DIR=str(PULL / "cache")), timeout=3600)
            db = f"p{n}"
            url = server.create(db)
            load = server.load(db, gdir / "schema.sql")
            print(f"  {n} tables: build {build.wall:.1f} s, psql -f {load.wall:.1f} s",
                  flush=True)
            res: dict[str, Any] = {"tables": n, "build_s": build.wall, "load_s": load.wall,
                                   "schemac": [], "migra": [], "schemac_rss": [],
                                   "migra_rss": []}
            env = base_env()
            for i in range(repeats):
                order = ["schemac", "migra"] if i % 2 == 0 else ["migra", "schemac"]
                for who in order:
                    if who == "schemac":
                        r = run(pull_cmd(url, out), env=env, timeout=3600)
                    else:
                        r = run(migra_cmd(url), env=env, timeout=3600)
                        res["migra_counts"] = r.stdout.strip()
                    res[who].append(r.wall)
                    res[f"{who}_rss"].append(r.maxrss_mb)
                print(f"    #{i}: schemac pull {res['schemac'][-1]:.2f} s "
                      f"({res['schemac_rss'][-1]:.0f} MB)  migra inspect "
                      f"{res['migra'][-1]:.2f} s ({res['migra_rss'][-1]:.0f} MB)", flush=True)
                if max(res["schemac"][-1], res["migra"][-1]) > args.slow:
                    break
            res["breakdown"] = breakdown(url, PULL / f"pulled-{n}-breakdown")
            res["pulled_tables"] = pulled_tables(out)
            res["pulled_files"] = len(list(out.rglob("*.schema")))
            res["ratios"] = [m / s for m, s in zip(res["migra"], res["schemac"], strict=True)]
            print(f"    pulled {res['pulled_tables']} tables in {res['pulled_files']} files; "
                  f"migra saw {res.get('migra_counts')}", flush=True)
            results.append(res)
            server.drop(db)
    finally:
        server.stop()

    rep = [f"Command: `{command_line()}`  ", f"Machine: {machine(server.version)}  ",
           f"Code under test: {code}  ", f"migra: {migra_version}  ",
           f"Total benchmark time: {time.perf_counter() - started:.0f} s", ""]
    rows = []
    for r in results:
        ratio = med(r["migra"]) / med(r["schemac"])
        rows.append([f"{r['tables']:,}", f"{r['load_s']:.1f}",
                     f"{med(r['schemac']):.2f} ({spread(r['schemac'])})",
                     f"{med(r['migra']):.2f} ({spread(r['migra'])})", f"{ratio:.2f}",
                     f"{med(r['ratios']):.2f}", "MET" if ratio >= 5 else "NOT MET",
                     f"{max(r['schemac_rss']):.0f}", f"{max(r['migra_rss']):.0f}",
                     f"{r['pulled_tables']:,} in {r['pulled_files']} files"])
    rep.append(table(["tables", "psql -f load s", "schemac pull", "migra inspect",
                      "migra ÷ schemac (medians)", "median per-repeat ratio", "target ≥ 5",
                      "schemac peak MB", "migra peak MB", "tables pulled"], rows))
    for r in results:
        rep += ["", f"migra's inspector at {r['tables']:,} tables: {r.get('migra_counts')}"]
    if results:
        rep += ["", "In-process breakdown of one `schemac pull` (fresh child process), seconds:",
                ""]
        names = list(results[0]["breakdown"])
        rep.append(table(["phase"] + [f"{r['tables']:,} tables" for r in results],
                         [[k] + [f"{r['breakdown'].get(k, 0.0):.3f}" for r in results]
                          for k in names]))
    text = "\n".join(rep) + "\n"
    print("\n" + text)
    (WORK / f"pull_results{args.tag}.md").write_text(text)
    (WORK / f"pull_results{args.tag}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
