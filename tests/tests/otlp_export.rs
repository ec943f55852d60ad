//! Traces across real processes: four `fengqiao node` processes (group,
//! community, township, district) export their spans with `--otlp-endpoint`
//! to a fake OTLP collector in the test (the real `TraceService` over gRPC on
//! 127.0.0.1), and a report submitted with a `traceparent` at the group's
//! node arrives there as spans of one trace from every tier, each
//! `uplink.apply` the child of the one below. Both backends.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fengqiao_store::Backend;
use fengqiao_tests::{TestNetwork, poll_until, small_tree_csv, zero_report};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;

const DISTRICT: &str = "410411";
const TOWNSHIP: &str = "410411001";
const COMMUNITY: &str = "410411001001";
const GROUP: &str = "410411001001001";

/// A span as the collector received it, with the unit of the node that sent it.
#[derive(Debug, Clone)]
struct Received {
    node_unit: String,
    span: Span,
}

/// Keeps every span it is sent.
#[derive(Debug, Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<Received>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.spans.lock().unwrap();
        for resource_spans in request.into_inner().resource_spans {
            let node_unit = resource_spans
                .resource
                .iter()
                .flat_map(|resource| &resource.attributes)
                .find(|kv| kv.key == "fengqiao.unit")
                .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                    Value::StringValue(unit) => Some(unit.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            for scope in resource_spans.scope_spans {
                spans.extend(
                    scope.spans.into_iter().map(|span| Received { node_unit: node_unit.clone(), span }),
                );
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

fn attribute(span: &Span, key: &str) -> String {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            Value::StringValue(text) => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

async fn spans_reach_the_collector_as_one_trace(backend: Backend) {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let net = TestNetwork::builder(small_tree_csv(2))
        .node(DISTRICT)
        .node(TOWNSHIP)
        .node(COMMUNITY)
        .node(GROUP)
        .node_args(&["--otlp-endpoint", &endpoint])
        // Spans are recorded at INFO; the harness's default filter is WARN.
        .rust_log("info")
        .start(backend)
        .await;

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let date = fengqiao_tests::shanghai_yesterday().to_string();
    let mut request = tonic::Request::new(fengqiao_proto::pb::SubmitDailyReportRequest {
        report: Some(zero_report(GROUP, &date, 1)),
    });
    request
        .metadata_mut()
        .insert("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01").parse().unwrap());
    net.reporting(GROUP).submit_daily_report(request).await.expect("accepted");

    // Spans are exported in batches (every few seconds, and at shutdown).
    let applied_at = |unit: &str| {
        let spans = collector.spans.lock().unwrap();
        spans
            .iter()
            .find(|r| {
                r.node_unit == unit
                    && r.span.name == "uplink.apply"
                    && hex::encode(&r.span.trace_id) == trace_id
            })
            .cloned()
    };
    poll_until("every tier's span for the report", Duration::from_secs(30), || async {
        [COMMUNITY, TOWNSHIP, DISTRICT].iter().all(|unit| applied_at(unit).is_some())
            && collector.spans.lock().unwrap().iter().any(|r| {
                r.node_unit == GROUP && r.span.name == "fengqiao.v1.ReportingService/SubmitDailyReport"
            })
    })
    .await;
    let at_community = applied_at(COMMUNITY).expect("the community's span");
    let at_township = applied_at(TOWNSHIP).expect("the township's span");
    let at_district = applied_at(DISTRICT).expect("the district's span");
    let spans: Vec<Received> = collector.spans.lock().unwrap().clone();
    let in_trace = |r: &&Received| hex::encode(&r.span.trace_id) == trace_id;
    let call = spans
        .iter()
        .filter(in_trace)
        .find(|r| r.node_unit == GROUP && r.span.name == "fengqiao.v1.ReportingService/SubmitDailyReport")
        .expect("the group node's call span, in the client's trace");
    assert_eq!(hex::encode(&call.span.parent_span_id), "00f067aa0ba902b7", "the client's span is its parent");
    // Each tier's apply is the child of a span of the node below, in the one trace.
    for (received, below) in [(&at_community, GROUP), (&at_township, COMMUNITY), (&at_district, TOWNSHIP)] {
        let parent = spans
            .iter()
            .filter(in_trace)
            .find(|r| r.span.span_id == received.span.parent_span_id)
            .unwrap_or_else(|| panic!("the parent of {}'s uplink.apply was exported", received.node_unit));
        assert_eq!(
            parent.node_unit, below,
            "{}'s apply continues {below}'s span {}",
            received.node_unit, parent.span.name
        );
    }
    for received in [&at_community, &at_township, &at_district] {
        assert_eq!(attribute(&received.span, "unit"), GROUP);
        assert_eq!(attribute(&received.span, "date"), date);
    }
    net.shutdown().await;
    server.abort();
}

fengqiao_store::both_backends!(spans_reach_the_collector_as_one_trace);
