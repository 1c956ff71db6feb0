-- check: every index of the inspected tables, constraint-backed ones included, described
-- well enough to find duplicate, redundant and invalid indexes in one pass
-- (findings duplicate-index, redundant-index, invalid-index).
-- keys: one descriptor per key column, comparable as text: the attnum (or the expression as
-- pg_get_indexdef prints it), operator class, collation and indoption bits, so two keys are
-- equal exactly when they index the same thing the same way.
-- %(nsp)s: namespace oids of the inspected schemas.
-- Columns: schema, table, index, access method, unique, primary, valid, constraint name,
-- constraint type, predicate, key descriptors, key names, INCLUDE column count, size in
-- bytes, definition.
SELECT n.nspname, c.relname, ic.relname, am.amname,
       i.indisunique, i.indisprimary, i.indisvalid,
       con.conname, con.contype,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid),
       ARRAY(SELECT CASE WHEN u.attnum = 0
                         THEN 'expr ' || pg_catalog.pg_get_indexdef(i.indexrelid, u.ord::int, true)
                         ELSE 'col ' || u.attnum END
                    || ' ' || u.cls || ' ' || u.coll || ' ' || u.opt
             FROM unnest(i.indkey::int2[], i.indclass::oid[], i.indcollation::oid[],
                         i.indoption::int2[]) WITH ORDINALITY AS u(attnum, cls, coll, opt, ord)
             WHERE u.ord <= i.indnkeyatts
             ORDER BY u.ord) AS keys,
       ARRAY(SELECT CASE WHEN u.attnum = 0
                         THEN pg_catalog.pg_get_indexdef(i.indexrelid, u.ord::int, true)
                         ELSE a.attname::text END
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS u(attnum, ord)
             LEFT JOIN pg_catalog.pg_attribute a
               ON a.attrelid = i.indrelid AND a.attnum = u.attnum
             WHERE u.ord <= i.indnkeyatts
             ORDER BY u.ord) AS key_names,
       i.indnatts - i.indnkeyatts,
       pg_catalog.pg_relation_size(i.indexrelid),
       pg_catalog.pg_get_indexdef(i.indexrelid)
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
LEFT JOIN pg_catalog.pg_constraint con
  ON con.conrelid = i.indrelid AND con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
WHERE c.relkind = 'r' AND NOT c.relispartition
  AND c.relnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
ORDER BY 1, 2, 3
