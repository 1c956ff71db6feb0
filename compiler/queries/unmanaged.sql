-- Objects in the inspected schemas (%(nsp)s: namespace oids) that the IR cannot describe
-- yet (views, functions, sequences, partitions, inheritance, unlogged tables, row-level
-- security, and policies and triggers on tables are described elsewhere), so that
-- `diff` and `check` can name them instead of silently ignoring them.
-- Extension-owned objects are left out, as everywhere else: each branch names the object
-- whose extension membership counts (for a sub-object, its relation), and that test runs
-- once, on the few rows found, rather than on every relation up front. Each branch starts
-- from the catalog rows that are rare (a trigger that is not internal, a constraint that is
-- not valid, ...) so that no branch walks every relation.
-- Columns: kind, schema, name (raw; sub-objects are `table.name`, functions carry their
-- identity arguments).
WITH other AS MATERIALIZED (
  -- the relations that are neither tables nor their indexes, sequences or TOAST: one pass
  -- over pg_class for every branch that needs them
  SELECT c.oid, c.relnamespace, c.relname, c.relkind
  FROM pg_catalog.pg_class c
  WHERE c.relkind IN ('f', 'c', 'v', 'm') AND c.relnamespace = ANY (%(nsp)s::oid[])
),
found (kind, nsp, name, classid, objid) AS (
  SELECT CASE c.relkind WHEN 'f' THEN 'foreign table' WHEN 'c' THEN 'composite type' END,
         c.relnamespace, c.relname, 'pg_catalog.pg_class'::regclass, c.oid
  FROM other c
  WHERE c.relkind IN ('f', 'c')
  UNION ALL  -- since 18
  -- PostgreSQL 18's virtual generated columns (before 18 there are none)  -- since 18
  SELECT 'virtual generated column', c.relnamespace, c.relname || '.' || a.attname,  -- since 18
         'pg_catalog.pg_class'::regclass, c.oid  -- since 18
  FROM pg_catalog.pg_attribute a  -- since 18
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid  -- since 18
  WHERE a.attgenerated NOT IN ('', 's') AND a.attnum > 0 AND NOT a.attisdropped  -- since 18
    AND c.relkind IN ('r', 'p', 'f', 'm') AND c.relnamespace = ANY (%(nsp)s::oid[])  -- since 18
  UNION ALL
  -- triggers on tables are managed (triggers.sql); on views (INSTEAD OF) and others not
  SELECT 'trigger', c.relnamespace, c.relname || '.' || tg.tgname,
         'pg_catalog.pg_class'::regclass, c.oid
  FROM pg_catalog.pg_trigger tg
  JOIN other c ON c.oid = tg.tgrelid  -- a trigger's relation is a table, view or foreign table
  WHERE NOT tg.tgisinternal
  UNION ALL
  -- the IR describes a view, not its columns one by one
  SELECT 'view column comment', c.relnamespace, c.relname || '.' || a.attname,
         'pg_catalog.pg_class'::regclass, c.oid
  FROM other c
  JOIN pg_catalog.pg_description d
    ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid > 0
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
  WHERE c.relkind IN ('v', 'm')
  UNION ALL
  -- policies on tables are managed (policies.sql); those on other relations are not
  SELECT 'policy', c.relnamespace, c.relname || '.' || p.polname,
         'pg_catalog.pg_class'::regclass, c.oid
  FROM pg_catalog.pg_policy p
  JOIN other c ON c.oid = p.polrelid
  WHERE c.relkind IN ('f', 'm')
  UNION ALL
  SELECT 'rule', c.relnamespace, c.relname || '.' || rw.rulename,
         'pg_catalog.pg_class'::regclass, c.oid
  FROM pg_catalog.pg_rewrite rw
  JOIN pg_catalog.pg_class c ON c.oid = rw.ev_class
  WHERE rw.rulename <> '_RETURN' AND c.relnamespace = ANY (%(nsp)s::oid[])
  UNION ALL
  -- constraints the IR has no words for, from one pass over pg_constraint: NOT VALID;
  -- MATCH FULL; PostgreSQL 18's NOT ENFORCED
  -- constraints and temporal keys (WITHOUT OVERLAPS / PERIOD). One constraint can be several.
  SELECT k.kind, c.relnamespace, c.relname || '.' || con.conname,
         'pg_catalog.pg_class'::regclass, c.oid
  FROM pg_catalog.pg_constraint con
  JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
  CROSS JOIN LATERAL unnest(ARRAY[
    CASE WHEN NOT con.convalidated THEN 'not valid constraint' END,
    CASE WHEN con.conperiod THEN 'temporal constraint'  -- since 18
         WHEN NOT con.conenforced THEN 'not enforced constraint' END,  -- since 18
    CASE WHEN con.contype = 'f' AND con.confmatchtype <> 's'
         THEN 'foreign key option' END]) AS k(kind)
  WHERE (NOT con.convalidated
         OR NOT con.conenforced OR con.conperiod  -- since 18
         OR (con.contype = 'f' AND con.confmatchtype <> 's'))
    AND k.kind IS NOT NULL
    AND c.relkind IN ('r', 'p') AND c.relnamespace = ANY (%(nsp)s::oid[])
  UNION ALL
  -- indexes of an access method the IR does not know (bloom, hnsw, ...), and invalid ones
  -- (a failed CREATE INDEX CONCURRENTLY); an index that is both comes twice (the caller
  -- keeps one)
  SELECT 'index', c.relnamespace, ic.relname, 'pg_catalog.pg_class'::regclass, c.oid
  FROM pg_catalog.pg_am am
  JOIN pg_catalog.pg_class ic ON ic.relam = am.oid
  JOIN pg_catalog.pg_index i ON i.indexrelid = ic.oid
  JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
  WHERE am.amname NOT IN ('btree', 'hash', 'gin', 'gist', 'spgist', 'brin')
    AND ic.relkind IN ('i', 'I')
    AND c.relkind IN ('r', 'm', 'p') AND c.relnamespace = ANY (%(nsp)s::oid[])
  UNION ALL
  SELECT 'index', c.relnamespace, ic.relname, 'pg_catalog.pg_class'::regclass, c.oid
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
  WHERE NOT i.indisvalid
    AND c.relkind IN ('r', 'm', 'p') AND c.relnamespace = ANY (%(nsp)s::oid[])
  UNION ALL
  -- extended statistics: never extension-owned here (no test)
  SELECT 'statistics', s.stxnamespace, s.stxname, NULL, NULL
  FROM pg_catalog.pg_statistic_ext s
  WHERE s.stxnamespace = ANY (%(nsp)s::oid[])
  UNION ALL
  -- functions and procedures are managed (functions.sql); aggregates are not
  SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' ELSE 'window function' END,
         p.pronamespace,
         p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
         'pg_catalog.pg_proc'::regclass, p.oid
  FROM pg_catalog.pg_proc p
  WHERE p.pronamespace = ANY (%(nsp)s::oid[]) AND p.prokind IN ('a', 'w')
  UNION ALL
  -- types other than enums, domains and the ones every table, view or array brings along
  SELECT CASE t.typtype WHEN 'r' THEN 'range type' WHEN 'p' THEN 'shell type'
                        ELSE 'base type' END,
         t.typnamespace, t.typname, 'pg_catalog.pg_type'::regclass, t.oid
  FROM pg_catalog.pg_type t
  WHERE t.typnamespace = ANY (%(nsp)s::oid[])
    AND t.typtype IN ('b', 'r', 'p')
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = t.oid)
  UNION ALL
  SELECT 'collation', co.collnamespace, co.collname, 'pg_catalog.pg_collation'::regclass,
         co.oid
  FROM pg_catalog.pg_collation co
  WHERE co.collnamespace = ANY (%(nsp)s::oid[])
  UNION ALL
  SELECT 'operator', o.oprnamespace, o.oprname, 'pg_catalog.pg_operator'::regclass, o.oid
  FROM pg_catalog.pg_operator o
  WHERE o.oprnamespace = ANY (%(nsp)s::oid[])
  UNION ALL
  SELECT 'text search configuration', ts.cfgnamespace, ts.cfgname,
         'pg_catalog.pg_ts_config'::regclass, ts.oid
  FROM pg_catalog.pg_ts_config ts
  WHERE ts.cfgnamespace = ANY (%(nsp)s::oid[])
  UNION ALL
  -- event triggers belong to the database, not to a schema
  SELECT 'event trigger', NULL, et.evtname, 'pg_catalog.pg_event_trigger'::regclass, et.oid
  FROM pg_catalog.pg_event_trigger et
)
SELECT f.kind, n.nspname, f.name
FROM found f
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = f.nsp
WHERE f.classid IS NULL
   OR NOT EXISTS (
     SELECT 1 FROM pg_catalog.pg_depend x
     WHERE x.classid = f.classid AND x.objid = f.objid AND x.deptype = 'e')
