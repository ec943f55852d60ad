//! `fengqiao report` (a daily report, disputes from flags or a JSON file),
//! `fengqiao zero` (a zero report) and `fengqiao reports` (the reports of a
//! subtree for a range of dates).

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use fengqiao_core::{DisputeCategory, DisputeOutcome};
use fengqiao_proto::pb::{self, DailyReport, Disposition, SubmitDailyReportRequest};
use serde::Deserialize;

use crate::connection::{Connection, each_report, out, refused};
use crate::dates::WeekArg;
use crate::render::time_fmt;
use crate::tr;
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// A JSON file with the whole report (see README); --unit, --dispute, --date, --revision and
    /// --reason are then refused (the file says them); --reporter is the default reporter.
    #[arg(long, conflicts_with_all = ["unit", "dispute", "date", "revision", "reason"])]
    pub file: Option<PathBuf>,
    /// The reporting unit.
    #[arg(long, required_unless_present = "file")]
    pub unit: Option<String>,
    #[command(flatten)]
    pub revision: RevisionArgs,
    /// A dispute, as comma-separated key=value pairs: id, category, outcome,
    /// parties, summary, case, and for wage arrears employer, workers,
    /// claimed and recovered (yuan). E.g.
    /// `category=wage_arrears,outcome=mediating,employer=某建筑公司,workers=12,claimed=36000`.
    /// A value holding a comma writes it `\,` (and a backslash `\\`); quote the
    /// whole flag for the shell: `--dispute 'summary=wages\, two months,outcome=mediating'`.
    #[arg(long, required_unless_present = "file")]
    pub dispute: Vec<String>,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What every submission states besides its disputes.
#[derive(Debug, clap::Args)]
pub struct RevisionArgs {
    /// The date reported on: YYYY-MM-DD, today or yesterday.
    #[arg(long, default_value = "today")]
    pub date: String,
    /// Revision: 1 first, higher to correct.
    #[arg(long, default_value_t = 1)]
    pub revision: u32,
    /// Why this revision corrects the last (required for revision > 1).
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Staff id of the information officer. Over mTLS leave it out: the report is filed under your
    /// certificate's person id (naming anybody else is refused). A plaintext local node needs it.
    #[arg(long, env = "FENGQIAO_REPORTER")]
    pub reporter: Option<String>,
}

impl RevisionArgs {
    /// The report without its disputes (and `zero` to be set by the caller).
    fn report(&self, connection: &Connection, unit: String) -> Result<DailyReport> {
        Ok(DailyReport {
            unit_id: unit,
            date: connection.date(&self.date, "--date")?.to_string(),
            revision: self.revision,
            reporter: self.reporter.clone().unwrap_or_default(),
            zero: true,
            disputes: Vec::new(),
            correction_reason: self.reason.clone(),
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct ZeroArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The reporting unit.
    #[arg(long)]
    pub unit: String,
    #[command(flatten)]
    pub revision: RevisionArgs,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A report in a JSON file: the wire message's fields, with categories and
/// outcomes by name and amounts in fen.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportFile {
    unit_id: String,
    date: String,
    #[serde(default = "first_revision")]
    revision: u32,
    #[serde(default)]
    reporter: Option<String>,
    #[serde(default)]
    disputes: Vec<DisputeFile>,
    #[serde(default)]
    correction_reason: String,
}

fn first_revision() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DisputeFile {
    local_id: String,
    category: String,
    outcome: String,
    #[serde(default)]
    parties: u32,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    case_id: String,
    #[serde(default)]
    wage_arrears: Option<WageFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WageFile {
    employer: String,
    workers: u32,
    amount_claimed_cents: i64,
    #[serde(default)]
    amount_recovered_cents: i64,
}

fn category(name: &str) -> Result<i32> {
    parse_category(name).map(|c| c as i32).map_err(|why| anyhow!(why))
}

/// A category by its snake_case name (for flags and files).
pub(crate) fn parse_category(value: &str) -> Result<pb::DisputeCategory, String> {
    DisputeCategory::parse(value.trim()).map(pb::DisputeCategory::from).ok_or_else(|| {
        let names: Vec<&str> = DisputeCategory::ALL.iter().map(|c| c.as_str()).collect();
        format!("unknown category {value:?}; one of {}", names.join(", "))
    })
}

fn outcome(name: &str) -> Result<i32> {
    DisputeOutcome::parse(name).map(|o| pb::DisputeOutcome::from(o) as i32).ok_or_else(|| {
        let names: Vec<&str> = DisputeOutcome::ALL.iter().map(|o| o.as_str()).collect();
        anyhow!(tr!("error-unknown-outcome", name = format!("{name:?}"), names = names.join(", ")))
    })
}

/// Yuan with at most two decimals, in fen.
fn yuan_to_fen(value: &str, key: &str) -> Result<i64> {
    parse_yuan(value).map_err(|why| anyhow!("{key}={why}"))
}

pub(crate) use fengqiao_core::read::parse_yuan;

fn parse_dispute(spec: &str, position: usize) -> Result<pb::Dispute> {
    let mut dispute = pb::Dispute { local_id: format!("d{}", position + 1), ..Default::default() };
    let mut wage = pb::WageArrears::default();
    let mut has_wage = false;
    for pair in split_pairs(spec)?.iter().filter(|p| !p.trim().is_empty()) {
        let (key, value) = pair.split_once('=').ok_or_else(|| {
            anyhow!(tr!(
                "error-dispute-not-key-value",
                spec = format!("{spec:?}"),
                pair = format!("{pair:?}")
            ))
        })?;
        let (key, value) = (key.trim(), value.trim());
        let number = |v: &str| {
            v.parse::<u32>()
                .map_err(|_| anyhow!(tr!("error-expected-whole-number", key = key, value = format!("{v:?}"))))
        };
        match key {
            "id" => dispute.local_id = value.to_owned(),
            "category" => dispute.category = category(value)?,
            "outcome" => dispute.outcome = outcome(value)?,
            "parties" => dispute.parties = number(value)?,
            "summary" => dispute.summary = value.to_owned(),
            "case" => dispute.case_id = value.to_owned(),
            "employer" => (wage.employer, has_wage) = (value.to_owned(), true),
            "workers" => (wage.workers, has_wage) = (number(value)?, true),
            "claimed" => (wage.amount_claimed_cents, has_wage) = (yuan_to_fen(value, key)?, true),
            "recovered" => (wage.amount_recovered_cents, has_wage) = (yuan_to_fen(value, key)?, true),
            other => bail!(
                "--dispute: unknown key {other:?}; use id, category, outcome, parties, summary, case, \
                 employer, workers, claimed, recovered"
            ),
        }
    }
    if has_wage {
        dispute.wage_arrears = Some(wage);
    }
    Ok(dispute)
}

/// `a=1,b=x\, y` → `["a=1", "b=x, y"]`: pairs split at commas not escaped
/// with a backslash; `\,` is a comma and `\\` a backslash in a value.
fn split_pairs(spec: &str) -> Result<Vec<String>> {
    let mut pairs = vec![String::new()];
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped @ (',' | '\\')) => pairs.last_mut().expect("one pair").push(escaped),
                _ => {
                    bail!(tr!("error-dispute-backslash", spec = format!("{spec:?}")))
                }
            },
            ',' => pairs.push(String::new()),
            other => pairs.last_mut().expect("one pair").push(other),
        }
    }
    Ok(pairs)
}

fn report_from_file(path: &PathBuf, default_reporter: Option<&str>) -> Result<DailyReport> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: ReportFile =
        serde_json::from_str(&text).with_context(|| format!("{} is not a report file", path.display()))?;
    let disputes = file
        .disputes
        .into_iter()
        .map(|d| {
            Ok(pb::Dispute {
                local_id: d.local_id,
                category: category(&d.category)?,
                outcome: outcome(&d.outcome)?,
                parties: d.parties,
                summary: d.summary,
                case_id: d.case_id,
                wage_arrears: d.wage_arrears.map(|w| pb::WageArrears {
                    employer: w.employer,
                    workers: w.workers,
                    amount_claimed_cents: w.amount_claimed_cents,
                    amount_recovered_cents: w.amount_recovered_cents,
                }),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(DailyReport {
        unit_id: file.unit_id,
        date: file.date,
        revision: file.revision,
        reporter: file.reporter.or_else(|| default_reporter.map(str::to_owned)).unwrap_or_default(),
        zero: disputes.is_empty(),
        disputes,
        correction_reason: file.correction_reason,
    })
}

async fn submit(connection: &Connection, report: DailyReport, json: bool) -> Result<()> {
    let mut client = connection.reporting().await?;
    let (unit, date, zero) = (report.unit_id.clone(), report.date.clone(), report.zero);
    let answer = client
        .submit_daily_report(SubmitDailyReportRequest { report: Some(report) })
        .await
        .map_err(refused)?
        .into_inner();
    let disposition = match answer.disposition() {
        Disposition::New => tr!("disposition-new"),
        Disposition::Duplicate => tr!("disposition-duplicate"),
        Disposition::Correction => tr!("disposition-correction"),
        Disposition::Unspecified => tr!("disposition-unspecified"),
    };
    if json {
        let value = serde_json::json!({
            "unit_id": unit, "date": date, "revision": answer.revision,
            "disposition": answer.disposition().as_str_name(),
            "replaced_revision": answer.replaced_revision, "on_time": answer.on_time,
        });
        println!("{value}");
    } else {
        let timing = if answer.on_time { tr!("word-on-time") } else { tr!("word-late") };
        let kind = if zero { tr!("report-kind-zero") } else { tr!("report-kind-daily") };
        println!(
            "{}",
            tr!(
                "report-accepted",
                kind = kind,
                unit = unit,
                date = date,
                revision = answer.revision,
                disposition = disposition,
                timing = timing
            )
        );
    }
    Ok(())
}

pub async fn report(args: ReportArgs) -> Result<()> {
    let report = match &args.file {
        Some(path) => report_from_file(path, args.revision.reporter.as_deref())?,
        None => {
            let disputes = args
                .dispute
                .iter()
                .enumerate()
                .map(|(i, spec)| parse_dispute(spec, i))
                .collect::<Result<Vec<_>>>()?;
            let report = args.revision.report(&args.connection, args.unit.clone().unwrap_or_default())?;
            DailyReport { zero: disputes.is_empty(), disputes, ..report }
        }
    };
    submit(&args.connection, report, args.json).await
}

pub async fn zero(args: ZeroArgs) -> Result<()> {
    let report = args.revision.report(&args.connection, args.unit.clone())?;
    submit(&args.connection, report, args.json).await
}

#[derive(Debug, clap::Args)]
pub struct ReportsArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Root of the subtree.
    #[arg(long)]
    pub unit: String,
    #[command(flatten)]
    pub week: WeekArg,
    /// First date: YYYY-MM-DD, today or yesterday.
    #[arg(long, default_value = "today")]
    pub from: String,
    /// Last date (inclusive): YYYY-MM-DD, today or yesterday.
    #[arg(long, default_value = "today")]
    pub to: String,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub async fn reports(args: ReportsArgs) -> Result<()> {
    let (from, to) = match args.week.as_deref() {
        Some(week) => args.connection.range(Some(week), None, None)?,
        None => args.connection.range(None, Some(&args.from), Some(&args.to))?,
    };
    let policy = args.connection.zone_policy()?;
    let names = crate::commands::units::names_of_subtree(&args.connection, &args.unit).await?;
    let mut table = crate::render::table::new(crate::i18n::headings([
        "date", "unit", "name", "revision", "zero", "disputes", "on-time", "accepted",
    ]));
    let (yes, late, zero) =
        (crate::i18n::text("word-yes"), crate::i18n::text("word-late"), crate::i18n::text("heading-zero"));
    let count = each_report(&args.connection, &args.unit, from, to, |stored| {
        let Some(report) = &stored.report else { return Ok(true) };
        if args.json {
            let value = serde_json::json!({
                "unit_id": report.unit_id, "date": report.date, "revision": report.revision,
                "reporter": report.reporter, "zero": report.zero, "disputes": report.disputes.len(),
                "on_time": stored.on_time,
                "accepted_at": time_fmt::wire_for_machines(stored.accepted_at, &policy.zone),
                "correction_reason": report.correction_reason,
            });
            // False when the reader went away (`| head`): stop quietly.
            return out(value);
        }
        table.add_row([
            report.date.clone(),
            report.unit_id.clone(),
            names.name(&report.unit_id).to_owned(),
            report.revision.to_string(),
            if report.zero { zero.clone() } else { String::new() },
            report.disputes.len().to_string(),
            if stored.on_time { yes.clone() } else { late.clone() },
            time_fmt::wire_for_people(stored.accepted_at, &policy.zone).unwrap_or_default(),
        ]);
        Ok(true)
    })
    .await?;
    if !args.json {
        println!("{table}");
        println!(
            "{}",
            tr!(
                "reports-footer",
                count = count,
                unit = &args.unit,
                name = names.name(&args.unit),
                from = from,
                to = to
            )
        );
    }
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_amounts() {
        assert_eq!(yuan_to_fen("36000", "claimed").unwrap(), 3_600_000);
        assert_eq!(yuan_to_fen("120.5", "claimed").unwrap(), 12_050);
        assert_eq!(yuan_to_fen("0.07", "claimed").unwrap(), 7);
        assert!(yuan_to_fen("-3", "claimed").is_err());
        assert!(yuan_to_fen("1.234", "claimed").is_err());
        assert!(yuan_to_fen("99999999999999999999", "claimed").is_err());
    }

    #[test]
    fn dispute_specs() {
        let d =
            parse_dispute("category=wage_arrears,outcome=mediating,employer=某公司,workers=3,claimed=10", 0)
                .unwrap();
        assert_eq!(d.local_id, "d1");
        assert_eq!(d.wage_arrears.unwrap().amount_claimed_cents, 1000);
        assert!(parse_dispute("category=nope", 0).is_err());
        let d =
            parse_dispute(r"summary=wages\, two months,outcome=mediating,category=wage_arrears", 0).unwrap();
        assert_eq!(d.summary, "wages, two months");
        let d = parse_dispute(r"summary=a\\b,category=other,outcome=mediating", 0).unwrap();
        assert_eq!(d.summary, r"a\b");
        assert!(parse_dispute(r"summary=a\b,category=other", 0).is_err());
        assert!(parse_dispute("colour=red", 0).is_err());
    }
}
