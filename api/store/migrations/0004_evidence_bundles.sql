-- Each audit's signed evidence bundle, built once (on first download) and kept, so every later
-- download is the same bytes under the same signature.
CREATE TABLE evidence_bundles (
    report_id INTEGER PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
    created_at REAL NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
);
