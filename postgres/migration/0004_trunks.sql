-- 0004_trunks: an organisation's carrier connections (switchboard.TrunkService)
-- and the trunk a number's outbound calls use.

CREATE TABLE trunks (
    id                   text COLLATE "C" PRIMARY KEY,
    organization_id      text COLLATE "C" NOT NULL REFERENCES organizations (id),
    name                 text        NOT NULL,
    address              text        NOT NULL,  -- host[:port]
    failover_addresses   text[]      NOT NULL,  -- host[:port], in failover order
    transport            text        NOT NULL CHECK (transport IN ('udp', 'tcp', 'tls')),
    auth_username        text        NOT NULL,  -- digest to the carrier; both '' when none
    auth_password        text        NOT NULL,  -- needed in clear to answer a challenge
    headers              jsonb,                 -- object of strings; NULL when there are none
    number_format        text        NOT NULL CHECK (number_format IN ('e164', 'no_plus')),
    tech_prefix          text        NOT NULL,
    max_concurrent_calls integer     NOT NULL,  -- 0 is unlimited
    status               text        NOT NULL CHECK (status IN ('active', 'inactive')),
    is_default           boolean     NOT NULL,
    inbound_addresses    text[]      NOT NULL,  -- normalised CIDRs
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);

CREATE INDEX trunks_org_created ON trunks (organization_id, created_at DESC, id DESC);

-- At most one default trunk per organisation. ClearDefaultTrunk keeps it
-- so (serialised on the organisation's row); the index is the backstop.
CREATE UNIQUE INDEX trunks_org_default ON trunks (organization_id) WHERE is_default;

-- DeleteTrunk detaches numbers itself (and bumps updated_at); the ON DELETE
-- SET NULL is a backstop so a dangling reference cannot exist.
ALTER TABLE phone_numbers ADD COLUMN trunk_id text COLLATE "C" REFERENCES trunks (id) ON DELETE SET NULL;

CREATE INDEX phone_numbers_trunk ON phone_numbers (trunk_id) WHERE trunk_id IS NOT NULL;

-- A key made with every scope keeps every scope: the keys that held all
-- the scopes there were before trunks get the trunk scopes too.
UPDATE api_keys SET scopes = scopes || ARRAY['trunks:read', 'trunks:write']
WHERE scopes @> ARRAY['endpoints:read', 'endpoints:write', 'numbers:read', 'numbers:write',
                      'calls:read', 'calls:write', 'webhooks:read', 'webhooks:write'];
