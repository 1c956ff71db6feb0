-- check: constraints added NOT VALID and never validated (finding constraint-not-validated):
-- foreign keys and checks, and since PostgreSQL 18 NOT NULL constraints (contype 'n').
-- %(nsp)s: namespace oids of the inspected schemas.
-- Columns: schema, table, constraint, type, columns, definition.
SELECT n.nspname, c.relname, con.conname, con.contype,
       ARRAY(SELECT a.attname
             FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.ord),
       pg_catalog.pg_get_constraintdef(con.oid, true)
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE NOT con.convalidated AND con.contype IN ('f', 'c', 'n')
  AND c.relkind = 'r' AND NOT c.relispartition
  AND c.relnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
ORDER BY 1, 2, 3
