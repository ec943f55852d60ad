// Long (~1,100 lines, ~30 of them tests) on purpose for now: both sides of one
// protocol — the exchange a child drives and the parent's `ReconcileService` —
// read together; a split into child and parent files is possible but not done.
//! Reconciliation between tiers (anti-entropy): `fengqiao.v1.ReconcileService`
//! (the parent's side) and the exchange a child node drives.
//!
//! A node with a parent runs [`run`] beside its forwarder. An exchange
//! compares the digests of the node's subtree (its home unit's) with the
//! parent's digests of it — all time, then the ISO weeks that differ, then
//! their days that differ — and lists the items of a differing day only
//! (the parent's first: whatever the parent holds came from here, so it is
//! here by the time this node lists its own). What the parent lacks or holds
//! at a lower revision goes back into the outbox and travels up through the
//! ordinary uplink, so the parent's revision rules, rollups and outbox apply
//! unchanged. What the parent holds that this node does not (or at a higher
//! revision, or with other content) is a conflict: logged, counted, and
//! reported to the parent, never applied here.
//!
//! An exchange runs when the node starts (at its first push: a restored
//! database is a start), when the parent's instance id changes (it
//! restarted, perhaps restored), every `interval`, and when an operator asks
//! (`ReconcileService.Reconcile`, `fengqiao reconcile`): for a child node,
//! the parent puts the run id into the answer to that child's next push —
//! the one channel that reaches a child behind NAT even when the parent's
//! own downlink log was restored — and the child reports the exchange back
//! with `ReportExchange`.

use fengqiao_core::why;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use fengqiao_core::authz::{Rpc, Target};
use fengqiao_core::case::CaseId;
use fengqiao_core::reconcile::{
    DayComparison, Digests, ExchangeReport, HeldCaseEvent, HeldReport, Trigger, compare_day,
    differing_periods,
};
use fengqiao_core::{DomainError, UnitId};
use fengqiao_proto::pb::reconcile_service_client::ReconcileServiceClient;
use fengqiao_proto::pb::reconcile_service_server::ReconcileService;
use fengqiao_proto::pb::{
    DigestLevel as PbLevel, GetDigestsRequest, GetDigestsResponse, ListHeldItemsRequest,
    ListHeldItemsResponse, ReconcilePhase, ReconcileRequest, ReconcileResponse, ReportExchangeRequest,
    ReportExchangeResponse,
};
use fengqiao_proto::{convert_at, parse_date, pb, period_digests_to_pb, required_at};
use fengqiao_store::DigestLevel;
use futures::Stream;
use prost::Message;
use tokio::sync::{Notify, broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};
use tracing::{info, warn};

use crate::forwarder::Backoff;
use crate::{Node, NodeError};

/// How a node reconciles with its parent.
#[derive(Debug, Clone, Copy)]
pub struct ReconcileConfig {
    /// Between periodic exchanges; zero turns them off (exchanges still run
    /// at start, when the parent restarts and on request).
    pub interval: Duration,
    /// Most days whose items one exchange lists; an exchange that finds
    /// more stops there and the next one follows at once.
    pub max_days: u32,
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        ReconcileConfig { interval: Duration::from_secs(600), max_days: 366 }
    }
}

/// Periods per `GetDigests` answer, items per `ListHeldItems` page.
pub const PAGE: u32 = 1000;
/// The longest an operator's `Reconcile` waits by default, and at most.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
const MAX_TIMEOUT_SECONDS: u32 = 3600;
/// Before an exchange, how long to let a long outbox drain (its items would
/// only show up as missing at the parent).
const DRAIN_WAIT: Duration = Duration::from_secs(60);
/// The `node_meta` key of this node's last exchange, and the prefix of the
/// last one each child node reported.
pub const LAST_KEY: &str = "reconcile_last";
const CHILD_KEY_PREFIX: &str = "reconcile_child:";

/// The phase of an exchange, as an operator follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Running,
    Done,
    Failed,
}

/// A step of an exchange: of a child node (seen from its calls here) or of
/// this node with its parent.
#[derive(Debug, Clone)]
pub struct Progress {
    /// The child node's unit, or this node's own.
    pub unit: String,
    pub run_id: String,
    pub phase: Phase,
    pub digests_compared: u64,
    pub days_listed: u64,
    pub report: Option<ExchangeReport>,
}

/// What is waiting to run at this node (as a child).
#[derive(Debug, Default)]
struct Pending {
    trigger: Option<Trigger>,
    /// Operators' runs this exchange answers.
    runs: Vec<String>,
}

/// The reconciliation state a node shares between its services, its
/// forwarder and its exchange task.
#[derive(Debug)]
pub struct Reconciler {
    /// Drawn at start; sent with every push answer.
    instance_id: String,
    pending: Mutex<Pending>,
    wake: Notify,
    /// The parent's instance id at the last push (none before the first).
    parent_instance: Mutex<Option<String>>,
    /// Run ids already taken on (the parent repeats a request until the
    /// exchange starts).
    seen_runs: Mutex<VecDeque<String>>,
    /// As a parent: the run asked of each child node, until it starts.
    requested: Mutex<HashMap<String, String>>,
    /// As a parent: digests and days served per (child, run).
    served: Mutex<HashMap<(String, String), (u64, u64)>>,
    progress: broadcast::Sender<Progress>,
}

impl Default for Reconciler {
    fn default() -> Self {
        Reconciler {
            instance_id: format!("{:016x}", rand::random::<u64>()),
            pending: Mutex::default(),
            wake: Notify::new(),
            parent_instance: Mutex::default(),
            seen_runs: Mutex::default(),
            requested: Mutex::default(),
            served: Mutex::default(),
            progress: broadcast::channel(1024).0,
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn new_run_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

impl Reconciler {
    /// This node's instance id (new at every start).
    pub fn instance_id(&self) -> &str {
        &self.instance_id
    }

    /// Asks for an exchange with the parent (a stronger trigger wins:
    /// requested over the others).
    pub fn trigger(&self, trigger: Trigger, run: Option<String>) {
        {
            let mut pending = lock(&self.pending);
            pending.trigger = match pending.trigger {
                Some(Trigger::Requested) => Some(Trigger::Requested),
                _ => Some(trigger),
            };
            pending.runs.extend(run);
        }
        self.wake.notify_one();
    }

    fn take_pending(&self) -> Option<(Trigger, Vec<String>)> {
        let mut pending = lock(&self.pending);
        let trigger = pending.trigger.take()?;
        Some((trigger, std::mem::take(&mut pending.runs)))
    }

    /// What the parent said with a push: a new instance id (it started or
    /// restarted) or an operator's request starts an exchange.
    pub fn observe_push(&self, parent_instance: &str, run_id: &str) {
        if !parent_instance.is_empty() {
            let before = lock(&self.parent_instance).replace(parent_instance.to_owned());
            match before {
                None => self.trigger(Trigger::Start, None),
                Some(before) if before != parent_instance => self.trigger(Trigger::ParentRestarted, None),
                Some(_) => {}
            }
        }
        if !run_id.is_empty() {
            let mut seen = lock(&self.seen_runs);
            if !seen.iter().any(|r| r == run_id) {
                if seen.len() == 64 {
                    seen.pop_front();
                }
                seen.push_back(run_id.to_owned());
                drop(seen);
                self.trigger(Trigger::Requested, Some(run_id.to_owned()));
            }
        }
    }

    /// As a parent: the run to ask `child` for in the answer to its push.
    pub fn requested_of(&self, child: &str) -> String {
        lock(&self.requested).get(child).cloned().unwrap_or_default()
    }

    /// As a parent: asks `child` for an exchange; the run id (the one
    /// already asked for, when the child has not started it yet).
    fn request_child(&self, child: &str) -> String {
        lock(&self.requested).entry(child.to_owned()).or_insert_with(new_run_id).clone()
    }

    /// As a parent: a child's call under `run_id` — the exchange has
    /// started; count what was served.
    fn served(&self, child: &str, run_id: &str, digests: u64, days: u64) {
        if run_id.is_empty() {
            return;
        }
        {
            let mut requested = lock(&self.requested);
            if requested.get(child).is_some_and(|r| r == run_id) {
                requested.remove(child);
            }
        }
        let (digests_compared, days_listed) = {
            let mut served = lock(&self.served);
            let entry = served.entry((child.to_owned(), run_id.to_owned())).or_default();
            entry.0 += digests;
            entry.1 += days;
            *entry
        };
        let _ = self.progress.send(Progress {
            unit: child.to_owned(),
            run_id: run_id.to_owned(),
            phase: Phase::Running,
            digests_compared,
            days_listed,
            report: None,
        });
    }

    /// An exchange ended (reported by a child, or run here).
    fn finished(&self, report: &ExchangeReport, runs: &[String]) {
        let unit = report.unit_id.to_string();
        for run in runs {
            lock(&self.served).remove(&(unit.clone(), run.clone()));
            let _ = self.progress.send(Progress {
                unit: unit.clone(),
                run_id: run.clone(),
                phase: if report.error.is_some() { Phase::Failed } else { Phase::Done },
                digests_compared: report.digests_compared,
                days_listed: report.days_listed,
                report: Some(report.clone()),
            });
        }
    }

    /// Follows every exchange's progress.
    pub fn subscribe(&self) -> broadcast::Receiver<Progress> {
        self.progress.subscribe()
    }
}

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
enum ExchangeError {
    #[error("{0}")]
    Node(#[from] NodeError),
    #[error("the parent answered {}: {}", crate::metrics::code_name(.0.code()), .0.message())]
    Parent(#[from] Status),
}

impl From<fengqiao_store::StoreError> for ExchangeError {
    fn from(error: fengqiao_store::StoreError) -> Self {
        ExchangeError::Node(error.into())
    }
}

impl From<DomainError> for ExchangeError {
    fn from(error: DomainError) -> Self {
        ExchangeError::Node(error.into())
    }
}

/// The child's side: runs exchanges with the parent until the task is
/// aborted (the node shutting down).
pub async fn run(node: Node, parent: String) {
    let config = node.config().reconcile;
    let endpoint = match crate::tls::connect_endpoint(&parent, &node.config().transport) {
        Ok(endpoint) => endpoint.connect_timeout(Duration::from_secs(5)).timeout(Duration::from_secs(60)),
        Err(error) => {
            warn!(%parent, %error, "bad parent address; reconciliation is off");
            return;
        }
    };
    let limit = node.config().limits.max_message_bytes;
    let mut client = ReconcileServiceClient::new(crate::forwarder::keep_alive(endpoint).connect_lazy())
        .max_encoding_message_size(limit)
        .max_decoding_message_size(limit);
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));
    let reconciler = std::sync::Arc::clone(node.reconciler());
    let mut next_periodic =
        (!config.interval.is_zero()).then(|| tokio::time::Instant::now() + config.interval);
    loop {
        let (trigger, runs) = match reconciler.take_pending() {
            Some(pending) => pending,
            None => {
                let periodic = async {
                    match next_periodic {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    () = reconciler.wake.notified() => continue,
                    () = periodic => (Trigger::Periodic, Vec::new()),
                }
            }
        };
        wait_for_outbox(&node).await;
        let run_id = runs.first().cloned().unwrap_or_default();
        let report = exchange(&node, &mut client, trigger, &run_id).await;
        record(&node, &report).await;
        reconciler.finished(&report, &runs);
        // The parent keeps the last report of each child (and passes it to
        // the operator who asked); if it cannot be told, the report stays here.
        for run in runs.iter().map(String::as_str).chain(runs.is_empty().then_some("")) {
            let mut report = report.clone();
            report.run_id = run.to_owned();
            let request = ReportExchangeRequest {
                sender_unit_id: node.config().home_unit.clone(),
                report: Some(pb::ExchangeReport::from(&report)),
            };
            if let Err(status) = client.report_exchange(request).await {
                warn!(code = ?status.code(), "cannot report the exchange to the parent");
            }
        }
        if report.error.is_some() {
            // Again later, for the same runs.
            let delay = backoff.next_delay();
            for run in runs {
                reconciler.trigger(trigger, Some(run));
            }
            if lock(&reconciler.pending).trigger.is_none() {
                reconciler.trigger(trigger, None);
            }
            tokio::time::sleep(delay).await;
            continue;
        }
        backoff.reset();
        if report.incomplete {
            reconciler.trigger(Trigger::Continued, None);
        }
        next_periodic = (!config.interval.is_zero()).then(|| tokio::time::Instant::now() + config.interval);
    }
}

/// Lets a long outbox drain first (for at most [`DRAIN_WAIT`]): its items
/// are on their way, and would only show up as missing at the parent.
async fn wait_for_outbox(node: &Node) {
    let started = Instant::now();
    let batch = u64::from(node.config().forwarder.max_items);
    while started.elapsed() < DRAIN_WAIT {
        match node.store().outbox_stats().await {
            Ok(stats) if stats.depth > batch => tokio::time::sleep(Duration::from_millis(500)).await,
            _ => return,
        }
    }
}

/// Logs an exchange, counts it, and keeps it as this node's last.
async fn record(node: &Node, report: &ExchangeReport) {
    node.metrics().reconcile_exchange(report);
    let outcome = report.outcome();
    if let Some(error) = &report.error {
        warn!(trigger = report.trigger.as_str(), %error, "reconciliation with the parent failed");
    } else {
        info!(
            trigger = report.trigger.as_str(),
            outcome,
            digests = report.digests_compared,
            days = report.days_listed,
            items = report.items_compared,
            reports_resent = report.reports_resent,
            case_events_resent = report.case_events_resent,
            in_flight = report.in_flight,
            set_aside = report.set_aside,
            conflicts = report.conflicts_total,
            bytes_sent = report.bytes_sent,
            bytes_received = report.bytes_received,
            elapsed_ms = report.elapsed_ms,
            "reconciled with the parent"
        );
    }
    for conflict in &report.conflicts {
        // Ids, dates and revisions only.
        warn!(%conflict, "the parent holds what this node does not: not applied here; check which is right");
    }
    match serde_json::to_string(report) {
        Ok(json) => {
            if let Err(error) = node.store().set_meta(LAST_KEY, &json).await {
                warn!(%error, "cannot keep the last exchange");
            }
        }
        Err(error) => warn!(%error, "cannot encode the last exchange"),
    }
}

/// The last exchange this node ran with its parent, if any.
pub async fn last_exchange(node: &Node) -> Result<Option<ExchangeReport>, NodeError> {
    let stored = node.store().get_meta(LAST_KEY).await?;
    Ok(stored.and_then(|json| serde_json::from_str(&json).ok()))
}

/// One exchange with the parent (see the module documentation). Never
/// fails: a failure is the report's `error`, and what was queued before it
/// stays queued.
async fn exchange(
    node: &Node,
    client: &mut ReconcileServiceClient<Channel>,
    trigger: Trigger,
    run_id: &str,
) -> ExchangeReport {
    let started = Instant::now();
    let home = UnitId::parse(&node.config().home_unit).expect("the home unit is a unit id");
    let mut report = ExchangeReport::new(home, run_id.to_owned(), trigger, node.clock().now());
    let mut exchange = Exchange { node, client, report: &mut report };
    if let Err(error) = exchange.compare().await {
        report.error = Some(error.to_string());
    }
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    report
}

/// An exchange under way.
struct Exchange<'a> {
    node: &'a Node,
    client: &'a mut ReconcileServiceClient<Channel>,
    report: &'a mut ExchangeReport,
}

impl Exchange<'_> {
    fn sender(&self) -> String {
        self.node.config().home_unit.clone()
    }

    /// Tells an operator following this node's own run how far it got.
    fn progress(&self) {
        if self.report.run_id.is_empty() {
            return;
        }
        let _ = self.node.reconciler().progress.send(Progress {
            unit: self.sender(),
            run_id: self.report.run_id.clone(),
            phase: Phase::Running,
            digests_compared: self.report.digests_compared,
            days_listed: self.report.days_listed,
            report: None,
        });
    }

    /// The parent's digests (every page).
    async fn their_digests(
        &mut self,
        level: PbLevel,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, Digests)>, ExchangeError> {
        let mut out = Vec::new();
        let mut from_date = from.to_string();
        loop {
            let request = GetDigestsRequest {
                sender_unit_id: self.sender(),
                level: level.into(),
                from_date: from_date.clone(),
                to_date: to.to_string(),
                run_id: self.report.run_id.clone(),
            };
            self.report.bytes_sent += request.encoded_len() as u64;
            let answer = patiently(|| {
                let (mut client, request) = (self.client.clone(), request.clone());
                async move { client.get_digests(request).await }
            })
            .await?
            .into_inner();
            self.report.bytes_received += answer.encoded_len() as u64;
            for (i, period) in answer.periods.into_iter().enumerate() {
                out.push(convert_at(period, &format!("periods[{i}]"))?);
            }
            if answer.next_from_date.is_empty() {
                return Ok(out);
            }
            from_date = answer.next_from_date;
        }
    }

    /// This node's digests (every page).
    async fn my_digests(
        &self,
        level: DigestLevel,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, Digests)>, ExchangeError> {
        let root = &self.report.unit_id;
        let mut out: Vec<(NaiveDate, Digests)> = Vec::new();
        let mut from = from;
        loop {
            let page = self.node.store().digests(level, root, from, to, PAGE).await?;
            let full = page.len() == PAGE as usize;
            let next = page.last().and_then(|(period, _)| period.succ_opt());
            out.extend(page);
            match next {
                Some(next) if full => from = next,
                _ => return Ok(out),
            }
        }
    }

    async fn compare(&mut self) -> Result<(), ExchangeError> {
        let root = self.report.unit_id.clone();
        let mine = self.node.store().digest_total(&root).await?;
        let request = GetDigestsRequest {
            sender_unit_id: self.sender(),
            level: PbLevel::Total.into(),
            run_id: self.report.run_id.clone(),
            ..Default::default()
        };
        self.report.bytes_sent += request.encoded_len() as u64;
        let answer = patiently(|| {
            let (mut client, request) = (self.client.clone(), request.clone());
            async move { client.get_digests(request).await }
        })
        .await?
        .into_inner();
        self.report.bytes_received += answer.encoded_len() as u64;
        let theirs =
            answer.periods.into_iter().next().and_then(|p| p.digests).map(Digests::from).unwrap_or_default();
        self.report.digests_compared += 1;
        self.progress();
        if mine == theirs {
            return Ok(());
        }
        let (first, last) = (first_day(), last_day());
        let my_weeks = self.my_digests(DigestLevel::Week, first, last).await?;
        let their_weeks = self.their_digests(PbLevel::Week, first, last).await?;
        self.report.digests_compared += periods_in(&my_weeks, &their_weeks);
        self.progress();
        for (monday, _, _) in differing_periods(&my_weeks, &their_weeks) {
            let sunday = monday + chrono::Duration::days(6);
            let my_days = self.my_digests(DigestLevel::Day, monday, sunday).await?;
            let their_days = self.their_digests(PbLevel::Day, monday, sunday).await?;
            self.report.digests_compared += periods_in(&my_days, &their_days);
            for (day, mine, theirs) in differing_periods(&my_days, &their_days) {
                if self.report.days_listed >= u64::from(self.node.config().reconcile.max_days) {
                    self.report.incomplete = true;
                    return Ok(());
                }
                let reports = mine.reports != theirs.reports;
                let case_events = mine.case_events != theirs.case_events;
                self.compare_day(day, reports, case_events).await?;
                self.progress();
            }
        }
        Ok(())
    }

    /// Lists the parent's items of a day, then this node's, compares them,
    /// queues again what the parent lacks and records the conflicts.
    async fn compare_day(
        &mut self,
        day: NaiveDate,
        reports: bool,
        case_events: bool,
    ) -> Result<(), ExchangeError> {
        let (their_reports, their_events) = self.their_items(day, reports, case_events).await?;
        let root = self.report.unit_id.clone();
        let store = std::sync::Arc::clone(self.node.store());
        let mut my_reports: Vec<HeldReport> = Vec::new();
        let mut more = reports;
        while more {
            let page = store.held_reports(&root, day, my_reports.last().map(|h| &h.unit_id), PAGE).await?;
            more = page.len() == PAGE as usize;
            my_reports.extend(page);
        }
        let mut my_events: Vec<HeldCaseEvent> = Vec::new();
        let mut more = case_events;
        while more {
            let after = my_events.last().map(|e| (&e.case_id, e.seq));
            let page = store.held_case_events(&root, day, after, PAGE).await?;
            more = page.len() == PAGE as usize;
            my_events.extend(page);
        }
        let found: DayComparison = compare_day(day, &my_reports, &their_reports, &my_events, &their_events);
        self.report.record_day(&found);
        self.node.metrics().reconcile_divergence(&found);
        if !found.resend_reports.is_empty() {
            let queued = store.requeue(day, &found.resend_reports, &[]).await?;
            self.report.reports_resent += queued.queued;
            self.report.in_flight += queued.already_queued;
            self.report.set_aside += queued.set_aside;
        }
        if !found.resend_case_events.is_empty() {
            let queued = store.requeue(day, &[], &found.resend_case_events).await?;
            self.report.case_events_resent += queued.queued;
            self.report.in_flight += queued.already_queued;
            self.report.set_aside += queued.set_aside;
        }
        if !found.resend_reports.is_empty() || !found.resend_case_events.is_empty() {
            // Wake the forwarder.
            self.node.committer().committed().notify_waiters();
        }
        Ok(())
    }

    /// The parent's items of a day (every page).
    async fn their_items(
        &mut self,
        day: NaiveDate,
        reports: bool,
        case_events: bool,
    ) -> Result<(Vec<HeldReport>, Vec<HeldCaseEvent>), ExchangeError> {
        let (mut held_reports, mut held_events) = (Vec::new(), Vec::new());
        let mut page_token = String::new();
        loop {
            let request = ListHeldItemsRequest {
                sender_unit_id: self.sender(),
                date: day.to_string(),
                reports,
                case_events,
                page_token,
                run_id: self.report.run_id.clone(),
            };
            self.report.bytes_sent += request.encoded_len() as u64;
            let answer = patiently(|| {
                let (mut client, request) = (self.client.clone(), request.clone());
                async move { client.list_held_items(request).await }
            })
            .await?
            .into_inner();
            self.report.bytes_received += answer.encoded_len() as u64;
            for (i, held) in answer.reports.into_iter().enumerate() {
                held_reports.push(convert_at(held, &format!("reports[{i}]"))?);
            }
            for (i, held) in answer.case_events.into_iter().enumerate() {
                held_events.push(convert_at(held, &format!("case_events[{i}]"))?);
            }
            if answer.next_page_token.is_empty() {
                return Ok((held_reports, held_events));
            }
            page_token = answer.next_page_token;
        }
    }
}

/// Calls the parent, and again (up to 5 times, 200 ms doubling) while it
/// answers RESOURCE_EXHAUSTED (the caller's rate limit) or UNAVAILABLE
/// (overloaded): an exchange's calls come in quick succession.
async fn patiently<T, F, Fut>(mut call: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Status>>,
{
    let mut delay = Duration::from_millis(200);
    for _ in 0..5 {
        match call().await {
            Err(status)
                if matches!(status.code(), tonic::Code::ResourceExhausted | tonic::Code::Unavailable) =>
            {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            other => return other,
        }
    }
    call().await
}

/// Periods present on either side.
fn periods_in(a: &[(NaiveDate, Digests)], b: &[(NaiveDate, Digests)]) -> u64 {
    a.iter().chain(b).map(|(period, _)| *period).collect::<BTreeSet<_>>().len() as u64
}

/// The range an exchange covers: every date a report or event can carry.
fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(1, 1, 1).expect("a date")
}

fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).expect("a date")
}

/// `fengqiao.v1.ReconcileService` over a [`Node`].
#[derive(Debug, Clone)]
pub struct Reconciliation {
    node: Node,
}

impl Reconciliation {
    pub fn new(node: Node) -> Self {
        Reconciliation { node }
    }

    /// The sender's subtree root: it must be a child node of this one.
    fn child_root(&self, sender: &str) -> Result<UnitId, NodeError> {
        if !self.node.child_nodes().iter().any(|child| child == sender) {
            return Err(NodeError::PermissionDenied(why!(
                UNIT_NOT_CHILD_NODE,
                "unit \"{unit}\" is not a child node of {home_unit}",
                unit = sender,
                home_unit = self.node.config().home_unit
            )));
        }
        Ok(UnitId::parse_field(sender, "sender_unit_id")?)
    }

    async fn get_digests(&self, request: GetDigestsRequest) -> Result<GetDigestsResponse, NodeError> {
        let root = self.child_root(&request.sender_unit_id)?;
        let store = self.node.store();
        let level = match PbLevel::try_from(request.level) {
            Ok(PbLevel::Total) => {
                let total = store.digest_total(&root).await?;
                self.node.reconciler().served(root.as_str(), &request.run_id, 1, 0);
                return Ok(GetDigestsResponse {
                    periods: vec![period_digests_to_pb(None, &total)],
                    next_from_date: String::new(),
                });
            }
            Ok(PbLevel::Week) => DigestLevel::Week,
            Ok(PbLevel::Day) => DigestLevel::Day,
            _ => {
                return Err(DomainError::invalid(
                    "level",
                    why!(MUST_BE_TOTAL_WEEK_DAY, "must be TOTAL, WEEK or DAY"),
                )
                .into());
            }
        };
        let from = parse_date(&request.from_date, "from_date")?;
        let to = parse_date(&request.to_date, "to_date")?;
        if from > to {
            return Err(DomainError::invalid(
                "to_date",
                why!(MUST_NOT_BE_BEFORE_FROM_DATE, "must not be before from_date"),
            )
            .into());
        }
        let mut rows = store.digests(level, &root, from, to, PAGE + 1).await?;
        let next_from_date = if rows.len() > PAGE as usize {
            let next = rows.remove(PAGE as usize).0;
            rows.truncate(PAGE as usize);
            next.to_string()
        } else {
            String::new()
        };
        self.node.reconciler().served(root.as_str(), &request.run_id, rows.len() as u64, 0);
        Ok(GetDigestsResponse {
            periods: rows
                .iter()
                .map(|(period, digests)| period_digests_to_pb(Some(*period), digests))
                .collect(),
            next_from_date,
        })
    }

    async fn list_held_items(
        &self,
        request: ListHeldItemsRequest,
    ) -> Result<ListHeldItemsResponse, NodeError> {
        let root = self.child_root(&request.sender_unit_id)?;
        let day = parse_date(&request.date, "date")?;
        if !request.reports && !request.case_events {
            return Err(DomainError::invalid(
                "reports",
                why!(ASK_FOR_REPORTS_CASE_EVENTS_BOTH, "ask for reports, case events or both"),
            )
            .into());
        }
        let cursor = PageToken::parse(&request.page_token)?;
        let store = self.node.store();
        let mut answer = ListHeldItemsResponse::default();
        let mut room = PAGE;
        if request.reports && !matches!(cursor, PageToken::CaseEvents(..)) {
            let after = match &cursor {
                PageToken::Reports(unit) => Some(unit),
                _ => None,
            };
            let page = store.held_reports(&root, day, after, room).await?;
            if page.len() == room as usize {
                let last = page.last().map(|h| h.unit_id.to_string()).unwrap_or_default();
                answer.next_page_token = PageToken::Reports(UnitId::parse(&last)?).to_string();
            }
            room -= page.len() as u32;
            answer.reports = page.iter().map(pb::HeldReport::from).collect();
        }
        if request.case_events && room > 0 && answer.next_page_token.is_empty() {
            let after = match &cursor {
                PageToken::CaseEvents(case, seq) => Some((case, *seq)),
                _ => None,
            };
            let page = store.held_case_events(&root, day, after, room).await?;
            if page.len() == room as usize
                && let Some(last) = page.last()
            {
                answer.next_page_token = PageToken::CaseEvents(last.case_id.clone(), last.seq).to_string();
            }
            answer.case_events = page.iter().map(pb::HeldCaseEvent::from).collect();
        }
        let first_page = u64::from(request.page_token.is_empty());
        self.node.reconciler().served(root.as_str(), &request.run_id, 0, first_page);
        Ok(answer)
    }

    async fn report_exchange(&self, request: ReportExchangeRequest) -> Result<(), NodeError> {
        let root = self.child_root(&request.sender_unit_id)?;
        let report: ExchangeReport = required_at(request.report, "report")?;
        if report.unit_id != root {
            return Err(DomainError::invalid(
                "report.unit_id",
                why!(MUST_BE_SENDER_S_UNIT, "must be the sender's unit"),
            )
            .into());
        }
        let json = serde_json::to_string(&report).map_err(|e| {
            fengqiao_store::StoreError::Corrupt(format!("cannot encode an exchange report: {e}"))
        })?;
        self.node.store().set_meta(&format!("{CHILD_KEY_PREFIX}{root}"), &json).await?;
        if report.conflicts_total > 0 {
            warn!(
                child = %root,
                conflicts = report.conflicts_total,
                "a child node holds less than this node of its own subtree (restored from a backup?): see `fengqiao reconcile`"
            );
        }
        let runs: Vec<String> =
            (!report.run_id.is_empty()).then(|| report.run_id.clone()).into_iter().collect();
        self.node.reconciler().finished(&report, &runs);
        Ok(())
    }

    /// Starts the runs an operator asked for; progress arrives on the
    /// returned channel until every run ended or timed out.
    async fn reconcile(
        &self,
        request: ReconcileRequest,
    ) -> Result<mpsc::Receiver<Result<ReconcileResponse, Status>>, NodeError> {
        let targets = self.targets(&request)?;
        let timeout = match request.timeout_seconds {
            0 => DEFAULT_TIMEOUT,
            n if n <= MAX_TIMEOUT_SECONDS => Duration::from_secs(u64::from(n)),
            _ => {
                return Err(DomainError::invalid(
                    "timeout_seconds",
                    why!(AT_MOST, "at most {max}", max = MAX_TIMEOUT_SECONDS),
                )
                .into());
            }
        };
        let reconciler = self.node.reconciler();
        let mut progress = reconciler.subscribe();
        let home = self.node.config().home_unit.clone();
        let mut runs: Vec<(String, String)> = Vec::new();
        for target in targets {
            let run = if target == home {
                let run = new_run_id();
                lock(&reconciler.seen_runs).push_back(run.clone());
                reconciler.trigger(Trigger::Requested, Some(run.clone()));
                run
            } else {
                reconciler.request_child(&target)
            };
            runs.push((target, run));
        }
        let (sender, receiver) = mpsc::channel(64);
        let node = self.node.clone();
        tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + timeout;
            let mut open: Vec<(String, String)> = runs.clone();
            for (unit, _) in &runs {
                let message = ReconcileResponse {
                    unit_id: unit.clone(),
                    phase: ReconcilePhase::Requested.into(),
                    ..Default::default()
                };
                if sender.send(Ok(message)).await.is_err() {
                    return;
                }
            }
            let mut stopping = node.stopping();
            while !open.is_empty() {
                let step = tokio::select! {
                    step = progress.recv() => step,
                    () = tokio::time::sleep_until(deadline) => break,
                    () = sender.closed() => return,
                    _ = stopping.changed() => break,
                };
                let step = match step {
                    Ok(step) => step,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                if !open.iter().any(|(unit, run)| *unit == step.unit && *run == step.run_id) {
                    continue;
                }
                let phase = match step.phase {
                    Phase::Running => ReconcilePhase::Running,
                    Phase::Done => ReconcilePhase::Done,
                    Phase::Failed => ReconcilePhase::Failed,
                };
                if step.phase != Phase::Running {
                    open.retain(|(unit, run)| !(*unit == step.unit && *run == step.run_id));
                }
                let message = ReconcileResponse {
                    unit_id: step.unit,
                    phase: phase.into(),
                    digests_compared: step.digests_compared,
                    days_listed: step.days_listed,
                    report: step.report.as_ref().map(pb::ExchangeReport::from),
                };
                if sender.send(Ok(message)).await.is_err() {
                    return;
                }
            }
            let reconciler = node.reconciler();
            for (unit, run) in open {
                // Not picked up: ask no more (the operator may ask again).
                {
                    let mut requested = lock(&reconciler.requested);
                    if requested.get(&unit).is_some_and(|r| *r == run) {
                        requested.remove(&unit);
                    }
                }
                let message = ReconcileResponse {
                    unit_id: unit,
                    phase: ReconcilePhase::TimedOut.into(),
                    ..Default::default()
                };
                if sender.send(Ok(message)).await.is_err() {
                    return;
                }
            }
        });
        Ok(receiver)
    }

    /// The units a `Reconcile` request names, checked.
    fn targets(&self, request: &ReconcileRequest) -> Result<Vec<String>, NodeError> {
        let children = self.node.child_nodes();
        let mut targets: Vec<String> = Vec::new();
        for (i, unit) in request.child_unit_ids.iter().enumerate() {
            UnitId::parse_field(unit, &format!("child_unit_ids[{i}]"))?;
            if !children.contains(unit) {
                return Err(DomainError::invalid(
                    format!("child_unit_ids[{i}]"),
                    why!(
                        NOT_CHILD_NODE,
                        "{unit} is not a child node of {home_unit}",
                        unit = unit,
                        home_unit = self.node.config().home_unit
                    ),
                )
                .into());
            }
            if !targets.contains(unit) {
                targets.push(unit.clone());
            }
        }
        if request.all_children {
            targets.extend(children.into_iter().filter(|c| !request.child_unit_ids.contains(c)));
        }
        if request.with_parent {
            if self.node.config().parent.is_none() {
                return Err(NodeError::Domain(DomainError::FailedPrecondition(why!(
                    NODE_HAS_NO_PARENT_RECONCILE_WITH,
                    "node {home_unit} has no parent to reconcile with",
                    home_unit = self.node.config().home_unit
                ))));
            }
            targets.push(self.node.config().home_unit.clone());
        }
        if targets.is_empty() {
            let why = if request.all_children {
                why!(NO_CHILD_NODES, "this node has no child nodes")
            } else {
                why!(NAME_CHILD_NODES, "name child nodes, all_children or with_parent")
            };
            return Err(DomainError::invalid("child_unit_ids", why).into());
        }
        Ok(targets)
    }
}

/// Where a `ListHeldItems` page resumes: after a report's unit, or after a
/// case event (case id, sequence).
#[derive(Debug, Clone, PartialEq, Eq)]
enum PageToken {
    Start,
    Reports(UnitId),
    CaseEvents(CaseId, u32),
}

impl PageToken {
    fn parse(token: &str) -> Result<PageToken, DomainError> {
        let bad = || {
            DomainError::invalid("page_token", why!(NOT_TOKEN_THIS_NODE_GAVE, "not a token this node gave"))
        };
        if token.is_empty() {
            return Ok(PageToken::Start);
        }
        if let Some(unit) = token.strip_prefix("r:") {
            return UnitId::parse(unit).map(PageToken::Reports).map_err(|_| bad());
        }
        let rest = token.strip_prefix("e:").ok_or_else(bad)?;
        let (case, seq) = rest.rsplit_once(':').ok_or_else(bad)?;
        Ok(PageToken::CaseEvents(CaseId::parse(case).map_err(|_| bad())?, seq.parse().map_err(|_| bad())?))
    }
}

impl std::fmt::Display for PageToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageToken::Start => Ok(()),
            PageToken::Reports(unit) => write!(f, "r:{unit}"),
            PageToken::CaseEvents(case, seq) => write!(f, "e:{case}:{seq}"),
        }
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl ReconcileService for Reconciliation {
    #[tracing::instrument(name = "rpc.get_digests", skip_all, fields(sender = %request.get_ref().sender_unit_id))]
    async fn get_digests(
        &self,
        request: Request<GetDigestsRequest>,
    ) -> Result<Response<GetDigestsResponse>, Status> {
        let sender = request.get_ref().sender_unit_id.clone();
        self.node.authorize(&request, Rpc::ReconcileExchange, Target::Unit(&sender))?;
        Ok(Response::new(self.get_digests(request.into_inner()).await?))
    }

    #[tracing::instrument(name = "rpc.list_held_items", skip_all, fields(sender = %request.get_ref().sender_unit_id))]
    async fn list_held_items(
        &self,
        request: Request<ListHeldItemsRequest>,
    ) -> Result<Response<ListHeldItemsResponse>, Status> {
        let sender = request.get_ref().sender_unit_id.clone();
        self.node.authorize(&request, Rpc::ReconcileExchange, Target::Unit(&sender))?;
        Ok(Response::new(self.list_held_items(request.into_inner()).await?))
    }

    #[tracing::instrument(name = "rpc.report_exchange", skip_all, fields(sender = %request.get_ref().sender_unit_id))]
    async fn report_exchange(
        &self,
        request: Request<ReportExchangeRequest>,
    ) -> Result<Response<ReportExchangeResponse>, Status> {
        let sender = request.get_ref().sender_unit_id.clone();
        self.node.authorize(&request, Rpc::ReconcileExchange, Target::Unit(&sender))?;
        self.report_exchange(request.into_inner()).await?;
        Ok(Response::new(ReportExchangeResponse {}))
    }

    type ReconcileStream = BoxStream<ReconcileResponse>;

    #[tracing::instrument(name = "rpc.reconcile", skip_all)]
    async fn reconcile(
        &self,
        request: Request<ReconcileRequest>,
    ) -> Result<Response<Self::ReconcileStream>, Status> {
        let home = self.node.config().home_unit.clone();
        let caller = self.node.authorize_rpc(&request, Rpc::Reconcile)?;
        let message = request.get_ref();
        let mut units: Vec<&str> = message.child_unit_ids.iter().map(String::as_str).collect();
        if message.all_children || message.with_parent || units.is_empty() {
            units.push(&home);
        }
        for unit in units {
            self.node.authorize_caller(&caller, Rpc::Reconcile, Target::Unit(unit))?;
        }
        let receiver = self.reconcile(request.into_inner()).await?;
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_refuse_strangers() {
        for token in [
            PageToken::Start,
            PageToken::Reports(UnitId::parse("410411001").unwrap()),
            PageToken::CaseEvents(CaseId::parse("410411:2026-1").unwrap(), 7),
        ] {
            assert_eq!(PageToken::parse(&token.to_string()).unwrap(), token);
        }
        for bad in ["x", "r:", "e:c1", "e:c1:x", "e::1"] {
            assert!(PageToken::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_parent_repeating_a_request_starts_one_exchange() {
        let reconciler = Reconciler::default();
        reconciler.observe_push("p1", "");
        assert_eq!(reconciler.take_pending(), Some((Trigger::Start, vec![])));
        reconciler.observe_push("p1", "");
        assert_eq!(reconciler.take_pending(), None, "the same parent");
        reconciler.observe_push("p1", "run-1");
        reconciler.observe_push("p1", "run-1");
        assert_eq!(reconciler.take_pending(), Some((Trigger::Requested, vec!["run-1".to_owned()])));
        reconciler.observe_push("p2", "run-1");
        assert_eq!(reconciler.take_pending(), Some((Trigger::ParentRestarted, vec![])));
    }
}
