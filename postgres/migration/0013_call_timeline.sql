-- 0013_call_timeline: a call's timeline moves into its row.
--
-- call_events took one indexed insert per timeline entry, four to six per
-- call, on top of the call's own row writes. The timeline is now the
-- calls row's timeline column, a JSON array (as text: it is written whole
-- and read whole, never queried inside) written with each of the row's
-- writes (at most two per call: when it is answered or fails, and when it
-- ends): [{"id", "type", "at" (Unix microseconds), "status", "detail"},
-- ...], oldest first (switchboard's call_timeline.go). The entries
-- recorded so far are moved over, in the order the API listed them, and
-- call_events is dropped with its index. The new column's constant
-- default does not rewrite the table; the UPDATE rewrites the calls that
-- have entries.
ALTER TABLE calls ADD COLUMN timeline text NOT NULL DEFAULT '[]';

UPDATE calls c SET timeline = t.timeline
FROM (
    SELECT call_id, json_agg(json_build_object('id', id, 'type', type,
        'at', (extract(epoch FROM occurred_at) * 1000000)::bigint,
        'status', status, 'detail', detail) ORDER BY occurred_at, seq)::text AS timeline
    FROM call_events GROUP BY call_id
) t
WHERE c.id = t.call_id;

DROP TABLE call_events;
