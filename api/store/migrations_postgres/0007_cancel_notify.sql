-- Cancelling a running job stops its crawl on whichever worker runs it: the cancel's transaction announces
-- the job id on 'consentwatch_cancel' (delivered at commit), every worker LISTENs and stops the job if it
-- runs it. A trigger, not a NOTIFY in one code path: a cancel by SQL or by any future path is announced too.
CREATE FUNCTION consentwatch_job_cancelled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('consentwatch_cancel', NEW.id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_cancelled AFTER UPDATE OF state ON jobs
    FOR EACH ROW WHEN (NEW.state = 'cancelled' AND OLD.state = 'running') EXECUTE FUNCTION consentwatch_job_cancelled();
