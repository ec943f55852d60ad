//! Storage that lives for years, on both backends: reports of any month
//! land in their month's partition (PostgreSQL), and the retention policy
//! removes old free text while every figure, `verify`, a rebuild and the
//! duplicate check stay as they were.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fengqiao_core::report::{DisputeDraft, ReportDraft, WageArrearsDraft};
use fengqiao_core::revision::Source;
use fengqiao_core::{
    Applied, DailyReport, Dispute, DisputeCategory, DisputeOutcome, Revision, TimePolicy, UnitId, UnitTree,
    WageArrears,
};
use fengqiao_store::retention::{self, REMOVED_TEXT};
use fengqiao_store::rollup::verify;
use fengqiao_store::testing::{TestDb, audit_record};
use fengqiao_store::{Backend, Period, RollupRow, Store, Submission};

const GROUP_1: &str = "410411001001001";
const GROUP_2: &str = "410411001001002";

fn id(unit: &str) -> UnitId {
    UnitId::parse(unit).unwrap()
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(8, 0, 0).unwrap())
}

fn disputes(summary: &str) -> Vec<Dispute> {
    vec![
        Dispute::new(DisputeDraft {
            local_id: "w1".into(),
            category: DisputeCategory::WageArrears,
            outcome: DisputeOutcome::ResolvedOnTheSpot,
            parties: 3,
            summary: summary.into(),
            case_id: None,
            wage_arrears: Some(
                WageArrears::new(WageArrearsDraft {
                    employer: "平顶山建工".into(),
                    workers: 4,
                    amount_claimed_cents: 900_000,
                    amount_recovered_cents: 300_000,
                })
                .unwrap(),
            ),
        })
        .unwrap(),
        Dispute::new(DisputeDraft {
            local_id: "n1".into(),
            category: DisputeCategory::Neighbour,
            outcome: DisputeOutcome::Mediating,
            parties: 2,
            summary: "围墙占地".into(),
            case_id: None,
            wage_arrears: None,
        })
        .unwrap(),
    ]
}

fn report(unit: &str, date: NaiveDate, revision: u32, disputes: Vec<Dispute>) -> DailyReport {
    DailyReport::new(ReportDraft {
        unit_id: id(unit),
        date,
        revision: Revision::new(revision).unwrap(),
        reporter: "officer-1".into(),
        zero: disputes.is_empty(),
        disputes,
        correction_reason: if revision > 1 { "补录工资数额".into() } else { String::new() },
    })
    .unwrap()
}

fn submission(report: DailyReport, source: Source) -> Submission {
    let accepted_at = at(report.key().date);
    let audit = audit_record(format!("report {}", report.key()));
    Submission { report, source, accepted_at, first_accepted_at: None, trace_parent: None, audit }
}

async fn apply(store: &dyn Store, batch: Vec<DailyReport>, source: Source, forward: bool) -> Vec<Applied> {
    let batch = batch.into_iter().map(|r| submission(r, source)).collect();
    store
        .apply_reports(batch, forward, &TimePolicy::default())
        .await
        .expect("store works")
        .into_iter()
        .map(|r| r.expect("accepted").applied)
        .collect()
}

async fn setup(backend: Backend) -> (TestDb, Arc<dyn Store>, UnitTree) {
    let db = TestDb::new(backend).await;
    let store = db.open().await.expect("test database opens");
    let tree = UnitTree::from_csv(fengqiao_store::testing::trees::CONFORMANCE).unwrap();
    store.replace_units(&tree, audit_record("tree")).await.expect("tree stored");
    (db, store, tree)
}

/// Every day and week rollup of every unit, as stored.
async fn snapshot(store: &dyn Store, tree: &UnitTree) -> (Vec<RollupRow>, Vec<RollupRow>, u64) {
    let units: Vec<UnitId> = tree.units().iter().map(|u| u.id.clone()).collect();
    let (from, to) = (ymd(2015, 1, 1), ymd(2035, 1, 1));
    (
        store.rollups(Period::Day, &units, from, to).await.unwrap(),
        store.rollups(Period::Week, &units, from, to).await.unwrap(),
        store.distinct_employers(&id("410411"), from, to).await.unwrap(),
    )
}

async fn assert_verified(store: &dyn Store, tree: &UnitTree) {
    let verification = verify(store, tree, &TimePolicy::default()).await.unwrap();
    assert!(verification.differences.is_empty(), "{:#?}", verification.differences);
    assert!(verification.reports > 0);
}

/// Where each stored revision and head lives (PostgreSQL: its partition).
async fn placement(db: &TestDb) -> Vec<(String, String)> {
    let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT tableoid::regclass::text, report_date::text FROM report_revisions \
         UNION ALL SELECT tableoid::regclass::text, report_date::text FROM reports ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows
}

async fn partitions_made_on_demand(backend: Backend) {
    let (db, store, _) = setup(backend).await;
    // Reports may be dated years back (a village late to the system) and
    // into months no partition existed for when the node started.
    let days = [ymd(2019, 3, 10), ymd(2026, 11, 2), ymd(2031, 5, 31)];
    let batch = days.iter().map(|&d| report(GROUP_1, d, 1, disputes("欠薪"))).collect();
    assert_eq!(apply(&*store, batch, Source::Reporter, false).await, vec![Applied::New; 3]);
    for day in days {
        assert!(store.get_report(&id(GROUP_1), day, None).await.unwrap().is_some(), "{day}");
    }
    if backend == Backend::Postgres {
        let mut expected = Vec::new();
        for table in ["report_revisions", "reports"] {
            for day in ["2019-03-10", "2026-11-02", "2031-05-31"] {
                expected.push((format!("{table}_{}", &day[..7].replace('-', "_")), day.to_owned()));
            }
        }
        expected.sort();
        assert_eq!(placement(&db).await, expected, "every row in its month's partition, none in DEFAULT");

        // A row that reached a DEFAULT partition (a month without one) moves
        // into its month's partition when the store makes it.
        let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
        sqlx::query(
            "INSERT INTO reports (unit_id, report_date, revision, content_hash, accepted_at, first_accepted_at) \
             VALUES ($1, '2018-07-04', 1, '\\x00', now(), now())",
        )
        .bind(GROUP_2)
        .execute(&pool)
        .await
        .unwrap();
        let default: String = sqlx::query_scalar(
            "SELECT tableoid::regclass::text FROM reports WHERE report_date = '2018-07-04'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(default, "reports_default");
        sqlx::query("DELETE FROM reports WHERE report_date = '2018-07-04'").execute(&pool).await.unwrap();
        sqlx::query(
            "INSERT INTO report_revisions (unit_id, report_date, revision, reporter, zero, dispute_count, \
             disputes, content_hash, accepted_at) VALUES ($1, '2018-07-04', 9, 'x', true, 0, '[]', '\\x00', now())",
        )
        .bind(GROUP_2)
        .execute(&pool)
        .await
        .unwrap();
        // A store opened afresh knows no month yet: it makes 2018-07's.
        let reopened = db.open().await.unwrap();
        let batch = vec![report(GROUP_1, ymd(2018, 7, 4), 1, Vec::new())];
        assert_eq!(apply(&*reopened, batch, Source::Reporter, false).await, vec![Applied::New]);
        let moved: Vec<String> = sqlx::query_scalar(
            "SELECT tableoid::regclass::text FROM report_revisions WHERE report_date = '2018-07-04' ORDER BY 1",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(moved, vec!["report_revisions_2018_07"; 2]);
        let in_default: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM report_revisions_default) + (SELECT COUNT(*) FROM reports_default)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(in_default, 0);
        pool.close().await;
        reopened.close().await;
    }
    store.close().await;
    db.cleanup().await;
}

async fn purge_strips_text_and_keeps_every_figure(backend: Backend) {
    let (db, store, tree) = setup(backend).await;
    let (old, recent) = (ymd(2023, 4, 11), ymd(2026, 11, 2));
    let first = report(GROUP_1, old, 1, disputes("工地欠薪三个月"));
    let corrected = report(GROUP_1, old, 2, disputes("工地欠薪三个月，已部分追回"));
    apply(&*store, vec![first, corrected.clone()], Source::Reporter, false).await;
    apply(&*store, vec![report(GROUP_2, old, 1, Vec::new())], Source::Reporter, false).await;
    apply(&*store, vec![report(GROUP_1, recent, 1, disputes("新的欠薪"))], Source::Reporter, false).await;
    let before = snapshot(&*store, &tree).await;
    assert_verified(&*store, &tree).await;

    // Keep for ever (the default): nothing happens.
    let today = ymd(2026, 12, 6);
    let kept = retention::run(&*store, None, today, at(today), audit_record("retention")).await.unwrap();
    assert_eq!(kept, retention::Purged::default());
    assert_eq!(store.text_purged_at(&id(GROUP_1), old, Revision::new(2).unwrap()).await.unwrap(), None);

    // 24 months: the 2023 revisions (two of GROUP_1, GROUP_2's zero report).
    let purged =
        retention::run(&*store, Some(24), today, at(today), audit_record("retention")).await.unwrap();
    assert_eq!(purged, retention::Purged { revisions: 3, texts_removed: 2 });

    let head = store.get_report(&id(GROUP_1), old, None).await.unwrap().unwrap().report;
    assert_eq!(head.revision().get(), 2);
    for dispute in head.disputes() {
        assert_eq!(dispute.summary(), REMOVED_TEXT, "the reader sees the text is gone");
    }
    assert_eq!(head.correction_reason(), Some(REMOVED_TEXT));
    let wage = head.disputes()[0].wage_arrears().unwrap();
    assert_eq!((wage.employer(), wage.workers(), wage.amount_recovered_cents()), ("平顶山建工", 4, 300_000));
    assert_eq!(head.disputes()[0].parties(), 3);
    let first = store.get_report(&id(GROUP_1), old, Some(Revision::FIRST)).await.unwrap().unwrap().report;
    assert_eq!(first.disputes()[0].summary(), REMOVED_TEXT);
    for revision in [1, 2] {
        let mark = store.text_purged_at(&id(GROUP_1), old, Revision::new(revision).unwrap()).await.unwrap();
        assert_eq!(mark, Some(at(today)), "revision {revision} marked");
    }
    let zero = store.text_purged_at(&id(GROUP_2), old, Revision::FIRST).await.unwrap();
    assert_eq!(zero, Some(at(today)), "a zero report is marked too (nothing to remove)");
    let young = store.get_report(&id(GROUP_1), recent, None).await.unwrap().unwrap().report;
    assert_eq!(young.disputes()[0].summary(), "新的欠薪");
    assert_eq!(store.text_purged_at(&id(GROUP_1), recent, Revision::FIRST).await.unwrap(), None);

    // Rollups untouched, verify clean, and a rebuild from the purged
    // reports gives the same figures (employers included).
    assert_eq!(snapshot(&*store, &tree).await, before);
    assert_verified(&*store, &tree).await;
    store.rebuild_rollups(&TimePolicy::default()).await.unwrap();
    assert_eq!(snapshot(&*store, &tree).await, before);

    // Idempotent: a second run purges nothing more.
    let again = retention::run(&*store, Some(24), today, at(today), audit_record("retention")).await.unwrap();
    assert_eq!(again, retention::Purged::default());

    // The original revision resent (a child's retry, a reporter's client):
    // still a duplicate of what was stored, not a conflict.
    assert_eq!(
        apply(&*store, vec![corrected.clone()], Source::Uplink, false).await,
        vec![Applied::Duplicate]
    );
    assert_eq!(apply(&*store, vec![corrected], Source::Reporter, false).await, vec![Applied::Duplicate]);
    // A correction of a purged report replaces its figures exactly.
    let third = report(GROUP_1, old, 3, disputes("再次更正").into_iter().take(1).collect());
    assert_eq!(
        apply(&*store, vec![third], Source::Reporter, false).await,
        vec![Applied::Correction { replaced: Revision::new(2).unwrap() }]
    );
    assert_verified(&*store, &tree).await;
    store.close().await;
    db.cleanup().await;
}

async fn purge_leaves_the_outbox_alone(backend: Backend) {
    let (db, store, _) = setup(backend).await;
    let old = ymd(2023, 4, 11);
    apply(&*store, vec![report(GROUP_1, old, 1, disputes("待上报"))], Source::Reporter, true).await;
    let today = ymd(2026, 12, 6);
    let purged = retention::run(&*store, Some(1), today, at(today), audit_record("retention")).await.unwrap();
    assert_eq!(purged.revisions, 0, "a revision waiting for the parent keeps what was sent");
    let queued = store.outbox_peek(10).await.unwrap();
    assert_eq!(queued.len(), 1);
    match &queued[0].payload {
        fengqiao_store::OutboxPayload::Report(stored) => {
            assert_eq!(stored.report.disputes()[0].summary(), "待上报")
        }
        other => panic!("{other:?}"),
    }
    store.outbox_ack(&[queued[0].id], &[], &[], at(today)).await.unwrap();
    let purged = retention::run(&*store, Some(1), today, at(today), audit_record("retention")).await.unwrap();
    assert_eq!(purged, retention::Purged { revisions: 1, texts_removed: 1 });
    store.close().await;
    db.cleanup().await;
}

fengqiao_store::both_backends!(
    partitions_made_on_demand,
    purge_strips_text_and_keeps_every_figure,
    purge_leaves_the_outbox_alone,
);
