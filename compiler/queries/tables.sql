-- Ordinary tables in the inspected schemas (%(nsp)s: namespace oids), with comments.
-- Partitioned tables and partitions are not tables the IR can describe yet: `unmanaged`
-- lists them. Extension-owned tables are the extension's business.
-- Columns: oid, namespace oid, name, comment.
SELECT c.oid, c.relnamespace, c.relname, d.description
FROM pg_catalog.pg_class c
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
WHERE c.relkind = 'r' AND NOT c.relispartition
  AND c.relnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
