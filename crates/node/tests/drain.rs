//! Graceful shutdown: health turns NOT_SERVING at once, calls are still
//! served for the drain grace, then the node stops accepting.

mod common;

use std::time::{Duration, Instant};

use common::Running;
use fengqiao_node::NodeConfig;
use fengqiao_proto::pb;
use fengqiao_proto::pb::unit_service_client::UnitServiceClient;
use fengqiao_store::Backend;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const TREE: &str = fengqiao_store::testing::trees::DISTRICT_AND_TOWNSHIP;

async fn health(channel: &Channel, service: &str) -> Result<i32, tonic::Status> {
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest { service: service.into() })
        .await
        .map(|answer| answer.into_inner().status)
}

#[tokio::test]
async fn a_draining_node_says_not_serving_but_still_answers_until_the_grace_ends() {
    let grace = Duration::from_secs(2);
    let config = NodeConfig { drain_grace: grace, ..NodeConfig::new("410411") };
    let mut node = Running::start(TREE, "410411", Backend::Sqlite, config, None).await;
    let channel = node.channel();
    let reporting = "fengqiao.v1.ReportingService";
    assert_eq!(health(&channel, "").await.unwrap(), ServingStatus::Serving as i32);
    assert_eq!(health(&channel, reporting).await.unwrap(), ServingStatus::Serving as i32);
    // The metrics port's /readyz answers from the same state.
    let readiness = |node: &Running| node.node.as_ref().unwrap().readiness().check();
    assert_eq!(readiness(&node), Ok(()));

    let signalled = Instant::now();
    node.signal_stop();
    // Health turns at once (well within the grace).
    let mut status = health(&channel, "").await.unwrap();
    while status != ServingStatus::NotServing as i32 && signalled.elapsed() < grace / 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        status = health(&channel, "").await.unwrap();
    }
    assert_eq!(status, ServingStatus::NotServing as i32, "overall health while draining");
    assert_eq!(health(&channel, reporting).await.unwrap(), ServingStatus::NotServing as i32);
    assert_eq!(readiness(&node), Err("draining: the node is shutting down"));
    // Calls are still served during the grace.
    let unit = UnitServiceClient::new(channel.clone())
        .get_unit(pb::GetUnitRequest { unit_id: "410411001".into() })
        .await
        .expect("served while draining");
    assert_eq!(unit.into_inner().unit.map(|u| u.id), Some("410411001".to_owned()));
    assert!(signalled.elapsed() < grace, "the checks above ran inside the grace");

    // Then the node stops, not before the grace is over.
    node.halt().await;
    assert!(signalled.elapsed() >= grace, "stopped after {:?}", signalled.elapsed());
    assert_eq!(readiness(&node), Err("not serving gRPC (starting, or stopped)"));
    let fresh = Channel::from_shared(node.url()).unwrap().connect().await;
    assert!(fresh.is_err(), "a stopped node accepts no connection");
    node.db.cleanup().await;
}
