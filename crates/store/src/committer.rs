//! Group commit: many concurrent submissions, one transaction.
//!
//! Callers hand a [`Submission`] to [`GroupCommitter::submit`] and wait. A
//! writer task takes whatever has queued up (at most `max_batch`), applies it
//! with [`Store::apply_reports`] in one transaction and answers every caller
//! after the commit. While one batch commits, the next one queues, so the
//! batch size follows the load by itself: one report alone is committed at
//! once, a burst shares commits. Nothing is ever answered before its commit.
//! Each submission carries its audit record; the batch's transaction
//! appends those of the submissions that changed something, with one
//! statement. A batch that fails in the database is counted in the store's
//! [`crate::WriteFailures`], which the node's health watches.
//!
//! A store that takes concurrent transactions (PostgreSQL) gets several
//! writers; submissions are routed to a writer by their unit, so one key is
//! only ever written by one writer and two writers never race on it.
//!
//! Each queue is bounded; when it is full, `submit` fails fast with
//! [`CommitError::Overloaded`] instead of queueing without end (the node
//! answers UNAVAILABLE and the client retries).

use std::sync::Arc;

use fengqiao_core::DomainError;
use tokio::sync::{Notify, mpsc, oneshot};
use tracing::{debug, error, instrument};

use crate::{ItemResult, Outcome, Store, StoreError, Submission};

type Reply = oneshot::Sender<Result<ItemResult, Arc<StoreError>>>;

/// Told the time each batch took to apply and whether it committed (the
/// node's metrics).
pub type BatchObserver = Arc<dyn Fn(std::time::Duration, bool) + Send + Sync>;

/// Why a submission was not applied.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The revision rules refused it.
    #[error(transparent)]
    Refused(#[from] DomainError),
    /// The batch's transaction failed; nothing of it was stored.
    #[error("store failed: {0}")]
    Store(Arc<StoreError>),
    /// The queue is full.
    #[error("too many submissions queued")]
    Overloaded,
    /// The committer has stopped (the node is shutting down).
    #[error("committer stopped")]
    Stopped,
}

/// Settings of a [`GroupCommitter`].
#[derive(Debug, Clone, Copy)]
pub struct CommitterConfig {
    /// Most submissions per transaction.
    pub max_batch: usize,
    /// Most submissions waiting for a transaction.
    pub queue: usize,
    /// Writer tasks, each owning a share of the units. SQLite takes one
    /// writer at a time anyway; on PostgreSQL more writers pay off only with
    /// cores to spare (on 2 cores one writer measured best: see the note in
    /// docs/ARCHITECTURE.md).
    pub writers: usize,
    /// Queue every stored revision in the outbox for the parent (a node with
    /// a parent).
    pub forward: bool,
    /// Longest wait for a batch to fill to about the size of the previous
    /// one; only under load (a lone caller never waits).
    pub commit_delay: std::time::Duration,
    /// The deployment's zone and cut-off, for the rollups' timeliness.
    pub policy: fengqiao_core::TimePolicy,
}

impl Default for CommitterConfig {
    fn default() -> Self {
        CommitterConfig {
            max_batch: 512,
            queue: 8192,
            writers: 1,
            forward: false,
            commit_delay: std::time::Duration::from_millis(1),
            policy: fengqiao_core::TimePolicy::default(),
        }
    }
}

/// A handle to the writer tasks; cheap to clone. The tasks end, after
/// answering everything queued, when the last handle is dropped.
#[derive(Debug, Clone)]
pub struct GroupCommitter {
    queues: Arc<[mpsc::Sender<(Submission, Reply)>]>,
    committed: Arc<Notify>,
}

impl GroupCommitter {
    /// Starts the writer tasks on the current runtime.
    pub fn spawn(store: Arc<dyn Store>, config: CommitterConfig) -> Self {
        Self::spawn_observed(store, config, Arc::new(|_, _| {}))
    }

    /// Like [`GroupCommitter::spawn`], telling `observer` about every batch.
    pub fn spawn_observed(store: Arc<dyn Store>, config: CommitterConfig, observer: BatchObserver) -> Self {
        let writers = config.writers.max(1);
        let per_writer = (config.queue / writers).max(1);
        let committed = Arc::new(Notify::new());
        let queues = (0..writers)
            .map(|_| {
                let (queue, receiver) = mpsc::channel(per_writer);
                tokio::spawn(write_loop(
                    Arc::clone(&store),
                    receiver,
                    config,
                    Arc::clone(&committed),
                    Arc::clone(&observer),
                ));
                queue
            })
            .collect();
        GroupCommitter { queues, committed }
    }

    /// Applies one submission; returns once its transaction has committed.
    pub async fn submit(&self, submission: Submission) -> Result<Outcome, CommitError> {
        let (reply, answer) = oneshot::channel();
        let writer = writer_of(submission.report.unit_id().as_str(), self.queues.len());
        self.queues[writer].try_send((submission, reply)).map_err(|error| match error {
            mpsc::error::TrySendError::Full(_) => CommitError::Overloaded,
            mpsc::error::TrySendError::Closed(_) => CommitError::Stopped,
        })?;
        match answer.await {
            Ok(Ok(result)) => result.map_err(CommitError::Refused),
            Ok(Err(store_error)) => Err(CommitError::Store(store_error)),
            Err(_) => Err(CommitError::Stopped),
        }
    }

    /// Signalled after every committed batch (the forwarder waits on it).
    pub fn committed(&self) -> &Arc<Notify> {
        &self.committed
    }

    /// Submissions waiting for a transaction.
    pub fn queued(&self) -> usize {
        self.queues.iter().map(|q| q.max_capacity() - q.capacity()).sum()
    }
}

/// The writer that owns a unit's keys (FNV-1a of the id: stable and cheap).
fn writer_of(unit_id: &str, writers: usize) -> usize {
    let hash = unit_id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    (hash % writers as u64) as usize
}

async fn write_loop(
    store: Arc<dyn Store>,
    mut receiver: mpsc::Receiver<(Submission, Reply)>,
    config: CommitterConfig,
    committed: Arc<Notify>,
    observer: BatchObserver,
) {
    let max_batch = config.max_batch.max(1);
    // Under load the callers of one batch come back together: right after a
    // big batch commits, the queue holds only the first few of them. Waiting
    // briefly for about as many as last time keeps batches big instead of
    // alternating big and tiny; alone, a caller never waits (target 1).
    let mut target = 1;
    let mut jobs = Vec::with_capacity(max_batch);
    while receiver.recv_many(&mut jobs, max_batch).await > 0 {
        if jobs.len() < target {
            let deadline = tokio::time::Instant::now() + config.commit_delay;
            while jobs.len() < target {
                let room = max_batch - jobs.len();
                match tokio::time::timeout_at(deadline, receiver.recv_many(&mut jobs, room)).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        let size = jobs.len();
        if commit_batch(&*store, std::mem::take(&mut jobs), config.forward, &config.policy, &*observer).await
        {
            committed.notify_one();
        }
        target = (size * 3 / 4).max(1);
        jobs.reserve(max_batch);
    }
}

#[instrument(name = "store.group_commit", skip_all, fields(n = jobs.len()))]
/// Applies one batch and answers its callers; true when it committed.
async fn commit_batch(
    store: &dyn Store,
    jobs: Vec<(Submission, Reply)>,
    forward: bool,
    policy: &fengqiao_core::TimePolicy,
    observer: &(dyn Fn(std::time::Duration, bool) + Send + Sync),
) -> bool {
    let (submissions, replies): (Vec<Submission>, Vec<Reply>) = jobs.into_iter().unzip();
    let started = std::time::Instant::now();
    let applied = store.apply_reports(submissions, forward, policy).await;
    let elapsed = started.elapsed();
    observer(elapsed, applied.is_ok());
    debug!(n = replies.len(), micros = elapsed.as_micros() as u64, "batch applied");
    match applied {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                // A caller that went away (deadline, disconnect) no longer
                // needs its answer; its report is committed all the same and a
                // retry will be answered as a duplicate.
                let _ = reply.send(Ok(result));
            }
            true
        }
        Err(store_error) => {
            error!(error = %store_error, "batch failed; nothing of it was stored");
            store.write_failures().note(&store_error);
            let shared = Arc::new(store_error);
            for reply in replies {
                let _ = reply.send(Err(Arc::clone(&shared)));
            }
            false
        }
    }
}
