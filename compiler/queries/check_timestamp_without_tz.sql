-- check: columns of type timestamp without time zone, or arrays of it
-- (finding timestamp-without-time-zone).
-- %(nsp)s: namespace oids of the inspected schemas.
-- Columns: schema, table, column, type as format_type prints it.
SELECT n.nspname, c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND a.atttypid IN ('pg_catalog.timestamp'::regtype::oid, 'pg_catalog._timestamp'::regtype::oid)
  AND c.relkind = 'r' AND NOT c.relispartition
  AND c.relnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
ORDER BY 1, 2, a.attnum
