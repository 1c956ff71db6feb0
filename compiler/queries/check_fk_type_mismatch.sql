-- check: foreign key columns whose type (or type modifier) differs from the referenced
-- column's (finding fk-type-mismatch): integer -> bigint, varchar(100) -> varchar(255).
-- %(nsp)s: namespace oids of the inspected schemas.
-- Columns: schema, table, constraint, column, its type, referenced schema, referenced table,
-- referenced column, its type.
SELECT n.nspname, c.relname, con.conname,
       a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
       fn.nspname, fc.relname,
       fa.attname, pg_catalog.format_type(fa.atttypid, fa.atttypmod)
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(attnum, fattnum, ord)
JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
JOIN pg_catalog.pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = k.fattnum
WHERE con.contype = 'f'
  AND (a.atttypid, a.atttypmod) IS DISTINCT FROM (fa.atttypid, fa.atttypmod)
  AND c.relkind = 'r' AND NOT c.relispartition
  AND c.relnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
ORDER BY 1, 2, 3, k.ord
