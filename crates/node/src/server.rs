//! Server assembly: the v1 services, `grpc.health.v1` and server reflection
//! on one listener, with a shutdown future.

use std::future::Future;

use fengqiao_proto::FILE_DESCRIPTOR_SET;
use fengqiao_proto::pb::reporting_service_server::ReportingServiceServer;
use fengqiao_proto::pb::unit_service_server::UnitServiceServer;
use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;

use fengqiao_proto::pb::case_service_server::CaseServiceServer;
use fengqiao_proto::pb::downlink_service_server::DownlinkServiceServer;
use fengqiao_proto::pb::node_service_server::NodeServiceServer;
use fengqiao_proto::pb::summary_service_server::SummaryServiceServer;
use fengqiao_proto::pb::uplink_service_server::UplinkServiceServer;

use crate::caller::Caller;
use crate::cases::{self, Cases};
use crate::downlink::{self, Downlink};
use crate::node_status::NodeStatus;
use crate::reporting::Reporting;
use crate::summary::Summaries;
use crate::units::Units;
use crate::uplink::Uplink;
use crate::{Node, forwarder};

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("gRPC transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// Serves `node` on an already-bound `listener` until `shutdown` completes,
/// then stops accepting and lets in-flight calls finish. A node with a parent
/// forwards its outbox upward while it is served.
pub async fn serve(
    node: Node,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let limit = node.config().max_message_bytes;
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter.set_serving::<ReportingServiceServer<Reporting>>().await;
    health_reporter.set_serving::<UnitServiceServer<Units>>().await;
    health_reporter.set_serving::<UplinkServiceServer<Uplink>>().await;
    health_reporter.set_serving::<NodeServiceServer<NodeStatus>>().await;
    health_reporter.set_serving::<DownlinkServiceServer<Downlink>>().await;
    health_reporter.set_serving::<SummaryServiceServer<Summaries>>().await;
    health_reporter.set_serving::<CaseServiceServer<Cases>>().await;
    // The forwarder and the downlink follower run while the node is served
    // and are aborted when serving ends: an interrupted push is resent later
    // and answered as duplicates, an interrupted event is replayed from the
    // cursor, so stopping at any point loses nothing.
    let background = node.config().parent.clone().map(|parent| {
        (
            AbortOnDrop(tokio::spawn(forwarder::run(node.clone(), parent.clone()))),
            AbortOnDrop(tokio::spawn(downlink::follow(node.clone(), parent))),
        )
    });
    let _escalation = AbortOnDrop(tokio::spawn(cases::run_auto_escalation(node.clone())));
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    Server::builder()
        .layer(tonic::service::InterceptorLayer::new(local_operator))
        .add_service(health_service)
        .add_service(reflection)
        .add_service(reflection_alpha)
        .add_service(
            ReportingServiceServer::new(Reporting::new(node.clone())).max_decoding_message_size(limit),
        )
        .add_service(UnitServiceServer::new(Units::new(node.clone())).max_decoding_message_size(limit))
        .add_service(UplinkServiceServer::new(Uplink::new(node.clone())).max_decoding_message_size(limit))
        .add_service(NodeServiceServer::new(NodeStatus::new(node.clone())))
        .add_service(DownlinkServiceServer::new(Downlink::new(node.clone())))
        .add_service(SummaryServiceServer::new(Summaries::new(node.clone())))
        .add_service(CaseServiceServer::new(Cases::new(node.clone())).max_decoding_message_size(limit))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener).map(no_delay), {
            let node = node.clone();
            async move {
                shutdown.await;
                node.begin_shutdown();
            }
        })
        .await?;
    drop(background);
    Ok(())
}

/// Marks every request as the local operator's ([`Caller::Insecure`]): this
/// server speaks plaintext only, so no caller is verified. (The mTLS
/// transport replaces this with the identity of the client certificate.)
fn local_operator(mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
    request.extensions_mut().insert(Caller::Insecure);
    Ok(request)
}

/// Turns Nagle's algorithm off on an accepted connection: a response that
/// spans more than one segment would otherwise wait for the client's delayed
/// ACK (40 ms on Linux) — every summary call paid that before.
fn no_delay(stream: std::io::Result<tokio::net::TcpStream>) -> std::io::Result<tokio::net::TcpStream> {
    let stream = stream?;
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
    Ok(stream)
}

/// Aborts a background task when dropped (also when `serve` fails).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
