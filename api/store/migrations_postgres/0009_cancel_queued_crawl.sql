-- Cancelling a queued job also removes its procrastinate job (one still waiting: 'todo'), in the cancel's
-- transaction, so the engine's queue holds no work that would only find the job cancelled. A trigger, as for
-- the defer (0003) and the running-job cancel (0007): a cancel by SQL or any future path is covered too. A
-- procrastinate job a worker has already fetched ('doing') is left to run: it finds our job not queued and
-- does nothing. The index finds a crawl job's procrastinate jobs without scanning the engine's backlog.
CREATE INDEX procrastinate_jobs_crawl_job_id ON procrastinate_jobs (((args->>'job_id')::bigint))
    WHERE task_name = 'consentwatch.crawl' AND status = 'todo';

CREATE FUNCTION consentwatch_queued_job_cancelled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM procrastinate_cancel_job_v1(p.id, false, true) FROM procrastinate_jobs p
        WHERE p.task_name = 'consentwatch.crawl' AND p.status = 'todo' AND (p.args->>'job_id')::bigint = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_queued_cancelled AFTER UPDATE OF state ON jobs
    FOR EACH ROW WHEN (NEW.state = 'cancelled' AND OLD.state = 'queued')
    EXECUTE FUNCTION consentwatch_queued_job_cancelled();
