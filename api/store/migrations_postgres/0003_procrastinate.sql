-- Crawl workers on procrastinate (`consentwatch worker`). postgres.migrate applies procrastinate's own schema
-- (the version pinned in pyproject) in the same transaction just before this file.
--
-- Our jobs table stays the truth (one active job per domain, attempts, report); each procrastinate job only
-- says "work crawl job N". Inserting a queued job defers its procrastinate job in the same transaction, so
-- whoever queues (API replica, CLI, schedule) cannot leave a job nobody will run.
ALTER TABLE jobs ADD COLUMN worker text;  -- which worker process runs (or last ran) the job

CREATE FUNCTION consentwatch_defer_crawl() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM procrastinate_defer_jobs_v1(ARRAY[ROW('crawl', 'consentwatch.crawl', 0, NULL, NULL,
        jsonb_build_object('job_id', NEW.id),
        CASE WHEN NEW.not_before > extract(epoch FROM now()) THEN to_timestamp(NEW.not_before) END
    )::procrastinate_job_to_defer_v1]);
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_defer_crawl AFTER INSERT ON jobs
    FOR EACH ROW WHEN (NEW.state = 'queued') EXECUTE FUNCTION consentwatch_defer_crawl();
