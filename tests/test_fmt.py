"""The canonical printer (`compiler.generators.dsl`) and `schemac fmt` (`compiler.fmt`).

Properties over generated IR (tests/strategies.py):
- print -> parse gives back the generated tables, enums, sections and rows, including what
  `==` ignores (comments, expectations, deprecations, renames, `derived_name`), both for one
  parsed file and for a whole `ir.Schema` (then through `compile_files`);
- printing is idempotent, and `format_source` leaves canonical text alone;
- `format_source` keeps every `//` comment it is given and never changes the parsed IR.
Plus a golden test on a messy hand-written file, the seed schema, and focused cases.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import as_parsed_file, compiler_order, schemas

from compiler import ir
from compiler.errors import CompileError
from compiler.fmt import format_source, ir_fingerprint
from compiler.generators.dsl import render_dsl
from compiler.parse import parse_source
from compiler.parsed import ParsedFile
from compiler.validate import compile_files

PROPERTY = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ROOT = Path(__file__).resolve().parent.parent


def parsed_schema(pf: ParsedFile) -> ir.Schema:
    return compiler_order(ir.Schema(
        namespaces=tuple(pf.namespaces), extensions=tuple(pf.extensions), enums=tuple(pf.enums),
        domains=tuple(pf.domains), tables=tuple(pf.tables), rows=tuple(pf.rows),
        sections=tuple(pf.sections), grants=tuple(pf.grants)))


# --- properties ------------------------------------------------------------------------------


@PROPERTY
@given(schemas(dsl_extras=True))
def test_print_parse_round_trip_of_a_file(schema: ir.Schema) -> None:
    text = render_dsl(as_parsed_file(schema))
    back = parsed_schema(parse_source(text, "gen.schema"))
    assert back.tables == schema.tables
    assert back.enums == schema.enums
    # what `==` skips: comments are compared, but sections, expectations, deprecations,
    # renames, rows and derived_name are not
    assert ir_fingerprint(back) == ir_fingerprint(schema)
    assert render_dsl(parse_source(text, "gen.schema")) == text


@PROPERTY
@given(schemas(dsl_extras=True))
def test_print_parse_round_trip_of_a_schema(schema: ir.Schema) -> None:
    text = render_dsl(schema)
    compiled, _warnings = compile_files([parse_source(text, "gen.schema")])
    assert compiled == schema
    assert ir_fingerprint(compiled) == ir_fingerprint(schema)
    assert render_dsl(compiled) == text


@PROPERTY
@given(schemas())
def test_generated_schemas_compile_unchanged(schema: ir.Schema) -> None:
    """The strategy's contract: its IR is what the compiler itself would build."""
    compiled, _warnings = compile_files([as_parsed_file(schema)])
    assert compiled == schema


@PROPERTY
@given(schemas(dsl_extras=True), st.data())
def test_fmt_keeps_every_comment(schema: ir.Schema, data: st.DataObject) -> None:
    text = render_dsl(as_parsed_file(schema))
    assert format_source(text, "gen.schema") == text
    lines = text.rstrip("\n").split("\n")
    inside = _inside_expressions(lines)
    comments: list[str] = []
    out: list[str] = []
    for n, line in enumerate(lines):
        if n not in inside and data.draw(st.integers(0, 5), label=f"own {n}") == 0:
            comments.append(f"// own {n};")
            out.append(comments[-1])
        trail = (line.strip() and not line.lstrip().startswith("///") and n not in inside
                 and not line.endswith("(") and data.draw(st.integers(0, 5), label=f"tr {n}") == 0)
        if trail:
            comments.append(f"// trailing {n};")
        out.append(f"{line} {comments[-1]}" if trail else line)
    messy = "\n".join(out) + "\n"
    pretty = format_source(messy, "gen.schema")
    for c in comments:
        assert pretty.count(c) == 1, (c, pretty)
    assert ir_fingerprint(parse_source(pretty, "x")) == ir_fingerprint(parse_source(messy, "x"))
    assert format_source(pretty, "gen.schema") == pretty


def _inside_expressions(lines: list[str]) -> set[int]:
    """Lines of an expression the printer spread over several lines (a `//` there would be
    part of the expression: see the parse.py note in test_comment_inside_an_expression)."""
    inside: set[int] = set()
    opened = False
    for n, line in enumerate(lines):
        if opened:
            inside.add(n)
            opened = not line.lstrip().startswith(")")
        elif line.endswith("("):
            opened = True
    return inside


# --- golden ----------------------------------------------------------------------------------

MESSY = """\
// File header: billing objects.

extension   pgcrypto
/// doc on an extension (the IR drops it, fmt keeps it)
extension citext schema public // trailing on extension
schema billing
section "Billing"   // the billing section
// comment before the enum
enum   billing.status {draft,
   open , // open ones
   'Paid'
   // before close
}
/// Money, never negative.
domain   positive_amount numeric(12,2)   not null   check (value > 0)

/// Invoices we send.
/// Second line.
table billing.invoices renamed from bills {   // header trailing
  // leading for id
  id bigint generated always as identity primary key
  number   varchar(32) not null unique // trailing on number
    expect matches '^INV-[0-9]+$'   "invoice numbers look like ""INV-123\"\"\"
  status billing.status not null default 'draft'
  amount positive_amount not null
  tax NUMERIC(12, 2) generated always as (amount  *  0.2) stored
  customer_id  bigint not null references customers ( id ) on delete   cascade
  Note TEXT collate "C"  deprecated "no longer used"
  created_at timestamptz not null default now()
  tags text[] default '{}'

  index (customer_id)
  // the partial index
  index invoices_open_idx (created_at desc) where status = 'open'
  index  using gin (tags)
  unique index (lower(number)) include (status)
  check (amount < 1000000)
  expect table (created_at <= now()) "no invoices from the future"
  // dangling before close
}

table customers {
  id bigserial primary key
  Email text not null
  "Display Name" text
  "check" int check ("check" >= 0)
  unique (email)
  unique ("Display Name", email) nulls not distinct deferrable initially deferred
}
table line_items {
  invoice_id bigint not null
  line int not null
  primary key (invoice_id, line)
  foreign key (invoice_id) references billing.invoices on delete cascade
}
rows customers (id, email) {
  (1, 'a@example.com')   // first
  (2,'b@example.com')
}
// the end
"""

EXPECTED = """\
// File header: billing objects.

extension pgcrypto
/// doc on an extension (the IR drops it, fmt keeps it)
extension citext schema public // trailing on extension

schema billing

section "Billing" // the billing section

// comment before the enum
enum billing.status {
  draft,
  open, // open ones
  'Paid',
  // before close
}

/// Money, never negative.
domain positive_amount numeric(12,2) not null check (value > 0)

/// Invoices we send.
/// Second line.
table billing.invoices renamed from bills { // header trailing
  // leading for id
  id          bigint          generated always as identity primary key
  number      varchar(32)     not null unique // trailing on number
  expect matches '^INV-[0-9]+$' "invoice numbers look like ""INV-123\"\"\"
  status      billing.status  not null default 'draft'
  amount      positive_amount not null
  tax         numeric(12,2)   generated always as (amount * 0.2) stored
  customer_id bigint          not null references customers(id) on delete cascade
  note        text            collate "C" deprecated "no longer used"
  created_at  timestamptz     not null default now()
  tags        text[]          default '{}'

  check (amount < 1000000)

  expect table (created_at <= now()) "no invoices from the future"

  index (customer_id)
  // the partial index
  index invoices_open_idx (created_at desc) where status = 'open'
  index using gin (tags)
  unique index (lower(number)) include (status)
  // dangling before close
}

table customers {
  id             bigserial primary key
  email          text      not null unique
  "Display Name" text
  "check"        int       check ("check" >= 0)

  unique ("Display Name", email) nulls not distinct deferrable initially deferred
}

table line_items {
  invoice_id bigint not null references billing.invoices on delete cascade
  line       int    not null

  primary key (invoice_id, line)
}

rows customers (id, email) {
  (1, 'a@example.com') // first
  (2, 'b@example.com')
}
// the end
"""


def test_golden_messy_file() -> None:
    assert format_source(MESSY, "messy.schema") == EXPECTED
    assert format_source(EXPECTED, "messy.schema") == EXPECTED
    assert ir_fingerprint(parse_source(EXPECTED, "x")) == ir_fingerprint(parse_source(MESSY, "x"))


SEED = sorted((ROOT / "schema").glob("*.schema"))


@pytest.mark.parametrize("path", SEED, ids=[p.name for p in SEED])
def test_seed_schema_formats_stably(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    pretty = format_source(text, str(path))  # checks itself that the IR is unchanged
    assert format_source(pretty, str(path)) == pretty
    assert _comments(pretty) == _comments(text)


def _comments(text: str) -> list[str]:
    return sorted(m.group().rstrip() for m in re.finditer(r"(?<!/)//(?!/)[^\n]*", text))


# --- focused cases ---------------------------------------------------------------------------


def render_table(body: str) -> str:
    return render_dsl(parse_source(f"table t {{\n{body}\n}}\n", "t.schema"))


@pytest.mark.parametrize(("written", "printed"), [
    ("integer", "int"), ("int4", "int"), ("bool", "bool"),
    ("character varying(255)", "varchar(255)"),
    ("varchar(20)[]", "varchar(20)[]"), ("char", "char"), ("character(3)", "char(3)"),
    ("timestamp with time zone", "timestamptz"), ("timestamp(3) with time zone", "timestamptz(3)"),
    ("timestamp without time zone", "timestamp"), ("time(2)", "time(2)"), ("timetz", "timetz"),
    ("double precision", "double precision"), ("float8", "double precision"),
    ("numeric(10, 2)", "numeric(10,2)"), ("decimal", "numeric"), ("bit varying(5)", "varbit(5)"),
    ("text[][]", "text[][]"), ("int8", "bigint"), ("app.mood", "app.mood"),
    ('"Mood"[]', '"Mood"[]'), ("vector(3)", "vector(3)"), ("serial", "serial"),
    ("bigserial", "bigserial"), ("serial2", "smallserial"),
])
def test_types_print_short(written: str, printed: str) -> None:
    text = render_table(f"  c {written}")
    assert text.split("\n")[1] == f"  c {printed}"
    assert render_dsl(parse_source(text, "x")) == text


def test_names_are_quoted_only_where_needed() -> None:
    src = ('table "Order" {\n  "check" int\n  "key" int\n  "Mixed" int\n  "with space" int\n'
           '  "say ""hi""" int\n  "user" int\n  status int\n}\n')
    text = render_dsl(parse_source(src, "x"))
    assert text == ('table "Order" {\n  "check"      int\n  "key"        int\n  "Mixed"      int\n'
                    '  "with space" int\n  "say ""hi""" int\n  user         int\n'
                    '  status       int\n}\n')


def test_constraints_go_inline_only_with_their_default_names() -> None:
    text = render_table(
        "  a int\n  b int not null\n  c int\n"
        "  unique (a)\n  unique named_uq (b)\n  foreign key (c) references u(id)\n"
        "  check (a > 0)\n  check (b > 0)\n  primary key (b)")
    assert text == (
        "table t {\n  a int unique\n  b int primary key\n  c int references u(id)\n\n"
        "  unique named_uq (b)\n  check (a > 0)\n  check (b > 0)\n}\n")


def test_check_names_follow_parse_numbering() -> None:
    src = "  a int check (a > 0) check (a < 9)\n  check ck (a <> 5)\n  b int check (b > 0)"
    pf = parse_source(f"table t {{\n{src}\n}}\n", "x")
    text = render_dsl(pf)
    back = parse_source(text, "x")
    assert ir_fingerprint(back) == ir_fingerprint(pf)
    assert "b int check (b > 0)" in text and "check ck (a <> 5)" in text


def test_expectations_keep_their_order_and_columns() -> None:
    src = ("  expect table (true)\n  a text\n  expect json\n  expect table (a is not null)\n"
           "  b int\n  expect (b > 0) \"positive\"\n  expect table (b < 9)")
    pf = parse_source(f"table t {{\n{src}\n}}\n", "x")
    back = parse_source(render_dsl(pf), "x")
    assert back.tables[0].expectations == pf.tables[0].expectations
    assert [(e.column, e.kind, e.argument, e.message) for e in back.tables[0].expectations] == [
        (e.column, e.kind, e.argument, e.message) for e in pf.tables[0].expectations]


def test_long_predicates_wrap_and_read_back_the_same() -> None:
    cond = " or ".join(f"column_number_{k} is not null" for k in range(6))
    pf = parse_source(f"table t {{\n  a int\n  expect table ({cond}) \"m\"\n}}\n", "x")
    text = render_dsl(pf)
    assert max(len(ln) for ln in text.split("\n")) <= 100
    assert parse_source(text, "x").tables[0].expectations[0].argument == cond


def test_sections_stay_in_order_even_when_empty() -> None:
    src = 'section "a"\nsection "b"\ntable t {\n  x int\n}\nsection "c"\n'
    pf = parse_source(src, "x")
    text = render_dsl(pf)
    assert parse_source(text, "x").sections == ["a", "b", "c"]
    assert text == 'section "a"\n\nsection "b"\n\ntable t {\n  x int\n}\n\nsection "c"\n'


def test_render_accepts_a_whole_schema_grouped_by_section() -> None:
    t = ir.Table(name=ir.QName(name="a"), columns=(ir.Column(name="x", type="integer"),),
                 section="S")
    u = ir.Table(name=ir.QName(name="b"), columns=(ir.Column(name="x", type="integer"),))
    text = render_dsl(ir.Schema(tables=(t, u), sections=("S",)))
    assert text == 'table b {\n  x int\n}\n\nsection "S"\n\ntable a {\n  x int\n}\n'


def test_index_descriptions_round_trip() -> None:
    t = ir.Table(name=ir.QName(name="t"), columns=(ir.Column(name="x", type="integer"),),
                 indexes=(ir.Index(name="i", elements=(ir.IndexElement(column="x"),),
                                   comment="why"),))
    text = render_dsl(ir.Schema(tables=(t,)))
    assert "  /// why\n  index i (x)" in text
    assert parse_source(text, "x.schema").tables[0].indexes == t.indexes


@pytest.mark.parametrize("schema", [
    ir.Schema(tables=(ir.Table(name=ir.QName(name="t"), columns=(
        ir.Column(name="two\nlines", type="integer"),)),)),
    ir.Schema(tables=(ir.Table(name=ir.QName(name="t"), columns=(
        ir.Column(name="x", type="integer", comment="  indented"),)),)),
    ir.Schema(tables=(ir.Table(name=ir.QName(name="t"), columns=(
        ir.Column(name="x", type="integer", default="a // b"),)),)),
], ids=["newline in name", "indented comment", "comment in default"])
def test_what_the_language_cannot_say_is_an_error(schema: ir.Schema) -> None:
    with pytest.raises(CompileError):
        render_dsl(schema)


def test_invalid_input_is_a_compile_error() -> None:
    with pytest.raises(CompileError):
        format_source("table t {\n  id\n}\n", "bad.schema")


def test_comment_inside_an_expression() -> None:
    """parse.py keeps a `//` comment inside a multi-line expression as part of its SQL; fmt
    must then refuse, never write a file that means something else."""
    src = "table t {\n  a int check (a > 0 // positive\n    and a < 10)\n}\n"
    try:
        pretty = format_source(src, "x")
    except CompileError:
        return
    assert ir_fingerprint(parse_source(pretty, "x")) == ir_fingerprint(parse_source(src, "x"))


def test_comments_in_odd_places() -> None:
    src = ("enum e { a, b } // one line\n"
           "\n// before t\n\ntable t { // header\n  a int\n\n  // group\n  b int // trailing b\n"
           "  // last\n} // after close\n// eof\n")
    assert format_source(src, "x") == (
        "enum e { a, b } // one line\n\n// before t\n\ntable t { // header\n  a int\n\n"
        "  // group\n  b int // trailing b\n  // last\n} // after close\n// eof\n")


def test_grants_merged_from_several_statements_print_as_they_compile() -> None:
    text = ("table users {\n  id serial primary key\n}\n\n"
            "grant all on users to app\n"
            "grant select on users to app, ro with grant option\n"
            "grant insert on users to ro\n")
    compiled, _ = compile_files([parse_source(text, "a.schema")])
    again, _ = compile_files([parse_source(render_dsl(compiled), "b.schema")])
    assert again.grants == compiled.grants
    assert [(g.role, g.privileges, g.grantable) for g in compiled.grants] == [
        ("app", ("all",), False), ("app", ("select",), True),
        ("ro", ("insert",), False), ("ro", ("select",), True)]


def test_a_description_of_several_lines_keeps_its_lines_and_the_comments_between() -> None:
    src = ("/// Extension, first line\n  // aside\n\n/// second line\nextension citext\n"
           "table t {\n  /// Amount,\r\n  // not part of it\n\n  /// in cents\n  a int\n"
           "  ///\n  b int\n}\n")
    column_a, column_b = parse_source(src, "x").tables[0].columns
    assert column_a.comment == "Amount,\nin cents"
    assert column_b.comment is None  # an empty description is no description
    # a column's description is printed whole, right above it; the comment goes before it
    assert format_source(src, "x") == (
        "/// Extension, first line\n// aside\n\n/// second line\nextension citext\n\n"
        "table t {\n  // not part of it\n\n  /// Amount,\n  /// in cents\n  a int\n  b int\n}\n")
