//! `fengqiao audit`: verify, list and anchor a node's audit log, reading the
//! node's database directly and read-only (run it on the node's host; it
//! never migrates or writes, so it is safe on a live node).

use std::io::Write;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand};
use fengqiao_core::audit::{AuditEntry, ChainHead};
use fengqiao_store::audit::{AuditReader, PAGE};

use crate::render::time_fmt;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the whole hash chain; exits non-zero naming the first entry
    /// that was edited, deleted, inserted or reordered.
    Verify(VerifyArgs),
    /// Print entries in order (who, which RPC, what, when).
    List(ListArgs),
    /// Print the head as SEQ:HASH — record it somewhere the node cannot
    /// write and pass it to `verify --expect-head` later.
    Head(DbArgs),
}

#[derive(Debug, Args)]
pub struct DbArgs {
    /// The node's database: sqlite://PATH or postgres://USER@HOST:PORT/DB.
    #[arg(long, env = "FENGQIAO_DB")]
    pub db: String,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// A head recorded earlier (`fengqiao audit head`): that entry must
    /// still be in the log with that hash. Without it, deleting the newest
    /// entries cannot be told from a shorter log.
    #[arg(long, value_name = "SEQ:HASH")]
    pub expect_head: Option<ChainHead>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Start at this entry (default: the first).
    #[arg(long, value_name = "SEQ", default_value_t = 1)]
    pub since: u64,
    /// Print at most this many entries (default: all).
    #[arg(long)]
    pub limit: Option<u64>,
    /// A JSON array of entries (hashes in hex) instead of lines.
    #[arg(long)]
    pub json: bool,
    /// The deployment's time zone, for showing when each entry was written.
    #[arg(long, env = "FENGQIAO_TIME_ZONE", default_value = "Asia/Shanghai")]
    pub time_zone: String,
}

pub async fn run(command: AuditCommand) -> Result<()> {
    crate::commands::node::init_logging("warn");
    match command {
        AuditCommand::Verify(args) => verify(args).await,
        AuditCommand::List(args) => list(args).await,
        AuditCommand::Head(args) => head(args).await,
    }
}

async fn open(db: &DbArgs) -> Result<AuditReader> {
    AuditReader::open_read_only(&db.db)
        .await
        .with_context(|| format!("cannot open the database {} read-only", db.db))
}

async fn verify(args: VerifyArgs) -> Result<()> {
    let reader = open(&args.db).await?;
    let verdict = reader.verify(args.expect_head).await;
    reader.close().await;
    match verdict.context("cannot read the audit log")? {
        Ok(verified) => {
            let head = verified.head.map_or_else(|| crate::tr!("audit-no-head"), |h| h.to_string());
            println!("{}", crate::tr!("audit-verified", count = verified.count, head = head));
            if let Some(anchor) = args.expect_head {
                println!("{}", crate::tr!("audit-anchor-found", anchor = anchor.to_string()));
            }
            Ok(())
        }
        Err(broken) => Err(anyhow!(crate::tr!("audit-does-not-verify", broken = broken.to_string()))),
    }
}

async fn list(args: ListArgs) -> Result<()> {
    let reader = open(&args.db).await?;
    let result = print_entries(&reader, &args).await;
    reader.close().await;
    result
}

async fn print_entries(reader: &AuditReader, args: &ListArgs) -> Result<()> {
    let zone = fengqiao_core::TimePolicy::parse(&args.time_zone, "18:00")?.zone;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut after = args.since.saturating_sub(1);
    let mut left = args.limit.unwrap_or(u64::MAX);
    let mut first = true;
    if args.json {
        write!(out, "[")?;
    }
    while left > 0 {
        let page = reader.page(after, PAGE.min(u32::try_from(left).unwrap_or(u32::MAX))).await?;
        for entry in &page {
            if args.json {
                write!(out, "{}\n{}", if first { "" } else { "," }, entry_json(entry, &zone))?;
            } else {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    entry.seq,
                    time_fmt::for_people(entry.at, &zone),
                    entry.actor,
                    entry.rpc,
                    entry.target
                )?;
            }
            first = false;
        }
        left -= page.len() as u64;
        match page.last() {
            Some(last) if page.len() == PAGE as usize => after = last.seq,
            _ => break,
        }
    }
    if args.json {
        writeln!(out, "{}]", if first { "" } else { "\n" })?;
    }
    out.flush()?;
    Ok(())
}

fn entry_json(entry: &AuditEntry, zone: &chrono_tz::Tz) -> serde_json::Value {
    serde_json::json!({
        "seq": entry.seq,
        "at": time_fmt::for_machines(entry.at, zone),
        "actor": entry.actor,
        "rpc": entry.rpc,
        "target": entry.target,
        "prev_hash": hex_of(&entry.prev_hash),
        "hash": hex_of(&entry.hash),
    })
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn head(args: DbArgs) -> Result<()> {
    let reader = open(&args).await?;
    let head = reader.head().await;
    reader.close().await;
    match head.context("cannot read the audit log")? {
        Some(entry) => println!("{}", entry.head()),
        None => eprintln!("{}", crate::tr!("audit-empty")),
    }
    Ok(())
}
