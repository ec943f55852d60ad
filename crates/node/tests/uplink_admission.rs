//! The uplink applies only what it would accept itself. A child node's
//! certificate pushes crafted items over mTLS — a report dated 2099, dated
//! tomorrow, dated before reporting started, accepted in 2099, first
//! accepted in year 1, first accepted after it was accepted, back-dated to
//! count as on time, a correction back-dating the first acceptance held at
//! the parent, a case event from the future — and each is answered REFUSED
//! with its reason while the good items of the same batch are applied. Then
//! a real child node whose outbox holds such items (as if a node below it
//! had forwarded them) drains it: the refused items are set aside with
//! their reasons, counted in its metrics and shown by `GetNodeStatus`, and
//! everything else reaches the parent. Both backends.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::{Running, fast};
use fengqiao_core::case::{Case, CaseId, Channel, Context, DeadlinePolicy, Intake};
use fengqiao_core::identity::Identity;
use fengqiao_core::report::ReportDraft;
use fengqiao_core::revision::Source;
use fengqiao_core::{Clock, DailyReport, DisputeCategory, ManualClock, Revision, UnitId};
use fengqiao_node::pki::{self, CertifiedKey};
use fengqiao_node::tls::connect_endpoint;
use fengqiao_node::{ChildNodes, NodeConfig, TlsMaterial, Transport};
use fengqiao_proto::pb;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::uplink_item::Payload;
use fengqiao_proto::pb::uplink_service_client::UplinkServiceClient;
use fengqiao_store::testing::trees;
use fengqiao_store::{Backend, Submission};

const TOWNSHIP: &str = "410411001";
const COMMUNITY: &str = "410411001001";
const GROUP: &str = "410411001001001";
const GROUP_2: &str = "410411001001002";
const GROUP_3: &str = "410411001001003";

fn unit(id: &str) -> UnitId {
    UnitId::parse(id).unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

/// Both nodes' clock: 16:00 in Shanghai on Saturday 2026-11-28.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap()
}

/// `hour:minute` in Shanghai (UTC+8) on 2026-11-`d`.
fn shanghai(d: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, hour, minute, 0).unwrap() - chrono::Duration::hours(8)
}

/// Reporting started on Sunday 2026-11-01.
const START: (i32, u32, u32) = (2026, 11, 1);

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(START.0, START.1, START.2).unwrap()
}

fn tls(ca: &CertifiedKey, identity: &Identity) -> Transport {
    let leaf = pki::issue(ca, identity, &[], 2).unwrap();
    Transport::Tls(Arc::new(TlsMaterial::from_pem(&ca.cert_pem, &leaf.cert_pem, &leaf.key_pem).unwrap()))
}

fn node_identity(id: &str) -> Identity {
    Identity::Node { unit: unit(id) }
}

/// The township node: the community has a node of its own.
async fn township(backend: Backend, ca: &CertifiedKey, clock: Arc<ManualClock>) -> Running {
    let config = NodeConfig {
        transport: tls(ca, &node_identity(TOWNSHIP)),
        child_nodes: ChildNodes::Units(vec![COMMUNITY.into()]),
        reporting_start: Some(start()),
        ..NodeConfig::new(TOWNSHIP)
    };
    Running::start_with_clock(
        &trees::one_community(3),
        TOWNSHIP,
        backend,
        config,
        None,
        clock as Arc<dyn Clock>,
    )
    .await
}

fn report(unit_id: &str, date: NaiveDate, revision: u32) -> DailyReport {
    DailyReport::new(ReportDraft {
        unit_id: unit(unit_id),
        date,
        revision: Revision::new(revision).unwrap(),
        reporter: "officer-1".into(),
        zero: true,
        disputes: vec![],
        correction_reason: if revision > 1 { "recount".into() } else { String::new() },
    })
    .unwrap()
}

/// A crafted item: what a node could claim it accepted.
struct Crafted {
    what: &'static str,
    report: DailyReport,
    accepted_at: DateTime<Utc>,
    first_accepted_at: DateTime<Utc>,
    /// The field the refusal names; `None` for a good item.
    refused_on: Option<&'static str>,
}

fn crafted(
    what: &'static str,
    report: DailyReport,
    accepted_at: DateTime<Utc>,
    first_accepted_at: DateTime<Utc>,
    refused_on: Option<&'static str>,
) -> Crafted {
    Crafted { what, report, accepted_at, first_accepted_at, refused_on }
}

/// Good items and every kind of inadmissible report, mixed.
fn batch() -> Vec<Crafted> {
    let morning = shanghai(27, 9, 0);
    let year_2099 = Utc.with_ymd_and_hms(2099, 1, 1, 1, 0, 0).unwrap();
    let year_one = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap();
    let date_2099 = NaiveDate::from_ymd_opt(2099, 1, 1).unwrap();
    vec![
        crafted("on time yesterday", report(GROUP, day(27), 1), morning, morning, None),
        crafted("dated 2099", report(GROUP, date_2099, 1), year_2099, year_2099, Some("report.date")),
        crafted("dated tomorrow", report(GROUP, day(29), 1), morning, morning, Some("report.date")),
        crafted(
            "dated before reporting started",
            report(GROUP, start().pred_opt().unwrap(), 1),
            shanghai(1, 9, 0),
            shanghai(1, 9, 0),
            Some("report.date"),
        ),
        crafted("accepted in 2099", report(GROUP_2, day(26), 2), year_2099, morning, Some("accepted_at")),
        crafted(
            "first accepted in year 1",
            report(GROUP_2, day(25), 2),
            morning,
            year_one,
            Some("first_accepted_at"),
        ),
        crafted(
            "first accepted after accepted",
            report(GROUP_2, day(24), 2),
            shanghai(24, 9, 0),
            shanghai(24, 20, 0),
            Some("first_accepted_at"),
        ),
        crafted(
            "back-dated to count as on time",
            report(GROUP_3, day(26), 1),
            shanghai(26, 20, 30),
            shanghai(26, 9, 0),
            Some("first_accepted_at"),
        ),
        crafted(
            "late, honestly",
            report(GROUP_3, day(27), 1),
            shanghai(27, 20, 30),
            shanghai(27, 20, 30),
            None,
        ),
        crafted(
            "a clock a minute ahead",
            report(GROUP_2, day(28), 1),
            now() + chrono::Duration::minutes(1),
            now() + chrono::Duration::minutes(1),
            None,
        ),
    ]
}

fn stored_pb(item: &Crafted) -> pb::StoredDailyReport {
    fengqiao_proto::stored_report_to_pb(
        &fengqiao_core::StoredReport {
            report: item.report.clone(),
            accepted_at: item.accepted_at,
            first_accepted_at: item.first_accepted_at,
        },
        false,
    )
}

/// A case registered in the group at `at` (its day is `at`'s local date).
fn case_event(id: &str, at: DateTime<Utc>) -> pb::CaseEvent {
    let origin = unit(GROUP);
    let intake = Intake {
        origin_unit: origin.clone(),
        category: DisputeCategory::Neighbour,
        channel: Channel::Visit,
        summary: "a fence moved onto the neighbour's plot".into(),
        petitioner_ref: None,
        source: None,
        workers: 0,
        amount_claimed_cents: 0,
        project: None,
    };
    let policy = fengqiao_core::TimePolicy::default();
    let context = Context {
        at,
        on: policy.local_date(at),
        actor: fengqiao_core::actor::Actor::Unverified { text: Some("officer-1".into()), on_behalf_of: None },
        note: String::new(),
        owner_parent: Some(unit(COMMUNITY)),
        is_below_owner: &|_| false,
        policy: DeadlinePolicy::default(),
    };
    let event = Case::register(CaseId::parse(id).unwrap(), intake, None, &context).unwrap();
    fengqiao_proto::pb::CaseEvent::from(&event)
}

async fn stored_revision(node: &Running, unit_id: &str, date: NaiveDate) -> Option<u32> {
    let store = node.node.as_ref().expect("running").store();
    store.get_report(&unit(unit_id), date, None).await.unwrap().map(|r| r.report.revision().get())
}

/// The parent refuses each inadmissible item with its reason and applies
/// the rest of the same batch.
async fn a_parent_refuses_what_it_would_not_accept_itself(backend: Backend) {
    let ca = pki::new_ca(2).unwrap();
    let clock = Arc::new(ManualClock::new(now()));
    let mut parent = township(backend, &ca, Arc::clone(&clock)).await;
    // The community node's own certificate.
    let child = connect_endpoint(&parent.url(), &tls(&ca, &node_identity(COMMUNITY))).unwrap().connect_lazy();
    let items = batch();
    let mut message = pb::PushBatchRequest {
        sender_unit_id: COMMUNITY.into(),
        items: items
            .iter()
            .enumerate()
            .map(|(n, item)| pb::UplinkItem {
                sequence: 100 + n as u64,
                payload: Some(Payload::Report(stored_pb(item))),
                trace_parent: String::new(),
            })
            .collect(),
        synced_through: None,
    };
    // And case events: one registered this morning, one in 2099.
    for (sequence, id, at) in [
        (200, "410411001001001-20261128-1", shanghai(28, 9, 0)),
        (201, "410411001001001-20991231-1", Utc.with_ymd_and_hms(2099, 12, 31, 1, 0, 0).unwrap()),
    ] {
        message.items.push(pb::UplinkItem {
            sequence,
            payload: Some(Payload::CaseEvent(pb::CaseEventItem {
                event: Some(case_event(id, at)),
                petitioner: None,
            })),
            trace_parent: String::new(),
        });
    }
    let acks = UplinkServiceClient::new(child.clone()).push_batch(message).await.unwrap().into_inner().acks;
    assert_eq!(acks.len(), items.len() + 2, "one answer per item");
    for (n, (item, ack)) in items.iter().zip(&acks).enumerate() {
        assert_eq!(ack.sequence, 100 + n as u64, "in the order sent");
        match item.refused_on {
            None => assert_eq!(ack.outcome(), pb::ItemOutcome::Applied, "{}: {}", item.what, ack.detail),
            Some(field) => {
                assert_eq!(ack.outcome(), pb::ItemOutcome::Refused, "{}", item.what);
                let prefix = format!("items[{n}].report.{field}: ");
                assert!(
                    ack.detail.starts_with(&prefix),
                    "{}: {:?} should start with {prefix:?}",
                    item.what,
                    ack.detail
                );
            }
        }
        let stored = stored_revision(&parent, item.report.unit_id().as_str(), item.report.date()).await;
        let expected = item.refused_on.is_none().then(|| item.report.revision().get());
        assert_eq!(stored, expected, "{}: stored only when applied", item.what);
    }
    assert_eq!(
        (acks[10].sequence, acks[10].outcome()),
        (200, pb::ItemOutcome::Applied),
        "{}",
        acks[10].detail
    );
    assert_eq!((acks[11].sequence, acks[11].outcome()), (201, pb::ItemOutcome::Refused));
    assert!(acks[11].detail.starts_with("items[11].case_event.event.at: "), "{}", acks[11].detail);
    let node = parent.node.clone().unwrap();
    assert!(
        node.store().get_case(&CaseId::parse("410411001001001-20991231-1").unwrap()).await.unwrap().is_none()
    );
    assert!(
        node.store().get_case(&CaseId::parse("410411001001001-20261128-1").unwrap()).await.unwrap().is_some()
    );

    // The late report is held with its first acceptance at 20:30; a
    // correction claiming 09:00 would make it on time: refused, at the store.
    let late = &items[8];
    let back_dated = Crafted {
        what: "a correction back-dating the first acceptance",
        report: report(GROUP_3, day(27), 2),
        accepted_at: now(),
        first_accepted_at: shanghai(27, 9, 0),
        refused_on: Some("first_accepted_at"),
    };
    let push = |item: &Crafted| pb::PushBatchRequest {
        sender_unit_id: COMMUNITY.into(),
        items: vec![pb::UplinkItem {
            sequence: 300,
            payload: Some(Payload::Report(stored_pb(item))),
            trace_parent: String::new(),
        }],
        synced_through: None,
    };
    let acks = UplinkServiceClient::new(child.clone())
        .push_batch(push(&back_dated))
        .await
        .unwrap()
        .into_inner()
        .acks;
    assert_eq!(acks[0].outcome(), pb::ItemOutcome::Refused, "{}", back_dated.what);
    assert!(acks[0].detail.starts_with("items[0].report.first_accepted_at: "), "{}", acks[0].detail);
    let head = node.store().get_report(&unit(GROUP_3), day(27), None).await.unwrap().unwrap();
    assert_eq!((head.report.revision().get(), head.first_accepted_at), (1, late.first_accepted_at));
    let honest = Crafted { first_accepted_at: late.first_accepted_at, refused_on: None, ..back_dated };
    let acks = UplinkServiceClient::new(child).push_batch(push(&honest)).await.unwrap().into_inner().acks;
    assert_eq!(acks[0].outcome(), pb::ItemOutcome::Applied, "{}", acks[0].detail);

    // A direct submission before the start is refused as well.
    let officer =
        Identity::person("officer-1", unit(TOWNSHIP), fengqiao_core::identity::Role::Officer).unwrap();
    let person = connect_endpoint(&parent.url(), &tls(&ca, &officer)).unwrap().connect_lazy();
    let before = fengqiao_proto::pb::DailyReport::from(&report(TOWNSHIP, start().pred_opt().unwrap(), 1));
    let refused = ReportingServiceClient::new(person)
        .submit_daily_report(pb::SubmitDailyReportRequest { report: Some(before) })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(refused.message().starts_with("report.date: "), "{}", refused.message());
    parent.halt().await;
    parent.db.cleanup().await;
}

/// A child node whose outbox holds inadmissible items sets them aside when
/// the parent refuses them — reason and time kept, an alert counted, shown
/// by `GetNodeStatus` — and the items behind them still reach the parent.
async fn a_child_sets_refused_items_aside_and_the_rest_flows(backend: Backend) {
    let ca = pki::new_ca(2).unwrap();
    let clock = Arc::new(ManualClock::new(now()));
    let mut parent = township(backend, &ca, Arc::clone(&clock)).await;
    let config = NodeConfig {
        transport: tls(&ca, &node_identity(COMMUNITY)),
        parent: Some(parent.url()),
        forwarder: fast(),
        reporting_start: Some(start()),
        ..NodeConfig::new(COMMUNITY)
    };
    let mut child = Running::start_with_clock(
        &trees::one_community(3),
        COMMUNITY,
        backend,
        config,
        None,
        Arc::clone(&clock) as Arc<dyn Clock>,
    )
    .await;
    let node = child.node.clone().unwrap();
    // Queued as if a node below had forwarded them: the committer stores
    // what it is given (the checks are the uplink's), and queues it up.
    let items = batch();
    let submissions = items.iter().map(|item| {
        node.committer().submit(Submission {
            report: item.report.clone(),
            source: Source::Uplink,
            accepted_at: item.accepted_at,
            first_accepted_at: Some(item.first_accepted_at),
            trace_parent: None,
            audit: fengqiao_store::testing::audit_record("report"),
        })
    });
    for result in futures::future::join_all(submissions).await {
        result.unwrap();
    }
    let refused = items.iter().filter(|item| item.refused_on.is_some()).count();
    assert_eq!(refused, 7);
    let status = common::poll(Duration::from_secs(30), || async {
        let status =
            child.client().await.get_node_status(pb::GetNodeStatusRequest {}).await.ok()?.into_inner();
        (status.outbox_depth == 0).then_some(status)
    })
    .await;
    assert_eq!(status.set_aside_count, refused as u64);
    assert_eq!(status.set_aside.len(), refused);
    assert_eq!(status.reporting_start_date, start().to_string());
    for item in items.iter().filter(|item| item.refused_on.is_some()) {
        let shown = status
            .set_aside
            .iter()
            .find(|s| s.key == item.report.unit_id().as_str() && s.date == item.report.date().to_string())
            .unwrap_or_else(|| panic!("{} is shown as set aside", item.what));
        assert_eq!(shown.kind, "report");
        assert_eq!(shown.revision, u64::from(item.report.revision().get()));
        let field = item.refused_on.unwrap();
        assert!(shown.reason.contains(&format!(".report.{field}: ")), "{}: {}", item.what, shown.reason);
        assert_eq!(shown.set_aside_at, Some(fengqiao_proto::timestamp(now())));
    }
    // Everything else arrived.
    for item in &items {
        let stored = stored_revision(&parent, item.report.unit_id().as_str(), item.report.date()).await;
        let expected = item.refused_on.is_none().then(|| item.report.revision().get());
        assert_eq!(stored, expected, "{}", item.what);
    }
    // The alert's metrics: items refused, and the set-aside count.
    node.metrics().refresh(&node).await;
    let text = node.metrics().encode();
    assert!(
        text.contains(&format!("fengqiao_forward_items_total{{outcome=\"refused\"}} {refused}\n")),
        "{text}"
    );
    assert!(text.contains(&format!("fengqiao_uplink_set_aside {refused}\n")), "{text}");
    assert!(text.contains("fengqiao_forward_items_total{outcome=\"acknowledged\"} 3\n"), "{text}");
    // Set aside for good: a restart does not send them again.
    child.restart().await;
    let status =
        child.client().await.get_node_status(pb::GetNodeStatusRequest {}).await.unwrap().into_inner();
    assert_eq!((status.outbox_depth, status.set_aside_count), (0, refused as u64));
    child.halt().await;
    parent.halt().await;
    child.db.cleanup().await;
    parent.db.cleanup().await;
}

fengqiao_store::both_backends!(
    a_parent_refuses_what_it_would_not_accept_itself,
    a_child_sets_refused_items_aside_and_the_rest_flows,
);
