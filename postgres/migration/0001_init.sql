-- 0001_init: the schema of the PostgreSQL store, the same tables as the
-- SQLite store's migrations 0001-0003 in PostgreSQL's native types.
--
-- Conventions: IDs are prefixed text made by switchboard.NewID, collated
-- "C" so that they sort by bytes, as SQLite and Go sort them (the IDs mix
-- upper and lower case); times are timestamptz (microseconds, as the
-- domain keeps them); booleans are boolean; lists are arrays; JSON the
-- store never looks inside is json (kept as written), JSON it reads from
-- SQL is jsonb. Every list is ordered by (created_at DESC, id DESC), so
-- each owned table has an index in that order behind its organisation.
-- Tables are created in the search_path's first schema, so a deployment
-- (or a test) can keep its tables in a schema of its own.

CREATE TABLE organizations (
    id         text COLLATE "C" PRIMARY KEY,
    name       text        NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

-- Only the SHA-256 of a key is stored; the secret is shown once and never kept.
CREATE TABLE api_keys (
    id              text COLLATE "C" PRIMARY KEY,
    organization_id text COLLATE "C" NOT NULL REFERENCES organizations (id),
    name            text        NOT NULL DEFAULT '',
    key_prefix      text        NOT NULL,
    hash            text        NOT NULL UNIQUE, -- looked up on every API request
    scopes          text[]      NOT NULL,
    live            boolean     NOT NULL,
    created_at      timestamptz NOT NULL,
    revoked_at      timestamptz
);

CREATE INDEX api_keys_org ON api_keys (organization_id, created_at DESC, id DESC);

CREATE TABLE endpoints (
    id              text COLLATE "C" PRIMARY KEY,
    organization_id text COLLATE "C" NOT NULL REFERENCES organizations (id),
    name            text        NOT NULL,
    type            text        NOT NULL CHECK (type IN ('agent', 'webhook')),
    url             text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('active', 'inactive')),
    provider_config jsonb,                       -- switchboard.ProviderConfig; NULL for webhooks
    secret          text        NOT NULL DEFAULT '', -- webhook signing secret, needed in clear to sign
    headers         jsonb,                       -- object of strings; NULL when there are none
    ring_timeout    integer     NOT NULL,
    sip_username    text,                        -- digest credentials; both NULL when there are none
    sip_password    text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE INDEX endpoints_org_created ON endpoints (organization_id, created_at DESC, id DESC);

-- The numbers the operator's carrier delivers. A number is available while
-- no phone_numbers row holds it.
CREATE TABLE inventory_numbers (
    id         text COLLATE "C" PRIMARY KEY,
    number     text        NOT NULL UNIQUE,      -- E.164
    country    text        NOT NULL,
    type       text        NOT NULL CHECK (type IN ('local', 'mobile', 'toll_free')),
    created_at timestamptz NOT NULL
);

CREATE INDEX inventory_numbers_created ON inventory_numbers (created_at DESC, id DESC);
CREATE INDEX inventory_numbers_country ON inventory_numbers (country, type, created_at DESC, id DESC);

-- A number an organisation holds. The UNIQUE inventory_id is what makes a
-- claim race-free: two claims of one number cannot both insert, whichever
-- node they run on.
CREATE TABLE phone_numbers (
    id                   text COLLATE "C" PRIMARY KEY,
    organization_id      text COLLATE "C" NOT NULL REFERENCES organizations (id),
    inventory_id         text COLLATE "C" NOT NULL
                         CONSTRAINT phone_numbers_inventory_id_key UNIQUE
                         REFERENCES inventory_numbers (id),
    status               text        NOT NULL DEFAULT 'active',
    -- DeleteEndpoint detaches numbers itself (and bumps updated_at); the
    -- ON DELETE SET NULL is a backstop so a dangling reference cannot exist.
    endpoint_id          text COLLATE "C" REFERENCES endpoints (id) ON DELETE SET NULL,
    fallback_endpoint_id text COLLATE "C" REFERENCES endpoints (id) ON DELETE SET NULL,
    allow_inbound        boolean     NOT NULL,
    allow_outbound       boolean     NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);

CREATE INDEX phone_numbers_org_created ON phone_numbers (organization_id, created_at DESC, id DESC);
CREATE INDEX phone_numbers_endpoint ON phone_numbers (endpoint_id);
CREATE INDEX phone_numbers_fallback_endpoint ON phone_numbers (fallback_endpoint_id);

-- First responses replayed for an Idempotency-Key. A cache, so no foreign
-- keys: it must never block deleting what it refers to.
CREATE TABLE idempotency_keys (
    organization_id text        NOT NULL,
    api_key_id      text        NOT NULL,
    idempotency_key text        NOT NULL,
    fingerprint     text        NOT NULL,
    status          integer     NOT NULL DEFAULT 0, -- 0 while the first request is in flight
    body            bytea,
    content_type    text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (organization_id, api_key_id, idempotency_key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at); -- purge of expired keys

-- Something that happened. data is the JSON of the resource as the API
-- returns it, secrets left out, kept byte for byte (json, not jsonb): the
-- envelope sent to receivers is built from this row.
CREATE TABLE events (
    id              text COLLATE "C" PRIMARY KEY,
    organization_id text COLLATE "C" NOT NULL REFERENCES organizations (id),
    type            text        NOT NULL,
    created_at      timestamptz NOT NULL,
    data            json        NOT NULL
);

CREATE INDEX events_org_created ON events (organization_id, created_at DESC, id DESC);

-- A subscription. The secrets are kept in clear because they sign.
CREATE TABLE webhooks (
    id                         text COLLATE "C" PRIMARY KEY,
    organization_id            text COLLATE "C" NOT NULL REFERENCES organizations (id),
    url                        text        NOT NULL,
    events                     text[]      NOT NULL, -- normalised filters
    active                     boolean     NOT NULL,
    description                text        NOT NULL DEFAULT '',
    secret                     text        NOT NULL,
    previous_secret            text,                 -- both NULL unless rotated
    previous_secret_expires_at timestamptz,
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL
);

CREATE INDEX webhooks_org_created ON webhooks (organization_id, created_at DESC, id DESC);
-- Fan-out reads the organisation's active subscriptions once per write
-- transaction that emits events.
CREATE INDEX webhooks_org_active ON webhooks (organization_id, id) WHERE active;

-- One event on its way to one receiver: a subscription (webhook_id) or a
-- webhook-type endpoint (endpoint_id), exactly one of the two. The receiver
-- columns have no foreign keys, on purpose: deleting a subscription or an
-- endpoint keeps its delivery history. The table is also the workers'
-- durable queue: a worker leases due pending deliveries (lease_owner,
-- lease_until) with FOR UPDATE SKIP LOCKED, so several nodes claim at once
-- without waiting for each other and never hold the same lease.
CREATE TABLE deliveries (
    id               text COLLATE "C" PRIMARY KEY,
    organization_id  text COLLATE "C" NOT NULL REFERENCES organizations (id),
    webhook_id       text COLLATE "C",
    endpoint_id      text COLLATE "C",
    event_id         text COLLATE "C" NOT NULL REFERENCES events (id),
    event            text        NOT NULL, -- the event type, copied for the list filter
    url              text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempt_count    integer     NOT NULL DEFAULT 0,
    max_attempts     integer,              -- set by a manual retry or replay: attempt_count + 1
    next_attempt_at  timestamptz,          -- NULL once delivered or failed
    last_status_code integer,
    delivered_at     timestamptz,
    lease_until      timestamptz,
    lease_owner      text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CHECK ((webhook_id IS NULL) <> (endpoint_id IS NULL))
);

-- The workers' claim: pending deliveries by due time, in claim order.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 'pending';
-- The API's lists: the organisation's log, and one subscription's.
CREATE INDEX deliveries_org_created ON deliveries (organization_id, created_at DESC, id DESC);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, created_at DESC, id DESC);
-- event_id is a foreign key, so a future purge of events needs it indexed.
CREATE INDEX deliveries_event ON deliveries (event_id);

-- Every POST of a delivery and what came back; number counts from 1.
CREATE TABLE delivery_attempts (
    delivery_id      text COLLATE "C" NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number           integer     NOT NULL,
    attempted_at     timestamptz NOT NULL,
    status_code      integer     NOT NULL DEFAULT 0, -- 0 when no response came back
    latency_ms       bigint      NOT NULL DEFAULT 0,
    error            text        NOT NULL DEFAULT '',
    response_excerpt text        NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, number)
);
