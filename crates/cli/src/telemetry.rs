//! Logs and traces of a `fengqiao node`: human text or JSON lines on stderr,
//! and, when an OTLP endpoint is configured, every span exported to an
//! OpenTelemetry collector over gRPC.
//!
//! One filter decides what is recorded, for the log and the export alike:
//! `RUST_LOG` when it is set, else the configured directives. The W3C Trace
//! Context propagator is installed globally, so a node continues the trace
//! of a caller that sends `traceparent` and passes it on to its parent (see
//! `fengqiao_node::propagation`).

use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{WithExportConfig as _, WithTonicConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde::{Deserialize, Serialize};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _, Registry};

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per event, with the fields of its spans.
    Json,
}

/// What [`init`] installs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelemetryConfig {
    pub format: LogFormat,
    /// `tracing` EnvFilter directives (`info`, `fengqiao_node=debug,info`);
    /// `RUST_LOG`, when set, wins.
    pub filter: String,
    /// OTLP/gRPC collector (`http://collector:4317`); no export when `None`.
    pub otlp_endpoint: Option<String>,
    /// The resource's `service.name`.
    pub service_name: String,
    /// The node's unit, as resource attribute `fengqiao.unit`.
    pub unit: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        TelemetryConfig {
            format: LogFormat::Text,
            filter: "info".to_owned(),
            otlp_endpoint: None,
            service_name: "fengqiao".to_owned(),
            unit: String::new(),
        }
    }
}

/// Keeps the trace export running; dropping it exports what is still
/// buffered (waiting at most [`SHUTDOWN_TIMEOUT`]) and stops the exporter.
#[derive(Debug)]
#[must_use = "dropping the guard stops the trace export"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

/// Longest wait for the last spans to reach the collector at shutdown.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown_with_timeout(SHUTDOWN_TIMEOUT)
        {
            eprintln!("warning: the last spans may not have reached the OTLP collector: {error}");
        }
    }
}

/// Installs the global subscriber and propagator. Must run inside the tokio
/// runtime when an OTLP endpoint is set (the exporter's gRPC channel lives
/// there). Fails on a bad filter or endpoint, or when a subscriber is
/// already installed.
pub fn init(config: &TelemetryConfig) -> Result<TelemetryGuard> {
    let filter = filter(config)?;
    let mut layers: Vec<Box<dyn tracing_subscriber::Layer<Registry> + Send + Sync>> = Vec::new();
    layers.push(match config.format {
        // Colour only for a person at a terminal, never in a log file or a pipe.
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .with_writer(std::io::stderr)
            .boxed(),
    });
    let provider = match &config.otlp_endpoint {
        Some(endpoint) => {
            let provider = tracer_provider(endpoint, config)?;
            let tracer = provider.tracer("fengqiao");
            layers.push(tracing_opentelemetry::layer().with_tracer(tracer).boxed());
            Some(provider)
        }
        None => None,
    };
    tracing_subscriber::registry()
        .with(layers)
        .with(filter)
        .try_init()
        .context("cannot install the log subscriber (one is installed already)")?;
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    Ok(TelemetryGuard { provider })
}

/// `RUST_LOG` when set and not empty, else the configured directives.
fn filter(config: &TelemetryConfig) -> Result<EnvFilter> {
    match std::env::var(EnvFilter::DEFAULT_ENV) {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::try_new(&directives)
            .with_context(|| format!("RUST_LOG={directives:?} is not a valid filter")),
        _ => EnvFilter::try_new(&config.filter)
            .with_context(|| format!("log filter {:?} is not a valid filter", config.filter)),
    }
}

/// A provider exporting in batches to the OTLP/gRPC collector at `endpoint`.
fn tracer_provider(endpoint: &str, config: &TelemetryConfig) -> Result<SdkTracerProvider> {
    let https = match endpoint.split_once("://") {
        Some(("http", rest)) if !rest.is_empty() => false,
        Some(("https", rest)) if !rest.is_empty() => true,
        _ => bail!(
            "OTLP endpoint {endpoint:?}: expected http://HOST:PORT or https://HOST:PORT (OTLP over gRPC)"
        ),
    };
    let mut exporter = opentelemetry_otlp::SpanExporter::builder().with_tonic().with_endpoint(endpoint);
    if https {
        exporter = exporter.with_tls_config(tonic::transport::ClientTlsConfig::new().with_native_roots());
    }
    let exporter = exporter.build().with_context(|| format!("OTLP endpoint {endpoint:?}"))?;
    let mut resource = Resource::builder().with_service_name(config.service_name.clone());
    if !config.unit.is_empty() {
        resource = resource.with_attribute(KeyValue::new("fengqiao.unit", config.unit.clone()));
    }
    Ok(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource.build()).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_format_reads_lowercase() {
        #[derive(Deserialize)]
        struct Log {
            format: LogFormat,
        }
        let json: Log = serde_json::from_str(r#"{"format":"json"}"#).unwrap();
        assert_eq!(json.format, LogFormat::Json);
        let text: Log = serde_json::from_str(r#"{"format":"text"}"#).unwrap();
        assert_eq!(text.format, LogFormat::Text);
        assert!(serde_json::from_str::<Log>(r#"{"format":"JSON"}"#).is_err());
    }

    /// The whole export path: `init` with an endpoint, a span, the guard
    /// dropped (which flushes), and a fake OTLP collector on loopback gets
    /// the span with the node's resource. The only test here that installs
    /// the global subscriber.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn spans_reach_an_otlp_collector_with_the_nodes_resource() {
        use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
            TraceService, TraceServiceServer,
        };
        use opentelemetry_proto::tonic::collector::trace::v1::{
            ExportTraceServiceRequest, ExportTraceServiceResponse,
        };
        use opentelemetry_proto::tonic::common::v1::any_value::Value;

        #[derive(Debug)]
        struct Collector(tokio::sync::mpsc::UnboundedSender<ExportTraceServiceRequest>);

        #[tonic::async_trait]
        impl TraceService for Collector {
            async fn export(
                &self,
                request: tonic::Request<ExportTraceServiceRequest>,
            ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
                let _ = self.0.send(request.into_inner());
                Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
            }
        }

        let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let collector = tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(Collector(sender)))
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
        );
        let config = TelemetryConfig {
            format: LogFormat::Json,
            filter: "info".into(),
            otlp_endpoint: Some(endpoint),
            service_name: "fengqiao-test".into(),
            unit: "410411".into(),
        };
        let guard = init(&config).expect("installed");
        // ERROR level: recorded whatever RUST_LOG the test runs under.
        tracing::error_span!("telemetry.test", unit = "410411001").in_scope(|| {});
        // Shutting down waits for the export, which the runtime drives.
        tokio::task::spawn_blocking(move || drop(guard)).await.unwrap();

        let request = tokio::time::timeout(Duration::from_secs(10), received.recv())
            .await
            .expect("the collector was called")
            .expect("a request");
        let resource_spans = &request.resource_spans[0];
        let resource = resource_spans.resource.as_ref().expect("a resource");
        let text = |attributes: &[opentelemetry_proto::tonic::common::v1::KeyValue], key: &str| {
            attributes.iter().find(|kv| kv.key == key).and_then(|kv| {
                match kv.value.as_ref()?.value.as_ref()? {
                    Value::StringValue(text) => Some(text.clone()),
                    _ => None,
                }
            })
        };
        assert_eq!(text(&resource.attributes, "service.name").as_deref(), Some("fengqiao-test"));
        assert_eq!(text(&resource.attributes, "fengqiao.unit").as_deref(), Some("410411"));
        let span = &resource_spans.scope_spans[0].spans[0];
        assert_eq!(span.name, "telemetry.test");
        assert_eq!(span.trace_id.len(), 16);
        assert_eq!(text(&span.attributes, "unit").as_deref(), Some("410411001"));
        collector.abort();
    }

    #[test]
    fn a_bad_filter_or_endpoint_is_refused_with_its_value() {
        let bad_filter = TelemetryConfig { filter: "fengqiao=loud".into(), ..TelemetryConfig::default() };
        if std::env::var(EnvFilter::DEFAULT_ENV).is_err() {
            let error = filter(&bad_filter).unwrap_err().to_string();
            assert!(error.contains("fengqiao=loud"), "{error}");
        }
        for endpoint in ["collector:4317", "grpc://collector:4317", "http://"] {
            let error = tracer_provider(endpoint, &TelemetryConfig::default()).unwrap_err().to_string();
            assert!(error.contains(endpoint), "{error}");
        }
    }
}
