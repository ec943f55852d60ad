//! The case ledger's figures in the summaries, the accountability ranking of
//! a scorecard (责任追究), and the drill-down behind every figure.

use chrono::NaiveDate;
use fengqiao_core::{DisputeCategory, DomainError, UnitId};
use fengqiao_proto::pb::{self, DrillDownRequest, DrillDownResponse, ReportRef};
use fengqiao_store::{CaseCounts, CaseFigure, ListQuery};

use crate::{Node, NodeError};

/// Default and largest page of a drill-down.
pub const DEFAULT_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 1000;

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { 100.0 * part as f64 / whole as f64 }
}

/// Case figures on the wire, with their rates.
pub fn case_figures_to_pb(c: &CaseCounts) -> pb::CaseFigures {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    pb::CaseFigures {
        registered: n(c.registered),
        closed: n(c.closed),
        closed_on_time: n(c.closed_on_time),
        overdue: n(c.overdue),
        escalated: n(c.escalated),
        repeat_petitions: n(c.repeat_petitions),
        accepted: n(c.accepted),
        accepted_on_time: n(c.accepted_on_time),
        assigned_down: n(c.assigned_down),
        satisfied: n(c.satisfied),
        dissatisfied: n(c.dissatisfied),
        unreachable: n(c.unreachable),
        visits: n(c.visits),
        one_visit: n(c.one_visit),
        on_time_closure_rate: percent(c.closed_on_time, c.closed),
        satisfaction_rate: percent(c.satisfied, c.satisfied + c.dissatisfied),
        one_visit_rate: percent(c.one_visit, c.visits),
        repeat_rate: percent(c.repeat_petitions, c.registered),
    }
}

/// The accountability score of a scorecard row: the mean of timeliness,
/// on-time closure (100 when nothing was closed) and 100 minus the repeat
/// rate.
fn score(row: &pb::ScorecardRow) -> f64 {
    let timeliness = row.rates.as_ref().map_or(0.0, |r| r.timeliness_percent);
    let cases = row.cases.unwrap_or_default();
    let closure = if cases.closed == 0 { 100.0 } else { cases.on_time_closure_rate };
    (timeliness + closure + (100.0 - cases.repeat_rate)) / 3.0
}

/// Ranks scorecard rows, 1 = best; equal scores share a place.
pub fn rank(rows: &mut [pb::ScorecardRow]) {
    let scores: Vec<f64> = rows.iter().map(score).collect();
    for (i, row) in rows.iter_mut().enumerate() {
        // Compare rounded to a hundredth, so float noise never splits a tie.
        let mine = (scores[i] * 100.0).round();
        row.rank = 1 + scores.iter().filter(|s| (**s * 100.0).round() > mine).count() as u32;
    }
}

/// A report figure a drill-down can list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReportFigure {
    Received,
    OnTime,
    Late,
    ZeroReports,
    Disputes,
    WageDisputes,
}

impl ReportFigure {
    fn parse(name: &str) -> Option<ReportFigure> {
        Some(match name {
            "received" => ReportFigure::Received,
            "on_time" => ReportFigure::OnTime,
            "late" => ReportFigure::Late,
            "zero_reports" => ReportFigure::ZeroReports,
            "disputes" => ReportFigure::Disputes,
            "wage_disputes" => ReportFigure::WageDisputes,
            _ => return None,
        })
    }

    fn counts(self, report: &fengqiao_core::StoredReport, on_time: bool) -> bool {
        let disputes = report.report.disputes();
        match self {
            ReportFigure::Received => true,
            ReportFigure::OnTime => on_time,
            ReportFigure::Late => !on_time,
            ReportFigure::ZeroReports => disputes.is_empty(),
            ReportFigure::Disputes => !disputes.is_empty(),
            ReportFigure::WageDisputes => {
                disputes.iter().any(|d| d.category() == DisputeCategory::WageArrears)
            }
        }
    }
}

const FIGURES: &str = "cases.<registered|accepted|accepted_on_time|closed|closed_on_time|overdue|escalated|\
assigned_down|repeat_petitions|satisfied|dissatisfied|unreachable|visits|one_visit>, received, on_time, late, \
zero_reports, disputes or wage_disputes";

/// What lies behind one figure of a summary.
pub async fn drill_down(node: &Node, request: DrillDownRequest) -> Result<DrillDownResponse, NodeError> {
    let unit = fengqiao_proto::parse_unit_id(&request.unit_id, "unit_id")?;
    node.served_unit(unit.as_str())?;
    let from = fengqiao_proto::parse_date(&request.from_date, "from_date")?;
    let to = fengqiao_proto::parse_date(&request.to_date, "to_date")?;
    if to < from || (to - from).num_days() >= crate::summary::MAX_RANGE_DAYS {
        return Err(DomainError::invalid(
            "to_date",
            format!("must be on or after from_date, at most {} days", crate::summary::MAX_RANGE_DAYS),
        )
        .into());
    }
    let limit = match request.page_size {
        0 => DEFAULT_PAGE,
        n if n <= MAX_PAGE => n,
        _ => return Err(DomainError::invalid("page_size", format!("must be at most {MAX_PAGE}")).into()),
    };
    if let Some(name) = request.figure.strip_prefix("cases.") {
        let figure = CaseFigure::parse(name).ok_or_else(|| {
            DomainError::invalid("figure", format!("{:?} is not one of {FIGURES}", request.figure))
        })?;
        let after = (!request.page_token.is_empty()).then_some(request.page_token.as_str());
        let ids = node.store().case_drill(&unit, from, to, figure, after, limit).await?;
        let next_page_token = if ids.len() == limit as usize {
            ids.last().map(ToString::to_string).unwrap_or_default()
        } else {
            String::new()
        };
        return Ok(DrillDownResponse {
            case_ids: ids.into_iter().map(String::from).collect(),
            reports: Vec::new(),
            next_page_token,
        });
    }
    let figure = ReportFigure::parse(&request.figure).ok_or_else(|| {
        DomainError::invalid("figure", format!("{:?} is not one of {FIGURES}", request.figure))
    })?;
    drill_reports(node, unit, from, to, figure, &request.page_token, limit).await
}

/// Pages through the subtree's reports, keeping those the figure counts.
async fn drill_reports(
    node: &Node,
    root: UnitId,
    from: NaiveDate,
    to: NaiveDate,
    figure: ReportFigure,
    token: &str,
    limit: u32,
) -> Result<DrillDownResponse, NodeError> {
    let after = if token.is_empty() {
        None
    } else {
        let bad = || DomainError::invalid("page_token", "is not a token this node gave out");
        let (date, unit) = token.split_once('|').ok_or_else(bad)?;
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| bad())?;
        Some((date, UnitId::parse(unit).map_err(|_| bad())?))
    };
    let policy = node.config().time;
    let mut query = ListQuery { root, from, to, after, limit: 500 };
    let mut reports = Vec::new();
    loop {
        let page = node.store().list_reports(&query).await?;
        let exhausted = page.len() < query.limit as usize;
        for report in &page {
            let key = (report.report.date(), report.report.unit_id().clone());
            query.after = Some(key.clone());
            if figure.counts(report, policy.is_on_time(key.0, report.first_accepted_at)) {
                reports.push(ReportRef { unit_id: key.1.to_string(), date: key.0.to_string() });
                if reports.len() == limit as usize {
                    let next_page_token = format!("{}|{}", key.0, key.1);
                    return Ok(DrillDownResponse { case_ids: Vec::new(), reports, next_page_token });
                }
            }
        }
        if exhausted {
            return Ok(DrillDownResponse { case_ids: Vec::new(), reports, next_page_token: String::new() });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(timeliness: f64, closed: i64, on_time_rate: f64, repeat_rate: f64) -> pb::ScorecardRow {
        pb::ScorecardRow {
            rates: Some(pb::Rates { timeliness_percent: timeliness, ..Default::default() }),
            cases: Some(pb::CaseFigures {
                closed,
                on_time_closure_rate: on_time_rate,
                repeat_rate,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn ranking_puts_the_best_first_and_shares_ties() {
        let mut rows = vec![
            row(90.0, 0, 0.0, 0.0),    // (90 + 100 + 100) / 3
            row(100.0, 4, 50.0, 10.0), // (100 + 50 + 90) / 3
            row(90.0, 0, 0.0, 0.0),
            row(100.0, 2, 100.0, 0.0), // 100
        ];
        rank(&mut rows);
        let ranks: Vec<u32> = rows.iter().map(|r| r.rank).collect();
        assert_eq!(ranks, vec![2, 4, 2, 1]);
    }

    #[test]
    fn rates_divide_safely() {
        let figures = case_figures_to_pb(&CaseCounts {
            registered: 4,
            repeat_petitions: 1,
            closed: 2,
            closed_on_time: 1,
            satisfied: 3,
            dissatisfied: 1,
            ..CaseCounts::default()
        });
        assert_eq!(figures.repeat_rate, 25.0);
        assert_eq!(figures.on_time_closure_rate, 50.0);
        assert_eq!(figures.satisfaction_rate, 75.0);
        assert_eq!(figures.one_visit_rate, 0.0);
    }
}
