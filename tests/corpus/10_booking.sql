-- Room booking with exclusion constraints: no two bookings of a room overlap (btree_gist for
-- the equality part), one with a predicate, and a deferrable one.
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE public.rooms (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE public.bookings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room_id integer NOT NULL REFERENCES public.rooms(id),
    during tstzrange NOT NULL,
    cancelled boolean DEFAULT false NOT NULL,
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&) WHERE (NOT cancelled)
);
CREATE TABLE public.maintenance (
    room_id integer NOT NULL,
    during daterange NOT NULL,
    EXCLUDE USING gist (room_id WITH =, during WITH &&)
);
CREATE TABLE public.shifts (
    worker text NOT NULL,
    period tsrange NOT NULL,
    CONSTRAINT shifts_no_double EXCLUDE USING gist (worker WITH =, period WITH &&) DEFERRABLE INITIALLY DEFERRED
);
