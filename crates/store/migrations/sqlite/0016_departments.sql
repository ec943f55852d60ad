-- Departments (职能部门): which cases involve which department of a unit,
-- rewritten with each case's projection (like `case_due_spans`). A row for
-- every department that holds the case (转办), was assigned it (交办) or
-- held it once; `involved` is true for the first two: what ListCases with
-- `department_id` and a department's own people read. The departments'
-- figures fold the events of the cases of a unit's departments (`unit_id`).
-- Cases stored before this migration carry no department events (the
-- events are new with it), so there is nothing to build.
CREATE TABLE case_departments (
    department TEXT NOT NULL,
    case_id    TEXT NOT NULL,
    unit_id    TEXT NOT NULL,
    involved   INTEGER NOT NULL,
    PRIMARY KEY (department, case_id)
) WITHOUT ROWID;
CREATE INDEX case_departments_by_case ON case_departments (case_id);
CREATE INDEX case_departments_by_unit ON case_departments (unit_id, case_id);
