-- Who issued a notice, as the issuing node established it: the verified
-- person (unit, role, person id, display name) or the insecure mode's
-- unverified text, as the JSON of `fengqiao_core::actor::Actor`. NULL on
-- notices stored before senders were recorded.
--
-- `supervisions.actor` (0006) keeps its column: it now holds the same JSON;
-- a plain string stored before reads back as unverified text.
ALTER TABLE notices ADD COLUMN sender TEXT;
