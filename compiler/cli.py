"""The `schemac` command line: the only module that prints or exits.

Exit codes (one place): 0 ok / no drift; 1 findings or drift (with --exit-code) or stale
files (--check); 2 bad input or usage; 3 destructive change refused.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from collections.abc import Callable
from enum import Enum, IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from compiler.errors import CompileError, Diagnostic, Severity, UserError, render
from compiler.memory import retain_until_exit

_T = TypeVar("_T")

if TYPE_CHECKING:
    from compiler.migrate import Migration


class Exit(IntEnum):
    OK = 0
    DRIFT = 1
    BAD_INPUT = 2
    DESTRUCTIVE_REFUSED = 3


app = typer.Typer(
    name="schemac",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # a DSN in a local variable can hold a password
    pretty_exceptions_enable=False,
    help="Declarative schema-as-code for PostgreSQL: compile `.schema` files to DDL and docs, "
    "diff and migrate live databases, and review them.\n\n"
    "Example: schemac build --schema schema --out generated",
    context_settings={"help_option_names": ["-h", "--help"]},
)

SchemaDir = Annotated[Path, typer.Option("--schema", "-s", help="Directory of .schema files.")]
DbUrl = Annotated[
    str | None,
    typer.Option("--db", envvar="DATABASE_URL", show_envvar=True,
                 help="PostgreSQL URL of the database to inspect (read-only)."),
]


def _err(text: str) -> None:
    typer.echo(text, err=True)


def _fail(code: Exit, text: str) -> NoReturn:
    _err(text)
    raise typer.Exit(int(code))


def _report(diags: list[Diagnostic]) -> None:
    diags = sorted(diags, key=lambda d: (d.span.path, d.span.line, d.span.col) if d.span
                   else ("", 0, 0))
    for d in diags:
        _err(render(d))
    errors = sum(1 for d in diags if d.severity == Severity.ERROR)
    if errors:
        _err(f"{errors} error{'s' if errors != 1 else ''}")


def _load(schema_dir: Path, quiet_warnings: bool = False):  # type: ignore[no-untyped-def]
    from compiler.load import load_schema

    return _compiled(lambda: load_schema(schema_dir), quiet_warnings)


def _compiled(compile_: Callable[[], tuple[_T, list[Diagnostic]]],
              quiet_warnings: bool = False) -> _T:
    """What `compile_()` makes; its errors reported (exit 2), its warnings printed unless
    quiet."""
    try:
        result, warnings = compile_()
    except CompileError as err:
        _report(err.diagnostics)
        raise typer.Exit(int(Exit.BAD_INPUT)) from None
    except UserError as err:
        _fail(Exit.BAD_INPUT, f"error: {err}")
    if not quiet_warnings:
        for w in warnings:
            _err(render(w))
    return result


@app.command()
def build(
    schema_dir: SchemaDir = Path("schema"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path(
        "generated"),
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if the files on disk are "
                                        "not what build would write; write nothing.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Hide warnings.")] = False,
) -> None:
    """Compile .schema files into generated/schema.sql (DDL) and generated/schema.md (docs).

    Example: schemac build --schema schema --out generated
    """
    from compiler.build import build_directory
    from compiler.incremental import Build

    def built_with_warnings() -> tuple[Build, list[Diagnostic]]:
        built = build_directory(schema_dir)
        return built, built.warnings

    built = _compiled(built_with_warnings, quiet or check)
    outputs = built.outputs  # compared and written as bytes: quicker than decoding text
    if check:
        stale = [name for name, data in outputs.items() if not _holds(out / name, data)]
        if stale:
            _fail(Exit.DRIFT, f"stale: {', '.join(str(out / n) for n in stale)} "
                  "(run `schemac build`)")
        typer.echo(f"{out}/ is up to date")
        return
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in outputs.items():
            path = out / name
            if not _holds(path, data):
                path.write_bytes(data)
    except OSError as err:
        _fail(Exit.BAD_INPUT, f"error: cannot write {out}: {err.strerror}")
    typer.echo(f"wrote {', '.join(str(out / n) for n in outputs)} "
               f"({built.tables} tables)")


def _holds(path: Path, data: bytes) -> bool:
    """Whether the file holds exactly `data` (read only when its size is right: the outputs
    of a large schema are tens of megabytes)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _read_or_none(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


@app.command()
def fmt(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or directories "
                                                       "(default: schema/).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if a file is not formatted; "
                                        "change nothing.")] = False,
) -> None:
    """Format .schema files in place (canonical layout, comments kept).

    Example: schemac fmt schema/ --check
    """
    from compiler.fmt import format_source
    from compiler.load import read_text, schema_files

    files: list[Path] = []
    try:
        for p in paths or [Path("schema")]:
            files += schema_files(p)
    except UserError as err:
        _fail(Exit.BAD_INPUT, f"error: {err}")
    unformatted: list[Path] = []
    problems: list[Diagnostic] = []
    for f in files:
        try:
            text = read_text(f)
            pretty = format_source(text, str(f))
        except UserError as err:
            _fail(Exit.BAD_INPUT, f"error: {err}")
        except CompileError as err:
            problems += err.diagnostics
            continue
        if pretty != text:
            unformatted.append(f)
            if not check:
                f.write_text(pretty, encoding="utf-8")
    if problems:
        _report(problems)
        raise typer.Exit(int(Exit.BAD_INPUT))
    if check and unformatted:
        _fail(Exit.DRIFT, "not formatted: " + ", ".join(str(f) for f in unformatted))
    verb = "would reformat" if check else "reformatted"
    typer.echo(f"{verb} {len(unformatted)} of {len(files)} file(s)" if unformatted
               else f"{len(files)} file(s) already formatted")


def _need_db(db: str | None) -> str:
    if not db:
        _fail(Exit.BAD_INPUT, "error: no database given: pass --db URL or set DATABASE_URL")
    return db


def _op_json(op: object) -> dict[str, object]:
    from compiler.generators.sql import op_statements

    return {
        "kind": op.kind,  # type: ignore[attr-defined]
        "phase": op.phase.name.lower(),  # type: ignore[attr-defined]
        "reason": op.reason,  # type: ignore[attr-defined]
        "destructive": op.destructive,  # type: ignore[attr-defined]
        "lock": op.lock,  # type: ignore[attr-defined]
        "transactional": op.transactional,  # type: ignore[attr-defined]
        "hazards": [{"code": h.code, "message": h.message}
                    for h in op.hazards],  # type: ignore[attr-defined]
        "preflight": op.preflight_result,  # type: ignore[attr-defined]
        "sql": op_statements(op),  # type: ignore[arg-type]
    }


def _plan_text(migration: object, db: str) -> str:
    from compiler.db import mask_dsn
    from compiler.generators.sql import render_script

    m = migration
    text = render_script(m.plan, title=f"migration of {mask_dsn(db)} to the declared schema")  # type: ignore[attr-defined]
    kept = [f"{t.name}.{c.name}" for t in m.target.tables  # type: ignore[attr-defined]
            for c in t.columns if c.deprecated
            and (live := m.current.table(t.name)) is not None  # type: ignore[attr-defined]
            and live.column(c.name) is not None]
    if kept and not any(getattr(op, "column", None) for op in m.plan.steps  # type: ignore[attr-defined]
                        if op.kind == "drop_column"):
        text += "\n".join(["", "-- deprecated, still present (kept; --drop-deprecated drops "
                            "them):", *[f"--   {k}" for k in kept]]) + "\n"
    if m.unmanaged:  # type: ignore[attr-defined]
        notes = ["", "-- not managed by schemac (left as they are):"]
        notes += [f"--   {kind} {name}" for kind, name in m.unmanaged]  # type: ignore[attr-defined]
        text += "\n".join(notes) + "\n"
    return text


def _migration(db: str, schema_dir: Path, allow_destructive: bool, drop_deprecated: bool,
               dev_url: str | None, with_privileges: bool = False) -> Migration:
    from compiler.db import connect
    from compiler.migrate import plan_migration

    schema = _load(schema_dir, quiet_warnings=True)
    conn = connect(db, read_only=True)
    try:
        return plan_migration(conn, schema, allow_destructive=allow_destructive,
                              drop_deprecated=drop_deprecated, dev_url=dev_url,
                              with_privileges=with_privileges)
    finally:
        conn.close()


AllowDestructive = Annotated[bool, typer.Option(
    "--allow-destructive", help="Include steps that can lose data (drops, narrowing types).")]
DropDeprecated = Annotated[bool, typer.Option(
    "--drop-deprecated", help="Drop columns the schema marks deprecated.")]
WithPrivileges = Annotated[bool, typer.Option(
    "--with-privileges", help="Also compare GRANTs on tables, views, sequences and schemas "
    "(off by default: roles usually differ between environments).")]
DevUrl = Annotated[str | None, typer.Option(
    "--dev-url", help="Empty scratch database used to learn PostgreSQL's canonical form of "
    "expressions (default: an embedded PostgreSQL started on demand).")]


class DiffFormat(str, Enum):
    sql = "sql"
    json = "json"


@app.command("diff")
def diff_cmd(
    db: DbUrl = None,
    schema_dir: SchemaDir = Path("schema"),
    allow_destructive: AllowDestructive = False,
    drop_deprecated: DropDeprecated = False,
    fmt_: Annotated[DiffFormat, typer.Option("--format", help="sql or json.")] = DiffFormat.sql,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when the database "
                                            "differs from the schema (for CI).")] = False,
    dev_url: DevUrl = None,
    with_privileges: WithPrivileges = False,
) -> None:
    """Print the migration from a live database to the declared schema (read-only).

    Example: schemac diff --db postgresql://app@localhost/app --exit-code
    """
    import json

    url = _need_db(db)
    m = _migration(url, schema_dir, allow_destructive, drop_deprecated, dev_url, with_privileges)
    if fmt_ == DiffFormat.json:
        typer.echo(json.dumps({
            "ops": [_op_json(op) for op in m.plan.steps],
            "withheld": [_op_json(op) for op in m.plan.withheld],
            "unmanaged": [{"kind": k, "name": n} for k, n in m.unmanaged],
            "sql": _plan_text(m, url),
        }, indent=2))
    else:
        typer.echo(_plan_text(m, url), nl=False)
    if exit_code and (m.plan.steps or m.plan.withheld):
        raise typer.Exit(int(Exit.DRIFT))


@app.command()
def apply(
    db: DbUrl = None,
    schema_dir: SchemaDir = Path("schema"),
    allow_destructive: AllowDestructive = False,
    drop_deprecated: DropDeprecated = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    dev_url: DevUrl = None,
    with_privileges: WithPrivileges = False,
) -> None:
    """Migrate a live database to the declared schema, step by step, then diff again.

    Shows the plan, asks for confirmation (unless --yes), refuses plans whose preflight counts
    say a step would fail, stops at the first failure saying what ran.

    Example: schemac apply --db postgresql://app@localhost/app --yes
    """
    from compiler.db import connect, mask_dsn
    from compiler.generators.sql import describe
    from compiler.migrate import run_plan

    url = _need_db(db)
    m = _migration(url, schema_dir, allow_destructive, drop_deprecated, dev_url, with_privileges)
    typer.echo(_plan_text(m, url), nl=False)
    if not m.plan.steps:
        typer.echo("nothing to apply")
        if m.plan.withheld:
            _fail(Exit.DESTRUCTIVE_REFUSED, f"{len(m.plan.withheld)} destructive step(s) withheld;"
                  " rerun with --allow-destructive to include them")
        return
    doomed = [op for op in m.plan.steps if (op.preflight_result or "").find("would fail") >= 0]
    if doomed:
        _fail(Exit.DRIFT, f"error: {len(doomed)} step(s) would fail on existing rows; nothing "
              "was run. Fix the data first (`schemac check` lists the rows):\n"
              + "\n".join(f"  {op.preflight_result}" for op in doomed))
    if not yes:
        if not sys.stdin.isatty():
            _fail(Exit.BAD_INPUT, "error: no terminal to confirm on: pass --yes")
        if not typer.confirm(f"apply {len(m.plan.steps)} step(s) to {mask_dsn(url)}?"):
            _fail(Exit.BAD_INPUT, "aborted")
    conn = connect(url, read_only=False, statement_timeout_ms=0)
    try:
        result = run_plan(conn, m.plan, echo=typer.echo)
    finally:
        conn.close()
    if result.failed is not None:
        _err(f"error: step failed: {describe(result.failed)}\n  {result.error}")
        if result.rolled_back:
            _err(f"rolled back with it ({len(result.rolled_back)} step(s) of the same "
                 "transaction): " + "; ".join(describe(op) for op in result.rolled_back))
        _err(f"applied {len(result.done)} step(s); not run: {len(result.not_run)}")
        raise typer.Exit(int(Exit.DRIFT))
    typer.echo(f"applied {len(result.done)} step(s)")
    after = _migration(url, schema_dir, allow_destructive, drop_deprecated, dev_url,
                       with_privileges)
    if after.plan.steps:
        _fail(Exit.DRIFT, f"the database still differs in {len(after.plan.steps)} step(s):\n"
              + "\n".join(describe(op) for op in after.plan.steps))
    typer.echo("the database now matches the schema")
    if after.plan.withheld:
        _fail(Exit.DESTRUCTIVE_REFUSED, f"{len(after.plan.withheld)} destructive step(s) "
              "withheld; rerun with --allow-destructive to include them")


class CheckFormat(str, Enum):
    md = "md"
    json = "json"
    sarif = "sarif"


@app.command()
def check(
    db: DbUrl = None,
    schema_dir: Annotated[Path | None, typer.Option(
        "--schema", "-s", help="Directory of .schema files. Without it only catalog hygiene "
        "runs (every user schema).")] = None,
    fmt_: Annotated[CheckFormat, typer.Option("--format", help="md, json or sarif.")] = (
        CheckFormat.md),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report to FILE "
                                             "instead of standard output.")] = None,
    skip_data: Annotated[bool, typer.Option("--skip-data", help="Catalog checks only: read "
                                            "no table's rows.")] = False,
    verify_enforced: Annotated[bool, typer.Option(
        "--verify-enforced", help="Also scan the rows behind rules a validated constraint "
        "already guarantees (after bulk loads with triggers off or replication role "
        "'replica', or a suspected corrupt index).")] = False,
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", metavar="CODE", help="Drop findings with this code (repeatable; "
        "docs/check.md lists the codes).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Statement timeout for "
                                           "each query, in seconds.")] = 30.0,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when there is an "
                                            "error-severity finding (for CI).")] = False,
    dev_url: DevUrl = None,
    with_privileges: WithPrivileges = False,
) -> None:
    """Review a live database (read-only): drift, catalog hygiene, rows breaking the rules.

    Without --schema only the catalog hygiene runs.

    Example: schemac check --db postgresql://app@localhost/app --schema schema --exit-code
    """
    from compiler.check.report import render
    from compiler.check.run import run_check

    url = _need_db(db)
    schema = _load(schema_dir, quiet_warnings=True) if schema_dir is not None else None
    try:
        report = run_check(url, schema, skip_data=skip_data, verify_enforced=verify_enforced,
                           ignore=tuple(ignore or ()),
                           dev_url=dev_url, statement_timeout_ms=int(timeout * 1000),
                           with_privileges=with_privileges)
    except UserError as err:
        _fail(Exit.BAD_INPUT, f"error: {err}")
    text = render(report, fmt_.value)
    if out is None:
        typer.echo(text, nl=False)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as err:
            _fail(Exit.BAD_INPUT, f"error: cannot write {out}: {err.strerror}")
        counts = report.summary.findings
        _err(f"wrote {out}: {counts['error']} error(s), {counts['warning']} warning(s), "
             f"{counts['info']} note(s)")
    if exit_code and report.has_errors:
        raise typer.Exit(int(Exit.DRIFT))


class Split(str, Enum):
    section = "section"
    schema = "schema"
    none = "none"


@app.command()
def pull(
    db: DbUrl = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write .schema files "
                                      "into.")] = Path("schema"),
    schemas: Annotated[list[str] | None, typer.Option(
        "--schema", help="PostgreSQL schema to pull (repeatable; default: all).")] = None,
    split_by: Annotated[Split, typer.Option("--split-by", help="One file per section, per "
                                            "PostgreSQL schema, or one file.")] = Split.schema,
    force: Annotated[bool, typer.Option("--force", help="Overwrite .schema files that "
                                        "differ.")] = False,
    with_privileges: Annotated[bool, typer.Option(
        "--with-privileges", help="Also write the GRANTs on tables, views, sequences and "
        "schemas.")] = False,
) -> None:
    """Write .schema files from a live database (read-only).

    Example: schemac pull --db postgresql://app@localhost/app --out schema
    """
    from compiler.db import connect
    from compiler.introspect import introspect, unmanaged
    from compiler.pull import SplitBy, pull_files

    url = _need_db(db)
    conn = connect(url, read_only=True)
    try:
        schema = introspect(conn, schemas or None, privileges=with_privileges)
        extra = unmanaged(conn, schemas or None)
    finally:
        conn.close()
    try:
        files = pull_files(schema, SplitBy(split_by.value))
    except CompileError as err:
        _report(err.diagnostics)
        raise typer.Exit(int(Exit.BAD_INPUT)) from None
    clash = [n for n, text in files.items()
             if (out / n).exists() and _read_or_none(out / n) != text]
    if clash and not force:
        _fail(Exit.BAD_INPUT, f"error: {', '.join(str(out / n) for n in clash)} exist(s) and "
              "differ; pass --force to overwrite")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
    except OSError as err:
        _fail(Exit.BAD_INPUT, f"error: cannot write {out}: {err.strerror}")
    typer.echo(f"wrote {len(files)} file(s) to {out}/ ({len(schema.tables)} tables)")
    for kind, name in extra:
        _err(f"warning: {kind} {name} is not managed by schemac and was not pulled")


def _exit_now(code: object) -> NoReturn:
    """End the process without the interpreter's teardown, which frees every module and
    object one by one (about 50 ms, a sixth of `schemac check --skip-data`) where the OS
    frees them at once. Output is flushed first, and the exit handlers run (the embedded dev
    database stops through one); nothing else is pending: caches are written atomically
    when made, and the commands close their pools and connections."""
    if code is not None and not isinstance(code, int):
        _err(str(code))  # what sys.exit("message") would print
        code = 1
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: nothing more can be shown anyway
        pass
    os._exit(code or 0)


def main() -> None:
    """Entry point: no Python traceback ever reaches a user."""
    # One short-lived process building large, acyclic object graphs (the IR of thousands of
    # tables): the cyclic collector finds nothing to free and re-scans every object again and
    # again (a third of a warm diff of 1,000 tables). Reference counting still frees garbage.
    gc.disable()
    retain_until_exit()  # the process ends in `_exit_now`, which frees nothing one by one
    try:
        app()
    except SystemExit as done:  # how typer ends every command, a successful one included
        _exit_now(done.code)
    except UserError as err:
        _err(f"error: {err}")
        sys.exit(int(Exit.BAD_INPUT))
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(130)
    except BrokenPipeError:
        os._exit(0)
    except Exception as err:  # noqa: BLE001 - a bug must still not print a traceback
        if os.environ.get("SCHEMAC_DEBUG"):
            raise
        import psycopg

        from compiler.db import mask_dsn

        if isinstance(err, psycopg.Error):  # e.g. a statement timeout on a very large catalog
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            _err(f"error: the database refused a query: {mask_dsn(first)}")
            sys.exit(int(Exit.BAD_INPUT))
        _err(f"error: internal error: {type(err).__name__}: {mask_dsn(str(err))}\n"
             "  hint: this is a bug in schemac; rerun with SCHEMAC_DEBUG=1 for the details")
        sys.exit(int(Exit.BAD_INPUT))


if __name__ == "__main__":
    main()
