-- 0013_call_timeline: a call's timeline moves into its row.
--
-- call_events took one indexed insert per timeline entry, four to six per
-- call, on top of the call's own row writes. The timeline is now the
-- calls row's timeline column, a JSON array written whole with each of
-- the row's writes (at most two per call: when it is answered or fails,
-- and when it ends): [{"id", "type", "at" (Unix microseconds), "status",
-- "detail"}, ...], oldest first (switchboard's call_timeline.go). The
-- entries recorded so far are moved over, in the order the API listed
-- them, and call_events is dropped with its index.
ALTER TABLE calls ADD COLUMN timeline TEXT NOT NULL DEFAULT '[]';

UPDATE calls SET timeline = (
    SELECT json_group_array(json_object('id', e.id, 'type', e.type, 'at', e.occurred_at,
        'status', e.status, 'detail', e.detail) ORDER BY e.occurred_at, e.seq)
    FROM call_events e WHERE e.call_id = calls.id)
WHERE id IN (SELECT call_id FROM call_events);

DROP TABLE call_events;
