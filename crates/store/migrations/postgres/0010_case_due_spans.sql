-- The days each case stood open with a due date, at which owner: the fold
-- of the case's events as it stood at the end of each day, one row per
-- stretch in which owner and due date stayed the same (`from_on`
-- inclusive, `until_on` exclusive, NULL while it still holds). The
-- `overdue` figure of a range reads the span holding at the range's end,
-- so a case worked later never changes a past range's figure. Rewritten
-- with the case's projection after every new event.
CREATE TABLE case_due_spans (
    case_id    TEXT COLLATE "C" NOT NULL,
    from_on    DATE NOT NULL,
    until_on   DATE,
    owner_unit TEXT COLLATE "C" NOT NULL,
    due_date   DATE NOT NULL,
    PRIMARY KEY (case_id, from_on)
);
CREATE INDEX case_due_spans_by_end ON case_due_spans (until_on);

-- SQL cannot fold events: the store builds the spans of the cases stored
-- before this migration when it next opens the database, and deletes this
-- key in the same transaction.
INSERT INTO node_meta (key, value) VALUES ('case_due_spans_pending', 'true');
