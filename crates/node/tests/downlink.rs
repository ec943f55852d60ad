//! The downlink across three tiers, in one process: notices issued at the
//! district reach the node that serves their target, through a middle node,
//! across restarts of the middle node and of the receiver, with no gaps and
//! no repeats. Runs on both backends.

mod common;

use std::time::Duration;

use common::{Running, fast};
use fengqiao_node::{ChildNodes, NodeConfig};
use fengqiao_proto::pb::{GetNodeStatusRequest, ListNoticesRequest, PostNoticeRequest};
use fengqiao_store::Backend;
use tonic::transport::Channel;

const TREE: &str = fengqiao_store::testing::trees::TWO_GROUPS;

/// Waits until the unit's notices at `node` number `count`, then returns their texts.
async fn notices_at(node: &Running, unit: &str, count: usize) -> Vec<String> {
    let mut client = node.client().await;
    for _ in 0..400 {
        if let Ok(answer) =
            client.list_notices(ListNoticesRequest { unit_id: unit.into(), ..Default::default() }).await
        {
            let texts: Vec<String> =
                answer.into_inner().notices.into_iter().filter_map(|n| n.notice.map(|n| n.text)).collect();
            if texts.len() >= count {
                return texts;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{unit} at node {} never got {count} notices", node.unit);
}

async fn post(node: &Running, target: &str, text: &str) {
    node.client()
        .await
        .post_notice(PostNoticeRequest { target_unit_id: target.into(), text: text.into() })
        .await
        .expect("notice issued");
}

async fn notices_travel_down_across_restarts(backend: Backend) {
    let district_config = NodeConfig { child_nodes: ChildNodes::AllChildren, ..NodeConfig::new("410411") };
    let mut district = Running::start(TREE, "410411", backend, district_config, None).await;
    let township_config = NodeConfig {
        parent: Some(district.url()),
        child_nodes: ChildNodes::Units(vec!["410411001001".into()]),
        forwarder: fast(),
        ..NodeConfig::new("410411001")
    };
    let mut township = Running::start(TREE, "410411001", backend, township_config, None).await;
    let community_config =
        NodeConfig { parent: Some(township.url()), forwarder: fast(), ..NodeConfig::new("410411001001") };
    let mut community = Running::start(TREE, "410411001001", backend, community_config, None).await;

    // District → township → community, stored where the group is served.
    post(&district, "410411001001001", "first: report the wage cases by Friday").await;
    assert_eq!(
        notices_at(&community, "410411001001001", 1).await,
        ["first: report the wage cases by Friday"]
    );
    // A notice for the township's own unit stays at the township.
    post(&district, "410411001", "to the township itself").await;
    assert_eq!(notices_at(&township, "410411001", 1).await, ["to the township itself"]);

    // The middle node restarts; notices issued meanwhile are not lost.
    township.halt().await;
    post(&district, "410411001001001", "second: while the township was down").await;
    township.restart().await;
    let texts = notices_at(&community, "410411001001001", 2).await;
    assert_eq!(texts.len(), 2, "no repeats: {texts:?}");

    // The receiver restarts and resumes from its cursor.
    community.halt().await;
    post(&district, "410411001001002", "third: while the community was down").await;
    community.restart().await;
    assert_eq!(notices_at(&community, "410411001001002", 1).await, ["third: while the community was down"]);
    assert_eq!(notices_at(&community, "410411001001001", 2).await.len(), 2, "nothing replayed twice");

    // The district restarts too; the cursor stays valid and the stream resumes.
    district.restart().await;
    post(&district, "410411001001002", "fourth: after the district restarted").await;
    assert_eq!(notices_at(&community, "410411001001002", 2).await.len(), 2);
    let status =
        community.client().await.get_node_status(GetNodeStatusRequest {}).await.unwrap().into_inner();
    assert!(status.downlink_cursor >= 1);

    // Refusals: a target outside the subtree, the node's own unit, an empty text.
    let mut client = district.client().await;
    let refused =
        |target: &str, text: &str| PostNoticeRequest { target_unit_id: target.into(), text: text.into() };
    let outside = client.post_notice(refused("999", "x")).await.unwrap_err();
    assert_eq!(outside.code(), tonic::Code::NotFound);
    let own = client.post_notice(refused("410411", "x")).await.unwrap_err();
    assert_eq!(own.code(), tonic::Code::InvalidArgument);
    let empty = client.post_notice(refused("410411001", " ")).await.unwrap_err();
    assert_eq!(empty.code(), tonic::Code::InvalidArgument);

    for mut node in [community, township, district] {
        node.halt().await;
        node.db.cleanup().await;
    }
}

/// The name of `unit` as the node at `node` holds it, once it equals `expected`.
async fn name_becomes(node: &Running, unit: &str, expected: Option<&str>) {
    let channel = Channel::from_shared(node.url()).unwrap().connect_lazy();
    let mut client = fengqiao_proto::pb::unit_service_client::UnitServiceClient::new(channel);
    let mut seen = None;
    for _ in 0..400 {
        let answer = client.get_unit(fengqiao_proto::pb::GetUnitRequest { unit_id: unit.into() }).await;
        seen = answer.ok().and_then(|a| a.into_inner().unit).map(|u| u.name);
        if seen.as_deref() == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("node {}: unit {unit} is named {seen:?}, expected {expected:?}", node.unit);
}

/// Only the root reads a tree file; the others take their subtree from their
/// parent, and a changed tree at the root reaches every node.
async fn the_tree_travels_down(backend: Backend) {
    let district_config = NodeConfig { child_nodes: ChildNodes::AllChildren, ..NodeConfig::new("410411") };
    let mut district = Running::start(TREE, "410411", backend, district_config, None).await;
    let township_config = NodeConfig {
        parent: Some(district.url()),
        child_nodes: ChildNodes::Units(vec!["410411001001".into()]),
        forwarder: fast(),
        ..NodeConfig::new("410411001")
    };
    let township = Running::start(TREE, "410411001", backend, township_config, None).await;
    let community_config =
        NodeConfig { parent: Some(township.url()), forwarder: fast(), ..NodeConfig::new("410411001001") };
    let mut community = Running::start(TREE, "410411001001", backend, community_config, None).await;
    name_becomes(&community, "410411001001002", Some("2号楼")).await;

    // At the root: building 2 renamed, a building 3 opened on 2026-12-01.
    district.tree = Some(TREE.replace("2号楼", "2号楼（新）") + "410411001001003,410411001001,group,3号楼\n");
    district.restart().await;
    name_becomes(&community, "410411001001002", Some("2号楼（新）")).await;
    name_becomes(&community, "410411001001003", Some("3号楼")).await;
    name_becomes(&township, "410411001001003", Some("3号楼")).await;

    // The community restarts without its parent: it serves the tree it stored.
    community.halt().await;
    community.config.parent = Some("http://127.0.0.1:9".into());
    community.serve(None).await;
    name_becomes(&community, "410411001001003", Some("3号楼")).await;

    for mut node in [community, township, district] {
        node.halt().await;
        node.db.cleanup().await;
    }
}

async fn only_child_nodes_may_subscribe(backend: Backend) {
    let config =
        NodeConfig { child_nodes: ChildNodes::Units(vec!["410411001".into()]), ..NodeConfig::new("410411") };
    let mut district = Running::start(TREE, "410411", backend, config, None).await;
    let channel = Channel::from_shared(district.url()).unwrap().connect_lazy();
    let mut client = fengqiao_proto::pb::downlink_service_client::DownlinkServiceClient::new(channel);
    let request = |unit: &str, after| fengqiao_proto::pb::SubscribeRequest {
        unit_id: unit.into(),
        after_sequence: after,
        instance_id: String::new(),
    };
    let stranger = client.subscribe(request("410411002", 0)).await.unwrap_err();
    assert_eq!(stranger.code(), tonic::Code::PermissionDenied);
    let ahead = client.subscribe(request("410411001", 99)).await.unwrap_err();
    assert_eq!(ahead.code(), tonic::Code::InvalidArgument, "a cursor beyond the log is refused, not ignored");
    district.halt().await;
    district.db.cleanup().await;
}

fengqiao_store::both_backends!(
    notices_travel_down_across_restarts,
    the_tree_travels_down,
    only_child_nodes_may_subscribe
);
