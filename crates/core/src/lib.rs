//! The fengqiao domain, free of I/O: the dated unit tree ([`mod@unit`]), daily and
//! zero reports with their disputes ([`report`]), the revision rules that
//! decide what a submission does to a stored report ([`revision`]), and the
//! deployment's notion of time — zone, cut-off, ISO weeks and an injected
//! clock ([`time`]); the additive figures of the weekly summaries ([`tally`])
//! and who was expected to report when ([`coverage`]); the case ledger with
//! its state machine, deadlines and petitioner references ([`case`]); the
//! hash chain of the tamper-evident audit log ([`audit`]); who may call
//! what, by role and place in the tree ([`authz`], over [`identity`]); who
//! is recorded as having acted ([`actor`]); the accountability assessment
//! that scores and ranks the units of a scorecard ([`assessment`]); the read
//! models every face shows — summary, scorecard, completeness, trend, case
//! figures ([`read`]); the
//! screen that keeps personal data out of free text ([`screen`]); and the
//! digests and item comparison of the anti-entropy exchange between tiers
//! ([`reconcile`]).
//!
//! Every type here is valid by construction: constructors and `parse`
//! functions reject invalid states with a [`DomainError`] that names the
//! offending field, so code holding a value never re-checks it. The wire
//! (`fengqiao-proto`) and storage (`fengqiao-store`) crates convert into these
//! types; the node crate maps [`DomainError`] onto gRPC status codes.

pub mod actor;
pub mod assessment;
pub mod audit;
pub mod authz;
pub mod case;
pub mod coverage;
pub mod department;
pub mod error;
pub mod identity;
pub mod read;
pub mod receipt;
pub mod reconcile;
pub mod report;
pub mod revision;
pub mod screen;
pub mod summary_state;
pub mod tally;
pub mod time;
pub mod unit;
pub mod weekly;

pub use error::DomainError;
pub use report::{
    DailyReport, Dispute, DisputeCategory, DisputeDraft, DisputeOutcome, ReportDraft, ReportKey, Revision,
    StoredReport, WageArrears, WageArrearsDraft,
};
pub use revision::{Applied, Head, Source, decide};
pub use tally::Tally;
pub use time::{AsOf, Clock, IsoWeek, ManualClock, SystemClock, TimePolicy};
pub use unit::{Tier, Unit, UnitId, UnitTree};
