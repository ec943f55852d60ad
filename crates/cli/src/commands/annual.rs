//! `fengqiao annual`: the year in one report (年度报告) of a unit's subtree,
//! over `WeeklyService.AnnualReport` — screening reports, weekly reports,
//! disputes by category and outcome, wage arrears, cases (repeat petitions,
//! duty reception, escalations), supervisions, accountability actions, and
//! month by month. `--json` prints [`AnnualView`]: the summary's read model,
//! the months' figures, the weekly counts and the actions as
//! `accountability list --json` prints them.

use anyhow::{Result, anyhow};
use chrono_tz::Tz;
use comfy_table::CellAlignment;
use fengqiao_core::read::{Figures, Summary};
use fengqiao_proto::pb;
use serde::Serialize;

use crate::commands::accountability::{ListView, kind_text, render_list};
use crate::connection::{Connection, out, refused};
use crate::render::{percent, share, yuan};
use crate::tr;

#[derive(Debug, clap::Args)]
pub struct AnnualArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit whose subtree is reported on.
    #[arg(long)]
    pub unit: String,
    /// The calendar year.
    #[arg(long)]
    pub year: u32,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao annual`.
pub async fn annual(args: AnnualArgs) -> Result<()> {
    let zone = args.connection.zone_policy()?.zone;
    let request = pb::AnnualReportRequest { unit_id: args.unit.clone(), year: args.year };
    let answer = args.connection.weekly().await?.annual_report(request).await.map_err(refused)?.into_inner();
    let view = AnnualView::of(&answer, &zone)?;
    if args.json {
        println!("{}", serde_json::to_string(&view)?);
    } else {
        out(render_annual(args.year, &view, &answer).trim_end())?;
    }
    Ok(())
}

/// `annual --json`.
#[derive(Debug, Serialize)]
pub struct AnnualView {
    pub summary: Summary,
    pub months: Vec<MonthView>,
    pub weekly: WeeklyView,
    pub supervisions: u32,
    /// Wage-arrears cases registered in the subtree in the year.
    pub wage_cases_registered: u32,
    pub accountability: ListView,
}

#[derive(Debug, Serialize)]
pub struct MonthView {
    /// `YYYY-MM`.
    pub month: String,
    pub tally: Figures,
}

/// The weekly reports due in the year, and what became of them.
#[derive(Debug, Serialize)]
pub struct WeeklyView {
    pub due: u32,
    pub filed: u32,
    pub filed_on_time: u32,
    pub filed_late: u32,
    pub not_filed: u32,
    pub approved: u32,
    pub returned: u32,
}

impl AnnualView {
    pub fn of(answer: &pb::AnnualReportResponse, zone: &Tz) -> Result<AnnualView> {
        let summary = answer.summary.clone().ok_or_else(|| anyhow!(tr!("error-no-summary")))?;
        let summary: Summary = fengqiao_proto::convert_at(summary, "summary")?;
        let months = answer
            .months
            .iter()
            .map(|point| {
                let tally = point.tally.clone().unwrap_or_default();
                Ok(MonthView {
                    month: point.month.clone(),
                    tally: fengqiao_proto::convert_at(tally, "months.tally")?,
                })
            })
            .collect::<Result<_>>()?;
        let w = answer.weekly.unwrap_or_default();
        Ok(AnnualView {
            summary: summary.in_zone(*zone),
            months,
            weekly: WeeklyView {
                due: w.due,
                filed: w.filed,
                filed_on_time: w.filed_on_time,
                filed_late: w.filed_late,
                not_filed: w.not_filed,
                approved: w.approved,
                returned: w.returned,
            },
            supervisions: answer.supervisions,
            wage_cases_registered: answer.wage_cases_registered,
            accountability: ListView::of(&answer.accountability.clone().unwrap_or_default(), zone)?,
        })
    }
}

/// The report as text, in the reader's language.
pub(crate) fn render_annual(year: u32, view: &AnnualView, answer: &pb::AnnualReportResponse) -> String {
    let summary = &view.summary;
    let mut text = tr!(
        "annual-header",
        name = &summary.unit_name,
        unit = summary.unit_id.to_string(),
        year = year.to_string()
    );
    text += "\n";
    match summary.through_date {
        None => {
            text += &tr!("summary-nothing-due");
            text += "\n";
            return text;
        }
        Some(date) => {
            text += &tr!("annual-through", date = date.to_string(), at = summary.computed_at.for_people());
            text += "\n";
        }
    }
    let line = |label: String, value: String| format!("  {}{value}\n", crate::render::table::pad(&label, 22));
    let section = |title: String| format!("\n{title}\n");
    let (t, rates, cases) = (&summary.totals, summary.rates, &summary.cases);
    text += &section(tr!("annual-screening"));
    text += &line(tr!("summary-expected"), t.expected.to_string());
    text += &line(
        tr!("summary-received"),
        tr!("summary-received-value", count = t.received, percent = percent(rates.completeness_percent)),
    );
    text += &line(
        tr!("summary-on-time"),
        tr!("summary-on-time-value", count = t.on_time, percent = percent(rates.timeliness_percent)),
    );
    text += &line(
        tr!("summary-zero-reports"),
        tr!("summary-zero-value", count = t.zero_reports, percent = percent(rates.zero_share_percent)),
    );
    text += &line(tr!("summary-missing"), t.missing.to_string());

    let w = &view.weekly;
    text += &section(tr!("annual-weekly"));
    text += &line(tr!("annual-weekly-due"), w.due.to_string());
    text += &line(
        tr!("annual-weekly-filed"),
        tr!("annual-weekly-filed-value", filed = w.filed, on_time = w.filed_on_time, late = w.filed_late),
    );
    text += &line(tr!("annual-weekly-not-filed"), w.not_filed.to_string());
    text += &line(tr!("annual-weekly-approved"), w.approved.to_string());
    text += &line(tr!("annual-weekly-returned"), w.returned.to_string());

    text += &section(tr!("annual-disputes"));
    text += &line(
        tr!("summary-disputes"),
        tr!("summary-disputes-value", count = t.disputes, parties = t.parties),
    );
    text += &line(tr!("summary-resolved-on-the-spot"), percent(rates.resolved_on_the_spot_percent));
    let named = |kind: &str, counts: Vec<(&str, i64)>| {
        let mut counts: Vec<(&str, i64)> = counts.into_iter().filter(|(_, n)| *n > 0).collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let parts: Vec<String> =
            counts.iter().map(|(name, n)| format!("{} {n}", crate::i18n::name(kind, name))).collect();
        if parts.is_empty() { "-".to_owned() } else { parts.join(tr!("list-separator").as_str()) }
    };
    text += &line(
        tr!("summary-by-category"),
        named("category", t.by_category.iter().map(|(c, n)| (c.as_str(), *n)).collect()),
    );
    text += &line(
        tr!("annual-by-outcome"),
        named("outcome", t.by_outcome.iter().map(|(o, n)| (o.as_str(), *n)).collect()),
    );

    let wage = t.wage_arrears;
    text += &section(tr!("summary-wage-arrears"));
    text += &line(tr!("annual-wage-employers"), wage.employers.to_string());
    text += &line(
        tr!("annual-wage-disputes"),
        tr!("annual-wage-disputes-value", disputes = wage.disputes, resolved = wage.resolved),
    );
    text += &line(tr!("annual-wage-cases"), answer.wage_cases_registered.to_string());
    text += &line(tr!("annual-wage-workers"), wage.workers.to_string());
    text += &line(
        tr!("annual-wage-amounts"),
        tr!(
            "annual-wage-amounts-value",
            claimed = yuan(wage.amount_claimed_cents),
            recovered = yuan(wage.amount_recovered_cents)
        ),
    );

    let counts = cases.counts;
    text += &section(tr!("annual-cases"));
    text += &line(tr!("annual-cases-registered"), counts.registered.to_string());
    text += &line(
        tr!("annual-repeat-petitions"),
        tr!("annual-share-value", count = counts.repeat_petitions, percent = percent(cases.repeat_rate)),
    );
    text += &line(
        tr!("annual-visits"),
        tr!("annual-visits-value", visits = counts.visits, one_visit = percent(cases.one_visit_rate)),
    );
    text += &line(tr!("annual-escalated"), counts.escalated.to_string());
    text += &line(
        tr!("annual-closed"),
        tr!("annual-share-value", count = counts.closed, percent = percent(cases.on_time_closure_rate)),
    );
    text += &line(tr!("annual-supervisions"), view.supervisions.to_string());

    text += &section(tr!("annual-accountability"));
    let list = answer.accountability.clone().unwrap_or_default();
    for count in &list.units_by_kind {
        text += &line(
            kind_text(count.kind),
            tr!("annual-accountability-value", units = count.units, actions = count.actions),
        );
    }
    if !list.actions.is_empty() {
        text +=
            &render_list(&pb::ListAccountabilityResponse { actions: list.actions, units_by_kind: vec![] });
    }

    if !view.months.is_empty() {
        text += &section(tr!("annual-months"));
        let mut table = crate::render::table::new(crate::i18n::headings([
            "month",
            "received-of-expected",
            "completeness",
            "timeliness",
            "disputes",
        ]));
        for month in &view.months {
            let tally = &month.tally;
            let (received, expected) =
                (u64::try_from(tally.received).unwrap_or(0), u64::try_from(tally.expected).unwrap_or(0));
            table.add_row([
                month.month.clone(),
                format!("{} / {}", tally.received, tally.expected),
                share(received, expected),
                share(u64::try_from(tally.on_time).unwrap_or(0), expected),
                tally.disputes.to_string(),
            ]);
        }
        for column in 1..5 {
            if let Some(column) = table.column_mut(column) {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        text += &format!("{table}\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::commands::tests::ts;

    fn answer() -> pb::AnnualReportResponse {
        let tally = pb::Tally {
            expected: 100,
            received: 95,
            on_time: 90,
            missing: 5,
            zero_reports: 60,
            disputes: 40,
            parties: 90,
            wage_arrears: Some(pb::WageFigures {
                disputes: 4,
                resolved: 3,
                workers: 25,
                amount_claimed_cents: 12_000_000,
                amount_recovered_cents: 9_000_000,
                employers: 2,
            }),
            ..Default::default()
        };
        pb::AnnualReportResponse {
            wage_cases_registered: 5,
            summary: Some(pb::Summary {
                unit_id: "410411".into(),
                unit_name: "湛河区".into(),
                tier: pb::Tier::District.into(),
                from_date: "2026-01-01".into(),
                to_date: "2026-12-31".into(),
                through_date: "2026-12-04".into(),
                totals: Some(tally.clone()),
                rates: Some(pb::Rates {
                    completeness_percent: 95.0,
                    timeliness_percent: 90.0,
                    ..Default::default()
                }),
                cases: Some(pb::CaseFigures {
                    registered: 7,
                    visits: 3,
                    one_visit_rate: 66.7,
                    ..Default::default()
                }),
                computed_at: ts("2026-12-05T01:00:00Z"),
                cases_as_of: ts("2026-12-05T01:00:00Z"),
                ..Default::default()
            }),
            months: vec![pb::MonthPoint { month: "2026-11".into(), tally: Some(tally) }],
            weekly: Some(pb::WeeklyFigures {
                due: 20,
                filed: 18,
                filed_on_time: 15,
                filed_late: 3,
                not_filed: 2,
                approved: 16,
                returned: 1,
            }),
            supervisions: 4,
            accountability: Some(pb::ListAccountabilityResponse {
                actions: vec![],
                units_by_kind: vec![pb::AccountabilityCount {
                    kind: pb::AccountabilityKind::Criticism.into(),
                    actions: 2,
                    units: 1,
                }],
            }),
        }
    }

    #[test]
    fn the_year_in_one_report() {
        let zone = chrono_tz::Asia::Shanghai;
        let answer = answer();
        let view = AnnualView::of(&answer, &zone).unwrap();
        let text = render_annual(2026, &view, &answer);
        assert!(text.starts_with("湛河区 (410411): annual report 2026\n"), "{text}");
        assert!(text.contains("counted through 2026-12-04"), "{text}");
        assert!(text.contains("filed                 18 (on time 15, late 3)"), "{text}");
        assert!(text.contains("employers screened    2"), "{text}");
        assert!(text.contains("claimed ¥120,000.00, recovered ¥90,000.00"), "{text}");
        assert!(text.contains("3 visits, resolved at the first visit 66.7%"), "{text}");
        assert!(text.contains("supervisions          4"), "{text}");
        assert!(text.contains("1 unit (2 actions)"), "{text}");
        let line = text.lines().find(|line| line.contains("2026-11")).unwrap();
        assert!(line.contains("95 / 100") && line.contains("95.0%"), "{line}");
        let value = serde_json::to_value(&view).unwrap();
        assert_eq!(value["weekly"]["filed_late"], json!(3));
        assert_eq!(value["summary"]["totals"]["wage_arrears"]["employers"], json!(2));
        assert_eq!(value["accountability"]["counts"][0]["kind"], json!("criticism"));
        assert_eq!(value["months"][0]["tally"]["received"], json!(95));
    }
}
