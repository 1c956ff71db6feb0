-- Functions and procedures in the inspected schemas (%(nsp)s: namespace oids), except
-- extension-owned ones; aggregates and window functions are left to `unmanaged`.
-- Columns: namespace oid, name, identity arguments, pg_get_functiondef, procedure, comment.
SELECT p.pronamespace, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid),
       pg_catalog.pg_get_functiondef(p.oid), p.prokind = 'p', d.description
FROM pg_catalog.pg_proc p
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::regclass AND d.objsubid = 0
WHERE p.pronamespace = ANY (%(nsp)s::oid[])
  AND p.prokind IN ('f', 'p')
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_proc'::regclass AND x.objid = p.oid AND x.deptype = 'e')
