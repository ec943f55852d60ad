//! `fengqiao bench reconcile`: a district restored from a backup one day old,
//! and what reconciliation costs to repair it.
//!
//! The district node and one node per township run on loopback (the
//! townships serve their communities and groups themselves). Every
//! reporting unit files `--days` days of zero reports at its township; the
//! district is backed up (SQLite `VACUUM INTO`, PostgreSQL `pg_dump -Fc` of
//! its schema, as docs/OPERATIONS.md says), one more day is filed, and the
//! district is stopped, restored and started again. The townships notice
//! the restarted parent at their next push and reconcile. Figures: each
//! exchange's time and bytes, the time until the district holds every report
//! again, and then a steady-state exchange (nothing to repair).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, Utc};
use fengqiao_core::reconcile::{ExchangeReport, Trigger};
use fengqiao_core::{SystemClock, TimePolicy, UnitTree};
use fengqiao_node::reconcile::ReconcileConfig;
use fengqiao_node::{ChildNodes, ForwarderConfig, Limits, Node, NodeConfig};
use fengqiao_proto::pb;
use fengqiao_store::Store;
use fengqiao_store::postgres::PgStore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::transport::Channel;

use fengqiao_store::Backend;

#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    /// Backend of the district node (the townships use SQLite files).
    #[arg(long, value_enum, default_value = "sqlite")]
    pub db: Backend,
    /// The unit tree (the demo's district by default).
    #[arg(long, default_value = "deploy/zhanhe-410411.csv")]
    pub tree: PathBuf,
    /// Days of reports the district holds when it is backed up.
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// Reports in flight at once from the simulated officers.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// PostgreSQL server for `--db postgres` (a fresh schema is made and dropped).
    #[arg(long, env = "FENGQIAO_TEST_PG", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub pg_url: String,
}

/// A node served on its own address until stopped.
struct Served {
    node: Node,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<()>>,
}

async fn serve(config: NodeConfig, tree: &UnitTree, store: Arc<dyn Store>, address: &str) -> Result<Served> {
    let node = Node::start(config, tree, store, Arc::new(SystemClock)).await?;
    let listener = bind(address).await?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn({
        let node = node.clone();
        async move {
            fengqiao_node::serve(node, listener, async {
                let _ = stopped.await;
            })
            .await?;
            anyhow::Ok(())
        }
    });
    Ok(Served { node, stop, task })
}

async fn bind(address: &str) -> Result<TcpListener> {
    for _ in 0..100 {
        if let Ok(listener) = TcpListener::bind(address).await {
            return Ok(listener);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("cannot bind {address}")
}

fn free_address() -> Result<String> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string())
}

/// One zero report per reporting unit expected on `date`, each at the node
/// of its township.
async fn file_day(
    tree: &UnitTree,
    township_of: &HashMap<String, String>,
    channels: &HashMap<String, Channel>,
    date: NaiveDate,
    clients: usize,
) -> Result<u64> {
    let units: Vec<(String, String)> = tree
        .units()
        .into_iter()
        .filter(|u| u.expected_on(date))
        .filter_map(|u| township_of.get(u.id.as_str()).map(|t| (u.id.to_string(), t.clone())))
        .collect();
    let results = crate::bench::file_zero_reports(units, channels, date, clients, false).await;
    if let Some(Err(status)) = results.iter().find(|r| r.is_err()) {
        bail!("a submission failed: {status}");
    }
    Ok(results.len() as u64)
}

async fn wait_for_count(store: &Arc<dyn Store>, expected: u64, limit: Duration) -> Result<Duration> {
    let started = Instant::now();
    loop {
        let held = store.count_reports().await?;
        if held >= expected {
            return Ok(started.elapsed());
        }
        if started.elapsed() > limit {
            bail!("the district holds {held} of {expected} reports after {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until every township's last exchange satisfies `done`.
async fn wait_for_exchanges(
    townships: &[Served],
    limit: Duration,
    done: impl Fn(&ExchangeReport) -> bool,
) -> Result<Vec<ExchangeReport>> {
    let started = Instant::now();
    loop {
        let mut reports = Vec::new();
        for township in townships {
            if let Some(report) = fengqiao_node::reconcile::last_exchange(&township.node).await?
                && done(&report)
            {
                reports.push(report);
            }
        }
        if reports.len() == townships.len() {
            return Ok(reports);
        }
        if started.elapsed() > limit {
            bail!("{} of {} townships reconciled within {limit:?}", reports.len(), townships.len());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn print_exchanges(what: &str, reports: &[ExchangeReport]) {
    let sum = |f: fn(&ExchangeReport) -> u64| reports.iter().map(f).sum::<u64>();
    let slowest = reports.iter().map(|r| r.elapsed_ms).max().unwrap_or(0);
    println!(
        "  {what}: {} exchanges, slowest {slowest} ms (sum {} ms); {} digests compared, {} days listed, \
         {} items compared, {} reports sent again; {} bytes sent, {} bytes received in all",
        reports.len(),
        sum(|r| r.elapsed_ms),
        sum(|r| r.digests_compared),
        sum(|r| r.days_listed),
        sum(|r| r.items_compared),
        sum(|r| r.reports_resent),
        sum(|r| r.bytes_sent),
        sum(|r| r.bytes_received),
    );
}

pub async fn reconcile(args: ReconcileArgs) -> Result<()> {
    crate::commands::node::init_logging("error");
    let tree = crate::commands::node::load_tree(&args.tree)?;
    let root = tree.root_id().to_string();
    let townships: Vec<String> = tree.children(&root).iter().map(|u| u.id.to_string()).collect();
    let mut township_of: HashMap<String, String> = HashMap::new();
    for township in &townships {
        for unit in tree.subtree(township).unwrap_or_default() {
            township_of.insert(unit.id.to_string(), township.clone());
        }
    }
    let temp = std::env::temp_dir().join(format!("fengqiao-bench-reconcile-{}", std::process::id()));
    std::fs::create_dir_all(&temp)?;
    let schema = format!("bench_reconcile_{}", std::process::id());
    let district_url = match args.db {
        Backend::Sqlite => format!("sqlite://{}", temp.join("district.db").display()),
        Backend::Postgres => format!("{}?options=-c%20search_path%3D{schema}", args.pg_url),
    };
    let open_district = || async {
        let store: Arc<dyn Store> = match args.db {
            Backend::Sqlite => fengqiao_store::connect(&district_url).await?,
            Backend::Postgres => Arc::new(PgStore::connect_in_schema(&args.pg_url, &schema).await?),
        };
        anyhow::Ok(store)
    };
    let district_address = free_address()?;
    let district_config = NodeConfig {
        child_nodes: ChildNodes::AllChildren,
        limits: Limits::unthrottled(),
        ..NodeConfig::new(root.clone())
    };
    let district_store = open_district().await?;
    let district =
        serve(district_config.clone(), &tree, Arc::clone(&district_store), &district_address).await?;
    let mut served = Vec::new();
    let mut channels = HashMap::new();
    for township in &townships {
        let store =
            fengqiao_store::connect(&format!("sqlite://{}", temp.join(format!("{township}.db")).display()))
                .await?;
        let address = free_address()?;
        let config = NodeConfig {
            parent: Some(format!("http://{district_address}")),
            forwarder: ForwarderConfig {
                heartbeat: Duration::from_millis(200),
                max_backoff: Duration::from_millis(200),
                ..ForwarderConfig::default()
            },
            reconcile: ReconcileConfig { interval: Duration::ZERO, ..ReconcileConfig::default() },
            limits: Limits::unthrottled(),
            ..NodeConfig::new(township.clone())
        };
        served.push(serve(config, &tree, store, &address).await?);
        channels.insert(township.clone(), Channel::from_shared(format!("http://{address}"))?.connect_lazy());
    }
    let today = TimePolicy::default().local_date(Utc::now());
    println!(
        "reconcile benchmark: district {root} ({} units, {} township nodes), district on {:?}, {} days held at the backup",
        tree.len(),
        townships.len(),
        args.db,
        args.days
    );
    let mut filed = 0;
    for back in (2..=i64::from(args.days) + 1).rev() {
        filed += file_day(&tree, &township_of, &channels, today - chrono::Duration::days(back), args.clients)
            .await?;
    }
    wait_for_count(&district_store, filed, Duration::from_secs(300)).await?;
    // Every township's first exchange (at its start) is behind us.
    wait_for_exchanges(&served, Duration::from_secs(60), |r| r.error.is_none()).await?;

    // The backup, one day before the loss.
    let backup = temp.join("district-backup");
    match args.db {
        Backend::Sqlite => {
            let path = temp.join("district.db");
            let status = std::process::Command::new("sqlite3")
                .arg(&path)
                .arg(format!("VACUUM INTO '{}'", backup.display()))
                .status()
                .context("sqlite3 (for VACUUM INTO)")?;
            if !status.success() {
                bail!("sqlite3 VACUUM INTO failed");
            }
        }
        Backend::Postgres => {
            let status = std::process::Command::new("pg_dump")
                .args(["-Fc", "-n", &schema, "-d", &args.pg_url, "-f"])
                .arg(&backup)
                .status()
                .context("pg_dump")?;
            if !status.success() {
                bail!("pg_dump failed");
            }
        }
    }
    let day =
        file_day(&tree, &township_of, &channels, today - chrono::Duration::days(1), args.clients).await?;
    filed += day;
    wait_for_count(&district_store, filed, Duration::from_secs(300)).await?;

    // Stop, restore, start.
    let _ = district.stop.send(());
    district.task.await??;
    district_store.close().await;
    match args.db {
        Backend::Sqlite => {
            let path = temp.join("district.db");
            std::fs::copy(&backup, &path)?;
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        Backend::Postgres => {
            let status = std::process::Command::new("pg_restore")
                .args(["--clean", "--if-exists", "-d", &args.pg_url])
                .arg(&backup)
                .status()
                .context("pg_restore")?;
            if !status.success() {
                bail!("pg_restore failed");
            }
        }
    }
    let district_store = open_district().await?;
    let lost = filed - district_store.count_reports().await?;
    let started = Instant::now();
    let district = serve(district_config, &tree, Arc::clone(&district_store), &district_address).await?;
    let converged = wait_for_count(&district_store, filed, Duration::from_secs(300)).await?;
    let exchanges =
        wait_for_exchanges(&served, Duration::from_secs(60), |r| r.trigger == Trigger::ParentRestarted)
            .await?;
    println!(
        "  restored: the district lacked {lost} of {filed} reports (one day of {day}); it held every one again \
         {:.2} s after it started ({:.2} s including its start)",
        converged.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    print_exchanges("repair", &exchanges);
    // The reports sent again travel as ordinary pushes; their size as items.
    let lost_day = today - chrono::Duration::days(1);
    let query = fengqiao_store::ListQuery {
        root: tree.root_id().clone(),
        from: lost_day,
        to: lost_day,
        after: None,
        limit: 100_000,
    };
    let pushed: usize = district_store
        .list_reports(&query)
        .await?
        .iter()
        .map(|stored| {
            let on_time = TimePolicy::default().is_on_time(lost_day, stored.first_accepted_at);
            let item = pb::UplinkItem {
                sequence: 1,
                payload: Some(pb::uplink_item::Payload::Report(fengqiao_proto::stored_report_to_pb(
                    stored, on_time,
                ))),
                trace_parent: String::new(),
            };
            prost::Message::encoded_len(&item)
        })
        .sum();
    println!("  the reports sent again went up as ordinary uplink items: {pushed} bytes");
    let verification =
        fengqiao_store::rollup::verify(&*district_store, &district.node.tree(), &TimePolicy::default())
            .await?;
    println!(
        "  the district's rollups after the repair: {} rows compared, {} differences",
        verification.rows,
        verification.differences.len()
    );

    // A steady-state exchange: nothing to repair.
    for township in &served {
        township.node.reconciler().trigger(Trigger::Periodic, None);
    }
    let steady = wait_for_exchanges(&served, Duration::from_secs(60), |r| {
        r.trigger == Trigger::Periodic && r.error.is_none()
    })
    .await?;
    print_exchanges("steady state", &steady);

    let _ = district.stop.send(());
    let _ = district.task.await;
    for township in served {
        let _ = township.stop.send(());
        let _ = township.task.await;
    }
    district_store.close().await;
    if args.db == Backend::Postgres {
        let _ = PgStore::drop_schema(&args.pg_url, &schema).await;
    }
    let _ = std::fs::remove_dir_all(&temp);
    Ok(())
}
