//! The weekly resolution work report (化解工作周报告) as a document, and
//! accountability actions (责任追究): the rules, free of I/O.
//!
//! A unit's report for an ISO week is a log of [`Step`]s. The filer (the
//! leader of a unit that runs a node) files it, may withdraw a filing before
//! it is reviewed, and files again after a withdrawal, a return or an
//! unapproval; the reviewer (the leader of the unit above; at the root, the
//! root itself) approves or returns it; the reviewer's level or above may
//! take an approval back with a reason. Each filing is numbered (1, 2, …),
//! and each step of a filing is taken at most once, so a step is identified
//! by (unit, week, filing, step) — its [`ord`] — and a node that receives
//! the same step twice (a resend, a replay) stores it once.
//!
//! The state of a week is the fold of its steps ([`Week::state`]): the
//! latest filing's furthest step. Two steps of one filing can cross between
//! nodes (a withdrawal at the filer's node while the reviewer approves at
//! its own): the reviewer's step wins, as the later in [`Step`]'s order, and
//! both stay in the history.
//!
//! Approval is bottom-up and unapproval top-down (DHIS2's rules): a unit's
//! week is approved only when every child node its filing lists is approved
//! for the week, and unapproved only while the unit above is not. So where
//! a unit's approval stands, every approval below it stands too, and a
//! node's lock on its subtree follows from the approvals it knows.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};

use crate::error::DomainError;
use crate::time::{IsoWeek, TimePolicy};
use crate::unit::UnitId;
use crate::why;

/// A step of a week's report, in the order that decides a filing's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Filed = 1,
    Withdrawn = 2,
    Returned = 3,
    Approved = 4,
    Unapproved = 5,
}

impl Step {
    pub const ALL: [Step; 5] =
        [Step::Filed, Step::Withdrawn, Step::Returned, Step::Approved, Step::Unapproved];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Filed => "filed",
            Step::Withdrawn => "withdrawn",
            Step::Returned => "returned",
            Step::Approved => "approved",
            Step::Unapproved => "unapproved",
        }
    }

    pub fn parse(value: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.as_str() == value)
    }

    /// The step's number on the wire (`WeeklyStep`).
    pub fn number(self) -> i32 {
        self as i32
    }

    pub fn from_number(number: i32) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.number() == number)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Steps of one filing are numbered below this.
const STEPS_PER_FILING: i64 = 8;

/// A step's place in its week's log: filing × 8 + step. Unique per
/// (unit, week), increasing in the order the fold reads steps.
pub fn ord(filing: u32, step: Step) -> i64 {
    i64::from(filing) * STEPS_PER_FILING + step as i64
}

/// The filing and step of an [`ord`].
pub fn of_ord(ord: i64) -> Option<(u32, Step)> {
    let filing = u32::try_from(ord / STEPS_PER_FILING).ok()?;
    let step = Step::from_number(i32::try_from(ord % STEPS_PER_FILING).ok()?)?;
    (filing >= 1).then_some((filing, step))
}

/// Where a unit's report for a week stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Nothing (standing) filed, and not yet due.
    NotFiled,
    /// Nothing standing filed, and the due time has passed.
    Overdue,
    Filed,
    Withdrawn,
    Returned,
    Approved,
    Unapproved,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::NotFiled => "not_filed",
            State::Overdue => "overdue",
            State::Filed => "filed",
            State::Withdrawn => "withdrawn",
            State::Returned => "returned",
            State::Approved => "approved",
            State::Unapproved => "unapproved",
        }
    }

    /// Whether the unit has to file (again): nothing standing is filed.
    pub fn awaits_filing(self) -> bool {
        matches!(
            self,
            State::NotFiled | State::Overdue | State::Withdrawn | State::Returned | State::Unapproved
        )
    }
}

/// When weekly reports are due: a weekday and a local time in the week
/// after the reported one (`weekly.due`, default `MON 12:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuePolicy {
    pub weekday: Weekday,
    pub time: NaiveTime,
}

impl Default for DuePolicy {
    fn default() -> Self {
        DuePolicy { weekday: Weekday::Mon, time: NaiveTime::from_hms_opt(12, 0, 0).expect("valid") }
    }
}

impl DuePolicy {
    /// A policy from `DAY HH:MM` (`MON 12:00`; the day as its English
    /// abbreviation, any case).
    pub fn parse(value: &str) -> Result<DuePolicy, DomainError> {
        let invalid = || {
            DomainError::invalid(
                "weekly.due",
                why!(
                    WEEKLY_DUE_MALFORMED,
                    "\"{value}\" is not a weekday and time (expected e.g. MON 12:00)",
                    value = value
                ),
            )
        };
        let (day, time) = value.trim().split_once(' ').ok_or_else(invalid)?;
        let weekday: Weekday = day.trim().parse().map_err(|_| invalid())?;
        let time = NaiveTime::parse_from_str(time.trim(), "%H:%M").map_err(|_| invalid())?;
        Ok(DuePolicy { weekday, time })
    }

    /// When the report of `week` is due: the policy's weekday and time in
    /// the following week, in the deployment's zone.
    pub fn due_at(&self, policy: &TimePolicy, week: IsoWeek) -> DateTime<Utc> {
        let next_monday = week.monday() + Duration::days(7);
        let day = next_monday + Duration::days(i64::from(self.weekday.num_days_from_monday()));
        policy.at_local(day.and_time(self.time))
    }
}

/// The instant a week is over for filing: its last day's cut-off, when its
/// last daily reports are due.
pub fn week_over_at(policy: &TimePolicy, week: IsoWeek) -> DateTime<Utc> {
    policy.cutoff_of(week.sunday())
}

/// One stored step, as far as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    pub filing: u32,
    pub step: Step,
    pub at: DateTime<Utc>,
    /// The unit of the leader who approved or unapproved.
    pub reviewer: Option<UnitId>,
    /// A filing's child nodes (their reports are approved first).
    pub child_nodes: Vec<UnitId>,
}

/// The approval that stands on a week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub unit: UnitId,
    pub week: IsoWeek,
    pub filing: u32,
    pub at: DateTime<Utc>,
    pub reviewer: Option<UnitId>,
}

impl fmt::Display for Approval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the approval of {}'s weekly report for {} (filing {})", self.unit, self.week, self.filing)
    }
}

/// A unit's report for one week: its steps, in [`ord`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    pub unit: UnitId,
    pub week: IsoWeek,
    steps: Vec<StepRecord>,
}

impl Week {
    /// The week from its stored steps, in any order (a step stored twice
    /// counts once).
    pub fn new(unit: UnitId, week: IsoWeek, mut steps: Vec<StepRecord>) -> Week {
        steps.sort_by_key(|record| ord(record.filing, record.step));
        steps.dedup_by_key(|record| ord(record.filing, record.step));
        Week { unit, week, steps }
    }

    pub fn steps(&self) -> &[StepRecord] {
        &self.steps
    }

    /// The latest filing's number (0 when nothing was filed).
    pub fn latest_filing(&self) -> u32 {
        self.steps.last().map_or(0, |record| record.filing)
    }

    /// The latest filing's furthest step.
    fn latest_step(&self) -> Option<&StepRecord> {
        self.steps.last()
    }

    /// The week's first filing.
    pub fn first_filed_at(&self) -> Option<DateTime<Utc>> {
        self.steps.iter().find(|record| record.step == Step::Filed).map(|record| record.at)
    }

    /// Where the report stands at `now`, due at `due_at`.
    pub fn state(&self, now: DateTime<Utc>, due_at: DateTime<Utc>) -> State {
        match self.latest_step().map(|record| record.step) {
            None if now > due_at => State::Overdue,
            None => State::NotFiled,
            Some(Step::Filed) => State::Filed,
            Some(Step::Withdrawn) => State::Withdrawn,
            Some(Step::Returned) => State::Returned,
            Some(Step::Approved) => State::Approved,
            Some(Step::Unapproved) => State::Unapproved,
        }
    }

    /// Late: first filed after the due time, or unfiled past it.
    pub fn late(&self, now: DateTime<Utc>, due_at: DateTime<Utc>) -> bool {
        match self.first_filed_at() {
            Some(first) => first > due_at,
            None => now > due_at,
        }
    }

    /// The approval that stands, if the latest filing is approved.
    pub fn approval(&self) -> Option<Approval> {
        let last = self.latest_step()?;
        (last.step == Step::Approved).then(|| Approval {
            unit: self.unit.clone(),
            week: self.week,
            filing: last.filing,
            at: last.at,
            reviewer: last.reviewer.clone(),
        })
    }

    /// The child nodes the latest filing lists.
    pub fn child_nodes(&self) -> &[UnitId] {
        self.steps
            .iter()
            .rev()
            .find(|record| record.step == Step::Filed)
            .map_or(&[], |record| record.child_nodes.as_slice())
    }

    /// How many filings a reviewer returned.
    pub fn returns(&self) -> usize {
        self.steps.iter().filter(|record| record.step == Step::Returned).count()
    }

    /// The number a new filing takes, after `expected` (the filing the
    /// filer saw last): refused while a filing stands (filed or approved)
    /// or when `expected` is not the latest filing.
    pub fn check_file(&self, expected: u32) -> Result<u32, DomainError> {
        let latest = self.latest_filing();
        if let Some(last) = self.latest_step() {
            match last.step {
                Step::Filed => {
                    return Err(DomainError::FailedPrecondition(why!(
                        WEEKLY_ALREADY_FILED,
                        "{unit}'s weekly report for {week} is filed (filing {filing}) and awaits review: withdraw it first",
                        unit = self.unit,
                        week = self.week,
                        filing = last.filing
                    )));
                }
                Step::Approved => {
                    return Err(DomainError::FailedPrecondition(why!(
                        WEEKLY_ALREADY_APPROVED,
                        "{unit}'s weekly report for {week} is approved (filing {filing}): it must be unapproved before it is filed again",
                        unit = self.unit,
                        week = self.week,
                        filing = last.filing
                    )));
                }
                Step::Withdrawn | Step::Returned | Step::Unapproved => {}
            }
        }
        if expected != latest {
            return Err(DomainError::Aborted(why!(
                WEEKLY_FILING_STALE,
                "{unit}'s weekly report for {week} is at filing {latest}, not {expected}: read it again",
                unit = self.unit,
                week = self.week,
                latest = latest,
                expected = expected
            )));
        }
        Ok(latest + 1)
    }

    /// Checks that `filing` is the latest and stands filed, unreviewed.
    fn check_pending(&self, filing: u32) -> Result<(), DomainError> {
        self.check_latest(filing, Step::Filed, "filed and awaiting review")
    }

    fn check_latest(&self, filing: u32, step: Step, described: &str) -> Result<(), DomainError> {
        match self.latest_step() {
            Some(last) if last.filing == filing && last.step == step => Ok(()),
            Some(last) => Err(DomainError::FailedPrecondition(why!(
                WEEKLY_STEP_NOT_ALLOWED,
                "{unit}'s weekly report for {week} is {state} (filing {latest}), not filing {filing} {described}",
                unit = self.unit,
                week = self.week,
                state = last.step,
                latest = last.filing,
                filing = filing,
                described = described
            ))),
            None => Err(DomainError::NotFound(why!(
                WEEKLY_NOT_FILED,
                "{unit} has filed no weekly report for {week}",
                unit = self.unit,
                week = self.week
            ))),
        }
    }

    /// A withdrawal of `filing`: it must be filed and not yet reviewed.
    pub fn check_withdraw(&self, filing: u32) -> Result<(), DomainError> {
        self.check_pending(filing)
    }

    /// A review of `filing` (approval or return): it must be filed and not
    /// yet reviewed; an approval also needs every child node the filing
    /// lists approved for the week (`approved` says whether a unit is).
    pub fn check_review(
        &self,
        filing: u32,
        approve: bool,
        approved: &dyn Fn(&UnitId) -> bool,
    ) -> Result<(), DomainError> {
        self.check_pending(filing)?;
        if approve {
            let waiting: Vec<&str> =
                self.child_nodes().iter().filter(|child| !approved(child)).map(UnitId::as_str).collect();
            if !waiting.is_empty() {
                return Err(DomainError::FailedPrecondition(why!(
                    WEEKLY_CHILDREN_NOT_APPROVED,
                    "{unit}'s weekly report for {week} cannot be approved before its child nodes' reports are: {waiting} not approved",
                    unit = self.unit,
                    week = self.week,
                    waiting = waiting.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// An unapproval of `filing`: it must be the approval that stands, and
    /// the unit above must not stand approved (`parent_approval`).
    pub fn check_unapprove(
        &self,
        filing: u32,
        parent_approval: Option<&Approval>,
    ) -> Result<(), DomainError> {
        self.check_latest(filing, Step::Approved, "approved")?;
        if let Some(above) = parent_approval {
            return Err(DomainError::FailedPrecondition(why!(
                WEEKLY_PARENT_APPROVED,
                "{unit}'s weekly report for {week} cannot be unapproved while {above} stands: unapprove {parent} first",
                unit = self.unit,
                week = self.week,
                above = above,
                parent = above.unit
            )));
        }
        Ok(())
    }
}

/// A daily report of a locked week: the refusal naming the approval.
pub fn locked(approval: &Approval, unit: &UnitId, date: chrono::NaiveDate) -> DomainError {
    DomainError::FailedPrecondition(why!(
        WEEK_LOCKED,
        "the report of {unit} for {date} lies in a week locked by {approval}, approved at {at}: a leader of {reviewer} or above must unapprove it first",
        unit = unit,
        date = date,
        approval = approval,
        at = approval.at.format("%Y-%m-%dT%H:%M:%SZ"),
        reviewer = approval.reviewer.as_ref().map_or(approval.unit.as_str(), UnitId::as_str)
    ))
}

/// An accountability action's kind (责任追究).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountabilityKind {
    /// 通报批评: circulated criticism.
    Criticism = 1,
    /// 约谈: an admonishing talk.
    Admonition = 2,
    /// 通报表扬: commendation.
    Commendation = 3,
}

impl AccountabilityKind {
    pub const ALL: [AccountabilityKind; 3] =
        [AccountabilityKind::Criticism, AccountabilityKind::Admonition, AccountabilityKind::Commendation];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountabilityKind::Criticism => "criticism",
            AccountabilityKind::Admonition => "admonition",
            AccountabilityKind::Commendation => "commendation",
        }
    }

    pub fn parse(value: &str) -> Option<AccountabilityKind> {
        AccountabilityKind::ALL.into_iter().find(|kind| kind.as_str() == value)
    }

    /// The Chinese name, as it is circulated.
    pub fn chinese(self) -> &'static str {
        match self {
            AccountabilityKind::Criticism => "通报批评",
            AccountabilityKind::Admonition => "约谈",
            AccountabilityKind::Commendation => "通报表扬",
        }
    }
}

/// The year an ISO week's report counts in: the year of its Sunday (the
/// day it ends).
pub fn year_of(week: IsoWeek) -> i32 {
    week.sunday().year()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn unit(id: &str) -> UnitId {
        UnitId::parse(id).unwrap()
    }

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, hour, 0, 0).unwrap()
    }

    fn record(filing: u32, step: Step, hour: u32) -> StepRecord {
        StepRecord {
            filing,
            step,
            at: at(hour),
            reviewer: None,
            child_nodes: if step == Step::Filed { vec![unit("c1"), unit("c2")] } else { vec![] },
        }
    }

    fn week(steps: Vec<StepRecord>) -> Week {
        Week::new(unit("t1"), IsoWeek::parse("2026-W48", "week").unwrap(), steps)
    }

    #[test]
    fn ord_round_trips_and_orders_filings_then_steps() {
        for filing in 1..5 {
            for step in Step::ALL {
                assert_eq!(of_ord(ord(filing, step)), Some((filing, step)));
            }
        }
        assert!(ord(1, Step::Unapproved) < ord(2, Step::Filed));
        assert_eq!(of_ord(3), None, "filing 0 does not exist");
        assert_eq!(of_ord(8 + 6), None, "no step 6");
    }

    #[test]
    fn due_is_monday_noon_after_the_week_in_the_zone() {
        let policy = TimePolicy::default();
        let w48 = IsoWeek::parse("2026-W48", "week").unwrap();
        // W48 of 2026 runs 23–29 November; due Monday 30 November 12:00 Shanghai = 04:00 UTC.
        assert_eq!(
            DuePolicy::default().due_at(&policy, w48),
            Utc.with_ymd_and_hms(2026, 11, 30, 4, 0, 0).unwrap()
        );
        let friday = DuePolicy::parse("fri 17:30").unwrap();
        assert_eq!(friday.due_at(&policy, w48), Utc.with_ymd_and_hms(2026, 12, 4, 9, 30, 0).unwrap());
        assert!(DuePolicy::parse("Monday").is_err());
        assert!(DuePolicy::parse("XYZ 12:00").is_err());
        assert_eq!(week_over_at(&policy, w48), Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap());
    }

    #[test]
    fn the_fold_follows_the_latest_filing() {
        let due = at(4);
        assert_eq!(week(vec![]).state(at(3), due), State::NotFiled);
        assert_eq!(week(vec![]).state(at(5), due), State::Overdue);
        assert!(week(vec![]).late(at(5), due));
        let filed = week(vec![record(1, Step::Filed, 3)]);
        assert_eq!(filed.state(at(9), due), State::Filed);
        assert!(!filed.late(at(9), due), "first filed before the due time");
        let returned_refiled =
            week(vec![record(2, Step::Filed, 8), record(1, Step::Returned, 6), record(1, Step::Filed, 5)]);
        assert_eq!(returned_refiled.state(at(9), due), State::Filed);
        assert_eq!(returned_refiled.latest_filing(), 2);
        assert!(returned_refiled.late(at(9), due), "the first filing came after the due time");
        assert_eq!(returned_refiled.returns(), 1);
        // A withdrawal crossing an approval: the approval wins.
        let crossed = week(vec![
            record(1, Step::Filed, 3),
            record(1, Step::Withdrawn, 5),
            record(1, Step::Approved, 5),
        ]);
        assert_eq!(crossed.state(at(9), due), State::Approved);
        assert_eq!(crossed.approval().unwrap().filing, 1);
        // A step stored twice counts once.
        let twice = week(vec![record(1, Step::Filed, 3), record(1, Step::Filed, 3)]);
        assert_eq!(twice.steps().len(), 1);
    }

    #[test]
    fn filing_needs_nothing_standing_and_the_latest_filing_named() {
        assert_eq!(week(vec![]).check_file(0), Ok(1));
        assert!(matches!(week(vec![]).check_file(1), Err(DomainError::Aborted(_))));
        let filed = week(vec![record(1, Step::Filed, 3)]);
        assert!(
            matches!(filed.check_file(1), Err(DomainError::FailedPrecondition(why)) if why.code == "WEEKLY_ALREADY_FILED")
        );
        let returned = week(vec![record(1, Step::Filed, 3), record(1, Step::Returned, 4)]);
        assert_eq!(returned.check_file(1), Ok(2));
        assert!(
            matches!(returned.check_file(0), Err(DomainError::Aborted(_))),
            "a resend of the first filing"
        );
        let approved = week(vec![record(1, Step::Filed, 3), record(1, Step::Approved, 4)]);
        assert!(
            matches!(approved.check_file(1), Err(DomainError::FailedPrecondition(why)) if why.code == "WEEKLY_ALREADY_APPROVED")
        );
    }

    #[test]
    fn approval_waits_for_every_child_node_and_unapproval_for_the_unit_above() {
        let filed = week(vec![record(1, Step::Filed, 3)]);
        let only_c1 = |u: &UnitId| u.as_str() == "c1";
        let error = filed.check_review(1, true, &only_c1).unwrap_err();
        assert!(
            matches!(&error, DomainError::FailedPrecondition(why) if why.code == "WEEKLY_CHILDREN_NOT_APPROVED" && why.text.contains("c2"))
        );
        assert_eq!(filed.check_review(1, false, &only_c1), Ok(()), "a return needs no child approved");
        assert_eq!(filed.check_review(1, true, &|_| true), Ok(()));
        assert!(filed.check_review(2, true, &|_| true).is_err(), "no filing 2");
        assert!(filed.check_withdraw(1).is_ok());
        let approved = week(vec![record(1, Step::Filed, 3), record(1, Step::Approved, 4)]);
        assert!(approved.check_withdraw(1).is_err(), "reviewed");
        assert!(approved.check_review(1, true, &|_| true).is_err(), "already approved");
        assert_eq!(approved.check_unapprove(1, None), Ok(()));
        let above = Approval {
            unit: unit("d"),
            week: approved.week,
            filing: 1,
            at: at(6),
            reviewer: Some(unit("d")),
        };
        assert!(
            matches!(approved.check_unapprove(1, Some(&above)), Err(DomainError::FailedPrecondition(why)) if why.code == "WEEKLY_PARENT_APPROVED")
        );
        assert!(filed.check_unapprove(1, None).is_err(), "not approved");
        assert!(week(vec![]).check_withdraw(1).is_err());
    }
}
