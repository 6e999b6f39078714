-- Politeness per site (registrable domain), across every process that claims jobs: a running job
-- names its site, so no second job of that site starts beside it; site_pace keeps when each site was
-- last started, so a minimum interval holds between two audits of it.
ALTER TABLE jobs ADD COLUMN site TEXT;
UPDATE jobs SET site = domain WHERE state = 'running';
CREATE INDEX jobs_running_site ON jobs (site) WHERE state = 'running';
CREATE TABLE site_pace (
    site TEXT PRIMARY KEY,
    last_started_at REAL NOT NULL
);
