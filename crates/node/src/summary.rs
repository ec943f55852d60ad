// Long (~660 lines, ~30 of them tests): one service's handlers and the rollup
// reads they share.
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
use fengqiao_core::assessment::{self, Assessment};
use fengqiao_core::coverage::Coverage;
use fengqiao_core::{DisputeCategory, DisputeOutcome, DomainError, IsoWeek, Tally, UnitId};
use fengqiao_proto::pb::summary_service_server::SummaryService;
use fengqiao_proto::pb::{
    self, CompletenessRequest, CompletenessResponse, ExportReportsRequest, ExportReportsResponse,
    PeriodSummaryRequest, PeriodSummaryResponse, TrendRequest, TrendResponse, WatchAlertsRequest,
    WatchAlertsResponse, WeeklySummaryRequest, WeeklySummaryResponse,
};
use fengqiao_proto::{
    category_to_pb, outcome_to_pb, parse_date, parse_unit_id, stored_report_to_pb, tier_to_pb, timestamp,
};
use fengqiao_store::{ListQuery, Period};
use futures::Stream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use tracing::{instrument, warn};

use fengqiao_core::authz::{Rpc, Target};

use crate::figures::{case_figures_to_pb, performance};
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

/// Shares in percent, 0 when the base is 0.
fn rates(tally: &Tally) -> pb::Rates {
    let percent = |part: i64, whole: i64| if whole == 0 { 0.0 } else { 100.0 * part as f64 / whole as f64 };
    pb::Rates {
        completeness_percent: percent(tally.received, tally.expected),
        timeliness_percent: percent(tally.on_time, tally.expected),
        zero_share_percent: percent(tally.zero_reports, tally.received),
        resolved_on_the_spot_percent: percent(
            tally.outcome(DisputeOutcome::ResolvedOnTheSpot),
            tally.disputes,
        ),
    }
}

/// A tally on the wire; `employers` is set on totals only.
pub fn tally_to_pb(tally: &Tally, employers: i64) -> pb::Tally {
    pb::Tally {
        expected: tally.expected,
        received: tally.received,
        on_time: tally.on_time,
        late: tally.late,
        missing: tally.missing(),
        zero_reports: tally.zero_reports,
        disputes: tally.disputes,
        parties: tally.parties,
        by_category: DisputeCategory::ALL
            .iter()
            .map(|&c| pb::CategoryCount { category: category_to_pb(c).into(), disputes: tally.category(c) })
            .collect(),
        by_outcome: DisputeOutcome::ALL
            .iter()
            .map(|&o| pb::OutcomeCount { outcome: outcome_to_pb(o).into(), disputes: tally.outcome(o) })
            .collect(),
        wage_arrears: Some(pb::WageFigures {
            disputes: tally.wage_disputes,
            resolved: tally.wage_resolved,
            workers: tally.wage_workers,
            amount_claimed_cents: tally.wage_claimed_cents,
            amount_recovered_cents: tally.wage_recovered_cents,
            employers,
        }),
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

    /// The summary of `unit`'s subtree over `[from, to]`.
    pub(crate) async fn summary(
        &self,
        unit_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<pb::Summary, NodeError> {
        check_range(from, to, "to_date")?;
        let unit = self.unit(unit_id, "unit_id")?;
        let now = self.node.clock().now();
        let through = to.min(self.last_due_day(now));
        let coverage = self.coverage();
        let tree = self.node.tree();
        let cases_as_of = self.node.config().time.as_of(to, now);
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
            vec![fengqiao_store::CaseCounts::default(); 1 + case_children.len()]
        } else {
            let roots: Vec<UnitId> =
                std::iter::once(unit.id.clone()).chain(case_children.iter().cloned()).collect();
            self.node.store().case_figures(&roots, from, case_to).await?
        };
        let child_cases: HashMap<&UnitId, &fengqiao_store::CaseCounts> =
            case_children.iter().zip(case_counts.iter().skip(1)).collect();
        let mut summary = pb::Summary {
            unit_id: unit.id.to_string(),
            unit_name: unit.name.clone(),
            tier: tier_to_pb(unit.tier).into(),
            from_date: from.to_string(),
            to_date: to.to_string(),
            computed_at: Some(timestamp(now)),
            cases: Some(case_figures_to_pb(&case_counts[0])),
            cases_as_of: Some(timestamp(cases_as_of.at)),
            cases_provisional: cases_as_of.provisional,
            ..pb::Summary::default()
        };
        if through < from {
            summary.totals = Some(tally_to_pb(&Tally::default(), 0));
            summary.rates = Some(rates(&Tally::default()));
            return Ok(summary);
        }
        summary.through_date = through.to_string();
        let children = coverage.children_in(unit.id.as_str(), from, through);
        let mut items = vec![(unit.id.clone(), from, through)];
        for (child, ranges) in &children {
            items.extend(ranges.iter().map(|&(a, b)| (child.clone(), a, b)));
        }
        let stored = stored_tallies(&self.node, &items).await?;
        let mut totals = stored[0];
        totals.expected = coverage.expected(unit.id.as_str(), from, through);
        let employers = self.node.store().distinct_employers(&unit.id, from, through).await?;
        summary.totals = Some(tally_to_pb(&totals, employers as i64));
        summary.rates = Some(rates(&totals));
        // Only a node with child nodes has syncs to show: spare the others
        // a query on every summary.
        let syncs: HashMap<String, fengqiao_store::ChildSync> = if self.node.child_nodes().is_empty() {
            HashMap::new()
        } else {
            self.node.store().child_syncs().await?.into_iter().map(|s| (s.child_unit_id.clone(), s)).collect()
        };
        let cutoff = self.node.config().time.cutoff_of(through);
        let mut next = 1;
        let mut arrived = 0;
        let mut assessments = Vec::with_capacity(children.len());
        for (child, ranges) in &children {
            let mut tally = Tally::default();
            for &(a, b) in ranges {
                tally += stored[next];
                tally.expected += coverage.expected(child.as_str(), a, b);
                next += 1;
            }
            let freshness = self.freshness(child.as_str(), &syncs, cutoff);
            arrived += usize::from(freshness.arrived);
            let unit = tree.get(child.as_str());
            let cases = child_cases.get(child).copied().copied().unwrap_or_default();
            let assessment = Assessment::of(&performance(&tally, &cases), &self.node.config().ranking);
            summary.children.push(pb::ScorecardRow {
                unit_id: child.to_string(),
                name: unit.map(|u| u.name.clone()).unwrap_or_default(),
                tier: unit.map(|u| tier_to_pb(u.tier).into()).unwrap_or_default(),
                days: if ranges.as_slice() == [(from, through)] {
                    Vec::new()
                } else {
                    ranges
                        .iter()
                        .map(|(a, b)| pb::DayRange { from_date: a.to_string(), to_date: b.to_string() })
                        .collect()
                },
                tally: Some(tally_to_pb(&tally, 0)),
                rates: Some(rates(&tally)),
                cases: Some(case_figures_to_pb(&cases)),
                freshness: Some(freshness),
                rank: 0,
                assessment: Some(pb::Assessment::from(&assessment)),
            });
            assessments.push((child.clone(), assessment));
        }
        for (row, rank) in summary.children.iter_mut().zip(assessment::ranks(&assessments)) {
            row.rank = rank;
        }
        summary.children.sort_by_key(|row| row.rank);
        summary.arrived_percent =
            if children.is_empty() { 100.0 } else { 100.0 * arrived as f64 / children.len() as f64 };
        Ok(summary)
    }

    /// How fresh a child unit's figures are here: served here, or by a
    /// child node whose last push said how far it had synced.
    fn freshness(
        &self,
        child: &str,
        syncs: &HashMap<String, fengqiao_store::ChildSync>,
        cutoff: DateTime<Utc>,
    ) -> pb::ChildFreshness {
        let Some(node) = self.node.delegated_to(child) else {
            return pb::ChildFreshness { arrived: true, ..pb::ChildFreshness::default() };
        };
        let sync = syncs.get(&node);
        let synced_through = sync.and_then(|s| s.synced_through);
        pb::ChildFreshness {
            served_by: node,
            last_sync: sync.map(|s| timestamp(s.last_push_at)),
            synced_through: synced_through.map(timestamp),
            arrived: synced_through.is_some_and(|at| at >= cutoff),
        }
    }

    pub(crate) async fn completeness(
        &self,
        unit_id: &str,
        date: NaiveDate,
    ) -> Result<CompletenessResponse, NodeError> {
        let unit = self.unit(unit_id, "unit_id")?;
        let policy = &self.node.config().time;
        let now = self.node.clock().now();
        let cutoff = policy.cutoff_of(date);
        let coverage = self.coverage();
        let tree = self.node.tree();
        let expected = coverage.expected_on(unit.id.as_str(), date);
        let received: HashMap<UnitId, DateTime<Utc>> =
            self.node.store().received_on(&unit.id, date).await?.into_iter().collect();
        let unit_ref = |id: &UnitId| {
            let unit = tree.get(id.as_str());
            let parent = unit.and_then(|u| u.parent_on(date)).and_then(|p| tree.get(p.as_str()));
            pb::UnitRef {
                unit_id: id.to_string(),
                name: unit.map(|u| u.name.clone()).unwrap_or_default(),
                parent_id: parent.map(|p| p.id.to_string()).unwrap_or_default(),
                parent_name: parent.map(|p| p.name.clone()).unwrap_or_default(),
            }
        };
        let mut response = CompletenessResponse {
            unit_id: unit.id.to_string(),
            date: date.to_string(),
            cutoff: Some(timestamp(cutoff)),
            due: now >= cutoff,
            expected: expected.len() as i64,
            ..CompletenessResponse::default()
        };
        for id in expected {
            match received.get(id) {
                None => response.missing.push(unit_ref(id)),
                Some(&at) => {
                    response.received += 1;
                    if policy.is_on_time(date, at) {
                        response.on_time += 1;
                    } else {
                        response.late.push(pb::LateReport {
                            unit: Some(unit_ref(id)),
                            first_accepted_at: Some(timestamp(at)),
                        });
                    }
                }
            }
        }
        Ok(response)
    }

    async fn trend(&self, request: TrendRequest) -> Result<TrendResponse, NodeError> {
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
        let mut stored = stored.into_iter();
        let weeks = points
            .into_iter()
            .map(|(week, a, b)| {
                let mut tally = if a <= b { stored.next().unwrap_or_default() } else { Tally::default() };
                if a <= b {
                    tally.expected = coverage.expected(unit.id.as_str(), a, b);
                }
                pb::WeekPoint {
                    iso_week: week.to_string(),
                    tally: Some(tally_to_pb(&tally, 0)),
                    rates: Some(rates(&tally)),
                }
            })
            .collect();
        Ok(TrendResponse { unit_id: unit.id.to_string(), weeks })
    }
}

fn check_range(from: NaiveDate, to: NaiveDate, field: &str) -> Result<(), NodeError> {
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
        let mut summary = self.summary(&request.unit_id, week.monday(), week.sunday()).await?;
        summary.iso_week = week.to_string();
        Ok(Response::new(WeeklySummaryResponse { summary: Some(summary) }))
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
        let summary = self.summary(&request.unit_id, from, to).await?;
        Ok(Response::new(PeriodSummaryResponse { summary: Some(summary) }))
    }

    #[instrument(name = "rpc.completeness", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn completeness(
        &self,
        request: Request<CompletenessRequest>,
    ) -> Result<Response<CompletenessResponse>, Status> {
        self.node.authorize(&request, Rpc::Completeness, Target::Unit(&request.get_ref().unit_id))?;
        let request = request.into_inner();
        let date = parse_date(&request.date, "date").map_err(NodeError::from)?;
        Ok(Response::new(Summaries::completeness(self, &request.unit_id, date).await?))
    }

    #[instrument(name = "rpc.trend", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn trend(&self, request: Request<TrendRequest>) -> Result<Response<TrendResponse>, Status> {
        self.node.authorize(&request, Rpc::Trend, Target::Unit(&request.get_ref().unit_id))?;
        Ok(Response::new(Summaries::trend(self, request.into_inner()).await?))
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
        let (sender, receiver) = mpsc::channel(4);
        let this = self.clone();
        tokio::spawn(async move {
            let mut stopping = this.node.stopping();
            let policy = this.node.config().time;
            // The first cut-off still ahead.
            let now = this.node.clock().now();
            let today = policy.local_date(now);
            let mut day = if now < policy.cutoff_of(today) { today } else { today + Duration::days(1) };
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
                    Ok(c) => Ok(WatchAlertsResponse {
                        date: c.date,
                        cutoff: c.cutoff,
                        expected: c.expected,
                        missing: c.missing,
                    }),
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
