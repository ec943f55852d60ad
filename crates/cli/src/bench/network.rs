//! `fengqiao bench network`: a district's full day across tiers.
//!
//! A synthetic district (district, townships, communities as nodes, groups
//! reporting to their community node) runs on loopback in a server runtime
//! of its own. Figures:
//! - **full day**: one report from every reporting unit, submitted at the
//!   lowest tier; seconds from the last acknowledged submit until all are
//!   visible at the district;
//! - **drain after a partition**: the district is up but unreachable (it
//!   accepts no connection) while days are submitted below it; when the
//!   link heals, reports/s until the backlog has drained into it — beside
//!   a raw batched upsert of the same rows into the same backend, measured
//!   in the same run.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, Utc};
use fengqiao_core::revision::Source;
use fengqiao_core::{SystemClock, Tier, TimePolicy, UnitTree};
use fengqiao_node::{ChildNodes, ForwarderConfig, Limits, Node, NodeConfig};
use fengqiao_store::Store;
use fengqiao_store::postgres::PgStore;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::Channel;

use crate::bench::say;
use crate::treegen;
use fengqiao_store::Backend;

#[derive(Debug, clap::Args)]
pub struct NetworkArgs {
    /// Backend of the district node (the other tiers use SQLite files).
    #[arg(long, value_enum, default_value = "postgres")]
    pub db: Backend,
    /// Townships of the synthetic district (each with 10 communities of 40 groups).
    #[arg(long, default_value_t = 10)]
    pub townships: usize,
    /// Days of reports submitted while the district is unreachable.
    #[arg(long, default_value_t = 5)]
    pub backlog_days: u32,
    /// Reports in flight at once from the simulated officers.
    #[arg(long, default_value_t = 128)]
    pub clients: usize,
    /// PostgreSQL server for `--db postgres` (fresh schemas are made and dropped).
    #[arg(long, env = "FENGQIAO_TEST_PG", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub pg_url: String,
}

struct Network {
    runtime: tokio::runtime::Runtime,
    stop: watch::Sender<bool>,
    /// Node address by unit.
    addresses: HashMap<String, String>,
    district_store: Arc<dyn Store>,
    /// Turns true once the district's node has started (before it serves).
    district_started: watch::Receiver<bool>,
    temp: std::path::PathBuf,
    schemas: Vec<String>,
}

/// Starts a node for every unit of `tree` down to the communities, the
/// district on the chosen backend; with `district_delay`, the district starts
/// serving only when it turns true (until then its address refuses
/// connections: a partition).
async fn start_network(
    tree: &UnitTree,
    args: &NetworkArgs,
    label: &str,
    district_delay: Option<watch::Receiver<bool>>,
) -> Result<Network> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bench-network")
        .enable_all()
        .build()?;
    let temp = std::env::temp_dir().join(format!("fengqiao-bench-network-{}-{label}", std::process::id()));
    std::fs::create_dir_all(&temp)?;
    let (stop, stopped) = watch::channel(false);
    let root = tree.root_id().to_string();
    let node_units: Vec<String> =
        tree.units().into_iter().filter(|u| u.tier != Tier::Group).map(|u| u.id.to_string()).collect();
    let mut addresses: HashMap<String, String> = HashMap::new();
    // Reserve every address first, so the district's is known before it serves.
    let mut listeners = HashMap::new();
    for unit in &node_units {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        addresses.insert(unit.clone(), listener.local_addr()?.to_string());
        listeners.insert(unit.clone(), listener);
    }
    let mut schemas = Vec::new();
    let mut district_store = None;
    let (district_ready, district_started) = watch::channel(false);
    let mut district_ready = Some(district_ready);
    for unit in &node_units {
        let store: Arc<dyn Store> = if *unit == root && args.db == Backend::Postgres {
            let schema = format!("bench_net_{}_{label}", std::process::id());
            schemas.push(schema.clone());
            let url = args.pg_url.clone();
            runtime
                .spawn(async move {
                    let store: Arc<dyn Store> = Arc::new(PgStore::connect_in_schema(&url, &schema).await?);
                    anyhow::Ok(store)
                })
                .await??
        } else {
            let url = format!("sqlite://{}", temp.join(format!("{unit}.db")).display());
            runtime.spawn(async move { fengqiao_store::connect(&url).await }).await??
        };
        if *unit == root {
            district_store = Some(Arc::clone(&store));
        }
        let parent = tree
            .get(unit)
            .and_then(|u| u.parent.as_ref())
            .map(|p| format!("http://{}", addresses[p.as_str()]));
        let tier = tree.get(unit).map(|u| u.tier);
        let config = NodeConfig {
            parent,
            child_nodes: if tier == Some(Tier::Community) {
                ChildNodes::None
            } else {
                ChildNodes::AllChildren
            },
            forwarder: ForwarderConfig {
                max_backoff: Duration::from_millis(200),
                ..ForwarderConfig::default()
            },
            limits: Limits::unthrottled(),
            ..NodeConfig::new(unit.clone())
        };
        let listener = listeners.remove(unit).expect("reserved");
        listener.set_nonblocking(true)?;
        let tree = tree.clone();
        let mut stopped = stopped.clone();
        let delay = if *unit == root { district_delay.clone() } else { None };
        let ready = if *unit == root { district_ready.take() } else { None };
        runtime.spawn(async move {
            let node = Node::start(config, &tree, store, Arc::new(SystemClock)).await?;
            if let Some(ready) = ready {
                let _ = ready.send(true);
            }
            // A partition, not a restart: the node is up and its address
            // bound, but it accepts no connection until the link heals
            // (connections wait in the listener's backlog meanwhile).
            if let Some(mut delay) = delay {
                let _ = delay.wait_for(|go| *go).await;
            }
            fengqiao_node::serve(node, TcpListener::from_std(listener)?, async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await?;
            anyhow::Ok(())
        });
    }
    Ok(Network {
        runtime,
        stop,
        addresses,
        district_store: district_store.context("the district runs a node")?,
        district_started,
        temp,
        schemas,
    })
}

impl Network {
    async fn district_count(&self) -> Result<u64> {
        let store = Arc::clone(&self.district_store);
        Ok(self.runtime.spawn(async move { store.count_reports().await }).await??)
    }

    async fn wait_for_district(&self, expected: u64, limit: Duration) -> Result<Duration> {
        let start = Instant::now();
        loop {
            if self.district_count().await? >= expected {
                return Ok(start.elapsed());
            }
            if start.elapsed() > limit {
                bail!("the district holds {} of {expected} after {limit:?}", self.district_count().await?);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn shutdown(self, pg_url: &str) {
        let _ = self.stop.send(true);
        let store = Arc::clone(&self.district_store);
        let _ = self.runtime.spawn(async move { store.close().await }).await;
        for schema in &self.schemas {
            let _ = PgStore::drop_schema(pg_url, schema).await;
        }
        let _ = std::fs::remove_dir_all(&self.temp);
        self.runtime.shutdown_background();
    }
}

/// One zero report per reporting group for `date`, submitted to its
/// community's node; returns when every one is acknowledged.
async fn submit_day(tree: &UnitTree, network: &Network, date: NaiveDate, clients: usize) -> Result<u64> {
    let mut channels: HashMap<String, Channel> = HashMap::new();
    for (unit, address) in &network.addresses {
        channels.insert(unit.clone(), Channel::from_shared(format!("http://{address}"))?.connect_lazy());
    }
    let groups: Vec<(String, String)> = tree
        .units()
        .into_iter()
        .filter(|u| u.tier == Tier::Group && u.expected_on(date))
        .map(|u| (u.id.to_string(), u.parent.as_ref().expect("groups have parents").to_string()))
        .collect();
    let results = crate::bench::file_zero_reports(groups, &channels, date, clients, true).await;
    let failures = results.iter().filter(|r| r.is_err()).count();
    if failures > 0 {
        bail!("{failures} submissions failed");
    }
    Ok(results.len() as u64)
}

/// What `bench network` measured.
#[derive(Debug, Clone, Copy)]
pub struct NetworkFigures {
    /// Seconds from the last submit until the full day is visible at the district.
    pub full_day_lag_s: f64,
    /// Reports/s drained into the district after the partition.
    pub drain_rate: f64,
    /// Rows/s of the store's batched apply of the same rows.
    pub raw_rate: f64,
}

pub async fn network(args: NetworkArgs) -> Result<NetworkFigures> {
    crate::commands::node::init_logging("error");
    let tree = treegen::synthetic(0, args.townships, 10, 40)?;
    let reporting_groups = tree.units().iter().filter(|u| u.tier == Tier::Group).count();
    let communities = tree.units().iter().filter(|u| u.tier == Tier::Community).count();
    let today = TimePolicy::default().local_date(Utc::now());
    say!(
        "network benchmark: {} townships, {communities} community nodes, {reporting_groups} reporting groups; district on {:?}",
        args.townships,
        args.db
    );

    // 1. A full day, live: seconds from the last acknowledged submit until all
    //    are visible at the district.
    let network = start_network(&tree, &args, "live", None).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let day = today - chrono::Duration::days(1);
    let submitted = submit_day(&tree, &network, day, args.clients).await?;
    let submit_time = started.elapsed();
    let lag = network.wait_for_district(submitted, Duration::from_secs(120)).await?;
    say!(
        "  full day: {submitted} reports submitted at the communities in {:.2} s ({:.0}/s); \
         all visible at the district {:.3} s after the last submit",
        submit_time.as_secs_f64(),
        submitted as f64 / submit_time.as_secs_f64(),
        lag.as_secs_f64()
    );
    network.shutdown(&args.pg_url).await;

    // 2. The district unreachable while a day is submitted; then the drain.
    let (go, district_gate) = watch::channel(false);
    let network = start_network(&tree, &args, "partition", Some(district_gate)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut submitted = 0;
    for back in 1..=i64::from(args.backlog_days) {
        submitted += submit_day(&tree, &network, today - chrono::Duration::days(back), args.clients).await?;
    }
    // Let the townships receive everything from the communities.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut started = network.district_started.clone();
    started.wait_for(|started| *started).await.context("the district's node did not start")?;
    let _ = go.send(true);
    let drain = network.wait_for_district(submitted, Duration::from_secs(300)).await?;
    let drain_rate = submitted as f64 / drain.as_secs_f64();
    say!(
        "  drain after a partition: {submitted} reports into the district in {:.2} s = {drain_rate:.0} reports/s \
         (from the link healing; the district was up)",
        drain.as_secs_f64()
    );
    // 3. The raw baseline: the same rows, batched upserts, same backend.
    let district_rows: Vec<_> = (1..=i64::from(args.backlog_days))
        .flat_map(|back| raw_rows(&tree, today - chrono::Duration::days(back)))
        .collect();
    let raw_rate = raw_upsert(&args, &network, district_rows).await?;
    say!(
        "  the store's batched apply of the same rows (500 a transaction, no gRPC): {raw_rate:.0} rows/s; \
         drain / raw = {:.2}  (target: drain ≥ 20,000/s)",
        drain_rate / raw_rate
    );
    network.shutdown(&args.pg_url).await;
    Ok(NetworkFigures { full_day_lag_s: lag.as_secs_f64(), drain_rate, raw_rate })
}

fn raw_rows(tree: &UnitTree, day: NaiveDate) -> Vec<fengqiao_store::Submission> {
    tree.units()
        .into_iter()
        .filter(|u| u.tier == Tier::Group)
        .map(|u| {
            let report = fengqiao_core::DailyReport::new(fengqiao_core::ReportDraft {
                unit_id: u.id.clone(),
                date: day,
                revision: fengqiao_core::Revision::FIRST,
                reporter: "bench".into(),
                zero: true,
                disputes: vec![],
                correction_reason: String::new(),
            })
            .expect("valid report");
            let audit = fengqiao_core::audit::AuditRecord::new(
                Utc::now(),
                "bench",
                "bench/raw-upsert",
                format!("report {}@{day} r1", report.unit_id()),
            );
            fengqiao_store::Submission {
                report,
                source: Source::Uplink,
                accepted_at: Utc::now(),
                first_accepted_at: None,
                trace_parent: None,
                audit,
            }
        })
        .collect()
}

/// The baseline: rows/s of the store's own batched apply (500 a transaction:
/// read heads, insert history, upsert heads, append the audit entries; no
/// gRPC, no forwarding) into a
/// fresh database of the district's backend.
async fn raw_upsert(
    args: &NetworkArgs,
    network: &Network,
    rows: Vec<fengqiao_store::Submission>,
) -> Result<f64> {
    let pg_url = args.pg_url.clone();
    let backend = args.db;
    let path = network.temp.join("raw.db");
    network
        .runtime
        .spawn(async move {
            let schema = format!("bench_raw_{}", std::process::id());
            let store: Arc<dyn Store> = match backend {
                Backend::Postgres => Arc::new(PgStore::connect_in_schema(&pg_url, &schema).await?),
                Backend::Sqlite => fengqiao_store::connect(&format!("sqlite://{}", path.display())).await?,
            };
            let count = rows.len();
            let started = Instant::now();
            let mut rows = rows.into_iter().peekable();
            while rows.peek().is_some() {
                let batch: Vec<_> = rows.by_ref().take(500).collect();
                store.apply_reports(batch, false, &fengqiao_core::TimePolicy::default()).await?;
            }
            let rate = count as f64 / started.elapsed().as_secs_f64();
            store.close().await;
            if backend == Backend::Postgres {
                let _ = PgStore::drop_schema(&pg_url, &schema).await;
            }
            anyhow::Ok(rate)
        })
        .await?
}
