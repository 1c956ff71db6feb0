"""Parse one `.schema` file into IR fragments.

Contract: `parse_source(text, path)` returns a `ParsedFile` (the file's declarations as IR,
with spans) or raises `CompileError` with one diagnostic, worded from a table of labelled
bad examples. Names are folded to lower case unless double-quoted (PostgreSQL's rule); types
are brought to `format_type` spelling; constraints and indexes get their final names here,
since naming needs only the table. Cross-file resolution and checks live in `validate`.

The IR is built while the LALR parser runs (`lowering_parser()`: no parse tree). `parser()`
is the plain parser that builds a tree: for `fmt`, for tests and for wording syntax errors
(`compiler.parse_errors`). A table's members become one `ir.Table` in
`compiler.parse_tables`; views, functions, triggers, sequences and grants are lowered by the
callbacks of `compiler.parse_objects`.
"""

from __future__ import annotations

import functools
import hashlib
import re
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from lark import (
    Lark,
    Token,
    Tree,
    UnexpectedInput,
)

from compiler import ir, names
from compiler.errors import CompileError, Diagnostic, Span
from compiler.frozen import constructor, replace
from compiler.lalr import Rejected, Symbol, Symbols, driver
from compiler.objects import trigger_definition
from compiler.parse_errors import syntax_diagnostic
from compiler.parse_objects import META_CALLBACKS, ObjectCallbacks, _TableKind, with_meta
from compiler.parse_tables import ColumnList, ColumnParts, Option, assemble_table
from compiler.parsed import ParsedFile, grammar_text
from compiler.types import SERIALS, canonical_type


@functools.cache
def parser(strict: bool = False) -> Lark:
    """The plain parser (a tree, no lowering): for tests, fuzzing and wording syntax errors.
    Built once per process: constructing the LALR tables is the costly part."""
    # cache=True keeps the analysed LALR tables in the temp directory, keyed by the grammar's
    # hash: a fresh process loads them instead of rebuilding them (about 0.4 s)
    return Lark(grammar_text(), parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=False, strict=strict, cache=not strict)


def parse_source(text: str, path: str, *, expected: int = 0, first_line: int = 1
                 ) -> ParsedFile:
    """`expected`: how many characters this process expects to parse in all, this text
    included (a hint for `compiler.lalr`, which then builds its quickest lexers at once).
    `first_line`: the line of the file `path` that `text` starts, for a piece of a file
    (spans are the file's)."""
    text = text.removeprefix("\ufeff")
    _lark, builder, run = lowering_parser()
    builder.reset(text, path, first_line)
    try:
        run(text, expected)
    except (UnexpectedInput, Rejected):
        # worded against the plain parser: its states are the ones the examples were
        # matched in, and errors are rare enough to parse twice
        try:
            parser().parse(text)
        except UnexpectedInput as err:
            raise CompileError([syntax_diagnostic(err, text, path, parser().parse)]) from None
        raise  # pragma: no cover - both parsers accept the same language
    if builder.diagnostics:
        raise CompileError(builder.diagnostics)
    return builder.out


# --- lowering while parsing ------------------------------------------------------------------
#
# The rule callbacks run as soon as the LALR parser reduces a rule (`compiler.lalr`), so no
# parse tree is built and walked again. Positions are tracked here: each callback's result
# travels up wrapped in a `_Node` with the rule's extent as offsets into the text, from its
# first and last child; lines and columns are worked out only for the spans that are made.
# Keyword and punctuation tokens are kept in the children (`keep_all_tokens`) for that
# purpose only, and dropped before the callback sees them, so callbacks get exactly the
# children a tree transformer would.


class _Node:
    """A callback's result and the extent of the rule it lowered (also its `meta`)."""

    __slots__ = ("value", "start_pos", "end_pos")

    value: Any
    start_pos: int | None
    end_pos: int | None


def _callback(function: Any, takes_meta: bool, drop: set[str], symbols: Symbols) -> Any:
    """The reduction of a rule whose children come as its `symbols`: which of them the
    callback gets, and which are results to unwrap, is decided here, once, and written out
    as code. Only the children a spliced `_rule` brought in (their number varies) are
    looked at one by one as they come. A reduction runs about 150 times per table."""
    def kept(at: list[tuple[str, Symbol]]) -> list[str]:
        return [index if is_term or name == "name" else f"{index}.value"
                for index, (name, is_term) in at if not (is_term and name in drop)]

    spliced = [i for i, (name, is_term) in enumerate(symbols)
               if not is_term and name.startswith("_")]
    call = "function(node, kept)" if takes_meta else "function(kept)"
    lines = ["def reduce(c):", "    node = new(_Node)"]
    if symbols:
        lines += ["    start = c[0].start_pos" if not spliced or spliced[0] else
                  "    start = c[0].start_pos if c else None",
                  "    end = c[-1].end_pos" if not spliced or spliced[-1] < len(symbols) - 1
                  else "    end = c[-1].end_pos if c else None",
                  "    if start is None or end is None:",
                  "        start, end = _extent(c)"]
    else:
        lines.append("    start = end = None")
    lines += ["    node.start_pos = start", "    node.end_pos = end"]
    if not spliced:
        fixed = kept([(f"c[{i}]", symbol) for i, symbol in enumerate(symbols)])
        lines.append(f"    kept = [{', '.join(fixed)}]")
    else:
        first, last = spliced[0], spliced[-1]
        after = len(symbols) - 1 - last  # fixed children after the last spliced one
        head = kept([(f"c[{i}]", symbols[i]) for i in range(first)])
        tail = kept([(f"c[{i - len(symbols)}]", symbols[i])
                     for i in range(last + 1, len(symbols))])
        middle = ("*[x.value if x.__class__ is _Node else x"
                  f" for x in c[{first}:{f'-{after}' if after else ''}]"
                  " if x.__class__ is _Node or x.type not in drop]")
        lines.append(f"    kept = [{', '.join([*head, middle, *tail])}]")
    lines += [f"    node.value = {call}", "    return node", ""]
    namespace = {"new": object.__new__, "_Node": _Node, "_extent": _extent,
                 "function": function, "drop": frozenset(drop)}
    exec(_compiled("\n".join(lines)), namespace)  # noqa: S102 - made from the grammar alone
    return namespace["reduce"]


@functools.cache
def _compiled(source: str) -> Any:
    """Rules of the same shape get the same code: compiled once (460 rules, 130 shapes)."""
    return compile(source, "<reduce>", "exec")


def _extent(children: list[Any]) -> tuple[int | None, int | None]:
    placed = [c for c in children if c.start_pos is not None]
    return (placed[0].start_pos, placed[-1].end_pos) if placed else (None, None)


def _callback_for(builder: _Builder, drop: set[str]) -> Any:
    """The reduction of each rule the lowering driver asks for: the builder's method of the
    same name, wrapped; a rule without one becomes a Tree, as Lark would make it."""

    def callback_for(name: str, symbols: Symbols) -> Any:
        method = getattr(builder, name, None)
        if name == "name":
            # one token in, one token out: pushed as it is, carrying its own extent
            return method
        if callable(method):
            return _callback(method, name in META_CALLBACKS, drop, symbols)
        return _callback(lambda kept: Tree(name, kept), False, drop, symbols)

    return callback_for


@functools.cache
def lowering_parser() -> tuple[Lark, _Builder, Callable[[str, int], Any]]:
    """The parser that lowers while it parses, the builder its callbacks fill (reset per
    file, so one parse at a time per process) and the run of its tables by
    `compiler.lalr` (the same parse as `Lark.parse`, with less overhead per token). Built
    once per process, like `parser()`, and likewise cached on disk by Lark."""
    builder = _Builder("", "")
    grammar = grammar_text()
    lark = Lark(grammar, parser="lalr", lexer="contextual", keep_all_tokens=True,
                maybe_placeholders=False, cache=True)
    drop = _tokens_a_tree_drops(lark, grammar)
    return lark, builder, driver(lark, _callback_for(builder, drop))


def _tokens_a_tree_drops(lark: Lark, grammar: str) -> set[str]:
    """Tokens a parse tree would not hold: terminals whose names start with `_`, and the
    anonymous ones (keywords and punctuation written as string literals in rules). Every
    terminal the grammar names is a regular expression, and is kept."""
    named = set(re.findall(r"^([A-Z][A-Z0-9_]*)\s*:", grammar, re.MULTILINE))
    return {t.name for t in lark.terminals if t.name.startswith("_") or t.name not in named}


# --- lowering --------------------------------------------------------------------------------


def doc_lines(doc: str) -> list[str]:
    """The text of each `///` line of a DOC token (which also holds the line breaks and the
    `//` comments after them)."""
    first, _, rest = doc.partition("\n")
    if "///" not in rest:  # one line: the rest is line breaks (and comments)
        return [first[3:].strip()]
    lines = [line.strip() for line in doc.split("\n")]
    return [line[3:].strip() for line in lines if line.startswith("///")]


def _message(tok: Token) -> str:
    return str(tok)[1:-1].replace('""', '"')


def squash(sql: str) -> str:
    """Fold runs of white space outside quotes to one space: `a  >\n 0` -> `a > 0`; and drop
    `//` and `--` comments, which would otherwise swallow the rest of a folded line."""
    if "//" in sql or "--" in sql:
        return fold_spaces(_strip_comments(sql))
    # most expressions have nothing to fold: no space but single ASCII spaces
    # (`isprintable` is false for every other white space character)
    stripped = sql.strip()
    if "  " not in stripped and stripped.isprintable():
        return stripped
    return fold_spaces(sql)


def fold_spaces(sql: str) -> str:
    """`squash` character by character, comments aside."""
    out: list[str] = []
    quote: str | None = None
    pending_space = False
    for ch in sql.strip():
        if quote:
            out.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch.isspace():
            pending_space = True
            continue
        if pending_space and out:
            out.append(" ")
        pending_space = False
        out.append(ch)
        if ch in "'\"":
            quote = ch
    return "".join(out)


def _strip_comments(sql: str) -> str:
    out: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(sql):
        ch = sql[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif sql.startswith(("//", "--"), i):
            end = sql.find("\n", i)
            i = len(sql) if end < 0 else end
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_NEWLINE = re.compile("\n")
_new_span: Callable[..., Span] = constructor(Span)  # about 20 spans a table
_new_qname: Callable[..., ir.QName] = constructor(ir.QName)  # (schema, name)
_new_index_element: Callable[..., ir.IndexElement] = constructor(ir.IndexElement)
# a built-in type written as one word, unqualified -> what `_Builder.type` makes of it (it
# depends on the word alone); filled as the words are met
_BARE_BUILTIN_TYPES: dict[str, tuple[str, bool, None]] = {}


# column options that set a field of the column: the option's kind -> the field
_COLUMN_FIELDS = {"default": "default", "identity": "identity", "generated": "generated",
                  "deprecated": "deprecated", "renamed": "renamed_from", "collate": "collation"}


class _Builder(ObjectCallbacks):
    """Rule callbacks -> IR fragments. Callbacks return small payloads; `table` assembles
    the rest."""

    def __init__(self, text: str, path: str) -> None:
        self.reset(text, path)

    def reset(self, text: str, path: str, first_line: int = 1) -> None:
        """`first_line`: the line of the file that `text` starts (a piece of a file)."""
        self.text = text
        self.path = path
        # a line starts after each newline; lines before the text's first one are a count
        self.line_starts = [0, *(m.end() for m in _NEWLINE.finditer(text))]
        self.lines_before = first_line - 1
        self.out = ParsedFile(path)
        self.current_section: str | None = None
        self.diagnostics: list[Diagnostic] = []

    # helpers
    def _span(self, meta: Any) -> Span:
        # the text's lines and columns count from 1
        starts = self.line_starts
        line = bisect_right(starts, meta.start_pos)
        end_line = bisect_right(starts, meta.end_pos)
        before = self.lines_before
        return _new_span(self.path, line + before, meta.start_pos - starts[line - 1] + 1,
                         end_line + before, meta.end_pos - starts[end_line - 1] + 1)

    def _tok_span(self, tok: Token) -> Span:
        return self._span(tok)

    def _source_digest(self, meta: Any) -> bytes:
        """What a declaration parses from: its text (with its `///` lines), the file and the
        place where it starts. Equal digests mean equal IR, spans included."""
        starts = self.line_starts
        line = bisect_right(starts, meta.start_pos)
        where = f"{self.path}\0{line + self.lines_before}\0{meta.start_pos - starts[line - 1]}\0"
        return hashlib.blake2b(
            (where + self.text[meta.start_pos:meta.end_pos]).encode(), digest_size=16).digest()

    def _slice(self, meta: Any) -> str:
        return squash(self.text[meta.start_pos : meta.end_pos])

    # leaves
    def name(self, children: list[Token]) -> Token:
        tok = children[0]
        value = tok.value
        if tok.type == "DQSTRING":
            value = value[1:-1].replace('""', '"')
        else:
            value = value.lower()  # PostgreSQL folds unquoted names
        # most names are already lower case: copying a Token is costly in a large schema
        if value == tok.value:
            return tok
        # a token of `compiler.lalr` has offsets but no line and column (`Token.update`
        # would copy them)
        folded: Token = str.__new__(Token, value)
        folded.type, folded.value = tok.type, value
        folded.start_pos, folded.end_pos = tok.start_pos, tok.end_pos
        return folded

    @with_meta
    def qname(self, meta: Any, children: list[Token]) -> tuple[ir.QName, Any]:
        # (name, where it is written): most names (types, referenced tables) need no span,
        # so the declarations that keep one make it with `_span`
        if len(children) == 2:
            return _new_qname(str(children[0]), str(children[1])), meta
        return _new_qname("public", str(children[0])), meta

    def column_list(self, children: list[Token]) -> ColumnList:
        return ColumnList(str(c) for c in children)

    @with_meta
    def paren_expr(self, meta: Any, _children: list[Any]) -> str:
        return self._slice(meta)[1:-1].strip()

    @with_meta
    def line_expr(self, meta: Any, _children: list[Any]) -> str:
        return self._slice(meta)

    @with_meta
    def value(self, meta: Any, _children: list[Any]) -> str:
        return self._slice(meta)

    @with_meta
    def call(self, meta: Any, _children: list[Any]) -> str:
        return self._slice(meta)

    def doc(self, children: list[Token]) -> str | None:
        text = "\n".join(doc_lines(children[0]))
        return text or None  # PostgreSQL stores an empty comment as no comment

    # types
    @with_meta
    def type(self, meta: Any, children: list[Any]) -> tuple[str, bool, Span | None]:
        if len(children) == 1:  # `int`, `text`, `timestamptz`: most columns
            known_type = _BARE_BUILTIN_TYPES.get(children[0].value)
            if known_type is not None:
                return known_type
        if len(children) > 1 and children[1].__class__ is Token:  # schema.name
            qn = _new_qname(children[0].value, children[1].value)
            rest = children[2:]
        else:
            qn = _new_qname("public", children[0].value)
            rest = children[1:]
        # user types are spelt as format_type spells them: quoted where PostgreSQL quotes
        words = [names.display(qn)]
        args: tuple[int, ...] = ()
        tz: bool | None = None
        dims = 0
        for part in rest:
            if isinstance(part, Tree):
                kind = part.data
                if kind == "type_args":
                    args = tuple(int(str(t)) for t in part.children)
                elif kind == "with_time_zone":
                    tz = True
                elif kind == "without_time_zone":
                    tz = False
                elif kind == "array_suffix":
                    dims += 1
                else:
                    words.append(str(kind))
        text = " ".join(words)
        serial = text in SERIALS
        if serial:
            text = SERIALS[text]
        canon, known = canonical_type(text, args, tz, dims)
        if known:  # nothing for validation to look up: no span, which most types would cost
            if len(children) == 1:
                _BARE_BUILTIN_TYPES[children[0].value] = (canon, serial, None)
            return canon, serial, None
        span = self._span(meta)
        self.out.type_uses.append((canon, span))
        return canon, serial, span

    def cast(self, children: list[Any]) -> Any:
        return children[0]

    # column options: each returns (kind, payload, span); options that become a field of
    # the column (or domain) have no span of their own to keep, so none is made
    def not_null(self, _c: list[Any]) -> tuple[str, Any, None]:
        return "not_null", None, None

    def null(self, _c: list[Any]) -> tuple[str, Any, None]:
        return "null", None, None

    def default(self, c: list[Any]) -> tuple[str, Any, None]:
        return "default", c[0], None

    @with_meta
    def primary_key_inline(self, meta: Any, _c: list[Any]) -> tuple[str, Any, Span]:
        return "pk", None, self._span(meta)

    @with_meta
    def unique_inline(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return "unique", bool(c), self._span(meta)

    @with_meta
    def references(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        (target, _), rest = c[0], c[1:]
        cols = next((tuple(x) for x in rest if isinstance(x, ColumnList)), None)
        opts = dict(x for x in rest if isinstance(x, Option))
        return "fk", (target, cols, opts), self._span(meta)

    @with_meta
    def check(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        name = str(c[0]) if len(c) == 2 else None
        return "check", (name, c[-1]), self._span(meta)

    def identity_always(self, _c: list[Any]) -> tuple[str, Any, None]:
        return "identity", ir.Identity.ALWAYS, None

    def identity_by_default(self, _c: list[Any]) -> tuple[str, Any, None]:
        return "identity", ir.Identity.BY_DEFAULT, None

    def generated(self, c: list[Any]) -> tuple[str, Any, None]:
        return "generated", c[0], None

    def collate(self, c: list[Any]) -> tuple[str, Any, None]:
        return "collate", str(c[0]), None

    def deprecated(self, c: list[Any]) -> tuple[str, Any, None]:
        return "deprecated", _message(c[0]) if c else "deprecated", None

    def renamed(self, c: list[Any]) -> tuple[str, Any, None]:
        return "renamed", str(c[0]), None

    @with_meta
    def expect(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        table_wide = bool(c) and isinstance(c[0], Tree) and c[0].data == "table_scope"
        if table_wide:
            c = c[1:]
        kind, arg = c[0]
        message = _message(c[1]) if len(c) > 1 else None
        return "expect", (table_wide, kind, arg, message), self._span(meta)

    def expect_matches(self, c: list[Token]) -> tuple[ir.ExpectKind, str]:
        return ir.ExpectKind.MATCHES, _sql_string_value(str(c[0]))

    def expect_not_matches(self, c: list[Token]) -> tuple[ir.ExpectKind, str]:
        return ir.ExpectKind.NOT_MATCHES, _sql_string_value(str(c[0]))

    def expect_json(self, _c: list[Any]) -> tuple[ir.ExpectKind, None]:
        return ir.ExpectKind.JSON, None

    def expect_predicate(self, c: list[str]) -> tuple[ir.ExpectKind, str]:
        return ir.ExpectKind.PREDICATE, c[0]

    # fk options
    def on_delete(self, c: list[Any]) -> Option:
        # `on delete set null (col, ...)`: the action, and the columns it is limited to
        return Option("on_delete", (c[0], tuple(c[1]) if len(c) > 1 else ()))

    def on_update(self, c: list[ir.FkAction]) -> Option:
        return Option("on_update", c[0])

    def cascade(self, _c: list[Any]) -> ir.FkAction:
        return ir.FkAction.CASCADE

    def restrict(self, _c: list[Any]) -> ir.FkAction:
        return ir.FkAction.RESTRICT

    def no_action(self, _c: list[Any]) -> ir.FkAction:
        return ir.FkAction.NO_ACTION

    def set_null(self, _c: list[Any]) -> ir.FkAction:
        return ir.FkAction.SET_NULL

    def set_default(self, _c: list[Any]) -> ir.FkAction:
        return ir.FkAction.SET_DEFAULT

    def fk_action(self, c: list[ir.FkAction]) -> ir.FkAction:
        return c[0]

    def deferrable(self, c: list[Any]) -> Option:
        return Option("deferrable", bool(c) and c[0] == "deferred")

    def initially_deferred(self, _c: list[Any]) -> str:
        return "deferred"

    def initially_immediate(self, _c: list[Any]) -> str:
        return "immediate"

    def nulls_not_distinct(self, _c: list[Any]) -> str:
        return "nulls_not_distinct"

    # index parts
    def using(self, c: list[Token]) -> tuple[str, str]:
        return "using", str(c[0])

    def include(self, c: list[tuple[str, ...]]) -> tuple[str, tuple[str, ...]]:
        return "include", tuple(c[0])

    def where(self, c: list[str]) -> tuple[str, str]:
        return "where", c[0]

    def opclass(self, c: list[Token]) -> tuple[str, str]:
        return "opclass", str(c[0])

    def asc(self, _c: list[Any]) -> tuple[str, bool]:
        return "desc", False

    def desc(self, _c: list[Any]) -> tuple[str, bool]:
        return "desc", True

    def nulls_first(self, _c: list[Any]) -> tuple[str, bool]:
        return "nulls_first", True

    def nulls_last(self, _c: list[Any]) -> tuple[str, bool]:
        return "nulls_first", False

    def index_element(self, c: list[Any]) -> ir.IndexElement:
        head, opts = c[0], c[1:]
        kw: dict[str, Any] = {}
        for opt in opts:
            key, val = opt[0], opt[1]
            kw[{"collate": "collation", "desc": "descending"}.get(key, key)] = val
        if isinstance(head, Token):
            return _new_index_element(column=str(head), **kw)
        return _new_index_element(expression=str(head), **kw)

    def index_elements(self, c: list[ir.IndexElement]) -> tuple[ir.IndexElement, ...]:
        return tuple(c)

    @with_meta
    def index(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return "index", (False, c), self._span(meta)

    @with_meta
    def unique_index(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return "index", (True, c), self._span(meta)

    @with_meta
    def primary_key(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        name = str(c[0]) if len(c) == 2 else None
        return "table_pk", (name, tuple(c[-1])), self._span(meta)

    @with_meta
    def unique_constraint(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        name = str(c[0]) if c and isinstance(c[0], Token) else None
        cols = next(tuple(x) for x in c if isinstance(x, ColumnList))
        nnd = "nulls_not_distinct" in c
        deferrable = next((x.value for x in c if isinstance(x, Option)), None)
        return "table_unique", (name, cols, nnd, deferrable), self._span(meta)

    @with_meta
    def foreign_key(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        name = str(c[0]) if isinstance(c[0], Token) else None
        rest = c[1:] if name else c
        cols, (target, _), tail = rest[0], rest[1], rest[2:]
        ref_cols = next((tuple(x) for x in tail if isinstance(x, ColumnList)), None)
        opts = dict(x for x in tail if isinstance(x, Option))
        return "table_fk", (name, tuple(cols), target, ref_cols, opts), self._span(meta)

    # members and definitions
    def column_def(self, c: list[Any]) -> ColumnParts:
        # a name is a Token; a description, before it, is a str or None (an empty one)
        doc = None
        if c[0].__class__ is not Token:
            doc, c = c[0], c[1:]
        name_tok, (type_text, serial, _tspan) = c[0], c[1]
        kw: dict[str, Any] = {"name": str(name_tok), "type": type_text, "serial": serial,
                              "span": self._span(name_tok)}
        inline: list[tuple[str, Any, Span]] = []
        not_null = serial  # PostgreSQL makes serial, identity and primary key columns NOT NULL
        for kind, payload, span in c[2:]:
            if kind == "not_null":
                kw["nullable"] = False
            elif kind == "null":
                kw["nullable"] = True
            elif kind in _COLUMN_FIELDS:
                kw[_COLUMN_FIELDS[kind]] = payload
                not_null = not_null or kind == "identity"
            else:
                inline.append((kind, payload, span))
                not_null = not_null or kind == "pk"
        if not_null:
            kw["nullable"] = False
        if doc is not None:
            kw["comment"] = doc
        return ColumnParts(kw, inline)

    def index_def(self, c: list[Any]) -> tuple[str, Any, Span]:
        if len(c) == 2:
            kind, (unique, parts), span = c[1]
            return kind, (unique, [*parts, Option("comment", c[0])]), span
        return c[0]  # type: ignore[no-any-return]

    @with_meta
    def table(self, meta: Any, c: list[Any]) -> ir.Table:
        # one pass, by class: most members are columns, and a table has a dozen or more
        kinds: list[_TableKind] = []
        head: tuple[ir.QName, Any] | None = None  # the name, the first child not a kind
        members: list[Any] = []
        for m in c:
            cls = m.__class__
            if cls is ColumnParts:
                members.append(m)
            elif cls is _TableKind:
                kinds.append(m)
            elif head is None:
                head = m
            elif cls is not tuple or not m or m[0] not in ("trigger", "policy", "rls"):
                members.append(m)
            elif m[0] == "trigger":
                constraint, name, timing, clause, comment = m[1]
                self.out.triggers.append(ir.Trigger(
                    table=head[0], name=name, span=m[2], comment=comment,
                    definition=trigger_definition(head[0], name, timing, clause, constraint)))
            elif m[0] == "policy":
                self.out.policies.append(ir.Policy(table=head[0], span=m[2], **m[1]))
            else:
                flag: dict[str, Any] = {m[1]: True}
                kinds.append(_TableKind(**flag))
        assert head is not None  # the grammar puts a name in every table
        qn, where = head
        renamed_from = None
        if members and members[0].__class__ is tuple and members[0][0] == "renamed":
            renamed_from = members[0][1]
            members = members[1:]
        table = assemble_table(self.diagnostics, qn, self._span(where), renamed_from, members)
        for k in kinds:
            table = _replace(table, **{f: getattr(k, f) for f in k._fields
                                       if getattr(k, f) not in (None, False, ())})
        return table

    @with_meta
    def enum(self, meta: Any, c: list[Any]) -> ir.Enum:
        (qn, where), values = c[0], c[1:]
        return ir.Enum(name=qn, values=tuple(values), span=self._span(where))

    def enum_value(self, c: list[Token]) -> str:
        tok = c[0]
        if isinstance(tok, Token) and tok.type == "STRING":
            return _sql_string_value(str(tok))
        return str(tok)

    @with_meta
    def domain(self, meta: Any, c: list[Any]) -> ir.Domain:
        (qn, where), (type_text, _serial, _), opts = c[0], c[1], c[2:]
        span = self._span(where)
        kw: dict[str, Any] = {}
        checks: list[ir.Check] = []
        for kind, payload, ospan in opts:
            if kind == "not_null":
                kw["nullable"] = False
            elif kind == "default":
                kw["default"] = payload
            elif kind == "check":
                cname, expr = payload
                name = cname or names.derive(qn.name, "check")
                n = 0
                while cname is None and any(ch.name == name for ch in checks):
                    n += 1
                    name = f"{names.derive(qn.name, 'check')}{n}"
                checks.append(ir.Check(name=name, expression=expr, derived_name=cname is None,
                                       span=ospan))
        return ir.Domain(name=qn, type=type_text, checks=tuple(checks), span=span, **kw)

    @with_meta
    def extension(self, meta: Any, c: list[Token]) -> ir.Extension:
        return ir.Extension(name=str(c[0]), schema=str(c[1]) if len(c) > 1 else None,
                            span=self._span(meta))

    @with_meta
    def namespace(self, meta: Any, c: list[Token]) -> ir.Namespace:
        return ir.Namespace(name=str(c[0]), span=self._span(meta))

    @with_meta
    def rows(self, meta: Any, c: list[Any]) -> ir.Rows:
        (qn, _), cols, rows = c[0], c[1], c[2:]
        return ir.Rows(table=qn, columns=tuple(cols), values=tuple(rows), span=self._span(meta))

    def row(self, c: list[str]) -> tuple[str, ...]:
        return tuple(c)

    def section(self, c: list[Token]) -> None:
        self.current_section = _message(c[0])
        self.out.last_section = self.current_section
        if self.current_section not in self.out.sections:
            self.out.sections.append(self.current_section)

    @with_meta
    def definition(self, meta: Any, c: list[Any]) -> None:
        comment = c[0] if len(c) == 2 else None
        obj = c[-1]
        out = self.out
        if isinstance(obj, ir.Table):
            out.tables.append(_replace(obj, comment=comment, section=self.current_section))
            out.table_sources.append(self._source_digest(meta))
        elif isinstance(obj, ir.Enum):
            out.enums.append(_replace(obj, comment=comment))
        elif isinstance(obj, ir.Domain):
            out.domains.append(_replace(obj, comment=comment))
        elif isinstance(obj, ir.Extension):
            out.extensions.append(obj)
        elif isinstance(obj, ir.Namespace):
            out.namespaces.append(_replace(obj, comment=comment))
        elif isinstance(obj, ir.Rows):
            out.rows.append(obj)
        elif isinstance(obj, ir.View):
            out.views.append(_replace(obj, comment=comment))
        elif isinstance(obj, ir.Function):
            out.functions.append(_replace(obj, comment=comment))
        elif isinstance(obj, ir.Sequence):
            out.sequences.append(_replace(obj, comment=comment))

    def start(self, _c: list[Any]) -> ParsedFile:
        return self.out


def _replace(obj: Any, **changes: Any) -> Any:
    return replace(obj, **changes)


def _sql_string_value(literal: str) -> str:
    """`'it''s'` -> `it's` (standard-conforming: backslashes are literal)."""
    if literal[:1] in "eE":
        raise_escape = literal[2:-1]
        return raise_escape.encode("utf-8").decode("unicode_escape").replace("''", "'")
    return literal[1:-1].replace("''", "'")
