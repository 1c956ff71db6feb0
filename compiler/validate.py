"""Merge parsed files into one `ir.Schema`, resolve references, and check it.

Contract: `compile_files(files)` returns `(schema, warnings)`; it collects every error it
finds and raises one `CompileError` holding all of them. Resolution fills what a file leaves
implicit (a `references t` without columns means t's primary key; schemas used by a name are
declared). The result is sorted, so declaration order never changes the IR or the output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeVar

from compiler import ir
from compiler.errors import CompileError, Diagnostic, Severity, Span
from compiler.frozen import replace
from compiler.names import MAX_IDENTIFIER_BYTES, display, too_long
from compiler.parsed import ParsedFile
from compiler.types import _ALIASES, BUILTIN, INTEGERS, JSON_TYPES, TEXTUAL, base_of

_Named = TypeVar("_Named", ir.Table, ir.Enum, ir.Domain)

# Types that extensions bring, so a schema that declares the extension may use them.
EXTENSION_TYPES: dict[str, frozenset[str]] = {
    "citext": frozenset({"citext"}),
    "hstore": frozenset({"hstore"}),
    "ltree": frozenset({"ltree", "lquery", "ltxtquery"}),
    "vector": frozenset({"vector", "halfvec", "sparsevec"}),
    "postgis": frozenset({"geometry", "geography", "box2d", "box3d"}),
    "cube": frozenset({"cube"}),
    "isn": frozenset({"isbn", "issn", "ean13", "upc"}),
}


def compile_files(files: Iterable[ParsedFile]) -> tuple[ir.Schema, list[Diagnostic]]:
    schema, warnings, _ = compile_files_by_table(files)
    return schema, warnings


# A table's warnings: those found checking it, and those of the reviewer's pass. A schema's
# warnings are every table's first kind, in declaration order, then every table's second.
TableWarnings = tuple[tuple[Diagnostic, ...], tuple[Diagnostic, ...]]


def compile_files_by_table(files: Iterable[ParsedFile]) -> tuple[
        ir.Schema, list[Diagnostic], dict[ir.QName, TableWarnings]]:
    """`compile_files`, and each table's share of the warnings."""
    files = list(files)
    v = _Validator()
    schema = v.run(files)
    errors = [d for d in v.diagnostics if d.severity == Severity.ERROR]
    if errors:
        raise CompileError(errors)
    return schema, [d for d in v.diagnostics if d.severity == Severity.WARNING], v.by_table


def namespaces_of(declared: Iterable[ir.Namespace], used: set[str]) -> tuple[ir.Namespace, ...]:
    """The schemas declared (the last declaration of a name wins) and those a name only uses,
    sorted; `public` exists already."""
    namespaces = {n.name: n for n in declared}
    for s in sorted(used - namespaces.keys() - {"public"}):
        namespaces[s] = ir.Namespace(name=s)
    return tuple(namespaces[k] for k in sorted(namespaces) if k != "public")


def enum_errors(enums: Iterable[ir.Enum]) -> list[Diagnostic]:
    v = _Validator()
    for e in enums:
        v._check_enum(e)
    return v.diagnostics


def resolve_tables(tables: dict[ir.QName, ir.Table], enums: Iterable[ir.Enum],
                   checked: Iterable[ir.QName], context: Iterable[ir.QName]
                   ) -> dict[ir.QName, tuple[ir.Table, TableWarnings]] | None:
    """Some tables of a schema resolved and checked exactly as `compile_files` does, given
    the declared `tables` they refer to (their targets and parents) and every enum: the
    `checked` ones with their warnings (None when one has an error), the `context` ones
    resolved only (what they refer to may be missing from `tables`). The checks that span
    the whole schema (names used twice, unknown types) are the caller's."""
    v = _Validator()
    by_name = {e.name: e for e in enums}
    v.enum_by_type = {display(n): e for n, e in by_name.items()}
    whole = {name: _with_inherited(t, tables) for name, t in tables.items()}
    def resolve(name: ir.QName) -> ir.Table:
        v.diagnostics = []
        return replace(v._check_table(whole[name], whole, by_name),
                       columns=tables[name].columns)

    out: dict[ir.QName, tuple[ir.Table, TableWarnings]] = {}
    for name in checked:
        resolved = resolve(name)
        found = tuple(v.diagnostics)
        v.diagnostics = []
        v._check_relation_names([resolved])
        v._lint_table(resolved)
        linted = tuple(v.diagnostics)
        if any(d.severity == Severity.ERROR for d in (*found, *linted)):
            return None
        out[name] = (resolved, (found, linted))
    v.hints = False  # what a context table refers to may be missing: that is no error here
    for name in context:
        out[name] = (resolve(name), ((), ()))
    return out


class _Validator:
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.enum_by_type: dict[str, ir.Enum] = {}
        self.by_table: dict[ir.QName, TableWarnings] = {}
        self.hints = True  # off where the diagnostics are thrown away: a hint can be costly

    def error(self, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(message, span, hint))

    def warn(self, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(message, span, hint, Severity.WARNING))

    def _warnings_since(self, start: int) -> list[Diagnostic]:
        return [d for d in self.diagnostics[start:] if d.severity == Severity.WARNING]

    # -- driver --------------------------------------------------------------------------------

    def run(self, files: list[ParsedFile]) -> ir.Schema:
        tables = self._unique_by_name([t for f in files for t in f.tables], "table")
        enums = self._unique_by_name([e for f in files for e in f.enums], "enum")
        domains = self._unique_by_name([d for f in files for d in f.domains], "domain")
        extensions = {e.name: e for f in files for e in f.extensions}
        sections = list(dict.fromkeys(s for f in files for s in f.sections))
        user_types = {display(n) for n in enums} | {display(n) for n in domains}
        ext_types = {t for e in extensions for t in EXTENSION_TYPES.get(e, ())}

        for f in files:
            for type_text, span in f.type_uses:
                self._check_type(type_text, span, user_types, ext_types)
        for e in enums.values():
            self._check_enum(e)
        # a partition or an inheriting table also has its parents' columns: checked with them,
        # kept without them
        whole = {name: _with_inherited(t, tables) for name, t in tables.items()}
        # columns name their enum as format_type spells it: look it up once per column
        self.enum_by_type = {display(n): e for n, e in enums.items()}
        resolved: dict[ir.QName, ir.Table] = {}
        found: dict[ir.QName, tuple[Diagnostic, ...]] = {}
        for name, t in tables.items():
            start = len(self.diagnostics)
            resolved[name] = replace(self._check_table(whole[name], whole, enums),
                                     columns=t.columns)
            found[name] = tuple(self._warnings_since(start))
        self._check_relation_names(resolved.values())
        rows = [r for f in files for r in f.rows]
        for r in rows:
            self._check_rows(r, resolved)
        for name, t in resolved.items():
            start = len(self.diagnostics)
            self._lint_table(t)
            self.by_table[name] = (found[name], tuple(self._warnings_since(start)))

        from compiler.validate_objects import resolve_grants, resolve_objects, resolve_policies

        sequences, functions, views, triggers = resolve_objects(
            files, resolved, lambda m, span, hint: self.error(m, span, hint))
        used_schemas = {n.schema for n in [*tables, *enums, *domains]}
        used_schemas |= {x.name.schema for x in sequences} | {x.name.schema for x in views}
        used_schemas |= {x.name.schema for x in functions}
        schema = ir.Schema(
            namespaces=namespaces_of([n for f in files for n in f.namespaces], used_schemas),
            extensions=tuple(extensions[k] for k in sorted(extensions)),
            enums=tuple(enums[k] for k in sorted(enums)),
            domains=tuple(domains[k] for k in sorted(domains)),
            tables=tuple(resolved[k] for k in sorted(resolved)),
            sequences=sequences, functions=functions, views=views, triggers=triggers,
            policies=resolve_policies(files, lambda m, span, hint: self.error(m, span, hint)),
            rows=tuple(sorted(rows, key=lambda r: (r.table, r.span.path if r.span else ""))),
            sections=tuple(sections),
        )
        grants = resolve_grants(files, schema, lambda m, span, hint: self.error(m, span, hint))
        return replace(schema, grants=grants) if grants else schema

    def _unique_by_name(self, objs: list[_Named], kind: str) -> dict[ir.QName, _Named]:
        seen: dict[ir.QName, _Named] = {}
        for o in objs:
            self._check_length(o.name.name, kind, o.span)
            if o.name in seen:
                first = seen[o.name].span
                self.error(f"{kind} `{o.name}` is declared twice", o.span,
                           f"first declared at {first}" if first else None)
                continue
            seen[o.name] = o
        return seen

    def _check_length(self, name: str, kind: str, span: Span | None) -> None:
        if too_long(name):
            self.error(
                f"{kind} name `{name}` is {len(name.encode())} bytes; PostgreSQL keeps only "
                f"{MAX_IDENTIFIER_BYTES}", span,
                "PostgreSQL would silently truncate it, so two names could collide: shorten it")

    def _check_type(self, type_text: str, span: Span, user: set[str], ext: set[str]) -> None:
        base = base_of(type_text)
        if base in BUILTIN or base in user or base in ext:
            return
        hint = "declare it with `enum` or `domain`, or add the extension that provides it"
        close = _closest(base, [*_ALIASES, *user])
        if close:
            hint = f"did you mean `{close}`?"
        self.error(f"unknown type `{base}`", span, hint)

    def _check_enum(self, e: ir.Enum) -> None:
        seen: set[str] = set()
        for v in e.values:
            if v in seen:
                self.error(f"enum `{e.name}` lists `{v}` twice", e.span)
            seen.add(v)
            if len(v.encode()) > MAX_IDENTIFIER_BYTES:
                self.error(f"enum value `{v}` is longer than {MAX_IDENTIFIER_BYTES} bytes", e.span)

    # -- tables --------------------------------------------------------------------------------

    def _check_table(self, t: ir.Table, tables: dict[ir.QName, ir.Table],
                     enums: dict[ir.QName, ir.Enum]) -> ir.Table:
        cols: dict[str, ir.Column] = {}
        for c in t.columns:
            self._check_length(c.name, "column", c.span)
            if c.name in cols:
                self.error(f"column `{c.name}` appears twice in table `{t.name}`", c.span)
            cols[c.name] = c
            self._check_column(t, c, enums)
        live = {n for n, c in cols.items() if not c.deprecated}

        def need(names: Iterable[str], what: str, span: Span | None) -> None:
            for n in names:
                if n not in cols:
                    close = _closest(n, cols)
                    self.error(f"{what} uses unknown column `{n}` of table `{t.name}`", span,
                               f"did you mean `{close}`?" if close else None)
                elif n not in live:
                    self.error(f"{what} uses deprecated column `{n}`", span,
                               "deprecated columns are not created on a fresh database")

        if t.primary_key:
            need(t.primary_key.columns, "primary key", t.primary_key.span)
        for u in t.uniques:
            need(u.columns, f"unique constraint `{u.name}`", u.span)
        for ix in t.indexes:
            self._check_length(ix.name, "index", ix.span)
            need([e.column for e in ix.elements if e.column], f"index `{ix.name}`", ix.span)
            need(ix.include, f"index `{ix.name}`", ix.span)
        for ch in t.checks:
            self._check_length(ch.name, "check constraint", ch.span)
        for ex in t.expectations:
            if ex.column is not None:
                self._check_expect(t, cols.get(ex.column), ex)
        fks = tuple(self._resolve_fk(t, fk, cols, tables, need) for fk in t.foreign_keys)
        # pk columns are NOT NULL in PostgreSQL whatever was written
        columns = tuple(
            replace(c, nullable=False)
            if t.primary_key and c.name in t.primary_key.columns and c.nullable else c
            for c in t.columns
        )
        return replace(
            t, columns=columns, foreign_keys=tuple(sorted(fks, key=lambda x: x.name)),
            uniques=tuple(sorted(t.uniques, key=lambda x: x.name)),
            checks=tuple(sorted(t.checks, key=lambda x: x.name)),
            indexes=tuple(sorted(t.indexes, key=lambda x: x.name)),
        )

    def _check_column(self, t: ir.Table, c: ir.Column, enums: dict[ir.QName, ir.Enum]) -> None:
        if c.serial and c.default is not None:
            self.error(f"serial column `{c.name}` cannot also have a default", c.span,
                       "serial already defaults to its sequence; use int with a default instead")
        if c.identity and base_of(c.type) not in INTEGERS:
            self.error(f"identity column `{c.name}` must be smallint, int or bigint", c.span)
        if (c.identity or c.generated) and c.default is not None:
            self.error(f"column `{c.name}` cannot have both a default and "
                       f"{'identity' if c.identity else 'a generation expression'}", c.span)
        enum = self.enum_by_type.get(base_of(c.type))
        if enum and c.default is not None:
            m = re.fullmatch(r"'((?:[^']|'')*)'(?:::.*)?", c.default)
            if m and m.group(1).replace("''", "'") not in enum.values:
                self.error(
                    f"default '{m.group(1)}' of column `{c.name}` is not a value of enum "
                    f"`{enum.name}`", c.span, "values: " + ", ".join(enum.values))

    def _check_expect(self, t: ir.Table, col: ir.Column | None, ex: ir.Expectation) -> None:
        if col is None:
            self.error(f"expectation names unknown column `{ex.column}`", ex.span)
            return
        base = base_of(col.type)
        if ex.kind in (ir.ExpectKind.MATCHES, ir.ExpectKind.NOT_MATCHES):
            if base not in TEXTUAL:
                self.error(f"`expect {ex.kind}` needs a text column; `{col.name}` is {col.type}",
                           ex.span, "use `expect (predicate)` for other types")
            else:
                try:
                    re.compile(ex.argument or "")
                except re.error as err:
                    self.error(f"invalid regular expression: {err}", ex.span)
        elif ex.kind == ir.ExpectKind.JSON:
            if base in JSON_TYPES:
                self.warn(f"`expect json` on `{col.name}` is redundant: the {base} type "
                          "already rejects invalid JSON", ex.span)
            elif base not in TEXTUAL:
                self.error(f"`expect json` needs a text column; `{col.name}` is {col.type}",
                           ex.span)

    def _resolve_fk(self, t: ir.Table, fk: ir.ForeignKey, cols: dict[str, ir.Column],
                    tables: dict[ir.QName, ir.Table], need: object) -> ir.ForeignKey:
        self._check_length(fk.name, "foreign key", fk.span)
        need(fk.columns, f"foreign key `{fk.name}`", fk.span)  # type: ignore[operator]
        target = tables.get(fk.ref_table)
        if target is None:
            close = _closest(str(fk.ref_table), [str(n) for n in tables]) if self.hints \
                else None
            self.error(f"foreign key `{fk.name}` references unknown table `{fk.ref_table}`",
                       fk.span, f"did you mean `{close}`?" if close else None)
            return fk
        ref_cols = fk.ref_columns
        if not ref_cols:
            if target.primary_key is None:
                self.error(f"`{fk.ref_table}` has no primary key to reference", fk.span,
                           "name the referenced columns: references t(col)")
                return fk
            ref_cols = target.primary_key.columns
        if len(ref_cols) != len(fk.columns):
            self.error(f"foreign key `{fk.name}` has {len(fk.columns)} column(s) but references "
                       f"{len(ref_cols)}", fk.span)
            return replace(fk, ref_columns=ref_cols)
        target_cols = {c.name: c for c in target.columns}
        for mine, theirs in zip(fk.columns, ref_cols, strict=True):
            tc = target_cols.get(theirs)
            if tc is None:
                self.error(f"foreign key `{fk.name}` references unknown column "
                           f"`{fk.ref_table}.{theirs}`", fk.span)
                continue
            mc = cols.get(mine)
            if mc is not None and mc.type != tc.type:
                self.error(f"foreign key column `{t.name}.{mine}` is {mc.type} but "
                           f"`{fk.ref_table}.{theirs}` is {tc.type}", fk.span,
                           "make both columns the same type (serial is integer, bigserial "
                           "is bigint)")
        if not _has_unique_on(target, ref_cols):
            self.error(f"foreign key `{fk.name}` references `{fk.ref_table}`"
                       f"({', '.join(ref_cols)}), which is neither its primary key nor unique",
                       fk.span, "PostgreSQL requires a unique constraint or index there")
        stray = [n for n in fk.on_delete_columns if n not in fk.columns]
        if stray:
            self.error(f"foreign key `{fk.name}`: `on delete {fk.on_delete.value}` names "
                       f"{', '.join(f'`{n}`' for n in stray)}, which the key does not hold",
                       fk.span, f"name some of its columns: {', '.join(fk.columns)}")
        if fk.on_delete_columns and fk.on_delete not in (ir.FkAction.SET_NULL,
                                                         ir.FkAction.SET_DEFAULT):
            self.error(f"foreign key `{fk.name}`: only `on delete set null` and `set default` "
                       "take a column list", fk.span)
        if fk.on_delete == ir.FkAction.SET_NULL:
            for n in fk.on_delete_columns or fk.columns:
                if n in cols and not cols[n].nullable:
                    hint = ("make the column nullable or choose cascade/restrict"
                            if len(fk.columns) == 1 else "make the column nullable, name only "
                            "the nullable ones (`on delete set null (col)`, PostgreSQL 15+), "
                            "or choose cascade/restrict")
                    self.error(f"`on delete set null` on NOT NULL column `{n}`", fk.span, hint)
        return replace(fk, ref_columns=ref_cols)

    def _check_relation_names(self, tables: Iterable[ir.Table]) -> None:
        """Tables, indexes and index-backed constraints share one namespace per schema."""
        seen: dict[tuple[str, str], Span | None] = {}
        for t in tables:
            items: list[tuple[str, Span | None]] = [(t.name.name, t.span)]
            items += [(ix.name, ix.span) for ix in t.indexes]
            items += [(u.name, u.span) for u in t.uniques]
            if t.primary_key:
                items.append((t.primary_key.name, t.primary_key.span))
            for name, span in items:
                key = (t.name.schema, name)
                if key in seen:
                    self.error(f"name `{name}` is used twice in schema `{t.name.schema}`", span,
                               "tables, indexes, primary keys and unique constraints share one "
                               "namespace in PostgreSQL")
                else:
                    seen[key] = span
            cons = [*(fk.name for fk in t.foreign_keys), *(c.name for c in t.checks)]
            dup = {n for n in cons if cons.count(n) > 1}
            for n in sorted(dup):
                self.error(f"constraint name `{n}` is used twice in table `{t.name}`", t.span)

    def _check_rows(self, r: ir.Rows, tables: dict[ir.QName, ir.Table]) -> None:
        t = tables.get(r.table)
        if t is None:
            self.error(f"rows for unknown table `{r.table}`", r.span)
            return
        for c in r.columns:
            if t.column(c) is None:
                self.error(f"rows name unknown column `{c}` of `{r.table}`", r.span)
        for row in r.values:
            if len(row) != len(r.columns):
                self.error(f"a row of `{r.table}` has {len(row)} values for "
                           f"{len(r.columns)} columns", r.span)

    # -- warnings a reviewer would raise -------------------------------------------------------

    def _lint_table(self, t: ir.Table) -> None:
        if t.primary_key is None:
            self.warn(f"table `{t.name}` has no primary key", t.span,
                      "rows cannot be addressed reliably; logical replication needs one")
        for c in t.columns:
            if base_of(c.type) == "timestamp without time zone" and not c.deprecated:
                self.warn(f"`{t.name}.{c.name}` is timestamp without time zone", c.span,
                          "use timestamptz: values without a zone are read in the session's "
                          "time zone")
        for fk in t.foreign_keys:
            if not covering_index(t, fk.columns):
                self.warn(f"foreign key `{fk.name}` ({', '.join(fk.columns)}) has no index "
                          "starting with its columns", fk.span,
                          f"add `index ({', '.join(fk.columns)})`: deletes on "
                          f"`{fk.ref_table}` and joins otherwise scan `{t.name}`")


def covering_index(t: ir.Table, columns: tuple[str, ...]) -> str | None:
    """The name of an index (or PK/unique) whose leading key columns are exactly `columns` in
    any order. A partial index does not count: it cannot serve every lookup."""
    want = set(columns)
    k = len(columns)
    candidates: list[tuple[str, tuple[str | None, ...]]] = []
    if t.primary_key:
        candidates.append((t.primary_key.name, t.primary_key.columns))
    candidates += [(u.name, u.columns) for u in t.uniques]
    candidates += [(ix.name, tuple(e.column for e in ix.elements)) for ix in t.indexes
                   if ix.where is None and ix.method in (ir.IndexMethod.BTREE, ir.IndexMethod.HASH)
                   and not (ix.method == ir.IndexMethod.HASH and len(ix.elements) != k)]
    for name, cols in candidates:
        if len(cols) >= k and set(cols[:k]) == want:
            return name
    return None


def _has_unique_on(t: ir.Table, cols: tuple[str, ...]) -> bool:
    want = set(cols)
    if t.primary_key and set(t.primary_key.columns) == want:
        return True
    if any(set(u.columns) == want for u in t.uniques):
        return True
    return any(ix.unique and ix.where is None and all(e.column for e in ix.elements)
               and {e.column for e in ix.elements} == want for ix in t.indexes)


def _closest(word: str, candidates: Iterable[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.75)
    return found[0] if found else None


def _with_inherited(t: ir.Table, tables: dict[ir.QName, ir.Table],
                    seen: frozenset[ir.QName] = frozenset()) -> ir.Table:
    parents = (*((t.partition_of,) if t.partition_of else ()), *t.inherits)
    if not parents or t.name in seen:
        return t
    columns = list(t.columns)
    for p in parents:
        parent = tables.get(p)
        if parent is None:
            continue
        own = {c.name for c in columns}
        columns += [c for c in _with_inherited(parent, tables, seen | {t.name}).columns
                    if c.name not in own]
    return replace(t, columns=tuple(columns))
