-- Every live column of the tables in the inspected schemas, in one pass over pg_attribute.
-- Rows of extension-owned tables come along and are dropped by the caller (tables.sql
-- decides ownership once, rather than every query anti-joining pg_depend). Unordered: an
-- ORDER BY would sort the wide adbin trees, spilling to disk at a few thousand tables.
-- format_type / pg_get_expr print names relative to search_path, which the caller pins to
-- `public`: public types come back unqualified, others qualified, as the IR spells them.
-- Whether a column is serial (a default `nextval` of a sequence it owns) is decided by the
-- caller from sequences.sql's owner columns, which it reads anyway: joining pg_depend here
-- would carry every column row through one more hash join.
-- collation: only when it differs from the type's own default collation.
-- Columns: table oid, attnum, name, type, not null, identity, generated, default/generation
-- expression, collation, comment, local (false: only inherited from a parent or partitioned
-- table, so not the child's to declare).
SELECT a.attrelid, a.attnum, a.attname,
       pg_catalog.format_type(a.atttypid, a.atttypmod),
       a.attnotnull,
       a.attidentity,
       a.attgenerated,
       -- A default cannot refer to columns, so it deparses without the table (relid 0),
       -- which spares opening every table's relcache entry; a generation expression can.
       pg_catalog.pg_get_expr(ad.adbin, CASE WHEN a.attgenerated = '' THEN 0
                                             ELSE ad.adrelid END),
       CASE WHEN co.oid IS NULL THEN NULL
            WHEN cn.nspname IN ('pg_catalog', 'public') THEN co.collname
            ELSE cn.nspname || '.' || co.collname END,
       d.description,
       a.attislocal
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co
  ON co.oid = a.attcollation AND a.attcollation <> t.typcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::regclass
  AND d.objsubid = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p')
  AND c.relnamespace = ANY (%(nsp)s::oid[])
