-- Table inheritance (the pre-partitioning way): a parent with checks and defaults, children
-- with columns of their own, a grandchild, and a child of two parents.
CREATE TABLE public.media (
    id integer NOT NULL,
    title text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT media_title_check CHECK (title <> '')
);
CREATE TABLE public.videos (
    duration_s integer NOT NULL,
    CONSTRAINT videos_duration_check CHECK (duration_s > 0)
) INHERITS (public.media);
CREATE TABLE public.images (
    width integer,
    height integer
) INHERITS (public.media);
CREATE TABLE public.animated_images (
    frames integer DEFAULT 1 NOT NULL
) INHERITS (public.images);
CREATE TABLE public.taggable (
    tags text[] DEFAULT '{}'::text[] NOT NULL
);
CREATE TABLE public.tagged_videos () INHERITS (public.videos, public.taggable);
CREATE INDEX videos_title_idx ON public.videos USING btree (title);
