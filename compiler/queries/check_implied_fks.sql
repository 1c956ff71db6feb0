-- check: columns named <x>_id with no foreign key, where the inspected schemas hold a table
-- named x, xs, xes or (x ending in y) xies whose single-column primary key has the same type
-- (finding implied-foreign-key). A heuristic, hence only informational; columns that are part
-- of their own table's primary key are left out.
-- %(nsp)s: namespace oids of the inspected schemas.
-- Columns: schema, table, column, referenced schema, referenced table, referenced column.
WITH t AS (
  SELECT c.oid, n.nspname, c.relname
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND NOT c.relispartition
    AND c.relnamespace = ANY (%(nsp)s::oid[])
    AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend x
      WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
),
pk AS (
  SELECT con.conrelid, con.conkey[1] AS attnum
  FROM pg_catalog.pg_constraint con
  WHERE con.contype = 'p' AND cardinality(con.conkey) = 1
)
SELECT DISTINCT ON (t.nspname, t.relname, a.attname)
       t.nspname, t.relname, a.attname, r.nspname, r.relname, ra.attname
FROM t
JOIN pg_catalog.pg_attribute a
  ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
CROSS JOIN LATERAL (SELECT left(a.attname, -3) AS stem) AS s
JOIN t r ON r.relname IN (s.stem, s.stem || 's', s.stem || 'es',
                          regexp_replace(s.stem, 'y$', 'ies'))
JOIN pk ON pk.conrelid = r.oid
JOIN pg_catalog.pg_attribute ra
  ON ra.attrelid = r.oid AND ra.attnum = pk.attnum AND ra.atttypid = a.atttypid
WHERE a.attname ~ '^.+_id$'
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_constraint f
    WHERE f.conrelid = t.oid AND f.contype = 'f' AND a.attnum = ANY (f.conkey))
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_constraint p
    WHERE p.conrelid = t.oid AND p.contype = 'p' AND a.attnum = ANY (p.conkey))
ORDER BY t.nspname, t.relname, a.attname, (r.nspname = t.nspname) DESC, r.relname
