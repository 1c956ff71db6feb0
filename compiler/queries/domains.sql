-- Domains in the inspected schemas with their CHECK constraints (contype 'c' only: since
-- PostgreSQL 17 a domain's NOT NULL is also a pg_constraint row, contype 'n', and is
-- reported through typnotnull instead). pg_get_expr(conbin, 0) is exactly the text inside
-- pg_get_constraintdef's CHECK (...), without its NOT VALID / NO INHERIT suffixes.
-- Columns: namespace oid, name, base type, not null, default, comment, check names,
-- check expressions (parallel arrays, by name).
SELECT t.typnamespace, t.typname,
       pg_catalog.format_type(t.typbasetype, t.typtypmod),
       t.typnotnull,
       pg_catalog.pg_get_expr(t.typdefaultbin, 0),
       d.description,
       ARRAY(SELECT c.conname FROM pg_catalog.pg_constraint c
             WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname) AS check_names,
       ARRAY(SELECT pg_catalog.pg_get_expr(c.conbin, 0) FROM pg_catalog.pg_constraint c
             WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname) AS check_exprs
FROM pg_catalog.pg_type t
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_type'::regclass AND d.objsubid = 0
WHERE t.typtype = 'd'
  AND t.typnamespace = ANY (%(nsp)s::oid[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_type'::regclass AND x.objid = t.oid AND x.deptype = 'e')
