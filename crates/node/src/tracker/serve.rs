//! The public listener: plain HTTP/2 and HTTP/1 (no client certificates;
//! the operator's TLS proxy sits in front), serving only the gRPC
//! `PublicTrackerService` and the `/track` page.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use fengqiao_proto::pb::public_tracker_service_server::PublicTrackerServiceServer;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tonic::transport::server::TcpConnectInfo;
use tower_http::set_header::SetResponseHeaderLayer;
use tracing::debug;

use super::{PublicTracker, page};

/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for open requests.
const DRAIN: Duration = Duration::from_secs(5);

/// The public listener's routes: the gRPC service and the `/track` page,
/// nothing else (everything else is 404).
pub fn public_router(tracker: PublicTracker) -> Router {
    let limits = &tracker.node().config().limits;
    let grpc = PublicTrackerServiceServer::new(tracker.clone())
        .max_decoding_message_size(16 * 1024)
        .max_encoding_message_size(limits.max_message_bytes);
    let header =
        |name, value: &'static str| SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value));
    let pages = page::router(tracker)
        .layer(header(header::CONTENT_SECURITY_POLICY, crate::web::CONTENT_SECURITY_POLICY))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(header::CACHE_CONTROL, "no-store"));
    // The gRPC service by its path, as tonic's `Routes` mounts it (whose
    // router has a fallback of its own): anything else is the pages' 404.
    pages.route_service(
        &format!(
            "/{}/{{*rest}}",
            <PublicTrackerServiceServer<PublicTracker> as tonic::server::NamedService>::NAME
        ),
        tower::ServiceExt::map_request(grpc, |request: http::Request<axum::body::Body>| {
            request.map(tonic::body::Body::new)
        }),
    )
}

/// Serves the public tracker of `tracker`'s node on an already-bound
/// `listener` until `shutdown` completes, under the node's connection
/// limits (a source holds at most its share of the slots).
pub async fn serve_public(
    tracker: PublicTracker,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let admission = crate::connections::Admission::new(&tracker.node().config().limits, None);
    let app = public_router(tracker);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    while let Some(stream) = crate::connections::next_connection(&listener, &mut shutdown, "public").await {
        let peer = stream.peer_addr().ok();
        let source = peer.map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |a| a.ip());
        let ticket = match admission.admit(source) {
            Ok(ticket) => Arc::new(ticket),
            Err(refusal) => {
                debug!(%source, refusal = refusal.label(), "public: connection closed at accept");
                continue;
            }
        };
        let local = stream.local_addr().ok();
        let app = app.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let slot = Arc::clone(&ticket);
            let service =
                hyper::service::service_fn(move |mut request: http::Request<hyper::body::Incoming>| {
                    slot.prove();
                    slot.productive();
                    // The source address, as tonic's own server records it: the
                    // per-source limit reads it.
                    request.extensions_mut().insert(TcpConnectInfo { local_addr: local, remote_addr: peer });
                    tower::ServiceExt::oneshot(app.clone(), request)
                });
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
            builder.http2().timer(TokioTimer::new()).max_concurrent_streams(32);
            let connection =
                watcher.watch(builder.serve_connection(TokioIo::new(stream), service).into_owned());
            let result = tokio::select! {
                result = connection => result,
                () = ticket.evicted() => return debug!("public: a waiting connection yielded its slot"),
            };
            if let Err(error) = result {
                debug!(%error, "public connection ended with an error");
            }
        });
    }
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        debug!("public: open requests did not finish in time");
    }
    Ok(())
}
