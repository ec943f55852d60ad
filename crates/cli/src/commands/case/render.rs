//! How the case commands (`case`, `roster`, `visit`, `supervise`, `drill`)
//! show a case as text: its events, its standing and repeat links, who
//! acted. Their JSON is the read model's own (`fengqiao_core::read::case`).

use chrono::NaiveDate;
use fengqiao_core::actor::Actor;
use fengqiao_core::read::{CaseRecord, Change, EventRecord, RepeatRecord};

use crate::tr;

/// `event 3 (2026-05-01, unit 110101, alice): assigned — leader …; note: …`
pub(crate) fn event_line(event: &EventRecord) -> String {
    let mut line = tr!(
        "event-line",
        sequence = event.sequence,
        on = event.on.to_string(),
        unit = event.unit_id.to_string(),
        actor = actor_text(&event.actor),
        kind = crate::i18n::name("event", event.kind)
    );
    let details = change_details(&event.change);
    if !details.is_empty() {
        line.push_str(" — ");
        line.push_str(&details);
    }
    if !event.note.is_empty() {
        line.push_str(&tr!("event-note", note = &event.note));
    }
    line
}

/// `case X: status assigned · owner U · deadline D · due D`
pub(crate) fn standing(case: &CaseRecord) -> String {
    let mut line = tr!(
        "case-standing",
        case = case.case_id.to_string(),
        status = crate::i18n::name("status", case.status.as_str()),
        owner = case.owner_unit_id.to_string(),
        deadline = dash(case.deadline)
    );
    if case.due.is_some() && case.due != case.deadline {
        line.push_str(&tr!("case-standing-due", due = dash(case.due)));
    }
    if case.days_overdue > 0 {
        line.push_str(&tr!("case-standing-overdue", days = case.days_overdue));
    }
    if !case.held_here {
        line.push_str(&tr!("case-standing-elsewhere", owner = case.owner_unit_id.to_string()));
    }
    line
}

// ---------------------------------------------------------------- events as text

/// What an event says beyond its kind, in a few words (the dashboard's
/// wording: `fengqiao_node::web::words`).
pub(crate) fn change_details(change: &Change) -> String {
    fengqiao_node::web::words::change_details(fengqiao_i18n::Messages::of(crate::i18n::lang()), change)
}

/// `of C2 C1 (same petitioner_ref and category within 365 days, since 2025-05-01)`
pub(crate) fn repeat_text(repeat: &RepeatRecord) -> String {
    let cases = repeat.of_case_ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ");
    let mut text = tr!("repeat-of", cases = cases);
    let mut why = Vec::new();
    if !repeat.rule.is_empty() {
        why.push(repeat.rule.clone());
    }
    why.push(tr!("repeat-since", since = repeat.since.to_string()));
    text.push_str(&format!(" ({})", why.join(", ")));
    text
}

/// `UNIT@DATE#LOCAL_ID`, as `case register --from-report` takes it.
pub(crate) fn dispute_ref_text(source: &fengqiao_core::case::DisputeRef) -> String {
    fengqiao_node::web::words::dispute_ref_text(source)
}

/// Who acted, for people, in their language (the dashboard's wording:
/// `fengqiao_node::web::words`): the certificate's identity and display
/// name (`leader p7 at 410411 (王书记)`), the node, or the insecure mode's
/// text marked unverified.
pub(crate) fn actor_text(actor: &Actor) -> String {
    fengqiao_node::web::words::actor_text(fengqiao_i18n::Messages::of(crate::i18n::lang()), actor)
}

/// A date, or `-` when unset.
pub(crate) fn dash(value: Option<NaiveDate>) -> String {
    value.map_or_else(|| "-".to_owned(), |date| date.to_string())
}

pub(crate) fn nonzero(value: u64) -> String {
    if value == 0 { String::new() } else { value.to_string() }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use fengqiao_core::UnitId;
    use fengqiao_core::actor::{DisplayName, Principal};
    use fengqiao_core::case::{CaseEvent, CaseId, EventKind};
    use fengqiao_core::identity::Role;
    use serde_json::json;

    use super::*;

    #[test]
    fn event_text() {
        let unit = UnitId::parse("110101").unwrap();
        let event = CaseEvent {
            case_id: CaseId::parse("c1").unwrap(),
            seq: 3,
            at: Utc.with_ymd_and_hms(2026, 5, 2, 2, 0, 0).unwrap(),
            on: "2026-05-02".parse().unwrap(),
            unit: unit.clone(),
            actor: Actor::Unverified { text: Some("alice".into()), on_behalf_of: None },
            note: "met both sides".into(),
            kind: EventKind::Extended {
                days: 30,
                reason: "expert opinion".into(),
                deadline: "2026-07-31".parse().unwrap(),
            },
        };
        // A one-word actor alone (an older node's event) is unverified text.
        let record = EventRecord::from(&event).in_zone(chrono_tz::Asia::Shanghai);
        assert_eq!(
            event_line(&record),
            "event 3 (2026-05-02, unit 110101, alice (unverified)): extended — +30 days to 2026-07-31; \
             reason: expert opinion; note: met both sides"
        );
        let value = serde_json::to_value(&record).unwrap();
        assert_eq!(value["kind"], "extended");
        assert_eq!(value["details"]["days"], 30);
        assert_eq!(value["at"], "2026-05-02T10:00:00+08:00");
        assert_eq!(value["actor"], json!({"kind": "unverified", "text": "alice"}));
        // The certificate's identity and display name, and whom it acted for.
        let event = CaseEvent {
            actor: Actor::Person {
                unit: unit.clone(),
                role: Role::Officer,
                id: "off-3".into(),
                name: Some(DisplayName::parse_field("李干事", "name").unwrap()),
                on_behalf_of: Some(
                    Principal::new("lead-1", Some(DisplayName::parse_field("王书记", "name").unwrap()), "p")
                        .unwrap(),
                ),
                department: None,
            },
            ..event
        };
        let record = EventRecord::from(&event);
        assert!(
            event_line(&record).starts_with(
                "event 3 (2026-05-02, unit 110101, officer off-3 at 110101 (李干事) on behalf of lead-1 (王书记)):"
            ),
            "{}",
            event_line(&record)
        );
        assert_eq!(
            serde_json::to_value(&record).unwrap()["actor"],
            json!({
                "kind": "person", "unit": "110101", "role": "officer", "id": "off-3", "name": "李干事",
                "on_behalf_of": {"id": "lead-1", "name": "王书记"}
            })
        );
    }
}
