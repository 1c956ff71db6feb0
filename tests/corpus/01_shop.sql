-- A shop: enums, domains, composite keys, several schemas, comments.
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA sales;
COMMENT ON SCHEMA sales IS 'Orders and payments';
CREATE TYPE sales.order_state AS ENUM ('cart', 'placed', 'paid', 'shipped', 'cancelled');
CREATE DOMAIN email AS citext CONSTRAINT email_check CHECK (VALUE ~ '^[^@]+@[^@]+$');
CREATE DOMAIN sales.money_amount AS numeric(12,2) NOT NULL DEFAULT 0 CONSTRAINT money_amount_check CHECK (VALUE >= 0);
CREATE TABLE customers (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email email NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT customers_pkey PRIMARY KEY (id),
    CONSTRAINT customers_email_key UNIQUE (email)
);
COMMENT ON TABLE customers IS 'People who buy';
COMMENT ON COLUMN customers.email IS 'Login e-mail';
CREATE TABLE sales.orders (
    id bigint GENERATED ALWAYS AS IDENTITY,
    customer_id uuid NOT NULL,
    state sales.order_state DEFAULT 'cart'::sales.order_state NOT NULL,
    total sales.money_amount,
    placed_at timestamp with time zone,
    CONSTRAINT orders_pkey PRIMARY KEY (id),
    CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers(id) ON DELETE RESTRICT,
    CONSTRAINT orders_placed_check CHECK (((state = 'cart'::sales.order_state) OR (placed_at IS NOT NULL)))
);
CREATE INDEX orders_customer_idx ON sales.orders USING btree (customer_id, placed_at DESC);
CREATE INDEX orders_open_idx ON sales.orders USING btree (placed_at) WHERE (state <> ALL (ARRAY['paid'::sales.order_state, 'cancelled'::sales.order_state]));
CREATE TABLE sales.order_lines (
    order_id bigint NOT NULL,
    line_no smallint NOT NULL,
    sku character varying(40) NOT NULL,
    quantity integer DEFAULT 1 NOT NULL,
    unit_price numeric(12,2) NOT NULL,
    line_total numeric(14,2) GENERATED ALWAYS AS (((quantity)::numeric * unit_price)) STORED,
    CONSTRAINT order_lines_pkey PRIMARY KEY (order_id, line_no),
    CONSTRAINT order_lines_order_id_fkey FOREIGN KEY (order_id) REFERENCES sales.orders(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT order_lines_quantity_check CHECK ((quantity > 0))
);
