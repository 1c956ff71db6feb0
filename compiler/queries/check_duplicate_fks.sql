-- check: foreign keys that repeat another one of the same table: same columns, same
-- referenced table and columns (finding duplicate-foreign-key). Actions are not compared:
-- two keys on the same reference with different ON DELETE is itself the problem.
-- %(nsp)s: namespace oids of the inspected schemas.
-- Columns: schema, table, the duplicate's name, the name of the one kept, columns.
SELECT n.nspname, c.relname, b.conname, a.conname,
       ARRAY(SELECT att.attname
             FROM unnest(a.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_catalog.pg_attribute att ON att.attrelid = a.conrelid AND att.attnum = k.attnum
             ORDER BY k.ord)
FROM pg_catalog.pg_constraint a
JOIN pg_catalog.pg_constraint b
  ON b.conrelid = a.conrelid AND b.contype = 'f' AND a.conname < b.conname
 AND b.conkey = a.conkey AND b.confrelid = a.confrelid AND b.confkey = a.confkey
JOIN pg_catalog.pg_class c ON c.oid = a.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE a.contype = 'f'
  AND c.relkind = 'r' AND NOT c.relispartition
  AND c.relnamespace = ANY (%(nsp)s::oid[])
  -- report each extra key once, against the first-named one
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_constraint z
    WHERE z.conrelid = a.conrelid AND z.contype = 'f' AND z.conname < a.conname
      AND z.conkey = a.conkey AND z.confrelid = a.confrelid AND z.confkey = a.confkey)
ORDER BY 1, 2, 3
