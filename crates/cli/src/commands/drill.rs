//! `fengqiao drill`: the case ids or reports behind one figure of a summary
//! (`SummaryService.DrillDown`; the missing reports from `MissingReports`).

use anyhow::Result;
use chrono::NaiveDate;
use fengqiao_core::read::ScorecardPlace;
use fengqiao_proto::pb;
use serde_json::json;

use crate::commands::units::{UnitNames, names_of_subtree};
use crate::connection::{Connection, out, refused};
use crate::dates::WeekArg;
use crate::tr;

#[derive(Debug, clap::Args)]
pub struct DrillArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit whose subtree the figure is of.
    #[arg(long)]
    pub unit: String,
    #[command(flatten)]
    pub week: WeekArg,
    /// First day: YYYY-MM-DD, today or yesterday (this week when no range is given).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day (inclusive; --from's day when left out).
    #[arg(long)]
    pub to: Option<String>,
    /// The figure: missing (the units × days without a report, once due), a case figure (cases.registered, cases.accepted, cases.accepted_on_time,
    /// cases.closed, cases.closed_on_time, cases.overdue, cases.escalated, cases.assigned_down,
    /// cases.repeat_petitions, cases.satisfied, cases.dissatisfied, cases.unreachable, cases.visits,
    /// cases.one_visit), a report figure (received, on_time, late, zero_reports, disputes,
    /// wage_disputes), or rank: the unit's row in the scorecard of the unit above it, with every
    /// component of its assessment.
    #[arg(long)]
    pub figure: String,
    /// One JSON object per case id or report and line.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao drill`: the case ids or reports behind one figure of a summary.
pub async fn drill(args: DrillArgs) -> Result<()> {
    let connection = &args.connection;
    let (from, to) = connection.range(args.week.as_deref(), args.from.as_deref(), args.to.as_deref())?;
    if args.figure == "missing" {
        return drill_missing(&args, from, to).await;
    }
    let policy = connection.zone_policy()?;
    let names =
        if args.json { UnitNames::default() } else { names_of_subtree(connection, &args.unit).await? };
    let mut client = connection.summaries().await?;
    let (mut cases, mut reports) = (0usize, 0usize);
    let mut page_token = String::new();
    loop {
        let page = client
            .drill_down(pb::DrillDownRequest {
                unit_id: args.unit.clone(),
                from_date: from.to_string(),
                to_date: to.to_string(),
                figure: args.figure.clone(),
                page_size: 1000,
                page_token: page_token.clone(),
            })
            .await
            .map_err(refused)?
            .into_inner();
        if let Some(place) = page.place {
            let place = fengqiao_proto::convert_at::<_, ScorecardPlace>(place, "place")?.in_zone(policy.zone);
            let text = if args.json {
                serde_json::to_string(&place)?
            } else {
                crate::commands::summary::render_place(place.parent_unit_id.as_str(), place.rows, &place.row)
                    .trim_end()
                    .to_owned()
            };
            out(text)?;
            return Ok(());
        }
        for case_id in &page.case_ids {
            cases += 1;
            let line = if args.json { json!({ "case_id": case_id }).to_string() } else { case_id.clone() };
            if !out(line)? {
                return Ok(());
            }
        }
        for report in &page.reports {
            reports += 1;
            let line = if args.json {
                json!({ "unit_id": report.unit_id, "date": report.date }).to_string()
            } else {
                format!("{}  {}  {}", report.date, report.unit_id, names.name(&report.unit_id))
            };
            if !out(line)? {
                return Ok(());
            }
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    if !args.json {
        let what = match (cases, reports) {
            (0, 0) => tr!("drill-nothing"),
            (n, 0) => tr!("count-cases", count = n),
            (0, n) => tr!("count-reports", count = n),
            (c, r) => tr!("drill-cases-and-reports", cases = c, reports = r),
        };
        out(tr!(
            "drill-footer",
            what = what,
            figure = &args.figure,
            unit = &args.unit,
            from = from,
            to = to
        ))?;
    }
    Ok(())
}

/// `drill --figure missing`: for each day of the range that is due (its
/// cut-off passed), the units expected to report that sent nothing — the
/// summary's `missing` figure, unit by unit.
async fn drill_missing(args: &DrillArgs, from: NaiveDate, to: NaiveDate) -> Result<()> {
    let mut client = args.connection.summaries().await?;
    let mut missing = 0usize;
    for day in from.iter_days().take_while(|day| *day <= to) {
        let answer = client
            .completeness(pb::CompletenessRequest { unit_id: args.unit.clone(), date: day.to_string() })
            .await
            .map_err(refused)?
            .into_inner();
        if !answer.due {
            break;
        }
        for unit in &answer.missing {
            missing += 1;
            let line = if args.json {
                json!({ "unit_id": unit.unit_id, "name": unit.name, "date": answer.date }).to_string()
            } else {
                format!("{}  {}  {}", answer.date, unit.unit_id, unit.name)
            };
            if !out(line)? {
                return Ok(());
            }
        }
    }
    if !args.json {
        out(tr!("drill-missing-footer", count = missing, unit = &args.unit, from = from, to = to))?;
    }
    Ok(())
}
