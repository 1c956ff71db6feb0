-- check: multi-column unique keys (constraints or unique indexes) with a nullable column
-- (finding nullable-column-in-unique). NULLs never collide, so (NULL, 'a') can repeat.
-- Not reported: invalid indexes (invalid-index covers them), single-column keys (an
-- optional unique value is a common, deliberate design),
-- partial indexes (the predicate usually excludes the NULLs), expression keys, and keys
-- declared NULLS NOT DISTINCT (PostgreSQL 15+).
-- %(nsp)s: namespace oids of the inspected schemas.
-- Columns: schema, table, index, constraint name (or NULL), key columns, nullable columns.
SELECT n.nspname, c.relname, ic.relname, con.conname,
       ARRAY(SELECT a.attname
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
             WHERE k.ord <= i.indnkeyatts ORDER BY k.ord),
       ARRAY(SELECT a.attname
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
             WHERE k.ord <= i.indnkeyatts AND NOT a.attnotnull ORDER BY k.ord)
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
LEFT JOIN pg_catalog.pg_constraint con
  ON con.conrelid = i.indrelid AND con.conindid = i.indexrelid AND con.contype = 'u'
WHERE i.indisunique AND i.indisvalid AND NOT i.indisprimary AND i.indnkeyatts > 1
  AND i.indpred IS NULL AND i.indexprs IS NULL
  AND NOT i.indnullsnotdistinct  -- since 15
  AND EXISTS (
    SELECT 1 FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
    WHERE k.ord <= i.indnkeyatts AND NOT a.attnotnull)
  AND c.relkind = 'r' AND NOT c.relispartition
  AND c.relnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
ORDER BY 1, 2, 3
