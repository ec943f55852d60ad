//! The node's side of the audit log: every change the node makes — through
//! an RPC, on its own (automatic escalation, a tree reloaded), or as its
//! parent tells it over the downlink — carries its audit record into the
//! store, which appends it to the hash chain (`fengqiao_core::audit`) in the
//! transaction of the change itself. A change and its entry commit together
//! or not at all: a crash, a lost connection or a full disk can cost a
//! change, never only its entry.
//!
//! An [`Auditor`] says who makes the changes of one call and through what;
//! each change's record adds the node's time and the change's target.
//! Reports and case events carry their records through the group committer
//! and [`fengqiao_store::Store::apply_case_events`], so a batch's entries
//! are one insert in the batch's own transaction. Documented in
//! docs/ARCHITECTURE.md ("Audit log").

use fengqiao_core::audit::AuditRecord;
use fengqiao_core::case::{CaseEvent, EventKind};

use crate::Node;
use crate::caller::Caller;

/// The `rpc` of each audited method.
pub mod rpc {
    pub const SUBMIT_DAILY_REPORT: &str = "fengqiao.v1.ReportingService/SubmitDailyReport";
    pub const PUSH_BATCH: &str = "fengqiao.v1.UplinkService/PushBatch";
    pub const REGISTER_CASE: &str = "fengqiao.v1.CaseService/RegisterCase";
    /// Followed by `:<event kind>` (`…/ActOnCase:escalated`).
    pub const ACT_ON_CASE: &str = "fengqiao.v1.CaseService/ActOnCase";
    pub const SUPERVISE: &str = "fengqiao.v1.CaseService/Supervise";
    pub const SET_ROSTER: &str = "fengqiao.v1.CaseService/SetRoster";
    /// Followed by `:<event kind>` (`…/RecordVisit:accepted`).
    pub const RECORD_VISIT: &str = "fengqiao.v1.CaseService/RecordVisit";
    pub const POST_NOTICE: &str = "fengqiao.v1.NodeService/PostNotice";
    /// The node's start with its tree.
    pub const START: &str = "node/start";
    /// The tree file read again on SIGHUP.
    pub const RELOAD_TREE: &str = "node/reload-tree";
    /// An overdue case escalated by the node itself.
    pub const AUTO_ESCALATE: &str = "node/auto-escalate";
    /// Report text removed by the retention policy (`storage.raw_text_months`).
    pub const RETENTION: &str = "node/retention";
    /// A repeat petition this node found recorded on a case it holds.
    pub const REPEAT_FOUND: &str = "node/repeat-found";
    pub const FILE_WEEKLY: &str = "fengqiao.v1.WeeklyService/FileWeeklyReport";
    pub const WITHDRAW_WEEKLY: &str = "fengqiao.v1.WeeklyService/WithdrawWeeklyReport";
    pub const REVIEW_WEEKLY: &str = "fengqiao.v1.WeeklyService/ReviewWeeklyReport";
    pub const UNAPPROVE_WEEKLY: &str = "fengqiao.v1.WeeklyService/UnapproveWeeklyReport";
    pub const RECORD_ACCOUNTABILITY: &str = "fengqiao.v1.WeeklyService/RecordAccountability";
    pub const SET_PROJECT: &str = "fengqiao.v1.ContactService/SetProject";
    pub const SET_CONTACT_DUTY: &str = "fengqiao.v1.ContactService/SetContactDuty";
    /// A held report applied once its week was unapproved.
    pub const WEEKLY_RELEASE: &str = "node/weekly-release";
    /// A petitioner's rating taken by the public tracker.
    pub const RATE_CASE: &str = "fengqiao.v1.PublicTrackerService/RateCase";
}

/// Who makes the changes of one call, and through what.
#[derive(Debug, Clone)]
pub struct Auditor {
    actor: String,
    rpc: String,
    /// Case events add their kind to the rpc (`…/ActOnCase:accepted`).
    event_kind_in_rpc: bool,
}

impl Auditor {
    /// Changes a caller makes through `rpc`.
    pub fn caller(caller: &Caller, rpc: &str) -> Self {
        Auditor { actor: actor_of(caller), rpc: rpc.to_owned(), event_kind_in_rpc: false }
    }

    /// Changes the node makes on its own, as `node-internal:<task>`.
    pub fn internal(task: &str, rpc: &str) -> Self {
        Auditor { actor: format!("node-internal:{task}"), rpc: rpc.to_owned(), event_kind_in_rpc: false }
    }

    /// Changes applied from the parent's downlink, as `parent-node:<url>`
    /// with rpc `downlink/<kind>`.
    pub fn downlink(node: &Node, kind: &str) -> Self {
        let parent = node.config().parent.as_deref().unwrap_or("unknown");
        Auditor {
            actor: format!("parent-node:{parent}"),
            rpc: format!("downlink/{kind}"),
            event_kind_in_rpc: false,
        }
    }

    /// The case events of these changes name their kind in the rpc.
    pub fn with_event_kind(mut self) -> Self {
        self.event_kind_in_rpc = true;
        self
    }

    /// The record of a change to `target` (unit ids, dates, case ids,
    /// counts — never a petitioner's personal data), now.
    pub fn record(&self, node: &Node, target: impl Into<String>) -> AuditRecord {
        AuditRecord::new(node.clock().now(), self.actor.clone(), self.rpc.clone(), target)
    }

    /// The record of a stored case event: `case ID at UNIT` for a
    /// registration, else `case ID event N`; then ` to UNIT` when the event
    /// hands the case to another unit, ` repeats IDS` for a repeat found,
    /// and ` on behalf of ID` when the actor stated one.
    pub fn event_record(&self, node: &Node, event: &CaseEvent) -> AuditRecord {
        let mut target = match event.kind {
            EventKind::Registered { .. } => format!("case {} at {}", event.case_id, event.unit),
            _ => format!("case {} event {}", event.case_id, event.seq),
        };
        if let Some(to) = event.kind.new_owner() {
            target.push_str(&format!(" to {to}"));
        }
        if let EventKind::RepeatFound { of, .. } = &event.kind {
            target.push_str(&format!(" repeats {}", short_list(of)));
        }
        if let Some(principal) = event.actor.on_behalf_of() {
            target.push_str(&format!(" on behalf of {}", principal.id));
        }
        let rpc = match self.event_kind_in_rpc {
            true => format!("{}:{}", self.rpc, event.kind.name()),
            false => self.rpc.clone(),
        };
        AuditRecord::new(node.clock().now(), self.actor.clone(), rpc, target)
    }
}

/// The audit log's `actor` for a caller: its identity URI, or `insecure`.
pub fn actor_of(caller: &Caller) -> String {
    match caller {
        Caller::Verified(identity) => identity.to_uri(),
        Caller::Insecure => "insecure".to_owned(),
    }
}

/// `items` as a short list for a target: the first few, then how many more.
pub fn short_list<T: std::fmt::Display>(items: &[T]) -> String {
    const SHOWN: usize = 8;
    let mut text = items.iter().take(SHOWN).map(ToString::to_string).collect::<Vec<_>>().join(",");
    if items.len() > SHOWN {
        text.push_str(&format!(",+{} more", items.len() - SHOWN));
    }
    text
}
