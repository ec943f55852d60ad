//! Daily screening reports, zero reports and the disputes they carry.

use crate::why;
use std::collections::HashSet;
use std::fmt;
use std::num::NonZeroU32;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::DomainError;
use crate::screen::check_free_text;
use crate::time::TimePolicy;
use crate::unit::{Unit, UnitId};

/// Most disputes one report may carry.
pub const MAX_DISPUTES: usize = 200;
/// Longest dispute summary, in characters.
pub const MAX_SUMMARY_CHARS: usize = 500;
/// Longest correction reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest employer name, in characters.
pub const MAX_EMPLOYER_CHARS: usize = 200;
/// Longest reporter id, dispute local id or case id, in bytes.
pub const MAX_ID_LEN: usize = 64;
/// Largest amount (claimed or recovered) in fen: ten billion yuan. Keeps any
/// district's yearly sums far inside `i64`.
pub const MAX_AMOUNT_CENTS: i64 = 1_000_000_000_000;
/// Most workers in one wage dispute.
pub const MAX_WORKERS: u32 = 100_000;
/// Most parties in one dispute.
pub const MAX_PARTIES: u32 = 10_000;

/// A report revision: 1, 2, …
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Revision(NonZeroU32);

impl Revision {
    pub const FIRST: Revision = Revision(NonZeroU32::MIN);

    pub fn new(value: u32) -> Result<Self, DomainError> {
        NonZeroU32::new(value)
            .map(Revision)
            .ok_or_else(|| DomainError::invalid("revision", why!(MUST_BE_AT_LEAST_1, "must be at least 1")))
    }

    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl TryFrom<u32> for Revision {
    type Error = DomainError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Revision::new(value)
    }
}

impl From<Revision> for u32 {
    fn from(revision: Revision) -> u32 {
        revision.get()
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The snake_case name used in files, the CLI and storage.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(value: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use named_enum;

named_enum!(
    /// What a dispute is about.
    DisputeCategory {
        WageArrears => "wage_arrears",
        Land => "land",
        HousingProperty => "housing_property",
        Neighbour => "neighbour",
        MarriageFamily => "marriage_family",
        Labour => "labour",
        Environment => "environment",
        PublicService => "public_service",
        LawRelated => "law_related",
        Other => "other",
    }
);

named_enum!(
    /// What became of a dispute by the time of the report.
    DisputeOutcome {
        ResolvedOnTheSpot => "resolved_on_the_spot",
        Mediating => "mediating",
        Registered => "registered",
        ReferredUp => "referred_up",
    }
);

pub(crate) fn check_chars(value: &str, field: &str, max: usize, required: bool) -> Result<(), DomainError> {
    if required && value.trim().is_empty() {
        return Err(DomainError::invalid(field, why!(MUST_NOT_BE_EMPTY, "must not be empty")));
    }
    if value.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            why!(MUST_BE_AT_MOST_CHARACTERS, "must be at most {max} characters", max = max),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(DomainError::invalid(
            field,
            why!(MUST_NOT_CONTAIN_CONTROL_CHARACTERS, "must not contain control characters"),
        ));
    }
    Ok(())
}

pub(crate) fn check_id(value: &str, field: &str) -> Result<(), DomainError> {
    if value.is_empty() {
        return Err(DomainError::invalid(field, why!(MUST_NOT_BE_EMPTY, "must not be empty")));
    }
    if value.len() > MAX_ID_LEN {
        return Err(DomainError::invalid(
            field,
            why!(MUST_BE_AT_MOST_CHARACTERS, "must be at most {max} characters", max = MAX_ID_LEN),
        ));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(DomainError::invalid(
            field,
            why!(MAY_HOLD_ONLY_PRINTABLE_ASCII_WITHOUT, "may hold only printable ASCII without spaces"),
        ));
    }
    Ok(())
}

pub(crate) fn check_amount(value: i64, field: &str) -> Result<(), DomainError> {
    if value < 0 {
        return Err(DomainError::invalid(field, why!(MUST_NOT_BE_NEGATIVE, "must not be negative")));
    }
    if value > MAX_AMOUNT_CENTS {
        return Err(DomainError::invalid(
            field,
            why!(MUST_BE_AT_MOST_FEN, "must be at most {max} fen", max = MAX_AMOUNT_CENTS),
        ));
    }
    Ok(())
}

/// The wage-arrears facts of a dispute.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "WageArrearsDraft")]
pub struct WageArrears {
    employer: String,
    workers: u32,
    amount_claimed_cents: i64,
    amount_recovered_cents: i64,
}

/// Unchecked fields of a [`WageArrears`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WageArrearsDraft {
    pub employer: String,
    pub workers: u32,
    pub amount_claimed_cents: i64,
    pub amount_recovered_cents: i64,
}

impl TryFrom<WageArrearsDraft> for WageArrears {
    type Error = DomainError;
    fn try_from(draft: WageArrearsDraft) -> Result<Self, Self::Error> {
        WageArrears::new(draft)
    }
}

impl WageArrears {
    pub fn new(draft: WageArrearsDraft) -> Result<Self, DomainError> {
        check_chars(&draft.employer, "employer", MAX_EMPLOYER_CHARS, true)?;
        if draft.workers == 0 {
            return Err(DomainError::invalid("workers", why!(MUST_BE_AT_LEAST_1, "must be at least 1")));
        }
        if draft.workers > MAX_WORKERS {
            return Err(DomainError::invalid(
                "workers",
                why!(MUST_BE_AT_MOST, "must be at most {max}", max = MAX_WORKERS),
            ));
        }
        check_amount(draft.amount_claimed_cents, "amount_claimed_cents")?;
        check_amount(draft.amount_recovered_cents, "amount_recovered_cents")?;
        if draft.amount_recovered_cents > draft.amount_claimed_cents {
            return Err(DomainError::invalid(
                "amount_recovered_cents",
                why!(MUST_NOT_EXCEED_AMOUNT_CLAIMED_CENTS, "must not exceed amount_claimed_cents"),
            ));
        }
        Ok(WageArrears {
            employer: draft.employer.trim().to_owned(),
            workers: draft.workers,
            amount_claimed_cents: draft.amount_claimed_cents,
            amount_recovered_cents: draft.amount_recovered_cents,
        })
    }

    pub fn employer(&self) -> &str {
        &self.employer
    }
    pub fn workers(&self) -> u32 {
        self.workers
    }
    pub fn amount_claimed_cents(&self) -> i64 {
        self.amount_claimed_cents
    }
    pub fn amount_recovered_cents(&self) -> i64 {
        self.amount_recovered_cents
    }
}

/// One dispute found in screening. Holds no personal data: a new dispute's
/// summary and employer pass [`check_free_text`].
///
/// Deserialising (what the store does with the disputes it holds) checks
/// the fields' form but does not screen them again, so a report stored
/// before the screen existed can still be read, listed and corrected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "StoredDispute")]
pub struct Dispute {
    local_id: String,
    category: DisputeCategory,
    outcome: DisputeOutcome,
    parties: u32,
    summary: String,
    case_id: Option<String>,
    wage_arrears: Option<WageArrears>,
}

/// Unchecked fields of a [`Dispute`].
#[derive(Debug, Clone, Deserialize)]
pub struct DisputeDraft {
    pub local_id: String,
    pub category: DisputeCategory,
    pub outcome: DisputeOutcome,
    #[serde(default)]
    pub parties: u32,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub case_id: Option<String>,
    #[serde(default)]
    pub wage_arrears: Option<WageArrears>,
}

impl TryFrom<DisputeDraft> for Dispute {
    type Error = DomainError;
    fn try_from(draft: DisputeDraft) -> Result<Self, Self::Error> {
        Dispute::new(draft)
    }
}

/// A dispute as stored: read back through [`Dispute::well_formed`].
#[derive(Deserialize)]
#[serde(transparent)]
struct StoredDispute(DisputeDraft);

impl TryFrom<StoredDispute> for Dispute {
    type Error = DomainError;
    fn try_from(stored: StoredDispute) -> Result<Self, Self::Error> {
        Dispute::well_formed(stored.0)
    }
}

impl Dispute {
    /// Checks a new dispute, its summary and employer screened for personal
    /// data; field paths in errors are relative to the dispute.
    pub fn new(draft: DisputeDraft) -> Result<Self, DomainError> {
        let dispute = Dispute::well_formed(draft)?;
        check_free_text(&dispute.summary, "summary")?;
        if let Some(wage) = &dispute.wage_arrears {
            check_free_text(wage.employer(), "wage_arrears.employer")?;
        }
        Ok(dispute)
    }

    /// Checks a dispute's form (ids, lengths, what goes with what).
    fn well_formed(draft: DisputeDraft) -> Result<Self, DomainError> {
        check_id(&draft.local_id, "local_id")?;
        if draft.parties > MAX_PARTIES {
            return Err(DomainError::invalid(
                "parties",
                why!(MUST_BE_AT_MOST, "must be at most {max}", max = MAX_PARTIES),
            ));
        }
        check_chars(&draft.summary, "summary", MAX_SUMMARY_CHARS, false)?;
        let case_id = draft.case_id.filter(|id| !id.is_empty());
        if let Some(case_id) = &case_id {
            check_id(case_id, "case_id")?;
            if draft.outcome != DisputeOutcome::Registered {
                return Err(DomainError::invalid(
                    "case_id",
                    why!(
                        ONLY_DISPUTE_REGISTERED_AS_CASE_NAMES,
                        "only a dispute registered as a case names one"
                    ),
                ));
            }
        }
        match (draft.category, &draft.wage_arrears) {
            (DisputeCategory::WageArrears, None) => {
                return Err(DomainError::invalid(
                    "wage_arrears",
                    why!(REQUIRED_FOR_WAGE_ARREARS_DISPUTE, "is required for a wage-arrears dispute"),
                ));
            }
            (category, Some(_)) if category != DisputeCategory::WageArrears => {
                return Err(DomainError::invalid(
                    "wage_arrears",
                    why!(ONLY_FOR_WAGE_ARREARS_DISPUTES, "is only for wage-arrears disputes"),
                ));
            }
            _ => {}
        }
        Ok(Dispute {
            local_id: draft.local_id,
            category: draft.category,
            outcome: draft.outcome,
            parties: draft.parties,
            summary: draft.summary,
            case_id,
            wage_arrears: draft.wage_arrears,
        })
    }

    pub fn local_id(&self) -> &str {
        &self.local_id
    }
    pub fn category(&self) -> DisputeCategory {
        self.category
    }
    pub fn outcome(&self) -> DisputeOutcome {
        self.outcome
    }
    pub fn parties(&self) -> u32 {
        self.parties
    }
    pub fn summary(&self) -> &str {
        &self.summary
    }
    pub fn case_id(&self) -> Option<&str> {
        self.case_id.as_deref()
    }
    pub fn wage_arrears(&self) -> Option<&WageArrears> {
        self.wage_arrears.as_ref()
    }
}

/// The key of a report: one per unit per local date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReportKey {
    pub unit_id: UnitId,
    pub date: NaiveDate,
}

impl fmt::Display for ReportKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.unit_id, self.date)
    }
}

/// A daily screening report, or a zero report when it has no disputes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DailyReport {
    unit_id: UnitId,
    date: NaiveDate,
    revision: Revision,
    reporter: String,
    disputes: Vec<Dispute>,
    correction_reason: Option<String>,
}

/// Unchecked fields of a [`DailyReport`], as a client states them.
#[derive(Debug, Clone)]
pub struct ReportDraft {
    pub unit_id: UnitId,
    pub date: NaiveDate,
    pub revision: Revision,
    pub reporter: String,
    /// What the client claims; must agree with `disputes`.
    pub zero: bool,
    pub disputes: Vec<Dispute>,
    pub correction_reason: String,
}

impl DailyReport {
    /// Checks a report on its own (not against a tree or a clock: see
    /// [`DailyReport::check_admissible`]), its correction reason screened for
    /// personal data (its disputes were, when they were made). Field paths
    /// are relative to the report.
    pub fn new(draft: ReportDraft) -> Result<Self, DomainError> {
        let report = DailyReport::well_formed(draft)?;
        if let Some(reason) = &report.correction_reason {
            check_free_text(reason, "correction_reason")?;
        }
        Ok(report)
    }

    /// Checks a report's form; what [`DailyReport::from_stored`] holds a
    /// stored report to.
    fn well_formed(draft: ReportDraft) -> Result<Self, DomainError> {
        check_id(&draft.reporter, "reporter")?;
        if draft.disputes.len() > MAX_DISPUTES {
            return Err(DomainError::invalid(
                "disputes",
                why!(AT_MOST_DISPUTES_PER_REPORT, "at most {max} disputes per report", max = MAX_DISPUTES),
            ));
        }
        if draft.zero && !draft.disputes.is_empty() {
            return Err(DomainError::invalid(
                "zero",
                why!(ZERO_REPORT_CARRIES_NO_DISPUTES, "a zero report carries no disputes"),
            ));
        }
        if !draft.zero && draft.disputes.is_empty() {
            return Err(DomainError::invalid(
                "zero",
                why!(
                    REPORT_WITHOUT_DISPUTES_MUST_BE_SENT,
                    "a report without disputes must be sent as a zero report"
                ),
            ));
        }
        let mut seen = HashSet::with_capacity(draft.disputes.len());
        for (position, dispute) in draft.disputes.iter().enumerate() {
            if !seen.insert(dispute.local_id()) {
                return Err(DomainError::invalid(
                    format!("disputes[{position}].local_id"),
                    why!(APPEARS_TWICE_IN_REPORT, "appears twice in the report"),
                ));
            }
        }
        check_chars(&draft.correction_reason, "correction_reason", MAX_REASON_CHARS, false)?;
        let correction_reason = if draft.revision == Revision::FIRST {
            if !draft.correction_reason.is_empty() {
                return Err(DomainError::invalid(
                    "correction_reason",
                    why!(
                        REVISION_1_NOT_CORRECTION_LEAVE_EMPTY,
                        "revision 1 is not a correction; leave it empty"
                    ),
                ));
            }
            None
        } else {
            if draft.correction_reason.trim().is_empty() {
                return Err(DomainError::invalid(
                    "correction_reason",
                    why!(CORRECTION_REVISION_1_NEEDS_REASON, "a correction (revision > 1) needs a reason"),
                ));
            }
            Some(draft.correction_reason)
        };
        Ok(DailyReport {
            unit_id: draft.unit_id,
            date: draft.date,
            revision: draft.revision,
            reporter: draft.reporter,
            disputes: draft.disputes,
            correction_reason,
        })
    }

    /// Checks the report against its unit, the node's local today and the
    /// deployment's first day of reporting (`start`, `reporting.start_date`):
    /// not in the future, not before the start, and on a day the unit is
    /// active.
    pub fn check_admissible(
        &self,
        unit: &Unit,
        today: NaiveDate,
        start: Option<NaiveDate>,
    ) -> Result<(), DomainError> {
        if self.date > today {
            return Err(DomainError::invalid(
                "date",
                why!(AFTER_TODAY, "{date} is after today ({today})", date = self.date, today = today),
            ));
        }
        if let Some(start) = start
            && self.date < start
        {
            return Err(DomainError::invalid(
                "date",
                why!(
                    BEFORE_REPORTING_STARTED_ON_REPORTING_START,
                    "{date} is before reporting started on {start} (reporting.start_date)",
                    date = self.date,
                    start = start
                ),
            ));
        }
        if let Some(from) = unit.active_from
            && self.date < from
        {
            return Err(DomainError::invalid(
                "date",
                why!(
                    UNIT_OPENED_ON_AFTER,
                    "unit {unit} opened on {from}, after {date}",
                    unit = unit.id,
                    from = from,
                    date = self.date
                ),
            ));
        }
        if let Some(to) = unit.active_to
            && self.date > to
        {
            return Err(DomainError::invalid(
                "date",
                why!(
                    UNIT_CLOSED_AFTER_BEFORE,
                    "unit {unit} closed after {to}, before {date}",
                    unit = unit.id,
                    to = to,
                    date = self.date
                ),
            ));
        }
        if !unit.reporting {
            return Err(DomainError::invalid(
                "unit_id",
                why!(
                    UNIT_DOES_NOT_FILE_DAILY_REPORTS,
                    "unit {unit} does not file daily reports",
                    unit = unit.id
                ),
            ));
        }
        Ok(())
    }

    pub fn key(&self) -> ReportKey {
        ReportKey { unit_id: self.unit_id.clone(), date: self.date }
    }
    pub fn unit_id(&self) -> &UnitId {
        &self.unit_id
    }
    pub fn date(&self) -> NaiveDate {
        self.date
    }
    pub fn revision(&self) -> Revision {
        self.revision
    }
    pub fn reporter(&self) -> &str {
        &self.reporter
    }
    /// True exactly when the report has no disputes.
    pub fn zero(&self) -> bool {
        self.disputes.is_empty()
    }
    pub fn disputes(&self) -> &[Dispute] {
        &self.disputes
    }
    pub fn correction_reason(&self) -> Option<&str> {
        self.correction_reason.as_deref()
    }

    /// The disputes as stored: canonical JSON.
    pub fn disputes_json(&self) -> String {
        serde_json::to_string(&self.disputes).expect("disputes serialise")
    }

    /// A digest of everything the submitter stated, used to tell an
    /// identical resubmission (a duplicate) from a conflicting one.
    pub fn content_hash(&self) -> [u8; 32] {
        let canonical = serde_json::to_vec(self).expect("reports serialise");
        Sha256::digest(canonical).into()
    }

    /// Rebuilds a stored report (the store calls this with what it read).
    /// Its form is checked, but its text is not screened again: a report
    /// stored before the screen existed stays readable.
    pub fn from_stored(
        unit_id: UnitId,
        date: NaiveDate,
        revision: Revision,
        reporter: String,
        disputes_json: &str,
        correction_reason: Option<String>,
    ) -> Result<Self, DomainError> {
        let disputes = parse_disputes_json(disputes_json)?;
        DailyReport::well_formed(ReportDraft {
            unit_id,
            date,
            revision,
            reporter,
            zero: disputes.is_empty(),
            disputes,
            correction_reason: correction_reason.unwrap_or_default(),
        })
    }
}

/// Reads disputes stored with [`DailyReport::disputes_json`].
pub fn parse_disputes_json(disputes_json: &str) -> Result<Vec<Dispute>, DomainError> {
    serde_json::from_str(disputes_json).map_err(|error| {
        DomainError::invalid(
            "disputes",
            why!(STORED_DISPUTES_UNREADABLE, "stored disputes unreadable: {error}", error = error),
        )
    })
}

/// A report as a node stores it, with its acceptance times. `accepted_at` is
/// when the first node that received this revision accepted it;
/// `first_accepted_at` is the same for the report's first revision, which is
/// what timeliness is judged on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    pub report: DailyReport,
    pub accepted_at: DateTime<Utc>,
    pub first_accepted_at: DateTime<Utc>,
}

/// What a node checks a report forwarded by a child node against.
#[derive(Debug, Clone, Copy)]
pub struct ForwardedCheck<'a> {
    /// The report's unit, as this node's tree has it.
    pub unit: &'a Unit,
    /// This node's clock.
    pub now: DateTime<Utc>,
    /// How far another node's clock may run ahead of this one's
    /// (`time.max_clock_skew_secs`).
    pub max_skew: Duration,
    pub policy: &'a TimePolicy,
    /// The deployment's first day of reporting, if it has one.
    pub start: Option<NaiveDate>,
}

impl StoredReport {
    /// Checks a report a child node forwarded, with the acceptance times the
    /// node that first accepted it stamped: the rules of a direct submission
    /// (allowing `max_skew` on "today"), and times a node could have stamped
    /// honestly — neither in the future, nor the first acceptance after this
    /// revision's, nor before the report's day began (no node accepts a
    /// report for a day that has not started), and for revision 1 the first
    /// acceptance *is* this revision's: a first revision stamped on time
    /// while accepted late is back-dated. Field paths are those of a
    /// `StoredDailyReport`.
    pub fn check_forwarded(&self, check: &ForwardedCheck<'_>) -> Result<(), DomainError> {
        let latest = check.now + check.max_skew;
        let skew = check.max_skew.num_seconds();
        self.report
            .check_admissible(check.unit, check.policy.local_date(latest), check.start)
            .map_err(|e| e.within("report"))?;
        if self.accepted_at > latest {
            return Err(DomainError::invalid(
                "accepted_at",
                why!(
                    IN_THE_FUTURE,
                    "{at} is in the future: this node's clock reads {now}, allowing {skew} s of skew",
                    at = self.accepted_at,
                    now = check.now,
                    skew = skew
                ),
            ));
        }
        if self.first_accepted_at > self.accepted_at {
            return Err(DomainError::invalid(
                "first_accepted_at",
                why!(
                    AFTER_ACCEPTED_AT,
                    "{first_accepted_at} is after accepted_at {accepted_at}",
                    first_accepted_at = self.first_accepted_at,
                    accepted_at = self.accepted_at
                ),
            ));
        }
        let date = self.report.date();
        let day_began = check.policy.start_of(date);
        if self.first_accepted_at < day_began {
            return Err(DomainError::invalid(
                "first_accepted_at",
                why!(
                    BEFORE_BEGAN_NO_REPORT_ACCEPTED_BEFORE,
                    "{first_accepted_at} is before {date} began ({day_began}): no report is accepted before its day",
                    first_accepted_at = self.first_accepted_at,
                    date = date,
                    day_began = day_began
                ),
            ));
        }
        if self.report.revision() == Revision::FIRST && self.first_accepted_at != self.accepted_at {
            return Err(DomainError::invalid(
                "first_accepted_at",
                why!(
                    DIFFERS_FROM_ACCEPTED_AT_REVISION_1,
                    "{first_accepted_at} differs from accepted_at {accepted_at} of revision 1, which is the first acceptance: back-dated",
                    first_accepted_at = self.first_accepted_at,
                    accepted_at = self.accepted_at
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn dispute(local_id: &str, category: DisputeCategory) -> Dispute {
        let wage_arrears = (category == DisputeCategory::WageArrears).then(|| {
            WageArrears::new(WageArrearsDraft {
                employer: "平顶山某建筑公司".into(),
                workers: 12,
                amount_claimed_cents: 36_000_000,
                amount_recovered_cents: 12_000_000,
            })
            .unwrap()
        });
        Dispute::new(DisputeDraft {
            local_id: local_id.into(),
            category,
            outcome: DisputeOutcome::ResolvedOnTheSpot,
            parties: 2,
            summary: "boundary wall between two courtyards".into(),
            case_id: None,
            wage_arrears,
        })
        .unwrap()
    }

    pub fn draft(revision: u32, disputes: Vec<Dispute>) -> ReportDraft {
        ReportDraft {
            unit_id: UnitId::parse("410411001001001").unwrap(),
            date: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            revision: Revision::new(revision).unwrap(),
            reporter: "officer-7".into(),
            zero: disputes.is_empty(),
            disputes,
            correction_reason: if revision > 1 { "recount".into() } else { String::new() },
        }
    }

    #[test]
    fn zero_must_match_disputes() {
        let mut zero_with_disputes = draft(1, vec![dispute("d1", DisputeCategory::Land)]);
        zero_with_disputes.zero = true;
        assert_eq!(
            DailyReport::new(zero_with_disputes).unwrap_err(),
            DomainError::invalid(
                "zero",
                why!(ZERO_REPORT_CARRIES_NO_DISPUTES, "a zero report carries no disputes")
            )
        );
        let mut nonzero_without = draft(1, vec![]);
        nonzero_without.zero = false;
        assert!(
            matches!(DailyReport::new(nonzero_without), Err(DomainError::Invalid { field, .. }) if field == "zero")
        );
        assert!(DailyReport::new(draft(1, vec![])).unwrap().zero());
    }

    #[test]
    fn corrections_need_reasons() {
        let mut no_reason = draft(2, vec![]);
        no_reason.correction_reason = "  ".into();
        assert!(
            matches!(DailyReport::new(no_reason), Err(DomainError::Invalid { field, .. }) if field == "correction_reason")
        );
        let mut reason_on_first = draft(1, vec![]);
        reason_on_first.correction_reason = "why".into();
        assert!(DailyReport::new(reason_on_first).is_err());
    }

    #[test]
    fn wage_facts_are_checked() {
        let base = || WageArrearsDraft {
            employer: "某公司".into(),
            workers: 3,
            amount_claimed_cents: 100,
            amount_recovered_cents: 50,
        };
        assert!(WageArrears::new(base()).is_ok());
        assert!(WageArrears::new(WageArrearsDraft { amount_claimed_cents: -1, ..base() }).is_err());
        assert!(WageArrears::new(WageArrearsDraft { amount_recovered_cents: 101, ..base() }).is_err());
        assert!(
            WageArrears::new(WageArrearsDraft { amount_claimed_cents: MAX_AMOUNT_CENTS + 1, ..base() })
                .is_err()
        );
        assert!(WageArrears::new(WageArrearsDraft { workers: 0, ..base() }).is_err());
        assert!(WageArrears::new(WageArrearsDraft { employer: " ".into(), ..base() }).is_err());
        let missing = DisputeDraft {
            local_id: "d".into(),
            category: DisputeCategory::WageArrears,
            outcome: DisputeOutcome::Mediating,
            parties: 0,
            summary: String::new(),
            case_id: None,
            wage_arrears: None,
        };
        assert!(Dispute::new(missing).is_err());
    }

    #[test]
    fn stored_form_round_trips() {
        let report = DailyReport::new(draft(
            2,
            vec![dispute("a", DisputeCategory::WageArrears), dispute("b", DisputeCategory::Land)],
        ))
        .unwrap();
        let again = DailyReport::from_stored(
            report.unit_id().clone(),
            report.date(),
            report.revision(),
            report.reporter().into(),
            &report.disputes_json(),
            report.correction_reason().map(Into::into),
        )
        .unwrap();
        assert_eq!(again, report);
        assert_eq!(again.content_hash(), report.content_hash());
    }

    fn group() -> Unit {
        Unit {
            id: UnitId::parse("410411001001001").unwrap(),
            parent: Some(UnitId::parse("410411001001").unwrap()),
            tier: crate::unit::Tier::Group,
            name: "1号楼".into(),
            reporting: true,
            active_from: None,
            active_to: None,
            moves: Vec::new(),
        }
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    /// A report for `date` (revision `revision`) accepted and first accepted at the given times.
    fn forwarded(
        date: NaiveDate,
        revision: u32,
        accepted_at: DateTime<Utc>,
        first_accepted_at: DateTime<Utc>,
    ) -> StoredReport {
        let report = DailyReport::new(ReportDraft { date, ..draft(revision, vec![]) }).unwrap();
        StoredReport { report, accepted_at, first_accepted_at }
    }

    fn field_of(result: Result<(), DomainError>) -> String {
        match result {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn nothing_before_the_start_of_reporting() {
        let unit = group();
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let start = NaiveDate::from_ymd_opt(2026, 11, 25);
        let on = |date: NaiveDate| DailyReport::new(ReportDraft { date, ..draft(1, vec![]) }).unwrap();
        let year_one = NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
        assert_eq!(field_of(on(year_one).check_admissible(&unit, today, start)), "date");
        assert_eq!(
            field_of(on(start.unwrap().pred_opt().unwrap()).check_admissible(&unit, today, start)),
            "date"
        );
        on(start.unwrap()).check_admissible(&unit, today, start).unwrap();
        on(year_one).check_admissible(&unit, today, None).unwrap();
    }

    #[test]
    fn forwarded_times_must_be_ones_an_honest_node_stamped() {
        let unit = group();
        let policy = TimePolicy::default();
        // 16:00 in Shanghai on 2026-11-28.
        let now = utc(2026, 11, 28, 8, 0);
        let check = ForwardedCheck {
            unit: &unit,
            now,
            max_skew: Duration::minutes(5),
            policy: &policy,
            start: NaiveDate::from_ymd_opt(2026, 11, 1),
        };
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        // 09:00 in Shanghai on the 27th, before its cut-off.
        let morning = utc(2026, 11, 27, 1, 0);
        forwarded(day(27), 1, morning, morning).check_forwarded(&check).unwrap();
        // A correction accepted later keeps the first acceptance.
        forwarded(day(27), 2, now, morning).check_forwarded(&check).unwrap();
        // A clock a little ahead is allowed: accepted 4 minutes from now.
        let ahead = now + Duration::minutes(4);
        forwarded(day(28), 1, ahead, ahead).check_forwarded(&check).unwrap();

        let bad = [
            (
                "dated 2099",
                forwarded(NaiveDate::from_ymd_opt(2099, 1, 1).unwrap(), 1, morning, morning),
                "report.date",
            ),
            ("dated tomorrow", forwarded(day(29), 1, morning, morning), "report.date"),
            ("before the start", forwarded(day(1).pred_opt().unwrap(), 1, morning, morning), "report.date"),
            ("accepted in 2099", forwarded(day(27), 2, utc(2099, 1, 1, 0, 0), morning), "accepted_at"),
            (
                "accepted beyond the skew",
                forwarded(day(28), 1, now + Duration::minutes(6), now + Duration::minutes(6)),
                "accepted_at",
            ),
            (
                "first accepted in year 1",
                forwarded(day(27), 2, morning, utc(1, 1, 1, 0, 0)),
                "first_accepted_at",
            ),
            ("first accepted after accepted", forwarded(day(27), 2, morning, now), "first_accepted_at"),
            // 23:59 on the 26th: before the 27th began.
            (
                "first accepted the day before",
                forwarded(day(27), 2, morning, utc(2026, 11, 26, 15, 59)),
                "first_accepted_at",
            ),
            // Accepted at 20:30, after the cut-off, stamped 09:00 to count as on time.
            (
                "back-dated revision 1",
                forwarded(day(27), 1, utc(2026, 11, 27, 12, 30), morning),
                "first_accepted_at",
            ),
        ];
        for (what, report, field) in bad {
            assert_eq!(field_of(report.check_forwarded(&check)), field, "{what}");
        }
    }

    #[test]
    fn free_text_holding_personal_data_is_refused_where_it_is_made() {
        fn invalid<T: fmt::Debug>(result: Result<T, DomainError>, expected: &str, kind: &str) {
            match result {
                Err(DomainError::Invalid { field, reason }) => {
                    assert_eq!(field, expected);
                    assert!(reason.text.contains(kind), "{reason}");
                    assert!(!reason.text.contains("139"), "the value is not echoed: {reason}");
                }
                other => panic!("expected Invalid on {expected}, got {other:?}"),
            }
        }
        let draft = |summary: &str, employer: &str| DisputeDraft {
            local_id: "d-1".into(),
            category: DisputeCategory::WageArrears,
            outcome: DisputeOutcome::Mediating,
            parties: 2,
            summary: summary.into(),
            case_id: None,
            wage_arrears: Some(
                WageArrears::new(WageArrearsDraft {
                    employer: employer.into(),
                    workers: 3,
                    amount_claimed_cents: 100,
                    amount_recovered_cents: 0,
                })
                .unwrap(),
            ),
        };
        invalid(
            Dispute::new(draft("身份证410411199001011237 电话13912345678", "某建筑公司")),
            "summary",
            "a resident identity number at character 4 and a mobile phone number at character 25",
        );
        invalid(Dispute::new(draft("拖欠工资", "包工头 139-1234-5678")), "wage_arrears.employer", "mobile");
        let clean =
            Dispute::new(draft("拖欠3名工人工资8642000元，约定20190301前付清", "某建筑公司")).unwrap();
        assert_eq!(clean.summary(), "拖欠3名工人工资8642000元，约定20190301前付清");

        let mut correction = draft_report(2);
        correction.correction_reason = "申请人来电 0375-1234567 更正".into();
        invalid(DailyReport::new(correction), "correction_reason", "a landline phone number");
    }

    fn draft_report(revision: u32) -> ReportDraft {
        draft(revision, vec![dispute("d-1", DisputeCategory::Land)])
    }

    #[test]
    fn a_stored_report_is_read_without_screening_it_again() {
        // A report stored before the screen existed: its form is checked,
        // its text is not, so it can still be listed and corrected.
        let report = DailyReport::new(draft_report(2)).unwrap();
        let legacy =
            report.disputes_json().replace("boundary wall between two courtyards", "电话13912345678");
        let stored = DailyReport::from_stored(
            report.unit_id().clone(),
            report.date(),
            report.revision(),
            report.reporter().to_owned(),
            &legacy,
            Some("来电13912345678".into()),
        )
        .unwrap();
        assert_eq!(stored.disputes()[0].summary(), "电话13912345678");
        // Form is still checked on the way back.
        let malformed = legacy.replace("\"d-1\"", "\"\"");
        assert!(
            DailyReport::from_stored(
                report.unit_id().clone(),
                report.date(),
                report.revision(),
                report.reporter().to_owned(),
                &malformed,
                Some("recount".into()),
            )
            .is_err()
        );
    }

    #[test]
    fn duplicate_local_ids_are_rejected() {
        let twice = draft(1, vec![dispute("a", DisputeCategory::Land), dispute("a", DisputeCategory::Other)]);
        assert!(
            matches!(DailyReport::new(twice), Err(DomainError::Invalid { field, .. }) if field == "disputes[1].local_id")
        );
    }
}
