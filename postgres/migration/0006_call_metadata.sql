-- 0006_call_metadata: the metadata of API-originated calls, and the
-- answered status among the calls a restarting node ends.
--
-- metadata is the JSON object a call was placed with (POST
-- /v1/outbound-calls), as the Service compacted it, returned on the call
-- and in its events; NULL for calls without one (every inbound call).
-- It is text, not jsonb: the caller's object comes back as sent (jsonb
-- would reorder its keys), the same on both stores; the Service has
-- checked it is a JSON object, and nothing queries inside it.
ALTER TABLE calls ADD COLUMN metadata text;

-- An outbound call is answered (the callee picked up) while its agent is
-- being connected: it is still open, and a node that restarts must end it
-- like the others. calls_open's condition is openCallsSQL's.
DROP INDEX calls_open;
CREATE INDEX calls_open ON calls (node) WHERE status IN ('initiated', 'ringing', 'answered', 'in_progress');
