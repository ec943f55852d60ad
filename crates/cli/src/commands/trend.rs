//! `fengqiao trend`: a subtree's completeness, timeliness and disputes week
//! by week, over `SummaryService.Trend`.

use anyhow::{Result, bail};
use chrono::Duration;
use comfy_table::CellAlignment;
use fengqiao_core::IsoWeek;
use fengqiao_core::read::Trend;
use fengqiao_proto::pb::{self};

use crate::connection::{Connection, refused};
use crate::render::percent;
use crate::tr;

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
    let answer = Trend::try_from(answer)?;
    if args.json {
        println!("{}", serde_json::to_string(&answer)?);
        return Ok(());
    }
    let mut table = crate::render::table::new(crate::i18n::headings([
        "week",
        "received-of-expected",
        "completeness",
        "timeliness",
        "zero-share",
        "disputes",
    ]));
    for week in &answer.weeks {
        let (tally, rates) = (&week.tally, week.rates);
        if week.is_empty() {
            table.add_row([
                week.iso_week.to_string(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ]);
            continue;
        }
        table.add_row([
            week.iso_week.to_string(),
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
    println!(
        "{}",
        tr!("trend-header", unit = answer.unit_id.to_string(), from = from.to_string(), to = to.to_string())
    );
    println!("{table}");
    Ok(())
}
