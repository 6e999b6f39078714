-- Schedules for big lists (a daily top-1M): each domain of an interval schedule is a row with its own due
-- time, spread over the period by a hash of the name, so a daily 1M list is a steady ~12 jobs/s, not a spike.
-- A feeder (`consentwatch worker`) queues due targets only while the queue is below a high-water mark.
-- Such schedules keep `domains` empty and `next_run_at` infinite: the per-schedule scheduler never runs them.
CREATE TABLE schedule_targets (
    schedule text NOT NULL REFERENCES schedules (name) ON DELETE CASCADE,
    domain text NOT NULL,
    next_due_at double precision NOT NULL,
    PRIMARY KEY (schedule, domain)
);
CREATE INDEX schedule_targets_due ON schedule_targets (next_due_at);

-- Where in the period a domain falls: [0, 1), stable across runs and machines.
CREATE FUNCTION consentwatch_spread(domain text) RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (('x' || left(md5(domain), 8))::bit(32)::bigint)::double precision / 4294967296.0 $$;
