//! Departments (职能部门) on the wire: [`Department`] both ways.

use fengqiao_core::DomainError;
use fengqiao_core::department::{Department, DepartmentId, DeptCode};

use crate::pb;
use crate::scalars::{parse_date, parse_optional_date, parse_unit_id};

impl From<&Department> for pb::Department {
    fn from(department: &Department) -> Self {
        pb::Department {
            department_id: department.id.to_string(),
            unit_id: department.id.unit.to_string(),
            code: department.id.code.to_string(),
            name: department.name.clone(),
            five_in_one: department.five_in_one,
            from: department.from.to_string(),
            until: department.until.map(|d| d.to_string()).unwrap_or_default(),
        }
    }
}

/// A department from the wire; errors name `unit_id`, `code`, `name`,
/// `from` or `until` relative to the department (convert with
/// [`crate::convert_at`]). `department_id` is derived and, when sent, must
/// agree with `unit_id` and `code`.
impl TryFrom<pb::Department> for Department {
    type Error = DomainError;

    fn try_from(department: pb::Department) -> Result<Self, DomainError> {
        let unit = parse_unit_id(&department.unit_id, "unit_id")?;
        let code = DeptCode::parse_field(&department.code, "code")?;
        let id = DepartmentId::new(unit, code);
        if !department.department_id.is_empty() && department.department_id != id.to_string() {
            return Err(DomainError::invalid(
                "department_id",
                fengqiao_core::why!(
                    DEPARTMENT_ID_DISAGREES,
                    "{department_id} disagrees with unit_id and code ({id})",
                    department_id = department.department_id,
                    id = id
                ),
            ));
        }
        let from = parse_date(&department.from, "from")?;
        let until = parse_optional_date(&department.until, "until")?;
        Department::new(id, &department.name, department.five_in_one, from, until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departments_round_trip_and_a_disagreeing_id_is_refused() {
        let unit = fengqiao_core::UnitId::parse("410411").unwrap();
        let from = chrono::NaiveDate::from_ymd_opt(2019, 1, 1).unwrap();
        for department in fengqiao_core::department::standard(&unit, from) {
            let wire = pb::Department::from(&department);
            assert_eq!(Department::try_from(wire).unwrap(), department);
        }
        let mut wire = pb::Department::from(&fengqiao_core::department::standard(&unit, from)[0]);
        wire.department_id = "410411:other".to_owned();
        let refused = Department::try_from(wire).unwrap_err();
        assert!(refused.to_string().contains("department_id"), "{refused}");
    }
}
