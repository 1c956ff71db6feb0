"""One vocabulary for problems: Span, Diagnostic, CompileError, and a rustc-style renderer.

Every pass reports through these; the CLI is the only place that prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Span:
    path: str
    line: int
    col: int
    end_line: int | None = None
    end_col: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR


@dataclass(slots=True)
class CompileError(Exception):
    """Raised once per pass with every problem that pass found."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(d.message for d in self.diagnostics)


class UserError(Exception):
    """A problem outside the source text (a bad DSN, a missing directory): one readable line."""


def render(diagnostic: Diagnostic, source: str | None = None) -> str:
    """Render like rustc: `path:line:col: error: msg`, the source line, `^~~~`, `hint:`."""
    span = diagnostic.span
    head = f"{diagnostic.severity}: {diagnostic.message}"
    if span is None:
        lines = [head]
    else:
        lines = [f"{span}: {head}"]
        if source is None:
            source = _read_quietly(span.path)
        source_lines = source.splitlines() if source else []
        text = source_lines[span.line - 1] if 1 <= span.line <= len(source_lines) else None
        if text is not None:
            gutter = f"{span.line:>4} | "
            lines.append(gutter + text.expandtabs(1))
            width = 1
            if span.end_line == span.line and span.end_col and span.end_col > span.col:
                width = span.end_col - span.col
            width = max(1, min(width, len(text) - span.col + 2))
            caret = " " * (span.col - 1) + "^" + "~" * (width - 1)
            lines.append(" " * (len(gutter) - 2) + "| " + caret)
    if diagnostic.hint:
        lines.append(f"  hint: {diagnostic.hint}")
    return "\n".join(lines)


def _read_quietly(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
