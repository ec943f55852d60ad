// Long (~900 lines, ~40 of them tests): every metric needs its definition,
// registration and recording method in the one registry (`Metrics`), beside the
// tower layer that counts calls and the `/metrics` and probe endpoint.
//! Prometheus metrics: one registry per [`Node`] (a process may run many
//! nodes: `fengqiao demo`, the tests), the tower layer that counts every gRPC
//! call, and [`serve_metrics`], the plaintext HTTP endpoint that serves the
//! registry at `GET /metrics` in the OpenMetrics text format, and the HTTP
//! probes `GET /healthz` (the process answers) and `GET /readyz` (200 while
//! gRPC health is SERVING, 503 with the reason otherwise; see
//! [`crate::readiness`]).
//!
//! Event metrics (calls, reports, pushes, commits, downlink events) are
//! counted where they happen. State metrics (outbox, downlink cursor and
//! head, missing reports, overdue cases) are read from the store at each
//! scrape, so they are as fresh as the scrape.
//!
//! Labels carry only RPC names, gRPC codes, dispositions, reason classes and
//! the node's own unit id: never a petitioner's data, never free text from a
//! request. See the "Metrics" section of docs/ARCHITECTURE.md for the list.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use fengqiao_core::Applied;
use http_body::{Body as HttpBody, Frame, SizeHint};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};
use prost::Message;
use tonic::Code;
use tonic::body::Body;
use tracing::{debug, warn};

use crate::middleware::{Answer, Inner, Middleware, Wrapped};
use crate::{Node, NodeError};

/// The content type of a scrape: OpenMetrics text, which Prometheus reads.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Labels of a gRPC call: the service and method of a known RPC (anything
/// else is `unknown`, so a caller cannot mint label values) and the code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct GrpcCodeLabels {
    pub grpc_service: String,
    pub grpc_method: String,
    pub grpc_code: &'static str,
}

/// Labels of a gRPC call's latency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct GrpcLabels {
    pub grpc_service: String,
    pub grpc_method: String,
}

/// What an accepted report did: `new`, `correction` or `duplicate`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct DispositionLabels {
    pub disposition: &'static str,
}

/// A class of reasons (never the text of one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct CodeLabels {
    pub grpc_code: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

/// Why an exchange with the parent ran and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ExchangeLabels {
    pub trigger: &'static str,
    pub outcome: &'static str,
}

/// What kind of item differed, and how.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct DivergenceLabels {
    pub kind: &'static str,
    pub found: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: &'static str,
}

/// Where a connection stands: `unproven` (accepted, no certificate shown
/// yet) or `proven`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct StateLabels {
    pub state: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct NodeInfoLabels {
    unit: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Latency buckets from 1 ms to about 33 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// Downlink delivery buckets from 10 ms to about 1.5 days, quadrupling.
fn delivery_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.01, 4.0, 13))
}

/// A node's metrics. Reach it with [`Node::metrics`].
pub struct Metrics {
    registry: Registry,
    grpc_handled: Family<GrpcCodeLabels, Counter>,
    grpc_handling: HistogramFamily<GrpcLabels>,
    reports_accepted: Family<DispositionLabels, Counter>,
    reports_rejected: Family<ReasonLabels, Counter>,
    forward_push: Histogram,
    forward_failures: Family<CodeLabels, Counter>,
    forward_items: Family<OutcomeLabels, Counter>,
    rollup_apply: HistogramFamily<OutcomeLabels>,
    downlink_applied: Counter,
    downlink_delivery: Histogram,
    outbox_depth: Gauge,
    outbox_oldest_age: Gauge<f64, std::sync::atomic::AtomicU64>,
    set_aside: Gauge,
    downlink_cursor: Gauge,
    downlink_head: Gauge,
    reports_expected_last_cutoff: Gauge,
    reports_missing_last_cutoff: Gauge,
    cases_overdue: Gauge,
    refresh_failures: Counter,
    reconcile_exchanges: Family<ExchangeLabels, Counter>,
    reconcile_divergent: Family<DivergenceLabels, Counter>,
    reconcile_repaired: Family<KindLabels, Counter>,
    reconcile_conflicts: Gauge,
    connections_open: Family<StateLabels, Gauge>,
    connections_refused: Family<ReasonLabels, Counter>,
    connections_reclaimed: Family<ReasonLabels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// A registry with every metric of a node whose home unit is `home_unit`.
    pub fn new(home_unit: &str) -> Metrics {
        let mut registry = Registry::with_prefix("fengqiao");
        registry.register(
            "node",
            "The unit this node speaks for",
            Info::new(NodeInfoLabels { unit: home_unit.to_owned() }),
        );
        let grpc_handled = Family::<GrpcCodeLabels, Counter>::default();
        registry.register(
            "grpc_server_handled",
            "gRPC calls answered, by service, method and status code (limits and authentication included)",
            grpc_handled.clone(),
        );
        let grpc_handling: HistogramFamily<GrpcLabels> = Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "grpc_server_handling",
            "Time from a gRPC call's arrival to its status (a stream's end for streams)",
            Unit::Seconds,
            grpc_handling.clone(),
        );
        let reports_accepted = Family::<DispositionLabels, Counter>::default();
        registry.register(
            "reports_accepted",
            "Daily reports accepted by SubmitDailyReport, by what they did",
            reports_accepted.clone(),
        );
        let reports_rejected = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "reports_rejected",
            "Daily reports refused by SubmitDailyReport, by class of reason",
            reports_rejected.clone(),
        );
        let forward_push = latency_histogram();
        registry.register_with_unit(
            "forward_push",
            "Round trip of an answered push of outbox items to the parent",
            Unit::Seconds,
            forward_push.clone(),
        );
        let forward_failures = Family::<CodeLabels, Counter>::default();
        registry.register(
            "forward_failures",
            "Pushes to the parent that failed, by status code",
            forward_failures.clone(),
        );
        let forward_items = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "forward_items",
            "Outbox items the parent answered: acknowledged (stored or already there), conflict or refused (set aside)",
            forward_items.clone(),
        );
        let rollup_apply: HistogramFamily<OutcomeLabels> = Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "rollup_apply",
            "Time to apply one group-commit batch of reports to the store and rollups, by outcome",
            Unit::Seconds,
            rollup_apply.clone(),
        );
        let downlink_applied = Counter::default();
        registry.register(
            "downlink_events_applied",
            "Downlink events applied from the parent",
            downlink_applied.clone(),
        );
        let downlink_delivery = delivery_histogram();
        registry.register_with_unit(
            "downlink_delivery",
            "Time from the parent logging a downlink event to this node applying it",
            Unit::Seconds,
            downlink_delivery.clone(),
        );
        let outbox_depth = Gauge::default();
        registry.register("outbox_depth", "Items waiting in the outbox for the parent", outbox_depth.clone());
        let outbox_oldest_age = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register_with_unit(
            "outbox_oldest_age",
            "Age of the oldest item waiting in the outbox (0 when empty)",
            Unit::Seconds,
            outbox_oldest_age.clone(),
        );
        let set_aside = Gauge::default();
        registry.register(
            "uplink_set_aside",
            "Items the parent refused, set aside out of the outbox for the operator (see fengqiao status)",
            set_aside.clone(),
        );
        let downlink_cursor = Gauge::default();
        registry.register(
            "downlink_cursor",
            "Sequence of the last downlink event applied from the parent",
            downlink_cursor.clone(),
        );
        let downlink_head = Gauge::default();
        registry.register(
            "downlink_head",
            "Sequence of the newest event in this node's own downlink log for its child nodes",
            downlink_head.clone(),
        );
        let reports_expected_last_cutoff = Gauge::default();
        registry.register(
            "reports_expected_last_cutoff",
            "Units of this node's subtree expected to report for the last reporting day whose cut-off has passed",
            reports_expected_last_cutoff.clone(),
        );
        let reports_missing_last_cutoff = Gauge::default();
        registry.register(
            "reports_missing_last_cutoff",
            "Of those, units with no report for that day so far",
            reports_missing_last_cutoff.clone(),
        );
        let cases_overdue = Gauge::default();
        registry.register(
            "cases_overdue",
            "Open cases owned in this node's subtree whose deadline has passed",
            cases_overdue.clone(),
        );
        let refresh_failures = Counter::default();
        registry.register(
            "metrics_refresh_failures",
            "Scrapes at which a store-backed gauge could not be read (it keeps its previous value)",
            refresh_failures.clone(),
        );
        let reconcile_exchanges = Family::<ExchangeLabels, Counter>::default();
        registry.register(
            "reconcile_exchanges",
            "Reconciliation exchanges with the parent, by trigger and outcome (clean, repaired, conflict, failed)",
            reconcile_exchanges.clone(),
        );
        let reconcile_divergent = Family::<DivergenceLabels, Counter>::default();
        registry.register(
            "reconcile_divergent_items",
            "Items found different from the parent's copy, by kind and how (parent_lacks: sent again; the rest are conflicts)",
            reconcile_divergent.clone(),
        );
        let reconcile_repaired = Family::<KindLabels, Counter>::default();
        registry.register(
            "reconcile_repaired_items",
            "Items queued again for the parent because it lacked them or held a lower revision",
            reconcile_repaired.clone(),
        );
        let reconcile_conflicts = Gauge::default();
        registry.register(
            "reconcile_conflicts",
            "Conflicts found by the last completed exchange with the parent (items it holds that this node does not, or newer, or other)",
            reconcile_conflicts.clone(),
        );
        let connections_open = Family::<StateLabels, Gauge>::default();
        registry.register(
            "connections_open",
            "Open gRPC connections: unproven (no certificate shown yet) or proven",
            connections_open.clone(),
        );
        let connections_refused = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "connections_refused",
            "Connections closed at accept: source_limit (its address holds its share) or full",
            connections_refused.clone(),
        );
        let connections_reclaimed = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "connections_reclaimed",
            "Connections the node closed: evicted (its slot taken by a newcomer before it made a request), handshake_timeout (no request by the deadline) or idle",
            connections_reclaimed.clone(),
        );
        Metrics {
            registry,
            reconcile_exchanges,
            reconcile_divergent,
            reconcile_repaired,
            reconcile_conflicts,
            grpc_handled,
            grpc_handling,
            reports_accepted,
            reports_rejected,
            forward_push,
            forward_failures,
            forward_items,
            rollup_apply,
            downlink_applied,
            downlink_delivery,
            outbox_depth,
            outbox_oldest_age,
            set_aside,
            downlink_cursor,
            downlink_head,
            reports_expected_last_cutoff,
            reports_missing_last_cutoff,
            cases_overdue,
            refresh_failures,
            connections_open,
            connections_refused,
            connections_reclaimed,
        }
    }

    /// The registry in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// One gRPC call answered.
    pub fn grpc_handled(&self, rpc: &Rpc, code: Code, elapsed: Duration) {
        let (service, method) = rpc.labels();
        self.grpc_handled
            .get_or_create(&GrpcCodeLabels {
                grpc_service: service.to_owned(),
                grpc_method: method.to_owned(),
                grpc_code: code_name(code),
            })
            .inc();
        self.grpc_handling
            .get_or_create(&GrpcLabels { grpc_service: service.to_owned(), grpc_method: method.to_owned() })
            .observe(elapsed.as_secs_f64());
    }

    /// The connections open now, unproven and proven.
    pub fn connections_open(&self, unproven: usize, proven: usize) {
        self.connections_open.get_or_create(&StateLabels { state: "unproven" }).set(unproven as i64);
        self.connections_open.get_or_create(&StateLabels { state: "proven" }).set(proven as i64);
    }

    /// A connection closed at accept, for `reason`.
    pub fn connection_refused(&self, reason: &'static str) {
        self.connections_refused.get_or_create(&ReasonLabels { reason }).inc();
    }

    /// A connection the node closed later, for `reason`.
    pub fn connection_reclaimed(&self, reason: &'static str) {
        self.connections_reclaimed.get_or_create(&ReasonLabels { reason }).inc();
    }

    /// A report accepted by SubmitDailyReport.
    pub fn report_accepted(&self, applied: Applied) {
        let disposition = match applied {
            Applied::New => "new",
            Applied::Correction { .. } => "correction",
            Applied::Duplicate => "duplicate",
        };
        self.reports_accepted.get_or_create(&DispositionLabels { disposition }).inc();
    }

    /// A report refused by SubmitDailyReport.
    pub fn report_rejected(&self, error: &NodeError) {
        self.reports_rejected.get_or_create(&ReasonLabels { reason: error.reason_class() }).inc();
    }

    /// An answered push: its round trip, and the parent's answer per item.
    pub fn push_answered(&self, elapsed: Duration, acknowledged: usize, conflicts: usize, refused: usize) {
        self.forward_push.observe(elapsed.as_secs_f64());
        self.forward_items
            .get_or_create(&OutcomeLabels { outcome: "acknowledged" })
            .inc_by(acknowledged as u64);
        self.forward_items.get_or_create(&OutcomeLabels { outcome: "conflict" }).inc_by(conflicts as u64);
        self.forward_items.get_or_create(&OutcomeLabels { outcome: "refused" }).inc_by(refused as u64);
    }

    /// A push that failed with `code`.
    pub fn push_failed(&self, code: Code) {
        self.forward_failures.get_or_create(&CodeLabels { grpc_code: code_name(code) }).inc();
    }

    /// A group-commit batch applied (or failed) in `elapsed`.
    pub fn batch_applied(&self, elapsed: Duration, committed: bool) {
        let outcome = if committed { "committed" } else { "failed" };
        self.rollup_apply.get_or_create(&OutcomeLabels { outcome }).observe(elapsed.as_secs_f64());
    }

    /// A downlink event applied, which the parent logged at `created_at`.
    pub fn downlink_event_applied(&self, created_at: Option<DateTime<Utc>>, now: DateTime<Utc>) {
        self.downlink_applied.inc();
        if let Some(created_at) = created_at {
            let delay = (now - created_at).to_std().unwrap_or_default();
            self.downlink_delivery.observe(delay.as_secs_f64());
        }
    }

    /// An exchange with the parent ended.
    pub fn reconcile_exchange(&self, report: &fengqiao_core::reconcile::ExchangeReport) {
        self.reconcile_exchanges
            .get_or_create(&ExchangeLabels { trigger: report.trigger.as_str(), outcome: report.outcome() })
            .inc();
        self.reconcile_repaired.get_or_create(&KindLabels { kind: "report" }).inc_by(report.reports_resent);
        self.reconcile_repaired
            .get_or_create(&KindLabels { kind: "case_event" })
            .inc_by(report.case_events_resent);
        if report.error.is_none() && !report.incomplete {
            self.reconcile_conflicts.set(gauge_value(report.conflicts_total));
        }
    }

    /// What comparing one day's items found.
    pub fn reconcile_divergence(&self, day: &fengqiao_core::reconcile::DayComparison) {
        use fengqiao_core::reconcile::ItemKey;
        let count = |kind, found, n: usize| {
            if n > 0 {
                self.reconcile_divergent.get_or_create(&DivergenceLabels { kind, found }).inc_by(n as u64);
            }
        };
        count("report", "parent_lacks", day.resend_reports.len());
        count("case_event", "parent_lacks", day.resend_case_events.len());
        for conflict in &day.conflicts {
            let kind = match conflict.item {
                ItemKey::Report { .. } => "report",
                ItemKey::CaseEvent { .. } => "case_event",
            };
            count(kind, conflict.kind.as_str(), 1);
        }
    }

    /// Reads the state gauges from the store. A failure is logged and
    /// counted; the gauge keeps its previous value.
    pub async fn refresh(&self, node: &Node) {
        if let Err(error) = self.refresh_state(node).await {
            warn!(%error, "cannot refresh the metrics' state gauges");
            self.refresh_failures.inc();
        }
    }

    async fn refresh_state(&self, node: &Node) -> Result<(), NodeError> {
        let now = node.clock().now();
        let store = node.store();
        let outbox = store.outbox_stats().await?;
        self.outbox_depth.set(gauge_value(outbox.depth));
        let age =
            outbox.oldest.map_or(0.0, |oldest| (now - oldest).to_std().unwrap_or_default().as_secs_f64());
        self.outbox_oldest_age.set(age);
        self.set_aside.set(gauge_value(store.set_aside(0).await?.0));
        self.downlink_cursor.set(gauge_value(node.downlink_cursor().await?));
        self.downlink_head.set(store.downlink_head().await?);
        let policy = node.config().time;
        let today = policy.local_date(now);
        let last_closed =
            if now >= policy.cutoff_of(today) { today } else { today - chrono::Duration::days(1) };
        let home = &node.config().home_unit;
        let completeness =
            crate::summary::Summaries::new(node.clone()).completeness(home, last_closed).await?;
        self.reports_expected_last_cutoff.set(completeness.expected);
        self.reports_missing_last_cutoff.set(completeness.missing.len() as i64);
        let home_id = fengqiao_core::UnitId::parse(home)?;
        let figures = store.case_figures(std::slice::from_ref(&home_id), today, today).await?;
        self.cases_overdue.set(figures.first().map_or(0, |f| gauge_value(f.overdue)));
        Ok(())
    }
}

fn gauge_value(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A [`NodeError`]'s class, as a label value.
impl NodeError {
    pub fn reason_class(&self) -> &'static str {
        use fengqiao_core::DomainError;
        match self {
            NodeError::Domain(DomainError::Invalid { .. }) => "invalid",
            NodeError::Domain(DomainError::NotFound(_)) => "not_found",
            NodeError::Domain(DomainError::StaleRevision { .. }) => "stale_revision",
            NodeError::Domain(DomainError::FirstRevisionNotOne { .. }) => "first_revision_not_one",
            NodeError::Domain(DomainError::RevisionConflict { .. }) => "revision_conflict",
            NodeError::Domain(DomainError::FailedPrecondition(_)) => "failed_precondition",
            NodeError::Domain(DomainError::AlreadyExists(_)) => "already_exists",
            NodeError::Domain(DomainError::Aborted(_)) => "aborted",
            NodeError::Store(_) => "store",
            NodeError::Delegated { .. } => "delegated",
            NodeError::PermissionDenied(_) | NodeError::Denied(_) => "permission_denied",
            NodeError::Unauthenticated(_) => "unauthenticated",
            NodeError::Overloaded => "overloaded",
            NodeError::ShuttingDown => "shutting_down",
        }
    }
}

/// A gRPC code's canonical name (`OK`, `INVALID_ARGUMENT`, …).
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The RPC a request path names, if the server offers it.
#[derive(Debug, Clone)]
pub enum Rpc {
    Known { service: &'static str, method: &'static str },
    Unknown,
}

impl Rpc {
    /// Looks `path` (`/package.Service/Method`) up among the RPCs served.
    pub fn of_path(path: &str) -> Rpc {
        known_rpcs().get(path).map_or(Rpc::Unknown, |&(service, method)| Rpc::Known { service, method })
    }

    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            Rpc::Known { service, method } => (service, method),
            Rpc::Unknown => ("unknown", "unknown"),
        }
    }
}

/// Every `/service/method` path the server offers, from the descriptor sets
/// of the v1 services, health and reflection.
fn known_rpcs() -> &'static std::collections::HashMap<String, (&'static str, &'static str)> {
    static KNOWN: OnceLock<std::collections::HashMap<String, (&'static str, &'static str)>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut known = std::collections::HashMap::new();
        let mut names: HashSet<&'static str> = HashSet::new();
        let mut intern = |name: String| -> &'static str {
            if let Some(existing) = names.get(name.as_str()) {
                return existing;
            }
            let leaked: &'static str = Box::leak(name.into_boxed_str());
            names.insert(leaked);
            leaked
        };
        for set in [
            fengqiao_proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
        ] {
            let Ok(set) = prost_types::FileDescriptorSet::decode(set) else {
                warn!("a descriptor set does not decode; its RPCs are counted as unknown");
                continue;
            };
            for file in set.file {
                let package = file.package.unwrap_or_default();
                for service in file.service {
                    let service_name = intern(if package.is_empty() {
                        service.name().to_owned()
                    } else {
                        format!("{package}.{}", service.name())
                    });
                    for method in &service.method {
                        let method_name = intern(method.name().to_owned());
                        known.insert(format!("/{service_name}/{method_name}"), (service_name, method_name));
                    }
                }
            }
        }
        known
    })
}

/// The tower layer that counts every gRPC call by RPC and status code. Put
/// it outermost, so that calls refused by the caller and limit layers count
/// too.
#[derive(Debug, Clone)]
pub struct MetricsLayer {
    metrics: Arc<Metrics>,
}

impl MetricsLayer {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        MetricsLayer { metrics }
    }
}

impl<S> tower_layer::Layer<S> for MetricsLayer {
    type Service = Wrapped<MetricsLayer, S>;

    fn layer(&self, inner: S) -> Self::Service {
        Wrapped::new(self.clone(), inner)
    }
}

impl Middleware for MetricsLayer {
    fn around<S: Inner>(&self, mut inner: S, request: http::Request<Body>) -> Answer<S::Error> {
        let call = CallRecord {
            metrics: Arc::clone(&self.metrics),
            rpc: Rpc::of_path(request.uri().path()),
            started: Instant::now(),
            recorded: false,
        };
        Box::pin(async move {
            let mut call = call;
            match inner.call(request).await {
                Ok(response) => {
                    // A trailers-only answer (every error tonic sends, and the
                    // limit layers' refusals) has its status in the headers.
                    if let Some(code) = grpc_status(response.headers()) {
                        call.record(code);
                        return Ok(response);
                    }
                    let (parts, body) = response.into_parts();
                    Ok(http::Response::from_parts(parts, Body::new(MeasuredBody { inner: body, call })))
                }
                Err(error) => {
                    call.record(Code::Unknown);
                    Err(error)
                }
            }
        })
    }
}

fn grpc_status(headers: &http::HeaderMap) -> Option<Code> {
    headers.get("grpc-status").map(|value| Code::from_bytes(value.as_bytes()))
}

/// A call being measured; recorded once, at its status or when dropped.
struct CallRecord {
    metrics: Arc<Metrics>,
    rpc: Rpc,
    started: Instant,
    recorded: bool,
}

impl CallRecord {
    fn record(&mut self, code: Code) {
        if !self.recorded {
            self.recorded = true;
            self.metrics.grpc_handled(&self.rpc, code, self.started.elapsed());
        }
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        // The response body went away before its trailers: the client
        // cancelled (or the connection broke) mid-call.
        self.record(Code::Cancelled);
    }
}

/// A response body that records the call's status from its trailers.
struct MeasuredBody {
    inner: Body,
    call: CallRecord,
}

impl HttpBody for MeasuredBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(grpc_status) {
                    this.call.record(code);
                }
            }
            Poll::Ready(Some(Err(status))) => this.call.record(status.code()),
            Poll::Ready(None) => {
                debug!("a response ended without a grpc-status");
                this.call.record(Code::Unknown);
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `node`'s metrics at `GET /metrics` (anything else: 404; another
/// method on `/metrics`: 405) over plaintext HTTP/1.1 on `listener` until
/// `shutdown` completes, then lets open scrapes finish (at most 5 s).
///
/// The text carries counts, durations, gRPC codes, RPC names and the node's
/// unit id, no personal data; still, expose the port only to the
/// monitoring network, as it is neither encrypted nor authenticated.
pub async fn serve_metrics(
    node: Node,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    while let Some(stream) = crate::connections::next_connection(&listener, &mut shutdown, "metrics").await {
        let node = node.clone();
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(SCRAPE_HEADER_TIMEOUT)
            .serve_connection(
                TokioIo::new(stream),
                hyper::service::service_fn(move |request| answer(node.clone(), request)),
            );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                debug!(%error, "metrics connection ended with an error");
            }
        });
    }
    if tokio::time::timeout(SCRAPE_DRAIN, graceful.shutdown()).await.is_err() {
        debug!("metrics: open scrapes did not finish in time");
    }
    Ok(())
}

/// How long a scraper may take to send its request's headers.
const SCRAPE_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for open scrapes.
const SCRAPE_DRAIN: Duration = Duration::from_secs(5);

async fn answer(
    node: Node,
    request: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<http_body_util::Full<Bytes>>, std::convert::Infallible> {
    let plain = |status: http::StatusCode, text: &'static str| {
        let mut response =
            http::Response::new(http_body_util::Full::new(Bytes::from_static(text.as_bytes())));
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain; charset=utf-8"));
        response
    };
    let path = request.uri().path();
    if !matches!(path, "/metrics" | "/healthz" | "/readyz") {
        return Ok(plain(
            http::StatusCode::NOT_FOUND,
            "not found: metrics are at /metrics, probes at /healthz and /readyz\n",
        ));
    }
    if !matches!(*request.method(), http::Method::GET | http::Method::HEAD) {
        let mut response = plain(http::StatusCode::METHOD_NOT_ALLOWED, "method not allowed: use GET\n");
        response.headers_mut().insert(http::header::ALLOW, http::HeaderValue::from_static("GET, HEAD"));
        return Ok(response);
    }
    // Liveness: the process answers. Readiness: what gRPC health says
    // (SERVING: serving, the database commits, not draining), with the
    // reason when not.
    if path == "/healthz" {
        return Ok(plain(http::StatusCode::OK, "ok\n"));
    }
    if path == "/readyz" {
        return Ok(match node.readiness().check() {
            Ok(()) => plain(http::StatusCode::OK, "ready: SERVING\n"),
            Err(reason) => {
                let body = format!("not ready: {reason}\n");
                let mut response = http::Response::new(http_body_util::Full::new(Bytes::from(body)));
                *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("text/plain; charset=utf-8"),
                );
                response
            }
        });
    }
    let metrics = node.metrics();
    metrics.refresh(&node).await;
    let mut response = http::Response::new(http_body_util::Full::new(Bytes::from(metrics.encode())));
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(CONTENT_TYPE));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_are_labelled_and_others_are_unknown() {
        let Rpc::Known { service, method } = Rpc::of_path("/fengqiao.v1.ReportingService/SubmitDailyReport")
        else {
            panic!("SubmitDailyReport is not known");
        };
        assert_eq!((service, method), ("fengqiao.v1.ReportingService", "SubmitDailyReport"));
        assert!(matches!(Rpc::of_path("/grpc.health.v1.Health/Check"), Rpc::Known { .. }));
        assert!(matches!(
            Rpc::of_path("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
            Rpc::Known { .. }
        ));
        assert!(matches!(Rpc::of_path("/fengqiao.v1.ReportingService/Nope"), Rpc::Unknown));
        assert!(matches!(Rpc::of_path("/anything/else"), Rpc::Unknown));
    }

    #[test]
    fn a_call_is_recorded_once() {
        let metrics = Arc::new(Metrics::new("410411"));
        let mut call = CallRecord {
            metrics: Arc::clone(&metrics),
            rpc: Rpc::of_path("/grpc.health.v1.Health/Check"),
            started: Instant::now(),
            recorded: false,
        };
        call.record(Code::Ok);
        drop(call);
        let text = metrics.encode();
        assert!(text.contains(
            r#"fengqiao_grpc_server_handled_total{grpc_service="grpc.health.v1.Health",grpc_method="Check",grpc_code="OK"} 1"#
        ), "{text}");
        assert!(!text.contains("CANCELLED"), "{text}");
        assert!(text.contains(r#"fengqiao_node_info{unit="410411"} 1"#), "{text}");
    }
}
