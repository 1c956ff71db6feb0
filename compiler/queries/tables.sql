-- Tables in the inspected schemas (%(nsp)s: namespace oids), with comments: ordinary,
-- unlogged, partitioned ('p') and partitions, and children of INHERITS. Extension-owned
-- tables are the extension's business.
-- Columns: oid, namespace oid, name, comment, unlogged, partition key, parent oids (in
-- inhseqno order: the partition's parent, or the INHERITS list), partition bound, row
-- security enabled, forced.
SELECT c.oid, c.relnamespace, c.relname, d.description,
       c.relpersistence = 'u',
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
       (SELECT array_agg(h.inhparent ORDER BY h.inhseqno) FROM pg_catalog.pg_inherits h
        WHERE h.inhrelid = c.oid),
       CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END,
       c.relrowsecurity, c.relforcerowsecurity
FROM pg_catalog.pg_class c
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
WHERE c.relkind IN ('r', 'p')
  AND c.relnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
