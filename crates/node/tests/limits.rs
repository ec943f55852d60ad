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
use fengqiao_node::{Limits, Node, NodeConfig, ServeError, Transport};
use fengqiao_proto::pb;
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::unit_service_client::UnitServiceClient;
use fengqiao_store::testing::{TestDb, trees};
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

use fengqiao_node::connections::CLOSE_GRACE;

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
    node: Node,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<Result<(), ServeError>>,
}

impl LimitedNode {
    /// In plaintext.
    async fn start(limits: Limits) -> LimitedNode {
        LimitedNode::start_with(limits, Transport::Insecure).await
    }

    async fn start_with(limits: Limits, transport: Transport) -> LimitedNode {
        let db = TestDb::new(Backend::Sqlite).await;
        let store = db.open().await.expect("test database opens");
        let tree = UnitTree::from_csv(&trees::one_community(3)).expect("test tree parses");
        let clock = Arc::new(ManualClock::new(start_time()));
        let config = NodeConfig { limits, transport, ..NodeConfig::new(HOME) };
        let node = Node::start(config, &tree, Arc::clone(&store), Arc::clone(&clock) as Arc<dyn Clock>)
            .await
            .expect("node starts");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("local address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(fengqiao_node::serve(node.clone(), listener, async move {
            let _ = stop.await;
        }));
        LimitedNode { db, store, clock, address, node, shutdown, server }
    }

    /// The value of the node's metric `name` with `labels` (0 when absent).
    fn metric(&self, name: &str, labels: &str) -> f64 {
        let text = self.node.metrics().encode();
        let series = if labels.is_empty() { name.to_owned() } else { format!("{name}{{{labels}}}") };
        text.lines()
            .find_map(|line| line.strip_prefix(&series).and_then(|rest| rest.strip_prefix(' ')))
            .map_or(0.0, |value| value.trim().parse().expect("a number"))
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
        // Far off: the keepalive, not the first-request deadline, closes it.
        handshake_timeout: Duration::from_secs(8),
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
    assert!(took >= Duration::from_millis(800), "not before a ping went unanswered: {took:?}");
    assert!(took < Duration::from_secs(6), "closed by the keepalive, before the deadline: {took:?}");
    node.stop().await;
}

#[tokio::test]
async fn a_connection_without_a_request_by_the_deadline_is_closed() {
    // The deadline runs from accept to the first request's headers: a
    // complete HTTP/2 handshake does not stop it, nor does answering pings.
    let node = LimitedNode::start(Limits { handshake_timeout: Duration::from_millis(700), ..roomy() }).await;
    let mut handshaken = TcpStream::connect(node.address).await.expect("connects");
    handshaken.write_all(PREFACE).await.unwrap();
    handshaken.write_all(EMPTY_SETTINGS).await.unwrap();
    let took = closed_within(&mut handshaken, Duration::from_secs(5)).await;
    assert!(took >= Duration::from_millis(600), "not before the deadline: {took:?}");
    assert!(
        took < Duration::from_millis(700) + CLOSE_GRACE + Duration::from_secs(1),
        "at the deadline: {took:?}"
    );
    assert_eq!(node.metric("fengqiao_connections_reclaimed_total", "reason=\"handshake_timeout\""), 1.0);

    // A client that makes its first call in time keeps its connection.
    let channel = node.channel().await;
    get_unit(&channel).await.expect("served");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    get_unit(&channel).await.expect("still served on the same connection");
    assert_eq!(node.metric("fengqiao_connections_reclaimed_total", "reason=\"handshake_timeout\""), 1.0);
    node.stop().await;
}

#[tokio::test]
async fn an_idle_connection_is_reclaimed_but_one_with_an_open_stream_is_not() {
    let idle = Duration::from_millis(600);
    let node = LimitedNode::start(Limits { idle_timeout: idle, ..roomy() }).await;
    let reclaimed_idle = || node.metric("fengqiao_connections_reclaimed_total", "reason=\"idle\"");

    // A stream open on one connection outlives the idle timeout many times.
    let streaming = node.channel_from([127, 0, 0, 2]).await;
    let mut alerts = SummaryServiceClient::new(streaming)
        .watch_alerts(pb::WatchAlertsRequest { unit_id: HOME.into() })
        .await
        .expect("the alert stream opens")
        .into_inner();
    // A unary call on another, then nothing.
    let quiet = node.channel().await;
    get_unit(&quiet).await.expect("served");
    assert_eq!(node.metric("fengqiao_connections_open", "state=\"proven\""), 2.0);

    let reclaimed = tokio::time::timeout(Duration::from_secs(10), async {
        while reclaimed_idle() < 1.0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(reclaimed.is_ok(), "the quiet connection is reclaimed");
    tokio::time::sleep(idle * 3).await;
    assert_eq!(reclaimed_idle(), 1.0, "only the quiet connection");
    assert_eq!(node.metric("fengqiao_connections_open", "state=\"proven\""), 1.0);

    // The stream still delivers: the cut-off passes.
    node.clock.advance(chrono::Duration::hours(3));
    let alert = tokio::time::timeout(Duration::from_secs(10), alerts.message())
        .await
        .expect("an alert within 10 s")
        .expect("the stream is not cut")
        .expect("an alert, not the end");
    assert_eq!(alert.date, TODAY);
    // The quiet client just connects again for its next call.
    get_unit(&quiet).await.expect("served on a new connection");
    node.stop().await;
}

#[tokio::test]
async fn connections_over_the_limit_are_closed_at_accept_when_every_slot_is_working() {
    let node = LimitedNode::start(Limits { max_connections: 2, reserved_connections: 0, ..roomy() }).await;
    let channel = node.channel().await; // one
    let second = node.channel().await; // two
    get_unit(&channel).await.expect("served");
    get_unit(&second).await.expect("served");

    let mut third = TcpStream::connect(node.address).await.expect("the kernel accepts");
    let took = closed_within(&mut third, Duration::from_secs(5)).await;
    assert!(took < Duration::from_secs(2), "closed at once: {took:?}");
    assert_eq!(node.metric("fengqiao_connections_refused_total", "reason=\"full\""), 1.0);

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

#[tokio::test]
async fn a_newcomer_takes_the_slot_of_a_connection_that_made_no_request() {
    let node = LimitedNode::start(Limits { max_connections: 3, reserved_connections: 0, ..roomy() }).await;
    let working = node.channel().await;
    get_unit(&working).await.expect("served");
    let waiting_socket = || async {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from(([127, 0, 0, 3], 0))).unwrap();
        let mut stream = socket.connect(node.address).await.expect("connects");
        stream.write_all(PREFACE).await.unwrap();
        stream
    };
    let mut oldest = waiting_socket().await;
    let mut younger = waiting_socket().await;
    // Full. A newcomer from another source displaces the oldest waiting
    // socket of the source holding most, never the working connection.
    let newcomer = node.channel_from([127, 0, 0, 2]).await;
    get_unit(&newcomer).await.expect("the newcomer is served");
    let took = closed_within(&mut oldest, Duration::from_secs(5)).await;
    assert!(took < Duration::from_secs(2), "the oldest waiting socket is closed at once: {took:?}");
    let mut probe = [0u8; 64];
    let younger_closed = tokio::time::timeout(Duration::from_millis(300), younger.read(&mut probe)).await;
    assert!(!matches!(younger_closed, Ok(Ok(0) | Err(_))), "only one socket is displaced");
    assert_eq!(node.metric("fengqiao_connections_reclaimed_total", "reason=\"evicted\""), 1.0);
    // 127.0.0.3 now holds one waiting socket, as many as the next newcomer
    // would: no more swaps, the newcomer is closed at accept.
    let mut refused = TcpStream::connect(node.address).await.expect("the kernel accepts");
    closed_within(&mut refused, Duration::from_secs(2)).await;
    assert_eq!(node.metric("fengqiao_connections_refused_total", "reason=\"full\""), 1.0);
    get_unit(&working).await.expect("the working connection is kept");
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
    /// The first few unexpected errors, for the assertion's message.
    other_errors: std::sync::Mutex<Vec<String>>,
}

impl Tally {
    fn count(&self, result: &Result<impl Sized, Status>) {
        let counter = match result {
            Ok(_) => &self.ok,
            Err(status) if status.code() == Code::ResourceExhausted => &self.rate_limited,
            Err(status) if status.code() == Code::Unavailable => &self.shed,
            Err(status) => {
                let mut errors = self.other_errors.lock().unwrap();
                if errors.len() < 5 {
                    errors.push(format!(
                        "{:?} {} ({:?})",
                        status.code(),
                        status.message(),
                        std::error::Error::source(status)
                    ));
                }
                &self.other
            }
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
    assert_eq!(
        Tally::get(&flood.other),
        0,
        "the flooder saw only answers, refusals and sheds: {:?}",
        flood.other_errors.lock().unwrap()
    );
    // Generous: a 2-core machine shared with other builds.
    assert!(p99 < Duration::from_secs(2), "health checks stay quick: p99 {p99:?}");
    node.stop().await;
}

/// A caller refused tens of thousands of times on one connection keeps that
/// connection: each call gets its RESOURCE_EXHAUSTED. Answered before its
/// body had arrived, a refused call's stream was reset with its small DATA
/// frames still coming, h2 charged them to the connection's budget for
/// small frames, and after some thousands the server closed the connection
/// with ENHANCE_YOUR_CALM: every call open on it failed with "stream closed
/// because of a broken pipe" (seen in CI, and in the test above when the
/// machine was fast enough to make ~8,000 calls on a connection).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_refused_thousands_of_times_keeps_its_connection() {
    let node = LimitedNode::start(Limits { rate_per_second: 1, rate_burst: 1, ..Limits::default() }).await;
    let channel = node.channel().await;
    let refusals_wanted = 24_000u64;
    let tally = Arc::new(Tally::default());
    let tasks: Vec<_> = (0..48)
        .map(|task| {
            let (channel, tally) = (channel.clone(), Arc::clone(&tally));
            tokio::spawn(async move {
                let started = Instant::now();
                // Bounded in time too, for a slow machine: the count below
                // says how far it got.
                while Tally::get(&tally.rate_limited) < refusals_wanted
                    && Tally::get(&tally.other) == 0
                    && started.elapsed() < Duration::from_secs(60)
                {
                    let unit = [GROUP, GROUP_2, GROUP_3][task % 3];
                    tally.count(&submit(&channel, report(unit, vec![])).await);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("caller task");
    }
    println!(
        "one connection: {} served, {} rate-limited, {} other errors",
        Tally::get(&tally.ok),
        Tally::get(&tally.rate_limited),
        Tally::get(&tally.other)
    );
    assert_eq!(
        Tally::get(&tally.other),
        0,
        "only answers and refusals: {:?}",
        tally.other_errors.lock().unwrap()
    );
    assert!(
        Tally::get(&tally.rate_limited) >= 10_000,
        "enough refusals to have closed the connection before"
    );
    node.stop().await;
}

// ---------------------------------------------------------------------------
// Connection floods over mTLS: a leader is served while anonymous (or
// silent) sockets flood the node. Each attack runs against a node with
// `max_connections` 32, as measured in issue 14; the attackers come from
// 127.0.0.2 and 127.0.0.3, the leader from 127.0.0.1 with a new
// connection (TLS handshake included) for every call, as the CLI makes.
// ---------------------------------------------------------------------------

use fengqiao_core::UnitId;
use fengqiao_core::identity::{Identity, Role};
use fengqiao_node::TlsMaterial;
use fengqiao_node::pki::{self, CertifiedKey};
use std::sync::atomic::AtomicBool;
use tokio_rustls::rustls;

/// The limits of the attacks: 32 connections, 8 of them for callers with a
/// certificate, 12 per source, 3 s from accept to the first request.
fn flood_limits() -> Limits {
    Limits {
        max_connections: 32,
        reserved_connections: 8,
        max_connections_per_source: 12,
        handshake_timeout: Duration::from_secs(3),
        ..roomy()
    }
}

/// The deployment: a CA, the node's certificate, a leader of the home unit
/// and a reporter (whose certificate the certificate-holding attacker uses).
struct Pki {
    ca: CertifiedKey,
}

impl Pki {
    fn new() -> Pki {
        Pki { ca: pki::new_ca(2).expect("a CA") }
    }

    fn transport(&self, identity: &Identity) -> Transport {
        let leaf = pki::issue(&self.ca, identity, &[], 2).expect("a certificate");
        Transport::Tls(Arc::new(
            TlsMaterial::from_pem(&self.ca.cert_pem, &leaf.cert_pem, &leaf.key_pem).expect("material"),
        ))
    }

    fn person(&self, id: &str, unit: &str, role: Role) -> Transport {
        self.transport(&Identity::person(id, UnitId::parse(unit).unwrap(), role).unwrap())
    }

    /// A rustls client presenting a reporter's certificate of this CA.
    fn attacker_client(&self) -> tokio_rustls::TlsConnector {
        let identity = Identity::person("mallory", UnitId::parse(GROUP).unwrap(), Role::Reporter).unwrap();
        let leaf = pki::issue(&self.ca, &identity, &[], 2).expect("a certificate");
        let der = |text: &str| -> Vec<Vec<u8>> {
            x509_parser::pem::Pem::iter_from_buffer(text.as_bytes())
                .map(|block| block.unwrap().contents)
                .collect()
        };
        let mut roots = rustls::RootCertStore::empty();
        for ca in der(&self.ca.cert_pem) {
            roots.add(ca.into()).unwrap();
        }
        let chain = der(&leaf.cert_pem).into_iter().map(Into::into).collect();
        let key = rustls::pki_types::PrivatePkcs8KeyDer::from(der(&leaf.key_pem).remove(0)).into();
        let config =
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_client_auth_cert(chain, key)
                .unwrap();
        tokio_rustls::TlsConnector::from(Arc::new(config))
    }
}

async fn tls_node(pki: &Pki, limits: Limits) -> LimitedNode {
    let transport = pki.transport(&Identity::Node { unit: UnitId::parse(HOME).unwrap() });
    LimitedNode::start_with(limits, transport).await
}

#[derive(Clone, Copy, Debug)]
enum Attack {
    /// Connect and send nothing.
    Silent,
    /// Complete the TLS handshake with a certificate, then send nothing.
    TlsThenSilence,
    /// Send a TLS record header announcing a 512-byte handshake, then one
    /// byte a second.
    Dribble,
}

/// What the attackers did.
#[derive(Default)]
struct AttackTally {
    /// Connections opened (the first wave and every reopening).
    opened: AtomicU64,
    /// The longest time one connection stayed open, in milliseconds.
    longest_ms: AtomicU64,
}

/// Attackers on `sources`, `per_source` sockets each, every one reopened
/// as soon as the node closes it, until `stop` is set.
fn launch(
    node: SocketAddr,
    attack: Attack,
    sources: &[[u8; 4]],
    per_source: usize,
    client: Option<tokio_rustls::TlsConnector>,
    stop: Arc<AtomicBool>,
) -> (Arc<AttackTally>, Vec<JoinHandle<()>>) {
    let tally = Arc::new(AttackTally::default());
    let mut tasks = Vec::new();
    for source in sources {
        for _ in 0..per_source {
            let (tally, stop, client, source) =
                (Arc::clone(&tally), Arc::clone(&stop), client.clone(), *source);
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let socket = TcpSocket::new_v4().unwrap();
                    socket.bind(SocketAddr::from((source, 0))).unwrap();
                    let Ok(mut stream) = socket.connect(node).await else {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    };
                    tally.opened.fetch_add(1, Ordering::Relaxed);
                    let opened = Instant::now();
                    match attack {
                        Attack::Silent => until_closed(&mut stream, &stop).await,
                        Attack::TlsThenSilence => {
                            let client = client.as_ref().expect("a TLS client");
                            let server = rustls::pki_types::ServerName::IpAddress(node.ip().into());
                            if let Ok(mut tls) = client.connect(server, stream).await {
                                until_closed(&mut tls, &stop).await;
                            }
                        }
                        Attack::Dribble => dribble(&mut stream, &stop).await,
                    }
                    let lived = opened.elapsed().as_millis() as u64;
                    if !stop.load(Ordering::Relaxed) {
                        tally.longest_ms.fetch_max(lived, Ordering::Relaxed);
                    }
                    // Reopened as it closes (a short pause keeps a refused
                    // socket's loop from taking a whole core).
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }));
        }
    }
    (tally, tasks)
}

/// Reads (and discards) until the node closes the connection or `stop`.
async fn until_closed(stream: &mut (impl tokio::io::AsyncRead + Unpin), stop: &AtomicBool) {
    let mut buffer = [0u8; 1024];
    while !stop.load(Ordering::Relaxed) {
        let read = tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buffer)).await;
        if let Ok(Ok(0) | Err(_)) = read {
            return;
        }
    }
}

/// A TLS record header, then a byte a second, until the node closes.
async fn dribble(stream: &mut TcpStream, stop: &AtomicBool) {
    if stream.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00]).await.is_err() {
        return;
    }
    let mut buffer = [0u8; 64];
    while !stop.load(Ordering::Relaxed) {
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return,
            Ok(Ok(_)) => {}
            Err(_) => {
                if stream.write_all(&[0]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The leader's calls during an attack.
struct Probe {
    latencies: Vec<Duration>,
    failures: Vec<String>,
}

impl Probe {
    fn report(&self, attack: &str, tally: &AttackTally) -> String {
        let calls = self.latencies.len() + self.failures.len();
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let (p50, p95, max) = if sorted.is_empty() {
            (0.0, 0.0, 0.0)
        } else {
            (ms(percentile(&sorted, 0.5)), ms(percentile(&sorted, 0.95)), ms(*sorted.last().unwrap()))
        };
        format!(
            "{attack}: leader {}/{calls} calls succeeded ({:.0}%), latency p50 {p50:.1} ms, p95 {p95:.1} ms, \
             max {max:.1} ms; attackers opened {} connections, the longest lived {} ms",
            self.latencies.len(),
            100.0 * self.latencies.len() as f64 / calls.max(1) as f64,
            tally.opened.load(Ordering::Relaxed),
            tally.longest_ms.load(Ordering::Relaxed),
        )
    }
}

/// Calls `GetUnit` as `caller` from `source` on a new connection every
/// 200 ms for `during`; each call (connect, TLS handshake, call) may take 10 s.
async fn probe(node: &LimitedNode, caller: &Transport, source: [u8; 4], during: Duration) -> Probe {
    let url = format!("https://{}", node.address);
    let mut probe = Probe { latencies: Vec::new(), failures: Vec::new() };
    let started = Instant::now();
    while started.elapsed() < during {
        let asked = Instant::now();
        let endpoint = fengqiao_node::tls::connect_endpoint(&url, caller).expect("endpoint");
        let server = node.address;
        let call = async {
            let channel = endpoint
                .connect_with_connector(tower_service_fn(move || async move {
                    let socket = TcpSocket::new_v4()?;
                    socket.bind(SocketAddr::from((source, 0)))?;
                    let stream = socket.connect(server).await?;
                    stream.set_nodelay(true)?;
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
                }))
                .await
                .map_err(|e| format!("connect: {e:?}"))?;
            get_unit(&channel).await.map_err(|status| format!("{:?}: {}", status.code(), status.message()))
        };
        match tokio::time::timeout(Duration::from_secs(10), call).await {
            Ok(Ok(_)) => probe.latencies.push(asked.elapsed()),
            Ok(Err(error)) => probe.failures.push(error),
            Err(_) => probe.failures.push("no answer within 10 s".into()),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    probe
}

/// Runs `attack` against a node with [`flood_limits`] while a leader calls;
/// returns the node (for its metrics), the leader's calls and the attackers'
/// tally.
async fn under_attack(
    attack: Attack,
    sources: &[[u8; 4]],
    per_source: usize,
) -> (LimitedNode, Probe, Arc<AttackTally>) {
    let pki = Pki::new();
    let node = tls_node(&pki, flood_limits()).await;
    let leader = pki.person("leader-1", HOME, Role::Leader);
    let stop = Arc::new(AtomicBool::new(false));
    let (tally, attackers) =
        launch(node.address, attack, sources, per_source, Some(pki.attacker_client()), Arc::clone(&stop));
    // Let the attack take hold (every socket connected, the first deadline
    // passed for the handshake attacks), then call for two more deadlines.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let probe = probe(&node, &leader, [127, 0, 0, 1], Duration::from_secs(7)).await;
    stop.store(true, Ordering::Relaxed);
    for attacker in attackers {
        attacker.await.expect("attacker task");
    }
    (node, probe, tally)
}

fn assert_served(probe: &Probe, report: &str) {
    println!("{report}");
    assert!(probe.latencies.len() >= 10, "the leader called throughout: {report}");
    assert!(probe.failures.is_empty(), "every call of the leader succeeded: {:?}; {report}", probe.failures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_sockets_reopened_as_they_close_do_not_keep_a_leader_out() {
    let (node, probe, tally) = under_attack(Attack::Silent, &[[127, 0, 0, 2], [127, 0, 0, 3]], 16).await;
    assert_served(&probe, &probe.report("32 silent TCP sockets", &tally));
    // Each of the leader's connections took the slot of a waiting socket.
    assert!(
        node.metric("fengqiao_connections_reclaimed_total", "reason=\"evicted\"")
            >= probe.latencies.len() as f64 * 0.5
    );
    assert!(node.metric("fengqiao_connections_refused_total", "reason=\"source_limit\"") > 0.0);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_connections_that_never_speak_http2_are_closed_at_the_deadline() {
    let (node, probe, tally) =
        under_attack(Attack::TlsThenSilence, &[[127, 0, 0, 2], [127, 0, 0, 3]], 16).await;
    assert_served(&probe, &probe.report("32 TLS connections, then silence", &tally));
    assert!(node.metric("fengqiao_connections_reclaimed_total", "reason=\"handshake_timeout\"") >= 16.0);
    let longest = Duration::from_millis(tally.longest_ms.load(Ordering::Relaxed));
    assert!(longest < Duration::from_secs(3) + CLOSE_GRACE + Duration::from_secs(2), "held {longest:?}");
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_sending_a_byte_a_second_are_closed_at_the_deadline() {
    let (node, probe, tally) = under_attack(Attack::Dribble, &[[127, 0, 0, 2], [127, 0, 0, 3]], 32).await;
    assert_served(&probe, &probe.report("64 connections sending 1 byte/s", &tally));
    assert!(node.metric("fengqiao_connections_reclaimed_total", "reason=\"handshake_timeout\"") >= 16.0);
    let longest = Duration::from_millis(tally.longest_ms.load(Ordering::Relaxed));
    assert!(longest < Duration::from_secs(3) + Duration::from_secs(2), "a dribbler held on for {longest:?}");
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_source_holds_only_its_share_of_connections() {
    let pki = Pki::new();
    let node = tls_node(&pki, flood_limits()).await;
    let stop = Arc::new(AtomicBool::new(false));
    let (tally, attackers) =
        launch(node.address, Attack::Silent, &[[127, 0, 0, 2]], 100, None, Arc::clone(&stop));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let leader = pki.person("leader-1", HOME, Role::Leader);
    let officer = pki.person("officer-1", HOME, Role::Officer);
    let (leader_probe, officer_probe) = tokio::join!(
        probe(&node, &leader, [127, 0, 0, 1], Duration::from_secs(5)),
        probe(&node, &officer, [127, 0, 0, 3], Duration::from_secs(5)),
    );
    let held = node.metric("fengqiao_connections_open", "state=\"unproven\"");
    stop.store(true, Ordering::Relaxed);
    for attacker in attackers {
        attacker.await.expect("attacker task");
    }
    assert_served(&leader_probe, &leader_probe.report("100 sockets from one source (leader)", &tally));
    assert_served(
        &officer_probe,
        &officer_probe.report("100 sockets from one source (officer, 127.0.0.3)", &tally),
    );
    assert!(held <= 12.0 + 2.0, "127.0.0.2 holds at most its 12 (and the callers' handshakes): {held}");
    assert!(node.metric("fengqiao_connections_refused_total", "reason=\"source_limit\"") > 100.0);
    node.stop().await;
}
