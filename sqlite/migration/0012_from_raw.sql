-- 0012_from_raw: the caller's From user when it is not a number.
--
-- from_number held whatever the carrier's From user was ("anonymous",
-- "sipp", a SIP name) when it was not a phone number. It is now E.164 or
-- empty, and from_raw keeps such a user (printable, at most 64 bytes);
-- from_raw is empty when from_number is a number. Calls recorded before
-- are moved over: a from_number that is not + and digits becomes their
-- from_raw. The update reads the whole table once.
ALTER TABLE calls ADD COLUMN from_raw TEXT NOT NULL DEFAULT '';

UPDATE calls SET from_raw = from_number, from_number = ''
WHERE from_number <> '' AND (from_number NOT GLOB '+[1-9]*' OR substr(from_number, 2) GLOB '*[^0-9]*');
