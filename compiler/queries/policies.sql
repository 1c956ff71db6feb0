-- Row-level security policies on the tables in the inspected schemas (%(nsp)s).
-- Columns: table oid, name, permissive, command (* r a w d), role names (public for 0),
-- USING expression, WITH CHECK expression.
SELECT p.polrelid, p.polname, p.polpermissive, p.polcmd,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(r) END
             FROM unnest(p.polroles) AS r ORDER BY 1),
       pg_catalog.pg_get_expr(p.polqual, p.polrelid),
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
FROM pg_catalog.pg_policy p
JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
WHERE c.relnamespace = ANY (%(nsp)s::oid[])
