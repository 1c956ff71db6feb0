-- Text search and JSON: gin/gist/brin/hash indexes, opclasses, collations, include, arrays.
CREATE TABLE documents (
    id bigserial NOT NULL,
    title text COLLATE "C" NOT NULL,
    body text NOT NULL,
    tags text[] DEFAULT '{}'::text[] NOT NULL,
    meta jsonb DEFAULT '{}'::jsonb NOT NULL,
    search tsvector,
    published_on date,
    score double precision DEFAULT 0.5,
    CONSTRAINT documents_pkey PRIMARY KEY (id)
);
CREATE INDEX documents_meta_idx ON documents USING gin (meta jsonb_path_ops);
CREATE INDEX documents_tags_idx ON documents USING gin (tags);
CREATE INDEX documents_search_idx ON documents USING gist (search);
CREATE INDEX documents_published_idx ON documents USING brin (published_on);
CREATE INDEX documents_title_hash ON documents USING hash (title);
CREATE INDEX documents_title_lower ON documents USING btree (lower(title) text_pattern_ops) INCLUDE (id);
CREATE UNIQUE INDEX documents_title_key ON documents USING btree (title, published_on) NULLS NOT DISTINCT;
CREATE INDEX documents_score_idx ON documents USING btree (score DESC NULLS LAST, id);
COMMENT ON INDEX documents_meta_idx IS 'JSON containment queries';
