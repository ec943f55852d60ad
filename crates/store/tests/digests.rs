//! Reconciliation's digests on both backends: kept in the transactions that
//! store reports and case events, they always equal the digests computed
//! independently from what the store holds (and a rebuild); the items behind
//! a day's digests list exactly and page; items queued again for the parent
//! are queued once.
//!
//! The tree has a group that moved between townships on 2026-11-15: its
//! items count under the township it belonged to on their day.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use fengqiao_core::case::{Action, Case, CaseEvent, CaseId, Channel, Context, DeadlinePolicy, Intake};
use fengqiao_core::reconcile::{
    Digest, Digests, HeldCaseEvent, HeldReport, case_event_content_hash, case_event_item_hash,
    report_item_hash,
};
use fengqiao_core::report::ReportDraft;
use fengqiao_core::revision::Source;
use fengqiao_core::{DailyReport, DisputeCategory, IsoWeek, Revision, TimePolicy, UnitId, UnitTree};
use fengqiao_store::digest::basis;
use fengqiao_store::testing::TestDb;
use fengqiao_store::{
    Backend, CaseEventItem, DigestLevel, ListQuery, OutboxPayload, Requeued, Store, Submission,
};

const TREE: &str = fengqiao_store::testing::trees::CONFORMANCE_MOVED;

const DISTRICT: &str = "410411";
const TOWNSHIP_A: &str = "410411001";
const GROUP_1: &str = "410411001001001";
/// Under 马庄 until 2026-11-14, under 南环路 from 2026-11-15.
const MOVED: &str = "410411001001002";
const TOWNSHIP_B: &str = "410411002";
const GROUP_B: &str = "410411002001001";

/// The district node's roots: itself and its two township child nodes.
const ROOTS: [&str; 3] = [DISTRICT, TOWNSHIP_A, TOWNSHIP_B];

fn unit(id: &str) -> UnitId {
    UnitId::parse(id).unwrap()
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

fn morning(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 2, 0, 0).unwrap()
}

fn report(unit_id: &str, day: u32, revision: u32, note: &str) -> DailyReport {
    DailyReport::new(ReportDraft {
        unit_id: unit(unit_id),
        date: date(day),
        revision: Revision::new(revision).unwrap(),
        reporter: format!("officer-{note}"),
        zero: true,
        disputes: vec![],
        correction_reason: if revision > 1 { format!("recount {revision}") } else { String::new() },
    })
    .unwrap()
}

fn submission(report: DailyReport, source: Source) -> Submission {
    let at = morning(report.date().day0() + 1);
    let audit = fengqiao_store::testing::audit_record(format!("report {}", report.key()));
    Submission { report, source, accepted_at: at, first_accepted_at: Some(at), trace_parent: None, audit }
}

use chrono::Datelike;

fn context(day: u32) -> Context<'static> {
    Context {
        at: morning(day),
        on: date(day),
        actor: fengqiao_core::actor::Actor::Unverified { text: Some("officer-1".into()), on_behalf_of: None },
        note: String::new(),
        owner_parent: Some(unit(DISTRICT)),
        is_below_owner: &|_| true,
        policy: DeadlinePolicy::default(),
    }
}

/// A case registered at `origin` on `day` and accepted the day after.
fn case_log(id: &str, origin: &str, day: u32) -> Vec<CaseEvent> {
    let intake = Intake {
        origin_unit: unit(origin),
        category: DisputeCategory::Neighbour,
        channel: Channel::Letter,
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

async fn setup(backend: Backend) -> (TestDb, Arc<dyn Store>, UnitTree) {
    let db = TestDb::new(backend).await;
    let store = db.open().await.expect("test database opens");
    let tree = UnitTree::from_csv(TREE).unwrap();
    store.replace_units(&tree, fengqiao_store::testing::audit_record("tree")).await.unwrap();
    let roots: Vec<UnitId> = ROOTS.iter().map(|r| unit(r)).collect();
    assert!(store.ensure_digests(&basis(&tree, &roots), &roots).await.unwrap(), "first start builds");
    assert!(!store.ensure_digests(&basis(&tree, &roots), &roots).await.unwrap(), "then keeps");
    (db, store, tree)
}

/// The digests of every root per day, computed here from what the store
/// holds (heads through the listing, events through the cases) with the
/// in-memory tree — independently of the SQL fan-out.
async fn recomputed(
    store: &dyn Store,
    tree: &UnitTree,
    case_ids: &[&str],
) -> BTreeMap<(String, NaiveDate), Digests> {
    let mut out: BTreeMap<(String, NaiveDate), Digests> = BTreeMap::new();
    let query = ListQuery { root: unit(DISTRICT), from: date(1), to: date(30), after: None, limit: 10_000 };
    for stored in store.list_reports(&query).await.unwrap() {
        let report = &stored.report;
        let hash =
            report_item_hash(report.unit_id(), report.date(), report.revision(), &report.content_hash());
        for root in ROOTS {
            if tree.is_within_on(report.unit_id().as_str(), root, report.date()) {
                out.entry((root.to_owned(), report.date())).or_default().reports.insert(hash);
            }
        }
    }
    for id in case_ids {
        let stored = store.get_case(&CaseId::parse(id).unwrap()).await.unwrap().expect("case stored");
        for event in stored.events {
            let body = serde_json::to_string(&event).unwrap();
            let hash = case_event_item_hash(&event.case_id, event.seq, &case_event_content_hash(&body));
            for root in ROOTS {
                if tree.is_within_on(event.unit.as_str(), root, event.on) {
                    out.entry((root.to_owned(), event.on)).or_default().case_events.insert(hash);
                }
            }
        }
    }
    out
}

/// Every level of the stored digests equals `expected` (days), its weeks
/// and its total.
async fn assert_digests(store: &dyn Store, expected: &BTreeMap<(String, NaiveDate), Digests>, when: &str) {
    for root in ROOTS {
        let id = unit(root);
        let days: Vec<(NaiveDate, Digests)> =
            expected.iter().filter(|((r, _), _)| r == root).map(|((_, d), g)| (*d, *g)).collect();
        let stored = store.digests(DigestLevel::Day, &id, date(1), date(30), 1000).await.unwrap();
        let stored: Vec<_> = stored.into_iter().filter(|(_, d)| !d.is_empty()).collect();
        assert_eq!(stored, days, "{when}: days of {root}");
        let mut weeks: BTreeMap<NaiveDate, Digests> = BTreeMap::new();
        let mut total = Digests::default();
        for (day, digests) in &days {
            *weeks.entry(IsoWeek::of(*day).monday()).or_default() += *digests;
            total += *digests;
        }
        let stored = store.digests(DigestLevel::Week, &id, date(1) - Duration::days(7), date(30), 1000).await;
        let stored: Vec<_> = stored.unwrap().into_iter().filter(|(_, d)| !d.is_empty()).collect();
        assert_eq!(stored, weeks.into_iter().collect::<Vec<_>>(), "{when}: weeks of {root}");
        assert_eq!(store.digest_total(&id).await.unwrap(), total, "{when}: total of {root}");
    }
}

async fn digests_follow_every_write_and_equal_a_rebuild(backend: Backend) {
    let (db, store, tree) = setup(backend).await;
    let policy = TimePolicy::default();
    // New reports, corrections, a duplicate, a refused stale revision, an
    // uplink arrival out of order, and the moved group before and after
    // its move.
    let batches = vec![
        vec![
            submission(report(GROUP_1, 10, 1, "a"), Source::Reporter),
            submission(report(MOVED, 14, 1, "a"), Source::Reporter),
            submission(report(MOVED, 16, 1, "a"), Source::Reporter),
            submission(report(GROUP_B, 10, 1, "a"), Source::Reporter),
        ],
        vec![
            submission(report(GROUP_1, 10, 2, "b"), Source::Reporter),
            submission(report(GROUP_1, 10, 2, "b"), Source::Reporter),
            submission(report(GROUP_B, 10, 1, "a"), Source::Reporter),
            submission(report(GROUP_1, 11, 3, "c"), Source::Uplink),
        ],
        vec![
            submission(report(GROUP_1, 11, 2, "d"), Source::Uplink),
            submission(report(TOWNSHIP_A, 11, 1, "a"), Source::Reporter),
        ],
    ];
    let mut applied = 0;
    for batch in batches {
        applied +=
            store.apply_reports(batch, true, &policy).await.unwrap().iter().filter(|r| r.is_ok()).count();
        assert_digests(&*store, &recomputed(&*store, &tree, &[]).await, "after a batch of reports").await;
    }
    assert_eq!(applied, 9, "the stale revision is refused, the rest stand");
    // Case events: a case at group 1, one at the moved group after its
    // move; a resent event changes nothing.
    let mut events = case_log("C1", GROUP_1, 12);
    events.extend(case_log("C2", MOVED, 16));
    let items: Vec<CaseEventItem> = events
        .iter()
        .cloned()
        .map(|event| CaseEventItem {
            event,
            petitioner: None,
            audit: fengqiao_store::testing::audit_record("case event"),
        })
        .collect();
    store.apply_case_events(items[..3].to_vec(), false).await.unwrap();
    store.apply_case_events(items.clone(), false).await.unwrap();
    let expected = recomputed(&*store, &tree, &["C1", "C2"]).await;
    assert_digests(&*store, &expected, "after case events").await;
    let district =
        expected.iter().filter(|((r, _), _)| r == DISTRICT).fold(Digests::default(), |t, (_, d)| t + *d);
    assert_eq!((district.reports.items, district.case_events.items), (6, 4), "heads and events counted once");
    assert_eq!(
        expected[&(TOWNSHIP_B.to_owned(), date(16))].reports.items,
        1,
        "the moved group's report of the 16th counts under its new township"
    );
    assert!(
        !expected.contains_key(&(TOWNSHIP_B.to_owned(), date(14))),
        "and that of the 14th under the old one"
    );

    // A rebuild (another basis: one child node fewer, then back) gives the
    // same digests as the incremental upkeep.
    let two: Vec<UnitId> = [DISTRICT, TOWNSHIP_A].iter().map(|r| unit(r)).collect();
    assert!(store.ensure_digests(&basis(&tree, &two), &two).await.unwrap());
    assert!(store.digest_total(&unit(TOWNSHIP_B)).await.unwrap().is_empty(), "not a root any more");
    let roots: Vec<UnitId> = ROOTS.iter().map(|r| unit(r)).collect();
    assert!(store.ensure_digests(&basis(&tree, &roots), &roots).await.unwrap());
    assert_digests(&*store, &expected, "after a rebuild").await;
    // And the digests survive a restart.
    store.close().await;
    let store = db.open().await.unwrap();
    assert_digests(&*store, &expected, "after a restart").await;
    store.close().await;
    db.cleanup().await;
}

async fn held_items_list_a_day_exactly_and_page(backend: Backend) {
    let (db, store, _tree) = setup(backend).await;
    let policy = TimePolicy::default();
    let batch = vec![
        submission(report(GROUP_1, 14, 1, "a"), Source::Reporter),
        submission(report(MOVED, 14, 1, "a"), Source::Reporter),
        submission(report(TOWNSHIP_A, 14, 1, "a"), Source::Reporter),
        submission(report(GROUP_B, 14, 1, "a"), Source::Reporter),
        submission(report(GROUP_1, 15, 1, "a"), Source::Reporter),
    ];
    store.apply_reports(batch, true, &policy).await.unwrap();
    let events = case_log("C1", GROUP_1, 14);
    let items: Vec<CaseEventItem> = events
        .iter()
        .cloned()
        .map(|event| CaseEventItem {
            event,
            petitioner: None,
            audit: fengqiao_store::testing::audit_record("case event"),
        })
        .collect();
    store.apply_case_events(items, true).await.unwrap();
    let root = unit(TOWNSHIP_A);
    let all = store.held_reports(&root, date(14), None, 100).await.unwrap();
    let units: Vec<&str> = all.iter().map(|h| h.unit_id.as_str()).collect();
    assert_eq!(units, [TOWNSHIP_A, GROUP_1, MOVED], "the township's subtree on the 14th, by unit id");
    assert_eq!(all[1].content_hash, report(GROUP_1, 14, 1, "a").content_hash());
    let mut paged: Vec<HeldReport> = Vec::new();
    loop {
        let page = store.held_reports(&root, date(14), paged.last().map(|h| &h.unit_id), 1).await.unwrap();
        if page.is_empty() {
            break;
        }
        paged.extend(page);
    }
    assert_eq!(paged, all, "one at a time, the same");
    let events_14 = store.held_case_events(&root, date(14), None, 100).await.unwrap();
    assert_eq!(events_14.len(), 1, "the registration on the 14th (acceptance on the 15th)");
    assert_eq!(
        events_14[0].content_hash,
        case_event_content_hash(&serde_json::to_string(&events[0]).unwrap())
    );
    let after = store.held_case_events(&root, date(15), None, 100).await.unwrap();
    assert_eq!(after.iter().map(|e| e.seq).collect::<Vec<_>>(), [2]);
    assert!(store.held_case_events(&unit(TOWNSHIP_B), date(15), None, 100).await.unwrap().is_empty());
    // The day's digest is the digest of exactly those items.
    let digest = store.digests(DigestLevel::Day, &root, date(14), date(14), 10).await.unwrap();
    let listed = Digests {
        reports: Digest::of(all.iter().map(|h| h.item_hash(date(14)))),
        case_events: Digest::of(events_14.iter().map(HeldCaseEvent::item_hash)),
    };
    assert_eq!(digest, vec![(date(14), listed)]);
    store.close().await;
    db.cleanup().await;
}

async fn requeued_items_are_queued_once(backend: Backend) {
    let (db, store, _tree) = setup(backend).await;
    let policy = TimePolicy::default();
    // A node without a parent: nothing queued by the writes themselves.
    store
        .apply_reports(
            vec![
                submission(report(GROUP_1, 14, 1, "a"), Source::Reporter),
                submission(report(MOVED, 14, 1, "a"), Source::Reporter),
            ],
            false,
            &policy,
        )
        .await
        .unwrap();
    store
        .apply_reports(vec![submission(report(GROUP_1, 14, 2, "b"), Source::Reporter)], false, &policy)
        .await
        .unwrap();
    let events = case_log("C1", GROUP_1, 14);
    let items: Vec<CaseEventItem> = events
        .iter()
        .cloned()
        .map(|event| CaseEventItem {
            event,
            petitioner: None,
            audit: fengqiao_store::testing::audit_record("case event"),
        })
        .collect();
    store.apply_case_events(items, false).await.unwrap();
    assert_eq!(store.outbox_stats().await.unwrap().depth, 0);
    let root = unit(TOWNSHIP_A);
    let reports = store.held_reports(&root, date(14), None, 100).await.unwrap();
    let case_events = store.held_case_events(&root, date(14), None, 100).await.unwrap();
    let first = store.requeue(date(14), &reports, &case_events).await.unwrap();
    assert_eq!(first, Requeued { queued: 3, ..Requeued::default() });
    let again = store.requeue(date(14), &reports, &case_events).await.unwrap();
    assert_eq!(again, Requeued { already_queued: 3, ..Requeued::default() }, "already waiting: not twice");
    let queued = store.outbox_peek(10).await.unwrap();
    let keys: Vec<String> = queued
        .iter()
        .map(|item| match &item.payload {
            OutboxPayload::Report(stored) => {
                format!(
                    "{}@{} r{}",
                    stored.report.unit_id(),
                    stored.report.date(),
                    stored.report.revision().get()
                )
            }
            OutboxPayload::CaseEvent(event) => format!("{} #{}", event.case_id, event.seq),
            other => panic!("reconciliation queues reports and case events only, not {other:?}"),
        })
        .collect();
    assert_eq!(
        keys,
        [format!("{GROUP_1}@2026-11-14 r2"), format!("{MOVED}@2026-11-14 r1"), "C1 #1".to_owned()]
    );
    // Once acknowledged, the same items may be queued again (a later
    // exchange found the parent still lacking them) — except one the parent
    // refused and this node set aside: sent again, it would be refused again.
    let (refused, acknowledged) = (queued[1].id, [queued[0].id, queued[2].id]);
    store
        .outbox_ack(&acknowledged, &[], &[(refused, "dated in the future".to_owned())], morning(20))
        .await
        .unwrap();
    assert_eq!(
        store.requeue(date(14), &reports, &case_events).await.unwrap(),
        Requeued { queued: 2, set_aside: 1, ..Requeued::default() }
    );
    store.close().await;
    db.cleanup().await;
}

fengqiao_store::both_backends!(
    digests_follow_every_write_and_equal_a_rebuild,
    held_items_list_a_day_exactly_and_page,
    requeued_items_are_queued_once,
);
