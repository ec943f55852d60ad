//! Who did what the ledger records: a case event's actor, the sender of a
//! notice or a supervision notice, a report's reporter.
//!
//! The actor is taken from the caller the transport established, never from
//! what a request says:
//!
//! - over mTLS, a person is the identity of their verified certificate (unit,
//!   role, person id) and the display name the certificate carries, if any
//!   ([`Actor::Person`]);
//! - a node acting by itself (automatic escalation, repeat detection, a
//!   supervision notice relayed down to the case's owner) is the node of its
//!   unit with the task it did ([`Actor::Node`]);
//! - on a plaintext (`--insecure`) loopback node nobody is verified: the free
//!   text the caller typed is kept, flagged as such ([`Actor::Unverified`]).
//!
//! A request may still state an actor (the `actor` field of the wire, kept
//! for old clients): over mTLS it must be the caller's own person id, and a
//! request naming anybody else is refused ([`recorded`] returns
//! [`Refusal::Denied`]). The one way to record somebody else is *on behalf
//! of* ([`Principal`]): an officer typing up a leader's decision is recorded
//! as both — who typed it, verified, and on whose behalf, as stated. Acting
//! on behalf of somebody lends none of their authority: the call is
//! authorized by the caller's own role.
//!
//! Display names (王书记) are labels, separate from ids: any script, at most
//! [`MAX_DISPLAY_NAME_CHARS`] characters, no control characters.
//!
//! **Stored events before actors were structured** hold a plain string
//! (`"actor": "officer-7"`). It deserializes as [`Actor::Unverified`] with
//! that text — which is what it was: free text nobody verified.

use crate::why;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::authz::Denied;
use crate::department::DeptCode;
use crate::error::DomainError;
use crate::identity::{Identity, Role, check_person_id};
use crate::unit::UnitId;

/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 50;
/// Longest free-text actor of the insecure local mode, in characters.
pub const MAX_UNVERIFIED_CHARS: usize = 64;
/// What the wire's legacy `actor` text says for a node acting by itself.
pub const NODE_ACTOR_TEXT: &str = "system";
/// What the wire's legacy `actor` text says for the insecure local operator
/// who typed no name.
pub const INSECURE_ACTOR_TEXT: &str = "insecure";

/// A person's name as people read it (王书记): any script, trimmed, 1 to
/// [`MAX_DISPLAY_NAME_CHARS`] characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse_field(value: &str, field: &str) -> Result<DisplayName, DomainError> {
        check_free_text(value, field, MAX_DISPLAY_NAME_CHARS)?;
        Ok(DisplayName(value.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DisplayName {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        DisplayName::parse_field(&value, "name")
    }
}

impl From<DisplayName> for String {
    fn from(name: DisplayName) -> String {
        name.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A short free text: not blank, at most `max` characters, no control
/// characters (a line break included).
fn check_free_text(value: &str, field: &str, max: usize) -> Result<(), DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::invalid(field, why!(MUST_NOT_BE_EMPTY, "must not be empty")));
    }
    if trimmed.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            why!(MUST_BE_AT_MOST_CHARACTERS, "must be at most {max} characters", max = max),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            field,
            why!(MUST_NOT_CONTAIN_CONTROL_CHARACTERS, "must not contain control characters"),
        ));
    }
    Ok(())
}

/// Whom a caller acted for, as the request stated it — not verified: an
/// officer typing up a leader's decision names the leader here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The person's id (a staff number, as in certificates).
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DisplayName>,
}

impl Principal {
    /// A principal, checking the id; errors name `path.person_id` (just
    /// `person_id` when `path` is empty).
    pub fn new(id: &str, name: Option<DisplayName>, path: &str) -> Result<Principal, DomainError> {
        let field = if path.is_empty() { "person_id".to_owned() } else { format!("{path}.person_id") };
        check_person_id(id, &field)?;
        Ok(Principal { id: id.to_owned(), name })
    }

    fn validate(&self, path: &str) -> Result<(), DomainError> {
        check_person_id(&self.id, &format!("{path}.person_id"))?;
        if let Some(name) = &self.name {
            DisplayName::parse_field(name.as_str(), &format!("{path}.display_name"))?;
        }
        Ok(())
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)?;
        if let Some(name) = &self.name {
            write!(f, " ({name})")?;
        }
        Ok(())
    }
}

/// What a node did by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeTask {
    /// Escalated a case overdue for the configured number of days.
    AutoEscalation,
    /// Found a repeat petition over its subtree.
    RepeatDetection,
    /// Issued a supervision notice (督办) on the case; the person who wrote
    /// it is the notice's sender.
    Supervision,
    /// Recorded the petitioner's own rating, given through the public
    /// tracker (阳光信访): the petitioner rated, not staff.
    PublicTracker,
}

impl NodeTask {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeTask::AutoEscalation => "auto_escalation",
            NodeTask::RepeatDetection => "repeat_detection",
            NodeTask::Supervision => "supervision",
            NodeTask::PublicTracker => "public_tracker",
        }
    }

    pub fn parse(value: &str) -> Option<NodeTask> {
        [NodeTask::AutoEscalation, NodeTask::RepeatDetection, NodeTask::Supervision, NodeTask::PublicTracker]
            .into_iter()
            .find(|task| task.as_str() == value)
    }
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", from = "StoredActor")]
pub enum Actor {
    /// A person, as their verified certificate names them.
    Person {
        unit: UnitId,
        role: Role,
        id: String,
        /// The display name the certificate carries.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<DisplayName>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_behalf_of: Option<Principal>,
        /// The department the person acted for, when their certificate is
        /// a department's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        department: Option<DeptCode>,
    },
    /// A node acting by itself.
    Node { unit: UnitId, task: NodeTask },
    /// The caller of a plaintext loopback node: nobody verified it. `text`
    /// is what the caller typed, if anything.
    Unverified {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_behalf_of: Option<Principal>,
    },
}

/// How an actor is read back: a plain string (stored before actors were
/// structured), else the tagged form [`Actor`] writes.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredActor {
    Legacy(String),
    Tagged(TaggedActor),
}

/// The tagged form, field for field as [`Actor`] serializes it.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum TaggedActor {
    Person {
        unit: UnitId,
        role: Role,
        id: String,
        #[serde(default)]
        name: Option<DisplayName>,
        #[serde(default)]
        on_behalf_of: Option<Principal>,
        #[serde(default)]
        department: Option<DeptCode>,
    },
    Node {
        unit: UnitId,
        task: NodeTask,
    },
    Unverified {
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        on_behalf_of: Option<Principal>,
    },
}

impl From<StoredActor> for Actor {
    fn from(stored: StoredActor) -> Actor {
        match stored {
            StoredActor::Legacy(text) => Actor::Unverified { text: Some(text), on_behalf_of: None },
            StoredActor::Tagged(TaggedActor::Person { unit, role, id, name, on_behalf_of, department }) => {
                Actor::Person { unit, role, id, name, on_behalf_of, department }
            }
            StoredActor::Tagged(TaggedActor::Node { unit, task }) => Actor::Node { unit, task },
            StoredActor::Tagged(TaggedActor::Unverified { text, on_behalf_of }) => {
                Actor::Unverified { text, on_behalf_of }
            }
        }
    }
}

impl Actor {
    /// A node acting by itself.
    pub fn node(unit: UnitId, task: NodeTask) -> Actor {
        Actor::Node { unit, task }
    }

    /// Checks an actor a node received from elsewhere (an event, a notice);
    /// errors name fields below `path`.
    pub fn validate(&self, path: &str) -> Result<(), DomainError> {
        let principal = match self {
            Actor::Person { id, name, on_behalf_of, .. } => {
                check_person_id(id, &format!("{path}.person_id"))?;
                if let Some(name) = name {
                    DisplayName::parse_field(name.as_str(), &format!("{path}.display_name"))?;
                }
                on_behalf_of
            }
            Actor::Node { .. } => &None,
            Actor::Unverified { text, on_behalf_of } => {
                if let Some(text) = text {
                    check_free_text(text, &format!("{path}.text"), MAX_UNVERIFIED_CHARS)?;
                }
                on_behalf_of
            }
        };
        if let Some(principal) = principal {
            principal.validate(&format!("{path}.on_behalf_of"))?;
        }
        Ok(())
    }

    /// Whether the transport verified who this is (a person's certificate
    /// or the node itself).
    pub fn is_verified(&self) -> bool {
        !matches!(self, Actor::Unverified { .. })
    }

    /// Whom the actor stated they acted for.
    pub fn on_behalf_of(&self) -> Option<&Principal> {
        match self {
            Actor::Person { on_behalf_of, .. } | Actor::Unverified { on_behalf_of, .. } => {
                on_behalf_of.as_ref()
            }
            Actor::Node { .. } => None,
        }
    }

    /// The one-word text the wire's legacy `actor` field carries: a
    /// person's id, `system` for a node, the insecure mode's text (or
    /// `insecure`).
    pub fn legacy_text(&self) -> String {
        match self {
            Actor::Person { id, .. } => id.clone(),
            Actor::Node { .. } => NODE_ACTOR_TEXT.to_owned(),
            Actor::Unverified { text, .. } => text.clone().unwrap_or_else(|| INSECURE_ACTOR_TEXT.to_owned()),
        }
    }

    /// How a person is named in the case record (a visit's responsible
    /// person): the display name, else the id.
    pub fn label(&self) -> String {
        match self {
            Actor::Person { name: Some(name), .. } => name.to_string(),
            other => other.legacy_text(),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Person { unit, role, id, name, department, .. } => {
                write!(f, "{role} {id} at {unit}")?;
                if let Some(code) = department {
                    write!(f, ":{code}")?;
                }
                if let Some(name) = name {
                    write!(f, " ({name})")?;
                }
            }
            Actor::Node { unit, task } => write!(f, "node {unit} ({})", task.as_str())?,
            Actor::Unverified { text: Some(text), .. } => write!(f, "{text} (unverified)")?,
            Actor::Unverified { text: None, .. } => f.write_str("insecure local operator (unverified)")?,
        }
        if let Some(principal) = self.on_behalf_of() {
            write!(f, " on behalf of {principal}")?;
        }
        Ok(())
    }
}

/// The caller as the transport established it.
#[derive(Debug, Clone, Copy)]
pub enum Acting<'a> {
    /// A verified certificate: its identity and its display name, if any.
    Verified { identity: &'a Identity, name: Option<&'a DisplayName> },
    /// A plaintext loopback node's caller.
    Insecure,
}

/// Why a request's statement of who acts is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Malformed: INVALID_ARGUMENT naming the field.
    Invalid(DomainError),
    /// It names somebody other than the caller: PERMISSION_DENIED.
    Denied(Denied),
}

impl From<DomainError> for Refusal {
    fn from(error: DomainError) -> Refusal {
        Refusal::Invalid(error)
    }
}

/// Checks the id a request states for its caller (`field`: the wire's
/// `actor`, a report's `reporter`): empty, or the caller's own person id
/// (or identity URI). Returns the person's identity parts.
fn own_person<'a>(
    identity: &'a Identity,
    stated: &str,
    field: &str,
) -> Result<(&'a UnitId, Role, &'a str), Refusal> {
    let Identity::Person { id, unit, role, .. } = identity else {
        return Err(Refusal::Denied(Denied {
            reason: why!(
                NODE_DOES_NOT_ACT_AS_PERSON,
                "a node ({identity}) does not act as a person",
                identity = identity
            ),
        }));
    };
    let stated = stated.trim();
    if !stated.is_empty() && stated != id && stated != identity.to_uri() {
        return Err(Refusal::Denied(Denied {
            reason: why!(
                ACTOR_NOT_CALLER,
                "{field} must be the caller's own person id or left empty: the actor is taken from the \
                 client certificate ({identity}); to record a decision somebody else made, name them in \
                 on_behalf_of",
                field = field,
                identity = identity
            ),
        }));
    }
    Ok((unit, *role, id))
}

/// The actor to record for a request of `acting` that states `stated` (the
/// wire's `actor` field: a person id, the insecure mode's free text, or
/// empty) and, optionally, whom it acts for. Over mTLS a stated actor other
/// than the caller is [`Refusal::Denied`]; on behalf of oneself is invalid.
/// `field` names the stated actor's field (`actor`).
pub fn recorded(
    acting: Acting<'_>,
    stated: &str,
    on_behalf_of: Option<Principal>,
    field: &str,
) -> Result<Actor, Refusal> {
    match acting {
        Acting::Verified { identity, name } => {
            let (unit, role, id) = own_person(identity, stated, field)?;
            if on_behalf_of.as_ref().is_some_and(|principal| principal.id == id) {
                return Err(DomainError::invalid(
                    "on_behalf_of.person_id",
                    why!(
                        NAMES_CALLER_LEAVE_ON_BEHALF_EMPTY,
                        "names the caller: leave on_behalf_of empty to act as yourself"
                    ),
                )
                .into());
            }
            Ok(Actor::Person {
                unit: unit.clone(),
                role,
                id: id.to_owned(),
                name: name.cloned(),
                on_behalf_of,
                department: identity.department().map(|d| d.code),
            })
        }
        Acting::Insecure => {
            let text = match stated.trim() {
                "" => None,
                text => {
                    check_free_text(text, field, MAX_UNVERIFIED_CHARS)?;
                    Some(text.to_owned())
                }
            };
            Ok(Actor::Unverified { text, on_behalf_of })
        }
    }
}

/// The reporter a report is filed under: over mTLS the caller's person id
/// (the request's `reporter` must be empty or that id); on an insecure node
/// what the request says (the report's own checks then apply: it must name
/// somebody). A report has no room for the unverified marker: on a
/// plaintext node its reporter is the text as typed, as before.
pub fn reporter(acting: Acting<'_>, stated: &str, field: &str) -> Result<String, Refusal> {
    match acting {
        Acting::Verified { identity, .. } => {
            own_person(identity, stated, field).map(|(_, _, id)| id.to_owned())
        }
        Acting::Insecure => Ok(stated.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: &str) -> UnitId {
        UnitId::parse(id).unwrap()
    }

    fn officer() -> Identity {
        Identity::person("off-3", unit("410411001"), Role::Officer).unwrap()
    }

    fn name(text: &str) -> DisplayName {
        DisplayName::parse_field(text, "name").unwrap()
    }

    fn verified<'a>(identity: &'a Identity, name: Option<&'a DisplayName>) -> Acting<'a> {
        Acting::Verified { identity, name }
    }

    #[test]
    fn a_verified_caller_is_recorded_from_the_certificate() {
        let identity = officer();
        let li = name("李干事");
        for stated in ["", "off-3", " off-3 ", "fengqiao://person/410411001/officer/off-3"] {
            let actor = recorded(verified(&identity, Some(&li)), stated, None, "actor").unwrap();
            assert_eq!(
                actor,
                Actor::Person {
                    unit: unit("410411001"),
                    role: Role::Officer,
                    id: "off-3".into(),
                    name: Some(li.clone()),
                    on_behalf_of: None,
                    department: None,
                },
                "{stated:?}"
            );
            assert!(actor.is_verified());
        }
        assert_eq!(
            recorded(verified(&identity, Some(&li)), "", None, "actor").unwrap().to_string(),
            "officer off-3 at 410411001 (李干事)"
        );
    }

    #[test]
    fn naming_somebody_else_is_denied_and_on_behalf_of_is_recorded_as_both() {
        let identity = officer();
        for stated in ["lead-1", "fengqiao://person/410411001/leader/off-3", "off-33"] {
            let refused = recorded(verified(&identity, None), stated, None, "actor").unwrap_err();
            let Refusal::Denied(denied) = refused else { panic!("{stated}: {refused:?}") };
            assert!(denied.reason.text.contains("on_behalf_of"), "{}", denied.reason);
            assert!(!denied.reason.text.contains(stated), "the denial does not echo the request");
        }
        let leader = Principal::new("lead-1", Some(name("王书记")), "on_behalf_of").unwrap();
        let actor = recorded(verified(&identity, None), "", Some(leader.clone()), "actor").unwrap();
        assert_eq!(actor.on_behalf_of(), Some(&leader));
        assert_eq!(actor.to_string(), "officer off-3 at 410411001 on behalf of lead-1 (王书记)");
        // On behalf of oneself says nothing: refused as invalid.
        let me = Principal::new("off-3", None, "on_behalf_of").unwrap();
        assert!(matches!(
            recorded(verified(&identity, None), "", Some(me), "actor"),
            Err(Refusal::Invalid(DomainError::Invalid { field, .. })) if field == "on_behalf_of.person_id"
        ));
        // A node acts as no person.
        let node = Identity::Node { unit: unit("410411001") };
        assert!(matches!(recorded(verified(&node, None), "", None, "actor"), Err(Refusal::Denied(_))));
    }

    #[test]
    fn the_insecure_mode_keeps_free_text_flagged_unverified() {
        let actor = recorded(Acting::Insecure, "张三", None, "actor").unwrap();
        assert_eq!(actor, Actor::Unverified { text: Some("张三".into()), on_behalf_of: None });
        assert!(!actor.is_verified());
        assert_eq!(actor.to_string(), "张三 (unverified)");
        let nobody = recorded(Acting::Insecure, "", None, "actor").unwrap();
        assert_eq!(nobody.legacy_text(), "insecure");
        for bad in ["a\u{7}b", &"x".repeat(65)] {
            assert!(matches!(
                recorded(Acting::Insecure, bad, None, "actor"),
                Err(Refusal::Invalid(DomainError::Invalid { field, .. })) if field == "actor"
            ));
        }
    }

    #[test]
    fn a_report_is_filed_under_the_certificate() {
        let identity = officer();
        assert_eq!(reporter(verified(&identity, None), "", "report.reporter").unwrap(), "off-3");
        assert_eq!(reporter(verified(&identity, None), "off-3", "report.reporter").unwrap(), "off-3");
        assert!(matches!(reporter(verified(&identity, None), "officer-7", "r"), Err(Refusal::Denied(_))));
        assert_eq!(reporter(Acting::Insecure, "officer-7", "r").unwrap(), "officer-7");
        assert_eq!(reporter(Acting::Insecure, "", "r").unwrap(), "", "left to the report's own checks");
    }

    #[test]
    fn display_names_are_bounded_labels_in_any_script() {
        assert_eq!(name("  王书记 ").as_str(), "王书记");
        assert!(DisplayName::parse_field(&"王".repeat(MAX_DISPLAY_NAME_CHARS), "n").is_ok());
        for bad in ["", "   ", "王\n书记", "a\u{0}b"] {
            assert!(DisplayName::parse_field(bad, "n").is_err(), "{bad:?}");
        }
        assert!(DisplayName::parse_field(&"王".repeat(MAX_DISPLAY_NAME_CHARS + 1), "n").is_err());
    }

    #[test]
    fn old_plain_string_actors_read_back_as_unverified_text() {
        let old: Actor = serde_json::from_str("\"officer-7\"").unwrap();
        assert_eq!(old, Actor::Unverified { text: Some("officer-7".into()), on_behalf_of: None });
        let system: Actor = serde_json::from_str("\"system\"").unwrap();
        assert_eq!(system.legacy_text(), "system");
        // Every structured actor round-trips through JSON.
        let identity = officer();
        let cases = [
            recorded(
                verified(&identity, Some(&name("李干事"))),
                "",
                Some(Principal::new("lead-1", Some(name("王书记")), "o").unwrap()),
                "actor",
            )
            .unwrap(),
            Actor::node(unit("410411"), NodeTask::AutoEscalation),
            Actor::Unverified { text: None, on_behalf_of: None },
        ];
        for actor in cases {
            let json = serde_json::to_string(&actor).unwrap();
            assert_eq!(serde_json::from_str::<Actor>(&json).unwrap(), actor, "{json}");
            assert!(actor.validate("actor").is_ok());
        }
        assert_eq!(
            serde_json::to_string(&Actor::node(unit("410411"), NodeTask::RepeatDetection)).unwrap(),
            r#"{"kind":"node","unit":"410411","task":"repeat_detection"}"#
        );
    }
}
