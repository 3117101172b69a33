-- 0002_events: the event plane (DESIGN §9): events, webhook subscriptions,
-- and the deliveries of events to subscriptions and webhook endpoints.
--
-- Same conventions as 0001: prefixed TEXT IDs, INTEGER unix microseconds
-- in UTC, INTEGER booleans, STRICT tables.

-- Something that happened. data is the JSON of the resource as the API
-- returns it, secrets left out; the envelope sent to receivers is built
-- from this row ({"id", "event", "timestamp", "data"}).
CREATE TABLE events (
    id              TEXT    PRIMARY KEY,
    organization_id TEXT    NOT NULL REFERENCES organizations (id),
    type            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    data            TEXT    NOT NULL -- JSON
) STRICT;

CREATE INDEX events_org_created ON events (organization_id, created_at DESC, id DESC);

-- A subscription. The secrets are kept in clear because they sign.
CREATE TABLE webhooks (
    id                         TEXT    PRIMARY KEY,
    organization_id            TEXT    NOT NULL REFERENCES organizations (id),
    url                        TEXT    NOT NULL,
    events                     TEXT    NOT NULL,          -- JSON array of normalised filters
    active                     INTEGER NOT NULL,
    description                TEXT    NOT NULL DEFAULT '',
    secret                     TEXT    NOT NULL,
    previous_secret            TEXT,                      -- both NULL unless rotated
    previous_secret_expires_at INTEGER,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
) STRICT;

CREATE INDEX webhooks_org_created ON webhooks (organization_id, created_at DESC, id DESC);
-- Fan-out reads the organisation's active subscriptions once per write
-- transaction that emits events.
CREATE INDEX webhooks_org_active ON webhooks (organization_id, id) WHERE active = 1;

-- One event on its way to one receiver: a subscription (webhook_id) or a
-- webhook-type endpoint (endpoint_id), exactly one of the two.
--
-- webhook_id and endpoint_id are plain TEXT without foreign keys, on
-- purpose: deleting a subscription or an endpoint keeps its delivery
-- history, still filterable by webhook_id. The worker drops a pending
-- delivery whose receiver is gone. url is the receiver's URL when the
-- event was emitted.
CREATE TABLE deliveries (
    id               TEXT    PRIMARY KEY,
    organization_id  TEXT    NOT NULL REFERENCES organizations (id),
    webhook_id       TEXT,
    endpoint_id      TEXT,
    event_id         TEXT    NOT NULL REFERENCES events (id),
    event            TEXT    NOT NULL, -- the event type, copied for the list filter
    url              TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempt_count    INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,          -- NULL once delivered or failed
    last_status_code INTEGER,
    delivered_at     INTEGER,
    -- A worker leases a due delivery before POSTing it, so two workers (or
    -- two processes) never send it twice at once; an expired lease is free.
    lease_until      INTEGER,
    lease_owner      TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK ((webhook_id IS NULL) <> (endpoint_id IS NULL))
) STRICT;

-- The worker's poll: pending deliveries by due time.
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at) WHERE status = 'pending';
-- The API's lists: the organisation's log, and one subscription's.
CREATE INDEX deliveries_org_created ON deliveries (organization_id, created_at DESC, id DESC);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, created_at DESC, id DESC);
-- event_id is a foreign key, so a future purge of events needs it indexed.
CREATE INDEX deliveries_event ON deliveries (event_id);

-- Every POST of a delivery and what came back; number counts from 1.
CREATE TABLE delivery_attempts (
    delivery_id      TEXT    NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number           INTEGER NOT NULL,
    attempted_at     INTEGER NOT NULL,
    status_code      INTEGER NOT NULL DEFAULT 0, -- 0 when no response came back
    latency_ms       INTEGER NOT NULL DEFAULT 0,
    error            TEXT    NOT NULL DEFAULT '',
    response_excerpt TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, number)
) STRICT, WITHOUT ROWID;
