-- Politeness per site (registrable domain), across every worker: a running job names its site, so no
-- second job of that site starts beside it; site_pace keeps when each site was last started, so a
-- minimum interval holds between two audits of it. Claims of one site serialise on an advisory lock.
ALTER TABLE jobs ADD COLUMN site text;
UPDATE jobs SET site = domain WHERE state = 'running';
CREATE INDEX jobs_running_site ON jobs (site) WHERE state = 'running';
CREATE TABLE site_pace (
    site text PRIMARY KEY,
    last_started_at double precision NOT NULL
);
