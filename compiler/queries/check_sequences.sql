-- check: sequences behind serial and identity columns that have used at least
-- %(threshold)s of the values the column can hold (finding sequence-near-exhaustion).
-- The limit is the smaller of the sequence's maximum and the column type's: a serial integer
-- column fails at 2^31-1 even when its sequence (as after ALTER SEQUENCE ... AS bigint) could
-- go on. pg_sequences shows last_value as NULL when the sequence was never used or we lack the
-- privilege to read it: such sequences are not reported. Ascending sequences only.
-- %(nsp)s: namespace oids of the inspected schemas.
-- Columns: schema, table, column, column type, sequence (as regclass text), last value, limit.
WITH owned AS (
  SELECT n.nspname, c.relname, a.attname, a.atttypid,
         pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
         sn.nspname AS seq_schema, s.relname AS seq_name, s.oid AS seq
  FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
  JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
  JOIN pg_catalog.pg_class c ON c.oid = d.refobjid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
  WHERE d.classid = 'pg_catalog.pg_class'::regclass
    AND d.refclassid = 'pg_catalog.pg_class'::regclass
    AND d.deptype IN ('a', 'i')
    AND c.relkind = 'r' AND c.relnamespace = ANY (%(nsp)s::oid[])
)
SELECT o.nspname, o.relname, o.attname, o.type, o.seq::regclass::text, ps.last_value, lim.v
FROM owned o
JOIN pg_catalog.pg_sequences ps
  ON ps.schemaname = o.seq_schema AND ps.sequencename = o.seq_name
CROSS JOIN LATERAL (
  SELECT LEAST(ps.max_value,
               CASE o.atttypid WHEN 'pg_catalog.int2'::regtype::oid THEN 32767
                               WHEN 'pg_catalog.int4'::regtype::oid THEN 2147483647
                               ELSE ps.max_value END) AS v) AS lim
WHERE ps.increment_by > 0 AND ps.last_value IS NOT NULL
  AND ps.last_value::numeric >= %(threshold)s::numeric * lim.v
ORDER BY 1, 2, 3
