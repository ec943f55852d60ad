//! Retention of raw text: after a configured number of months a report
//! revision's free text is removed, its structured fields kept.
//!
//! What goes: each dispute's `summary` and the revision's
//! `correction_reason` (the text a reporter wrote; it may describe the
//! people of a dispute). What stays: every field the rollups, `fengqiao
//! verify`, a rollup rebuild and reconciliation read — categories,
//! outcomes, party counts, case ids, the wage-arrears figures, and the
//! wage-arrears employer: distinct-employer counts are rebuilt from the
//! employer names of current reports (`employer_days`), so removing them
//! would make a rebuild disagree with the rollups kept. An employer is an
//! organisation, and screened for personal data when the report came in.
//! The reporter (the official accountable for the report) stays too.
//!
//! Removed text is replaced by [`REMOVED_TEXT`], never by an empty text, so
//! whoever reads the revision (GetReport, ExportReports) sees that text was
//! there and is gone, not a report that never said anything; the revision
//! is marked (`report_revisions.text_purged_at`). `content_hash` stays the
//! hash of what was sent, so a child resending the original revision is
//! still a duplicate, not a conflict. Revisions still waiting in the outbox
//! are left alone until delivered: the parent must receive what was sent.
//!
//! Rollups, the case ledger and the audit log are not touched.

use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::audit::AuditRecord;
use serde_json::Value;

use crate::{Store, StoreError};

/// What replaces removed text (both languages: stored data is not localised).
pub const REMOVED_TEXT: &str = "〔已按保存期限删除 / removed under the retention policy〕";

/// Revisions purged per transaction.
pub(crate) const PURGE_PAGE: i64 = 500;

/// What a purge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Revisions marked purged (text removed, or none to remove).
    pub revisions: u64,
    /// Of those, revisions whose text was replaced by [`REMOVED_TEXT`].
    pub texts_removed: u64,
}

/// The first day whose revisions keep their text when text is kept for
/// `months` months before `today` (the same day of the month, clamped to
/// the month's end).
pub fn cutoff(today: NaiveDate, months: u32) -> NaiveDate {
    today.checked_sub_months(chrono::Months::new(months)).unwrap_or(NaiveDate::MIN)
}

/// One run of the retention policy (a node runs it daily): with text kept
/// for `months` months, purges the revisions dated before
/// [`cutoff`]`(today, months)`; with `None` (keep for ever, the default)
/// purges nothing and touches nothing.
pub async fn run(
    store: &dyn Store,
    months: Option<u32>,
    today: NaiveDate,
    at: DateTime<Utc>,
    audit: AuditRecord,
) -> Result<Purged, StoreError> {
    match months {
        None => Ok(Purged::default()),
        Some(months) => store.purge_report_text(cutoff(today, months), at, audit).await,
    }
}

/// A revision a purge rewrites.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PurgeRow {
    pub unit_id: String,
    pub report_date: NaiveDate,
    pub revision: i64,
    pub disputes: String,
    pub correction_reason: Option<String>,
}

impl PurgeRow {
    /// The revision's disputes and correction reason with their free text
    /// replaced, and whether there was any.
    pub fn stripped(&self) -> Result<(String, Option<String>, bool), StoreError> {
        let corrupt = |what: String| {
            StoreError::Corrupt(format!(
                "report {}@{} r{}: {what}",
                self.unit_id, self.report_date, self.revision
            ))
        };
        let mut disputes: Value = serde_json::from_str(&self.disputes).map_err(|e| corrupt(e.to_string()))?;
        let mut removed = false;
        let list = disputes.as_array_mut().ok_or_else(|| corrupt("disputes are not a list".to_owned()))?;
        for dispute in list {
            let object =
                dispute.as_object_mut().ok_or_else(|| corrupt("a dispute is not an object".to_owned()))?;
            if let Some(Value::String(summary)) = object.get_mut("summary")
                && !summary.is_empty()
                && summary != REMOVED_TEXT
            {
                *summary = REMOVED_TEXT.to_owned();
                removed = true;
            }
        }
        let reason = match &self.correction_reason {
            Some(reason) if !reason.is_empty() && reason != REMOVED_TEXT => {
                removed = true;
                Some(REMOVED_TEXT.to_owned())
            }
            other => other.clone(),
        };
        let disputes = serde_json::to_string(&disputes).map_err(|e| corrupt(e.to_string()))?;
        Ok((disputes, reason, removed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(disputes: &str, reason: Option<&str>) -> PurgeRow {
        PurgeRow {
            unit_id: "u".into(),
            report_date: NaiveDate::from_ymd_opt(2024, 1, 2).unwrap(),
            revision: 2,
            disputes: disputes.into(),
            correction_reason: reason.map(str::to_owned),
        }
    }

    #[test]
    fn strips_summaries_and_reasons_keeps_the_rest() {
        let json = r#"[{"local_id":"d1","category":"wage_arrears","outcome":"mediated","parties":3,"summary":"张三欠薪","case_id":null,"wage_arrears":{"employer":"某建筑公司","workers":3,"amount_claimed_cents":100,"amount_recovered_cents":50}},{"local_id":"d2","category":"neighbour","outcome":"mediated","parties":2,"summary":"","case_id":null,"wage_arrears":null}]"#;
        let (disputes, reason, removed) = row(json, Some("typo")).stripped().unwrap();
        assert!(removed);
        assert_eq!(reason.as_deref(), Some(REMOVED_TEXT));
        assert!(!disputes.contains("张三"), "{disputes}");
        assert!(disputes.contains("某建筑公司") && disputes.contains("\"parties\":3"), "{disputes}");
        let parsed: Vec<Value> = serde_json::from_str(&disputes).unwrap();
        assert_eq!(parsed[0]["summary"], REMOVED_TEXT);
        assert_eq!(parsed[1]["summary"], "", "an empty summary stays empty");
        // Idempotent: a second strip removes nothing more.
        let again = PurgeRow { disputes, correction_reason: reason, ..row("[]", None) };
        let (_, _, removed) = again.stripped().unwrap();
        assert!(!removed);
    }

    #[test]
    fn a_zero_report_has_nothing_to_remove() {
        assert_eq!(row("[]", None).stripped().unwrap(), ("[]".to_owned(), None, false));
        assert!(row("{}", None).stripped().is_err());
    }

    #[test]
    fn cutoff_counts_months_back() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(cutoff(day(2026, 12, 6), 24), day(2024, 12, 6));
        assert_eq!(cutoff(day(2026, 3, 31), 1), day(2026, 2, 28));
    }
}
