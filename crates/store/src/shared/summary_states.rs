//! [`SummaryStates`] for [`SqlStore`], the same text on both backends.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::case::CaseId;
use fengqiao_core::read::{CaseCounts, CaseFigure};
use fengqiao_core::summary_state::{RollupState, StateDelta};
use fengqiao_core::tally::STORED_COUNTERS;
use fengqiao_core::{IsoWeek, Tally, UnitId};
use sqlx::Row;

use super::{Dialect, SqlStore};
use crate::StoreError;
use crate::cases::{self, FigureSource};
use crate::fanout::{EmployerRow, RollupRow, RollupRows};
use crate::summary_states::{StateOutcome, StateWrite, SummaryStates};

fn unit(value: String) -> Result<UnitId, StoreError> {
    UnitId::parse(&value).map_err(|e| StoreError::Corrupt(format!("unit id {value:?}: {e}")))
}

fn figure(value: &str) -> Result<CaseFigure, StoreError> {
    CaseFigure::parse(value).ok_or_else(|| StoreError::Corrupt(format!("case figure {value:?}")))
}

/// Rows per multi-row upsert (SQLite allows 32,766 bound parameters).
const ROWS_PER_STATEMENT: usize = 500;

/// Sums of the deltas of a batch, per key, for one write.
#[derive(Default)]
struct Sums {
    days: BTreeMap<(Arc<str>, NaiveDate), [i64; STORED_COUNTERS]>,
    weeks: BTreeMap<(Arc<str>, NaiveDate), [i64; STORED_COUNTERS]>,
    employers: BTreeMap<(Arc<str>, NaiveDate, String), i64>,
    expected: BTreeMap<(Arc<str>, NaiveDate), i64>,
    cases: BTreeMap<(Arc<str>, NaiveDate, CaseFigure, String), i64>,
}

impl Sums {
    fn add(&mut self, day: NaiveDate, targets: &[UnitId], delta: &StateDelta) {
        let counters = delta.tally.stored();
        let monday = IsoWeek::of(day).monday();
        for target in targets {
            let unit: Arc<str> = Arc::from(target.as_str());
            if counters.iter().any(|c| *c != 0) {
                for (table, period) in [(&mut self.days, day), (&mut self.weeks, monday)] {
                    let slot = table.entry((Arc::clone(&unit), period)).or_insert([0; STORED_COUNTERS]);
                    for (s, c) in slot.iter_mut().zip(counters) {
                        *s += c;
                    }
                }
            }
            if delta.tally.expected != 0 {
                *self.expected.entry((Arc::clone(&unit), day)).or_default() += delta.tally.expected;
            }
            for (key, change) in &delta.employers {
                *self.employers.entry((Arc::clone(&unit), day, key.clone())).or_default() += change;
            }
            for (figure, id, change) in &delta.cases {
                *self.cases.entry((Arc::clone(&unit), day, *figure, id.clone())).or_default() += change;
            }
        }
    }

    fn rollups(&self) -> RollupRows {
        let rows = |table: &BTreeMap<(Arc<str>, NaiveDate), [i64; STORED_COUNTERS]>| {
            table
                .iter()
                .map(|((unit, period), counters)| RollupRow {
                    unit: Arc::clone(unit),
                    period: *period,
                    counters: *counters,
                })
                .collect()
        };
        RollupRows {
            days: rows(&self.days),
            weeks: rows(&self.weeks),
            employers: self
                .employers
                .iter()
                .filter(|(_, change)| **change != 0)
                .map(|((unit, day, employer), change)| EmployerRow {
                    unit: Arc::clone(unit),
                    day: *day,
                    employer: employer.clone(),
                    change: *change,
                })
                .collect(),
        }
    }
}

#[async_trait]
impl<DB> SummaryStates for SqlStore<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'s> &'s str: sqlx::Encode<'s, DB> + sqlx::Type<DB>,
    String: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: for<'q> sqlx::Encode<'q, DB>,
    i64: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: for<'r> sqlx::Decode<'r, DB>,
    NaiveDate: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DateTime<Utc>: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DB::TextList: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    (i64, i64): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    async fn apply_rollup_states(
        &self,
        states: &[StateWrite],
        forward: bool,
        at: DateTime<Utc>,
    ) -> Result<Vec<StateOutcome>, StoreError> {
        // Of several states for one (unit, day), the newest counts; the
        // others are answered as if it had arrived first.
        let mut newest: HashMap<(&str, NaiveDate), usize> = HashMap::new();
        for (i, write) in states.iter().enumerate() {
            let key = (write.state.unit_id.as_str(), write.state.day);
            let slot = newest.entry(key).or_insert(i);
            if states[*slot].state.version < write.state.version {
                *slot = i;
            }
        }
        self.writes
            .track(async {
                let mut tx = DB::begin_write(&self.writer).await?;
                let mut outcomes = vec![StateOutcome::Superseded; states.len()];
                let mut sums = Sums::default();
                let mut applied = Vec::new();
                for (i, write) in states.iter().enumerate() {
                    let state = &write.state;
                    let winner = newest[&(state.unit_id.as_str(), state.day)];
                    let held: Option<i64> = sqlx::query_scalar(
                        "SELECT version FROM summary_states WHERE day = $1 AND unit_id = $2",
                    )
                    .bind(state.day)
                    .bind(state.unit_id.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                    let held = held.map(|v| v as u64);
                    if winner != i {
                        let newer = &states[winner].state;
                        outcomes[i] = if newer.version == state.version && held.is_none_or(|h| h <= newer.version) {
                            StateOutcome::Duplicate
                        } else {
                            StateOutcome::Superseded
                        };
                        continue;
                    }
                    outcomes[i] = match held {
                        Some(h) if h == state.version => StateOutcome::Duplicate,
                        Some(h) if h > state.version => StateOutcome::Superseded,
                        _ => StateOutcome::Applied,
                    };
                    if outcomes[i] != StateOutcome::Applied {
                        continue;
                    }
                    let old = read_state(&mut tx, &state.unit_id, state.day).await?;
                    let delta = StateDelta::between(old.as_ref(), state);
                    sums.add(state.day, &write.targets, &delta);
                    applied.push(i);
                }
                DB::write_rollups(&mut tx, &sums.rollups()).await?;
                // Multi-row upserts: a province's state names hundreds of
                // cases, each counted at every target.
                let expected: Vec<_> = sums.expected.iter().filter(|(_, change)| **change != 0).collect();
                for chunk in expected.chunks(ROWS_PER_STATEMENT) {
                    let mut query =
                        sqlx::QueryBuilder::<DB>::new("INSERT INTO expected_days (unit_id, day, expected) ");
                    query.push_values(chunk, |mut row, ((unit, day), change)| {
                        row.push_bind(unit.to_string()).push_bind(*day).push_bind(**change);
                    });
                    query.push(
                        " ON CONFLICT (unit_id, day) DO UPDATE SET expected = expected_days.expected + excluded.expected",
                    );
                    query.build().execute(&mut *tx).await?;
                }
                let cases: Vec<_> = sums.cases.iter().filter(|(_, change)| **change != 0).collect();
                for chunk in cases.chunks(ROWS_PER_STATEMENT) {
                    let mut query =
                        sqlx::QueryBuilder::<DB>::new("INSERT INTO case_key_days (unit_id, day, figure, case_id, n) ");
                    query.push_values(chunk, |mut row, ((unit, day, figure, id), change)| {
                        row.push_bind(unit.to_string())
                            .push_bind(*day)
                            .push_bind(figure.name())
                            .push_bind(id.clone())
                            .push_bind(**change);
                    });
                    query.push(
                        " ON CONFLICT (unit_id, day, figure, case_id) DO UPDATE SET n = case_key_days.n + excluded.n",
                    );
                    query.build().execute(&mut *tx).await?;
                }
                // Cases no state names any more, only where a count fell
                // (a scan of the whole table per batch grew with history).
                let fallen: BTreeSet<(&Arc<str>, NaiveDate)> = sums
                    .cases
                    .iter()
                    .filter(|(_, change)| **change < 0)
                    .map(|((unit, day, _, _), _)| (unit, *day))
                    .collect();
                for (unit, day) in fallen {
                    sqlx::query("DELETE FROM case_key_days WHERE unit_id = $1 AND day = $2 AND n = 0")
                        .bind(&**unit)
                        .bind(day)
                        .execute(&mut *tx)
                        .await?;
                }
                for &i in &applied {
                    let state = &states[i].state;
                    sqlx::query(
                        "INSERT INTO summary_states (unit_id, day, version, expected) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (day, unit_id) DO UPDATE SET version = excluded.version, expected = excluded.expected",
                    )
                    .bind(state.unit_id.as_str())
                    .bind(state.day)
                    .bind(i64::try_from(state.version).map_err(|_| StoreError::Corrupt("version".into()))?)
                    .bind(state.tally.expected)
                    .execute(&mut *tx)
                    .await?;
                    if forward {
                        // One entry per (unit, day), always a fresh one: an
                        // entry already queued may be in flight, its state
                        // read before this one, and its answer would clear
                        // it.
                        sqlx::query("DELETE FROM outbox WHERE kind = 'summary' AND unit_id = $1 AND item_date = $2")
                            .bind(state.unit_id.as_str())
                            .bind(state.day)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query(
                            "INSERT INTO outbox (kind, unit_id, item_date, revision, accepted_at) \
                             VALUES ('summary', $1, $2, 0, $3)",
                        )
                        .bind(state.unit_id.as_str())
                        .bind(state.day)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                tx.commit().await?;
                Ok(outcomes)
            })
            .await
    }

    async fn held_state(&self, unit_id: &UnitId, day: NaiveDate) -> Result<Option<RollupState>, StoreError> {
        let mut connection = self.pool.acquire().await?;
        read_state(&mut connection, unit_id, day).await
    }

    async fn expected_sums(&self, items: &[(UnitId, NaiveDate, NaiveDate)]) -> Result<Vec<i64>, StoreError> {
        let mut by_range: HashMap<(NaiveDate, NaiveDate), Vec<&str>> = HashMap::new();
        for (unit, from, to) in items {
            by_range.entry((*from, *to)).or_default().push(unit.as_str());
        }
        let mut sums: HashMap<(String, NaiveDate, NaiveDate), i64> = HashMap::new();
        for ((from, to), units) in by_range {
            let sql = format!(
                "SELECT unit_id, CAST(SUM(expected) AS BIGINT) FROM expected_days WHERE {} AND day >= $2 AND day <= $3 \
                 GROUP BY unit_id",
                DB::in_list("unit_id", "$1")
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(DB::text_list(&units)?)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
            for row in rows {
                let unit: String = row.try_get(0)?;
                let sum: Option<i64> = row.try_get(1)?;
                sums.insert((unit, from, to), sum.unwrap_or(0));
            }
        }
        Ok(items
            .iter()
            .map(|(unit, from, to)| sums.get(&(unit.to_string(), *from, *to)).copied().unwrap_or(0))
            .collect())
    }

    async fn keyed_case_figures(
        &self,
        roots: &[UnitId],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CaseCounts>, StoreError> {
        let ids: Vec<&str> = roots.iter().map(UnitId::as_str).collect();
        let sql = format!(
            "SELECT unit_id, figure, COUNT(DISTINCT case_id) FROM case_key_days \
             WHERE {} AND day >= $2 AND day <= $3 AND (figure <> 'overdue' OR day = $3) AND n > 0 \
             GROUP BY unit_id, figure",
            DB::in_list("unit_id", "$1")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(DB::text_list(&ids)?)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        let mut counts: HashMap<String, CaseCounts> = HashMap::new();
        for row in rows {
            let unit: String = row.try_get(0)?;
            let name: String = row.try_get(1)?;
            let count: i64 = row.try_get(2)?;
            counts.entry(unit).or_default().set(figure(&name)?, count as u64);
        }
        Ok(roots.iter().map(|root| counts.get(root.as_str()).copied().unwrap_or_default()).collect())
    }

    async fn keyed_case_drill(
        &self,
        root: &UnitId,
        from: NaiveDate,
        to: NaiveDate,
        case_figure: CaseFigure,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<CaseId>, StoreError> {
        let from = if case_figure == CaseFigure::Overdue { to } else { from };
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT case_id FROM case_key_days WHERE unit_id = $1 AND figure = $2 AND n > 0 \
             AND day >= $3 AND day <= $4 AND case_id > $5 ORDER BY case_id LIMIT $6",
        )
        .bind(root.as_str())
        .bind(case_figure.name())
        .bind(from)
        .bind(to)
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        ids.into_iter()
            .map(|id| CaseId::parse(&id).map_err(|e| StoreError::Corrupt(format!("case id {id:?}: {e}"))))
            .collect()
    }

    async fn employer_counts(
        &self,
        units: &[UnitId],
        day: NaiveDate,
    ) -> Result<Vec<(UnitId, String, i64)>, StoreError> {
        let ids: Vec<&str> = units.iter().map(UnitId::as_str).collect();
        let sql = format!(
            "SELECT unit_id, employer, reports FROM employer_days WHERE {} AND day = $2 AND reports > 0 \
             ORDER BY unit_id, employer",
            DB::in_list("unit_id", "$1")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(DB::text_list(&ids)?)
            .bind(day)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(|row| Ok((unit(row.try_get(0)?)?, row.try_get(1)?, row.try_get(2)?))).collect()
    }

    async fn case_keys(
        &self,
        roots: &[UnitId],
        day: NaiveDate,
    ) -> Result<Vec<(UnitId, CaseFigure, String)>, StoreError> {
        let ids: Vec<&str> = roots.iter().map(UnitId::as_str).collect();
        let ids = DB::text_list(&ids)?;
        let mut keys: BTreeSet<(String, CaseFigure, String)> = BTreeSet::new();
        let mut tx = self.pool.begin_with(DB::SNAPSHOT).await?;
        for source in FigureSource::ALL {
            let figures = source.figures();
            let sql = cases::keys_sql(source, &DB::in_list("u.ancestor_id", "$1"));
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&ids)
                .bind(day)
                .bind(day)
                .fetch_all(&mut *tx)
                .await?;
            for row in rows {
                let root: String = row.try_get(0)?;
                let case: String = row.try_get(1)?;
                for (i, figure) in figures.iter().enumerate() {
                    let flag: i64 = row.try_get(2 + i)?;
                    if flag != 0 {
                        keys.insert((root.clone(), *figure, case.clone()));
                    }
                }
            }
        }
        tx.commit().await?;
        keys.into_iter().map(|(root, figure, case)| Ok((unit(root)?, figure, case))).collect()
    }

    async fn held_case_keys(
        &self,
        units: &[UnitId],
        day: NaiveDate,
    ) -> Result<Vec<(UnitId, CaseFigure, String)>, StoreError> {
        let ids: Vec<&str> = units.iter().map(UnitId::as_str).collect();
        let sql = format!(
            "SELECT unit_id, figure, case_id FROM case_key_days WHERE {} AND day = $2 AND n > 0 \
             ORDER BY unit_id, figure, case_id",
            DB::in_list("unit_id", "$1")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(DB::text_list(&ids)?)
            .bind(day)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|row| {
                let name: String = row.try_get(1)?;
                Ok((unit(row.try_get(0)?)?, figure(&name)?, row.try_get(2)?))
            })
            .collect()
    }

    async fn enqueue_summary_keys(
        &self,
        keys: &[(UnitId, NaiveDate)],
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if keys.is_empty() {
            return Ok(0);
        }
        self.writes
            .track(async {
                let mut tx = DB::begin_write(&self.writer).await?;
                let mut queued = 0;
                for (unit, day) in keys {
                    let done = sqlx::query(
                        "INSERT INTO outbox (kind, unit_id, item_date, revision, accepted_at) \
                         SELECT 'summary', $1, $2, 0, $3 WHERE NOT EXISTS (SELECT 1 FROM outbox \
                         WHERE kind = 'summary' AND unit_id = $1 AND item_date = $2)",
                    )
                    .bind(unit.as_str())
                    .bind(*day)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    queued += DB::rows_affected(&done);
                }
                tx.commit().await?;
                Ok(queued)
            })
            .await
    }
}

/// The state held for (unit, day): the unit's own rows.
async fn read_state<DB>(
    connection: &mut DB::Connection,
    unit_id: &UnitId,
    day: NaiveDate,
) -> Result<Option<RollupState>, StoreError>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'s> &'s str: sqlx::Encode<'s, DB> + sqlx::Type<DB>,
    String: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    i64: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    NaiveDate: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    (i64, i64): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let held: Option<(i64, i64)> =
        sqlx::query_as("SELECT version, expected FROM summary_states WHERE day = $1 AND unit_id = $2")
            .bind(day)
            .bind(unit_id.as_str())
            .fetch_optional(&mut *connection)
            .await?;
    let Some((version, expected)) = held else { return Ok(None) };
    let mut state = RollupState::empty(unit_id.clone(), day);
    state.version = version as u64;
    let sql =
        format!("SELECT {} FROM rollup_day WHERE day = $1 AND unit_id = $2", crate::rollup::column_list());
    if let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(day)
        .bind(unit_id.as_str())
        .fetch_optional(&mut *connection)
        .await?
    {
        let mut counters = [0i64; STORED_COUNTERS];
        for (i, slot) in counters.iter_mut().enumerate() {
            *slot = row.try_get(i)?;
        }
        state.tally = Tally::from_stored(counters);
    }
    state.tally.expected = expected;
    let employers = sqlx::query(
        "SELECT employer, reports FROM employer_days WHERE unit_id = $1 AND day = $2 AND reports <> 0",
    )
    .bind(unit_id.as_str())
    .bind(day)
    .fetch_all(&mut *connection)
    .await?;
    for row in employers {
        state.employers.insert(row.try_get(0)?, row.try_get(1)?);
    }
    let cases =
        sqlx::query("SELECT figure, case_id FROM case_key_days WHERE unit_id = $1 AND day = $2 AND n > 0")
            .bind(unit_id.as_str())
            .bind(day)
            .fetch_all(&mut *connection)
            .await?;
    for row in cases {
        let name: String = row.try_get(0)?;
        state.cases.entry(figure(&name)?).or_default().insert(row.try_get(1)?);
    }
    Ok(Some(state))
}
