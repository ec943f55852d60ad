-- Personal data sealed at rest (crates/store/src/personal.rs): a
-- petitioner's name, phone and id number, and every downlink event body (a
-- case handover carries the petitioner), are stored only as AEAD-sealed
-- bytes whose header names the key (`key_id`, 8 hex digits).
--
-- A migration cannot encrypt: the plaintext petitioners of 0006 move to
-- `case_petitioners_plain`, and downlink bodies stored before this keep
-- `key_id` NULL. `Store::rekey_personal_data` (run by `fengqiao node` at
-- start and by `fengqiao pii rekey`) seals them under the current key,
-- drops `case_petitioners_plain` and rewrites `downlink_events`
-- (VACUUM FULL) so no plaintext remains in dead tuples.
ALTER TABLE case_petitioners RENAME TO case_petitioners_plain;
ALTER TABLE case_petitioners_plain RENAME CONSTRAINT case_petitioners_pkey TO case_petitioners_plain_pkey;

CREATE TABLE case_petitioners (
    case_id TEXT COLLATE "C" PRIMARY KEY,
    key_id  TEXT NOT NULL,
    sealed  BYTEA NOT NULL
);

ALTER TABLE downlink_events ADD COLUMN key_id TEXT;
