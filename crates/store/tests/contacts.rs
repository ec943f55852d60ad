//! Key projects and leaders' contact duties (`fengqiao_store::Contacts`),
//! on both backends: a set is idempotent (the same content changes nothing,
//! other content replaces), and a duty overlapping another of the same
//! leader on the same target is refused and changes nothing.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fengqiao_core::UnitTree;
use fengqiao_core::actor::Actor;
use fengqiao_core::identity::Role;
use fengqiao_core::unit::UnitId;
use fengqiao_store::testing::{TestDb, audit_record};
use fengqiao_store::{Backend, DutyRow, DutySet, ProjectRow, SetOutcome, Store};

const TREE: &str = fengqiao_store::testing::trees::CONFORMANCE;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn at(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, 9, 0, 0).unwrap()
}

fn admin() -> Actor {
    Actor::Person {
        unit: UnitId::parse("D").unwrap(),
        role: Role::Admin,
        id: "admin-1".into(),
        name: None,
        on_behalf_of: None,
        department: None,
    }
}

fn duty(
    id: &str,
    leader: &str,
    unit: Option<&str>,
    project: Option<&str>,
    from: u32,
    until: Option<u32>,
) -> DutyRow {
    DutyRow {
        duty_id: id.into(),
        leader: leader.into(),
        unit_id: unit.map(str::to_owned),
        project_id: project.map(str::to_owned),
        from_on: day(from),
        until_on: until.map(day),
        set_by: admin(),
        set_at: at(from),
    }
}

async fn setup(backend: Backend) -> (TestDb, Arc<dyn Store>) {
    let db = TestDb::new(backend).await;
    let store = db.open().await.expect("test database opens");
    store.replace_units(&UnitTree::from_csv(TREE).unwrap(), audit_record("tree")).await.expect("tree stored");
    (db, store)
}

async fn audit_count(store: &Arc<dyn Store>) -> usize {
    store.audit_head().await.expect("audit reads").map_or(0, |e| e.seq as usize)
}

async fn projects_are_set_idempotently(backend: Backend) {
    let (db, store) = setup(backend).await;
    let project = ProjectRow {
        project_id: "site-7".into(),
        name: "城东安置房七标段".into(),
        unit_id: "T1".into(),
        kind: "construction".into(),
        from_on: day(1),
        until_on: None,
    };
    let before = audit_count(&store).await;
    assert_eq!(store.set_project(&project, audit_record("p")).await.unwrap(), SetOutcome::Created);
    assert_eq!(store.set_project(&project, audit_record("p again")).await.unwrap(), SetOutcome::Unchanged);
    assert_eq!(audit_count(&store).await, before + 1, "an unchanged set is not audited");
    let ended = ProjectRow { until_on: Some(day(30)), ..project.clone() };
    assert_eq!(store.set_project(&ended, audit_record("p end")).await.unwrap(), SetOutcome::Replaced);
    assert_eq!(store.project("site-7").await.unwrap(), Some(ended.clone()));
    assert_eq!(store.project("site-8").await.unwrap(), None);
    assert_eq!(store.projects().await.unwrap(), [ended]);
    db.cleanup().await;
}

async fn duties_are_set_listed_and_overlaps_refused(backend: Backend) {
    let (db, store) = setup(backend).await;
    let first = duty("d1", "lead-zhang", Some("T1"), None, 1, Some(10));
    assert_eq!(
        store.set_contact_duty(&first, audit_record("d1")).await.unwrap(),
        DutySet::Set(SetOutcome::Created)
    );
    // The same content again (set by somebody else, later): nothing changes.
    let resent = DutyRow { set_at: at(5), ..first.clone() };
    assert_eq!(
        store.set_contact_duty(&resent, audit_record("d1 again")).await.unwrap(),
        DutySet::Set(SetOutcome::Unchanged)
    );
    assert_eq!(store.contact_duty("d1").await.unwrap(), Some(first.clone()));
    // Another id on the same township, dates overlapping: refused.
    let overlapping = duty("d2", "lead-zhang", Some("T1"), None, 10, None);
    assert_eq!(
        store.set_contact_duty(&overlapping, audit_record("d2")).await.unwrap(),
        DutySet::Overlaps { duty_id: "d1".into() }
    );
    assert_eq!(store.contact_duty("d2").await.unwrap(), None, "a refused duty changes nothing");
    // The day after the first ends: no overlap. Another leader, or a
    // project, on the same days: no overlap either.
    let next = duty("d2", "lead-zhang", Some("T1"), None, 11, None);
    assert_eq!(
        store.set_contact_duty(&next, audit_record("d2")).await.unwrap(),
        DutySet::Set(SetOutcome::Created)
    );
    let other = duty("d3", "lead-li", Some("T1"), None, 1, None);
    assert_eq!(
        store.set_contact_duty(&other, audit_record("d3")).await.unwrap(),
        DutySet::Set(SetOutcome::Created)
    );
    let site = duty("d4", "lead-zhang", None, Some("site-7"), 1, None);
    assert_eq!(
        store.set_contact_duty(&site, audit_record("d4")).await.unwrap(),
        DutySet::Set(SetOutcome::Created)
    );
    // Moving the first duty's end into the second's days is refused.
    let stretched = duty("d1", "lead-zhang", Some("T1"), None, 1, Some(12));
    assert_eq!(
        store.set_contact_duty(&stretched, audit_record("d1 stretch")).await.unwrap(),
        DutySet::Overlaps { duty_id: "d2".into() }
    );
    assert_eq!(store.contact_duty("d1").await.unwrap(), Some(first.clone()));
    // Ending a duty replaces it.
    let ended = duty("d3", "lead-li", Some("T1"), None, 1, Some(4));
    assert_eq!(
        store.set_contact_duty(&ended, audit_record("d3 end")).await.unwrap(),
        DutySet::Set(SetOutcome::Replaced)
    );

    let ids = |rows: Vec<DutyRow>| rows.into_iter().map(|d| d.duty_id).collect::<Vec<_>>();
    assert_eq!(ids(store.contact_duties(None, None).await.unwrap()), ["d3", "d1", "d4", "d2"]);
    assert_eq!(ids(store.contact_duties(Some("lead-zhang"), None).await.unwrap()), ["d1", "d4", "d2"]);
    assert_eq!(ids(store.contact_duties(None, Some(day(5))).await.unwrap()), ["d1", "d4"]);
    assert_eq!(ids(store.contact_duties(Some("lead-zhang"), Some(day(20))).await.unwrap()), ["d4", "d2"]);
    assert_eq!(store.contact_duties(Some("lead-li"), None).await.unwrap(), [ended]);
    db.cleanup().await;
}

fengqiao_store::both_backends!(projects_are_set_idempotently, duties_are_set_listed_and_overlaps_refused);
