//! One report's journey across four tiers is one trace: a report submitted
//! with a `traceparent` at a group's node is applied at the community, the
//! township and the district under spans of that same trace, each the child
//! of the tier below, although every hop is a batched push from an outbox.
//! The spans are captured in memory (OpenTelemetry's in-memory exporter
//! behind the tracing layer the binary installs). Runs on both backends.

mod common;

use std::sync::OnceLock;
use std::time::Duration;

use common::{Running, fast};
use fengqiao_node::{ChildNodes, NodeConfig};
use fengqiao_proto::pb;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_store::Backend;
use opentelemetry::trace::{SpanId, TraceId, TracerProvider as _};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt;

const TREE: &str = fengqiao_store::testing::trees::TWO_GROUPS;

const GROUP: &str = "410411001001001";
const COMMUNITY: &str = "410411001001";
const TOWNSHIP: &str = "410411001";
const DISTRICT: &str = "410411";

/// The process-wide subscriber (nodes run on the runtime's worker threads,
/// so a thread-local default would miss them) and its exporter. Tests tell
/// their spans apart by trace id.
fn exporter() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("fengqiao-test"));
        let only_ours = tracing_subscriber::filter::Targets::new()
            .with_target("fengqiao_node", tracing::Level::INFO)
            .with_target("fengqiao_store", tracing::Level::INFO);
        let subscriber = tracing_subscriber::registry().with(layer.with_filter(only_ours));
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        exporter
    })
}

use tracing_subscriber::Layer as _;

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes.iter().find(|kv: &&KeyValue| kv.key.as_str() == key).map(|kv| &kv.value)
}

fn text(span: &SpanData, key: &str) -> String {
    attribute(span, key).map(|v| v.as_str().into_owned()).unwrap_or_default()
}

/// The finished spans of `trace`, once `done` holds for them (spans end
/// just after the commits the test can observe).
async fn spans_of(trace: TraceId, done: impl Fn(&[SpanData]) -> bool) -> Vec<SpanData> {
    let mut spans = Vec::new();
    for _ in 0..400 {
        spans = exporter()
            .get_finished_spans()
            .unwrap()
            .into_iter()
            .filter(|span| span.span_context.trace_id() == trace)
            .collect();
        if done(&spans) {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let names: Vec<String> = spans.iter().map(|s| format!("{} from={}", s.name, text(s, "from"))).collect();
    panic!("trace {trace} never completed; spans: {names:?}");
}

/// The span `id`, once it has finished.
async fn finished(id: SpanId) -> SpanData {
    for _ in 0..400 {
        let spans = exporter().get_finished_spans().unwrap();
        if let Some(span) = spans.into_iter().find(|span| span.span_context.span_id() == id) {
            return span;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("span {id} never finished");
}

/// The `uplink.apply` span at the node whose child `from` pushed it.
fn applied_from<'a>(spans: &'a [SpanData], from: &str) -> Option<&'a SpanData> {
    spans.iter().find(|span| span.name == "uplink.apply" && text(span, "from") == from)
}

fn random_ids() -> (TraceId, SpanId) {
    (TraceId::from(rand::random::<u128>() | 1), SpanId::from(rand::random::<u64>() | 1))
}

async fn one_report_is_one_trace_across_four_tiers(backend: Backend) {
    exporter();
    let district_config = NodeConfig { child_nodes: ChildNodes::AllChildren, ..NodeConfig::new(DISTRICT) };
    let district = Running::start(TREE, DISTRICT, backend, district_config, None).await;
    let township_config = NodeConfig {
        parent: Some(district.url()),
        child_nodes: ChildNodes::Units(vec![COMMUNITY.into()]),
        forwarder: fast(),
        ..NodeConfig::new(TOWNSHIP)
    };
    let township = Running::start(TREE, TOWNSHIP, backend, township_config, None).await;
    let community_config = NodeConfig {
        parent: Some(township.url()),
        child_nodes: ChildNodes::Units(vec![GROUP.into()]),
        forwarder: fast(),
        ..NodeConfig::new(COMMUNITY)
    };
    let community = Running::start(TREE, COMMUNITY, backend, community_config, None).await;
    let group_config =
        NodeConfig { parent: Some(community.url()), forwarder: fast(), ..NodeConfig::new(GROUP) };
    let group = Running::start(TREE, GROUP, backend, group_config, None).await;

    // The reporter's client starts the trace.
    let (trace, client_span) = random_ids();
    let mut request = tonic::Request::new(pb::SubmitDailyReportRequest {
        report: Some(pb::DailyReport {
            unit_id: GROUP.into(),
            date: "2025-03-03".into(),
            revision: 1,
            reporter: "officer-7".into(),
            zero: true,
            disputes: vec![],
            correction_reason: String::new(),
        }),
    });
    request.metadata_mut().insert("traceparent", format!("00-{trace}-{client_span}-01").parse().unwrap());
    ReportingServiceClient::new(group.channel()).submit_daily_report(request).await.expect("accepted");

    let spans = spans_of(trace, |spans| applied_from(spans, TOWNSHIP).is_some()).await;
    let by_id = |id: SpanId| spans.iter().find(|span| span.span_context.span_id() == id);

    // At the group's node: the call's span, a child of the client's, and the
    // handler's span inside it.
    let call = spans
        .iter()
        .find(|span| span.name == "fengqiao.v1.ReportingService/SubmitDailyReport")
        .expect("the call's span");
    assert_eq!(call.parent_span_id, client_span);
    assert!(call.parent_span_is_remote);
    assert_eq!(call.span_kind, opentelemetry::trace::SpanKind::Server);
    assert_eq!(text(call, "rpc.method"), "SubmitDailyReport");
    let handler = spans.iter().find(|span| span.name == "rpc.submit_daily_report").expect("handler span");
    assert_eq!(handler.parent_span_id, call.span_context.span_id());

    // Up the tiers: each node applies the item under a span whose parent is
    // the span it was accepted or applied under one tier below.
    let at_community = applied_from(&spans, GROUP).expect("applied at the community");
    let at_township = applied_from(&spans, COMMUNITY).expect("applied at the township");
    let at_district = applied_from(&spans, TOWNSHIP).expect("applied at the district");
    assert_eq!(at_community.parent_span_id, handler.span_context.span_id());
    assert_eq!(at_township.parent_span_id, at_community.span_context.span_id());
    assert_eq!(at_district.parent_span_id, at_township.span_context.span_id());
    for span in [at_community, at_township, at_district] {
        assert!(span.parent_span_is_remote, "{} came over the wire", text(span, "from"));
        assert_eq!(text(span, "unit"), GROUP);
        assert_eq!(text(span, "date"), "2025-03-03");
        assert_eq!(text(span, "outcome"), "ITEM_OUTCOME_APPLIED");
        assert!(by_id(span.parent_span_id).is_some(), "the parent span was recorded too");
    }
    assert_eq!(
        spans.iter().filter(|span| span.name == "uplink.apply").count(),
        3,
        "applied once at each tier above the group"
    );

    // Each apply links to the push that carried it; that push's call span
    // at the receiver is, through the gRPC headers, the child of the
    // sender's `uplink.push` span.
    for (span, sender) in [(at_community, GROUP), (at_township, COMMUNITY), (at_district, TOWNSHIP)] {
        let link = span.links.first().expect("a link to the push");
        let push_handler = finished(link.span_context.span_id()).await;
        assert_eq!(push_handler.name, "rpc.push_batch");
        assert_eq!(text(&push_handler, "sender"), sender);
        let push_call = finished(push_handler.parent_span_id).await;
        assert_eq!(push_call.name, "fengqiao.v1.UplinkService/PushBatch");
        // The sender's span ends once the answer is back: wait for it.
        let push = finished(push_call.parent_span_id).await;
        assert_eq!(push.name, "uplink.push");
        assert_eq!(text(&push, "unit"), sender);
        assert_ne!(push.span_context.trace_id(), trace, "a push is a trace of its own");
    }

    // A refused call is an error span with its gRPC code.
    let (refused_trace, refused_parent) = random_ids();
    let mut request = tonic::Request::new(pb::SubmitDailyReportRequest { report: None });
    request
        .metadata_mut()
        .insert("traceparent", format!("00-{refused_trace}-{refused_parent}-01").parse().unwrap());
    let refused = ReportingServiceClient::new(group.channel()).submit_daily_report(request).await;
    assert_eq!(refused.unwrap_err().code(), tonic::Code::InvalidArgument);
    let spans =
        spans_of(refused_trace, |spans| spans.iter().any(|span| span.name.starts_with("fengqiao.v1."))).await;
    let call = spans.iter().find(|span| span.name.starts_with("fengqiao.v1.")).unwrap();
    assert_eq!(call.status, opentelemetry::trace::Status::error(""));
    assert_eq!(
        attribute(call, "rpc.grpc.status_code"),
        Some(&Value::I64(tonic::Code::InvalidArgument as i64))
    );

    for mut node in [group, community, township, district] {
        node.halt().await;
        node.db.cleanup().await;
    }
}

fengqiao_store::both_backends!(one_report_is_one_trace_across_four_tiers);
