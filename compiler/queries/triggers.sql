-- User triggers on the tables in the inspected schemas (%(nsp)s: namespace oids); triggers a
-- partition inherits from its parent (tgparentid) belong to the parent's definition.
-- Columns: table oid, name, pg_get_triggerdef (pretty), comment.
SELECT tg.tgrelid, tg.tgname, pg_catalog.pg_get_triggerdef(tg.oid, true), d.description
FROM pg_catalog.pg_trigger tg
JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = tg.oid AND d.classoid = 'pg_catalog.pg_trigger'::regclass AND d.objsubid = 0
WHERE NOT tg.tgisinternal AND tg.tgparentid = 0
  AND c.relnamespace = ANY (%(nsp)s::oid[])
