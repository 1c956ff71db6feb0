"""Hypothesis strategies for schemac IR that is valid for the compiler AND for PostgreSQL.

Import from tests (conftest puts tests/ on sys.path): `from strategies import schemas`.
No database access here; the strategies are pure, so the same schemas serve the printer's
round trip (tests/test_fmt.py) and diff convergence tests against a real server.

- `schemas(max_tables=5, max_columns=8, dsl_extras=False)` -> `ir.Schema`: up to 3 enums
  and `max_tables` tables of at most `max_columns` columns, in `public` and sometimes in a
  second schema `app` (declared as a `Namespace`). Names come from a safe lower-case alphabet
  plus a few that need quoting in SQL or in the DSL (`order`, `user`, `group`, `check`, `key`,
  `Mixed`, `with space`, ...), enum type names too (`Color`, `user`: a column's type is then
  spelt as `format_type` spells it, `"Color"`, `app."user"`). Types: int, bigint, smallint, text,
  varchar(n), numeric(p,s), bool, timestamptz, date, uuid, jsonb, bytea, inet, text[], and
  the schema's own enums. Serial / bigserial / identity / uuid primary keys or composite ones;
  unique constraints (sometimes `nulls not distinct` or deferrable); foreign keys to earlier
  tables' primary keys with the same type (`on delete` actions, `set null` only on nullable
  columns); checks such as `(amount > 0)`; indexes (multi-column, unique, partial, `desc`,
  `lower(col)`, `include`, gin on jsonb/arrays, hash); comments (several lines, quotes);
  expectations; sections (grouped, so one file can say them); defaults that fit the type.
  `dsl_extras=True` adds what only the DSL knows and a fresh database would not show:
  deprecated columns, `renamed from` hints and reference `rows`.
- `as_parsed_file(schema)` -> a `ParsedFile` holding the same declarations (what
  `render_dsl` and `compile_files` take).
- `compiler_order(schema)` sorts the way `compiler.validate.compile_files` does.
- `object_specs(n)`, `edited_specs(spec, n)` and `with_objects(schema, spec, tables)`:
  sequences, SQL functions, views and materialized views, triggers (with their trigger
  function) and row-level security with policies over `n` tables that have a primary key,
  reading only key columns; an edited spec keeps, drops, changes or adds each object.

Invariants the generated IR keeps, so that it equals what the compiler builds from its text:
* Ordering (`compiler_order`): namespaces (without `public`) and extensions by name; enums,
  domains and tables by `QName` (schema, then name); inside a table `uniques`,
  `foreign_keys`, `checks` and `indexes` by name; columns and enum values in declaration
  order; `rows` by table; `sections` in first-seen order.
* Names: every derived name is `compiler.names.derive(...)` exactly as the parser derives it
  (`<t>_pkey`, `<t>_<cols>_key`, `<t>_<cols>_fkey`, `<t>_<col>_check`, `<t>_<cols>_idx`,
  `lower` for a `lower(col)` key), with `Check.derived_name` set as the parser sets it; some
  constraints and indexes carry explicit names instead. Table, index, primary-key and unique
  names are distinct per schema and constraint names per table, as PostgreSQL requires; all
  are far below 63 bytes.
* Columns of a primary key are NOT NULL; serial and identity columns too; `references`
  always names the referenced columns (the compiler fills them in anyway).
* Expectations: a column's come in column order; table-wide ones anywhere between them.
"""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from compiler import ir
from compiler.grants import known, normalized
from compiler.names import derive, display, element_words, quote_ident
from compiler.parsed import ParsedFile

# --- names -----------------------------------------------------------------------------------

_PLAIN = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
# names PostgreSQL or the DSL would misread unquoted, or that need quotes for case or spaces
_TRICKY = ["order", "user", "group", "select", "check", "key", "index", "default", "from",
           "table", "Mixed", "CamelCase", "with space", "it's", 'say "hi"']
# column names that would shadow system columns; or that parse.py mistakes for option tuples
_AVOID = {"ctid", "xmin", "xmax", "cmin", "cmax", "tableoid", "oid", "deferrable",
          "on_delete", "on_update", "id"}
_TABLE_WORDS = ["users", "accounts", "orders", "items", "teams", "plans", "invoices", "events"]
_COLUMN_WORDS = ["name", "email", "title", "status", "amount", "price", "created_at", "note",
                 "code", "qty", "score", "payload", "tags", "addr", "blob", "day", "interval"]
_ENUM_WORDS = ["mood", "state", "color", "kind", "level", "phase", "Color", "user", "check"]
_ENUM_VALUES = ["a", "b", "active", "inactive", "Mixed Case", "it's", "null", "select", "x y",
                'q"uote', "déjà", "pending"]


def _names(words: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(words + _TRICKY), _PLAIN).filter(lambda n: n not in _AVOID)


# built once: constructing and validating strategies inside every draw is the slow part
_TABLE_NAMES = _names(_TABLE_WORDS)
_COLUMN_NAMES = _names(_COLUMN_WORDS)
_ENUM_NAMES = st.one_of(st.sampled_from(_ENUM_WORDS), _PLAIN)
_BOOL = st.booleans()


def _one_in(n: int) -> st.SearchStrategy[bool]:
    return _ONE_IN[n]


_ONE_IN = {n: st.integers(0, n - 1).map(lambda k: k == 0) for n in (3, 4, 5)}


# --- types and values ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Type:
    text: str  # format_type spelling, as the IR holds it
    # int | numeric | text | bool | time | date | uuid | json | bytea | inet | array | enum
    kind: str
    default: tuple[str, ...]  # defaults that fit
    enum: ir.Enum | None = None


def _builtin_types() -> st.SearchStrategy[_Type]:
    fixed = [
        _Type("integer", "int", ("0", "1", "-1")),
        _Type("bigint", "int", ("0", "42")),
        _Type("smallint", "int", ("0", "7")),
        _Type("text", "text", ("'x'", "''", "'it''s'")),
        _Type("boolean", "bool", ("true", "false")),
        _Type("timestamp with time zone", "time", ("now()", "CURRENT_TIMESTAMP")),
        _Type("date", "date", ("CURRENT_DATE",)),
        _Type("uuid", "uuid", ("gen_random_uuid()",)),
        _Type("jsonb", "json", ("'{}'", "'[]'::jsonb")),
        _Type("bytea", "bytea", ("''",)),
        _Type("inet", "inet", ("'127.0.0.1'",)),
        _Type("text[]", "array", ("'{}'", "'{}'::text[]")),
    ]
    varchar = st.integers(1, 255).map(
        lambda n: _Type(f"character varying({n})", "text", ("'x'",)))
    numeric = st.integers(1, 20).flatmap(lambda p: st.integers(0, p).map(
        lambda s: _Type(f"numeric({p},{s})", "numeric", ("0",) if p > s else ())))
    return st.one_of(st.sampled_from(fixed), varchar, numeric)


_BUILTIN_TYPES = _builtin_types()


def _enum_type(e: ir.Enum) -> _Type:
    # format_type's spelling, which the parser copies: qualified off `public`, quoted if needed
    return _Type(display(e.name), "enum", (ir_literal(e.values[0]),), e)


def ir_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_COMMENT_LINE = st.text(string.ascii_letters + string.digits + " .,;:'\"/()-_é", min_size=1,
                        max_size=30).map(str.strip).filter(bool)
_COMMENTS = st.one_of(
    st.none(), st.none(),
    # an empty comment is no comment in PostgreSQL (and in the IR): never generate one
    st.lists(st.one_of(_COMMENT_LINE, st.just("")), min_size=1, max_size=3).map("\n".join)
    .filter(bool))
_MESSAGES = st.sampled_from([None, "must be lower case", 'say "please"', "it's required"])
_PATTERNS = st.sampled_from(["^[a-z]+$", r"^\S+@\S+$", "^[^']*$", r"\d{3}", "^(a|b)$"])


# --- the schema ------------------------------------------------------------------------------


@dataclasses.dataclass
class _Ctx:
    """What earlier draws used: relation and type names per schema, and tables to refer to."""

    relations: dict[str, set[str]]
    tables: list[ir.Table] = dataclasses.field(default_factory=list)

    def take(self, schema: str, name: str) -> bool:
        used = self.relations.setdefault(schema, set())
        if name in used:
            return False
        used.add(name)
        return True


@st.composite
def schemas(draw: Callable[..., Any], max_tables: int = 5, max_columns: int = 8,
            dsl_extras: bool = False) -> ir.Schema:
    use_app = draw(_BOOL)
    schema_names = st.sampled_from(["public", "app"]) if use_app else st.just("public")
    ctx = _Ctx(relations={})

    enums: list[ir.Enum] = []
    for _ in range(draw(st.integers(0, 3))):
        schema = draw(schema_names)
        name = draw(_ENUM_NAMES)
        if not ctx.take(schema, name) or name in _NOT_ENUM_NAMES:
            continue
        values = draw(st.lists(st.sampled_from(_ENUM_VALUES), min_size=1, max_size=5,
                               unique=True))
        enums.append(ir.Enum(name=ir.QName(schema=schema, name=name), values=tuple(values),
                             comment=draw(_COMMENTS)))

    types = _BUILTIN_TYPES
    if enums:
        types = st.one_of(types, st.sampled_from(enums).map(_enum_type))
    for _ in range(draw(st.integers(1, max_tables))):
        schema = draw(schema_names)
        name = draw(_TABLE_NAMES)
        if not ctx.take(schema, name):
            continue
        ctx.tables.append(draw(_table(ctx, ir.QName(schema=schema, name=name), types,
                                      max_columns, dsl_extras)))

    tables = _sections(draw, sorted(ctx.tables, key=lambda t: t.name))
    namespaces = (ir.Namespace(name="app", comment=draw(_COMMENTS)),) if any(
        o.name.schema == "app" for o in [*enums, *tables]) else ()
    rows: tuple[ir.Rows, ...] = ()
    grants: list[ir.Grant] = []
    if dsl_extras:
        rows = tuple(r for t in tables if (r := _rows(draw, t)) is not None)
        targets = [("table", t.name) for t in tables]
        targets += [("schema", ir.QName(name=n.name)) for n in namespaces]
        for _ in range(draw(st.integers(0, 3)) if targets else 0):
            kind, on = draw(st.sampled_from(targets))
            privileges = draw(st.one_of(st.just(("all",)), st.lists(
                st.sampled_from(known(kind)), min_size=1, unique=True).map(
                    lambda ps: tuple(sorted(ps)))))
            grants.append(ir.Grant(kind=kind, on=on, role=draw(_ROLES), privileges=privileges,
                                   grantable=draw(_BOOL)))
    return compiler_order(ir.Schema(
        namespaces=namespaces, enums=tuple(enums), tables=tables, rows=rows,
        grants=tuple(grants),
        sections=tuple(dict.fromkeys(t.section for t in tables if t.section))))


# role names a grant may name: PUBLIC, plain, and ones that need quotes
_ROLES = st.sampled_from(["public", "app_ro", "Odd Role", "table", "grant", "to"])


# type names an enum cannot take: the parser reads them as the built-in type
_NOT_ENUM_NAMES = {"int", "integer", "text", "date", "uuid", "json", "jsonb", "bool", "time",
                   "bytea", "inet", "point", "line", "box", "path", "money", "bit", "char",
                   "real", "float", "serial", "xml", "oid", "cidr", "circle", "lseg", "polygon",
                   "numeric", "decimal", "varchar", "interval", "citext", "tsvector", "tsquery",
                   "regclass", "macaddr", "timestamp", "timestamptz", "timetz", "int2", "int4",
                   "int8", "float4", "float8", "bigint", "smallint", "boolean", "serial2",
                   "serial4", "serial8", "bigserial", "smallserial", "varbit", "bpchar",
                   "macaddr8", "character", "int4range", "int8range", "numrange", "tsrange",
                   "tstzrange", "daterange"}


def _sections(draw: Callable[..., Any], tables: list[ir.Table]) -> tuple[ir.Table, ...]:
    """Sections in table order: none at first, then runs (a file can only say it that way)."""
    names = draw(st.lists(st.sampled_from(["Core", "Billing & Money", 'The "app"']),
                          max_size=len(tables)))
    out: list[ir.Table] = []
    first = len(tables) - len(names)
    for k, t in enumerate(tables):
        section = names[k - first] if k >= first else None
        out.append(dataclasses.replace(t, section=section))
    return tuple(out)


@st.composite
def _table(draw: Callable[..., Any], ctx: _Ctx, qn: ir.QName, types: st.SearchStrategy[_Type],
           max_columns: int, dsl_extras: bool) -> ir.Table:
    t = qn.name
    columns: list[ir.Column] = []
    kinds: dict[str, _Type] = {}
    pk: ir.PrimaryKey | None = None
    fks: list[ir.ForeignKey] = []
    constraint_names: set[str] = set()

    def relation(name: str) -> bool:  # index-backed names share the schema's namespace
        if name in constraint_names or not ctx.take(qn.schema, name):
            return False
        constraint_names.add(name)
        return True

    key = draw(st.sampled_from(["serial", "bigserial", "identity", "uuid", "none"]))
    if key != "none" and relation(derive(t, "pkey")):
        col = {
            "serial": ir.Column(name="id", type="integer", nullable=False, serial=True),
            "bigserial": ir.Column(name="id", type="bigint", nullable=False, serial=True),
            "identity": ir.Column(name="id", type="bigint", nullable=False,
                                  identity=draw(st.sampled_from(list(ir.Identity)))),
            "uuid": ir.Column(name="id", type="uuid", nullable=False,
                              default="gen_random_uuid()"),
        }[key]
        columns.append(dataclasses.replace(col, comment=draw(_COMMENTS)))
        kinds["id"] = _Type(col.type, "int" if key != "uuid" else "uuid", ())
        pk = ir.PrimaryKey(name=derive(t, "pkey"), columns=("id",))

    # foreign keys to earlier tables with a one-column primary key
    targets = [x for x in ctx.tables if x.primary_key and len(x.primary_key.columns) == 1]
    for target in draw(st.lists(st.sampled_from(targets), max_size=2, unique_by=lambda x: x.name)
                       if targets else st.just([])):
        assert target.primary_key is not None
        ref_col = target.column(target.primary_key.columns[0])
        assert ref_col is not None
        name = draw(_COLUMN_NAMES).rstrip("_") + "_ref"
        if any(c.name == name for c in columns) or len(columns) >= max_columns:
            continue
        nullable = draw(_BOOL)
        fk_name = draw(st.sampled_from([derive(t, name, "fkey"), f"fk_{len(fks)}_{t[:8]}"]))
        if fk_name in constraint_names:
            continue
        constraint_names.add(fk_name)
        columns.append(ir.Column(name=name, type=ref_col.type, nullable=nullable,
                                 comment=draw(_COMMENTS)))
        kinds[name] = _Type(ref_col.type, "int" if ref_col.type != "uuid" else "uuid", ())
        actions = [a for a in ir.FkAction if a != ir.FkAction.SET_DEFAULT
                   and (nullable or a != ir.FkAction.SET_NULL)]
        deferrable = draw(_BOOL)
        fks.append(ir.ForeignKey(
            name=fk_name, columns=(name,), ref_table=target.name, ref_columns=(ref_col.name,),
            on_delete=draw(st.sampled_from(actions)), on_update=draw(st.sampled_from(actions)),
            deferrable=deferrable, initially_deferred=deferrable and draw(_BOOL)))

    for _ in range(draw(st.integers(1 if not columns else 0, max(0, max_columns - len(columns))))):
        name = draw(_COLUMN_NAMES)
        if any(c.name == name for c in columns):
            continue
        ty = draw(types)
        nullable = draw(_BOOL)
        default = draw(st.sampled_from([None, *ty.default]))
        collation = "C" if ty.kind == "text" and draw(_one_in(5)) else None
        columns.append(ir.Column(name=name, type=ty.text, nullable=nullable, default=default,
                                 collation=collation, comment=draw(_COMMENTS)))
        kinds[name] = ty

    # a composite primary key when there is no id
    plain = [c.name for c in columns if c.name not in {f.columns[0] for f in fks}]
    if pk is None and plain and draw(_BOOL) and relation(derive(t, "pkey")):
        cols = tuple(draw(st.lists(st.sampled_from(plain), min_size=1, max_size=2, unique=True)))
        pk = ir.PrimaryKey(name=derive(t, "pkey"), columns=cols)
        columns = [dataclasses.replace(c, nullable=False) if c.name in cols else c
                   for c in columns]

    names = [c.name for c in columns]
    uniques: list[ir.Unique] = []
    for cols in draw(st.lists(st.lists(st.sampled_from(names), min_size=1, max_size=2,
                                       unique=True).map(tuple), max_size=2, unique=True)):
        name = draw(st.sampled_from([derive(t, *cols, "key"), f"uq_{t[:10]}_{len(uniques)}"]))
        if cols == (pk.columns if pk else None) or not relation(name):
            continue
        deferrable = draw(_one_in(5))
        uniques.append(ir.Unique(
            name=name, columns=cols, nulls_not_distinct=draw(_BOOL),
            deferrable=deferrable, initially_deferred=deferrable and draw(_BOOL)))

    checks: list[ir.Check] = []
    for c in columns:
        kind = kinds[c.name].kind
        if kind not in ("int", "numeric", "text") or c.serial or c.identity or draw(
                st.integers(0, 2)):
            continue
        q = quote_ident(c.name)
        expr = draw(st.sampled_from([f"{q} > 0", f"{q} >= 0"])) if kind != "text" \
            else f"{q} <> ''"
        derived = draw(_BOOL)
        name = derive(t, c.name, "check") if derived else f"ck_{t[:10]}_{len(checks)}"
        if name in constraint_names:
            continue
        constraint_names.add(name)
        checks.append(ir.Check(name=name, expression=expr, derived_name=derived))
    if len(columns) >= 2 and draw(_one_in(4)) and relation(derive(t, "check")):
        a, b = (quote_ident(c.name) for c in columns[:2])
        checks.append(ir.Check(name=derive(t, "check"), derived_name=True,
                               expression=f"{a} IS NOT NULL OR {b} IS NOT NULL"))

    indexes = [x for x in (draw(_index(t, columns, kinds)) for _ in range(draw(st.integers(0, 3))))
               if x is not None and relation(x.name)]

    expectations = _expectations(draw, columns, kinds)
    if dsl_extras:
        used = {n for x in [*uniques, *fks] for n in x.columns} | set(pk.columns if pk else ())
        used |= {e.column for x in indexes for e in x.elements} | {n for x in indexes
                                                                    for n in x.include}
        used |= {e.column for e in expectations}
        columns = [_extras(draw, c) if c.name not in used and not checks else c
                   for c in columns]
    return ir.Table(
        name=qn, columns=tuple(columns), primary_key=pk, uniques=tuple(uniques),
        foreign_keys=tuple(fks), checks=tuple(checks), indexes=tuple(indexes),
        comment=draw(_COMMENTS), expectations=tuple(expectations),
        renamed_from=draw(st.sampled_from([None, f"old_{t[:8]}"])) if dsl_extras else None)


@st.composite
def _index(draw: Callable[..., Any], t: str, columns: list[ir.Column],
           kinds: dict[str, _Type]) -> ir.Index | None:
    method = draw(st.sampled_from(["btree", "btree", "btree", "gin", "hash"]))
    if method == "gin":
        cols = [c.name for c in columns if kinds[c.name].kind in ("json", "array")]
        if not cols:
            return None
        elements: tuple[ir.IndexElement, ...] = (
            ir.IndexElement(column=draw(st.sampled_from(cols))),)
        unique = False
    elif method == "hash":
        elements = (ir.IndexElement(column=draw(st.sampled_from([c.name for c in columns]))),)
        unique = False
    else:
        keys = draw(st.lists(st.sampled_from(columns), min_size=1, max_size=3,
                             unique_by=lambda c: c.name))
        elements = tuple(_element(draw, c, kinds[c.name]) for c in keys)
        unique = draw(_BOOL)
    include: tuple[str, ...] = ()
    if method == "btree":
        rest = [c.name for c in columns if c.name not in {e.column for e in elements}]
        include = tuple(draw(st.lists(st.sampled_from(rest), max_size=1))) if rest else ()
    where = None
    if draw(_one_in(4)):
        where = f"{quote_ident(columns[-1].name)} IS NOT NULL"
    derived = derive(t, *element_words(elements), "idx")
    name = draw(st.sampled_from([derived, f"ix_{t[:10]}_{draw(st.integers(0, 99))}"]))
    return ir.Index(name=name, elements=elements, unique=unique, method=ir.IndexMethod(method),
                    include=include, where=where,
                    nulls_not_distinct=unique and draw(_one_in(4)))


def _element(draw: Callable[..., Any], c: ir.Column, ty: _Type) -> ir.IndexElement:
    if ty.kind == "text" and c.collation is None and draw(_one_in(4)):
        return ir.IndexElement(expression=f"lower({quote_ident(c.name)})")
    desc = draw(_BOOL)
    return ir.IndexElement(column=c.name, descending=desc,
                           nulls_first=draw(st.sampled_from([None, not desc])))


def _expectations(draw: Callable[..., Any], columns: list[ir.Column],
                  kinds: dict[str, _Type]) -> list[ir.Expectation]:
    out: list[ir.Expectation] = []
    for c in columns:
        kind = kinds[c.name].kind
        if draw(st.integers(0, 3)):
            continue
        if kind == "text":
            rule = draw(st.sampled_from([ir.ExpectKind.MATCHES, ir.ExpectKind.NOT_MATCHES,
                                         ir.ExpectKind.JSON]))
            arg = None if rule == ir.ExpectKind.JSON else draw(_PATTERNS)
        elif kind in ("int", "numeric"):
            rule, arg = ir.ExpectKind.PREDICATE, f"{quote_ident(c.name)} < 1000000"
        else:
            continue
        out.append(ir.Expectation(kind=rule, column=c.name, argument=arg,
                                  message=draw(_MESSAGES)))
    for _ in range(draw(st.integers(0, 2))):  # table-wide ones, anywhere in the list
        q = quote_ident(columns[0].name)
        out.insert(draw(st.integers(0, len(out))), ir.Expectation(
            kind=ir.ExpectKind.PREDICATE, argument=f"{q} IS NOT NULL OR true",
            message=draw(_MESSAGES)))
    return out


def _extras(draw: Callable[..., Any], c: ir.Column) -> ir.Column:
    if c.serial or c.identity or not draw(_one_in(4)):
        return c
    which = draw(st.sampled_from(["deprecated", "renamed"]))
    if which == "deprecated":
        return dataclasses.replace(c, deprecated=draw(st.sampled_from(
            ["deprecated", "use \"other\" instead", "gone"])))
    return dataclasses.replace(c, renamed_from=f"old_{c.name[:10]}")


def _rows(draw: Callable[..., Any], t: ir.Table) -> ir.Rows | None:
    cols = [c for c in t.columns if c.type in ("text", "integer", "boolean")
            and not c.serial and not c.deprecated]
    if not cols or draw(st.integers(0, 2)):
        return None
    samples = {"text": ["'a'", "'it''s'", "NULL"], "integer": ["1", "-2", "(1 + 1)"],
               "boolean": ["true", "false"]}
    values = draw(st.lists(st.tuples(*(st.sampled_from(samples[c.type]) for c in cols)),
                           min_size=0, max_size=3))
    return ir.Rows(table=t.name, columns=tuple(c.name for c in cols), values=tuple(values))


# --- helpers ---------------------------------------------------------------------------------


def compiler_order(schema: ir.Schema) -> ir.Schema:
    """Sort like `compiler.validate.compile_files`, so generated IR compares with `==`."""

    def table(t: ir.Table) -> ir.Table:
        return dataclasses.replace(
            t, uniques=tuple(sorted(t.uniques, key=lambda x: x.name)),
            foreign_keys=tuple(sorted(t.foreign_keys, key=lambda x: x.name)),
            checks=tuple(sorted(t.checks, key=lambda x: x.name)),
            indexes=tuple(sorted(t.indexes, key=lambda x: x.name)))

    return dataclasses.replace(
        schema,
        namespaces=tuple(sorted((n for n in schema.namespaces if n.name != "public"),
                                key=lambda n: n.name)),
        extensions=tuple(sorted(schema.extensions, key=lambda e: e.name)),
        enums=tuple(sorted(schema.enums, key=lambda e: e.name)),
        domains=tuple(sorted(schema.domains, key=lambda d: d.name)),
        tables=tuple(table(t) for t in sorted(schema.tables, key=lambda t: t.name)),
        rows=tuple(sorted(schema.rows, key=lambda r: r.table)),
        grants=normalized(schema.grants))


def as_parsed_file(schema: ir.Schema, path: str = "generated.schema") -> ParsedFile:
    """The same declarations as one parsed file (lists, in the schema's order)."""
    return ParsedFile(
        path=path, namespaces=list(schema.namespaces), extensions=list(schema.extensions),
        enums=list(schema.enums), domains=list(schema.domains), tables=list(schema.tables),
        rows=list(schema.rows), sections=list(schema.sections), grants=list(schema.grants))


# --- views, functions, triggers, sequences, row-level security --------------------------------

_TOUCH = ir.Function(name=ir.QName(name="touch"), arguments="", definition=(
    "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN RETURN NEW; "
    "END $fn$"))
_TIMINGS = ["BEFORE insert", "BEFORE insert or update", "AFTER delete"]
_COMMANDS = ["all", "select", "insert", "update", "delete"]


@st.composite
def object_specs(draw: Callable[..., Any], tables: int) -> dict[str, dict[int, Any]]:
    """What to declare besides tables, over `tables` tables (by position): sequences
    (increment), SQL functions (the constant they add), views and materialized views (which
    table, filtered or not), triggers (timing) and row-level security (forced or not, and
    policies as (name number, command))."""
    small = st.integers(1, 5)
    spec: dict[str, dict[int, Any]] = {
        "sequences": draw(st.dictionaries(st.integers(0, 2), small, max_size=2)),
        "functions": draw(st.dictionaries(st.integers(0, 2), small, max_size=2)),
        "views": {}, "triggers": {}, "rls": {}}
    if tables:
        where = st.integers(0, tables - 1)
        spec["views"] = draw(st.dictionaries(st.integers(0, 3), st.tuples(
            where, _BOOL, _one_in(3)), max_size=3))
        spec["triggers"] = draw(st.dictionaries(where, st.sampled_from(_TIMINGS), max_size=2))
        spec["rls"] = draw(st.dictionaries(where, st.tuples(_BOOL, st.lists(st.tuples(
            st.integers(0, 2), st.sampled_from(_COMMANDS)), max_size=2, unique_by=lambda p:
            p[0])), max_size=2))
    return spec


@st.composite
def edited_specs(draw: Callable[..., Any], spec: dict[str, dict[int, Any]],
                 tables: int) -> dict[str, dict[int, Any]]:
    """`spec` with each object kept, dropped or changed, and maybe new ones."""
    fresh = draw(object_specs(tables))
    out: dict[str, dict[int, Any]] = {}
    for kind, objects in spec.items():
        out[kind] = {}
        for key, value in objects.items():
            fate = draw(st.sampled_from(["keep", "keep", "drop", "change"]))
            if fate == "keep":
                out[kind][key] = value
            elif fate == "change" and key in fresh[kind]:
                out[kind][key] = fresh[kind][key]
        for key, value in fresh[kind].items():
            if key not in objects and draw(_one_in(3)):
                out[kind][key] = value
    return out


def with_objects(schema: ir.Schema, spec: dict[str, dict[int, Any]],
                 tables: list[ir.QName]) -> ir.Schema:
    """`schema` plus the objects `spec` names, over `tables` (tables with a primary key,
    whose key columns the objects read: edits never drop or retype those)."""
    by_name = {t.name: t for t in schema.tables}
    keyed = [by_name[n] for n in tables]
    sequences = tuple(ir.Sequence(name=ir.QName(name=f"seq_{i}"), increment=inc)
                      for i, inc in sorted(spec["sequences"].items()))
    functions = [ir.Function(name=ir.QName(name=f"fn_{i}"), arguments="a integer", definition=(
        f"CREATE FUNCTION fn_{i}(a integer) RETURNS integer LANGUAGE sql IMMUTABLE "
        f"AS 'SELECT a + {k}'")) for i, k in sorted(spec["functions"].items())]
    views = []
    for i, (which, filtered, materialized) in sorted(spec["views"].items()):
        t = keyed[which]
        assert t.primary_key is not None
        cols = ", ".join(quote_ident(c) for c in t.primary_key.columns)
        body = f" select {cols} from {display(t.name)} "
        if filtered:
            body += f"where {quote_ident(t.primary_key.columns[0])} is not null "
        views.append(ir.View(name=ir.QName(name=f"{'mv' if materialized else 'v'}_{i}"),
                             definition=body, materialized=materialized, reads=(t.name,)))
    triggers = []
    for which, timing in sorted(spec["triggers"].items()):
        t = keyed[which]
        name = f"trg_{t.name.name[:20]}"
        triggers.append(ir.Trigger(table=t.name, name=name, definition=(
            f"CREATE TRIGGER {quote_ident(name)} {timing} ON {display(t.name)} "
            "for each row execute function touch()")))
    if triggers:
        functions.append(_TOUCH)
    policies = []
    secured: dict[ir.QName, bool] = {}
    for which, (force, pols) in sorted(spec["rls"].items()):
        t = keyed[which]
        secured[t.name] = force
        assert t.primary_key is not None
        key = quote_ident(t.primary_key.columns[0])
        for n, command in pols:
            policies.append(ir.Policy(
                table=t.name, name=f"pol_{n}", command=command,
                using=None if command == "insert" else f"{key} IS NOT NULL",
                with_check=f"{key} IS NOT NULL" if command in ("insert", "update") else None))
    new_tables = tuple(dataclasses.replace(t, row_security=True, force_row_security=secured[
        t.name]) if t.name in secured else t for t in schema.tables)
    return dataclasses.replace(
        schema, tables=new_tables, sequences=sequences, views=tuple(views),
        functions=tuple(sorted(functions, key=lambda f: f.name)), triggers=tuple(triggers),
        policies=tuple(policies))
