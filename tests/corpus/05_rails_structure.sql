-- A Rails-style structure.sql: bigint ids fed by owned sequences, schema_migrations,
-- a function and triggers keeping updated_at current, a free-standing sequence for
-- invoice numbers, views (one on another) and a SQL function used by a view.
CREATE TABLE public.schema_migrations (
    version character varying NOT NULL,
    CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
);
CREATE TABLE public.ar_internal_metadata (
    key character varying NOT NULL,
    value character varying,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL,
    CONSTRAINT ar_internal_metadata_pkey PRIMARY KEY (key)
);
CREATE FUNCTION public.set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  -- keep the row's timestamp current on every update
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION public.set_updated_at() IS 'Trigger function: touch updated_at';
CREATE TABLE public.accounts (
    id bigint NOT NULL,
    name character varying NOT NULL,
    plan character varying DEFAULT 'free'::character varying NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);
CREATE SEQUENCE public.accounts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.accounts_id_seq OWNED BY public.accounts.id;
ALTER TABLE ONLY public.accounts ALTER COLUMN id SET DEFAULT nextval('public.accounts_id_seq'::regclass);
ALTER TABLE ONLY public.accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);
CREATE TABLE public.users (
    id bigint NOT NULL,
    account_id bigint NOT NULL,
    email character varying DEFAULT ''::character varying NOT NULL,
    admin boolean DEFAULT false NOT NULL,
    deleted_at timestamp(6) without time zone,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);
CREATE SEQUENCE public.users_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;
ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);
ALTER TABLE ONLY public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);
CREATE UNIQUE INDEX index_users_on_email ON public.users USING btree (email);
CREATE INDEX index_users_on_account_id ON public.users USING btree (account_id);
ALTER TABLE ONLY public.users
    ADD CONSTRAINT fk_rails_61ac11da2b FOREIGN KEY (account_id) REFERENCES public.accounts(id);
CREATE SEQUENCE public.invoice_number_seq AS integer START WITH 1000 INCREMENT BY 1 MINVALUE 1000 CACHE 10;
COMMENT ON SEQUENCE public.invoice_number_seq IS 'Gapless-ish invoice numbers';
CREATE TABLE public.invoices (
    id bigint NOT NULL,
    account_id bigint NOT NULL,
    number integer DEFAULT nextval('public.invoice_number_seq'::regclass) NOT NULL,
    amount_cents integer DEFAULT 0 NOT NULL,
    paid_at timestamp(6) without time zone,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);
CREATE SEQUENCE public.invoices_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE public.invoices_id_seq OWNED BY public.invoices.id;
ALTER TABLE ONLY public.invoices ALTER COLUMN id SET DEFAULT nextval('public.invoices_id_seq'::regclass);
ALTER TABLE ONLY public.invoices ADD CONSTRAINT invoices_pkey PRIMARY KEY (id);
CREATE INDEX index_invoices_on_account_id ON public.invoices USING btree (account_id);
ALTER TABLE ONLY public.invoices
    ADD CONSTRAINT fk_rails_3d1522a0d8 FOREIGN KEY (account_id) REFERENCES public.accounts(id) ON DELETE CASCADE;
CREATE TRIGGER accounts_set_updated_at BEFORE UPDATE ON public.accounts FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON public.users FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION public.set_updated_at();
COMMENT ON TRIGGER users_set_updated_at ON public.users IS 'Only when something changed';
CREATE FUNCTION public.cents_to_amount(cents integer) RETURNS numeric
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT round(cents / 100.0, 2) $$;
CREATE VIEW public.active_users AS
 SELECT id, account_id, email FROM public.users WHERE deleted_at IS NULL;
COMMENT ON VIEW public.active_users IS 'Users not soft-deleted';
CREATE VIEW public.account_revenue AS
 SELECT a.id AS account_id, a.name, public.cents_to_amount(COALESCE(sum(i.amount_cents), 0)::integer) AS revenue,
        count(u.id) AS active_users
   FROM public.accounts a
   LEFT JOIN public.invoices i ON i.account_id = a.id AND i.paid_at IS NOT NULL
   LEFT JOIN public.active_users u ON u.account_id = a.id
  GROUP BY a.id, a.name;
CREATE PROCEDURE public.close_unpaid(before timestamp without time zone)
    LANGUAGE sql
    AS $$ DELETE FROM public.invoices WHERE paid_at IS NULL AND created_at < before $$;
INSERT INTO public.schema_migrations (version) VALUES ('20240101000000');
