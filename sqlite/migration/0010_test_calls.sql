-- 0010_test_calls: calls placed by a node's own test user agent (POST
-- /v1/phone-numbers/{id}/test-call) are marked, so that lists, statistics
-- and receivers can tell them from a carrier's. Set by a call's first save
-- and never changed; 0 for every call before this migration.
ALTER TABLE calls ADD COLUMN test INTEGER NOT NULL DEFAULT 0 CHECK (test IN (0, 1));
