//! `fengqiao weekly …`: the weekly resolution work report (化解工作周报告)
//! as a document, over `fengqiao.v1.WeeklyService` — file (or refile) it,
//! withdraw a filing, review one (approve or return), take an approval back,
//! the filing board of a unit ([`WeeklyCommand::Status`]) and the document
//! itself ([`WeeklyCommand::Show`]). Every step names the filing it acts on:
//! the commands read the report first when the filing is not given, so a
//! refile is one command and a resend is refused, never taken twice.
//!
//! `--json` prints [`ReportView`] (or [`StatusView`]): the wire message with
//! its enums by identifier (`approved`), its instants in the deployment's
//! zone and the frozen figures as the summary's read model.

use anyhow::{Result, bail};
use chrono_tz::Tz;
use fengqiao_core::actor::Actor;
use fengqiao_core::read::{Moment, Summary};
use fengqiao_proto::pb;
use serde::Serialize;

use crate::commands::case::names::name_of;
use crate::commands::case::render::actor_text;
use crate::connection::{Connection, out, refused};
use crate::render::{percent, time_fmt, yuan};
use crate::tr;

#[derive(Debug, clap::Subcommand)]
pub enum WeeklyCommand {
    /// File (or refile) the week's report of the node's own unit (leaders of the unit).
    File(FileArgs),
    /// Withdraw a filing not yet reviewed (leaders of the filing unit).
    Withdraw(WithdrawArgs),
    /// Review a child node's filing (or the root's own): --approve, or --return with --comments.
    Review(ReviewArgs),
    /// Approve a filing (the current one unless --filing): `weekly review --approve`.
    Approve(ApproveArgs),
    /// Return a filing to the filer with comments: `weekly review --return`.
    Return(ReturnArgs),
    /// Take an approval back, with a reason; the unit refiles (the reviewing unit or above).
    Unapprove(UnapproveArgs),
    /// The filing board of a unit for a week: its own report, each child node's, held reports.
    Status(TargetArgs),
    /// The week's report as a document: state, frozen figures, narrative, every step.
    Show(TargetArgs),
}

/// `fengqiao weekly …`.
pub async fn run(command: WeeklyCommand) -> Result<()> {
    match command {
        WeeklyCommand::File(args) => file(args).await,
        WeeklyCommand::Withdraw(args) => withdraw(args).await,
        WeeklyCommand::Review(args) => {
            let decision = if args.approve { Decision::Approve } else { Decision::Return };
            review(&args.target, args.filing, decision, args.comments.unwrap_or_default()).await
        }
        WeeklyCommand::Approve(args) => {
            review(&args.target, args.filing, Decision::Approve, String::new()).await
        }
        WeeklyCommand::Return(args) => {
            review(&args.target, args.filing, Decision::Return, args.comments).await
        }
        WeeklyCommand::Unapprove(args) => unapprove(args).await,
        WeeklyCommand::Status(args) => status(args).await,
        WeeklyCommand::Show(args) => show(args).await,
    }
}

/// The report a command acts on, and how it prints its answer.
#[derive(Debug, clap::Args)]
pub struct TargetArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit whose weekly report it is.
    #[arg(long)]
    pub unit: String,
    /// The ISO week: `2026-W48`, `this`, `last`, or a date in it.
    #[arg(long)]
    pub week: String,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

impl TargetArgs {
    fn week(&self) -> Result<String> {
        Ok(self.connection.week(&self.week, "--week")?.to_string())
    }

    /// The report as it stands (every step).
    async fn read(&self) -> Result<pb::WeeklyReport> {
        let request = pb::GetWeeklyReportRequest { unit_id: self.unit.clone(), iso_week: self.week()? };
        let answer =
            self.connection.weekly().await?.get_weekly_report(request).await.map_err(refused)?.into_inner();
        Ok(answer.report.unwrap_or_default())
    }

    /// `given`, else the report's current filing (read first).
    async fn filing_or_current(&self, given: Option<u32>) -> Result<u32> {
        match given {
            Some(filing) => Ok(filing),
            None => {
                let report = self.read().await?;
                if report.filing == 0 {
                    bail!(tr!("weekly-nothing-filed", unit = &self.unit, week = report.iso_week));
                }
                Ok(report.filing)
            }
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct FileArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// 主要矛盾纠纷及化解情况: the main disputes and how they are being resolved.
    #[arg(long, default_value = "")]
    pub main_disputes: String,
    /// 已化解和未化解案件: cases resolved and still open.
    #[arg(long, default_value = "")]
    pub cases: String,
    /// 需上级协调解决的问题: problems needing the higher tier's help.
    #[arg(long, default_value = "")]
    pub help_needed: String,
    /// 下周工作重点: next week's focus.
    #[arg(long, default_value = "")]
    pub next_week_focus: String,
    /// The filing this one follows (0 for the first); read from the node when absent, so a
    /// refile after a withdrawal, return or unapproval is one command.
    #[arg(long)]
    pub expected_filing: Option<u32>,
}

/// `fengqiao weekly file`.
async fn file(args: FileArgs) -> Result<()> {
    let target = &args.target;
    let expected_filing = match args.expected_filing {
        Some(expected) => expected,
        None => target.read().await?.filing,
    };
    let request = pb::FileWeeklyReportRequest {
        unit_id: target.unit.clone(),
        iso_week: target.week()?,
        narrative: Some(pb::WeeklyNarrative {
            main_disputes: args.main_disputes,
            cases: args.cases,
            help_needed: args.help_needed,
            next_week_focus: args.next_week_focus,
        }),
        expected_filing,
    };
    let answer = target.connection.weekly().await?.file_weekly_report(request).await.map_err(refused)?;
    print_step(target, answer.into_inner().report)
}

#[derive(Debug, clap::Args)]
pub struct WithdrawArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The filing to withdraw.
    #[arg(long)]
    pub filing: u32,
    /// Why (at most 2000 characters).
    #[arg(long, default_value = "")]
    pub reason: String,
}

/// `fengqiao weekly withdraw`.
async fn withdraw(args: WithdrawArgs) -> Result<()> {
    let target = &args.target;
    let request = pb::WithdrawWeeklyReportRequest {
        unit_id: target.unit.clone(),
        iso_week: target.week()?,
        filing: args.filing,
        reason: args.reason,
    };
    let answer = target.connection.weekly().await?.withdraw_weekly_report(request).await.map_err(refused)?;
    print_step(target, answer.into_inner().report)
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("decision").required(true).args(["approve", "return"])))]
pub struct ReviewArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The filing reviewed (the current one when absent).
    #[arg(long)]
    pub filing: Option<u32>,
    /// Approve the filing.
    #[arg(long)]
    pub approve: bool,
    /// Return the filing to the filer (needs --comments).
    #[arg(long = "return", requires = "comments")]
    pub r#return: bool,
    /// The reviewer's comments (required to return; at most 4000 characters).
    #[arg(long)]
    pub comments: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The filing approved (the current one when absent).
    #[arg(long)]
    pub filing: Option<u32>,
}

#[derive(Debug, clap::Args)]
pub struct ReturnArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The filing returned (the current one when absent).
    #[arg(long)]
    pub filing: Option<u32>,
    /// What the filer is to change (at most 4000 characters).
    #[arg(long)]
    pub comments: String,
}

#[derive(Debug, Clone, Copy)]
enum Decision {
    Approve,
    Return,
}

/// `fengqiao weekly review|approve|return`.
async fn review(
    target: &TargetArgs,
    filing: Option<u32>,
    decision: Decision,
    comments: String,
) -> Result<()> {
    let filing = target.filing_or_current(filing).await?;
    let request = pb::ReviewWeeklyReportRequest {
        unit_id: target.unit.clone(),
        iso_week: target.week()?,
        filing,
        decision: match decision {
            Decision::Approve => pb::WeeklyDecision::Approve,
            Decision::Return => pb::WeeklyDecision::Return,
        }
        .into(),
        comments,
    };
    let answer = target.connection.weekly().await?.review_weekly_report(request).await.map_err(refused)?;
    print_step(target, answer.into_inner().report)
}

#[derive(Debug, clap::Args)]
pub struct UnapproveArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The approved filing (the current one when absent).
    #[arg(long)]
    pub filing: Option<u32>,
    /// Why the approval is taken back (required, at most 2000 characters).
    #[arg(long)]
    pub reason: String,
}

/// `fengqiao weekly unapprove`.
async fn unapprove(args: UnapproveArgs) -> Result<()> {
    let target = &args.target;
    let filing = target.filing_or_current(args.filing).await?;
    let request = pb::UnapproveWeeklyReportRequest {
        unit_id: target.unit.clone(),
        iso_week: target.week()?,
        filing,
        reason: args.reason,
    };
    let answer = target.connection.weekly().await?.unapprove_weekly_report(request).await.map_err(refused)?;
    print_step(target, answer.into_inner().report)
}

/// After a step: the report as it now stands, one line (or the JSON).
fn print_step(target: &TargetArgs, report: Option<pb::WeeklyReport>) -> Result<()> {
    let zone = target.connection.zone_policy()?.zone;
    let report = report.unwrap_or_default();
    if target.json {
        println!("{}", serde_json::to_string(&ReportView::of(&report, &zone)?)?);
    } else {
        println!("{}", step_text(&report));
    }
    Ok(())
}

/// What the last step did: "410411001 2026-W48: approved (filing 1)".
pub(crate) fn step_text(report: &pb::WeeklyReport) -> String {
    let step = report.history.last().map(|event| step_name(event.step)).unwrap_or_default();
    tr!(
        "weekly-step-taken",
        unit = &report.unit_id,
        week = &report.iso_week,
        step = crate::i18n::name("weekly-step", &step),
        filing = report.filing,
        state = state_text(report.state)
    )
}

/// `fengqiao weekly status`: the board.
async fn status(args: TargetArgs) -> Result<()> {
    let zone = args.connection.zone_policy()?.zone;
    let request = pb::WeeklyStatusRequest { unit_id: args.unit.clone(), iso_week: args.week()? };
    let answer = args.connection.weekly().await?.weekly_status(request).await.map_err(refused)?.into_inner();
    if args.json {
        println!("{}", serde_json::to_string(&StatusView::of(&answer, &zone)?)?);
    } else {
        out(render_status(&answer, &zone).trim_end())?;
    }
    Ok(())
}

/// `fengqiao weekly show`: the document.
async fn show(args: TargetArgs) -> Result<()> {
    let zone = args.connection.zone_policy()?.zone;
    let report = args.read().await?;
    if args.json {
        println!("{}", serde_json::to_string(&ReportView::of(&report, &zone)?)?);
    } else {
        out(render_report(&report, &zone)?.trim_end())?;
    }
    Ok(())
}

/// `filed` for `WEEKLY_STEP_FILED`.
fn step_name(step: i32) -> String {
    pb::WeeklyStep::try_from(step).map(name_of).unwrap_or_else(|_| "unspecified".to_owned())
}

/// `approved` for `WEEKLY_STATE_APPROVED`.
fn state_name(state: i32) -> String {
    pb::WeeklyState::try_from(state).map(name_of).unwrap_or_else(|_| "unspecified".to_owned())
}

/// A state in the reader's language.
fn state_text(state: i32) -> String {
    crate::i18n::name("weekly-state", &state_name(state))
}

fn when(at: Option<prost_types::Timestamp>, zone: &Tz) -> String {
    time_fmt::wire_for_people(at, zone).unwrap_or_else(|| "-".to_owned())
}

/// One line of the report: where it stands, due, first filed, late.
fn standing_text(report: &pb::WeeklyReport, zone: &Tz) -> String {
    let first = match report.first_filed_at {
        None => tr!("weekly-never-filed"),
        Some(_) => when(report.first_filed_at, zone),
    };
    tr!(
        "weekly-standing",
        state = state_text(report.state),
        filing = report.filing,
        due = when(report.due_at, zone),
        first = first,
        late = if report.late { tr!("word-late") } else { tr!("word-on-time") }
    )
}

/// The board as text.
pub(crate) fn render_status(status: &pb::WeeklyStatusResponse, zone: &Tz) -> String {
    let own = status.own.clone().unwrap_or_default();
    let mut text =
        tr!("weekly-status-header", name = &own.unit_name, unit = &status.unit_id, week = &status.iso_week);
    text += "\n  ";
    text += &standing_text(&own, zone);
    text += "\n";
    if status.children.is_empty() {
        text += &tr!("weekly-no-children");
        text += "\n";
    } else {
        let mut table = crate::render::table::new(crate::i18n::headings([
            "unit",
            "name",
            "weekly-state",
            "late",
            "first-filed",
            "filing",
        ]));
        for child in &status.children {
            table.add_row([
                child.unit_id.clone(),
                child.unit_name.clone(),
                state_text(child.state),
                if child.late { tr!("word-late") } else { String::new() },
                when(child.first_filed_at, zone),
                child.filing.to_string(),
            ]);
        }
        text += &format!("{table}\n");
        text += &tr!(
            "weekly-status-counts",
            children = status.children.len(),
            filed = status.filed,
            approved = status.approved,
            returned = status.returned,
            late = status.late,
            not_filed = status.not_filed
        );
        text += "\n";
    }
    if status.held.is_empty() {
        text += &tr!("weekly-none-held");
        text += "\n";
    } else {
        text += &tr!("weekly-held-intro", count = status.held.len());
        text += "\n";
        for held in &status.held {
            text += "  ";
            text += &tr!(
                "weekly-held-line",
                unit = &held.unit_id,
                date = &held.date,
                revision = held.revision,
                locked_by = &held.locked_by_unit_id,
                at = when(held.held_at, zone)
            );
            text += "\n";
        }
    }
    text
}

/// The document as text: standing, the latest filing's frozen figures and
/// narrative, then every step.
pub(crate) fn render_report(report: &pb::WeeklyReport, zone: &Tz) -> Result<String> {
    let mut text =
        tr!("weekly-show-header", name = &report.unit_name, unit = &report.unit_id, week = &report.iso_week);
    text += "\n  ";
    text += &standing_text(report, zone);
    text += "\n";
    let line = |label: String, value: String| format!("  {}{value}\n", crate::render::table::pad(&label, 22));
    let filed = report.history.iter().rev().find_map(|event| event.filed.as_ref().map(|f| (event.filing, f)));
    if let Some((filing, filed)) = filed {
        if let Some(figures) = &filed.figures {
            let summary: Summary = fengqiao_proto::convert_at(figures.clone(), "figures")?;
            let summary = summary.in_zone(*zone);
            let (t, rates, wage, cases) =
                (&summary.totals, summary.rates, summary.totals.wage_arrears, summary.cases.counts);
            text += "\n";
            text += &tr!(
                "weekly-figures-intro",
                filing = filing,
                at = summary.computed_at.for_people(),
                percent = percent(summary.arrived_percent)
            );
            text += "\n";
            text += &line(tr!("summary-expected"), t.expected.to_string());
            text += &line(
                tr!("summary-received"),
                tr!(
                    "summary-received-value",
                    count = t.received,
                    percent = percent(rates.completeness_percent)
                ),
            );
            text += &line(
                tr!("summary-on-time"),
                tr!("summary-on-time-value", count = t.on_time, percent = percent(rates.timeliness_percent)),
            );
            text += &line(
                tr!("summary-disputes"),
                tr!("summary-disputes-value", count = t.disputes, parties = t.parties),
            );
            text += &line(
                tr!("summary-wage-arrears"),
                tr!(
                    "summary-wage-value",
                    disputes = wage.disputes,
                    resolved = wage.resolved,
                    workers = wage.workers
                ),
            );
            text += &line(
                String::new(),
                tr!(
                    "summary-wage-amounts",
                    claimed = yuan(wage.amount_claimed_cents),
                    recovered = yuan(wage.amount_recovered_cents),
                    employers = u64::try_from(wage.employers).unwrap_or(0)
                ),
            );
            text += &line(
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
        }
        let narrative = filed.narrative.clone().unwrap_or_default();
        text += "\n";
        for (label, value) in [
            (tr!("weekly-main-disputes"), &narrative.main_disputes),
            (tr!("weekly-cases"), &narrative.cases),
            (tr!("weekly-help-needed"), &narrative.help_needed),
            (tr!("weekly-next-week-focus"), &narrative.next_week_focus),
        ] {
            let value = if value.trim().is_empty() { "-".to_owned() } else { value.clone() };
            text += &format!("{label}\n  {value}\n");
        }
    }
    if report.history.is_empty() {
        return Ok(text);
    }
    text += "\n";
    let mut table = crate::render::table::new(crate::i18n::headings([
        "filing", "step", "at", "actor", "by-unit", "note",
    ]));
    for event in &report.history {
        let actor = event
            .actor
            .clone()
            .and_then(|actor| Actor::try_from(actor).ok())
            .map(|actor| actor_text(&actor))
            .unwrap_or_default();
        table.add_row([
            event.filing.to_string(),
            crate::i18n::name("weekly-step", &step_name(event.step)),
            when(event.at, zone),
            actor,
            event.by_unit_id.clone(),
            event.text.clone(),
        ]);
    }
    text += &format!("{table}\n");
    Ok(text)
}

/// `weekly show --json` (and every step's `--json`): one report.
#[derive(Debug, Serialize)]
pub struct ReportView {
    pub unit_id: String,
    pub unit_name: String,
    pub iso_week: String,
    /// `not_filed`, `overdue`, `filed`, `withdrawn`, `returned`, `approved`, `unapproved`.
    pub state: String,
    pub due_at: Option<Moment>,
    pub first_filed_at: Option<Moment>,
    pub late: bool,
    /// The latest filing, 0 when none.
    pub filing: u32,
    pub history: Vec<EventView>,
}

/// One step of a report.
#[derive(Debug, Serialize)]
pub struct EventView {
    pub filing: u32,
    /// `filed`, `withdrawn`, `returned`, `approved`, `unapproved`.
    pub step: String,
    pub at: Option<Moment>,
    pub actor: Option<Actor>,
    pub by_unit_id: String,
    /// Comments (returned) or the reason (withdrawn, unapproved).
    pub text: Option<String>,
    pub reviewer_unit_id: Option<String>,
    pub filed: Option<FilingView>,
}

/// What a filing froze.
#[derive(Debug, Serialize)]
pub struct FilingView {
    pub figures: Option<Summary>,
    pub main_disputes: String,
    pub cases: String,
    pub help_needed: String,
    pub next_week_focus: String,
    pub due_at: Option<Moment>,
    pub late: bool,
    pub child_node_unit_ids: Vec<String>,
}

fn moment(at: Option<prost_types::Timestamp>, zone: &Tz) -> Option<Moment> {
    time_fmt::wire(at).map(|at| Moment::utc(at).in_zone(*zone))
}

fn non_empty(value: &str) -> Option<String> {
    Some(value.to_owned()).filter(|value| !value.is_empty())
}

impl ReportView {
    pub fn of(report: &pb::WeeklyReport, zone: &Tz) -> Result<ReportView> {
        let history = report
            .history
            .iter()
            .map(|event| {
                let filed = match &event.filed {
                    None => None,
                    Some(filed) => {
                        let narrative = filed.narrative.clone().unwrap_or_default();
                        let figures = match &filed.figures {
                            None => None,
                            Some(figures) => Some(
                                fengqiao_proto::convert_at::<_, Summary>(figures.clone(), "filed.figures")?
                                    .in_zone(*zone),
                            ),
                        };
                        Some(FilingView {
                            figures,
                            main_disputes: narrative.main_disputes,
                            cases: narrative.cases,
                            help_needed: narrative.help_needed,
                            next_week_focus: narrative.next_week_focus,
                            due_at: moment(filed.due_at, zone),
                            late: filed.late,
                            child_node_unit_ids: filed.child_node_unit_ids.clone(),
                        })
                    }
                };
                Ok(EventView {
                    filing: event.filing,
                    step: step_name(event.step),
                    at: moment(event.at, zone),
                    actor: event.actor.clone().and_then(|actor| Actor::try_from(actor).ok()),
                    by_unit_id: event.by_unit_id.clone(),
                    text: non_empty(&event.text),
                    reviewer_unit_id: non_empty(&event.reviewer_unit_id),
                    filed,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ReportView {
            unit_id: report.unit_id.clone(),
            unit_name: report.unit_name.clone(),
            iso_week: report.iso_week.clone(),
            state: state_name(report.state),
            due_at: moment(report.due_at, zone),
            first_filed_at: moment(report.first_filed_at, zone),
            late: report.late,
            filing: report.filing,
            history,
        })
    }
}

/// `weekly status --json`: the board.
#[derive(Debug, Serialize)]
pub struct StatusView {
    pub unit_id: String,
    pub iso_week: String,
    pub own: Option<ReportView>,
    pub children: Vec<ReportView>,
    pub filed: u32,
    pub approved: u32,
    pub returned: u32,
    pub late: u32,
    pub not_filed: u32,
    pub held: Vec<HeldView>,
}

/// A report held for the week's approvers.
#[derive(Debug, Serialize)]
pub struct HeldView {
    pub unit_id: String,
    pub date: String,
    pub revision: u32,
    pub locked_by_unit_id: String,
    pub held_at: Option<Moment>,
}

impl StatusView {
    pub fn of(status: &pb::WeeklyStatusResponse, zone: &Tz) -> Result<StatusView> {
        Ok(StatusView {
            unit_id: status.unit_id.clone(),
            iso_week: status.iso_week.clone(),
            own: status.own.as_ref().map(|own| ReportView::of(own, zone)).transpose()?,
            children: status
                .children
                .iter()
                .map(|child| ReportView::of(child, zone))
                .collect::<Result<_>>()?,
            filed: status.filed,
            approved: status.approved,
            returned: status.returned,
            late: status.late,
            not_filed: status.not_filed,
            held: status
                .held
                .iter()
                .map(|held| HeldView {
                    unit_id: held.unit_id.clone(),
                    date: held.date.clone(),
                    revision: held.revision,
                    locked_by_unit_id: held.locked_by_unit_id.clone(),
                    held_at: moment(held.held_at, zone),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::commands::tests::ts;

    fn report() -> pb::WeeklyReport {
        let filed = pb::WeeklyEvent {
            unit_id: "410411001".into(),
            iso_week: "2026-W48".into(),
            filing: 1,
            step: pb::WeeklyStep::Filed.into(),
            at: ts("2026-11-30T02:00:00Z"),
            actor: Some(pb::Actor {
                kind: Some(pb::actor::Kind::Unverified(pb::UnverifiedActor {
                    text: "leader".into(),
                    on_behalf_of: None,
                })),
            }),
            by_unit_id: "410411001".into(),
            filed: Some(pb::WeeklyFiling {
                figures: Some(pb::Summary {
                    unit_id: "410411001".into(),
                    unit_name: "马庄街道".into(),
                    tier: pb::Tier::Township.into(),
                    from_date: "2026-11-23".into(),
                    to_date: "2026-11-29".into(),
                    through_date: "2026-11-29".into(),
                    iso_week: "2026-W48".into(),
                    totals: Some(pb::Tally {
                        expected: 70,
                        received: 63,
                        on_time: 60,
                        disputes: 5,
                        ..Default::default()
                    }),
                    rates: Some(pb::Rates { completeness_percent: 90.0, ..Default::default() }),
                    computed_at: ts("2026-11-30T02:00:00Z"),
                    cases_as_of: ts("2026-11-30T02:00:00Z"),
                    ..Default::default()
                }),
                narrative: Some(pb::WeeklyNarrative {
                    main_disputes: "邻里纠纷 3 起".into(),
                    ..Default::default()
                }),
                due_at: ts("2026-11-30T04:00:00Z"),
                late: false,
                child_node_unit_ids: vec!["410411001001".into()],
            }),
            ..Default::default()
        };
        let approved = pb::WeeklyEvent {
            filing: 1,
            step: pb::WeeklyStep::Approved.into(),
            at: ts("2026-11-30T08:00:00Z"),
            by_unit_id: "410411".into(),
            reviewer_unit_id: "410411".into(),
            ..Default::default()
        };
        pb::WeeklyReport {
            unit_id: "410411001".into(),
            unit_name: "马庄街道".into(),
            iso_week: "2026-W48".into(),
            state: pb::WeeklyState::Approved.into(),
            due_at: ts("2026-11-30T04:00:00Z"),
            first_filed_at: ts("2026-11-30T02:00:00Z"),
            late: false,
            filing: 1,
            history: vec![filed, approved],
        }
    }

    #[test]
    fn the_document_and_its_json() {
        let zone = chrono_tz::Asia::Shanghai;
        let report = report();
        let text = render_report(&report, &zone).unwrap();
        assert!(text.starts_with("马庄街道 (410411001): weekly report for 2026-W48\n"), "{text}");
        assert!(
            text.contains(
                "approved, filing 1; due 2026-11-30 12:00:00; first filed 2026-11-30 10:00:00, on time"
            ),
            "{text}"
        );
        assert!(text.contains("received              63 (90.0%)"), "{text}");
        assert!(text.contains("邻里纠纷 3 起"), "{text}");
        let line = text.lines().find(|line| line.contains("2026-11-30 16:00:00")).unwrap();
        assert!(line.contains("approved") && line.contains("410411"), "{line}");
        assert_eq!(step_text(&report), "410411001 2026-W48: approved (filing 1); now approved");

        let value = serde_json::to_value(ReportView::of(&report, &zone).unwrap()).unwrap();
        assert_eq!(value["state"], json!("approved"));
        assert_eq!(value["due_at"], json!("2026-11-30T12:00:00+08:00"));
        assert_eq!(value["history"][0]["step"], json!("filed"));
        assert_eq!(value["history"][0]["filed"]["figures"]["totals"]["received"], json!(63));
        assert_eq!(value["history"][0]["filed"]["child_node_unit_ids"], json!(["410411001001"]));
        assert_eq!(value["history"][1]["reviewer_unit_id"], json!("410411"));
        assert_eq!(value["history"][1]["text"], serde_json::Value::Null);
    }

    #[test]
    fn the_board() {
        let zone = chrono_tz::Asia::Shanghai;
        let child = pb::WeeklyReport {
            unit_id: "410411001001".into(),
            unit_name: "电力社区".into(),
            state: pb::WeeklyState::Overdue.into(),
            late: true,
            ..Default::default()
        };
        let status = pb::WeeklyStatusResponse {
            unit_id: "410411001".into(),
            iso_week: "2026-W48".into(),
            own: Some(pb::WeeklyReport { history: vec![], ..report() }),
            children: vec![child],
            late: 1,
            not_filed: 1,
            held: vec![pb::HeldForApproval {
                unit_id: "410411001001001".into(),
                date: "2026-11-25".into(),
                revision: 2,
                locked_by_unit_id: "410411001".into(),
                held_at: ts("2026-12-01T01:00:00Z"),
            }],
            ..Default::default()
        };
        let text = render_status(&status, &zone);
        assert!(text.contains("电力社区") && text.contains("overdue"), "{text}");
        assert!(
            text.contains("1 child node: 0 filed, 0 approved, 0 returned, 1 late, 1 not filed"),
            "{text}"
        );
        assert!(
            text.contains("410411001001001 2026-11-25 revision 2, locked by 410411001's approval, held since 2026-12-01 09:00:00"),
            "{text}"
        );
        let value = serde_json::to_value(StatusView::of(&status, &zone).unwrap()).unwrap();
        assert_eq!(value["children"][0]["state"], json!("overdue"));
        assert_eq!(value["held"][0]["held_at"], json!("2026-12-01T09:00:00+08:00"));
    }
}
