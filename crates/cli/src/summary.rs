//! The summary commands, over `fengqiao.v1.SummaryService`: `summary`
//! (the weekly resolution report and child scorecard), `missing` (who has not
//! reported for a day), `trend` (week by week), `export` (every report of a
//! range to CSV or JSON lines, streamed) — and `verify`, which recomputes a
//! database's rollups from its reports.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use chrono::{Duration, NaiveDate};
use comfy_table::CellAlignment;
use fengqiao_core::{IsoWeek, TimePolicy};
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::{self, StoredDailyReport};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};
use tonic::transport::Channel;

use crate::client::{Connection, refused};
use crate::render::{category_name, empty_null, outcome_name, percent, tier_name, yuan};
use crate::time_fmt;
use crate::tr;
use crate::units::UnitNames;

impl Connection {
    pub async fn summaries(&self) -> Result<SummaryServiceClient<Channel>> {
        Ok(SummaryServiceClient::new(self.channel().await?)
            .max_decoding_message_size(fengqiao_proto::CLIENT_MAX_DECODING_BYTES))
    }

    /// The deployment's zone, for showing instants as local times.
    fn zone_policy(&self) -> Result<TimePolicy> {
        Ok(TimePolicy::parse(&self.time_zone, "18:00")?)
    }

    /// A week from the command line: `YYYY-Www`, `this`, `last`, or a date
    /// (`YYYY-MM-DD`, `today`, `yesterday`) meaning the week holding it.
    fn week(&self, value: &str, flag: &str) -> Result<IsoWeek> {
        let today = self.date("today", flag)?;
        match value {
            "this" => Ok(IsoWeek::of(today)),
            "last" => Ok(IsoWeek::of(today - Duration::days(7))),
            _ if value.contains("-W") => IsoWeek::parse(value, flag).map_err(|e| anyhow!("{e}")),
            _ => Ok(IsoWeek::of(self.date(value, flag)?)),
        }
    }

    /// A range from the command line: `--week` or `--from`/`--to` (each
    /// defaulting to the other's day); this week when neither is given.
    pub(crate) fn range(
        &self,
        week: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(NaiveDate, NaiveDate)> {
        let (from, to) = match (week, from, to) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => bail!(tr!("error-week-or-range")),
            (Some(week), None, None) => {
                let week = self.week(week, "--week")?;
                (week.monday(), week.sunday())
            }
            (None, None, None) => {
                let week = self.week("this", "--week")?;
                (week.monday(), week.sunday())
            }
            (None, Some(from), to) => {
                let from = self.date(from, "--from")?;
                (from, to.map(|to| self.date(to, "--to")).transpose()?.unwrap_or(from))
            }
            (None, None, Some(to)) => {
                let to = self.date(to, "--to")?;
                (to, to)
            }
        };
        if to < from {
            bail!(tr!("error-to-before-from", to = to.to_string(), from = from.to_string()));
        }
        Ok((from, to))
    }
}

// ---------------------------------------------------------------- summary

#[derive(Debug, clap::Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit whose subtree is summarised (any unit the node holds).
    #[arg(long)]
    pub unit: String,
    /// An ISO week: `2026-W48`, `this`, `last`, or a date in it. The default,
    /// without --from/--to, is this week.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub week: Option<String>,
    /// First day of a period instead of a week: YYYY-MM-DD, today or yesterday.
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
    let policy = connection.zone_policy()?;
    let mut client = connection.summaries().await?;
    let summary = match (&args.from, &args.to) {
        (Some(from), Some(to)) => {
            let (from, to) = (connection.date(from, "--from")?, connection.date(to, "--to")?);
            if to < from {
                bail!(tr!("error-to-before-from", to = to.to_string(), from = from.to_string()));
            }
            let request = pb::PeriodSummaryRequest {
                unit_id: args.unit.clone(),
                from_date: from.to_string(),
                to_date: to.to_string(),
            };
            client.period_summary(request).await.map_err(refused)?.into_inner().summary
        }
        _ => {
            let week = connection.week(args.week.as_deref().unwrap_or("this"), "--week")?;
            let request = pb::WeeklySummaryRequest { unit_id: args.unit.clone(), iso_week: week.to_string() };
            client.weekly_summary(request).await.map_err(refused)?.into_inner().summary
        }
    };
    let summary = summary.ok_or_else(|| anyhow!(tr!("error-no-summary")))?;
    if args.json {
        println!("{}", summary_json(&summary, &policy));
    } else {
        print_summary(&summary, &policy);
    }
    Ok(())
}

/// Prints a summary: header, totals, child scorecard (also the demo's ending).
pub fn print_summary(summary: &pb::Summary, policy: &TimePolicy) {
    print!("{}", render_summary(summary, policy));
}

/// A summary as text.
pub fn render_summary(summary: &pb::Summary, policy: &TimePolicy) -> String {
    let mut out = String::new();
    let (from, to) = (&summary.from_date, &summary.to_date);
    let range = if summary.iso_week.is_empty() {
        tr!("summary-range-period", from = from, to = to)
    } else {
        tr!("summary-range-week", week = &summary.iso_week, from = from, to = to)
    };
    let through = if summary.through_date.is_empty() {
        tr!("summary-nothing-due")
    } else {
        tr!("summary-counted-through", date = &summary.through_date)
    };
    out += &tr!(
        "summary-header",
        name = &summary.unit_name,
        unit = &summary.unit_id,
        range = range,
        through = through
    );
    out += "\n";
    if summary.through_date.is_empty() {
        // Nothing is counted before the first day's cut-off: no totals, no scorecard.
        return out;
    }
    out += &tr!(
        "summary-computed",
        at = time_fmt::wire_for_people(summary.computed_at, &policy.zone).unwrap_or_else(|| "-".into()),
        zone = policy.zone.to_string(),
        percent = format!("{:.1}%", summary.arrived_percent)
    );
    out += "\n";
    let totals = summary.totals.clone().unwrap_or_default();
    let rates = summary.rates.unwrap_or_default();
    let wage = totals.wage_arrears.unwrap_or_default();
    let line = |label: String, value: String| format!("  {}{value}\n", crate::table::pad(&label, 22));
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
    let mut categories: Vec<(String, i64)> = totals
        .by_category
        .iter()
        .filter(|c| c.disputes > 0)
        .map(|c| (category_name(c.category), c.disputes))
        .collect();
    categories.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
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
    let cases = summary.cases.unwrap_or_default();
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
            on_time = percent(cases.on_time_closure_rate),
            overdue = cases.overdue,
            satisfaction = percent(cases.satisfaction_rate),
            one_visit = percent(cases.one_visit_rate),
            visits = cases.visits
        ),
    );
    out += &line(String::new(), cases_as_of_text(summary, policy));
    if summary.children.is_empty() {
        out += &format!("\n{}\n", tr!("summary-no-children"));
        return out;
    }
    let mut rows: Vec<&pb::ScorecardRow> = summary.children.iter().collect();
    rows.sort_by_key(|row| row.rank);
    let weights: Vec<String> = rows[0]
        .assessment
        .iter()
        .flat_map(|a| &a.components)
        .map(|c| format!("{} {}", crate::i18n::name("component", component_name(c.component)), c.weight))
        .collect();
    out += &format!("\n{}\n", tr!("summary-scorecard-intro"));
    out += &tr!("summary-scorecard-weights", weights = weights.join(tr!("list-separator").as_str()));
    out += "\n";
    let mut table = crate::table::new(crate::i18n::headings([
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
        let tally = row.tally.clone().unwrap_or_default();
        let mut name = row.name.clone();
        if !row.days.is_empty() {
            let spans: Vec<String> =
                row.days.iter().map(|d| format!("{}..{}", d.from_date, d.to_date)).collect();
            name += &format!(" {}", tr!("summary-here", spans = spans.join(", ")));
        }
        let cases = row.cases.unwrap_or_default();
        let assessment = row.assessment.clone().unwrap_or_default();
        let mut cells = vec![row.rank.to_string(), row.unit_id.clone(), name, score_text(&assessment)];
        cells.extend(assessment.components.iter().map(component_percent));
        cells.resize(4 + 7, "-".to_owned());
        cells.extend([
            tally.missing.to_string(),
            cases.registered.to_string(),
            cases.overdue.to_string(),
            freshness_text(row.freshness.as_ref(), policy),
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
fn cases_as_of_text(summary: &pb::Summary, policy: &TimePolicy) -> String {
    let at = time_fmt::wire_for_people(summary.cases_as_of, &policy.zone).unwrap_or_else(|| "-".into());
    if summary.cases_provisional {
        tr!("summary-cases-provisional", at = at)
    } else {
        tr!("summary-cases-final", at = at, to = &summary.to_date)
    }
}

/// A component's stable name (configuration key, JSON), from the wire enum.
fn component_name(value: i32) -> &'static str {
    use fengqiao_core::assessment::Component;
    let component = match pb::AssessmentComponent::try_from(value) {
        Ok(pb::AssessmentComponent::Completeness) => Component::Completeness,
        Ok(pb::AssessmentComponent::Timeliness) => Component::Timeliness,
        Ok(pb::AssessmentComponent::DisputeResolution) => Component::DisputeResolution,
        Ok(pb::AssessmentComponent::OnTimeAcceptance) => Component::OnTimeAcceptance,
        Ok(pb::AssessmentComponent::OnTimeClosure) => Component::OnTimeClosure,
        Ok(pb::AssessmentComponent::RepeatPetitions) => Component::RepeatPetitions,
        Ok(pb::AssessmentComponent::Satisfaction) => Component::Satisfaction,
        Ok(pb::AssessmentComponent::Unspecified) | Err(_) => return "unknown",
    };
    component.name()
}

/// A component's percent, or `n/a` when nothing was there to judge.
fn component_percent(component: &pb::ComponentScore) -> String {
    if component.applicable { percent(component.percent) } else { tr!("word-not-applicable") }
}

/// The score with two decimals, `-` when no component applies.
fn score_text(assessment: &pb::Assessment) -> String {
    if assessment.scored { format!("{:.2}", assessment.score) } else { "-".to_owned() }
}

/// A scorecard row's place and every component of its assessment, as
/// `fengqiao drill --figure rank` prints it.
pub fn render_place(place: &pb::ScorecardPlace) -> String {
    let row = place.row.clone().unwrap_or_default();
    let assessment = row.assessment.clone().unwrap_or_default();
    let mut out = tr!(
        "place-header",
        name = &row.name,
        unit = &row.unit_id,
        rank = row.rank,
        rows = place.rows,
        parent = &place.parent_unit_id
    );
    out += "\n";
    let mut table =
        crate::table::new(crate::i18n::headings(["component", "part", "whole", "value", "weight"]));
    for component in &assessment.components {
        table.add_row([
            crate::i18n::name("component", component_name(component.component)).replace('_', " "),
            component.part.to_string(),
            component.whole.to_string(),
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
    out += &tr!("place-score", score = score_text(&assessment), complete = complete);
    out += "\n";
    out
}

/// "served here", or the child node's last push and whether the range's
/// data have arrived.
fn freshness_text(freshness: Option<&pb::ChildFreshness>, policy: &TimePolicy) -> String {
    let Some(freshness) = freshness else { return "-".into() };
    if freshness.served_by.is_empty() {
        return tr!("freshness-served-here");
    }
    let last = time_fmt::wire_for_people(freshness.last_sync, &policy.zone)
        .unwrap_or_else(|| tr!("freshness-never"));
    let arrived = if freshness.arrived { tr!("freshness-arrived") } else { tr!("freshness-not-yet") };
    format!("{last} · {arrived}")
}

/// The whole summary as JSON (the prost types have no serde).
pub fn summary_json(summary: &pb::Summary, policy: &TimePolicy) -> Value {
    json!({
        "unit_id": summary.unit_id,
        "unit_name": summary.unit_name,
        "tier": tier_name(summary.tier),
        "from_date": summary.from_date,
        "to_date": summary.to_date,
        "through_date": empty_null(&summary.through_date),
        "iso_week": empty_null(&summary.iso_week),
        "computed_at": time_fmt::wire_for_machines(summary.computed_at, &policy.zone),
        "arrived_percent": summary.arrived_percent,
        "totals": tally_json(summary.totals.as_ref()),
        "rates": rates_json(summary.rates.as_ref()),
        "cases": cases_json(summary.cases.as_ref()),
        "cases_as_of": time_fmt::wire_for_machines(summary.cases_as_of, &policy.zone),
        "cases_provisional": summary.cases_provisional,
        "children": summary.children.iter().map(|row| scorecard_row_json(row, policy)).collect::<Vec<_>>(),
    })
}

/// A scorecard row as JSON, its assessment included.
pub fn scorecard_row_json(row: &pb::ScorecardRow, policy: &TimePolicy) -> Value {
    json!({
        "unit_id": row.unit_id,
        "name": row.name,
        "tier": tier_name(row.tier),
        "days": row.days.iter().map(|d| json!({"from_date": d.from_date, "to_date": d.to_date})).collect::<Vec<_>>(),
        "tally": tally_json(row.tally.as_ref()),
        "rates": rates_json(row.rates.as_ref()),
        "cases": cases_json(row.cases.as_ref()),
        "rank": row.rank,
        "assessment": row.assessment.as_ref().map(|a| json!({
            "components": a.components.iter().map(|c| json!({
                "component": component_name(c.component),
                "part": c.part,
                "whole": c.whole,
                "percent": c.applicable.then_some(c.percent),
                "weight": c.weight,
            })).collect::<Vec<_>>(),
            "score": a.scored.then_some(a.score),
            "complete": a.complete,
        })),
        "freshness": row.freshness.as_ref().map(|f| json!({
            "served_by": empty_null(&f.served_by),
            "last_sync": time_fmt::wire_for_machines(f.last_sync, &policy.zone),
            "synced_through": time_fmt::wire_for_machines(f.synced_through, &policy.zone),
            "arrived": f.arrived,
        })),
    })
}

fn tally_json(tally: Option<&pb::Tally>) -> Value {
    let Some(tally) = tally else { return Value::Null };
    let wage = tally.wage_arrears.unwrap_or_default();
    json!({
        "expected": tally.expected,
        "received": tally.received,
        "on_time": tally.on_time,
        "late": tally.late,
        "missing": tally.missing,
        "zero_reports": tally.zero_reports,
        "disputes": tally.disputes,
        "parties": tally.parties,
        "by_category": tally.by_category.iter()
            .map(|c| (category_name(c.category), Value::from(c.disputes)))
            .collect::<serde_json::Map<_, _>>(),
        "by_outcome": tally.by_outcome.iter()
            .map(|o| (outcome_name(o.outcome), Value::from(o.disputes)))
            .collect::<serde_json::Map<_, _>>(),
        "wage_arrears": {
            "disputes": wage.disputes,
            "resolved": wage.resolved,
            "workers": wage.workers,
            "amount_claimed_cents": wage.amount_claimed_cents,
            "amount_recovered_cents": wage.amount_recovered_cents,
            "employers": wage.employers,
        },
    })
}

fn rates_json(rates: Option<&pb::Rates>) -> Value {
    let Some(rates) = rates else { return Value::Null };
    json!({
        "completeness_percent": rates.completeness_percent,
        "timeliness_percent": rates.timeliness_percent,
        "zero_share_percent": rates.zero_share_percent,
        "resolved_on_the_spot_percent": rates.resolved_on_the_spot_percent,
    })
}

fn cases_json(cases: Option<&pb::CaseFigures>) -> Value {
    let Some(c) = cases else { return Value::Null };
    json!({
        "registered": c.registered,
        "accepted": c.accepted,
        "accepted_on_time": c.accepted_on_time,
        "closed": c.closed,
        "closed_on_time": c.closed_on_time,
        "overdue": c.overdue,
        "escalated": c.escalated,
        "assigned_down": c.assigned_down,
        "repeat_petitions": c.repeat_petitions,
        "satisfied": c.satisfied,
        "dissatisfied": c.dissatisfied,
        "unreachable": c.unreachable,
        "visits": c.visits,
        "one_visit": c.one_visit,
        "on_time_closure_rate": c.on_time_closure_rate,
        "satisfaction_rate": c.satisfaction_rate,
        "one_visit_rate": c.one_visit_rate,
        "repeat_rate": c.repeat_rate,
    })
}

// ---------------------------------------------------------------- missing

#[derive(Debug, clap::Args)]
pub struct MissingArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit whose subtree is checked.
    #[arg(long)]
    pub unit: String,
    /// The day: YYYY-MM-DD, today or yesterday.
    #[arg(long, default_value = "today")]
    pub date: String,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao missing`: the units without a report for a day, and the late ones.
pub async fn missing(args: MissingArgs) -> Result<()> {
    let connection = &args.connection;
    let policy = connection.zone_policy()?;
    let date = connection.date(&args.date, "--date")?;
    let answer = connection
        .summaries()
        .await?
        .completeness(pb::CompletenessRequest { unit_id: args.unit.clone(), date: date.to_string() })
        .await
        .map_err(refused)?
        .into_inner();
    if args.json {
        let unit = |u: Option<&pb::UnitRef>| {
            u.map(|u| {
                json!({"unit_id": u.unit_id, "name": u.name, "parent_id": u.parent_id, "parent_name": u.parent_name})
            })
        };
        let value = json!({
            "unit_id": answer.unit_id,
            "date": answer.date,
            "cutoff": time_fmt::wire_for_machines(answer.cutoff, &policy.zone),
            "due": answer.due,
            "expected": answer.expected,
            "received": answer.received,
            "on_time": answer.on_time,
            "missing": answer.missing.iter().map(|u| unit(Some(u))).collect::<Vec<_>>(),
            "late": answer.late.iter().map(|l| json!({
                "unit": unit(l.unit.as_ref()),
                "first_accepted_at": time_fmt::wire_for_machines(l.first_accepted_at, &policy.zone),
            })).collect::<Vec<_>>(),
        });
        println!("{value}");
        return Ok(());
    }
    let cutoff = time_fmt::wire_for_people(answer.cutoff, &policy.zone).unwrap_or_else(|| "-".into());
    if answer.due {
        println!(
            "{}",
            tr!(
                "missing-due",
                unit = &answer.unit_id,
                date = &answer.date,
                expected = answer.expected,
                received = answer.received,
                on_time = answer.on_time,
                late = answer.late.len(),
                missing = answer.missing.len(),
                cutoff = cutoff
            )
        );
    } else {
        println!(
            "{}",
            tr!(
                "missing-not-due",
                unit = &answer.unit_id,
                date = &answer.date,
                cutoff = cutoff,
                received = answer.received,
                expected = answer.expected,
                missing = answer.missing.len()
            )
        );
    }
    if !answer.missing.is_empty() {
        let names = UnitNames::of_subtree(connection, &args.unit).await?;
        println!("{}", if answer.due { tr!("missing-list") } else { tr!("missing-outstanding-list") });
        print!("{}", grouped_missing(&answer.missing, &args.unit, &names));
    }
    if !answer.late.is_empty() {
        let cutoff = answer.cutoff.and_then(|t| time_fmt::wire(Some(t)));
        let mut table =
            crate::table::new(crate::i18n::headings(["unit", "name", "parent", "accepted", "after-cutoff"]));
        for late in &answer.late {
            let unit = late.unit.clone().unwrap_or_default();
            let accepted = time_fmt::wire(late.first_accepted_at);
            let after = match (accepted, cutoff) {
                (Some(a), Some(c)) => duration_text(a - c),
                _ => "-".into(),
            };
            table.add_row([
                unit.unit_id,
                unit.name,
                format!("{} {}", unit.parent_id, unit.parent_name),
                time_fmt::wire_for_people(late.first_accepted_at, &policy.zone).unwrap_or_else(|| "-".into()),
                after,
            ]);
        }
        println!("{}\n{table}", tr!("missing-late-list"));
    }
    Ok(())
}

/// Missing units grouped by the two levels below `top` (township and
/// community under a district): a heading with its count for each group,
/// then the units of each lowest group in a table.
fn grouped_missing(missing: &[pb::UnitRef], top: &str, names: &UnitNames) -> String {
    use std::collections::BTreeMap;
    let heading = |id: &str| format!("{id} {}", names.name(id)).trim_end().to_owned();
    // (level 1, level 2) → units; a level is empty when the unit sits higher.
    let mut groups: BTreeMap<(String, String), Vec<&pb::UnitRef>> = BTreeMap::new();
    for unit in missing {
        let mut levels = names.ancestors_below(&unit.unit_id, top).into_iter();
        let first = levels.next().unwrap_or_default();
        let second = levels.next().unwrap_or_default();
        groups.entry((first, second)).or_default().push(unit);
    }
    let mut text = String::new();
    let mut current_first: Option<&str> = None;
    for ((first, second), units) in &groups {
        if current_first != Some(first.as_str()) {
            current_first = Some(first.as_str());
            let count: usize = groups.iter().filter(|((f, _), _)| f == first).map(|(_, u)| u.len()).sum();
            let title = if first.is_empty() {
                tr!("missing-directly-under", unit = heading(top))
            } else {
                heading(first)
            };
            text += &tr!("missing-group", group = title, count = count);
            text += "\n";
        }
        let mut table = crate::table::new(crate::i18n::headings(["unit", "name"]));
        for unit in units {
            table.add_row([&unit.unit_id, &unit.name]);
        }
        if second.is_empty() {
            text += &format!("{table}\n");
        } else {
            text += &format!(
                "  {}\n{table}\n",
                tr!("missing-group", group = heading(second), count = units.len())
            );
        }
    }
    text
}

/// `2h05m`, `3d4h`, `45s`.
fn duration_text(duration: Duration) -> String {
    let seconds = duration.num_seconds().max(0);
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60);
    if days > 0 {
        format!("{days}d{hours}h")
    } else if hours > 0 {
        format!("{hours}h{minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m")
    } else {
        format!("{seconds}s")
    }
}

// ---------------------------------------------------------------- trend

#[derive(Debug, clap::Args)]
pub struct TrendArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit whose subtree is followed.
    #[arg(long)]
    pub unit: String,
    /// First week: `2026-W40`, `this`, `last` or a date in it (default: 8 weeks before --to).
    #[arg(long)]
    pub from: Option<String>,
    /// Last week, inclusive (default: this week).
    #[arg(long, default_value = "this")]
    pub to: String,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao trend`: the subtree's figures week by week.
pub async fn trend(args: TrendArgs) -> Result<()> {
    let connection = &args.connection;
    let to = connection.week(&args.to, "--to")?;
    let from = match &args.from {
        Some(from) => connection.week(from, "--from")?,
        None => IsoWeek::of(to.monday() - Duration::days(7 * 8)),
    };
    if to < from {
        bail!(tr!("error-to-before-from", to = to.to_string(), from = from.to_string()));
    }
    let answer = connection
        .summaries()
        .await?
        .trend(pb::TrendRequest {
            unit_id: args.unit.clone(),
            from_week: from.to_string(),
            to_week: to.to_string(),
        })
        .await
        .map_err(refused)?
        .into_inner();
    if args.json {
        let value = json!({
            "unit_id": answer.unit_id,
            "weeks": answer.weeks.iter().map(|w| json!({
                "iso_week": w.iso_week,
                "tally": tally_json(w.tally.as_ref()),
                "rates": rates_json(w.rates.as_ref()),
            })).collect::<Vec<_>>(),
        });
        println!("{value}");
        return Ok(());
    }
    let mut table = crate::table::new(crate::i18n::headings([
        "week",
        "received-of-expected",
        "completeness",
        "timeliness",
        "zero-share",
        "disputes",
    ]));
    for week in &answer.weeks {
        let tally = week.tally.clone().unwrap_or_default();
        let rates = week.rates.unwrap_or_default();
        if tally.expected == 0 && tally.received == 0 {
            table.add_row([
                week.iso_week.clone(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ]);
            continue;
        }
        table.add_row([
            week.iso_week.clone(),
            format!("{} / {}", tally.received, tally.expected),
            percent(rates.completeness_percent),
            percent(rates.timeliness_percent),
            percent(rates.zero_share_percent),
            tally.disputes.to_string(),
        ]);
    }
    for column in 1..6 {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    println!("{}", tr!("trend-header", unit = &answer.unit_id, from = from.to_string(), to = to.to_string()));
    println!("{table}");
    Ok(())
}

// ---------------------------------------------------------------- export

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// A header line, then one row per report (unit name and its parents' names beside the code);
    /// disputes as a JSON column.
    Csv,
    /// Flat CSV: one row per dispute (category, outcome, parties, wage arrears as columns); zero
    /// reports have no row.
    CsvDisputes,
    /// One JSON object per report and line.
    Jsonl,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Root of the subtree.
    #[arg(long)]
    pub unit: String,
    /// An ISO week instead of --from/--to: `2026-W48`, `this`, `last`, or a date in it.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub week: Option<String>,
    /// First date: YYYY-MM-DD, today or yesterday.
    #[arg(long, required_unless_present = "week")]
    pub from: Option<String>,
    /// Last date (inclusive; default today).
    #[arg(long)]
    pub to: Option<String>,
    /// What to write.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
    /// The file to write (replaced once the export is complete); `-` for standard output.
    #[arg(long)]
    pub out: PathBuf,
    /// Leave out the UTF-8 byte-order mark CSV starts with (Excel and WPS need it to read
    /// Chinese; other programs may not).
    #[arg(long)]
    pub no_bom: bool,
}

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 13] = [
    "date",
    "unit_id",
    "unit_name",
    "parent_names",
    "revision",
    "reporter",
    "zero",
    "disputes",
    "on_time",
    "accepted_at",
    "first_accepted_at",
    "correction_reason",
    "disputes_json",
];

/// One report as a CSV row (quoting is the writer's); times in the
/// deployment's zone, RFC 3339 with the offset.
pub fn csv_row(stored: &StoredDailyReport, policy: &TimePolicy, names: &UnitNames) -> [String; 13] {
    let report = stored.report.clone().unwrap_or_default();
    [
        report.date,
        report.unit_id.clone(),
        names.name(&report.unit_id).to_owned(),
        names.parent_names(&report.unit_id).join(" / "),
        report.revision.to_string(),
        report.reporter,
        report.zero.to_string(),
        report.disputes.len().to_string(),
        stored.on_time.to_string(),
        time_fmt::wire_for_machines(stored.accepted_at, &policy.zone).unwrap_or_default(),
        time_fmt::wire_for_machines(stored.first_accepted_at, &policy.zone).unwrap_or_default(),
        report.correction_reason,
        disputes_json(&report.disputes).to_string(),
    ]
}

/// The flat CSV's columns: one row per dispute.
pub const DISPUTE_CSV_HEADER: [&str; 18] = [
    "date",
    "unit_id",
    "unit_name",
    "parent_names",
    "revision",
    "on_time",
    "accepted_at",
    "dispute_id",
    "category",
    "outcome",
    "parties",
    "summary",
    "case_id",
    "employer",
    "workers",
    "claimed_yuan",
    "recovered_yuan",
    "correction_reason",
];

/// A report's disputes as flat CSV rows (none for a zero report).
pub fn dispute_rows(stored: &StoredDailyReport, policy: &TimePolicy, names: &UnitNames) -> Vec<[String; 18]> {
    let report = stored.report.clone().unwrap_or_default();
    let yuan = |fen: i64| format!("{}.{:02}", fen / 100, (fen % 100).abs());
    report
        .disputes
        .iter()
        .map(|d| {
            let wage = d.wage_arrears.clone();
            [
                report.date.clone(),
                report.unit_id.clone(),
                names.name(&report.unit_id).to_owned(),
                names.parent_names(&report.unit_id).join(" / "),
                report.revision.to_string(),
                stored.on_time.to_string(),
                time_fmt::wire_for_machines(stored.accepted_at, &policy.zone).unwrap_or_default(),
                d.local_id.clone(),
                category_name(d.category),
                outcome_name(d.outcome),
                d.parties.to_string(),
                d.summary.clone(),
                d.case_id.clone(),
                wage.as_ref().map(|w| w.employer.clone()).unwrap_or_default(),
                wage.as_ref().map(|w| w.workers.to_string()).unwrap_or_default(),
                wage.as_ref().map(|w| yuan(w.amount_claimed_cents)).unwrap_or_default(),
                wage.as_ref().map(|w| yuan(w.amount_recovered_cents)).unwrap_or_default(),
                report.correction_reason.clone(),
            ]
        })
        .collect()
}

/// One report as a JSON object (a line of the `jsonl` export).
pub fn report_json(stored: &StoredDailyReport, policy: &TimePolicy) -> Value {
    let report = stored.report.clone().unwrap_or_default();
    json!({
        "date": report.date,
        "unit_id": report.unit_id,
        "revision": report.revision,
        "reporter": report.reporter,
        "zero": report.zero,
        "on_time": stored.on_time,
        "accepted_at": time_fmt::wire_for_machines(stored.accepted_at, &policy.zone).unwrap_or_default(),
        "first_accepted_at": time_fmt::wire_for_machines(stored.first_accepted_at, &policy.zone).unwrap_or_default(),
        "correction_reason": report.correction_reason,
        "disputes": disputes_json(&report.disputes),
    })
}

/// Disputes compactly: empty fields left out, categories and outcomes by
/// their short names, amounts in fen.
fn disputes_json(disputes: &[pb::Dispute]) -> Value {
    Value::Array(
        disputes
            .iter()
            .map(|d| {
                let mut object = serde_json::Map::new();
                object.insert("id".into(), d.local_id.clone().into());
                object.insert("category".into(), category_name(d.category).into());
                object.insert("outcome".into(), outcome_name(d.outcome).into());
                if d.parties > 0 {
                    object.insert("parties".into(), d.parties.into());
                }
                if !d.summary.is_empty() {
                    object.insert("summary".into(), d.summary.clone().into());
                }
                if !d.case_id.is_empty() {
                    object.insert("case_id".into(), d.case_id.clone().into());
                }
                if let Some(w) = &d.wage_arrears {
                    object.insert(
                        "wage_arrears".into(),
                        json!({
                            "employer": w.employer,
                            "workers": w.workers,
                            "claimed_cents": w.amount_claimed_cents,
                            "recovered_cents": w.amount_recovered_cents,
                        }),
                    );
                }
                Value::Object(object)
            })
            .collect(),
    )
}

/// Where export rows go, one page at a time.
enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    CsvDisputes(Box<csv::Writer<W>>),
    Jsonl(BufWriter<W>),
}

/// The UTF-8 byte-order mark: Excel and WPS read a CSV file as UTF-8 only
/// when it starts with one (else Chinese comes out garbled).
const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<W: Write> Sink<W> {
    fn new(format: ExportFormat, mut output: W, bom: bool) -> Result<Sink<W>> {
        if bom && format != ExportFormat::Jsonl {
            output.write_all(BOM)?;
        }
        Ok(match format {
            ExportFormat::Csv => {
                let mut writer = csv::Writer::from_writer(output);
                writer.write_record(CSV_HEADER)?;
                Sink::Csv(Box::new(writer))
            }
            ExportFormat::CsvDisputes => {
                let mut writer = csv::Writer::from_writer(output);
                writer.write_record(DISPUTE_CSV_HEADER)?;
                Sink::CsvDisputes(Box::new(writer))
            }
            ExportFormat::Jsonl => Sink::Jsonl(BufWriter::new(output)),
        })
    }

    fn write(&mut self, stored: &StoredDailyReport, policy: &TimePolicy, names: &UnitNames) -> Result<()> {
        match self {
            Sink::Csv(writer) => writer.write_record(csv_row(stored, policy, names))?,
            Sink::CsvDisputes(writer) => {
                for row in dispute_rows(stored, policy, names) {
                    writer.write_record(row)?;
                }
            }
            Sink::Jsonl(writer) => {
                serde_json::to_writer(&mut *writer, &report_json(stored, policy))?;
                writer.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    /// Flushes everything written and hands back the output.
    fn finish(self) -> Result<W> {
        match self {
            Sink::Csv(writer) | Sink::CsvDisputes(writer) => writer
                .into_inner()
                .map_err(|e| std::io::Error::new(e.error().kind(), e.error().to_string()).into()),
            Sink::Jsonl(writer) => writer.into_inner().map_err(|e| e.into_error().into()),
        }
    }
}

/// `fengqiao export`: every current report of a subtree and range, streamed
/// page by page into a file (memory stays constant whatever the range).
pub async fn export(args: ExportArgs) -> Result<()> {
    let connection = &args.connection;
    let policy = connection.zone_policy()?;
    let (from, to) = match &args.week {
        Some(week) => connection.range(Some(week), None, None)?,
        None => connection.range(None, args.from.as_deref(), Some(args.to.as_deref().unwrap_or("today")))?,
    };
    let to_stdout = args.out.as_os_str() == "-";
    // Written beside the target and renamed into place once complete, so a
    // failed export never leaves a truncated file under the asked name.
    let partial = partial_path(&args.out);
    let output: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout())
    } else {
        Box::new(File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?)
    };
    let mut sink = Sink::new(args.format, output, !args.no_bom)?;
    let result = match export_into(&args, &policy, from, to, &mut sink).await {
        Ok(counts) => sink.finish().and_then(|mut output| Ok(output.flush()?)).map(|()| counts),
        Err(error) => Err(error),
    };
    let (written, announced) = match result {
        Ok(counts) => counts,
        // `fengqiao export --out - | head`: the reader had enough.
        Err(error) if to_stdout && is_broken_pipe(&error) => return Ok(()),
        Err(error) => {
            if !to_stdout {
                let _ = std::fs::remove_file(&partial);
            }
            return Err(error);
        }
    };
    if !to_stdout {
        std::fs::rename(&partial, &args.out)
            .with_context(|| format!("cannot move {} to {}", partial.display(), args.out.display()))?;
    }
    let target = if to_stdout { tr!("export-stdout") } else { args.out.display().to_string() };
    let message =
        tr!("export-written", count = written, unit = &args.unit, from = from, to = to, target = target);
    if to_stdout {
        eprintln!("{message}")
    } else {
        println!("{message}")
    }
    if written != announced {
        eprintln!("{}", tr!("export-count-changed", count = announced));
    }
    Ok(())
}

/// Streams the export into `sink` (the caller finishes it); returns (rows
/// written, total the node announced).
async fn export_into(
    args: &ExportArgs,
    policy: &TimePolicy,
    from: NaiveDate,
    to: NaiveDate,
    sink: &mut Sink<impl Write>,
) -> Result<(u64, u64)> {
    let mut stream = args
        .connection
        .summaries()
        .await?
        .export_reports(pb::ExportReportsRequest {
            unit_id: args.unit.clone(),
            from_date: from.to_string(),
            to_date: to.to_string(),
        })
        .await
        .map_err(refused)?
        .into_inner();
    let names = UnitNames::of_subtree(&args.connection, &args.unit).await?;
    let mut bar: Option<ProgressBar> = None;
    let mut written = 0u64;
    let mut announced = 0u64;
    while let Some(message) = stream.message().await.map_err(refused)? {
        let bar = bar.get_or_insert_with(|| {
            announced = message.total;
            export_bar(message.total)
        });
        for stored in &message.reports {
            sink.write(stored, policy, &names)?;
        }
        written += message.reports.len() as u64;
        bar.set_position(written);
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok((written, announced))
}

fn export_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("exporting [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

/// Whether writing failed because the reading end of a pipe closed.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let kind = if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            Some(io.kind())
        } else if let Some(json) = cause.downcast_ref::<serde_json::Error>() {
            json.io_error_kind()
        } else if let Some(csv) = cause.downcast_ref::<csv::Error>() {
            match csv.kind() {
                csv::ErrorKind::Io(io) => Some(io.kind()),
                _ => None,
            }
        } else {
            None
        };
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// `reports.csv` → `reports.csv.partial`.
fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    out.with_file_name(name)
}

// ---------------------------------------------------------------- verify

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The node's database: sqlite://PATH or postgres://USER@HOST:PORT/DB.
    #[arg(long, env = "FENGQIAO_DB")]
    pub db: String,
    /// A unit tree file to place the reports with, instead of the tree the
    /// database holds (restricted to the database's home unit when it holds one).
    #[arg(long)]
    pub tree: Option<PathBuf>,
    /// The node's time zone (IANA name); must be the node's own.
    #[arg(long, env = "FENGQIAO_TIME_ZONE", default_value = "Asia/Shanghai")]
    pub time_zone: String,
    /// The node's daily cut-off, local time HH:MM; must be the node's own.
    #[arg(long, env = "FENGQIAO_CUTOFF", default_value = "18:00")]
    pub cutoff: String,
    /// When there are differences, rebuild every rollup from the reports
    /// (one transaction) and verify again. On a live node, run once without
    /// it first: a report committed during the check can show as a passing
    /// difference.
    #[arg(long)]
    pub repair: bool,
}

/// `fengqiao verify`: recomputes a database's rollups from its reports and
/// compares; an error when anything differs (after `--repair`, when the
/// rebuilt rollups still differ). It reads week by week, not in one
/// snapshot: on a live node a report committed mid-check can show as a
/// difference, which a second run no longer shows.
pub async fn verify(args: VerifyArgs) -> Result<()> {
    crate::node::init_logging("warn");
    let policy = TimePolicy::parse(&args.time_zone, &args.cutoff)?;
    if let Some(path) = sqlite_path(&args.db)
        && !path.exists()
    {
        bail!(tr!("error-verify-no-database", path = path.display().to_string()));
    }
    let store = fengqiao_store::connect(&args.db)
        .await
        .with_context(|| format!("cannot open the database {}", args.db))?;
    let result = verify_store(&*store, &args, &policy).await;
    store.close().await;
    result
}

async fn verify_store(
    store: &dyn fengqiao_store::Store,
    args: &VerifyArgs,
    policy: &TimePolicy,
) -> Result<()> {
    let stored = store.load_units().await?;
    let tree = match (&args.tree, stored) {
        (Some(path), stored) => {
            let tree = crate::node::load_tree(path)?;
            match stored {
                Some(stored) if stored.root_id() != tree.root_id() => {
                    let root = stored.root_id().to_string();
                    tree.restricted_to(&root).ok_or_else(|| {
                        anyhow!(tr!(
                            "error-verify-unit-not-in-tree",
                            unit = root.to_string(),
                            path = path.display().to_string()
                        ))
                    })?
                }
                _ => tree,
            }
        }
        (None, Some(stored)) => stored,
        (None, None) => bail!(tr!("error-verify-no-tree")),
    };
    println!(
        "verifying the rollups of {} ({} {}, {} units; {} cut-off {})",
        args.db,
        tree.root().name,
        tree.root_id(),
        tree.len(),
        policy.zone,
        policy.cutoff.format("%H:%M")
    );
    let basis = fengqiao_store::rollup::basis(&tree, policy);
    let stored_basis = store.get_meta(fengqiao_store::rollup::BASIS_KEY).await?;
    let basis_matches = stored_basis.as_deref().is_none_or(|stored| stored == basis);
    if !basis_matches {
        eprintln!(
            "warning: the rollups were built with another tree or time policy than this one; \
             pass the node's own --time-zone and --cutoff (and no --tree) for a meaningful check"
        );
    }
    let started = std::time::Instant::now();
    let first = fengqiao_store::rollup::verify(store, &tree, policy).await?;
    print_verification(&first, started.elapsed());
    if first.differences.is_empty() {
        return Ok(());
    }
    if !args.repair {
        bail!(
            "{} differences between the rollups and the reports (--repair rebuilds them)",
            first.differences.len()
        );
    }
    if !basis_matches {
        bail!(
            "not repairing: rebuilding with a time policy or tree other than the node's would make the rollups \
             wrong; pass the node's own --time-zone and --cutoff"
        );
    }
    let started = std::time::Instant::now();
    let rebuilt = store.rebuild_rollups(policy).await?;
    println!(
        "rebuilt every rollup from {rebuilt} reports in {:.1} s; verifying again",
        started.elapsed().as_secs_f64()
    );
    let started = std::time::Instant::now();
    let second = fengqiao_store::rollup::verify(store, &tree, policy).await?;
    print_verification(&second, started.elapsed());
    if !second.differences.is_empty() {
        bail!(tr!("error-verify-differences", count = second.differences.len()));
    }
    Ok(())
}

fn print_verification(verification: &fengqiao_store::Verification, elapsed: std::time::Duration) {
    println!("  weeks holding data    {}", verification.weeks);
    println!("  reports recomputed    {}", verification.reports);
    println!("  rollup rows compared  {}", verification.rows);
    println!("  employer checks       {}", verification.employer_checks);
    println!("  differences           {}  ({:.1} s)", verification.differences.len(), elapsed.as_secs_f64());
    for difference in &verification.differences {
        println!("    {difference}");
    }
}

/// The file of a `sqlite:` URL (none for in-memory databases or other backends).
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

// ---------------------------------------------------------------- helpers

#[cfg(test)]
mod tests {
    use fengqiao_core::assessment::{Assessment, Performance, Weights};

    use chrono::{DateTime, Utc};

    use super::*;

    fn ts(rfc3339: &str) -> Option<prost_types::Timestamp> {
        let t = DateTime::parse_from_rfc3339(rfc3339).unwrap();
        Some(prost_types::Timestamp { seconds: t.timestamp(), nanos: 0 })
    }

    fn stored() -> StoredDailyReport {
        StoredDailyReport {
            report: Some(pb::DailyReport {
                unit_id: "410411001001002".into(),
                date: "2026-11-27".into(),
                revision: 2,
                reporter: "officer-17".into(),
                zero: false,
                disputes: vec![
                    pb::Dispute {
                        local_id: "d1".into(),
                        category: pb::DisputeCategory::WageArrears.into(),
                        outcome: pb::DisputeOutcome::ResolvedOnTheSpot.into(),
                        parties: 2,
                        summary: "site wages, \"September\"".into(),
                        case_id: String::new(),
                        wage_arrears: Some(pb::WageArrears {
                            employer: "某建筑公司".into(),
                            workers: 12,
                            amount_claimed_cents: 3_600_000,
                            amount_recovered_cents: 3_600_000,
                        }),
                    },
                    pb::Dispute {
                        local_id: "d2".into(),
                        category: pb::DisputeCategory::Neighbour.into(),
                        outcome: pb::DisputeOutcome::Mediating.into(),
                        ..Default::default()
                    },
                ],
                correction_reason: "paid in full, with the mediator".into(),
            }),
            accepted_at: ts("2026-11-28T01:00:00Z"),
            first_accepted_at: ts("2026-11-27T12:30:00Z"),
            on_time: false,
        }
    }

    #[test]
    fn csv_rows() {
        let policy = TimePolicy::default();
        let names = names();
        let row = csv_row(&stored(), &policy, &names);
        assert_eq!(row.len(), CSV_HEADER.len());
        assert_eq!(
            &row[..9],
            [
                "2026-11-27",
                "410411001001002",
                "2号楼",
                "湛河区 / 马庄街道 / 电力社区",
                "2",
                "officer-17",
                "false",
                "2",
                "false"
            ]
        );
        assert_eq!(row[9], "2026-11-28T09:00:00+08:00");
        assert_eq!(row[10], "2026-11-27T20:30:00+08:00");
        assert_eq!(row[11], "paid in full, with the mediator");
        let disputes: Value = serde_json::from_str(&row[12]).unwrap();
        assert_eq!(
            disputes,
            json!([
                {"id": "d1", "category": "wage_arrears", "outcome": "resolved_on_the_spot", "parties": 2,
                 "summary": "site wages, \"September\"",
                 "wage_arrears": {"employer": "某建筑公司", "workers": 12, "claimed_cents": 3600000,
                                  "recovered_cents": 3600000}},
                {"id": "d2", "category": "neighbour", "outcome": "mediating"}
            ])
        );
        assert!(!row[12].contains("\": ") && !row[12].contains('\n'), "compact JSON: {}", row[12]);

        // Through the writer: commas and quotes are quoted, and the file reads back.
        let mut sink = Sink::new(ExportFormat::Csv, Vec::new(), false).unwrap();
        sink.write(&stored(), &policy, &names).unwrap();
        let text = String::from_utf8(sink.finish().unwrap()).unwrap();
        assert!(
            text.starts_with("date,unit_id,unit_name,parent_names,revision,reporter,zero,disputes,on_time,")
        );
        assert!(text.contains(",\"paid in full, with the mediator\","));
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), CSV_HEADER);
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].iter().collect::<Vec<_>>(), row.to_vec());
    }

    /// The names of the units `stored()` reports for.
    fn names() -> UnitNames {
        UnitNames::from_units([
            ("410411", "湛河区", ""),
            ("410411001", "马庄街道", "410411"),
            ("410411001001", "电力社区", "410411001"),
            ("410411001001002", "2号楼", "410411001001"),
        ])
    }

    #[test]
    fn csv_for_excel_starts_with_a_bom_unless_asked_not_to() {
        let policy = TimePolicy::default();
        for format in [ExportFormat::Csv, ExportFormat::CsvDisputes] {
            let mut sink = Sink::new(format, Vec::new(), true).unwrap();
            sink.write(&stored(), &policy, &names()).unwrap();
            let bytes = sink.finish().unwrap();
            assert!(bytes.starts_with(BOM), "{format:?}");
            assert!(std::str::from_utf8(&bytes[3..]).unwrap().starts_with("date,unit_id,unit_name,"));
            let mut sink = Sink::new(format, Vec::new(), false).unwrap();
            sink.write(&stored(), &policy, &names()).unwrap();
            assert!(sink.finish().unwrap().starts_with(b"date,"), "{format:?}");
        }
        let mut sink = Sink::new(ExportFormat::Jsonl, Vec::new(), true).unwrap();
        sink.write(&stored(), &policy, &names()).unwrap();
        assert!(sink.finish().unwrap().starts_with(b"{"), "JSON lines have no BOM");
    }

    #[test]
    fn flat_csv_has_a_row_per_dispute() {
        let policy = TimePolicy::default();
        let mut sink = Sink::new(ExportFormat::CsvDisputes, Vec::new(), false).unwrap();
        sink.write(&stored(), &policy, &names()).unwrap();
        let mut zero = stored();
        zero.report.as_mut().unwrap().disputes.clear();
        sink.write(&zero, &policy, &names()).unwrap();
        let text = String::from_utf8(sink.finish().unwrap()).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), DISPUTE_CSV_HEADER);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2, "{text}");
        let field = |row: &csv::StringRecord, name: &str| {
            row[DISPUTE_CSV_HEADER.iter().position(|h| *h == name).unwrap()].to_owned()
        };
        assert_eq!(field(&rows[0], "unit_name"), "2号楼");
        assert_eq!(field(&rows[0], "parent_names"), "湛河区 / 马庄街道 / 电力社区");
        assert_eq!(field(&rows[0], "category"), "wage_arrears");
        assert_eq!(field(&rows[0], "outcome"), "resolved_on_the_spot");
        assert_eq!(field(&rows[0], "summary"), "site wages, \"September\"");
        assert_eq!(field(&rows[0], "employer"), "某建筑公司");
        assert_eq!(field(&rows[0], "workers"), "12");
        assert_eq!(field(&rows[0], "claimed_yuan"), "36000.00");
        assert_eq!(field(&rows[0], "accepted_at"), "2026-11-28T09:00:00+08:00");
        assert_eq!(
            (field(&rows[1], "dispute_id"), field(&rows[1], "category")),
            ("d2".into(), "neighbour".into())
        );
        assert_eq!(field(&rows[1], "employer"), "");
    }

    #[test]
    fn missing_units_are_grouped_by_township_and_community() {
        let names = UnitNames::from_units([
            ("410411", "湛河区", ""),
            ("410411001", "马庄街道", "410411"),
            ("410411002", "姚孟街道", "410411"),
            ("410411001001", "电力社区", "410411001"),
            ("410411001002", "马庄社区", "410411001"),
            ("410411002001", "姚孟社区", "410411002"),
            ("410411001001001", "1号楼", "410411001001"),
            ("410411001001002", "2号楼", "410411001001"),
            ("410411001002001", "1号楼", "410411001002"),
            ("410411002001001", "1号楼", "410411002001"),
        ]);
        let unit =
            |id: &str| pb::UnitRef { unit_id: id.into(), name: names.name(id).into(), ..Default::default() };
        let missing =
            ["410411001001001", "410411001001002", "410411001002001", "410411002001001", "410411002"]
                .map(unit);
        let text = grouped_missing(&missing, "410411", &names);
        let headings: Vec<&str> = text.lines().filter(|l| l.contains("missing")).collect();
        assert_eq!(
            headings,
            [
                "directly under 410411 湛河区: 1 missing",
                "410411001 马庄街道: 3 missing",
                "  410411001001 电力社区: 2 missing",
                "  410411001002 马庄社区: 1 missing",
                "410411002 姚孟街道: 1 missing",
                "  410411002001 姚孟社区: 1 missing",
            ],
            "{text}"
        );
    }

    #[test]
    fn jsonl_lines() {
        let mut sink = Sink::new(ExportFormat::Jsonl, Vec::new(), false).unwrap();
        sink.write(&stored(), &TimePolicy::default(), &names()).unwrap();
        sink.write(&stored(), &TimePolicy::default(), &names()).unwrap();
        let text = String::from_utf8(sink.finish().unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let value: Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(value["unit_id"], "410411001001002");
        assert_eq!(value["disputes"][0]["wage_arrears"]["workers"], 12);
    }

    #[test]
    fn zero_report_rows() {
        let mut report = stored();
        let inner = report.report.as_mut().unwrap();
        inner.disputes.clear();
        inner.zero = true;
        inner.correction_reason.clear();
        report.on_time = true;
        let row = csv_row(&report, &TimePolicy::default(), &names());
        assert_eq!((row[6].as_str(), row[7].as_str(), row[8].as_str()), ("true", "0", "true"));
        assert_eq!((row[11].as_str(), row[12].as_str()), ("", "[]"));
        let line = report_json(&report, &TimePolicy::default());
        assert_eq!(line["disputes"], json!([]));
        assert_eq!(line["zero"], json!(true));
    }

    #[test]
    fn yuan_amounts() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(7), "0.07");
        assert_eq!(yuan(3_600_000), "36,000.00");
        assert_eq!(yuan(123_456_789), "1,234,567.89");
        assert_eq!(yuan(-100_050), "-1,000.50");
    }

    #[test]
    fn durations() {
        assert_eq!(duration_text(Duration::seconds(45)), "45s");
        assert_eq!(duration_text(Duration::minutes(150)), "2h30m");
        assert_eq!(duration_text(Duration::hours(50)), "2d2h");
    }

    #[test]
    fn sqlite_paths() {
        assert_eq!(sqlite_path("sqlite://a/b.db"), Some(PathBuf::from("a/b.db")));
        assert_eq!(sqlite_path("sqlite:///tmp/x.db?mode=rwc"), Some(PathBuf::from("/tmp/x.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }

    #[test]
    fn partial_paths() {
        assert_eq!(partial_path(Path::new("out/reports.csv")), PathBuf::from("out/reports.csv.partial"));
    }

    /// A real node on `127.0.0.1:0` with a manual clock: reports in over
    /// gRPC, then the weekly summary, the export and the verification as the
    /// commands run them.
    #[tokio::test]
    async fn a_node_answers_the_commands() {
        use std::sync::Arc;

        use chrono::TimeZone;
        use fengqiao_core::{Clock, ManualClock};
        use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;

        const TREE: &str = "code,parent_code,tier,name,reporting\n\
            410411,,district,湛河区,false\n\
            410411001,410411,township,马庄街道,true\n\
            410411001001,410411001,community,电力社区,true\n\
            410411001001001,410411001001,group,1号楼,true\n\
            410411001001002,410411001001,group,2号楼,true\n";
        let policy = TimePolicy::default();
        let local = |day: u32, hour: u32| {
            policy.zone.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap().with_timezone(&Utc)
        };
        let clock = Arc::new(ManualClock::new(local(27, 10)));
        let tree = fengqiao_core::UnitTree::from_csv(TREE).unwrap();
        let store = fengqiao_store::connect("sqlite::memory:").await.unwrap();
        let node = fengqiao_node::Node::start(
            fengqiao_node::NodeConfig::new("410411"),
            &tree,
            Arc::clone(&store),
            Arc::clone(&clock) as Arc<dyn Clock>,
        )
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(fengqiao_node::serve(node, listener, async move {
            let _ = stopped.await;
        }));
        let connection = Connection {
            server: format!("http://{address}"),
            time_zone: "Asia/Shanghai".into(),
            tls: Default::default(),
        };
        let mut reporting = ReportingServiceClient::new(connection.channel().await.unwrap());
        let mut submit = async |report: pb::DailyReport| {
            reporting
                .submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report) })
                .await
                .unwrap()
                .into_inner()
        };
        let zero = |unit: &str| pb::DailyReport {
            unit_id: unit.into(),
            date: "2026-11-27".into(),
            revision: 1,
            reporter: "officer-1".into(),
            zero: true,
            ..Default::default()
        };
        // On time: a zero report and a report with a wage-arrears dispute.
        assert!(submit(zero("410411001001001")).await.on_time);
        let disputed = stored().report.unwrap();
        let disputed = pb::DailyReport {
            unit_id: "410411001001".into(),
            revision: 1,
            correction_reason: String::new(),
            ..disputed
        };
        assert!(submit(disputed).await.on_time);
        // Late; the township never reports.
        clock.set(local(27, 20));
        assert!(!submit(zero("410411001001002")).await.on_time);
        clock.set(local(28, 8));

        let summary = connection
            .summaries()
            .await
            .unwrap()
            .weekly_summary(pb::WeeklySummaryRequest {
                unit_id: "410411".into(),
                iso_week: "2026-W48".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .summary
            .unwrap();
        let text = render_summary(&summary, &policy);
        assert!(text.contains("counted through 2026-11-27"), "{text}");
        // Four reporting units on the five due days, Monday to Friday.
        assert!(text.contains("expected              20\n"), "{text}");
        assert!(text.contains("received              3 (15.0%)"), "{text}");
        assert!(text.contains("late                  1\n"), "{text}");
        assert!(text.contains("missing               17\n"), "{text}");
        assert!(text.contains("claimed ¥36,000.00, recovered ¥36,000.00, 1 distinct employer"), "{text}");
        assert!(text.contains("马庄街道"), "{text}");

        let args = ExportArgs {
            connection: connection.clone(),
            unit: "410411".into(),
            week: None,
            from: Some("2026-11-23".into()),
            to: Some("2026-11-29".into()),
            format: ExportFormat::Csv,
            out: PathBuf::from("-"),
            no_bom: true,
        };
        let (from, to) = (
            connection.date("2026-11-23", "--from").unwrap(),
            connection.date("2026-11-29", "--to").unwrap(),
        );
        let mut sink = Sink::new(ExportFormat::Csv, Vec::new(), false).unwrap();
        assert_eq!(export_into(&args, &policy, from, to, &mut sink).await.unwrap(), (3, 3));
        let text = String::from_utf8(sink.finish().unwrap()).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let units: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
        assert_eq!(units, ["410411001001", "410411001001001", "410411001001002"]);
        assert_eq!((&rows[0][2], &rows[0][3]), ("电力社区", "湛河区 / 马庄街道"));
        assert_eq!((&rows[0][7], &rows[0][8]), ("2", "true"));
        assert_eq!((&rows[2][6], &rows[2][8], &rows[2][10]), ("true", "false", "2026-11-27T20:00:00+08:00"));

        let verify = VerifyArgs {
            db: "sqlite::memory:".into(),
            tree: None,
            time_zone: "Asia/Shanghai".into(),
            cutoff: "18:00".into(),
            repair: false,
        };
        verify_store(&*store, &verify, &policy).await.unwrap();

        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }

    /// Sixty maximal reports of one unit (200 disputes of 500-character
    /// summaries each, 18 MB in all): `fengqiao reports` and `export` read
    /// every one, page by page and message by message, where the node once
    /// answered with one message no client decodes.
    #[tokio::test]
    async fn the_cli_reads_every_large_report() {
        use std::sync::Arc;

        use chrono::TimeZone;
        use fengqiao_core::{Clock, ManualClock};
        use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;

        const TREE: &str = "code,parent_code,tier,name\n410411,,district,湛河区\n\
            410411001,410411,township,马庄街道\n";
        let policy = TimePolicy::default();
        let now = policy.zone.with_ymd_and_hms(2026, 11, 28, 16, 0, 0).unwrap().with_timezone(&Utc);
        let clock = Arc::new(ManualClock::new(now));
        let tree = fengqiao_core::UnitTree::from_csv(TREE).unwrap();
        let store = fengqiao_store::connect("sqlite::memory:").await.unwrap();
        let config = fengqiao_node::NodeConfig {
            limits: fengqiao_node::Limits::unthrottled(),
            ..fengqiao_node::NodeConfig::new("410411")
        };
        let node = fengqiao_node::Node::start(config, &tree, Arc::clone(&store), clock as Arc<dyn Clock>)
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(fengqiao_node::serve(node, listener, async move {
            let _ = stopped.await;
        }));
        let connection = Connection {
            server: format!("http://{address}"),
            time_zone: "Asia/Shanghai".into(),
            tls: Default::default(),
        };
        let first = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
        let last = first + Duration::days(59);
        let mut reporting = ReportingServiceClient::new(connection.channel().await.unwrap());
        for date in first.iter_days().take(60) {
            let disputes = (0..200)
                .map(|n| pb::Dispute {
                    local_id: format!("d{n:063}"),
                    category: pb::DisputeCategory::Neighbour.into(),
                    outcome: pb::DisputeOutcome::Mediating.into(),
                    parties: 2,
                    summary: "邻".repeat(500),
                    ..Default::default()
                })
                .collect();
            let report = pb::DailyReport {
                unit_id: "410411001".into(),
                date: date.to_string(),
                revision: 1,
                reporter: "officer-1".into(),
                disputes,
                ..Default::default()
            };
            reporting
                .submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report) })
                .await
                .unwrap();
        }

        let mut dates = Vec::new();
        let read = crate::client::each_report(&connection, "410411", first, last, |stored| {
            dates.push(stored.report.as_ref().unwrap().date.clone());
            Ok(true)
        })
        .await
        .unwrap();
        assert_eq!(read, 60);
        let expected: Vec<String> = first.iter_days().take(60).map(|d| d.to_string()).collect();
        assert_eq!(dates, expected);

        let args = ExportArgs {
            connection: connection.clone(),
            unit: "410411".into(),
            week: None,
            from: Some(first.to_string()),
            to: Some(last.to_string()),
            format: ExportFormat::Jsonl,
            out: PathBuf::from("-"),
            no_bom: false,
        };
        let mut sink = Sink::new(ExportFormat::Jsonl, Vec::new(), false).unwrap();
        assert_eq!(export_into(&args, &policy, first, last, &mut sink).await.unwrap(), (60, 60));
        let text = String::from_utf8(sink.finish().unwrap()).unwrap();
        assert_eq!(text.lines().count(), 60);

        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }

    #[test]
    fn summaries_not_due_yet() {
        let summary = pb::Summary {
            unit_id: "410411".into(),
            unit_name: "湛河区".into(),
            from_date: "2026-11-30".into(),
            to_date: "2026-12-06".into(),
            iso_week: "2026-W49".into(),
            ..Default::default()
        };
        assert_eq!(
            render_summary(&summary, &TimePolicy::default()),
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
        let value = summary_json(&summary, &TimePolicy::default());
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

        let place = pb::ScorecardPlace {
            parent_unit_id: "410411001".into(),
            row: Some(summary.children[1].clone()),
            rows: 2,
        };
        let text = render_place(&place);
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
