//! One conformance suite, run against both backends: every test below is
//! instantiated once for SQLite and once for PostgreSQL, each with its own
//! database (a temporary file or a fresh schema).

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use fengqiao_core::report::{DisputeDraft, ReportDraft, WageArrearsDraft};
use fengqiao_core::revision::Source;
use fengqiao_core::{
    Applied, DailyReport, Dispute, DisputeCategory, DisputeOutcome, DomainError, Revision, StoredReport,
    TimePolicy, UnitId, UnitTree, WageArrears,
};
use fengqiao_store::committer::{CommitterConfig, GroupCommitter};
use fengqiao_store::testing::{TestDb, audit_record};
use fengqiao_store::{Backend, ListQuery, OutboxPayload, Store, Submission};

const TREE: &str = fengqiao_store::testing::trees::CONFORMANCE;

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, hour, 0, 0).unwrap()
}

fn wage_dispute(local_id: &str, recovered: i64) -> Dispute {
    Dispute::new(DisputeDraft {
        local_id: local_id.into(),
        category: DisputeCategory::WageArrears,
        outcome: DisputeOutcome::ResolvedOnTheSpot,
        parties: 2,
        summary: "site wages unpaid since autumn".into(),
        case_id: None,
        wage_arrears: Some(
            WageArrears::new(WageArrearsDraft {
                employer: "平顶山某建筑公司".into(),
                workers: 9,
                amount_claimed_cents: 5_000_000,
                amount_recovered_cents: recovered,
            })
            .unwrap(),
        ),
    })
    .unwrap()
}

fn report(unit: &str, day: u32, revision: u32, disputes: Vec<Dispute>) -> DailyReport {
    DailyReport::new(ReportDraft {
        unit_id: UnitId::parse(unit).unwrap(),
        date: date(day),
        revision: Revision::new(revision).unwrap(),
        reporter: "officer-1".into(),
        zero: disputes.is_empty(),
        disputes,
        correction_reason: if revision > 1 { format!("correction {revision}") } else { String::new() },
    })
    .unwrap()
}

fn submission(report: DailyReport, accepted_at: DateTime<Utc>) -> Submission {
    let audit = audit_record(format!("report {}", report.key()));
    Submission {
        report,
        source: Source::Reporter,
        accepted_at,
        first_accepted_at: None,
        trace_parent: None,
        audit,
    }
}

async fn apply_one(store: &dyn Store, s: Submission) -> Result<fengqiao_store::Outcome, DomainError> {
    let mut results = store.apply_reports(vec![s], false, &TimePolicy::default()).await.expect("store works");
    results.remove(0)
}

async fn setup(backend: Backend) -> (TestDb, Arc<dyn Store>) {
    let db = TestDb::new(backend).await;
    let store = db.open().await.expect("test database opens");
    assert!(store.load_units().await.unwrap().is_none(), "a new database holds no tree");
    store.replace_units(&UnitTree::from_csv(TREE).unwrap(), audit_record("tree")).await.expect("tree stored");
    (db, store)
}

async fn revision_rules(backend: Backend) {
    let (db, store) = setup(backend).await;
    let unit = "410411001001001";
    let first = report(unit, 27, 1, vec![]);
    let outcome = apply_one(&*store, submission(first.clone(), at(8))).await.unwrap();
    assert_eq!(outcome.applied, Applied::New);
    assert_eq!(outcome.first_accepted_at, at(8));

    let again = apply_one(&*store, submission(first.clone(), at(9))).await.unwrap();
    assert_eq!(again.applied, Applied::Duplicate);
    assert_eq!(again.accepted_at, at(8), "a duplicate keeps the stored acceptance time");

    let conflicting = report(unit, 27, 1, vec![wage_dispute("w1", 0)]);
    assert_eq!(
        apply_one(&*store, submission(conflicting, at(9))).await,
        Err(DomainError::RevisionConflict { revision: Revision::FIRST })
    );

    let correction = report(unit, 27, 3, vec![wage_dispute("w1", 1_000)]);
    let corrected = apply_one(&*store, submission(correction.clone(), at(20))).await.unwrap();
    assert_eq!(corrected.applied, Applied::Correction { replaced: Revision::FIRST });
    assert_eq!(corrected.first_accepted_at, at(8), "timeliness stays with the first revision");

    let stale = report(unit, 27, 2, vec![]);
    assert_eq!(
        apply_one(&*store, submission(stale, at(21))).await,
        Err(DomainError::StaleRevision {
            submitted: Revision::new(2).unwrap(),
            current: Revision::new(3).unwrap()
        })
    );

    let late_first = report(unit, 26, 2, vec![]);
    assert_eq!(
        apply_one(&*store, submission(late_first, at(21))).await,
        Err(DomainError::FirstRevisionNotOne { submitted: Revision::new(2).unwrap() })
    );

    let id = UnitId::parse(unit).unwrap();
    let current = store.get_report(&id, date(27), None).await.unwrap().unwrap();
    assert_eq!(current.report, correction);
    assert_eq!(current.accepted_at, at(20));
    assert_eq!(current.first_accepted_at, at(8));
    let old = store.get_report(&id, date(27), Some(Revision::FIRST)).await.unwrap().unwrap();
    assert_eq!(old.report, first);
    assert!(store.get_report(&id, date(27), Some(Revision::new(2).unwrap())).await.unwrap().is_none());
    assert!(store.get_report(&id, date(26), None).await.unwrap().is_none());

    let history = store.report_history(&id, date(27)).await.unwrap();
    let revisions: Vec<u32> = history.iter().map(|h| h.revision.get()).collect();
    assert_eq!(revisions, [1, 3]);
    assert!(history[0].zero);
    assert_eq!(history[1].dispute_count, 1);
    assert_eq!(history[1].correction_reason.as_deref(), Some("correction 3"));
    assert_eq!(store.count_reports().await.unwrap(), 1);
    db.cleanup().await;
}

async fn batches_apply_in_order(backend: Backend) {
    let (db, store) = setup(backend).await;
    let a = "410411001001001";
    let b = "410411002001001";
    let batch = vec![
        submission(report(a, 27, 1, vec![]), at(1)),
        submission(report(a, 27, 1, vec![]), at(2)),
        submission(report(a, 27, 2, vec![wage_dispute("x", 5)]), at(3)),
        submission(report(a, 27, 1, vec![]), at(4)),
        submission(report(b, 27, 1, vec![wage_dispute("y", 0)]), at(5)),
        submission(report(b, 27, 1, vec![]), at(6)),
    ];
    let results = store.apply_reports(batch, false, &TimePolicy::default()).await.unwrap();
    let kinds: Vec<String> = results
        .iter()
        .map(|r| match r {
            Ok(o) => format!("{:?}", o.applied),
            Err(e) => format!("{e:?}").split_whitespace().next().unwrap().to_owned(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "New",
            "Duplicate",
            "Correction { replaced: Revision(1) }",
            "StaleRevision",
            "New",
            "RevisionConflict"
        ]
    );
    let stored = store.get_report(&UnitId::parse(a).unwrap(), date(27), None).await.unwrap().unwrap();
    assert_eq!(stored.report.revision().get(), 2);
    assert_eq!(stored.first_accepted_at, at(1));
    assert_eq!(store.report_history(&UnitId::parse(a).unwrap(), date(27)).await.unwrap().len(), 2);
    assert_eq!(store.count_reports().await.unwrap(), 2);
    db.cleanup().await;
}

async fn uplink_takes_revisions_in_any_order(backend: Backend) {
    let (db, store) = setup(backend).await;
    let unit = "410411001001002";
    let origin_first = at(7);
    let forwarded = |r: DailyReport| Submission {
        audit: audit_record(format!("report {}", r.key())),
        report: r,
        source: Source::Uplink,
        accepted_at: at(12),
        first_accepted_at: Some(origin_first),
        trace_parent: None,
    };
    let second = apply_one(&*store, forwarded(report(unit, 27, 2, vec![]))).await.unwrap();
    assert_eq!(second.applied, Applied::New);
    assert_eq!(second.first_accepted_at, origin_first, "the origin's clock travels with the report");
    assert!(matches!(
        apply_one(&*store, forwarded(report(unit, 27, 1, vec![]))).await,
        Err(DomainError::StaleRevision { .. })
    ));
    db.cleanup().await;
}

/// A forwarded revision of a report already held may not claim an earlier
/// first acceptance than the one held: that would back-date the report to
/// count as on time. Refused item by item; the head stays.
async fn a_forwarded_revision_cannot_back_date_the_first_acceptance(backend: Backend) {
    let (db, store) = setup(backend).await;
    let unit = "410411001001002";
    let forwarded = |r: DailyReport, accepted: DateTime<Utc>, first: DateTime<Utc>| Submission {
        report: r,
        source: Source::Uplink,
        accepted_at: accepted,
        first_accepted_at: Some(first),
        trace_parent: None,
        audit: audit_record("report"),
    };
    let late = at(12);
    let first = apply_one(&*store, forwarded(report(unit, 27, 1, vec![]), late, late)).await.unwrap();
    assert_eq!(first.first_accepted_at, late);
    let back_dated = apply_one(&*store, forwarded(report(unit, 27, 2, vec![]), at(13), at(7))).await;
    assert!(
        matches!(&back_dated, Err(DomainError::Invalid { field, .. }) if field == "first_accepted_at"),
        "{back_dated:?}"
    );
    let head = store.get_report(&UnitId::parse(unit).unwrap(), date(27), None).await.unwrap().unwrap();
    assert_eq!((head.report.revision(), head.first_accepted_at), (Revision::FIRST, late));
    // The same correction with the first acceptance held here is applied.
    let corrected = apply_one(&*store, forwarded(report(unit, 27, 2, vec![]), at(13), late)).await.unwrap();
    assert_eq!(corrected.applied, Applied::Correction { replaced: Revision::FIRST });
    db.cleanup().await;
}

/// Items the parent refused leave the outbox for `uplink_set_aside`, with
/// the reason and the time, in the same transaction as the acknowledged ones.
async fn refused_items_are_set_aside(backend: Backend) {
    let (db, store) = setup(backend).await;
    let batch = (1..=3).map(|n| submission(report("410411001001001", 20 + n, 1, vec![]), at(n))).collect();
    store.apply_reports(batch, true, &TimePolicy::default()).await.unwrap();
    let items = store.outbox_peek(10).await.unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(store.set_aside(10).await.unwrap(), (0, vec![]));
    let reason = "items[1].report.date: 2026-11-22 is after today (2026-11-21)".to_owned();
    store.outbox_ack(&[items[0].id], &[], &[(items[1].id, reason.clone())], at(9)).await.unwrap();
    let left = store.outbox_peek(10).await.unwrap();
    assert_eq!(left.iter().map(|i| i.id).collect::<Vec<_>>(), [items[2].id], "the rest flows");
    let (count, rows) = store.set_aside(10).await.unwrap();
    assert_eq!(count, 1);
    assert_eq!(
        rows,
        [fengqiao_store::SetAsideRow {
            outbox_id: items[1].id,
            kind: "report".into(),
            unit_id: "410411001001001".into(),
            item_date: date(22),
            revision: 1,
            detail: reason.clone(),
            set_aside_at: at(9),
        }]
    );
    // A resent answer changes nothing; the set-aside item survives a restart.
    store.outbox_ack(&[items[0].id], &[], &[(items[1].id, reason)], at(10)).await.unwrap();
    store.close().await;
    let store = db.open().await.unwrap();
    assert_eq!(store.set_aside(10).await.unwrap().0, 1);
    assert_eq!(store.outbox_stats().await.unwrap().depth, 1);
    db.cleanup().await;
}

async fn lists_a_subtree_page_by_page(backend: Backend) {
    let (db, store) = setup(backend).await;
    let units = ["410411001001001", "410411001001002", "410411002001001"];
    let mut batch = Vec::new();
    for day in 20..=24 {
        for unit in units {
            batch.push(submission(report(unit, day, 1, vec![]), at(3)));
        }
    }
    store.apply_reports(batch, false, &TimePolicy::default()).await.unwrap();
    let mut query = ListQuery {
        root: UnitId::parse("410411001").unwrap(),
        from: date(21),
        to: date(23),
        after: None,
        limit: 4,
    };
    let mut seen = Vec::new();
    loop {
        let page = store.list_reports(&query).await.unwrap();
        if page.is_empty() {
            break;
        }
        let last = page.last().unwrap().report.key();
        seen.extend(page.iter().map(|r| (r.report.date().to_string(), r.report.unit_id().to_string())));
        query.after = Some((last.date, last.unit_id));
    }
    let expected: Vec<(String, String)> = (21..=23)
        .flat_map(|d| units[..2].iter().map(move |u| (date(d).to_string(), (*u).to_owned())))
        .collect();
    assert_eq!(seen, expected, "only the township's subtree, in (date, unit) order, no gaps or repeats");
    let whole = ListQuery {
        root: UnitId::parse("410411").unwrap(),
        from: date(20),
        to: date(24),
        after: None,
        limit: 100,
    };
    assert_eq!(store.list_reports(&whole).await.unwrap().len(), 15);
    let leaf = ListQuery { root: UnitId::parse("410411002001001").unwrap(), ..whole };
    assert_eq!(store.list_reports(&leaf).await.unwrap().len(), 5);
    db.cleanup().await;
}

async fn committed_reports_survive_a_restart(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.open().await.unwrap();
    store.replace_units(&UnitTree::from_csv(TREE).unwrap(), audit_record("tree")).await.unwrap();
    let committer = GroupCommitter::spawn(Arc::clone(&store), CommitterConfig::default());
    let mut acked = Vec::new();
    let tasks: Vec<_> = (1..=25)
        .map(|day| {
            let committer = committer.clone();
            tokio::spawn(async move {
                let r = report("410411001001001", day, 1, vec![wage_dispute("w", i64::from(day))]);
                committer
                    .submit(submission(r.clone(), at(1) + Duration::minutes(i64::from(day))))
                    .await
                    .map(|_| r)
            })
        })
        .collect();
    for task in tasks {
        acked.push(task.await.unwrap().expect("accepted"));
    }
    drop(committer);
    store.close().await;
    drop(store);

    let reopened = db.open().await.unwrap();
    assert_eq!(reopened.count_reports().await.unwrap(), 25);
    for r in &acked {
        let stored = reopened
            .get_report(r.unit_id(), r.date(), None)
            .await
            .unwrap()
            .expect("acknowledged report kept");
        assert_eq!(&stored.report, r);
    }
    db.cleanup().await;
}

async fn group_commit_answers_every_caller(backend: Backend) {
    let (db, store) = setup(backend).await;
    let committer = GroupCommitter::spawn(
        Arc::clone(&store),
        CommitterConfig { max_batch: 16, queue: 1024, writers: 3, ..CommitterConfig::default() },
    );
    let units = ["410411001001001", "410411001001002", "410411002001001"];
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let committer = committer.clone();
            let unit = units[i % 3];
            let day = 1 + (i / 3 % 25) as u32;
            tokio::spawn(
                async move { committer.submit(submission(report(unit, day, 1, vec![]), at(2))).await },
            )
        })
        .collect();
    let mut new = 0;
    let mut duplicate = 0;
    for task in tasks {
        match task.await.unwrap().unwrap().applied {
            Applied::New => new += 1,
            Applied::Duplicate => duplicate += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((new, duplicate), (75, 225));
    assert_eq!(store.count_reports().await.unwrap(), 75);
    db.cleanup().await;
}

async fn replacing_the_tree_is_idempotent(backend: Backend) {
    let (db, store) = setup(backend).await;
    let tree = UnitTree::from_csv(TREE).unwrap();
    let loaded = store.load_units().await.unwrap().expect("a tree is stored");
    assert_eq!(loaded.to_csv(), tree.to_csv(), "the stored tree reads back as it was written");
    store.replace_units(&tree, audit_record("tree")).await.unwrap();
    store
        .apply_reports(
            vec![submission(report("410411002001001", 27, 1, vec![]), at(1))],
            false,
            &TimePolicy::default(),
        )
        .await
        .unwrap();
    let query = ListQuery {
        root: UnitId::parse("410411002").unwrap(),
        from: date(27),
        to: date(27),
        after: None,
        limit: 10,
    };
    assert_eq!(store.list_reports(&query).await.unwrap().len(), 1);
    db.cleanup().await;
}

async fn outbox_holds_what_was_stored_until_acknowledged(backend: Backend) {
    let (db, store) = setup(backend).await;
    let unit = "410411001001001";
    let first = report(unit, 27, 1, vec![]);
    let second = report(unit, 27, 2, vec![wage_dispute("w", 10)]);
    let batch = vec![
        submission(first.clone(), at(1)),
        submission(first.clone(), at(2)),
        submission(second.clone(), at(3)),
        submission(report(unit, 27, 1, vec![]), at(4)),
    ];
    store.apply_reports(batch, true, &TimePolicy::default()).await.unwrap();
    // Not forwarded: nothing queued.
    store
        .apply_reports(
            vec![submission(report("410411002001001", 27, 1, vec![]), at(5))],
            false,
            &TimePolicy::default(),
        )
        .await
        .unwrap();

    let stats = store.outbox_stats().await.unwrap();
    assert_eq!(stats.depth, 2, "the new revision and the correction; not the duplicate or the stale one");
    assert_eq!(stats.oldest, Some(at(1)));
    let items = store.outbox_peek(10).await.unwrap();
    assert_eq!(items.len(), 2);
    assert!(items[0].id < items[1].id);
    let reports: Vec<&StoredReport> = items
        .iter()
        .map(|item| match &item.payload {
            OutboxPayload::Report(stored) => stored,
            other => panic!("a report was queued, not {other:?}"),
        })
        .collect();
    assert_eq!(reports[0].report, first);
    assert_eq!(reports[1].report, second);
    assert_eq!(reports[1].accepted_at, at(3));
    assert_eq!(reports[1].first_accepted_at, at(1));
    assert_eq!(store.outbox_peek(1).await.unwrap().len(), 1);

    // The queue survives a restart.
    store.close().await;
    let store = db.open().await.unwrap();
    assert_eq!(store.outbox_stats().await.unwrap().depth, 2);

    store
        .outbox_ack(&[items[0].id], &[(items[1].id, "conflict at parent".into())], &[], at(9))
        .await
        .unwrap();
    assert_eq!(store.outbox_stats().await.unwrap(), fengqiao_store::OutboxStats { depth: 0, oldest: None });
    assert!(store.outbox_peek(10).await.unwrap().is_empty());
    // Acknowledging again (a resent answer) is harmless.
    store.outbox_ack(&[items[0].id], &[], &[], at(9)).await.unwrap();
    db.cleanup().await;
}

/// Each outbox entry keeps the trace context its revision was accepted
/// under, entry by entry within one batch, across a restart.
async fn outbox_keeps_each_entrys_trace_context(backend: Backend) {
    let (db, store) = setup(backend).await;
    let traced = |unit: &str, trace_parent: Option<&str>| Submission {
        trace_parent: trace_parent.map(str::to_owned),
        ..submission(report(unit, 27, 1, vec![]), at(1))
    };
    let first = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let third = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    let batch = vec![
        traced("410411001001001", Some(first)),
        traced("410411001001002", None),
        traced("410411002001001", Some(third)),
        // A duplicate queues nothing, whatever its context.
        traced("410411001001001", Some(third)),
    ];
    store.apply_reports(batch, true, &TimePolicy::default()).await.unwrap();
    store.close().await;
    let store = db.open().await.unwrap();
    let contexts: Vec<Option<String>> =
        store.outbox_peek(10).await.unwrap().into_iter().map(|item| item.trace_parent).collect();
    assert_eq!(contexts, [Some(first.to_owned()), None, Some(third.to_owned())]);
    db.cleanup().await;
}

async fn downlink_log_meta_and_notices(backend: Backend) {
    let (db, store) = setup(backend).await;
    let id = |u: &str| UnitId::parse(u).unwrap();
    assert_eq!(store.downlink_head().await.unwrap(), 0);
    let first = store.append_downlink(&id("410411001001"), b"one", at(1), audit_record("one")).await.unwrap();
    let second =
        store.append_downlink(&id("410411002001"), b"two", at(2), audit_record("two")).await.unwrap();
    let third =
        store.append_downlink(&id("410411001001002"), b"three", at(3), audit_record("three")).await.unwrap();
    assert!(first < second && second < third);
    assert_eq!(store.downlink_head().await.unwrap(), third);
    let township = store.read_downlink(&id("410411001"), 0, 10).await.unwrap();
    let bodies: Vec<&[u8]> = township.iter().map(|e| e.body.as_slice()).collect();
    assert_eq!(bodies, [b"one".as_slice(), b"three".as_slice()], "only its subtree, in order");
    assert_eq!(township[1].created_at, at(3));
    let resumed = store.read_downlink(&id("410411001"), first, 10).await.unwrap();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].sequence, third);
    assert_eq!(store.read_downlink(&id("410411001"), 0, 1).await.unwrap().len(), 1);

    assert_eq!(store.get_meta("cursor").await.unwrap(), None);
    store.set_meta("cursor", "7").await.unwrap();
    store.set_meta("cursor", "9").await.unwrap();
    assert_eq!(store.get_meta("cursor").await.unwrap().as_deref(), Some("9"));

    let notice = fengqiao_store::NoticeRow {
        notice_id: "410411-1".into(),
        target_unit_id: "410411001001".into(),
        from_unit_id: "410411".into(),
        text: "please report the wage cases of the construction site by Friday".into(),
        created_at: at(4),
        sender: Some(fengqiao_core::actor::Actor::Person {
            unit: id("410411"),
            role: fengqiao_core::identity::Role::Admin,
            id: "adm-1".into(),
            name: Some(fengqiao_core::actor::DisplayName::parse_field("区信访局", "name").unwrap()),
            on_behalf_of: None,
            department: None,
        }),
    };
    assert!(store.insert_notice(&notice, audit_record("notice")).await.unwrap());
    assert!(
        !store.insert_notice(&notice, audit_record("notice")).await.unwrap(),
        "a replayed notice changes nothing"
    );
    assert_eq!(
        store.list_notices(&id("410411001001"), None, 10).await.unwrap(),
        std::slice::from_ref(&notice)
    );
    assert!(store.list_notices(&id("410411002001"), None, 10).await.unwrap().is_empty());
    // Pages by (time, id): two more at the same instant, one later.
    let more = |id: &str, hour| fengqiao_store::NoticeRow {
        notice_id: id.into(),
        created_at: at(hour),
        ..notice.clone()
    };
    for row in [more("410411-3", 4), more("410411-2", 4), more("410411-0", 5)] {
        store.insert_notice(&row, audit_record("notice")).await.unwrap();
    }
    let unit = id("410411001001");
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_notices(&unit, after.as_ref(), 2).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some((last.created_at, last.notice_id.clone()));
        seen.extend(page.into_iter().map(|n| n.notice_id));
    }
    assert_eq!(seen, ["410411-1", "410411-2", "410411-3", "410411-0"]);
    db.cleanup().await;
}

/// A group moved from 马庄 to 南环路 on 2026-11-15: its reports before that
/// day stay under its old township, later ones count under the new one.
async fn a_moved_unit_keeps_its_history_under_its_old_parent(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.open().await.unwrap();
    let tree = UnitTree::from_csv(fengqiao_store::testing::trees::CONFORMANCE_MOVED).unwrap();
    store.replace_units(&tree, audit_record("tree")).await.unwrap();
    let loaded = store.load_units().await.unwrap().unwrap();
    assert_eq!(loaded.to_csv(), tree.to_csv(), "moves are stored");
    let unit = "410411001001002";
    let batch = (13..=17).map(|day| submission(report(unit, day, 1, vec![]), at(1))).collect();
    store.apply_reports(batch, false, &TimePolicy::default()).await.unwrap();
    let days = |root: &str| {
        let store = Arc::clone(&store);
        let root = root.to_owned();
        async move {
            let query = ListQuery {
                root: UnitId::parse(&root).unwrap(),
                from: date(1),
                to: date(30),
                after: None,
                limit: 100,
            };
            store
                .list_reports(&query)
                .await
                .unwrap()
                .iter()
                .map(|r| r.report.date().day())
                .collect::<Vec<u32>>()
        }
    };
    assert_eq!(days("410411001").await, [13, 14], "the old township keeps the days before the move");
    assert_eq!(days("410411001001").await, [13, 14]);
    assert_eq!(days("410411002").await, [15, 16, 17], "the new township has it from the move on");
    assert_eq!(days("410411002001").await, [15, 16, 17]);
    assert_eq!(days("410411").await, [13, 14, 15, 16, 17], "the district counts each day once");
    assert_eq!(days(unit).await, [13, 14, 15, 16, 17]);
    db.cleanup().await;
}

fengqiao_store::both_backends!(
    revision_rules,
    batches_apply_in_order,
    uplink_takes_revisions_in_any_order,
    a_forwarded_revision_cannot_back_date_the_first_acceptance,
    refused_items_are_set_aside,
    lists_a_subtree_page_by_page,
    committed_reports_survive_a_restart,
    group_commit_answers_every_caller,
    replacing_the_tree_is_idempotent,
    outbox_holds_what_was_stored_until_acknowledged,
    outbox_keeps_each_entrys_trace_context,
    downlink_log_meta_and_notices,
    a_moved_unit_keeps_its_history_under_its_old_parent,
);
