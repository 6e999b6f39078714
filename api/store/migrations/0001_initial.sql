-- consentwatch store, version 1. Captures and reports are kept per crawl (history is real);
-- `sites` holds the pointer to each domain's latest audit and its precomputed summary + ETag.

CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    job_id INTEGER REFERENCES jobs(id),
    domain TEXT NOT NULL,
    started_at REAL,
    finished_at REAL,
    data BLOB NOT NULL                      -- zlib(capture JSON)
);
CREATE INDEX captures_domain ON captures(domain);

CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    capture_id INTEGER REFERENCES captures(id),
    domain TEXT NOT NULL,
    audited_at REAL NOT NULL,
    grade TEXT NOT NULL,
    score INTEGER NOT NULL,
    reachable INTEGER NOT NULL,
    policy_sha256 TEXT,
    policy_text TEXT,                       -- kept for policy diffs between audits
    summary_json BLOB NOT NULL,
    data BLOB NOT NULL                      -- zlib(report JSON)
);
CREATE INDEX reports_domain ON reports(domain, audited_at);

CREATE TABLE sites (
    domain TEXT PRIMARY KEY,
    first_seen_at REAL NOT NULL,
    latest_report_id INTEGER REFERENCES reports(id),
    audited_at REAL,
    grade TEXT,
    score INTEGER,
    summary_json BLOB,
    etag TEXT
);  -- a rowid table: summary blobs are too large for WITHOUT ROWID to pay off
CREATE INDEX sites_grade ON sites(grade);

CREATE TABLE findings (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    severity TEXT NOT NULL,
    company_id TEXT COLLATE NOCASE,
    company_name TEXT COLLATE NOCASE,
    product_id TEXT,
    title TEXT NOT NULL
);
CREATE INDEX findings_report_code ON findings(report_id, code);
CREATE INDEX findings_code ON findings(code);
CREATE INDEX findings_company ON findings(company_id);

CREATE TABLE trackers (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    company_id TEXT COLLATE NOCASE,
    company_name TEXT COLLATE NOCASE,
    category TEXT,
    declared TEXT NOT NULL,
    first_party INTEGER NOT NULL
);
CREATE INDEX trackers_report ON trackers(report_id);
CREATE INDEX trackers_company ON trackers(company_id);
CREATE INDEX trackers_company_name ON trackers(company_name);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    domain TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    source TEXT NOT NULL DEFAULT 'api',
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 3,
    created_at REAL NOT NULL,
    not_before REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    heartbeat_at REAL,
    progress TEXT,
    error TEXT,
    report_id INTEGER REFERENCES reports(id)
);
-- One domain is never crawled twice at once: at most one queued-or-running job per domain.
CREATE UNIQUE INDEX jobs_one_active_per_domain ON jobs(domain) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_queue ON jobs(state, not_before, id);

CREATE TABLE schedules (
    name TEXT PRIMARY KEY,
    domains TEXT NOT NULL,                  -- JSON list
    every_s REAL,
    cron TEXT,
    created_at REAL NOT NULL,
    last_run_at REAL,
    next_run_at REAL NOT NULL,
    CHECK ((every_s IS NULL) <> (cron IS NULL))
);

CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    token_sha256 TEXT NOT NULL UNIQUE,      -- only the hash is stored
    created_at REAL NOT NULL,
    last_used_at REAL,
    revoked_at REAL
);
