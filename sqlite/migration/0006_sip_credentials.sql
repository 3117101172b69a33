-- 0006_sip_credentials: the SIP credentials of a held number, with which an
-- agent provider places calls from it (switchboard.NumberSIPCredentials).
--
-- Only the two HA1 digests of username:realm:password are kept; the
-- password is shown once. Numbers held before this migration get no
-- credentials (NULL) until they are rotated: HA1 cannot be computed
-- without a password. The columns go with the row when a number is
-- released.

ALTER TABLE phone_numbers ADD COLUMN sip_username   TEXT;
ALTER TABLE phone_numbers ADD COLUMN sip_ha1_md5    TEXT;
ALTER TABLE phone_numbers ADD COLUMN sip_ha1_sha256 TEXT;

-- SQLite cannot add a UNIQUE column; the unique index is the constraint.
CREATE UNIQUE INDEX phone_numbers_sip_username ON phone_numbers (sip_username);
