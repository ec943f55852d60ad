//! The downlink across real processes: notices issued at the district reach
//! the community node that serves their target through the township, while
//! the township and then the community are killed with SIGKILL and
//! restarted; every notice arrives exactly once. Both backends.

use std::time::Duration;

use fengqiao_proto::pb::{ListNoticesRequest, PostNoticeRequest};
use fengqiao_store::Backend;
use fengqiao_tests::{TestNetwork, network_tree_csv};

const DISTRICT: &str = "410411";
const TOWNSHIP: &str = "410411001";
const COMMUNITY: &str = "410411001001";
const GROUP: &str = "410411001001001";
const WAIT: Duration = Duration::from_secs(60);

async fn post(net: &TestNetwork, text: &str) {
    net.client(DISTRICT)
        .node_service()
        .post_notice(PostNoticeRequest { target_unit_id: GROUP.into(), text: text.into() })
        .await
        .expect("the district issues the notice");
}

/// The notice texts the community node holds for the group, once there are `count`.
async fn texts_at_community(net: &TestNetwork, count: usize) -> Vec<String> {
    net.wait_for(COMMUNITY, &format!("{count} notices for {GROUP}"), WAIT, |node| async move {
        let answer = node
            .node_service()
            .list_notices(ListNoticesRequest { unit_id: GROUP.into(), ..Default::default() })
            .await;
        answer.is_ok_and(|a| a.into_inner().notices.len() >= count)
    })
    .await;
    let answer = net
        .client(COMMUNITY)
        .node_service()
        .list_notices(ListNoticesRequest { unit_id: GROUP.into(), ..Default::default() })
        .await
        .expect("notices listed");
    answer.into_inner().notices.into_iter().filter_map(|n| n.notice.map(|n| n.text)).collect()
}

async fn notices_survive_kill_9_on_the_way_down(backend: Backend) {
    let mut net = TestNetwork::builder(network_tree_csv())
        .node(DISTRICT)
        .node(TOWNSHIP)
        .node(COMMUNITY)
        .start(backend)
        .await;
    post(&net, "n1").await;
    assert_eq!(texts_at_community(&net, 1).await, ["n1"]);

    net.kill(TOWNSHIP).await;
    post(&net, "n2").await;
    post(&net, "n3").await;
    net.restart(TOWNSHIP).await;
    let mut texts = texts_at_community(&net, 3).await;
    texts.sort();
    assert_eq!(texts, ["n1", "n2", "n3"], "no gaps, no repeats after the middle node's kill -9");

    net.kill(COMMUNITY).await;
    post(&net, "n4").await;
    net.restart(COMMUNITY).await;
    let mut texts = texts_at_community(&net, 4).await;
    texts.sort();
    assert_eq!(texts, ["n1", "n2", "n3", "n4"], "no gaps, no repeats after the receiver's kill -9");

    net.kill(DISTRICT).await;
    net.restart(DISTRICT).await;
    post(&net, "n5").await;
    let mut texts = texts_at_community(&net, 5).await;
    texts.sort();
    assert_eq!(texts, ["n1", "n2", "n3", "n4", "n5"], "the stream resumes after the root's kill -9");
    net.shutdown().await;
}

#[tokio::test]
async fn sqlite_notices_survive_kill_9_on_the_way_down() {
    notices_survive_kill_9_on_the_way_down(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_notices_survive_kill_9_on_the_way_down() {
    notices_survive_kill_9_on_the_way_down(Backend::Postgres).await;
}
