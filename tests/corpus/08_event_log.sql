-- A partitioned event log: range partitions by month with a default partition, a
-- list-partitioned table, hash partitions, an index and a foreign key on the parent,
-- an unlogged staging table.
CREATE TABLE public.tenants (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE public.events (
    id bigint GENERATED ALWAYS AS IDENTITY,
    tenant_id bigint NOT NULL REFERENCES public.tenants(id),
    occurred_at timestamp with time zone NOT NULL,
    kind text NOT NULL,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (id, occurred_at),
    CONSTRAINT events_kind_check CHECK (kind <> '')
) PARTITION BY RANGE (occurred_at);
COMMENT ON TABLE public.events IS 'Append-only, one partition per month';
CREATE INDEX events_tenant_idx ON public.events USING btree (tenant_id, occurred_at DESC);
CREATE TABLE public.events_2024_01 PARTITION OF public.events
    FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00');
CREATE TABLE public.events_2024_02 PARTITION OF public.events
    FOR VALUES FROM ('2024-02-01 00:00:00+00') TO ('2024-03-01 00:00:00+00');
CREATE TABLE public.events_default PARTITION OF public.events DEFAULT;
CREATE INDEX events_2024_02_kind_idx ON public.events_2024_02 USING btree (kind);
CREATE TABLE public.regional_orders (
    id bigint NOT NULL,
    region text NOT NULL,
    total numeric(12,2)
) PARTITION BY LIST (region);
CREATE TABLE public.regional_orders_eu PARTITION OF public.regional_orders FOR VALUES IN ('de', 'fr', 'nl');
CREATE TABLE public.regional_orders_us PARTITION OF public.regional_orders FOR VALUES IN ('us');
CREATE TABLE public.sessions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    data text
) PARTITION BY HASH (id);
CREATE TABLE public.sessions_0 PARTITION OF public.sessions FOR VALUES WITH (modulus 2, remainder 0);
CREATE TABLE public.sessions_1 PARTITION OF public.sessions FOR VALUES WITH (modulus 2, remainder 1);
CREATE UNLOGGED TABLE public.import_staging (
    line integer NOT NULL,
    raw text
);
