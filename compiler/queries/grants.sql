-- Privileges on the tables, views, sequences and schemas inspected, besides their owners'
-- (an owner holds every privilege anyway, and the role that runs a migration becomes the
-- owner of what it creates): one row per object, grantee and privilege, from aclexplode.
-- A NULL acl means the defaults (owner only) and yields no rows. Grantee 0 is PUBLIC.
-- Columns: kind, namespace oid, name, grantee (NULL for PUBLIC), privilege, grantable.
SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END,
       c.relnamespace, c.relname,
       CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
       lower(a.privilege_type), a.is_grantable
FROM pg_catalog.pg_class c
CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a
WHERE c.relacl IS NOT NULL
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
  AND c.relnamespace = ANY (%(nsp)s::oid[])
  AND a.grantee <> c.relowner
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
UNION ALL
SELECT 'schema', n.oid, n.nspname,
       CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
       lower(a.privilege_type), a.is_grantable
FROM pg_catalog.pg_namespace n
CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
WHERE n.nspacl IS NOT NULL
  AND n.oid = ANY (%(nsp)s::oid[])
  AND n.nspname <> 'public'  -- never declared: its default privileges are the server's
  AND a.grantee <> n.nspowner
