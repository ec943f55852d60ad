//! gRPC integration tests: a real node on `127.0.0.1:0`, spoken to with the
//! generated tonic clients. Every test runs once on SQLite and once on
//! PostgreSQL (see the macro at the bottom), each with its own database.
//!
//! The node serves township 410411001 of this tree; township 410411002 and
//! the district itself lie outside its subtree, so they are NOT_FOUND.

mod common;

use common::expect_code;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fengqiao_core::{Clock, ManualClock, UnitId, UnitTree};
use fengqiao_node::{Node, NodeConfig, ServeError};
use fengqiao_proto::pb;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::unit_service_client::UnitServiceClient;
use fengqiao_proto::timestamp;
use fengqiao_store::testing::TestDb;
use fengqiao_store::{Backend, Store};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

const TREE: &str = "code,parent_code,tier,name,reporting,active_from,active_to\n\
    410411,,district,湛河区,,,\n\
    410411001,410411,township,马庄街道,,,\n\
    410411001001,410411001,community,电力社区,,,\n\
    410411001001001,410411001001,group,1号楼,,,\n\
    410411001001002,410411001001,group,2号楼,true,2026-11-10,\n\
    410411001002,410411001,community,平高社区,,,\n\
    410411001002001,410411001002,group,3号楼,true,,2026-11-20\n\
    410411001002002,410411001002,group,4号楼,false,,\n\
    410411002,410411,township,南环路街道,,,\n\
    410411002001,410411002,community,某村,,,\n\
    410411002001001,410411002001,group,第一村民组,,,\n";

const HOME: &str = "410411001";
/// Always open, reporting.
const GROUP: &str = "410411001001001";
/// Opened on 2026-11-10.
const OPENED: &str = "410411001001002";
/// Closed after 2026-11-20.
const CLOSED: &str = "410411001002001";
/// Does not file daily reports.
const SILENT: &str = "410411001002002";
/// In the other township: outside the node's subtree.
const OUTSIDE: &str = "410411002001001";

/// The served subtree, depth-first (a unit before its children, children by id).
const SUBTREE: [&str; 7] = [HOME, "410411001001", GROUP, OPENED, "410411001002", CLOSED, SILENT];

/// 16:00 in Shanghai, two hours before the 18:00 cut-off.
fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap()
}

fn utc(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0).unwrap()
}

fn date(day: u32) -> String {
    format!("2026-11-{day:02}")
}

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/// A node serving township 410411001 over gRPC, with clients and a direct
/// handle on its store.
struct TestNode {
    db: TestDb,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    reporting: ReportingServiceClient<Channel>,
    units: UnitServiceClient<Channel>,
    channel: Channel,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<Result<(), ServeError>>,
}

impl TestNode {
    async fn start(backend: Backend) -> TestNode {
        TestNode::start_with(backend, NodeConfig::new(HOME)).await
    }

    async fn start_with(backend: Backend, config: NodeConfig) -> TestNode {
        let db = TestDb::new(backend).await;
        let store = db.open().await.expect("test database opens");
        let tree = UnitTree::from_csv(TREE).expect("test tree parses");
        let clock = Arc::new(ManualClock::new(start_time()));
        let node = Node::start(config, &tree, Arc::clone(&store), Arc::clone(&clock) as Arc<dyn Clock>)
            .await
            .expect("node starts");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(fengqiao_node::serve(node, listener, async move {
            let _ = stop.await;
        }));
        // The listener is already bound, so connecting cannot race the server.
        let channel = Endpoint::from_shared(format!("http://{addr}"))
            .expect("endpoint")
            .connect()
            .await
            .expect("client connects");
        TestNode {
            db,
            store,
            clock,
            reporting: ReportingServiceClient::new(channel.clone()),
            units: UnitServiceClient::new(channel.clone()),
            channel,
            shutdown,
            server,
        }
    }

    /// Stops the server (it must stop cleanly), closes the store and drops
    /// the database.
    async fn stop(self) {
        let TestNode { db, store, reporting, units, channel, shutdown, server, .. } = self;
        drop((reporting, units, channel));
        let _ = shutdown.send(());
        tokio::time::timeout(Duration::from_secs(30), server)
            .await
            .expect("server stops within 30 s")
            .expect("server task does not panic")
            .expect("server stops without error");
        store.close().await;
        db.cleanup().await;
    }

    async fn submit(&self, report: pb::DailyReport) -> Result<pb::SubmitDailyReportResponse, Status> {
        self.submit_request(pb::SubmitDailyReportRequest { report: Some(report) }).await
    }

    async fn submit_request(
        &self,
        request: pb::SubmitDailyReportRequest,
    ) -> Result<pb::SubmitDailyReportResponse, Status> {
        self.reporting.clone().submit_daily_report(request).await.map(tonic::Response::into_inner)
    }

    async fn get(
        &self,
        unit_id: &str,
        date: &str,
        revision: u32,
    ) -> Result<pb::GetDailyReportResponse, Status> {
        self.reporting
            .clone()
            .get_daily_report(pb::GetDailyReportRequest {
                unit_id: unit_id.into(),
                date: date.into(),
                revision,
                ..Default::default()
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn list(
        &self,
        request: pb::ListDailyReportsRequest,
    ) -> Result<pb::ListDailyReportsResponse, Status> {
        self.reporting.clone().list_daily_reports(request).await.map(tonic::Response::into_inner)
    }

    async fn get_unit(&self, unit_id: &str) -> Result<pb::GetUnitResponse, Status> {
        self.units
            .clone()
            .get_unit(pb::GetUnitRequest { unit_id: unit_id.into() })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn list_units(&self, request: pb::ListUnitsRequest) -> Result<pb::ListUnitsResponse, Status> {
        self.units.clone().list_units(request).await.map(tonic::Response::into_inner)
    }

    async fn count(&self) -> u64 {
        self.store.count_reports().await.expect("store counts")
    }

    /// The current revision stored for (unit, date), read from the store.
    async fn stored_revision(&self, unit: &str, day: &str) -> Option<u32> {
        let unit = UnitId::parse(unit).unwrap();
        let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        self.store
            .get_report(&unit, day, None)
            .await
            .expect("store reads")
            .map(|stored| stored.report.revision().get())
    }

    async fn history_len(&self, unit: &str, day: &str) -> usize {
        let unit = UnitId::parse(unit).unwrap();
        let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        self.store.report_history(&unit, day).await.expect("store reads").len()
    }
}

/// The status of a call that must fail with INVALID_ARGUMENT naming `field`.
#[track_caller]
fn expect_invalid<T: std::fmt::Debug>(result: Result<T, Status>, field: &str) {
    let status = expect_code(result, Code::InvalidArgument);
    assert!(
        status.message().starts_with(&format!("{field}: ")),
        "expected the message to name {field:?}, got {:?}",
        status.message()
    );
}

// ---------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------

fn wage_dispute() -> pb::Dispute {
    pb::Dispute {
        local_id: "d-1".into(),
        category: pb::DisputeCategory::WageArrears.into(),
        outcome: pb::DisputeOutcome::Registered.into(),
        parties: 13,
        summary: "工程款结算拖延导致欠薪".into(),
        case_id: "2026-MC-0123".into(),
        wage_arrears: Some(pb::WageArrears {
            employer: "平顶山某建筑公司".into(),
            workers: 12,
            amount_claimed_cents: 36_000_000,
            amount_recovered_cents: 12_000_000,
        }),
    }
}

fn land_dispute() -> pb::Dispute {
    pb::Dispute {
        local_id: "d-2".into(),
        category: pb::DisputeCategory::Land.into(),
        outcome: pb::DisputeOutcome::Mediating.into(),
        parties: 2,
        summary: "boundary wall between two courtyards".into(),
        case_id: String::new(),
        wage_arrears: None,
    }
}

/// A valid first revision with a wage-arrears and a land dispute.
fn full_report(unit: &str, day: &str) -> pb::DailyReport {
    pb::DailyReport {
        unit_id: unit.into(),
        date: day.into(),
        revision: 1,
        reporter: "officer-7".into(),
        zero: false,
        disputes: vec![wage_dispute(), land_dispute()],
        correction_reason: String::new(),
    }
}

/// A valid first-revision zero report.
fn zero_report(unit: &str, day: &str) -> pb::DailyReport {
    pb::DailyReport {
        unit_id: unit.into(),
        date: day.into(),
        revision: 1,
        reporter: "officer-7".into(),
        zero: true,
        disputes: vec![],
        correction_reason: String::new(),
    }
}

/// `report` as revision `revision`, carrying `reason`.
fn corrected(report: pb::DailyReport, revision: u32, reason: &str) -> pb::DailyReport {
    pb::DailyReport { revision, correction_reason: reason.into(), ..report }
}

fn disposition(response: &pb::SubmitDailyReportResponse) -> pb::Disposition {
    pb::Disposition::try_from(response.disposition).expect("a known disposition")
}

// ---------------------------------------------------------------------------
// 1. SubmitDailyReport: every status
// ---------------------------------------------------------------------------

async fn submit_every_status(backend: Backend) {
    let node = TestNode::start(backend).await;
    let today = date(28);

    // New, before the cut-off.
    let first = zero_report(GROUP, &today);
    let new = node.submit(first.clone()).await.expect("a new report is taken");
    assert_eq!(disposition(&new), pb::Disposition::New);
    assert_eq!(new.revision, 1);
    assert_eq!(new.replaced_revision, 0);
    assert_eq!(new.accepted_at, Some(timestamp(start_time())));
    assert!(new.on_time, "16:00 local is before the 18:00 cut-off");
    assert_eq!(node.count().await, 1);
    assert_eq!(node.stored_revision(GROUP, &today).await, Some(1));

    // Duplicate: a retry five minutes later changes nothing, not even the time.
    node.clock.advance(chrono::Duration::minutes(5));
    let again = node.submit(first.clone()).await.expect("a retry is taken");
    assert_eq!(disposition(&again), pb::Disposition::Duplicate);
    assert_eq!(again.revision, 1);
    assert_eq!(again.replaced_revision, 0);
    assert_eq!(again.accepted_at, Some(timestamp(start_time())));
    assert!(again.on_time);
    assert_eq!(node.count().await, 1);
    assert_eq!(node.history_len(GROUP, &today).await, 1);

    // Correction.
    let second = corrected(full_report(GROUP, &today), 2, "two disputes found on the evening round");
    let correction = node.submit(second.clone()).await.expect("a correction is taken");
    assert_eq!(disposition(&correction), pb::Disposition::Correction);
    assert_eq!(correction.revision, 2);
    assert_eq!(correction.replaced_revision, 1);
    assert_eq!(correction.accepted_at, Some(timestamp(utc(28, 8, 5))));
    assert!(correction.on_time);
    assert_eq!(node.count().await, 1);
    assert_eq!(node.stored_revision(GROUP, &today).await, Some(2));
    assert_eq!(node.history_len(GROUP, &today).await, 2);

    // A lower revision: FAILED_PRECONDITION naming the stored revision.
    let stale = expect_code(node.submit(first.clone()).await, Code::FailedPrecondition);
    assert!(stale.message().contains("stored revision 2"), "{:?}", stale.message());
    assert_eq!(node.stored_revision(GROUP, &today).await, Some(2));
    assert_eq!(node.history_len(GROUP, &today).await, 2);

    // The same revision with other content: ABORTED, the stored one stands.
    let conflicting = corrected(full_report(GROUP, &today), 2, "another reason");
    expect_code(node.submit(conflicting).await, Code::Aborted);
    let stored = node.get(GROUP, &today, 0).await.expect("report readable");
    assert_eq!(stored.report.unwrap().report, Some(second.clone()));
    assert_eq!(node.history_len(GROUP, &today).await, 2);
    assert_eq!(node.count().await, 1);

    // A first report that is not revision 1.
    let community = "410411001001";
    let not_first = corrected(zero_report(community, &today), 2, "recount");
    let status = expect_code(node.submit(not_first).await, Code::FailedPrecondition);
    assert!(status.message().contains("first revision is 1"), "{:?}", status.message());
    assert_eq!(node.stored_revision(community, &today).await, None);
    assert_eq!(node.count().await, 1);

    // Unknown units and units outside the subtree are alike: NOT_FOUND.
    for unit in ["999999", OUTSIDE, "410411002", "410411"] {
        let status = expect_code(node.submit(zero_report(unit, &today)).await, Code::NotFound);
        assert!(status.message().contains(unit), "{:?}", status.message());
    }
    assert_eq!(node.count().await, 1);

    // Late: exactly at the cut-off (18:00 local, 10:00 UTC) is already late.
    node.clock.set(utc(28, 10, 0));
    let late = node.submit(zero_report("410411001002", &today)).await.expect("a late report is still taken");
    assert_eq!(disposition(&late), pb::Disposition::New);
    assert!(!late.on_time, "accepted at the cut-off");
    assert_eq!(late.accepted_at, Some(timestamp(utc(28, 10, 0))));
    node.clock.advance(chrono::Duration::minutes(30));
    let later = node.submit(zero_report(community, &today)).await.expect("a late report is still taken");
    assert!(!later.on_time, "accepted after the cut-off");
    // Yesterday's report sent today is late too.
    let yesterday = node.submit(zero_report(GROUP, &date(27))).await.expect("yesterday's report is taken");
    assert_eq!(disposition(&yesterday), pb::Disposition::New);
    assert!(!yesterday.on_time);
    assert_eq!(node.count().await, 4);

    // Timeliness follows the first revision: a late correction of an
    // on-time report stays on time.
    let third = corrected(full_report(GROUP, &today), 3, "employer name spelled out");
    let late_correction = node.submit(third).await.expect("a late correction is taken");
    assert_eq!(disposition(&late_correction), pb::Disposition::Correction);
    assert_eq!(late_correction.replaced_revision, 2);
    assert!(late_correction.on_time);
    assert_eq!(node.count().await, 4);
    assert_eq!(node.history_len(GROUP, &today).await, 3);

    node.stop().await;
}

/// Concurrent retries of one report over gRPC store it once.
async fn concurrent_retries_store_once(backend: Backend) {
    let node = TestNode::start(backend).await;
    let report = full_report(GROUP, &date(28));
    let calls = (0..20).map(|_| node.submit(report.clone()));
    let responses = futures::future::join_all(calls).await;
    let mut new = 0;
    let mut duplicate = 0;
    for response in responses {
        let response = response.expect("every retry is answered OK");
        assert_eq!(response.revision, 1);
        assert_eq!(response.accepted_at, Some(timestamp(start_time())));
        match disposition(&response) {
            pb::Disposition::New => new += 1,
            pb::Disposition::Duplicate => duplicate += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((new, duplicate), (1, 19));
    assert_eq!(node.count().await, 1);
    assert_eq!(node.history_len(GROUP, &date(28)).await, 1);
    node.stop().await;
}

// ---------------------------------------------------------------------------
// 2. Bad input: INVALID_ARGUMENT naming the field, nothing stored
// ---------------------------------------------------------------------------

type Mutate = fn(&mut pb::DailyReport);

fn bad_inputs() -> Vec<(&'static str, Mutate, &'static str)> {
    vec![
        ("empty unit_id", |r| r.unit_id.clear(), "report.unit_id"),
        ("unit_id with a space", |r| r.unit_id = "410411 001".into(), "report.unit_id"),
        ("month 13", |r| r.date = "2026-13-01".into(), "report.date"),
        ("day first", |r| r.date = "28/11/2026".into(), "report.date"),
        ("empty date", |r| r.date.clear(), "report.date"),
        ("tomorrow", |r| r.date = date(29), "report.date"),
        (
            "before the unit opened",
            |r| {
                r.unit_id = OPENED.into();
                r.date = date(9);
            },
            "report.date",
        ),
        (
            "after the unit closed",
            |r| {
                r.unit_id = CLOSED.into();
                r.date = date(21);
            },
            "report.date",
        ),
        ("a unit that does not report", |r| r.unit_id = SILENT.into(), "report.unit_id"),
        ("zero with disputes", |r| r.zero = true, "report.zero"),
        (
            "not zero without disputes",
            |r| {
                r.disputes.clear();
                r.zero = false;
            },
            "report.zero",
        ),
        (
            "negative amount",
            |r| wage(r).amount_claimed_cents = -1,
            "report.disputes[0].wage_arrears.amount_claimed_cents",
        ),
        (
            "amount over 10^12 fen",
            |r| {
                let wage = wage(r);
                wage.amount_claimed_cents = 1_000_000_000_001;
                wage.amount_recovered_cents = 0;
            },
            "report.disputes[0].wage_arrears.amount_claimed_cents",
        ),
        (
            "recovered over claimed",
            |r| wage(r).amount_recovered_cents = 36_000_001,
            "report.disputes[0].wage_arrears.amount_recovered_cents",
        ),
        ("no workers", |r| wage(r).workers = 0, "report.disputes[0].wage_arrears.workers"),
        (
            "summary of 501 characters",
            |r| r.disputes[1].summary = "议".repeat(501),
            "report.disputes[1].summary",
        ),
        (
            "employer of 201 characters",
            |r| wage(r).employer = "某".repeat(201),
            "report.disputes[0].wage_arrears.employer",
        ),
        ("reporter of 65 characters", |r| r.reporter = "x".repeat(65), "report.reporter"),
        ("empty reporter", |r| r.reporter.clear(), "report.reporter"),
        (
            "201 disputes",
            |r| {
                r.disputes =
                    (0..201).map(|i| pb::Dispute { local_id: format!("d-{i}"), ..land_dispute() }).collect();
            },
            "report.disputes",
        ),
        ("unknown category 99", |r| r.disputes[1].category = 99, "report.disputes[1].category"),
        (
            "unspecified category",
            |r| r.disputes[1].category = pb::DisputeCategory::Unspecified.into(),
            "report.disputes[1].category",
        ),
        (
            "unspecified outcome",
            |r| r.disputes[0].outcome = pb::DisputeOutcome::Unspecified.into(),
            "report.disputes[0].outcome",
        ),
        ("revision 0", |r| r.revision = 0, "report.revision"),
        ("revision 2 without a reason", |r| r.revision = 2, "report.correction_reason"),
        ("revision 1 with a reason", |r| r.correction_reason = "why".into(), "report.correction_reason"),
        (
            "wage facts on a land dispute",
            |r| r.disputes[1].wage_arrears = wage_dispute().wage_arrears,
            "report.disputes[1].wage_arrears",
        ),
        (
            "wage dispute without wage facts",
            |r| r.disputes[0].wage_arrears = None,
            "report.disputes[0].wage_arrears",
        ),
        (
            "case id without registration",
            |r| r.disputes[1].case_id = "C-1".into(),
            "report.disputes[1].case_id",
        ),
        ("duplicate local_id", |r| r.disputes[1].local_id = "d-1".into(), "report.disputes[1].local_id"),
    ]
}

fn wage(report: &mut pb::DailyReport) -> &mut pb::WageArrears {
    report.disputes[0].wage_arrears.as_mut().expect("the first dispute is about wages")
}

async fn submit_rejects_bad_input(backend: Backend) {
    let node = TestNode::start(backend).await;
    // One report already stored, so "nothing stored" is checked against a
    // non-empty store.
    node.submit(zero_report("410411001002", &date(28))).await.expect("a valid report is taken");
    let before = node.count().await;
    assert_eq!(before, 1);

    // The base of every row is valid.
    let base = || full_report(GROUP, &date(28));
    let mut probe = base();
    probe.unit_id = "410411001001".into();
    node.submit(probe).await.expect("the base report is valid");
    let before = before + 1;

    for (name, mutate, field) in bad_inputs() {
        let mut report = base();
        mutate(&mut report);
        let unit = report.unit_id.clone();
        let day = report.date.clone();
        let status = expect_code(node.submit(report).await, Code::InvalidArgument);
        assert!(
            status.message().starts_with(&format!("{field}: ")),
            "{name}: expected the message to name {field:?}, got {:?}",
            status.message()
        );
        assert_eq!(node.count().await, before, "{name}: nothing may be stored");
        if UnitId::parse(&unit).is_ok() && NaiveDate::parse_from_str(&day, "%Y-%m-%d").is_ok() {
            assert_eq!(node.stored_revision(&unit, &day).await, None, "{name}");
        }
    }

    // No report at all.
    let status = expect_code(
        node.submit_request(pb::SubmitDailyReportRequest { report: None }).await,
        Code::InvalidArgument,
    );
    assert!(status.message().starts_with("report: "), "{:?}", status.message());
    assert_eq!(node.count().await, before);

    // The edges of the active days are inclusive.
    let mut opened = zero_report(OPENED, &date(10));
    node.submit(opened.clone()).await.expect("the opening day is active");
    opened.date = date(9);
    expect_invalid(node.submit(opened).await, "report.date");
    node.submit(zero_report(CLOSED, &date(20))).await.expect("the closing day is active");
    assert_eq!(node.count().await, before + 2);

    node.stop().await;
}

// ---------------------------------------------------------------------------
// 3. Message size
// ---------------------------------------------------------------------------

/// A valid report whose disputes carry `n` summaries of 500 bytes each.
fn bulky_report(n: usize) -> pb::DailyReport {
    pb::DailyReport {
        disputes: (0..n)
            .map(|i| pb::Dispute { local_id: format!("d-{i}"), summary: "x".repeat(500), ..land_dispute() })
            .collect(),
        ..full_report(GROUP, &date(28))
    }
}

async fn oversized_messages_are_refused(backend: Backend) {
    let mut config = NodeConfig::new(HOME);
    config.limits.max_message_bytes = 16 * 1024;
    let node = TestNode::start_with(backend, config).await;

    // About 21 KB on the wire: over the limit. tonic's decoder answers
    // OUT_OF_RANGE (not RESOURCE_EXHAUSTED) for a message over
    // max_decoding_message_size.
    let status = expect_code(node.submit(bulky_report(40)).await, Code::OutOfRange);
    assert!(status.message().contains("16384"), "the message names the limit: {:?}", status.message());
    assert_eq!(node.count().await, 0);
    assert_eq!(node.stored_revision(GROUP, &date(28)).await, None);

    // About 11 KB: under the limit, taken.
    let response = node.submit(bulky_report(20)).await.expect("a report under the limit is taken");
    assert_eq!(disposition(&response), pb::Disposition::New);
    assert_eq!(node.count().await, 1);

    // The connection is still usable after the refusal.
    node.get_unit("").await.expect("the node still answers");
    node.stop().await;
}

/// Sends its bytes as the message, as they are: what a broken or hostile
/// client can put on the wire.
#[derive(Debug, Default)]
struct RawCodec;

#[derive(Debug)]
struct RawEncoder;

impl tonic::codec::Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut tonic::codec::EncodeBuf<'_>) -> Result<(), Status> {
        bytes::BufMut::put_slice(dst, &item);
        Ok(())
    }
}

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = pb::SubmitDailyReportResponse;
    type Encoder = RawEncoder;
    type Decoder = tonic_prost::ProstDecoder<pb::SubmitDailyReportResponse>;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        let mut prost =
            tonic_prost::ProstCodec::<pb::SubmitDailyReportRequest, pb::SubmitDailyReportResponse>::default();
        tonic::codec::Codec::decoder(&mut prost)
    }
}

/// A request body that is not the protobuf it claims to be is the client's
/// error (INVALID_ARGUMENT, saying it does not decode), not the server's
/// (INTERNAL, tonic's answer), and stores nothing.
async fn undecodable_requests_are_invalid_arguments(backend: Backend) {
    let node = TestNode::start(backend).await;
    let bodies: [(&str, Vec<u8>); 3] = [
        // Field 1 (report) says 5 bytes follow; 2 do.
        ("truncated", vec![0x0a, 0x05, 0x0a, 0x02]),
        // report.unit_id holds bytes that are not UTF-8.
        ("not UTF-8", vec![0x0a, 0x04, 0x0a, 0x02, 0xff, 0xfe]),
        // Wire type 7 does not exist.
        ("bad wire type", vec![0x0f]),
    ];
    for (what, body) in bodies {
        let mut grpc = tonic::client::Grpc::new(node.channel.clone());
        grpc.ready().await.unwrap();
        let path = http::uri::PathAndQuery::from_static("/fengqiao.v1.ReportingService/SubmitDailyReport");
        let status =
            expect_code(grpc.unary(tonic::Request::new(body), path, RawCodec).await, Code::InvalidArgument);
        assert!(
            status.message().starts_with("the request does not decode: "),
            "{what}: {}",
            status.message()
        );
        assert_eq!(node.count().await, 0, "{what}: nothing stored");
    }
    // The same bytes, well formed, are taken.
    let good = prost::Message::encode_to_vec(&pb::SubmitDailyReportRequest {
        report: Some(zero_report(GROUP, &date(28))),
    });
    let mut grpc = tonic::client::Grpc::new(node.channel.clone());
    grpc.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static("/fengqiao.v1.ReportingService/SubmitDailyReport");
    let response = grpc.unary(tonic::Request::new(good), path, RawCodec).await.expect("a good body is taken");
    assert_eq!(disposition(response.get_ref()), pb::Disposition::New);
    assert_eq!(node.count().await, 1);
    node.stop().await;
}

// ---------------------------------------------------------------------------
// 4. GetDailyReport
// ---------------------------------------------------------------------------

async fn get_reads_current_and_history(backend: Backend) {
    let node = TestNode::start(backend).await;
    let today = date(28);
    let first = zero_report(GROUP, &today);
    node.submit(first.clone()).await.expect("first revision");
    node.clock.advance(chrono::Duration::hours(1));
    let second = corrected(full_report(GROUP, &today), 2, "recount after the evening visit");
    node.submit(second.clone()).await.expect("correction");

    // The current revision.
    let current = node.get(GROUP, &today, 0).await.expect("current revision");
    let stored = current.report.expect("a report");
    assert_eq!(stored.report, Some(second.clone()));
    assert_eq!(stored.accepted_at, Some(timestamp(utc(28, 9, 0))));
    assert_eq!(stored.first_accepted_at, Some(timestamp(start_time())));
    assert!(stored.on_time);

    // The history: both revisions, oldest first.
    let expected_history = vec![
        pb::RevisionInfo {
            revision: 1,
            accepted_at: Some(timestamp(start_time())),
            correction_reason: String::new(),
            zero: true,
            dispute_count: 0,
        },
        pb::RevisionInfo {
            revision: 2,
            accepted_at: Some(timestamp(utc(28, 9, 0))),
            correction_reason: "recount after the evening visit".into(),
            zero: false,
            dispute_count: 2,
        },
    ];
    assert_eq!(current.history, expected_history);

    // An old revision from the history; the history comes with it.
    let old = node.get(GROUP, &today, 1).await.expect("revision 1");
    let stored = old.report.expect("a report");
    assert_eq!(stored.report, Some(first));
    assert_eq!(stored.accepted_at, Some(timestamp(start_time())));
    assert_eq!(stored.first_accepted_at, Some(timestamp(start_time())));
    assert!(stored.on_time);
    assert_eq!(old.history, expected_history);

    // Asking for revision 2 explicitly reads the same as the current one.
    let explicit = node.get(GROUP, &today, 2).await.expect("revision 2");
    assert_eq!(explicit.report.and_then(|s| s.report), Some(second));

    // What is not there.
    let status = expect_code(node.get(GROUP, &date(27), 0).await, Code::NotFound);
    assert!(status.message().contains("2026-11-27"), "{:?}", status.message());
    expect_code(node.get(OPENED, &today, 0).await, Code::NotFound);
    let status = expect_code(node.get(GROUP, &today, 3).await, Code::NotFound);
    assert!(status.message().contains("revision 3"), "{:?}", status.message());
    expect_code(node.get(GROUP, &date(27), 1).await, Code::NotFound);

    // Malformed requests.
    expect_invalid(node.get(GROUP, "2026-13-01", 0).await, "date");
    expect_invalid(node.get(GROUP, "28/11/2026", 0).await, "date");
    expect_invalid(node.get(GROUP, "", 0).await, "date");
    expect_invalid(node.get("", &today, 0).await, "unit_id");
    expect_invalid(node.get("410411/001", &today, 0).await, "unit_id");

    // Outside the subtree: NOT_FOUND, like an unknown unit.
    expect_code(node.get(OUTSIDE, &today, 0).await, Code::NotFound);
    expect_code(node.get("410411", &today, 0).await, Code::NotFound);
    expect_code(node.get("999999", &today, 0).await, Code::NotFound);

    node.stop().await;
}

// ---------------------------------------------------------------------------
// 5. ListDailyReports
// ---------------------------------------------------------------------------

fn list_request(
    unit: &str,
    from: &str,
    to: &str,
    page_size: u32,
    page_token: &str,
) -> pb::ListDailyReportsRequest {
    pb::ListDailyReportsRequest {
        unit_id: unit.into(),
        from_date: from.into(),
        to_date: to.into(),
        page_size,
        page_token: page_token.into(),
    }
}

/// (date, unit, revision, on_time) of a listed report.
fn key_of(stored: &pb::StoredDailyReport) -> (String, String, u32, bool) {
    let report = stored.report.as_ref().expect("a listed report has its report");
    (report.date.clone(), report.unit_id.clone(), report.revision, stored.on_time)
}

/// Pages through a subtree, checking every page, and returns all reports in
/// the order listed.
async fn list_all(
    node: &TestNode,
    unit: &str,
    from: &str,
    to: &str,
    page_size: u32,
) -> Vec<pb::StoredDailyReport> {
    // 0 asks for the default page of 100.
    let effective = if page_size == 0 { 100 } else { page_size as usize };
    let mut all = Vec::new();
    let mut token = String::new();
    for _ in 0..100 {
        let page = node.list(list_request(unit, from, to, page_size, &token)).await.expect("a page lists");
        assert!(page.reports.len() <= effective, "page over page_size");
        let last = page.next_page_token.is_empty();
        if !last {
            assert_eq!(page.reports.len(), effective, "only the last page may be short");
        }
        all.extend(page.reports);
        if last {
            return all;
        }
        token = page.next_page_token;
    }
    panic!("paging did not end");
}

async fn list_pages_through_a_subtree(backend: Backend) {
    let node = TestNode::start(backend).await;
    let reporters = [HOME, "410411001001", GROUP, OPENED, "410411001002"];
    let mut expected = Vec::new();
    for day in [26, 27, 28] {
        for unit in reporters {
            node.submit(zero_report(unit, &date(day))).await.expect("report taken");
            // Accepted on the 28th at 16:00: on time only for the 28th.
            expected.push((date(day), unit.to_owned(), 1, day == 28));
        }
    }
    node.submit(zero_report(CLOSED, &date(20))).await.expect("closing day taken");
    expected.push((date(20), CLOSED.to_owned(), 1, false));
    // Outside the listed range.
    node.submit(zero_report(CLOSED, &date(19))).await.expect("report taken");
    // A correction: the list shows the current revision.
    node.submit(corrected(full_report(GROUP, &date(27)), 2, "recount")).await.expect("correction taken");
    for entry in &mut expected {
        if entry.0 == date(27) && entry.1 == GROUP {
            entry.2 = 2;
        }
    }
    expected.sort();
    assert_eq!(expected.len(), 16);
    assert_eq!(node.count().await, 17);

    // The township, two at a time: every report once, by date then unit id.
    let listed: Vec<_> = list_all(&node, HOME, &date(20), &date(28), 2).await.iter().map(key_of).collect();
    assert_eq!(listed, expected);

    // Page sizes that do not divide the total, and the default.
    for page_size in [3, 5, 0] {
        let listed: Vec<_> =
            list_all(&node, HOME, &date(20), &date(28), page_size).await.iter().map(key_of).collect();
        assert_eq!(listed, expected, "page size {page_size}");
    }
    let default_page =
        node.list(list_request(HOME, &date(20), &date(28), 0, "")).await.expect("default page");
    assert_eq!(default_page.reports.len(), 16);
    assert!(default_page.next_page_token.is_empty());

    // A community: only its own subtree.
    let community = "410411001001";
    let in_community: Vec<_> =
        expected.iter().filter(|(_, unit, _, _)| unit.starts_with(community)).cloned().collect();
    assert_eq!(in_community.len(), 9);
    let listed: Vec<_> =
        list_all(&node, community, &date(20), &date(28), 2).await.iter().map(key_of).collect();
    assert_eq!(listed, in_community);

    // A group: only itself; one day only.
    let listed: Vec<_> = list_all(&node, GROUP, &date(27), &date(27), 10).await.iter().map(key_of).collect();
    assert_eq!(listed, vec![(date(27), GROUP.to_owned(), 2, false)]);

    // The listed report is the full current revision.
    let page = node.list(list_request(GROUP, &date(27), &date(27), 10, "")).await.expect("lists");
    assert_eq!(page.reports[0].report, Some(corrected(full_report(GROUP, &date(27)), 2, "recount")));

    // An empty range.
    let empty =
        node.list(list_request(HOME, "2026-10-01", "2026-10-31", 2, "")).await.expect("an empty range lists");
    assert!(empty.reports.is_empty());
    assert!(empty.next_page_token.is_empty());

    // 366 days, both ends included, is the longest range.
    node.list(list_request(HOME, "2025-11-28", "2026-11-28", 2, "")).await.expect("366 days list");

    // Malformed requests.
    expect_invalid(node.list(list_request(HOME, &date(28), &date(27), 2, "")).await, "to_date");
    expect_invalid(node.list(list_request(HOME, "2025-11-26", "2026-11-28", 2, "")).await, "to_date");
    expect_invalid(node.list(list_request(HOME, "2020-01-01", "2026-11-28", 2, "")).await, "to_date");
    expect_invalid(node.list(list_request(HOME, &date(20), &date(28), 1001, "")).await, "page_size");
    node.list(list_request(HOME, &date(20), &date(28), 1000, "")).await.expect("1000 is the largest page");
    for token in ["garbage", "2026-11-27", "2026-11-27/", "2026-13-01/410411001", "x/y"] {
        expect_invalid(node.list(list_request(HOME, &date(20), &date(28), 2, token)).await, "page_token");
    }
    expect_invalid(node.list(list_request(HOME, "2026-11-1", &date(28), 2, "")).await, "from_date");
    expect_invalid(node.list(list_request(HOME, &date(20), "", 2, "")).await, "to_date");
    expect_invalid(node.list(list_request("", &date(20), &date(28), 2, "")).await, "unit_id");

    // Roots outside the subtree.
    for root in ["410411002", OUTSIDE, "410411", "999999"] {
        expect_code(node.list(list_request(root, &date(20), &date(28), 2, "")).await, Code::NotFound);
    }

    node.stop().await;
}

// ---------------------------------------------------------------------------
// 6. UnitService
// ---------------------------------------------------------------------------

fn ids(units: &[pb::Unit]) -> Vec<&str> {
    units.iter().map(|u| u.id.as_str()).collect()
}

async fn units_describe_the_subtree(backend: Backend) {
    let node = TestNode::start(backend).await;

    // The home unit.
    let home = node.get_unit("").await.expect("home unit");
    let unit = home.unit.expect("a unit");
    assert_eq!(unit.id, HOME);
    assert_eq!(unit.name, "马庄街道");
    assert_eq!(pb::Tier::try_from(unit.tier), Ok(pb::Tier::Township));
    assert!(unit.reporting);
    assert!(home.ancestor_ids.is_empty(), "{:?}", home.ancestor_ids);
    assert_eq!(ids(&home.children), ["410411001001", "410411001002"]);
    assert_eq!(home.subtree_size, 7);
    assert_eq!(
        node.get_unit(HOME).await.expect("home unit by id"),
        node.get_unit("").await.expect("home unit")
    );

    // A group: its ancestors from the home unit down, its dates.
    let group = node.get_unit(OPENED).await.expect("group");
    let unit = group.unit.expect("a unit");
    assert_eq!(unit.id, OPENED);
    assert_eq!(unit.parent_id, "410411001001");
    assert_eq!(pb::Tier::try_from(unit.tier), Ok(pb::Tier::Group));
    assert_eq!(unit.active_from, "2026-11-10");
    assert_eq!(unit.active_to, "");
    assert_eq!(group.ancestor_ids, [HOME, "410411001001"]);
    assert!(group.children.is_empty());
    assert_eq!(group.subtree_size, 1);

    let closed = node.get_unit(CLOSED).await.expect("group").unit.unwrap();
    assert_eq!(closed.active_to, "2026-11-20");
    let silent = node.get_unit(SILENT).await.expect("group").unit.unwrap();
    assert!(!silent.reporting);

    let community = node.get_unit("410411001002").await.expect("community");
    assert_eq!(community.ancestor_ids, [HOME]);
    assert_eq!(ids(&community.children), [CLOSED, SILENT]);
    assert_eq!(community.subtree_size, 3);

    // ListUnits, two at a time: the whole subtree depth-first.
    let mut listed = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = node
            .list_units(pb::ListUnitsRequest {
                root_unit_id: String::new(),
                max_depth: 0,
                page_size: 2,
                page_token: token.clone(),
            })
            .await
            .expect("a page of units");
        pages += 1;
        assert!(page.units.len() <= 2);
        listed.extend(page.units.iter().map(|u| u.id.clone()));
        if page.next_page_token.is_empty() {
            break;
        }
        assert_eq!(page.units.len(), 2, "only the last page may be short");
        token = page.next_page_token;
        assert!(pages < 10, "paging did not end");
    }
    assert_eq!(listed, SUBTREE);
    assert_eq!(pages, 4);

    // One page with the default size.
    let all = node.list_units(pb::ListUnitsRequest::default()).await.expect("all units");
    assert_eq!(ids(&all.units), SUBTREE);
    assert!(all.next_page_token.is_empty());

    // max_depth 1: the home unit and its children.
    let shallow = node
        .list_units(pb::ListUnitsRequest { max_depth: 1, ..Default::default() })
        .await
        .expect("shallow list");
    assert_eq!(ids(&shallow.units), [HOME, "410411001001", "410411001002"]);
    assert!(shallow.next_page_token.is_empty());

    // A community root, with a depth limit relative to it.
    let below = node
        .list_units(pb::ListUnitsRequest {
            root_unit_id: "410411001001".into(),
            max_depth: 1,
            ..Default::default()
        })
        .await
        .expect("community list");
    assert_eq!(ids(&below.units), ["410411001001", GROUP, OPENED]);

    // Errors.
    for unit in ["410411002", "410411", OUTSIDE, "999999"] {
        expect_code(node.get_unit(unit).await, Code::NotFound);
        expect_code(
            node.list_units(pb::ListUnitsRequest { root_unit_id: unit.into(), ..Default::default() }).await,
            Code::NotFound,
        );
    }
    expect_invalid(node.get_unit("410411 001").await, "unit_id");
    expect_invalid(
        node.list_units(pb::ListUnitsRequest { root_unit_id: "a/b".into(), ..Default::default() }).await,
        "root_unit_id",
    );
    expect_invalid(
        node.list_units(pb::ListUnitsRequest { page_size: 5001, ..Default::default() }).await,
        "page_size",
    );
    expect_invalid(
        node.list_units(pb::ListUnitsRequest { page_token: OUTSIDE.into(), ..Default::default() }).await,
        "page_token",
    );

    node.stop().await;
}

// ---------------------------------------------------------------------------
// 7. Health
// ---------------------------------------------------------------------------

async fn health_reports_serving(backend: Backend) {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;

    let node = TestNode::start(backend).await;
    let mut health = HealthClient::new(node.channel.clone());
    for service in ["", "fengqiao.v1.ReportingService", "fengqiao.v1.UnitService"] {
        let response = health
            .check(HealthCheckRequest { service: service.into() })
            .await
            .unwrap_or_else(|status| panic!("health of {service:?}: {status}"))
            .into_inner();
        assert_eq!(ServingStatus::try_from(response.status), Ok(ServingStatus::Serving), "{service:?}");
    }
    expect_code(
        health.check(HealthCheckRequest { service: "fengqiao.v1.NoSuchService".into() }).await,
        Code::NotFound,
    );
    drop(health);
    node.stop().await;
}

// ---------------------------------------------------------------------------
// 8. Reflection
// ---------------------------------------------------------------------------

async fn reflection_lists_the_services(backend: Backend) {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let node = TestNode::start(backend).await;
    let mut reflection = ServerReflectionClient::new(node.channel.clone());
    let requests = [
        MessageRequest::ListServices(String::new()),
        MessageRequest::FileContainingSymbol("fengqiao.v1.ReportingService".into()),
    ]
    .map(|message| ServerReflectionRequest { host: String::new(), message_request: Some(message) });
    let mut responses = reflection
        .server_reflection_info(tokio_stream::iter(requests))
        .await
        .expect("reflection answers")
        .into_inner();

    let listed = responses.message().await.expect("a response").expect("a first message");
    let Some(MessageResponse::ListServicesResponse(list)) = listed.message_response else {
        panic!("expected a service list, got {listed:?}");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    for service in ["fengqiao.v1.ReportingService", "fengqiao.v1.UnitService", "grpc.health.v1.Health"] {
        assert!(names.contains(&service), "{service} missing from {names:?}");
    }

    let file = responses.message().await.expect("a response").expect("a second message");
    let Some(MessageResponse::FileDescriptorResponse(files)) = file.message_response else {
        panic!("expected a file descriptor, got {file:?}");
    };
    assert!(!files.file_descriptor_proto.is_empty());
    assert!(
        files
            .file_descriptor_proto
            .iter()
            .any(|bytes| bytes.windows(b"reporting.proto".len()).any(|w| w == b"reporting.proto")),
        "the file of ReportingService is fengqiao/v1/reporting.proto"
    );
    assert!(
        responses.message().await.expect("the stream ends cleanly").is_none(),
        "one response per request"
    );
    drop((responses, reflection));
    node.stop().await;
}

// ---------------------------------------------------------------------------

fengqiao_store::both_backends!(
    submit_every_status,
    concurrent_retries_store_once,
    submit_rejects_bad_input,
    oversized_messages_are_refused,
    undecodable_requests_are_invalid_arguments,
    get_reads_current_and_history,
    list_pages_through_a_subtree,
    units_describe_the_subtree,
    health_reports_serving,
    reflection_lists_the_services,
);
