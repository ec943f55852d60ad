-- The case ledger. A case is its event log (`case_events`); `cases` is the
-- projection, rewritten after every new event: the fold of the case's
-- longest gap-free, legal prefix of events, as query columns plus the whole
-- case as JSON. Bodies are `serde_json` text, not JSONB, so a resent event
-- compares byte for byte with the stored one. Case ids compare bytewise
-- (COLLATE "C"), as in SQLite.
--
-- The outbox (0002) also carries case events: kind 'case_event' points at
-- the case_events row (case_id = outbox.unit_id, seq = outbox.revision);
-- item_date is the event's day and accepted_at its time.

-- One row per (case, sequence). `on_time` and `satisfaction` are the
-- figure facts of an event once it is folded into the projection
-- (`accepted`: within the acceptance deadline; `closed`: resolved by the
-- deadline, and the petitioner's satisfaction); NULL before, and for other
-- kinds.
CREATE TABLE case_events (
    case_id      TEXT COLLATE "C" NOT NULL,
    seq          BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    unit_id      TEXT COLLATE "C" NOT NULL,
    on_date      DATE NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    on_time      BOOLEAN,
    satisfaction TEXT,
    body         TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE INDEX case_events_by_day ON case_events (on_date, kind);

-- The projection of each case whose first event is stored. `due_date` is
-- the next step's due date while open, the last handling deadline once
-- resolved, NULL when declined.
CREATE TABLE cases (
    case_id        TEXT COLLATE "C" PRIMARY KEY,
    origin_unit    TEXT COLLATE "C" NOT NULL,
    owner_unit     TEXT COLLATE "C" NOT NULL,
    status         TEXT NOT NULL,
    category       TEXT NOT NULL,
    channel        TEXT NOT NULL,
    petitioner_ref TEXT,
    repeat         BOOLEAN NOT NULL,
    registered_at  TIMESTAMPTZ NOT NULL,
    registered_on  DATE NOT NULL,
    accepted_on    DATE,
    due_date       DATE,
    resolved_on    DATE,
    closed_on      DATE,
    seq            BIGINT NOT NULL,
    body           TEXT NOT NULL
);
CREATE INDEX cases_by_registration_day ON cases (registered_on);
-- Listings page newest first by (registered_at, case_id).
CREATE INDEX cases_by_registration ON cases (registered_at, case_id);
CREATE INDEX cases_by_petitioner ON cases (petitioner_ref, category, registered_on);
CREATE INDEX cases_by_owner ON cases (owner_unit);
CREATE INDEX cases_by_due_date ON cases (status, due_date);

-- A petitioner's personal data, kept only at the node holding the case.
CREATE TABLE case_petitioners (
    case_id   TEXT COLLATE "C" PRIMARY KEY,
    name      TEXT NOT NULL,
    phone     TEXT NOT NULL,
    id_number TEXT NOT NULL
);

-- Supervision notices (督办) issued here or received; keyed by the issuer's
-- id, so a replayed notice changes nothing.
CREATE TABLE supervisions (
    supervision_id TEXT COLLATE "C" PRIMARY KEY,
    case_id        TEXT COLLATE "C" NOT NULL,
    from_unit_id   TEXT COLLATE "C" NOT NULL,
    to_unit_id     TEXT COLLATE "C" NOT NULL,
    kind           TEXT NOT NULL,
    reply_by       DATE NOT NULL,
    text           TEXT NOT NULL,
    actor          TEXT NOT NULL,
    issued_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX supervisions_by_case ON supervisions (case_id, issued_at);

-- The leader on duty (领导接访) per unit and day.
CREATE TABLE roster (
    unit_id   TEXT COLLATE "C" NOT NULL,
    duty_date DATE NOT NULL,
    leader    TEXT NOT NULL,
    PRIMARY KEY (unit_id, duty_date)
);
