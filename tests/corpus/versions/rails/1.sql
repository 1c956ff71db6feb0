CREATE FUNCTION public.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;
CREATE TABLE public.accounts (
    id bigserial PRIMARY KEY,
    name character varying NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);
CREATE TABLE public.users (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES public.accounts(id),
    email character varying(200) NOT NULL,
    deleted_at timestamp(6) without time zone,
    updated_at timestamp(6) without time zone NOT NULL
);
CREATE TRIGGER accounts_set_updated_at BEFORE UPDATE ON public.accounts
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE VIEW public.active_users AS
 SELECT id, account_id, email FROM public.users WHERE deleted_at IS NULL;
CREATE FUNCTION public.legacy_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM public.users $$;
