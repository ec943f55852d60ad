//! `fengqiao contact …`: key projects (重点项目) and leaders' contact duties
//! (包片/包案) over `fengqiao.v1.ContactService` — set and list projects,
//! set, end and list duties, and a leader's figures (their townships'
//! summaries, their projects' cases, the cases they lead); the latter is
//! also `fengqiao summary --leader`.

use anyhow::{Result, anyhow, bail};
use chrono::NaiveDate;
use fengqiao_proto::pb;
use serde_json::json;

use crate::connection::{Connection, out, refused};
use crate::render::percent;
use crate::tr;

#[derive(Debug, clap::Subcommand)]
pub enum ContactCommand {
    /// Key projects (重点项目): a named site or employer lying in a unit.
    Project {
        #[command(subcommand)]
        command: ProjectCommand,
    },
    /// Leaders' contact duties (联系点): a leader and a township or project for dated days.
    Duty {
        #[command(subcommand)]
        command: DutyCommand,
    },
    /// A leader's townships and projects with their figures, and the cases they lead (包案).
    Figures(FiguresArgs),
}

#[derive(Debug, clap::Subcommand)]
pub enum ProjectCommand {
    /// Register or update a project (leaders and admins of its unit or above).
    Set(ProjectSetArgs),
    /// The projects lying in a unit's subtree.
    List(ProjectListArgs),
}

#[derive(Debug, clap::Subcommand)]
pub enum DutyCommand {
    /// Assign a leader to a township or a project (leaders and admins of the district).
    Set(DutySetArgs),
    /// End a duty: resend it with its last day.
    End(DutyEndArgs),
    /// The duties of a leader, or on a unit's subtree.
    List(DutyListArgs),
}

#[derive(Debug, clap::Args)]
pub struct ProjectSetArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Lowercase letters, digits, '-' and '_'.
    #[arg(long)]
    pub id: String,
    #[arg(long)]
    pub name: String,
    /// The unit it lies in.
    #[arg(long)]
    pub unit: String,
    /// construction, employer or other.
    #[arg(long, default_value = "construction")]
    pub kind: String,
    /// First day: YYYY-MM-DD, today or yesterday.
    #[arg(long, default_value = "today")]
    pub from: String,
    /// Last day, if it has ended.
    #[arg(long)]
    pub until: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ProjectListArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit whose subtree's projects are listed (the caller's when omitted).
    #[arg(long, default_value = "")]
    pub unit: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct DutySetArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The duty's id (generated when omitted; resending an id replaces its dates).
    #[arg(long, default_value = "")]
    pub id: String,
    /// The leader's person id, as in their certificate.
    #[arg(long)]
    pub leader: String,
    /// A township.
    #[arg(long, required_unless_present = "project", conflicts_with = "project")]
    pub unit: Option<String>,
    /// A project.
    #[arg(long)]
    pub project: Option<String>,
    /// First day: YYYY-MM-DD, today or yesterday.
    #[arg(long, default_value = "today")]
    pub from: String,
    /// Last day, when known.
    #[arg(long)]
    pub until: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct DutyEndArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The duty's id.
    #[arg(long)]
    pub id: String,
    /// Its last day: YYYY-MM-DD, today or yesterday.
    #[arg(long, default_value = "today")]
    pub on: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct DutyListArgs {
    #[command(flatten)]
    pub connection: Connection,
    #[arg(long, default_value = "")]
    pub leader: String,
    /// Duties on this unit's subtree (the caller's unit when omitted).
    #[arg(long, default_value = "")]
    pub unit: String,
    /// Only duties in force on this day.
    #[arg(long)]
    pub on: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct FiguresArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The leader's person id.
    #[arg(long)]
    pub leader: String,
    /// First day: YYYY-MM-DD, today or yesterday (default: 30 days before --to).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day (inclusive; default today).
    #[arg(long, default_value = "today")]
    pub to: String,
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao contact …`.
pub async fn run(command: ContactCommand) -> Result<()> {
    match command {
        ContactCommand::Project { command: ProjectCommand::Set(args) } => project_set(args).await,
        ContactCommand::Project { command: ProjectCommand::List(args) } => project_list(args).await,
        ContactCommand::Duty { command: DutyCommand::Set(args) } => duty_set(args).await,
        ContactCommand::Duty { command: DutyCommand::End(args) } => duty_end(args).await,
        ContactCommand::Duty { command: DutyCommand::List(args) } => duty_list(args).await,
        ContactCommand::Figures(args) => {
            let to = args.connection.date(&args.to, "--to")?;
            let from = match &args.from {
                Some(from) => args.connection.date(from, "--from")?,
                None => to - chrono::Duration::days(29),
            };
            leader_figures(&args.connection, &args.leader, from, to, args.json).await
        }
    }
}

fn project_json(p: &pb::Project) -> serde_json::Value {
    json!({"project_id": p.project_id, "name": p.name, "unit_id": p.unit_id, "kind": p.kind, "from": p.from, "until": p.until})
}

fn duty_json(d: &pb::ContactDuty) -> serde_json::Value {
    json!({"duty_id": d.duty_id, "leader": d.leader, "unit_id": d.unit_id, "project_id": d.project_id, "from": d.from, "until": d.until})
}

fn area_of(d: &pb::ContactDuty) -> String {
    if d.unit_id.is_empty() { d.project_id.clone() } else { d.unit_id.clone() }
}

fn until_text(until: &str) -> String {
    if until.is_empty() { "-".to_owned() } else { until.to_owned() }
}

async fn project_set(args: ProjectSetArgs) -> Result<()> {
    let connection = &args.connection;
    let from = connection.date(&args.from, "--from")?;
    let until = args.until.as_deref().map(|u| connection.date(u, "--until")).transpose()?;
    let project = pb::Project {
        project_id: args.id.clone(),
        name: args.name.clone(),
        unit_id: args.unit.clone(),
        kind: args.kind.clone(),
        from: from.to_string(),
        until: until.map(|u| u.to_string()).unwrap_or_default(),
    };
    let answer = connection
        .contacts()
        .await?
        .set_project(pb::SetProjectRequest { project: Some(project) })
        .await
        .map_err(refused)?
        .into_inner();
    let project = answer.project.ok_or_else(|| anyhow!(tr!("error-contact-no-answer")))?;
    if args.json {
        println!("{}", json!({"project": project_json(&project), "created": answer.created}));
    } else {
        let key = if answer.created { "contact-project-created" } else { "contact-project-updated" };
        println!(
            "{}",
            crate::i18n::text_with(
                key,
                vec![
                    ("project", crate::i18n::value(&project.project_id)),
                    ("unit", crate::i18n::value(&project.unit_id))
                ]
            )
        );
    }
    Ok(())
}

async fn project_list(args: ProjectListArgs) -> Result<()> {
    let answer = args
        .connection
        .contacts()
        .await?
        .list_projects(pb::ListProjectsRequest { unit_id: args.unit.clone() })
        .await
        .map_err(refused)?
        .into_inner();
    if args.json {
        println!("{}", json!(answer.projects.iter().map(project_json).collect::<Vec<_>>()));
        return Ok(());
    }
    let mut table = crate::render::table::plain();
    table.set_header(crate::i18n::headings(["project", "name", "unit", "kind", "from", "until"]));
    for p in &answer.projects {
        table.add_row([
            p.project_id.clone(),
            p.name.clone(),
            p.unit_id.clone(),
            p.kind.clone(),
            p.from.clone(),
            until_text(&p.until),
        ]);
    }
    out(table)?;
    Ok(())
}

async fn set_duty(connection: &Connection, duty: pb::ContactDuty, json: bool) -> Result<()> {
    let answer = connection
        .contacts()
        .await?
        .set_contact_duty(pb::SetContactDutyRequest { duty: Some(duty) })
        .await
        .map_err(refused)?
        .into_inner();
    let duty = answer.duty.ok_or_else(|| anyhow!(tr!("error-contact-no-answer")))?;
    if json {
        println!("{}", duty_json(&duty));
    } else {
        println!(
            "{}",
            tr!(
                "contact-duty-set",
                duty = &duty.duty_id,
                leader = &duty.leader,
                area = &area_of(&duty),
                from = &duty.from,
                until = &until_text(&duty.until)
            )
        );
    }
    Ok(())
}

async fn duty_set(args: DutySetArgs) -> Result<()> {
    let connection = &args.connection;
    let from = connection.date(&args.from, "--from")?;
    let until = args.until.as_deref().map(|u| connection.date(u, "--until")).transpose()?;
    let duty = pb::ContactDuty {
        duty_id: args.id.clone(),
        leader: args.leader.clone(),
        unit_id: args.unit.clone().unwrap_or_default(),
        project_id: args.project.clone().unwrap_or_default(),
        from: from.to_string(),
        until: until.map(|u| u.to_string()).unwrap_or_default(),
        set_by: None,
    };
    set_duty(connection, duty, args.json).await
}

async fn duty_end(args: DutyEndArgs) -> Result<()> {
    let connection = &args.connection;
    let on = connection.date(&args.on, "--on")?;
    let duties = connection
        .contacts()
        .await?
        .list_contact_duties(pb::ListContactDutiesRequest::default())
        .await
        .map_err(refused)?
        .into_inner()
        .duties;
    let Some(duty) = duties.into_iter().find(|d| d.duty_id == args.id) else {
        bail!(tr!("error-no-such-duty", duty = &args.id));
    };
    set_duty(connection, pb::ContactDuty { until: on.to_string(), set_by: None, ..duty }, args.json).await
}

async fn duty_list(args: DutyListArgs) -> Result<()> {
    let connection = &args.connection;
    let on = args.on.as_deref().map(|d| connection.date(d, "--on")).transpose()?;
    let answer = connection
        .contacts()
        .await?
        .list_contact_duties(pb::ListContactDutiesRequest {
            leader: args.leader.clone(),
            unit_id: args.unit.clone(),
            on: on.map(|d| d.to_string()).unwrap_or_default(),
        })
        .await
        .map_err(refused)?
        .into_inner();
    if args.json {
        println!("{}", json!(answer.duties.iter().map(duty_json).collect::<Vec<_>>()));
        return Ok(());
    }
    let mut table = crate::render::table::plain();
    table.set_header(crate::i18n::headings(["duty", "leader", "area", "from", "until"]));
    for d in &answer.duties {
        table.add_row([
            d.duty_id.clone(),
            d.leader.clone(),
            area_of(d),
            d.from.clone(),
            until_text(&d.until),
        ]);
    }
    out(table)?;
    Ok(())
}

/// A leader's figures over `[from, to]` (`contact figures`, `summary --leader`).
pub async fn leader_figures(
    connection: &Connection,
    leader: &str,
    from: NaiveDate,
    to: NaiveDate,
    json: bool,
) -> Result<()> {
    if to < from {
        bail!(tr!("error-to-before-from", to = to.to_string(), from = from.to_string()));
    }
    let answer = connection
        .contacts()
        .await?
        .leader_figures(pb::LeaderFiguresRequest {
            leader: leader.to_owned(),
            from: from.to_string(),
            to: to.to_string(),
        })
        .await
        .map_err(refused)?
        .into_inner();
    if json {
        let areas: Vec<_> = answer
            .areas
            .iter()
            .map(|a| {
                let cases = a.summary.as_ref().and_then(|s| s.cases.as_ref()).or(a.project_cases.as_ref());
                json!({
                    "duty": a.duty.as_ref().map(duty_json), "name": a.name,
                    "registered": cases.map(|c| c.registered), "closed": cases.map(|c| c.closed),
                    "closed_on_time": cases.map(|c| c.closed_on_time), "overdue": cases.map(|c| c.overdue),
                    "on_time_closure_rate": cases.map(|c| c.on_time_closure_rate),
                })
            })
            .collect();
        println!(
            "{}",
            json!({
                "leader": answer.leader, "from": from.to_string(), "to": to.to_string(), "areas": areas,
                "cases_led": answer.cases_led, "cases_closed": answer.cases_closed,
                "cases_closed_on_time": answer.cases_closed_on_time, "cases_overdue": answer.cases_overdue,
                "on_time_closure_rate": answer.on_time_closure_rate,
            })
        );
        return Ok(());
    }
    println!(
        "{}",
        tr!("contact-figures-head", leader = leader, from = from.to_string(), to = to.to_string())
    );
    let mut table = crate::render::table::plain();
    table.set_header(crate::i18n::headings([
        "area",
        "name",
        "cases-registered",
        "cases-closed",
        "closed-on-time",
        "overdue",
        "on-time-closure",
    ]));
    for a in &answer.areas {
        let cases = a.summary.as_ref().and_then(|s| s.cases.as_ref()).or(a.project_cases.as_ref());
        let area = a.duty.as_ref().map(area_of).unwrap_or_default();
        let cell = |f: fn(&pb::CaseFigures) -> i64| cases.map_or("-".to_owned(), |c| f(c).to_string());
        table.add_row([
            area,
            a.name.clone(),
            cell(|c| c.registered),
            cell(|c| c.closed),
            cell(|c| c.closed_on_time),
            cell(|c| c.overdue),
            cases.map_or("-".to_owned(), |c| percent(c.on_time_closure_rate)),
        ]);
    }
    out(table)?;
    out(tr!(
        "contact-figures-led",
        led = answer.cases_led,
        closed = answer.cases_closed,
        on_time = answer.cases_closed_on_time,
        overdue = answer.cases_overdue,
        rate = percent(answer.on_time_closure_rate)
    ))?;
    Ok(())
}
