-- Sequences in the inspected schemas (%(nsp)s: namespace oids) that no identity column owns
-- (deptype 'i') and no extension owns. The caller leaves out those a serial column owns and
-- feeds (its default names them), matching them by `regclass` text.
-- Columns: namespace oid, name, regclass text, type, start, increment, min, max, cache,
-- cycle, owner table oid, owner column name, comment.
SELECT c.relnamespace, c.relname, c.oid::regclass::text,
       pg_catalog.format_type(s.seqtypid, NULL),
       s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
       own.refobjid, a.attname, d.description
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
LEFT JOIN pg_catalog.pg_depend own
  ON own.classid = 'pg_catalog.pg_class'::regclass AND own.objid = c.oid
 AND own.refclassid = 'pg_catalog.pg_class'::regclass AND own.deptype = 'a'
 AND own.refobjsubid > 0
LEFT JOIN pg_catalog.pg_attribute a
  ON a.attrelid = own.refobjid AND a.attnum = own.refobjsubid
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
WHERE c.relkind = 'S'
  AND c.relnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid
      AND x.deptype IN ('e', 'i'))
