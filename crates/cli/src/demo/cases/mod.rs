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

mod ledger;
mod plan;
pub(super) use self::plan::id_number as synthetic_id_number;

use std::ops::AddAssign;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use chrono::NaiveDate;
use fengqiao_core::case::DeadlinePolicy;
use fengqiao_core::{ManualClock, TimePolicy, UnitTree};
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::{self, Satisfaction};
use futures::StreamExt;
use indicatif::ProgressBar;
use tonic::transport::Channel;

use self::ledger::district_repeats;
pub use self::ledger::print_ledger;
use self::plan::{Arrival, Planned, Step, Township, plan};
use crate::connection::refused;
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
                    project_id: String::new(),
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
