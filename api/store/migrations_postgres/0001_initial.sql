-- consentwatch store on PostgreSQL, version 1: the same tables as the SQLite schema (migrations/0001),
-- in PostgreSQL types. Captures and reports are kept per crawl (history is real); `sites` holds the
-- pointer to each domain's latest audit and its precomputed summary + ETag.

CREATE TABLE jobs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain text NOT NULL,
    state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    source text NOT NULL DEFAULT 'api',
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 3,
    created_at double precision NOT NULL,
    not_before double precision NOT NULL,
    started_at double precision,
    finished_at double precision,
    heartbeat_at double precision,
    progress text,
    error text,
    report_id bigint
);
-- One domain is never crawled twice at once: at most one queued-or-running job per domain.
CREATE UNIQUE INDEX jobs_one_active_per_domain ON jobs (domain) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_due ON jobs (id) WHERE state = 'queued';
CREATE INDEX jobs_running ON jobs (heartbeat_at) WHERE state = 'running';
CREATE INDEX jobs_state ON jobs (state, id);

CREATE TABLE captures (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id bigint REFERENCES jobs (id),
    domain text NOT NULL,
    started_at double precision,
    finished_at double precision,
    data bytea NOT NULL                     -- zlib(capture JSON)
);
CREATE INDEX captures_domain ON captures (domain);

CREATE TABLE reports (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    capture_id bigint REFERENCES captures (id),
    domain text NOT NULL,
    audited_at double precision NOT NULL,
    grade text NOT NULL,
    score integer NOT NULL,
    reachable boolean NOT NULL,
    policy_sha256 text,
    policy_text text,                       -- kept for policy diffs between audits
    summary_json bytea NOT NULL,
    data bytea NOT NULL                     -- zlib(report JSON)
);
CREATE INDEX reports_domain ON reports (domain, audited_at, id);
ALTER TABLE jobs ADD CONSTRAINT jobs_report FOREIGN KEY (report_id) REFERENCES reports (id);

CREATE TABLE sites (
    domain text PRIMARY KEY,
    first_seen_at double precision NOT NULL,
    latest_report_id bigint REFERENCES reports (id),
    audited_at double precision,
    grade text,
    score integer,
    summary_json bytea,
    etag text,
    reachable boolean                       -- of the latest report: an unreachable audit gives way to any
);
CREATE INDEX sites_grade ON sites (grade);

CREATE TABLE findings (
    report_id bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    code text NOT NULL,
    severity text NOT NULL,
    company_id text,
    company_name text,
    product_id text,
    title text NOT NULL
);
CREATE INDEX findings_report_code ON findings (report_id, code);
CREATE INDEX findings_code ON findings (code);
CREATE INDEX findings_company ON findings (lower(company_id));
CREATE INDEX findings_company_name ON findings (lower(company_name));

CREATE TABLE trackers (
    report_id bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    key text NOT NULL,
    name text NOT NULL,
    company_id text,
    company_name text,
    category text,
    declared text NOT NULL,
    first_party boolean NOT NULL
);
CREATE INDEX trackers_report ON trackers (report_id);
CREATE INDEX trackers_company ON trackers (lower(company_id));
CREATE INDEX trackers_company_name ON trackers (lower(company_name));

CREATE TABLE schedules (
    name text PRIMARY KEY,
    domains text[] NOT NULL,
    every_s double precision,
    cron text,
    created_at double precision NOT NULL,
    last_run_at double precision,
    next_run_at double precision NOT NULL,
    CHECK ((every_s IS NULL) <> (cron IS NULL))
);

CREATE TABLE tokens (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE,
    token_sha256 text NOT NULL UNIQUE,      -- only the hash is stored
    created_at double precision NOT NULL,
    last_used_at double precision,
    revoked_at double precision
);

-- Every change to a site's latest summary is announced, whoever wrote it (API replica, worker, psql):
-- each process's summary cache listens and forgets that domain.
CREATE FUNCTION consentwatch_site_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('consentwatch_sites', NEW.domain);
    RETURN NULL;
END $$;
CREATE TRIGGER sites_changed AFTER INSERT OR UPDATE OF summary_json, etag ON sites
    FOR EACH ROW EXECUTE FUNCTION consentwatch_site_changed();
