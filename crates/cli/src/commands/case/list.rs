//! `fengqiao case list`: the case ledger of a unit's subtree, filtered.

use anyhow::{Result, bail};
use chrono::NaiveDate;
use fengqiao_proto::pb;

use fengqiao_core::read::{CaseRecord, RepeatRecord};

use crate::commands::case::names::parse_name;
use crate::commands::case::render::nonzero;
use crate::commands::units::{UnitNames, names_of_subtree};
use crate::connection::{Connection, out, refused};
use crate::tr;

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Root of the subtree (cases owned or registered in it).
    #[arg(long)]
    pub unit: String,
    /// Only these statuses (repeat the flag or separate with commas): registered, not_accepted,
    /// accepted, assigned, in_progress, resolved, closed, under_review.
    #[arg(long, value_delimiter = ',', value_parser = parse_name::<pb::CaseStatus>)]
    pub status: Vec<pb::CaseStatus>,
    /// Only cases overdue (at the end of --as-of).
    #[arg(long)]
    pub overdue: bool,
    /// Only repeat petitions.
    #[arg(long)]
    pub repeat: bool,
    /// Only the cases this person leads (包案: the working group's lead, else the assigned leader).
    #[arg(long)]
    pub leader: Option<String>,
    /// Only the cases of this key project.
    #[arg(long)]
    pub project: Option<String>,
    /// Cases registered in an ISO week instead of --from/--to: `2026-W48`, `this`, `last`, or a
    /// date in it.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub week: Option<String>,
    /// First registration day: YYYY-MM-DD, today or yesterday.
    #[arg(long)]
    pub from: Option<String>,
    /// Last registration day (inclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// The day overdue is judged on (default today).
    #[arg(long)]
    pub as_of: Option<String>,
    /// At most this many cases (newest registration first).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
    /// One JSON object per case and line instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao case list`.
pub async fn list(args: ListArgs) -> Result<()> {
    let connection = &args.connection;
    let date = |value: &Option<String>, flag: &str| -> Result<Option<NaiveDate>> {
        value.as_deref().map(|v| connection.date(v, flag)).transpose()
    };
    let (from, to) = match &args.week {
        Some(week) => connection.range(Some(week), None, None).map(|(from, to)| (Some(from), Some(to)))?,
        None => (date(&args.from, "--from")?, date(&args.to, "--to")?),
    };
    let as_of = date(&args.as_of, "--as-of")?;
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        bail!(tr!("error-to-before-from", to = to.to_string(), from = from.to_string()));
    }
    let text = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let zone = connection.zone_policy()?.zone;
    let names =
        if args.json { UnitNames::default() } else { names_of_subtree(connection, &args.unit).await? };
    let mut client = connection.cases().await?;
    let mut table = crate::render::table::plain();
    table.set_header(crate::i18n::headings([
        "case",
        "status",
        "owner",
        "category",
        "channel",
        "registered",
        "due",
        "days-overdue",
        "leader",
        "repeat",
    ]));
    let mut page_token = String::new();
    let mut listed = 0u32;
    let more = loop {
        let page = client
            .list_cases(pb::ListCasesRequest {
                unit_id: args.unit.clone(),
                statuses: args.status.iter().map(|s| i32::from(*s)).collect(),
                overdue: args.overdue,
                repeat: args.repeat,
                registered_from: text(from),
                registered_to: text(to),
                as_of: text(as_of),
                page_size: (args.limit - listed).min(1000),
                page_token: page_token.clone(),
                department_id: String::new(),
                leader: args.leader.clone().unwrap_or_default(),
                project_id: args.project.clone().unwrap_or_default(),
            })
            .await
            .map_err(refused)?
            .into_inner();
        let wanted = (args.limit - listed) as usize;
        for case in page.cases.into_iter().take(wanted) {
            listed += 1;
            let mut case = CaseRecord::try_from(case)?.in_zone(zone);
            if let Some(on) = as_of {
                case = case.overdue_on(on);
            }
            if args.json {
                if !out(serde_json::to_value(&case)?)? {
                    return Ok(());
                }
                continue;
            }
            let owner = case.owner_unit_id.to_string();
            table.add_row([
                case.case_id.to_string(),
                crate::i18n::name("status", case.status.as_str()),
                format!("{owner} {}", names.name(&owner)).trim_end().to_owned(),
                crate::i18n::name("category", case.intake.category.as_str()),
                crate::i18n::name("channel", case.intake.channel.as_str()),
                case.registered_on.to_string(),
                case.due.map(|due| due.to_string()).unwrap_or_default(),
                nonzero(case.days_overdue.into()),
                case.leader.clone().unwrap_or_default(),
                case.repeat.as_ref().map(repeat_cell).unwrap_or_default(),
            ]);
        }
        if page.next_page_token.is_empty() {
            break false;
        }
        if listed >= args.limit {
            break true;
        }
        page_token = page.next_page_token;
    };
    if !args.json {
        if !out(table)? {
            return Ok(());
        }
        let mut footer = tr!("case-list-footer", count = listed, unit = &args.unit);
        if more {
            footer.push_str(&tr!("case-list-more", limit = args.limit));
        }
        out(footer)?;
    }
    Ok(())
}

/// The list's repeat column: the newest earlier case, and how many more.
fn repeat_cell(repeat: &RepeatRecord) -> String {
    match repeat.of_case_ids.as_slice() {
        [] => String::new(),
        [only] => tr!("repeat-of", cases = only.to_string()),
        [newest, rest @ ..] => format!("{} +{}", tr!("repeat-of", cases = newest.to_string()), rest.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_days_and_repeat_cells() {
        // `--as-of` counts days overdue as the domain does.
        use fengqiao_core::case::days_past;
        let on = NaiveDate::from_ymd_opt(2026, 5, 10).unwrap();
        let due = |text: &str| Some(text.parse::<NaiveDate>().unwrap());
        assert_eq!(days_past(due("2026-05-01"), on), 9);
        assert_eq!(days_past(due("2026-05-10"), on), 0);
        assert_eq!(days_past(due("2026-06-01"), on), 0);
        assert_eq!(days_past(None, on), 0);
        let repeat = |ids: &[&str]| RepeatRecord {
            of_case_ids: ids.iter().map(|s| fengqiao_core::case::CaseId::parse(s).unwrap()).collect(),
            rule: String::new(),
            window_days: 365,
            since: on,
        };
        assert_eq!(repeat_cell(&repeat(&[])), "");
        assert_eq!(repeat_cell(&repeat(&["c2"])), "of c2");
        assert_eq!(repeat_cell(&repeat(&["c3", "c2", "c1"])), "of c3 +2");
    }

    #[test]
    fn plurals() {
        assert_eq!(tr!("count-cases", count = 1), "1 case");
        assert_eq!(tr!("count-cases", count = 0), "0 cases");
        assert_eq!(tr!("case-events-footer", count = 7, newest = 7), "7 events; the newest is 7");
        assert_eq!(tr!("case-events-footer", count = 1, newest = 1), "1 event; the newest is 1");
    }
}
