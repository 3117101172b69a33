-- 0001_init: the first schema of the SQLite store.
--
-- Conventions: IDs are prefixed TEXT made by switchboard.NewID; times are
-- INTEGER unix microseconds in UTC; booleans are INTEGER 0/1. Tables are
-- STRICT so a value of the wrong type is an error, not a silent conversion.
-- Every list is ordered by (created_at DESC, id DESC), so each owned table
-- has an index in that order behind its organisation.

CREATE TABLE organizations (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

-- Only the SHA-256 of a key is stored; the secret is shown once and never kept.
CREATE TABLE api_keys (
    id              TEXT    PRIMARY KEY,
    organization_id TEXT    NOT NULL REFERENCES organizations (id),
    name            TEXT    NOT NULL DEFAULT '',
    key_prefix      TEXT    NOT NULL,
    hash            TEXT    NOT NULL UNIQUE, -- looked up on every API request
    scopes          TEXT    NOT NULL,        -- comma-separated
    live            INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER
) STRICT;

CREATE INDEX api_keys_org ON api_keys (organization_id, created_at DESC, id DESC);

CREATE TABLE endpoints (
    id              TEXT    PRIMARY KEY,
    organization_id TEXT    NOT NULL REFERENCES organizations (id),
    name            TEXT    NOT NULL,
    type            TEXT    NOT NULL CHECK (type IN ('agent', 'webhook')),
    url             TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('active', 'inactive')),
    provider_config TEXT,                    -- JSON of switchboard.ProviderConfig; NULL for webhooks
    secret          TEXT    NOT NULL DEFAULT '', -- webhook signing secret, needed in clear to sign
    headers         TEXT,                    -- JSON object; NULL when there are none
    ring_timeout    INTEGER NOT NULL,
    sip_username    TEXT,                    -- digest credentials; both NULL when there are none
    sip_password    TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX endpoints_org_created ON endpoints (organization_id, created_at DESC, id DESC);

-- The numbers the operator's carrier delivers. A number is available while
-- no phone_numbers row holds it.
CREATE TABLE inventory_numbers (
    id         TEXT    PRIMARY KEY,
    number     TEXT    NOT NULL UNIQUE,      -- E.164
    country    TEXT    NOT NULL,
    type       TEXT    NOT NULL CHECK (type IN ('local', 'mobile', 'toll_free')),
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX inventory_numbers_created ON inventory_numbers (created_at DESC, id DESC);
CREATE INDEX inventory_numbers_country ON inventory_numbers (country, type, created_at DESC, id DESC);

-- A number an organisation holds. The UNIQUE inventory_id is what makes a
-- claim race-free: two claims of one number cannot both insert. Number,
-- country and type are read from the inventory row, so they are never copied.
CREATE TABLE phone_numbers (
    id                   TEXT    PRIMARY KEY,
    organization_id      TEXT    NOT NULL REFERENCES organizations (id),
    inventory_id         TEXT    NOT NULL UNIQUE REFERENCES inventory_numbers (id),
    status               TEXT    NOT NULL DEFAULT 'active',
    -- DeleteEndpoint detaches numbers itself (and bumps updated_at); the
    -- ON DELETE SET NULL is a backstop so a dangling reference cannot exist.
    endpoint_id          TEXT    REFERENCES endpoints (id) ON DELETE SET NULL,
    fallback_endpoint_id TEXT    REFERENCES endpoints (id) ON DELETE SET NULL,
    allow_inbound        INTEGER NOT NULL,
    allow_outbound       INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
) STRICT;

CREATE INDEX phone_numbers_org_created ON phone_numbers (organization_id, created_at DESC, id DESC);
-- Both endpoint columns are indexed for the endpoint_id filter, for
-- DeleteEndpoint's detach and for the foreign-key checks on endpoint delete.
CREATE INDEX phone_numbers_endpoint ON phone_numbers (endpoint_id);
CREATE INDEX phone_numbers_fallback_endpoint ON phone_numbers (fallback_endpoint_id);

-- First responses replayed for an Idempotency-Key. A cache, so no foreign
-- keys: it must never block deleting what it refers to.
CREATE TABLE idempotency_keys (
    organization_id TEXT    NOT NULL,
    api_key_id      TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    fingerprint     TEXT    NOT NULL,
    status          INTEGER NOT NULL DEFAULT 0, -- 0 while the first request is in flight
    body            BLOB,
    content_type    TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (organization_id, api_key_id, idempotency_key)
) STRICT, WITHOUT ROWID;

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at); -- purge of expired keys
