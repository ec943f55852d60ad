//! The audit log on both backends: appends chain without forking under
//! concurrency, the log reads back page by page, and every kind of tampering
//! done with raw SQL behind the store's back — an edited field, a deleted
//! entry, a cut tail, a forged entry inserted in the middle — is found by
//! verification, naming the entry. And every write of the store appends
//! the entries of exactly what it changed, in its own transaction.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use fengqiao_core::audit::{AuditEntry, AuditRecord, ChainBreak, ChainHead, VerifiedChain};
use fengqiao_store::audit::AuditReader;
use fengqiao_store::testing::{TestDb, trees};
use fengqiao_store::{
    Backend, CaseApplied, CaseEventItem, NoticeRow, RosterRow, Store, Submission, SupervisionRow,
};

fn record(i: u64) -> AuditRecord {
    AuditRecord::new(
        Utc.timestamp_opt(1_790_000_000 + i as i64, 987_654_321).unwrap(),
        "fengqiao://person/410411/leader/p7",
        "fengqiao.v1.CaseService/ActOnCase:accept",
        format!("case 410411-20261127-{i}"),
    )
}

/// A database holding a chain of `n` entries, appended one at a time.
async fn chain_of(backend: Backend, n: u64) -> (TestDb, Arc<dyn Store>) {
    let db = TestDb::new(backend).await;
    let store = db.open().await.unwrap();
    for i in 1..=n {
        let stored = store.append_audit(vec![record(i)]).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].seq, i);
    }
    (db, store)
}

async fn verify(db: &TestDb, anchor: Option<ChainHead>) -> Result<VerifiedChain, ChainBreak> {
    let reader = AuditReader::open_read_only(&db.url()).await.unwrap();
    let verdict = reader.verify(anchor).await.unwrap();
    reader.close().await;
    verdict
}

/// Runs statements on the database behind the store's back.
async fn tamper(db: &TestDb, sql: &str) {
    match db.backend() {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url()).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

/// Inserts an entry with raw SQL, as a forger would.
async fn insert_raw(db: &TestDb, entry: &AuditEntry) {
    let seq = entry.seq as i64;
    match db.backend() {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url()).await.unwrap();
            sqlx::query("INSERT INTO audit_log (seq, at, actor, rpc, target, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)")
                .bind(seq)
                .bind(entry.at)
                .bind(&entry.actor)
                .bind(&entry.rpc)
                .bind(&entry.target)
                .bind(entry.prev_hash.to_vec())
                .bind(entry.hash.to_vec())
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
            sqlx::query("INSERT INTO audit_log (seq, at, actor, rpc, target, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(seq)
                .bind(entry.at)
                .bind(&entry.actor)
                .bind(&entry.rpc)
                .bind(&entry.target)
                .bind(entry.prev_hash.to_vec())
                .bind(entry.hash.to_vec())
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
    }
}

async fn appends_chain_and_read_back_in_pages(backend: Backend) {
    let (db, store) = chain_of(backend, 3).await;
    // A batch continues the chain; more than a page, to cross page bounds.
    let batch: Vec<AuditRecord> = (4..=2600).map(record).collect();
    let stored = store.append_audit(batch).await.unwrap();
    assert_eq!((stored[0].seq, stored.last().unwrap().seq), (4, 2600));
    let head = store.audit_head().await.unwrap().unwrap();
    assert_eq!(head, *stored.last().unwrap());
    // What was stored reads back exactly (time to the microsecond).
    let page = store.audit_page(2, 3).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4, 5]);
    assert_eq!(page[1], stored[0]);
    assert_eq!(page[1].at.timestamp_subsec_nanos(), 987_654_000);
    let verified = verify(&db, Some(head.head())).await.unwrap();
    assert_eq!(verified, VerifiedChain { count: 2600, head: Some(head.head()) });
    store.close().await;
    db.cleanup().await;
}

async fn concurrent_appends_never_fork(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.open().await.unwrap();
    let tasks: Vec<_> = (0..8u64)
        .map(|t| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for i in 0..10u64 {
                    let records = (0..=(i % 3)).map(|k| record(t * 1000 + i * 10 + k)).collect();
                    store.append_audit(records).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    // 8 tasks × (4 × 1 + 3 × 2 + 3 × 3) records.
    assert_eq!(verify(&db, None).await.unwrap().count, 8 * 19);
    store.close().await;
    db.cleanup().await;
}

async fn an_edited_entry_is_named_and_a_restored_one_verifies(backend: Backend) {
    let (db, store) = chain_of(backend, 6).await;
    assert_eq!(verify(&db, None).await.unwrap().count, 6);
    tamper(&db, "UPDATE audit_log SET target = 'case 410411-20261127-99' WHERE seq = 3").await;
    let broken = verify(&db, None).await.unwrap_err();
    assert_eq!(broken.seq, 3, "{broken}");
    assert!(broken.reason.contains("edited"), "{broken}");
    tamper(&db, "UPDATE audit_log SET target = 'case 410411-20261127-3' WHERE seq = 3").await;
    assert_eq!(verify(&db, None).await.unwrap().count, 6);
    // The actor too.
    tamper(&db, "UPDATE audit_log SET actor = 'insecure' WHERE seq = 5").await;
    assert_eq!(verify(&db, None).await.unwrap_err().seq, 5);
    store.close().await;
    db.cleanup().await;
}

async fn a_deleted_middle_entry_is_named(backend: Backend) {
    let (db, store) = chain_of(backend, 6).await;
    tamper(&db, "DELETE FROM audit_log WHERE seq = 4").await;
    let broken = verify(&db, None).await.unwrap_err();
    assert_eq!(broken.seq, 4, "{broken}");
    assert!(broken.reason.contains("missing"), "{broken}");
    store.close().await;
    db.cleanup().await;
}

async fn a_cut_tail_is_found_against_the_anchor(backend: Backend) {
    let (db, store) = chain_of(backend, 6).await;
    let anchor = store.audit_head().await.unwrap().unwrap().head();
    tamper(&db, "DELETE FROM audit_log WHERE seq >= 5").await;
    // The chain alone cannot tell…
    assert_eq!(verify(&db, None).await.unwrap().count, 4);
    // …the anchor an operator recorded earlier can.
    let broken = verify(&db, Some(anchor)).await.unwrap_err();
    assert_eq!(broken.seq, 5, "{broken}");
    assert!(broken.reason.contains("tail was cut"), "{broken}");
    store.close().await;
    db.cleanup().await;
}

async fn a_forged_entry_inserted_in_the_middle_breaks_the_next(backend: Backend) {
    let (db, store) = chain_of(backend, 6).await;
    let before = store.audit_page(3, 1).await.unwrap().remove(0);
    assert_eq!(before.seq, 4);
    // Make room at 5 (in two steps: a primary key cannot pass through
    // itself), then insert a well-formed entry chained onto entry 4.
    tamper(
        &db,
        "UPDATE audit_log SET seq = -seq - 1 WHERE seq >= 5; UPDATE audit_log SET seq = -seq WHERE seq < 0",
    )
    .await;
    let forged = AuditEntry::append(
        Some(&before.head()),
        AuditRecord::new(
            before.at,
            "fengqiao://person/410411/admin/x",
            "fengqiao.v1.CaseService/ActOnCase:close",
            "case 410411-20261127-5",
        ),
    );
    insert_raw(&db, &forged).await;
    let broken = verify(&db, None).await.unwrap_err();
    assert_eq!(broken.seq, 6, "{broken}");
    store.close().await;
    db.cleanup().await;

    // In place: entry 3 replaced by a forgery with a recomputed hash.
    let (db, store) = chain_of(backend, 6).await;
    let mut entry = store.audit_page(2, 1).await.unwrap().remove(0);
    entry.target = "case 410411-20261127-77".into();
    entry.hash = entry.compute_hash();
    tamper(&db, "DELETE FROM audit_log WHERE seq = 3").await;
    insert_raw(&db, &entry).await;
    let broken = verify(&db, None).await.unwrap_err();
    assert_eq!(broken.seq, 4, "{broken}");
    assert!(broken.reason.contains("previous hash"), "{broken}");
    store.close().await;
    db.cleanup().await;
}

async fn the_reader_never_writes(backend: Backend) {
    let (db, store) = chain_of(backend, 2).await;
    let reader = AuditReader::open_read_only(&db.url()).await.unwrap();
    let refused = match &reader {
        AuditReader::Sqlite(pool) => sqlx::query("DELETE FROM audit_log").execute(pool).await.is_err(),
        AuditReader::Postgres(pool) => sqlx::query("DELETE FROM audit_log").execute(pool).await.is_err(),
    };
    assert!(refused, "a read-only reader deleted rows");
    assert_eq!(reader.head().await.unwrap().unwrap().seq, 2);
    reader.close().await;
    assert_eq!(verify(&db, None).await.unwrap().count, 2);
    store.close().await;
    db.cleanup().await;
}

fn change(target: &str) -> AuditRecord {
    AuditRecord::new(Utc::now(), "fengqiao://person/410411001/officer/p1", "test/write", target)
}

fn submission(revision: u32, reason: &str) -> Submission {
    let report = fengqiao_core::DailyReport::new(fengqiao_core::ReportDraft {
        unit_id: fengqiao_core::UnitId::parse("410411001001001").unwrap(),
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
        revision: fengqiao_core::Revision::new(revision).unwrap(),
        reporter: "officer-1".into(),
        zero: true,
        disputes: vec![],
        correction_reason: reason.into(),
    })
    .unwrap();
    Submission {
        report,
        source: fengqiao_core::revision::Source::Reporter,
        accepted_at: Utc::now(),
        first_accepted_at: None,
        trace_parent: None,
        audit: change(&format!("report r{revision} {reason}")),
    }
}

fn registration(summary: &str) -> fengqiao_core::case::CaseEvent {
    use fengqiao_core::case::{Case, CaseId, Channel, Context, DeadlinePolicy, Intake};
    let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let intake = Intake {
        origin_unit: fengqiao_core::UnitId::parse("410411001001001").unwrap(),
        category: fengqiao_core::DisputeCategory::Neighbour,
        channel: Channel::Letter,
        summary: summary.into(),
        petitioner_ref: None,
        source: None,
        workers: 0,
        amount_claimed_cents: 0,
        project: None,
    };
    let context = Context {
        at: Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap(),
        on,
        actor: fengqiao_core::actor::Actor::Unverified { text: Some("officer-1".into()), on_behalf_of: None },
        note: String::new(),
        owner_parent: None,
        is_below_owner: &|_| false,
        policy: DeadlinePolicy::default(),
    };
    Case::register(CaseId::parse("410411001001001-20261127-1").unwrap(), intake, None, &context).unwrap()
}

/// Each write of the store appends the records of what it changed — and
/// only that — in its own transaction: a report batch the records of its
/// new revisions and corrections (not of a duplicate, a stale or a
/// conflicting one), case events those of new events, a notice, a
/// supervision notice, a roster, a downlink event and the unit tree theirs,
/// and none for a replay that changes nothing.
async fn every_write_appends_the_entries_of_what_it_changed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.open().await.unwrap();
    let policy = fengqiao_core::TimePolicy::default();
    store
        .replace_units(&fengqiao_core::UnitTree::from_csv(&trees::one_community(1)).unwrap(), change("tree"))
        .await
        .unwrap();
    let results = store
        .apply_reports(
            vec![submission(1, ""), submission(1, ""), submission(2, "recounted"), submission(1, "")],
            false,
            &policy,
        )
        .await
        .unwrap();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3, "{results:?}");
    // A batch of duplicates only, and one of a conflict only: no entry.
    store.apply_reports(vec![submission(2, "recounted")], false, &policy).await.unwrap();
    store.apply_reports(vec![submission(2, "other reason")], false, &policy).await.unwrap();
    let notice = NoticeRow {
        notice_id: "N1".into(),
        target_unit_id: "410411001001001".into(),
        from_unit_id: "410411001".into(),
        text: "check the wells".into(),
        created_at: Utc::now(),
        sender: None,
    };
    assert!(store.insert_notice(&notice, change("notice")).await.unwrap());
    assert!(!store.insert_notice(&notice, change("notice again")).await.unwrap());
    let supervision = SupervisionRow {
        supervision_id: "S1".into(),
        case_id: "410411001001001-20261127-1".into(),
        from_unit_id: "410411".into(),
        to_unit_id: "410411001001001".into(),
        kind: "document".into(),
        reply_by: chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        text: "report progress".into(),
        sender: fengqiao_core::actor::Actor::Unverified { text: Some("leader-1".into()), on_behalf_of: None },
        issued_at: Utc::now(),
    };
    assert!(store.insert_supervision(&supervision, change("supervision")).await.unwrap());
    assert!(!store.insert_supervision(&supervision, change("supervision again")).await.unwrap());
    let duty = RosterRow {
        unit_id: "410411001001001".into(),
        duty_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
        leader: "王".into(),
    };
    assert_eq!(store.set_roster(std::slice::from_ref(&duty), change("roster")).await.unwrap(), 1);
    assert_eq!(store.set_roster(&[], change("no roster")).await.unwrap(), 0);
    let target = fengqiao_core::UnitId::parse("410411001001").unwrap();
    store.append_downlink(&target, b"body", Utc::now(), change("downlink")).await.unwrap();
    let event = registration("fence");
    let item = |event: fengqiao_core::case::CaseEvent, target: &str| CaseEventItem {
        event,
        petitioner: None,
        audit: change(target),
    };
    let applied = store
        .apply_case_events(
            vec![
                item(event.clone(), "event 1"),
                item(event.clone(), "event 1 again"),
                item(registration("other"), "event 1 otherwise"),
            ],
            false,
        )
        .await
        .unwrap();
    assert_eq!(applied[0], Ok(CaseApplied::Applied));
    assert_eq!(applied[1], Ok(CaseApplied::Duplicate));
    assert!(applied[2].is_err());

    let log = store.audit_page(0, 100).await.unwrap();
    let targets: Vec<&str> = log.iter().map(|e| e.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "tree",
            "report r1 ",
            "report r2 recounted",
            "notice",
            "supervision",
            "roster",
            "downlink",
            "event 1"
        ]
    );
    assert!(fengqiao_core::audit::verify(&log, None).is_ok());
    store.close().await;
    db.cleanup().await;
}

fengqiao_store::both_backends!(
    appends_chain_and_read_back_in_pages,
    concurrent_appends_never_fork,
    an_edited_entry_is_named_and_a_restored_one_verifies,
    a_deleted_middle_entry_is_named,
    a_cut_tail_is_found_against_the_anchor,
    a_forged_entry_inserted_in_the_middle_breaks_the_next,
    the_reader_never_writes,
    every_write_appends_the_entries_of_what_it_changed,
);
