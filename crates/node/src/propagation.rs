//! Trace context across calls and tiers (W3C Trace Context), so that one
//! report's journey from the node that accepted it up to the district is one
//! trace.
//!
//! - **Incoming calls**: [`RpcTraceLayer`], the outermost layer of the
//!   server, opens one span per call named after the RPC
//!   (`fengqiao.v1.ReportingService/SubmitDailyReport`), a child of the
//!   caller's `traceparent`/`tracestate` headers when it sent them. A call
//!   answered with a non-OK gRPC status marks its span as an error and
//!   records the code (never the message, which may echo input).
//! - **Outgoing calls**: [`inject`] puts the current span's context into a
//!   request's metadata (the forwarder's push, the downlink subscriptions).
//! - **Across the outbox**: a push is asynchronous and batched, so the
//!   context travels with each item, not with the call. A revision's outbox
//!   entry keeps the `traceparent` of the span it was accepted under
//!   ([`traceparent`]); the forwarder sends it in `UplinkItem.trace_parent`;
//!   the parent applies the item under an `uplink.apply` span that is a child
//!   of it ([`remote_parent`]) and keeps that span's context with its own
//!   outbox entry, and so on up.
//!
//! Headers go through the global propagator (`opentelemetry::global`, which
//! the binary sets to W3C Trace Context); items always carry a W3C
//! `traceparent`. With no OpenTelemetry layer installed nothing is recorded
//! and nothing is injected, and a received item context is passed on as is.
//! Spans carry RPC names, unit ids, dates, revisions and counts — never
//! petitioner data.

use std::collections::HashMap;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tonic::codegen::http;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tracing::{Instrument, Span, field};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The W3C header (and item field) that carries a span's context.
const TRACEPARENT: &str = "traceparent";

/// Services whose methods name their spans; any other path (a client
/// guessing) is named [`UNKNOWN_RPC`], so span names stay a small set.
const KNOWN_SERVICES: [&str; 3] = ["fengqiao.v1.", "grpc.health.v1.", "grpc.reflection."];
const UNKNOWN_RPC: &str = "unknown";

/// Puts the current span's trace context into `request`'s metadata (nothing
/// when the current span is not recorded by OpenTelemetry).
pub fn inject<T>(request: &mut tonic::Request<T>) {
    let context = Span::current().context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut MetadataInjector(request.metadata_mut()))
    });
}

/// The trace context of `span` as a W3C `traceparent`, or `None` when the
/// span is not recorded by OpenTelemetry (no layer, or filtered out).
pub fn traceparent(span: &Span) -> Option<String> {
    render(&span.context())
}

/// The context a `traceparent` names, as the parent of a local span; `None`
/// when it is not a valid W3C `traceparent` (ignored, as the standard says).
pub fn remote_parent(traceparent: &str) -> Option<opentelemetry::Context> {
    // The propagator takes short ids (it parses them as numbers); the
    // standard wants exactly 32 and 16 hex digits.
    let mut parts = traceparent.split('-').skip(1);
    if parts.next().map(str::len) != Some(32) || parts.next().map(str::len) != Some(16) {
        return None;
    }
    let carrier = HashMap::from([(TRACEPARENT.to_owned(), traceparent.to_owned())]);
    let context = TraceContextPropagator::new().extract(&carrier);
    context.span().span_context().is_valid().then_some(context)
}

/// Opens `span` as a child of the `traceparent` an item arrived with, and
/// returns the context to keep with whatever this node forwards on: the
/// span's own, or — when this node records no spans — the arrived one, so a
/// node that is not tracing does not cut the trace.
pub fn continue_item(span: &Span, arrived: &str) -> Option<String> {
    let parent = remote_parent(arrived);
    if let Some(parent) = &parent {
        // Fails only when the span is not recorded (no layer, filtered
        // out); then the arrived context is passed on below.
        let _ = span.set_parent(parent.clone());
    }
    traceparent(span).or_else(|| parent.as_ref().and_then(render))
}

/// A context rendered as a W3C `traceparent`, when it holds a valid span.
fn render(context: &opentelemetry::Context) -> Option<String> {
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(context, &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// Reads propagation headers from an HTTP request.
struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Writes propagation headers into gRPC request metadata.
struct MetadataInjector<'a>(&'a mut MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        // A propagator's keys and values are valid ASCII header text; one
        // that is not is dropped rather than sent mangled.
        if let (Ok(key), Ok(value)) =
            (MetadataKey::from_bytes(key.as_bytes()), MetadataValue::try_from(value))
        {
            self.0.insert(key, value);
        }
    }
}

/// Opens a span per incoming call; see the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct RpcTraceLayer;

impl<S> tower::Layer<S> for RpcTraceLayer {
    type Service = RpcTrace<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcTrace { inner }
    }
}

/// The service [`RpcTraceLayer`] wraps around the routes.
#[derive(Debug, Clone)]
pub struct RpcTrace<S> {
    inner: S,
}

impl<S, B, R> tower::Service<http::Request<B>> for RpcTrace<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let span = rpc_span(&request);
        // What the inner layers do before their future (identify the caller,
        // check limits) belongs to the call too.
        let answer = span.in_scope(|| self.inner.call(request));
        Box::pin(async move {
            let result = answer.instrument(span.clone()).await;
            match &result {
                Ok(response) => record_grpc_status(&span, response.headers()),
                Err(_) => {
                    span.record("otel.status_code", "error");
                }
            }
            result
        })
    }
}

/// The span of one incoming call: named after its RPC, a child of the
/// caller's trace context when it sent one. Health checks and reflection
/// are at DEBUG, so probes do not fill the traces.
fn rpc_span<B>(request: &http::Request<B>) -> Span {
    let path = request.uri().path();
    let method = path.strip_prefix('/').unwrap_or(path);
    let method = if KNOWN_SERVICES.iter().any(|prefix| method.starts_with(prefix)) && method.len() <= 128 {
        method
    } else {
        UNKNOWN_RPC
    };
    let (service, rpc) = method.split_once('/').unwrap_or((method, ""));
    macro_rules! rpc_span {
        ($level:expr) => {
            tracing::span!(
                $level,
                "grpc",
                otel.name = method,
                otel.kind = "server",
                otel.status_code = field::Empty,
                rpc.system = "grpc",
                rpc.service = service,
                rpc.method = rpc,
                rpc.grpc.status_code = field::Empty,
            )
        };
    }
    let span = if method.starts_with("fengqiao.") {
        rpc_span!(tracing::Level::INFO)
    } else {
        rpc_span!(tracing::Level::DEBUG)
    };
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(request.headers()))
    });
    if parent.span().span_context().is_valid() {
        // Fails only when the span is not recorded; nothing to parent then.
        let _ = span.set_parent(parent);
    }
    span
}

/// A call that failed before its response started is answered with the
/// status in the headers (a trailers-only response); record its code and
/// mark the span an error. (A streaming call that fails later reports it in
/// trailers, after the span has closed.)
fn record_grpc_status(span: &Span, headers: &http::HeaderMap) {
    let Some(code) = headers.get("grpc-status").and_then(|v| v.to_str().ok()?.parse::<i64>().ok()) else {
        return;
    };
    span.record("rpc.grpc.status_code", code);
    if code != 0 {
        span.record("otel.status_code", "error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_traceparent_is_a_remote_parent_and_renders_back() {
        let text = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = remote_parent(text).expect("valid");
        let span = context.span();
        let span_context = span.span_context();
        assert!(span_context.is_remote());
        assert_eq!(span_context.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(span_context.span_id().to_string(), "00f067aa0ba902b7");
        assert_eq!(render(&context).as_deref(), Some(text));
    }

    #[test]
    fn an_invalid_traceparent_is_ignored() {
        for text in [
            "",
            "garbage",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert!(remote_parent(text).is_none(), "{text:?}");
        }
    }

    #[test]
    fn without_a_layer_an_item_context_is_passed_on_and_garbage_is_dropped() {
        let span = tracing::info_span!("uplink.apply");
        let arrived = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(continue_item(&span, arrived).as_deref(), Some(arrived));
        assert_eq!(continue_item(&span, "not a traceparent"), None);
        assert_eq!(traceparent(&span), None);
    }
}
