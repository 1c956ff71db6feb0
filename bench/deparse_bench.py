"""How much of introspection is PostgreSQL deparsing expressions (`pg_get_expr`).

On one embedded PostgreSQL 18 (the diff benchmark's server and schemas), each catalog query
of `compiler.introspect` that deparses runs as it is and with its deparse calls replaced by
NULL, each on a new connection (a fresh backend, as a `schemac diff` process meets the
server), next to the floor query of the diff benchmark. The difference is the server's
deparse cost, which no rewrite of schemac's own code can remove.

    .venv/bin/python bench/deparse_bench.py --tables 1000 --repeats 7
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import WORK, command_line, machine, table, use_snapshot
from diff_bench import FLOOR_SQL, Server, prepare

# query -> the deparse calls in it (replaced by NULL for the second timing)
DEPARSE = {
    "columns": ["pg_catalog.pg_get_expr(ad.adbin, CASE WHEN a.attgenerated = '' THEN 0\n"
                "                                             ELSE ad.adrelid END)"],
    "constraints": ["pg_catalog.pg_get_expr(con.conbin, con.conrelid)"],
    "indexes": ["pg_catalog.pg_get_expr(idx.indpred, idx.indrelid)",
                "pg_catalog.pg_get_indexdef(idx.indexrelid, k.ord::int, true)"],
}


def timed(url: str, sql: str, nsp: list[int], repeats: int) -> float:
    import psycopg

    times = []
    for _ in range(repeats):
        with psycopg.connect(url) as conn:
            conn.execute("SELECT set_config('search_path', 'public', false), "
                          "set_config('max_parallel_workers_per_gather', '0', false)")
            t0 = time.perf_counter()
            conn.execute(sql.encode(), {"nsp": nsp}).fetchall()
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--rev", default=None)
    ap.add_argument("--live", action="store_true")
    args = ap.parse_args()
    code = use_snapshot(args.live, args.rev)
    from compiler.introspect import query

    _sdir, sql_path, _ = prepare(args.tables)
    server = Server(WORK / "deparse")
    try:
        url = server.create("d")
        server.load("d", sql_path)
        server.sql("d", "VACUUM ANALYZE")
        import psycopg

        with psycopg.connect(url) as conn:
            major = conn.info.server_version // 10000
            nsp = [r[0] for r in conn.execute(
                "SELECT oid FROM pg_namespace WHERE nspname = 'public'")]
        floor = timed(url, FLOOR_SQL, nsp, args.repeats)
        rows = [("floor (one query, every column)", f"{floor * 1000:.1f}", "", "", "1.0")]
        total = 0.0
        for name, calls in DEPARSE.items():
            text = query(name, major)
            bare = text
            for call in calls:
                assert call in bare, f"{name}: the query no longer holds {call!r}"
                bare = bare.replace(call, "NULL")
            full, without = timed(url, text, nsp, args.repeats), timed(url, bare, nsp,
                                                                       args.repeats)
            total += full - without
            rows.append((name, f"{full * 1000:.1f}", f"{without * 1000:.1f}",
                         f"{(full - without) * 1000:.1f}", f"{(full - without) / floor:.1f}"))
        rows.append(("deparse, all three", "", "", f"{total * 1000:.1f}",
                     f"**{total / floor:.1f}**"))
    finally:
        server.stop()
    print(f"Command: `{command_line()}`  ")
    print(f"Machine: {machine(server.version)}  ")
    print(f"Code under test: {code}; {args.tables} tables, median of {args.repeats} fresh "
          "connections each\n")
    print(table(["query", "ms", "ms without deparse", "deparse ms", "deparse ÷ floor"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
