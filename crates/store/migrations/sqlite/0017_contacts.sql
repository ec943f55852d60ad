-- Leaders' contact duties (包片) and key projects (重点项目), issue 20.
--
-- A project is a named site or employer lying in a unit; a case names it
-- in its intake (`cases.project_id`, from the case's body). A contact duty
-- gives a leader (a person id, as in their certificate) a township
-- (`unit_id`) or a project (`project_id`) for a dated period: `until_on` is
-- NULL while it lasts, else the last day. `set_by` is the actor (JSON) of
-- whoever set it, from their certificate.
CREATE TABLE projects (
    project_id TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    unit_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    from_on    TEXT NOT NULL,
    until_on   TEXT
);
CREATE INDEX projects_by_unit ON projects (unit_id);

CREATE TABLE contact_duties (
    duty_id    TEXT PRIMARY KEY NOT NULL,
    leader     TEXT NOT NULL,
    unit_id    TEXT,
    project_id TEXT,
    from_on    TEXT NOT NULL,
    until_on   TEXT,
    set_by     TEXT NOT NULL,
    set_at     TEXT NOT NULL,
    CHECK ((unit_id IS NULL) <> (project_id IS NULL))
);
CREATE INDEX contact_duties_by_leader ON contact_duties (leader, from_on);
CREATE INDEX contact_duties_by_unit ON contact_duties (unit_id);
CREATE INDEX contact_duties_by_project ON contact_duties (project_id);

-- The case's project and the person who leads it (包案: the working
-- group's lead, else the assigned leader), refreshed with the projection.
-- Cases stored before take theirs from their bodies (no working group or
-- project existed before this migration).
ALTER TABLE cases ADD COLUMN project_id TEXT;
ALTER TABLE cases ADD COLUMN lead TEXT;
UPDATE cases SET lead = json_extract(body, '$.leader'), project_id = json_extract(body, '$.intake.project');
CREATE INDEX cases_by_project ON cases (project_id);
CREATE INDEX cases_by_lead ON cases (lead);

-- The people of each case's working group (lead and members), refreshed
-- with the projection: whom `GetCase` and `ListCases` let read the case
-- beside its units' people.
CREATE TABLE case_group_members (
    case_id TEXT NOT NULL,
    person  TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    department_id TEXT NOT NULL DEFAULT '',
    is_lead INTEGER NOT NULL,
    PRIMARY KEY (case_id, person, unit_id, department_id)
) WITHOUT ROWID;
CREATE INDEX case_group_members_by_person ON case_group_members (person, unit_id);
