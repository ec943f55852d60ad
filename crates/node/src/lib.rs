//! A fengqiao node: the gRPC services one process offers for its home unit
//! and every unit below it that has no node of its own.
//!
//! [`Node`] holds what the services share — the served subtree, the store, the
//! group committer, the clock and the time policy. [`reporting`] and
//! [`units`] implement the v1 services as thin adapters (convert, call, convert
//! back); [`status`] is the one place where errors become gRPC statuses; and
//! [`server`] assembles the services with `grpc.health.v1` and server
//! reflection onto an already-bound listener, so tests bind `127.0.0.1:0`.

pub mod reporting;
pub mod server;
pub mod status;
pub mod units;

use std::sync::Arc;

use fengqiao_core::{Clock, DomainError, TimePolicy, Unit, UnitTree};
use fengqiao_store::Store;
use fengqiao_store::committer::{CommitterConfig, GroupCommitter};

pub use server::{ServeError, serve};
pub use status::NodeError;

/// Settings of a node.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The unit this node speaks for; it serves this unit's subtree.
    pub home_unit: String,
    pub time: TimePolicy,
    pub committer: CommitterConfig,
    /// Largest gRPC message accepted, in bytes.
    pub max_message_bytes: usize,
}

impl NodeConfig {
    pub fn new(home_unit: impl Into<String>) -> Self {
        NodeConfig {
            home_unit: home_unit.into(),
            time: TimePolicy::default(),
            committer: CommitterConfig::default(),
            max_message_bytes: 1024 * 1024,
        }
    }
}

/// The state the services share.
#[derive(Debug, Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: NodeConfig,
    tree: UnitTree,
    store: Arc<dyn Store>,
    committer: GroupCommitter,
    clock: Arc<dyn Clock>,
}

impl Node {
    /// Prepares a node: restricts `tree` to the home unit's subtree, stores
    /// that subtree, and starts the group committer (so call it inside a Tokio
    /// runtime).
    pub async fn start(
        config: NodeConfig,
        tree: &UnitTree,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Node, NodeError> {
        let served = tree.restricted_to(&config.home_unit).ok_or_else(|| {
            NodeError::Domain(DomainError::NotFound(format!(
                "home unit {} is not in the unit tree",
                config.home_unit
            )))
        })?;
        store.replace_units(&served).await?;
        let committer = GroupCommitter::spawn(Arc::clone(&store), config.committer);
        Ok(Node { inner: Arc::new(Inner { config, tree: served, store, committer, clock }) })
    }

    pub fn config(&self) -> &NodeConfig {
        &self.inner.config
    }

    /// The subtree this node serves, rooted at its home unit.
    pub fn tree(&self) -> &UnitTree {
        &self.inner.tree
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    pub fn committer(&self) -> &GroupCommitter {
        &self.inner.committer
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// A unit this node serves, or NOT_FOUND. Units outside the subtree are
    /// reported exactly like unknown ones.
    pub fn served_unit(&self, id: &str) -> Result<&Unit, NodeError> {
        self.inner.tree.get(id).ok_or_else(|| {
            NodeError::Domain(DomainError::NotFound(format!("unit {id} is not served by this node")))
        })
    }
}
