-- Objects in the inspected schemas (%(nsp)s: namespace oids) that the IR cannot describe
-- yet (views, functions, sequences, partitions, inheritance, unlogged tables, row-level
-- security, and policies and triggers on tables are described elsewhere), so that
-- `diff` and `check` can name them instead of silently ignoring them.
-- Extension-owned objects are left out, as everywhere else.
-- Columns: kind, schema, name (raw; sub-objects are `table.name`, functions carry their
-- identity arguments).
WITH rel AS (
  SELECT c.oid, c.relname, c.relkind, c.relispartition, c.relpersistence, c.relrowsecurity,
         n.nspname
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relnamespace = ANY (%(nsp)s::oid[])
    AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend x
      WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
),
tab AS (SELECT * FROM rel WHERE relkind IN ('r', 'p', 'f', 'm'))
SELECT CASE r.relkind
         WHEN 'f' THEN 'foreign table'
         WHEN 'c' THEN 'composite type'
       END, r.nspname, r.relname
FROM rel r
WHERE r.relkind IN ('f', 'c')
UNION ALL
SELECT 'virtual generated column', t.nspname, t.relname || '.' || a.attname
FROM tab t
JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid
WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated NOT IN ('', 's')
UNION ALL
SELECT 'trigger', t.nspname, t.relname || '.' || tg.tgname
FROM rel t JOIN pg_catalog.pg_trigger tg ON tg.tgrelid = t.oid
-- triggers on tables are managed (triggers.sql); on views (INSTEAD OF) and others not
WHERE NOT tg.tgisinternal AND t.relkind NOT IN ('r', 'p')
UNION ALL
-- the IR describes a view, not its columns one by one
SELECT 'view column comment', r.nspname, r.relname || '.' || a.attname
FROM rel r
JOIN pg_catalog.pg_description d
  ON d.objoid = r.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid > 0
JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum = d.objsubid
WHERE r.relkind IN ('v', 'm')
UNION ALL
-- policies on tables are managed (policies.sql); those on other relations are not
SELECT 'policy', t.nspname, t.relname || '.' || p.polname
FROM tab t JOIN pg_catalog.pg_policy p ON p.polrelid = t.oid
WHERE t.relkind NOT IN ('r', 'p')
UNION ALL
SELECT 'rule', t.nspname, t.relname || '.' || rw.rulename
FROM rel t JOIN pg_catalog.pg_rewrite rw ON rw.ev_class = t.oid
WHERE rw.rulename <> '_RETURN'
UNION ALL
SELECT 'not valid constraint',
       t.nspname, t.relname || '.' || con.conname
FROM tab t JOIN pg_catalog.pg_constraint con ON con.conrelid = t.oid
WHERE t.relkind IN ('r', 'p') AND NOT con.convalidated
UNION ALL  -- since 18
-- PostgreSQL 18: NOT ENFORCED constraints and temporal keys (WITHOUT OVERLAPS / PERIOD)
SELECT CASE WHEN con.conperiod THEN 'temporal constraint'  -- since 18
            ELSE 'not enforced constraint' END,  -- since 18
       t.nspname, t.relname || '.' || con.conname  -- since 18
FROM tab t JOIN pg_catalog.pg_constraint con ON con.conrelid = t.oid  -- since 18
WHERE t.relkind IN ('r', 'p') AND (NOT con.conenforced OR con.conperiod)  -- since 18
UNION ALL
-- MATCH FULL, and ON DELETE SET NULL (columns) since 15: the IR has no words for them
SELECT 'foreign key option', t.nspname, t.relname || '.' || con.conname
FROM tab t JOIN pg_catalog.pg_constraint con ON con.conrelid = t.oid
WHERE t.relkind IN ('r', 'p') AND con.contype = 'f'
  AND (con.confmatchtype <> 's'
       OR con.confdelsetcols IS NOT NULL  -- since 15
       OR false  -- before 15
      )
UNION ALL
SELECT 'index', t.nspname, ic.relname
FROM tab t
JOIN pg_catalog.pg_index i ON i.indrelid = t.oid
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE t.relkind IN ('r', 'm', 'p')
  AND (am.amname NOT IN ('btree', 'hash', 'gin', 'gist', 'spgist', 'brin') OR NOT i.indisvalid)
UNION ALL
SELECT 'statistics', n.nspname, s.stxname
FROM pg_catalog.pg_statistic_ext s
JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
WHERE s.stxnamespace = ANY (%(nsp)s::oid[])
UNION ALL
-- functions and procedures are managed (functions.sql); aggregates are not
SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' ELSE 'window function' END,
       n.nspname,
       p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE p.pronamespace = ANY (%(nsp)s::oid[]) AND p.prokind IN ('a', 'w')
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_proc'::regclass AND x.objid = p.oid AND x.deptype = 'e')
UNION ALL
-- types other than enums, domains and the ones every table, view or array brings along
SELECT CASE t.typtype WHEN 'r' THEN 'range type' WHEN 'p' THEN 'shell type'
                      ELSE 'base type' END,
       n.nspname, t.typname
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typnamespace = ANY (%(nsp)s::oid[])
  AND t.typtype IN ('b', 'r', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = t.oid)
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_type'::regclass AND x.objid = t.oid AND x.deptype = 'e')
UNION ALL
SELECT 'collation', n.nspname, co.collname
FROM pg_catalog.pg_collation co
JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace
WHERE co.collnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_collation'::regclass AND x.objid = co.oid
      AND x.deptype = 'e')
UNION ALL
SELECT 'operator', n.nspname, o.oprname
FROM pg_catalog.pg_operator o
JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
WHERE o.oprnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_operator'::regclass AND x.objid = o.oid
      AND x.deptype = 'e')
UNION ALL
SELECT 'text search configuration', n.nspname, ts.cfgname
FROM pg_catalog.pg_ts_config ts
JOIN pg_catalog.pg_namespace n ON n.oid = ts.cfgnamespace
WHERE ts.cfgnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_ts_config'::regclass AND x.objid = ts.oid
      AND x.deptype = 'e')
UNION ALL
-- event triggers belong to the database, not to a schema
SELECT 'event trigger', NULL, et.evtname
FROM pg_catalog.pg_event_trigger et
WHERE NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_event_trigger'::regclass AND x.objid = et.oid
      AND x.deptype = 'e')
