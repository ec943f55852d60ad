//! Reconciliation: digests, held items and exchange reports, wire ⇄ domain.

use chrono::NaiveDate;
use fengqiao_core::case::CaseId;
use fengqiao_core::reconcile::{
    Conflict, ConflictKind, Digest, Digests, ExchangeReport, HeldCaseEvent, HeldReport, ItemKey, Trigger,
};
use fengqiao_core::why;
use fengqiao_core::{DomainError, Revision, UnitId};

use crate::enums::WireEnum;
use crate::pb;
use crate::scalars::{format_date, parse_date};

impl From<&Digests> for pb::Digests {
    fn from(digests: &Digests) -> Self {
        let digest = |d: &Digest| pb::Digest { items: d.items, hash: d.hash };
        pb::Digests {
            reports: Some(digest(&digests.reports)),
            case_events: Some(digest(&digests.case_events)),
        }
    }
}

/// Digests as received; absent parts are empty (and so is an absent
/// message: `digests.map(Digests::from).unwrap_or_default()`).
impl From<pb::Digests> for Digests {
    fn from(digests: pb::Digests) -> Self {
        let digest = |d: Option<pb::Digest>| d.map_or_else(Digest::default, |d| Digest::new(d.items, d.hash));
        Digests { reports: digest(digests.reports), case_events: digest(digests.case_events) }
    }
}

/// A period's digests; no period is the total over all periods.
pub fn period_digests_to_pb(period: Option<NaiveDate>, digests: &Digests) -> pb::PeriodDigests {
    pb::PeriodDigests {
        period: period.map(format_date).unwrap_or_default(),
        digests: Some(pb::Digests::from(digests)),
    }
}

/// A period's digests as received: the period must be a date (error field
/// `period`, relative to the message).
impl TryFrom<pb::PeriodDigests> for (NaiveDate, Digests) {
    type Error = DomainError;

    fn try_from(message: pb::PeriodDigests) -> Result<Self, DomainError> {
        let period = parse_date(&message.period, "period")?;
        Ok((period, message.digests.map(Digests::from).unwrap_or_default()))
    }
}

impl From<&HeldReport> for pb::HeldReport {
    fn from(held: &HeldReport) -> Self {
        pb::HeldReport {
            unit_id: held.unit_id.to_string(),
            revision: held.revision.get(),
            content_hash: held.content_hash.to_vec(),
        }
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

impl TryFrom<pb::HeldReport> for HeldReport {
    type Error = DomainError;

    fn try_from(message: pb::HeldReport) -> Result<Self, DomainError> {
        Ok(HeldReport {
            unit_id: UnitId::parse_field(&message.unit_id, "unit_id")?,
            revision: Revision::new(message.revision)?,
            content_hash: content_hash(&message.content_hash, "content_hash")?,
        })
    }
}

impl From<&HeldCaseEvent> for pb::HeldCaseEvent {
    fn from(held: &HeldCaseEvent) -> Self {
        pb::HeldCaseEvent {
            case_id: held.case_id.to_string(),
            sequence: held.seq,
            unit_id: held.unit_id.to_string(),
            content_hash: held.content_hash.to_vec(),
        }
    }
}

impl TryFrom<pb::HeldCaseEvent> for HeldCaseEvent {
    type Error = DomainError;

    fn try_from(message: pb::HeldCaseEvent) -> Result<Self, DomainError> {
        if message.sequence == 0 {
            return Err(DomainError::invalid("sequence", why!(MUST_BE_AT_LEAST_1, "must be at least 1")));
        }
        Ok(HeldCaseEvent {
            case_id: CaseId::parse_field(&message.case_id, "case_id")?,
            seq: message.sequence,
            unit_id: UnitId::parse_field(&message.unit_id, "unit_id")?,
            content_hash: content_hash(&message.content_hash, "content_hash")?,
        })
    }
}

impl From<Trigger> for pb::ExchangeTrigger {
    fn from(trigger: Trigger) -> Self {
        match trigger {
            Trigger::Start => pb::ExchangeTrigger::Start,
            Trigger::ParentRestarted => pb::ExchangeTrigger::ParentRestarted,
            Trigger::Periodic => pb::ExchangeTrigger::Periodic,
            Trigger::Requested => pb::ExchangeTrigger::Requested,
            Trigger::Continued => pb::ExchangeTrigger::Continued,
        }
    }
}

/// Unlike the other enums, an unknown or UNSPECIFIED trigger reads
/// "unknown trigger N".
impl WireEnum for Trigger {
    fn from_wire(value: i32, field: &str) -> Result<Self, DomainError> {
        match pb::ExchangeTrigger::try_from(value) {
            Ok(pb::ExchangeTrigger::Start) => Ok(Trigger::Start),
            Ok(pb::ExchangeTrigger::ParentRestarted) => Ok(Trigger::ParentRestarted),
            Ok(pb::ExchangeTrigger::Periodic) => Ok(Trigger::Periodic),
            Ok(pb::ExchangeTrigger::Requested) => Ok(Trigger::Requested),
            Ok(pb::ExchangeTrigger::Continued) => Ok(Trigger::Continued),
            Ok(pb::ExchangeTrigger::Unspecified) | Err(_) => Err(DomainError::invalid(
                field,
                why!(UNKNOWN_TRIGGER, "unknown trigger {value}", value = value),
            )),
        }
    }
}

impl From<ConflictKind> for pb::ConflictKind {
    fn from(kind: ConflictKind) -> Self {
        match kind {
            ConflictKind::OnlyAtParent => pb::ConflictKind::OnlyAtParent,
            ConflictKind::NewerAtParent => pb::ConflictKind::NewerAtParent,
            ConflictKind::ContentDiffers => pb::ConflictKind::ContentDiffers,
        }
    }
}

impl From<&Conflict> for pb::ReconcileConflict {
    fn from(conflict: &Conflict) -> Self {
        let (unit_id, date, case_id, sequence) = match &conflict.item {
            ItemKey::Report { unit_id, date } => (unit_id.to_string(), *date, String::new(), 0),
            ItemKey::CaseEvent { case_id, seq, date } => (String::new(), *date, case_id.to_string(), *seq),
        };
        pb::ReconcileConflict {
            unit_id,
            date: format_date(date),
            case_id,
            sequence,
            kind: pb::ConflictKind::from(conflict.kind).into(),
            child_revision: conflict.child_revision.unwrap_or(0),
            parent_revision: conflict.parent_revision.unwrap_or(0),
        }
    }
}

impl TryFrom<pb::ReconcileConflict> for Conflict {
    type Error = DomainError;

    fn try_from(message: pb::ReconcileConflict) -> Result<Self, DomainError> {
        let date = parse_date(&message.date, "date")?;
        let item = if message.case_id.is_empty() {
            ItemKey::Report { unit_id: UnitId::parse_field(&message.unit_id, "unit_id")?, date }
        } else {
            ItemKey::CaseEvent {
                case_id: CaseId::parse_field(&message.case_id, "case_id")?,
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
                    "kind",
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
}

impl From<&ExchangeReport> for pb::ExchangeReport {
    fn from(report: &ExchangeReport) -> Self {
        pb::ExchangeReport {
            unit_id: report.unit_id.to_string(),
            run_id: report.run_id.clone(),
            trigger: pb::ExchangeTrigger::from(report.trigger).into(),
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
            conflicts: report.conflicts.iter().map(pb::ReconcileConflict::from).collect(),
            bytes_sent: report.bytes_sent,
            bytes_received: report.bytes_received,
            incomplete: report.incomplete,
            error: report.error.clone().unwrap_or_default(),
        }
    }
}

/// An exchange report as received; errors name fields relative to the
/// message (`conflicts[1].date`; read a request's with
/// [`crate::required_at`]`(request.report, "report")`).
impl TryFrom<pb::ExchangeReport> for ExchangeReport {
    type Error = DomainError;

    fn try_from(message: pb::ExchangeReport) -> Result<Self, DomainError> {
        let conflicts: Vec<_> = crate::convert_each(message.conflicts, "conflicts")?;
        if conflicts.len() > fengqiao_core::reconcile::MAX_REPORTED_CONFLICTS {
            return Err(DomainError::invalid(
                "conflicts",
                why!(
                    AT_MOST_CONFLICTS,
                    "at most {max_reported_conflicts} conflicts",
                    max_reported_conflicts = fengqiao_core::reconcile::MAX_REPORTED_CONFLICTS
                ),
            ));
        }
        if message.run_id.len() > 64 {
            return Err(DomainError::invalid("run_id", why!(AT_MOST_64_BYTES, "at most 64 bytes")));
        }
        if message.error.chars().count() > 2000 {
            return Err(DomainError::invalid(
                "error",
                why!(AT_MOST_2000_CHARACTERS, "at most 2000 characters"),
            ));
        }
        Ok(ExchangeReport {
            unit_id: UnitId::parse_field(&message.unit_id, "unit_id")?,
            run_id: message.run_id,
            trigger: Trigger::from_wire(message.trigger, "trigger")?,
            started_at: crate::from_timestamp(message.started_at, "started_at")?,
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
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::{convert_at, required_at};

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
        let wire = pb::ExchangeReport::from(&report);
        assert_eq!(required_at(Some(wire.clone()), "report"), Ok(report));
        let mut bad = wire;
        bad.conflicts[1].date = "2026-02-30".into();
        assert!(matches!(
            required_at::<_, ExchangeReport>(Some(bad), "report"),
            Err(DomainError::Invalid { field, .. }) if field == "report.conflicts[1].date"
        ));
        let held = pb::HeldReport { unit_id: "g1".into(), revision: 1, content_hash: vec![0; 31] };
        assert!(matches!(
            convert_at::<_, HeldReport>(held, "reports[0]"),
            Err(DomainError::Invalid { field, .. }) if field == "reports[0].content_hash"
        ));
    }
}
