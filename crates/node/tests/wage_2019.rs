//! The district's 2019 wage-arrears work, replayed through a two-tier
//! network: whatever the order, duplication and correction of the underlying
//! reports, the district's yearly summary shows exactly the published
//! figures (docs: 46 employers, 32 wage disputes resolved, 282 workers,
//! 8,642,000 yuan recovered).
//!
//! The network: a district node (410411) that serves township B itself and
//! has township A (410411001) as a child node; the township node forwards
//! everything it accepts to the district over the uplink. Ten reporting
//! groups, some opening or closing mid-year.
//!
//! The intended year is generated from a seed: every open group-day has a
//! report (a few are never filed), most of them zero reports, with 58
//! wage-arrears disputes naming 46 distinct employers (some several times,
//! some spelt with other spacing or case), 32 of them resolved on the spot,
//! 282 workers and 864,200,000 fen recovered in all, plus disputes of other
//! categories. Each report then gets a script — plain, or first filed wrong
//! (wage figures, employer, outcome, a dispute missed, a spurious dispute
//! added) and corrected, sometimes wrong twice or right-wrong-right — with
//! exact duplicates sent concurrently and later, stale resends of an old
//! revision and conflicting resends of the final one. The scripts are
//! interleaved at random (each report's steps stay in order) and submitted
//! 32 at a time to the node that serves the unit. The final state equals
//! the intended year, and so must every figure.
//!
//! Runs on both backends, with two different replays of the same year.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fengqiao_core::tally::employer_key;
use fengqiao_core::{Clock, ManualClock, UnitTree};
use fengqiao_node::{ChildNodes, ForwarderConfig, Limits, Node, NodeConfig, ServeError};
use fengqiao_proto::pb;
use fengqiao_proto::pb::node_service_client::NodeServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::weekly_service_client::WeeklyServiceClient;
use fengqiao_store::testing::TestDb;
use fengqiao_store::{Backend, ListQuery, Store};
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

const DISTRICT: &str = "410411";
const TOWNSHIP_A: &str = "410411001";
const TOWNSHIP_B: &str = "410411002";

/// Only groups file reports. Township A: five groups, one opening in April
/// and one closing after September; township B: five groups, one open from
/// mid-March to October and one closing after June.
const TREE: &str = "code,parent_code,tier,name,reporting,active_from,active_to\n\
    410411,,district,湛河区,false,,\n\
    410411001,410411,township,马庄街道,false,,\n\
    410411001001,410411001,community,电力社区,false,,\n\
    410411001001001,410411001001,group,1号楼,true,,\n\
    410411001001002,410411001001,group,2号楼,true,,\n\
    410411001001003,410411001001,group,3号楼,true,2019-04-01,\n\
    410411001002,410411001,community,平高社区,false,,\n\
    410411001002001,410411001002,group,第一组,true,,\n\
    410411001002002,410411001002,group,第二组,true,,2019-09-30\n\
    410411002,410411,township,南环路街道,false,,\n\
    410411002001,410411002,community,姚孟村,false,,\n\
    410411002001001,410411002001,group,第一村民组,true,,\n\
    410411002001002,410411002001,group,第二村民组,true,2019-03-15,2019-10-31\n\
    410411002002,410411002,community,曹镇村,false,,\n\
    410411002002001,410411002002,group,东组,true,,\n\
    410411002002002,410411002002,group,西组,true,,\n\
    410411002002003,410411002002,group,南组,true,,2019-06-30\n";

/// The published figures.
const EMPLOYERS: usize = 46;
const RESOLVED: usize = 32;
const WORKERS: i64 = 282;
const RECOVERED_CENTS: i64 = 864_200_000;
/// Wage disputes in the year: every employer once, twelve of them again.
const WAGE_DISPUTES: usize = 58;
/// Disputes of other categories.
const OTHER_DISPUTES: usize = 160;

/// Cases filed in the year (published), all wage arrears.
const CASES_FILED: usize = 47;

/// Submissions in flight at once.
const CONCURRENCY: usize = 32;

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2019, 1, 1).unwrap()
}

fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2019, 12, 31).unwrap()
}

fn days_of_2019() -> impl Iterator<Item = NaiveDate> {
    first_day().iter_days().take_while(|d| *d <= last_day())
}

/// 2020-01-02 10:00 in Shanghai: every day of 2019 is due, none of it is
/// in the future.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 1, 2, 2, 0, 0).unwrap()
}

// ---------------------------------------------------------------------------
// The intended year
// ---------------------------------------------------------------------------

/// A (unit, date) of the intended year.
type Key = (String, NaiveDate);

/// What every report should finally say.
#[derive(Debug)]
struct Year {
    reports: BTreeMap<Key, Vec<pb::Dispute>>,
    /// The employers' names as first invented (one per employer).
    employers: Vec<String>,
}

/// Employer `n`'s name: Chinese or ASCII, always with an inner space so
/// spacing variants exist.
fn employer_name(n: usize) -> String {
    if n % 3 == 2 {
        format!("Zhanhe Labour Services No.{n} Co.")
    } else {
        format!("湛河区 第{n}建筑劳务公司")
    }
}

/// The same employer, spelt another way (case, spacing, surrounding space).
fn variant(name: &str, rng: &mut StdRng) -> String {
    let spelt = match rng.random_range(0..6) {
        0 => name.to_ascii_uppercase(),
        1 => name.replace(' ', "  "),
        2 => format!("  {name} "),
        3 => name.replace(' ', "\u{3000}"),
        4 => name.to_ascii_lowercase().replace(' ', " \u{3000} "),
        _ => format!("{} ", name.to_ascii_uppercase().replace(' ', "   ")),
    };
    assert_eq!(employer_key(&spelt), employer_key(name), "{spelt:?} is a spelling of {name:?}");
    spelt
}

/// `parts` values of at least `min` summing to `total`.
fn partition(rng: &mut StdRng, total: i64, parts: usize, min: i64) -> Vec<i64> {
    let free = total - min * parts as i64;
    assert!(free >= 0);
    let mut cuts: Vec<i64> = (1..parts).map(|_| rng.random_range(0..=free)).collect();
    cuts.sort_unstable();
    let mut out = Vec::with_capacity(parts);
    let mut previous = 0;
    for cut in cuts.into_iter().chain(std::iter::once(free)) {
        out.push(cut - previous + min);
        previous = cut;
    }
    out
}

fn wage_dispute(
    local_id: String,
    outcome: pb::DisputeOutcome,
    employer: String,
    workers: u32,
    claimed: i64,
    recovered: i64,
) -> pb::Dispute {
    pb::Dispute {
        local_id,
        category: pb::DisputeCategory::WageArrears.into(),
        outcome: outcome.into(),
        parties: workers + 1,
        summary: "拖欠农民工工资".into(),
        case_id: String::new(),
        wage_arrears: Some(pb::WageArrears {
            employer,
            workers,
            amount_claimed_cents: claimed,
            amount_recovered_cents: recovered,
        }),
    }
}

fn is_wage(dispute: &pb::Dispute) -> bool {
    dispute.wage_arrears.is_some()
}

fn intended_year(tree: &UnitTree, seed: u64) -> Year {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut reports: BTreeMap<Key, Vec<pb::Dispute>> = BTreeMap::new();
    let groups: Vec<_> = tree.units().into_iter().filter(|u| u.reporting).collect();
    assert_eq!(groups.len(), 10);
    for day in days_of_2019() {
        for group in &groups {
            // About one open group-day in forty is never filed.
            if group.expected_on(day) && !rng.random_bool(0.025) {
                reports.insert((group.id.to_string(), day), Vec::new());
            }
        }
    }
    let keys: Vec<Key> = reports.keys().cloned().collect();

    let employers: Vec<String> = (0..EMPLOYERS).map(employer_name).collect();
    let distinct: BTreeSet<String> = employers.iter().map(|e| employer_key(e)).collect();
    assert_eq!(distinct.len(), EMPLOYERS, "the invented employers are distinct");

    // Every employer once, some again; a repeat is often spelt differently.
    let mut named: Vec<usize> = (0..EMPLOYERS).collect();
    named.extend((EMPLOYERS..WAGE_DISPUTES).map(|_| rng.random_range(0..EMPLOYERS)));
    named.shuffle(&mut rng);
    let mut outcomes: Vec<pb::DisputeOutcome> = (0..WAGE_DISPUTES)
        .map(|i| match i {
            i if i < RESOLVED => pb::DisputeOutcome::ResolvedOnTheSpot,
            i if i % 3 == 0 => pb::DisputeOutcome::Mediating,
            i if i % 3 == 1 => pb::DisputeOutcome::Registered,
            _ => pb::DisputeOutcome::ReferredUp,
        })
        .collect();
    outcomes.shuffle(&mut rng);
    let workers = partition(&mut rng, WORKERS, WAGE_DISPUTES, 1);
    let recovered = partition(&mut rng, RECOVERED_CENTS, WAGE_DISPUTES, 100_000);
    let mut seen = BTreeSet::new();
    for i in 0..WAGE_DISPUTES {
        let canonical = &employers[named[i]];
        let employer = if !seen.insert(named[i]) || rng.random_bool(0.3) {
            variant(canonical, &mut rng)
        } else {
            canonical.clone()
        };
        let outcome = outcomes[i];
        let claimed = recovered[i]
            + if outcome == pb::DisputeOutcome::ResolvedOnTheSpot {
                rng.random_range(0..=2_000_000)
            } else {
                rng.random_range(1_000_000..=30_000_000)
            };
        let mut dispute =
            wage_dispute(format!("w{i:02}"), outcome, employer, workers[i] as u32, claimed, recovered[i]);
        if outcome == pb::DisputeOutcome::Registered && i % 2 == 0 {
            dispute.case_id = format!("2019-LC-{i:04}");
        }
        let key = &keys[rng.random_range(0..keys.len())];
        reports.get_mut(key).unwrap().push(dispute);
    }

    let categories = [
        pb::DisputeCategory::Land,
        pb::DisputeCategory::HousingProperty,
        pb::DisputeCategory::Neighbour,
        pb::DisputeCategory::MarriageFamily,
        pb::DisputeCategory::Labour,
        pb::DisputeCategory::Environment,
        pb::DisputeCategory::PublicService,
        pb::DisputeCategory::LawRelated,
        pb::DisputeCategory::Other,
    ];
    let all_outcomes = [
        pb::DisputeOutcome::ResolvedOnTheSpot,
        pb::DisputeOutcome::Mediating,
        pb::DisputeOutcome::Registered,
        pb::DisputeOutcome::ReferredUp,
    ];
    for i in 0..OTHER_DISPUTES {
        let outcome = all_outcomes[rng.random_range(0..all_outcomes.len())];
        let dispute = pb::Dispute {
            local_id: format!("o{i:03}"),
            category: categories[rng.random_range(0..categories.len())].into(),
            outcome: outcome.into(),
            parties: rng.random_range(0..=6),
            summary: "排查发现的矛盾纠纷".into(),
            case_id: if outcome == pb::DisputeOutcome::Registered {
                format!("2019-MC-{i:04}")
            } else {
                String::new()
            },
            wage_arrears: None,
        };
        let key = &keys[rng.random_range(0..keys.len())];
        reports.get_mut(key).unwrap().push(dispute);
    }
    Year { reports, employers }
}

// ---------------------------------------------------------------------------
// The replay: scripts of submissions per report
// ---------------------------------------------------------------------------

/// What a submission must be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    New,
    /// A correction to this revision (replacing the one before).
    Correction(u32),
    Duplicate,
    Refused(Code),
}

#[derive(Debug, Clone)]
struct Step {
    report: pb::DailyReport,
    /// Sent this many times at once (a client retrying while the first
    /// attempt is in flight): one answer is `expect`, the others DUPLICATE.
    copies: usize,
    expect: Expect,
}

fn report(key: &Key, revision: u32, disputes: Vec<pb::Dispute>, reason: &str) -> pb::DailyReport {
    pb::DailyReport {
        unit_id: key.0.clone(),
        date: key.1.to_string(),
        revision,
        reporter: format!("officer-{}", &key.0[key.0.len() - 3..]),
        zero: disputes.is_empty(),
        disputes,
        correction_reason: reason.into(),
    }
}

/// Positions of the wage disputes in `disputes`.
fn wage_positions(disputes: &[pb::Dispute]) -> Vec<usize> {
    disputes.iter().enumerate().filter(|(_, d)| is_wage(d)).map(|(i, _)| i).collect()
}

/// The truth with one wage dispute's figures wrong (workers always differ).
fn wrong_figures(truth: &[pb::Dispute], rng: &mut StdRng) -> Vec<pb::Dispute> {
    let mut wrong = truth.to_vec();
    let positions = wage_positions(truth);
    let at = positions[rng.random_range(0..positions.len())];
    let wage = wrong[at].wage_arrears.as_mut().unwrap();
    wage.workers += rng.random_range(1..=9);
    wage.amount_recovered_cents = if wage.amount_recovered_cents >= 200_000 {
        wage.amount_recovered_cents / 2
    } else {
        wage.amount_recovered_cents + 1_000_000
    };
    wage.amount_claimed_cents = wage.amount_claimed_cents.max(wage.amount_recovered_cents);
    wrong[at].parties = wage.workers + 1;
    wrong
}

/// The truth naming another employer in one wage dispute: an invented one
/// (`bogus`), or another real one.
fn wrong_employer(
    truth: &[pb::Dispute],
    employers: &[String],
    bogus: Option<usize>,
    rng: &mut StdRng,
) -> Vec<pb::Dispute> {
    let mut wrong = truth.to_vec();
    let positions = wage_positions(truth);
    let at = positions[rng.random_range(0..positions.len())];
    let wage = wrong[at].wage_arrears.as_mut().unwrap();
    wage.employer = match bogus {
        Some(n) => format!("错登 劳务公司 {n}"),
        None => loop {
            let other = &employers[rng.random_range(0..employers.len())];
            if employer_key(other) != employer_key(&wage.employer) {
                break other.clone();
            }
        },
    };
    wrong
}

/// The truth with one wage dispute's outcome flipped between resolved and
/// not.
fn wrong_outcome(truth: &[pb::Dispute], rng: &mut StdRng) -> Vec<pb::Dispute> {
    let mut wrong = truth.to_vec();
    let positions = wage_positions(truth);
    let at = positions[rng.random_range(0..positions.len())];
    let resolved = i32::from(pb::DisputeOutcome::ResolvedOnTheSpot);
    wrong[at].outcome =
        if wrong[at].outcome == resolved { pb::DisputeOutcome::Mediating.into() } else { resolved };
    wrong[at].case_id.clear();
    wrong
}

/// The truth without its wage disputes (missed at first).
fn missed(truth: &[pb::Dispute]) -> Vec<pb::Dispute> {
    truth.iter().filter(|d| !is_wage(d)).cloned().collect()
}

/// The truth plus a wage dispute that never was, under an invented employer.
fn spurious(truth: &[pb::Dispute], n: usize) -> Vec<pb::Dispute> {
    let mut wrong = truth.to_vec();
    wrong.push(wage_dispute(
        format!("x{n:04}"),
        pb::DisputeOutcome::ResolvedOnTheSpot,
        format!("虚报 用工单位 {n}"),
        7,
        5_000_000,
        5_000_000,
    ));
    wrong
}

/// How a report reaches its final revision.
#[derive(Debug, Clone, Copy)]
enum Scenario {
    Plain,
    WrongFigures,
    BogusEmployer,
    OtherEmployer,
    WrongOutcome,
    Missed,
    /// Filed with a spurious wage dispute, corrected without it.
    Spurious,
    /// Right, then a wrong correction, then right again.
    RightWrongRight,
    /// Wrong, wrong again, then right.
    WrongWrongRight,
}

/// Scenarios dealt in turn to the reports with wage disputes.
const WAGE_SCENARIOS: [Scenario; 10] = [
    Scenario::Plain,
    Scenario::Plain,
    Scenario::WrongFigures,
    Scenario::BogusEmployer,
    Scenario::OtherEmployer,
    Scenario::WrongOutcome,
    Scenario::Missed,
    Scenario::Spurious,
    Scenario::RightWrongRight,
    Scenario::WrongWrongRight,
];

/// The revisions (disputes, correction reason) a report goes through; the
/// last is the truth.
fn revisions(
    scenario: Scenario,
    truth: &[pb::Dispute],
    employers: &[String],
    n: usize,
    rng: &mut StdRng,
) -> Vec<(Vec<pb::Dispute>, &'static str)> {
    let right = truth.to_vec();
    match scenario {
        Scenario::Plain => vec![(right, "")],
        Scenario::WrongFigures => {
            vec![(wrong_figures(truth, rng), ""), (right, "工资台账核对后更正人数和金额")]
        }
        Scenario::BogusEmployer => {
            vec![(wrong_employer(truth, employers, Some(n), rng), ""), (right, "更正用工单位名称")]
        }
        Scenario::OtherEmployer => {
            vec![(wrong_employer(truth, employers, None, rng), ""), (right, "用工单位填错")]
        }
        Scenario::WrongOutcome => vec![(wrong_outcome(truth, rng), ""), (right, "更正化解情况")],
        Scenario::Missed => vec![(missed(truth), ""), (right, "补报漏报的欠薪纠纷")],
        Scenario::Spurious => vec![(spurious(truth, n), ""), (right, "删除误报的欠薪纠纷")],
        Scenario::RightWrongRight => {
            let wrong =
                if wage_positions(truth).is_empty() { spurious(truth, n) } else { wrong_figures(truth, rng) };
            vec![(right.clone(), ""), (wrong, "误改"), (right, "撤销误改，恢复原报")]
        }
        Scenario::WrongWrongRight => vec![
            (wrong_figures(truth, rng), ""),
            (wrong_employer(truth, employers, Some(n), rng), "更正金额"),
            (right, "再次更正：用工单位与金额均按台账"),
        ],
    }
}

/// The submissions of one report, in the order its reporter makes them.
fn script(
    key: &Key,
    scenario: Scenario,
    truth: &[pb::Dispute],
    employers: &[String],
    n: usize,
    rng: &mut StdRng,
) -> Vec<Step> {
    let versions = revisions(scenario, truth, employers, n, rng);
    let mut steps = Vec::new();
    for (index, (disputes, reason)) in versions.iter().enumerate() {
        let revision = index as u32 + 1;
        let submitted = report(key, revision, disputes.clone(), reason);
        let expect = if revision == 1 { Expect::New } else { Expect::Correction(revision) };
        let copies = if rng.random_bool(0.08) { rng.random_range(2..=3) } else { 1 };
        steps.push(Step { report: submitted.clone(), copies, expect });
        if rng.random_bool(0.06) {
            steps.push(Step { report: submitted, copies: 1, expect: Expect::Duplicate });
        }
    }
    let last = versions.len() as u32;
    // An old revision resent after a newer one: refused, changes nothing.
    if last > 1 && rng.random_bool(0.4) {
        let (disputes, reason) = &versions[0];
        steps.push(Step {
            report: report(key, 1, disputes.clone(), reason),
            copies: 1,
            expect: Expect::Refused(Code::FailedPrecondition),
        });
    }
    // The final revision number with other content: a conflict, refused.
    let conflict = if wage_positions(truth).is_empty() { 0.01 } else { 0.3 };
    if rng.random_bool(conflict) {
        let other = if wage_positions(truth).is_empty() {
            spurious(truth, n + 100_000)
        } else {
            wrong_figures(truth, rng)
        };
        steps.push(Step {
            report: report(key, last, other, versions[versions.len() - 1].1),
            copies: 1,
            expect: Expect::Refused(Code::Aborted),
        });
    }
    steps
}

/// Every report's script, interleaved at random: each report's steps keep
/// their order, reports mix freely. Items: (report index, step).
fn replay(year: &Year, seed: u64) -> (Vec<(usize, Step)>, BTreeMap<&'static str, usize>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut wage_keys: Vec<usize> = Vec::new();
    let mut other_keys: Vec<usize> = Vec::new();
    for (index, disputes) in year.reports.values().enumerate() {
        if disputes.iter().any(is_wage) {
            wage_keys.push(index);
        } else {
            other_keys.push(index);
        }
    }
    let mut scenarios = vec![Scenario::Plain; year.reports.len()];
    wage_keys.shuffle(&mut rng);
    for (n, &index) in wage_keys.iter().enumerate() {
        scenarios[index] = WAGE_SCENARIOS[n % WAGE_SCENARIOS.len()];
    }
    // Reports without wage disputes (mostly zero reports): some filed with a
    // spurious wage dispute, some corrected to something wrong and back.
    other_keys.shuffle(&mut rng);
    for &index in &other_keys[..25] {
        scenarios[index] = Scenario::Spurious;
    }
    for &index in &other_keys[25..35] {
        scenarios[index] = Scenario::RightWrongRight;
    }
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut scripts: Vec<std::collections::VecDeque<Step>> = Vec::new();
    for (index, (key, truth)) in year.reports.iter().enumerate() {
        let steps = script(key, scenarios[index], truth, &year.employers, index, &mut rng);
        for step in &steps {
            let kind = match step.expect {
                Expect::New => "new",
                Expect::Correction(_) => "correction",
                Expect::Duplicate => "duplicate (later)",
                Expect::Refused(Code::FailedPrecondition) => "stale resend",
                Expect::Refused(_) => "conflicting resend",
            };
            *counts.entry(kind).or_default() += 1;
            if step.copies > 1 {
                *counts.entry("duplicate (concurrent)").or_default() += step.copies - 1;
            }
        }
        scripts.push(steps.into());
    }
    // A uniformly random interleaving: shuffle the slots, then give each
    // report's slots its steps in order.
    let mut slots: Vec<usize> =
        scripts.iter().enumerate().flat_map(|(index, s)| std::iter::repeat_n(index, s.len())).collect();
    slots.shuffle(&mut rng);
    let order = slots.into_iter().map(|index| (index, scripts[index].pop_front().unwrap())).collect();
    (order, counts)
}

/// Sends one step once its report's previous step is done, and checks the
/// answers. Dropping `done` unsent (on failure) fails the report's next step.
async fn run_step(
    client: ReportingServiceClient<Channel>,
    step: Step,
    after: Option<oneshot::Receiver<()>>,
    done: oneshot::Sender<()>,
) -> Result<(), String> {
    let what = format!(
        "{} {} revision {} ({:?}, {} copies)",
        step.report.unit_id, step.report.date, step.report.revision, step.expect, step.copies
    );
    if let Some(after) = after {
        after.await.map_err(|_| format!("{what}: the previous step of this report failed"))?;
    }
    let request = pb::SubmitDailyReportRequest { report: Some(step.report.clone()) };
    let answers = futures::future::join_all((0..step.copies).map(|_| {
        let mut client = client.clone();
        let request = request.clone();
        async move { client.submit_daily_report(request).await.map(tonic::Response::into_inner) }
    }))
    .await;
    let revision = step.report.revision;
    let mut firsts = 0;
    for answer in answers {
        match (step.expect, answer) {
            (Expect::Refused(code), Err(status)) if status.code() == code => {}
            (Expect::Refused(code), other) => {
                return Err(format!("{what}: expected {code:?}, got {other:?}"));
            }
            (_, Err(status)) => return Err(format!("{what}: refused: {status}")),
            (expect, Ok(response)) => {
                let disposition = pb::Disposition::try_from(response.disposition);
                let first = match (expect, disposition) {
                    (Expect::New, Ok(pb::Disposition::New)) => {
                        response.revision == 1 && response.replaced_revision == 0
                    }
                    (Expect::Correction(r), Ok(pb::Disposition::Correction)) => {
                        response.revision == r && response.replaced_revision == r - 1
                    }
                    (_, Ok(pb::Disposition::Duplicate)) if response.revision == revision => false,
                    _ => return Err(format!("{what}: unexpected answer {response:?}")),
                };
                if !first && response.replaced_revision != 0 {
                    return Err(format!("{what}: unexpected answer {response:?}"));
                }
                // Everything is filed on 2020-01-02: late for every day of 2019.
                if response.on_time {
                    return Err(format!("{what}: counted on time: {response:?}"));
                }
                firsts += usize::from(first);
            }
        }
    }
    let wanted = usize::from(matches!(step.expect, Expect::New | Expect::Correction(_)));
    if firsts != wanted {
        return Err(format!("{what}: {firsts} answers stored it, expected {wanted}"));
    }
    let _ = done.send(());
    Ok(())
}

// ---------------------------------------------------------------------------
// The cases of the year
// ---------------------------------------------------------------------------

/// What filing the year's cases should show at the district.
struct Filed {
    ids: BTreeSet<String>,
    escalations: i64,
    repeats: i64,
    closed: i64,
    /// Left open (escalated) and past the 60-day deadline on 2019-12-31.
    overdue: i64,
}

/// A resident identity number with a valid check digit.
fn id_number(n: usize) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let base = format!("41041119800101{n:03}");
    let sum: u32 = base.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{base}{}", char::from(b"10X98765432"[(sum % 11) as usize]))
}

/// Files the year's 47 wage-arrears cases on the days they came in: one for
/// each wage dispute a report registered as a case, the rest by letter,
/// phone or at duty reception, each at the node serving its unit. Every
/// fourth case of township A is escalated three tiers up to the district;
/// the others are worked and closed the same day. Petitioners come from a
/// pool per township, so some petition twice (repeats, found at the node
/// that registers the case).
async fn file_cases(
    year: &Year,
    tree: &UnitTree,
    district: &TestNode,
    township: &TestNode,
    clock: &ManualClock,
    seed: u64,
) -> Filed {
    use pb::act_on_case_request::{self as act, Action};
    use pb::case_service_client::CaseServiceClient;
    let mut rng = StdRng::seed_from_u64(seed ^ 47);
    // (date, unit, source dispute)
    let mut intakes: Vec<(NaiveDate, String, Option<String>)> = year
        .reports
        .iter()
        .flat_map(|((unit, date), disputes)| {
            disputes
                .iter()
                .filter(|d| is_wage(d) && d.outcome() == pb::DisputeOutcome::Registered)
                .map(move |d| (*date, unit.clone(), Some(d.local_id.clone())))
        })
        .collect();
    assert!(intakes.len() < CASES_FILED);
    let groups: Vec<_> = tree.units().into_iter().filter(|u| u.reporting).collect();
    while intakes.len() < CASES_FILED {
        let day = first_day() + chrono::Duration::days(rng.random_range(0..365));
        let group = groups[rng.random_range(0..groups.len())];
        if group.is_active_on(day) {
            intakes.push((day, group.id.to_string(), None));
        }
    }
    intakes.sort();
    let mut filed = Filed { ids: BTreeSet::new(), escalations: 0, repeats: 0, closed: 0, overdue: 0 };
    let mut petitioned: BTreeSet<(bool, usize)> = BTreeSet::new();
    let channels = [pb::CaseChannel::Letter, pb::CaseChannel::Phone, pb::CaseChannel::Visit];
    for (n, (day, unit, source)) in intakes.into_iter().enumerate() {
        clock.set(Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).unwrap()));
        let in_a = tree.is_within(&unit, TOWNSHIP_A);
        let node = if in_a { township } else { district };
        let mut client = CaseServiceClient::new(node.channel.clone());
        let intake = match &source {
            Some(local_id) => pb::CaseIntake {
                origin_unit_id: unit.clone(),
                channel: pb::CaseChannel::Report.into(),
                source: Some(pb::DisputeRef {
                    unit_id: unit.clone(),
                    date: day.to_string(),
                    local_id: local_id.clone(),
                }),
                ..pb::CaseIntake::default()
            },
            None => pb::CaseIntake {
                origin_unit_id: unit.clone(),
                category: pb::DisputeCategory::WageArrears.into(),
                channel: channels[n % channels.len()].into(),
                summary: "拖欠农民工工资".into(),
                workers: rng.random_range(1..=20),
                amount_claimed_cents: rng.random_range(1_000_000..=50_000_000),
                ..pb::CaseIntake::default()
            },
        };
        let person = rng.random_range(0..12);
        filed.repeats += i64::from(!petitioned.insert((in_a, person)));
        let petitioner = pb::Petitioner {
            name: format!("申请人{person}"),
            phone: "13900000000".into(),
            id_number: id_number(person + if in_a { 0 } else { 100 }),
        };
        let registered = client
            .register_case(pb::RegisterCaseRequest {
                intake: Some(intake),
                petitioner: Some(petitioner),
                actor: "officer".into(),
                ..pb::RegisterCaseRequest::default()
            })
            .await
            .unwrap_or_else(|status| panic!("case {n} at {unit}: {status}"))
            .into_inner()
            .r#case
            .unwrap();
        let id = registered.case_id.clone();
        filed.ids.insert(id.clone());
        let step = |action: Action| {
            let mut client = client.clone();
            let id = id.clone();
            async move {
                client
                    .act_on_case(pb::ActOnCaseRequest {
                        case_id: id.clone(),
                        actor: "leader".into(),
                        action: Some(action),
                        ..pb::ActOnCaseRequest::default()
                    })
                    .await
                    .unwrap_or_else(|status| panic!("case {id}: {status}"))
            }
        };
        step(Action::Accept(act::Accept {})).await;
        if in_a && n % 4 == 0 {
            for _ in 0..3 {
                step(Action::Escalate(act::Escalate {
                    reason: "employer outside the village's reach".into(),
                }))
                .await;
            }
            filed.escalations += 1;
            filed.overdue += i64::from(day + chrono::Duration::days(60) < last_day());
            continue;
        }
        step(Action::Assign(act::Assign {
            leader: "包案领导".into(),
            responsible: "劳动保障所".into(),
            plan: "约谈用工单位，限期支付".into(),
            deadline: String::new(),
        }))
        .await;
        step(Action::Resolve(act::Resolve { resolution: "wages paid".into(), amount_recovered_cents: 0 }))
            .await;
        step(Action::Close(act::Close { satisfaction: pb::Satisfaction::Satisfied.into() })).await;
        filed.closed += 1;
    }
    filed
}

// ---------------------------------------------------------------------------
// Nodes
// ---------------------------------------------------------------------------

/// An in-process node on `127.0.0.1:0`.
struct TestNode {
    db: TestDb,
    store: Arc<dyn Store>,
    node: Node,
    url: String,
    channel: Channel,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<Result<(), ServeError>>,
}

impl TestNode {
    async fn start(
        backend: Backend,
        config: NodeConfig,
        tree: &UnitTree,
        clock: &Arc<ManualClock>,
    ) -> TestNode {
        let db = TestDb::new(backend).await;
        let store = db.open().await.expect("test database opens");
        // The tests seed thousands of reports from this one process (one
        // caller to the rate limit, which crates/node/tests/limits.rs tests).
        let config = NodeConfig { limits: Limits { rate_per_second: 0, ..config.limits }, ..config };
        let node = Node::start(config, tree, Arc::clone(&store), Arc::clone(clock) as Arc<dyn Clock>)
            .await
            .expect("node starts");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(fengqiao_node::serve(node.clone(), listener, async move {
            let _ = stop.await;
        }));
        let channel =
            Endpoint::from_shared(url.clone()).expect("endpoint").connect().await.expect("client connects");
        TestNode { db, store, node, url, channel, shutdown, server }
    }

    fn reporting(&self) -> ReportingServiceClient<Channel> {
        ReportingServiceClient::new(self.channel.clone())
    }

    async fn summary(&self, unit: &str) -> pb::Summary {
        SummaryServiceClient::new(self.channel.clone())
            .period_summary(pb::PeriodSummaryRequest {
                unit_id: unit.into(),
                from_date: first_day().to_string(),
                to_date: last_day().to_string(),
            })
            .await
            .unwrap_or_else(|status| panic!("summary of {unit}: {status}"))
            .into_inner()
            .summary
            .expect("a summary")
    }

    /// The case ids behind a figure of `unit`'s 2019, all pages.
    async fn drill(&self, unit: &str, figure: &str) -> BTreeSet<String> {
        let mut client = SummaryServiceClient::new(self.channel.clone());
        let mut ids = BTreeSet::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .drill_down(pb::DrillDownRequest {
                    unit_id: unit.into(),
                    from_date: first_day().to_string(),
                    to_date: last_day().to_string(),
                    figure: figure.into(),
                    page_size: 10,
                    page_token,
                })
                .await
                .unwrap_or_else(|status| panic!("drill {figure}: {status}"))
                .into_inner();
            ids.extend(page.case_ids);
            if page.next_page_token.is_empty() {
                return ids;
            }
            page_token = page.next_page_token;
        }
    }

    async fn status(&self) -> pb::GetNodeStatusResponse {
        NodeServiceClient::new(self.channel.clone())
            .get_node_status(pb::GetNodeStatusRequest {})
            .await
            .expect("node status")
            .into_inner()
    }

    /// Recomputes the rollups from the stored reports; they must be exact.
    async fn verify(&self) -> u64 {
        let tree = self.node.tree();
        let verification = fengqiao_store::rollup::verify(&*self.store, &tree, &self.node.config().time)
            .await
            .expect("rollups verify");
        assert_eq!(
            verification.differences,
            Vec::<String>::new(),
            "rollups of {} differ from a recomputation",
            self.node.config().home_unit
        );
        verification.reports
    }

    async fn stop(self) {
        let TestNode { db, store, node, channel, shutdown, server, .. } = self;
        drop((node, channel));
        let _ = shutdown.send(());
        tokio::time::timeout(Duration::from_secs(30), server)
            .await
            .expect("server stops within 30 s")
            .expect("server task does not panic")
            .expect("server stops without error");
        store.close().await;
        db.cleanup().await;
    }
}

// ---------------------------------------------------------------------------
// Expected figures
// ---------------------------------------------------------------------------

/// A tally's figures in a form that compares whole (categories and outcomes
/// by wire value, zeros left out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Figures {
    expected: i64,
    received: i64,
    on_time: i64,
    late: i64,
    missing: i64,
    zero_reports: i64,
    disputes: i64,
    parties: i64,
    by_category: BTreeMap<i32, i64>,
    by_outcome: BTreeMap<i32, i64>,
    wage: Wage,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Wage {
    disputes: i64,
    resolved: i64,
    workers: i64,
    claimed: i64,
    recovered: i64,
    employers: i64,
}

impl Wage {
    fn of(figures: &pb::WageFigures) -> Wage {
        Wage {
            disputes: figures.disputes,
            resolved: figures.resolved,
            workers: figures.workers,
            claimed: figures.amount_claimed_cents,
            recovered: figures.amount_recovered_cents,
            employers: figures.employers,
        }
    }
}

impl Figures {
    fn of(tally: &pb::Tally) -> Figures {
        Figures {
            expected: tally.expected,
            received: tally.received,
            on_time: tally.on_time,
            late: tally.late,
            missing: tally.missing,
            zero_reports: tally.zero_reports,
            disputes: tally.disputes,
            parties: tally.parties,
            by_category: tally
                .by_category
                .iter()
                .filter(|c| c.disputes != 0)
                .map(|c| (c.category, c.disputes))
                .collect(),
            by_outcome: tally
                .by_outcome
                .iter()
                .filter(|o| o.disputes != 0)
                .map(|o| (o.outcome, o.disputes))
                .collect(),
            wage: Wage::of(tally.wage_arrears.as_ref().expect("wage figures")),
        }
    }

    /// What the intended year adds up to under `root`, counted here in the
    /// test from the generated reports and the tree; `employers` only when
    /// asked (scorecard rows carry 0).
    fn expected(year: &Year, tree: &UnitTree, root: &str, with_employers: bool) -> Figures {
        let mut f = Figures::default();
        for day in days_of_2019() {
            f.expected += tree
                .units()
                .iter()
                .filter(|u| u.expected_on(day) && tree.is_within(u.id.as_str(), root))
                .count() as i64;
        }
        let mut employers = BTreeSet::new();
        for ((unit, _), disputes) in &year.reports {
            if !tree.is_within(unit, root) {
                continue;
            }
            f.received += 1;
            f.late += 1;
            f.zero_reports += i64::from(disputes.is_empty());
            for dispute in disputes {
                f.disputes += 1;
                f.parties += i64::from(dispute.parties);
                *f.by_category.entry(dispute.category).or_default() += 1;
                *f.by_outcome.entry(dispute.outcome).or_default() += 1;
                if let Some(wage) = &dispute.wage_arrears {
                    f.wage.disputes += 1;
                    f.wage.resolved +=
                        i64::from(dispute.outcome == i32::from(pb::DisputeOutcome::ResolvedOnTheSpot));
                    f.wage.workers += i64::from(wage.workers);
                    f.wage.claimed += wage.amount_claimed_cents;
                    f.wage.recovered += wage.amount_recovered_cents;
                    employers.insert(employer_key(&wage.employer));
                }
            }
        }
        f.missing = f.expected - f.received;
        if with_employers {
            f.wage.employers = employers.len() as i64;
        }
        f
    }
}

/// The stored heads under `root` must be the intended year, report by
/// report (disputes compared by local id, employer names as the domain
/// trims them).
async fn assert_stored_year(store: &dyn Store, year: &Year, tree: &UnitTree, root: &str) {
    let mut stored: BTreeMap<Key, Vec<pb::Dispute>> = BTreeMap::new();
    let mut after = None;
    loop {
        let page = store
            .list_reports(&ListQuery {
                root: fengqiao_core::UnitId::parse(root).unwrap(),
                from: first_day(),
                to: last_day(),
                after: after.clone(),
                limit: 1000,
            })
            .await
            .expect("store lists");
        let Some(tail) = page.last() else { break };
        after = Some((tail.report.date(), tail.report.unit_id().clone()));
        for head in &page {
            let pb = fengqiao_proto::pb::DailyReport::from(&head.report);
            let mut disputes = pb.disputes;
            disputes.sort_by(|a, b| a.local_id.cmp(&b.local_id));
            stored.insert((pb.unit_id, head.report.date()), disputes);
        }
    }
    let intended: BTreeMap<Key, Vec<pb::Dispute>> = year
        .reports
        .iter()
        .filter(|((unit, _), _)| tree.is_within(unit, root))
        .map(|(key, disputes)| {
            let mut disputes = disputes.clone();
            for dispute in &mut disputes {
                if let Some(wage) = &mut dispute.wage_arrears {
                    wage.employer = wage.employer.trim().to_owned();
                }
            }
            disputes.sort_by(|a, b| a.local_id.cmp(&b.local_id));
            (key.clone(), disputes)
        })
        .collect();
    assert_eq!(stored.len(), intended.len(), "reports stored under {root}");
    for (key, disputes) in &intended {
        assert_eq!(stored.get(key), Some(disputes), "the stored report of {} on {}", key.0, key.1);
    }
}

// ---------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------

async fn wage_year(backend: Backend, replay_seed: u64) {
    let started = Instant::now();
    let tree = UnitTree::from_csv(TREE).expect("tree parses");
    let year = intended_year(&tree, 2019);

    // The generated year holds the published figures.
    let whole = Figures::expected(&year, &tree, DISTRICT, true);
    assert_eq!(
        (whole.wage.employers, whole.wage.resolved, whole.wage.workers, whole.wage.recovered),
        (EMPLOYERS as i64, RESOLVED as i64, WORKERS, RECOVERED_CENTS)
    );
    assert_eq!(whole.wage.disputes, WAGE_DISPUTES as i64);
    assert_eq!(whole.disputes, (WAGE_DISPUTES + OTHER_DISPUTES) as i64);
    let spelt: BTreeSet<&str> = year
        .reports
        .values()
        .flatten()
        .filter_map(|d| d.wage_arrears.as_ref())
        .map(|w| w.employer.as_str())
        .collect();
    assert!(spelt.len() > EMPLOYERS, "some employers are spelt in several ways");

    let clock = Arc::new(ManualClock::new(now()));
    let mut district_config = NodeConfig::new(DISTRICT);
    district_config.child_nodes = ChildNodes::Units(vec![TOWNSHIP_A.into()]);
    let district = TestNode::start(backend, district_config, &tree, &clock).await;
    let mut township_config = NodeConfig::new(TOWNSHIP_A);
    township_config.parent = Some(district.url.clone());
    township_config.forwarder = ForwarderConfig {
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(500),
        heartbeat: Duration::from_millis(500),
        ..ForwarderConfig::default()
    };
    let township = TestNode::start(backend, township_config, &tree, &clock).await;

    // Replay: each report's steps in order, reports interleaved, 32 in flight.
    let (order, counts) = replay(&year, replay_seed);
    let submissions: usize = order.iter().map(|(_, step)| step.copies).sum::<usize>();
    let mut pending: Vec<Option<oneshot::Receiver<()>>> = (0..year.reports.len()).map(|_| None).collect();
    let keys: Vec<&Key> = year.reports.keys().collect();
    let tasks: Vec<_> = order
        .into_iter()
        .map(|(index, step)| {
            let (done, next) = oneshot::channel();
            let after = pending[index].replace(next);
            let client = if tree.is_within(&keys[index].0, TOWNSHIP_A) {
                township.reporting()
            } else {
                district.reporting()
            };
            (client, step, after, done)
        })
        .collect();
    let failures: Vec<String> = futures::stream::iter(tasks)
        .map(|(client, step, after, done)| run_step(client, step, after, done))
        .buffer_unordered(CONCURRENCY)
        .filter_map(|result| async move { result.err() })
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "{} steps failed, the first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    let submitted = started.elapsed();

    // A report of township A sent to the district is refused: the township
    // node serves it.
    let (key, disputes) = year.reports.iter().find(|((u, _), _)| tree.is_within(u, TOWNSHIP_A)).unwrap();
    let status = district
        .reporting()
        .submit_daily_report(pb::SubmitDailyReportRequest {
            report: Some(report(key, 1, disputes.clone(), "")),
        })
        .await
        .expect_err("the district does not take township A's reports");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status}");

    // Wait until the township's outbox has drained into the district (the
    // district acknowledges only what it has committed) and the district
    // knows township A has synced past the year's last cut-off.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = township.status().await;
        let summary = district.summary(DISTRICT).await;
        if status.outbox_depth == 0 && status.commit_queue == 0 && summary.arrived_percent == 100.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the township did not drain within 20 s: {status:?}, arrived {}%",
            summary.arrived_percent
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drained = started.elapsed();

    // The stored year is the intended one, at both nodes.
    assert_stored_year(&*district.store, &year, &tree, DISTRICT).await;
    assert_stored_year(&*township.store, &year, &tree, TOWNSHIP_A).await;

    // The district's yearly summary: the published figures.
    let summary = district.summary(DISTRICT).await;
    assert_eq!(summary.through_date, "2019-12-31");
    let totals = summary.totals.as_ref().expect("totals");
    let wage = totals.wage_arrears.as_ref().expect("wage figures");
    assert_eq!(wage.employers, 46, "employers involved");
    assert_eq!(wage.resolved, 32, "wage disputes resolved");
    assert_eq!(wage.workers, 282, "workers");
    assert_eq!(wage.amount_recovered_cents, 864_200_000, "recovered: 8,642,000 yuan");
    assert_eq!(wage.disputes, WAGE_DISPUTES as i64, "wage disputes");
    assert_eq!(totals.disputes, (WAGE_DISPUTES + OTHER_DISPUTES) as i64, "disputes");
    assert_eq!(Figures::of(totals), whole, "the district's totals");

    // The scorecard (townships A and B, by rank) adds up to the totals.
    let mut rows: Vec<&str> = summary.children.iter().map(|r| r.unit_id.as_str()).collect();
    let ranks: Vec<u32> = summary.children.iter().map(|r| r.rank).collect();
    assert_eq!(ranks, [1, 2], "rows come sorted by rank");
    rows.sort_unstable();
    assert_eq!(rows, [TOWNSHIP_A, TOWNSHIP_B]);
    let mut sum = Wage::default();
    for row in &summary.children {
        let figures = Figures::of(row.tally.as_ref().expect("row tally"));
        assert_eq!(figures, Figures::expected(&year, &tree, &row.unit_id, false), "row {}", row.unit_id);
        assert!(
            row.freshness.as_ref().is_some_and(|f| f.arrived),
            "row {}: {:?}",
            row.unit_id,
            row.freshness
        );
        sum.disputes += figures.wage.disputes;
        sum.resolved += figures.wage.resolved;
        sum.workers += figures.wage.workers;
        sum.claimed += figures.wage.claimed;
        sum.recovered += figures.wage.recovered;
    }
    assert_eq!(sum, Wage { employers: 0, ..Wage::of(wage) }, "scorecard rows add up to the totals");

    // Each township's own summary at the district, and township A's at its
    // own node, agree with the intended year (employers counted per township).
    for township_id in [TOWNSHIP_A, TOWNSHIP_B] {
        let at_district = district.summary(township_id).await;
        let want = Figures::expected(&year, &tree, township_id, true);
        assert_eq!(Figures::of(at_district.totals.as_ref().unwrap()), want, "{township_id} at the district");
    }
    let at_home = township.summary(TOWNSHIP_A).await;
    assert_eq!(
        Figures::of(at_home.totals.as_ref().unwrap()),
        Figures::expected(&year, &tree, TOWNSHIP_A, true),
        "township A at its own node"
    );

    // The incrementally kept rollups equal a recomputation, at both nodes.
    assert_eq!(district.verify().await, whole.received as u64);
    assert_eq!(township.verify().await, Figures::expected(&year, &tree, TOWNSHIP_A, false).received as u64);

    // The 47 cases filed in the year, and what the district's ledger says.
    let filed = file_cases(&year, &tree, &district, &township, &clock, replay_seed).await;
    clock.set(now());
    let deadline = Instant::now() + Duration::from_secs(20);
    while township.status().await.outbox_depth > 0 {
        assert!(Instant::now() < deadline, "the township's case events did not drain within 20 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let summary = district.summary(DISTRICT).await;
    let cases = summary.cases.as_ref().expect("case figures");
    assert_eq!(cases.registered, CASES_FILED as i64, "cases filed");
    assert_eq!(cases.escalated, filed.escalations, "escalated cases (each up three tiers)");
    assert_eq!(cases.repeat_petitions, filed.repeats, "repeat petitions");
    assert_eq!(cases.closed, filed.closed, "closed");
    assert_eq!(cases.closed_on_time, filed.closed, "all closed the day they were filed");
    assert_eq!(cases.overdue, filed.overdue, "escalated cases still open past their 60 days at year end");
    let rows: i64 = summary.children.iter().map(|r| r.cases.as_ref().unwrap().registered).sum();
    assert_eq!(rows, CASES_FILED as i64, "the scorecard's cases add up");
    let ids = district.drill(DISTRICT, "cases.registered").await;
    assert_eq!(ids, filed.ids, "the drill-down lists exactly the filed cases");
    let escalated = district.drill(DISTRICT, "cases.escalated").await;
    assert_eq!(escalated.len() as i64, filed.escalations, "the escalated cases behind the figure");
    // The wage figures still stand beside them.
    let wage = summary.totals.as_ref().unwrap().wage_arrears.as_ref().unwrap();
    assert_eq!((wage.employers, wage.resolved, wage.workers), (46, 32, 282));

    // Three criticisms (通报批评) during 2019 against three different units,
    // each recorded on its day; then the year in one report.
    let mut weekly = WeeklyServiceClient::new(district.channel.clone());
    for (unit, day) in [(TOWNSHIP_A, (3, 15)), (TOWNSHIP_B, (7, 15)), ("410411002001", (11, 15))] {
        let on = NaiveDate::from_ymd_opt(2019, day.0, day.1).unwrap();
        clock.set(Utc.from_utc_datetime(&on.and_hms_opt(2, 0, 0).unwrap()));
        let action = weekly
            .record_accountability(pb::RecordAccountabilityRequest {
                unit_id: unit.into(),
                kind: pb::AccountabilityKind::Criticism.into(),
                reason: "欠薪案件化解不力".into(),
                from_date: first_day().to_string(),
                to_date: (on - chrono::Duration::days(1)).to_string(),
            })
            .await
            .unwrap_or_else(|status| panic!("criticism of {unit}: {status}"))
            .into_inner()
            .action
            .expect("an action");
        assert_eq!(action.recorded_on, on.to_string());
    }
    clock.set(now());
    let annual = weekly
        .annual_report(pb::AnnualReportRequest { unit_id: DISTRICT.into(), year: 2019 })
        .await
        .expect("the annual report")
        .into_inner();
    let summary = annual.summary.as_ref().expect("the year's summary");
    let wage = summary.totals.as_ref().unwrap().wage_arrears.as_ref().unwrap();
    assert_eq!(wage.employers, 46, "employers involved");
    assert_eq!(wage.resolved, 32, "wage disputes resolved");
    assert_eq!(wage.workers, 282, "workers");
    assert_eq!(wage.amount_recovered_cents, 864_200_000, "recovered: 8,642,000 yuan");
    assert_eq!(summary.cases.as_ref().unwrap().registered, CASES_FILED as i64, "cases filed");
    assert_eq!(annual.wage_cases_registered, 47, "wage-arrears cases registered");
    assert_eq!(annual.months.len(), 12);
    let accountability = annual.accountability.as_ref().expect("the year's actions");
    assert_eq!(accountability.actions.len(), 3);
    let criticism = accountability
        .units_by_kind
        .iter()
        .find(|c| c.kind == pb::AccountabilityKind::Criticism as i32)
        .expect("criticisms counted");
    assert_eq!((criticism.actions, criticism.units), (3, 3), "three units criticised");

    eprintln!(
        "{backend:?} replay {replay_seed}: {} reports, {submissions} submissions {counts:?}; \
         submitted in {submitted:.1?}, drained at {drained:.1?}, checked at {:.1?}",
        year.reports.len(),
        started.elapsed()
    );
    township.stop().await;
    district.stop().await;
}

async fn replay_one(backend: Backend) {
    wage_year(backend, 1).await;
}

async fn replay_two(backend: Backend) {
    wage_year(backend, 2).await;
}

fengqiao_store::both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    replay_one,
    replay_two,
);
