//! The retention policy of raw text (`storage.raw_text_months`): once a day
//! the node removes the free text of report revisions older than the
//! configured number of months (see [`fengqiao_store::retention`] for what
//! goes and what stays). Without a setting (the default) text is kept for
//! ever and the task does nothing.

use std::time::Duration;

use fengqiao_core::audit::AuditRecord;
use fengqiao_store::retention::{self, Purged};
use tracing::{info, warn};

use crate::audit::rpc;
use crate::{Node, NodeError};

/// How often the node runs the policy.
pub const EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// Runs the policy once, now: purges the text of revisions dated before
/// `raw_text_months` months before today (local date); nothing without a
/// setting.
pub async fn purge_now(node: &Node) -> Result<Purged, NodeError> {
    let months = node.config().raw_text_months;
    let (now, today) = node.today();
    let target = match months {
        Some(months) => format!("report text before {}", retention::cutoff(today, months)),
        None => String::new(),
    };
    let audit = AuditRecord::new(now, "node-internal:retention", rpc::RETENTION, target);
    let purged = retention::run(node.store().as_ref(), months, today, now, audit).await?;
    if purged.revisions > 0 {
        info!(
            revisions = purged.revisions,
            texts_removed = purged.texts_removed,
            "raw report text past its retention removed"
        );
    }
    Ok(purged)
}

/// Runs [`purge_now`] at start and then daily until the task is aborted
/// (a run interrupted is finished by the next: each page commits alone).
pub async fn run(node: Node) {
    if node.config().raw_text_months.is_none() {
        return;
    }
    loop {
        if let Err(error) = purge_now(&node).await {
            warn!(%error, "retention of raw text failed; retrying tomorrow");
        }
        tokio::time::sleep(EVERY).await;
    }
}
