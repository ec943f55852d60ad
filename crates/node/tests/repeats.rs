//! Repeat petitions across the whole district, in one process over three
//! real tiers: a district node, a township node, and two sibling
//! communities under it with nodes of their own. The same petitioner goes
//! to both communities; neither community's ledger holds the other's case,
//! so only the township (and the district) can see the repeat. They find it
//! as the registrations arrive over the uplink, flag it down to the
//! community holding the later case, which records it on the case; the
//! case then counts as one repeat petition at every tier — once, whoever
//! found it first, and also when the registering community found a repeat
//! of its own. Registrations that arrive out of order (the earlier one held
//! back by a broken link) are found too. Both backends.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{Running, fast};
use fengqiao_core::TimePolicy;
use fengqiao_node::{ChildNodes, NodeConfig};
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::{self, CaseChannel, DisputeCategory};
use fengqiao_store::Backend;
use tonic::transport::Channel;

const TREE: &str = "code,parent_code,tier,name\n\
    410411,,district,湛河区\n\
    410411001,410411,township,马庄街道\n\
    410411001001,410411001,community,电力社区\n\
    410411001001001,410411001001,group,1号楼\n\
    410411001002,410411001,community,建设社区\n\
    410411001002001,410411001002,group,2号楼\n\
    410411002,410411,township,南环路街道\n";

const DISTRICT: &str = "410411";
const TOWNSHIP: &str = "410411001";
const COMMUNITY_A: &str = "410411001001";
const GROUP_A: &str = "410411001001001";
const COMMUNITY_B: &str = "410411001002";

/// Resident identity numbers with valid check digits.
const ID_ZHANG: &str = "11010519491231002X";
const ID_LI: &str = "410411197512120049";

fn channel(node: &Running) -> Channel {
    Channel::from_shared(node.url()).unwrap().connect_lazy()
}

fn cases(node: &Running) -> CaseServiceClient<Channel> {
    CaseServiceClient::new(channel(node))
}

fn today() -> String {
    TimePolicy::default().local_date(Utc::now()).to_string()
}

/// Registers a case at `unit` (served by `node`) for the petitioner with
/// `id_number`, about `category`.
async fn register(node: &Running, unit: &str, id_number: &str, category: DisputeCategory) -> pb::Case {
    let request = pb::RegisterCaseRequest {
        intake: Some(pb::CaseIntake {
            origin_unit_id: unit.into(),
            category: category.into(),
            channel: CaseChannel::Letter.into(),
            summary: "the same matter again".into(),
            ..Default::default()
        }),
        petitioner: Some(pb::Petitioner {
            name: "测试某".into(),
            phone: String::new(),
            id_number: id_number.into(),
        }),
        actor: "officer-1".into(),
        ..Default::default()
    };
    cases(node).register_case(request).await.expect("registered").into_inner().r#case.unwrap()
}

/// Polls `node` until its copy of case `id` satisfies `done`.
async fn case_at(
    node: &Running,
    id: &str,
    what: &str,
    done: impl Fn(&pb::GetCaseResponse) -> bool,
) -> pb::GetCaseResponse {
    let mut last = None;
    for _ in 0..400 {
        let request = pb::GetCaseRequest { case_id: id.into(), with_petitioner: false, ..Default::default() };
        if let Ok(answer) = cases(node).get_case(request).await {
            let answer = answer.into_inner();
            if done(&answer) {
                return answer;
            }
            last = Some(answer);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("node {}: case {id} never {what}; last seen {last:?}", node.unit);
}

/// The earlier cases a case is linked to as a repeat petition (none: empty).
fn repeat_of(answer: &pb::GetCaseResponse) -> Vec<String> {
    let mut of = answer
        .r#case
        .as_ref()
        .and_then(|c| c.repeat.as_ref())
        .map_or_else(Vec::new, |r| r.of_case_ids.clone());
    of.sort();
    of
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
    ids.sort();
    ids
}

/// Each event's kind by name and its one-word actor.
fn log(answer: &pb::GetCaseResponse) -> Vec<(&'static str, String)> {
    answer
        .events
        .iter()
        .map(|event| {
            let kind =
                fengqiao_proto::convert_at::<_, fengqiao_core::case::CaseEvent>(event.clone(), "event")
                    .unwrap()
                    .kind
                    .name();
            (kind, event.actor.clone())
        })
        .collect()
}

/// (registered, repeat petitions) of `unit`'s subtree today, at `node`.
async fn repeat_figures(node: &Running, unit: &str) -> (i64, i64) {
    let summary = SummaryServiceClient::new(channel(node))
        .period_summary(pb::PeriodSummaryRequest {
            unit_id: unit.into(),
            from_date: today(),
            to_date: today(),
        })
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap();
    let figures = summary.cases.unwrap();
    (figures.registered, figures.repeat_petitions)
}

/// The cases behind `unit`'s repeat figure today, at `node`.
async fn repeat_drill(node: &Running, unit: &str) -> Vec<String> {
    let answer = SummaryServiceClient::new(channel(node))
        .drill_down(pb::DrillDownRequest {
            unit_id: unit.into(),
            from_date: today(),
            to_date: today(),
            figure: "cases.repeat_petitions".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut ids: Vec<String> = answer.case_ids;
    ids.sort();
    ids
}

struct Network {
    district: Running,
    township: Running,
    community_a: Running,
    community_b: Running,
}

/// District → township → communities A and B, each with its own node.
async fn network(backend: Backend) -> Network {
    let config =
        NodeConfig { child_nodes: ChildNodes::Units(vec![TOWNSHIP.into()]), ..NodeConfig::new(DISTRICT) };
    let district = Running::start(TREE, DISTRICT, backend, config, None).await;
    let config = NodeConfig {
        parent: Some(district.url()),
        child_nodes: ChildNodes::Units(vec![COMMUNITY_A.into(), COMMUNITY_B.into()]),
        forwarder: fast(),
        ..NodeConfig::new(TOWNSHIP)
    };
    let township = Running::start(TREE, TOWNSHIP, backend, config, None).await;
    let community = |unit: &'static str| NodeConfig {
        parent: Some(township.url()),
        forwarder: fast(),
        ..NodeConfig::new(unit)
    };
    let community_a = Running::start(TREE, COMMUNITY_A, backend, community(COMMUNITY_A), None).await;
    let community_b = Running::start(TREE, COMMUNITY_B, backend, community(COMMUNITY_B), None).await;
    Network { district, township, community_a, community_b }
}

/// A URL nothing listens on.
async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}")
}

async fn repeats_are_found_across_sibling_communities(backend: Backend) {
    let Network { district, township, mut community_a, community_b } = network(backend).await;
    let land = DisputeCategory::Land;

    // The petitioner at community A, then at community B: B cannot see A's case.
    let first = register(&community_a, GROUP_A, ID_ZHANG, land).await.case_id;
    case_at(&township, &first, "reached the township", |_| true).await;
    let second = register(&community_b, COMMUNITY_B, ID_ZHANG, land).await;
    assert!(second.repeat.is_none(), "community B's own ledger holds no earlier case");
    let second = second.case_id;

    // The township (or the district) finds it; community B, which holds the
    // case, records it; the record travels back up to every tier.
    let at_b = case_at(&community_b, &second, "learnt the repeat", |a| !repeat_of(a).is_empty()).await;
    assert_eq!(repeat_of(&at_b), std::slice::from_ref(&first));
    assert_eq!(
        log(&at_b),
        [("registered", "officer-1".to_owned()), ("repeat_found", "system".to_owned())],
        "recorded once, by a node"
    );
    for node in [&township, &district] {
        case_at(node, &second, "got the repeat record", |a| repeat_of(a) == [first.clone()]).await;
    }

    // A third case at B: B itself links it to the second; the township adds
    // the first. Still one repeat petition.
    let third = register(&community_b, COMMUNITY_B, ID_ZHANG, land).await;
    assert_eq!(third.repeat.as_ref().map(|r| r.of_case_ids.clone()), Some(vec![second.clone()]));
    let third = third.case_id;
    let both = sorted(&[&first, &second]);
    let at_b = case_at(&community_b, &third, "learnt the earlier repeat", |a| repeat_of(a) == both).await;
    assert_eq!(log(&at_b).iter().filter(|(kind, _)| *kind == "repeat_found").count(), 1, "{at_b:?}");
    for node in [&township, &district] {
        case_at(node, &third, "got the repeat record", |a| repeat_of(a) == both).await;
    }
    // Another category is another matter: no repeat.
    let other = register(&community_b, COMMUNITY_B, ID_ZHANG, DisputeCategory::Labour).await.case_id;
    case_at(&district, &other, "reached the district", |_| true).await;

    // Out of order: the earlier case is held back at community A (its link
    // to the township is broken) while the later one at B arrives first.
    community_a.halt().await;
    let township_url = community_a.config.parent.replace(dead_url().await);
    community_a.serve(Some(community_a.address)).await;
    let early = register(&community_a, GROUP_A, ID_LI, DisputeCategory::Neighbour).await.case_id;
    let late = register(&community_b, COMMUNITY_B, ID_LI, DisputeCategory::Neighbour).await.case_id;
    let at_township = case_at(&township, &late, "reached the township", |_| true).await;
    assert!(repeat_of(&at_township).is_empty(), "the earlier case has not arrived yet");
    community_a.halt().await;
    community_a.config.parent = township_url;
    community_a.serve(Some(community_a.address)).await;
    case_at(&community_b, &late, "learnt the late-found repeat", |a| repeat_of(a) == [early.clone()]).await;
    case_at(&district, &late, "got the late-found repeat", |a| repeat_of(a) == [early.clone()]).await;

    // Each repeat counts once at every tier, and the figure drills down to it.
    let repeats = sorted(&[&second, &third, &late]);
    assert_eq!(repeat_figures(&community_b, COMMUNITY_B).await, (4, 3));
    assert_eq!(repeat_drill(&community_b, COMMUNITY_B).await, repeats);
    for node in [&township, &district] {
        for unit in [TOWNSHIP, DISTRICT].into_iter().filter(|u| node.unit == *u || *u == TOWNSHIP) {
            assert_eq!(repeat_figures(node, unit).await, (6, 3), "at {} for {unit}", node.unit);
            assert_eq!(repeat_drill(node, unit).await, repeats, "at {} for {unit}", node.unit);
        }
    }
    // Community A's cases are the earlier ones: no repeats there.
    assert_eq!(repeat_figures(&community_a, COMMUNITY_A).await, (2, 0));

    for mut node in [community_a, community_b, township, district] {
        node.halt().await;
        node.db.cleanup().await;
    }
}

fengqiao_store::both_backends!(repeats_are_found_across_sibling_communities);
