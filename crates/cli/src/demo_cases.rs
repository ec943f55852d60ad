//! The case ledger in `fengqiao demo` (立案、交办、包案、挂账销号).
//!
//! Before the days of reporting, [`simulate_history`] runs [`HISTORY_DAYS`]
//! days of case work on the demo's shared clock, over gRPC, each call at the
//! node that holds the unit concerned: every day a few cases arrive at
//! communities and groups (letters, phone calls, online) or at a township's
//! duty reception (visits, some answered on the spot, with the leader on duty
//! from the roster the district sets). Petitioners come from a small pool per
//! township, so some petition again (repeat petitions). Each case then takes
//! its own path: accepted in time or late, or never (overdue on acceptance);
//! a leader and a responsible person take it on (包案) with a plan; progress
//! is noted; some are extended once; most are resolved and closed in time,
//! some late, some stay open past the deadline; some are escalated from a
//! community to its township and a few on to the district; some visits are
//! handed down to a community (交办); the district supervises (督办) a few
//! overdue cases and the owner replies. A case that changes hands is acted on
//! only once its new node holds it (it travels there over the uplink or the
//! downlink), and a supervision is answered only once it has arrived.
//!
//! At the end, [`print_ledger`] reads the district node's figures over the
//! history and the days of reporting (`PeriodSummary`, `ListCases`) and
//! checks them against what the simulation did.

use std::collections::{BTreeMap, HashMap};
use std::ops::AddAssign;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use chrono::NaiveDate;
use fengqiao_core::actor::Actor;
use fengqiao_core::case::{DeadlinePolicy, RepeatLink, normalise_id_number};
use fengqiao_core::{ManualClock, Tier, TimePolicy, Unit, UnitTree};
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::{self, CaseChannel, DisputeCategory, Satisfaction, SupervisionKind};
use futures::StreamExt;
use indicatif::ProgressBar;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tonic::transport::Channel;

use crate::client::refused;
use crate::demo::{bar, local};

/// Days of case work simulated before the first day of reporting: the
/// acceptance and handling periods (15 + 60 days), so deadlines pass within
/// the history and cases left open are overdue by today.
pub const HISTORY_DAYS: u32 = 75;

/// How long an action waits for a case to reach the node that must act on
/// it (after an escalation, an assignment down or a supervision notice).
const CASE_WAIT: Duration = Duration::from_secs(20);

/// Cases worked on at once.
const PARALLEL: usize = 64;

/// What the case simulation needs of the demo network.
pub struct Network<'a> {
    pub tree: &'a UnitTree,
    pub policy: &'a TimePolicy,
    pub clock: &'a ManualClock,
    /// The node that holds a unit (it serves the unit and no child node
    /// below it does), as that node's leader. `None` for a unit outside the
    /// tree.
    pub holder: &'a (dyn Fn(&str) -> Option<Channel> + Sync),
    /// The district node, as the district's leader.
    pub district: Channel,
    /// The `fengqiao` flags that reach the district node as its leader
    /// (`--server URL` and, over mTLS, the certificate flags).
    pub district_cli: String,
    /// Over mTLS: every case event must name a certificate's person or a node.
    pub verified: bool,
}

impl Network<'_> {
    fn cases_at(&self, unit: &str) -> Result<CaseServiceClient<Channel>> {
        let channel = (self.holder)(unit).ok_or_else(|| anyhow!("no node holds unit {unit}"))?;
        Ok(CaseServiceClient::new(channel))
    }
}

/// What the case history did, to print and to check the district's
/// figures against.
#[derive(Debug)]
pub struct History {
    /// The first day of case work.
    from: NaiveDate,
    tally: Tally,
    /// Repeat petitions by the rule over the whole district (see
    /// [`district_repeats`]): what the district's figures must show once
    /// every ancestor's detection has reached the cases' holders.
    repeats: u64,
    elapsed: Duration,
}

/// Counts of what was done. Figures the district counts per distinct case
/// (accepted, closed, escalated, assigned down) are counted per case here.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    registered: u64,
    repeat: u64,
    visits: u64,
    one_visit: u64,
    with_leader_on_duty: u64,
    accepted: u64,
    accepted_on_time: u64,
    declined: u64,
    extended: u64,
    escalated: u64,
    assigned_down: u64,
    closed: u64,
    supervised: u64,
    replied: u64,
    /// Calls that changed a case (registrations and visits included).
    actions: u64,
}

impl AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.registered += o.registered;
        self.repeat += o.repeat;
        self.visits += o.visits;
        self.one_visit += o.one_visit;
        self.with_leader_on_duty += o.with_leader_on_duty;
        self.accepted += o.accepted;
        self.accepted_on_time += o.accepted_on_time;
        self.declined += o.declined;
        self.extended += o.extended;
        self.escalated += o.escalated;
        self.assigned_down += o.assigned_down;
        self.closed += o.closed;
        self.supervised += o.supervised;
        self.replied += o.replied;
        self.actions += o.actions;
    }
}

// ------------------------------------------------------------------ plan

/// A petitioner of the simulation (synthetic: see [`id_number`]).
#[derive(Debug, Clone)]
struct Person {
    petitioner: pb::Petitioner,
    /// Where they live: the community or group their cases are registered at.
    home: String,
    /// What they petition about.
    category: DisputeCategory,
}

/// A township of the tree, with the units cases are registered at.
struct Township {
    id: String,
    communities: Vec<String>,
    groups: Vec<String>,
    /// The petitioners who come back.
    pool: Vec<Person>,
}

/// How a case arrives.
enum Arrival {
    /// A letter, a phone call or an online petition, registered at a
    /// community or group.
    Register { unit: String, channel: CaseChannel },
    /// A visit to a township's duty reception; `answered` on the spot or not.
    Visit { unit: String, answered: Option<(String, Satisfaction)> },
}

/// One step of a case's path, on a planned day.
#[derive(Debug, Clone)]
enum Step {
    Accept,
    Decline(&'static str),
    /// 包案: the leader, the responsible person, the plan, and perhaps a
    /// deadline this many days ahead, shorter than the case's.
    Assign {
        leader: String,
        responsible: String,
        plan: &'static str,
        within: Option<u32>,
    },
    Progress(&'static str),
    Extend(u32),
    Escalate(&'static str),
    /// 交办 to this unit.
    AssignDown(String),
    Resolve {
        resolution: &'static str,
        recovered_cents: i64,
    },
    Close(Satisfaction),
    /// 督办 by the district, answered within a week.
    Supervise(SupervisionKind),
    /// The owner's reply to the last supervision notice.
    Reply,
}

impl Step {
    fn name(&self) -> &'static str {
        match self {
            Step::Accept => "accept",
            Step::Decline(_) => "decline",
            Step::Assign { .. } => "assign",
            Step::Progress(_) => "record progress",
            Step::Extend(_) => "extend",
            Step::Escalate(_) => "escalate",
            Step::AssignDown(_) => "assign down",
            Step::Resolve { .. } => "resolve",
            Step::Close(_) => "close",
            Step::Supervise(_) => "supervise",
            Step::Reply => "reply to the supervision",
        }
    }
}

/// A case as planned: when and how it arrives, who petitions, and its path.
struct Planned {
    on: NaiveDate,
    arrival: Arrival,
    category: DisputeCategory,
    summary: String,
    workers: u32,
    claimed_cents: i64,
    petitioner: pb::Petitioner,
    /// In date order; only the days of the history.
    steps: Vec<(NaiveDate, Step)>,
}

/// A path being written: each step on or after the one before.
struct Script {
    cursor: NaiveDate,
    steps: Vec<(NaiveDate, Step)>,
}

impl Script {
    fn after(&mut self, days: i64, step: Step) {
        self.cursor += chrono::Duration::days(days);
        self.steps.push((self.cursor, step));
    }

    fn on(&mut self, date: NaiveDate, step: Step) {
        self.cursor = self.cursor.max(date);
        self.steps.push((self.cursor, step));
    }
}

const PLANS: [&str; 6] = [
    "一案一策：三日内走访双方，摸清诉求，提出调解方案",
    "一案一策：联合司法所、派出所调解，明确责任与时限",
    "一案一策：召集双方及村（居）调委会面对面协商",
    "一案一策：约谈相关企业，督促限期履行",
    "一案一策：调阅档案，依政策答复，做好释法明理",
    "一案一策：协调相关部门现场办公，限期整改",
];
const PROGRESS: [&str; 5] = [
    "已走访申请人，核实基本情况",
    "已组织双方调解一次，分歧缩小",
    "已协调相关部门到场，形成初步处理意见",
    "已约谈被反映单位负责人，承诺限期处理",
    "已书面告知处理进度",
];
const RESOLUTIONS: [&str; 4] = [
    "经调解双方达成一致，签订调解协议",
    "依政策作出答复，申请人表示理解",
    "相关单位已整改到位，诉求已解决",
    "经协调已兑现，申请人签字确认",
];
const ANSWERS: [&str; 3] =
    ["值班领导当场答复，释明政策", "当场协调相关部门解决", "当场告知办理途径并协助办理"];
const DECLINE_REASONS: [&str; 2] =
    ["已进入诉讼程序，依法不予受理，告知通过司法途径解决", "不属于本级职责范围，已告知向有权机关提出"];
const ESCALATIONS: [&str; 3] = [
    "涉及多部门，本级难以协调，提请上级处理",
    "涉及金额较大，需上级统筹",
    "申请人对处理意见不满意，上报上级",
];

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

fn category(rng: &mut ChaCha8Rng) -> DisputeCategory {
    match rng.random_range(0..100) {
        0..20 => DisputeCategory::WageArrears,
        20..34 => DisputeCategory::Land,
        34..48 => DisputeCategory::HousingProperty,
        48..60 => DisputeCategory::Neighbour,
        60..70 => DisputeCategory::MarriageFamily,
        70..80 => DisputeCategory::Labour,
        80..88 => DisputeCategory::Environment,
        88..94 => DisputeCategory::PublicService,
        94..98 => DisputeCategory::LawRelated,
        _ => DisputeCategory::Other,
    }
}

/// A summary without personal data, and for wage arrears the workers and
/// the amount claimed.
fn summary(rng: &mut ChaCha8Rng, category: DisputeCategory) -> (String, u32, i64) {
    let text = match category {
        DisputeCategory::WageArrears => {
            let workers = rng.random_range(1..=30u32);
            let claimed = i64::from(workers) * rng.random_range(3_000..=15_000) * 100;
            let text = format!("反映某工地拖欠{workers}名农民工工资，共计{}元", claimed / 100);
            return (text, workers, claimed);
        }
        DisputeCategory::Land => "反映承包地边界及流转费用争议",
        DisputeCategory::HousingProperty => "反映小区物业服务及收费争议",
        DisputeCategory::Neighbour => "反映邻里通道、排水纠纷",
        DisputeCategory::MarriageFamily => "反映赡养老人纠纷",
        DisputeCategory::Labour => "反映解除劳动合同经济补偿争议",
        DisputeCategory::Environment => "反映周边商户噪音、油烟扰民",
        DisputeCategory::PublicService => "反映冬季供暖不达标",
        DisputeCategory::LawRelated => "反映涉法涉诉问题，要求复查",
        _ => "其他诉求",
    };
    (text.to_owned(), 0, 0)
}

/// A resident identity number with a valid check digit (GB 11643, ISO 7064
/// MOD 11-2). The address code 410499 is not assigned to any county, so no
/// real person carries these numbers; `n` below 20 000 gives distinct
/// numbers.
fn id_number(n: u32) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let born = NaiveDate::from_ymd_opt(1950, 1, 1).expect("valid date")
        + chrono::Duration::days(i64::from(n.wrapping_mul(7919) % 20_000));
    let body = format!("410499{}{:03}", born.format("%Y%m%d"), n % 1000);
    let sum: u32 = body.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{body}{}", char::from(CHECK[(sum % 11) as usize]))
}

fn person(n: u32, home: String, category: DisputeCategory) -> Person {
    Person {
        petitioner: pb::Petitioner {
            name: format!("演示申请人{n}"),
            // Local numbers never start with 0: not a real line.
            phone: format!("0375-0{n:06}"),
            id_number: id_number(n),
        },
        home,
        category,
    }
}

/// Is `unit` usable for the whole simulation (open on both days, never moved)?
fn steady(unit: &Unit, from: NaiveDate, to: NaiveDate) -> bool {
    unit.is_active_on(from) && unit.is_active_on(to) && unit.moves.is_empty()
}

struct Planner<'a> {
    rng: ChaCha8Rng,
    tree: &'a UnitTree,
    /// The last day of the history: later steps are not taken.
    end: NaiveDate,
    people: u32,
}

impl Planner<'_> {
    fn new_person(&mut self, home: String, category: DisputeCategory) -> Person {
        self.people += 1;
        person(self.people, home, category)
    }

    fn townships(&mut self, from: NaiveDate, to: NaiveDate) -> Vec<Township> {
        let root = self.tree.root_id().to_string();
        let mut townships = Vec::new();
        for township in self.tree.children(&root) {
            if township.tier != Tier::Township || !steady(township, from, to) {
                continue;
            }
            let mut communities = Vec::new();
            let mut groups = Vec::new();
            for community in self.tree.children(township.id.as_str()) {
                if community.tier != Tier::Community || !steady(community, from, to) {
                    continue;
                }
                communities.push(community.id.to_string());
                groups.extend(
                    self.tree
                        .children(community.id.as_str())
                        .into_iter()
                        .filter(|g| g.tier == Tier::Group && steady(g, from, to))
                        .map(|g| g.id.to_string()),
                );
            }
            if communities.is_empty() {
                continue;
            }
            townships.push(Township { id: township.id.to_string(), communities, groups, pool: Vec::new() });
        }
        for township in &mut townships {
            for _ in 0..8 {
                let home = self.home(township);
                let category = category(&mut self.rng);
                let person = self.new_person(home, category);
                township.pool.push(person);
            }
        }
        townships
    }

    /// A community (two in three) or one of the groups of the township.
    fn home(&mut self, township: &Township) -> String {
        if township.groups.is_empty() || self.rng.random_bool(0.67) {
            township.communities[self.rng.random_range(0..township.communities.len())].clone()
        } else {
            township.groups[self.rng.random_range(0..township.groups.len())].clone()
        }
    }

    fn leader(&mut self, tier: Tier) -> (String, String) {
        let rank = match tier {
            Tier::District => "区级",
            Tier::Township => "乡镇",
            _ => "村居",
        };
        (
            format!("演示{rank}包案领导{}", self.rng.random_range(1..=9)),
            format!("演示责任人{}", self.rng.random_range(1..=99)),
        )
    }

    /// 包案 `days` after the last step by a leader of `tier`; two in five
    /// set a deadline of their own, 20 to 40 days ahead (within `deadline`,
    /// the case's, which it then replaces).
    fn assign(&mut self, script: &mut Script, days: i64, tier: Tier, deadline: &mut NaiveDate) {
        let (leader, responsible) = self.leader(tier);
        let plan = pick(&mut self.rng, &PLANS);
        let on = script.cursor + chrono::Duration::days(days);
        let within = if self.rng.random_bool(0.4) {
            let ahead = self.rng.random_range(20..=40).min((*deadline - on).num_days());
            u32::try_from(ahead).ok().filter(|ahead| *ahead >= 10)
        } else {
            None
        };
        if let Some(ahead) = within {
            *deadline = on + chrono::Duration::days(i64::from(ahead));
        }
        script.after(days, Step::Assign { leader, responsible, plan, within });
    }

    /// One case arriving on `on` in `township`.
    fn case(&mut self, on: NaiveDate, township: &Township) -> Planned {
        let person = if self.rng.random_bool(0.4) {
            township.pool[self.rng.random_range(0..township.pool.len())].clone()
        } else {
            let home = self.home(township);
            let category = category(&mut self.rng);
            self.new_person(home, category)
        };
        let (summary, workers, claimed_cents) = summary(&mut self.rng, person.category);
        let mut script = Script { cursor: on, steps: Vec::new() };
        let roll = self.rng.random_range(0..100);
        let arrival = if roll < 25 {
            let answered = self.rng.random_bool(0.55).then(|| {
                let satisfaction = match self.rng.random_range(0..100) {
                    0..85 => Satisfaction::Satisfied,
                    85..95 => Satisfaction::Dissatisfied,
                    _ => Satisfaction::Unreachable,
                };
                (pick(&mut self.rng, &ANSWERS).to_owned(), satisfaction)
            });
            if answered.is_none() {
                // Accepted and taken on by the leader on duty at once.
                let mut tier = Tier::Township;
                let mut deadline = on + chrono::Duration::days(60);
                if self.rng.random_bool(0.5) {
                    let to =
                        township.communities[self.rng.random_range(0..township.communities.len())].clone();
                    script.after(self.rng.random_range(0..=2), Step::AssignDown(to));
                    let days = self.rng.random_range(0..=1);
                    self.assign(&mut script, days, Tier::Community, &mut deadline);
                    tier = Tier::Community;
                }
                self.handle(&mut script, deadline, tier, claimed_cents);
            }
            Arrival::Visit { unit: township.id.clone(), answered }
        } else {
            let channel = match roll {
                25..55 => CaseChannel::Letter,
                55..80 => CaseChannel::Phone,
                _ => CaseChannel::Online,
            };
            self.path(&mut script, &person.home, claimed_cents);
            Arrival::Register { unit: person.home.clone(), channel }
        };
        let end = self.end;
        script.steps.retain(|(date, _)| *date <= end);
        Planned {
            on,
            arrival,
            category: person.category,
            summary,
            workers,
            claimed_cents,
            petitioner: person.petitioner,
            steps: script.steps,
        }
    }

    /// The path of a case registered at a community or group.
    fn path(&mut self, script: &mut Script, origin: &str, claimed_cents: i64) {
        let on = script.cursor;
        let roll = self.rng.random_range(0..100);
        if roll < 4 {
            // Never accepted: overdue on acceptance after 15 days.
            if self.rng.random_bool(0.8) {
                script.on(
                    on + chrono::Duration::days(self.rng.random_range(17..=23)),
                    Step::Supervise(SupervisionKind::Document),
                );
                script.after(self.rng.random_range(1..=3), Step::Reply);
            }
            return;
        }
        if roll < 8 {
            script.after(self.rng.random_range(1..=10), Step::Decline(pick(&mut self.rng, &DECLINE_REASONS)));
            return;
        }
        let mut accept_in = match self.rng.random_range(0..100) {
            0..60 => self.rng.random_range(1..=7),
            60..85 => self.rng.random_range(8..=15),
            _ => self.rng.random_range(16..=25),
        };
        // No case work happens during the days of reporting: a case
        // registered near the end is decided before it, so only the cases
        // meant to stay unaccepted are overdue on acceptance.
        let left = (self.end - on).num_days();
        if accept_in > left {
            accept_in = self.rng.random_range(0..=left);
        }
        script.after(accept_in, Step::Accept);
        let mut deadline = script.cursor + chrono::Duration::days(60);
        let origin_tier = self.tree.get(origin).map_or(Tier::Community, |u| u.tier);
        let days = self.rng.random_range(0..=2);
        self.assign(script, days, origin_tier, &mut deadline);
        let mut tier = origin_tier;
        if origin_tier == Tier::Community && self.rng.random_bool(0.14) {
            script.after(self.rng.random_range(2..=10), Step::Escalate(pick(&mut self.rng, &ESCALATIONS)));
            let days = self.rng.random_range(1..=2);
            self.assign(script, days, Tier::Township, &mut deadline);
            tier = Tier::Township;
            if self.rng.random_bool(0.25) {
                script.after(self.rng.random_range(3..=8), Step::Escalate(pick(&mut self.rng, &ESCALATIONS)));
                let days = self.rng.random_range(1..=2);
                self.assign(script, days, Tier::District, &mut deadline);
                tier = Tier::District;
            }
        }
        self.handle(script, deadline, tier, claimed_cents);
    }

    /// Progress, perhaps an extension, and the outcome of a case being
    /// handled at a unit of `tier` with the handling deadline `deadline`.
    fn handle(&mut self, script: &mut Script, mut deadline: NaiveDate, tier: Tier, claimed_cents: i64) {
        for _ in 0..self.rng.random_range(1..=3) {
            script.after(self.rng.random_range(1..=5), Step::Progress(pick(&mut self.rng, &PROGRESS)));
        }
        if self.rng.random_bool(0.12) {
            let days = self.rng.random_range(15..=30);
            script.after(self.rng.random_range(1..=4), Step::Extend(days));
            deadline += chrono::Duration::days(i64::from(days));
        }
        let days = |rng: &mut ChaCha8Rng, range: std::ops::RangeInclusive<i64>| {
            chrono::Duration::days(rng.random_range(range))
        };
        let roll = self.rng.random_range(0..100);
        let resolved_on = if roll < 80 {
            Some((script.cursor + days(&mut self.rng, 1..=12)).min(deadline))
        } else if roll < 92 {
            Some(deadline + days(&mut self.rng, 1..=20))
        } else {
            None
        };
        match resolved_on {
            Some(date) => {
                let recovered_cents =
                    if claimed_cents > 0 && self.rng.random_bool(0.8) { claimed_cents } else { 0 };
                script.on(
                    date,
                    Step::Resolve { resolution: pick(&mut self.rng, &RESOLUTIONS), recovered_cents },
                );
                let satisfaction = match self.rng.random_range(0..100) {
                    0..75 => Satisfaction::Satisfied,
                    75..90 => Satisfaction::Dissatisfied,
                    _ => Satisfaction::Unreachable,
                };
                script.after(self.rng.random_range(0..=3), Step::Close(satisfaction));
            }
            // Left open past the deadline; the district supervises some
            // (not its own: supervision goes to cases owned below it).
            None if tier != Tier::District && self.rng.random_bool(0.8) => {
                let kind = if self.rng.random_bool(0.7) {
                    SupervisionKind::Document
                } else {
                    SupervisionKind::Interview
                };
                script.on(deadline + days(&mut self.rng, 2..=6), Step::Supervise(kind));
                script.after(self.rng.random_range(1..=3), Step::Reply);
            }
            None => {}
        }
    }
}

/// Decides, with the seed, every case of the history.
fn plan(tree: &UnitTree, from: NaiveDate, today: NaiveDate, seed: u64) -> (Vec<Township>, Vec<Planned>) {
    let end = from + chrono::Duration::days(i64::from(HISTORY_DAYS) - 1);
    let mut planner =
        Planner { rng: ChaCha8Rng::seed_from_u64(seed ^ 0xCA5E_1ED6_E500_0000), tree, end, people: 0 };
    let townships = planner.townships(from, today);
    let mut cases = Vec::new();
    if townships.is_empty() {
        return (townships, cases);
    }
    // About 0.4 cases a day per township: some 300 for the real district.
    let per_day = (townships.len() as f64 * 0.4).clamp(1.0, 12.0);
    let (low, high) = ((per_day * 0.5).round() as u32, (per_day * 1.5).round().max(1.0) as u32);
    for offset in 0..HISTORY_DAYS {
        let on = from + chrono::Duration::days(i64::from(offset));
        for _ in 0..planner.rng.random_range(low..=high) {
            let township = planner.rng.random_range(0..townships.len());
            cases.push(planner.case(on, &townships[township]));
        }
    }
    (townships, cases)
}

// ------------------------------------------------------------------ run

/// A case as the simulation follows it.
#[derive(Debug)]
struct Live {
    id: String,
    /// The owner unit as last seen.
    owner: String,
    /// The newest event's sequence as last seen.
    seq: u32,
    /// The case changed hands: wait until the new owner's node holds it.
    moved: bool,
    /// The last supervision notice issued on it.
    supervision: Option<String>,
    /// Whether it was escalated or assigned down already (the district
    /// counts cases, not moves).
    escalated: bool,
    assigned_down: bool,
}

impl Live {
    fn of(case: &pb::Case) -> Live {
        Live {
            id: case.case_id.clone(),
            owner: case.owner_unit_id.clone(),
            seq: case.sequence,
            moved: false,
            supervision: None,
            escalated: false,
            assigned_down: false,
        }
    }
}

/// Retries a call while the node is unavailable (a node busy starting or
/// its connection pool momentarily full).
async fn call<T, F, Fut>(mut f: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let mut attempt = 0;
    loop {
        match f().await {
            Err(status) if status.code() == tonic::Code::Unavailable && attempt < 20 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
            }
            other => return other.map(tonic::Response::into_inner),
        }
    }
}

/// Polls a node's `GetCase` until the case there satisfies `ready`.
async fn wait_for(
    client: &CaseServiceClient<Channel>,
    id: &str,
    what: &str,
    ready: impl Fn(&pb::Case) -> bool,
) -> Result<pb::Case> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        let request =
            pb::GetCaseRequest { case_id: id.to_owned(), with_petitioner: false, ..Default::default() };
        let mut client = client.clone();
        match client.get_case(request).await {
            Ok(answer) => {
                if let Some(case) = answer.into_inner().r#case
                    && ready(&case)
                {
                    return Ok(case);
                }
            }
            Err(status) if matches!(status.code(), tonic::Code::NotFound | tonic::Code::Unavailable) => {}
            Err(status) => return Err(refused(status)),
        }
        if started.elapsed() > CASE_WAIT {
            bail!("case {id} did not {what} within {} s", CASE_WAIT.as_secs());
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Registers a planned case (or records the visit) at the node holding
/// its unit.
async fn register(net: &Network<'_>, planned: &Planned, tally: &mut Tally) -> Result<Live> {
    tally.actions += 1;
    match &planned.arrival {
        Arrival::Register { unit, channel } => {
            let client = net.cases_at(unit)?;
            let request = pb::RegisterCaseRequest {
                case_id: String::new(),
                intake: Some(pb::CaseIntake {
                    origin_unit_id: unit.clone(),
                    category: planned.category.into(),
                    channel: (*channel).into(),
                    summary: planned.summary.clone(),
                    petitioner_ref: String::new(),
                    source: None,
                    workers: planned.workers,
                    amount_claimed_cents: planned.claimed_cents,
                }),
                petitioner: Some(planned.petitioner.clone()),
                // Nobody named: the node records the leader's certificate.
                actor: String::new(),
                note: "立案登记".into(),
                on_behalf_of: None,
            };
            let answer = call(|| {
                let (mut client, request) = (client.clone(), request.clone());
                async move { client.register_case(request).await }
            })
            .await
            .map_err(refused)
            .with_context(|| format!("registering a case at unit {unit}"))?;
            let case = answer.r#case.context("the node answered without the case")?;
            tally.registered += 1;
            tally.repeat += u64::from(case.repeat.is_some());
            Ok(Live::of(&case))
        }
        Arrival::Visit { unit, answered } => {
            let client = net.cases_at(unit)?;
            let (resolution, satisfaction) =
                answered.clone().unwrap_or((String::new(), Satisfaction::Unspecified));
            let request = pb::RecordVisitRequest {
                unit_id: unit.clone(),
                category: planned.category.into(),
                summary: planned.summary.clone(),
                petitioner: Some(planned.petitioner.clone()),
                actor: String::new(),
                answered: answered.is_some(),
                resolution,
                satisfaction: satisfaction.into(),
                case_id: String::new(),
                on_behalf_of: None,
            };
            let answer = call(|| {
                let (mut client, request) = (client.clone(), request.clone());
                async move { client.record_visit(request).await }
            })
            .await
            .map_err(refused)
            .with_context(|| format!("recording a visit at unit {unit}"))?;
            let case = answer.r#case.context("the node answered without the case")?;
            tally.registered += 1;
            tally.repeat += u64::from(case.repeat.is_some());
            tally.visits += 1;
            tally.accepted += 1;
            tally.accepted_on_time += 1;
            tally.with_leader_on_duty += u64::from(!answer.leader_on_duty.is_empty());
            if answered.is_some() {
                tally.closed += 1;
                tally.one_visit += u64::from(case.closed_on == case.registered_on);
            }
            Ok(Live::of(&case))
        }
    }
}

/// Takes one step of a case on `day`.
async fn take(
    net: &Network<'_>,
    planned: &Planned,
    live: &mut Live,
    step: &Step,
    day: NaiveDate,
    tally: &mut Tally,
) -> Result<()> {
    tally.actions += 1;
    let holder = net.cases_at(&live.owner)?;
    let note = |text: &str| text.to_owned();
    let (action, note) = match step {
        Step::Supervise(kind) => {
            // The district acts on the case as it stands: wait until every
            // event so far has reached it.
            let district = CaseServiceClient::new(net.district.clone());
            let seq = live.seq;
            wait_for(&district, &live.id, "reach the district", |c| c.sequence >= seq).await?;
            let request = pb::SuperviseRequest {
                case_id: live.id.clone(),
                kind: (*kind).into(),
                reply_by: (day + chrono::Duration::days(7)).to_string(),
                text: "该件已超期，请于七日内书面报告办理情况及下一步措施".into(),
                actor: String::new(),
                on_behalf_of: None,
            };
            let answer = call(|| {
                let (mut client, request) = (district.clone(), request.clone());
                async move { client.supervise(request).await }
            })
            .await
            .map_err(refused)?;
            if answer.owner_unit_id != live.owner {
                bail!(
                    "the district sent the notice to unit {}, not to the owner {}",
                    answer.owner_unit_id,
                    live.owner
                );
            }
            live.supervision = Some(answer.supervision_id);
            tally.supervised += 1;
            return Ok(());
        }
        Step::Reply => {
            let id = live.supervision.clone().context("no supervision notice to reply to")?;
            let case = wait_for(&holder, &live.id, "receive the supervision notice", |c| {
                c.held_here && c.supervisions.iter().any(|s| s.supervision_id == id)
            })
            .await?;
            live.seq = case.sequence;
            tally.replied += 1;
            let reply = act::ReplySupervision { supervision_id: id };
            (Action::ReplySupervision(reply), note("已按督办要求约谈申请人，明确责任人，限期办结"))
        }
        Step::Accept => {
            tally.accepted += 1;
            tally.accepted_on_time += u64::from(day <= planned.on + chrono::Duration::days(15));
            (Action::Accept(act::Accept {}), note("符合受理条件，予以受理"))
        }
        Step::Decline(reason) => {
            tally.declined += 1;
            (Action::Decline(act::Decline { reason: (*reason).to_owned() }), String::new())
        }
        Step::Assign { leader, responsible, plan, within } => {
            let assign = act::Assign {
                leader: leader.clone(),
                responsible: responsible.clone(),
                plan: (*plan).to_owned(),
                deadline: within
                    .map(|days| (day + chrono::Duration::days(i64::from(days))).to_string())
                    .unwrap_or_default(),
            };
            (Action::Assign(assign), note("包案到人"))
        }
        Step::Progress(text) => (Action::Progress(act::Progress {}), note(text)),
        Step::Extend(days) => {
            tally.extended += 1;
            let extend = act::Extend {
                days: *days, reason: "情况复杂，需协调多个部门，申请延期".into()
            };
            (Action::Extend(extend), String::new())
        }
        Step::Escalate(reason) => {
            tally.escalated += u64::from(!live.escalated);
            live.escalated = true;
            (Action::Escalate(act::Escalate { reason: (*reason).to_owned() }), String::new())
        }
        Step::AssignDown(to) => {
            tally.assigned_down += u64::from(!live.assigned_down);
            live.assigned_down = true;
            let down = act::AssignDown { to_unit_id: to.clone(), deadline: String::new() };
            (Action::AssignDown(down), note("交办属地办理"))
        }
        Step::Resolve { resolution, recovered_cents } => {
            let resolve = act::Resolve {
                resolution: (*resolution).to_owned(),
                amount_recovered_cents: *recovered_cents,
            };
            (Action::Resolve(resolve), String::new())
        }
        Step::Close(satisfaction) => {
            tally.closed += 1;
            tally.one_visit +=
                u64::from(matches!(planned.arrival, Arrival::Visit { .. }) && day == planned.on);
            (Action::Close(act::Close { satisfaction: (*satisfaction).into() }), note("回访后销号"))
        }
    };
    if live.moved {
        let seq = live.seq;
        wait_for(&holder, &live.id, &format!("reach the node of unit {}", live.owner), |c| {
            c.held_here && c.sequence >= seq
        })
        .await?;
        live.moved = false;
    }
    let request = pb::ActOnCaseRequest {
        case_id: live.id.clone(),
        expected_sequence: 0,
        actor: String::new(),
        note,
        action: Some(action),
        on_behalf_of: None,
    };
    let answer = call(|| {
        let (mut client, request) = (holder.clone(), request.clone());
        async move { client.act_on_case(request).await }
    })
    .await
    .map_err(refused)?;
    let case = answer.r#case.context("the node answered without the case")?;
    live.seq = case.sequence;
    if case.owner_unit_id != live.owner {
        live.owner = case.owner_unit_id;
        live.moved = true;
    }
    Ok(())
}

/// Registers a case (on its first day) and takes its steps of the day.
async fn work(
    net: &Network<'_>,
    planned: &Planned,
    live: Option<Live>,
    day: NaiveDate,
    progress: &ProgressBar,
) -> Result<(Live, Tally)> {
    let mut tally = Tally::default();
    let mut live = match live {
        Some(live) => live,
        None => {
            let live = register(net, planned, &mut tally).await?;
            progress.inc(1);
            live
        }
    };
    for step in planned.steps.iter().filter(|(on, _)| *on == day).map(|(_, step)| step) {
        take(net, planned, &mut live, step, day, &mut tally)
            .await
            .with_context(|| format!("{} case {} on {day}", step.name(), live.id))?;
        progress.inc(1);
    }
    Ok((live, tally))
}

/// The leader on duty at each township for every day of the history,
/// issued at the district (it travels down to the township nodes), and
/// waited for at each township's node.
async fn set_rosters(
    net: &Network<'_>,
    townships: &[Township],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<()> {
    const LEADERS: [&str; 5] =
        ["演示值班领导甲", "演示值班领导乙", "演示值班领导丙", "演示值班领导丁", "演示值班领导戊"];
    let days = (to - from).num_days() + 1;
    let mut entries = Vec::new();
    for (t, township) in townships.iter().enumerate() {
        for offset in 0..days {
            entries.push(pb::RosterEntry {
                unit_id: township.id.clone(),
                date: (from + chrono::Duration::days(offset)).to_string(),
                leader: LEADERS[(t + offset as usize) % LEADERS.len()].to_owned(),
            });
        }
    }
    let district = CaseServiceClient::new(net.district.clone());
    for chunk in entries.chunks(1000) {
        let request = pb::SetRosterRequest { entries: chunk.to_vec() };
        call(|| {
            let (mut client, request) = (district.clone(), request.clone());
            async move { client.set_roster(request).await }
        })
        .await
        .map_err(refused)
        .context("setting the duty roster at the district")?;
    }
    for township in townships {
        let client = net.cases_at(&township.id)?;
        let started = Instant::now();
        loop {
            let request = pb::GetRosterRequest {
                unit_id: township.id.clone(),
                from_date: from.to_string(),
                to_date: to.to_string(),
            };
            let answer = call(|| {
                let (mut client, request) = (client.clone(), request.clone());
                async move { client.get_roster(request).await }
            })
            .await
            .map_err(refused)?;
            if answer.entries.len() as i64 >= days {
                break;
            }
            if started.elapsed() > CASE_WAIT {
                bail!(
                    "the duty roster did not reach the node of township {} within {} s",
                    township.id,
                    CASE_WAIT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    Ok(())
}

/// Runs the case history: [`HISTORY_DAYS`] days from `from`, on the shared
/// clock, each day at 09:00. `today` is the demo's today (units must be
/// open from `from` to it).
pub async fn simulate_history(
    net: &Network<'_>,
    from: NaiveDate,
    today: NaiveDate,
    seed: u64,
) -> Result<History> {
    let started = Instant::now();
    let to = from + chrono::Duration::days(i64::from(HISTORY_DAYS) - 1);
    let (townships, plans) = plan(net.tree, from, today, seed);
    net.clock.set(local(net.policy, from, 8, 0));
    set_rosters(net, &townships, from, to).await?;

    let total = plans.iter().map(|p| 1 + p.steps.len() as u64).sum();
    let progress = bar(total, "case history");
    let mut lives: Vec<Option<Live>> = plans.iter().map(|_| None).collect();
    let mut tally = Tally::default();
    for offset in 0..HISTORY_DAYS {
        let day = from + chrono::Duration::days(i64::from(offset));
        net.clock.set(local(net.policy, day, 9, 0));
        let jobs: Vec<(usize, Option<Live>)> = plans
            .iter()
            .enumerate()
            .filter(|(_, p)| p.on == day || p.steps.iter().any(|(on, _)| *on == day))
            .map(|(i, _)| (i, lives[i].take()))
            .collect();
        let progress = &progress;
        let plans = &plans;
        let done: Vec<(usize, Result<(Live, Tally)>)> = futures::stream::iter(jobs)
            .map(|(i, live)| async move { (i, work(net, &plans[i], live, day, progress).await) })
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        for (i, result) in done {
            let (live, done) = result.context("case history")?;
            lives[i] = Some(live);
            tally += done;
        }
    }
    progress.finish_and_clear();
    let repeats = district_repeats(&plans, DeadlinePolicy::default().repeat_window_days);
    let history = History { from, tally, repeats, elapsed: started.elapsed() };
    let t = &history.tally;
    println!(
        "case history {from} to {to}: {} cases ({} visits to duty reception, {} received by the leader on duty \
         from the roster, {} answered on the spot; {} repeat petitions, {} of them found by the registering node), \
         {} actions: {} declined, {} extended, {} escalated, {} assigned down, {} supervision notices \
         ({} answered) in {:.1} s",
        t.registered,
        t.visits,
        t.with_leader_on_duty,
        t.one_visit,
        history.repeats,
        t.repeat,
        t.actions,
        t.declined,
        t.extended,
        t.escalated,
        t.assigned_down,
        t.supervised,
        t.replied,
        history.elapsed.as_secs_f64()
    );
    Ok(history)
}

/// Repeat petitions by the rule over the whole district: a case repeats
/// when an earlier case of the same petitioner and category was registered
/// within `window_days` before it — wherever it was registered, since every
/// ancestor's node looks over its subtree. (Cases of one day are registered
/// in parallel, so which of them is first is not known; how many repeat is.)
fn district_repeats(plans: &[Planned], window_days: u32) -> u64 {
    let mut order: Vec<&Planned> = plans.iter().collect();
    order.sort_by_key(|planned| planned.on);
    let mut last: HashMap<(String, DisputeCategory), NaiveDate> = HashMap::new();
    let mut repeats = 0;
    for planned in order {
        let person = normalise_id_number(&planned.petitioner.id_number)
            .unwrap_or_else(|_| planned.petitioner.id_number.clone());
        let key = (person, planned.category);
        if last.get(&key).is_some_and(|earlier| *earlier >= RepeatLink::window_start(planned.on, window_days))
        {
            repeats += 1;
        }
        last.insert(key, planned.on);
    }
    repeats
}

/// Reads every event of the district's ledger and counts who acted: over
/// mTLS each must be a certificate's person or a node, never unverified
/// text. Returns (persons, nodes, unverified).
async fn check_actors(net: &Network<'_>, root: &str) -> Result<(u64, u64, u64)> {
    let client = CaseServiceClient::new(net.district.clone());
    let (mut persons, mut nodes, mut unverified) = (0, 0, 0);
    let mut page_token = String::new();
    loop {
        let request = pb::ListCasesRequest {
            unit_id: root.to_owned(),
            page_size: 1000,
            page_token,
            ..Default::default()
        };
        let page = call(|| {
            let (mut client, request) = (client.clone(), request.clone());
            async move { client.list_cases(request).await }
        })
        .await
        .map_err(refused)
        .context("listing the district's cases")?;
        // The cases of a page are read at once, PARALLEL at a time.
        let answers: Vec<pb::GetCaseResponse> = futures::stream::iter(&page.cases)
            .map(|case| {
                let request = pb::GetCaseRequest {
                    case_id: case.case_id.clone(),
                    with_petitioner: false,
                    ..Default::default()
                };
                let client = &client;
                async move {
                    call(|| {
                        let (mut client, request) = (client.clone(), request.clone());
                        async move { client.get_case(request).await }
                    })
                    .await
                    .map_err(refused)
                }
            })
            .buffer_unordered(PARALLEL)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_>>()?;
        for answer in &answers {
            for event in &answer.events {
                match fengqiao_proto::actor_from_pb(event.acted_by.clone(), &event.actor, "acted_by") {
                    Ok(Actor::Person { .. }) => persons += 1,
                    Ok(Actor::Node { .. }) => nodes += 1,
                    Ok(Actor::Unverified { .. }) | Err(_) => unverified += 1,
                }
            }
        }
        if page.next_page_token.is_empty() {
            return Ok((persons, nodes, unverified));
        }
        page_token = page.next_page_token;
    }
}

// ------------------------------------------------------------------ print

/// The overdue cases of the district's ledger at the end of `as_of`.
async fn overdue_cases(net: &Network<'_>, root: &str, as_of: NaiveDate) -> Result<Vec<pb::Case>> {
    let client = CaseServiceClient::new(net.district.clone());
    let mut cases = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = pb::ListCasesRequest {
            unit_id: root.to_owned(),
            overdue: true,
            as_of: as_of.to_string(),
            page_size: 1000,
            page_token: page_token.clone(),
            ..Default::default()
        };
        let page = call(|| {
            let (mut client, request) = (client.clone(), request.clone());
            async move { client.list_cases(request).await }
        })
        .await
        .map_err(refused)
        .context("listing the district's overdue cases")?;
        cases.extend(page.cases);
        if page.next_page_token.is_empty() {
            return Ok(cases);
        }
        page_token = page.next_page_token;
    }
}

/// The case figures that must equal what the simulation did.
fn mismatches(figures: &pb::CaseFigures, t: &Tally, repeats: u64) -> Vec<String> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    [
        ("registered", figures.registered, n(t.registered)),
        ("accepted", figures.accepted, n(t.accepted)),
        ("accepted on time", figures.accepted_on_time, n(t.accepted_on_time)),
        ("closed", figures.closed, n(t.closed)),
        ("escalated", figures.escalated, n(t.escalated)),
        ("assigned down", figures.assigned_down, n(t.assigned_down)),
        ("repeat petitions", figures.repeat_petitions, n(repeats)),
        ("visits", figures.visits, n(t.visits)),
        ("one visit", figures.one_visit, n(t.one_visit)),
    ]
    .into_iter()
    .filter(|(_, figure, done)| figure != done)
    .map(|(name, figure, done)| format!("{name} {figure} (the simulation: {done})"))
    .collect()
}

/// The district's case figures over the history and the days of reporting
/// (to `last_day`), with a line per township, read over gRPC; checked
/// against what the simulation did.
pub async fn print_ledger(net: &Network<'_>, history: &History, last_day: NaiveDate) -> Result<()> {
    let root = net.tree.root_id().to_string();
    let mut summaries = SummaryServiceClient::new(net.district.clone());
    let request = pb::PeriodSummaryRequest {
        unit_id: root.clone(),
        from_date: history.from.to_string(),
        to_date: last_day.to_string(),
    };
    // Every case event has long reached the district; wait briefly anyway.
    let waiting = Instant::now();
    let (summary, figures, differences) = loop {
        let summary = summaries
            .period_summary(request.clone())
            .await
            .map_err(refused)
            .context("the district's period summary")?
            .into_inner()
            .summary
            .context("the district answered without a summary")?;
        let figures = summary.cases.unwrap_or_default();
        let differences = mismatches(&figures, &history.tally, history.repeats);
        if differences.is_empty() || waiting.elapsed() > CASE_WAIT {
            break (summary, figures, differences);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let overdue = overdue_cases(net, &root, last_day).await?;
    let longest = overdue.iter().map(|c| c.days_overdue).max().unwrap_or(0);
    let f = &figures;

    println!(
        "\ncase ledger of the district node, {} to {last_day} (fengqiao.v1.SummaryService/PeriodSummary):",
        history.from
    );
    println!(
        "  registered {:>5}   {} visits to duty reception, {} repeat petitions ({:.1}%)",
        f.registered, f.visits, f.repeat_petitions, f.repeat_rate
    );
    println!(
        "  accepted   {:>5}   on time {} ({})",
        f.accepted,
        f.accepted_on_time,
        crate::render::share(f.accepted_on_time.unsigned_abs(), f.accepted.unsigned_abs())
    );
    println!("  closed     {:>5}   on time {} ({:.1}%)", f.closed, f.closed_on_time, f.on_time_closure_rate);
    println!(
        "  overdue    {:>5}   on {last_day}; ListCases --overdue at the district: {} cases, the longest {longest} days",
        f.overdue,
        overdue.len()
    );
    println!("  escalated  {:>5}   assigned down {}", f.escalated, f.assigned_down);
    println!(
        "  satisfaction {:.1}% (satisfied {}, dissatisfied {}, unreachable {}); one-visit rate {:.1}% ({} of {} visits)",
        f.satisfaction_rate,
        f.satisfied,
        f.dissatisfied,
        f.unreachable,
        f.one_visit_rate,
        f.one_visit,
        f.visits
    );
    let mut table = crate::table::new(crate::i18n::headings([
        "township",
        "cases-registered",
        "overdue",
        "cases-closed",
        "on-time-closure",
        "repeat-rate",
        "rank",
    ]));
    let rows: BTreeMap<&str, &pb::ScorecardRow> =
        summary.children.iter().map(|r| (r.unit_id.as_str(), r)).collect();
    for row in rows.values() {
        let cases = row.cases.unwrap_or_default();
        table.add_row(vec![
            format!("{} {}", row.unit_id, row.name),
            cases.registered.to_string(),
            cases.overdue.to_string(),
            cases.closed.to_string(),
            if cases.closed == 0 { "-".into() } else { format!("{:.1}%", cases.on_time_closure_rate) },
            if cases.registered == 0 { "-".into() } else { format!("{:.1}%", cases.repeat_rate) },
            row.rank.to_string(),
        ]);
    }
    println!("{}", crate::tr!("demo-cases-by-township"));
    println!("{table}");
    println!("  e.g. fengqiao case list {} --unit {root} --overdue", net.district_cli);
    println!(
        "       fengqiao drill {} --unit {root} --from {} --to {last_day} --figure cases.overdue",
        net.district_cli, history.from
    );
    if !differences.is_empty() {
        bail!("the district's case figures differ from the simulation: {}", differences.join(", "));
    }
    if overdue.len() as i64 != f.overdue {
        bail!(
            "the district lists {} overdue cases on {last_day} but its summary counts {}",
            overdue.len(),
            f.overdue
        );
    }
    println!(
        "case figures verified: {} registered, {} accepted, {} closed, {} escalated, {} assigned down, {} repeat \
         petitions as simulated; overdue {} as listed",
        f.registered, f.accepted, f.closed, f.escalated, f.assigned_down, f.repeat_petitions, f.overdue
    );
    let (persons, nodes, unverified) = check_actors(net, &root).await?;
    if net.verified && unverified > 0 {
        bail!("{unverified} case events at the district name no certificate");
    }
    println!(
        "who acted, every event at the district: {persons} by a person's certificate (id, unit, role, display \
         name), {nodes} by a node (automatic escalation, repeat detection, supervision), {unverified} unverified"
    );
    Ok(())
}
