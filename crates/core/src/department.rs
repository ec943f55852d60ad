//! Functional departments (职能部门) of a unit: who a case can be
//! transferred (转办) or assigned (交办) to besides the units of the tree.
//!
//! A department belongs to one unit (usually the district) and is dated like
//! a unit. Its id is `{unit}:{code}` (`410411:hrss`). The node serving the
//! unit serves its departments: a case a department holds keeps the
//! department's unit as its owner, so the same node keeps writing it.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::unit::UnitId;
use crate::why;

/// Longest department code.
pub const MAX_CODE_LEN: usize = 32;
/// Longest department name, in characters.
pub const MAX_NAME_CHARS: usize = 60;

/// A department's code within its unit: lowercase ASCII letters, digits and
/// `_` (`hrss`, `petitions`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeptCode(String);

impl DeptCode {
    pub fn parse_field(value: &str, field: &str) -> Result<Self, DomainError> {
        if value.is_empty() || value.len() > MAX_CODE_LEN {
            return Err(DomainError::invalid(
                field,
                why!(DEPARTMENT_CODE_LENGTH, "a department code is 1–{max} characters", max = MAX_CODE_LEN),
            ));
        }
        if !value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(DomainError::invalid(
                field,
                why!(
                    DEPARTMENT_CODE_CHARACTERS,
                    "a department code holds only lowercase letters, digits and '_'"
                ),
            ));
        }
        Ok(DeptCode(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DeptCode {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        DeptCode::parse_field(&value, "department.code")
    }
}

impl From<DeptCode> for String {
    fn from(code: DeptCode) -> String {
        code.0
    }
}

impl fmt::Display for DeptCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A department's id: its unit and code, written `{unit}:{code}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DepartmentId {
    pub unit: UnitId,
    pub code: DeptCode,
}

impl DepartmentId {
    pub fn new(unit: UnitId, code: DeptCode) -> Self {
        DepartmentId { unit, code }
    }

    /// Parses `{unit}:{code}`, naming `field` in the error.
    pub fn parse_field(value: &str, field: &str) -> Result<Self, DomainError> {
        let Some((unit, code)) = value.split_once(':') else {
            return Err(DomainError::invalid(
                field,
                why!(DEPARTMENT_ID_SHAPE, "a department id is {{unit}}:{{code}}, like 410411:hrss"),
            ));
        };
        Ok(DepartmentId {
            unit: UnitId::parse_field(unit, field)?,
            code: DeptCode::parse_field(code, field)?,
        })
    }

    pub fn parse(value: &str) -> Result<Self, DomainError> {
        Self::parse_field(value, "department_id")
    }
}

impl FromStr for DepartmentId {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DepartmentId::parse(s)
    }
}

impl TryFrom<String> for DepartmentId {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        DepartmentId::parse(&value)
    }
}

impl From<DepartmentId> for String {
    fn from(id: DepartmentId) -> String {
        id.to_string()
    }
}

impl fmt::Display for DepartmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.unit, self.code)
    }
}

/// A department as the departments file gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub id: DepartmentId,
    pub name: String,
    /// One of the five of 五位一体.
    pub five_in_one: bool,
    pub from: NaiveDate,
    /// The last day it existed; `None` while it exists.
    pub until: Option<NaiveDate>,
}

impl Department {
    /// Checks a department read from a file or the wire.
    pub fn new(
        id: DepartmentId,
        name: &str,
        five_in_one: bool,
        from: NaiveDate,
        until: Option<NaiveDate>,
    ) -> Result<Self, DomainError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(DomainError::invalid(
                "department.name",
                why!(DEPARTMENT_NAME_LENGTH, "a department name is 1–{max} characters", max = MAX_NAME_CHARS),
            ));
        }
        if let Some(until) = until
            && until < from
        {
            return Err(DomainError::invalid(
                "department.until",
                why!(
                    DEPARTMENT_ENDS_BEFORE_IT_STARTS,
                    "ends ({until}) before it starts ({from})",
                    until = until,
                    from = from
                ),
            ));
        }
        Ok(Department { id, name: name.to_owned(), five_in_one, from, until })
    }

    /// Whether it exists on `day`.
    pub fn exists_on(&self, day: NaiveDate) -> bool {
        self.from <= day && self.until.is_none_or(|until| day <= until)
    }
}

/// The departments a district has unless its departments file says
/// otherwise: the five of 五位一体 (discipline inspection, petitions, civil
/// affairs, justice, comprehensive governance) and the usual line
/// departments that take disputes. Codes and Chinese names.
pub const STANDARD: [(&str, &str, bool); 10] = [
    ("discipline", "区纪委监委", true),
    ("petitions", "区信访局", true),
    ("civil_affairs", "区民政局", true),
    ("justice", "区司法局", true),
    ("governance", "区委政法委（综治中心）", true),
    ("hrss", "区人力资源和社会保障局", false),
    ("housing", "区住房和城乡建设局", false),
    ("natural_resources", "区自然资源局", false),
    ("public_security", "区公安分局", false),
    ("market", "区市场监督管理局", false),
];

/// The standard departments of `unit`, existing from `from`.
pub fn standard(unit: &UnitId, from: NaiveDate) -> Vec<Department> {
    STANDARD
        .iter()
        .map(|(code, name, five)| Department {
            id: DepartmentId::new(unit.clone(), DeptCode(code.to_string())),
            name: (*name).to_owned(),
            five_in_one: *five,
            from,
            until: None,
        })
        .collect()
}

/// The departments known to a node, with their dates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Departments {
    all: Vec<Department>,
}

impl Departments {
    /// Refuses two entries with the same id whose dates overlap.
    pub fn new(mut all: Vec<Department>) -> Result<Self, DomainError> {
        all.sort_by(|a, b| (&a.id, a.from).cmp(&(&b.id, b.from)));
        for pair in all.windows(2) {
            if pair[0].id == pair[1].id && pair[0].until.is_none_or(|until| until >= pair[1].from) {
                return Err(DomainError::invalid(
                    "departments",
                    why!(
                        DEPARTMENT_DATES_OVERLAP,
                        "department {id} is listed twice for overlapping dates",
                        id = pair[0].id
                    ),
                ));
            }
        }
        Ok(Departments { all })
    }

    /// The department `id` as it stood on `day`.
    pub fn get(&self, id: &DepartmentId, day: NaiveDate) -> Option<&Department> {
        self.all.iter().find(|d| &d.id == id && d.exists_on(day))
    }

    /// The department `id` at any date (its latest entry).
    pub fn latest(&self, id: &DepartmentId) -> Option<&Department> {
        self.all.iter().rev().find(|d| &d.id == id)
    }

    /// The departments of `unit` on `day`, in code order.
    pub fn of_unit(&self, unit: &UnitId, day: NaiveDate) -> Vec<&Department> {
        self.all.iter().filter(|d| &d.id.unit == unit && d.exists_on(day)).collect()
    }

    /// Every entry.
    pub fn all(&self) -> &[Department] {
        &self.all
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Parses the departments file: a CSV with the header
    /// `unit_id,code,name,five_in_one,from,until` (`five_in_one` is
    /// `true`/`false`; dates `YYYY-MM-DD`, `until` empty while the department
    /// exists). Errors name the line and column.
    pub fn from_csv(text: &str) -> Result<Self, DomainError> {
        #[derive(Deserialize)]
        struct Row {
            unit_id: String,
            code: String,
            name: String,
            #[serde(default)]
            five_in_one: Option<String>,
            from: String,
            #[serde(default)]
            until: Option<String>,
        }
        let mut reader =
            csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
        let mut all = Vec::new();
        for (line, row) in reader.deserialize::<Row>().enumerate() {
            let field = |name: &str| format!("departments line {}: {name}", line + 2);
            let row = row.map_err(|error| {
                DomainError::invalid(field("row"), why!(DEPARTMENTS_ROW_UNREADABLE, "{error}", error = error))
            })?;
            let unit = UnitId::parse_field(&row.unit_id, &field("unit_id"))?;
            let code = DeptCode::parse_field(&row.code, &field("code"))?;
            let five_in_one = match row.five_in_one.as_deref().unwrap_or("") {
                "" | "false" | "0" => false,
                "true" | "1" => true,
                _ => {
                    return Err(DomainError::invalid(
                        field("five_in_one"),
                        why!(MUST_BE_TRUE_FALSE, "must be true or false"),
                    ));
                }
            };
            let from = crate::time::parse_date(&row.from, &field("from"))?;
            let until = match row.until.as_deref().unwrap_or("") {
                "" => None,
                text => Some(crate::time::parse_date(text, &field("until"))?),
            };
            let department =
                Department::new(DepartmentId::new(unit, code), &row.name, five_in_one, from, until).map_err(
                    |error| match error {
                        DomainError::Invalid { field: name, reason } => DomainError::Invalid {
                            field: field(name.trim_start_matches("department.")),
                            reason,
                        },
                        other => other,
                    },
                )?;
            all.push(department);
        }
        Departments::new(all)
    }

    /// Writes the departments in the format [`Departments::from_csv`] reads.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("unit_id,code,name,five_in_one,from,until\n");
        for d in &self.all {
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                d.id.unit,
                d.id.code,
                d.name,
                d.five_in_one,
                d.from,
                d.until.map(|u| u.to_string()).unwrap_or_default()
            ));
        }
        out
    }

    /// The entries of the units `keep` accepts (a child node's subtree).
    pub fn restricted(&self, keep: impl Fn(&UnitId) -> bool) -> Departments {
        Departments { all: self.all.iter().filter(|d| keep(&d.id.unit)).cloned().collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn ids_round_trip_and_bad_ones_are_refused() {
        let id = DepartmentId::parse("410411:hrss").unwrap();
        assert_eq!(id.to_string(), "410411:hrss");
        assert_eq!(id.unit.as_str(), "410411");
        for bad in ["410411", ":hrss", "410411:", "410411:HRSS", "410411:hr ss", "a:b:c"] {
            assert!(DepartmentId::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn the_departments_file_is_read_and_bad_lines_are_named() {
        let text = "unit_id,code,name,five_in_one,from,until\n\
                    410411,hrss,区人力资源和社会保障局,false,2019-01-01,\n\
                    410411,petitions,区信访局,true,2019-01-01,2020-12-31\n";
        let set = Departments::from_csv(text).unwrap();
        assert_eq!(set.all().len(), 2);
        let petitions = DepartmentId::parse("410411:petitions").unwrap();
        assert!(set.get(&petitions, day("2020-12-31")).unwrap().five_in_one);
        assert!(set.get(&petitions, day("2021-01-01")).is_none());
        assert_eq!(Departments::from_csv(&set.to_csv()).unwrap(), set);
        let bad = "unit_id,code,name,five_in_one,from,until\n410411,HRSS,x,false,2019-01-01,\n";
        let refused = Departments::from_csv(bad).unwrap_err().to_string();
        assert!(refused.contains("departments line 2: code"), "{refused}");
        let bad = "unit_id,code,name,five_in_one,from,until\n410411,hrss,x,maybe,2019-01-01,\n";
        assert!(Departments::from_csv(bad).unwrap_err().to_string().contains("five_in_one"));
        let bad = "unit_id,code,name,five_in_one,from,until\n410411,hrss,x,false,2019-01-01,2018-01-01\n";
        assert!(Departments::from_csv(bad).unwrap_err().to_string().contains("line 2: until"));
    }

    #[test]
    fn the_zhanhe_example_file_reads() {
        let set =
            Departments::from_csv(include_str!("../../../deploy/zhanhe-410411-departments.csv")).unwrap();
        let district = UnitId::parse("410411").unwrap();
        let codes: Vec<_> =
            set.of_unit(&district, day("2024-01-01")).iter().map(|d| d.id.code.to_string()).collect();
        let standard: Vec<_> = STANDARD.iter().map(|(code, _, _)| code.to_string()).collect();
        assert_eq!(codes.len(), standard.len());
        assert!(standard.iter().all(|code| codes.contains(code)), "{codes:?}");
        assert_eq!(set.of_unit(&district, day("2024-01-01")).iter().filter(|d| d.five_in_one).count(), 5);
    }

    #[test]
    fn departments_are_dated_and_overlaps_refused() {
        let unit = UnitId::parse("410411").unwrap();
        let mut all = standard(&unit, day("2019-01-01"));
        let hrss = DepartmentId::parse("410411:hrss").unwrap();
        all.iter_mut().find(|d| d.id == hrss).unwrap().until = Some(day("2020-12-31"));
        let set = Departments::new(all.clone()).unwrap();
        assert!(set.get(&hrss, day("2020-12-31")).is_some());
        assert!(set.get(&hrss, day("2021-01-01")).is_none());
        assert_eq!(set.of_unit(&unit, day("2021-01-01")).len(), 9);
        let mut twice = all;
        twice.push(Department::new(hrss, "x", false, day("2020-06-01"), None).unwrap());
        assert!(Departments::new(twice).is_err());
    }
}
