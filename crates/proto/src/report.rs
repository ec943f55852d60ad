//! Daily reports, their disputes and stored reports both ways.

use fengqiao_core::report::MAX_DISPUTES;
use fengqiao_core::why;
use fengqiao_core::{
    DailyReport, Dispute, DisputeCategory, DisputeDraft, DisputeOutcome, DomainError, ReportDraft, Revision,
    StoredReport, WageArrears, WageArrearsDraft,
};

use crate::enums::WireEnum;
use crate::pb;
use crate::scalars::{format_date, from_timestamp, parse_date, parse_unit_id, timestamp};

impl From<&WageArrears> for pb::WageArrears {
    fn from(wage: &WageArrears) -> Self {
        pb::WageArrears {
            employer: wage.employer().to_owned(),
            workers: wage.workers(),
            amount_claimed_cents: wage.amount_claimed_cents(),
            amount_recovered_cents: wage.amount_recovered_cents(),
        }
    }
}

impl From<&Dispute> for pb::Dispute {
    fn from(dispute: &Dispute) -> Self {
        pb::Dispute {
            local_id: dispute.local_id().to_owned(),
            category: pb::DisputeCategory::from(dispute.category()).into(),
            outcome: pb::DisputeOutcome::from(dispute.outcome()).into(),
            parties: dispute.parties(),
            summary: dispute.summary().to_owned(),
            case_id: dispute.case_id().unwrap_or_default().to_owned(),
            wage_arrears: dispute.wage_arrears().map(pb::WageArrears::from),
        }
    }
}

/// A dispute from the wire, with field paths in errors relative to the
/// dispute (`category`, `wage_arrears.workers`, …).
impl TryFrom<pb::Dispute> for Dispute {
    type Error = DomainError;

    fn try_from(dispute: pb::Dispute) -> Result<Self, DomainError> {
        let category = DisputeCategory::from_wire(dispute.category, "category")?;
        let outcome = DisputeOutcome::from_wire(dispute.outcome, "outcome")?;
        let wage_arrears = dispute
            .wage_arrears
            .map(|wage| {
                WageArrears::new(WageArrearsDraft {
                    employer: wage.employer,
                    workers: wage.workers,
                    amount_claimed_cents: wage.amount_claimed_cents,
                    amount_recovered_cents: wage.amount_recovered_cents,
                })
                .map_err(|error| error.within("wage_arrears"))
            })
            .transpose()?;
        Dispute::new(DisputeDraft {
            local_id: dispute.local_id,
            category,
            outcome,
            parties: dispute.parties,
            summary: dispute.summary,
            // The domain treats an empty case id as none.
            case_id: Some(dispute.case_id),
            wage_arrears,
        })
    }
}

impl From<&DailyReport> for pb::DailyReport {
    fn from(report: &DailyReport) -> Self {
        pb::DailyReport {
            unit_id: report.unit_id().to_string(),
            date: format_date(report.date()),
            revision: report.revision().get(),
            reporter: report.reporter().to_owned(),
            zero: report.zero(),
            disputes: report.disputes().iter().map(pb::Dispute::from).collect(),
            correction_reason: report.correction_reason().unwrap_or_default().to_owned(),
        }
    }
}

/// A report from the wire, with field paths relative to the report; the
/// report of a `SubmitDailyReportRequest` is read with
/// [`crate::required_at`]`(request.report, "report")`, so errors read e.g.
/// `report.disputes[2].wage_arrears.amount_claimed_cents`.
impl TryFrom<pb::DailyReport> for DailyReport {
    type Error = DomainError;

    fn try_from(report: pb::DailyReport) -> Result<Self, DomainError> {
        let unit_id = parse_unit_id(&report.unit_id, "unit_id")?;
        let date = parse_date(&report.date, "date")?;
        let revision = Revision::new(report.revision)?;
        // Refuse an oversized list before looking into its disputes, so the error
        // names the real problem.
        if report.disputes.len() > MAX_DISPUTES {
            return Err(DomainError::invalid(
                "disputes",
                why!(
                    AT_MOST_DISPUTES_PER_REPORT_GOT,
                    "at most {max} disputes per report, got {len}",
                    max = MAX_DISPUTES,
                    len = report.disputes.len()
                ),
            ));
        }
        let disputes = report
            .disputes
            .into_iter()
            .enumerate()
            .map(|(position, dispute)| crate::convert_at(dispute, &format!("disputes[{position}]")))
            .collect::<Result<Vec<_>, _>>()?;
        DailyReport::new(ReportDraft {
            unit_id,
            date,
            revision,
            reporter: report.reporter,
            zero: report.zero,
            disputes,
            correction_reason: report.correction_reason,
        })
    }
}

/// A stored report on the wire, with its `on_time` flag (which the node
/// computes from its deadline policy, so it is an input here).
pub fn stored_report_to_pb(stored: &StoredReport, on_time: bool) -> pb::StoredDailyReport {
    pb::StoredDailyReport {
        report: Some(pb::DailyReport::from(&stored.report)),
        accepted_at: Some(timestamp(stored.accepted_at)),
        first_accepted_at: Some(timestamp(stored.first_accepted_at)),
        on_time,
    }
}

/// A stored report from the wire (e.g. what `GetDailyReport` returned), with
/// its `on_time` flag. Errors name fields relative to the message, e.g.
/// `report.date` or `accepted_at`.
impl TryFrom<pb::StoredDailyReport> for (StoredReport, bool) {
    type Error = DomainError;

    fn try_from(stored: pb::StoredDailyReport) -> Result<Self, DomainError> {
        let report = crate::required_at(stored.report, "report")?;
        let accepted_at = from_timestamp(stored.accepted_at, "accepted_at")?;
        let first_accepted_at = from_timestamp(stored.first_accepted_at, "first_accepted_at")?;
        Ok((StoredReport { report, accepted_at, first_accepted_at }, stored.on_time))
    }
}

/// One entry of a report's history.
impl From<&StoredReport> for pb::RevisionInfo {
    fn from(stored: &StoredReport) -> Self {
        let report = &stored.report;
        pb::RevisionInfo {
            revision: report.revision().get(),
            accepted_at: Some(timestamp(stored.accepted_at)),
            correction_reason: report.correction_reason().unwrap_or_default().to_owned(),
            zero: report.zero(),
            // At most MAX_DISPUTES.
            dispute_count: u32::try_from(report.disputes().len()).unwrap_or(u32::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use fengqiao_core::{DisputeCategory, DisputeOutcome};

    use super::*;
    use crate::required_at;

    /// The report of a `SubmitDailyReportRequest`.
    fn report_from_pb(report: Option<pb::DailyReport>) -> Result<DailyReport, DomainError> {
        required_at(report, "report")
    }

    /// A stored report found at `path`.
    fn stored_report_from_pb(
        stored: Option<pb::StoredDailyReport>,
        path: &str,
    ) -> Result<(StoredReport, bool), DomainError> {
        required_at(stored, path)
    }

    fn wage_dispute() -> pb::Dispute {
        pb::Dispute {
            local_id: "d-1".into(),
            category: pb::DisputeCategory::WageArrears.into(),
            outcome: pb::DisputeOutcome::Registered.into(),
            parties: 13,
            summary: "工程款结算拖延导致欠薪".into(),
            case_id: "2026-MC-0123".into(),
            wage_arrears: Some(pb::WageArrears {
                employer: "平顶山某建筑公司".into(),
                workers: 12,
                amount_claimed_cents: 36_000_000,
                amount_recovered_cents: 12_000_000,
            }),
        }
    }

    fn land_dispute() -> pb::Dispute {
        pb::Dispute {
            local_id: "d-2".into(),
            category: pb::DisputeCategory::Land.into(),
            outcome: pb::DisputeOutcome::Mediating.into(),
            parties: 2,
            summary: "boundary wall between two courtyards".into(),
            case_id: String::new(),
            wage_arrears: None,
        }
    }

    /// A valid correction with a wage-arrears and a land dispute.
    fn wire() -> pb::DailyReport {
        pb::DailyReport {
            unit_id: "410411001001001".into(),
            date: "2026-11-27".into(),
            revision: 2,
            reporter: "officer-7".into(),
            zero: false,
            disputes: vec![wage_dispute(), land_dispute()],
            correction_reason: "recount after the evening visit".into(),
        }
    }

    fn zero_wire() -> pb::DailyReport {
        pb::DailyReport {
            revision: 1,
            zero: true,
            disputes: vec![],
            correction_reason: String::new(),
            ..wire()
        }
    }

    #[test]
    fn full_report_round_trips() {
        let report = report_from_pb(Some(wire())).unwrap();
        assert_eq!(report.unit_id().as_str(), "410411001001001");
        assert_eq!(report.date(), chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        assert_eq!(report.revision().get(), 2);
        assert_eq!(report.correction_reason(), Some("recount after the evening visit"));
        assert!(!report.zero());
        let [wage, land] = report.disputes() else { panic!("two disputes expected") };
        assert_eq!(wage.category(), DisputeCategory::WageArrears);
        assert_eq!(wage.outcome(), DisputeOutcome::Registered);
        assert_eq!(wage.case_id(), Some("2026-MC-0123"));
        let facts = wage.wage_arrears().unwrap();
        assert_eq!(
            (facts.workers(), facts.amount_claimed_cents(), facts.amount_recovered_cents()),
            (12, 36_000_000, 12_000_000)
        );
        assert_eq!(land.category(), DisputeCategory::Land);
        assert_eq!(land.case_id(), None);
        assert!(land.wage_arrears().is_none());
        assert_eq!(pb::DailyReport::from(&report), wire());
    }

    #[test]
    fn zero_report_round_trips() {
        let report = report_from_pb(Some(zero_wire())).unwrap();
        assert!(report.zero());
        assert_eq!(report.correction_reason(), None);
        assert_eq!(pb::DailyReport::from(&report), zero_wire());
    }

    #[test]
    fn missing_report_is_invalid() {
        assert_eq!(
            report_from_pb(None),
            Err(DomainError::invalid("report", fengqiao_core::why!(MUST_BE_SET, "must be set")))
        );
    }

    fn field_of(result: Result<DailyReport, DomainError>) -> (String, String) {
        match result {
            Err(DomainError::Invalid { field, reason }) => (field, reason.text),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn bad_inputs_name_the_exact_field() {
        type Mutate = fn(&mut pb::DailyReport);
        let cases: Vec<(&str, Mutate, &str)> = vec![
            ("empty unit_id", |r| r.unit_id.clear(), "report.unit_id"),
            ("malformed date", |r| r.date = "2026-13-01".into(), "report.date"),
            ("revision 0", |r| r.revision = 0, "report.revision"),
            ("unknown category", |r| r.disputes[1].category = 99, "report.disputes[1].category"),
            ("unspecified outcome", |r| r.disputes[0].outcome = 0, "report.disputes[0].outcome"),
            ("zero with disputes", |r| r.zero = true, "report.zero"),
            (
                "not zero without disputes",
                |r| {
                    r.disputes.clear();
                    r.zero = false;
                },
                "report.zero",
            ),
            (
                "negative amount",
                |r| r.disputes[0].wage_arrears.as_mut().unwrap().amount_claimed_cents = -1,
                "report.disputes[0].wage_arrears.amount_claimed_cents",
            ),
            (
                "amount over 10^12",
                |r| {
                    let wage = r.disputes[0].wage_arrears.as_mut().unwrap();
                    wage.amount_claimed_cents = 1_000_000_000_001;
                },
                "report.disputes[0].wage_arrears.amount_claimed_cents",
            ),
            (
                "recovered over claimed",
                |r| r.disputes[0].wage_arrears.as_mut().unwrap().amount_recovered_cents = 36_000_001,
                "report.disputes[0].wage_arrears.amount_recovered_cents",
            ),
            (
                "summary of 501 chars",
                |r| r.disputes[1].summary = "议".repeat(501),
                "report.disputes[1].summary",
            ),
            (
                "201 disputes",
                |r| {
                    r.disputes = (0..201)
                        .map(|i| pb::Dispute { local_id: format!("d-{i}"), ..land_dispute() })
                        .collect();
                },
                "report.disputes",
            ),
            (
                "wage dispute without facts",
                |r| r.disputes[0].wage_arrears = None,
                "report.disputes[0].wage_arrears",
            ),
            (
                "land dispute with wage facts",
                |r| r.disputes[1].wage_arrears = wage_dispute().wage_arrears,
                "report.disputes[1].wage_arrears",
            ),
            ("correction without reason", |r| r.correction_reason.clear(), "report.correction_reason"),
            ("reason on revision 1", |r| r.revision = 1, "report.correction_reason"),
            ("empty reporter", |r| r.reporter.clear(), "report.reporter"),
            (
                "no workers",
                |r| r.disputes[0].wage_arrears.as_mut().unwrap().workers = 0,
                "report.disputes[0].wage_arrears.workers",
            ),
            (
                "blank employer",
                |r| r.disputes[0].wage_arrears.as_mut().unwrap().employer = " ".into(),
                "report.disputes[0].wage_arrears.employer",
            ),
            (
                "case id without registration",
                |r| r.disputes[1].case_id = "C-1".into(),
                "report.disputes[1].case_id",
            ),
            ("duplicate local id", |r| r.disputes[1].local_id = "d-1".into(), "report.disputes[1].local_id"),
        ];
        for (name, mutate, expected) in cases {
            let mut report = wire();
            mutate(&mut report);
            let (field, reason) = field_of(report_from_pb(Some(report)));
            assert_eq!(field, expected, "{name}: {reason}");
        }
    }

    #[test]
    fn enum_reasons_say_what_is_wrong() {
        let mut report = wire();
        report.disputes[0].category = 42;
        assert_eq!(field_of(report_from_pb(Some(report))).1, "unknown value 42");
        let mut report = wire();
        report.disputes[0].outcome = 0;
        assert_eq!(field_of(report_from_pb(Some(report))).1, "must be set");
    }

    fn stored() -> StoredReport {
        StoredReport {
            report: report_from_pb(Some(wire())).unwrap(),
            accepted_at: Utc.with_ymd_and_hms(2026, 11, 27, 12, 30, 0).unwrap(),
            first_accepted_at: Utc.with_ymd_and_hms(2026, 11, 27, 9, 15, 0).unwrap(),
        }
    }

    #[test]
    fn stored_reports_round_trip() {
        let stored = stored();
        let wire_stored = stored_report_to_pb(&stored, true);
        assert_eq!(wire_stored.report, Some(wire()));
        assert_eq!(wire_stored.accepted_at.unwrap().seconds, stored.accepted_at.timestamp());
        assert!(wire_stored.on_time);
        assert_eq!(stored_report_from_pb(Some(wire_stored.clone()), "report"), Ok((stored, true)));

        let mut no_time = wire_stored.clone();
        no_time.first_accepted_at = None;
        let error = stored_report_from_pb(Some(no_time), "report").unwrap_err();
        assert_eq!(
            error,
            DomainError::invalid("report.first_accepted_at", fengqiao_core::why!(MUST_BE_SET, "must be set"))
        );
        let mut bad_report = wire_stored;
        bad_report.report.as_mut().unwrap().date = "27/11/2026".into();
        let error = stored_report_from_pb(Some(bad_report), "reports[4]").unwrap_err();
        assert!(matches!(error, DomainError::Invalid { field, .. } if field == "reports[4].report.date"));
        assert_eq!(
            stored_report_from_pb(None, "report"),
            Err(DomainError::invalid("report", fengqiao_core::why!(MUST_BE_SET, "must be set")))
        );
    }

    #[test]
    fn revision_info_summarises() {
        let info = pb::RevisionInfo::from(&stored());
        assert_eq!(info.revision, 2);
        assert_eq!(info.dispute_count, 2);
        assert!(!info.zero);
        assert_eq!(info.correction_reason, "recount after the evening visit");
        assert_eq!(info.accepted_at, Some(timestamp(stored().accepted_at)));
    }
}
