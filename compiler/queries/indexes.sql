-- Indexes of the tables in the inspected schemas (rows of extension-owned tables are dropped
-- by the caller, as for columns), except those that back a primary key, unique or
-- exclusion constraint (the constraint is the object; its index comes with it). An FK's
-- conindid names the *referenced* table's index, hence the contype filter.
-- One row per index *key* (unordered; the caller groups them), so that every catalog join
-- runs once over the whole set (a per-index subquery re-hashes pg_opclass for each index).
-- indkey lists the key columns first, then the INCLUDE columns; indnkeyatts tells them apart.
-- Per key:
--   attnum    0 for an expression
--   expr      pg_get_indexdef(index, k, true) for an expression: the key alone, without
--             collation, opclass or ordering
--   opclass   NULL when it is the default for the key's type (ruleutils' rule: the method's
--             default opclass for that type, where a default declared for a binary-compatible
--             or polymorphic input type counts when the type has no default of its own)
--   collation NULL when the index uses the column's collation, or for an expression the
--             collation of its result type (an approximation: an expression over a column
--             with a non-default collation reports that collation explicitly, which still
--             recreates the same index)
--   option    indoption bits: 1 = DESC, 2 = NULLS FIRST
-- Columns: index oid, table oid, name, access method, unique, nulls not distinct, predicate,
-- comment, key count, position, attnum, expr, opclass, collation, option.
WITH idx AS (
  SELECT i.indexrelid, i.indrelid, i.indisunique,
         i.indnullsnotdistinct,  -- since 15
         false AS indnullsnotdistinct,  -- before 15
         i.indpred, i.indnkeyatts, i.indkey, i.indclass, i.indcollation, i.indoption,
         ic.relname, am.amname
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_catalog.pg_am am ON am.oid = ic.relam
  WHERE c.relkind IN ('r', 'm', 'p')
    -- a partition's index attached to its parent's index belongs to the parent
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)
    AND c.relnamespace = ANY (%(nsp)s::oid[])
    -- NOT IN over a hashed subplan: one scan of pg_constraint, not a probe per index
    AND i.indexrelid NOT IN (
      SELECT pc.conindid FROM pg_catalog.pg_constraint pc
      WHERE pc.contype IN ('p', 'u', 'x'))
)
SELECT idx.indexrelid, idx.indrelid, idx.relname, idx.amname, idx.indisunique,
       idx.indnullsnotdistinct,
       CASE WHEN k.ord = 1 THEN pg_catalog.pg_get_expr(idx.indpred, idx.indrelid) END,
       CASE WHEN k.ord = 1 THEN d.description END,
       idx.indnkeyatts,
       k.ord, k.attnum,
       CASE WHEN k.attnum = 0
            THEN pg_catalog.pg_get_indexdef(idx.indexrelid, k.ord::int, true) END,
       CASE WHEN opc.oid IS NULL THEN NULL
            WHEN opc.opcdefault AND (dflt.oid IS NULL OR dflt.oid = opc.oid) THEN NULL
            WHEN opn.nspname IN ('pg_catalog', 'public') THEN opc.opcname
            ELSE opn.nspname || '.' || opc.opcname
       END,
       CASE WHEN co.oid IS NULL THEN NULL
            WHEN k.coll = ka.collation THEN NULL
            WHEN con.nspname IN ('pg_catalog', 'public') THEN co.collname
            ELSE con.nspname || '.' || co.collname
       END,
       k.opt
FROM idx
CROSS JOIN LATERAL unnest(idx.indkey::int2[], idx.indclass::oid[], idx.indcollation::oid[],
                          idx.indoption::int2[]) WITH ORDINALITY AS k(attnum, opclass, coll, opt, ord)
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = idx.indexrelid AND d.classoid = 'pg_catalog.pg_class'::regclass
  AND d.objsubid = 0 AND k.ord = 1
-- the key's type and collation: the table column's for a column key, the index column's
-- for an expression (a parameterised lookup: a hash join would read all of pg_attribute)
LEFT JOIN LATERAL (
  SELECT a.atttypid,
         CASE WHEN k.attnum = 0 THEN t.typcollation ELSE a.attcollation END AS collation
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  WHERE a.attrelid = CASE WHEN k.attnum = 0 THEN idx.indexrelid ELSE idx.indrelid END
    AND a.attnum = CASE WHEN k.attnum = 0 THEN k.ord::int2 ELSE k.attnum END
) ka ON k.ord <= idx.indnkeyatts
LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = k.opclass
LEFT JOIN pg_catalog.pg_namespace opn ON opn.oid = opc.opcnamespace
-- the method's own default opclass for exactly this key type, if it has one
LEFT JOIN pg_catalog.pg_opclass dflt
  ON dflt.opcmethod = opc.opcmethod AND dflt.opcdefault
  AND dflt.opcintype = ka.atttypid
LEFT JOIN pg_catalog.pg_collation co ON co.oid = k.coll AND k.coll <> 0
LEFT JOIN pg_catalog.pg_namespace con ON con.oid = co.collnamespace
