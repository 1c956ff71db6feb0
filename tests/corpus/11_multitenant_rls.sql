-- A multi-tenant schema with row-level security: the tenant comes from a setting, policies
-- per command and role, a restrictive policy, FORCE on one table, a security-invoker view.
DO $$ BEGIN CREATE ROLE tenant_app; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE "Tenant Admin"; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE SCHEMA app;
CREATE FUNCTION app.current_tenant() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;
CREATE TABLE app.tenants (
    id uuid DEFAULT gen_random_uuid() PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE app.projects (
    id uuid DEFAULT gen_random_uuid() PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES app.tenants(id),
    name text NOT NULL,
    archived boolean DEFAULT false NOT NULL
);
CREATE INDEX projects_tenant_idx ON app.projects (tenant_id);
ALTER TABLE app.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.projects FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON app.projects USING (tenant_id = app.current_tenant());
CREATE POLICY tenant_insert ON app.projects FOR INSERT TO tenant_app
    WITH CHECK (tenant_id = app.current_tenant());
CREATE POLICY hide_archived ON app.projects AS RESTRICTIVE FOR SELECT TO tenant_app, "Tenant Admin"
    USING (NOT archived);
CREATE TABLE app.documents (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES app.projects(id) ON DELETE CASCADE,
    tenant_id uuid NOT NULL,
    body text
);
ALTER TABLE app.documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY documents_tenant ON app.documents FOR ALL TO tenant_app
    USING (tenant_id = app.current_tenant()) WITH CHECK (tenant_id = app.current_tenant());
CREATE POLICY documents_update ON app.documents FOR UPDATE USING (true);
CREATE POLICY documents_delete ON app.documents FOR DELETE TO "Tenant Admin" USING (body IS NULL);
CREATE VIEW app.my_projects WITH (security_invoker = true) AS
 SELECT id, name FROM app.projects WHERE NOT archived;
