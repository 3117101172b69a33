-- 0004_calls: call records (switchboard.CallService) and their timelines.
--
-- Same conventions as 0001: prefixed TEXT IDs, INTEGER unix microseconds
-- in UTC, STRICT tables.
--
-- The SIP edge writes these tables in batches at thousands of calls a
-- second, so they carry only the indexes the API's list filters and the
-- node's restart need. Status and direction have no CHECK constraints: the
-- domain validates them, and SQLite can only change a CHECK by rebuilding
-- the table, which this one grows too large for.

-- One call. organization_id is NULL for a call to a number no organisation
-- holds: it is kept for the operator but no organisation lists it.
-- phone_number_id and endpoint_id have no foreign keys, on purpose: a
-- number or endpoint deleted later leaves its calls with the ID as history.
CREATE TABLE calls (
    id              TEXT    PRIMARY KEY,
    organization_id TEXT    REFERENCES organizations (id),
    direction       TEXT    NOT NULL,
    from_number     TEXT    NOT NULL,
    to_number       TEXT    NOT NULL,
    phone_number_id TEXT,
    endpoint_id     TEXT,
    status          TEXT    NOT NULL,
    hangup_cause    TEXT    NOT NULL DEFAULT '',
    hangup_by       TEXT    NOT NULL DEFAULT '',
    failure_reason  TEXT    NOT NULL DEFAULT '',
    sip_status      INTEGER NOT NULL DEFAULT 0,
    duration        INTEGER NOT NULL DEFAULT 0,
    sip_call_id     TEXT    NOT NULL DEFAULT '',
    node            TEXT    NOT NULL DEFAULT '', -- the node that handled the call
    created_at      INTEGER NOT NULL,
    answered_at     INTEGER,
    completed_at    INTEGER,
    updated_at      INTEGER NOT NULL
) STRICT;

-- The organisation's list, and one index per list filter that narrows it
-- a lot, each in list order so a page is read without sorting. The calls
-- of no organisation are left out of them: nothing lists those.
CREATE INDEX calls_org_created ON calls (organization_id, created_at DESC, id DESC)
    WHERE organization_id IS NOT NULL;
CREATE INDEX calls_org_status ON calls (organization_id, status, created_at DESC, id DESC)
    WHERE organization_id IS NOT NULL;
CREATE INDEX calls_org_number ON calls (organization_id, phone_number_id, created_at DESC, id DESC)
    WHERE organization_id IS NOT NULL;
CREATE INDEX calls_org_endpoint ON calls (organization_id, endpoint_id, created_at DESC, id DESC)
    WHERE organization_id IS NOT NULL;
-- The calls not yet final, by node, for EndOrphanCalls when a node starts:
-- small, since a call leaves it when it ends.
CREATE INDEX calls_open ON calls (node) WHERE status IN ('initiated', 'ringing', 'in_progress');

-- One entry of a call's timeline. seq is the rowid, so it keeps the
-- order the entries were written in (VACUUM renumbers an implicit rowid,
-- never an INTEGER PRIMARY KEY) and new rows go at the end of the table.
-- The timeline is read by call, then sorted (occurred_at, seq): a call has
-- a handful of entries. The one index, UNIQUE (call_id, id), serves that
-- read and lets a retried batch skip the entries it already wrote; keyed
-- by call, the entries a batch writes for one call land on one page, where
-- an index on the random id alone would dirty a page per entry.
-- organization_id is the call's, copied without a foreign key: the call's
-- already checks it.
CREATE TABLE call_events (
    seq             INTEGER PRIMARY KEY,
    id              TEXT    NOT NULL,
    call_id         TEXT    NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    organization_id TEXT,
    type            TEXT    NOT NULL,
    occurred_at     INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    detail          TEXT    NOT NULL DEFAULT '',
    UNIQUE (call_id, id)
) STRICT;
