-- 0008_sessions: the dashboard's sign-ins (switchboard.Session).
--
-- Only the SHA-256 of a session's token is kept; the token is the
-- browser's cookie. A session is looked up with its key joined, so a
-- revoked key ends its sessions at once; deleting a key's row takes its
-- sessions with it.

CREATE TABLE ui_sessions (
    token_hash      text COLLATE "C" PRIMARY KEY,
    api_key_id      text COLLATE "C" NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    organization_id text COLLATE "C" NOT NULL REFERENCES organizations (id),
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL
);

CREATE INDEX ui_sessions_expiry ON ui_sessions (expires_at); -- the purge
CREATE INDEX ui_sessions_key ON ui_sessions (api_key_id);    -- the cascade
