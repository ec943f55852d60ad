//! Server assembly: the v1 services, `grpc.health.v1` and server reflection
//! on one listener, with a shutdown future. The routes and the per-call
//! layers are tonic's; connections (accept, TLS, HTTP/2, their limits) are
//! the node's own, in [`crate::connections`].

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use fengqiao_proto::pb::reporting_service_server::ReportingServiceServer;
use fengqiao_proto::pb::unit_service_server::UnitServiceServer;
use fengqiao_proto::{FILE_DESCRIPTOR_SET, MAX_ANSWER_BYTES};
use tokio::net::TcpListener;
use tonic::server::NamedService;
use tonic::service::Routes;
use tonic_health::ServingStatus;

use crate::contacts::Contacts;
use crate::departments::service::DepartmentsService;
use crate::weekly::WeeklyReports;
use fengqiao_proto::pb::case_service_server::CaseServiceServer;
use fengqiao_proto::pb::contact_service_server::ContactServiceServer;
use fengqiao_proto::pb::department_service_server::DepartmentServiceServer;
use fengqiao_proto::pb::downlink_service_server::DownlinkServiceServer;
use fengqiao_proto::pb::node_service_server::NodeServiceServer;
use fengqiao_proto::pb::reconcile_service_server::ReconcileServiceServer;
use fengqiao_proto::pb::summary_service_server::SummaryServiceServer;
use fengqiao_proto::pb::uplink_service_server::UplinkServiceServer;
use fengqiao_proto::pb::weekly_service_server::WeeklyServiceServer;

use crate::cases::{self, Cases};
use crate::connections;
use crate::downlink::{self, Downlink};
use crate::limits::LimitLayer;
use crate::metrics::MetricsLayer;
use crate::node_status::NodeStatus;
use crate::propagation::RpcTraceLayer;
use crate::reconcile::{self, Reconciliation};
use crate::reporting::Reporting;
use crate::summary::Summaries;
use crate::tls::{CallerLayer, TlsError, Transport};
use crate::units::Units;
use crate::uplink::Uplink;
use crate::{Node, forwarder};

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error(
        "refusing to serve plaintext on {0}: --insecure is allowed only on a loopback address (127.0.0.1 or ::1); give the node --ca, --cert and --key"
    )]
    InsecureNotLoopback(std::net::SocketAddr),
    #[error("cannot read the listener's address: {0}")]
    Listener(std::io::Error),
}

/// The v1 services this listener serves (what reflection advertises,
/// beside health and reflection itself).
const SERVED: [&str; 11] = [
    fengqiao_proto::pb::reporting_service_server::SERVICE_NAME,
    fengqiao_proto::pb::unit_service_server::SERVICE_NAME,
    fengqiao_proto::pb::uplink_service_server::SERVICE_NAME,
    fengqiao_proto::pb::node_service_server::SERVICE_NAME,
    fengqiao_proto::pb::downlink_service_server::SERVICE_NAME,
    fengqiao_proto::pb::summary_service_server::SERVICE_NAME,
    fengqiao_proto::pb::case_service_server::SERVICE_NAME,
    fengqiao_proto::pb::reconcile_service_server::SERVICE_NAME,
    fengqiao_proto::pb::weekly_service_server::SERVICE_NAME,
    fengqiao_proto::pb::department_service_server::SERVICE_NAME,
    fengqiao_proto::pb::contact_service_server::SERVICE_NAME,
];

/// Serves `node` on an already-bound `listener` until `shutdown` completes,
/// then stops accepting and lets in-flight calls finish. A node with a parent
/// forwards its outbox upward while it is served.
///
/// Under [`Transport::Tls`] every caller must present a certificate of the
/// deployment CA and each request carries the [`crate::caller::Caller`] it
/// names; a plaintext node is refused unless `listener` is on loopback.
pub async fn serve(
    node: Node,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let limits = node.config().limits.clone();
    let limit = limits.max_message_bytes;
    let transport = node.config().transport.clone();
    let acceptor = match &transport {
        Transport::Tls(material) => Some(material.acceptor()?),
        Transport::Insecure => {
            let address = listener.local_addr().map_err(ServeError::Listener)?;
            if !address.ip().is_loopback() {
                return Err(ServeError::InsecureNotLoopback(address));
            }
            tracing::warn!(
                %address,
                "SERVING PLAINTEXT (--insecure): no TLS, callers are not identified; for local tests only"
            );
            None
        }
    };
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    let health = Arc::new(Health::new(health_reporter, node.clone()));
    health.refresh().await;
    let _database_watch = AbortOnDrop(tokio::spawn(watch_database(node.clone(), Arc::clone(&health))));
    // The forwarder, the downlink follower and reconciliation run while the
    // node is served and are aborted when serving ends: an interrupted push
    // is resent later and answered as duplicates, an interrupted event is
    // replayed from the cursor, an interrupted exchange runs again at the
    // next start, so stopping at any point loses nothing.
    // Above the summary boundary only states go up: the parent holds no
    // tree of this node's to send down, no case to hand over and no report
    // to reconcile, so only the forwarder runs.
    let summaries = matches!(node.uplink_mode(), crate::UplinkMode::Summaries { .. });
    let background = node.config().parent.clone().map(|parent| {
        (
            AbortOnDrop(tokio::spawn(forwarder::run(node.clone(), parent.clone()))),
            (!summaries).then(|| AbortOnDrop(tokio::spawn(downlink::follow(node.clone(), parent.clone())))),
            (!summaries).then(|| AbortOnDrop(tokio::spawn(reconcile::run(node.clone(), parent)))),
        )
    });
    let _escalation = AbortOnDrop(tokio::spawn(cases::run_auto_escalation(node.clone())));
    let _retention = AbortOnDrop(tokio::spawn(crate::retention::run(node.clone())));
    // The per-call limits (rate per caller, calls in flight, request
    // timeout); see `limits`. Health checks pass through untouched.
    let limit_layer = LimitLayer::new(&limits);
    let _forget = AbortOnDrop(tokio::spawn({
        let layer = limit_layer.clone();
        async move {
            let mut every = tokio::time::interval(FORGET_IDLE_CALLERS);
            loop {
                every.tick().await;
                layer.forget_idle_callers();
            }
        }
    }));
    // Reflection advertises what this listener serves: not the public
    // tracker, which only the public listener serves (`tracker::serve`).
    let advertised = || {
        SERVED.iter().fold(
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .with_service_name("grpc.health.v1.Health"),
            |builder, name| builder.with_service_name(*name),
        )
    };
    let reflection = advertised().with_service_name("grpc.reflection.v1.ServerReflection").build_v1()?;
    let reflection_alpha =
        advertised().with_service_name("grpc.reflection.v1alpha.ServerReflection").build_v1alpha()?;
    let routes = Routes::new(health_service)
        .add_service(reflection)
        .add_service(reflection_alpha)
        // Requests are capped at `limit`; answers at MAX_ANSWER_BYTES (the
        // services page and split to stay within it; anything that would
        // not is refused OUT_OF_RANGE instead of sent). The downlink is
        // node to node and carries whole trees and case logs: not capped.
        .add_service(
            ReportingServiceServer::new(Reporting::new(node.clone()))
                .max_decoding_message_size(limit)
                .max_encoding_message_size(MAX_ANSWER_BYTES),
        )
        .add_service(
            UnitServiceServer::new(Units::new(node.clone()))
                .max_decoding_message_size(limit)
                .max_encoding_message_size(MAX_ANSWER_BYTES),
        )
        .add_service(
            UplinkServiceServer::new(Uplink::new(node.clone()))
                .max_decoding_message_size(limit)
                .max_encoding_message_size(MAX_ANSWER_BYTES),
        )
        .add_service(
            NodeServiceServer::new(NodeStatus::new(node.clone()))
                .max_decoding_message_size(limit)
                .max_encoding_message_size(MAX_ANSWER_BYTES),
        )
        .add_service(DownlinkServiceServer::new(Downlink::new(node.clone())).max_decoding_message_size(limit))
        .add_service(
            SummaryServiceServer::new(Summaries::new(node.clone()))
                .max_decoding_message_size(limit)
                .max_encoding_message_size(MAX_ANSWER_BYTES),
        )
        .add_service(
            CaseServiceServer::new(Cases::new(node.clone()))
                .max_decoding_message_size(limit)
                .max_encoding_message_size(MAX_ANSWER_BYTES),
        )
        .add_service(
            ReconcileServiceServer::new(Reconciliation::new(node.clone()))
                .max_decoding_message_size(limit)
                .max_encoding_message_size(MAX_ANSWER_BYTES),
        )
        .add_service(
            WeeklyServiceServer::new(WeeklyReports::new(node.clone()))
                .max_decoding_message_size(limit)
                .max_encoding_message_size(MAX_ANSWER_BYTES),
        )
        .add_service(
            DepartmentServiceServer::new(DepartmentsService::new(node.clone()))
                .max_decoding_message_size(limit)
                .max_encoding_message_size(MAX_ANSWER_BYTES),
        )
        .add_service(
            ContactServiceServer::new(Contacts::new(node.clone()))
                .max_decoding_message_size(limit)
                .max_encoding_message_size(MAX_ANSWER_BYTES),
        )
        .prepare();
    // Layers added earlier see a request first. The trace layer opens the
    // call's span first, so every answer — a refused certificate, a rate
    // limit — is in it. The caller layer puts the `Caller` into the
    // extensions before the limit layer, so that `limits::rate_key` keys the
    // rate limit by the verified identity. The metrics layer is outermost,
    // so it counts the calls the caller and limit layers refuse too.
    let service = tower::ServiceBuilder::new()
        .layer(MetricsLayer::new(std::sync::Arc::clone(node.metrics())))
        .layer(RpcTraceLayer)
        .layer(CallerLayer::new(&transport))
        .layer(limit_layer)
        .service(routes);
    let metrics = Some(Arc::clone(node.metrics()));
    connections::serve(listener, service, acceptor, &limits, metrics, {
        let node = node.clone();
        let grace = node.config().drain_grace;
        async move {
            shutdown.await;
            // Draining: health says NOT_SERVING at once, calls are still
            // served for the grace period, then the server stops accepting
            // and finishes the calls in flight.
            health.draining.store(true, Ordering::SeqCst);
            health.refresh().await;
            if !grace.is_zero() {
                tracing::info!(grace_ms = grace.as_millis() as u64, "draining: health NOT_SERVING");
                tokio::time::sleep(grace).await;
            }
            node.begin_shutdown();
        }
    })
    .await;
    node.readiness().stopped();
    drop(background);
    Ok(())
}

/// What the node's health checks answer: SERVING while its database
/// commits and it is not draining, NOT_SERVING otherwise.
struct Health {
    reporter: tonic_health::server::HealthReporter,
    draining: AtomicBool,
    database_up: AtomicBool,
    /// Serialises `refresh`, so two changes can't publish out of order.
    publishing: tokio::sync::Mutex<()>,
    /// The node, whose [`crate::readiness::Readiness`] the HTTP probes read.
    node: Node,
}

impl Health {
    fn new(reporter: tonic_health::server::HealthReporter, node: Node) -> Self {
        Health {
            node,
            reporter,
            draining: AtomicBool::new(false),
            database_up: AtomicBool::new(true),
            publishing: tokio::sync::Mutex::new(()),
        }
    }

    async fn refresh(&self) {
        let _publishing = self.publishing.lock().await;
        let (draining, database_up) =
            (self.draining.load(Ordering::SeqCst), self.database_up.load(Ordering::SeqCst));
        self.node.readiness().publish(draining, database_up);
        let serving = !draining && database_up;
        let status = if serving { ServingStatus::Serving } else { ServingStatus::NotServing };
        set_health(&self.reporter, status).await;
    }
}

/// Health follows the ability to commit. Every `database_check` the node
/// runs a write probe ([`fengqiao_store::Store::probe`], a committed write
/// transaction); and the store counts every write that fails in the
/// database ([`fengqiao_store::Store::write_failures`]: a report batch, a
/// case event, a notice…). A failed write turns health NOT_SERVING at once;
/// a failed or slower probe does at its tick. Health is SERVING again only
/// after a probe commits with no write failed since the tick before, so a
/// disk full for real writes but not for the probe's small one does not
/// flap back to SERVING between them. Calls are still answered meanwhile:
/// health is the signal for load balancers and probes.
async fn watch_database(node: Node, health: Arc<Health>) {
    let every = node.config().database_check;
    let mut failures = node.store().write_failures().subscribe();
    let mut failed_before = *failures.borrow_and_update();
    let mut watching = true;
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                let result = tokio::time::timeout(every, node.store().probe()).await;
                let failed_now = *failures.borrow_and_update();
                let writes_failed = failed_now != failed_before;
                failed_before = failed_now;
                let up = matches!(result, Ok(Ok(()))) && !writes_failed;
                if up != health.database_up.swap(up, Ordering::SeqCst) {
                    match result {
                        Ok(Ok(())) if writes_failed => {}
                        Ok(Ok(())) => tracing::info!("database commits again: health SERVING"),
                        Ok(Err(error)) => tracing::error!(%error, "write probe failed: health NOT_SERVING"),
                        Err(_) => tracing::error!(
                            timeout_ms = every.as_millis() as u64,
                            "write probe timed out: health NOT_SERVING"
                        ),
                    }
                    health.refresh().await;
                }
            }
            changed = failures.changed(), if watching => {
                if changed.is_err() {
                    // The store is gone; the probe still says what holds.
                    watching = false;
                    continue;
                }
                if health.database_up.swap(false, Ordering::SeqCst) {
                    tracing::error!(
                        failed_writes = *failures.borrow(),
                        "a write failed in the database: health NOT_SERVING until a write probe commits"
                    );
                    health.refresh().await;
                }
            }
        }
    }
}

/// Sets the overall status (service `""`) and every v1 service's.
async fn set_health(reporter: &tonic_health::server::HealthReporter, status: ServingStatus) {
    reporter.set_service_status("", status).await;
    reporter.set_service_status(<ReportingServiceServer<Reporting> as NamedService>::NAME, status).await;
    reporter.set_service_status(<UnitServiceServer<Units> as NamedService>::NAME, status).await;
    reporter.set_service_status(<UplinkServiceServer<Uplink> as NamedService>::NAME, status).await;
    reporter.set_service_status(<NodeServiceServer<NodeStatus> as NamedService>::NAME, status).await;
    reporter.set_service_status(<DownlinkServiceServer<Downlink> as NamedService>::NAME, status).await;
    reporter.set_service_status(<SummaryServiceServer<Summaries> as NamedService>::NAME, status).await;
    reporter.set_service_status(<CaseServiceServer<Cases> as NamedService>::NAME, status).await;
    reporter.set_service_status(<ReconcileServiceServer<Reconciliation> as NamedService>::NAME, status).await;
    reporter.set_service_status(<WeeklyServiceServer<WeeklyReports> as NamedService>::NAME, status).await;
    reporter
        .set_service_status(<DepartmentServiceServer<DepartmentsService> as NamedService>::NAME, status)
        .await;
    reporter.set_service_status(<ContactServiceServer<Contacts> as NamedService>::NAME, status).await;
}

/// How often the rate limiter forgets callers whose budget is full again.
const FORGET_IDLE_CALLERS: std::time::Duration = std::time::Duration::from_secs(60);

/// Aborts a background task when dropped (also when `serve` fails).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
