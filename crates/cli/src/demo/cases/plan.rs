//! The plan of the case history: petitioners per township, what arrives
//! each day and where, and the path each case then takes (its [`Step`]s),
//! seeded so the same seed always gives the same history.

use chrono::NaiveDate;
use fengqiao_core::{Tier, Unit, UnitTree};
use fengqiao_proto::pb::{self, CaseChannel, DisputeCategory, Satisfaction, SupervisionKind};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::HISTORY_DAYS;

/// A petitioner of the simulation (synthetic: see [`id_number`]).
#[derive(Debug, Clone)]
pub(super) struct Person {
    pub(super) petitioner: pb::Petitioner,
    /// Where they live: the community or group their cases are registered at.
    pub(super) home: String,
    /// What they petition about.
    pub(super) category: DisputeCategory,
}

/// A township of the tree, with the units cases are registered at.
pub(super) struct Township {
    pub(super) id: String,
    pub(super) communities: Vec<String>,
    pub(super) groups: Vec<String>,
    /// The petitioners who come back.
    pub(super) pool: Vec<Person>,
}

/// How a case arrives.
pub(super) enum Arrival {
    /// A letter, a phone call or an online petition, registered at a
    /// community or group.
    Register { unit: String, channel: CaseChannel },
    /// A visit to a township's duty reception; `answered` on the spot or not.
    Visit { unit: String, answered: Option<(String, Satisfaction)> },
}

/// One step of a case's path, on a planned day.
#[derive(Debug, Clone)]
pub(super) enum Step {
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
    pub(super) fn name(&self) -> &'static str {
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
pub(super) struct Planned {
    pub(super) on: NaiveDate,
    pub(super) arrival: Arrival,
    pub(super) category: DisputeCategory,
    pub(super) summary: String,
    pub(super) workers: u32,
    pub(super) claimed_cents: i64,
    pub(super) petitioner: pb::Petitioner,
    /// In date order; only the days of the history.
    pub(super) steps: Vec<(NaiveDate, Step)>,
}

/// A path being written: each step on or after the one before.
pub(super) struct Script {
    pub(super) cursor: NaiveDate,
    pub(super) steps: Vec<(NaiveDate, Step)>,
}

impl Script {
    pub(super) fn after(&mut self, days: i64, step: Step) {
        self.cursor += chrono::Duration::days(days);
        self.steps.push((self.cursor, step));
    }

    pub(super) fn on(&mut self, date: NaiveDate, step: Step) {
        self.cursor = self.cursor.max(date);
        self.steps.push((self.cursor, step));
    }
}

pub(super) const PLANS: [&str; 6] = [
    "一案一策：三日内走访双方，摸清诉求，提出调解方案",
    "一案一策：联合司法所、派出所调解，明确责任与时限",
    "一案一策：召集双方及村（居）调委会面对面协商",
    "一案一策：约谈相关企业，督促限期履行",
    "一案一策：调阅档案，依政策答复，做好释法明理",
    "一案一策：协调相关部门现场办公，限期整改",
];
pub(super) const PROGRESS: [&str; 5] = [
    "已走访申请人，核实基本情况",
    "已组织双方调解一次，分歧缩小",
    "已协调相关部门到场，形成初步处理意见",
    "已约谈被反映单位负责人，承诺限期处理",
    "已书面告知处理进度",
];
pub(super) const RESOLUTIONS: [&str; 4] = [
    "经调解双方达成一致，签订调解协议",
    "依政策作出答复，申请人表示理解",
    "相关单位已整改到位，诉求已解决",
    "经协调已兑现，申请人签字确认",
];
pub(super) const ANSWERS: [&str; 3] =
    ["值班领导当场答复，释明政策", "当场协调相关部门解决", "当场告知办理途径并协助办理"];
pub(super) const DECLINE_REASONS: [&str; 2] =
    ["已进入诉讼程序，依法不予受理，告知通过司法途径解决", "不属于本级职责范围，已告知向有权机关提出"];
pub(super) const ESCALATIONS: [&str; 3] = [
    "涉及多部门，本级难以协调，提请上级处理",
    "涉及金额较大，需上级统筹",
    "申请人对处理意见不满意，上报上级",
];

pub(super) fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

pub(super) fn category(rng: &mut ChaCha8Rng) -> DisputeCategory {
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
pub(super) fn summary(rng: &mut ChaCha8Rng, category: DisputeCategory) -> (String, u32, i64) {
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
pub(in crate::demo) fn id_number(n: u32) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let born = NaiveDate::from_ymd_opt(1950, 1, 1).expect("valid date")
        + chrono::Duration::days(i64::from(n.wrapping_mul(7919) % 20_000));
    let body = format!("410499{}{:03}", born.format("%Y%m%d"), n % 1000);
    let sum: u32 = body.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{body}{}", char::from(CHECK[(sum % 11) as usize]))
}

pub(super) fn person(n: u32, home: String, category: DisputeCategory) -> Person {
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
pub(super) fn steady(unit: &Unit, from: NaiveDate, to: NaiveDate) -> bool {
    unit.is_active_on(from) && unit.is_active_on(to) && unit.moves.is_empty()
}

pub(super) struct Planner<'a> {
    pub(super) rng: ChaCha8Rng,
    pub(super) tree: &'a UnitTree,
    /// The last day of the history: later steps are not taken.
    pub(super) end: NaiveDate,
    pub(super) people: u32,
}

impl Planner<'_> {
    pub(super) fn new_person(&mut self, home: String, category: DisputeCategory) -> Person {
        self.people += 1;
        person(self.people, home, category)
    }

    pub(super) fn townships(&mut self, from: NaiveDate, to: NaiveDate) -> Vec<Township> {
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
    pub(super) fn home(&mut self, township: &Township) -> String {
        if township.groups.is_empty() || self.rng.random_bool(0.67) {
            township.communities[self.rng.random_range(0..township.communities.len())].clone()
        } else {
            township.groups[self.rng.random_range(0..township.groups.len())].clone()
        }
    }

    pub(super) fn leader(&mut self, tier: Tier) -> (String, String) {
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
    pub(super) fn assign(&mut self, script: &mut Script, days: i64, tier: Tier, deadline: &mut NaiveDate) {
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
    pub(super) fn case(&mut self, on: NaiveDate, township: &Township) -> Planned {
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
    pub(super) fn path(&mut self, script: &mut Script, origin: &str, claimed_cents: i64) {
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
    pub(super) fn handle(
        &mut self,
        script: &mut Script,
        mut deadline: NaiveDate,
        tier: Tier,
        claimed_cents: i64,
    ) {
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
pub(super) fn plan(
    tree: &UnitTree,
    from: NaiveDate,
    today: NaiveDate,
    seed: u64,
) -> (Vec<Township>, Vec<Planned>) {
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
