-- 0012_event_log: positions in each organisation's event log, for the live
-- stream (GET /v1/events/stream) to resume from an event without gaps.
--
-- An event's seq is its position in its organisation's log. The writer of
-- an organisation's events takes the next positions from its row of
-- event_seqs, whose lock it holds until commit, so an organisation's
-- positions grow in commit order: a reader that has seen every event up to
-- a position misses none by asking for those after it. Events written
-- before this migration are numbered in the order of their creation.

ALTER TABLE events ADD COLUMN seq bigint;

UPDATE events e SET seq = r.n
FROM (SELECT id, row_number() OVER (PARTITION BY organization_id ORDER BY created_at, id COLLATE "C") AS n FROM events) r
WHERE e.id = r.id;

ALTER TABLE events ALTER COLUMN seq SET NOT NULL;

CREATE UNIQUE INDEX events_org_seq ON events (organization_id, seq);

CREATE TABLE event_seqs (
    organization_id text COLLATE "C" PRIMARY KEY REFERENCES organizations (id),
    last_seq        bigint NOT NULL
);

INSERT INTO event_seqs (organization_id, last_seq)
SELECT organization_id, max(seq) FROM events GROUP BY organization_id;
