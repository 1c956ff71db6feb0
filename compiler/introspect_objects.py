"""Introspection of the objects kept as PostgreSQL's text: catalog rows -> IR.

Contract: `build_objects(...)` turns the rows of `views.sql`, `functions.sql`, `triggers.sql`,
`sequences.sql` (and the materialized views' rows of `indexes.sql`) into sorted
`(sequences, functions, views, triggers)`, spelt as `compiler.introspect` spells everything:
under search_path = public. A sequence that a serial column owns and feeds is that column's
business (`Column.serial`), so it is left out here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from compiler import ir


def build_objects(nsp: dict[int, str], tables: dict[int, ir.QName],
                  serial_sequences: set[str], view_rows: list[tuple[Any, ...]],
                  index_rows: list[tuple[Any, ...]], function_rows: list[tuple[Any, ...]],
                  trigger_rows: list[tuple[Any, ...]], sequence_rows: list[tuple[Any, ...]],
                  ) -> tuple[tuple[ir.Sequence, ...], tuple[ir.Function, ...],
                             tuple[ir.View, ...], tuple[ir.Trigger, ...]]:
    from compiler.introspect import _index

    relations = dict(tables)
    relations.update({oid: ir.QName(schema=nsp[ns], name=name)
                      for oid, ns, name, *_ in view_rows})
    keys_by_index: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    view_oids = {row[0] for row in view_rows}
    for row in index_rows:
        if row[1] in view_oids:
            keys_by_index[row[0]].append(row)
    indexes: dict[int, list[ir.Index]] = defaultdict(list)
    attnames = {oid: dict(zip(nums or (), names or ()))
                for oid, _ns, _n, _m, _d, _o, _c, nums, names, _t, _r in view_rows}
    for keys in keys_by_index.values():
        rel = keys[0][1]
        index = _index(keys, attnames[rel])
        if index is not None:
            indexes[rel].append(index)

    views = [ir.View(name=relations[oid], definition=definition, materialized=materialized,
                     options=tuple(sorted(options or ())),
                     indexes=tuple(sorted(indexes.get(oid, ()), key=lambda i: i.name)),
                     comment=comment,
                     reads=tuple(sorted({relations[r] for r in reads or () if r in relations})),
                     columns=tuple(zip(names or (), types or ())))
             for oid, _ns, _name, materialized, definition, options, comment, _nums, names,
             types, reads in view_rows]

    functions = [ir.Function(name=ir.QName(schema=nsp[ns], name=name), arguments=args,
                             definition=definition.rstrip().rstrip(";"), procedure=procedure,
                             comment=comment)
                 for ns, name, args, definition, procedure, comment in function_rows]

    triggers = [ir.Trigger(table=tables[rel], name=name, definition=definition,
                           comment=comment)
                for rel, name, definition, comment in trigger_rows if rel in tables]

    sequences = []
    for (ns, name, regclass, type_, start, inc, low, high, cache, cycle, owner, column,
         comment) in sequence_rows:
        if regclass in serial_sequences:
            continue
        owned = (tables[owner], column) if owner in tables and column else None
        sequences.append(ir.Sequence(
            name=ir.QName(schema=nsp[ns], name=name), type=type_, start=start, increment=inc,
            minvalue=low, maxvalue=high, cache=cache, cycle=cycle, owned_by=owned,
            comment=comment))

    return (tuple(sorted(sequences, key=lambda s: s.name)),
            tuple(sorted(functions, key=lambda f: (f.name, f.arguments))),
            tuple(sorted(views, key=lambda v: v.name)),
            tuple(sorted(triggers, key=lambda t: (t.table, t.name))))
