//! The node's limits, each driven over the wire against a node with small
//! limits, and a load test: one source floods the node while another keeps
//! being served.
//!
//! The limits live in the server (tower layer, connection guard, tonic's
//! decoder) and the domain validators, not in the store, so these tests run
//! on SQLite only; the slow path two of them need is a real one, a write
//! lock another connection holds on the node's database.
//!
//! Distinct sources are distinct loopback addresses: a client bound to
//! 127.0.0.2 is another caller to the rate limit than one on 127.0.0.1.

mod common;

use common::expect_code;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use fengqiao_core::{Clock, ManualClock, UnitTree};
use fengqiao_node::{Limits, Node, NodeConfig, ServeError};
use fengqiao_proto::pb;
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::unit_service_client::UnitServiceClient;
use fengqiao_store::testing::TestDb;
use fengqiao_store::{Backend, Store};
use sqlx::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const TREE: &str = "code,parent_code,tier,name,reporting,active_from,active_to\n\
    410411,,district,湛河区,,,\n\
    410411001,410411,township,马庄街道,,,\n\
    410411001001,410411001,community,电力社区,,,\n\
    410411001001001,410411001001,group,1号楼,,,\n\
    410411001001002,410411001001,group,2号楼,,,\n\
    410411001001003,410411001001,group,3号楼,,,\n";

const HOME: &str = "410411001";
const GROUP: &str = "410411001001001";
const GROUP_2: &str = "410411001001002";
const GROUP_3: &str = "410411001001003";

/// 16:00 in Shanghai, two hours before the 18:00 cut-off.
fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap()
}

const TODAY: &str = "2026-11-28";

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/// A node on 127.0.0.1 with the given limits.
struct LimitedNode {
    db: TestDb,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    address: SocketAddr,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<Result<(), ServeError>>,
}

impl LimitedNode {
    async fn start(limits: Limits) -> LimitedNode {
        let db = TestDb::new(Backend::Sqlite).await;
        let store = db.open().await.expect("test database opens");
        let tree = UnitTree::from_csv(TREE).expect("test tree parses");
        let clock = Arc::new(ManualClock::new(start_time()));
        let config = NodeConfig { limits, ..NodeConfig::new(HOME) };
        let node = Node::start(config, &tree, Arc::clone(&store), Arc::clone(&clock) as Arc<dyn Clock>)
            .await
            .expect("node starts");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("local address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(fengqiao_node::serve(node, listener, async move {
            let _ = stop.await;
        }));
        LimitedNode { db, store, clock, address, shutdown, server }
    }

    /// A channel from source address `source` (127.0.0.x).
    async fn channel_from(&self, source: [u8; 4]) -> Channel {
        let server = self.address;
        let source = SocketAddr::from((source, 0));
        Endpoint::from_shared(format!("http://{server}"))
            .expect("endpoint")
            .connect_with_connector(tower_service_fn(move || async move {
                let socket = TcpSocket::new_v4()?;
                socket.bind(source)?;
                let stream = socket.connect(server).await?;
                stream.set_nodelay(true)?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
            }))
            .await
            .expect("client connects")
    }

    async fn channel(&self) -> Channel {
        self.channel_from([127, 0, 0, 1]).await
    }

    async fn count(&self) -> u64 {
        self.store.count_reports().await.expect("store counts")
    }

    async fn stop(self) {
        let _ = self.shutdown.send(());
        tokio::time::timeout(Duration::from_secs(30), self.server)
            .await
            .expect("the server stops")
            .expect("server task does not panic")
            .expect("server stops without error");
        self.store.close().await;
        self.db.cleanup().await;
    }
}

/// A connector (`Service<Uri>`) calling `connect` for every connection.
fn tower_service_fn<F, Fut>(connect: F) -> ConnectFn<F>
where
    F: Fn() -> Fut,
{
    ConnectFn(connect)
}

#[derive(Clone)]
struct ConnectFn<F>(F);

impl<F, Fut, T> tower_service::Service<http::Uri> for ConnectFn<F>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = std::io::Result<T>>,
{
    type Response = T;
    type Error = std::io::Error;
    type Future = Fut;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Uri) -> Fut {
        (self.0)()
    }
}

/// Small limits that no test trips by accident; each test lowers its own.
fn roomy() -> Limits {
    Limits {
        request_timeout: Duration::from_secs(20),
        rate_per_second: 1000,
        rate_burst: 1000,
        ..Limits::default()
    }
}

fn land_dispute(local_id: String, summary: String) -> pb::Dispute {
    pb::Dispute {
        local_id,
        category: pb::DisputeCategory::Land.into(),
        outcome: pb::DisputeOutcome::Mediating.into(),
        parties: 2,
        summary,
        case_id: String::new(),
        wage_arrears: None,
    }
}

fn report(unit: &str, disputes: Vec<pb::Dispute>) -> pb::DailyReport {
    pb::DailyReport {
        unit_id: unit.into(),
        date: TODAY.into(),
        revision: 1,
        reporter: "officer-7".into(),
        zero: disputes.is_empty(),
        disputes,
        correction_reason: String::new(),
    }
}

async fn submit(channel: &Channel, report: pb::DailyReport) -> Result<pb::SubmitDailyReportResponse, Status> {
    ReportingServiceClient::new(channel.clone())
        .submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report) })
        .await
        .map(tonic::Response::into_inner)
}

async fn get_unit(channel: &Channel) -> Result<pb::GetUnitResponse, Status> {
    UnitServiceClient::new(channel.clone())
        .get_unit(pb::GetUnitRequest { unit_id: HOME.into() })
        .await
        .map(tonic::Response::into_inner)
}

async fn health(channel: &Channel) -> Result<ServingStatus, Status> {
    let response =
        HealthClient::new(channel.clone()).check(HealthCheckRequest { service: String::new() }).await?;
    Ok(response.into_inner().status())
}

/// Holds SQLite's write lock on the node's database until dropped: the
/// node's writes wait (up to its busy timeout) meanwhile.
struct WriteLock(sqlx::SqliteConnection);

impl WriteLock {
    async fn take(db: &TestDb) -> WriteLock {
        let mut connection = sqlx::SqliteConnection::connect(&db.url()).await.expect("second connection");
        sqlx::query("BEGIN EXCLUSIVE").execute(&mut connection).await.expect("write lock");
        WriteLock(connection)
    }

    async fn release(mut self) {
        sqlx::query("ROLLBACK").execute(&mut self.0).await.expect("unlock");
        self.0.close().await.expect("close");
    }
}

// ---------------------------------------------------------------------------
// Message size, disputes per report, string lengths
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_oversized_message_is_refused_by_every_service() {
    let node = LimitedNode::start(Limits { max_message_bytes: 64 * 1024, ..roomy() }).await;
    let channel = node.channel().await;

    // 150 disputes of 500 bytes: about 80 KB, valid but for its size.
    let bulky = |unit: &str| {
        report(unit, (0..150).map(|i| land_dispute(format!("d-{i}"), "x".repeat(500))).collect())
    };
    let status = expect_code(submit(&channel, bulky(GROUP)).await, Code::OutOfRange);
    assert!(status.message().contains("65536"), "the message names the limit: {}", status.message());
    assert_eq!(node.count().await, 0, "nothing stored");

    // The summary and case services decode under the same limit.
    let status = expect_code(
        SummaryServiceClient::new(channel.clone())
            .completeness(pb::CompletenessRequest { unit_id: "9".repeat(70 * 1024), date: TODAY.into() })
            .await,
        Code::OutOfRange,
    );
    assert!(status.message().contains("65536"), "{}", status.message());
    let status = expect_code(
        CaseServiceClient::new(channel.clone())
            .register_case(pb::RegisterCaseRequest { note: "x".repeat(70 * 1024), ..Default::default() })
            .await,
        Code::OutOfRange,
    );
    assert!(status.message().contains("65536"), "{}", status.message());
    assert_eq!(list_cases(&channel).await, 0, "no case stored");

    // Under the limit (100 disputes, about 53 KB): taken.
    let under = report(GROUP, (0..100).map(|i| land_dispute(format!("d-{i}"), "x".repeat(500))).collect());
    submit(&channel, under).await.expect("a report under the limit is taken");
    assert_eq!(node.count().await, 1);
    node.stop().await;
}

async fn list_cases(channel: &Channel) -> usize {
    CaseServiceClient::new(channel.clone())
        .list_cases(pb::ListCasesRequest { unit_id: HOME.into(), ..Default::default() })
        .await
        .expect("cases listed")
        .into_inner()
        .cases
        .len()
}

#[tokio::test]
async fn too_many_disputes_in_a_report_are_refused() {
    let node = LimitedNode::start(roomy()).await;
    let channel = node.channel().await;
    let disputes =
        |n: usize| (0..n).map(|i| land_dispute(format!("d-{i}"), "boundary wall".into())).collect();

    let status = expect_code(submit(&channel, report(GROUP, disputes(201))).await, Code::InvalidArgument);
    assert!(status.message().starts_with("report.disputes: "), "names the field: {}", status.message());
    assert!(status.message().contains("200"), "names the limit: {}", status.message());
    assert_eq!(node.count().await, 0, "nothing stored");

    submit(&channel, report(GROUP, disputes(200))).await.expect("200 disputes are taken");
    assert_eq!(node.count().await, 1);
    node.stop().await;
}

#[tokio::test]
async fn over_long_strings_are_refused() {
    let node = LimitedNode::start(roomy()).await;
    let channel = node.channel().await;

    // A dispute summary over 500 characters (counted as characters, not bytes).
    let long = report(GROUP, vec![land_dispute("d-1".into(), "议".repeat(501))]);
    let status = expect_code(submit(&channel, long).await, Code::InvalidArgument);
    assert!(status.message().starts_with("report.disputes[0].summary: "), "{}", status.message());
    // 500 is still fine.
    let fits = report(GROUP_2, vec![land_dispute("d-1".into(), "议".repeat(500))]);
    submit(&channel, fits).await.expect("500 characters are taken");
    assert_eq!(node.count().await, 1, "only the valid report stored");

    // A case summary over 2000 characters, and a petitioner name over 100.
    let cases = CaseServiceClient::new(channel.clone());
    let intake = |summary: String| pb::CaseIntake {
        origin_unit_id: GROUP.into(),
        category: pb::DisputeCategory::Land.into(),
        channel: pb::CaseChannel::Letter.into(),
        summary,
        ..pb::CaseIntake::default()
    };
    let register = |intake: pb::CaseIntake, name: String| pb::RegisterCaseRequest {
        intake: Some(intake),
        petitioner: Some(pb::Petitioner { name, ..Default::default() }),
        actor: "officer-1".into(),
        ..Default::default()
    };
    let status = expect_code(
        cases.clone().register_case(register(intake("界".repeat(2001)), "张三".into())).await,
        Code::InvalidArgument,
    );
    assert!(status.message().contains("summary"), "names the field: {}", status.message());
    let status = expect_code(
        cases.clone().register_case(register(intake("boundary".into()), "张".repeat(101))).await,
        Code::InvalidArgument,
    );
    assert!(status.message().contains("name"), "names the field: {}", status.message());
    assert_eq!(list_cases(&channel).await, 0, "no case stored");
    node.stop().await;
}

// ---------------------------------------------------------------------------
// Request timeout, load shedding
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_call_over_the_request_timeout_gets_deadline_exceeded_but_streams_live_on() {
    let timeout = Duration::from_millis(400);
    let node = LimitedNode::start(Limits { request_timeout: timeout, ..roomy() }).await;
    let channel = node.channel().await;

    // A stream opened before the stall, outliving the timeout several times.
    let mut alerts = SummaryServiceClient::new(channel.clone())
        .watch_alerts(pb::WatchAlertsRequest { unit_id: HOME.into() })
        .await
        .expect("the alert stream opens")
        .into_inner();

    let lock = WriteLock::take(&node.db).await;
    let started = Instant::now();
    let status = expect_code(submit(&channel, report(GROUP, vec![])).await, Code::DeadlineExceeded);
    let waited = started.elapsed();
    assert!(status.message().contains("400 ms"), "names the timeout: {}", status.message());
    assert!(waited >= timeout, "answered after the timeout, not before: {waited:?}");
    assert!(waited < Duration::from_secs(5), "answered at the timeout, not when the lock went: {waited:?}");
    // Reads are not held up by the stalled write.
    get_unit(&channel).await.expect("the node still answers");
    lock.release().await;

    // Well past the timeout, the stream still delivers: the cut-off passes.
    tokio::time::sleep(timeout * 3).await;
    node.clock.advance(chrono::Duration::hours(3));
    let alert = tokio::time::timeout(Duration::from_secs(10), alerts.message())
        .await
        .expect("an alert within 10 s")
        .expect("the stream is not cut")
        .expect("an alert, not the end");
    assert_eq!(alert.date, TODAY);
    node.stop().await;
}

#[tokio::test]
async fn over_the_concurrency_limit_calls_are_shed_while_those_in_flight_complete() {
    let node = LimitedNode::start(Limits { max_in_flight: 2, ..roomy() }).await;
    let channel = node.channel().await;

    // Two writes held by the lock fill the node.
    let lock = WriteLock::take(&node.db).await;
    let held: Vec<_> = [GROUP, GROUP_2]
        .into_iter()
        .map(|unit| {
            let channel = channel.clone();
            tokio::spawn(async move { submit(&channel, report(unit, vec![])).await })
        })
        .collect();

    // A third call is shed at once with UNAVAILABLE.
    let shed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match get_unit(&channel).await {
                Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                Err(status) => break status,
            }
        }
    })
    .await
    .expect("the node fills up within 10 s");
    assert_eq!(shed.code(), Code::Unavailable, "{}", shed.message());
    assert!(shed.message().contains("overloaded"), "{}", shed.message());
    let started = Instant::now();
    expect_code(submit(&channel, report(GROUP_3, vec![])).await, Code::Unavailable);
    assert!(started.elapsed() < Duration::from_secs(2), "shed at once, not queued");
    // Health checks are never shed.
    assert_eq!(health(&channel).await.expect("health answers"), ServingStatus::Serving);

    // Released, the calls in flight complete.
    lock.release().await;
    for call in held {
        let response = call.await.expect("task").expect("the held call completes");
        assert_eq!(response.disposition(), pb::Disposition::New);
    }
    assert_eq!(node.count().await, 2, "the held reports stored, the shed one not");
    get_unit(&channel).await.expect("served again");
    node.stop().await;
}

// ---------------------------------------------------------------------------
// Rate limit per caller
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_caller_over_its_rate_gets_resource_exhausted_while_another_is_served() {
    let node = LimitedNode::start(Limits { rate_per_second: 5, rate_burst: 10, ..roomy() }).await;
    let flooder = node.channel_from([127, 0, 0, 1]).await;
    let other = node.channel_from([127, 0, 0, 2]).await;

    let mut served = 0;
    let mut refused = None;
    for _ in 0..30 {
        match get_unit(&flooder).await {
            Ok(_) => served += 1,
            Err(status) => {
                refused = Some(status);
                break;
            }
        }
    }
    let status = refused.expect("the flooder is refused within 30 quick calls");
    assert_eq!(status.code(), Code::ResourceExhausted, "{}", status.message());
    assert!(status.message().contains("retry in"), "says when to retry: {}", status.message());
    assert!(status.metadata().get("grpc-retry-pushback-ms").is_some(), "pushback metadata");
    assert!((10..=12).contains(&served), "the burst of 10 is served first: {served}");
    // Writes are refused too, and store nothing.
    expect_code(submit(&flooder, report(GROUP, vec![])).await, Code::ResourceExhausted);
    assert_eq!(node.count().await, 0);

    // Another source has its own budget; health checks are never limited.
    for _ in 0..5 {
        get_unit(&other).await.expect("the other caller is served");
    }
    assert_eq!(health(&flooder).await.expect("health answers the flooder"), ServingStatus::Serving);

    // The budget refills at 5 a second.
    tokio::time::sleep(Duration::from_millis(500)).await;
    get_unit(&flooder).await.expect("served again after a pause");
    node.stop().await;
}

// ---------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------

/// Reads until the server closes `stream`; how long that took.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Duration {
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the server did not close the connection within {limit:?}"));
    started.elapsed()
}

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// An empty SETTINGS frame: length 0, type 4, no flags, stream 0.
const EMPTY_SETTINGS: &[u8] = &[0, 0, 0, 4, 0, 0, 0, 0, 0];

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_handshake_timeout() {
    let node = LimitedNode::start(Limits { handshake_timeout: Duration::from_millis(500), ..roomy() }).await;
    let mut idle = TcpStream::connect(node.address).await.expect("connects");
    let took = closed_within(&mut idle, Duration::from_secs(5)).await;
    assert!(took >= Duration::from_millis(400), "not before the timeout: {took:?}");
    // The node serves on.
    get_unit(&node.channel().await).await.expect("served");
    node.stop().await;
}

#[tokio::test]
async fn a_connection_dribbling_its_preface_is_dropped() {
    let node = LimitedNode::start(Limits { handshake_timeout: Duration::from_millis(500), ..roomy() }).await;
    let mut slow = TcpStream::connect(node.address).await.expect("connects");
    slow.set_nodelay(true).unwrap();
    let started = Instant::now();
    // One byte every 100 ms: the preface would take 2.4 s.
    let mut sent = 0;
    for byte in PREFACE {
        if slow.write_all(&[*byte]).await.is_err() {
            break;
        }
        sent += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Closed by the server: a read sees the end at once.
        let mut probe = [0u8; 64];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(1), slow.read(&mut probe)).await
        {
            break;
        }
    }
    assert!(sent < PREFACE.len(), "dropped before the preface was complete ({sent} bytes sent)");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "dropped soon after the timeout: {took:?}");
    node.stop().await;
}

#[tokio::test]
async fn a_peer_that_stops_answering_pings_is_dropped() {
    let node = LimitedNode::start(Limits {
        handshake_timeout: Duration::from_millis(500),
        keepalive_interval: Duration::from_millis(500),
        keepalive_timeout: Duration::from_millis(500),
        ..roomy()
    })
    .await;
    // A complete HTTP/2 handshake, then silence: no SETTINGS ack, no PING ack.
    let mut silent = TcpStream::connect(node.address).await.expect("connects");
    silent.write_all(PREFACE).await.unwrap();
    silent.write_all(EMPTY_SETTINGS).await.unwrap();
    let took = closed_within(&mut silent, Duration::from_secs(10)).await;
    assert!(
        took >= Duration::from_millis(800),
        "closed by the keepalive, not the handshake timeout: {took:?}"
    );
    node.stop().await;
}

#[tokio::test]
async fn connections_over_the_limit_are_closed_at_accept() {
    let node = LimitedNode::start(Limits { max_connections: 2, ..roomy() }).await;
    let channel = node.channel().await; // one
    let mut second = TcpStream::connect(node.address).await.expect("connects"); // two
    second.write_all(PREFACE).await.unwrap();
    second.write_all(EMPTY_SETTINGS).await.unwrap();
    get_unit(&channel).await.expect("served");

    let mut third = TcpStream::connect(node.address).await.expect("the kernel accepts");
    let took = closed_within(&mut third, Duration::from_secs(5)).await;
    assert!(took < Duration::from_secs(2), "closed at once: {took:?}");

    // A slot freed is a slot taken again.
    drop(second);
    let again = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let channel = node.channel().await;
            if get_unit(&channel).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(again.is_ok(), "a new connection is served once one closed");
    get_unit(&channel).await.expect("the first connection still served");
    node.stop().await;
}

// ---------------------------------------------------------------------------
// Load: one source floods, another is served
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    rate_limited: AtomicU64,
    shed: AtomicU64,
    other: AtomicU64,
}

impl Tally {
    fn count(&self, result: &Result<impl Sized, Status>) {
        let counter = match result {
            Ok(_) => &self.ok,
            Err(status) if status.code() == Code::ResourceExhausted => &self.rate_limited,
            Err(status) if status.code() == Code::Unavailable => &self.shed,
            Err(_) => &self.other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_source_does_not_starve_health_checks_or_other_callers() {
    let node = LimitedNode::start(Limits {
        rate_per_second: 50,
        rate_burst: 50,
        request_timeout: Duration::from_secs(10),
        // The default bound on calls in flight (256). The flooder's admitted
        // calls (50 a second) hold that many slots only if each takes 5 s;
        // with a bound of 32 a loaded machine (0.7 s a call) let the flooder
        // fill it, and the node shed the other caller's calls too.
        ..Limits::default()
    })
    .await;
    let flood_for = Duration::from_secs(4);

    // 64 tasks on 127.0.0.1, each as fast as answers come, over 4 connections.
    let flood = Arc::new(Tally::default());
    let mut flooders = Vec::new();
    for connection in 0..4 {
        let channel = node.channel_from([127, 0, 0, 1]).await;
        for task in 0..16 {
            let (channel, flood) = (channel.clone(), Arc::clone(&flood));
            flooders.push(tokio::spawn(async move {
                let started = Instant::now();
                let mut n = 0u32;
                while started.elapsed() < flood_for {
                    // Alternately a summary read and a report write.
                    if n.is_multiple_of(2) {
                        let result = SummaryServiceClient::new(channel.clone())
                            .completeness(pb::CompletenessRequest {
                                unit_id: HOME.into(),
                                date: TODAY.into(),
                            })
                            .await;
                        flood.count(&result);
                    } else {
                        let unit = [GROUP, GROUP_2, GROUP_3][(connection + task) % 3];
                        flood.count(&submit(&channel, report(unit, vec![])).await);
                    }
                    n += 1;
                }
            }));
        }
    }

    // Meanwhile 127.0.0.2 checks health and calls at a modest pace.
    let other = node.channel_from([127, 0, 0, 2]).await;
    let calls = Tally::default();
    let mut health_latencies = Vec::new();
    let mut health_failures = Vec::new();
    let started = Instant::now();
    while started.elapsed() < flood_for {
        let asked = Instant::now();
        match health(&other).await {
            Ok(ServingStatus::Serving) => health_latencies.push(asked.elapsed()),
            other => health_failures.push(format!("{other:?}")),
        }
        let result = get_unit(&other).await;
        if let Err(status) = &result {
            eprintln!("the other caller was refused: {:?} {}", status.code(), status.message());
        }
        calls.count(&result);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for flooder in flooders {
        flooder.await.expect("flooder task");
    }

    health_latencies.sort();
    let p50 = percentile(&health_latencies, 0.5);
    let p99 = percentile(&health_latencies, 0.99);
    println!(
        "flooder 127.0.0.1: {} served, {} rate-limited, {} shed, {} other errors",
        Tally::get(&flood.ok),
        Tally::get(&flood.rate_limited),
        Tally::get(&flood.shed),
        Tally::get(&flood.other)
    );
    println!(
        "other 127.0.0.2: {} served, {} rate-limited, {} shed, {} other errors",
        Tally::get(&calls.ok),
        Tally::get(&calls.rate_limited),
        Tally::get(&calls.shed),
        Tally::get(&calls.other)
    );
    println!(
        "health checks: {} served, {} failed; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        health_latencies.len(),
        health_failures.len(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        health_latencies.last().unwrap().as_secs_f64() * 1e3
    );

    assert!(health_failures.is_empty(), "every health check succeeded: {health_failures:?}");
    assert!(health_latencies.len() >= 10, "health was checked throughout: {}", health_latencies.len());
    let refused = Tally::get(&calls.rate_limited) + Tally::get(&calls.shed) + Tally::get(&calls.other);
    assert_eq!(refused, 0, "every call of the other caller served");
    assert!(Tally::get(&flood.rate_limited) > 0, "the flooder was rate limited");
    assert_eq!(Tally::get(&flood.other), 0, "the flooder saw only answers, refusals and sheds");
    // Generous: a 2-core machine shared with other builds.
    assert!(p99 < Duration::from_secs(2), "health checks stay quick: p99 {p99:?}");
    node.stop().await;
}
