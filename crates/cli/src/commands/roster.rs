//! `fengqiao roster set` and `roster show`: the leader on duty for duty
//! reception (领导值班), day by day.

use anyhow::{Result, bail};
use chrono::{Datelike, NaiveDate};
use fengqiao_proto::pb;
use serde_json::json;

use crate::connection::{Connection, out, refused};
use crate::tr;

/// Longest range of days `roster set --from/--to` writes at once.
const MAX_ROSTER_DAYS: i64 = 366;

#[derive(Debug, clap::Subcommand)]
pub enum RosterCommand {
    /// Set the leader on duty for a day, or for every day of a range.
    Set(RosterSetArgs),
    /// The leaders on duty for a range of days (every day listed, unset ones as -).
    Show(RosterShowArgs),
}

#[derive(Debug, clap::Args)]
pub struct RosterSetArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit receiving visitors.
    #[arg(long)]
    pub unit: String,
    /// The day: YYYY-MM-DD, today or yesterday.
    #[arg(long, required_unless_present = "from", conflicts_with_all = ["from", "to"])]
    pub date: Option<String>,
    /// First day of a range instead of --date.
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// Last day of the range (inclusive).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// The leader on duty.
    #[arg(long)]
    pub leader: String,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct RosterShowArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit receiving visitors.
    #[arg(long)]
    pub unit: String,
    /// First day: YYYY-MM-DD, today or yesterday.
    #[arg(long, default_value = "today")]
    pub from: String,
    /// Last day (inclusive); default a week from --from.
    #[arg(long)]
    pub to: Option<String>,
    /// Print the entries as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao roster …`.
pub async fn roster(command: RosterCommand) -> Result<()> {
    match command {
        RosterCommand::Set(args) => roster_set(args).await,
        RosterCommand::Show(args) => roster_show(args).await,
    }
}

async fn roster_set(args: RosterSetArgs) -> Result<()> {
    let connection = &args.connection;
    let (from, to) = match (&args.date, &args.from, &args.to) {
        (Some(date), _, _) => {
            let date = connection.date(date, "--date")?;
            (date, date)
        }
        (None, Some(from), Some(to)) => (connection.date(from, "--from")?, connection.date(to, "--to")?),
        _ => bail!(tr!("error-date-or-range")),
    };
    if args.leader.trim().is_empty() {
        bail!(tr!("error-leader-required"));
    }
    let days = days_of(from, to, "--from", "--to")?;
    let entries: Vec<pb::RosterEntry> = days
        .iter()
        .map(|day| pb::RosterEntry {
            unit_id: args.unit.clone(),
            date: day.to_string(),
            leader: args.leader.clone(),
        })
        .collect();
    let answer = connection
        .cases()
        .await?
        .set_roster(pb::SetRosterRequest { entries })
        .await
        .map_err(refused)?
        .into_inner();
    if args.json {
        let value = json!({
            "unit_id": args.unit, "from_date": from.to_string(), "to_date": to.to_string(),
            "leader": args.leader, "stored": answer.stored,
        });
        println!("{value}");
    } else if from == to {
        println!(
            "{}",
            tr!(
                "roster-set-day",
                unit = &args.unit,
                date = from,
                leader = &args.leader,
                stored = answer.stored
            )
        );
    } else {
        println!(
            "{}",
            tr!(
                "roster-set-range",
                unit = &args.unit,
                from = from,
                to = to,
                leader = &args.leader,
                stored = answer.stored
            )
        );
    }
    Ok(())
}

async fn roster_show(args: RosterShowArgs) -> Result<()> {
    let connection = &args.connection;
    let from = connection.date(&args.from, "--from")?;
    let to = match &args.to {
        Some(to) => connection.date(to, "--to")?,
        None => from + chrono::Duration::days(6),
    };
    let days = days_of(from, to, "--from", "--to")?;
    let answer = connection
        .cases()
        .await?
        .get_roster(pb::GetRosterRequest {
            unit_id: args.unit.clone(),
            from_date: from.to_string(),
            to_date: to.to_string(),
        })
        .await
        .map_err(refused)?
        .into_inner();
    if args.json {
        let value = json!({
            "unit_id": args.unit, "from_date": from.to_string(), "to_date": to.to_string(),
            "entries": answer.entries.iter().map(|e| json!({"date": e.date, "leader": e.leader})).collect::<Vec<_>>(),
        });
        println!("{value}");
        return Ok(());
    }
    let mut table = crate::render::table::plain();
    table.set_header(crate::i18n::headings(["date", "day", "leader-on-duty"]));
    let mut unset = 0usize;
    for day in &days {
        let date = day.to_string();
        let leader = answer.entries.iter().find(|e| e.date == date).map(|e| e.leader.clone());
        if leader.is_none() {
            unset += 1;
        }
        let weekday = crate::i18n::text(&format!("weekday-{}", day.weekday().to_string().to_lowercase()));
        table.add_row([date, weekday, leader.unwrap_or_else(|| "-".into())]);
    }
    if out(table)? {
        out(tr!("roster-footer", unit = &args.unit, from = from, to = to, unset = unset, days = days.len()))?;
    }
    Ok(())
}

/// Every day from `from` to `to`, refusing reversed or over-long ranges.
fn days_of(from: NaiveDate, to: NaiveDate, from_flag: &str, to_flag: &str) -> Result<Vec<NaiveDate>> {
    if to < from {
        bail!(tr!(
            "error-flag-before",
            to_flag = to_flag,
            to = to.to_string(),
            from_flag = from_flag,
            from = from.to_string()
        ));
    }
    if (to - from).num_days() >= MAX_ROSTER_DAYS {
        bail!(tr!(
            "error-range-too-long",
            from_flag = from_flag,
            from = from.to_string(),
            to_flag = to_flag,
            to = to.to_string(),
            days = MAX_ROSTER_DAYS
        ));
    }
    Ok(from.iter_days().take_while(|day| *day <= to).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roster_ranges() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 5, d).unwrap();
        assert_eq!(days_of(day(1), day(3), "--from", "--to").unwrap(), vec![day(1), day(2), day(3)]);
        assert_eq!(days_of(day(4), day(4), "--from", "--to").unwrap().len(), 1);
        assert!(days_of(day(4), day(3), "--from", "--to").unwrap_err().to_string().contains("before"));
        let far = NaiveDate::from_ymd_opt(2027, 5, 2).unwrap();
        assert_eq!(days_of(day(1), far.pred_opt().unwrap(), "--from", "--to").unwrap().len(), 366);
        assert!(days_of(day(1), far, "--from", "--to").is_err());
    }
}
