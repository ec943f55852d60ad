//! Server assembly: the v1 services, `grpc.health.v1` and server reflection
//! on one listener, with a shutdown future.

use std::future::Future;

use fengqiao_proto::FILE_DESCRIPTOR_SET;
use fengqiao_proto::pb::reporting_service_server::ReportingServiceServer;
use fengqiao_proto::pb::unit_service_server::UnitServiceServer;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;

use crate::Node;
use crate::reporting::Reporting;
use crate::units::Units;

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("gRPC transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// Serves `node` on an already-bound `listener` until `shutdown` completes,
/// then stops accepting and lets in-flight calls finish.
pub async fn serve(
    node: Node,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let limit = node.config().max_message_bytes;
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter.set_serving::<ReportingServiceServer<Reporting>>().await;
    health_reporter.set_serving::<UnitServiceServer<Units>>().await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    Server::builder()
        .add_service(health_service)
        .add_service(reflection)
        .add_service(reflection_alpha)
        .add_service(
            ReportingServiceServer::new(Reporting::new(node.clone())).max_decoding_message_size(limit),
        )
        .add_service(UnitServiceServer::new(Units::new(node.clone())).max_decoding_message_size(limit))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await?;
    Ok(())
}
