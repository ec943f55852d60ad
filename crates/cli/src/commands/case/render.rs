//! How the case commands (`case`, `roster`, `visit`, `supervise`, `drill`)
//! show a case: its events as text and JSON, the case as JSON, its standing
//! and repeat links, who acted. Wire enums by their domain names and
//! dispute references are in [`names`](super::names).

use chrono_tz::Tz;
use fengqiao_core::actor::Actor;
use fengqiao_proto::pb;
use fengqiao_proto::pb::case_event::Kind;
use serde_json::{Value, json};

use crate::commands::case::names::{category_json, dispute_ref_text, enum_json, enum_name};
use crate::render::time_fmt;
use crate::render::{category_name, empty_null, yuan};
use crate::tr;

/// `event 3 (2026-05-01, unit 110101, alice): assigned — leader …; note: …`
pub(crate) fn event_line(event: &pb::CaseEvent) -> String {
    let mut line = tr!(
        "event-line",
        sequence = event.sequence,
        on = &event.on,
        unit = &event.unit_id,
        actor = actor_text(event),
        kind = crate::i18n::name("event", kind_name(event.kind.as_ref()))
    );
    let details = kind_details(event.kind.as_ref());
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
pub(crate) fn standing(case: &pb::Case) -> String {
    let mut line = tr!(
        "case-standing",
        case = &case.case_id,
        status = crate::i18n::name("status", &enum_name::<pb::CaseStatus>(case.status)),
        owner = &case.owner_unit_id,
        deadline = dash(&case.deadline)
    );
    if !case.due.is_empty() && case.due != case.deadline {
        line.push_str(&tr!("case-standing-due", due = &case.due));
    }
    if case.days_overdue > 0 {
        line.push_str(&tr!("case-standing-overdue", days = case.days_overdue));
    }
    if !case.held_here {
        line.push_str(&tr!("case-standing-elsewhere", owner = &case.owner_unit_id));
    }
    line
}

/// A case as JSON: enums by lower-case name, unset dates and texts as null,
/// amounts in fen, instants in RFC 3339 (the prost types have no serde).
pub(crate) fn case_json(case: &pb::Case, zone: &Tz) -> Value {
    json!({
        "case_id": case.case_id,
        "intake": case.intake.as_ref().map(intake_json),
        "repeat": case.repeat.as_ref().map(repeat_json),
        "owner_unit_id": case.owner_unit_id,
        "status": enum_json::<pb::CaseStatus>(case.status),
        "registered_at": time_fmt::wire_for_machines(case.registered_at, zone),
        "registered_on": empty_null(&case.registered_on),
        "accept_by": empty_null(&case.accept_by),
        "accepted_on": empty_null(&case.accepted_on),
        "not_accepted_reason": empty_null(&case.not_accepted_reason),
        "deadline": empty_null(&case.deadline),
        "extended": case.extended,
        "leader": empty_null(&case.leader),
        "responsible": empty_null(&case.responsible),
        "plan": empty_null(&case.plan),
        "resolution": empty_null(&case.resolution),
        "amount_recovered_cents": case.amount_recovered_cents,
        "resolved_on": empty_null(&case.resolved_on),
        "resolved_on_time": case.resolved_on_time,
        "satisfaction": enum_json::<pb::Satisfaction>(case.satisfaction),
        "closed_on": empty_null(&case.closed_on),
        "review_by": empty_null(&case.review_by),
        "reviews": case.reviews,
        "escalations": case.escalations,
        "assignments_down": case.assignments_down,
        "reopened": case.reopened,
        "supervisions": case.supervisions.iter().map(|s| json!({
            "supervision_id": s.supervision_id,
            "from_unit_id": s.from_unit_id,
            "kind": enum_json::<pb::SupervisionKind>(s.kind),
            "reply_by": empty_null(&s.reply_by),
            "received_on": empty_null(&s.received_on),
            "replied_on": empty_null(&s.replied_on),
        })).collect::<Vec<_>>(),
        "sequence": case.sequence,
        "updated_at": time_fmt::wire_for_machines(case.updated_at, zone),
        "due": empty_null(&case.due),
        "days_overdue": case.days_overdue,
        "held_here": case.held_here,
    })
}

pub(crate) fn intake_json(intake: &pb::CaseIntake) -> Value {
    json!({
        "origin_unit_id": intake.origin_unit_id,
        "category": category_json(intake.category),
        "channel": enum_json::<pb::CaseChannel>(intake.channel),
        "summary": intake.summary,
        "petitioner_ref": empty_null(&intake.petitioner_ref),
        "source": intake.source.as_ref().map(|s| json!({
            "unit_id": s.unit_id, "date": s.date, "local_id": s.local_id,
        })),
        "workers": intake.workers,
        "amount_claimed_cents": intake.amount_claimed_cents,
    })
}

pub(crate) fn repeat_json(repeat: &pb::RepeatLink) -> Value {
    json!({
        "of_case_ids": repeat.of_case_ids,
        "rule": repeat.rule,
        "window_days": repeat.window_days,
        "since": empty_null(&repeat.since),
    })
}

pub(crate) fn petitioner_json(petitioner: &pb::Petitioner) -> Value {
    json!({
        "name": empty_null(&petitioner.name),
        "phone": empty_null(&petitioner.phone),
        "id_number": empty_null(&petitioner.id_number),
    })
}

/// An event as JSON: the common fields, `kind` by name and `details`, the
/// kind's own fields.
pub(crate) fn event_json(event: &pb::CaseEvent, zone: &Tz) -> Value {
    json!({
        "case_id": event.case_id,
        "sequence": event.sequence,
        "at": time_fmt::wire_for_machines(event.at, zone),
        "on": empty_null(&event.on),
        "unit_id": event.unit_id,
        // The domain's own JSON of who acted: `kind` (person, node,
        // unverified) and its fields.
        "actor": actor_of(event).map(|actor| serde_json::to_value(actor).unwrap_or(Value::Null)),
        "note": event.note,
        "kind": kind_name(event.kind.as_ref()),
        "details": kind_json(event.kind.as_ref()),
    })
}

pub(crate) fn kind_json(kind: Option<&Kind>) -> Value {
    match kind {
        None => Value::Null,
        Some(Kind::Registered(k)) => json!({
            "intake": k.intake.as_ref().map(intake_json),
            "accept_by": empty_null(&k.accept_by),
            "repeat": k.repeat.as_ref().map(repeat_json),
        }),
        Some(Kind::Accepted(k)) => json!({ "deadline": empty_null(&k.deadline) }),
        Some(Kind::NotAccepted(k)) => json!({ "reason": k.reason }),
        Some(Kind::Assigned(k)) => json!({
            "leader": k.leader, "responsible": k.responsible, "plan": k.plan,
            "deadline": empty_null(&k.deadline),
        }),
        Some(Kind::Progress(_)) => json!({}),
        Some(Kind::Extended(k)) => {
            json!({ "days": k.days, "reason": k.reason, "deadline": empty_null(&k.deadline) })
        }
        Some(Kind::Escalated(k)) => json!({ "to_unit_id": k.to_unit_id, "reason": k.reason }),
        Some(Kind::AssignedDown(k)) => {
            json!({ "to_unit_id": k.to_unit_id, "deadline": empty_null(&k.deadline) })
        }
        Some(Kind::Resolved(k)) => json!({
            "resolution": k.resolution, "amount_recovered_cents": k.amount_recovered_cents,
            "on_time": k.on_time,
        }),
        Some(Kind::Closed(k)) => json!({ "satisfaction": enum_json::<pb::Satisfaction>(k.satisfaction) }),
        Some(Kind::Reopened(k)) => json!({ "reason": k.reason, "deadline": empty_null(&k.deadline) }),
        Some(Kind::ReviewRequested(k)) => json!({
            "reason": k.reason, "to_unit_id": k.to_unit_id, "review_by": empty_null(&k.review_by),
        }),
        Some(Kind::Reviewed(k)) => json!({
            "decision": enum_json::<pb::ReviewDecision>(k.decision),
            "deadline": empty_null(&k.deadline),
        }),
        Some(Kind::Supervised(k)) => json!({
            "supervision_id": k.supervision_id, "from_unit_id": k.from_unit_id,
            "kind": enum_json::<pb::SupervisionKind>(k.kind), "reply_by": empty_null(&k.reply_by),
            "sender": k.sender.clone().and_then(|sender| fengqiao_proto::convert_at::<_, Actor>(sender, "sender").ok())
                .map(|sender| serde_json::to_value(sender).unwrap_or(Value::Null)),
        }),
        Some(Kind::SupervisionReplied(k)) => json!({ "supervision_id": k.supervision_id }),
        Some(Kind::RepeatFound(k)) => json!({
            "of_case_ids": k.of_case_ids, "window_days": k.window_days, "since": empty_null(&k.since),
        }),
    }
}

// ---------------------------------------------------------------- events as text

/// The kind of an event by its snake_case name (as in storage and figures).
pub(crate) fn kind_name(kind: Option<&Kind>) -> &'static str {
    match kind {
        None => "unknown",
        Some(Kind::Registered(_)) => "registered",
        Some(Kind::Accepted(_)) => "accepted",
        Some(Kind::NotAccepted(_)) => "not_accepted",
        Some(Kind::Assigned(_)) => "assigned",
        Some(Kind::Progress(_)) => "progress",
        Some(Kind::Extended(_)) => "extended",
        Some(Kind::Escalated(_)) => "escalated",
        Some(Kind::AssignedDown(_)) => "assigned_down",
        Some(Kind::Resolved(_)) => "resolved",
        Some(Kind::Closed(_)) => "closed",
        Some(Kind::Reopened(_)) => "reopened",
        Some(Kind::ReviewRequested(_)) => "review_requested",
        Some(Kind::Reviewed(_)) => "reviewed",
        Some(Kind::Supervised(_)) => "supervised",
        Some(Kind::SupervisionReplied(_)) => "supervision_replied",
        Some(Kind::RepeatFound(_)) => "repeat_found",
    }
}

/// What an event says beyond its kind, in a few words.
pub(crate) fn kind_details(kind: Option<&Kind>) -> String {
    let timing = |on_time: bool| if on_time { tr!("word-on-time") } else { tr!("word-overdue") };
    match kind {
        None | Some(Kind::Progress(_)) => String::new(),
        Some(Kind::Registered(k)) => {
            let intake = k.intake.clone().unwrap_or_default();
            let category = category_name(intake.category);
            let mut text =
                if category.is_empty() { String::new() } else { crate::i18n::name("category", &category) };
            if !text.is_empty() {
                text.push(' ');
            }
            text += &tr!(
                "detail-registered",
                channel = crate::i18n::name("channel", &enum_name::<pb::CaseChannel>(intake.channel)),
                accept_by = dash(&k.accept_by)
            );
            if let Some(source) = &intake.source {
                text.push_str(&tr!("detail-from-report", source = dispute_ref_text(source)));
            }
            if let Some(repeat) = k.repeat.as_ref().filter(|r| !r.of_case_ids.is_empty()) {
                text.push_str(&tr!("detail-repeat-of", cases = repeat.of_case_ids.join(" ")));
            }
            text
        }
        Some(Kind::Accepted(k)) => tr!("detail-deadline", deadline = dash(&k.deadline)),
        Some(Kind::NotAccepted(k)) => tr!("detail-reason", reason = &k.reason),
        Some(Kind::Assigned(k)) => tr!(
            "detail-assigned",
            leader = &k.leader,
            responsible = &k.responsible,
            deadline = dash(&k.deadline),
            plan = &k.plan
        ),
        Some(Kind::Extended(k)) => {
            tr!("detail-extended", days = k.days, deadline = dash(&k.deadline), reason = &k.reason)
        }
        Some(Kind::Escalated(k)) => tr!("detail-escalated", unit = &k.to_unit_id, reason = &k.reason),
        Some(Kind::AssignedDown(k)) => {
            tr!("detail-assigned-down", unit = &k.to_unit_id, deadline = dash(&k.deadline))
        }
        Some(Kind::Resolved(k)) => {
            let mut text = timing(k.on_time);
            if k.amount_recovered_cents > 0 {
                text.push_str(&tr!("detail-recovered", amount = yuan(k.amount_recovered_cents)));
            }
            tr!("detail-resolved", timing = text, resolution = &k.resolution)
        }
        Some(Kind::Closed(k)) => {
            crate::i18n::name("satisfaction", &enum_name::<pb::Satisfaction>(k.satisfaction))
        }
        Some(Kind::Reopened(k)) => tr!("detail-reopened", deadline = dash(&k.deadline), reason = &k.reason),
        Some(Kind::ReviewRequested(k)) => tr!(
            "detail-review-requested",
            unit = &k.to_unit_id,
            review_by = dash(&k.review_by),
            reason = &k.reason
        ),
        Some(Kind::Reviewed(k)) => {
            let decision = crate::i18n::name("review", &enum_name::<pb::ReviewDecision>(k.decision));
            if k.deadline.is_empty() {
                decision
            } else {
                tr!("detail-reviewed", decision = decision, deadline = &k.deadline)
            }
        }
        Some(Kind::Supervised(k)) => {
            let mut text = tr!(
                "detail-supervised",
                supervision = &k.supervision_id,
                from = &k.from_unit_id,
                kind = crate::i18n::name("supervision", &enum_name::<pb::SupervisionKind>(k.kind)),
                reply_by = dash(&k.reply_by)
            );
            if let Some(sender) =
                k.sender.clone().and_then(|s| fengqiao_proto::convert_at::<_, Actor>(s, "sender").ok())
            {
                text.push_str(&tr!("detail-issued-by", sender = sender.to_string()));
            }
            text
        }
        Some(Kind::SupervisionReplied(k)) => {
            tr!("detail-supervision-replied", supervision = &k.supervision_id)
        }
        Some(Kind::RepeatFound(k)) => tr!(
            "detail-repeat-found",
            cases = k.of_case_ids.join(" "),
            days = k.window_days,
            since = dash(&k.since)
        ),
    }
}

/// `of C2 C1 (same petitioner_ref and category within 365 days, since 2025-05-01)`
pub(crate) fn repeat_text(repeat: &pb::RepeatLink) -> String {
    let mut text = tr!("repeat-of", cases = repeat.of_case_ids.join(" "));
    let mut why = Vec::new();
    if !repeat.rule.is_empty() {
        why.push(repeat.rule.clone());
    }
    if !repeat.since.is_empty() {
        why.push(tr!("repeat-since", since = &repeat.since));
    }
    if !why.is_empty() {
        text.push_str(&format!(" ({})", why.join(", ")));
    }
    text
}

/// Who acted in an event, as the node recorded it: the certificate's
/// identity and display name (`leader p7 at 410411 (王书记)`), the node,
/// or the insecure mode's text marked unverified.
pub(crate) fn actor_of(event: &pb::CaseEvent) -> Option<Actor> {
    fengqiao_proto::actor_from_pb(event.acted_by.clone(), &event.actor, "acted_by").ok()
}

/// Who acted, for people, in their language (the same parts as the
/// actor's English `Display`: role, id, unit, name, on whose behalf).
pub(crate) fn actor_text(event: &pb::CaseEvent) -> String {
    let Some(actor) = actor_of(event) else { return event.actor.clone() };
    let mut text = match &actor {
        Actor::Person { unit, role, id, name, .. } => {
            let who = tr!(
                "actor-person",
                role = crate::i18n::name("role", role.as_str()),
                id = id.as_str(),
                unit = unit.to_string()
            );
            match name {
                Some(name) => tr!("actor-named", who = who, name = name.to_string()),
                None => who,
            }
        }
        Actor::Node { unit, task } => {
            tr!("actor-node", unit = unit.to_string(), task = crate::i18n::name("node-task", task.as_str()))
        }
        Actor::Unverified { text: Some(text), .. } => tr!("actor-unverified", text = text.as_str()),
        Actor::Unverified { text: None, .. } => tr!("actor-insecure-operator"),
    };
    if let Some(principal) = actor.on_behalf_of() {
        text = tr!("actor-on-behalf", who = text, principal = principal.to_string());
    }
    text
}

pub(crate) fn dash(value: &str) -> &str {
    if value.is_empty() { "-" } else { value }
}

pub(crate) fn nonzero(value: u64) -> String {
    if value == 0 { String::new() } else { value.to_string() }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn event_text() {
        let event = pb::CaseEvent {
            case_id: "c1".into(),
            sequence: 3,
            on: "2026-05-02".into(),
            unit_id: "110101".into(),
            actor: "alice".into(),
            note: "met both sides".into(),
            kind: Some(Kind::Extended(pb::case_event::Extended {
                days: 30,
                reason: "expert opinion".into(),
                deadline: "2026-07-31".into(),
            })),
            ..Default::default()
        };
        // A one-word actor alone (an older node's event) is unverified text.
        assert_eq!(
            event_line(&event),
            "event 3 (2026-05-02, unit 110101, alice (unverified)): extended — +30 days to 2026-07-31; \
             reason: expert opinion; note: met both sides"
        );
        let value = event_json(&event, &chrono_tz::Asia::Shanghai);
        assert_eq!(value["kind"], "extended");
        assert_eq!(value["details"]["days"], 30);
        assert_eq!(value["at"], Value::Null);
        assert_eq!(value["actor"], json!({"kind": "unverified", "text": "alice"}));
        // The certificate's identity and display name, and whom it acted for.
        let event = pb::CaseEvent {
            acted_by: Some(pb::Actor {
                kind: Some(pb::actor::Kind::Person(pb::PersonActor {
                    unit_id: "110101".into(),
                    role: pb::Role::Officer.into(),
                    person_id: "off-3".into(),
                    display_name: "李干事".into(),
                    on_behalf_of: Some(pb::OnBehalfOf {
                        person_id: "lead-1".into(),
                        display_name: "王书记".into(),
                    }),
                })),
            }),
            ..event
        };
        assert!(
            event_line(&event).starts_with(
                "event 3 (2026-05-02, unit 110101, officer off-3 at 110101 (李干事) on behalf of lead-1 (王书记)):"
            ),
            "{}",
            event_line(&event)
        );
        assert_eq!(
            event_json(&event, &chrono_tz::Asia::Shanghai)["actor"],
            json!({
                "kind": "person", "unit": "110101", "role": "officer", "id": "off-3", "name": "李干事",
                "on_behalf_of": {"id": "lead-1", "name": "王书记"}
            })
        );
    }
}
