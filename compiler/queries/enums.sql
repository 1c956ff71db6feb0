-- Enum types in the inspected schemas (%(nsp)s: namespace oids), labels in sort order
-- (enumsortorder, not oid: ADD VALUE ... BEFORE inserts fractional positions).
-- Columns: namespace oid, name, labels, comment.
SELECT t.typnamespace, t.typname,
       ARRAY(SELECT e.enumlabel FROM pg_catalog.pg_enum e
             WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels,
       d.description
FROM pg_catalog.pg_type t
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_type'::regclass AND d.objsubid = 0
WHERE t.typtype = 'e'
  AND t.typnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_type'::regclass AND x.objid = t.oid AND x.deptype = 'e')
