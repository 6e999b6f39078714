-- Which process runs (or last ran) a crawl job (host:pid), shown by /v1/crawls as on PostgreSQL.
ALTER TABLE jobs ADD COLUMN worker TEXT;
