CREATE FUNCTION public.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW IS DISTINCT FROM OLD THEN
    NEW.updated_at := now();
  END IF;
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
    email text NOT NULL,
    name text,
    deleted_at timestamp(6) without time zone,
    updated_at timestamp(6) without time zone NOT NULL
);
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON public.users
  FOR EACH ROW WHEN (OLD.email IS DISTINCT FROM NEW.email) EXECUTE FUNCTION public.set_updated_at();
CREATE VIEW public.active_users AS
 SELECT id, account_id, email, name FROM public.users WHERE deleted_at IS NULL;
CREATE SEQUENCE public.invoice_number_seq AS integer START WITH 1000 MINVALUE 1000 CACHE 20;
CREATE TABLE public.invoices (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES public.accounts(id),
    number integer DEFAULT nextval('public.invoice_number_seq'::regclass) NOT NULL
);
ALTER SEQUENCE public.invoice_number_seq OWNED BY public.invoices.number;
