//! Durable storage for a fengqiao node.
//!
//! [`Store`] is the one trait the node talks to. It is implemented once, by
//! [`SqlStore`] (`shared/`), generic over the sqlx database, with plain
//! runtime-checked queries whose `$N` text both backends run;
//! [`sqlite::SqliteStore`] (a file, the embedded default) and
//! [`postgres::PgStore`] (production) are its two instances, with migrations
//! per backend embedded with `sqlx::migrate!`. What cannot be one text is
//! each backend's dialect, in its own folder: `sqlite/` and `postgres/`
//! (`mod.rs`: opening and the dialect — how a write begins and locks, how a
//! list travels as one parameter, the audit append; `batch.rs`: the
//! hand-tuned batch of reports; `writes.rs`: its upserts). Both decide what a
//! batch of submissions does with the same pure planner ([`plan`]), which
//! applies the domain's revision rules, so the backends differ only in SQL.
//!
//! # Layout
//!
//! - `shared/`: [`SqlStore`] and the dialect trait (`mod.rs`), the [`Store`]
//!   impl (`store.rs`), [`digest::Reconciliation`] (`reconcile.rs`), the case
//!   ledger's and the rekey's statements (`ledger.rs`).
//! - [`sqlite`], [`postgres`]: one folder per backend, nothing else of it
//!   elsewhere (bar migrations).
//! - [`plan`], [`rollup`], [`digest`], `fanout`, [`cases`], [`personal`],
//!   [`audit`]: the logic both backends share, by topic, and SQL that reads
//!   the same on both; [`committer`]: group commit; [`testing`]: throwaway
//!   databases and the both-backends test macro.
//!
//! Writes arrive in batches: [`committer::GroupCommitter`] gathers concurrent
//! submissions into one transaction and answers each caller only after that
//! transaction has committed (group commit), which is how a node acknowledges
//! thousands of reports a second without ever acknowledging an uncommitted one.
//!
//! The audit log ([`audit`]) is a hash chain appended under the log's write
//! lock. Every write of the store takes the audit records of what it changes
//! (a [`Submission`]'s, a [`CaseEventItem`]'s, or a parameter) and appends
//! them in the same transaction as the change, so no change commits without
//! its entry; [`audit::AuditReader`] reads the log read-only for
//! `fengqiao audit`.
//!
//! Every store counts its writes that failed in the database
//! ([`Store::write_failures`]) and offers a write probe ([`Store::probe`]):
//! the node's health follows both.
//!
//! [`digest`] keeps the digests reconciliation between tiers compares, in
//! the same transactions as the reports and case events they digest.

pub mod audit;
pub mod cases;
pub mod committer;
pub mod contacts;
pub mod departments;
pub mod digest;
pub(crate) mod fanout;
pub mod personal;
pub mod plan;
pub mod postgres;
pub mod retention;
pub mod rollup;
mod shared;
pub mod sqlite;
pub mod summary_states;
pub mod testing;
pub mod weekly;

pub use shared::SqlStore;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::audit::AuditRecord;
use fengqiao_core::revision::Source;
use fengqiao_core::{
    Applied, DailyReport, DomainError, Revision, StoredReport, TimePolicy, UnitId, UnitTree,
};

pub use cases::{
    CaseApplied, CaseCounts, CaseEventItem, CaseFigure, CaseItemResult, CasePeopleFilter, CaseQuery,
    RosterRow, StoredCase, SupervisionRow,
};
pub use contacts::{Contacts, DutyRow, DutySet, LedFigures, ProjectRow, SetOutcome};
pub use digest::{DigestLevel, Reconciliation, Requeued};
pub use personal::{Keyring, PersonalDataKey, RekeyReport};
pub use rollup::{Period, RollupRow, Verification};
pub use summary_states::{StateOutcome, StateWrite, SummaryStates};
pub use weekly::{AccountabilityRow, HeldReportRow, Weekly, WeeklyApplied, WeeklyEventRow, WeeklyKeyRow};

/// Why the store failed. None of this text is ever shown to a client.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("bad database url: {0}")]
    Config(String),
    /// A sealed personal-data value did not open (unknown key, tampered,
    /// moved): the text names the row, never the data.
    #[error("personal data unreadable: {0}")]
    PersonalData(String),
}

impl StoreError {
    /// The database cannot take the call now, and the same call may succeed
    /// later: it could not be reached (connection refused or lost, also
    /// mid-transaction; no pooled connection within the timeout), it is
    /// full, read-only, shutting down or failing to read or write its files.
    /// Nothing was done (a failed transaction commits nothing).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed,
            ) => true,
            StoreError::Database(sqlx::Error::Database(error)) => database_unavailable(error.as_ref()),
            _ => false,
        }
    }
}

/// Whether an error the database itself reported is one of unavailability
/// (see [`StoreError::is_unavailable`]), by its code.
fn database_unavailable(error: &dyn sqlx::error::DatabaseError) -> bool {
    if let Some(error) = error.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        let code = error.code();
        // Class 08: connection exceptions. Class 53: insufficient resources
        // (53100 disk_full, 53200 out_of_memory, 53300
        // too_many_connections). 57P01–57P03: the server shutting down,
        // crashed (also pg_terminate_backend) or not yet accepting
        // connections. 25006: a read-only transaction (a standby, or a
        // database set read-only).
        return code.starts_with("08")
            || code.starts_with("53")
            || matches!(code, "57P01" | "57P02" | "57P03" | "25006");
    }
    if let Some(error) = error.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
        // The primary result code is the low byte of the extended one:
        // SQLITE_BUSY (5: the write lock not had within the busy timeout),
        // SQLITE_READONLY (8), SQLITE_IOERR (10), SQLITE_FULL (13),
        // SQLITE_CANTOPEN (14). SQLITE_CORRUPT (11) and SQLITE_NOTADB (26)
        // are not: retrying cannot help.
        let code = sqlx::error::DatabaseError::code(error);
        let extended: i32 = code.and_then(|code| code.parse().ok()).unwrap_or(0);
        return matches!(extended & 0xff, 5 | 8 | 10 | 13 | 14);
    }
    false
}

/// Counts the store's writes that failed in the database
/// (`StoreError::Database`), so that the node's health can turn at the
/// first one instead of waiting for its next probe. Refusals of the
/// revision rules are results, not failures, and never count. Each write
/// of a store counts its own failures, except [`Store::apply_reports`],
/// whose failed batches the group committer counts (it is that write's
/// one caller in a node).
#[derive(Debug, Clone)]
pub struct WriteFailures(Arc<tokio::sync::watch::Sender<u64>>);

impl Default for WriteFailures {
    fn default() -> Self {
        WriteFailures(Arc::new(tokio::sync::watch::Sender::new(0)))
    }
}

impl WriteFailures {
    /// The number of failed writes since the store opened; `changed()`
    /// wakes at each.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.0.subscribe()
    }

    /// Counts a failed write when it failed in the database.
    pub fn note(&self, error: &StoreError) {
        if let StoreError::Database(_) = error {
            self.0.send_modify(|failed| *failed += 1);
        }
    }

    /// Runs a write, counting it when it fails in the database.
    pub(crate) async fn track<T>(
        &self,
        write: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let result = write.await;
        if let Err(error) = &result {
            self.note(error);
        }
        result
    }
}

/// Which backend a store runs on (with the `clap` feature, also a command
/// line's `--db sqlite|postgres`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names by its scheme: `sqlite:` or
    /// `postgres://` (`postgresql://`); none for any other.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// What a database URL must look like, for the error that refuses one.
pub const URL_FORMS: &str = "expected sqlite://PATH or postgres://USER@HOST:PORT/DB";

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// A report to apply, as the node accepted it.
#[derive(Debug, Clone)]
pub struct Submission {
    pub report: DailyReport,
    pub source: Source,
    /// When the first node that received this revision accepted it (for a
    /// reporter's submission: now, at this node).
    pub accepted_at: DateTime<Utc>,
    /// For a forwarded report, when its origin first accepted revision 1;
    /// `None` at the origin, where a new report's own `accepted_at` is used.
    pub first_accepted_at: Option<DateTime<Utc>>,
    /// The W3C `traceparent` of the span this revision was accepted under,
    /// kept with its outbox entry so the parent continues the same trace
    /// (`None` when the node is not tracing).
    pub trace_parent: Option<String>,
    /// The audit log's record of this submission, appended in the batch's
    /// transaction when the submission changes something (a new revision
    /// or a correction; not a duplicate or a refusal).
    pub audit: AuditRecord,
}

/// What applying one submission did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub applied: Applied,
    /// The revision stored after applying.
    pub revision: Revision,
    /// When the stored revision was accepted.
    pub accepted_at: DateTime<Utc>,
    /// When the report's first revision was accepted (timeliness).
    pub first_accepted_at: DateTime<Utc>,
}

/// The result for one submission of a batch: a domain refusal (stale,
/// conflicting…) is per item and leaves the rest of the batch standing.
pub type ItemResult = Result<Outcome, DomainError>;

/// An outbox entry: what to forward to the parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// The entry's sequence number (ascending in acceptance order).
    pub id: i64,
    pub payload: OutboxPayload,
    /// The W3C `traceparent` the entry was written under, if any.
    pub trace_parent: Option<String>,
}

/// What an outbox entry points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxPayload {
    /// A report revision, with the origin's acceptance times.
    Report(StoredReport),
    /// A case event (the forwarder adds the petitioner when the event hands
    /// the case to the parent's node).
    CaseEvent(Box<fengqiao_core::case::CaseEvent>),
    /// A weekly report's step: the encoded `fengqiao.v1.WeeklyEvent`.
    Weekly(Vec<u8>),
    /// An accountability action: the encoded `fengqiao.v1.AccountabilityAction`.
    Accountability(Vec<u8>),
    /// A (unit, day) whose summary state is to be sent (a node fed
    /// summaries that forwards its own; see [`SummaryStates`]).
    Summary { unit_id: UnitId, day: NaiveDate },
}

/// How far delivery upward lags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxStats {
    pub depth: u64,
    pub oldest: Option<DateTime<Utc>>,
}

/// An item the parent refused, set aside out of the outbox. The key is the
/// outbox entry's: for a report its unit, date and revision; for a case
/// event its case id (in `unit_id`), day and sequence (in `revision`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SetAsideRow {
    pub outbox_id: i64,
    /// `report` or `case_event`.
    pub kind: String,
    pub unit_id: String,
    pub item_date: NaiveDate,
    pub revision: i64,
    /// The parent's reason (field paths, dates and times; no personal data).
    pub detail: String,
    pub set_aside_at: DateTime<Utc>,
}

/// An event of the downlink log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DownlinkRow {
    pub sequence: i64,
    pub target_unit_id: String,
    pub body: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

/// A notice as a node holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub notice_id: String,
    pub target_unit_id: String,
    pub from_unit_id: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
    /// Who issued it (none on notices stored before senders were recorded).
    pub sender: Option<fengqiao_core::actor::Actor>,
}

/// A web login link's token as stored (`web_login_tokens`): its SHA-256
/// (hex) and whom it logs in. The token itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LoginToken {
    pub token_hash: String,
    pub unit_id: String,
    pub person: String,
    /// A role's identifier (`leader`, `admin`, …).
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// What opening a login link found (see [`Store::use_login_token`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginTokenUse {
    /// The token was unused and is now used: it logs in whom it names
    /// (the caller still checks `expires_at`).
    Opened(LoginToken),
    /// The token was used before.
    AlreadyUsed,
    /// No such token.
    Unknown,
}

/// The last push from a child node.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChildSync {
    pub child_unit_id: String,
    pub last_push_at: DateTime<Utc>,
    /// Everything accepted in the child's subtree before this had arrived.
    pub synced_through: Option<DateTime<Utc>>,
}

/// One revision in a report's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionMeta {
    pub revision: Revision,
    pub accepted_at: DateTime<Utc>,
    pub correction_reason: Option<String>,
    pub zero: bool,
    pub dispute_count: u32,
}

/// A page of reports in a subtree.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Root of the subtree (included).
    pub root: UnitId,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Resume strictly after this (date, unit id).
    pub after: Option<(NaiveDate, UnitId)>,
    pub limit: u32,
}

/// The storage a node needs (with [`Reconciliation`]: the digests and
/// items the anti-entropy exchange between tiers compares).
#[async_trait]
pub trait Store: Reconciliation + Weekly + Contacts + SummaryStates + Send + Sync + fmt::Debug {
    fn backend(&self) -> Backend;

    /// A write probe: one small write transaction (a counter in
    /// `node_meta`, key `write_probe`) that must commit. The node's health
    /// follows it: a database that answers reads but cannot commit (full,
    /// read-only, failing) fails it.
    async fn probe(&self) -> Result<(), StoreError>;

    /// The count of this store's writes that failed in the database (see
    /// [`WriteFailures`]).
    fn write_failures(&self) -> &WriteFailures;

    /// Makes the stored unit tree (and its closure table) equal `tree`,
    /// appending `audit` in the same transaction.
    async fn replace_units(&self, tree: &UnitTree, audit: AuditRecord) -> Result<(), StoreError>;

    /// The stored unit tree, if any (a node restarting without a tree file).
    async fn load_units(&self) -> Result<Option<UnitTree>, StoreError>;

    /// Applies a batch in one transaction with the revision rules, in order
    /// (a later item sees the effect of an earlier one). With `forward`, every
    /// revision stored is also queued in the outbox, in the same transaction.
    /// The day and week rollups of each changed report's unit and ancestors
    /// change in the same transaction too (timeliness judged by `policy`),
    /// and so does the audit log: the records of the submissions that
    /// changed something, appended with one statement. Returns one result
    /// per submission, in the same order, only after the commit.
    async fn apply_reports(
        &self,
        batch: Vec<Submission>,
        forward: bool,
        policy: &TimePolicy,
    ) -> Result<Vec<ItemResult>, StoreError>;

    /// Stored rollups of `units` with periods (days, or weeks' Mondays) in
    /// `[from, to]`. Units and periods without a row are absent.
    async fn rollups(
        &self,
        period: Period,
        units: &[UnitId],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<RollupRow>, StoreError>;

    /// Distinct employers named in wage-arrears disputes of the current
    /// reports of `unit`'s subtree dated in `[from, to]`.
    async fn distinct_employers(
        &self,
        unit: &UnitId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u64, StoreError>;

    /// Recomputes every rollup from the current reports in one transaction
    /// (after the tree's closure or the time policy changed); returns how
    /// many reports it tallied.
    async fn rebuild_rollups(&self, policy: &TimePolicy) -> Result<u64, StoreError>;

    /// The first and last day holding a day rollup.
    async fn rollup_extent(&self) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError>;

    /// The first and last day holding a report (a look at each end of the
    /// reports' primary key).
    async fn report_extent(&self) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError>;

    /// Every day holding a report, a day rollup or (by its Monday) a week
    /// rollup, ascending, each once: the extent of the data a node holds,
    /// which [`rollup::verify`] walks instead of every day in between.
    async fn held_days(&self) -> Result<Vec<NaiveDate>, StoreError>;

    /// The units of `root`'s subtree (as on `date`) with a report for
    /// `date`, and when each report's first revision was accepted.
    async fn received_on(
        &self,
        root: &UnitId,
        date: NaiveDate,
    ) -> Result<Vec<(UnitId, DateTime<Utc>)>, StoreError>;

    /// Records a push from a child node: when, and (when it said) the time
    /// up to which everything accepted in its subtree has been delivered.
    async fn record_child_sync(
        &self,
        child: &UnitId,
        at: DateTime<Utc>,
        synced_through: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    /// The last push of every child node that ever pushed.
    async fn child_syncs(&self) -> Result<Vec<ChildSync>, StoreError>;

    /// The oldest outbox entries (at most `limit`), with what they point at.
    async fn outbox_peek(&self, limit: u32) -> Result<Vec<OutboxItem>, StoreError>;

    /// Clears answered entries in one transaction: `done` are gone;
    /// `conflicts` are recorded with their reason in `uplink_conflicts` and
    /// `refused` (items the parent refused outright) in `uplink_set_aside`,
    /// then gone. Answering an entry already cleared is harmless.
    async fn outbox_ack(
        &self,
        done: &[i64],
        conflicts: &[(i64, String)],
        refused: &[(i64, String)],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// How many items the parent refused and this node set aside, and the
    /// newest of them (at most `limit`), newest first.
    async fn set_aside(&self, limit: u32) -> Result<(u64, Vec<SetAsideRow>), StoreError>;

    /// Depth and oldest acceptance time of the outbox.
    async fn outbox_stats(&self) -> Result<OutboxStats, StoreError>;

    /// The current revision of a report, or the given one from its history.
    async fn get_report(
        &self,
        unit_id: &UnitId,
        date: NaiveDate,
        revision: Option<Revision>,
    ) -> Result<Option<StoredReport>, StoreError>;

    /// Every stored revision of a report, oldest first.
    async fn report_history(
        &self,
        unit_id: &UnitId,
        date: NaiveDate,
    ) -> Result<Vec<RevisionMeta>, StoreError>;

    /// Removes the free text of every report revision dated before
    /// `before` not yet purged (see [`retention`]): dispute summaries and
    /// correction reasons are replaced by [`retention::REMOVED_TEXT`] and the
    /// revision marked purged at `at`; structured fields, the content hash,
    /// rollups, the case ledger and revisions still in the outbox are left
    /// alone. Runs in transactions of `retention::PURGE_PAGE` revisions,
    /// each appending `audit` when it purged any. Purging again purges
    /// nothing more.
    async fn purge_report_text(
        &self,
        before: NaiveDate,
        at: DateTime<Utc>,
        audit: AuditRecord,
    ) -> Result<retention::Purged, StoreError>;

    /// When the retention policy removed the free text of a stored revision
    /// (`None`: it holds what was sent, or there is no such revision).
    async fn text_purged_at(
        &self,
        unit_id: &UnitId,
        date: NaiveDate,
        revision: Revision,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Current revisions in a subtree and date range, by (date, unit id).
    async fn list_reports(&self, query: &ListQuery) -> Result<Vec<StoredReport>, StoreError>;

    /// Appends an event to this node's downlink log and `audit` to the
    /// audit log, in one transaction; returns the event's sequence.
    async fn append_downlink(
        &self,
        target: &UnitId,
        body: &[u8],
        at: DateTime<Utc>,
        audit: AuditRecord,
    ) -> Result<i64, StoreError>;

    /// Events after `after` addressed to `subscriber` or a unit below it, in
    /// sequence order (at most `limit`).
    async fn read_downlink(
        &self,
        subscriber: &UnitId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<DownlinkRow>, StoreError>;

    /// The newest sequence of the downlink log (0 when empty).
    async fn downlink_head(&self) -> Result<i64, StoreError>;

    async fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError>;

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError>;

    /// Stores a received notice, with `audit` in the same transaction; false
    /// (and no entry) when its id was already stored.
    async fn insert_notice(&self, notice: &NoticeRow, audit: AuditRecord) -> Result<bool, StoreError>;

    /// Notices for a unit, oldest first (by time, then id): at most `limit`,
    /// after `after` (the time and id of the last one of the previous page).
    async fn list_notices(
        &self,
        unit: &UnitId,
        after: Option<&(DateTime<Utc>, String)>,
        limit: u32,
    ) -> Result<Vec<NoticeRow>, StoreError>;

    /// How many (unit, date) reports are stored.
    async fn count_reports(&self) -> Result<u64, StoreError>;

    /// Stores case events in one transaction, in order. An event already
    /// stored identically is `Duplicate`; one stored with other content is
    /// refused (`DomainError::AlreadyExists`) and changes nothing. After each
    /// new event the case's projection (`cases`) is the fold of its longest
    /// gap-free prefix of events. With `forward`, every new event is queued
    /// in the outbox (kind `case_event`) in the same transaction, and the
    /// audit record of every new event is appended in it. A given
    /// petitioner is stored (replacing an older one) for the item's case.
    async fn apply_case_events(
        &self,
        items: Vec<CaseEventItem>,
        forward: bool,
    ) -> Result<Vec<CaseItemResult>, StoreError>;

    /// A case's projection and its events (in sequence order).
    async fn get_case(&self, id: &fengqiao_core::case::CaseId) -> Result<Option<StoredCase>, StoreError>;

    /// The petitioner of a case, when this node holds it.
    async fn case_petitioner(
        &self,
        id: &fengqiao_core::case::CaseId,
    ) -> Result<Option<fengqiao_core::case::Petitioner>, StoreError>;

    /// Cases whose owner or origin lies in `query.root`'s current subtree,
    /// filtered, newest registration first.
    async fn list_cases(&self, query: &CaseQuery) -> Result<Vec<fengqiao_core::case::Case>, StoreError>;

    /// Ids of cases with this petitioner_ref and category registered on or
    /// after `since`, newest first.
    async fn find_repeats(
        &self,
        petitioner_ref: &str,
        category: fengqiao_core::DisputeCategory,
        since: NaiveDate,
    ) -> Result<Vec<fengqiao_core::case::CaseId>, StoreError>;

    /// Cases with this petitioner_ref and category registered in
    /// `[from, to]`, oldest registration first: the candidates of an
    /// ancestor's repeat detection around one case.
    async fn cases_of_petitioner(
        &self,
        petitioner_ref: &str,
        category: fengqiao_core::DisputeCategory,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<fengqiao_core::case::Case>, StoreError>;

    /// How many stored case ids start with `prefix` (to number new cases).
    async fn count_cases_with_prefix(&self, prefix: &str) -> Result<u64, StoreError>;

    /// The case figures of `unit`'s departments over `[from, to]`: a row for
    /// each department with any case, and the total (see
    /// [`departments`]).
    async fn department_figures(
        &self,
        unit: &UnitId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<departments::DepartmentFigures, StoreError>;

    /// The case figures of each root's subtree over `[from, to]` (see
    /// [`CaseFigure`] for what counts where), in the order of `roots`.
    async fn case_figures(
        &self,
        roots: &[UnitId],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CaseCounts>, StoreError>;

    /// The ids behind one figure of [`Store::case_figures`], by case id,
    /// after `after`, at most `limit`.
    async fn case_drill(
        &self,
        root: &UnitId,
        from: NaiveDate,
        to: NaiveDate,
        figure: CaseFigure,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<fengqiao_core::case::CaseId>, StoreError>;

    /// Stores a supervision notice (issued here or received), with `audit`
    /// in the same transaction; false (and no entry) when its id was
    /// already stored.
    async fn insert_supervision(&self, row: &SupervisionRow, audit: AuditRecord) -> Result<bool, StoreError>;

    /// Supervision notices of a case, oldest first.
    async fn list_supervisions(
        &self,
        case_id: &fengqiao_core::case::CaseId,
    ) -> Result<Vec<SupervisionRow>, StoreError>;

    /// Sets roster entries (one leader per unit and day; a later entry
    /// replaces an earlier one), with `audit` in the same transaction (none
    /// when `entries` is empty); returns how many were stored.
    async fn set_roster(&self, entries: &[RosterRow], audit: AuditRecord) -> Result<u64, StoreError>;

    /// A unit's roster for `[from, to]`, by date.
    async fn roster(
        &self,
        unit: &UnitId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<RosterRow>, StoreError>;

    /// Appends `records` to the audit log in a transaction of their own, in
    /// order, each chained onto the one before (the first onto the stored
    /// head). The transaction holds the log's write lock from reading the
    /// head to the commit, so concurrent appends queue and the chain never
    /// forks. Returns the stored entries. (The store's writes append their
    /// own records in their own transactions; this is for records of no
    /// stored change, and for benchmarks.)
    async fn append_audit(
        &self,
        records: Vec<fengqiao_core::audit::AuditRecord>,
    ) -> Result<Vec<fengqiao_core::audit::AuditEntry>, StoreError>;

    /// At most `limit` audit entries with `seq` above `after`, in `seq`
    /// order (page through the log; it grows without bound).
    async fn audit_page(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<fengqiao_core::audit::AuditEntry>, StoreError>;

    /// The last audit entry, if any.
    async fn audit_head(&self) -> Result<Option<fengqiao_core::audit::AuditEntry>, StoreError>;

    /// Seals under the keyring's current key every personal-data value not
    /// yet under it: petitioners and downlink bodies stored in plaintext
    /// before migration `0007`, and values sealed under a previous key. One
    /// transaction; afterwards the freed plaintext is compacted away (SQLite
    /// `VACUUM`, PostgreSQL `VACUUM FULL`) when there was any. A value that
    /// does not open fails the whole run, naming its row.
    async fn rekey_personal_data(&self) -> Result<RekeyReport, StoreError>;

    /// Stores a web login link's token (its hash and whom it logs in).
    async fn insert_login_token(&self, token: &LoginToken) -> Result<(), StoreError>;

    /// Marks the token with `token_hash` used at `at`, atomically: of two
    /// concurrent openings of one link, one gets [`LoginTokenUse::Opened`]
    /// and the other [`LoginTokenUse::AlreadyUsed`]. Expiry is the caller's
    /// to judge from the token returned (an expired token is used up too).
    async fn use_login_token(&self, token_hash: &str, at: DateTime<Utc>)
    -> Result<LoginTokenUse, StoreError>;

    /// Closes the connections, waiting for them to finish.
    async fn close(&self);
}

/// Opens the store a URL names, running its migrations: `sqlite://PATH`
/// (created when missing) or `postgres://…`. Personal data is sealed under
/// the built-in development key: tools and tests; a node opens its store
/// with [`connect_with`] and its configured keys.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    connect_with(url, Keyring::development()).await
}

/// [`connect`] with the keys personal data is sealed and opened with.
pub async fn connect_with(url: &str, keyring: Keyring) -> Result<Arc<dyn Store>, StoreError> {
    match Backend::of_url(url) {
        Some(Backend::Sqlite) => Ok(Arc::new(sqlite::SqliteStore::connect_with(url, keyring).await?)),
        Some(Backend::Postgres) => Ok(Arc::new(postgres::PgStore::connect_with_keyring(url, keyring).await?)),
        None => Err(StoreError::Config(format!("{url:?}: {URL_FORMS}"))),
    }
}

/// Rebuilds a tree from `units` rows.
pub(crate) fn tree_from_rows(rows: Vec<plan::StoredUnitRow>) -> Result<Option<UnitTree>, StoreError> {
    if rows.is_empty() {
        return Ok(None);
    }
    let units = rows
        .into_iter()
        .map(|row| {
            let corrupt = |what: String| StoreError::Corrupt(format!("unit {}: {what}", row.id));
            Ok(fengqiao_core::Unit {
                id: UnitId::parse(&row.id).map_err(|e| corrupt(e.to_string()))?,
                parent: row
                    .parent_id
                    .as_deref()
                    .map(UnitId::parse)
                    .transpose()
                    .map_err(|e| corrupt(e.to_string()))?,
                tier: fengqiao_core::Tier::parse(&row.tier)
                    .ok_or_else(|| corrupt(format!("tier {:?}", row.tier)))?,
                name: row.name.clone(),
                reporting: row.reporting,
                active_from: row.active_from,
                active_to: row.active_to,
                moves: fengqiao_core::unit::parse_moves(&row.moves, "moves")
                    .map_err(|e| corrupt(e.to_string()))?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    UnitTree::from_units(units).map(Some).map_err(|e| StoreError::Corrupt(format!("stored tree: {e}")))
}

/// Converts stored columns back into a report, flagging unreadable data.
pub(crate) fn stored_report(row: plan::RevisionRow) -> Result<StoredReport, StoreError> {
    let first_accepted_at = row.first_accepted_at;
    let corrupt =
        |what: String| StoreError::Corrupt(format!("report {}@{}: {what}", row.unit_id, row.report_date));
    let unit_id = UnitId::parse(&row.unit_id).map_err(|e| corrupt(e.to_string()))?;
    let revision = u32::try_from(row.revision)
        .ok()
        .and_then(|r| Revision::new(r).ok())
        .ok_or_else(|| corrupt(format!("revision {}", row.revision)))?;
    let report = DailyReport::from_stored(
        unit_id,
        row.report_date,
        revision,
        row.reporter.clone(),
        &row.disputes,
        row.correction_reason.clone(),
    )
    .map_err(|e| corrupt(e.to_string()))?;
    Ok(StoredReport { report, accepted_at: row.accepted_at, first_accepted_at })
}
