-- 0002_calls: call records (switchboard.CallService) and their timelines,
-- the same tables as the SQLite store's migration 0004.
--
-- Same conventions as 0001. The SIP edge writes these tables in batches
-- at thousands of calls a second, so they carry only the indexes the
-- API's list filters and a node's restart need. Status and direction have
-- no CHECK constraints: the domain validates them, and a status added
-- later should not need a constraint rewritten on the largest table.

-- One call. organization_id is NULL for a call to a number no organisation
-- holds: it is kept for the operator but no organisation lists it.
-- phone_number_id and endpoint_id have no foreign keys, on purpose: a
-- number or endpoint deleted later leaves its calls with the ID as history.
CREATE TABLE calls (
    id              text COLLATE "C" PRIMARY KEY,
    organization_id text COLLATE "C" REFERENCES organizations (id),
    direction       text        NOT NULL,
    from_number     text        NOT NULL,
    to_number       text        NOT NULL,
    phone_number_id text COLLATE "C",
    endpoint_id     text COLLATE "C",
    status          text        NOT NULL,
    hangup_cause    text        NOT NULL DEFAULT '',
    hangup_by       text        NOT NULL DEFAULT '',
    failure_reason  text        NOT NULL DEFAULT '',
    sip_status      integer     NOT NULL DEFAULT 0,
    duration        integer     NOT NULL DEFAULT 0,
    sip_call_id     text        NOT NULL DEFAULT '',
    node            text        NOT NULL DEFAULT '', -- the node that handled the call
    created_at      timestamptz NOT NULL,
    answered_at     timestamptz,
    completed_at    timestamptz,
    updated_at      timestamptz NOT NULL
);

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

-- One entry of a call's timeline. seq keeps the order the entries were
-- written in. The timeline is read by call, then sorted (occurred_at,
-- seq): a call has a handful of entries. The one index, the primary key
-- (call_id, id), serves that read and lets a retried batch skip the
-- entries it already wrote; keyed by call, the entries a batch writes for
-- one call land on one index page, where an index on the random id alone
-- would dirty a page per entry. organization_id is the call's, copied
-- without a foreign key: the call's already checks it.
CREATE TABLE call_events (
    call_id         text COLLATE "C" NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    id              text COLLATE "C" NOT NULL,
    seq             bigint      GENERATED ALWAYS AS IDENTITY,
    organization_id text COLLATE "C",
    type            text        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    status          text        NOT NULL,
    detail          text        NOT NULL DEFAULT '',
    PRIMARY KEY (call_id, id)
);
