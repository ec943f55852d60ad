//! The case ledger: the state machine under random action sequences,
//! deadline arithmetic on a fixed clock, petitioner data and repeat links.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use proptest::prelude::*;
use proptest::sample::select;

use super::*;
use crate::actor::Actor;

/// The acting officer, as an insecure node records one (the certificate's
/// person is covered in `crate::actor`).
fn actor() -> Actor {
    Actor::Unverified { text: Some("officer-1".into()), on_behalf_of: None }
}
const NOTE: &str = "spoke with both parties";

/// A small unit tree, as (unit, parent).
const TREE: &[(&str, Option<&str>)] = &[
    ("district", None),
    ("town-a", Some("district")),
    ("town-b", Some("district")),
    ("village-a1", Some("town-a")),
    ("village-a2", Some("town-a")),
    ("village-b1", Some("town-b")),
    ("group-1", Some("village-a1")),
];
/// Where every case of these tests is registered.
const ORIGIN: &str = "group-1";

fn unit(id: &str) -> UnitId {
    UnitId::parse(id).unwrap()
}

fn case_id(id: &str) -> CaseId {
    CaseId::parse(id).unwrap()
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// Half past nine (UTC) on `day`.
fn morning(day: &str) -> DateTime<Utc> {
    date(day).and_hms_opt(9, 30, 0).unwrap().and_utc()
}

fn parent(id: &str) -> Option<&'static str> {
    TREE.iter().find(|(u, _)| *u == id).and_then(|(_, p)| *p)
}

/// Whether `id` lies strictly below `owner` in [`TREE`].
fn is_below(id: &str, owner: &str) -> bool {
    std::iter::successors(parent(id), |p| parent(p)).any(|p| p == owner)
}

fn intake() -> Intake {
    Intake {
        origin_unit: unit(ORIGIN),
        category: DisputeCategory::WageArrears,
        channel: Channel::Report,
        summary: "twelve workers unpaid since March".into(),
        petitioner_ref: None,
        source: None,
        workers: 12,
        amount_claimed_cents: 4_800_000,
        project: None,
    }
}

/// An officer of `owner` acting at `at`, with `owner`'s place in [`TREE`].
fn context<'a>(
    at: DateTime<Utc>,
    note: &str,
    owner: &UnitId,
    below: &'a (dyn Fn(&UnitId) -> bool + Sync),
    policy: DeadlinePolicy,
) -> Context<'a> {
    Context {
        at,
        on: at.date_naive(),
        actor: actor(),
        note: note.into(),
        owner_parent: parent(owner.as_str()).map(unit),
        is_below_owner: below,
        policy,
    }
}

/// A case and its log, kept in step.
#[derive(Debug)]
struct Desk {
    case: Case,
    log: Vec<CaseEvent>,
    policy: DeadlinePolicy,
}

impl Desk {
    fn open(at: DateTime<Utc>, policy: DeadlinePolicy) -> Desk {
        let owner = unit(ORIGIN);
        let below = |u: &UnitId| is_below(u.as_str(), owner.as_str());
        let first =
            Case::register(case_id("case-1"), intake(), None, &context(at, NOTE, &owner, &below, policy))
                .unwrap();
        Desk { case: Case::start(&first).unwrap(), log: vec![first], policy }
    }

    /// A case registered on `day` under the default policy.
    fn open_on(day: &str) -> Desk {
        Desk::open(morning(day), DeadlinePolicy::default())
    }

    fn decide(&self, at: DateTime<Utc>, note: &str, action: Action) -> Result<CaseEvent, DomainError> {
        let owner = &self.case.owner_unit;
        let below = |u: &UnitId| is_below(u.as_str(), owner.as_str());
        self.case.decide(action, &context(at, note, owner, &below, self.policy))
    }

    fn record(&mut self, event: CaseEvent) {
        self.case.apply(&event).unwrap();
        self.log.push(event);
    }

    /// Does `action` on the morning of `day`, or says why not.
    fn try_act(&mut self, day: &str, action: Action) -> Result<(), DomainError> {
        let event = self.decide(morning(day), NOTE, action)?;
        self.record(event);
        Ok(())
    }

    /// Does `action` on the morning of `day`, which must be allowed.
    fn act(&mut self, day: &str, action: Action) -> &Case {
        self.try_act(day, action).unwrap();
        &self.case
    }

    /// Does `action` on the morning of `day`, which must be refused, and
    /// checks that the refusal left the case as it was.
    fn refuse(&mut self, day: &str, action: Action) -> DomainError {
        let before = self.case.clone();
        let err = self.try_act(day, action).unwrap_err();
        assert_eq!(self.case, before);
        err
    }

    /// Registered on `registered`, accepted and assigned on `assigned`.
    fn assigned(registered: &str, assigned: &str) -> Desk {
        let mut desk = Desk::open_on(registered);
        desk.act(registered, Action::Accept);
        desk.act(assigned, assign());
        desk
    }

    fn count(&self, name: &str) -> usize {
        self.log.iter().filter(|e| e.kind.name() == name).count()
    }

    /// Extensions since the current handling period began (a reopening or
    /// an overturned review starts a fresh one, with its own extension).
    fn extensions_this_period(&self) -> usize {
        let fresh = self.log.iter().rposition(|e| {
            matches!(
                e.kind,
                EventKind::Reopened { .. } | EventKind::Reviewed { decision: ReviewDecision::Overturned, .. }
            )
        });
        self.log[fresh.map_or(0, |i| i + 1)..].iter().filter(|e| e.kind.name() == "extended").count()
    }
}

fn assign() -> Action {
    Action::Assign {
        leader: "Li Ming".into(),
        responsible: "Wang Fang".into(),
        plan: "mediate with the employer".into(),
        deadline: None,
    }
}

fn extend(days: u32) -> Action {
    Action::Extend { days, reason: "the employer's accounts are frozen".into() }
}

fn resolve() -> Action {
    Action::Resolve { resolution: "wages paid in full".into(), amount_recovered_cents: 4_800_000 }
}

fn close(satisfaction: Satisfaction) -> Action {
    Action::Close { satisfaction }
}

fn request_review() -> Action {
    Action::RequestReview { reason: "the amount paid is short".into() }
}

fn decide_review(decision: ReviewDecision) -> Action {
    Action::DecideReview { decision }
}

/// Whether `err` is a refusal that names `status`.
fn refusal_names(err: &DomainError, status: CaseStatus) -> bool {
    matches!(err, DomainError::FailedPrecondition(msg) if msg.text.contains(status.as_str()))
}

fn assert_failed(err: &DomainError, status: CaseStatus) {
    assert!(refusal_names(err, status), "expected FailedPrecondition naming {status}, got {err:?}");
}

fn assert_invalid(err: &DomainError, expected: &str) {
    match err {
        DomainError::Invalid { field, .. } => assert_eq!(field, expected),
        other => panic!("expected Invalid on {expected}, got {other:?}"),
    }
}

// The state machine under random action sequences.

/// Action dates are drawn as days from this anchor, then moved next to the
/// date of the step that uses them (see [`rebase`]).
fn anchor() -> NaiveDate {
    date("2000-01-01")
}

/// `action` with its dates moved from days after [`anchor`] to days after `on`.
fn rebase(action: Action, on: NaiveDate) -> Action {
    let shift = |d: NaiveDate| on + (d - anchor());
    match action {
        Action::Assign { leader, responsible, plan, deadline } => {
            Action::Assign { leader, responsible, plan, deadline: deadline.map(shift) }
        }
        Action::AssignDown { to, deadline } => Action::AssignDown { to, deadline: deadline.map(shift) },
        Action::Supervised { supervision_id, from, kind, reply_by, sender } => {
            Action::Supervised { supervision_id, from, kind, reply_by: shift(reply_by), sender }
        }
        Action::FlagRepeat { of, window_days, since } => {
            Action::FlagRepeat { of, window_days, since: shift(since) }
        }
        Action::TransferToDepartment { department, reason, deadline } => {
            Action::TransferToDepartment { department, reason, deadline: deadline.map(shift) }
        }
        Action::AssignToDepartment { department, report_by } => {
            Action::AssignToDepartment { department, report_by: shift(report_by) }
        }
        other => other,
    }
}

/// The event kind an allowed action writes.
fn event_name(action: &Action) -> &'static str {
    match action {
        Action::Accept => "accepted",
        Action::Decline { .. } => "not_accepted",
        Action::Assign { .. } => "assigned",
        Action::Progress => "progress",
        Action::Extend { .. } => "extended",
        Action::Escalate { .. } => "escalated",
        Action::AssignDown { .. } => "assigned_down",
        Action::Resolve { .. } => "resolved",
        Action::Close { .. } => "closed",
        Action::Reopen { .. } => "reopened",
        Action::RequestReview { .. } => "review_requested",
        Action::DecideReview { .. } => "reviewed",
        Action::Supervised { .. } => "supervised",
        Action::ReplySupervision { .. } => "supervision_replied",
        Action::FlagRepeat { .. } => "repeat_found",
        Action::TransferToDepartment { .. } => "transferred_to_department",
        Action::AssignToDepartment { .. } => "assigned_to_department",
        Action::ReportBack { .. } => "department_reported",
        Action::SetWorkingGroup { .. } => "working_group_set",
        Action::ReplyToPetitioner { .. } => "public_replied",
        Action::IssueReceipt { .. } => "receipt_issued",
        Action::RecordRating { .. } => "petitioner_rated",
    }
}

/// A department of a unit of the tree (or of one outside it): hrss or justice.
fn any_department() -> impl Strategy<Value = crate::department::DepartmentId> {
    (any_unit(), select(&["hrss", "justice"][..])).prop_map(|(unit, code)| {
        crate::department::DepartmentId::new(
            unit,
            crate::department::DeptCode::parse_field(code, "code").unwrap(),
        )
    })
}

/// A reason, name or plan: mostly usable, sometimes blank.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![8 => Just("wages paid in full"), 1 => Just(""), 1 => Just("   ")].prop_map(String::from)
}

/// A date near the step's own (before it, on it, or up to three months on).
fn near_date() -> impl Strategy<Value = NaiveDate> {
    (-5i64..90).prop_map(|days| anchor() + TimeDelta::days(days))
}

/// Mostly none (keep the case's deadline), else a date near the step's.
fn maybe_date() -> impl Strategy<Value = Option<NaiveDate>> {
    proptest::option::weighted(0.25, near_date())
}

/// A unit of the tree, or one outside it.
fn any_unit() -> impl Strategy<Value = UnitId> {
    let mut ids: Vec<&str> = TREE.iter().map(|(u, _)| *u).collect();
    ids.push("elsewhere");
    select(ids).prop_map(unit)
}

/// Often dissatisfied, so that runs reach reopening and review.
fn satisfaction() -> impl Strategy<Value = Satisfaction> {
    prop_oneof![Just(Satisfaction::Dissatisfied), select(Satisfaction::ALL)]
}

/// Known, unknown and malformed supervision ids.
fn supervision_id() -> impl Strategy<Value = String> {
    select(&["sup-1", "sup-2", "bad id"][..]).prop_map(String::from)
}

fn action() -> impl Strategy<Value = Action> {
    let assign = (text(), text(), text(), maybe_date()).prop_map(|(leader, responsible, plan, deadline)| {
        Action::Assign { leader, responsible, plan, deadline }
    });
    let days = prop_oneof![Just(0u32), 1u32..=30, Just(31), Just(41)];
    let amount = prop_oneof![Just(-1i64), 0..10_000_000i64, Just(MAX_AMOUNT_CENTS + 1)];
    let supervised = (supervision_id(), any_unit(), select(SupervisionKind::ALL), near_date()).prop_map(
        |(supervision_id, from, kind, reply_by)| Action::Supervised {
            supervision_id,
            from,
            kind,
            reply_by,
            sender: None,
        },
    );
    // Earlier cases, the case itself (never a repeat of itself) or nothing.
    let flag_repeat =
        (proptest::collection::vec(select(&["case-0", "case-1", "case-2"][..]), 0..3), near_date()).prop_map(
            |(of, since)| Action::FlagRepeat {
                of: of.into_iter().map(case_id).collect(),
                window_days: 365,
                since,
            },
        );
    // Weighted towards the actions that move a case on, so that runs reach
    // closure, reopening and review rather than stopping early.
    prop_oneof![
        3 => Just(Action::Accept),
        1 => text().prop_map(|reason| Action::Decline { reason }),
        4 => assign,
        2 => Just(Action::Progress),
        2 => (days, text()).prop_map(|(days, reason)| Action::Extend { days, reason }),
        1 => text().prop_map(|reason| Action::Escalate { reason }),
        1 => (any_unit(), maybe_date()).prop_map(|(to, deadline)| Action::AssignDown { to, deadline }),
        4 => (text(), amount).prop_map(|(resolution, amount_recovered_cents)| Action::Resolve {
            resolution,
            amount_recovered_cents
        }),
        4 => satisfaction().prop_map(close),
        2 => text().prop_map(|reason| Action::Reopen { reason }),
        3 => text().prop_map(|reason| Action::RequestReview { reason }),
        3 => select(ReviewDecision::ALL).prop_map(decide_review),
        1 => supervised,
        1 => supervision_id().prop_map(|supervision_id| Action::ReplySupervision { supervision_id }),
        1 => flag_repeat,
        1 => (any_department(), text(), maybe_date()).prop_map(|(department, reason, deadline)| {
            Action::TransferToDepartment { department, reason, deadline }
        }),
        1 => (any_department(), near_date())
            .prop_map(|(department, report_by)| Action::AssignToDepartment { department, report_by }),
        1 => (any_department(), text()).prop_map(|(department, report)| Action::ReportBack { department, report }),
        1 => select(&["lead-1", "bad id"][..]).prop_map(|person| Action::SetWorkingGroup {
            lead: GroupMember { person: person.to_owned(), unit: unit("district"), department: None },
            members: vec![GroupMember { person: "m-1".into(), unit: unit("town-a"), department: None }],
        }),
        1 => text().prop_map(|text| Action::ReplyToPetitioner { text }),
        1 => select(&[Satisfaction::Satisfied, Satisfaction::Unreachable][..])
            .prop_map(|satisfaction| Action::RecordRating { satisfaction, rating_id: "r-1".into() }),
    ]
}

/// One step of a run: how far the clock moves, the note, and what is asked:
/// the first of `actions` that the case's status allows, else the first.
/// (Picking among a few makes runs get far: closure, reopening, review.)
#[derive(Debug, Clone)]
struct Step {
    advance: TimeDelta,
    note: &'static str,
    actions: Vec<Action>,
}

impl Step {
    fn action(&self, status: CaseStatus) -> Action {
        let allowed = |a: &&Action| a.allowed_from().contains(&status);
        self.actions.iter().find(allowed).unwrap_or(&self.actions[0]).clone()
    }
}

fn step() -> impl Strategy<Value = Step> {
    // Mostly a few days, so that cases get far before they fall overdue, and
    // now and then up to 40, so that dates cross month and year ends.
    let days = prop_oneof![6 => 0i64..3, 1 => 0i64..=40];
    let actions = proptest::collection::vec(action(), 1..=6);
    (days, 0i64..7200, select(&[NOTE, NOTE, "", "  "][..]), actions).prop_map(
        |(days, seconds, note, actions)| Step {
            advance: TimeDelta::days(days) + TimeDelta::seconds(seconds),
            note,
            actions,
        },
    )
}

/// A registration time between 2019 and 2025.
fn start() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..2400, 0i64..86_400).prop_map(|(days, seconds)| {
        morning("2019-01-01") + TimeDelta::days(days) + TimeDelta::seconds(seconds)
    })
}

/// The default policy, or one with other lengths (some long enough that
/// cases rarely fall overdue, so that runs get further).
fn policy() -> impl Strategy<Value = DeadlinePolicy> {
    let other = (1u32..=30, 1u32..=400, 1u32..=40, 1u32..=60).prop_map(
        |(accept_days, handle_days, max_extension_days, review_days)| DeadlinePolicy {
            accept_days,
            handle_days,
            max_extension_days,
            review_days,
            ..DeadlinePolicy::default()
        },
    );
    prop_oneof![Just(DeadlinePolicy::default()), other]
}

/// Dates on which to look at a case: its registration, `on`, and far on.
fn probe_dates(case: &Case, on: NaiveDate) -> [NaiveDate; 5] {
    [case.registered_on, on, on + TimeDelta::days(1), on + TimeDelta::days(1000), NaiveDate::MAX]
}

fn check_invariants(desk: &Desk, on: NaiveDate) -> Result<(), TestCaseError> {
    let case = &desk.case;
    prop_assert_eq!(case.seq as usize, desk.log.len());
    let settled = matches!(case.status, CaseStatus::NotAccepted | CaseStatus::Resolved | CaseStatus::Closed);
    for day in probe_dates(case, on) {
        prop_assert_eq!(case.is_overdue(day), case.days_overdue(day) > 0);
        if settled {
            prop_assert!(!case.is_overdue(day), "{} case overdue on {}", case.status, day);
        }
    }
    let extensions = desk.extensions_this_period();
    prop_assert!(extensions <= 1, "{} extensions in one handling period", extensions);
    prop_assert_eq!(case.extended, extensions == 1);
    prop_assert!(case.reviews <= MAX_REVIEWS);
    prop_assert_eq!(case.reviews as usize, desk.count("reviewed"));
    Ok(())
}

/// Events that must not follow the case as it stands: a skipped sequence
/// number, a repeated one, and a second registration.
fn out_of_order(desk: &Desk, at: DateTime<Utc>) -> Vec<CaseEvent> {
    let last = desk.log.last().unwrap().clone();
    let skipped = CaseEvent { seq: desk.case.seq + 2, at, ..last.clone() };
    let second_registration = CaseEvent { seq: desk.case.seq + 1, at, ..desk.log[0].clone() };
    vec![skipped, last, second_registration]
}

/// Replays the log as stored and after a JSON round trip of each event.
fn check_replay(desk: &Desk) -> Result<(), TestCaseError> {
    prop_assert_eq!(&Case::replay(&desk.log).unwrap(), &desk.case);
    let json: Vec<String> = desk.log.iter().map(|e| serde_json::to_string(e).unwrap()).collect();
    let back: Vec<CaseEvent> = json.iter().map(|j| serde_json::from_str(j).unwrap()).collect();
    prop_assert_eq!(&back, &desk.log);
    prop_assert_eq!(&Case::replay(&back).unwrap(), &desk.case);
    Ok(())
}

/// One step: decide, check the answer, and apply it when allowed.
fn take_step(desk: &mut Desk, at: DateTime<Utc>, step: Step) -> Result<(), TestCaseError> {
    let before = desk.case.clone();
    let action = rebase(step.action(before.status), at.date_naive());
    let allowed = action.allowed_from().contains(&before.status);
    match desk.decide(at, step.note, action.clone()) {
        Err(err) => {
            if !allowed {
                prop_assert!(
                    refusal_names(&err, before.status),
                    "{:?} from {}: {:?}",
                    action,
                    before.status,
                    err
                );
            }
            prop_assert_eq!(&desk.case, &before);
        }
        Ok(event) => {
            prop_assert!(allowed, "{:?} allowed from {}", action, before.status);
            prop_assert_eq!(event.seq, before.seq + 1);
            prop_assert_eq!(event.kind.name(), event_name(&action));
            prop_assert_eq!((event.at, event.on), (at, at.date_naive()));
            prop_assert_eq!(&event.unit, &before.owner_unit);
            prop_assert_eq!(event.validate(), Ok(()));
            let applied = desk.case.apply(&event);
            prop_assert_eq!(applied, Ok(()), "{:?} from {}", event.kind, before.status);
            prop_assert_eq!(&desk.case.owner_unit, event.kind.new_owner().unwrap_or(&before.owner_unit));
            desk.log.push(event);
        }
    }
    for event in out_of_order(desk, at) {
        let current = desk.case.clone();
        prop_assert!(
            desk.case.apply(&event).is_err(),
            "applied {:?} at seq {}",
            event.kind.name(),
            current.seq
        );
        prop_assert_eq!(&desk.case, &current);
    }
    check_invariants(desk, at.date_naive())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn random_action_sequences_keep_the_ledger_consistent(
        start in start(),
        policy in policy(),
        steps in proptest::collection::vec(step(), 1..=40),
    ) {
        let mut desk = Desk::open(start, policy);
        let mut at = start;
        for step in steps {
            at += step.advance;
            take_step(&mut desk, at, step)?;
        }
        check_replay(&desk)?;
    }

    #[test]
    fn exactly_one_check_character_completes_a_resident_number(digits in "[0-9]{17}") {
        let accepted: Vec<char> = "0123456789X"
            .chars()
            .filter(|check| normalise_id_number(&format!("{digits}{check}")).is_ok())
            .collect();
        prop_assert_eq!(accepted.len(), 1, "{} takes {:?}", digits, accepted);
    }
}

/// What the case was at the end of `day`: the fold of the events dated up
/// to it (`None` before its registration), as (owner, due date).
fn due_on(log: &[CaseEvent], day: NaiveDate) -> Option<(UnitId, NaiveDate)> {
    let mut latest = NaiveDate::MIN;
    let prefix: Vec<&CaseEvent> = log
        .iter()
        .take_while(|e| {
            latest = latest.max(e.on);
            latest <= day
        })
        .collect();
    if prefix.is_empty() {
        return None;
    }
    let case = Case::replay(prefix).unwrap();
    case.due().map(|due| (case.owner_unit, due))
}

/// The spans of a log, recorded event by event.
fn spans_of(log: &[CaseEvent]) -> Vec<DueSpan> {
    let mut case = Case::start(&log[0]).unwrap();
    let mut history = DueHistory::default();
    history.record(&case, log[0].on);
    for event in &log[1..] {
        case.apply(event).unwrap();
        history.record(&case, event.on);
    }
    history.spans()
}

/// The spans say, for every day around the log, exactly what replaying the
/// events of the days up to it says; they are ordered, disjoint, not empty.
fn check_spans(log: &[CaseEvent]) -> Result<(), TestCaseError> {
    let spans = spans_of(log);
    for pair in spans.windows(2) {
        prop_assert!(pair[0].until.is_some_and(|until| until <= pair[1].from), "{:?}", pair);
    }
    for span in &spans {
        prop_assert!(span.until.is_none_or(|until| span.from < until), "{:?}", span);
    }
    let first = log[0].on - TimeDelta::days(1);
    let last = log.iter().map(|e| e.on).max().unwrap() + TimeDelta::days(2);
    for day in first.iter_days().take_while(|d| *d <= last) {
        let holding: Vec<&DueSpan> = spans.iter().filter(|s| s.holds_on(day)).collect();
        prop_assert!(holding.len() <= 1, "{} spans hold on {}", holding.len(), day);
        let from_spans = holding.first().map(|s| (s.owner_unit.clone(), s.due));
        prop_assert_eq!(&from_spans, &due_on(log, day), "on {}", day);
        let overdue = holding.first().is_some_and(|s| s.is_overdue_on(day));
        prop_assert_eq!(overdue, due_on(log, day).is_some_and(|(_, due)| due < day));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn due_spans_say_what_the_case_was_at_the_end_of_every_day(
        start in start(),
        policy in policy(),
        steps in proptest::collection::vec(step(), 1..=30),
    ) {
        let mut desk = Desk::open(start, policy);
        let mut at = start;
        for step in steps {
            at += step.advance;
            let action = rebase(step.action(desk.case.status), at.date_naive());
            if let Ok(event) = desk.decide(at, step.note, action) {
                desk.record(event);
            }
        }
        check_spans(&desk.log)?;
    }
}

#[test]
fn due_spans_keep_an_earlier_day_as_it_ended() {
    let mut desk = Desk::open_on("2019-03-01");
    desk.act("2019-03-01", Action::Accept);
    desk.act("2019-03-01", assign());
    let registered = spans_of(&desk.log);
    // Accepted on the day of registration: the acceptance deadline never
    // ended a day.
    assert_eq!(
        registered,
        [DueSpan {
            from: date("2019-03-01"),
            until: None,
            owner_unit: unit(ORIGIN),
            due: date("2019-04-30")
        }]
    );
    // Escalated two months later, overdue: the group held it overdue until
    // the day before, the village from that day.
    desk.act("2019-05-06", Action::Escalate { reason: "needs the village".into() });
    desk.act("2019-05-06", assign());
    let spans = spans_of(&desk.log);
    assert_eq!(spans.len(), 2);
    assert!(spans[0].is_overdue_on(date("2019-05-05")));
    assert_eq!(spans[0].owner_unit, unit(ORIGIN));
    assert_eq!(spans[1].owner_unit, unit("village-a1"));
    assert_eq!(spans[1].from, date("2019-05-06"));
    // Resolved and closed: nothing is due any more, the last span ends.
    desk.act("2019-05-20", resolve());
    desk.act("2019-05-21", close(Satisfaction::Satisfied));
    let closed = spans_of(&desk.log);
    assert_eq!(closed[1].until, Some(date("2019-05-20")));
    assert!(closed.iter().all(|s| !s.holds_on(date("2019-06-01"))));
    check_spans(&desk.log).unwrap();

    // An event dated before the one it follows (another node's clock)
    // counts from the later date.
    let mut skewed = Desk::open_on("2019-03-01");
    skewed.act("2019-03-03", Action::Accept);
    skewed.act("2019-03-02", assign());
    let spans = spans_of(&skewed.log);
    assert_eq!(spans.last().unwrap().from, date("2019-03-03"));
    check_spans(&skewed.log).unwrap();
}

#[test]
fn events_out_of_order_are_refused() {
    let mut desk = Desk::open_on("2019-01-31");
    let accepted = desk.decide(morning("2019-01-31"), NOTE, Action::Accept).unwrap();
    let before = desk.case.clone();
    let skipped = CaseEvent { seq: 3, ..accepted.clone() };
    assert!(matches!(desk.case.apply(&skipped), Err(DomainError::Aborted(_))));
    let registered_again = CaseEvent { seq: 2, ..desk.log[0].clone() };
    assert!(matches!(desk.case.apply(&registered_again), Err(DomainError::FailedPrecondition(_))));
    assert!(matches!(desk.case.apply(&desk.log[0]), Err(DomainError::Aborted(_))));
    let other_case = CaseEvent { case_id: case_id("case-2"), ..accepted.clone() };
    assert_invalid(&desk.case.apply(&other_case).unwrap_err(), "case_id");
    assert_eq!(desk.case, before);
    desk.record(accepted);
    assert_eq!(desk.case.status, CaseStatus::Accepted);
}

#[test]
fn a_log_must_start_with_its_registration() {
    let mut desk = Desk::open_on("2019-01-31");
    desk.act("2019-01-31", Action::Accept);
    assert_invalid(&Case::replay(&desk.log[1..]).unwrap_err(), "events[0]");
    assert_invalid(&Case::replay(&[]).unwrap_err(), "events");
    let late_registration = CaseEvent { seq: 2, ..desk.log[0].clone() };
    assert_invalid(&Case::start(&late_registration).unwrap_err(), "seq");
}

// Deadlines on a fixed clock.

#[test]
fn the_acceptance_deadline_crosses_a_month_end() {
    let mut desk = Desk::open_on("2019-01-31");
    assert_eq!(desk.case.accept_by, date("2019-02-15"));
    assert_eq!(desk.case.due(), Some(date("2019-02-15")));
    let case = desk.act("2019-01-31", Action::Accept);
    assert_eq!(case.deadline, Some(date("2019-04-01")));
    assert_eq!(case.accepted_on_time(), Some(true));
}

#[test]
fn the_acceptance_deadline_can_fall_on_a_leap_day() {
    assert_eq!(Desk::open_on("2020-02-14").case.accept_by, date("2020-02-29"));
    assert_eq!(Desk::open_on("2019-02-14").case.accept_by, date("2019-03-01"));
}

#[test]
fn a_late_acceptance_is_recorded_as_late() {
    let mut desk = Desk::open_on("2019-01-31");
    assert!(!desk.case.is_overdue(date("2019-02-15")));
    assert!(desk.case.is_overdue(date("2019-02-16")));
    assert_eq!(desk.act("2019-02-16", Action::Accept).accepted_on_time(), Some(false));
}

#[test]
fn one_extension_moves_the_deadline_through_a_leap_february() {
    let mut desk = Desk::open_on("2020-01-01");
    assert_eq!(desk.act("2020-01-01", Action::Accept).deadline, Some(date("2020-03-01")));
    let case = desk.act("2020-01-20", extend(30));
    assert_eq!(case.deadline, Some(date("2020-03-31")));
    assert!(case.extended);
    let err = desk.refuse("2020-01-21", extend(1));
    assert_failed(&err, CaseStatus::Accepted);
    assert_eq!(desk.count("extended"), 1);
}

#[test]
fn an_extension_lasts_one_to_thirty_days() {
    let mut desk = Desk::open_on("2019-01-31");
    desk.act("2019-01-31", Action::Accept);
    for days in [0, 31] {
        assert_invalid(&desk.refuse("2019-02-01", extend(days)), "days");
    }
    assert_invalid(&desk.refuse("2019-02-01", Action::Extend { days: 5, reason: " ".into() }), "reason");
    assert_eq!(desk.act("2019-02-01", extend(1)).deadline, Some(date("2019-04-02")));
}

#[test]
fn an_extension_crosses_the_year_end() {
    let mut desk = Desk::open_on("2019-10-16");
    assert_eq!(desk.act("2019-10-16", Action::Accept).deadline, Some(date("2019-12-15")));
    assert_eq!(desk.act("2019-12-01", extend(30)).deadline, Some(date("2020-01-14")));
}

#[test]
fn a_case_is_overdue_from_the_day_after_its_deadline() {
    let desk = Desk::assigned("2019-01-31", "2019-02-01");
    let case = &desk.case;
    assert_eq!(case.due(), Some(date("2019-04-01")));
    for (day, overdue, days) in [
        ("2019-03-31", false, 0),
        ("2019-04-01", false, 0),
        ("2019-04-02", true, 1),
        ("2019-05-01", true, 30),
    ] {
        assert_eq!((case.is_overdue(date(day)), case.days_overdue(date(day))), (overdue, days), "on {day}");
    }
}

#[test]
fn a_resolution_after_the_deadline_is_late_and_never_overdue() {
    let mut desk = Desk::assigned("2019-01-31", "2019-02-01");
    let case = desk.act("2019-04-02", resolve());
    assert_eq!((case.status, case.resolved_on_time), (CaseStatus::Resolved, Some(false)));
    for day in ["2019-04-02", "2019-06-01", "2030-01-01"] {
        assert!(!case.is_overdue(date(day)));
        assert_eq!(case.days_overdue(date(day)), 0);
    }
    let case = desk.act("2019-04-03", close(Satisfaction::Satisfied));
    assert_eq!(case.status, CaseStatus::Closed);
    assert!(!case.closed_on_time());
    assert!(!case.is_overdue(date("2030-01-01")));
}

#[test]
fn a_resolution_on_the_deadline_day_is_on_time() {
    let mut desk = Desk::assigned("2019-01-31", "2019-02-01");
    assert_eq!(desk.act("2019-04-01", resolve()).resolved_on_time, Some(true));
    let case = desk.act("2019-04-05", close(Satisfaction::Unreachable));
    assert!(case.closed_on_time());
    assert_eq!(case.closed_on, Some(date("2019-04-05")));
}

/// A case resolved and closed with a dissatisfied petitioner.
fn closed_dissatisfied() -> Desk {
    let mut desk = Desk::assigned("2019-01-02", "2019-01-03");
    desk.act("2019-03-01", resolve());
    desk.act("2019-03-05", close(Satisfaction::Dissatisfied));
    desk
}

#[test]
fn a_review_goes_up_a_tier_and_an_overturn_restarts_the_clock() {
    let mut desk = closed_dissatisfied();
    let case = desk.act("2019-03-20", request_review());
    assert_eq!(case.status, CaseStatus::UnderReview);
    assert_eq!(case.review_by, Some(date("2019-04-19")));
    assert_eq!(case.owner_unit, unit("village-a1"));
    assert!(!case.is_overdue(date("2019-04-19")));
    assert!(case.is_overdue(date("2019-04-20")));
    let case = desk.act("2019-04-10", decide_review(ReviewDecision::Overturned));
    assert_eq!(case.status, CaseStatus::Accepted);
    assert_eq!(case.deadline, Some(date("2019-06-09")));
    assert_eq!((case.reviews, case.review_by), (1, None));
    assert_eq!((case.resolution.as_ref(), case.satisfaction, case.resolved_on_time), (None, None, None));
    assert_eq!(case.owner_unit, unit("village-a1"));
}

#[test]
fn an_upheld_case_may_be_reviewed_again_up_to_the_limit() {
    let mut desk = closed_dissatisfied();
    desk.act("2019-03-20", request_review());
    assert_eq!(desk.act("2019-04-01", decide_review(ReviewDecision::Upheld)).status, CaseStatus::Closed);
    assert_eq!(desk.act("2019-04-02", request_review()).owner_unit, unit("town-a"));
    let case = desk.act("2019-04-20", decide_review(ReviewDecision::Upheld));
    assert_eq!((case.status, case.reviews), (CaseStatus::Closed, MAX_REVIEWS));
    // town-a has a parent tier, so only the limit stands in the way.
    let err = desk.refuse("2019-04-21", request_review());
    assert_failed(&err, CaseStatus::Closed);
    assert!(err.to_string().contains("already reviewed 2 times"), "{err}");
}

#[test]
fn escalation_and_review_stop_at_the_root() {
    let mut desk = Desk::open_on("2019-01-02");
    for to in ["village-a1", "town-a", "district"] {
        let case = desk.act("2019-01-03", Action::Escalate { reason: "beyond this tier".into() });
        assert_eq!((case.owner_unit.as_str(), case.status), (to, CaseStatus::Registered));
    }
    let err = desk.refuse("2019-01-03", Action::Escalate { reason: "beyond this tier".into() });
    assert!(
        refusal_names(&err, CaseStatus::Registered) && err.to_string().contains("no parent tier"),
        "{err}"
    );
    desk.act("2019-01-04", Action::Accept);
    desk.act("2019-01-04", assign());
    desk.act("2019-01-05", resolve());
    desk.act("2019-01-06", close(Satisfaction::Dissatisfied));
    let err = desk.refuse("2019-01-07", request_review());
    assert!(refusal_names(&err, CaseStatus::Closed) && err.to_string().contains("no parent tier"), "{err}");
    assert_eq!(desk.case.escalations, 3);
}

#[test]
fn reopening_or_review_needs_a_dissatisfied_petitioner() {
    let mut desk = Desk::assigned("2019-01-02", "2019-01-03");
    desk.act("2019-03-01", resolve());
    desk.act("2019-03-05", close(Satisfaction::Satisfied));
    assert_failed(
        &desk.refuse("2019-03-06", Action::Reopen { reason: "asked again".into() }),
        CaseStatus::Closed,
    );
    assert_failed(&desk.refuse("2019-03-06", request_review()), CaseStatus::Closed);
}

#[test]
fn the_deadline_policy_is_configurable() {
    let policy =
        DeadlinePolicy { accept_days: 7, handle_days: 30, review_days: 10, ..DeadlinePolicy::default() };
    let mut desk = Desk::open(morning("2019-02-25"), policy);
    assert_eq!(desk.case.accept_by, date("2019-03-04"));
    assert_eq!(desk.act("2019-02-25", Action::Accept).deadline, Some(date("2019-03-27")));
    desk.act("2019-02-26", assign());
    desk.act("2019-03-01", resolve());
    desk.act("2019-03-02", close(Satisfaction::Dissatisfied));
    assert_eq!(desk.act("2019-03-25", request_review()).review_by, Some(date("2019-04-04")));
    let reopened = desk.act("2019-04-01", decide_review(ReviewDecision::Overturned));
    assert_eq!(reopened.deadline, Some(date("2019-05-01")));
}

#[test]
fn the_default_policy_is_the_petition_regulation() {
    let policy = DeadlinePolicy::default();
    assert_eq!(
        (policy.accept_days, policy.handle_days, policy.max_extension_days, policy.review_days),
        (15, 60, 30, 30)
    );
}

// Petitioners.

#[test]
fn resident_identity_numbers_are_normalised() {
    for raw in ["11010519491231002X", "11010519491231002x", "110105 19491231 002X", " 110105-19491231-002x "]
    {
        assert_eq!(normalise_id_number(raw).unwrap(), "11010519491231002X", "{raw:?}");
    }
    assert_eq!(normalise_id_number("440304199001010011").unwrap(), "440304199001010011");
}

#[test]
fn a_wrong_check_digit_or_length_is_refused() {
    for raw in ["110105194912310021", "11010519491231003X", "440304199001010012", "E1234", "", "E12345678!"] {
        assert_invalid(&normalise_id_number(raw).unwrap_err(), "petitioner.id_number");
    }
    assert!(normalise_id_number(&"A".repeat(33)).is_err());
}

#[test]
fn other_documents_are_letters_and_digits() {
    assert_eq!(normalise_id_number("E12345678").unwrap(), "E12345678");
    assert_eq!(normalise_id_number("e 1234-5678").unwrap(), "E12345678");
    // 18 characters that are not a resident number carry no check digit.
    assert_eq!(normalise_id_number("P1234567890123456A").unwrap(), "P1234567890123456A");
}

#[test]
fn petitioner_refs_are_keyed_hashes_of_the_normalised_number() {
    let id = normalise_id_number("11010519491231002x").unwrap();
    let reference = petitioner_ref(b"deployment-secret", &id);
    assert_eq!(reference.len(), 64);
    assert!(reference.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(reference, petitioner_ref(b"deployment-secret", &id));
    assert_ne!(reference, petitioner_ref(b"another-secret", &id));
    assert_ne!(reference, petitioner_ref(b"deployment-secret", "440304199001010011"));
    let spaced = normalise_id_number("110105 19491231 002X").unwrap();
    assert_eq!(reference, petitioner_ref(b"deployment-secret", &spaced));
    let intake = Intake { petitioner_ref: Some(reference), ..intake() };
    assert_eq!(intake.validate(), Ok(()));
}

#[test]
fn petitioner_refs_are_hmac_sha256() {
    // RFC 4231, test case 2.
    assert_eq!(
        petitioner_ref(b"Jefe", "what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn petitioner_debug_output_hides_personal_data() {
    let petitioner = Petitioner::new(" 张三 ", "138 0013 8000", "110105-19491231-002x").unwrap();
    assert_eq!(petitioner.name, "张三");
    assert_eq!(petitioner.id_number, "11010519491231002X");
    for shown in [format!("{petitioner:?}"), format!("{petitioner:#?}")] {
        for secret in ["张三", "138", "0013", "8000", "11010519491231002X", "19491231"] {
            assert!(!shown.contains(secret), "{shown:?} shows {secret:?}");
        }
    }
}

#[test]
fn petitioner_fields_are_checked() {
    assert_invalid(&Petitioner::new(" ", "13800138000", "E12345678").unwrap_err(), "petitioner.name");
    assert_invalid(&Petitioner::new("张三", "138-0013-800x", "E12345678").unwrap_err(), "petitioner.phone");
    assert_invalid(&Petitioner::new("张三", "13800138000", "E1").unwrap_err(), "petitioner.id_number");
}

// Repeat petitions.

#[test]
fn no_earlier_case_is_no_repeat() {
    assert_eq!(RepeatLink::decide(date("2020-03-01"), 365, vec![]), None);
}

#[test]
fn a_repeat_records_its_rule_and_window() {
    let earlier = vec![case_id("case-9"), case_id("case-4")];
    let link = RepeatLink::decide(date("2020-03-01"), 365, earlier.clone()).unwrap();
    assert_eq!(link.of, earlier);
    assert_eq!(link.window_days, 365);
    // 365 days back across 29 February 2020.
    assert_eq!(link.since, date("2019-03-02"));
    assert_eq!(link.rule, "same petitioner_ref and category registered within 365 days");
    let short = RepeatLink::decide(date("2019-03-05"), 30, earlier).unwrap();
    assert_eq!((short.window_days, short.since), (30, date("2019-02-03")));
    assert!(short.rule.contains("within 30 days"));
}

#[test]
fn a_registration_carries_its_repeat_link() {
    let link = RepeatLink::decide(date("2019-05-01"), 365, vec![case_id("case-0")]);
    let owner = unit(ORIGIN);
    let ctx = context(morning("2019-05-01"), NOTE, &owner, &|_| false, DeadlinePolicy::default());
    let first = Case::register(case_id("case-1"), intake(), link.clone(), &ctx).unwrap();
    assert_eq!(Case::start(&first).unwrap().repeat, link);
}

/// A case of petitioner `reference` and `category` registered at
/// `group-1` on the morning of `day` (plus `minutes`).
fn registered(id: &str, day: &str, minutes: i64, reference: &str, category: DisputeCategory) -> Case {
    let owner = unit(ORIGIN);
    let at = morning(day) + TimeDelta::minutes(minutes);
    let ctx = context(at, NOTE, &owner, &|_| false, DeadlinePolicy::default());
    let intake = Intake { petitioner_ref: Some(reference.repeat(64)), category, ..intake() };
    Case::start(&Case::register(case_id(id), intake, None, &ctx).unwrap()).unwrap()
}

#[test]
fn repeat_flags_link_later_cases_to_earlier_ones_whatever_arrives_first() {
    let wage = DisputeCategory::WageArrears;
    let first = registered("c-first", "2020-01-10", 0, "a", wage);
    let second = registered("c-second", "2020-06-01", 0, "a", wage);
    let third = registered("c-third", "2021-05-01", 0, "a", wage);
    let other_category = registered("c-land", "2020-05-01", 0, "a", DisputeCategory::Land);
    let other_person = registered("c-other", "2020-05-01", 0, "b", wage);
    let flag = |case: &Case, of: &[&Case]| RepeatFlag {
        case: case.id.clone(),
        of: of.iter().map(|c| c.id.clone()).collect(),
        window_days: 365,
        since: RepeatLink::window_start(case.registered_on, 365),
    };
    let ledger = [first.clone(), third.clone(), other_category.clone(), other_person.clone()];
    // The second arrives last: it repeats the first; the third (within a
    // year of the second, not of the first) repeats it.
    assert_eq!(repeat_flags(&second, &ledger, 365), vec![flag(&second, &[&first]), flag(&third, &[&second])]);
    // The first arrives last: only the second is within its window after it.
    let ledger = [second.clone(), third.clone()];
    assert_eq!(repeat_flags(&first, &ledger, 365), vec![flag(&second, &[&first])]);
    // Newest first, as at registration.
    let ledger = [first.clone(), second.clone()];
    assert_eq!(
        repeat_flags(&third, &ledger, 900),
        vec![RepeatFlag {
            window_days: 900,
            since: RepeatLink::window_start(third.registered_on, 900),
            ..flag(&third, &[&second, &first])
        }]
    );
    // A link the case records already is not flagged again.
    let mut known = second.clone();
    known.repeat = RepeatLink::decide(known.registered_on, 365, vec![first.id.clone()]);
    assert_eq!(repeat_flags(&known, std::slice::from_ref(&first), 365), vec![]);
    assert_eq!(repeat_flags(&first, &[known], 365), vec![]);
    // Same day: the later registration is the repeat; no petitioner, no repeat.
    let morning_case = registered("c-am", "2020-03-03", 0, "c", wage);
    let noon_case = registered("c-pm", "2020-03-03", 150, "c", wage);
    assert_eq!(
        repeat_flags(&morning_case, std::slice::from_ref(&noon_case), 365),
        vec![flag(&noon_case, &[&morning_case])]
    );
    let mut anonymous = noon_case.clone();
    anonymous.intake.petitioner_ref = None;
    assert_eq!(repeat_flags(&anonymous, &[morning_case], 365), vec![]);
}

#[test]
fn a_repeat_found_later_is_merged_into_the_case_once() {
    let mut desk = Desk::open_on("2020-06-01");
    let found = RepeatFlag {
        case: desk.case.id.clone(),
        of: vec![case_id("case-0")],
        window_days: 365,
        since: date("2019-06-02"),
    };
    let case = desk.act("2020-06-02", found.action()).clone();
    let link = case.repeat.expect("now a repeat petition");
    assert_eq!((link.of, link.since), (vec![case_id("case-0")], date("2019-06-02")));
    assert_eq!(desk.log.last().unwrap().kind.name(), "repeat_found");
    // The same flag again, or one naming only the case itself: nothing new.
    let again = desk.refuse("2020-06-03", found.action());
    assert!(matches!(again, DomainError::AlreadyExists(_)), "{again:?}");
    let itself =
        Action::FlagRepeat { of: vec![desk.case.id.clone()], window_days: 365, since: date("2019-06-02") };
    assert!(matches!(desk.refuse("2020-06-03", itself), DomainError::AlreadyExists(_)));
    // Another earlier case is added to the same link.
    let more = Action::FlagRepeat {
        of: vec![case_id("case-0"), case_id("case-7")],
        window_days: 365,
        since: date("2019-06-02"),
    };
    let case = desk.act("2020-06-04", more);
    assert_eq!(case.repeat.as_ref().unwrap().of, vec![case_id("case-0"), case_id("case-7")]);
    assert_eq!(Case::replay(&desk.log).unwrap(), desk.case);
}

#[test]
fn events_stored_with_a_plain_string_actor_still_replay() {
    let desk = Desk::open_on("2020-06-01");
    let mut json: serde_json::Value = serde_json::to_value(&desk.log[0]).unwrap();
    json["actor"] = serde_json::Value::String("lead-1".into());
    let old: CaseEvent = serde_json::from_value(json).unwrap();
    assert_eq!(old.actor, Actor::Unverified { text: Some("lead-1".into()), on_behalf_of: None });
    assert_eq!(old.validate(), Ok(()));
    assert_eq!(Case::replay([&old]).unwrap(), desk.case);
}

#[test]
fn an_overdue_case_escalated_can_still_be_assigned_and_stays_late() {
    // Accepted 2019-01-31: deadline 2019-04-01; escalated long after it.
    let mut desk = Desk::assigned("2019-01-31", "2019-02-01");
    assert_eq!(desk.case.deadline, Some(date("2019-04-01")));
    desk.act("2019-05-15", Action::Escalate { reason: "overdue at the village".into() });
    assert!(desk.case.is_overdue(date("2019-05-15")));
    // The new owner gets a fresh handling period from today…
    let case = desk.act("2019-05-15", assign());
    assert_eq!(case.deadline, Some(date("2019-07-14")));
    // …but not beyond it.
    let beyond = Action::Assign {
        leader: "Li Ming".into(),
        responsible: "Wang Fang".into(),
        plan: "again".into(),
        deadline: Some(date("2019-07-15")),
    };
    assert_invalid(&desk.refuse("2019-05-16", beyond), "deadline");
    // Resolved inside the new period: on time against the deadline then.
    let case = desk.act("2019-06-01", resolve());
    assert_eq!(case.resolved_on_time, Some(true));
}

#[test]
fn a_case_overdue_at_its_owner_keeps_its_passed_deadline() {
    // Accepted 2019-01-31 (deadline 2019-04-01) and still here in May.
    let mut desk = Desk::assigned("2019-01-31", "2019-02-01");
    let later = Action::Assign {
        leader: "Li Ming".into(),
        responsible: "Wang Fang".into(),
        plan: "again".into(),
        deadline: Some(date("2019-06-01")),
    };
    assert_invalid(&desk.refuse("2019-05-15", later), "deadline");
    // A new leader may take it over; the case stays overdue.
    let case = desk.act("2019-05-15", assign());
    assert_eq!(case.deadline, Some(date("2019-04-01")));
    assert!(case.is_overdue(date("2019-05-15")));
    assert_eq!(case.owner_since, date("2019-01-31"));
    // Resolved now: late.
    assert_eq!(desk.act("2019-05-20", resolve()).resolved_on_time, Some(false));
}

// Personal data in free text.

/// A text holding a mobile number (and nothing else personal).
const WITH_PHONE: &str = "申请人电话13912345678，已约谈";

fn refused_for_personal_data(err: &DomainError, expected_field: &str) {
    assert_invalid(err, expected_field);
    let DomainError::Invalid { reason, .. } = err else { unreachable!() };
    assert!(reason.text.contains("a mobile phone number"), "{reason}");
    assert!(!reason.text.contains("13912345678"), "the value is not echoed: {reason}");
}

fn assign_with(leader: &str, responsible: &str, plan: &str) -> Action {
    Action::Assign {
        leader: leader.into(),
        responsible: responsible.into(),
        plan: plan.into(),
        deadline: None,
    }
}

#[test]
fn every_text_of_the_ledger_is_screened_for_personal_data() {
    let owner = unit(ORIGIN);
    let below = |u: &UnitId| is_below(u.as_str(), owner.as_str());
    let ctx = |note: &str| context(morning("2019-03-01"), note, &owner, &below, DeadlinePolicy::default());

    let summary = Intake { summary: WITH_PHONE.into(), ..intake() };
    let err = Case::register(case_id("case-1"), summary, None, &ctx(NOTE)).unwrap_err();
    refused_for_personal_data(&err, "summary");
    let err = Case::register(case_id("case-1"), intake(), None, &ctx(WITH_PHONE)).unwrap_err();
    refused_for_personal_data(&err, "note");

    let mut desk = Desk::open_on("2019-03-01");
    let err = desk.refuse("2019-03-02", Action::Decline { reason: WITH_PHONE.into() });
    refused_for_personal_data(&err, "reason");
    let before = desk.case.clone();
    let err = desk.decide(morning("2019-03-02"), WITH_PHONE, Action::Accept).unwrap_err();
    refused_for_personal_data(&err, "note");
    assert_eq!(desk.case, before);
    desk.act("2019-03-02", Action::Accept);
    for (action, field) in [
        (assign_with("王书记 13912345678", "Wang Fang", "mediate"), "leader"),
        (assign_with("Li Ming", WITH_PHONE, "mediate"), "responsible"),
        (assign_with("Li Ming", "Wang Fang", WITH_PHONE), "plan"),
        (Action::Extend { days: 10, reason: WITH_PHONE.into() }, "reason"),
        (Action::Escalate { reason: WITH_PHONE.into() }, "reason"),
    ] {
        let err = desk.refuse("2019-03-03", action);
        refused_for_personal_data(&err, field);
    }
    desk.act("2019-03-03", assign());
    let err = desk
        .refuse("2019-03-04", Action::Resolve { resolution: WITH_PHONE.into(), amount_recovered_cents: 0 });
    refused_for_personal_data(&err, "resolution");
    assert_eq!(desk.log.len(), 3, "only the clean actions were recorded");

    // The texts and names a node checks itself: supervision texts, the
    // leader on duty.
    refused_for_personal_data(&check_text(WITH_PHONE, "text").unwrap_err(), "text");
    refused_for_personal_data(
        &check_name("值班 13912345678", "entries[0].leader").unwrap_err(),
        "entries[0].leader",
    );
    check_text("请于七日内书面报告办理情况", "text").unwrap();
}

#[test]
fn an_event_from_elsewhere_is_screened_too() {
    let desk = Desk::assigned("2019-03-01", "2019-03-02");
    let mut event = desk.decide(morning("2019-03-03"), NOTE, Action::Progress).unwrap();
    event.validate().unwrap();
    event.note = WITH_PHONE.into();
    refused_for_personal_data(&event.validate().unwrap_err(), "note");

    let mut registration = desk.log[0].clone();
    let EventKind::Registered { intake, .. } = &mut registration.kind else { unreachable!() };
    intake.summary = WITH_PHONE.into();
    refused_for_personal_data(&registration.validate().unwrap_err(), "intake.summary");

    let mut declined = CaseEvent {
        seq: 2,
        note: NOTE.into(),
        kind: EventKind::NotAccepted { reason: WITH_PHONE.into() },
        ..event
    };
    refused_for_personal_data(&declined.validate().unwrap_err(), "reason");
    declined.kind = EventKind::Assigned {
        leader: "李明".into(),
        responsible: "王芳".into(),
        plan: "联系邮箱 someone@example.com".into(),
        deadline: date("2019-04-01"),
    };
    let err = declined.validate().unwrap_err();
    assert_invalid(&err, "assigned.plan");
    assert!(err.to_string().contains("an e-mail address"), "{err}");
}

#[test]
fn a_petitioners_own_fields_are_not_screened() {
    // Name, phone and id number are meant to be personal data: sealed at
    // rest, never screened.
    let petitioner = Petitioner::new("张三 13912345678", "13912345678", "410411199001011237").unwrap();
    assert_eq!(petitioner.phone, "13912345678");
}

#[test]
fn forwarded_events_are_not_from_the_future() {
    let policy = crate::TimePolicy::default();
    let desk = Desk::open_on("2026-11-27");
    let registered = desk.log[0].clone();
    let skew = chrono::Duration::minutes(5);
    let now = morning("2026-11-28");
    registered.check_forwarded(now, skew, &policy).unwrap();
    let ahead = CaseEvent { at: now + chrono::Duration::minutes(4), ..registered.clone() };
    ahead.check_forwarded(now, skew, &policy).unwrap();
    let year_2099 = CaseEvent { at: morning("2099-01-01"), on: date("2099-01-01"), ..registered.clone() };
    assert_invalid(&year_2099.check_forwarded(now, skew, &policy).unwrap_err(), "at");
    let beyond = CaseEvent { at: now + chrono::Duration::minutes(6), ..registered.clone() };
    assert_invalid(&beyond.check_forwarded(now, skew, &policy).unwrap_err(), "at");
    let dated_later = CaseEvent { on: date("2026-12-01"), ..registered };
    assert_invalid(&dated_later.check_forwarded(now, skew, &policy).unwrap_err(), "on");
}

#[test]
fn a_refused_step_names_the_step_that_must_come_first() {
    let mut desk = Desk::open_on("2026-03-02");
    let DomainError::FailedPrecondition(message) = desk.refuse("2026-03-02", resolve()) else {
        panic!("expected FailedPrecondition")
    };
    assert!(
        message.text.contains(": it is registered; it must first be accepted (`fengqiao case accept "),
        "{message}"
    );
    desk.act("2026-03-02", Action::Accept);
    let DomainError::FailedPrecondition(message) = desk.refuse("2026-03-03", resolve()) else {
        panic!("expected FailedPrecondition")
    };
    assert!(
        message.text.contains(
            ": it is accepted; it must first be assigned a leader and a plan (`fengqiao case assign "
        ),
        "{message}"
    );
    let DomainError::FailedPrecondition(message) = desk.refuse("2026-03-03", Action::Progress) else {
        panic!("expected FailedPrecondition")
    };
    assert!(message.text.contains("it must first be assigned"), "{message}");
}
