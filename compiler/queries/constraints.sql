-- Primary key, unique, foreign key and CHECK constraints of the tables tables.sql returns.
-- NOT NULL constraints (contype 'n', stored here since PostgreSQL 18) are attnotnull's
-- business; exclusion constraints and triggers are reported by `unmanaged`.
-- Key columns come back as attnums (conkey keeps the declared order); the caller names them
-- from the columns it already has. Referenced columns are named here, since the referenced
-- table may lie outside the inspected schemas.
-- check_expr: pg_get_expr(conbin) is exactly the inside of pg_get_constraintdef's
-- CHECK (...), without the NOT VALID / NO INHERIT words that follow it.
-- Columns: table oid, name, type, key attnums, deferrable, initially deferred,
-- nulls not distinct (unique), referenced schema, referenced table, referenced columns,
-- on update, on delete, check expression.
SELECT con.conrelid, con.conname, con.contype,
       con.conkey::int2[],
       con.condeferrable, con.condeferred,
       COALESCE(i.indnullsnotdistinct, false),  -- since 15
       false,  -- before 15
       fn.nspname, fc.relname,
       CASE WHEN con.contype = 'f' THEN
         ARRAY(SELECT fa.attname
               FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_catalog.pg_attribute fa
                 ON fa.attrelid = con.confrelid AND fa.attnum = k.attnum
               ORDER BY k.ord)
       END,
       con.confupdtype, con.confdeltype,
       CASE WHEN con.contype = 'c' THEN pg_catalog.pg_get_expr(con.conbin, con.conrelid) END
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = con.conindid AND con.contype = 'u'
LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid AND con.contype = 'f'
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype IN ('p', 'u', 'f', 'c')
  AND c.relkind = 'r' AND NOT c.relispartition
  AND c.relnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
