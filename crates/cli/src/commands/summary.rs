//! `fengqiao summary`: the weekly (or period) summary of a unit's subtree,
//! with the scorecard of its child units, over
//! `fengqiao.v1.SummaryService`; and its rendering ([`render_summary`],
//! [`render_place`]), which `fengqiao demo` prints too. The answer is read
//! into the domain's read model (`fengqiao_core::read::Summary`), whose
//! serde form is the `--json`.

use anyhow::{Result, anyhow, bail};
use comfy_table::CellAlignment;
use fengqiao_core::TimePolicy;
use fengqiao_core::assessment::{Assessment, Scored};
use fengqiao_core::read::{Freshness, Moment, ScorecardRow, Summary};
use fengqiao_proto::pb::{self};

use crate::connection::{Connection, refused};
use crate::dates::WeekArg;
use crate::render::{percent, yuan};
use crate::tr;

#[derive(Debug, clap::Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit whose subtree is summarised (any unit the node holds).
    #[arg(long, required_unless_present = "leader", conflicts_with = "leader")]
    pub unit: Option<String>,
    /// Instead of a unit: a leader's contact townships and projects with their figures, and the
    /// cases they lead (包案), over --from/--to (default the last 30 days).
    #[arg(long, conflicts_with = "week")]
    pub leader: Option<String>,
    #[command(flatten)]
    pub week: WeekArg,
    /// First day of a period instead of a week (this week when no range is given): YYYY-MM-DD,
    /// today or yesterday.
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// Last day of the period (inclusive).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao summary`: the weekly (or period) summary and child scorecard.
pub async fn summary(args: SummaryArgs) -> Result<()> {
    let connection = &args.connection;
    if let Some(leader) = &args.leader {
        let to = connection.date(args.to.as_deref().unwrap_or("today"), "--to")?;
        let from = match &args.from {
            Some(from) => connection.date(from, "--from")?,
            None => to - chrono::Duration::days(29),
        };
        return crate::commands::contact::leader_figures(connection, leader, from, to, args.json).await;
    }
    let unit = args.unit.clone().unwrap_or_default();
    let policy = connection.zone_policy()?;
    let mut client = connection.summaries().await?;
    let summary = match (&args.from, &args.to) {
        (Some(from), Some(to)) => {
            let (from, to) = (connection.date(from, "--from")?, connection.date(to, "--to")?);
            if to < from {
                bail!(tr!("error-to-before-from", to = to.to_string(), from = from.to_string()));
            }
            let request = pb::PeriodSummaryRequest {
                unit_id: unit.clone(),
                from_date: from.to_string(),
                to_date: to.to_string(),
            };
            client.period_summary(request).await.map_err(refused)?.into_inner().summary
        }
        _ => {
            let week = connection.week(args.week.as_deref().unwrap_or("this"), "--week")?;
            let request = pb::WeeklySummaryRequest { unit_id: unit.clone(), iso_week: week.to_string() };
            client.weekly_summary(request).await.map_err(refused)?.into_inner().summary
        }
    };
    let summary = summary.ok_or_else(|| anyhow!(tr!("error-no-summary")))?;
    let summary: Summary = fengqiao_proto::convert_at(summary, "summary")?;
    if args.json {
        println!("{}", serde_json::to_string(&summary.in_zone(policy.zone))?);
    } else {
        print_summary(&summary, &policy);
    }
    Ok(())
}

/// Prints a summary: header, totals, child scorecard (also the demo's ending).
pub fn print_summary(summary: &Summary, policy: &TimePolicy) {
    print!("{}", render_summary(summary, policy));
}

/// A summary as text, its instants in the deployment's zone.
pub fn render_summary(summary: &Summary, policy: &TimePolicy) -> String {
    let summary = summary.clone().in_zone(policy.zone);
    let mut out = String::new();
    let (from, to) = (summary.from_date.to_string(), summary.to_date.to_string());
    let range = match summary.iso_week {
        None => tr!("summary-range-period", from = from, to = to),
        Some(week) => tr!("summary-range-week", week = week.to_string(), from = from, to = to),
    };
    let through = match summary.through_date {
        None => tr!("summary-nothing-due"),
        Some(date) => tr!("summary-counted-through", date = date.to_string()),
    };
    out += &tr!(
        "summary-header",
        name = &summary.unit_name,
        unit = summary.unit_id.to_string(),
        range = range,
        through = through
    );
    out += "\n";
    if summary.through_date.is_none() {
        // Nothing is counted before the first day's cut-off: no totals, no scorecard.
        return out;
    }
    out += &tr!(
        "summary-computed",
        at = summary.computed_at.for_people(),
        zone = policy.zone.to_string(),
        percent = format!("{:.1}%", summary.arrived_percent)
    );
    out += "\n";
    let totals = &summary.totals;
    let rates = summary.rates;
    let wage = totals.wage_arrears;
    let line = |label: String, value: String| format!("  {}{value}\n", crate::render::table::pad(&label, 22));
    out += "\n";
    out += &line(tr!("summary-expected"), totals.expected.to_string());
    out += &line(
        tr!("summary-received"),
        tr!("summary-received-value", count = totals.received, percent = percent(rates.completeness_percent)),
    );
    out += &line(
        tr!("summary-on-time"),
        tr!("summary-on-time-value", count = totals.on_time, percent = percent(rates.timeliness_percent)),
    );
    out += &line(tr!("summary-late"), totals.late.to_string());
    out += &line(tr!("summary-missing"), totals.missing.to_string());
    out += &line(
        tr!("summary-zero-reports"),
        tr!("summary-zero-value", count = totals.zero_reports, percent = percent(rates.zero_share_percent)),
    );
    out += &line(
        tr!("summary-disputes"),
        tr!("summary-disputes-value", count = totals.disputes, parties = totals.parties),
    );
    out += &line(tr!("summary-resolved-on-the-spot"), percent(rates.resolved_on_the_spot_percent));
    let mut categories: Vec<(&str, i64)> =
        totals.by_category.iter().filter(|(_, n)| **n > 0).map(|(c, n)| (c.as_str(), *n)).collect();
    categories.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    if !categories.is_empty() {
        let text: Vec<String> = categories
            .iter()
            .map(|(name, n)| format!("{} {n}", crate::i18n::name("category", name)))
            .collect();
        out += &line(tr!("summary-by-category"), text.join(tr!("list-separator").as_str()));
    }
    out += &line(
        tr!("summary-wage-arrears"),
        tr!("summary-wage-value", disputes = wage.disputes, resolved = wage.resolved, workers = wage.workers),
    );
    out += &line(
        String::new(),
        tr!(
            "summary-wage-amounts",
            claimed = yuan(wage.amount_claimed_cents),
            recovered = yuan(wage.amount_recovered_cents),
            employers = u64::try_from(wage.employers).unwrap_or(0)
        ),
    );
    let cases = summary.cases.counts;
    out += &line(
        tr!("summary-cases"),
        tr!(
            "summary-cases-value",
            registered = cases.registered,
            repeat = cases.repeat_petitions,
            accepted = cases.accepted,
            accepted_on_time = cases.accepted_on_time,
            escalated = cases.escalated,
            assigned = cases.assigned_down
        ),
    );
    out += &line(
        String::new(),
        tr!(
            "summary-cases-closed",
            closed = cases.closed,
            on_time = percent(summary.cases.on_time_closure_rate),
            overdue = cases.overdue,
            satisfaction = percent(summary.cases.satisfaction_rate),
            one_visit = percent(summary.cases.one_visit_rate),
            visits = cases.visits
        ),
    );
    out += &line(
        String::new(),
        tr!(
            "summary-cases-petitioner",
            satisfied = cases.petitioner_satisfied,
            dissatisfied = cases.petitioner_dissatisfied,
            rate = percent(summary.cases.petitioner_satisfaction_rate)
        ),
    );
    out += &line(String::new(), cases_as_of_text(&summary));
    if summary.children.is_empty() {
        out += &format!("\n{}\n", tr!("summary-no-children"));
        return out;
    }
    let mut rows: Vec<&ScorecardRow> = summary.children.iter().collect();
    rows.sort_by_key(|row| row.rank);
    let weights: Vec<String> = rows[0]
        .assessment
        .components
        .iter()
        .map(|c| format!("{} {}", crate::i18n::name("component", c.component.name()), c.weight))
        .collect();
    out += &format!("\n{}\n", tr!("summary-scorecard-intro"));
    out += &tr!("summary-scorecard-weights", weights = weights.join(tr!("list-separator").as_str()));
    out += "\n";
    let mut table = crate::render::table::new(crate::i18n::headings([
        "rank",
        "unit",
        "name",
        "score",
        "complete",
        "timely",
        "resolved",
        "accepted-on-time",
        "closed-on-time",
        "no-repeat",
        "satisfied",
        "missing",
        "cases",
        "overdue",
        "last-sync",
    ]));
    for row in rows {
        let mut name = row.name.clone();
        if !row.days.is_empty() {
            let spans: Vec<String> =
                row.days.iter().map(|d| format!("{}..{}", d.from_date, d.to_date)).collect();
            name += &format!(" {}", tr!("summary-here", spans = spans.join(", ")));
        }
        let assessment = &row.assessment;
        let mut cells = vec![row.rank.to_string(), row.unit_id.to_string(), name, score_text(assessment)];
        cells.extend(assessment.components.iter().map(component_percent));
        cells.resize(4 + 7, "-".to_owned());
        cells.extend([
            row.tally.missing.to_string(),
            row.cases.counts.registered.to_string(),
            row.cases.counts.overdue.to_string(),
            freshness_text(&row.freshness),
        ]);
        table.add_row(cells);
    }
    for column in (0..1).chain(3..14) {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    out += &format!("{table}\n");
    out
}

/// When the case figures are judged: the end of the range, or now while
/// it runs.
fn cases_as_of_text(summary: &Summary) -> String {
    let at = summary.cases_as_of.for_people();
    if summary.cases_provisional {
        tr!("summary-cases-provisional", at = at)
    } else {
        tr!("summary-cases-final", at = at, to = summary.to_date.to_string())
    }
}

/// A component's percent, or `n/a` when nothing was there to judge.
fn component_percent(component: &Scored) -> String {
    component.percent.map(percent).unwrap_or_else(|| tr!("word-not-applicable"))
}

/// The score with two decimals, `-` when no component applies.
fn score_text(assessment: &Assessment) -> String {
    assessment.score.map(|score| format!("{score:.2}")).unwrap_or_else(|| "-".to_owned())
}

/// A scorecard row's place (`rank` of `rows` in the scorecard of
/// `parent`) and every component of its assessment, as `fengqiao drill
/// --figure rank` prints it.
pub fn render_place(parent: &str, rows: u32, row: &ScorecardRow) -> String {
    let assessment = &row.assessment;
    let mut out = tr!(
        "place-header",
        name = &row.name,
        unit = row.unit_id.to_string(),
        rank = row.rank,
        rows = rows,
        parent = parent
    );
    out += "\n";
    let mut table =
        crate::render::table::new(crate::i18n::headings(["component", "part", "whole", "value", "weight"]));
    for component in &assessment.components {
        table.add_row([
            crate::i18n::name("component", component.component.name()).replace('_', " "),
            component.share.part.to_string(),
            component.share.whole.to_string(),
            component_percent(component),
            component.weight.to_string(),
        ]);
    }
    for column in 1..5 {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    out += &format!("{table}\n");
    let complete = if assessment.complete { tr!("place-complete") } else { tr!("place-incomplete") };
    out += &tr!("place-score", score = score_text(assessment), complete = complete);
    out += "\n";
    out
}

/// "served here", or the child node's last push and whether the range's
/// data have arrived.
fn freshness_text(freshness: &Freshness) -> String {
    if freshness.served_by.is_none() {
        return tr!("freshness-served-here");
    }
    let last = freshness.last_sync.map(Moment::for_people).unwrap_or_else(|| tr!("freshness-never"));
    let arrived = if freshness.arrived { tr!("freshness-arrived") } else { tr!("freshness-not-yet") };
    format!("{last} · {arrived}")
}

#[cfg(test)]
mod tests {
    use fengqiao_core::assessment::{Assessment, Performance, Weights};
    use serde_json::{Value, json};

    use super::*;
    use crate::commands::tests::ts;

    #[test]
    fn summaries_not_due_yet() {
        let summary = pb::Summary {
            unit_id: "410411".into(),
            unit_name: "湛河区".into(),
            tier: pb::Tier::District.into(),
            from_date: "2026-11-30".into(),
            to_date: "2026-12-06".into(),
            iso_week: "2026-W49".into(),
            computed_at: ts("2026-11-30T00:00:00Z"),
            cases_as_of: ts("2026-11-30T00:00:00Z"),
            ..Default::default()
        };
        assert_eq!(
            render_summary(&Summary::try_from(summary).unwrap(), &TimePolicy::default()),
            "湛河区 (410411): week 2026-W49, 2026-11-30 to 2026-12-06, no day of it is due yet\n"
        );
    }

    #[test]
    fn summaries_render() {
        let tally = pb::Tally {
            expected: 10,
            received: 9,
            on_time: 8,
            late: 1,
            missing: 1,
            zero_reports: 4,
            disputes: 6,
            parties: 12,
            wage_arrears: Some(pb::WageFigures {
                disputes: 1,
                resolved: 1,
                workers: 12,
                amount_claimed_cents: 3_600_000,
                amount_recovered_cents: 3_600_000,
                employers: 1,
            }),
            ..Default::default()
        };
        let summary = pb::Summary {
            unit_id: "410411001".into(),
            unit_name: "马庄街道".into(),
            tier: pb::Tier::Township.into(),
            from_date: "2026-11-23".into(),
            to_date: "2026-11-29".into(),
            through_date: "2026-11-27".into(),
            iso_week: "2026-W48".into(),
            totals: Some(tally.clone()),
            rates: Some(pb::Rates { completeness_percent: 90.0, ..Default::default() }),
            computed_at: ts("2026-11-28T00:00:00Z"),
            cases_as_of: ts("2026-11-28T00:00:00Z"),
            cases_provisional: true,
            arrived_percent: 50.0,
            children: vec![
                pb::ScorecardRow {
                    unit_id: "410411001002".into(),
                    name: "新村".into(),
                    days: vec![pb::DayRange { from_date: "2026-11-25".into(), to_date: "2026-11-27".into() }],
                    tally: Some(tally.clone()),
                    freshness: Some(pb::ChildFreshness::default()),
                    rank: 2,
                    assessment: Some(assessment(&Performance { expected: 5, ..Performance::default() })),
                    ..Default::default()
                },
                pb::ScorecardRow {
                    unit_id: "410411001001".into(),
                    name: "电力社区".into(),
                    rank: 1,
                    assessment: Some(assessment(&Performance {
                        expected: 10,
                        received: 10,
                        on_time: 9,
                        closed: 2,
                        closed_on_time: 1,
                        ..Performance::default()
                    })),
                    tally: Some(tally.clone()),
                    freshness: Some(pb::ChildFreshness {
                        served_by: "410411001001".into(),
                        last_sync: ts("2026-11-27T11:00:00Z"),
                        arrived: true,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let summary = Summary::try_from(summary).unwrap();
        let text = render_summary(&summary, &TimePolicy::default());
        assert!(text.starts_with(
            "马庄街道 (410411001): week 2026-W48, 2026-11-23 to 2026-11-29, counted through 2026-11-27\n"
        ));
        assert!(text.contains("computed at 2026-11-28 08:00:00 (Asia/Shanghai)"));
        assert!(text.contains("received              9 (90.0%)"));
        assert!(text.contains("claimed ¥36,000.00, recovered ¥36,000.00, 1 distinct employer"));
        assert!(text.contains("2026-11-27 19:00:00 · arrived"));
        assert!(text.contains("served here"));
        assert!(text.contains("新村 (here 2026-11-25..2026-11-27)"));
        assert!(text.contains("case figures as of 2026-11-28 08:00:00: the range has not ended"), "{text}");
        assert!(text.contains("weights: completeness 25, timeliness 15, dispute_resolution 15"), "{text}");
        // Sorted by rank, each component shown, n/a where nothing applies.
        let first = text.find("电力社区").unwrap();
        assert!(first < text.find("新村").unwrap(), "{text}");
        let line = text.lines().find(|l| l.contains("电力社区")).unwrap();
        let cells: Vec<&str> = line.split('┆').map(str::trim).collect();
        assert_eq!(cells[3..11], ["83.64", "100.0%", "90.0%", "n/a", "n/a", "50.0%", "n/a", "n/a"], "{line}");
        let line = text.lines().find(|l| l.contains("新村")).unwrap();
        assert!(line.contains("0.00"), "{line}");
        let value = serde_json::to_value(summary.clone().in_zone(TimePolicy::default().zone)).unwrap();
        assert_eq!(value["computed_at"], json!("2026-11-28T08:00:00+08:00"));
        assert_eq!(value["totals"]["wage_arrears"]["amount_claimed_cents"], json!(3_600_000));
        assert_eq!(value["cases_provisional"], json!(true));
        assert_eq!(value["children"][1]["freshness"]["arrived"], json!(true));
        assert_eq!(value["children"][0]["freshness"]["served_by"], Value::Null);
        let components = &value["children"][1]["assessment"]["components"];
        assert_eq!(
            components[4],
            json!({"component": "on_time_closure", "part": 1, "whole": 2, "percent": 50.0, "weight": 15})
        );
        assert_eq!(components[6]["percent"], Value::Null, "not applicable");

        let text = render_place("410411001", 2, &summary.children[1]);
        assert!(
            text.starts_with("电力社区 (410411001001): rank 1 of 2 in the scorecard of 410411001\n"),
            "{text}"
        );
        assert!(text.contains("on time closure"), "{text}");
        assert!(text.contains("score 83.64"), "{text}");
    }

    fn assessment(performance: &Performance) -> pb::Assessment {
        pb::Assessment::from(&Assessment::of(performance, &Weights::default()))
    }
}
