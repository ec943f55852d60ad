//! The weekly reports' steps, accountability actions and held reports
//! (`fengqiao_store::Weekly`), on both backends: a step is stored once
//! (a resend is a duplicate, other bytes under its key a conflict), queued
//! for the parent only when stored, and read back byte for byte.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fengqiao_core::UnitTree;
use fengqiao_core::weekly::{Step, ord};
use fengqiao_store::testing::{TestDb, audit_record};
use fengqiao_store::{
    AccountabilityRow, Backend, HeldReportRow, OutboxPayload, Store, WeeklyApplied, WeeklyEventRow,
};

const TREE: &str = fengqiao_store::testing::trees::CONFORMANCE;

fn monday(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn step(unit: &str, week: u32, filing: u32, step: Step, body: &[u8]) -> WeeklyEventRow {
    WeeklyEventRow {
        unit_id: unit.to_owned(),
        week_start: monday(week),
        ord: ord(filing, step),
        step: step.as_str().to_owned(),
        at: at(week + 7, u32::try_from(ord(filing, step)).unwrap() % 24),
        reviewer: (step == Step::Approved).then(|| "D".to_owned()),
        body: body.to_vec(),
    }
}

async fn setup(backend: Backend) -> (TestDb, Arc<dyn Store>) {
    let db = TestDb::new(backend).await;
    let store = db.open().await.expect("test database opens");
    store.replace_units(&UnitTree::from_csv(TREE).unwrap(), audit_record("tree")).await.expect("tree stored");
    (db, store)
}

async fn a_step_is_stored_once_and_queued_once(backend: Backend) {
    let (db, store) = setup(backend).await;
    let filed = step("T1", 16, 1, Step::Filed, b"filed one");
    let approved = step("T1", 16, 1, Step::Approved, b"approved one");
    let results = store
        .apply_weekly_events(
            &[filed.clone(), approved.clone()],
            true,
            vec![audit_record("a"), audit_record("b")],
        )
        .await
        .unwrap();
    assert_eq!(results, [WeeklyApplied::Stored, WeeklyApplied::Stored]);
    // The same bytes again, and other bytes under the same key.
    let mut other = filed.clone();
    other.body = b"filed otherwise".to_vec();
    let again = store.apply_weekly_events(&[filed.clone(), other], true, vec![]).await.unwrap();
    assert_eq!(again, [WeeklyApplied::Duplicate, WeeklyApplied::Conflict]);
    // Read back in order, byte for byte.
    assert_eq!(store.weekly_events("T1", monday(16)).await.unwrap(), [filed.clone(), approved.clone()]);
    let keys = store.weekly_keys(monday(1), monday(30)).await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[1].reviewer.as_deref(), Some("D"));
    assert!(store.weekly_keys(monday(17), monday(30)).await.unwrap().is_empty(), "other weeks");
    let filings =
        store.weekly_filings(&["T1".to_owned(), "T2".to_owned()], monday(1), monday(30)).await.unwrap();
    assert_eq!(filings, std::slice::from_ref(&filed));
    assert!(store.weekly_filings(&[], monday(1), monday(30)).await.unwrap().is_empty());
    // Only the two stored steps are queued, as the wire's bytes.
    let queued = store.outbox_peek(10).await.unwrap();
    assert_eq!(queued.len(), 2);
    assert_eq!(queued[0].payload, OutboxPayload::Weekly(filed.body.clone()));
    assert_eq!(queued[1].payload, OutboxPayload::Weekly(approved.body.clone()));
    // Not forwarded: stored, not queued.
    let later = step("T1", 23, 1, Step::Filed, b"next week");
    assert_eq!(store.apply_weekly_events(&[later], false, vec![]).await.unwrap(), [WeeklyApplied::Stored]);
    assert_eq!(store.outbox_stats().await.unwrap().depth, 2);
    // The audit log has the two stored steps' records, not the others.
    let audited: Vec<String> =
        store.audit_page(0, 100).await.unwrap().into_iter().map(|entry| entry.target).collect();
    assert!(audited.iter().any(|t| t == "a") && audited.iter().any(|t| t == "b"), "{audited:?}");
    db.cleanup().await;
}

async fn actions_and_held_reports(backend: Backend) {
    let (db, store) = setup(backend).await;
    let action = AccountabilityRow {
        action_id: "D-A00001".into(),
        unit_id: "T1".into(),
        kind: "criticism".into(),
        recorded_on: monday(20),
        recorded_at: at(20, 3),
        body: b"the action".to_vec(),
    };
    assert!(store.insert_accountability(&action, true, Some(audit_record("action"))).await.unwrap());
    assert!(!store.insert_accountability(&action, true, None).await.unwrap(), "stored once");
    assert_eq!(
        store.accountability_between(monday(1), monday(30)).await.unwrap(),
        std::slice::from_ref(&action)
    );
    assert!(store.accountability_between(monday(21), monday(30)).await.unwrap().is_empty());
    let queued = store.outbox_peek(10).await.unwrap();
    assert_eq!(queued.len(), 1, "queued once");
    assert_eq!(queued[0].payload, OutboxPayload::Accountability(action.body.clone()));

    let held = HeldReportRow {
        unit_id: "G111".into(),
        report_date: monday(17),
        revision: 2,
        locked_by: "C11".into(),
        held_at: at(24, 2),
        body: b"pushed report".to_vec(),
    };
    assert!(store.hold_report(&held, audit_record("held")).await.unwrap());
    assert!(!store.hold_report(&held, audit_record("held again")).await.unwrap());
    assert_eq!(store.held_for_approval().await.unwrap(), std::slice::from_ref(&held));
    store.release_held(&[(held.unit_id.clone(), held.report_date, held.revision)]).await.unwrap();
    assert!(store.held_for_approval().await.unwrap().is_empty());
    assert!(store.supervision_issuers(at(1, 0), at(30, 0)).await.unwrap().is_empty());
    db.cleanup().await;
}

fengqiao_store::both_backends!(a_step_is_stored_once_and_queued_once, actions_and_held_reports);
