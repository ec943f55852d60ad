//! The drill-down behind every figure of a summary: the reports or cases a
//! figure counts, or a unit's place in its parent's scorecard (the figures
//! themselves are `fengqiao_core::read`'s).

use chrono::NaiveDate;
use fengqiao_core::read::ScorecardPlace;
use fengqiao_core::why;
use fengqiao_core::{DisputeCategory, DomainError, UnitId};
use fengqiao_proto::pb::{self, DrillDownRequest, DrillDownResponse, ReportRef};
use fengqiao_store::{CaseFigure, ListQuery};

use crate::summary::Summaries;
use crate::{Node, NodeError};

/// Default and largest page of a drill-down.
pub const DEFAULT_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 1000;

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
zero_reports, disputes, wage_disputes or rank";

/// What lies behind one figure of a summary.
pub async fn drill_down(node: &Node, request: DrillDownRequest) -> Result<DrillDownResponse, NodeError> {
    let unit = fengqiao_proto::parse_unit_id(&request.unit_id, "unit_id")?;
    node.served_unit(unit.as_str())?;
    let from = fengqiao_proto::parse_date(&request.from_date, "from_date")?;
    let to = fengqiao_proto::parse_date(&request.to_date, "to_date")?;
    if to < from || (to - from).num_days() >= crate::summary::MAX_RANGE_DAYS {
        return Err(DomainError::invalid(
            "to_date",
            why!(
                MUST_BE_ON_AFTER_FROM_DATE,
                "must be on or after from_date, at most {max} days",
                max = crate::summary::MAX_RANGE_DAYS
            ),
        )
        .into());
    }
    let limit = crate::paging::page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    if request.figure == "rank" {
        return scorecard_place(node, &unit, from, to).await;
    }
    if let Some(name) = request.figure.strip_prefix("cases.") {
        let figure = CaseFigure::parse(name).ok_or_else(|| unknown_figure(&request.figure))?;
        let after = (!request.page_token.is_empty()).then_some(request.page_token.as_str());
        // The same days and as-of rule as the summary's figure.
        let as_of = node.config().time.as_of(to, node.clock().now());
        let ids = if as_of.last_day < from {
            Vec::new()
        } else {
            if node.summary_fed() {
                node.store().keyed_case_drill(&unit, from, as_of.last_day, figure, after, limit).await?
            } else {
                node.store().case_drill(&unit, from, as_of.last_day, figure, after, limit).await?
            }
        };
        let next_page_token = if ids.len() == limit as usize {
            ids.last().map(ToString::to_string).unwrap_or_default()
        } else {
            String::new()
        };
        return Ok(DrillDownResponse {
            case_ids: ids.into_iter().map(String::from).collect(),
            next_page_token,
            ..DrillDownResponse::default()
        });
    }
    let figure = ReportFigure::parse(&request.figure).ok_or_else(|| unknown_figure(&request.figure))?;
    node.reports_held_here(unit.as_str(), "reports")?;
    drill_reports(node, unit, from, to, figure, &request.page_token, limit).await
}

/// INVALID_ARGUMENT: `figure` names none of [`FIGURES`].
fn unknown_figure(figure: &str) -> DomainError {
    DomainError::invalid(
        "figure",
        why!(UNKNOWN_FIGURE, "\"{figure}\" is not one of {figures}", figure = figure, figures = FIGURES),
    )
}

/// A unit's row in the scorecard of the unit above it: its parent on the
/// last day of the range it was open, which this node must hold.
async fn scorecard_place(
    node: &Node,
    unit: &UnitId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<DrillDownResponse, NodeError> {
    let tree = node.tree();
    let served = tree.get(unit.as_str()).ok_or_else(|| {
        DomainError::NotFound(why!(
            UNIT_NOT_SERVED_BY_THIS_NODE,
            "unit {unit} is not served by this node",
            unit = unit
        ))
    })?;
    let held_elsewhere = |parent: &UnitId| {
        DomainError::FailedPrecondition(why!(
            UNIT_RANKED_IN_SCORECARD_WHICH_THIS,
            "unit {unit} is ranked in the scorecard of {parent}, which this node does not hold: ask the node serving {parent}",
            unit = unit,
            parent = parent
        ))
    };
    let last_day =
        from.iter_days().take_while(|day| *day <= to).filter(|day| served.is_active_on(*day)).last();
    let parent = match last_day.and_then(|day| served.parent_on(day)).cloned() {
        Some(parent) if tree.get(parent.as_str()).is_some() => parent,
        Some(parent) => return Err(held_elsewhere(&parent).into()),
        // The node's home unit: its parent is the parent node's.
        None if unit == tree.root_id() && last_day.is_some() => match node.parent_unit().await? {
            Some(parent) => return Err(held_elsewhere(&parent).into()),
            None => return Err(no_scorecard(unit, from, to).into()),
        },
        None => return Err(no_scorecard(unit, from, to).into()),
    };
    let scorecard = Summaries::new(node.clone()).summary(parent.as_str(), from, to, None).await?;
    let place = ScorecardPlace::of(unit, &scorecard).ok_or_else(|| {
        DomainError::FailedPrecondition(why!(UNIT_HAS_NO_ROW_IN_SCORECARD, "unit {unit} has no row in the scorecard of {parent} from {from} to {to}: no day of the range on which it was below {parent} is due yet", unit = unit, parent = parent, from = from, to = to))
    })?;
    Ok(DrillDownResponse { place: Some(pb::ScorecardPlace::from(&place)), ..DrillDownResponse::default() })
}

fn no_scorecard(unit: &UnitId, from: NaiveDate, to: NaiveDate) -> DomainError {
    DomainError::FailedPrecondition(why!(
        NO_SCORECARD_THIS_NODE_RANKS_UNIT,
        "no scorecard of this node ranks unit {unit} from {from} to {to}: it has no unit above it here",
        unit = unit,
        from = from,
        to = to
    ))
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
        let bad = || {
            DomainError::invalid(
                "page_token",
                why!(NOT_TOKEN_THIS_NODE_GAVE_OUT, "is not a token this node gave out"),
            )
        };
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
                    return Ok(DrillDownResponse {
                        reports,
                        next_page_token,
                        ..DrillDownResponse::default()
                    });
                }
            }
        }
        if exhausted {
            return Ok(DrillDownResponse { reports, ..DrillDownResponse::default() });
        }
    }
}
