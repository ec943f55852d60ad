//! An accountability action's evidence, frozen when it is recorded, and
//! the year in one report (年度报告).

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, NaiveDate};
use fengqiao_core::{IsoWeek, UnitId};
use fengqiao_proto::pb;
use fengqiao_store::ListQuery;

use super::service::{MAX_EVIDENCE_ITEMS, WeeklyReports};
use crate::summary::Summaries;
use crate::{Node, NodeError};

/// What justifies an action against `unit` over `[from, to]`: its place in
/// the scorecard of the unit above it, the subtree's missing reports and
/// its cases overdue at the end of the period.
pub(crate) async fn evidence(
    node: &Node,
    unit: &UnitId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<pb::AccountabilityEvidence, NodeError> {
    let place = crate::figures::drill_down(
        node,
        pb::DrillDownRequest {
            unit_id: unit.to_string(),
            from_date: from.to_string(),
            to_date: to.to_string(),
            figure: "rank".to_owned(),
            ..pb::DrillDownRequest::default()
        },
    )
    .await?
    .place;
    let summary = Summaries::new(node.clone()).summary(unit.as_str(), from, to, None).await?;
    let (missing_reports, missing_total) = match summary.through_date {
        Some(through) => missing(node, unit, from, through).await?,
        None => (Vec::new(), 0),
    };
    let overdue = crate::figures::drill_down(
        node,
        pb::DrillDownRequest {
            unit_id: unit.to_string(),
            from_date: from.to_string(),
            to_date: to.to_string(),
            figure: "cases.overdue".to_owned(),
            page_size: MAX_EVIDENCE_ITEMS as u32,
            ..pb::DrillDownRequest::default()
        },
    )
    .await?;
    Ok(pb::AccountabilityEvidence {
        place,
        missing_reports,
        missing_total,
        overdue_case_ids: overdue.case_ids,
        overdue_total: summary.cases.counts.overdue,
        from_date: from.to_string(),
        to_date: to.to_string(),
    })
}

/// The reports of `unit`'s subtree expected on the days `[from, through]`
/// and not received: the first [`MAX_EVIDENCE_ITEMS`], and how many.
async fn missing(
    node: &Node,
    unit: &UnitId,
    from: NaiveDate,
    through: NaiveDate,
) -> Result<(Vec<pb::ReportRef>, u64), NodeError> {
    let mut received: BTreeSet<(NaiveDate, String)> = BTreeSet::new();
    let mut query = ListQuery { root: unit.clone(), from, to: through, after: None, limit: 1000 };
    loop {
        let page = node.store().list_reports(&query).await?;
        let exhausted = page.len() < query.limit as usize;
        for report in &page {
            let key = (report.report.date(), report.report.unit_id().clone());
            received.insert((key.0, key.1.to_string()));
            query.after = Some(key);
        }
        if exhausted {
            break;
        }
    }
    let coverage = node.coverage();
    let mut listed = Vec::new();
    let mut total = 0u64;
    for day in from.iter_days().take_while(|day| *day <= through) {
        for expected in coverage.expected_on(unit.as_str(), day) {
            if !received.contains(&(day, expected.to_string())) {
                total += 1;
                if listed.len() < MAX_EVIDENCE_ITEMS {
                    listed.push(pb::ReportRef { unit_id: expected.to_string(), date: day.to_string() });
                }
            }
        }
    }
    Ok((listed, total))
}

/// The year in one report.
pub(crate) async fn annual(
    service: &WeeklyReports,
    node: &Node,
    unit: &UnitId,
    year: i32,
) -> Result<pb::AnnualReportResponse, NodeError> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid");
    let last = NaiveDate::from_ymd_opt(year, 12, 31).expect("valid");
    let summaries = Summaries::new(node.clone());
    let summary = summaries.summary(unit.as_str(), first, last, None).await?;
    let mut months = Vec::with_capacity(12);
    for month in 1..=12 {
        let from = NaiveDate::from_ymd_opt(year, month, 1).expect("valid");
        let to = if month == 12 {
            last
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1).expect("valid") - Duration::days(1)
        };
        let of_month = summaries.summary(unit.as_str(), from, to, None).await?;
        months.push(pb::MonthPoint {
            month: format!("{year:04}-{month:02}"),
            tally: pb::Summary::from(&of_month).totals,
        });
    }
    let weekly = weekly_figures(node, unit, year).await?;
    let tree = node.tree();
    let policy = node.config().time;
    let supervisions = node
        .store()
        .supervision_issuers(policy.start_of(first), policy.end_of(last))
        .await?
        .iter()
        .filter(|issuer| tree.is_within(issuer, unit.as_str()))
        .count() as u32;
    let accountability = service.actions(unit, year, None).await?;
    let wage_cases_registered = wage_cases(node, unit, first, last).await?;
    Ok(pb::AnnualReportResponse {
        wage_cases_registered,
        summary: Some(pb::Summary::from(&summary)),
        months,
        weekly: Some(weekly),
        supervisions,
        accountability: Some(accountability),
    })
}

/// The wage-arrears cases registered at units of `unit`'s subtree on days
/// in `[first, last]`, as the summary counts registrations (at the origin).
async fn wage_cases(node: &Node, unit: &UnitId, first: NaiveDate, last: NaiveDate) -> Result<u32, NodeError> {
    let tree = node.tree();
    let mut query = fengqiao_store::CaseQuery {
        root: unit.clone(),
        statuses: Vec::new(),
        overdue_on: None,
        repeat_only: false,
        department: None,
        registered_from: Some(first),
        registered_to: Some(last),
        before: None,
        limit: 1000,
        people: Default::default(),
    };
    let mut count = 0;
    loop {
        let page = node.store().list_cases(&query).await?;
        for case in &page {
            if case.intake.category == fengqiao_core::DisputeCategory::WageArrears
                && tree.is_within(case.intake.origin_unit.as_str(), unit.as_str())
            {
                count += 1;
            }
        }
        match page.last() {
            Some(last_case) if page.len() == query.limit as usize => {
                query.before = Some((last_case.registered_at, last_case.id.clone()));
            }
            _ => return Ok(count),
        }
    }
}

/// The weekly reporting figures of the weeks ending in `year` whose
/// reports are due by now: of `unit` (when it files) and of the filing
/// units below it this node knows (its child nodes, and those the unit's
/// filings list).
async fn weekly_figures(node: &Node, unit: &UnitId, year: i32) -> Result<pb::WeeklyFigures, NodeError> {
    let now = node.clock().now();
    let first_week = IsoWeek::of(NaiveDate::from_ymd_opt(year, 1, 1).expect("valid"));
    let mut weeks = Vec::new();
    let mut week = first_week;
    loop {
        if week.sunday().year() > year {
            break;
        }
        let started = node.config().reporting_start.is_none_or(|start| week.sunday() >= start);
        if week.sunday().year() == year && started && super::due_at(node, week) <= now {
            weeks.push(week);
        }
        week = IsoWeek::of(week.monday() + Duration::days(7));
    }
    let mut figures = pb::WeeklyFigures::default();
    let (Some(first), Some(last)) = (weeks.first(), weeks.last()) else {
        return Ok(figures);
    };
    let folded = super::sync::weeks_between(node, first.monday(), last.monday()).await?;
    let home = node.config().home_unit.as_str();
    let mut filers: BTreeSet<String> = BTreeSet::new();
    if unit.as_str() == home {
        filers.insert(home.to_owned());
        filers.extend(super::filing_children(node));
    }
    let tree = node.tree();
    for week in &folded {
        if tree.is_within(week.unit.as_str(), unit.as_str()) {
            filers.insert(week.unit.to_string());
        }
    }
    for filer in &filers {
        let Ok(filer) = UnitId::parse(filer) else { continue };
        for week in &weeks {
            let due = super::due_at(node, *week);
            let found = folded.iter().find(|w| w.unit == filer && w.week == *week);
            figures.due += 1;
            match found.and_then(|w| w.first_filed_at()) {
                Some(first_filed) => {
                    figures.filed += 1;
                    if first_filed > due {
                        figures.filed_late += 1;
                    } else {
                        figures.filed_on_time += 1;
                    }
                }
                None => figures.not_filed += 1,
            }
            if let Some(w) = found {
                if w.approval().is_some() {
                    figures.approved += 1;
                }
                figures.returned += w.returns() as u32;
            }
        }
    }
    Ok(figures)
}
