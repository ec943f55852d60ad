//! The case ledger on both backends: storing events (duplicates, conflicts,
//! gaps), the projection and the petitioner, the outbox shared with reports,
//! listings, repeat look-ups, the figures on a tree with a moved unit (with
//! their drill-downs), supervisions and the duty roster.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fengqiao_core::actor::{Actor, DisplayName};
use fengqiao_core::case::{
    Action, Case, CaseEvent, CaseId, CaseStatus, Channel, Context, DeadlinePolicy, Intake, Petitioner,
    RepeatLink, Satisfaction,
};
use fengqiao_core::identity::Role;
use fengqiao_core::report::ReportDraft;
use fengqiao_core::revision::Source;
use fengqiao_core::{DailyReport, DisputeCategory, DomainError, Revision, TimePolicy, UnitId, UnitTree};
use fengqiao_store::testing::{TestDb, audit_record};
use fengqiao_store::{
    Backend, CaseApplied, CaseCounts, CaseEventItem, CaseFigure, CaseItemResult, CaseQuery, OutboxPayload,
    RosterRow, Store, Submission, SupervisionRow,
};

/// The conformance tree, with group 2号楼 moved from 电力社区 (township
/// 马庄) to 某村 (township 南环路) on 2026-11-15.
const TREE: &str = fengqiao_store::testing::trees::CONFORMANCE_MOVED;

const DISTRICT: &str = "410411";
const TOWNSHIP_A: &str = "410411001";
const COMMUNITY_A: &str = "410411001001";
const GROUP_1: &str = "410411001001001";
/// Under 电力社区 until 2026-11-14, under 某村 from 2026-11-15.
const MOVED: &str = "410411001001002";
const TOWNSHIP_B: &str = "410411002";
const COMMUNITY_B: &str = "410411002001";
const GROUP_B: &str = "410411002001001";

/// Each unit's parent today (after the move).
const PARENTS: &[(&str, &str)] = &[
    (TOWNSHIP_A, DISTRICT),
    (COMMUNITY_A, TOWNSHIP_A),
    (GROUP_1, COMMUNITY_A),
    (MOVED, COMMUNITY_B),
    (TOWNSHIP_B, DISTRICT),
    (COMMUNITY_B, TOWNSHIP_B),
    (GROUP_B, COMMUNITY_B),
];

fn unit(id: &str) -> UnitId {
    UnitId::parse(id).unwrap()
}

fn case_id(id: &str) -> CaseId {
    CaseId::parse(id).unwrap()
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

/// Half past nine (UTC) on 2026-11-`day`.
fn morning(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 9, 30, 0).unwrap()
}

/// An officer of `owner` as their certificate names them.
fn officer(owner: &UnitId) -> Actor {
    Actor::Person {
        unit: owner.clone(),
        role: Role::Officer,
        id: "officer-1".into(),
        name: Some(DisplayName::parse_field("李干事", "name").unwrap()),
        on_behalf_of: None,
        department: None,
    }
}

/// Free text nobody verified (an insecure node's, or an older version's).
fn unverified(text: &str) -> Actor {
    Actor::Unverified { text: Some(text.into()), on_behalf_of: None }
}

/// An officer of `owner` acting on the morning of `day` under the default
/// deadlines; any unit counts as below the owner (for assignments down).
fn context(day: u32, owner: &UnitId) -> Context<'static> {
    Context {
        at: morning(day),
        on: date(day),
        actor: officer(owner),
        note: "spoke with both parties".into(),
        owner_parent: PARENTS.iter().find(|(u, _)| *u == owner.as_str()).map(|(_, p)| unit(p)),
        is_below_owner: &|_| true,
        policy: DeadlinePolicy::default(),
    }
}

/// What a new case's intake says besides its origin.
#[derive(Debug, Clone)]
struct Registration {
    channel: Channel,
    category: DisputeCategory,
    petitioner_ref: Option<String>,
    repeat_of: Vec<&'static str>,
}

impl Default for Registration {
    fn default() -> Self {
        Registration {
            channel: Channel::Report,
            category: DisputeCategory::Neighbour,
            petitioner_ref: None,
            repeat_of: Vec::new(),
        }
    }
}

/// A case and its log, kept in step.
#[derive(Debug, Clone)]
struct Desk {
    case: Case,
    log: Vec<CaseEvent>,
}

impl Desk {
    fn open(id: &str, origin: &str, day: u32, registration: Registration) -> Desk {
        let origin = unit(origin);
        let intake = Intake {
            origin_unit: origin.clone(),
            category: registration.category,
            channel: registration.channel,
            summary: "a fence moved onto the neighbour's plot".into(),
            petitioner_ref: registration.petitioner_ref,
            source: None,
            workers: 0,
            amount_claimed_cents: 0,
            project: None,
        };
        let repeat =
            RepeatLink::decide(date(day), 365, registration.repeat_of.into_iter().map(case_id).collect());
        let first = Case::register(case_id(id), intake, repeat, &context(day, &origin)).unwrap();
        Desk { case: Case::start(&first).unwrap(), log: vec![first] }
    }

    /// A case registered with the default intake.
    fn plain(id: &str, origin: &str, day: u32) -> Desk {
        Desk::open(id, origin, day, Registration::default())
    }

    /// Does `action` on the morning of `day` (it must be allowed).
    fn act(mut self, day: u32, action: Action) -> Desk {
        let event = self.case.decide(action, &context(day, &self.case.owner_unit)).unwrap();
        self.case.apply(&event).unwrap();
        self.log.push(event);
        self
    }

    fn accept(self, day: u32) -> Desk {
        self.act(day, Action::Accept)
    }

    fn assign(self, day: u32, deadline: Option<u32>) -> Desk {
        self.act(
            day,
            Action::Assign {
                leader: "王书记".into(),
                responsible: "李主任".into(),
                plan: "meet both families on site".into(),
                deadline: deadline.map(date),
            },
        )
    }

    fn resolve(self, day: u32) -> Desk {
        self.act(day, Action::Resolve { resolution: "fence put back".into(), amount_recovered_cents: 0 })
    }

    fn close(self, day: u32, satisfaction: Satisfaction) -> Desk {
        self.act(day, Action::Close { satisfaction })
    }

    /// Accepted, assigned, resolved and closed, all on `day`.
    fn settle(self, day: u32, satisfaction: Satisfaction) -> Desk {
        self.accept(day).assign(day, None).resolve(day).close(day, satisfaction)
    }

    fn id(&self) -> CaseId {
        self.case.id.clone()
    }

    fn event(&self, seq: u32) -> CaseEvent {
        self.log[seq as usize - 1].clone()
    }
}

fn item(event: CaseEvent) -> CaseEventItem {
    let audit = audit_record(format!("case {} event {}", event.case_id, event.seq));
    CaseEventItem { event, petitioner: None, audit }
}

fn items(events: &[CaseEvent]) -> Vec<CaseEventItem> {
    events.iter().cloned().map(item).collect()
}

async fn apply(store: &dyn Store, events: &[CaseEvent]) -> Vec<CaseItemResult> {
    store.apply_case_events(items(events), false).await.expect("store works")
}

/// Stores every desk's whole log, checking each event is new.
async fn store_desks(store: &dyn Store, desks: &[&Desk]) {
    let events: Vec<CaseEvent> = desks.iter().flat_map(|d| d.log.iter().cloned()).collect();
    let results = apply(store, &events).await;
    assert!(results.iter().all(|r| *r == Ok(CaseApplied::Applied)), "{results:?}");
}

async fn setup(backend: Backend) -> (TestDb, Arc<dyn Store>) {
    let db = TestDb::new(backend).await;
    let store = db.open().await.expect("test database opens");
    store.replace_units(&UnitTree::from_csv(TREE).unwrap(), audit_record("tree")).await.expect("tree stored");
    (db, store)
}

fn petitioner(name: &str) -> Petitioner {
    Petitioner::new(name, "0375-1234567", "E12345678").unwrap()
}

fn ids(cases: &[Case]) -> Vec<String> {
    cases.iter().map(|c| c.id.to_string()).collect()
}

async fn resent_events_are_duplicates_and_changed_ones_refused(backend: Backend) {
    let (db, store) = setup(backend).await;
    let desk = Desk::plain("C1", GROUP_1, 10).accept(11).assign(12, None);
    assert_eq!(apply(&*store, &desk.log[..2]).await, [Ok(CaseApplied::Applied), Ok(CaseApplied::Applied)]);
    assert_eq!(
        apply(&*store, &desk.log[..2]).await,
        [Ok(CaseApplied::Duplicate), Ok(CaseApplied::Duplicate)],
        "an idempotent resend"
    );

    let mut changed = desk.event(2);
    changed.note = "another note".into();
    let not_registration = CaseEvent { seq: 1, ..desk.event(2) };
    let results = apply(&*store, &[changed, not_registration, desk.event(3)]).await;
    assert_eq!(
        results[0],
        Err(DomainError::AlreadyExists(fengqiao_core::why!(
            EVENT_CASE_STORED_WITH_OTHER_CONTENT,
            "event {seq} of case {case_id} is stored with other content",
            seq = 2,
            case_id = "C1"
        )))
    );
    assert!(matches!(&results[1], Err(DomainError::Invalid { field, .. }) if field == "kind"));
    assert_eq!(results[2], Ok(CaseApplied::Applied), "a refused item leaves the rest of the batch standing");

    let stored = store.get_case(&desk.id()).await.unwrap().expect("the case is stored");
    assert_eq!(stored.events, desk.log, "the refused event changed nothing");
    assert_eq!(stored.case, desk.case);
    assert_eq!(stored.case, Case::replay(&desk.log).unwrap());
    assert!(store.get_case(&case_id("C2")).await.unwrap().is_none());
    assert_eq!(store.outbox_stats().await.unwrap().depth, 0, "nothing forwarded");

    // The stored case survives a restart.
    store.close().await;
    let store = db.open().await.unwrap();
    assert_eq!(store.get_case(&desk.id()).await.unwrap().unwrap().case, desk.case);
    db.cleanup().await;
}

fn report(unit_id: &str, day: u32) -> Submission {
    let report = DailyReport::new(ReportDraft {
        unit_id: unit(unit_id),
        date: date(day),
        revision: Revision::FIRST,
        reporter: "officer-1".into(),
        zero: true,
        disputes: vec![],
        correction_reason: String::new(),
    })
    .unwrap();
    Submission {
        audit: audit_record(format!("report {}", report.key())),
        report,
        source: Source::Reporter,
        accepted_at: morning(day),
        first_accepted_at: None,
        trace_parent: None,
    }
}

async fn forwarded_events_share_the_outbox_with_reports(backend: Backend) {
    let (db, store) = setup(backend).await;
    let policy = TimePolicy::default();
    let desk = Desk::plain("C1", GROUP_1, 10).accept(11).assign(12, None);
    store.apply_reports(vec![report(GROUP_1, 9)], true, &policy).await.unwrap();
    store.apply_case_events(items(&desk.log[..2]), true).await.unwrap();
    store.apply_reports(vec![report(GROUP_B, 9)], true, &policy).await.unwrap();
    // Not forwarded, and a resent duplicate: neither is queued.
    store.apply_case_events(items(&desk.log[2..]), false).await.unwrap();
    store.apply_case_events(items(&desk.log[..1]), true).await.unwrap();

    let stats = store.outbox_stats().await.unwrap();
    assert_eq!(stats.depth, 4);
    assert_eq!(stats.oldest, Some(morning(9)));
    let queued = store.outbox_peek(10).await.unwrap();
    assert!(queued.windows(2).all(|w| w[0].id < w[1].id), "in order");
    match &queued[0].payload {
        OutboxPayload::Report(r) => assert_eq!(r.report.unit_id().as_str(), GROUP_1),
        other => panic!("expected the first report, got {other:?}"),
    }
    assert_eq!(queued[1].payload, OutboxPayload::CaseEvent(Box::new(desk.event(1))));
    assert_eq!(queued[2].payload, OutboxPayload::CaseEvent(Box::new(desk.event(2))));
    match &queued[3].payload {
        OutboxPayload::Report(r) => assert_eq!(r.report.unit_id().as_str(), GROUP_B),
        other => panic!("expected the second report, got {other:?}"),
    }
    assert_eq!(store.outbox_peek(2).await.unwrap(), queued[..2]);

    store
        .outbox_ack(&[queued[0].id, queued[1].id], &[(queued[2].id, "refused".into())], &[], morning(20))
        .await
        .unwrap();
    assert_eq!(store.outbox_peek(10).await.unwrap(), queued[3..]);
    store.outbox_ack(&[queued[3].id], &[], &[], morning(20)).await.unwrap();
    assert!(store.outbox_peek(10).await.unwrap().is_empty());
    assert_eq!(store.outbox_stats().await.unwrap().depth, 0);
    db.cleanup().await;
}

async fn a_gap_holds_the_projection_until_it_is_filled(backend: Backend) {
    let (db, store) = setup(backend).await;
    let desk = Desk::plain("C1", GROUP_1, 10)
        .accept(11)
        .assign(12, None)
        .resolve(13)
        .close(14, Satisfaction::Satisfied);
    let figures = |store: Arc<dyn Store>| async move {
        store.case_figures(&[unit(TOWNSHIP_A)], date(1), date(30)).await.unwrap()[0]
    };
    apply(&*store, &[desk.event(1)]).await;
    assert_eq!(store.get_case(&desk.id()).await.unwrap().unwrap().case.seq, 1);
    // Events 3, 5 and 4 arrive before 2.
    let results = apply(&*store, &[desk.event(3), desk.event(5), desk.event(4)]).await;
    assert!(results.iter().all(|r| *r == Ok(CaseApplied::Applied)));
    let stored = store.get_case(&desk.id()).await.unwrap().unwrap();
    assert_eq!(stored.case, Case::replay(&desk.log[..1]).unwrap(), "the fold stops at the gap");
    assert_eq!(
        stored.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 3, 4, 5],
        "the log holds them all"
    );
    let before = figures(Arc::clone(&store)).await;
    assert_eq!(
        (before.registered, before.accepted, before.closed),
        (1, 0, 0),
        "unfolded events do not count"
    );

    apply(&*store, &[desk.event(2)]).await;
    let stored = store.get_case(&desk.id()).await.unwrap().unwrap();
    assert_eq!(stored.case, desk.case, "the fold catches up");
    assert_eq!(stored.events, desk.log);
    let after = figures(Arc::clone(&store)).await;
    assert_eq!(
        (after.accepted, after.accepted_on_time, after.closed, after.closed_on_time, after.satisfied),
        (1, 1, 1, 1, 1)
    );

    // An illegal step (closing a case just registered) is kept but never
    // folded, nor counted.
    let other = Desk::plain("C2", GROUP_1, 10);
    let illegal = CaseEvent { case_id: other.id(), seq: 2, ..desk.event(5) };
    assert_eq!(
        apply(&*store, &[other.event(1), illegal]).await,
        [Ok(CaseApplied::Applied), Ok(CaseApplied::Applied)]
    );
    let stored = store.get_case(&other.id()).await.unwrap().unwrap();
    assert_eq!((stored.case.seq, stored.events.len()), (1, 2));
    assert_eq!(figures(Arc::clone(&store)).await.closed, 1);
    db.cleanup().await;
}

async fn the_petitioner_is_stored_only_when_given(backend: Backend) {
    let (db, store) = setup(backend).await;
    let desk = Desk::plain("C1", GROUP_1, 10).accept(11).assign(12, None);
    let id = desk.id();
    apply(&*store, &desk.log[..1]).await;
    assert_eq!(store.case_petitioner(&id).await.unwrap(), None);

    let with =
        |event: CaseEvent, name: &str| CaseEventItem { petitioner: Some(petitioner(name)), ..item(event) };
    store.apply_case_events(vec![with(desk.event(2), "张三")], false).await.unwrap();
    assert_eq!(store.case_petitioner(&id).await.unwrap(), Some(petitioner("张三")));
    let resent = store.apply_case_events(vec![with(desk.event(2), "张三丰")], false).await.unwrap();
    assert_eq!(resent, [Ok(CaseApplied::Duplicate)]);
    assert_eq!(
        store.case_petitioner(&id).await.unwrap(),
        Some(petitioner("张三丰")),
        "a duplicate still brings the petitioner"
    );
    let mut changed = desk.event(2);
    changed.actor = unverified("someone-else");
    let refused = store.apply_case_events(vec![with(changed, "李四")], false).await.unwrap();
    assert!(matches!(refused[0], Err(DomainError::AlreadyExists(_))));
    apply(&*store, &desk.log[2..]).await;
    assert_eq!(
        store.case_petitioner(&id).await.unwrap(),
        Some(petitioner("张三丰")),
        "neither a refused item nor one without a petitioner changes it"
    );
    assert_eq!(store.case_petitioner(&case_id("C2")).await.unwrap(), None);
    db.cleanup().await;
}

async fn lists_filter_and_page(backend: Backend) {
    let (db, store) = setup(backend).await;
    let escalate = |reason: &str| Action::Escalate { reason: reason.into() };
    let desks = [
        Desk::plain("L1", GROUP_1, 1),
        Desk::plain("L2", GROUP_1, 2).accept(3),
        Desk::open("L3", GROUP_B, 3, Registration { repeat_of: vec!["L0"], ..Registration::default() }),
        Desk::plain("L4", MOVED, 4).act(5, Action::Decline { reason: "a court case is pending".into() }),
        Desk::plain("L5", GROUP_1, 5).act(6, escalate("the group cannot settle it")),
        Desk::plain("L6", GROUP_B, 6).settle(7, Satisfaction::Satisfied),
        Desk::plain("L7", COMMUNITY_B, 7),
        Desk::plain("L8", COMMUNITY_B, 7).act(8, escalate("village")).act(8, escalate("township")),
    ];
    store_desks(&*store, &desks.iter().collect::<Vec<_>>()).await;
    assert_eq!(desks[7].case.owner_unit.as_str(), DISTRICT);
    let all = CaseQuery {
        root: unit(DISTRICT),
        statuses: vec![],
        overdue_on: None,
        repeat_only: false,
        department: None,
        registered_from: None,
        registered_to: None,
        before: None,
        limit: 100,
        people: Default::default(),
    };
    let list = |query: CaseQuery| {
        let store = Arc::clone(&store);
        async move { ids(&store.list_cases(&query).await.unwrap()) }
    };
    let listed = store.list_cases(&all).await.unwrap();
    assert_eq!(ids(&listed), ["L8", "L7", "L6", "L5", "L4", "L3", "L2", "L1"], "newest first, ties by id");
    assert_eq!(listed[0], desks[7].case, "the projection as stored");
    let under = |root: &str| CaseQuery { root: unit(root), ..all.clone() };
    assert_eq!(list(under(TOWNSHIP_A)).await, ["L5", "L2", "L1"], "owner or origin in today's subtree");
    assert_eq!(list(under(COMMUNITY_A)).await, ["L5", "L2", "L1"]);
    assert_eq!(
        list(under(TOWNSHIP_B)).await,
        ["L8", "L7", "L6", "L4", "L3"],
        "the moved group counts where it is now"
    );
    assert_eq!(list(under(MOVED)).await, ["L4"]);
    assert_eq!(
        list(CaseQuery { statuses: vec![CaseStatus::Registered], ..all.clone() }).await,
        ["L8", "L7", "L5", "L3", "L1"]
    );
    assert_eq!(
        list(CaseQuery { statuses: vec![CaseStatus::NotAccepted, CaseStatus::Closed], ..all.clone() }).await,
        ["L6", "L4"]
    );
    assert_eq!(
        list(CaseQuery { statuses: vec![CaseStatus::Registered], ..under(TOWNSHIP_B) }).await,
        ["L8", "L7", "L3"]
    );
    // Acceptance is due 15 days after registration.
    assert_eq!(list(CaseQuery { overdue_on: Some(date(20)), ..all.clone() }).await, ["L3", "L1"]);
    assert_eq!(list(CaseQuery { overdue_on: Some(date(21)), ..all.clone() }).await, ["L5", "L3", "L1"]);
    assert_eq!(list(CaseQuery { repeat_only: true, ..all.clone() }).await, ["L3"]);
    assert_eq!(
        list(CaseQuery { registered_from: Some(date(2)), registered_to: Some(date(4)), ..all.clone() }).await,
        ["L4", "L3", "L2"]
    );

    let mut page = CaseQuery { limit: 3, ..all.clone() };
    let mut seen = Vec::new();
    loop {
        let cases = store.list_cases(&page).await.unwrap();
        let Some(last) = cases.last() else { break };
        assert!(cases.len() <= 3);
        page.before = Some((last.registered_at, last.id.clone()));
        seen.extend(ids(&cases));
    }
    assert_eq!(seen, ids(&listed), "pages without repeats or gaps, through the tie");
    db.cleanup().await;
}

async fn repeats_and_prefix_counts(backend: Backend) {
    let (db, store) = setup(backend).await;
    let (r1, r2) = ("a".repeat(64), "b".repeat(64));
    let by = |reference: &str, category| Registration {
        petitioner_ref: Some(reference.to_owned()),
        category,
        ..Registration::default()
    };
    let wage = DisputeCategory::WageArrears;
    let desks = [
        Desk::open("410411001-2026-0001", GROUP_1, 1, by(&r1, wage)),
        Desk::open("410411002-2026-0001", GROUP_B, 10, by(&r1, wage)),
        Desk::open("410411001-2026-0002", GROUP_1, 12, by(&r1, DisputeCategory::Land)),
        Desk::open("410411001-2026-0003", GROUP_1, 12, by(&r2, wage)),
    ];
    store_desks(&*store, &desks.iter().collect::<Vec<_>>()).await;
    let repeats = |reference: String, category, since: u32| {
        let store = Arc::clone(&store);
        async move {
            store
                .find_repeats(&reference, category, date(since))
                .await
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(repeats(r1.clone(), wage, 1).await, ["410411002-2026-0001", "410411001-2026-0001"]);
    // An ancestor's look around one case: both sides of it, oldest first.
    let around = |reference: String, category, from: u32, to: u32| {
        let store = Arc::clone(&store);
        async move { ids(&store.cases_of_petitioner(&reference, category, date(from), date(to)).await.unwrap()) }
    };
    assert_eq!(around(r1.clone(), wage, 1, 30).await, ["410411001-2026-0001", "410411002-2026-0001"]);
    assert_eq!(around(r1.clone(), wage, 2, 30).await, ["410411002-2026-0001"]);
    assert_eq!(around(r1.clone(), wage, 1, 9).await, ["410411001-2026-0001"]);
    assert_eq!(around(r1.clone(), DisputeCategory::Land, 1, 30).await, ["410411001-2026-0002"]);
    assert!(around("c".repeat(64), wage, 1, 30).await.is_empty());
    assert_eq!(repeats(r1.clone(), wage, 2).await, ["410411002-2026-0001"]);
    assert_eq!(repeats(r1.clone(), DisputeCategory::Land, 1).await, ["410411001-2026-0002"]);
    assert!(repeats(r2.clone(), wage, 13).await.is_empty());
    assert!(repeats("c".repeat(64), wage, 1).await.is_empty());

    for (prefix, count) in [
        ("410411001-2026-", 3),
        ("410411002-", 1),
        ("410411", 4),
        ("", 4),
        ("410411001-2026-0003", 1),
        ("410411001-2026-00031", 0),
        ("4104110_1", 0),
        ("%", 0),
        ("A", 0),
    ] {
        assert_eq!(store.count_cases_with_prefix(prefix).await.unwrap(), count, "prefix {prefix:?}");
    }
    db.cleanup().await;
}

/// The cases behind the figures test, over 2026-11-10..=20. Group 2号楼
/// (MOVED) belongs to township A until the 14th and to township B from the
/// 15th. What each case contributes is said beside it.
fn figure_desks() -> Vec<Desk> {
    let visit = Registration { channel: Channel::Visit, ..Registration::default() };
    vec![
        // Registered, visit and one-visit in A (moved group before the
        // move); accepted on time and closed on time, satisfied, in A.
        Desk::open("F01", MOVED, 12, visit.clone()).settle(12, Satisfaction::Satisfied),
        // Registered in B (after the move); accepted on time in B.
        Desk::plain("F02", MOVED, 16).accept(17),
        // Registered before the range; accepted late (after the 16th) in A.
        Desk::open("F03", GROUP_1, 1, Registration { repeat_of: vec!["F00"], ..Registration::default() })
            .accept(18),
        // Overdue in A: acceptance was due on the 17th.
        Desk::plain("F04", GROUP_1, 2),
        // Registered (a repeat) in B, accepted on time, escalated by the
        // group and assigned down by the community, all in B.
        Desk::open("F05", GROUP_B, 10, Registration { repeat_of: vec!["F00"], ..Registration::default() })
            .accept(10)
            .act(11, Action::Escalate { reason: "needs the village".into() })
            .act(13, Action::AssignDown { to: unit(GROUP_B), deadline: None }),
        // Registered in A, accepted on time, resolved late (deadline the
        // 15th), closed dissatisfied: closed, not on time.
        Desk::plain("F06", GROUP_1, 14)
            .accept(14)
            .assign(14, Some(15))
            .resolve(19)
            .close(19, Satisfaction::Dissatisfied),
        // Overdue in A: due on the 8th, resolved only after the range.
        Desk::plain("F07", GROUP_1, 5).accept(5).assign(5, Some(8)).resolve(22),
        // Declined: never overdue, nothing in the range.
        Desk::plain("F08", GROUP_B, 6).act(7, Action::Decline { reason: "a court case is pending".into() }),
        // Overdue where the moved group is on the 20th: B.
        Desk::plain("F09", MOVED, 3),
        // Registered and a visit in B, accepted on time, closed on time the
        // day after (not a one-visit), petitioner unreachable.
        Desk::open("F10", GROUP_B, 15, visit)
            .accept(15)
            .assign(15, None)
            .resolve(16)
            .close(16, Satisfaction::Unreachable),
        // Registered in B; its escalation (event 3) arrives without event
        // 2, so neither counts.
        Desk::plain("F11", GROUP_B, 11).accept(12).act(13, Action::Escalate { reason: "village".into() }),
    ]
}

fn counts(values: [u64; 14]) -> CaseCounts {
    let mut counts = CaseCounts::default();
    for (figure, value) in CaseFigure::ALL.into_iter().zip(values) {
        counts.set(figure, value);
    }
    counts
}

async fn figures_follow_their_definitions_and_drill_down(backend: Backend) {
    let (db, store) = setup(backend).await;
    let desks = figure_desks();
    let events: Vec<CaseEvent> = desks
        .iter()
        .flat_map(|d| d.log.iter().cloned())
        .filter(|e| !(e.case_id.as_str() == "F11" && e.seq == 2))
        .collect();
    assert!(apply(&*store, &events).await.iter().all(|r| *r == Ok(CaseApplied::Applied)));

    let (from, to) = (date(10), date(20));
    let roots = [DISTRICT, TOWNSHIP_A, TOWNSHIP_B, COMMUNITY_A, MOVED, GROUP_B, "999"];
    let roots: Vec<UnitId> = roots.iter().map(|r| unit(r)).collect();
    let figures = store.case_figures(&roots, from, to).await.unwrap();
    // registered, repeat, visits, one-visit, accepted, on time, closed, on
    // time, satisfied, dissatisfied, unreachable, escalated, assigned down,
    // overdue
    let expected = [
        counts([6, 1, 2, 1, 6, 5, 3, 2, 1, 1, 1, 1, 1, 3]),
        counts([2, 0, 1, 1, 3, 2, 2, 1, 1, 1, 0, 0, 0, 2]),
        counts([4, 1, 1, 0, 3, 3, 1, 1, 0, 0, 1, 1, 1, 1]),
        counts([2, 0, 1, 1, 3, 2, 2, 1, 1, 1, 0, 0, 0, 2]),
        counts([2, 0, 1, 1, 2, 2, 1, 1, 1, 0, 0, 0, 0, 1]),
        counts([3, 1, 1, 0, 2, 2, 1, 1, 0, 0, 1, 1, 0, 0]),
        CaseCounts::default(),
    ];
    for ((root, got), want) in roots.iter().zip(&figures).zip(&expected) {
        assert_eq!(got, want, "figures of {root}");
    }

    for (root, counts) in roots.iter().zip(&figures) {
        for figure in CaseFigure::ALL {
            let drilled = store.case_drill(root, from, to, figure, None, 100).await.unwrap();
            assert_eq!(drilled.len() as u64, counts.get(figure), "{} of {root}", figure.name());
            assert!(drilled.windows(2).all(|w| w[0] < w[1]), "by case id");
        }
    }
    let drill = |root: &str, figure, after: Option<&'static str>, limit| {
        let store = Arc::clone(&store);
        let root = unit(root);
        async move {
            let found = store.case_drill(&root, from, to, figure, after, limit).await.unwrap();
            found.iter().map(ToString::to_string).collect::<Vec<_>>()
        }
    };
    assert_eq!(drill(TOWNSHIP_A, CaseFigure::Overdue, None, 100).await, ["F04", "F07"]);
    assert_eq!(drill(TOWNSHIP_B, CaseFigure::Overdue, None, 100).await, ["F09"]);
    assert_eq!(drill(TOWNSHIP_A, CaseFigure::AcceptedOnTime, None, 100).await, ["F01", "F06"]);
    assert_eq!(drill(DISTRICT, CaseFigure::Registered, None, 4).await, ["F01", "F02", "F05", "F06"]);
    assert_eq!(drill(DISTRICT, CaseFigure::Registered, Some("F06"), 4).await, ["F10", "F11"]);

    // Event 2 of F11 arrives: its acceptance and escalation count now.
    apply(&*store, &[desks[10].event(2)]).await;
    let b = store.case_figures(&[unit(TOWNSHIP_B)], from, to).await.unwrap()[0];
    assert_eq!((b.accepted, b.accepted_on_time, b.escalated), (4, 4, 2));
    assert_eq!(drill(TOWNSHIP_B, CaseFigure::Escalated, None, 100).await, ["F05", "F11"]);
    db.cleanup().await;
}

/// Every figure of every root over `[from, to]`, with the ids behind each.
async fn snapshot(
    store: &dyn Store,
    roots: &[&str],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<(CaseCounts, Vec<Vec<String>>)> {
    let roots: Vec<UnitId> = roots.iter().map(|r| unit(r)).collect();
    let figures = store.case_figures(&roots, from, to).await.unwrap();
    let mut out = Vec::new();
    for (root, counts) in roots.iter().zip(figures) {
        let mut drilled = Vec::new();
        for figure in CaseFigure::ALL {
            let ids = store.case_drill(root, from, to, figure, None, 100).await.unwrap();
            assert_eq!(ids.len() as u64, counts.get(figure), "{} of {root}", figure.name());
            drilled.push(ids.iter().map(ToString::to_string).collect());
        }
        out.push((counts, drilled));
    }
    out
}

const SNAPSHOT_ROOTS: [&str; 8] =
    [DISTRICT, TOWNSHIP_A, TOWNSHIP_B, COMMUNITY_A, COMMUNITY_B, GROUP_1, MOVED, GROUP_B];

/// The ids behind one figure of one root in a snapshot of [`SNAPSHOT_ROOTS`].
fn behind(snapshot: &[(CaseCounts, Vec<Vec<String>>)], root: &str, figure: CaseFigure) -> Vec<String> {
    let r = SNAPSHOT_ROOTS.iter().position(|x| *x == root).unwrap();
    let f = CaseFigure::ALL.iter().position(|x| *x == figure).unwrap();
    snapshot[r].1[f].clone()
}

/// The figure cases plus a visit answered on the spot on the 18th.
fn worked_desks() -> Vec<Desk> {
    let visit = Registration { channel: Channel::Visit, ..Registration::default() };
    let mut desks = figure_desks();
    desks.push(Desk::open("F12", GROUP_1, 18, visit).settle(18, Satisfaction::Dissatisfied));
    desks
}

async fn a_past_range_keeps_its_figures_when_cases_are_worked_later(backend: Backend) {
    let (db, store) = setup(backend).await;
    let desks = worked_desks();
    store_desks(&*store, &desks.iter().collect::<Vec<_>>()).await;
    let (from, to) = (date(10), date(20));
    let before = snapshot(&*store, &SNAPSHOT_ROOTS, from, to).await;
    let overdue_list = |on: NaiveDate| {
        let store = Arc::clone(&store);
        async move {
            let query = CaseQuery {
                root: unit(DISTRICT),
                statuses: Vec::new(),
                overdue_on: Some(on),
                repeat_only: false,
                department: None,
                registered_from: None,
                registered_to: None,
                before: None,
                limit: 100,
                people: Default::default(),
            };
            let mut listed = ids(&store.list_cases(&query).await.unwrap());
            listed.sort();
            listed
        }
    };
    assert_eq!(overdue_list(to).await, ["F04", "F07", "F09"]);
    assert_eq!(behind(&before, TOWNSHIP_A, CaseFigure::Overdue), ["F04", "F07"]);
    assert_eq!(behind(&before, MOVED, CaseFigure::Overdue), ["F09"]);
    assert_eq!(behind(&before, COMMUNITY_B, CaseFigure::Overdue), ["F09"]);
    assert_eq!(behind(&before, GROUP_1, CaseFigure::OneVisit), ["F12"]);

    // Worked after the range: F04 accepted at last (a new deadline), F09
    // escalated to its village (a new owner), F07 closed and reopened (a
    // fresh handling period), the visit F12 reopened.
    let find = |id: &str| desks.iter().find(|d| d.case.id.as_str() == id).unwrap().clone();
    let later = [
        find("F04").accept(25),
        find("F09").act(25, Action::Escalate { reason: "the village must mediate".into() }),
        find("F07")
            .close(23, Satisfaction::Dissatisfied)
            .act(24, Action::Reopen { reason: "the fence moved again".into() }),
        find("F12").act(25, Action::Reopen { reason: "the neighbour did not comply".into() }),
    ];
    let new_events: Vec<CaseEvent> = later
        .iter()
        .flat_map(|desk| {
            let stored = find(desk.case.id.as_str()).log.len();
            desk.log[stored..].to_vec()
        })
        .collect();
    assert_eq!(new_events.len(), 5);
    assert!(apply(&*store, &new_events).await.iter().all(|r| *r == Ok(CaseApplied::Applied)));

    // The range that ended on the 20th: every figure and drill-down as it
    // was, and the ledger's list of the cases overdue that day.
    assert_eq!(snapshot(&*store, &SNAPSHOT_ROOTS, from, to).await, before);
    assert_eq!(overdue_list(to).await, ["F04", "F07", "F09"]);
    assert_eq!(overdue_list(date(26)).await, ["F09"]);

    // A range ending after the work sees it.
    let now = snapshot(&*store, &SNAPSHOT_ROOTS, from, date(26)).await;
    assert!(behind(&now, TOWNSHIP_A, CaseFigure::Overdue).is_empty(), "F04 accepted, F07 reopened");
    assert!(behind(&now, MOVED, CaseFigure::Overdue).is_empty(), "F09 left the group");
    assert_eq!(behind(&now, COMMUNITY_B, CaseFigure::Overdue), ["F09"]);
    assert_eq!(behind(&now, GROUP_1, CaseFigure::OneVisit), ["F12"], "answered on the day of the visit");
    db.cleanup().await;
}

/// A raw pool beside the store, for what no store call does.
async fn raw_execute(db: &TestDb, sql: &'static str) {
    match db.backend() {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url()).await.unwrap();
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

async fn cases_stored_before_the_due_spans_get_them_on_the_next_open(backend: Backend) {
    let (db, store) = setup(backend).await;
    let desks = worked_desks();
    store_desks(&*store, &desks.iter().collect::<Vec<_>>()).await;
    let (from, to) = (date(10), date(20));
    let want = snapshot(&*store, &SNAPSHOT_ROOTS, from, to).await;
    store.close().await;
    // The database as migration 0010 finds one written before it: cases
    // without spans, and the key it sets.
    raw_execute(
        &db,
        "DELETE FROM case_due_spans; \
         INSERT INTO node_meta (key, value) VALUES ('case_due_spans_pending', 'true')",
    )
    .await;
    let store = db.open().await.unwrap();
    assert_eq!(store.get_meta("case_due_spans_pending").await.unwrap(), None);
    assert_eq!(snapshot(&*store, &SNAPSHOT_ROOTS, from, to).await, want);
    store.close().await;
    db.cleanup().await;
}

async fn supervisions_and_roster_round_trip(backend: Backend) {
    let (db, store) = setup(backend).await;
    let notice = |id: &str, day: u32| SupervisionRow {
        supervision_id: id.into(),
        case_id: "C1".into(),
        from_unit_id: DISTRICT.into(),
        to_unit_id: GROUP_1.into(),
        kind: "document".into(),
        reply_by: date(day + 5),
        text: "report progress by the reply date".into(),
        sender: officer(&unit(DISTRICT)),
        issued_at: morning(day),
    };
    let (later, earlier) = (notice("S2", 12), notice("S1", 10));
    assert!(store.insert_supervision(&later, audit_record("S2")).await.unwrap());
    assert!(store.insert_supervision(&earlier, audit_record("S1")).await.unwrap());
    assert!(
        !store
            .insert_supervision(
                &SupervisionRow { text: "changed".into(), ..earlier.clone() },
                audit_record("S1")
            )
            .await
            .unwrap()
    );
    assert_eq!(store.list_supervisions(&case_id("C1")).await.unwrap(), [earlier, later]);
    assert!(store.list_supervisions(&case_id("C2")).await.unwrap().is_empty());

    let duty = |unit_id: &str, day: u32, leader: &str| RosterRow {
        unit_id: unit_id.into(),
        duty_date: date(day),
        leader: leader.into(),
    };
    let stored = store
        .set_roster(
            &[duty(GROUP_1, 2, "王"), duty(GROUP_1, 1, "李"), duty(GROUP_B, 1, "赵"), duty(GROUP_1, 2, "张")],
            audit_record("roster"),
        )
        .await
        .unwrap();
    assert_eq!(stored, 4);
    assert_eq!(
        store.roster(&unit(GROUP_1), date(1), date(2)).await.unwrap(),
        [duty(GROUP_1, 1, "李"), duty(GROUP_1, 2, "张")]
    );
    assert_eq!(store.roster(&unit(GROUP_1), date(2), date(9)).await.unwrap(), [duty(GROUP_1, 2, "张")]);
    assert!(store.roster(&unit(GROUP_1), date(3), date(9)).await.unwrap().is_empty());
    assert_eq!(store.set_roster(&[], audit_record("roster")).await.unwrap(), 0);
    db.cleanup().await;
}

/// Rows written before actors were structured: a case event whose JSON
/// names its actor as a plain string, a supervision whose `actor` column is
/// plain text, a notice without a sender.
async fn rows_stored_before_structured_actors_stay_readable(backend: Backend) {
    let (db, store) = setup(backend).await;
    let mut desk = Desk::plain("OLD-1", GROUP_1, 10).accept(11);
    desk.log[0].actor = unverified("officer-1");
    desk.case = Case::replay(&desk.log).unwrap();
    store_desks(&*store, &[&desk]).await;
    // Event 1 as an older version wrote it.
    let mut old = serde_json::to_value(&desk.log[0]).unwrap();
    old["actor"] = serde_json::Value::String("officer-1".into());
    let old = old.to_string().replace('\'', "''");
    let update = format!("UPDATE case_events SET body = '{old}' WHERE case_id = 'OLD-1' AND seq = 1");
    execute_raw(&db, &format!("{update}; {OLD_ROWS}")).await;
    let stored = store.get_case(&desk.id()).await.unwrap().expect("the case reads back");
    assert_eq!(stored.events[0].actor, unverified("officer-1"), "a plain string is unverified text");
    assert_eq!(stored.events, desk.log);
    // The same event resent in the new encoding is a duplicate, not a
    // conflict; another actor is still a conflict.
    assert_eq!(apply(&*store, &desk.log[..1]).await, [Ok(CaseApplied::Duplicate)]);
    let mut other = desk.event(1);
    other.actor = officer(&unit(GROUP_1));
    assert!(matches!(apply(&*store, &[other]).await[0], Err(DomainError::AlreadyExists(_))));
    // The log folds on past the old event.
    let desk = desk.assign(12, None);
    assert_eq!(apply(&*store, &desk.log[2..]).await, [Ok(CaseApplied::Applied)]);
    assert_eq!(store.get_case(&desk.id()).await.unwrap().unwrap().case, desk.case);
    let supervisions = store.list_supervisions(&desk.id()).await.unwrap();
    assert_eq!(supervisions.len(), 1);
    assert_eq!(supervisions[0].sender, unverified("officer-9"));
    let notices = store.list_notices(&unit(GROUP_1), None, 100).await.unwrap();
    assert_eq!((notices.len(), notices[0].sender.as_ref()), (1, None));
    db.cleanup().await;
}

/// Runs `sql` on the test database beside the store.
async fn execute_raw(db: &TestDb, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match db.backend() {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url()).await.unwrap();
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

/// A supervision and a notice as an older version stored them.
const OLD_ROWS: &str = "INSERT INTO supervisions (supervision_id, case_id, from_unit_id, to_unit_id, kind, \
    reply_by, text, actor, issued_at) VALUES ('410411-S1', 'OLD-1', '410411', '410411001001001', 'document', \
    '2026-11-20', 'report back', 'officer-9', '2026-11-12T01:00:00Z'); \
    INSERT INTO notices (notice_id, target_unit_id, from_unit_id, text, created_at) VALUES \
    ('410411-n1', '410411001001001', '410411', 'report on Friday', '2026-11-12T01:00:00Z');";

/// A department of the district.
fn department(code: &str) -> fengqiao_core::department::DepartmentId {
    fengqiao_core::department::DepartmentId::parse(&format!("{DISTRICT}:{code}")).unwrap()
}

fn transfer(code: &str) -> Action {
    Action::TransferToDepartment {
        department: department(code),
        reason: "the department's matter".into(),
        deadline: None,
    }
}

async fn departments_list_and_figures(backend: Backend) {
    let (db, store) = setup(backend).await;
    // D1: transferred to hrss on the 3rd, resolved on time and closed on the 4th.
    let d1 =
        Desk::plain("D1", DISTRICT, 2).accept(2).assign(2, None).act(3, transfer("hrss")).assign(3, None);
    let d1 = d1.resolve(4).close(4, Satisfaction::Satisfied);
    // D2: assigned to housing on the 2nd, to report by the 5th; never reported.
    let d2 = Desk::plain("D2", DISTRICT, 2)
        .accept(2)
        .act(2, Action::AssignToDepartment { department: department("housing"), report_by: date(5) });
    // D3: held by hrss from the 3rd, by housing from the 6th.
    let d3 = Desk::plain("D3", DISTRICT, 2).accept(2).act(3, transfer("hrss")).act(6, transfer("housing"));
    // No department: listed under none.
    let plain = Desk::plain("D4", DISTRICT, 2).accept(2);
    store_desks(&*store, &[&d1, &d2, &d3, &plain]).await;

    let all = CaseQuery {
        root: unit(DISTRICT),
        statuses: vec![],
        overdue_on: None,
        repeat_only: false,
        department: None,
        registered_from: None,
        registered_to: None,
        before: None,
        limit: 100,
        people: Default::default(),
    };
    let by = |code: &str| CaseQuery { department: Some(department(code)), ..all.clone() };
    assert_eq!(ids(&store.list_cases(&by("hrss")).await.unwrap()), ["D1"], "held now; D3 no longer");
    assert_eq!(ids(&store.list_cases(&by("housing")).await.unwrap()), ["D3", "D2"], "held or assigned");
    assert!(store.list_cases(&by("market")).await.unwrap().is_empty());
    let township = CaseQuery { root: unit(TOWNSHIP_A), ..by("housing") };
    assert!(store.list_cases(&township).await.unwrap().is_empty(), "still within the root's subtree");

    let hrss = department("hrss");
    let housing = department("housing");
    // The first days, as the cases stood then (D3 still at hrss).
    let early = store.department_figures(&unit(DISTRICT), date(2), date(4)).await.unwrap();
    let h = early.rows[&hrss];
    assert_eq!((h.transferred_in, h.resolved, h.resolved_on_time, h.held_open, h.overdue), (2, 1, 1, 1, 0));
    assert_eq!(h.on_time_rate(), 100.0);
    let o = early.rows[&housing];
    assert_eq!((o.assigned, o.reported, o.report_overdue, o.transferred_in), (1, 0, 0, 0));
    assert_eq!((early.total.transferred_in, early.total.assigned, early.total.held_open), (2, 1, 1));
    // Later: D3 moved to housing, and D2's report is overdue.
    let late = store.department_figures(&unit(DISTRICT), date(6), date(8)).await.unwrap();
    let o = late.rows[&housing];
    assert_eq!((o.transferred_in, o.held_open, o.assigned, o.report_overdue), (1, 1, 0, 1));
    assert_eq!(late.rows.get(&hrss).map(|h| (h.transferred_in, h.held_open)).unwrap_or_default(), (0, 0));
    assert_eq!((late.total.held_open, late.total.report_overdue), (1, 1));
    // On its report-by day an assignment is not yet overdue.
    let on_the_day = store.department_figures(&unit(DISTRICT), date(2), date(5)).await.unwrap();
    assert_eq!((on_the_day.rows[&housing].assigned, on_the_day.rows[&housing].report_overdue), (1, 0));
    let next_day = store.department_figures(&unit(DISTRICT), date(2), date(6)).await.unwrap();
    assert_eq!(next_day.rows[&housing].report_overdue, 1);
    // Another unit's departments have none of these.
    let other = store.department_figures(&unit(TOWNSHIP_A), date(1), date(30)).await.unwrap();
    assert!(other.rows.is_empty());
    assert_eq!(other.total, Default::default());
    db.cleanup().await;
}

fengqiao_store::both_backends!(
    rows_stored_before_structured_actors_stay_readable,
    resent_events_are_duplicates_and_changed_ones_refused,
    forwarded_events_share_the_outbox_with_reports,
    a_gap_holds_the_projection_until_it_is_filled,
    the_petitioner_is_stored_only_when_given,
    lists_filter_and_page,
    repeats_and_prefix_counts,
    figures_follow_their_definitions_and_drill_down,
    a_past_range_keeps_its_figures_when_cases_are_worked_later,
    cases_stored_before_the_due_spans_get_them_on_the_next_open,
    supervisions_and_roster_round_trip,
    departments_list_and_figures,
);
