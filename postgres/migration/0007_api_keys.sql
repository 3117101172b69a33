-- 0007_api_keys: keys managed through the API (/v1/api-keys): an optional
-- expiry, the time of the last use, and the scopes that manage keys.
-- (0006 is another change, made at the same time.)

ALTER TABLE api_keys ADD COLUMN expires_at   timestamptz; -- NULL: never expires
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz; -- to the minute; NULL: never used

-- A key made with every scope keeps every scope: the keys that held all
-- the scopes there were before key management get keys:read and
-- keys:write too, as 0004 did for the trunk scopes.
UPDATE api_keys SET scopes = scopes || ARRAY['keys:read', 'keys:write']
WHERE scopes @> ARRAY['endpoints:read', 'endpoints:write', 'numbers:read', 'numbers:write',
                      'calls:read', 'calls:write', 'webhooks:read', 'webhooks:write',
                      'trunks:read', 'trunks:write']
  AND NOT scopes && ARRAY['keys:read', 'keys:write'];
