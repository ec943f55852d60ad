//! `fengqiao.v1.SummaryService`: the weekly resolution report of any unit's
//! subtree, read from the live rollups.
//!
//! A range of days is read as whole ISO weeks from `rollup_week` plus the
//! days at either end from `rollup_day`, so a year costs about 53 rows per
//! unit whatever the history holds. Expected counts come from the dated tree
//! ([`Coverage`]); only due days (whose cut-off has passed) count, and the
//! summary says through which day it counted.

use fengqiao_core::why;
use std::collections::HashMap;
use std::pin::Pin;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fengqiao_core::coverage::Coverage;
use fengqiao_core::read::summary::{Child, Counted, SummaryHead};
use fengqiao_core::read::{
    CaseCounts, Completeness, DayRange, Freshness, Moment, Summary, Trend, UnitRef, WeekPoint,
};
use fengqiao_core::{DomainError, IsoWeek, Tally, UnitId};
use fengqiao_proto::pb::summary_service_server::SummaryService;
use fengqiao_proto::pb::{
    self, CompletenessRequest, CompletenessResponse, ExportReportsRequest, ExportReportsResponse,
    PeriodSummaryRequest, PeriodSummaryResponse, TrendRequest, TrendResponse, WatchAlertsRequest,
    WatchAlertsResponse, WeeklySummaryRequest, WeeklySummaryResponse,
};
use fengqiao_proto::{parse_date, parse_unit_id, stored_report_to_pb};
use fengqiao_store::{ListQuery, Period};
use futures::Stream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use tracing::{instrument, warn};

use fengqiao_core::authz::{Rpc, Target};

use crate::{Node, NodeError, paging};

/// Longest range of a period summary or export, in days (ten years).
pub const MAX_RANGE_DAYS: i64 = 3660;
/// Most weeks in one trend.
pub const MAX_TREND_WEEKS: i64 = 530;
/// Reports read per page of an export; each page goes out as one message,
/// or more when it would exceed the answer's bound in bytes.
pub const EXPORT_PAGE: u32 = 500;

/// The summary service over a [`Node`].
#[derive(Debug, Clone)]
pub struct Summaries {
    node: Node,
}

/// A range of days split into what the rollup tables hold: whole weeks (by
/// Monday, inclusive) and loose days at either end.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Split {
    weeks: Option<(NaiveDate, NaiveDate)>,
    days: Vec<(NaiveDate, NaiveDate)>,
}

fn split(from: NaiveDate, to: NaiveDate) -> Split {
    let first_monday = IsoWeek::of(from).monday();
    let first_full = if first_monday == from { from } else { first_monday + Duration::days(7) };
    let last_full_sunday = IsoWeek::of(to).sunday();
    let last_full = if last_full_sunday == to {
        IsoWeek::of(to).monday()
    } else {
        IsoWeek::of(to).monday() - Duration::days(7)
    };
    if first_full > last_full {
        return Split { weeks: None, days: vec![(from, to)] };
    }
    let mut days = Vec::new();
    if from < first_full {
        days.push((from, first_full - Duration::days(1)));
    }
    let after = last_full + Duration::days(7);
    if after <= to {
        days.push((after, to));
    }
    Split { weeks: Some((first_full, last_full)), days }
}

/// Sums of the stored rollups of many (unit, range) items, with as few
/// queries as the ranges allow: one per distinct week span and one per
/// distinct loose-day range, each for all the units that need it.
async fn stored_tallies(
    node: &Node,
    items: &[(UnitId, NaiveDate, NaiveDate)],
) -> Result<Vec<Tally>, NodeError> {
    let splits: Vec<Split> = items.iter().map(|(_, from, to)| split(*from, *to)).collect();
    let mut week_span: HashMap<&UnitId, (NaiveDate, NaiveDate)> = HashMap::new();
    let mut day_queries: HashMap<(NaiveDate, NaiveDate), Vec<UnitId>> = HashMap::new();
    for ((unit, _, _), split) in items.iter().zip(&splits) {
        if let Some((a, b)) = split.weeks {
            let span = week_span.entry(unit).or_insert((a, b));
            *span = (span.0.min(a), span.1.max(b));
        }
        for range in &split.days {
            let units = day_queries.entry(*range).or_default();
            if !units.contains(unit) {
                units.push(unit.clone());
            }
        }
    }
    let mut week_queries: HashMap<(NaiveDate, NaiveDate), Vec<UnitId>> = HashMap::new();
    for (unit, span) in week_span {
        week_queries.entry(span).or_default().push(unit.clone());
    }
    let store = node.store();
    let mut weeks: HashMap<(UnitId, NaiveDate), Tally> = HashMap::new();
    for ((a, b), units) in week_queries {
        for row in store.rollups(Period::Week, &units, a, b).await? {
            weeks.insert((row.unit_id, row.period), row.tally);
        }
    }
    let mut days: HashMap<(UnitId, NaiveDate), Tally> = HashMap::new();
    for ((a, b), units) in day_queries {
        for row in store.rollups(Period::Day, &units, a, b).await? {
            days.insert((row.unit_id, row.period), row.tally);
        }
    }
    Ok(items
        .iter()
        .zip(&splits)
        .map(|((unit, _, _), split)| {
            let mut total = Tally::default();
            if let Some((a, b)) = split.weeks {
                let mut monday = a;
                while monday <= b {
                    total += weeks.get(&(unit.clone(), monday)).copied().unwrap_or_default();
                    monday += Duration::days(7);
                }
            }
            for &(a, b) in &split.days {
                for day in a.iter_days().take_while(|d| *d <= b) {
                    total += days.get(&(unit.clone(), day)).copied().unwrap_or_default();
                }
            }
            total
        })
        .collect())
}

/// Expected (reporting unit, day) pairs per item: from the dated tree, or
/// above the summary boundary from the child nodes' states.
async fn expected_counts(
    node: &Node,
    coverage: &Coverage,
    items: &[(UnitId, NaiveDate, NaiveDate)],
) -> Result<Vec<i64>, NodeError> {
    if node.summary_fed() {
        let start = coverage.start();
        let clipped: Vec<(UnitId, NaiveDate, NaiveDate)> = items
            .iter()
            .map(|(unit, from, to)| (unit.clone(), start.map_or(*from, |s| s.max(*from)), *to))
            .collect();
        Ok(node.store().expected_sums(&clipped).await?)
    } else {
        Ok(items.iter().map(|(unit, from, to)| coverage.expected(unit.as_str(), *from, *to)).collect())
    }
}

impl Summaries {
    pub fn new(node: Node) -> Self {
        Summaries { node }
    }

    fn coverage(&self) -> std::sync::Arc<Coverage> {
        self.node.coverage()
    }

    /// The last day whose cut-off has passed.
    fn last_due_day(&self, now: DateTime<Utc>) -> NaiveDate {
        let policy = &self.node.config().time;
        let today = policy.local_date(now);
        if now >= policy.cutoff_of(today) { today } else { today - Duration::days(1) }
    }

    fn unit(&self, id: &str, field: &str) -> Result<fengqiao_core::Unit, NodeError> {
        let id = parse_unit_id(id, field)?;
        self.node.served_unit(id.as_str())
    }

    /// The summary of `unit`'s subtree over `[from, to]`: the store's
    /// tallies, case counts and child syncs, assembled by the domain
    /// ([`Summary::assemble`]).
    pub(crate) async fn summary(
        &self,
        unit_id: &str,
        from: NaiveDate,
        to: NaiveDate,
        iso_week: Option<IsoWeek>,
    ) -> Result<Summary, NodeError> {
        check_range(from, to, "to_date")?;
        let unit = self.unit(unit_id, "unit_id")?;
        let now = self.node.clock().now();
        let through = to.min(self.last_due_day(now));
        let cases_as_of = self.node.config().time.as_of(to, now);
        let case_to = cases_as_of.last_day;
        let key = (unit.id.to_string(), from, to, iso_week.map(|w| w.to_string()), through, case_to);
        if let Some(summary) = self.node.cached_summary(&key) {
            return Ok(summary);
        }
        let generation = self.node.summary_generation();
        let summary = self.read_summary(&unit, from, to, iso_week, now, through, cases_as_of).await?;
        self.node.keep_summary(key, generation, &summary);
        Ok(summary)
    }

    /// [`Summaries::summary`] read from the store.
    #[allow(clippy::too_many_arguments)]
    async fn read_summary(
        &self,
        unit: &fengqiao_core::Unit,
        from: NaiveDate,
        to: NaiveDate,
        iso_week: Option<IsoWeek>,
        now: DateTime<Utc>,
        through: NaiveDate,
        cases_as_of: fengqiao_core::time::AsOf,
    ) -> Result<Summary, NodeError> {
        let coverage = self.coverage();
        let tree = self.node.tree();
        let case_to = cases_as_of.last_day;
        let case_children: Vec<UnitId> = if case_to < from {
            Vec::new()
        } else {
            coverage
                .children_in(unit.id.as_str(), from, case_to)
                .into_iter()
                .map(|(child, _)| child)
                .collect()
        };
        let case_counts = if case_to < from {
            vec![CaseCounts::default(); 1 + case_children.len()]
        } else {
            let roots: Vec<UnitId> =
                std::iter::once(unit.id.clone()).chain(case_children.iter().cloned()).collect();
            if self.node.summary_fed() {
                self.node.store().keyed_case_figures(&roots, from, case_to).await?
            } else {
                self.node.store().case_figures(&roots, from, case_to).await?
            }
        };
        let child_cases: HashMap<&UnitId, &CaseCounts> =
            case_children.iter().zip(case_counts.iter().skip(1)).collect();
        let head = SummaryHead {
            unit_id: unit.id.clone(),
            unit_name: unit.name.clone(),
            tier: unit.tier,
            from_date: from,
            to_date: to,
            iso_week,
            computed_at: Moment::utc(now),
            cases_as_of: Moment::utc(cases_as_of.at),
            cases_provisional: cases_as_of.provisional,
        };
        let weights = &self.node.config().ranking;
        if through < from {
            return Ok(Summary::assemble(head, case_counts[0], None, weights));
        }
        let children = coverage.children_in(unit.id.as_str(), from, through);
        let mut items = vec![(unit.id.clone(), from, through)];
        for (child, ranges) in &children {
            items.extend(ranges.iter().map(|&(a, b)| (child.clone(), a, b)));
        }
        let stored = stored_tallies(&self.node, &items).await?;
        let expected = expected_counts(&self.node, &coverage, &items).await?;
        let mut totals = stored[0];
        totals.expected = expected[0];
        let employers = self.node.store().distinct_employers(&unit.id, from, through).await?;
        // Only a node with child nodes has syncs to show: spare the others
        // a query on every summary.
        let syncs: HashMap<String, fengqiao_store::ChildSync> = if self.node.child_nodes().is_empty() {
            HashMap::new()
        } else {
            self.node.store().child_syncs().await?.into_iter().map(|s| (s.child_unit_id.clone(), s)).collect()
        };
        let cutoff = self.node.config().time.cutoff_of(through);
        let mut next = 1;
        let mut rows = Vec::with_capacity(children.len());
        for (child, ranges) in children {
            let mut tally = Tally::default();
            for &(a, b) in &ranges {
                debug_assert_eq!(items[next], (child.clone(), a, b));
                tally += stored[next];
                tally.expected += expected[next];
                next += 1;
            }
            let unit = tree.get(child.as_str());
            rows.push(Child {
                name: unit.map(|u| u.name.clone()).unwrap_or_default(),
                tier: unit.map(|u| u.tier),
                days: if ranges.as_slice() == [(from, through)] {
                    Vec::new()
                } else {
                    ranges.iter().map(|&(from_date, to_date)| DayRange { from_date, to_date }).collect()
                },
                tally,
                cases: child_cases.get(&child).copied().copied().unwrap_or_default(),
                freshness: self.freshness(child.as_str(), &syncs, cutoff),
                unit_id: child,
            });
        }
        let counted = Counted { through, totals, employers: employers as i64, children: rows };
        Ok(Summary::assemble(head, case_counts[0], Some(counted), weights))
    }

    /// How fresh a child unit's figures are here: served here, or by a
    /// child node whose last push said how far it had synced.
    fn freshness(
        &self,
        child: &str,
        syncs: &HashMap<String, fengqiao_store::ChildSync>,
        cutoff: DateTime<Utc>,
    ) -> Freshness {
        let Some(node) = self.node.delegated_to(child) else {
            return Freshness::served_here();
        };
        let sync = syncs.get(&node);
        let synced_through = sync.and_then(|s| s.synced_through);
        Freshness {
            served_by: Some(node),
            last_sync: sync.map(|s| Moment::utc(s.last_push_at)),
            synced_through: synced_through.map(Moment::utc),
            arrived: synced_through.is_some_and(|at| at >= cutoff),
        }
    }

    pub(crate) async fn completeness(
        &self,
        unit_id: &str,
        date: NaiveDate,
    ) -> Result<Completeness, NodeError> {
        let unit = self.unit(unit_id, "unit_id")?;
        self.node.reports_held_here(unit.id.as_str(), "reporting units")?;
        let coverage = self.coverage();
        let tree = self.node.tree();
        let expected = coverage.expected_on(unit.id.as_str(), date);
        let received: HashMap<UnitId, DateTime<Utc>> =
            self.node.store().received_on(&unit.id, date).await?.into_iter().collect();
        let unit_ref = |id: &UnitId| {
            let unit = tree.get(id.as_str());
            let parent = unit.and_then(|u| u.parent_on(date)).and_then(|p| tree.get(p.as_str()));
            UnitRef {
                unit_id: id.clone(),
                name: unit.map(|u| u.name.clone()).unwrap_or_default(),
                parent_id: parent.map(|p| p.id.clone()),
                parent_name: parent.map(|p| p.name.clone()),
            }
        };
        let policy = &self.node.config().time;
        Ok(Completeness::of(
            unit.id.clone(),
            date,
            policy,
            self.node.clock().now(),
            &expected,
            &received,
            unit_ref,
        ))
    }

    async fn trend(&self, request: TrendRequest) -> Result<Trend, NodeError> {
        let unit = self.unit(&request.unit_id, "unit_id")?;
        let from = IsoWeek::parse(&request.from_week, "from_week")?;
        let to = IsoWeek::parse(&request.to_week, "to_week")?;
        if to < from {
            return Err(DomainError::invalid(
                "to_week",
                why!(BEFORE_FROM_WEEK, "{to} is before from_week {from}", to = to, from = from),
            )
            .into());
        }
        let weeks = (to.monday() - from.monday()).num_days() / 7 + 1;
        if weeks > MAX_TREND_WEEKS {
            return Err(DomainError::invalid(
                "to_week",
                why!(AT_MOST_WEEKS, "at most {max} weeks", max = MAX_TREND_WEEKS),
            )
            .into());
        }
        let through = self.last_due_day(self.node.clock().now());
        let coverage = self.coverage();
        let points: Vec<(IsoWeek, NaiveDate, NaiveDate)> = (0..weeks)
            .map(|n| from.monday() + Duration::days(7 * n))
            .map(|monday| (IsoWeek::of(monday), monday, (monday + Duration::days(6)).min(through)))
            .collect();
        let due: Vec<(UnitId, NaiveDate, NaiveDate)> =
            points.iter().filter(|(_, a, b)| a <= b).map(|&(_, a, b)| (unit.id.clone(), a, b)).collect();
        let stored = stored_tallies(&self.node, &due).await?;
        let mut expected = expected_counts(&self.node, &coverage, &due).await?.into_iter();
        let mut stored = stored.into_iter();
        let weeks = points
            .into_iter()
            .map(|(week, a, b)| {
                let mut tally = if a <= b { stored.next().unwrap_or_default() } else { Tally::default() };
                if a <= b {
                    tally.expected = expected.next().unwrap_or_default();
                }
                WeekPoint::of(week, &tally)
            })
            .collect();
        Ok(Trend { unit_id: unit.id.clone(), weeks })
    }
}

/// A range of days: `to` not before `from`, at most [`MAX_RANGE_DAYS`]
/// (errors name `field`, the range's last day).
pub(crate) fn check_range(from: NaiveDate, to: NaiveDate, field: &str) -> Result<(), NodeError> {
    if to < from {
        return Err(DomainError::invalid(
            field,
            why!(BEFORE_FIRST_DAY, "{to} is before the first day {from}", to = to, from = from),
        )
        .into());
    }
    if (to - from).num_days() >= MAX_RANGE_DAYS {
        return Err(DomainError::invalid(
            field,
            why!(RANGE_SPANS_AT_MOST_DAYS, "a range spans at most {max} days", max = MAX_RANGE_DAYS),
        )
        .into());
    }
    Ok(())
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl SummaryService for Summaries {
    #[instrument(name = "rpc.weekly_summary", skip_all, fields(unit = %request.get_ref().unit_id, week = %request.get_ref().iso_week))]
    async fn weekly_summary(
        &self,
        request: Request<WeeklySummaryRequest>,
    ) -> Result<Response<WeeklySummaryResponse>, Status> {
        self.node.authorize(&request, Rpc::WeeklySummary, Target::Unit(&request.get_ref().unit_id))?;
        let request = request.into_inner();
        let week = IsoWeek::parse(&request.iso_week, "iso_week").map_err(NodeError::from)?;
        let summary = self.summary(&request.unit_id, week.monday(), week.sunday(), Some(week)).await?;
        Ok(Response::new(WeeklySummaryResponse { summary: Some(pb::Summary::from(&summary)) }))
    }

    #[instrument(name = "rpc.period_summary", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn period_summary(
        &self,
        request: Request<PeriodSummaryRequest>,
    ) -> Result<Response<PeriodSummaryResponse>, Status> {
        self.node.authorize(&request, Rpc::PeriodSummary, Target::Unit(&request.get_ref().unit_id))?;
        let request = request.into_inner();
        let from = parse_date(&request.from_date, "from_date").map_err(NodeError::from)?;
        let to = parse_date(&request.to_date, "to_date").map_err(NodeError::from)?;
        let summary = self.summary(&request.unit_id, from, to, None).await?;
        Ok(Response::new(PeriodSummaryResponse { summary: Some(pb::Summary::from(&summary)) }))
    }

    #[instrument(name = "rpc.completeness", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn completeness(
        &self,
        request: Request<CompletenessRequest>,
    ) -> Result<Response<CompletenessResponse>, Status> {
        self.node.authorize(&request, Rpc::Completeness, Target::Unit(&request.get_ref().unit_id))?;
        let request = request.into_inner();
        let date = parse_date(&request.date, "date").map_err(NodeError::from)?;
        let day = Summaries::completeness(self, &request.unit_id, date).await?;
        Ok(Response::new(CompletenessResponse::from(&day)))
    }

    #[instrument(name = "rpc.trend", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn trend(&self, request: Request<TrendRequest>) -> Result<Response<TrendResponse>, Status> {
        self.node.authorize(&request, Rpc::Trend, Target::Unit(&request.get_ref().unit_id))?;
        let trend = Summaries::trend(self, request.into_inner()).await?;
        Ok(Response::new(TrendResponse::from(&trend)))
    }

    type ExportReportsStream = BoxStream<ExportReportsResponse>;

    #[instrument(name = "rpc.export_reports", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn export_reports(
        &self,
        request: Request<ExportReportsRequest>,
    ) -> Result<Response<Self::ExportReportsStream>, Status> {
        self.node.authorize(&request, Rpc::ExportReports, Target::Unit(&request.get_ref().unit_id))?;
        let request = request.into_inner();
        let from = parse_date(&request.from_date, "from_date").map_err(NodeError::from)?;
        let to = parse_date(&request.to_date, "to_date").map_err(NodeError::from)?;
        check_range(from, to, "to_date")?;
        let unit = self.unit(&request.unit_id, "unit_id")?;
        self.node.reports_held_here(unit.id.as_str(), "reports")?;
        let total =
            stored_tallies(&self.node, &[(unit.id.clone(), from, to)]).await?[0].received.max(0) as u64;
        let (sender, receiver) = mpsc::channel(2);
        let node = self.node.clone();
        tokio::spawn(async move {
            let policy = node.config().time;
            let mut query = ListQuery { root: unit.id.clone(), from, to, after: None, limit: EXPORT_PAGE };
            let mut first = true;
            loop {
                let page = match node.store().list_reports(&query).await {
                    Ok(page) => page,
                    Err(error) => {
                        let _ = sender.send(Err(Status::from(NodeError::from(error)))).await;
                        return;
                    }
                };
                let done = page.len() < EXPORT_PAGE as usize;
                query.after = page.last().map(|r| (r.report.date(), r.report.unit_id().clone()));
                let reports = page
                    .iter()
                    .map(|r| stored_report_to_pb(r, policy.is_on_time(r.report.date(), r.first_accepted_at)))
                    .collect();
                // A page of large reports goes out as several messages, each
                // within the answer's bound.
                for reports in paging::chunks(reports, paging::LIST_BUDGET) {
                    let message = ExportReportsResponse { total: if first { total } else { 0 }, reports };
                    first = false;
                    if sender.send(Ok(message)).await.is_err() {
                        return;
                    }
                }
                if first {
                    // An empty export still says so, once.
                    first = false;
                    let message = ExportReportsResponse { total, reports: Vec::new() };
                    if sender.send(Ok(message)).await.is_err() {
                        return;
                    }
                }
                if done {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    #[instrument(name = "rpc.drill_down", skip_all, fields(unit = %request.get_ref().unit_id, figure = %request.get_ref().figure))]
    async fn drill_down(
        &self,
        request: Request<pb::DrillDownRequest>,
    ) -> Result<Response<pb::DrillDownResponse>, Status> {
        self.node.authorize(&request, Rpc::DrillDown, Target::Unit(&request.get_ref().unit_id))?;
        Ok(Response::new(crate::figures::drill_down(&self.node, request.into_inner()).await?))
    }

    type WatchAlertsStream = BoxStream<WatchAlertsResponse>;

    #[instrument(name = "rpc.watch_alerts", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn watch_alerts(
        &self,
        request: Request<WatchAlertsRequest>,
    ) -> Result<Response<Self::WatchAlertsStream>, Status> {
        self.node.authorize(&request, Rpc::WatchAlerts, Target::Unit(&request.get_ref().unit_id))?;
        let unit = self.unit(&request.get_ref().unit_id, "unit_id")?;
        self.node.reports_held_here(unit.id.as_str(), "missing reports")?;
        let (sender, receiver) = mpsc::channel(4);
        let this = self.clone();
        // The first cut-off still ahead when the caller subscribed (not when
        // the task first runs: a cut-off passing in between is sent).
        let policy = self.node.config().time;
        let now = self.node.clock().now();
        let today = policy.local_date(now);
        let mut day = if now < policy.cutoff_of(today) { today } else { today + Duration::days(1) };
        tokio::spawn(async move {
            let mut stopping = this.node.stopping();
            loop {
                // Poll the (possibly simulated) clock until the cut-off passes.
                while this.node.clock().now() < policy.cutoff_of(day) {
                    tokio::select! {
                        _ = tokio::time::sleep(ALERT_POLL) => {}
                        _ = stopping.changed() => return,
                        _ = sender.closed() => return,
                    }
                }
                let alert = match Summaries::completeness(&this, unit.id.as_str(), day).await {
                    Ok(day) => {
                        let day = CompletenessResponse::from(&day);
                        Ok(WatchAlertsResponse {
                            date: day.date,
                            cutoff: day.cutoff,
                            expected: day.expected,
                            missing: day.missing,
                        })
                    }
                    Err(error) => {
                        warn!(%error, "cannot compute a missing-report alert");
                        Err(Status::from(error))
                    }
                };
                if sender.send(alert).await.is_err() {
                    return;
                }
                day += Duration::days(1);
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }
}

/// How often an alert stream looks at the clock.
const ALERT_POLL: StdDuration = StdDuration::from_millis(200);

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn ranges_split_into_weeks_and_loose_days() {
        // 2026-11-23 is a Monday.
        assert_eq!(split(d(11, 23), d(11, 29)), Split { weeks: Some((d(11, 23), d(11, 23))), days: vec![] });
        assert_eq!(split(d(11, 24), d(11, 28)), Split { weeks: None, days: vec![(d(11, 24), d(11, 28))] });
        assert_eq!(
            split(d(11, 18), d(12, 9)),
            Split {
                weeks: Some((d(11, 23), d(11, 30))),
                days: vec![(d(11, 18), d(11, 22)), (d(12, 7), d(12, 9))]
            }
        );
        // 2026 runs Thursday to Thursday: 51 whole weeks and 4 + 4 loose days.
        let year = split(d(1, 1), d(12, 31));
        let (a, b) = year.weeks.unwrap();
        assert_eq!((a, b), (d(1, 5), d(12, 21)));
        assert_eq!((b - a).num_days() / 7 + 1, 51);
        assert_eq!(year.days, vec![(d(1, 1), d(1, 4)), (d(12, 28), d(12, 31))]);
    }
}
