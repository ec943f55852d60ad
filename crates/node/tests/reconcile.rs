//! Reconciliation between a district node and a township child node, in one
//! process, on both backends: what the township holds and the district lost
//! comes back through the uplink (reports and case events, rollups exact);
//! what the district holds that the township does not is reported as a
//! conflict and never applied downward; a restarted parent makes the child
//! reconcile by itself; every bad request is refused with its code and
//! changes nothing.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::{Running, expect_code, fast};
use fengqiao_core::case::{
    Action, Case, CaseEvent, CaseId, Channel as CaseChannel, Context, DeadlinePolicy, Intake,
};
use fengqiao_core::reconcile::{ConflictKind, ExchangeReport, ItemKey, Trigger};
use fengqiao_core::report::ReportDraft;
use fengqiao_core::revision::Source;
use fengqiao_core::{DailyReport, DisputeCategory, Revision, TimePolicy, UnitId};
use fengqiao_node::{ChildNodes, ForwarderConfig, NodeConfig};
use fengqiao_proto::pb::reconcile_service_client::ReconcileServiceClient;
use fengqiao_proto::pb::{
    DigestLevel, GetDigestsRequest, ListHeldItemsRequest, ReconcilePhase, ReconcileRequest,
    ReportExchangeRequest,
};
use fengqiao_store::{Backend, CaseEventItem, ListQuery, Store, Submission};
use tonic::Code;
use tonic::transport::Channel;

const TREE: &str = "code,parent_code,tier,name\n\
    D,,district,D\n\
    T,D,township,T\n\
    C,T,community,C\n\
    G1,C,group,G1\n\
    G2,C,group,G2\n\
    G3,C,group,G3\n\
    T2,D,township,T2\n";

fn unit(id: &str) -> UnitId {
    UnitId::parse(id).unwrap()
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, day).unwrap()
}

fn morning(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, day, 1, 0, 0).unwrap()
}

fn held(unit_id: &str, day: u32, revision: u32) -> Submission {
    let report = DailyReport::new(ReportDraft {
        unit_id: unit(unit_id),
        date: date(day),
        revision: Revision::new(revision).unwrap(),
        reporter: "officer".into(),
        zero: true,
        disputes: vec![],
        correction_reason: if revision > 1 { format!("recount {revision}") } else { String::new() },
    })
    .unwrap();
    Submission {
        report,
        source: Source::Uplink,
        accepted_at: morning(day),
        first_accepted_at: Some(morning(day)),
        trace_parent: None,
        audit: fengqiao_store::testing::audit_record(format!("report {unit_id}@{day}")),
    }
}

fn context(day: u32) -> Context<'static> {
    Context {
        at: morning(day),
        on: date(day),
        actor: fengqiao_core::actor::Actor::Unverified { text: Some("officer".into()), on_behalf_of: None },
        note: String::new(),
        owner_parent: Some(unit("T")),
        is_below_owner: &|_| true,
        policy: DeadlinePolicy::default(),
    }
}

/// A case of community C registered on `day` and accepted the day after.
fn case_log(id: &str, day: u32) -> Vec<CaseEvent> {
    let intake = Intake {
        origin_unit: unit("C"),
        category: DisputeCategory::Neighbour,
        channel: CaseChannel::Letter,
        summary: "a fence moved".into(),
        petitioner_ref: None,
        source: None,
        workers: 0,
        amount_claimed_cents: 0,
        project: None,
    };
    let first = Case::register(CaseId::parse(id).unwrap(), intake, None, &context(day)).unwrap();
    let mut case = Case::start(&first).unwrap();
    let accepted = case.decide(Action::Accept, &context(day + 1)).unwrap();
    case.apply(&accepted).unwrap();
    vec![first, accepted]
}

/// Stores reports without queuing them for a parent (held here, not sent).
async fn hold(store: &Arc<dyn Store>, batch: Vec<Submission>) {
    let results = store.apply_reports(batch, false, &TimePolicy::default()).await.unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
}

/// Heads of T's subtree at a node: (unit, date) → revision.
async fn heads(store: &Arc<dyn Store>) -> BTreeMap<(String, NaiveDate), u32> {
    let query = ListQuery { root: unit("T"), from: date(1), to: date(31), after: None, limit: 10_000 };
    store
        .list_reports(&query)
        .await
        .unwrap()
        .into_iter()
        .map(|s| ((s.report.unit_id().to_string(), s.report.date()), s.report.revision().get()))
        .collect()
}

/// Quick heartbeats, so a restarted parent is noticed at once.
fn quick() -> ForwarderConfig {
    ForwarderConfig { heartbeat: Duration::from_millis(200), ..fast() }
}

async fn pair(backend: Backend) -> (Running, Running) {
    let district_config =
        NodeConfig { child_nodes: ChildNodes::Units(vec!["T".into()]), ..NodeConfig::new("D") };
    let district = Running::start(TREE, "D", backend, district_config, None).await;
    let township_config =
        NodeConfig { parent: Some(district.url()), forwarder: quick(), ..NodeConfig::new("T") };
    let township = Running::start(TREE, "T", backend, township_config, None).await;
    (district, township)
}

fn client(node: &Running) -> ReconcileServiceClient<Channel> {
    ReconcileServiceClient::new(node.channel())
}

/// Asks `node` to reconcile `request`'s nodes and returns every report.
async fn reconcile(
    node: &Running,
    request: ReconcileRequest,
) -> Vec<(String, ReconcilePhase, Option<ExchangeReport>)> {
    let mut stream = client(node).reconcile(request).await.expect("reconcile starts").into_inner();
    let mut ended = Vec::new();
    let mut saw_requested = false;
    while let Some(message) = stream.message().await.expect("the stream runs") {
        let phase = ReconcilePhase::try_from(message.phase).unwrap();
        match phase {
            ReconcilePhase::Requested => saw_requested = true,
            ReconcilePhase::Running => {}
            _ => {
                let report = message.report.map(|r| {
                    fengqiao_proto::convert_at::<_, fengqiao_core::reconcile::ExchangeReport>(r, "report")
                        .unwrap()
                });
                ended.push((message.unit_id, phase, report));
            }
        }
    }
    assert!(saw_requested, "every run is announced first");
    ended
}

async fn until(what: &str, mut condition: impl AsyncFnMut() -> bool) {
    for _ in 0..400 {
        if condition().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn a_parent_gets_back_what_it_lost_and_conflicts_stay_reported(backend: Backend) {
    let (mut district, township) = pair(backend).await;
    let (d_store, t_store) =
        (district.node.clone().unwrap().store().clone(), township.node.clone().unwrap().store().clone());
    // Held at the township and lost at the district (as after the
    // district's restore): reports of three days, corrections among them,
    // and a case's events.
    hold(&t_store, vec![held("G1", 5, 1), held("G2", 5, 1), held("G3", 6, 1), held("C", 6, 1)]).await;
    hold(&t_store, vec![held("G1", 5, 2), held("G1", 20, 1), held("G2", 7, 1)]).await;
    let events = case_log("C-1", 6);
    t_store
        .apply_case_events(
            events
                .iter()
                .cloned()
                .map(|event| CaseEventItem {
                    event,
                    petitioner: None,
                    audit: fengqiao_store::testing::audit_record("case event"),
                })
                .collect(),
            false,
        )
        .await
        .unwrap();
    // Held at the district only: a report the township lacks, and a newer
    // revision of one it holds at revision 1, and an older revision of
    // G2@7 (the township's is newer: sent again).
    hold(&t_store, vec![held("G3", 7, 1)]).await;
    hold(&d_store, vec![held("G3", 8, 1), held("G3", 7, 2)]).await;
    assert!(heads(&d_store).await.len() == 2);

    let ended =
        reconcile(&district, ReconcileRequest { child_unit_ids: vec!["T".into()], ..Default::default() })
            .await;
    assert_eq!(ended.len(), 1, "{ended:?}");
    let (who, phase, report) = &ended[0];
    assert_eq!((who.as_str(), *phase), ("T", ReconcilePhase::Done));
    let report = report.clone().expect("a report");
    assert_eq!(report.trigger, Trigger::Requested);
    assert_eq!(report.reports_resent, 6, "G1@5 r2, G2@5, G3@6, C@6, G1@20, G2@7");
    assert_eq!(report.case_events_resent, 2);
    assert_eq!(report.conflicts_total, 2, "{:?}", report.conflicts);
    let conflicts: Vec<(ItemKey, ConflictKind, Option<u32>, Option<u32>)> = report
        .conflicts
        .iter()
        .map(|c| (c.item.clone(), c.kind, c.child_revision, c.parent_revision))
        .collect();
    assert_eq!(
        conflicts,
        vec![
            (
                ItemKey::Report { unit_id: unit("G3"), date: date(7) },
                ConflictKind::NewerAtParent,
                Some(1),
                Some(2)
            ),
            (
                ItemKey::Report { unit_id: unit("G3"), date: date(8) },
                ConflictKind::OnlyAtParent,
                None,
                Some(1)
            ),
        ]
    );
    assert!(report.days_listed >= 4 && report.digests_compared > 3, "{report:?}");
    assert!(report.bytes_sent > 0 && report.bytes_received > 0);

    // The repairs travel the ordinary uplink: the district now holds what
    // the township holds, and keeps its own newer revision; nothing of the
    // district's went down.
    until("the district to hold the township's reports", async || heads(&d_store).await.len() == 8).await;
    let mut expected = heads(&t_store).await;
    expected.insert(("G3".into(), date(7)), 2);
    expected.insert(("G3".into(), date(8)), 1);
    assert_eq!(heads(&d_store).await, expected);
    assert_eq!(heads(&t_store).await.len(), 7, "the township learnt nothing from the district");
    assert_eq!(
        t_store.get_report(&unit("G3"), date(7), None).await.unwrap().unwrap().report.revision().get(),
        1
    );
    until("the district to hold the case", async || {
        d_store.get_case(&CaseId::parse("C-1").unwrap()).await.unwrap().is_some_and(|c| c.events == events)
    })
    .await;
    let tree = district.node.clone().unwrap().tree();
    let verification =
        fengqiao_store::rollup::verify(&*d_store, &tree, &TimePolicy::default()).await.unwrap();
    assert!(verification.differences.is_empty(), "{:?}", verification.differences);
    // The parent keeps the child's last report.
    let kept = d_store.get_meta("reconcile_child:T").await.unwrap().expect("kept");
    assert!(kept.contains("\"reports_resent\":6"), "{kept}");
    let metrics = township.node.clone().unwrap().metrics().encode();
    assert!(metrics.contains("fengqiao_reconcile_repaired_items_total{kind=\"report\"} 6"), "{metrics}");
    assert!(metrics.contains("fengqiao_reconcile_conflicts 2"), "{metrics}");

    // Again: nothing to send; the conflicts are still there until an
    // operator settles them.
    let again = reconcile(&district, ReconcileRequest { all_children: true, ..Default::default() }).await;
    let second = again[0].2.clone().unwrap();
    assert_eq!((second.reports_resent, second.case_events_resent, second.conflicts_total), (0, 0, 2));

    // The district restarts (as after a restore): the township notices the
    // new instance at its next push and reconciles by itself.
    hold(&t_store, vec![held("G1", 21, 1)]).await;
    district.restart().await;
    let node = township.node.clone().unwrap();
    until("the township's own exchange after the parent restarted", async || {
        fengqiao_node::reconcile::last_exchange(&node)
            .await
            .unwrap()
            .is_some_and(|r| r.trigger == Trigger::ParentRestarted && r.error.is_none())
    })
    .await;
    let d_store = district.node.clone().unwrap().store().clone();
    until("G1@21 at the district", async || heads(&d_store).await.contains_key(&("G1".into(), date(21))))
        .await;
}

async fn bad_requests_are_refused_and_change_nothing(backend: Backend) {
    let (district, township) = pair(backend).await;
    let d_store = district.node.clone().unwrap().store().clone();
    // The township exchanges with the district when it starts and the
    // district keeps its report: wait for that, so that the refused
    // requests below are checked against a settled state (the start
    // exchange landing mid-test made this test flaky).
    let mut started = None;
    for _ in 0..600 {
        started = d_store.get_meta("reconcile_child:T").await.unwrap();
        if started.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(started.is_some(), "the township's start exchange reached the district");
    // More than a page of days held at the district for the township's subtree.
    let days: Vec<Submission> = (0..1001)
        .map(|n| {
            let mut s = held("G1", 1, 1);
            let day = date(1) + chrono::Duration::days(n);
            s.report = DailyReport::new(ReportDraft {
                unit_id: unit("G1"),
                date: day,
                revision: Revision::FIRST,
                reporter: "officer".into(),
                zero: true,
                disputes: vec![],
                correction_reason: String::new(),
            })
            .unwrap();
            s
        })
        .collect();
    hold(&d_store, days).await;
    let mut c = client(&district);
    let digests = |level: DigestLevel, from: &str, to: &str| GetDigestsRequest {
        sender_unit_id: "T".into(),
        level: level.into(),
        from_date: from.into(),
        to_date: to.into(),
        run_id: String::new(),
    };
    let first =
        c.get_digests(digests(DigestLevel::Day, "2026-01-01", "2028-12-31")).await.unwrap().into_inner();
    assert_eq!(first.periods.len(), 1000, "a page is bounded");
    assert_eq!(first.next_from_date, (date(1) + chrono::Duration::days(1000)).to_string());
    let rest = c
        .get_digests(digests(DigestLevel::Day, &first.next_from_date, "2028-12-31"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((rest.periods.len(), rest.next_from_date.as_str()), (1, ""));
    let total = c.get_digests(digests(DigestLevel::Total, "", "")).await.unwrap().into_inner();
    assert_eq!(total.periods[0].digests.as_ref().unwrap().reports.as_ref().unwrap().items, 1001);

    let invalid = |status: tonic::Status, field: &str| {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().starts_with(field), "{field}: {}", status.message());
    };
    let before = d_store.count_reports().await.unwrap();
    let status = expect_code(
        c.get_digests(GetDigestsRequest {
            sender_unit_id: "T2".into(),
            ..digests(DigestLevel::Total, "", "")
        })
        .await,
        Code::PermissionDenied,
    );
    assert!(status.message().contains("not a child node"), "{}", status.message());
    invalid(
        expect_code(c.get_digests(digests(DigestLevel::Unspecified, "", "")).await, Code::InvalidArgument),
        "level",
    );
    invalid(
        expect_code(
            c.get_digests(digests(DigestLevel::Day, "2026-01-32", "2026-02-01")).await,
            Code::InvalidArgument,
        ),
        "from_date",
    );
    invalid(
        expect_code(
            c.get_digests(digests(DigestLevel::Week, "2026-02-02", "2026-01-05")).await,
            Code::InvalidArgument,
        ),
        "to_date",
    );
    let items = |date: &str, token: &str| ListHeldItemsRequest {
        sender_unit_id: "T".into(),
        date: date.into(),
        reports: true,
        case_events: true,
        page_token: token.into(),
        run_id: String::new(),
    };
    let held = c.list_held_items(items("2026-01-01", "")).await.unwrap().into_inner();
    assert_eq!((held.reports.len(), held.case_events.len(), held.next_page_token.as_str()), (1, 0, ""));
    invalid(expect_code(c.list_held_items(items("tomorrow", "")).await, Code::InvalidArgument), "date");
    invalid(
        expect_code(c.list_held_items(items("2026-01-01", "x:1")).await, Code::InvalidArgument),
        "page_token",
    );
    let none = ListHeldItemsRequest { reports: false, case_events: false, ..items("2026-01-01", "") };
    invalid(expect_code(c.list_held_items(none).await, Code::InvalidArgument), "reports");
    expect_code(
        c.list_held_items(ListHeldItemsRequest { sender_unit_id: "G1".into(), ..items("2026-01-01", "") })
            .await,
        Code::PermissionDenied,
    );
    invalid(
        expect_code(
            c.report_exchange(ReportExchangeRequest { sender_unit_id: "T".into(), report: None }).await,
            Code::InvalidArgument,
        ),
        "report",
    );
    let other = ExchangeReport::new(unit("T2"), String::new(), Trigger::Periodic, morning(1));
    let request = ReportExchangeRequest {
        sender_unit_id: "T".into(),
        report: Some(fengqiao_proto::pb::ExchangeReport::from(&other)),
    };
    invalid(expect_code(c.report_exchange(request).await, Code::InvalidArgument), "report.unit_id");
    assert_eq!(d_store.get_meta("reconcile_child:T").await.unwrap(), started, "no report kept");
    let ask = |request: ReconcileRequest| {
        let mut c = client(&district);
        async move { c.reconcile(request).await.map(drop) }
    };
    invalid(
        expect_code(
            ask(ReconcileRequest { child_unit_ids: vec!["T2".into()], ..Default::default() }).await,
            Code::InvalidArgument,
        ),
        "child_unit_ids[0]",
    );
    invalid(expect_code(ask(ReconcileRequest::default()).await, Code::InvalidArgument), "child_unit_ids");
    expect_code(
        ask(ReconcileRequest { with_parent: true, ..Default::default() }).await,
        Code::FailedPrecondition,
    );
    invalid(
        expect_code(
            ask(ReconcileRequest { all_children: true, timeout_seconds: 4000, ..Default::default() }).await,
            Code::InvalidArgument,
        ),
        "timeout_seconds",
    );
    assert_eq!(d_store.count_reports().await.unwrap(), before, "nothing changed");

    // The township asked to reconcile with its own parent (`--parent`) runs
    // it here and reports the exchange.
    let ended = reconcile(&township, ReconcileRequest { with_parent: true, ..Default::default() }).await;
    let (who, phase, report) = &ended[0];
    assert_eq!((who.as_str(), *phase), ("T", ReconcilePhase::Done), "{report:?}");
    let report = report.as_ref().unwrap();
    assert_eq!(
        (report.days_listed, report.conflicts_total, report.incomplete),
        (366, 366, true),
        "the district's days the township lacks, up to reconcile.max_days; another exchange goes on"
    );
    assert_eq!(report.conflicts.len(), 100, "listed up to a bound");
}

fengqiao_store::both_backends!(
    a_parent_gets_back_what_it_lost_and_conflicts_stay_reported,
    bad_requests_are_refused_and_change_nothing,
);
