-- check: foreign keys with a disabled enforcement trigger (finding constraint-not-enforced).
-- PostgreSQL enforces a foreign key through triggers on both tables; `ALTER TABLE ... DISABLE
-- TRIGGER ALL` turns them off (tgenabled 'D'), `ENABLE REPLICA TRIGGER` leaves them only for
-- replication sessions ('R'); either way, rows written meanwhile were never checked.
-- %(nsp)s: namespace oids of the inspected schemas.
-- Columns: schema, table, constraint, columns, definition, the (quoted) tables whose trigger is disabled.
SELECT n.nspname, c.relname, con.conname,
       ARRAY(SELECT a.attname
             FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.ord),
       pg_catalog.pg_get_constraintdef(con.oid, true),
       ARRAY(SELECT DISTINCT format('%%I.%%I', tn.nspname, tc.relname)
             FROM pg_catalog.pg_trigger tg
             JOIN pg_catalog.pg_class tc ON tc.oid = tg.tgrelid
             JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
             WHERE tg.tgconstraint = con.oid AND tg.tgenabled NOT IN ('O', 'A')
             ORDER BY 1)
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE con.contype = 'f'
  AND c.relnamespace = ANY (%(nsp)s::oid[])
  AND EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg
              WHERE tg.tgconstraint = con.oid AND tg.tgenabled NOT IN ('O', 'A'))
ORDER BY 1, 2, 3
