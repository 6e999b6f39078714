-- `schedule add NAME FILE` of a 1M-line list: most of its time went to keeping the two b-trees of
-- schedule_targets up to date row by row and to the foreign key's check per row (measured: ~50 of ~60 s on
-- a loaded 2-core machine, against ~2 s for the rows themselves). Each big-list schedule now has a partition
-- of its own: loaded bare, its indexes built in one pass when it is attached, and dropped whole with its
-- schedule (`remove_schedule`), which replaces the foreign key's cascade. The partition of schedule NAME is
-- named schedule_targets_ + the first 16 hex digits of md5(NAME) (postgres.target_partition).
ALTER TABLE schedule_targets RENAME TO schedule_targets_0004;
ALTER TABLE schedule_targets_0004 RENAME CONSTRAINT schedule_targets_pkey TO schedule_targets_0004_pkey;
ALTER INDEX schedule_targets_due RENAME TO schedule_targets_0004_due;
CREATE TABLE schedule_targets (
    schedule text NOT NULL,
    domain text NOT NULL,
    next_due_at double precision NOT NULL,
    PRIMARY KEY (schedule, domain)
) PARTITION BY LIST (schedule);
CREATE INDEX schedule_targets_due ON schedule_targets (next_due_at);
DO $$
DECLARE
    name text;
    part text;
BEGIN
    FOR name IN SELECT DISTINCT schedule FROM schedule_targets_0004 LOOP
        part := 'schedule_targets_' || left(md5(name), 16);
        EXECUTE format('CREATE TABLE %I PARTITION OF schedule_targets FOR VALUES IN (%L)', part, name);
        EXECUTE format('INSERT INTO %I SELECT schedule, domain, next_due_at FROM schedule_targets_0004'
                       ' WHERE schedule = %L', part, name);
    END LOOP;
END $$;
DROP TABLE schedule_targets_0004;
