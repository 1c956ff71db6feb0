-- check: foreign keys that no index can serve (finding fk-without-index).
-- An index serves a foreign key when it is valid, not partial, and its leading key columns
-- are exactly the key's columns, in any order among themselves: (a, b) is served by (b, a) and
-- by (a, b, c), not by (a) nor by (a, c, b). A btree qualifies; a hash index only for a
-- single-column key (hash indexes have one column). Expression keys never match (attnum 0).
-- The index may be the one behind a primary key or UNIQUE constraint.
-- %(nsp)s: namespace oids of the inspected schemas.
-- Columns: schema, table, constraint, columns (key order), referenced schema, referenced
-- table, estimated rows of the referencing table.
SELECT n.nspname, c.relname, con.conname,
       ARRAY(SELECT a.attname
             FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS columns,
       fn.nspname, fc.relname,
       c.reltuples::bigint
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype = 'f'
  AND c.relkind = 'r' AND NOT c.relispartition
  AND c.relnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
  AND NOT EXISTS (
    SELECT 1
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_catalog.pg_am am ON am.oid = ic.relam
    WHERE i.indrelid = con.conrelid
      AND i.indisvalid
      AND i.indpred IS NULL
      AND i.indnkeyatts >= cardinality(con.conkey)
      AND (am.amname = 'btree' OR (am.amname = 'hash' AND cardinality(con.conkey) = 1))
      -- the first cardinality(conkey) key columns, as a set, equal the key's columns
      AND (SELECT array_agg(u.attnum ORDER BY u.attnum)
           FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS u(attnum, ord)
           WHERE u.ord <= cardinality(con.conkey))
          = (SELECT array_agg(k ORDER BY k) FROM unnest(con.conkey) AS k))
ORDER BY 1, 2, 3
