//! The digests of reconciliation (anti-entropy between tiers): kept in the
//! transaction that changes what they digest, read back per root and
//! period, and the items behind them listed per day.
//!
//! A node keeps digests only for its *digest roots*: its home unit (the
//! subtree it compares with its parent) and each child node's unit (the
//! subtree that child compares with it). Per root they are kept per day,
//! per ISO week and for all time (tables of migration `0013_digests`), each
//! row the [`Digests`] of the current report heads and the case events of
//! the root's subtree on those days, as the dated closure places each item's
//! unit on the item's day. So a comparison reads one all-time row, then the
//! weeks and days only where it differs — a handful of rows whatever the
//! history — and a write touches at most (roots above the item) × 3 rows.
//!
//! Deltas travel like the rollups' (see [`crate::rollup`]): one JSON
//! parameter of rows `[unit, day, monday, reports, report_hash, case_events,
//! case_event_hash]`, each hash already reduced to `[0, 2^48)`, fanned out
//! through `unit_closure` to the roots above the unit on that day, summed
//! per (root, period) and added with an upsert that reduces modulo 2^48
//! again. A statement sums at most 4,096 delta rows, so no
//! sum can overflow a `BIGINT`.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::NaiveDate;
use fengqiao_core::case::CaseId;
use fengqiao_core::reconcile::{
    Digest, Digests, HASH_MODULUS, HeldCaseEvent, HeldReport, case_event_content_hash, case_event_item_hash,
    report_item_hash,
};
use fengqiao_core::{IsoWeek, ReportKey, Revision, UnitId, UnitTree};
use sqlx::{PgConnection, SqliteConnection};

use crate::StoreError;
use crate::plan::{self, HeadWrite};

/// Rows of deltas summed by one statement: each hash is below 2^48, so a
/// sum of 4,096 stays below 2^60.
pub(crate) const MAX_DELTAS_PER_STATEMENT: usize = 4096;

/// The `node_meta` key of the basis the digests were built on.
pub const BASIS_KEY: &str = "digest_basis";

/// Which per-period digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestLevel {
    /// `digest_day`, keyed by the day.
    Day,
    /// `digest_week`, keyed by the ISO week's Monday.
    Week,
}

/// What [`Reconciliation::requeue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Requeued {
    /// Entries added to the outbox.
    pub queued: u64,
    /// Items already waiting in the outbox (not added again).
    pub already_queued: u64,
    /// Items the parent refused before, set aside here for the operator
    /// (`uplink_set_aside`): sending them again would only be refused again.
    pub set_aside: u64,
}

/// The change one applied batch makes to the digests of a (unit, day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DigestDelta {
    pub unit_id: String,
    pub day: NaiveDate,
    pub digests: Digests,
}

/// What the digest roots and the dated closure were when the digests were
/// built: a tree change that moves a unit, or another set of child nodes,
/// makes the node rebuild them.
pub fn basis(tree: &UnitTree, roots: &[UnitId]) -> String {
    use sha2::Digest as _;
    let mut spans: Vec<String> = fengqiao_core::coverage::closure(tree)
        .iter()
        .map(|s| format!("{}>{}@{:?}..{:?}", s.ancestor, s.unit, s.from, s.to))
        .collect();
    spans.sort_unstable();
    let mut roots: Vec<&str> = roots.iter().map(UnitId::as_str).collect();
    roots.sort_unstable();
    let mut hasher = sha2::Sha256::new();
    hasher.update(b"fengqiao.digests.v1\n");
    hasher.update(roots.join(",").as_bytes());
    hasher.update(b"\n");
    for span in &spans {
        hasher.update(span.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// The stored heads of a batch's keys before it applies (revision and
/// content hash), to take the replaced heads out of the digests.
pub(crate) type HeadsBefore = HashMap<ReportKey, (Revision, [u8; 32])>;

pub(crate) fn heads_before(heads: &plan::Heads) -> HeadsBefore {
    heads.heads.iter().map(|(key, head)| (key.clone(), (head.revision, head.content_hash))).collect()
}

/// The digest deltas of a planned batch: each written head in, the head it
/// replaced (if any) out.
pub(crate) fn report_deltas(
    before: &HeadsBefore,
    heads: &[HeadWrite],
) -> Result<Vec<DigestDelta>, StoreError> {
    heads
        .iter()
        .map(|head| {
            let unit_id = UnitId::parse(&head.unit_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let revision = plan::revision_from_column(head.revision)?;
            let content_hash = plan::hash_from_column(&head.content_hash)?;
            let key = ReportKey { unit_id, date: head.report_date };
            let mut reports = Digest::default();
            if let Some((old_revision, old_hash)) = before.get(&key) {
                reports.remove(report_item_hash(&key.unit_id, key.date, *old_revision, old_hash));
            }
            reports.insert(report_item_hash(&key.unit_id, key.date, revision, &content_hash));
            Ok(DigestDelta {
                unit_id: head.unit_id.clone(),
                day: head.report_date,
                digests: Digests { reports, case_events: Digest::default() },
            })
        })
        .collect()
}

/// A stored case event as the digests see it: its case, sequence, unit,
/// day and stored body.
pub(crate) struct EventItem<'a> {
    pub case_id: &'a str,
    pub seq: i64,
    pub unit_id: &'a str,
    pub day: NaiveDate,
    pub body: &'a str,
}

/// The digest deltas of newly stored case events, one per (unit, day).
pub(crate) fn case_event_deltas<'a>(
    events: impl IntoIterator<Item = EventItem<'a>>,
) -> Result<Vec<DigestDelta>, StoreError> {
    let mut by_day: BTreeMap<(String, NaiveDate), Digest> = BTreeMap::new();
    for event in events {
        let case_id = CaseId::parse(event.case_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let seq = u32::try_from(event.seq).map_err(|_| {
            StoreError::Corrupt(format!("case {} event sequence {}", event.case_id, event.seq))
        })?;
        let hash = case_event_item_hash(&case_id, seq, &case_event_content_hash(event.body));
        by_day.entry((event.unit_id.to_owned(), event.day)).or_default().insert(hash);
    }
    Ok(by_day
        .into_iter()
        .map(|((unit_id, day), case_events)| DigestDelta {
            unit_id,
            day,
            digests: Digests { reports: Digest::default(), case_events },
        })
        .collect())
}

/// Stored digest columns (signed in SQL, always in `[0, 2^48)`).
pub(crate) fn digests_from_columns(
    reports: i64,
    report_hash: i64,
    case_events: i64,
    case_event_hash: i64,
) -> Result<Digests, StoreError> {
    let unsigned = |value: i64, what: &str| {
        u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("digest {what} {value}")))
    };
    Ok(Digests {
        reports: Digest::new(unsigned(reports, "reports")?, unsigned(report_hash, "report hash")?),
        case_events: Digest::new(
            unsigned(case_events, "case events")?,
            unsigned(case_event_hash, "case event hash")?,
        ),
    })
}

/// The deltas as JSON rows `[unit, day, monday, reports, report_hash,
/// case_events, case_event_hash]`.
pub(crate) fn deltas_json(deltas: &[DigestDelta]) -> Result<String, StoreError> {
    let rows: Vec<(&str, String, String, u64, u64, u64, u64)> = deltas
        .iter()
        .map(|d| {
            (
                d.unit_id.as_str(),
                d.day.to_string(),
                IsoWeek::of(d.day).monday().to_string(),
                d.digests.reports.items,
                d.digests.reports.hash % HASH_MODULUS,
                d.digests.case_events.items,
                d.digests.case_events.hash % HASH_MODULUS,
            )
        })
        .collect();
    serde_json::to_string(&rows).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The three fan-out upserts (day, week, all time) of the deltas in the
/// JSON parameter, as the backend spells a delta's field `i` (`value(i)`)
/// and a date field (`date(i)`).
fn fanout(
    from: &str,
    join: &str,
    value: impl Fn(usize) -> String,
    date: impl Fn(usize) -> String,
) -> [String; 3] {
    let levels: [(&str, Option<(&str, usize)>); 3] =
        [("digest_day", Some(("day", 1))), ("digest_week", Some(("week_start", 2))), ("digest_total", None)];
    levels.map(|(table, period)| {
        let (key_column, key_value, group) = match period {
            Some((column, index)) => {
                (format!(", {column}"), format!(", {}", date(index)), format!(", {}", date(index)))
            }
            None => (String::new(), String::new(), String::new()),
        };
        format!(
            "INSERT INTO {table} (unit_id{key_column}, reports, report_hash, case_events, case_event_hash) \
             SELECT c.ancestor_id{key_value}, SUM({r}), SUM({rh}) % {m}, SUM({e}), SUM({eh}) % {m} \
             FROM {from} {join} unit_closure c ON c.unit_id = {unit} \
             AND (c.valid_from IS NULL OR c.valid_from <= {day}) AND (c.valid_to IS NULL OR {day} < c.valid_to) \
             WHERE c.ancestor_id IN (SELECT unit_id FROM digest_roots) \
             GROUP BY c.ancestor_id{group} \
             ON CONFLICT (unit_id{key_column}) DO UPDATE SET reports = {table}.reports + excluded.reports, \
             report_hash = ({table}.report_hash + excluded.report_hash) % {m}, \
             case_events = {table}.case_events + excluded.case_events, \
             case_event_hash = ({table}.case_event_hash + excluded.case_event_hash) % {m}",
            r = value(3),
            rh = value(4),
            e = value(5),
            eh = value(6),
            m = HASH_MODULUS,
            unit = value(0),
            day = date(1),
        )
    })
}

/// SQLite: the three fan-outs of the deltas in JSON parameter `?{param}`
/// (as [`deltas_json`] writes them), one statement each.
pub(crate) fn sqlite_fanout(param: usize) -> String {
    // CROSS JOIN keeps SQLite's loop order: each delta probes the closure's
    // unit index.
    fanout(
        &format!("json_each(?{param}) AS d"),
        "CROSS JOIN",
        |i| format!("d.value ->> {i}"),
        |i| format!("(d.value ->> {i})"),
    )
    .join("; ")
}

static SQLITE_FANOUT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| sqlite_fanout(1));

/// The PostgreSQL advisory lock every digest write takes (`fqdg`): the
/// report writer and a case-ledger writer may update the same digest rows
/// in different orders, so they take them one transaction at a time, at the
/// end of each transaction — no deadlock between them.
const PG_DIGEST_LOCK: i64 = 0x6671_6467;

static PG_FANOUT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let from = format!(
        "(SELECT pg_advisory_xact_lock({PG_DIGEST_LOCK})) AS digest_lock CROSS JOIN jsonb_array_elements($1::jsonb) AS d(v)"
    );
    let [day, week, total] = fanout(
        &from,
        "JOIN",
        |i| if i == 0 { "(d.v ->> 0)".to_owned() } else { format!("(d.v ->> {i})::bigint") },
        |i| format!("(d.v ->> {i})::date"),
    );
    format!("WITH day AS ({day}), week AS ({week}) {total}")
});

/// Adds digest deltas inside the transaction that changed what they digest.
pub(crate) trait DigestSink {
    async fn add_digests(&mut self, deltas: &[DigestDelta]) -> Result<(), StoreError>;

    /// Takes the digests' write lock for the rest of the transaction (a
    /// rebuild takes it first, so no batch adds to rows it is rebuilding).
    async fn lock_digests(&mut self) -> Result<(), StoreError>;
}

impl DigestSink for SqliteConnection {
    async fn lock_digests(&mut self) -> Result<(), StoreError> {
        // `BEGIN IMMEDIATE` already holds the database's write lock.
        Ok(())
    }

    async fn add_digests(&mut self, deltas: &[DigestDelta]) -> Result<(), StoreError> {
        for chunk in deltas.chunks(MAX_DELTAS_PER_STATEMENT) {
            sqlx::query(sqlx::AssertSqlSafe(SQLITE_FANOUT.as_str()))
                .bind(deltas_json(chunk)?)
                .execute(&mut *self)
                .await?;
        }
        Ok(())
    }
}

impl DigestSink for PgConnection {
    async fn lock_digests(&mut self) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(PG_DIGEST_LOCK).execute(&mut *self).await?;
        Ok(())
    }

    async fn add_digests(&mut self, deltas: &[DigestDelta]) -> Result<(), StoreError> {
        for chunk in deltas.chunks(MAX_DELTAS_PER_STATEMENT) {
            sqlx::query(sqlx::AssertSqlSafe(PG_FANOUT.as_str()))
                .bind(deltas_json(chunk)?)
                .execute(&mut *self)
                .await?;
        }
        Ok(())
    }
}

/// Report heads and case events read per page when digests are rebuilt.
const REBUILD_PAGE: i64 = 5000;

/// What reconciliation needs of a store: the digests, the items behind a
/// day's digests, and queuing items for the parent again. Every [`Store`]
/// has it.
///
/// [`Store`]: crate::Store
#[async_trait]
pub trait Reconciliation {
    /// Makes the digests those of `roots` under `basis` (see [`basis`]):
    /// when the stored basis differs (first start, a tree change that moved
    /// a unit, other child nodes), rebuilds every digest from the stored
    /// report heads and case events in one transaction. Returns whether it
    /// rebuilt.
    async fn ensure_digests(&self, basis: &str, roots: &[UnitId]) -> Result<bool, StoreError>;

    /// The all-time digests of a root's subtree.
    async fn digest_total(&self, root: &UnitId) -> Result<Digests, StoreError>;

    /// A root's digests per day (or week, by its Monday) in `[from, to]`,
    /// in order, at most `limit`; periods without a row are absent.
    async fn digests(
        &self,
        level: DigestLevel,
        root: &UnitId,
        from: NaiveDate,
        to: NaiveDate,
        limit: u32,
    ) -> Result<Vec<(NaiveDate, Digests)>, StoreError>;

    /// The current report heads of `root`'s subtree (as on `day`) dated
    /// `day`, by unit id, after `after`, at most `limit`.
    async fn held_reports(
        &self,
        root: &UnitId,
        day: NaiveDate,
        after: Option<&UnitId>,
        limit: u32,
    ) -> Result<Vec<HeldReport>, StoreError>;

    /// The case events of `day` written by units of `root`'s subtree (as on
    /// `day`), by (case id, sequence), after `after`, at most `limit`.
    async fn held_case_events(
        &self,
        root: &UnitId,
        day: NaiveDate,
        after: Option<(&CaseId, u32)>,
        limit: u32,
    ) -> Result<Vec<HeldCaseEvent>, StoreError>;

    /// Queues again for the parent the given report revisions of `day` and
    /// case events, unless already waiting in the outbox or set aside after
    /// the parent refused them; one transaction.
    async fn requeue(
        &self,
        day: NaiveDate,
        reports: &[HeldReport],
        case_events: &[HeldCaseEvent],
    ) -> Result<Requeued, StoreError>;
}

/// The store side of rebuilding digests, for one backend's connection.
pub(crate) trait DigestRebuild: DigestSink {
    async fn reset_digests(&mut self, roots: &[UnitId]) -> Result<(), StoreError>;
}

/// Implements [`Reconciliation`] for a store whose `pool()` hands out
/// `$connection`s; the statements read the same on both backends (`$n`
/// parameters, which SQLite accepts too). `$begin` opens a write
/// transaction.
macro_rules! reconciliation {
    ($store:ty, $connection:ty, $begin:literal) => {
        #[async_trait::async_trait]
        impl $crate::digest::Reconciliation for $store {
            async fn ensure_digests(
                &self,
                basis: &str,
                roots: &[fengqiao_core::UnitId],
            ) -> Result<bool, $crate::StoreError> {
                let mut tx = self.writer().begin_with($begin).await?;
                $crate::digest::DigestSink::lock_digests(&mut *tx).await?;
                let stored: Option<String> = sqlx::query_scalar("SELECT value FROM node_meta WHERE key = $1")
                    .bind($crate::digest::BASIS_KEY)
                    .fetch_optional(&mut *tx)
                    .await?;
                if stored.as_deref() == Some(basis) {
                    tx.commit().await?;
                    return Ok(false);
                }
                $crate::digest::DigestRebuild::reset_digests(&mut *tx, roots).await?;
                let mut after = ($crate::digest::first_day(), String::new());
                loop {
                    let page: Vec<(String, chrono::NaiveDate, i64, Vec<u8>)> = sqlx::query_as(
                        "SELECT unit_id, report_date, revision, content_hash FROM reports \
                         WHERE (report_date, unit_id) > ($1, $2) ORDER BY report_date, unit_id LIMIT $3",
                    )
                    .bind(after.0)
                    .bind(&after.1)
                    .bind($crate::digest::rebuild_page())
                    .fetch_all(&mut *tx)
                    .await?;
                    let Some(last) = page.last() else { break };
                    after = (last.1, last.0.clone());
                    let deltas = $crate::digest::head_rows_deltas(&page)?;
                    $crate::digest::DigestSink::add_digests(&mut *tx, &deltas).await?;
                }
                let mut after = (String::new(), 0i64);
                loop {
                    let page: Vec<(String, i64, String, chrono::NaiveDate, String)> = sqlx::query_as(
                        "SELECT case_id, seq, unit_id, on_date, body FROM case_events \
                         WHERE case_id > $1 OR (case_id = $1 AND seq > $2) ORDER BY case_id, seq LIMIT $3",
                    )
                    .bind(&after.0)
                    .bind(after.1)
                    .bind($crate::digest::rebuild_page())
                    .fetch_all(&mut *tx)
                    .await?;
                    let Some(last) = page.last() else { break };
                    after = (last.0.clone(), last.1);
                    let deltas = $crate::digest::case_event_deltas(page.iter().map(|row| {
                        $crate::digest::EventItem {
                            case_id: &row.0,
                            seq: row.1,
                            unit_id: &row.2,
                            day: row.3,
                            body: &row.4,
                        }
                    }))?;
                    $crate::digest::DigestSink::add_digests(&mut *tx, &deltas).await?;
                }
                sqlx::query(
                    "INSERT INTO node_meta (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind($crate::digest::BASIS_KEY)
                .bind(basis)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn digest_total(
                &self,
                root: &fengqiao_core::UnitId,
            ) -> Result<fengqiao_core::reconcile::Digests, $crate::StoreError> {
                let row: Option<(i64, i64, i64, i64)> = sqlx::query_as(
                    "SELECT reports, report_hash, case_events, case_event_hash FROM digest_total \
                     WHERE unit_id = $1",
                )
                .bind(root.as_str())
                .fetch_optional(self.pool())
                .await?;
                match row {
                    Some((r, rh, e, eh)) => $crate::digest::digests_from_columns(r, rh, e, eh),
                    None => Ok(Default::default()),
                }
            }

            async fn digests(
                &self,
                level: $crate::digest::DigestLevel,
                root: &fengqiao_core::UnitId,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
                limit: u32,
            ) -> Result<Vec<(chrono::NaiveDate, fengqiao_core::reconcile::Digests)>, $crate::StoreError> {
                let sql = match level {
                    $crate::digest::DigestLevel::Day => {
                        "SELECT day, reports, report_hash, case_events, case_event_hash FROM digest_day \
                         WHERE unit_id = $1 AND day >= $2 AND day <= $3 ORDER BY day LIMIT $4"
                    }
                    $crate::digest::DigestLevel::Week => {
                        "SELECT week_start, reports, report_hash, case_events, case_event_hash FROM digest_week \
                         WHERE unit_id = $1 AND week_start >= $2 AND week_start <= $3 ORDER BY week_start LIMIT $4"
                    }
                };
                let rows: Vec<(chrono::NaiveDate, i64, i64, i64, i64)> = sqlx::query_as(sql)
                    .bind(root.as_str())
                    .bind(from)
                    .bind(to)
                    .bind(i64::from(limit))
                    .fetch_all(self.pool())
                    .await?;
                rows.into_iter()
                    .map(|(period, r, rh, e, eh)| Ok((period, $crate::digest::digests_from_columns(r, rh, e, eh)?)))
                    .collect()
            }

            async fn held_reports(
                &self,
                root: &fengqiao_core::UnitId,
                day: chrono::NaiveDate,
                after: Option<&fengqiao_core::UnitId>,
                limit: u32,
            ) -> Result<Vec<fengqiao_core::reconcile::HeldReport>, $crate::StoreError> {
                let rows: Vec<(String, i64, Vec<u8>)> = sqlx::query_as(
                    "SELECT r.unit_id, r.revision, r.content_hash FROM unit_closure c \
                     JOIN reports r ON r.unit_id = c.unit_id AND r.report_date = $2 \
                     WHERE c.ancestor_id = $1 AND (c.valid_from IS NULL OR c.valid_from <= $2) \
                     AND (c.valid_to IS NULL OR $2 < c.valid_to) AND r.unit_id > $3 \
                     ORDER BY r.unit_id LIMIT $4",
                )
                .bind(root.as_str())
                .bind(day)
                .bind(after.map_or("", |unit| unit.as_str()))
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await?;
                rows.into_iter().map($crate::digest::held_report).collect()
            }

            async fn held_case_events(
                &self,
                root: &fengqiao_core::UnitId,
                day: chrono::NaiveDate,
                after: Option<(&fengqiao_core::case::CaseId, u32)>,
                limit: u32,
            ) -> Result<Vec<fengqiao_core::reconcile::HeldCaseEvent>, $crate::StoreError> {
                let (after_case, after_seq) = after.map_or(("", 0), |(case, seq)| (case.as_str(), i64::from(seq)));
                let rows: Vec<(String, i64, String, String)> = sqlx::query_as(
                    "SELECT e.case_id, e.seq, e.unit_id, e.body FROM unit_closure c \
                     JOIN case_events e ON e.unit_id = c.unit_id AND e.on_date = $2 \
                     WHERE c.ancestor_id = $1 AND (c.valid_from IS NULL OR c.valid_from <= $2) \
                     AND (c.valid_to IS NULL OR $2 < c.valid_to) \
                     AND (e.case_id > $3 OR (e.case_id = $3 AND e.seq > $4)) \
                     ORDER BY e.case_id, e.seq LIMIT $5",
                )
                .bind(root.as_str())
                .bind(day)
                .bind(after_case)
                .bind(after_seq)
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await?;
                rows.into_iter().map($crate::digest::held_case_event).collect()
            }

            async fn requeue(
                &self,
                day: chrono::NaiveDate,
                reports: &[fengqiao_core::reconcile::HeldReport],
                case_events: &[fengqiao_core::reconcile::HeldCaseEvent],
            ) -> Result<$crate::digest::Requeued, $crate::StoreError> {
                self.writes.track(self.requeue_in(day, reports, case_events)).await
            }
        }

        impl $store {
            /// [`Reconciliation::requeue`], its failures not yet counted.
            async fn requeue_in(
                &self,
                day: chrono::NaiveDate,
                reports: &[fengqiao_core::reconcile::HeldReport],
                case_events: &[fengqiao_core::reconcile::HeldCaseEvent],
            ) -> Result<$crate::digest::Requeued, $crate::StoreError> {
                let mut done = $crate::digest::Requeued::default();
                let mut tx = self.writer().begin_with($begin).await?;
                for held in reports {
                    let refused: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM uplink_set_aside WHERE kind = 'report' AND item_date = $1 \
                         AND unit_id = $2 AND revision = $3",
                    )
                    .bind(day)
                    .bind(held.unit_id.as_str())
                    .bind(i64::from(held.revision.get()))
                    .fetch_one(&mut *tx)
                    .await?;
                    if refused > 0 {
                        done.set_aside += 1;
                        continue;
                    }
                    let added = sqlx::query(
                        "INSERT INTO outbox (kind, unit_id, item_date, revision, accepted_at) \
                         SELECT 'report', rv.unit_id, rv.report_date, rv.revision, rv.accepted_at \
                         FROM report_revisions rv WHERE rv.report_date = $1 AND rv.unit_id = $2 AND rv.revision = $3 \
                         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'report' AND o.item_date = $1 \
                         AND o.unit_id = $2 AND o.revision = $3)",
                    )
                    .bind(day)
                    .bind(held.unit_id.as_str())
                    .bind(i64::from(held.revision.get()))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if added > 0 { done.queued += added } else { done.already_queued += 1 }
                }
                for held in case_events {
                    let refused: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM uplink_set_aside WHERE kind = 'case_event' AND unit_id = $1 \
                         AND revision = $2",
                    )
                    .bind(held.case_id.as_str())
                    .bind(i64::from(held.seq))
                    .fetch_one(&mut *tx)
                    .await?;
                    if refused > 0 {
                        done.set_aside += 1;
                        continue;
                    }
                    let added = sqlx::query(
                        "INSERT INTO outbox (kind, unit_id, item_date, revision, accepted_at) \
                         SELECT 'case_event', e.case_id, e.on_date, e.seq, e.at FROM case_events e \
                         WHERE e.case_id = $1 AND e.seq = $2 \
                         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'case_event' \
                         AND o.unit_id = $1 AND o.revision = $2)",
                    )
                    .bind(held.case_id.as_str())
                    .bind(i64::from(held.seq))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if added > 0 { done.queued += added } else { done.already_queued += 1 }
                }
                tx.commit().await?;
                Ok(done)
            }
        }

        impl $crate::digest::DigestRebuild for $connection {
            async fn reset_digests(&mut self, roots: &[fengqiao_core::UnitId]) -> Result<(), $crate::StoreError> {
                for table in ["digest_roots", "digest_day", "digest_week", "digest_total"] {
                    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}"))).execute(&mut *self).await?;
                }
                for root in roots {
                    sqlx::query("INSERT INTO digest_roots (unit_id) VALUES ($1)")
                        .bind(root.as_str())
                        .execute(&mut *self)
                        .await?;
                }
                Ok(())
            }
        }
    };
}
pub(crate) use reconciliation;

/// Rows per page of a rebuild.
pub(crate) fn rebuild_page() -> i64 {
    REBUILD_PAGE
}

/// A day before every report (the first a date column holds on both
/// backends), to page from.
pub(crate) fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(1, 1, 1).expect("a valid date")
}

/// The deltas of a page of stored heads `(unit, date, revision, content hash)`.
pub(crate) fn head_rows_deltas(
    rows: &[(String, NaiveDate, i64, Vec<u8>)],
) -> Result<Vec<DigestDelta>, StoreError> {
    let heads: Vec<HeadWrite> = rows
        .iter()
        .map(|(unit_id, date, revision, content_hash)| HeadWrite {
            unit_id: unit_id.clone(),
            report_date: *date,
            revision: *revision,
            content_hash: content_hash.clone(),
            accepted_at: chrono::DateTime::UNIX_EPOCH,
            first_accepted_at: chrono::DateTime::UNIX_EPOCH,
        })
        .collect();
    report_deltas(&HeadsBefore::new(), &heads)
}

/// A `(unit, revision, content hash)` row.
pub(crate) fn held_report(
    (unit_id, revision, content_hash): (String, i64, Vec<u8>),
) -> Result<HeldReport, StoreError> {
    Ok(HeldReport {
        unit_id: UnitId::parse(&unit_id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        revision: plan::revision_from_column(revision)?,
        content_hash: plan::hash_from_column(&content_hash)?,
    })
}

/// A `(case, seq, unit, body)` row.
pub(crate) fn held_case_event(
    (case_id, seq, unit_id, body): (String, i64, String, String),
) -> Result<HeldCaseEvent, StoreError> {
    Ok(HeldCaseEvent {
        case_id: CaseId::parse(&case_id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        seq: u32::try_from(seq)
            .map_err(|_| StoreError::Corrupt(format!("case {case_id} event sequence {seq}")))?,
        unit_id: UnitId::parse(&unit_id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        content_hash: case_event_content_hash(&body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fanout_statements_name_every_level() {
        assert_eq!(SQLITE_FANOUT.matches("INSERT INTO").count(), 3);
        assert!(PG_FANOUT.starts_with("WITH day AS (INSERT INTO digest_day"));
        assert!(PG_FANOUT.contains("INSERT INTO digest_total"));
        assert!(SQLITE_FANOUT.contains(&format!("% {HASH_MODULUS}")));
    }

    #[test]
    fn a_correction_moves_the_digest_by_the_difference_of_the_heads() {
        let unit = UnitId::parse("u1").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let (r1, r2) = (Revision::new(1).unwrap(), Revision::new(2).unwrap());
        let before: HeadsBefore = [(ReportKey { unit_id: unit.clone(), date: day }, (r1, [1; 32]))].into();
        let head = HeadWrite {
            unit_id: "u1".into(),
            report_date: day,
            revision: 2,
            content_hash: vec![2; 32],
            accepted_at: chrono::DateTime::UNIX_EPOCH,
            first_accepted_at: chrono::DateTime::UNIX_EPOCH,
        };
        let deltas = report_deltas(&before, std::slice::from_ref(&head)).unwrap();
        let mut stored = Digest::of([report_item_hash(&unit, day, r1, &[1; 32])]);
        stored += deltas[0].digests.reports;
        assert_eq!(stored, Digest::of([report_item_hash(&unit, day, r2, &[2; 32])]));
        let new = report_deltas(&HeadsBefore::new(), &[head]).unwrap();
        assert_eq!(new[0].digests.reports.items, 1);
    }
}
