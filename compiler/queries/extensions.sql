-- Installed extensions, database-wide (an extension's types may be used from any schema).
-- plpgsql ships in every database, so it is not part of anyone's schema.
-- Columns: name, schema it was installed into.
SELECT e.extname, n.nspname
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'
