-- 0014_calls_direction: calls_org_created carries the direction.
--
-- The direction filter of GET /v1/calls has no index of its own: its
-- total, and a page that skips the other direction's calls, read every
-- call of the organisation from the table, one row at a time (13.6 s at
-- ten million calls on SQLite, issue 18; docs/performance.md). A call's
-- direction never changes, so calls_org_created ends with it: the
-- direction is checked in the index entry, and only the matching calls
-- are read from the table (on SQLite the total counts index entries
-- only). No update rewrites an entry for it (none sets the direction); an
-- insert writes a few bytes more. The index's order is unchanged: the
-- direction comes after the ID, which is unique.
--
-- Rebuilding the index reads the whole table: at ten million calls this
-- migration takes a minute or more, during which the calls table takes
-- no writes.
DROP INDEX calls_org_created;
CREATE INDEX calls_org_created ON calls (organization_id, created_at DESC, id DESC, direction)
    WHERE organization_id IS NOT NULL;
