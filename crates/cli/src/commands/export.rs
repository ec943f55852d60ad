//! `fengqiao export`: every report of a subtree and range, streamed from the
//! node (`SummaryService.ExportReports`) to CSV (one row per report, or one
//! per dispute) or JSON lines, written to a `.partial` file and renamed when
//! complete. The rows are `fengqiao_proto::export`'s, which the dashboard's
//! CSV download writes too.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use fengqiao_core::TimePolicy;
use fengqiao_proto::export::{
    BOM, CSV_HEADER, DISPUTE_CSV_HEADER, UnitNames, csv_row, dispute_rows, report_json,
};
use fengqiao_proto::pb::{self, StoredDailyReport};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::connection::{Connection, refused};
use crate::dates::WeekArg;
use crate::tr;

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
    #[command(flatten)]
    pub week: WeekArg,
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

/// Where export rows go, one page at a time.
pub(crate) enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    CsvDisputes(Box<csv::Writer<W>>),
    Jsonl(BufWriter<W>),
}

impl<W: Write> Sink<W> {
    pub(crate) fn new(format: ExportFormat, mut output: W, bom: bool) -> Result<Sink<W>> {
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

    pub(crate) fn write(
        &mut self,
        stored: &StoredDailyReport,
        policy: &TimePolicy,
        names: &UnitNames,
    ) -> Result<()> {
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
    pub(crate) fn finish(self) -> Result<W> {
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
    let (from, to) = match args.week.as_deref() {
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
pub(crate) async fn export_into(
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
    let names = crate::commands::units::names_of_subtree(&args.connection, &args.unit).await?;
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::commands::tests::stored;

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
    fn partial_paths() {
        assert_eq!(partial_path(Path::new("out/reports.csv")), PathBuf::from("out/reports.csv.partial"));
    }
}
