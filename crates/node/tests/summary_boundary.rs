//! The summary boundary is exact, over random histories: two district
//! nodes under a city node receive random reports over six days (zero
//! reports, disputes of random categories and outcomes, wage arrears naming
//! employers from a pool both districts share, corrections, units that never
//! report) and a few cases, some closed. Once their outboxes are empty, the
//! city's figures of every unit of its tree over every day, the whole
//! range and a week equal the districts' own; the city's own totals are the
//! districts' sums, and its distinct employers the distinct names across
//! both districts' histories.
//!
//! The city forwards its own states to a province in turn, whose figures
//! of the city and its districts are the city's own.
//!
//! Then resends and reordering: the states each district reads at two
//! moments of the history, applied to a fresh store in a random order, with
//! random duplicates and the older states interleaved, leave exactly what
//! applying them in order leaves, and what the live city holds.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{Datelike, NaiveDate, Utc};
use common::{Running, fast, figures, period_summary as summary};
use fengqiao_core::summary_state::RollupState;
use fengqiao_core::{TimePolicy, UnitId};
use fengqiao_node::summary_uplink::{all_state_units, read_states};
use fengqiao_node::{ChildNodes, ForwarderConfig, NodeConfig};
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::{
    self, ActOnCaseRequest, CaseChannel, CaseIntake, DisputeCategory as Cat, DisputeOutcome as Out,
    RegisterCaseRequest, Satisfaction,
};
use fengqiao_store::testing::TestDb;
use fengqiao_store::{Backend, Period, StateWrite, Store};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const CITY_TREE: &str = fengqiao_store::testing::trees::CITY_TWO_DISTRICTS;

/// Zhanhe with two townships, a community and groups under each.
const ZHANHE: &str = fengqiao_store::testing::trees::CONFORMANCE;

const XINHUA: &str = fengqiao_store::testing::trees::XINHUA;

const CITY: &str = "4104";
const DISTRICTS: [&str; 2] = ["410411", "410402"];
/// Every unit of the city's tree, with the district holding its detail.
const UNITS: [(&str, usize); 5] =
    [("410411", 0), ("410411001", 0), ("410411002", 0), ("410402", 1), ("410402001", 1)];
const GROUPS: [[&str; 3]; 2] = [
    ["410411001001001", "410411001001002", "410411002001001"],
    ["410402001001001", "410402001001002", "410402001001003"],
];
/// Employers both districts name, so distinct counts overlap.
const EMPLOYERS: [&str; 4] =
    ["某某建筑劳务有限公司", "鹰城建设有限公司", "湛河物业管理公司", "新华餐饮有限公司"];
const CATEGORIES: [Cat; 4] = [Cat::Land, Cat::HousingProperty, Cat::Neighbour, Cat::MarriageFamily];
const OUTCOMES: [Out; 4] = [Out::ResolvedOnTheSpot, Out::Mediating, Out::Registered, Out::ReferredUp];
/// Days of history, ending today.
const DAYS: i64 = 6;

#[derive(Debug, Clone)]
struct DisputeSpec {
    category: usize,
    outcome: usize,
    /// Wage arrears naming this employer.
    employer: Option<usize>,
}

#[derive(Debug, Clone)]
enum Op {
    /// A report (a correction when the group reported that day already).
    Report { district: usize, group: usize, day: i64, disputes: Vec<DisputeSpec> },
    /// A case registered today at a group: 0 left registered, 1 accepted,
    /// 2 accepted and closed.
    Case { district: usize, group: usize, fate: u8 },
}

fn dispute_spec() -> impl Strategy<Value = DisputeSpec> {
    (0..CATEGORIES.len(), 0..OUTCOMES.len(), proptest::option::weighted(0.4, 0..EMPLOYERS.len()))
        .prop_map(|(category, outcome, employer)| DisputeSpec { category, outcome, employer })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..2usize, 0..3usize, 0..DAYS, proptest::collection::vec(dispute_spec(), 0..3))
            .prop_map(|(district, group, day, disputes)| Op::Report { district, group, day, disputes }),
        1 => (0..2usize, 0..3usize, 0..3u8).prop_map(|(district, group, fate)| Op::Case { district, group, fate }),
    ]
}

fn today() -> NaiveDate {
    TimePolicy::default().local_date(Utc::now())
}

fn first_day() -> NaiveDate {
    today() - chrono::Duration::days(DAYS - 1)
}

/// The last day whose cut-off has passed.
fn last_due_day() -> NaiveDate {
    let policy = TimePolicy::default();
    let now = Utc::now();
    let today = policy.local_date(now);
    if now >= policy.cutoff_of(today) { today } else { today - chrono::Duration::days(1) }
}

fn unit(id: &str) -> UnitId {
    UnitId::parse(id).unwrap()
}

/// What the test knows of the history: each (group, day)'s revision and
/// the employers its current report names.
#[derive(Default)]
struct History {
    revisions: BTreeMap<(&'static str, NaiveDate), u32>,
    employers: BTreeMap<(&'static str, NaiveDate), Vec<&'static str>>,
}

impl History {
    /// Distinct employer names across both districts over `[from, to]`,
    /// due days only (as the summaries count them).
    fn distinct_employers(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let to = to.min(last_due_day());
        let names: BTreeSet<&str> = self
            .employers
            .iter()
            .filter(|((_, day), _)| *day >= from && *day <= to)
            .flat_map(|(_, names)| names.iter().copied())
            .collect();
        names.len() as i64
    }
}

async fn apply(districts: &[Running; 2], history: &mut History, op: &Op, serial: usize) {
    match op {
        Op::Report { district, group, day, disputes } => {
            let unit_id = GROUPS[*district][*group];
            let date = first_day() + chrono::Duration::days(*day);
            let revision = history.revisions.get(&(unit_id, date)).copied().unwrap_or(0) + 1;
            history.revisions.insert((unit_id, date), revision);
            history.employers.insert(
                (unit_id, date),
                disputes.iter().filter_map(|d| d.employer.map(|e| EMPLOYERS[e])).collect(),
            );
            let disputes: Vec<pb::Dispute> = disputes
                .iter()
                .enumerate()
                .map(|(i, d)| pb::Dispute {
                    local_id: format!("d{i}"),
                    category: if d.employer.is_some() { Cat::WageArrears } else { CATEGORIES[d.category] }
                        .into(),
                    outcome: OUTCOMES[d.outcome].into(),
                    parties: 2 + d.category as u32,
                    summary: "纠纷摘要".into(),
                    case_id: String::new(),
                    wage_arrears: d.employer.map(|e| pb::WageArrears {
                        employer: EMPLOYERS[e].into(),
                        workers: 1 + d.outcome as u32,
                        amount_claimed_cents: 100_000 * (1 + d.category as i64),
                        amount_recovered_cents: 10_000 * d.outcome as i64,
                    }),
                })
                .collect();
            let report = pb::DailyReport {
                unit_id: unit_id.into(),
                date: date.to_string(),
                revision,
                reporter: "officer-7".into(),
                zero: disputes.is_empty(),
                disputes,
                correction_reason: if revision > 1 { "更正".into() } else { String::new() },
            };
            ReportingServiceClient::new(districts[*district].channel())
                .submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report) })
                .await
                .unwrap_or_else(|status| panic!("{unit_id}@{date} r{revision} refused: {status}"));
        }
        Op::Case { district, group, fate } => {
            let node = &districts[*district];
            let mut client = CaseServiceClient::new(node.channel());
            let case = client
                .register_case(RegisterCaseRequest {
                    intake: Some(CaseIntake {
                        origin_unit_id: GROUPS[*district][*group].into(),
                        category: CATEGORIES[serial % CATEGORIES.len()].into(),
                        channel: CaseChannel::Letter.into(),
                        summary: "案件摘要".into(),
                        ..CaseIntake::default()
                    }),
                    actor: "officer-1".into(),
                    ..RegisterCaseRequest::default()
                })
                .await
                .unwrap()
                .into_inner()
                .r#case
                .unwrap();
            let mut actions = Vec::new();
            if *fate >= 1 {
                actions.push(Action::Accept(act::Accept {}));
            }
            if *fate >= 2 {
                actions.push(Action::Assign(act::Assign {
                    leader: "王副镇长".into(),
                    responsible: "司法所 李".into(),
                    plan: "调解".into(),
                    deadline: String::new(),
                }));
                actions.push(Action::Resolve(act::Resolve {
                    resolution: "已调解".into(),
                    amount_recovered_cents: 0,
                }));
                actions.push(Action::Close(act::Close { satisfaction: Satisfaction::Satisfied.into() }));
            }
            for action in actions {
                client
                    .act_on_case(ActOnCaseRequest {
                        case_id: case.case_id.clone(),
                        actor: "leader-1".into(),
                        note: "按计划".into(),
                        action: Some(action),
                        ..ActOnCaseRequest::default()
                    })
                    .await
                    .unwrap_or_else(|status| panic!("{}: {status}", case.case_id));
            }
        }
    }
}

/// A tally's additive figures (everything but distinct employers), in a
/// fixed order.
fn additive(tally: &pb::Tally) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = [
        ("expected", tally.expected),
        ("received", tally.received),
        ("on_time", tally.on_time),
        ("late", tally.late),
        ("missing", tally.missing),
        ("zero_reports", tally.zero_reports),
        ("disputes", tally.disputes),
        ("parties", tally.parties),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    out.extend(tally.by_category.iter().map(|c| (format!("category {}", c.category), c.disputes)));
    out.extend(tally.by_outcome.iter().map(|o| (format!("outcome {}", o.outcome), o.disputes)));
    let wage = tally.wage_arrears.unwrap_or_default();
    out.extend(
        [
            ("wage disputes", wage.disputes),
            ("wage resolved", wage.resolved),
            ("wage workers", wage.workers),
            ("wage claimed", wage.amount_claimed_cents),
            ("wage recovered", wage.amount_recovered_cents),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v)),
    );
    out
}

/// Case counts (not the rates derived from them).
fn case_counts(c: &pb::CaseFigures) -> Vec<i64> {
    vec![
        c.registered,
        c.closed,
        c.closed_on_time,
        c.overdue,
        c.escalated,
        c.repeat_petitions,
        c.accepted,
        c.accepted_on_time,
        c.assigned_down,
        c.satisfied,
        c.dissatisfied,
        c.unreachable,
        c.visits,
        c.one_visit,
    ]
}

fn sum(a: &[(String, i64)], b: &[(String, i64)]) -> Vec<(String, i64)> {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|((ka, va), (kb, vb))| {
            assert_eq!(ka, kb);
            (ka.clone(), va + vb)
        })
        .collect()
}

/// The ranges compared: every day, the whole history, an ISO week (up to
/// today) and a stretch in the middle.
fn ranges() -> Vec<(NaiveDate, NaiveDate)> {
    let (first, last) = (first_day(), today());
    let mut out: Vec<(NaiveDate, NaiveDate)> =
        first.iter_days().take_while(|d| *d <= last).map(|d| (d, d)).collect();
    out.push((first, last));
    let middle = first + chrono::Duration::days(2);
    let monday = middle - chrono::Duration::days(i64::from(middle.weekday().num_days_from_monday()));
    out.push((monday, (monday + chrono::Duration::days(6)).min(last)));
    out.push((first + chrono::Duration::days(1), first + chrono::Duration::days(3)));
    out
}

/// A province above the city, fed the city's own states in turn.
const PROVINCE_TREE: &str = "code,parent_code,tier,name\n\
    41,,province,河南省\n\
    4104,41,city,平顶山市\n\
    410411,4104,district,湛河区\n\
    410402,4104,district,新华区\n";

/// A child node's forwarding: fast retries, and a short heartbeat (a node
/// with nothing to send queues its day's keys on a heartbeat, so a silent
/// district's expected counts travel up quickly).
fn forwarder() -> ForwarderConfig {
    ForwarderConfig { heartbeat: Duration::from_millis(200), ..fast() }
}

async fn network(backend: Backend) -> (Running, Running, [Running; 2]) {
    let start = first_day();
    let config = NodeConfig {
        child_nodes: ChildNodes::AllChildren,
        reporting_start: Some(start),
        ..NodeConfig::new("41")
    };
    let province = Running::start(PROVINCE_TREE, "41", backend, config, None).await;
    let config = NodeConfig {
        parent: Some(province.url()),
        forwarder: forwarder(),
        child_nodes: ChildNodes::AllChildren,
        reporting_start: Some(start),
        ..NodeConfig::new(CITY)
    };
    let city = Running::start_own_tree(CITY_TREE, "4104", backend, config).await;
    let district = |unit: &'static str| NodeConfig {
        parent: Some(city.url()),
        forwarder: forwarder(),
        reporting_start: Some(start),
        ..NodeConfig::new(unit)
    };
    let zhanhe = Running::start_own_tree(ZHANHE, "410411", backend, district("410411")).await;
    let xinhua = Running::start_own_tree(XINHUA, "410402", backend, district("410402")).await;
    (province, city, [zhanhe, xinhua])
}

/// Every (unit, day) state a district sends, read now under `version`.
async fn states_now(district: &Running, version: u64) -> Vec<RollupState> {
    let node = district.node.as_ref().unwrap();
    let keys: Vec<(UnitId, NaiveDate)> = first_day()
        .iter_days()
        .take_while(|d| *d <= today())
        .flat_map(|day| all_state_units(node, day, 1).into_iter().map(move |u| (u, day)))
        .collect();
    assert_eq!(keys.len() as i64, DAYS * if district.unit == "410411" { 3 } else { 2 });
    read_states(node, keys, version).await.unwrap()
}

/// As the city's receiver targets a state: a district's counts at the city too.
fn write(state: &RollupState) -> StateWrite {
    let mut targets = vec![state.unit_id.clone()];
    if DISTRICTS.contains(&state.unit_id.as_str()) {
        targets.push(unit(CITY));
    }
    StateWrite { state: state.clone(), targets }
}

/// Everything a city store holds of the figures, versions aside.
async fn held(store: &dyn Store) -> String {
    let units: Vec<UnitId> = std::iter::once(CITY).chain(UNITS.iter().map(|(u, _)| *u)).map(unit).collect();
    let (first, last) = (first_day() - chrono::Duration::days(7), today());
    let mut out = String::new();
    for period in [Period::Day, Period::Week] {
        let mut rows = store.rollups(period, &units, first, last).await.unwrap();
        rows.retain(|r| !r.tally.is_empty());
        rows.sort_by(|a, b| (a.unit_id.as_str(), a.period).cmp(&(b.unit_id.as_str(), b.period)));
        for row in rows {
            out.push_str(&format!("{period:?} {} {} {:?}\n", row.unit_id, row.period, row.tally));
        }
    }
    for (from, to) in ranges() {
        let items: Vec<(UnitId, NaiveDate, NaiveDate)> =
            units.iter().map(|u| (u.clone(), from, to)).collect();
        let expected = store.expected_sums(&items).await.unwrap();
        let cases = store.keyed_case_figures(&units, from, to).await.unwrap();
        for ((u, expected), cases) in units.iter().zip(expected).zip(cases) {
            let employers = store.distinct_employers(u, from, to).await.unwrap();
            out.push_str(&format!(
                "{u} {from}..{to} expected {expected} employers {employers} cases {cases:?}\n"
            ));
        }
    }
    out
}

/// A small deterministic generator for the shuffles.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}

async fn run_case(backend: Backend, ops: &[Op], seed: u64) {
    let (mut province, mut city, districts) = network(backend).await;
    let mut history = History::default();
    let middle = ops.len() / 2;
    for (serial, op) in ops[..middle].iter().enumerate() {
        apply(&districts, &mut history, op, serial).await;
    }
    let mut older = Vec::new();
    for district in &districts {
        older.extend(states_now(district, 1).await);
    }
    for (serial, op) in ops.iter().enumerate().skip(middle) {
        apply(&districts, &mut history, op, serial).await;
    }
    let mut newer = Vec::new();
    for district in &districts {
        newer.extend(states_now(district, 2).await);
    }

    // Wait until both districts have queued every key of every day (the
    // forwarder's daily tick, `summary_ticked_through` in `node_meta`) and
    // delivered everything.
    common::poll(Duration::from_secs(60), || async {
        for district in districts.iter().chain([&city]) {
            let store = district.node.as_ref().unwrap().store();
            let ticked = store.get_meta("summary_ticked_through").await.unwrap();
            if ticked != Some(today().to_string()) || store.outbox_stats().await.unwrap().depth > 0 {
                return None;
            }
        }
        Some(())
    })
    .await;

    // Every unit below the city: the city's figures are the district's own.
    for (from, to) in ranges() {
        let mut own_totals = Vec::new();
        for (u, d) in UNITS {
            let own = summary(&districts[d], u, from, to).await;
            let at_city = summary(&city, u, from, to).await;
            let (mine, theirs) = (figures(&own), figures(&at_city));
            if DISTRICTS.contains(&u) {
                assert_eq!(theirs, mine, "{u} {from}..{to}: the city's figures are the district's own");
                own_totals.push(own);
            } else {
                // A township's scorecard rows (its communities) lie below
                // the summary depth: the city holds its totals and cases.
                assert_eq!(
                    (&theirs.0, &theirs.1),
                    (&mine.0, &mine.1),
                    "{u} {from}..{to}: the city's figures are the district's own"
                );
            }
        }
        // The city itself: the districts' sums, one scorecard row each,
        // and distinct employers across both.
        let at_city = summary(&city, CITY, from, to).await;
        let totals = at_city.totals.clone().unwrap();
        let (z, x) = (own_totals[0].totals.clone().unwrap(), own_totals[1].totals.clone().unwrap());
        assert_eq!(additive(&totals), sum(&additive(&z), &additive(&x)), "{CITY} {from}..{to}");
        assert_eq!(
            totals.wage_arrears.unwrap_or_default().employers,
            history.distinct_employers(from, to),
            "{CITY} {from}..{to}: distinct employers across both districts"
        );
        let cases = case_counts(&at_city.cases.unwrap_or_default());
        let (zc, xc) = (
            case_counts(&own_totals[0].cases.unwrap_or_default()),
            case_counts(&own_totals[1].cases.unwrap_or_default()),
        );
        let summed: Vec<i64> = zc.iter().zip(&xc).map(|(a, b)| a + b).collect();
        assert_eq!(cases, summed, "{CITY} {from}..{to}: case figures");
        let mut rows: Vec<&str> = at_city.children.iter().map(|r| r.unit_id.as_str()).collect();
        rows.sort();
        // (A range not yet due, today before its cut-off, has no rows here
        // nor at the districts.)
        let due = !own_totals[0].children.is_empty();
        let want = if due { vec!["410402", "410411"] } else { Vec::new() };
        assert_eq!(rows, want, "{CITY} {from}..{to}: one scorecard row per district");
        for (own, u) in own_totals.iter().zip(DISTRICTS) {
            let Some(row) = at_city.children.iter().find(|r| r.unit_id == u) else { continue };
            let row_tally = row.tally.clone().unwrap();
            assert_eq!(
                additive(&row_tally),
                additive(own.totals.as_ref().unwrap()),
                "{u}'s row {from}..{to}"
            );
            assert_eq!(
                case_counts(&row.cases.unwrap_or_default()),
                case_counts(&own.cases.unwrap_or_default()),
                "{u}'s row cases {from}..{to}"
            );
        }
    }

    // One tier up: the province's figures of the city and its districts
    // are the city's own (the districts' townships lie below its depth).
    for (from, to) in ranges() {
        for u in [CITY, DISTRICTS[0], DISTRICTS[1]] {
            let own = figures(&summary(&city, u, from, to).await);
            let at_province = figures(&summary(&province, u, from, to).await);
            if u == CITY {
                assert_eq!(at_province, own, "{u} {from}..{to}: the province's figures are the city's own");
            } else {
                assert_eq!(
                    (&at_province.0, &at_province.1),
                    (&own.0, &own.1),
                    "{u} {from}..{to}: the province's figures are the city's own"
                );
            }
        }
        let own = summary(&city, CITY, from, to).await;
        let province_totals = summary(&province, "41", from, to).await;
        assert_eq!(
            (&province_totals.totals, &province_totals.cases),
            (&own.totals, &own.cases),
            "41 {from}..{to}: a province of one city"
        );
    }

    // Resends and reordering: a fresh store, in order, then shuffled with
    // duplicates and the older states interleaved.
    let live = held(&**city.node.as_ref().unwrap().store()).await;
    let in_order = TestDb::new(backend).await;
    let store = in_order.open().await.unwrap();
    let older_writes: Vec<StateWrite> = older.iter().map(write).collect();
    let newer_writes: Vec<StateWrite> = newer.iter().map(write).collect();
    store.apply_rollup_states(&older_writes, false, Utc::now()).await.unwrap();
    store.apply_rollup_states(&newer_writes, false, Utc::now()).await.unwrap();
    let reference = held(&*store).await;
    assert_eq!(reference, live, "the states applied in order leave what the live city holds");
    store.close().await;
    in_order.cleanup().await;

    let mut random = XorShift(seed | 1);
    let mut pool: Vec<StateWrite> = older_writes.iter().chain(&newer_writes).cloned().collect();
    let extra = pool.len() / 2;
    for _ in 0..extra {
        let pick = random.next(pool.len());
        pool.push(pool[pick].clone());
    }
    for i in (1..pool.len()).rev() {
        pool.swap(i, random.next(i + 1));
    }
    let shuffled = TestDb::new(backend).await;
    let store = shuffled.open().await.unwrap();
    let mut rest = &pool[..];
    while !rest.is_empty() {
        let take = 1 + random.next(rest.len().min(16));
        store.apply_rollup_states(&rest[..take], false, Utc::now()).await.unwrap();
        rest = &rest[take..];
    }
    assert_eq!(held(&*store).await, reference, "order, duplicates and older states change nothing");
    // And the newest once more, as a resend.
    store.apply_rollup_states(&newer_writes, false, Utc::now()).await.unwrap();
    assert_eq!(held(&*store).await, reference, "a resend changes nothing");
    store.close().await;
    shuffled.cleanup().await;

    for node in [&mut province, &mut city] {
        node.halt().await;
    }
    province.db.cleanup().await;
    city.db.cleanup().await;
    for mut district in districts {
        district.halt().await;
        district.db.cleanup().await;
    }
}

fn the_city_equals_the_districts(backend: Backend, cases: u32) {
    let config = Config { cases, failure_persistence: None, max_shrink_iters: 32, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let strategy = (proptest::collection::vec(op(), 1..24), any::<u64>());
    let result = runner.run(&strategy, |(ops, seed)| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(run_case(backend, &ops, seed));
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{backend}: {failure}");
    }
}

#[test]
fn sqlite_the_city_equals_the_districts_over_random_histories() {
    the_city_equals_the_districts(Backend::Sqlite, 12);
}

#[test]
fn postgres_the_city_equals_the_districts_over_random_histories() {
    the_city_equals_the_districts(Backend::Postgres, 4);
}
