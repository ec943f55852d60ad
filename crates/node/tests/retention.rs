//! The node's retention of raw report text (`storage.raw_text_months`), on
//! both backends: with a setting it purges what is older and audits it;
//! without one (keep for ever) it touches nothing.

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use fengqiao_core::report::{DisputeDraft, ReportDraft};
use fengqiao_core::revision::Source;
use fengqiao_core::{
    DailyReport, Dispute, DisputeCategory, DisputeOutcome, ManualClock, Revision, TimePolicy, UnitId,
    UnitTree,
};
use fengqiao_node::{Node, NodeConfig};
use fengqiao_store::retention::{Purged, REMOVED_TEXT};
use fengqiao_store::testing::{TestDb, audit_record};
use fengqiao_store::{Backend, Submission};

const GROUP: &str = "410411001001001";

fn report(date: NaiveDate) -> DailyReport {
    let dispute = Dispute::new(DisputeDraft {
        local_id: "d1".into(),
        category: DisputeCategory::Neighbour,
        outcome: DisputeOutcome::Mediating,
        parties: 2,
        summary: "邻里噪音纠纷".into(),
        case_id: None,
        wage_arrears: None,
    })
    .unwrap();
    DailyReport::new(ReportDraft {
        unit_id: UnitId::parse(GROUP).unwrap(),
        date,
        revision: Revision::FIRST,
        reporter: "officer-1".into(),
        zero: false,
        disputes: vec![dispute],
        correction_reason: String::new(),
    })
    .unwrap()
}

async fn node_with(backend: Backend, months: Option<u32>) -> (TestDb, Node) {
    let db = TestDb::new(backend).await;
    // 2026-11-10 11:00 in Beijing.
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 10, 3, 0, 0).unwrap()));
    let tree = UnitTree::from_csv(fengqiao_store::testing::trees::CONFORMANCE).unwrap();
    let config = NodeConfig { raw_text_months: months, ..NodeConfig::new("410411") };
    let node = Node::start(config, &tree, db.open().await.unwrap(), clock).await.unwrap();
    let batch = [NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 11, 9).unwrap()]
        .into_iter()
        .map(|date| Submission {
            report: report(date),
            source: Source::Reporter,
            accepted_at: Utc.from_utc_datetime(&date.and_hms_opt(1, 0, 0).unwrap()),
            first_accepted_at: None,
            trace_parent: None,
            audit: audit_record("report"),
        })
        .collect();
    node.store().apply_reports(batch, false, &TimePolicy::default()).await.unwrap();
    (db, node)
}

async fn summary(node: &Node, date: NaiveDate) -> String {
    let unit = UnitId::parse(GROUP).unwrap();
    let stored = node.store().get_report(&unit, date, None).await.unwrap().unwrap();
    stored.report.disputes()[0].summary().to_owned()
}

async fn purges_past_the_configured_months(backend: Backend) {
    let (db, node) = node_with(backend, Some(12)).await;
    let purged = fengqiao_node::retention::purge_now(&node).await.unwrap();
    assert_eq!(purged, Purged { revisions: 1, texts_removed: 1 });
    assert_eq!(summary(&node, NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()).await, REMOVED_TEXT);
    assert_eq!(summary(&node, NaiveDate::from_ymd_opt(2026, 11, 9).unwrap()).await, "邻里噪音纠纷");
    let head = node.store().audit_head().await.unwrap().unwrap();
    assert_eq!((head.actor.as_str(), head.rpc.as_str()), ("node-internal:retention", "node/retention"));
    assert_eq!(head.target, "report text before 2025-11-10");
    assert_eq!(fengqiao_node::retention::purge_now(&node).await.unwrap(), Purged::default());
    node.store().close().await;
    db.cleanup().await;
}

async fn keeps_everything_for_ever_by_default(backend: Backend) {
    let (db, node) = node_with(backend, None).await;
    let before = node.store().audit_head().await.unwrap();
    assert_eq!(fengqiao_node::retention::purge_now(&node).await.unwrap(), Purged::default());
    assert_eq!(summary(&node, NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()).await, "邻里噪音纠纷");
    assert_eq!(node.store().audit_head().await.unwrap(), before, "nothing written");
    node.store().close().await;
    db.cleanup().await;
}

fengqiao_store::both_backends!(purges_past_the_configured_months, keeps_everything_for_ever_by_default);
