//! The Prometheus endpoint, scraped over HTTP: gRPC calls by RPC and code
//! (limit refusals and unknown methods included), reports accepted and
//! refused, missing reports at the last cut-off, overdue cases, and across a
//! parent and a child the outbox, forward latency and failures and the
//! downlink. Every scrape is checked to be well-formed OpenMetrics text, and
//! none may hold the petitioner data of a registered case. Both backends.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use common::{Running, expect_code, fast};
use fengqiao_core::{Clock, ManualClock};
use fengqiao_node::{ChildNodes, Limits, Node, NodeConfig};
use fengqiao_proto::pb;
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_store::Backend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tonic::Code;
use tonic::transport::Channel;

const TREE: &str = "code,parent_code,tier,name\n\
    410411,,district,湛河区\n\
    410411001,410411,township,马庄街道\n\
    410411001001,410411001,community,电力社区\n\
    410411001001001,410411001001,group,1号楼\n\
    410411001001002,410411001001,group,2号楼\n\
    410411001001003,410411001001,group,3号楼\n\
    410411002,410411,township,南环路街道\n";

const TOWNSHIP: &str = "410411001";
const GROUP: &str = "410411001001001";
/// The township's subtree: itself, the community and three groups, every
/// one a reporting unit.
const TOWNSHIP_UNITS: i64 = 5;

const NAME: &str = "测试甲某";
const PHONE: &str = "139 0000 0000";
const ID_NUMBER: &str = "11010519491231002X";

/// 16:00 in Shanghai on 2026-11-28, two hours before the 18:00 cut-off: the
/// last reporting day whose cut-off has passed is the 27th.
fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap()
}

// ---------------------------------------------------------------------------
// Scraping
// ---------------------------------------------------------------------------

/// A metrics endpoint serving one node until dropped.
struct Endpoint {
    address: SocketAddr,
    _stop: oneshot::Sender<()>,
}

async fn serve_metrics(node: &Node) -> Endpoint {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(fengqiao_node::serve_metrics(node.clone(), listener, async {
        let _ = stopped.await;
    }));
    Endpoint { address, _stop: stop }
}

/// The status line, headers (lowercased names) and body of a plain HTTP/1.1
/// request.
async fn http(address: SocketAddr, method: &str, path: &str) -> (u16, HashMap<String, String>, String) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).expect("the answer is UTF-8");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a head and a body");
    let mut lines = head.lines();
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

/// One scrape: its text and its samples by series (`name{labels}`).
struct Scrape {
    text: String,
    samples: HashMap<String, f64>,
}

impl Scrape {
    /// The value of a series; absent series read as 0 (a labelled counter
    /// appears only once it moved).
    fn get(&self, series: &str) -> f64 {
        self.samples.get(series).copied().unwrap_or(0.0)
    }
}

async fn scrape(endpoint: &Endpoint) -> Scrape {
    let (status, headers, text) = http(endpoint.address, "GET", "/metrics").await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(headers["content-type"], fengqiao_node::metrics::CONTENT_TYPE);
    let samples = parse_openmetrics(&text);
    Scrape { text, samples }
}

/// Checks every line is well-formed OpenMetrics text and returns the samples.
fn parse_openmetrics(text: &str) -> HashMap<String, f64> {
    let mut samples = HashMap::new();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.last(), Some(&"# EOF"), "the text ends with # EOF");
    for line in &lines[..lines.len() - 1] {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.splitn(3, ' ');
            let keyword = words.next().unwrap();
            let name = words.next().unwrap_or_else(|| panic!("a comment without a metric name: {line}"));
            assert!(["HELP", "TYPE", "UNIT"].contains(&keyword), "unknown comment: {line}");
            assert!(is_metric_name(name), "bad metric name in {line}");
            assert!(name.starts_with("fengqiao_"), "unprefixed metric: {line}");
            if keyword == "TYPE" {
                let kind = words.next().unwrap_or_default();
                assert!(["counter", "gauge", "histogram", "info"].contains(&kind), "bad type: {line}");
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value: {line}"));
        let name = series.split('{').next().unwrap();
        assert!(is_metric_name(name) && name.starts_with("fengqiao_"), "bad sample name: {line}");
        let labels = &series[name.len()..];
        if !labels.is_empty() {
            check_labels(labels, line);
        }
        assert!(samples.insert(series.to_owned(), value).is_none(), "a series twice: {line}");
    }
    samples
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `{name="value",…}` with escaped values.
fn check_labels(labels: &str, line: &str) {
    let inner = labels
        .strip_prefix('{')
        .and_then(|l| l.strip_suffix('}'))
        .unwrap_or_else(|| panic!("bad label set: {line}"));
    let mut rest = inner;
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"").unwrap_or_else(|| panic!("bad label: {line}"));
        assert!(is_metric_name(name) && !name.contains(':'), "bad label name in {line}");
        let mut escaped = false;
        let end = after
            .char_indices()
            .find(|&(_, c)| {
                let closes = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                closes
            })
            .map(|(i, _)| i)
            .unwrap_or_else(|| panic!("unterminated label value: {line}"));
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// The series of a gRPC call's count.
fn handled(service: &str, method: &str, code: &str) -> String {
    format!(
        "fengqiao_grpc_server_handled_total{{grpc_service=\"{service}\",grpc_method=\"{method}\",grpc_code=\"{code}\"}}"
    )
}

const REPORTING: &str = "fengqiao.v1.ReportingService";

/// Scrapes until `done` holds (the forwarder and the downlink work in the
/// background), and returns that scrape.
async fn scrape_until(endpoint: &Endpoint, what: &str, done: impl Fn(&Scrape) -> bool) -> Scrape {
    for _ in 0..400 {
        let scrape = scrape(endpoint).await;
        if done(&scrape) {
            return scrape;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never: {what}; last scrape:\n{}", scrape(endpoint).await.text);
}

// ---------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------

fn channel(node: &Running) -> Channel {
    Channel::from_shared(node.url()).unwrap().connect_lazy()
}

fn report(unit: &str, date: &str) -> pb::DailyReport {
    pb::DailyReport {
        unit_id: unit.into(),
        date: date.into(),
        revision: 1,
        reporter: "officer-7".into(),
        zero: true,
        disputes: Vec::new(),
        correction_reason: String::new(),
    }
}

async fn submit(
    node: &Running,
    report: pb::DailyReport,
) -> Result<pb::SubmitDailyReportResponse, tonic::Status> {
    ReportingServiceClient::new(channel(node))
        .submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report) })
        .await
        .map(tonic::Response::into_inner)
}

async fn register_case(node: &Running, unit: &str) {
    let request = pb::RegisterCaseRequest {
        intake: Some(pb::CaseIntake {
            origin_unit_id: unit.into(),
            category: pb::DisputeCategory::Land.into(),
            channel: pb::CaseChannel::Letter.into(),
            summary: "boundary of a contracted plot".into(),
            ..pb::CaseIntake::default()
        }),
        petitioner: Some(pb::Petitioner {
            name: NAME.into(),
            phone: PHONE.into(),
            id_number: ID_NUMBER.into(),
        }),
        actor: "officer-1".into(),
        ..pb::RegisterCaseRequest::default()
    };
    CaseServiceClient::new(channel(node)).register_case(request).await.expect("registered");
}

/// A call to a method no service offers.
async fn call_unknown_method(node: &Running) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(channel(node));
    grpc.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static("/fengqiao.v1.NoSuchService/Anything");
    let codec = tonic_prost::ProstCodec::<pb::GetNodeStatusRequest, pb::GetNodeStatusResponse>::default();
    grpc.unary(tonic::Request::new(pb::GetNodeStatusRequest {}), path, codec).await.unwrap_err()
}

fn no_personal_data(scrape: &Scrape) {
    for secret in [NAME, PHONE, ID_NUMBER, "11010519491231002X", "boundary of a contracted plot"] {
        assert!(!scrape.text.contains(secret), "the scrape holds {secret:?}:\n{}", scrape.text);
    }
    // A fragment of the phone number may not appear in a name, a label or a
    // help text; sample values are left out of this check (a timing such as
    // 0.0139 s would hold it by chance).
    let without_values: String = scrape
        .text
        .lines()
        .map(|line| {
            if line.starts_with('#') {
                line
            } else {
                line.rsplit_once(' ').map_or(line, |(series, _)| series)
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!without_values.contains("139"), "a series or help text holds \"139\":\n{}", scrape.text);
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

/// One node: calls by RPC and code, reports, missing reports at the last
/// cut-off, overdue cases, the endpoint's 404 and 405, no personal data.
async fn a_node_counts_its_calls_reports_and_backlog(backend: Backend) {
    let clock = Arc::new(ManualClock::new(start_time()));
    // A small burst, refilled slowly: the test drains it at the end.
    let limits = Limits { rate_per_second: 1, rate_burst: 60, ..Limits::default() };
    let config = NodeConfig { limits, ..NodeConfig::new(TOWNSHIP) };
    let mut node = Running::start_with_clock(
        TREE,
        TOWNSHIP,
        backend,
        config,
        None,
        Arc::clone(&clock) as Arc<dyn Clock>,
    )
    .await;
    let endpoint = serve_metrics(node.node.as_ref().unwrap()).await;

    // Before any call: the node's unit, nothing counted, all five units
    // missing for the 27th, no overdue case.
    let first = scrape(&endpoint).await;
    assert_eq!(first.get("fengqiao_node_info{unit=\"410411001\"}"), 1.0);
    assert_eq!(first.get(&handled(REPORTING, "SubmitDailyReport", "OK")), 0.0);
    assert_eq!(first.get("fengqiao_reports_expected_last_cutoff"), TOWNSHIP_UNITS as f64);
    assert_eq!(first.get("fengqiao_reports_missing_last_cutoff"), TOWNSHIP_UNITS as f64);
    assert_eq!(first.get("fengqiao_cases_overdue"), 0.0);
    assert_eq!(first.get("fengqiao_outbox_depth"), 0.0, "a node without a parent queues nothing");
    assert_eq!(first.get("fengqiao_metrics_refresh_failures_total"), 0.0);

    // Accepted: new for the 27th, then the same again (a duplicate).
    submit(&node, report(GROUP, "2026-11-27")).await.expect("accepted");
    submit(&node, report(GROUP, "2026-11-27")).await.expect("accepted as a duplicate");
    // Refused: a date after today (INVALID_ARGUMENT), a unit outside the
    // subtree (NOT_FOUND), and a first report that is not revision 1
    // (FAILED_PRECONDITION).
    expect_code(submit(&node, report(GROUP, "2026-11-29")).await, Code::InvalidArgument);
    expect_code(submit(&node, report("410411002", "2026-11-27")).await, Code::NotFound);
    let mut second = report(GROUP, "2026-11-26");
    second.revision = 2;
    second.correction_reason = "a second count".into();
    expect_code(submit(&node, second).await, Code::FailedPrecondition);
    // A method no service offers.
    expect_code(Err::<(), _>(call_unknown_method(&node).await), Code::Unimplemented);

    let after = scrape(&endpoint).await;
    assert_eq!(after.get(&handled(REPORTING, "SubmitDailyReport", "OK")), 2.0);
    assert_eq!(after.get(&handled(REPORTING, "SubmitDailyReport", "INVALID_ARGUMENT")), 1.0);
    assert_eq!(after.get(&handled(REPORTING, "SubmitDailyReport", "NOT_FOUND")), 1.0);
    assert_eq!(after.get(&handled(REPORTING, "SubmitDailyReport", "FAILED_PRECONDITION")), 1.0);
    assert_eq!(after.get(&handled("unknown", "unknown", "UNIMPLEMENTED")), 1.0);
    assert_eq!(
        after.get(&format!(
            "fengqiao_grpc_server_handling_seconds_count{{grpc_service=\"{REPORTING}\",grpc_method=\"SubmitDailyReport\"}}"
        )),
        5.0
    );
    assert_eq!(after.get("fengqiao_reports_accepted_total{disposition=\"new\"}"), 1.0);
    assert_eq!(after.get("fengqiao_reports_accepted_total{disposition=\"duplicate\"}"), 1.0);
    assert_eq!(after.get("fengqiao_reports_accepted_total{disposition=\"correction\"}"), 0.0);
    assert_eq!(after.get("fengqiao_reports_rejected_total{reason=\"invalid\"}"), 1.0);
    assert_eq!(after.get("fengqiao_reports_rejected_total{reason=\"not_found\"}"), 1.0);
    assert_eq!(after.get("fengqiao_reports_rejected_total{reason=\"first_revision_not_one\"}"), 1.0);
    // One batch per new report (a duplicate is decided in a batch too).
    assert!(after.get("fengqiao_rollup_apply_seconds_count{outcome=\"committed\"}") >= 1.0);
    assert_eq!(after.get("fengqiao_rollup_apply_seconds_count{outcome=\"failed\"}"), 0.0);
    assert_eq!(after.get("fengqiao_reports_missing_last_cutoff"), (TOWNSHIP_UNITS - 1) as f64);

    // Past the cut-off the 28th is the last closed day: nothing in for it.
    clock.set(Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap());
    assert_eq!(scrape(&endpoint).await.get("fengqiao_reports_missing_last_cutoff"), TOWNSHIP_UNITS as f64);
    submit(&node, report(GROUP, "2026-11-28")).await.expect("a late report is accepted");
    assert_eq!(
        scrape(&endpoint).await.get("fengqiao_reports_missing_last_cutoff"),
        (TOWNSHIP_UNITS - 1) as f64
    );

    // A case registered now is overdue once its acceptance deadline passed.
    register_case(&node, GROUP).await;
    let registered = scrape(&endpoint).await;
    assert_eq!(registered.get("fengqiao_cases_overdue"), 0.0);
    assert_eq!(registered.get(&handled("fengqiao.v1.CaseService", "RegisterCase", "OK")), 1.0);
    no_personal_data(&registered);
    clock.advance(chrono::Duration::days(40));
    let later = scrape(&endpoint).await;
    assert_eq!(later.get("fengqiao_cases_overdue"), 1.0);
    no_personal_data(&later);

    // The rate limit's refusals count too: drain the caller's burst.
    let mut status_client = pb::node_service_client::NodeServiceClient::new(channel(&node));
    let before = scrape(&endpoint).await;
    let (mut served, mut refused) = (0.0, 0.0);
    while refused == 0.0 {
        match status_client.get_node_status(pb::GetNodeStatusRequest {}).await {
            Ok(_) => served += 1.0,
            Err(status) => {
                assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                refused += 1.0;
            }
        }
        assert!(served < 200.0, "the rate limit never refused");
    }
    let limited = scrape(&endpoint).await;
    let node_status = "fengqiao.v1.NodeService";
    assert_eq!(
        limited.get(&handled(node_status, "GetNodeStatus", "OK"))
            - before.get(&handled(node_status, "GetNodeStatus", "OK")),
        served
    );
    assert_eq!(limited.get(&handled(node_status, "GetNodeStatus", "RESOURCE_EXHAUSTED")), refused);

    // Only GET /metrics is served.
    let (status, _, _) = http(endpoint.address, "GET", "/").await;
    assert_eq!(status, 404);
    let (status, _, _) = http(endpoint.address, "GET", "/metrics/other").await;
    assert_eq!(status, 404);
    let (status, headers, _) = http(endpoint.address, "POST", "/metrics").await;
    assert_eq!((status, headers.get("allow").map(String::as_str)), (405, Some("GET")));

    node.halt().await;
    node.db.cleanup().await;
}

/// A parent and a child: the child's downlink, its outbox while the parent
/// is down, the failed pushes, and the forward once the parent is back.
async fn a_child_reports_its_outbox_forwarding_and_downlink(backend: Backend) {
    let clock = Arc::new(ManualClock::new(start_time()));
    let parent_config = NodeConfig { child_nodes: ChildNodes::AllChildren, ..NodeConfig::new("410411") };
    let mut parent = Running::start_with_clock(
        TREE,
        "410411",
        backend,
        parent_config,
        None,
        Arc::clone(&clock) as Arc<dyn Clock>,
    )
    .await;
    let child_config =
        NodeConfig { parent: Some(parent.url()), forwarder: fast(), ..NodeConfig::new(TOWNSHIP) };
    let child = Running::start_with_clock(
        TREE,
        TOWNSHIP,
        backend,
        child_config,
        None,
        Arc::clone(&clock) as Arc<dyn Clock>,
    )
    .await;
    let parent_metrics = serve_metrics(parent.node.as_ref().unwrap()).await;
    let child_metrics = serve_metrics(child.node.as_ref().unwrap()).await;

    // The parent logged one tree snapshot per child node (two townships);
    // the child applied its own, which it was logged with the clock
    // standing still, so delivered in 0 s by that clock.
    let parent_scrape = scrape(&parent_metrics).await;
    assert_eq!(parent_scrape.get("fengqiao_downlink_head"), 2.0);
    // (A scrape reads the gauges first, then encodes the counters, so wait
    // until the cursor is in too.)
    let downlinked = scrape_until(&child_metrics, "the child applies its tree", |s| {
        s.get("fengqiao_downlink_events_applied_total") == 1.0 && s.get("fengqiao_downlink_cursor") > 0.0
    })
    .await;
    assert_eq!(downlinked.get("fengqiao_downlink_delivery_seconds_count"), 1.0);
    assert_eq!(downlinked.get("fengqiao_downlink_delivery_seconds_sum"), 0.0);
    let cursor = downlinked.get("fengqiao_downlink_cursor");
    assert!(cursor == 1.0 || cursor == 2.0, "cursor {cursor}:\n{}", downlinked.text);
    assert_eq!(downlinked.get("fengqiao_downlink_head"), 0.0, "the child logs nothing for children");

    // The parent goes down; a report waits in the child's outbox and ages.
    parent.halt().await;
    submit(&child, report(GROUP, "2026-11-27")).await.expect("accepted at the child");
    clock.advance(chrono::Duration::seconds(90));
    let waiting = scrape_until(&child_metrics, "a push fails", |s| {
        s.get("fengqiao_forward_failures_total{grpc_code=\"UNAVAILABLE\"}") >= 1.0
    })
    .await;
    assert_eq!(waiting.get("fengqiao_outbox_depth"), 1.0);
    assert_eq!(waiting.get("fengqiao_outbox_oldest_age_seconds"), 90.0);
    assert_eq!(waiting.get("fengqiao_forward_items_total{outcome=\"acknowledged\"}"), 0.0);

    // Back up: the item is forwarded and acknowledged, the outbox empty.
    parent.restart().await;
    let forwarded = scrape_until(&child_metrics, "the report is forwarded", |s| {
        s.get("fengqiao_forward_items_total{outcome=\"acknowledged\"}") == 1.0
            && s.get("fengqiao_outbox_depth") == 0.0
    })
    .await;
    assert_eq!(forwarded.get("fengqiao_outbox_oldest_age_seconds"), 0.0);
    assert_eq!(forwarded.get("fengqiao_forward_items_total{outcome=\"conflict\"}"), 0.0);
    assert!(forwarded.get("fengqiao_forward_push_seconds_count") >= 1.0);
    // The restarted parent (a new registry) counted the push it answered.
    let parent_metrics = serve_metrics(parent.node.as_ref().unwrap()).await;
    let parent_scrape = scrape(&parent_metrics).await;
    assert!(parent_scrape.get(&handled("fengqiao.v1.UplinkService", "PushBatch", "OK")) >= 1.0);
    // The parent now holds the township's report: of the seven units of its
    // subtree, six are still missing for the 27th.
    assert_eq!(parent_scrape.get("fengqiao_reports_expected_last_cutoff"), 7.0);
    assert_eq!(parent_scrape.get("fengqiao_reports_missing_last_cutoff"), 6.0);

    for mut node in [child, parent] {
        node.halt().await;
        node.db.cleanup().await;
    }
}

fengqiao_store::both_backends!(
    a_node_counts_its_calls_reports_and_backlog,
    a_child_reports_its_outbox_forwarding_and_downlink
);
