-- Primary key, unique, foreign key and CHECK constraints of the tables in the inspected
-- schemas (rows of extension-owned tables are dropped by the caller, as for columns).
-- NOT NULL constraints (contype 'n', stored here since PostgreSQL 18) are attnotnull's
-- business. For an exclusion constraint ('x') the last column is pg_get_constraintdef.
-- Key columns come back as attnums in declared order (conkey, confkey keep it); the caller
-- names them from the columns it already holds, and looks up the few referenced tables
-- outside the inspected schemas separately: joining names in here costs an index probe per
-- constraint.
-- check_expr: pg_get_expr(conbin) is exactly the inside of pg_get_constraintdef's
-- CHECK (...), without the NOT VALID / NO INHERIT words that follow it.
-- Columns: table oid, name, type, key attnums, deferrable, initially deferred,
-- nulls not distinct (unique), referenced table oid, referenced attnums, on update,
-- on delete, check expression, attnums ON DELETE SET NULL/DEFAULT is limited to (15+).
SELECT con.conrelid, con.conname, con.contype,
       con.conkey::int2[],
       con.condeferrable, con.condeferred,
       CASE WHEN con.contype = 'u' THEN  -- since 15
         (SELECT i.indnullsnotdistinct FROM pg_catalog.pg_index i  -- since 15
          WHERE i.indexrelid = con.conindid)  -- since 15
       END,  -- since 15
       false,  -- before 15
       con.confrelid, con.confkey::int2[],
       con.confupdtype, con.confdeltype,
       CASE WHEN con.contype = 'c' THEN pg_catalog.pg_get_expr(con.conbin, con.conrelid)
            WHEN con.contype = 'x' THEN pg_catalog.pg_get_constraintdef(con.oid, true) END,
       con.confdelsetcols::int2[]  -- since 15
       NULL::int2[]  -- before 15
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x')
  AND c.relkind IN ('r', 'p')
  -- a partition's copies of its parent's keys, and inherited checks, are the parent's
  AND con.conislocal AND con.conparentid = 0
  AND c.relnamespace = ANY (%(nsp)s::oid[])
