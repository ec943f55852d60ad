//! Who is calling: the identity a verified certificate carries.
//!
//! A deployment's certificates name their holder in one URI subject
//! alternative name:
//!
//! - a node: `fengqiao://node/{unit}` — the unit the node speaks for;
//! - a person: `fengqiao://person/{unit}/{role}/{person}` — their unit, their
//!   role and their own id (a staff number, never a name or ID number);
//! - a department's officer or leader: `fengqiao://dept/{unit}/{code}/{role}/{person}`
//!   — as a person, scoped to one department of the unit (see
//!   [`crate::department`]): they see and work only the cases the
//!   department holds or was assigned.
//!
//! The identity comes only from that name in a certificate the node has
//! verified against the deployment CA; nothing a caller sends in a request
//! changes it.

use crate::why;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::department::{DepartmentId, DeptCode};
use crate::error::DomainError;
use crate::unit::UnitId;

/// The scheme of every identity URI.
pub const SCHEME: &str = "fengqiao://";
/// Longest person id accepted.
pub const MAX_PERSON_ID_LEN: usize = 64;

/// What a person may do, each bounded by their unit's subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Files their own unit's daily reports.
    Reporter,
    /// Registers and works cases; files reports for units below.
    Officer,
    /// Decides cases: everything an officer does, plus acceptance,
    /// assignment, escalation, review and supervision.
    Leader,
    /// Manages the tree below their unit: notices and rosters; reads figures.
    Admin,
    /// Reads figures and cases; changes nothing.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Reporter, Role::Officer, Role::Leader, Role::Admin, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reporter => "reporter",
            Role::Officer => "officer",
            Role::Leader => "leader",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == value)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Identity {
    /// A node speaking for `unit`.
    Node { unit: UnitId },
    /// A person with `role` at `unit`; with `dept`, scoped to that
    /// department of the unit.
    Person {
        id: String,
        unit: UnitId,
        role: Role,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dept: Option<DeptCode>,
    },
}

impl Identity {
    /// A person identity, checking the id.
    pub fn person(id: &str, unit: UnitId, role: Role) -> Result<Identity, DomainError> {
        check_person_id(id, "person")?;
        Ok(Identity::Person { id: id.to_owned(), unit, role, dept: None })
    }

    /// A department's person, checking the id.
    pub fn department_person(
        id: &str,
        department: DepartmentId,
        role: Role,
    ) -> Result<Identity, DomainError> {
        check_person_id(id, "person")?;
        Ok(Identity::Person { id: id.to_owned(), unit: department.unit, role, dept: Some(department.code) })
    }

    /// The department a department's person is scoped to.
    pub fn department(&self) -> Option<DepartmentId> {
        match self {
            Identity::Person { unit, dept: Some(code), .. } => {
                Some(DepartmentId::new(unit.clone(), code.clone()))
            }
            _ => None,
        }
    }

    /// The unit the identity speaks for.
    pub fn unit(&self) -> &UnitId {
        match self {
            Identity::Node { unit } | Identity::Person { unit, .. } => unit,
        }
    }

    /// The role of a person; `None` for a node.
    pub fn role(&self) -> Option<Role> {
        match self {
            Identity::Node { .. } => None,
            Identity::Person { role, .. } => Some(*role),
        }
    }

    /// The URI subject alternative name that carries this identity.
    pub fn to_uri(&self) -> String {
        match self {
            Identity::Node { unit } => format!("{SCHEME}node/{unit}"),
            Identity::Person { id, unit, role, dept: None } => format!("{SCHEME}person/{unit}/{role}/{id}"),
            Identity::Person { id, unit, role, dept: Some(code) } => {
                format!("{SCHEME}dept/{unit}/{code}/{role}/{id}")
            }
        }
    }

    /// Parses an identity URI, as written by [`Identity::to_uri`].
    pub fn from_uri(uri: &str) -> Result<Identity, DomainError> {
        let field = "certificate.uri_san";
        let rest = uri.strip_prefix(SCHEME).ok_or_else(|| {
            DomainError::invalid(field, why!(MUST_START_WITH, "must start with {scheme}", scheme = SCHEME))
        })?;
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            ["node", unit] => Ok(Identity::Node { unit: UnitId::parse_field(unit, field)? }),
            ["person", unit, role, id] | ["dept", unit, _, role, id] => {
                let dept = match parts.as_slice() {
                    ["dept", _, code, ..] => Some(DeptCode::parse_field(code, field)?),
                    _ => None,
                };
                let unit = UnitId::parse_field(unit, field)?;
                let role = Role::parse(role).ok_or_else(|| {
                    DomainError::invalid(
                        field,
                        why!(
                            UNKNOWN_ROLE_EXPECTED_REPORTER_OFFICER_LEADER,
                            "unknown role \"{role}\": expected reporter, officer, leader, admin or auditor",
                            role = role
                        ),
                    )
                })?;
                check_person_id(id, field)?;
                Ok(Identity::Person { id: (*id).to_owned(), unit, role, dept })
            }
            _ => Err(DomainError::invalid(
                field,
                why!(
                    MUST_BE_NODE_PERSON,
                    "must be {scheme}node/{{unit}} or {scheme}person/{{unit}}/{{role}}/{{person}}",
                    scheme = SCHEME
                ),
            )),
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::Node { unit } => write!(f, "node {unit}"),
            Identity::Person { id, unit, role, dept: None } => write!(f, "{role} {id} at {unit}"),
            Identity::Person { id, unit, role, dept: Some(code) } => {
                write!(f, "{role} {id} at {unit}:{code}")
            }
        }
    }
}

/// A person id as a certificate carries it (1 to `MAX_PERSON_ID_LEN` letters, digits, `-`, `_`, `.`),
/// or INVALID_ARGUMENT naming `field`.
pub fn check_person_id(id: &str, field: &str) -> Result<(), DomainError> {
    if id.is_empty() || id.len() > MAX_PERSON_ID_LEN {
        return Err(DomainError::invalid(
            field,
            why!(
                PERSON_ID_MUST_BE_1_CHARACTERS,
                "person id must be 1–{max} characters",
                max = MAX_PERSON_ID_LEN
            ),
        ));
    }
    if !id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
        return Err(DomainError::invalid(
            field,
            why!(
                PERSON_ID_MAY_HOLD_ONLY_LETTERS,
                "person id may hold only letters, digits, '-', '_' and '.'"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: &str) -> UnitId {
        UnitId::parse(id).unwrap()
    }

    #[test]
    fn uris_round_trip() {
        let cases = [
            Identity::Node { unit: unit("410411001") },
            Identity::person("staff-0042", unit("410411"), Role::Leader).unwrap(),
            Identity::department_person("hr-007", DepartmentId::parse("410411:hrss").unwrap(), Role::Officer)
                .unwrap(),
        ];
        for identity in cases {
            assert_eq!(Identity::from_uri(&identity.to_uri()).unwrap(), identity);
        }
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }

    #[test]
    fn malformed_uris_are_refused() {
        for bad in [
            "",
            "https://node/410411",
            "fengqiao://node/",
            "fengqiao://node/410411/extra",
            "fengqiao://node/4104 11",
            "fengqiao://person/410411/mayor/p1",
            "fengqiao://person/410411/leader/",
            "fengqiao://person/410411/leader/p 1",
            "fengqiao://person/410411/leader",
            "fengqiao://robot/410411",
        ] {
            let error = Identity::from_uri(bad).unwrap_err();
            assert!(
                matches!(error, DomainError::Invalid { ref field, .. } if field == "certificate.uri_san"),
                "{bad}: {error}"
            );
        }
    }
}
