-- Schema, name and column names of the given relations (%(rels)s: oids): the tables that
-- foreign keys reference from outside the inspected schemas.
-- Columns: relation oid, schema, relation name, attnum, column name.
SELECT c.oid, n.nspname, c.relname, a.attnum, a.attname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.oid = ANY (%(rels)s::oid[])
