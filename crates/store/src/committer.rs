//! Group commit: many concurrent submissions, one transaction.
//!
//! Callers hand a [`Submission`] to [`GroupCommitter::submit`] and wait. A
//! writer task takes whatever has queued up (at most `max_batch`), applies it
//! with [`Store::apply_reports`] in one transaction and answers every caller
//! after the commit. While one batch commits, the next one queues, so the
//! batch size follows the load by itself: one report alone is committed at
//! once, a burst shares commits. Nothing is ever answered before its commit.
//!
//! The queue is bounded; when it is full, `submit` fails fast with
//! [`CommitError::Overloaded`] instead of queueing without end (the node
//! answers UNAVAILABLE and the client retries).

use std::sync::Arc;

use fengqiao_core::DomainError;
use tokio::sync::{mpsc, oneshot};
use tracing::{error, instrument};

use crate::{ItemResult, Outcome, Store, StoreError, Submission};

type Reply = oneshot::Sender<Result<ItemResult, Arc<StoreError>>>;

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
}

impl Default for CommitterConfig {
    fn default() -> Self {
        CommitterConfig {
            max_batch: 512,
            queue: 8192,
        }
    }
}

/// A handle to the writer task; cheap to clone. The task ends, after
/// answering everything queued, when the last handle is dropped.
#[derive(Debug, Clone)]
pub struct GroupCommitter {
    queue: mpsc::Sender<(Submission, Reply)>,
}

impl GroupCommitter {
    /// Starts the writer task on the current runtime.
    pub fn spawn(store: Arc<dyn Store>, config: CommitterConfig) -> Self {
        let (queue, receiver) = mpsc::channel(config.queue.max(1));
        tokio::spawn(write_loop(store, receiver, config.max_batch.max(1)));
        GroupCommitter { queue }
    }

    /// Applies one submission; returns once its transaction has committed.
    pub async fn submit(&self, submission: Submission) -> Result<Outcome, CommitError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .try_send((submission, reply))
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => CommitError::Overloaded,
                mpsc::error::TrySendError::Closed(_) => CommitError::Stopped,
            })?;
        match answer.await {
            Ok(Ok(result)) => result.map_err(CommitError::Refused),
            Ok(Err(store_error)) => Err(CommitError::Store(store_error)),
            Err(_) => Err(CommitError::Stopped),
        }
    }

    /// Submissions waiting for a transaction.
    pub fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }
}

async fn write_loop(
    store: Arc<dyn Store>,
    mut receiver: mpsc::Receiver<(Submission, Reply)>,
    max_batch: usize,
) {
    let mut jobs = Vec::with_capacity(max_batch);
    while receiver.recv_many(&mut jobs, max_batch).await > 0 {
        commit_batch(&*store, std::mem::take(&mut jobs)).await;
        jobs.reserve(max_batch);
    }
}

#[instrument(name = "store.group_commit", skip_all, fields(n = jobs.len()))]
async fn commit_batch(store: &dyn Store, jobs: Vec<(Submission, Reply)>) {
    let (submissions, replies): (Vec<Submission>, Vec<Reply>) = jobs.into_iter().unzip();
    match store.apply_reports(submissions).await {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                // A caller that went away (deadline, disconnect) no longer
                // needs its answer; its report is committed all the same and a
                // retry will be answered as a duplicate.
                let _ = reply.send(Ok(result));
            }
        }
        Err(store_error) => {
            error!(error = %store_error, "batch failed; nothing of it was stored");
            let shared = Arc::new(store_error);
            for reply in replies {
                let _ = reply.send(Err(Arc::clone(&shared)));
            }
        }
    }
}
