-- 0003_delivery_queue_hot: less index work per webhook delivery.
--
-- A delivery is written three times: inserted with its event, claimed
-- (lease_owner, lease_until) and finished (status, next_attempt_at, ...).
-- The claim changes no indexed column, so it can be a HOT update (no new
-- index entries) when the new row version fits on the row's page; at the
-- default fillfactor of 100 the pages are packed and it almost never did,
-- so every claim wrote a new entry into each of the table's five indexes.
-- Half of each page is now kept free for those updates. Measured with
-- BenchmarkClaimFinish (40,000 deliveries, medians of 3 alternated runs):
-- HOT updates went from 13-21 % to 47-49 % of the table's updates (every
-- claim; a finish changes the partial index deliveries_due's columns and
-- cannot be HOT), and the server's CPU per delivery fell from 63 to 55 us
-- with 1 worker and from 106 to 78 us with 2. 50 beat 60 and 70; 40 was
-- about as good. The price: the table's pages hold half as many
-- rows, so the deliveries history takes about twice the disk. It applies to
-- pages filled from now on; existing pages are not rewritten.
--
-- delivery_attempts keeps the default: its rows are never updated.
ALTER TABLE deliveries SET (fillfactor = 50);

-- deliveries_event was kept only for a future purge of events (event_id is
-- a foreign key to events); nothing deletes events today, and every
-- delivery inserted and every finish paid for one more index entry.
-- Dropped: the WAL written per delivery fell by a fifth when queueing (867
-- to 686 bytes) and by 15 % in the drain; the server's CPU per delivery
-- fell by about 4 % on average, within the noise of a 2-core machine. A
-- purge of events, if one is ever added, must create it again first.
DROP INDEX deliveries_event;
