//! Reconciliation: digests, held items and exchange reports, wire ⇄ domain.

use chrono::NaiveDate;
use fengqiao_core::case::CaseId;
use fengqiao_core::reconcile::{
    Conflict, ConflictKind, Digest, Digests, ExchangeReport, HeldCaseEvent, HeldReport, ItemKey, Trigger,
};
use fengqiao_core::why;
use fengqiao_core::{DomainError, Revision, UnitId};

use crate::pb;
use crate::scalars::{format_date, parse_date};
use crate::{join, required};

pub fn digests_to_pb(digests: &Digests) -> pb::Digests {
    let digest = |d: &Digest| pb::Digest { items: d.items, hash: d.hash };
    pb::Digests { reports: Some(digest(&digests.reports)), case_events: Some(digest(&digests.case_events)) }
}

/// Digests as received; absent parts are empty.
pub fn digests_from_pb(digests: Option<pb::Digests>) -> Digests {
    let digest = |d: Option<pb::Digest>| d.map_or_else(Digest::default, |d| Digest::new(d.items, d.hash));
    let digests = digests.unwrap_or_default();
    Digests { reports: digest(digests.reports), case_events: digest(digests.case_events) }
}

pub fn period_digests_to_pb(period: Option<NaiveDate>, digests: &Digests) -> pb::PeriodDigests {
    pb::PeriodDigests {
        period: period.map(format_date).unwrap_or_default(),
        digests: Some(digests_to_pb(digests)),
    }
}

/// A period's digests; `path` names the message (`periods[3]`).
pub fn period_digests_from_pb(
    message: pb::PeriodDigests,
    path: &str,
) -> Result<(NaiveDate, Digests), DomainError> {
    let period = parse_date(&message.period, &join(path, "period"))?;
    Ok((period, digests_from_pb(message.digests)))
}

pub fn held_report_to_pb(held: &HeldReport) -> pb::HeldReport {
    pb::HeldReport {
        unit_id: held.unit_id.to_string(),
        revision: held.revision.get(),
        content_hash: held.content_hash.to_vec(),
    }
}

fn content_hash(bytes: &[u8], field: &str) -> Result<[u8; 32], DomainError> {
    bytes.try_into().map_err(|_| {
        DomainError::invalid(
            field,
            why!(MUST_BE_32_BYTES_NOT, "must be 32 bytes, not {len}", len = bytes.len()),
        )
    })
}

pub fn held_report_from_pb(message: pb::HeldReport, path: &str) -> Result<HeldReport, DomainError> {
    Ok(HeldReport {
        unit_id: UnitId::parse_field(&message.unit_id, &join(path, "unit_id"))?,
        revision: Revision::new(message.revision).map_err(|e| e.within(path))?,
        content_hash: content_hash(&message.content_hash, &join(path, "content_hash"))?,
    })
}

pub fn held_case_event_to_pb(held: &HeldCaseEvent) -> pb::HeldCaseEvent {
    pb::HeldCaseEvent {
        case_id: held.case_id.to_string(),
        sequence: held.seq,
        unit_id: held.unit_id.to_string(),
        content_hash: held.content_hash.to_vec(),
    }
}

pub fn held_case_event_from_pb(message: pb::HeldCaseEvent, path: &str) -> Result<HeldCaseEvent, DomainError> {
    if message.sequence == 0 {
        return Err(DomainError::invalid(
            join(path, "sequence"),
            why!(MUST_BE_AT_LEAST_1, "must be at least 1"),
        ));
    }
    Ok(HeldCaseEvent {
        case_id: CaseId::parse_field(&message.case_id, &join(path, "case_id"))?,
        seq: message.sequence,
        unit_id: UnitId::parse_field(&message.unit_id, &join(path, "unit_id"))?,
        content_hash: content_hash(&message.content_hash, &join(path, "content_hash"))?,
    })
}

pub fn trigger_to_pb(trigger: Trigger) -> pb::ExchangeTrigger {
    match trigger {
        Trigger::Start => pb::ExchangeTrigger::Start,
        Trigger::ParentRestarted => pb::ExchangeTrigger::ParentRestarted,
        Trigger::Periodic => pb::ExchangeTrigger::Periodic,
        Trigger::Requested => pb::ExchangeTrigger::Requested,
        Trigger::Continued => pb::ExchangeTrigger::Continued,
    }
}

pub fn trigger_from_pb(value: i32, field: &str) -> Result<Trigger, DomainError> {
    match pb::ExchangeTrigger::try_from(value) {
        Ok(pb::ExchangeTrigger::Start) => Ok(Trigger::Start),
        Ok(pb::ExchangeTrigger::ParentRestarted) => Ok(Trigger::ParentRestarted),
        Ok(pb::ExchangeTrigger::Periodic) => Ok(Trigger::Periodic),
        Ok(pb::ExchangeTrigger::Requested) => Ok(Trigger::Requested),
        Ok(pb::ExchangeTrigger::Continued) => Ok(Trigger::Continued),
        _ => {
            Err(DomainError::invalid(field, why!(UNKNOWN_TRIGGER, "unknown trigger {value}", value = value)))
        }
    }
}

fn conflict_kind_to_pb(kind: ConflictKind) -> pb::ConflictKind {
    match kind {
        ConflictKind::OnlyAtParent => pb::ConflictKind::OnlyAtParent,
        ConflictKind::NewerAtParent => pb::ConflictKind::NewerAtParent,
        ConflictKind::ContentDiffers => pb::ConflictKind::ContentDiffers,
    }
}

fn conflict_to_pb(conflict: &Conflict) -> pb::ReconcileConflict {
    let (unit_id, date, case_id, sequence) = match &conflict.item {
        ItemKey::Report { unit_id, date } => (unit_id.to_string(), *date, String::new(), 0),
        ItemKey::CaseEvent { case_id, seq, date } => (String::new(), *date, case_id.to_string(), *seq),
    };
    pb::ReconcileConflict {
        unit_id,
        date: format_date(date),
        case_id,
        sequence,
        kind: conflict_kind_to_pb(conflict.kind).into(),
        child_revision: conflict.child_revision.unwrap_or(0),
        parent_revision: conflict.parent_revision.unwrap_or(0),
    }
}

fn conflict_from_pb(message: pb::ReconcileConflict, path: &str) -> Result<Conflict, DomainError> {
    let date = parse_date(&message.date, &join(path, "date"))?;
    let item = if message.case_id.is_empty() {
        ItemKey::Report { unit_id: UnitId::parse_field(&message.unit_id, &join(path, "unit_id"))?, date }
    } else {
        ItemKey::CaseEvent {
            case_id: CaseId::parse_field(&message.case_id, &join(path, "case_id"))?,
            seq: message.sequence,
            date,
        }
    };
    let kind = match pb::ConflictKind::try_from(message.kind) {
        Ok(pb::ConflictKind::OnlyAtParent) => ConflictKind::OnlyAtParent,
        Ok(pb::ConflictKind::NewerAtParent) => ConflictKind::NewerAtParent,
        Ok(pb::ConflictKind::ContentDiffers) => ConflictKind::ContentDiffers,
        _ => {
            return Err(DomainError::invalid(
                join(path, "kind"),
                why!(UNKNOWN_KIND, "unknown kind {kind}", kind = message.kind),
            ));
        }
    };
    let revision = |r: u32| (r > 0).then_some(r);
    Ok(Conflict {
        item,
        kind,
        child_revision: revision(message.child_revision),
        parent_revision: revision(message.parent_revision),
    })
}

pub fn exchange_report_to_pb(report: &ExchangeReport) -> pb::ExchangeReport {
    pb::ExchangeReport {
        unit_id: report.unit_id.to_string(),
        run_id: report.run_id.clone(),
        trigger: trigger_to_pb(report.trigger).into(),
        started_at: Some(crate::timestamp(report.started_at)),
        elapsed_ms: report.elapsed_ms,
        digests_compared: report.digests_compared,
        days_listed: report.days_listed,
        items_compared: report.items_compared,
        reports_resent: report.reports_resent,
        case_events_resent: report.case_events_resent,
        in_flight: report.in_flight,
        set_aside: report.set_aside,
        conflicts_total: report.conflicts_total,
        conflicts: report.conflicts.iter().map(conflict_to_pb).collect(),
        bytes_sent: report.bytes_sent,
        bytes_received: report.bytes_received,
        incomplete: report.incomplete,
        error: report.error.clone().unwrap_or_default(),
    }
}

/// An exchange report as received; `path` names the message (`report`).
pub fn exchange_report_from_pb(
    message: Option<pb::ExchangeReport>,
    path: &str,
) -> Result<ExchangeReport, DomainError> {
    let message = required(message, path)?;
    let conflicts = message
        .conflicts
        .into_iter()
        .enumerate()
        .map(|(i, c)| conflict_from_pb(c, &join(path, &format!("conflicts[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    if conflicts.len() > fengqiao_core::reconcile::MAX_REPORTED_CONFLICTS {
        return Err(DomainError::invalid(
            join(path, "conflicts"),
            why!(
                AT_MOST_CONFLICTS,
                "at most {max_reported_conflicts} conflicts",
                max_reported_conflicts = fengqiao_core::reconcile::MAX_REPORTED_CONFLICTS
            ),
        ));
    }
    if message.run_id.len() > 64 {
        return Err(DomainError::invalid(join(path, "run_id"), why!(AT_MOST_64_BYTES, "at most 64 bytes")));
    }
    if message.error.chars().count() > 2000 {
        return Err(DomainError::invalid(
            join(path, "error"),
            why!(AT_MOST_2000_CHARACTERS, "at most 2000 characters"),
        ));
    }
    Ok(ExchangeReport {
        unit_id: UnitId::parse_field(&message.unit_id, &join(path, "unit_id"))?,
        run_id: message.run_id,
        trigger: trigger_from_pb(message.trigger, &join(path, "trigger"))?,
        started_at: crate::from_timestamp(message.started_at, &join(path, "started_at"))?,
        elapsed_ms: message.elapsed_ms,
        digests_compared: message.digests_compared,
        days_listed: message.days_listed,
        items_compared: message.items_compared,
        reports_resent: message.reports_resent,
        case_events_resent: message.case_events_resent,
        in_flight: message.in_flight,
        set_aside: message.set_aside,
        conflicts_total: message.conflicts_total,
        conflicts,
        bytes_sent: message.bytes_sent,
        bytes_received: message.bytes_received,
        incomplete: message.incomplete,
        error: (!message.error.is_empty()).then_some(message.error),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn exchange_reports_round_trip_and_bad_parts_name_the_field() {
        let mut report = ExchangeReport::new(
            UnitId::parse("410411001").unwrap(),
            "run-1".into(),
            Trigger::Requested,
            Utc.with_ymd_and_hms(2026, 3, 2, 1, 2, 3).unwrap(),
        );
        report.reports_resent = 7;
        report.conflicts_total = 2;
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        report.conflicts = vec![
            Conflict {
                item: ItemKey::Report { unit_id: UnitId::parse("g1").unwrap(), date: day },
                kind: ConflictKind::NewerAtParent,
                child_revision: Some(1),
                parent_revision: Some(2),
            },
            Conflict {
                item: ItemKey::CaseEvent { case_id: CaseId::parse("c1").unwrap(), seq: 3, date: day },
                kind: ConflictKind::OnlyAtParent,
                child_revision: None,
                parent_revision: None,
            },
        ];
        let wire = exchange_report_to_pb(&report);
        assert_eq!(exchange_report_from_pb(Some(wire.clone()), "report"), Ok(report));
        let mut bad = wire;
        bad.conflicts[1].date = "2026-02-30".into();
        assert!(matches!(
            exchange_report_from_pb(Some(bad), "report"),
            Err(DomainError::Invalid { field, .. }) if field == "report.conflicts[1].date"
        ));
        let held = pb::HeldReport { unit_id: "g1".into(), revision: 1, content_hash: vec![0; 31] };
        assert!(matches!(
            held_report_from_pb(held, "reports[0]"),
            Err(DomainError::Invalid { field, .. }) if field == "reports[0].content_hash"
        ));
    }
}
