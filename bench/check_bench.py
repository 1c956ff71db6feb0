"""`schemac check` against the seed document's own SQL queries, side by side in the same run.

One embedded PostgreSQL 18 (`diff_bench.Server`, own data directory under
bench/.work/check/). For each size (users = 100,000 and 1,000,000; `--quick`: 100,000 only):
1. a database `u<N>` gets generated/schema.sql of the code under test (`psql -f`), then a
   set-based fill (`INSERT ... SELECT generate_series`) proportionate to N users:
   0.3N subscriptions over 100 plans, 0.05N teams with 0.2N team members, 0.5N invoices,
   0.3N api keys, 0.5N user roles, 0.2N projects, 0.1N files, 0.1N webhook events, 0.1N
   security audit log rows, 0.02N invitations, 20 roles, 50 permissions, 10 themes;
   bcrypt-looking password hashes, SHA-256 hex key hashes, sk_live_ prefixes, valid JSON;
2. planted violations of every kind the seed cares about (unique constraints / foreign keys /
   the partial unique index dropped first so they can be planted): duplicate e-mails, slugs
   and key hashes, orphaned subscriptions and team members, a second active theme, invalid
   JSON in teams.settings, a plain-text API key, a non-bcrypt password, a missing system role;
   then VACUUM ANALYZE;
3. timed as whole processes, interleaved (the order rotates every repeat):
   (a) `psql -X -q -f bench/seed_queries.sql` (every SQL block of the seed, verbatim);
   (b) `schemac check --db URL --schema schema --format json --dev-url DEV` and the same with
       `--skip-data`; peak RSS of each schemac process (os.wait4);
   (c) the same with `--verify-enforced` (also scans the rows behind rules a validated
       constraint guarantees).
   The first schemac run (empty SCHEMAC_CACHE_DIR, untimed in the medians) is reported as
   `cold`; the timed runs use the filled cache, as a user's second run does.
4. at the largest size, an in-process breakdown of one `schemac check` (fresh child process):
   the phases of run_check and the wall time of every data audit query (from the progress
   callback, which run_audits calls before each query; one audit connection, so the
   queries run one after another), hottest first.

    .venv/bin/python bench/check_bench.py --quick     # 100k users, 3 repeats
    .venv/bin/python bench/check_bench.py             # 100k and 1M users, 5 repeats

Targets: (b) <= 1.5 x (a) at 1M users; schemac peak RSS flat from 100k to 1M users.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
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
from diff_bench import Server  # noqa: E402

CHECK = WORK / "check"
SEED_SQL = ROOT / "bench" / "seed_queries.sql"
TIMEOUT_S = "600"  # schemac check --timeout: no audit may be cut short by the default 30 s


def fill_sql(n: int) -> str:
    """Data for n users, then the planted violations, then VACUUM ANALYZE (psql -f, autocommit
    per statement)."""
    s, t, k = n * 3 // 10, n // 20, n * 3 // 10  # subscriptions, teams, api keys
    return f"""
\\set ON_ERROR_STOP 1
-- a missing system role: 'admin' (declared by `rows roles`) is gone before anything uses it
DELETE FROM roles WHERE slug = 'admin';
INSERT INTO roles (id, name, slug, description, is_system)
  SELECT i, 'Role ' || i, 'role_' || i, 'generated role', false FROM generate_series(3, 20) i;
SELECT setval(pg_get_serial_sequence('roles', 'id'), 20);
INSERT INTO permissions (resource, "action", name, description)
  SELECT r, a, r || ':' || a, 'may ' || a || ' ' || r
  FROM unnest(ARRAY['projects','files','teams','users','billing','api_keys','themes',
                    'webhooks','invitations','audit']) r,
       unnest(ARRAY['read','write','delete','list','admin']) a;
INSERT INTO role_permissions (role_id, permission_id)
  SELECT r.id, p.id FROM roles r CROSS JOIN permissions p WHERE (r.id + p.id) % 3 = 0;
INSERT INTO users (email, hashed_password, first_name, last_name, is_active, created_at,
                   updated_at)
  SELECT 'user' || i || '@example.com',
         '$2b$12$' || substr(md5(i::text) || md5((i * 7)::text), 1, 53),
         'First' || (i % 1000), 'Last' || (i % 997), i % 10 <> 0,
         now() - make_interval(mins => i), now() - make_interval(secs => i)
  FROM generate_series(1, {n}) i;
INSERT INTO user_roles (user_id, role_id) SELECT i, 3 + i % 18 FROM generate_series(1, {n // 2}) i;
INSERT INTO user_roles (user_id, role_id) VALUES (1, 1);
INSERT INTO plans (name, description, amount, currency, interval, interval_count,
                   stripe_price_id, features, status)
  SELECT 'Plan ' || i, 'generated plan', (i * 3) % 500 + 0.99, 'usd',
         (ARRAY['month','year','week','day'])[1 + i % 4]::plan_interval, 1 + i % 3,
         'price_' || md5(i::text), '["seats", "support", "api"]',
         (ARRAY['active','inactive','archived'])[1 + i % 3]::plan_status
  FROM generate_series(1, 100) i;
INSERT INTO subscriptions (user_id, plan_id, stripe_subscription_id, stripe_customer_id,
                           status, current_period_start, current_period_end, metadata)
  SELECT 1 + (i * 3) % {n}, 1 + i % 100, 'sub_' || i, 'cus_' || (1 + (i * 3) % {n}),
         (ARRAY['active','canceled','past_due','unpaid','trialing','incomplete',
                'incomplete_expired'])[1 + i % 7]::subscription_status,
         now() - make_interval(days => i % 30), now() - make_interval(days => i % 30) + interval '30 days',
         '{{"source": "bench", "n": ' || i || '}}'
  FROM generate_series(1, {s}) i;
INSERT INTO teams (name, slug, description, owner_id, is_active, settings)
  SELECT 'Team ' || i, 'team-' || i, 'generated team', 1 + (i * 13) % {n}, i % 20 <> 0,
         '{{"theme": "dark", "seats": ' || (i % 50) || '}}'
  FROM generate_series(1, {t}) i;
INSERT INTO team_members (team_id, user_id, role_id, is_active)
  SELECT 1 + i % {t}, 1 + (i * 17) % {n}, 3 + i % 18, i % 25 <> 0
  FROM generate_series(0, {n // 5 - 1}) i;
INSERT INTO invitations (email, token, team_id, role_id, invited_by_id, status, expires_at)
  SELECT 'invitee' || i || '@example.com', md5('tok' || i), 1 + i % {t}, 3 + i % 18,
         1 + (i * 7) % {n}, (ARRAY['pending','accepted','expired'])[1 + i % 3],
         now() + interval '7 days'
  FROM generate_series(1, {n // 50}) i;
INSERT INTO invoices (user_id, subscription_id, stripe_invoice_id, amount, currency, status,
                      invoice_date, due_date, invoice_number)
  SELECT 1 + (i * 5) % {n}, 1 + i % {s}, 'in_' || i, (i % 10000) / 100.0, 'usd',
         (ARRAY['paid','pending','failed','uncollectible'])[1 + i % 4],
         now() - make_interval(hours => i % 10000), now() + interval '14 days',
         'INV-' || lpad(i::text, 9, '0')
  FROM generate_series(1, {n // 2}) i;
INSERT INTO projects (user_id, name, description, status)
  SELECT 1 + (i * 11) % {n}, 'Project ' || i, 'generated project',
         (ARRAY['active','archived','completed'])[1 + i % 3]::project_status
  FROM generate_series(1, {n // 5}) i;
INSERT INTO themes (name, display_name, description, config, is_active, created_by)
  SELECT 'theme_' || i, 'Theme ' || i, 'generated theme',
         ('{{"primary": "#3366' || lpad(i::text, 2, '0') || '", "dark": ' || (i % 2 = 0) || '}}')::json,
         i = 1, 1
  FROM generate_series(1, 10) i;
INSERT INTO files (user_id, filename, file_path, file_size, mime_type, storage_type, is_public)
  SELECT 1 + (i * 19) % {n}, 'file' || i || '.pdf', '/uploads/' || i || '/file.pdf',
         i % 1000000, 'application/pdf', (ARRAY['local','s3'])[1 + i % 2], i % 7 = 0
  FROM generate_series(1, {n // 10}) i;
INSERT INTO api_keys (user_id, name, key_hash, key_prefix, rotation_policy, expires_at,
                      last_used_at, usage_count)
  SELECT 1 + (i * 3) % {n}, 'key ' || i, encode(sha256(('key' || i)::bytea), 'hex'),
         'sk_live_' || substr(md5(i::text), 1, 8), 'manual', now() + interval '1 year',
         now() - make_interval(mins => i % 5000), i % 1000
  FROM generate_series(1, {k}) i;
INSERT INTO webhook_events (event_type, source, payload, status)
  SELECT (ARRAY['invoice.paid','customer.created','charge.failed'])[1 + i % 3],
         (ARRAY['stripe','custom'])[1 + i % 2],
         '{{"id": "evt_' || i || '", "type": "invoice.paid", "amount": ' || (i % 999) || '}}',
         (ARRAY['pending','processed','failed'])[1 + i % 3]
  FROM generate_series(1, {n // 10}) i;
INSERT INTO security_audit_logs (occurred_at, user_id, actor_email, event_type, outcome,
                                 target_type, target_id, ip_address, user_agent, details)
  SELECT now() - make_interval(secs => i), 1 + i % {n}, 'user' || (1 + i % {n}) || '@example.com',
         (ARRAY['auth.login','auth.logout','api_key.created'])[1 + i % 3],
         (ARRAY['success','failure','denied'])[1 + i % 3], 'user', (1 + i % {n})::text,
         ('10.' || (i % 256) || '.' || (i / 256 % 256) || '.1')::inet, 'bench/1.0',
         jsonb_build_object('n', i)
  FROM generate_series(1, {n // 10}) i;

-- planted violations ------------------------------------------------------------------------
ALTER TABLE users DROP CONSTRAINT users_email_key;
UPDATE users SET email = 'user1@example.com' WHERE id IN (2, 3);
ALTER TABLE teams DROP CONSTRAINT teams_slug_key;
UPDATE teams SET slug = 'team-1' WHERE id = 2;
ALTER TABLE api_keys DROP CONSTRAINT api_keys_key_hash_key;
UPDATE api_keys SET key_hash = (SELECT key_hash FROM api_keys WHERE id = 1) WHERE id = 2;
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_user_id_fkey;
INSERT INTO subscriptions (user_id, plan_id, status)
  SELECT {n} + i, 1, 'active' FROM generate_series(1, 3) i;
ALTER TABLE team_members DROP CONSTRAINT team_members_team_id_fkey,
                         DROP CONSTRAINT team_members_user_id_fkey;
INSERT INTO team_members (team_id, user_id, role_id) VALUES ({t} + 1, 1, 3), (1, {n} + 1, 3);
DROP INDEX themes_one_active;
UPDATE themes SET is_active = true WHERE id = 2;
UPDATE teams SET settings = '{{"theme": "dark",' WHERE id IN (3, 4);
UPDATE api_keys SET key_hash = 'sk_live_' || md5('plain text key') WHERE id = 3;
UPDATE users SET hashed_password = 'hunter2' WHERE id = 4;
VACUUM ANALYZE;
"""


PLANTED = ("duplicate e-mails (3 rows), duplicate slug (2 rows), duplicate key hash (2 rows), "
           "3 orphaned subscriptions, 2 orphaned team members, a second active theme, "
           "2 teams with invalid settings JSON, a plain-text API key, a non-bcrypt password, "
           "the missing `admin` system role")


def seed_cmd(server: Server, url: str) -> list[str]:
    return [str(server.psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f",
            str(SEED_SQL)]


def check_cmd(url: str, dev_url: str, *flags: str) -> list[str]:
    return [SCHEMAC, "check", "--db", url, "--schema", str(source_root() / "schema"),
            "--format", "json", "--dev-url", dev_url, "--timeout", TIMEOUT_S, *flags]


def findings_of(r: Run) -> tuple[int, Counter[str], dict[str, Any]]:
    doc = json.loads(r.stdout)
    fs = doc.get("findings", [])
    return len(fs), Counter(f.get("code") for f in fs), doc.get("summary", {})


def run_check(cmd: list[str], env: dict[str, str]) -> Run:
    r = run(cmd, env=env, check=False, timeout=3600)
    if r.rc not in (0, 1) or not r.stdout.lstrip().startswith("{"):
        raise RuntimeError(f"schemac check failed ({r.rc}):\n{r.stderr[-3000:]}")
    return r


# --- in-process breakdown (fresh child process) ----------------------------------------------


def child_breakdown(url: str, dev_url: str, schema_dir: str) -> None:
    import resource

    t0 = time.perf_counter()
    import compiler.check.data as cd
    import compiler.check.drift as cdr
    import compiler.check.hygiene as ch
    import compiler.check.run as cr
    import compiler.introspect as ci
    from compiler.load import load_schema

    phases: dict[str, float] = {"imports": time.perf_counter() - t0}

    timed = phase_timer(phases)

    # one audit connection, so the time between two progress calls is one query's own
    cr.AUDIT_CONNECTIONS = 1
    # run_check imports these where it needs them (after starting the early scans): patched
    # in their own modules
    for mod, name in ((ci, "introspect"), (ci, "unmanaged"), (ch, "hygiene"), (cr, "_canonical"),
                      (cdr, "drift"), (cd, "plan_audits"), (cd, "run_audits")):
        setattr(mod, name, timed(name, getattr(mod, name)))
    s = time.perf_counter()
    schema, _ = load_schema(schema_dir)
    phases["load .schema files"] = time.perf_counter() - s
    audits: list[tuple[str, float]] = []
    state: dict[str, Any] = {"what": None, "t": 0.0}

    def progress(what: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if state["what"] is not None:
            audits.append((state["what"], now - state["t"]))
        state["what"], state["t"] = what, now

    s = time.perf_counter()
    report = cr.run_check(url, schema, dev_url=dev_url, progress=progress,
                          statement_timeout_ms=int(float(TIMEOUT_S) * 1000))
    total = time.perf_counter() - s
    phases["run_check, other (connect, report)"] = total - sum(
        v for k, v in phases.items() if k not in ("imports", "load .schema files"))
    audits.sort(key=lambda x: -x[1])
    print(json.dumps({"phases": phases, "audits": audits, "findings": len(report.findings),
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def breakdown(url: str, dev_url: str, env: dict[str, str]) -> dict[str, Any]:
    data, wall = child_json([sys.executable, __file__, "--child-breakdown", url, dev_url,
                             str(source_root() / "schema")], env)
    data["process_wall_s"] = wall
    return data  # type: ignore[no-any-return]


# --- driver ----------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100k users, 3 repeats")
    ap.add_argument("--users", type=lambda s: [int(x) for x in s.split(",")], default=None)
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--live", action="store_true",
                    help="benchmark the working tree instead of a snapshot of HEAD")
    ap.add_argument("--rev", default=None)
    ap.add_argument("--tag", default="", help="suffix for the result files")
    ap.add_argument("--child-breakdown", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_breakdown:
        child_breakdown(*args.child_breakdown)
        return 0

    sizes = args.users or ([100_000] if args.quick else [100_000, 1_000_000])
    repeats = args.repeats or (3 if args.quick else 5)
    started = time.perf_counter()
    code = use_snapshot(args.live, args.rev)
    fresh_dir(CHECK)
    server = Server(CHECK / "pg")
    print(f"machine: {machine(server.version)}\ncode: {code}", flush=True)
    results: list[dict[str, Any]] = []
    bd: dict[str, Any] | None = None
    try:
        dev_url = server.create("dev")
        for n in sizes:
            db = f"u{n}"
            url = server.create(db)
            ddl = run([str(server.psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f",
                       str(source_root() / "generated" / "schema.sql")], env=base_env())
            fill = CHECK / f"fill-{n}.sql"
            fill.write_text(fill_sql(n))
            load = server.load(db, fill)
            with __import__("psycopg").connect(url) as c:
                size = c.execute("select pg_size_pretty(pg_database_size(current_database())),"
                                 " (select sum(n_live_tup) from pg_stat_user_tables)"
                                 ).fetchone()
            print(f"  {n} users: DDL {ddl.wall:.1f} s, fill {load.wall:.1f} s, "
                  f"{size[0]}, {size[1]} rows", flush=True)
            cache = CHECK / f"cache-{n}"
            fresh_dir(cache)
            env = base_env(SCHEMAC_CACHE_DIR=str(cache))
            res: dict[str, Any] = {"users": n, "db_size": size[0], "rows": int(size[1]),
                                   "fill_s": load.wall, "seed": [], "check": [], "skip": [],
                                   "verify": [], "check_rss": [], "skip_rss": [],
                                   "verify_rss": []}
            cold = run_check(check_cmd(url, dev_url), env)
            res["cold"], res["cold_rss"] = cold.wall, cold.maxrss_mb
            nf, codes, summary = findings_of(cold)
            res["findings"], res["codes"], res["summary"] = nf, dict(codes), summary
            (CHECK / f"check-{n}.json").write_text(cold.stdout)
            sk = run_check(check_cmd(url, dev_url, "--skip-data"), env)
            res["skip_findings"] = findings_of(sk)[0]
            seed0 = run(seed_cmd(server, url), env=base_env())
            (CHECK / f"seed-{n}.out").write_text(seed0.stdout)
            res["seed_rows_out"] = len(seed0.stdout.splitlines())
            print(f"    cold check {cold.wall:.2f} s, {nf} findings; warm-up seed "
                  f"{seed0.wall:.2f} s", flush=True)
            cases = [("seed", lambda: run(seed_cmd(server, url), env=base_env())),
                     ("check", lambda: run_check(check_cmd(url, dev_url), env)),
                     ("skip", lambda: run_check(check_cmd(url, dev_url, "--skip-data"), env)),
                     ("verify", lambda: run_check(check_cmd(url, dev_url,
                                                            "--verify-enforced"), env))]
            for i in range(repeats):
                order = cases[i % len(cases):] + cases[:i % len(cases)]
                for name, fn in order:
                    r = fn()
                    res[name].append(r.wall)
                    if name != "seed":
                        res[f"{name}_rss"].append(r.maxrss_mb)
                print(f"    #{i}: seed {res['seed'][-1]:.2f}  check {res['check'][-1]:.2f} "
                      f"({res['check_rss'][-1]:.0f} MB)  --skip-data {res['skip'][-1]:.2f}  "
                      f"--verify-enforced {res['verify'][-1]:.2f}",
                      flush=True)
            res["ratios"] = [c / s for c, s in zip(res["check"], res["seed"], strict=True)]
            res["verify_ratios"] = [c / s for c, s in zip(res["verify"], res["seed"],
                                                          strict=True)]
            results.append(res)
            if n == sizes[-1]:
                bd = breakdown(url, dev_url, env)
                print("    breakdown: " + ", ".join(f"{k}={v:.3f}"
                                                    for k, v in bd["phases"].items()),
                      flush=True)
            else:
                server.drop(db)
    finally:
        server.stop()

    rep = [f"Command: `{command_line()}`  ", f"Machine: {machine(server.version)}  ",
           f"Code under test: {code}  ", f"Total benchmark time: "
           f"{time.perf_counter() - started:.0f} s", "",
           f"Planted violations: {PLANTED}.", ""]
    rows = []
    for r in results:
        ratio = med(r["check"]) / med(r["seed"])
        rows.append([f"{r['users']:,}", f"{r['rows']:,}", r["db_size"],
                     f"{med(r['seed']):.2f} ({spread(r['seed'])})",
                     f"{med(r['check']):.2f} ({spread(r['check'])})",
                     f"{med(r['skip']):.2f} ({spread(r['skip'])})", f"{r['cold']:.2f}",
                     f"{ratio:.2f}", f"{med(r['ratios']):.2f}",
                     "MET" if ratio <= 1.5 else "NOT MET",
                     f"{med(r['verify']):.2f} ({spread(r['verify'])})",
                     f"{med(r['verify']) / med(r['seed']):.2f}", r["findings"],
                     f"{max(r['check_rss'] + [r['cold_rss']]):.0f}",
                     f"{max(r['skip_rss']):.0f}"])
    rep.append(table(["users", "rows (all tables)", "DB size", "(a) seed SQL, psql -f",
                      "(b) schemac check", "check --skip-data", "check cold (1 run)",
                      "(b) ÷ (a), medians", "median of per-repeat (b) ÷ (a)",
                      "target ≤ 1.5", "(c) check --verify-enforced", "(c) ÷ (a)",
                      "findings", "check peak RSS MB",
                      "--skip-data peak RSS MB"], rows))
    if len(results) > 1:
        a, b = results[0], results[-1]
        ra, rb = max(a["check_rss"]), max(b["check_rss"])
        rep += ["", f"Peak RSS of `schemac check`: {ra:.0f} MB at {a['users']:,} users, "
                f"{rb:.0f} MB at {b['users']:,} users ({rb / ra:.2f}x for "
                f"{b['users'] / a['users']:.0f}x the rows; target: flat)."]
    for r in results:
        rep += ["", f"Findings at {r['users']:,} users by code: "
                + ", ".join(f"{k} {v}" for k, v in sorted(r["codes"].items()))
                + f"; audits: {r['summary'].get('audits')}; `--skip-data`: "
                f"{r['skip_findings']} findings."]
    if bd is not None:
        rep += ["", f"In-process breakdown of one `schemac check` at {results[-1]['users']:,} "
                f"users (fresh child, warm cache; whole child {bd['process_wall_s']:.2f} s, "
                f"peak RSS {bd['rss_mb']:.0f} MB), seconds:", ""]
        rep.append(table(["phase", "s"], [[k, f"{v:.3f}"] for k, v in bd["phases"].items()]))
        tot = sum(t for _, t in bd["audits"])
        rep += ["", f"The {len(bd['audits'])} data audits, {tot:.2f} s in all; the slowest 15:",
                ""]
        rep.append(table(["audit", "s", "share"], [[w, f"{t:.3f}", f"{t / tot:.0%}"]
                                                   for w, t in bd["audits"][:15]]))
    text = "\n".join(rep) + "\n"
    print("\n" + text)
    (WORK / f"check_results{args.tag}.md").write_text(text)
    (WORK / f"check_results{args.tag}.json").write_text(
        json.dumps({"results": results, "breakdown": bd}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
