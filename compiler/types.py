"""Static canonical form of type names: what PostgreSQL's `format_type` would print.

`int` ≡ `int4` ≡ `integer`; `varchar(255)` is `character varying(255)`; `timestamptz` is
`timestamp with time zone`. Names this table does not know are user types (enums, domains)
or extension types, resolved later by validation.
"""

from __future__ import annotations

import functools

# alias -> canonical base name (before arguments and time zone words are applied)
_ALIASES: dict[str, str] = {
    "int": "integer",
    "int4": "integer",
    "integer": "integer",
    "int2": "smallint",
    "smallint": "smallint",
    "int8": "bigint",
    "bigint": "bigint",
    "bool": "boolean",
    "boolean": "boolean",
    "varchar": "character varying",
    "character varying": "character varying",
    "char": "character",
    "character": "character",
    "bpchar": "character",
    "text": "text",
    "decimal": "numeric",
    "numeric": "numeric",
    "real": "real",
    "float4": "real",
    "float8": "double precision",
    "float": "double precision",
    "double precision": "double precision",
    "timestamp": "timestamp without time zone",
    "timestamp without time zone": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "timestamp with time zone": "timestamp with time zone",
    "time": "time without time zone",
    "time without time zone": "time without time zone",
    "timetz": "time with time zone",
    "time with time zone": "time with time zone",
    "date": "date",
    "interval": "interval",
    "uuid": "uuid",
    "json": "json",
    "jsonb": "jsonb",
    "bytea": "bytea",
    "inet": "inet",
    "cidr": "cidr",
    "macaddr": "macaddr",
    "macaddr8": "macaddr8",
    "money": "money",
    "bit": "bit",
    "bit varying": "bit varying",
    "varbit": "bit varying",
    "tsvector": "tsvector",
    "tsquery": "tsquery",
    "xml": "xml",
    "oid": "oid",
    "point": "point",
    "line": "line",
    "lseg": "lseg",
    "box": "box",
    "path": "path",
    "polygon": "polygon",
    "circle": "circle",
    "int4range": "int4range",
    "int8range": "int8range",
    "numrange": "numrange",
    "tsrange": "tsrange",
    "tstzrange": "tstzrange",
    "daterange": "daterange",
    "regclass": "regclass",
    "citext": "citext",
}

# serial pseudo-types: the integer type they stand for
SERIALS: dict[str, str] = {
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
    "serial2": "smallint",
}

BUILTIN = frozenset(_ALIASES.values())
INTEGERS = frozenset({"smallint", "integer", "bigint"})
TEXTUAL = frozenset({"text", "character varying", "character", "citext"})
JSON_TYPES = frozenset({"json", "jsonb"})

_TAKES_ARGS_BEFORE_TZ = {"timestamp", "time"}  # timestamp(3) with time zone


def canonical_type(words: str, args: tuple[int, ...] = (), tz: bool | None = None,
                   array_dims: int = 0) -> tuple[str, bool]:
    """Return (`format_type` spelling, known builtin?) for a type as written.

    `words` is the lower-cased name (`varchar`, `double precision`, `public.mood`).
    """
    base = words
    if tz is not None:
        base = f"{words} {'with' if tz else 'without'} time zone"
    canon = _ALIASES.get(base)
    known = canon is not None
    if canon is None:
        canon = words if tz is None else base
    if args:
        arg_text = "(" + ",".join(str(a) for a in args) + ")"
        if canon.startswith(("timestamp ", "time ")):
            head, _, rest = canon.partition(" ")
            canon = f"{head}{arg_text} {rest}"
        else:
            canon += arg_text
    elif canon == "character":
        canon = "character(1)"  # PostgreSQL's default length for bare char
    return canon + "[]" * array_dims, known


def element_type(type_text: str) -> str:
    """`text[][]` -> `text`: the type without its array brackets."""
    while type_text.endswith("[]"):
        type_text = type_text.removesuffix("[]")
    return type_text


@functools.lru_cache(maxsize=4096)  # validation asks once per column: a schema has few types
def base_of(type_text: str) -> str:
    """`character varying(20)[]` -> `character varying`; `timestamp(3) with time zone` too."""
    t = element_type(type_text)
    if "(" in t:
        head, _, rest = t.partition("(")
        tail = rest.partition(")")[2]
        t = head + tail
    return t.strip()


SHORT_NAMES: dict[str, str] = {
    "character varying": "varchar",
    "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp",
    "time with time zone": "timetz",
    "time without time zone": "time",
    "character": "char",
    "boolean": "bool",
}


def short_type(type_text: str) -> str:
    """The compact spelling people write: `varchar(255)`, `timestamptz`, `bool`."""
    for long, short in SHORT_NAMES.items():
        if type_text.startswith(long):
            return short + type_text[len(long):]
        if type_text.startswith(("timestamp(", "time(")) and long.startswith(type_text[:4]):
            head, _, rest = type_text.partition(")")
            name = head.partition("(")[0]
            zone = rest.strip()
            if zone.startswith("with time zone"):
                return f"{name}tz{head[len(name):]})" + zone[len("with time zone"):]
            if zone.startswith("without time zone"):
                return f"{name}{head[len(name):]})" + zone[len("without time zone"):]
    return type_text
