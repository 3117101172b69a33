-- 0008_api_keys: keys managed through the API (/v1/api-keys): an optional
-- expiry, the time of the last use, and the scopes that manage keys.
--
-- Same conventions as 0001: INTEGER unix microseconds in UTC; scopes stay
-- comma-separated. (0007 is another change, made at the same time.)

ALTER TABLE api_keys ADD COLUMN expires_at   INTEGER; -- NULL: never expires
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER; -- to the minute; NULL: never used

-- A key made with every scope keeps every scope: the keys that held all
-- the scopes there were before key management get keys:read and
-- keys:write too, as 0005 did for the trunk scopes.
UPDATE api_keys SET scopes = scopes || ',keys:read,keys:write'
WHERE ',' || scopes || ',' LIKE '%,endpoints:read,%' AND ',' || scopes || ',' LIKE '%,endpoints:write,%'
  AND ',' || scopes || ',' LIKE '%,numbers:read,%' AND ',' || scopes || ',' LIKE '%,numbers:write,%'
  AND ',' || scopes || ',' LIKE '%,calls:read,%' AND ',' || scopes || ',' LIKE '%,calls:write,%'
  AND ',' || scopes || ',' LIKE '%,webhooks:read,%' AND ',' || scopes || ',' LIKE '%,webhooks:write,%'
  AND ',' || scopes || ',' LIKE '%,trunks:read,%' AND ',' || scopes || ',' LIKE '%,trunks:write,%'
  AND ',' || scopes || ',' NOT LIKE '%,keys:read,%' AND ',' || scopes || ',' NOT LIKE '%,keys:write,%';
