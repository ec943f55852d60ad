//! A fengqiao node: the gRPC services one process offers for its home unit
//! and every unit below it that has no node of its own.
//!
//! [`Node`] holds what the services share — the subtree, the store, the group
//! committer, the clock and the time policy; [`node`] defines it with its
//! methods, but for the authorization ones in [`authz`] and `actor` and
//! `reporter` in [`caller`]. The configuration is here. [`reporting`] and
//! [`units`] implement the v1 services reporters and administrators call;
//! [`uplink`] is what a parent offers its child nodes and [`forwarder`] is
//! the child's side of it (the transactional outbox drained upward,
//! exactly once);
//! [`status`] is the one place where errors become gRPC statuses; [`authz`]
//! checks the [`caller`] of every request before its handler does anything; and
//! [`server`] assembles the services with `grpc.health.v1` and server
//! reflection onto an already-bound listener, so tests bind `127.0.0.1:0`;
//! [`connections`] serves that listener's connections under the connection
//! limits of [`limits`] (slots, a reserve for callers with a certificate, a
//! deadline to the first request, idle connections reclaimed).
//! [`audit`] gives every change its record in the tamper-evident audit log,
//! which the store appends in the change's own transaction.
//! [`metrics`] is the node's Prometheus registry and its `/metrics` endpoint.
//! [`middleware`] is the one tower shell of the per-call layers (the limits,
//! the metrics).
//! [`tls`] is the transport — mTLS, with the caller's identity taken from
//! its verified certificate — and [`pki`] makes the deployment's CA and
//! certificates. [`propagation`] carries trace context across calls and,
//! item by item, through the outbox up the tiers. [`paging`] keeps every
//! answer within a bound in bytes. [`reconcile`] compares a child's subtree
//! with what its parent holds of it (anti-entropy) and sends again what the
//! parent lacks. [`cases`] is the case ledger's service and how cases move
//! between nodes; [`downlink`] delivers downward (the parent's event log
//! served to its children and the child's follower), and [`downlink_log`]
//! is that log's writer, through which `cases`, the notices and the tree
//! send down — so the sync code runs one way: `downlink`, `uplink` and
//! `forwarder` call into `cases`, which imports none of them; [`summary`] answers the weekly and period
//! summaries from the rollups, with [`figures`] adding the case figures,
//! the accountability assessment and the drill-down behind every figure;
//! [`node_status`] says what this node is and how delivery upward stands;
//! [`readiness`] is what the HTTP probes (`/healthz`, `/readyz`) answer.
//! [`web`] is the dashboard a node serves on its own address (`web.listen`):
//! axum pages whose every figure comes from calling these same services
//! in-process as the viewer (a client certificate, or a session opened by
//! a login link), so the browser sees what gRPC answers.

pub mod audit;
pub mod authz;
pub mod caller;
pub mod cases;
pub mod connections;
pub mod contacts;
pub mod departments;
pub mod downlink;
pub mod downlink_log;
pub mod figures;
pub mod forwarder;
pub mod limits;
pub mod metrics;
pub mod middleware;
pub mod node;
pub mod node_status;
pub mod paging;
pub mod pki;
pub mod propagation;
pub mod readiness;
pub mod reconcile;
pub mod reporting;
pub mod retention;
pub mod server;
pub mod status;
pub mod summary;
pub mod summary_uplink;
pub mod tls;
pub mod tracker;
pub mod units;
pub mod uplink;
pub mod web;
pub mod weekly;

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use fengqiao_core::TimePolicy;

use fengqiao_store::Store;
use fengqiao_store::committer::CommitterConfig;

pub use limits::Limits;
pub use metrics::{Metrics, serve_metrics};
pub use node::{ForwardState, Node};
pub use server::{ServeError, serve};
pub use status::NodeError;
pub use tls::{TlsMaterial, Transport};
pub use tracker::{PublicConfig, PublicTracker, serve_public};
pub use web::serve_web;

/// Which units below the home unit have nodes of their own.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ChildNodes {
    /// None: this node serves its whole subtree.
    #[default]
    None,
    /// Every direct child unit has its own node.
    AllChildren,
    /// These units (anywhere below the home unit) have their own nodes.
    Units(Vec<String>),
}

/// How the forwarder talks to the parent.
#[derive(Debug, Clone, Copy)]
pub struct ForwarderConfig {
    /// Most items per batch.
    pub max_items: u32,
    /// Most encoded bytes per batch.
    pub max_bytes: usize,
    /// First retry delay after a failure; doubles up to `max_backoff`.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// How long one push may take before it counts as failed.
    pub push_timeout: Duration,
    /// With nothing to forward, an empty push this often tells the parent
    /// how far this subtree has synced.
    pub heartbeat: Duration,
}

impl Default for ForwarderConfig {
    fn default() -> Self {
        ForwarderConfig {
            max_items: 500,
            max_bytes: 512 * 1024,
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(30),
            push_timeout: Duration::from_secs(30),
            heartbeat: Duration::from_secs(10),
        }
    }
}

/// Settings of a node.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The unit this node speaks for; it serves this unit's subtree.
    pub home_unit: String,
    /// The parent node's URL (`https://host:port` under TLS, `http://` when
    /// insecure); `None` at the root.
    pub parent: Option<String>,
    /// mTLS with the node's certificate, or plaintext on loopback.
    pub transport: Transport,
    /// Units below that have nodes of their own.
    pub child_nodes: ChildNodes,
    pub time: TimePolicy,
    /// The deployment's first day of reporting (`reporting.start_date`):
    /// reports dated before it are refused, direct and pushed, and nothing
    /// is expected before it. `None` here means: the day this node's
    /// database recorded, else the earliest report it holds, else no start
    /// (see [`resolve_reporting_start`]; `fengqiao node` refuses a new
    /// database without one).
    pub reporting_start: Option<NaiveDate>,
    /// How far another node's clock may run ahead of this one's
    /// (`time.max_clock_skew_secs`): a child node's pushed items may carry
    /// times up to this far in the future.
    pub max_clock_skew: Duration,
    pub committer: CommitterConfig,
    pub forwarder: ForwarderConfig,
    /// Message size, timeouts, concurrency, rate and connection limits.
    pub limits: Limits,
    pub cases: CaseConfig,
    /// The weights of the accountability assessment that ranks a
    /// scorecard's rows (see `fengqiao_core::assessment`).
    pub ranking: fengqiao_core::assessment::Weights,
    /// On shutdown, how long the node keeps serving while its health checks
    /// already answer NOT_SERVING, so that load balancers and readiness
    /// probes stop sending calls before it stops accepting them.
    pub drain_grace: Duration,
    /// How often the node runs its write probe (a committed write
    /// transaction); health answers NOT_SERVING while a probe fails or
    /// takes longer than this, and from any write that fails in the
    /// database until a later probe commits.
    pub database_check: Duration,
    /// Reconciliation with the parent (anti-entropy).
    pub reconcile: reconcile::ReconcileConfig,
    /// When weekly reports are due (`weekly.due`, default Monday 12:00
    /// after the week).
    pub weekly_due: fengqiao_core::weekly::DuePolicy,
    /// The public tracker's settings (`public.*`; see [`tracker`]).
    pub public: tracker::PublicConfig,
    /// The departments file (`node.departments`), when one is given; see
    /// [`departments`] for what a node holds without one.
    pub departments: Option<fengqiao_core::department::Departments>,
    /// What goes up to the parent (`uplink.mode`, `uplink.summary_depth`).
    pub uplink: UplinkMode,
    /// Months a report revision keeps its free text
    /// (`storage.raw_text_months`); `None`: for ever. See [`retention`].
    pub raw_text_months: Option<u32>,
}

/// What a node sends its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UplinkMode {
    /// By the home unit's tier: summaries from a district or above (the
    /// summary boundary sits above the district), reports below.
    #[default]
    Auto,
    /// Every report revision and case event (below the boundary).
    Reports,
    /// Rollup states only (`RollupState`): the home unit's and its
    /// descendants' down to `depth` tiers below it; no report, no case text.
    Summaries { depth: u8 },
}

/// The default `uplink.summary_depth`: a district sends its own and its
/// townships' states.
pub const DEFAULT_SUMMARY_DEPTH: u8 = 1;

impl UplinkMode {
    /// The mode for a node whose home unit is of `tier`.
    pub fn resolve(self, tier: fengqiao_core::Tier) -> UplinkMode {
        match self {
            UplinkMode::Auto if tier <= fengqiao_core::Tier::District => {
                UplinkMode::Summaries { depth: DEFAULT_SUMMARY_DEPTH }
            }
            UplinkMode::Auto => UplinkMode::Reports,
            other => other,
        }
    }
}

/// The case ledger's settings; every node of a deployment shares them.
#[derive(Clone)]
pub struct CaseConfig {
    pub deadlines: fengqiao_core::case::DeadlinePolicy,
    /// The HMAC key of `petitioner_ref`. Every node of a deployment must
    /// hold the same one, or repeat petitions go unnoticed across units.
    pub petitioner_secret: Arc<[u8]>,
    /// How often the node looks for cases to escalate automatically.
    pub tick: Duration,
}

/// The key `fengqiao demo` and tests use when none is configured.
pub const DEVELOPMENT_SECRET: &[u8] = b"fengqiao development petitioner secret; never use in production";

impl Default for CaseConfig {
    fn default() -> Self {
        CaseConfig {
            deadlines: fengqiao_core::case::DeadlinePolicy::default(),
            petitioner_secret: Arc::from(DEVELOPMENT_SECRET),
            tick: Duration::from_secs(60),
        }
    }
}

impl std::fmt::Debug for CaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaseConfig")
            .field("deadlines", &self.deadlines)
            .field("petitioner_secret", &"<redacted>")
            .field("tick", &self.tick)
            .finish()
    }
}

impl NodeConfig {
    pub fn new(home_unit: impl Into<String>) -> Self {
        NodeConfig {
            home_unit: home_unit.into(),
            parent: None,
            transport: Transport::Insecure,
            child_nodes: ChildNodes::None,
            time: TimePolicy::default(),
            reporting_start: None,
            max_clock_skew: DEFAULT_MAX_CLOCK_SKEW,
            committer: CommitterConfig::default(),
            forwarder: ForwarderConfig::default(),
            limits: Limits::default(),
            cases: CaseConfig::default(),
            ranking: fengqiao_core::assessment::Weights::default(),
            drain_grace: Duration::ZERO,
            database_check: Duration::from_secs(5),
            reconcile: reconcile::ReconcileConfig::default(),
            weekly_due: fengqiao_core::weekly::DuePolicy::default(),
            public: tracker::PublicConfig::default(),
            departments: None,
            uplink: UplinkMode::Auto,
            raw_text_months: None,
        }
    }
}

/// The default of [`NodeConfig::max_clock_skew`]: five minutes.
pub const DEFAULT_MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);

/// The `node_meta` key of the first day of reporting this node runs with.
pub const REPORTING_START_KEY: &str = "reporting_start_date";

/// Where a node's first day of reporting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartOrigin {
    /// `reporting.start_date` in the configuration.
    Configured,
    /// Recorded in the database by an earlier start.
    Stored,
    /// Not configured on a database that already held reports: the day of
    /// the earliest one, so that nothing held is refused or hidden.
    EarliestReport,
}

/// The first day of reporting a node on `store` runs with: the configured
/// one; else the one its database recorded at an earlier start; else, on a
/// database that already holds reports (an upgrade from a version without
/// a start), the earliest report's day. `None` for a new database without a
/// configured start.
pub async fn resolve_reporting_start(
    store: &dyn Store,
    configured: Option<NaiveDate>,
) -> Result<Option<(NaiveDate, StartOrigin)>, NodeError> {
    if let Some(start) = configured {
        return Ok(Some((start, StartOrigin::Configured)));
    }
    if let Some(stored) = store.get_meta(REPORTING_START_KEY).await? {
        let start = fengqiao_core::time::parse_date(&stored, REPORTING_START_KEY)
            .map_err(|e| fengqiao_store::StoreError::Corrupt(e.to_string()))?;
        return Ok(Some((start, StartOrigin::Stored)));
    }
    Ok(store.report_extent().await?.map(|(first, _)| (first, StartOrigin::EarliestReport)))
}
