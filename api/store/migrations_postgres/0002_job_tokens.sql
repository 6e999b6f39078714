-- Which bearer token asked for a crawl job (NULL: the CLI or a schedule), so each token's share of
-- the queue can be limited (`max_queued_per_token`).
ALTER TABLE jobs ADD COLUMN token_id bigint REFERENCES tokens (id);
CREATE INDEX jobs_active_by_token ON jobs (token_id) WHERE state IN ('queued', 'running');
