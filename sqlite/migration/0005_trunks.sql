-- 0005_trunks: an organisation's carrier connections (switchboard.TrunkService)
-- and the trunk a number's outbound calls use.
--
-- Same conventions as 0001: prefixed TEXT IDs, INTEGER unix microseconds
-- in UTC, STRICT tables, lists as JSON text.

CREATE TABLE trunks (
    id                   TEXT    PRIMARY KEY,
    organization_id      TEXT    NOT NULL REFERENCES organizations (id),
    name                 TEXT    NOT NULL,
    address              TEXT    NOT NULL,  -- host[:port]
    failover_addresses   TEXT    NOT NULL,  -- JSON array of host[:port]
    transport            TEXT    NOT NULL CHECK (transport IN ('udp', 'tcp', 'tls')),
    auth_username        TEXT    NOT NULL,  -- digest to the carrier; both '' when none
    auth_password        TEXT    NOT NULL,  -- needed in clear to answer a challenge
    headers              TEXT,              -- JSON object; NULL when there are none
    number_format        TEXT    NOT NULL CHECK (number_format IN ('e164', 'no_plus')),
    tech_prefix          TEXT    NOT NULL,
    max_concurrent_calls INTEGER NOT NULL,  -- 0 is unlimited
    status               TEXT    NOT NULL CHECK (status IN ('active', 'inactive')),
    is_default           INTEGER NOT NULL,
    inbound_addresses    TEXT    NOT NULL,  -- JSON array of normalised CIDRs
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
) STRICT;

CREATE INDEX trunks_org_created ON trunks (organization_id, created_at DESC, id DESC);

-- At most one default trunk per organisation. ClearDefaultTrunk keeps it
-- so; the index is the backstop.
CREATE UNIQUE INDEX trunks_org_default ON trunks (organization_id) WHERE is_default;

-- DeleteTrunk detaches numbers itself (and bumps updated_at); the ON DELETE
-- SET NULL is a backstop so a dangling reference cannot exist.
ALTER TABLE phone_numbers ADD COLUMN trunk_id TEXT REFERENCES trunks (id) ON DELETE SET NULL;

CREATE INDEX phone_numbers_trunk ON phone_numbers (trunk_id) WHERE trunk_id IS NOT NULL;

-- A key made with every scope keeps every scope: the keys that held all
-- the scopes there were before trunks get the trunk scopes too.
UPDATE api_keys SET scopes = scopes || ',trunks:read,trunks:write'
WHERE ',' || scopes || ',' LIKE '%,endpoints:read,%' AND ',' || scopes || ',' LIKE '%,endpoints:write,%'
  AND ',' || scopes || ',' LIKE '%,numbers:read,%' AND ',' || scopes || ',' LIKE '%,numbers:write,%'
  AND ',' || scopes || ',' LIKE '%,calls:read,%' AND ',' || scopes || ',' LIKE '%,calls:write,%'
  AND ',' || scopes || ',' LIKE '%,webhooks:read,%' AND ',' || scopes || ',' LIKE '%,webhooks:write,%';
