//! `fengqiao dept list` and `dept figures`: a unit's departments (职能部门)
//! and their case figures over a range — which department is slow.

use anyhow::Result;
use fengqiao_proto::pb;
use fengqiao_proto::pb::department_service_client::DepartmentServiceClient;
use serde_json::json;

use crate::connection::{Connection, out, refused};
use crate::tr;

#[derive(Debug, clap::Subcommand)]
pub enum DeptCommand {
    /// The departments of a unit on a day.
    List(DeptListArgs),
    /// The case figures of a unit's departments over a range, the best on-time rate first.
    Figures(DeptFiguresArgs),
}

#[derive(Debug, clap::Args)]
pub struct DeptListArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit (your own when left out).
    #[arg(long)]
    pub unit: Option<String>,
    /// The day: YYYY-MM-DD, today or yesterday [default: today].
    #[arg(long)]
    pub on: Option<String>,
    /// Print the departments as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct DeptFiguresArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit (your own when left out).
    #[arg(long)]
    pub unit: Option<String>,
    /// First day: YYYY-MM-DD, today or yesterday.
    #[arg(long)]
    pub from: String,
    /// Last day (inclusive) [default: today].
    #[arg(long, default_value = "today")]
    pub to: String,
    /// Print the rows as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao dept …`.
pub async fn run(command: DeptCommand) -> Result<()> {
    match command {
        DeptCommand::List(args) => list(args).await,
        DeptCommand::Figures(args) => figures(args).await,
    }
}

async fn client(connection: &Connection) -> Result<DepartmentServiceClient<tonic::transport::Channel>> {
    Ok(DepartmentServiceClient::new(connection.channel().await?)
        .max_decoding_message_size(fengqiao_proto::CLIENT_MAX_DECODING_BYTES))
}

fn department_json(d: &pb::Department) -> serde_json::Value {
    json!({
        "department_id": d.department_id, "unit_id": d.unit_id, "code": d.code, "name": d.name,
        "five_in_one": d.five_in_one, "from": d.from, "until": d.until,
    })
}

async fn list(args: DeptListArgs) -> Result<()> {
    let connection = &args.connection;
    let on = args.on.as_deref().map(|v| connection.date(v, "--on")).transpose()?;
    let request = pb::ListDepartmentsRequest {
        unit_id: args.unit.clone().unwrap_or_default(),
        on: on.map(|d| d.to_string()).unwrap_or_default(),
    };
    let answer = client(connection).await?.list_departments(request).await.map_err(refused)?.into_inner();
    if args.json {
        let rows: Vec<_> = answer.departments.iter().map(department_json).collect();
        println!("{}", json!({ "departments": rows }));
        return Ok(());
    }
    let mut table = crate::render::table::plain();
    table.set_header(crate::i18n::headings([
        "department",
        "department-name",
        "five-in-one",
        "from",
        "until",
    ]));
    for d in &answer.departments {
        let five = if d.five_in_one { "✓" } else { "" };
        let until = if d.until.is_empty() { "-".to_owned() } else { d.until.clone() };
        table.add_row([d.department_id.clone(), d.name.clone(), five.to_owned(), d.from.clone(), until]);
    }
    if out(table)? {
        out(tr!("dept-list-footer", count = answer.departments.len()))?;
    }
    Ok(())
}

fn figures_json(f: &pb::DepartmentCaseFigures) -> serde_json::Value {
    json!({
        "transferred_in": f.transferred_in, "held_open": f.held_open, "resolved": f.resolved,
        "resolved_on_time": f.resolved_on_time, "overdue": f.overdue, "assigned": f.assigned,
        "reported": f.reported, "reported_on_time": f.reported_on_time, "report_overdue": f.report_overdue,
        "petitioner_satisfied": f.petitioner_satisfied, "petitioner_dissatisfied": f.petitioner_dissatisfied,
        "on_time_rate": f.on_time_rate, "petitioner_satisfaction_rate": f.petitioner_satisfaction_rate,
    })
}

async fn figures(args: DeptFiguresArgs) -> Result<()> {
    let connection = &args.connection;
    let from = connection.date(&args.from, "--from")?;
    let to = connection.date(&args.to, "--to")?;
    let request = pb::DepartmentFiguresRequest {
        unit_id: args.unit.clone().unwrap_or_default(),
        from: from.to_string(),
        to: to.to_string(),
    };
    let answer = client(connection).await?.department_figures(request).await.map_err(refused)?.into_inner();
    let total = answer.total.unwrap_or_default();
    if args.json {
        let rows: Vec<_> = answer
            .rows
            .iter()
            .map(|r| {
                json!({
                    "rank": r.rank,
                    "department": r.department.as_ref().map(department_json),
                    "figures": r.figures.as_ref().map(figures_json),
                })
            })
            .collect();
        println!(
            "{}",
            json!({ "from": from.to_string(), "to": to.to_string(), "rows": rows, "total": figures_json(&total) })
        );
        return Ok(());
    }
    let mut table = crate::render::table::plain();
    table.set_header(crate::i18n::headings([
        "rank",
        "department-name",
        "transferred-in",
        "held-open",
        "resolved-on-time",
        "overdue",
        "assigned",
        "reported-on-time",
        "report-overdue",
        "on-time-rate",
    ]));
    let row = |rank: String, name: String, f: &pb::DepartmentCaseFigures| {
        [
            rank,
            name,
            f.transferred_in.to_string(),
            f.held_open.to_string(),
            format!("{}/{}", f.resolved_on_time, f.resolved),
            f.overdue.to_string(),
            f.assigned.to_string(),
            format!("{}/{}", f.reported_on_time, f.reported),
            f.report_overdue.to_string(),
            format!("{:.1}%", f.on_time_rate),
        ]
    };
    for r in &answer.rows {
        let name = r.department.as_ref().map(|d| d.name.clone()).unwrap_or_default();
        table.add_row(row(r.rank.to_string(), name, &r.figures.unwrap_or_default()));
    }
    table.add_row(row(String::new(), crate::i18n::text("dept-total"), &total));
    if out(table)? {
        out(tr!("dept-figures-footer", from = from, to = to, count = answer.rows.len()))?;
    }
    Ok(())
}
