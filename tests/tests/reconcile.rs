//! Reconciliation between tiers with real processes, on both backends:
//! district 410411 → township 410411001 (which also serves community
//! 410411001002 itself) → community 410411001001, each on its own database,
//! backed up and restored as docs/OPERATIONS.md says.
//!
//! (1) The district is restored from an older backup: the townships'
//!     outboxes are empty, yet once it is back its reports, rollups and case
//!     events equal its child's exactly — the township noticed the
//!     restarted parent and sent again what it lacked; a notice the district
//!     posts after the restore reaches the township, although the restored
//!     log numbers it as the lost one the township had applied.
//! (2) The community is restored from an older backup: it learns nothing
//!     false, the township keeps the newer revisions, and `fengqiao
//!     reconcile` at the township reports the difference.
//! (3) Both the district and the township are restored: the community
//!     refills the township, the township the district, and every tier
//!     ends equal.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{Days, NaiveDate};
use fengqiao_core::case::{CaseEvent, CaseId};
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::{
    ActOnCaseRequest, CaseChannel, CaseIntake, DisputeCategory, ListNoticesRequest, Petitioner,
    PostNoticeRequest, RegisterCaseRequest, SubmitDailyReportRequest,
};
use fengqiao_store::Backend;
use fengqiao_tests::{
    ReportKey, TestNetwork, fengqiao, fengqiao_ok, groups_of, network_tree_csv, shanghai_yesterday,
    zero_report,
};
use tonic::transport::Channel;

const DISTRICT: &str = "410411";
const TOWNSHIP: &str = "410411001";
const COMMUNITY: &str = "410411001001";
/// Served by the township node itself.
const TOWNSHIP_OWN: &str = "410411001002";

/// Long enough for a heartbeat push (10 s) and an exchange.
const CONVERGE: Duration = Duration::from_secs(90);

async fn network(backend: Backend) -> TestNetwork {
    TestNetwork::builder(network_tree_csv())
        .node(DISTRICT)
        .node(TOWNSHIP)
        .node(COMMUNITY)
        .node_args(&["--rate-limit", "0"])
        .start(backend)
        .await
}

fn day1() -> NaiveDate {
    shanghai_yesterday() - Days::new(1)
}

fn day2() -> NaiveDate {
    shanghai_yesterday()
}

/// Zero reports for groups `range` of `community` on `date`, at revision
/// `revision`, submitted at the node that serves them.
async fn submit(
    network: &TestNetwork,
    community: &str,
    range: std::ops::Range<usize>,
    date: NaiveDate,
    revision: u32,
) {
    for group in &groups_of(community)[range] {
        let report = zero_report(group, &date.to_string(), revision);
        network
            .reporting(group)
            .submit_daily_report(SubmitDailyReportRequest { report: Some(report) })
            .await
            .unwrap_or_else(|status| panic!("{group}@{date} r{revision}: {status:?}"));
    }
}

fn cases(network: &TestNetwork, node: &str) -> CaseServiceClient<Channel> {
    CaseServiceClient::new(Channel::from_shared(network.node_url(node)).unwrap().connect_lazy())
}

/// Registers a case at `node` for `origin`; its id.
async fn register(network: &TestNetwork, node: &str, origin: &str) -> String {
    let request = RegisterCaseRequest {
        case_id: String::new(),
        intake: Some(CaseIntake {
            origin_unit_id: origin.into(),
            category: DisputeCategory::Land.into(),
            channel: CaseChannel::Letter.into(),
            summary: "the boundary of a contracted plot".into(),
            ..Default::default()
        }),
        petitioner: Some(Petitioner {
            name: "甲某".into(),
            phone: "13900000000".into(),
            id_number: "410411198001011232".into(),
        }),
        actor: "officer-1".into(),
        note: String::new(),
        ..Default::default()
    };
    let answer = cases(network, node).register_case(request).await.expect("registered").into_inner();
    answer.case.expect("the case").case_id
}

async fn act(network: &TestNetwork, node: &str, case_id: &str, action: Action) {
    let request = ActOnCaseRequest {
        case_id: case_id.into(),
        expected_sequence: 0,
        actor: "leader-1".into(),
        note: String::new(),
        action: Some(action),
        ..Default::default()
    };
    cases(network, node).act_on_case(request).await.unwrap_or_else(|s| panic!("{case_id}: {s:?}"));
}

fn accept() -> Action {
    Action::Accept(act::Accept {})
}

fn assign() -> Action {
    Action::Assign(act::Assign {
        leader: "Li Ming".into(),
        responsible: "Wang Fang".into(),
        plan: "meet both families".into(),
        deadline: String::new(),
    })
}

/// The heads a node holds of `root`'s subtree over both days.
async fn heads(network: &TestNetwork, node: &str, root: &str) -> BTreeMap<ReportKey, u32> {
    network.client(node).heads(root, day1(), day2()).await.expect("heads listed")
}

/// Every event of each case as a node's database holds it.
async fn case_events(network: &TestNetwork, node: &str, ids: &[&str]) -> Vec<Option<Vec<CaseEvent>>> {
    let store = network.db(node).open().await.expect("database opens");
    let mut out = Vec::new();
    for id in ids {
        let stored = store.get_case(&CaseId::parse(id).unwrap()).await.expect("case read");
        out.push(stored.map(|case| case.events));
    }
    store.close().await;
    out
}

/// `fengqiao verify` of a node's database: its rollups equal a
/// recomputation from its reports.
async fn verify(network: &TestNetwork, node: &str) {
    let url = network.db(node).url();
    fengqiao_ok(&["verify", "--db", &url]).await;
}

/// `fengqiao reconcile ARGS --json` at a node: one JSON object per exchange.
async fn reconcile(network: &TestNetwork, node: &str, args: &[&str]) -> Vec<serde_json::Value> {
    let url = network.node_url(node);
    let mut all = vec!["reconcile", "--server", url.as_str(), "--json"];
    all.extend_from_slice(args);
    fengqiao_ok(&all)
        .await
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect()
}

/// Waits until `node` holds exactly what `source` holds of `root`'s subtree.
async fn until_equal(network: &TestNetwork, node: &str, source: &str, root: &str) {
    let expected = heads(network, source, root).await;
    network
        .wait_for(
            node,
            &format!("{node} to hold {source}'s {} reports of {root}", expected.len()),
            CONVERGE,
            |c| {
                let expected = expected.clone();
                async move { c.heads(root, day1(), day2()).await.ok() == Some(expected) }
            },
        )
        .await;
}

/// Posts a notice at `node` to `target` (below it).
async fn notice(network: &TestNetwork, node: &str, target: &str, text: &str) {
    let request = PostNoticeRequest { target_unit_id: target.into(), text: text.into() };
    network.client(node).node_service().post_notice(request).await.expect("notice posted");
}

/// Waits until `node` holds a notice for `unit` with `text`.
async fn until_notice(network: &TestNetwork, node: &str, unit: &str, text: &str) {
    network
        .wait_for(node, &format!("the notice {text:?} for {unit}"), CONVERGE, |client| {
            let (unit, text) = (unit.to_owned(), text.to_owned());
            async move {
                let request = ListNoticesRequest { unit_id: unit, ..Default::default() };
                client.node_service().list_notices(request).await.is_ok_and(|answer| {
                    answer
                        .into_inner()
                        .notices
                        .iter()
                        .any(|n| n.notice.as_ref().is_some_and(|n| n.text == text))
                })
            }
        })
        .await;
}

async fn a_restored_district_gets_back_what_its_township_holds(backend: Backend) {
    let mut network = network(backend).await;
    notice(&network, DISTRICT, TOWNSHIP, "before the backup").await;
    until_notice(&network, TOWNSHIP, TOWNSHIP, "before the backup").await;
    submit(&network, COMMUNITY, 0..10, day1(), 1).await;
    submit(&network, TOWNSHIP_OWN, 0..5, day1(), 1).await;
    let first = register(&network, COMMUNITY, &groups_of(COMMUNITY)[0]).await;
    act(&network, COMMUNITY, &first, accept()).await;
    network.wait_for_drain(CONVERGE).await;
    let backup = network.backup(DISTRICT).await;

    // After the backup: new reports, corrections, a new case and a step.
    submit(&network, COMMUNITY, 10..20, day2(), 1).await;
    submit(&network, COMMUNITY, 0..3, day1(), 2).await;
    submit(&network, TOWNSHIP_OWN, 0..5, day2(), 1).await;
    let second = register(&network, TOWNSHIP, &groups_of(TOWNSHIP_OWN)[1]).await;
    act(&network, TOWNSHIP, &second, accept()).await;
    act(&network, COMMUNITY, &first, assign()).await;
    notice(&network, DISTRICT, TOWNSHIP, "after the backup").await;
    until_notice(&network, TOWNSHIP, TOWNSHIP, "after the backup").await;
    network.wait_for_drain(CONVERGE).await;
    let ids = [first.as_str(), second.as_str()];
    let all = heads(&network, TOWNSHIP, TOWNSHIP).await;
    assert_eq!(all.len(), 30);
    assert_eq!(heads(&network, DISTRICT, DISTRICT).await, all, "everything reached the district");

    network.stop(DISTRICT).await;
    network.restore(DISTRICT, &backup).await;
    network.start(DISTRICT).await;
    // The restored log lacks the notice after the backup, and numbers the
    // next one as that one was: it still reaches the township.
    notice(&network, DISTRICT, TOWNSHIP, "after the restore").await;
    let restored = heads(&network, DISTRICT, DISTRICT).await;
    assert_eq!(restored.len(), 15, "the restore lost day 2 at the district");
    assert_eq!(restored.values().filter(|r| **r == 2).count(), 0, "and the corrections");
    assert_eq!(network.client(TOWNSHIP).outbox_depth().await.unwrap(), 0, "nothing waits to be resent");

    // The township notices its parent restarted and sends again what it lacks.
    until_equal(&network, DISTRICT, TOWNSHIP, TOWNSHIP).await;
    assert_eq!(heads(&network, DISTRICT, DISTRICT).await, all);
    let township_cases = case_events(&network, TOWNSHIP, &ids).await;
    assert!(township_cases.iter().all(Option::is_some));
    network
        .wait_for(DISTRICT, "the district's case events to equal the township's", CONVERGE, |_| {
            let (network, township_cases) = (&network, township_cases.clone());
            async move { case_events(network, DISTRICT, &ids).await == township_cases }
        })
        .await;
    verify(&network, DISTRICT).await;
    until_notice(&network, TOWNSHIP, TOWNSHIP, "after the restore").await;
    // Asked again, nothing is left to repair.
    let outcomes = reconcile(&network, DISTRICT, &["--all"]).await;
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    let report = &outcomes[0]["report"];
    assert_eq!(outcomes[0]["unit_id"], TOWNSHIP);
    assert_eq!(outcomes[0]["phase"], "done");
    assert_eq!(
        (report["reports_resent"].as_u64(), report["conflicts_total"].as_u64()),
        (Some(0), Some(0)),
        "{report}"
    );
    network.shutdown().await;
}

async fn a_restored_community_learns_nothing_false_and_the_difference_is_reported(backend: Backend) {
    let mut network = network(backend).await;
    submit(&network, COMMUNITY, 0..10, day1(), 1).await;
    let case = register(&network, COMMUNITY, &groups_of(COMMUNITY)[0]).await;
    network.wait_for_drain(CONVERGE).await;
    let backup = network.backup(COMMUNITY).await;
    submit(&network, COMMUNITY, 10..14, day2(), 1).await;
    submit(&network, COMMUNITY, 0..2, day1(), 2).await;
    act(&network, COMMUNITY, &case, accept()).await;
    network.wait_for_drain(CONVERGE).await;
    let above = heads(&network, TOWNSHIP, COMMUNITY).await;
    assert_eq!(above.len(), 14);

    network.stop(COMMUNITY).await;
    network.restore(COMMUNITY, &backup).await;
    network.start(COMMUNITY).await;
    assert_eq!(heads(&network, COMMUNITY, COMMUNITY).await.len(), 10, "the restore lost day 2 here");

    let outcomes = reconcile(&network, TOWNSHIP, &["--child", COMMUNITY]).await;
    let report = &outcomes[0]["report"];
    assert_eq!(outcomes[0]["phase"], "done", "{outcomes:?}");
    assert_eq!(report["reports_resent"], 0, "{report}");
    assert_eq!(report["case_events_resent"], 0, "{report}");
    // 4 reports and a case event only above, 2 reports newer above.
    assert_eq!(report["conflicts_total"], 7, "{report}");
    let kinds: Vec<&str> =
        report["conflicts"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "newer_at_parent").count(), 2, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "only_at_parent").count(), 5, "{kinds:?}");
    // The table says so too.
    let url = network.node_url(TOWNSHIP);
    let table = fengqiao_ok(&["reconcile", "--server", &url, "--child", COMMUNITY]).await;
    assert!(table.contains("conflict") && table.contains("newer_at_parent"), "{table}");

    // Nothing went down, nothing came back up changed.
    assert_eq!(heads(&network, TOWNSHIP, COMMUNITY).await, above, "the township keeps the newer revisions");
    assert_eq!(heads(&network, DISTRICT, COMMUNITY).await, above);
    let here = heads(&network, COMMUNITY, COMMUNITY).await;
    assert_eq!(here.len(), 10);
    assert!(here.values().all(|r| *r == 1), "the community learnt nothing from above: {here:?}");
    let here = case_events(&network, COMMUNITY, &[&case]).await;
    assert_eq!(
        here[0].as_ref().map(Vec::len),
        Some(1),
        "the case as registered, without the acceptance above"
    );

    // A reporter resubmits a lost report as it was: a duplicate above, and
    // one conflict fewer.
    submit(&network, COMMUNITY, 10..11, day2(), 1).await;
    network.wait_for_drain(CONVERGE).await;
    let outcomes = reconcile(&network, TOWNSHIP, &["--child", COMMUNITY]).await;
    assert_eq!(outcomes[0]["report"]["conflicts_total"], 6, "{outcomes:?}");
    assert_eq!(heads(&network, TOWNSHIP, COMMUNITY).await, above);
    verify(&network, TOWNSHIP).await;
    network.shutdown().await;
}

async fn a_restored_district_and_township_converge_on_the_community(backend: Backend) {
    let mut network = network(backend).await;
    submit(&network, COMMUNITY, 0..10, day1(), 1).await;
    submit(&network, TOWNSHIP_OWN, 0..5, day1(), 1).await;
    let case = register(&network, COMMUNITY, &groups_of(COMMUNITY)[0]).await;
    network.wait_for_drain(CONVERGE).await;
    let district_backup = network.backup(DISTRICT).await;
    let township_backup = network.backup(TOWNSHIP).await;
    submit(&network, COMMUNITY, 10..20, day2(), 1).await;
    submit(&network, COMMUNITY, 0..4, day1(), 2).await;
    act(&network, COMMUNITY, &case, accept()).await;
    network.wait_for_drain(CONVERGE).await;
    let community = heads(&network, COMMUNITY, COMMUNITY).await;
    assert_eq!(community.len(), 20);

    network.stop(TOWNSHIP).await;
    network.stop(DISTRICT).await;
    network.restore(DISTRICT, &district_backup).await;
    network.restore(TOWNSHIP, &township_backup).await;
    network.start(DISTRICT).await;
    network.start(TOWNSHIP).await;
    assert_eq!(heads(&network, TOWNSHIP, COMMUNITY).await.len(), 10, "the township lost day 2");

    // Asked now (the nodes also notice the restarts by themselves).
    let below = reconcile(&network, TOWNSHIP, &["--all"]).await;
    assert_eq!(
        (below[0]["unit_id"].as_str(), below[0]["phase"].as_str()),
        (Some(COMMUNITY), Some("done")),
        "{below:?}"
    );
    until_equal(&network, TOWNSHIP, COMMUNITY, COMMUNITY).await;
    network.wait_for_drain(CONVERGE).await;
    let above = reconcile(&network, DISTRICT, &["--all"]).await;
    assert_eq!(above[0]["phase"], "done", "{above:?}");
    until_equal(&network, DISTRICT, TOWNSHIP, TOWNSHIP).await;
    assert_eq!(heads(&network, DISTRICT, COMMUNITY).await, community, "every tier equals the community");
    assert_eq!(heads(&network, TOWNSHIP, COMMUNITY).await, community);
    let events = case_events(&network, COMMUNITY, &[&case]).await;
    for node in [TOWNSHIP, DISTRICT] {
        network
            .wait_for(node, "the case's events", CONVERGE, |_| {
                let (network, events, case) = (&network, events.clone(), case.clone());
                async move { case_events(network, node, &[&case]).await == events }
            })
            .await;
    }
    verify(&network, TOWNSHIP).await;
    verify(&network, DISTRICT).await;
    // Nothing left anywhere; no conflicts (nothing was lost everywhere).
    for node in [TOWNSHIP, DISTRICT] {
        let outcomes = reconcile(&network, node, &["--all"]).await;
        let report = &outcomes[0]["report"];
        assert_eq!(
            (report["reports_resent"].as_u64(), report["conflicts_total"].as_u64()),
            (Some(0), Some(0)),
            "{node}: {report}"
        );
    }
    let refused = fengqiao(&["reconcile", "--server", &network.node_url(DISTRICT), "--parent"]).await;
    assert!(!refused.success && refused.stderr.contains("FAILED_PRECONDITION"), "{}", refused.stderr);
    network.shutdown().await;
}

mod sqlite {
    use super::*;

    #[tokio::test]
    async fn restored_district() {
        a_restored_district_gets_back_what_its_township_holds(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn restored_community() {
        a_restored_community_learns_nothing_false_and_the_difference_is_reported(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn restored_district_and_township() {
        a_restored_district_and_township_converge_on_the_community(Backend::Sqlite).await;
    }
}

mod postgres {
    use super::*;

    #[tokio::test]
    async fn restored_district() {
        a_restored_district_gets_back_what_its_township_holds(Backend::Postgres).await;
    }

    #[tokio::test]
    async fn restored_community() {
        a_restored_community_learns_nothing_false_and_the_difference_is_reported(Backend::Postgres).await;
    }

    #[tokio::test]
    async fn restored_district_and_township() {
        a_restored_district_and_township_converge_on_the_community(Backend::Postgres).await;
    }
}
