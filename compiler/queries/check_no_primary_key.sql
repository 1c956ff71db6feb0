-- check: ordinary tables without a primary key (finding table-without-primary-key).
-- %(nsp)s: namespace oids of the inspected schemas.
-- Columns: schema, table, estimated rows, whether some non-partial unique index over NOT NULL
-- columns could be promoted to the key (its name, or NULL).
SELECT n.nspname, c.relname, c.reltuples::bigint,
       (SELECT ic.relname
        FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL
          AND i.indexprs IS NULL
          AND NOT EXISTS (
            SELECT 1 FROM unnest(i.indkey::int2[]) AS k(attnum)
            JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
            WHERE NOT a.attnotnull)
        ORDER BY i.indnatts, ic.relname
        LIMIT 1)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND NOT c.relispartition
  AND c.relnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_constraint p WHERE p.conrelid = c.oid AND p.contype = 'p')
ORDER BY 1, 2
