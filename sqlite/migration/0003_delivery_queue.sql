-- 0003_delivery_queue: the deliveries table becomes the workers' durable
-- queue (switchboard.DeliveryQueue).

-- A cap on the attempts below the retry schedule's length; NULL lets the
-- worker's schedule decide. A manual retry or replay sets it to
-- attempt_count + 1: exactly one more attempt.
ALTER TABLE deliveries ADD COLUMN max_attempts INTEGER NULL;

-- The claim reads pending deliveries by due time and skips those under a
-- live lease. With lease_until in the index it skips them from the index
-- alone, without reading their rows: the leased deliveries are the oldest
-- due ones, so every claim passes over all of them first.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at, lease_until) WHERE status = 'pending';
