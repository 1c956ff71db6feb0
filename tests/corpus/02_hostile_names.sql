-- Names that need quoting: mixed case, reserved words, spaces, quotes, semicolons.
CREATE TYPE "Status" AS ENUM ('on', 'off', 'it''s');
CREATE TYPE "order" AS ENUM ('asc', 'desc');
CREATE TABLE "Order" (
    state "Status" DEFAULT 'on'::"Status" NOT NULL,
    sorts "order"[],
    "ID" integer NOT NULL,
    "user" text,
    "select" integer DEFAULT 0,
    "from date" date,
    CONSTRAINT "Order_pkey" PRIMARY KEY ("ID")
);
CREATE TABLE "x""; DROP TABLE users; --" (
    id integer NOT NULL,
    "order_ID" integer,
    CONSTRAINT "x""; DROP TABLE users; --_pkey" PRIMARY KEY (id),
    CONSTRAINT "fk ""odd""" FOREIGN KEY ("order_ID") REFERENCES "Order"("ID")
);
CREATE INDEX "idx ""odd"" name" ON "x""; DROP TABLE users; --" ("order_ID");
COMMENT ON TABLE "Order" IS 'It''s reserved';
