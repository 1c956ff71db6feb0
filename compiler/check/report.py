"""Renderers for a check `Report`: Markdown for people, JSON for programs, SARIF for CI.

Contract: `render(report, fmt)` with fmt `md`, `json` or `sarif` returns the whole document as
text ending in a newline; the same report always renders to the same bytes (no clocks, sorted
findings). `to_dict(report)` is the JSON model, described by docs/check-report.schema.json:
`{"findings": [...], "summary": {...}, "suppressed": [...]}`. SARIF is 2.1.0: one result per
finding, located on the `.schema` file and line that declared the rule when there is one (so
CI shows it as an annotation), suppressed findings carried as `inSource` suppressions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import PurePath
from typing import Any

from compiler import __version__
from compiler.check.findings import (
    RULES,
    AuditOutcome,
    Finding,
    Report,
    Severity,
    Suppressed,
    TableStatus,
)
from compiler.errors import Span

FORMATS = ("md", "json", "sarif")
DOCS = "docs/check.md"


def render(report: Report, fmt: str = "md") -> str:
    if fmt == "md":
        return render_markdown(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "sarif":
        return render_sarif(report)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


# -- JSON -------------------------------------------------------------------------------------


def _location(span: Span | None) -> dict[str, Any] | None:
    if span is None:
        return None
    return {"path": PurePath(span.path).as_posix(), "line": span.line, "column": span.col}


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": str(f.severity),
        "category": str(f.category),
        "table": f.table,
        "column": f.column,
        "columns": list(f.columns),
        "object": f.object,
        "message": f.message,
        "why": f.why,
        "fix": f.fix,
        "count": f.count,
        "sample": list(f.sample),
        "location": _location(f.span),
    }


def _table_dict(t: TableStatus) -> dict[str, Any]:
    d = dataclasses.asdict(t)
    del d["span"]
    d["location"] = _location(t.span)
    d["audits"] = [dataclasses.asdict(a) | {"columns": list(a.columns)} for a in t.audits]
    return d


def to_dict(report: Report) -> dict[str, Any]:
    summary = dataclasses.asdict(report.summary)
    summary["schemas"] = list(report.summary.schemas)
    summary["tables"] = [_table_dict(t) for t in report.tables]
    return {
        "findings": [finding_dict(f) for f in report.findings],
        "summary": summary,
        "suppressed": [finding_dict(s.finding) | {"reason": s.reason,
                                                  "directive": _location(s.span)}
                       for s in report.suppressed],
    }


def render_json(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


# -- SARIF ------------------------------------------------------------------------------------

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _fingerprint(f: Finding) -> str:
    key = "\0".join([f.code, f.table or "", ",".join(f.columns), f.object or ""])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _uri(path: str) -> str:
    p = PurePath(path)
    return p.as_uri() if p.is_absolute() else p.as_posix()


def _sarif_result(f: Finding, index: dict[str, int], s: Suppressed | None = None
                  ) -> dict[str, Any]:
    text = f.message + (f"\nFix:\n{f.fix}" if f.fix else "")
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": index[f.code],
        "level": _LEVEL[f.severity],
        "message": {"text": text},
        "partialFingerprints": {"schemacFinding/v1": _fingerprint(f)},
        "properties": {k: v for k, v in {
            "category": str(f.category), "table": f.table, "columns": list(f.columns),
            "object": f.object, "count": f.count, "sample": list(f.sample), "fix": f.fix,
        }.items() if v not in (None, [])},
    }
    location: dict[str, Any] = {}
    if f.span is not None:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": _uri(f.span.path)},
            "region": {"startLine": f.span.line, "startColumn": max(f.span.col, 1)},
        }
    name = ".".join(x for x in (f.table, f.column or f.object) if x)
    if name:
        location["logicalLocations"] = [{"fullyQualifiedName": name,
                                         "kind": "column" if f.column else "table"
                                         if f.table else "object"}]
    if location:
        result["locations"] = [location]
    if s is not None:
        result["suppressions"] = [{"kind": "inSource", "justification": s.reason}]
    return result


def render_sarif(report: Report) -> str:
    codes = sorted({f.code for f in report.findings}
                   | {s.finding.code for s in report.suppressed})
    index = {c: i for i, c in enumerate(codes)}
    rules = [{
        "id": c,
        "name": "".join(w.capitalize() for w in c.split("-")),
        "shortDescription": {"text": RULES[c].title},
        "fullDescription": {"text": RULES[c].why},
        "helpUri": f"{DOCS}#{c}",
        "defaultConfiguration": {"level": _LEVEL[RULES[c].severity]},
        "properties": {"category": str(RULES[c].category)},
    } for c in codes]
    results = [_sarif_result(f, index) for f in report.findings]
    results += [_sarif_result(s.finding, index, s) for s in report.suppressed]
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "schemac", "version": __version__,
                                "informationUri": "https://github.com/schemac/schemac",
                                "rules": rules}},
            "results": results,
            "properties": {"summary": dataclasses.asdict(report.summary)},
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# -- Markdown ---------------------------------------------------------------------------------

_ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1] + 'xes' if word.endswith('index') else word + 's'}"


def _counts(findings: list[Finding]) -> str:
    parts = [_plural(sum(1 for f in findings if f.severity == s), w)
             for s, w in ((Severity.ERROR, "error"), (Severity.WARNING, "warning"),
                          (Severity.INFO, "note"))]
    return ", ".join(p for p in parts if not p.startswith("0 "))


def _md_code(text: str) -> str:
    ticks = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _looks_like_sql(text: str) -> bool:
    return any(k in text for k in ("ALTER ", "CREATE ", "SELECT ", "INSERT ", "DROP ",
                                   "REINDEX ", "COMMENT ON "))


def _md_finding(f: Finding) -> list[str]:
    subject = ", ".join(f.columns) if f.columns else (f.object or "")
    head = f"- {_ICON[f.severity]} **{f.code}**" + (f" {_md_code(subject)}" if subject else "")
    lines = [f"{head}: {f.message}"]
    if f.sample:
        lines.append(f"  - sample (primary keys): {', '.join(_md_code(s) for s in f.sample)}")
    lines.append(f"  - why: {f.why}")
    if f.span is not None:
        lines.append(f"  - schema: {_md_code(f'{f.span.path}:{f.span.line}')}")
    if f.fix and "\n" not in f.fix and not _looks_like_sql(f.fix):
        lines.append(f"  - fix: {f.fix}")
    elif f.fix:
        lang = "sql" if _looks_like_sql(f.fix) else ""
        fence = "~~~~" if "```" in f.fix else "```"
        lines += ["  - fix:", "", f"    {fence}{lang}"]
        lines += [f"    {ln}" if ln else "" for ln in f.fix.splitlines()]
        lines += [f"    {fence}", ""]
    return lines


_AUDIT_KIND = {"duplicate-values": "unique", "orphaned-rows": "foreign key",
               "null-in-not-null": "NOT NULL", "check-violated": "CHECK",
               "expectation-failed": "expect", "missing-reference-rows": "reference rows"}


def _fine(t: TableStatus, findings: list[Finding]) -> list[str]:
    lines: list[str] = []
    codes = {f.code for f in findings}
    if t.declared and t.present:
        parts = []
        if "missing-column" not in codes:
            parts.append(f"all {_plural(t.columns_declared, 'declared column')} present")
        if not codes & {"missing-index", "missing-unique", "missing-primary-key"}:
            parts.append(f"{_plural(t.indexes_declared, 'index')} as declared")
        if "missing-foreign-key" not in codes and t.foreign_keys_declared:
            parts.append(f"{_plural(t.foreign_keys_declared, 'foreign key')} as declared")
        if parts:
            lines.append("- ✅ " + "; ".join(parts))
    elif t.present:
        lines.append(f"- {_plural(t.columns_found, 'column')}, "
                     f"{_plural(t.indexes_found, 'index')}, "
                     f"{_plural(t.foreign_keys_found, 'foreign key')}")
    ok = [a for a in t.audits if a.status == "ok"]
    if ok:
        kinds: dict[str, int] = {}
        for a in ok:
            kinds[_AUDIT_KIND.get(a.code, a.code)] = kinds.get(_AUDIT_KIND.get(a.code, a.code),
                                                               0) + 1
        detail = ", ".join(f"{n} {k}" for k, n in kinds.items())
        lines.append(f"- ✅ every row satisfies {_plural(len(ok), 'declared rule')} ({detail})")
    enforced = [a for a in t.audits if a.status == "enforced"]
    if enforced:
        lines.append(f"- 🔒 guaranteed by validated constraints, so no row was read: "
                     f"{'; '.join(_md_code(a.rule) for a in enforced)}")
    skipped = [a for a in t.audits if a.status == "skipped"]
    if skipped:
        lines.append(f"- ⏭️ not audited (their columns are missing): "
                     f"{'; '.join(_md_code(a.rule) for a in skipped)}")
    return lines


def _table_heading(t: TableStatus, findings: list[Finding]) -> str:
    worst = min((f.severity.rank for f in findings), default=3)
    icon = {0: "❌", 1: "⚠️", 2: "ℹ️", 3: "✅"}[worst]
    state = "" if t.present else " (missing)"
    state = state if t.declared else " (not in the schema)" if t.present else state
    counts = _counts(findings)
    return f"### {icon} {_md_code(t.table)}{state}" + (f" — {counts}" if counts else "")


def _audit_line(audits: list[AuditOutcome]) -> str:
    if not audits:
        return "not run"
    by: dict[str, int] = {}
    for a in audits:
        by[a.status] = by.get(a.status, 0) + 1
    return f"{_plural(len(audits), 'rule')} checked: " + ", ".join(
        f"{n} {s}" for s, n in sorted(by.items()))


def render_markdown(report: Report) -> str:
    s = report.summary
    findings = list(report.findings)
    out = ["# Database check", "",
           f"{_md_code(s.database)} · PostgreSQL {s.server_version} · schemas: "
           + ", ".join(_md_code(n) for n in s.schemas), ""]
    if not s.schema_given:
        out += ["No schema was given: catalog hygiene only (no drift, no audits of declared "
                + "rules).", ""]

    def row(what: str, declared: int, found: int) -> str:
        return f"| {what} | {declared if s.schema_given else '–'} | {found} |"

    out += ["## Summary", "", "| | Declared | Found |", "|---|---:|---:|",
            row("Tables", s.tables_declared, s.tables_found if s.schema_given else s.tables_live),
            row("Indexes", s.indexes_declared, s.indexes_live),
            row("Foreign keys", s.foreign_keys_declared, s.foreign_keys_live), ""]
    if s.schema_given and s.tables_live != s.tables_found:
        out += [f"The inspected schemas hold {_plural(s.tables_live, 'table')} in all.", ""]
    total = _counts(findings) or "none"
    extra = []
    if s.suppressed:
        extra.append(f"{s.suppressed} suppressed in the schema")
    if s.ignored:
        extra.append("ignored by --ignore: " + ", ".join(f"{c} ×{n}"
                                                         for c, n in s.ignored.items()))
    out.append(f"**Findings:** {total}" + (f" ({'; '.join(extra)})" if extra else "") + "  ")
    all_audits = [a for t in report.tables for a in t.audits]
    out.append("**Data audits:** " + (_audit_line(all_audits) if s.data_checked
                                      else "skipped (--skip-data)") + "  ")
    out += [f"_{s.null_semantics}_", ""]

    by_table: dict[str | None, list[Finding]] = {}
    for f in findings:
        by_table.setdefault(f.table, []).append(f)
    out += ["## Tables", ""]
    for t in report.tables:
        fs = by_table.pop(t.table, [])
        out += [_table_heading(t, fs), ""]
        out += _fine(t, fs)
        for f in fs:
            out += _md_finding(f)
        out.append("")
    rest = [f for k, fs in sorted(by_table.items(), key=lambda kv: kv[0] or "") for f in fs]
    if rest:
        out += ["## Database-wide", ""]
        for f in rest:
            out += _md_finding(f)
        out.append("")
    if report.suppressed:
        out += ["## Suppressed in the schema", ""]
        for sp in report.suppressed:
            f = sp.finding
            where = f" ({_md_code(f'{sp.span.path}:{sp.span.line}')})" if sp.span else ""
            out.append(f"- **{f.code}** {_md_code(f.table or '')}: {f.message} — "
                       f"_{sp.reason}_{where}")
        out.append("")
    out.append(f"Finding codes are explained in {DOCS}.")
    text = "\n".join(out)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.rstrip("\n") + "\n"
