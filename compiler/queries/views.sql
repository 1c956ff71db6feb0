-- Views and materialized views in the inspected schemas (%(nsp)s: namespace oids), except
-- extension-owned ones. The definition is pg_get_viewdef's pretty form, under the caller's
-- search_path = public (names outside public come back qualified).
-- reads: the relations the view's rewrite rule depends on (pg_depend), for ordering.
-- Columns: oid, namespace oid, name, materialized, definition, reloptions, comment,
-- attnums, attnames, column types, reads (oids).
SELECT c.oid, c.relnamespace, c.relname, c.relkind = 'm',
       pg_catalog.pg_get_viewdef(c.oid, true),
       c.reloptions,
       d.description,
       (SELECT array_agg(a.attnum ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT array_agg(a.attname ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT array_agg(pg_catalog.format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
        FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT array_agg(DISTINCT dep.refobjid)
        FROM pg_catalog.pg_rewrite rw
        JOIN pg_catalog.pg_depend dep
          ON dep.classid = 'pg_catalog.pg_rewrite'::regclass AND dep.objid = rw.oid
         AND dep.refclassid = 'pg_catalog.pg_class'::regclass AND dep.refobjid <> c.oid
        WHERE rw.ev_class = c.oid)
FROM pg_catalog.pg_class c
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
WHERE c.relkind IN ('v', 'm')
  AND c.relnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
