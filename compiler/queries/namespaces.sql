-- User schemas: all of them, or those named in %(schemas)s (NULL = all), with comments.
-- Not system schemas (pg_catalog, information_schema, pg_toast, pg_temp_N, ...: every name
-- starting pg_ is reserved) and not schemas an extension created.
-- Columns: oid, name, comment.
SELECT n.oid, n.nspname, d.description
FROM pg_catalog.pg_namespace n
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = n.oid AND d.classoid = 'pg_catalog.pg_namespace'::regclass AND d.objsubid = 0
WHERE n.nspname !~ '^pg_'
  AND n.nspname <> 'information_schema'
  AND (%(schemas)s::text[] IS NULL OR n.nspname = ANY (%(schemas)s::text[]))
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend e
    WHERE e.classid = 'pg_catalog.pg_namespace'::regclass AND e.objid = n.oid
      AND e.deptype = 'e')
