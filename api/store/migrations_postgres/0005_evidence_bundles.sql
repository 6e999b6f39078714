-- Each audit's signed evidence bundle, built once (on first download) and kept, so every later
-- download is the same bytes under the same signature.
CREATE TABLE evidence_bundles (
    report_id bigint PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
    created_at double precision NOT NULL,
    sha256 text NOT NULL,
    size bigint NOT NULL,
    data bytea NOT NULL
);
