"""Synthetic, realistic `.schema` files for benchmarks (deterministic: seeded per table).

A schema of N tables is made of blocks of 50 tables. Each block declares two enums and a
`section`, then its tables: 8-15 columns of varied types (serial primary key, foreign keys to
earlier tables, varchar/text/int/bigint/numeric/bool/timestamptz/date/jsonb/uuid/text[]/enum),
indexes (one per foreign key, a partial index, sometimes a partial unique index and a
composite one), column and table CHECKs, `///` descriptions and the odd `expect`.

The same N and seed give the same tables whether written as one file or one file per block,
so the one-file and many-file layouts compile to the same IR and byte-identical DDL.

    .venv/bin/python bench/gen_schema.py --tables 1000 --out /tmp/s1k            # many files
    .venv/bin/python bench/gen_schema.py --tables 1000 --out /tmp/s1k --one-file
    .venv/bin/python bench/gen_schema.py --tables 200 --out /tmp/s --check        # + schemac build
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

BLOCK = 50  # tables per block (= per file in the many-file layout)

NOUNS = [
    "account", "order", "invoice", "payment", "customer", "product", "shipment", "ticket",
    "project", "task", "comment", "document", "session", "device", "event", "report",
    "contract", "vendor", "warehouse", "coupon", "review", "message", "channel", "workflow",
    "dataset", "job", "release", "asset", "ledger", "refund", "campaign", "lead", "survey",
    "booking", "room", "course", "lesson", "badge", "tenant", "policy",
]
STATUS_VALUES = ["active", "pending", "suspended", "archived", "deleted"]
KIND_VALUES = ["standard", "premium", "internal", "trial"]


def table_name(i: int) -> str:
    return f"{NOUNS[i % len(NOUNS)]}_{i:05d}"


def block_enums(b: int) -> tuple[str, str]:
    return f"status_b{b:04d}", f"kind_b{b:04d}"


def _fk_targets(rng: random.Random, i: int) -> list[int]:
    """0-3 distinct earlier tables; most from the same block, some from anywhere before."""
    if i == 0:
        return []
    count = rng.choices([0, 1, 1, 2, 2, 3], k=1)[0]
    start = (i // BLOCK) * BLOCK
    out: set[int] = set()
    for _ in range(count):
        if i > start and rng.random() < 0.65:
            out.add(rng.randrange(start, i))
        else:
            out.add(rng.randrange(0, i))
    return sorted(out)


def table_text(i: int, seed: int) -> str:
    rng = random.Random(f"{seed}:{i}")
    name = table_name(i)
    noun = NOUNS[i % len(NOUNS)]
    status_enum, kind_enum = block_enums(i // BLOCK)
    lines = [f"/// {noun.capitalize()} records, partition {i} (synthetic benchmark table)",
             f"table {name} {{", "  /// Primary key", "  id serial primary key"]
    indexes: list[str] = []
    checks: list[str] = []
    cols: list[str] = []

    def col(cname: str, definition: str, doc: str | None, *extra: str) -> None:
        cols.append(cname)
        if doc is not None:
            lines.append(f"  /// {doc}")
        lines.append(f"  {cname} {definition}")
        lines.extend(f"  {e}" for e in extra)

    for ref in _fk_targets(rng, i):
        rname = table_name(ref)
        cname = f"{rname}_id"
        if rng.random() < 0.6:
            col(cname, f"int not null references {rname}(id) on delete cascade",
                f"Owning {rname}")
        else:
            col(cname, f"int references {rname}(id) on delete set null", f"Related {rname}, if any")
        indexes.append(f"index idx_{name}_{cname} ({cname})")

    col("name", f"varchar({rng.choice([100, 200, 255])}) not null", f"Display name of the {noun}")
    pool = [
        ("code", "varchar(40) not null", "Short external code",
         ["expect matches '^[A-Z0-9_-]+$' \"code must be upper-case letters, digits, _ or -\""]),
        ("description", "text", "Free-text description", []),
        ("quantity", "int not null default 0 check (quantity >= 0)", "Units on hand", []),
        ("amount", "numeric(12,2) not null default 0 check (amount >= 0)", "Amount in currency",
         []),
        ("currency", "varchar(3) not null default 'usd'", "ISO 4217 code, lower case", []),
        ("total_bytes", "bigint", "Size in bytes", []),
        ("score", "double precision", "Ranking score", []),
        ("priority", "smallint not null default 3 check (priority between 1 and 5)",
         "Priority from 1 (highest) to 5", []),
        ("is_public", "bool not null default false", "Whether anyone may see it", []),
        ("settings", "jsonb not null default '{}'::jsonb", "Settings as a JSON object", []),
        ("external_id", "uuid not null default gen_random_uuid()", "Stable public identifier",
         []),
        ("tags", "text[] not null default '{}'", "Free-form labels", []),
        ("due_on", "date", "Date it is due", []),
        ("kind", f"{kind_enum} not null default 'standard'", "Kind of record", []),
        ("email", "varchar(255)", "Contact e-mail address", []),
        ("starts_at", "timestamptz", "Start of the validity window", []),
    ]
    # 8-15 columns in all: id + fks + name + status + created/updated/deleted + extras
    fixed = 1 + len(cols) + 4
    want = rng.randint(8, 15)
    extras = rng.sample(pool, k=max(0, min(len(pool), want - fixed)))
    extras.sort(key=lambda e: pool.index(e))
    for cname, definition, doc, extra in extras:
        col(cname, definition, None if rng.random() < 0.15 else doc, *extra)
    col("status", f"{status_enum} not null default 'active'", "Lifecycle state")
    col("created_at", "timestamptz not null default now()", "When the row was created")
    col("updated_at", "timestamptz not null default now()", "When the row was last modified")
    col("deleted_at", "timestamptz", "Soft-deletion time; null while live")

    checks.append(f"check {name}_updated_check (updated_at >= created_at)")
    if "starts_at" in cols and "due_on" in cols:
        checks.append(f"check {name}_window_check (due_on is null or starts_at is null "
                      "or due_on >= starts_at::date)")
    indexes.append(f"index idx_{name}_live (status) where deleted_at is null")
    if "code" in cols:
        indexes.append(f"unique index idx_{name}_code (code) where deleted_at is null")
    if "email" in cols:
        indexes.append(f"index idx_{name}_email (lower(email)) where email is not null")
    fk_cols = [c for c in cols if c.endswith("_id") and c != "external_id"]
    if fk_cols and rng.random() < 0.5:
        indexes.append(f"index idx_{name}_recent ({fk_cols[0]}, created_at desc)")
    lines.append("")
    lines += [f"  {c}" for c in checks]
    lines += [f"  {ix}" for ix in indexes]
    lines.append("}")
    return "\n".join(lines) + "\n"


def block_text(b: int, n: int, seed: int) -> str:
    status_enum, kind_enum = block_enums(b)
    head = [
        f"// Synthetic benchmark schema, block {b} (seed {seed}).",
        f'section "Block {b:04d}"',
        "",
        f"/// Lifecycle state (block {b})",
        f"enum {status_enum} {{ {', '.join(STATUS_VALUES)} }}",
        "",
        f"/// Kind of record (block {b})",
        f"enum {kind_enum} {{ {', '.join(KIND_VALUES)} }}",
        "",
    ]
    body = [table_text(i, seed) for i in range(b * BLOCK, min(n, (b + 1) * BLOCK))]
    return "\n".join(head) + "\n" + "\n".join(body)


def write_schema(out: Path, n: int, *, one_file: bool = False, seed: int = 1) -> list[Path]:
    """Write N tables under `out` (replacing it); return the files written."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    blocks = [block_text(b, n, seed) for b in range((n + BLOCK - 1) // BLOCK)]
    if one_file:
        path = out / "schema.schema"
        path.write_text("\n".join(blocks), encoding="utf-8")
        return [path]
    paths = []
    for b, text in enumerate(blocks):
        path = out / f"{b:04d}.schema"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", "-n", type=int, default=1000)
    ap.add_argument("--out", "-o", type=Path, required=True)
    ap.add_argument("--one-file", action="store_true", help="one file instead of one per block")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", action="store_true", help="then run `schemac build` on it")
    args = ap.parse_args()
    files = write_schema(args.out, args.tables, one_file=args.one_file, seed=args.seed)
    size = sum(f.stat().st_size for f in files)
    print(f"wrote {args.tables} tables in {len(files)} file(s), {size / 1e6:.2f} MB under "
          f"{args.out}")
    if args.check:
        schemac = Path(sys.executable).parent / "schemac"
        gen = args.out.parent / (args.out.name + "-generated")
        t0 = time.perf_counter()
        r = subprocess.run([str(schemac), "build", "-q", "--schema", str(args.out), "--out",
                            str(gen)], capture_output=True, text=True, check=False)
        dt = time.perf_counter() - t0
        print(r.stdout.strip() or r.stderr.strip()[:2000], f"({dt:.2f} s)")
        return r.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
