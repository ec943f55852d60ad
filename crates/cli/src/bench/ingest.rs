//! `fengqiao bench ingest`: durably committed reports per second through
//! `SubmitDailyReport` on a real node, beside a raw tonic service that
//! receives the same message and stores nothing, in the same run, and prints
//! the ratio.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use fengqiao_core::{SystemClock, TimePolicy, UnitTree};
use fengqiao_node::{Limits, Node, NodeConfig};
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::reporting_service_server::{ReportingService, ReportingServiceServer};
use fengqiao_proto::pb::uplink_service_server::{UplinkService, UplinkServiceServer};
use fengqiao_proto::pb::{
    self, GetDailyReportRequest, GetDailyReportResponse, ItemAck, ItemOutcome, ListDailyReportsRequest,
    ListDailyReportsResponse, PushBatchRequest, PushBatchResponse, SubmitDailyReportRequest,
    SubmitDailyReportResponse,
};
use fengqiao_store::Store;
use fengqiao_store::postgres::PgStore;
use prost::Message;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::transport::{Channel, Server};
use tonic::{Request, Response, Status};

use crate::bench::say;
use crate::treegen;
use fengqiao_store::Backend;

#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// Backend of the node under test.
    #[arg(long, value_enum, default_value = "sqlite")]
    pub db: Backend,
    /// Concurrent clients, each with one call in flight.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Seconds of measurement per side (after one second of warm-up).
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// HTTP/2 connections the clients share.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// PostgreSQL server for `--db postgres` (a fresh schema is made and dropped).
    #[arg(long, env = "FENGQIAO_TEST_PG", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub pg_url: String,
}

/// The baseline: decodes the request, stores nothing, answers at once.
#[derive(Debug)]
struct RawReporting;

#[tonic::async_trait]
impl ReportingService for RawReporting {
    async fn submit_daily_report(
        &self,
        request: Request<SubmitDailyReportRequest>,
    ) -> Result<Response<SubmitDailyReportResponse>, Status> {
        let revision = request.into_inner().report.map_or(0, |r| r.revision);
        Ok(Response::new(SubmitDailyReportResponse {
            revision,
            disposition: pb::Disposition::New.into(),
            replaced_revision: 0,
            accepted_at: Some(fengqiao_proto::timestamp(Utc::now())),
            on_time: true,
        }))
    }

    async fn get_daily_report(
        &self,
        _: Request<GetDailyReportRequest>,
    ) -> Result<Response<GetDailyReportResponse>, Status> {
        Err(Status::unimplemented("the benchmark baseline only takes submissions"))
    }

    async fn list_daily_reports(
        &self,
        _: Request<ListDailyReportsRequest>,
    ) -> Result<Response<ListDailyReportsResponse>, Status> {
        Err(Status::unimplemented("the benchmark baseline only takes submissions"))
    }
}

/// The reports the clients send: key `k` is (unit k mod n, today − 1 − k div n),
/// so every submission is a new report.
#[derive(Debug)]
struct Workload {
    units: Vec<String>,
    today: chrono::NaiveDate,
    next: AtomicU64,
}

impl Workload {
    fn report(&self, key: u64) -> pb::DailyReport {
        let n = self.units.len() as u64;
        let date = self.today - chrono::Duration::days(1 + (key / n) as i64);
        pb::DailyReport {
            unit_id: self.units[(key % n) as usize].clone(),
            date: date.to_string(),
            revision: 1,
            reporter: "bench-officer".into(),
            zero: false,
            disputes: vec![pb::Dispute {
                local_id: "d1".into(),
                category: pb::DisputeCategory::Neighbour.into(),
                outcome: pb::DisputeOutcome::ResolvedOnTheSpot.into(),
                parties: 2,
                summary: "noise between flats, settled".into(),
                case_id: String::new(),
                wage_arrears: None,
            }],
            correction_reason: String::new(),
        }
    }
}

#[derive(Debug, Default)]
struct Figures {
    ok: u64,
    errors: u64,
    seconds: f64,
    latencies_us: Vec<u64>,
}

impl Figures {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.seconds
    }

    fn percentile(&mut self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        self.latencies_us.sort_unstable();
        let index = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[index] as f64 / 1000.0
    }
}

async fn drive(address: std::net::SocketAddr, args: &IngestArgs, workload: Arc<Workload>) -> Result<Figures> {
    let mut channels = Vec::new();
    for _ in 0..args.connections.max(1) {
        channels.push(
            Channel::from_shared(format!("http://{address}"))?
                .connect()
                .await
                .context("connecting to the bench server")?,
        );
    }
    let warm_up = Duration::from_secs(1);
    let measure = Duration::from_secs(args.seconds);
    let start = Instant::now();
    let tasks: Vec<_> = (0..args.clients)
        .map(|client| {
            let mut stub = ReportingServiceClient::new(channels[client % channels.len()].clone());
            let workload = Arc::clone(&workload);
            tokio::spawn(async move {
                let mut figures = Figures::default();
                loop {
                    let sent = Instant::now();
                    let elapsed = sent - start;
                    if elapsed >= warm_up + measure {
                        break;
                    }
                    let key = workload.next.fetch_add(1, Ordering::Relaxed);
                    let result = stub
                        .submit_daily_report(SubmitDailyReportRequest { report: Some(workload.report(key)) })
                        .await;
                    if elapsed < warm_up {
                        continue;
                    }
                    match result {
                        Ok(_) => {
                            figures.ok += 1;
                            figures.latencies_us.push(sent.elapsed().as_micros() as u64);
                        }
                        Err(_) => figures.errors += 1,
                    }
                }
                figures
            })
        })
        .collect();
    let mut total = Figures { seconds: measure.as_secs_f64(), ..Figures::default() };
    for task in tasks {
        let figures = task.await?;
        total.ok += figures.ok;
        total.errors += figures.errors;
        total.latencies_us.extend(figures.latencies_us);
    }
    Ok(total)
}

/// What `bench ingest` measured, in requests (reports) per second.
#[derive(Debug, Clone, Copy)]
pub struct IngestFigures {
    /// The raw tonic service that stores nothing.
    pub raw: f64,
    /// The node, committed reports/s, forwarding off.
    pub node: f64,
    /// The node with forwarding on (to a sink parent).
    pub forwarding: f64,
}

pub async fn ingest(args: IngestArgs) -> Result<IngestFigures> {
    crate::commands::node::init_logging("warn");
    if args.clients == 0 || args.seconds == 0 {
        bail!("--clients and --seconds must be at least 1");
    }
    let tree: UnitTree = treegen::synthetic(0, 10, 10, 50)?;
    let units: Vec<String> = tree.units().iter().filter(|u| u.reporting).map(|u| u.id.to_string()).collect();
    let policy = TimePolicy::default();
    let today = policy.local_date(Utc::now());
    let new_workload = || Arc::new(Workload { units: units.clone(), today, next: AtomicU64::new(0) });
    let sample = new_workload().report(0);
    say!(
        "ingest benchmark: {} clients over {} connections, {} s per side, {}-byte report, {} units",
        args.clients,
        args.connections,
        args.seconds,
        SubmitDailyReportRequest { report: Some(sample) }.encoded_len(),
        units.len()
    );

    // Servers run on a runtime of their own (their own threads), as a node
    // runs in a process of its own: the load generator's tasks do not queue
    // in front of the server's.
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bench-server")
        .enable_all()
        .build()?;

    // Baseline: a raw tonic service, same message, no storage.
    let listener = TcpListener::bind("127.0.0.1:0").await?.into_std()?;
    let address = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let raw = server_runtime.spawn(async move {
        Server::builder()
            .add_service(ReportingServiceServer::new(RawReporting))
            .serve_with_incoming_shutdown(tokio_stream_listener(TcpListener::from_std(listener)?), async {
                let _ = stopped.await;
            })
            .await?;
        anyhow::Ok(())
    });
    let mut raw_figures = drive(address, &args, new_workload()).await?;
    let _ = stop.send(());
    raw.await??;
    say!(
        "  raw tonic (no storage)   {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   errors {}",
        raw_figures.rate(),
        raw_figures.percentile(0.5),
        raw_figures.percentile(0.99),
        raw_figures.errors
    );

    // The node, on the chosen backend: forwarding off, then on (to a sink
    // parent that acknowledges at once, so only the node's own cost shows).
    let off = measure_node(&args, &server_runtime, &tree, new_workload(), None).await?;
    let sink = TcpListener::bind("127.0.0.1:0").await?.into_std()?;
    let sink_address = sink.local_addr()?;
    let (stop_sink, sink_stopped) = oneshot::channel::<()>();
    let sink_server = server_runtime.spawn(async move {
        Server::builder()
            .add_service(UplinkServiceServer::new(SinkParent))
            .serve_with_incoming_shutdown(tokio_stream_listener(TcpListener::from_std(sink)?), async {
                let _ = sink_stopped.await;
            })
            .await?;
        anyhow::Ok(())
    });
    let on =
        measure_node(&args, &server_runtime, &tree, new_workload(), Some(format!("http://{sink_address}")))
            .await?;
    let _ = stop_sink.send(());
    sink_server.await??;
    server_runtime.shutdown_background();
    let raw_rate = raw_figures.rate().max(f64::MIN_POSITIVE);
    say!(
        "  ratio node/raw = {:.2}  (target ≥ 0.50 at 64 clients); forwarding on/off = {:.2}",
        off.rate / raw_rate,
        on.rate / off.rate.max(f64::MIN_POSITIVE)
    );
    Ok(IngestFigures { raw: raw_figures.rate(), node: off.rate, forwarding: on.rate })
}

/// What one node run measured.
struct NodeRun {
    rate: f64,
}

/// Runs the node under load and prints its line.
async fn measure_node(
    args: &IngestArgs,
    server_runtime: &tokio::runtime::Runtime,
    tree: &UnitTree,
    workload: Arc<Workload>,
    parent: Option<String>,
) -> Result<NodeRun> {
    let temp = tempfile_dir()?;
    let schema = format!("bench_{}_{}", std::process::id(), u8::from(parent.is_some()));
    let db_url =
        format!("sqlite://{}", temp.join(format!("bench-{}.db", u8::from(parent.is_some()))).display());
    let (backend, pg_url, schema_for_server) = (args.db, args.pg_url.clone(), schema.clone());
    let store: Arc<dyn Store> = server_runtime
        .spawn(async move {
            anyhow::Ok(match backend {
                Backend::Sqlite => fengqiao_store::connect(&db_url).await?,
                Backend::Postgres => Arc::new(
                    PgStore::connect_in_schema(&pg_url, &schema_for_server)
                        .await
                        .with_context(|| format!("cannot open PostgreSQL at {pg_url}"))?,
                ),
            })
        })
        .await??;
    let listener = TcpListener::bind("127.0.0.1:0").await?.into_std()?;
    let address = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let node_store = Arc::clone(&store);
    let tree = tree.clone();
    let forwarding = parent.is_some();
    let served = server_runtime.spawn(async move {
        let config = NodeConfig {
            parent,
            limits: Limits::unthrottled(),
            ..NodeConfig::new(tree.root_id().to_string())
        };
        let node = Node::start(config, &tree, node_store, Arc::new(SystemClock)).await?;
        fengqiao_node::serve(node, TcpListener::from_std(listener)?, async {
            let _ = stopped.await;
        })
        .await?;
        anyhow::Ok(())
    });
    let mut figures = drive(address, args, Arc::clone(&workload)).await?;
    let _ = stop.send(());
    served.await??;
    let sent = workload.next.load(Ordering::Relaxed);
    let backend = store.backend();
    let (committed, outbox) = server_runtime
        .spawn(async move {
            let committed = store.count_reports().await;
            let outbox = store.outbox_stats().await;
            store.close().await;
            (committed, outbox)
        })
        .await?;
    let (committed, outbox) = (committed?, outbox?);
    if args.db == Backend::Postgres {
        let _ = PgStore::drop_schema(&args.pg_url, &schema).await;
    }
    let _ = std::fs::remove_dir_all(&temp);
    let label = if forwarding { "forwarding" } else { "committed" };
    say!(
        "  node, {backend:<8} ({label:<10}) {:>9.0} rep/s   p50 {:>6.2} ms   p99 {:>6.2} ms   errors {}",
        figures.rate(),
        figures.percentile(0.5),
        figures.percentile(0.99),
        figures.errors
    );
    say!("      stored {committed} of {sent} sent (warm-up included); outbox left {}", outbox.depth);
    Ok(NodeRun { rate: figures.rate() })
}

/// A parent that acknowledges every forwarded item at once and stores
/// nothing: the forwarding cost of the node under test, alone.
#[derive(Debug)]
struct SinkParent;

#[tonic::async_trait]
impl UplinkService for SinkParent {
    async fn push_batch(
        &self,
        request: Request<PushBatchRequest>,
    ) -> Result<Response<PushBatchResponse>, Status> {
        let acks = request
            .into_inner()
            .items
            .iter()
            .map(|item| ItemAck {
                sequence: item.sequence,
                outcome: ItemOutcome::Applied.into(),
                detail: String::new(),
            })
            .collect();
        Ok(Response::new(PushBatchResponse { acks, ..Default::default() }))
    }
}

fn tokio_stream_listener(listener: TcpListener) -> tokio_stream::wrappers::TcpListenerStream {
    tokio_stream::wrappers::TcpListenerStream::new(listener)
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("fengqiao-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}
