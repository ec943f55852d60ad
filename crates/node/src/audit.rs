//! The node's side of the audit log: every change the node makes — through
//! an RPC, on its own (automatic escalation), or as its parent tells it over
//! the downlink — appends an entry to the hash chain (`fengqiao_core::audit`)
//! once the change has committed, before the response goes out.
//!
//! Appends are batched like reports: callers hand their record to one writer
//! task and wait; the task appends whatever has queued up in one transaction
//! ([`fengqiao_store::Store::append_audit`]), so a burst of submissions costs
//! one extra commit per burst, not one per report.
//!
//! The entry is written after the change's own transaction, not inside it:
//! if the append fails (the database failing between the two commits) or the
//! process dies between them, the change stands without an entry. The failure
//! is logged as an error naming the RPC and target, and the caller still gets
//! its answer — failing the call would make it retry a change that is
//! already stored (an `ActOnCase` extension applied twice). Documented in
//! docs/ARCHITECTURE.md ("Audit log").

use std::sync::Arc;

use fengqiao_core::audit::AuditRecord;
use fengqiao_store::{Store, StoreError};
use tokio::sync::{mpsc, oneshot};
use tracing::error;

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
    pub const RECORD_VISIT: &str = "fengqiao.v1.CaseService/RecordVisit";
    pub const POST_NOTICE: &str = "fengqiao.v1.NodeService/PostNotice";
    /// The node's start with its tree.
    pub const START: &str = "node/start";
    /// An overdue case escalated by the node itself.
    pub const AUTO_ESCALATE: &str = "node/auto-escalate";
    /// A repeat petition this node found recorded on a case it holds.
    pub const REPEAT_FOUND: &str = "node/repeat-found";
}

/// Most records appended in one transaction.
const MAX_BATCH: usize = 1024;
/// Most records waiting for the writer (callers wait beyond that).
const QUEUE: usize = 8192;

type Reply = oneshot::Sender<Result<(), Arc<StoreError>>>;

/// Why an audit record was not appended.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("store failed: {0}")]
    Store(Arc<StoreError>),
    #[error("the audit writer has stopped")]
    Stopped,
}

/// A handle to the writer task; it ends when the last handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct AuditWriter {
    queue: mpsc::Sender<(AuditRecord, Reply)>,
}

impl AuditWriter {
    /// Starts the writer task on the current runtime.
    pub(crate) fn spawn(store: Arc<dyn Store>) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(write_loop(store, receiver));
        AuditWriter { queue }
    }

    /// Appends one record; returns once its transaction has committed.
    pub(crate) async fn append(&self, record: AuditRecord) -> Result<(), AuditError> {
        let (reply, answer) = oneshot::channel();
        self.queue.send((record, reply)).await.map_err(|_| AuditError::Stopped)?;
        match answer.await {
            Ok(result) => result.map_err(AuditError::Store),
            Err(_) => Err(AuditError::Stopped),
        }
    }
}

async fn write_loop(store: Arc<dyn Store>, mut receiver: mpsc::Receiver<(AuditRecord, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (records, replies): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
        let result = store.append_audit(records).await.map(|_| ()).map_err(Arc::new);
        for reply in replies {
            let _ = reply.send(result.clone());
        }
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

impl Node {
    /// Records a change `caller` made through `rpc` to `target` (unit ids,
    /// dates, case ids, counts — never a petitioner's personal data). Call
    /// it once the change has committed, before answering. A failed append
    /// is logged, not returned (see the module docs).
    pub async fn audit(&self, caller: &Caller, rpc: &str, target: &str) {
        self.audit_as(actor_of(caller), rpc, target).await;
    }

    /// Records a change the node made on its own, as `node-internal:<task>`.
    pub async fn audit_internal(&self, task: &str, rpc: &str, target: &str) {
        self.audit_as(format!("node-internal:{task}"), rpc, target).await;
    }

    /// Records a change applied from the parent's downlink, as
    /// `parent-node:<url>` with rpc `downlink/<kind>`.
    pub async fn audit_downlink(&self, kind: &str, target: &str) {
        let parent = self.config().parent.as_deref().unwrap_or("unknown");
        self.audit_as(format!("parent-node:{parent}"), &format!("downlink/{kind}"), target).await;
    }

    async fn audit_as(&self, actor: String, rpc: &str, target: &str) {
        let record = AuditRecord::new(self.clock().now(), actor, rpc, target);
        if let Err(error) = self.audit_writer().append(record).await {
            error!(rpc, target, %error, "audit append failed after the change committed; the audit log misses it");
        }
    }
}
