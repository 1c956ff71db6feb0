"""The one model every part of `schemac check` reports through.

Contract:
- `RULES` maps each stable kebab-case finding code to its `Rule`: default severity, category,
  a short title and `why` (one sentence on why the rule exists). docs/check.md documents the
  same codes; a test keeps the two in step.
- `finding(code, ...)` builds a `Finding` with its rule's severity and why, so no caller
  invents a severity. `table` is the display name (`users`, `billing.invoices`), `columns`
  the columns involved, `object` the constraint/index/type concerned, `span` the `.schema`
  file and line that declared the rule where one did.
- `directives(schema)` reads `// schemac:ignore <code>[,<code>...] <reason>` comment lines
  directly above a table, column or index declaration (no grammar change: they are plain
  comments); `suppress(findings, directives)` splits findings into kept and suppressed.
- `Report` is what `run_check` returns and what the renderers in `report.py` read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from compiler import ir
from compiler.errors import Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


class Category(StrEnum):
    DRIFT = "drift"  # the live catalog differs from the declared schema
    HYGIENE = "hygiene"  # catalog lints that need no schema
    DATA = "data"  # rows that break a declared rule
    META = "meta"  # about the run itself (timeouts, directives)


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    severity: Severity
    category: Category
    title: str
    why: str


# shorthands, to keep the table of rules readable
E, W, I_ = Severity.ERROR, Severity.WARNING, Severity.INFO
D, H, R, M = Category.DRIFT, Category.HYGIENE, Category.DATA, Category.META

_RULES = (
    # -- drift: declared schema vs live catalog ------------------------------------------------
    Rule("missing-schema", E, D, "Declared schema missing",
         "Every object declared in it is missing too."),
    Rule("missing-extension", E, D, "Declared extension not installed",
         "Types and functions the schema relies on come from it."),
    Rule("missing-enum", E, D, "Declared enum type missing",
         "Columns declared with the type cannot exist without it."),
    Rule("unexpected-enum", W, D, "Enum type not in the schema",
         "An undeclared type is unreviewed and would be dropped by `schemac apply`."),
    Rule("enum-value-missing", E, D, "Enum value missing",
         "The application may write a declared value the database rejects."),
    Rule("enum-value-unexpected", W, D, "Enum value not in the schema",
         "Rows may hold a value the application does not know."),
    Rule("enum-order-mismatch", W, D, "Enum values in another order",
         "Enum values sort in declaration order, so ORDER BY and comparisons differ."),
    Rule("missing-domain", E, D, "Declared domain missing",
         "Columns declared with the domain cannot exist without it."),
    Rule("domain-mismatch", W, D, "Domain differs from its declaration",
         "A domain's type, nullability and checks constrain every column that uses it."),
    Rule("unexpected-domain", W, D, "Domain not in the schema",
         "An undeclared type is unreviewed and would be dropped by `schemac apply`."),
    Rule("missing-table", E, D, "Declared table missing",
         "The application expects the table; queries against it fail."),
    Rule("unexpected-table", W, D, "Table not in the schema",
         "An undeclared table is unreviewed and would be dropped by `schemac apply`."),
    Rule("missing-column", E, D, "Declared column missing",
         "A migration that adds it was not applied; queries naming it fail."),
    Rule("unexpected-column", W, D, "Column not in the schema",
         "An undeclared column is unreviewed and would be dropped by `schemac apply`."),
    Rule("deprecated-column-present", W, D, "Deprecated column still present",
         "The schema retired the column; keeping it invites new code to depend on it."),
    Rule("column-type-mismatch", E, D, "Column type differs",
         "Values, comparisons and storage follow the type the database has, not the "
         "declared one."),
    Rule("column-length-mismatch", E, D, "Column length or precision differs",
         "Values that fit the declaration may be rejected or truncated, or the reverse."),
    Rule("not-null-missing", E, D, "Declared NOT NULL not enforced",
         "Without the constraint the database accepts NULLs the application does not expect."),
    Rule("not-null-unexpected", W, D, "Column NOT NULL but declared nullable",
         "Writes of NULL that the schema allows fail."),
    Rule("default-mismatch", W, D, "Column default differs",
         "Rows inserted without the column get another value than declared."),
    Rule("collation-mismatch", W, D, "Column collation differs",
         "Sorting, comparison and unique checks on text follow the collation."),
    Rule("missing-primary-key", E, D, "Declared primary key missing",
         "Nothing stops duplicate or NULL keys, and rows cannot be addressed reliably."),
    Rule("primary-key-mismatch", E, D, "Primary key on other columns",
         "Row identity and the foreign keys that point here differ from the declaration."),
    Rule("missing-unique", E, D, "Declared uniqueness not enforced",
         "Without the constraint or unique index, duplicates can be written at any time."),
    Rule("missing-foreign-key", E, D, "Declared foreign key missing",
         "Without it rows can reference deleted or never-existing rows (orphans)."),
    Rule("foreign-key-mismatch", E, D, "Foreign key differs from its declaration",
         "It checks other columns or another table than declared."),
    Rule("on-delete-mismatch", E, D, "Foreign key ON DELETE/ON UPDATE differs",
         "Deleting a referenced row cascades, blocks or nulls differently than declared."),
    Rule("missing-check", E, D, "Declared CHECK missing",
         "Without it the database accepts rows the declaration rejects."),
    Rule("check-mismatch", E, D, "CHECK differs from its declaration",
         "The database tests another condition than the declared one."),
    Rule("unexpected-constraint", W, D, "Constraint not in the schema",
         "An undeclared constraint may reject writes the schema allows, and would be dropped "
         "by `schemac apply`."),
    Rule("missing-index", W, D, "Declared index missing",
         "Queries the index was declared for scan the table instead."),
    Rule("index-mismatch", W, D, "Index differs from its declaration",
         "It serves other queries (columns, order, predicate or method) than declared."),
    Rule("unexpected-index", W, D, "Index not in the schema",
         "An undeclared index costs every write and would be dropped by `schemac apply`."),
    Rule("name-mismatch", I_, D, "Same definition under another name",
         "Equivalent for the data, but migrations that name the object will not find it."),
    Rule("constraint-form-mismatch", I_, D, "Uniqueness enforced in another form",
         "A unique index and a UNIQUE constraint guard the data alike, but only a constraint "
         "can be the target of a foreign key or ON CONFLICT ON CONSTRAINT."),
    Rule("missing-object", E, D, "Declared view, function, trigger, sequence or policy missing",
         "Code that reads the view or calls the function fails; a missing trigger or policy "
         "silently stops doing its job."),
    Rule("object-differs", W, D, "View, function, trigger, sequence or policy differs",
         "The database runs another definition than the one reviewed in the schema."),
    Rule("missing-privilege", E, D, "Declared privilege not granted",
         "The role the schema grants it to is refused: the application or report that "
         "relies on it fails."),
    Rule("unexpected-privilege", W, D, "Privilege the schema does not grant",
         "A role can read or change more than the reviewed schema says; `schemac apply "
         "--with-privileges --allow-destructive` would revoke it."),
    Rule("comment-mismatch", I_, D, "Descriptions differ",
         "Comments are the documentation people read in their database tools."),
    Rule("unmanaged-object", I_, D, "Object the schema cannot describe",
         "schemac leaves it alone; it is named so nothing is silently out of view."),
    Rule("expressions-not-compared", I_, M, "Expressions compared only statically",
         "Without a dev database, defaults, checks and index predicates cannot be brought to "
         "PostgreSQL's stored form, so only their presence was compared."),
    # -- catalog hygiene -----------------------------------------------------------------------
    Rule("fk-without-index", W, H, "Foreign key without an index",
         "Deleting or updating a referenced row, and joins on the key, scan the whole "
         "referencing table."),
    Rule("timestamp-without-time-zone", W, H, "timestamp without time zone",
         "The value does not say which zone it was written in, so it shifts when servers, "
         "sessions or clients disagree."),
    Rule("table-without-primary-key", W, H, "Table without a primary key",
         "Rows cannot be addressed reliably, and logical replication cannot replicate "
         "updates and deletes."),
    Rule("duplicate-index", W, H, "Duplicate index",
         "Two identical indexes double the write and storage cost for no read benefit."),
    Rule("redundant-index", I_, H, "Redundant index",
         "Another index starts with the same columns and can serve the same lookups."),
    Rule("invalid-index", E, H, "Invalid index",
         "A failed concurrent build left it: the planner never uses it, yet every write "
         "still maintains it."),
    Rule("constraint-not-validated", W, H, "Constraint added NOT VALID and never validated",
         "Existing rows were never checked, so the constraint promises less than it says."),
    Rule("constraint-not-enforced", E, H, "Foreign key with disabled triggers",
         "PostgreSQL checks a foreign key through triggers; while they are disabled, rows "
         "that point at nothing are accepted."),
    Rule("nullable-column-in-unique", W, H, "Nullable column in a multi-column unique key",
         "NULLs never collide, so rows equal in every other column slip past the key."),
    Rule("fk-type-mismatch", W, H, "Foreign key column type differs from the referenced one",
         "Joins need casts, and values valid on one side may not fit the other."),
    Rule("sequence-near-exhaustion", W, H, "Sequence near its limit",
         "When it reaches the column's maximum, every insert fails."),
    Rule("duplicate-foreign-key", W, H, "Duplicate foreign key",
         "The same reference is checked twice on every write."),
    Rule("implied-foreign-key", I_, H, "Column looks like a reference but has no foreign key",
         "A `<table>_id` column without a foreign key can hold ids of rows that do not exist."),
    # -- data audits ---------------------------------------------------------------------------
    Rule("duplicate-values", E, R, "Rows break a declared uniqueness",
         "Duplicates make lookups ambiguous and block adding the constraint."),
    Rule("orphaned-rows", E, R, "Rows reference missing rows",
         "Orphans break joins and block adding or validating the foreign key."),
    Rule("null-in-not-null", E, R, "NULLs in a column declared NOT NULL",
         "Code that trusts the declaration fails on them, and they block SET NOT NULL."),
    Rule("check-violated", E, R, "Rows break a declared CHECK",
         "They hold values the declaration rules out, and block validating the CHECK."),
    Rule("expectation-failed", E, R, "Rows break a declared expectation",
         "The schema states a rule about the data (`expect`) that these rows do not follow."),
    Rule("missing-reference-rows", E, R, "Declared reference rows missing",
         "The application relies on these rows (`rows` in the schema) existing."),
    Rule("audit-timed-out", W, M, "Audit timed out",
         "The rule could not be checked within the statement timeout, so its rows are "
         "unknown."),
    Rule("audit-failed", W, M, "Audit could not run",
         "The rule could not be checked, so its rows are unknown."),
    Rule("invalid-ignore-directive", W, M, "Unusable schemac:ignore directive",
         "A directive needs a known code and a reason, or it silences nothing."),
)
RULES: dict[str, Rule] = {r.code: r for r in _RULES}
del E, W, I_, D, H, R, M  # shorthands for the table above only


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    code: str
    severity: Severity
    category: Category
    table: str | None
    columns: tuple[str, ...] = ()
    object: str | None = None  # constraint, index, type or sequence; an expectation's rule
    message: str
    why: str
    fix: str | None = None
    count: int | None = None  # rows involved, for data findings
    sample: tuple[str, ...] = ()  # primary keys (as text) of some of those rows
    span: Span | None = None

    @property
    def column(self) -> str | None:
        return self.columns[0] if len(self.columns) == 1 else None

    def sort_key(self) -> tuple[str, int, str, str, str, str]:
        return (self.table or "", self.severity.rank, self.code, ",".join(self.columns),
                self.object or "", self.message)


def finding(code: str, *, table: ir.QName | str | None, message: str,
            columns: tuple[str, ...] = (), object: str | None = None, fix: str | None = None,
            count: int | None = None, sample: Iterable[object] = (),
            span: Span | None = None) -> Finding:
    rule = RULES[code]
    return Finding(code=code, severity=rule.severity, category=rule.category,
                   table=None if table is None else str(table), columns=tuple(columns),
                   object=object, message=message, why=rule.why, fix=fix, count=count,
                   sample=tuple(str(s) for s in sample), span=span)


# -- suppression ------------------------------------------------------------------------------

_DIRECTIVE = re.compile(r"^\s*//+\s*schemac:ignore\b(.*)$")


@dataclass(frozen=True, slots=True)
class Directive:
    codes: tuple[str, ...]
    reason: str
    table: str
    column: str | None = None  # None: the whole table (or the index named in `object`)
    object: str | None = None
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Suppressed:
    finding: Finding
    reason: str
    span: Span | None  # where the directive is


def _lines(path: str, cache: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    if path not in cache:
        try:
            cache[path] = tuple(Path(path).read_text(encoding="utf-8").splitlines())
        except (OSError, UnicodeDecodeError):
            cache[path] = ()  # a file gone since it was compiled: no directives
    return cache[path]


def _directives_above(span: Span | None, cache: dict[str, tuple[str, ...]]
                      ) -> list[tuple[int, str]]:
    """(line number, text after `schemac:ignore`) for the comment block directly above
    `span`'s line: consecutive lines that are `//` or `///` comments, nearest first."""
    if span is None:
        return []
    lines = _lines(span.path, cache)
    out: list[tuple[int, str]] = []
    n = span.line - 1  # 1-based line above the declaration
    while 1 <= n <= len(lines) and lines[n - 1].lstrip().startswith("//"):
        if m := _DIRECTIVE.match(lines[n - 1]):
            out.append((n, m.group(1).strip()))
        n -= 1
    return out


def directives(schema: ir.Schema | None) -> tuple[list[Directive], list[Finding]]:
    """Every ignore directive in the schema's source files, and a finding for each one that
    cannot be used (unknown code, no reason)."""
    found: list[Directive] = []
    bad: list[Finding] = []
    if schema is None:
        return found, bad
    sources: dict[str, tuple[str, ...]] = {}  # each file read once per run

    def read(span: Span | None, table: ir.QName, column: str | None = None,
             obj: str | None = None) -> None:
        for line, text in _directives_above(span, sources):
            assert span is not None
            where = Span(span.path, line, 1)
            codes_text, _, reason = text.replace("\t", " ").partition(" ")
            codes = tuple(c for c in codes_text.split(",") if c)
            unknown = [c for c in codes if c not in RULES]
            if not codes or unknown or not reason.strip():
                problem = ("no code" if not codes else f"unknown code {', '.join(unknown)}"
                           if unknown else "no reason given")
                bad.append(finding(
                    "invalid-ignore-directive", table=table,
                    columns=(column,) if column else (), object=obj, span=where,
                    message=f"`schemac:ignore {text}` is ignored: {problem}",
                    fix="// schemac:ignore <code>[,<code>...] <why this is fine here>"))
                continue
            found.append(Directive(codes, reason.strip(), str(table), column, obj, where))

    for t in schema.tables:
        read(t.span, t.name)
        for c in t.columns:
            read(c.span, t.name, column=c.name)
        for ix in t.indexes:
            read(ix.span, t.name, obj=ix.name)
    return found, bad


def suppress(findings: Iterable[Finding], directives: list[Directive]
             ) -> tuple[list[Finding], list[Suppressed]]:
    """A directive on a table covers every finding of that table with one of its codes; on a
    column, the findings that name the column; on an index, the findings about that index."""
    kept: list[Finding] = []
    gone: list[Suppressed] = []
    for f in findings:
        hit = next((d for d in directives if f.code in d.codes and f.table == d.table
                    and (d.column is None or d.column in f.columns)
                    and (d.object is None or d.object == f.object)), None)
        if hit is None:
            kept.append(f)
        else:
            gone.append(Suppressed(f, hit.reason, hit.span))
    return kept, gone


# -- the report -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditOutcome:
    """One declared rule asked of the rows: `status` is ok, violated, timed-out, failed,
    enforced (a validated constraint guarantees it, so no row was read) or skipped (its
    table or columns are missing: drift already says so)."""

    table: str
    rule: str
    code: str
    columns: tuple[str, ...]
    status: str
    count: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TableStatus:
    table: str
    declared: bool
    present: bool
    columns_declared: int = 0
    columns_found: int = 0
    indexes_declared: int = 0
    indexes_found: int = 0
    foreign_keys_declared: int = 0
    foreign_keys_found: int = 0
    audits: tuple[AuditOutcome, ...] = ()
    span: Span | None = None


NULL_SEMANTICS = (
    "NULL semantics are PostgreSQL's: NULLs never collide in a UNIQUE (unless NULLS NOT "
    "DISTINCT), a foreign key with a NULL column is not checked (MATCH SIMPLE), and a CHECK or "
    "expectation that evaluates to NULL passes.")


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    database: str  # the DSN with its password masked
    server_version: str
    schemas: tuple[str, ...]
    schema_given: bool
    data_checked: bool
    tables_declared: int
    tables_found: int  # declared tables present
    tables_live: int  # tables in the inspected schemas
    indexes_declared: int
    indexes_live: int  # every index, including those behind primary keys and UNIQUE
    foreign_keys_declared: int
    foreign_keys_live: int
    findings: dict[str, int] = field(default_factory=dict)  # by severity
    suppressed: int = 0
    ignored: dict[str, int] = field(default_factory=dict)  # --ignore CODE: how many dropped
    audits: dict[str, int] = field(default_factory=dict)  # by status
    null_semantics: str = NULL_SEMANTICS


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    findings: tuple[Finding, ...]
    suppressed: tuple[Suppressed, ...]
    summary: Summary
    tables: tuple[TableStatus, ...]

    @property
    def has_errors(self) -> bool:
        return any(f.severity == Severity.ERROR for f in self.findings)
