//! [`Node`]: what the services share — the subtree, the store, the group
//! committer, the clock and the time policy — with its construction and the
//! core accessors.
//!
//! `Node`'s methods live here, except two groups kept with their concern
//! (each module's doc says so): authorization in [`crate::authz`]
//! (`authorize`, `authorize_rpc`, `authorize_caller`, `authorize_push`,
//! `unit_or_callers`) and the acting identity in [`crate::caller`]
//! (`actor`, `reporter`).

use fengqiao_core::why;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::coverage::Coverage;
use fengqiao_core::{Clock, DomainError, TimePolicy, Unit, UnitTree};

use fengqiao_store::Store;
use fengqiao_store::committer::GroupCommitter;

use crate::{
    ChildNodes, NodeConfig, NodeError, REPORTING_START_KEY, StartOrigin, audit, downlink, downlink_log,
    metrics, readiness, reconcile, resolve_reporting_start, tls,
};

/// The units below `served`'s root that have nodes of their own.
fn resolve_child_nodes(config: &NodeConfig, served: &UnitTree) -> Result<Vec<String>, NodeError> {
    let home = served.root_id().as_str();
    Ok(match &config.child_nodes {
        ChildNodes::None => Vec::new(),
        ChildNodes::AllChildren => served.children(home).iter().map(|u| u.id.to_string()).collect(),
        ChildNodes::Units(units) => {
            for unit in units {
                if unit == home || served.get(unit).is_none() {
                    return Err(DomainError::invalid(
                        "child_nodes",
                        why!(NOT_UNIT_BELOW, "{unit} is not a unit below {home}", unit = unit, home = home),
                    )
                    .into());
                }
            }
            units.clone()
        }
    })
}

impl TreeView {
    fn new(tree: UnitTree, child_nodes: Vec<String>, start: Option<NaiveDate>) -> Self {
        TreeView {
            coverage: Arc::new(Coverage::new(&tree).starting(start)),
            tree: Arc::new(tree),
            child_nodes,
        }
    }
}

/// Rebuilds the rollups from the stored reports when the tree's dated
/// closure or the time policy differs from the one they were built with
/// (a unit moved, a cut-off changed): they are kept with one, and figures
/// must never mix two.
async fn ensure_rollups(store: &dyn Store, tree: &UnitTree, policy: &TimePolicy) -> Result<(), NodeError> {
    let basis = fengqiao_store::rollup::basis(tree, policy);
    let stored = store.get_meta(fengqiao_store::rollup::BASIS_KEY).await?;
    if stored.as_deref() == Some(basis.as_str()) {
        return Ok(());
    }
    // Above the summary boundary the rollups are the child nodes' states,
    // not sums of reports held here: there is nothing to rebuild them from.
    let summary_fed =
        tree.get(tree.root_id().as_str()).is_some_and(|u| u.tier < fengqiao_core::Tier::District);
    if !summary_fed && (stored.is_some() || store.count_reports().await? > 0) {
        let started = std::time::Instant::now();
        let reports = store.rebuild_rollups(policy).await?;
        tracing::info!(
            reports,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "rollups rebuilt for a new tree or time policy"
        );
    }
    store.set_meta(fengqiao_store::rollup::BASIS_KEY, &basis).await?;
    Ok(())
}

/// Keeps reconciliation's digests for the subtrees this node compares —
/// its own (with its parent) and each child node's (with that child) — and
/// rebuilds them when those or the tree's dated closure changed.
async fn ensure_digests(store: &dyn Store, tree: &UnitTree, child_nodes: &[String]) -> Result<(), NodeError> {
    let mut roots = vec![tree.root_id().clone()];
    for child in child_nodes {
        roots.push(fengqiao_core::UnitId::parse(child)?);
    }
    let basis = fengqiao_store::digest::basis(tree, &roots);
    let started = std::time::Instant::now();
    if store.ensure_digests(&basis, &roots).await? {
        tracing::info!(
            roots = roots.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "reconciliation digests built for a new tree or set of child nodes"
        );
    }
    Ok(())
}

/// The `node_meta` key of the home unit's parent unit id.
const PARENT_UNIT_KEY: &str = "parent_unit";

/// How delivery to the parent stands, for `GetNodeStatus`.
#[derive(Debug, Clone, Default)]
pub struct ForwardState {
    pub last_forwarded_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Items acknowledged by the parent since start.
    pub forwarded: u64,
}

/// The state the services share.
#[derive(Debug, Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

/// The tree a node holds and the child nodes resolved against it; replaced
/// whole when a new tree arrives, read as a snapshot.
#[derive(Debug)]
pub(crate) struct TreeView {
    pub(crate) tree: Arc<UnitTree>,
    /// Who was expected to report when, for the summaries.
    coverage: Arc<Coverage>,
    /// Units with nodes of their own.
    pub(crate) child_nodes: Vec<String>,
}

#[derive(Debug)]
struct Inner {
    config: NodeConfig,
    view: std::sync::RwLock<Arc<TreeView>>,
    store: Arc<dyn Store>,
    committer: GroupCommitter,
    clock: Arc<dyn Clock>,
    forward_state: Mutex<ForwardState>,
    /// Signalled when the downlink log grows (subscribers wait on it).
    downlink_appended: Arc<tokio::sync::Notify>,
    /// Turns true when the node starts shutting down: open streams end, so
    /// a graceful shutdown does not wait on them for ever.
    stopping: tokio::sync::watch::Sender<bool>,
    /// Held while a case is read, decided and written here: one writer per
    /// node, so two leaders acting at once cannot both append event n.
    case_lock: tokio::sync::Mutex<()>,
    /// This node's Prometheus registry.
    metrics: Arc<metrics::Metrics>,
    /// Reconciliation: this instance's id, pending exchanges, runs asked of
    /// child nodes.
    reconciler: Arc<reconcile::Reconciler>,
    /// The newest sequence of this node's downlink log when it started:
    /// a child's cursor from an earlier instance resumes at most from here.
    downlink_start_head: i64,
    /// What `/readyz` answers, as health publishes it.
    readiness: readiness::Readiness,
    /// The weekly reports' approvals that stand here (the locks).
    weekly: crate::weekly::Book,
    /// The departments of the units this node serves (see [`crate::departments`]).
    departments: std::sync::RwLock<Arc<fengqiao_core::department::Departments>>,
    /// Above the summary boundary: summaries already read, by what they
    /// were read for, with the generation of the states they were read
    /// from (see [`Node::cached_summary`]).
    summaries: Mutex<SummaryCache>,
}

/// Summaries read at a node fed states, valid while no state arrives.
#[derive(Debug, Default)]
struct SummaryCache {
    /// Bumped by every commit of states (and of a new tree).
    generation: u64,
    entries: std::collections::HashMap<SummaryKey, fengqiao_core::read::Summary>,
}

/// What a summary was read for: the unit, the range, the week it names,
/// and the two moments that depend on the clock (the last due day and the
/// cases' as-of day), so a summary is never served past a cut-off.
pub(crate) type SummaryKey = (String, NaiveDate, NaiveDate, Option<String>, NaiveDate, NaiveDate);

/// Most summaries the cache holds; it starts afresh when full.
const SUMMARY_CACHE_ENTRIES: usize = 512;

impl Node {
    /// Prepares a node: restricts `tree` to the home unit's subtree, stores
    /// that subtree, and starts the group committer (so call it inside a Tokio
    /// runtime). With a parent, every accepted revision is queued for it; the
    /// forwarder runs while the node is served (see [`crate::serve`]).
    pub async fn start(
        mut config: NodeConfig,
        tree: &UnitTree,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Node, NodeError> {
        let served = tree.restricted_to(&config.home_unit).ok_or_else(|| {
            NodeError::Domain(DomainError::NotFound(why!(
                HOME_UNIT_NOT_IN_UNIT_TREE,
                "home unit {home_unit} is not in the unit tree",
                home_unit = config.home_unit
            )))
        })?;
        let child_nodes = resolve_child_nodes(&config, &served)?;
        config.ranking.check().map_err(|e| e.within("ranking"))?;
        if let Some(parent) = &config.parent {
            // A parent URL the transport cannot speak is a configuration
            // error now, not a forwarder retrying forever.
            tls::connect_endpoint(parent, &config.transport).map_err(|e| {
                DomainError::invalid("parent", why!(PARENT_URL_UNUSABLE, "{error}", error = e))
            })?;
        }
        let started = fengqiao_core::audit::AuditRecord::new(
            clock.now(),
            "node-internal:start",
            audit::rpc::START,
            format!("tree rooted at {} with {} units", config.home_unit, served.len()),
        );
        store.replace_units(&served, started).await?;
        ensure_rollups(&*store, &served, &config.time).await?;
        ensure_digests(&*store, &served, &child_nodes).await?;
        let downlink_start_head = store.downlink_head().await?;
        let weekly = crate::weekly::Book::load(&*store).await?;
        let departments = crate::departments::initial(&config, tree, &served, &*store).await?;
        config.reporting_start = match resolve_reporting_start(&*store, config.reporting_start).await? {
            Some((start, origin)) => {
                if origin != StartOrigin::Stored {
                    store.set_meta(REPORTING_START_KEY, &start.to_string()).await?;
                }
                if origin == StartOrigin::EarliestReport {
                    tracing::warn!(
                        %start,
                        "no reporting.start_date: reporting starts with the earliest report held; set it"
                    );
                }
                Some(start)
            }
            None => None,
        };
        config.committer.forward = config.parent.is_some();
        config.committer.policy = config.time;
        let start = config.reporting_start;
        let metrics = Arc::new(metrics::Metrics::new(&config.home_unit));
        let committer = GroupCommitter::spawn_observed(Arc::clone(&store), config.committer, {
            let metrics = Arc::clone(&metrics);
            Arc::new(move |elapsed, committed| metrics.batch_applied(elapsed, committed))
        });
        let node = Node {
            inner: Arc::new(Inner {
                config,
                view: std::sync::RwLock::new(Arc::new(TreeView::new(served, child_nodes, start))),
                store,
                committer,
                clock,
                forward_state: Mutex::new(ForwardState::default()),
                downlink_appended: Arc::new(tokio::sync::Notify::new()),
                stopping: tokio::sync::watch::Sender::new(false),
                case_lock: tokio::sync::Mutex::new(()),
                metrics,
                reconciler: Arc::default(),
                downlink_start_head,
                readiness: readiness::Readiness::default(),
                weekly,
                departments: std::sync::RwLock::new(Arc::new(departments)),
                summaries: Mutex::new(SummaryCache::default()),
            }),
        };
        if let Some(parent) = tree.get(&node.inner.config.home_unit).and_then(|u| u.parent.clone()) {
            node.set_parent_unit(&parent).await?;
        }
        node.publish_trees(&audit::Auditor::internal("start", audit::rpc::START)).await?;
        Ok(node)
    }

    /// Starts a node on the tree its database holds (a node restarting
    /// without a tree file).
    pub async fn start_from_store(
        config: NodeConfig,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Option<Node>, NodeError> {
        match store.load_units().await? {
            Some(tree) => Ok(Some(Node::start(config, &tree, store, clock).await?)),
            None => Ok(None),
        }
    }

    async fn ensure_rollups(&self, tree: &UnitTree) -> Result<(), NodeError> {
        ensure_rollups(&*self.inner.store, tree, &self.inner.config.time).await
    }

    /// Expected counts over the tree this node holds.
    pub fn coverage(&self) -> Arc<Coverage> {
        Arc::clone(&self.view().coverage)
    }

    pub(crate) fn view(&self) -> Arc<TreeView> {
        Arc::clone(&self.inner.view.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Replaces the tree this node holds (a snapshot from the parent, or the
    /// tree file read again): stores it, swaps it in for every later
    /// request, and passes each child node its part; `by` is who changed it.
    pub async fn replace_tree(&self, tree: UnitTree, by: &audit::Auditor) -> Result<(), NodeError> {
        let home = &self.inner.config.home_unit;
        if tree.root_id().as_str() != home {
            return Err(DomainError::invalid(
                "tree",
                why!(
                    TREE_ROOTED_ELSEWHERE,
                    "is rooted at {root}, not at {home}",
                    root = tree.root_id(),
                    home = home
                ),
            )
            .into());
        }
        let child_nodes = resolve_child_nodes(&self.inner.config, &tree)?;
        let target = format!("tree rooted at {} with {} units", tree.root_id(), tree.len());
        self.inner.store.replace_units(&tree, by.record(self, target)).await?;
        self.ensure_rollups(&tree).await?;
        ensure_digests(&*self.inner.store, &tree, &child_nodes).await?;
        *self.inner.view.write().unwrap_or_else(|p| p.into_inner()) =
            Arc::new(TreeView::new(tree, child_nodes, self.inner.config.reporting_start));
        self.summaries_changed();
        self.publish_trees(by).await
    }

    /// Appends a tree snapshot to the downlink log for every child node whose
    /// subtree differs from the last one sent to it.
    async fn publish_trees(&self, by: &audit::Auditor) -> Result<(), NodeError> {
        let view = self.view();
        for child in &view.child_nodes {
            let Some(subtree) = view.tree.restricted_to(child) else { continue };
            let fingerprint = downlink_log::tree_fingerprint(&subtree, &self.departments());
            let key = format!("tree_sent:{child}");
            if self.inner.store.get_meta(&key).await?.as_deref() == Some(fingerprint.as_str()) {
                continue;
            }
            downlink_log::send_tree(self, &subtree, self.inner.clock.now(), by).await?;
            self.inner.store.set_meta(&key, &fingerprint).await?;
        }
        Ok(())
    }

    pub fn config(&self) -> &NodeConfig {
        &self.inner.config
    }

    /// The subtree this node holds, rooted at its home unit (units served by
    /// child nodes included: their data arrives over the uplink).
    pub fn tree(&self) -> Arc<UnitTree> {
        Arc::clone(&self.view().tree)
    }

    /// The departments of the units this node serves, with their dates.
    pub fn departments(&self) -> Arc<fengqiao_core::department::Departments> {
        Arc::clone(&self.inner.departments.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Replaces the departments this node holds (from the parent's tree snapshot).
    pub(crate) fn set_departments(&self, departments: fengqiao_core::department::Departments) {
        *self.inner.departments.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(departments);
    }

    /// The weekly reports' approvals that stand here.
    pub fn weekly(&self) -> &crate::weekly::Book {
        &self.inner.weekly
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// This node's metrics (see [`metrics`]).
    pub fn metrics(&self) -> &Arc<metrics::Metrics> {
        &self.inner.metrics
    }

    /// The serving state the HTTP probes answer (`/readyz`).
    pub fn readiness(&self) -> &readiness::Readiness {
        &self.inner.readiness
    }

    /// Reconciliation's shared state (see [`reconcile`]).
    pub fn reconciler(&self) -> &Arc<reconcile::Reconciler> {
        &self.inner.reconciler
    }

    pub fn committer(&self) -> &GroupCommitter {
        &self.inner.committer
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Now, and today's date in the node's time zone.
    pub(crate) fn today(&self) -> (DateTime<Utc>, NaiveDate) {
        let now = self.clock().now();
        (now, self.config().time.local_date(now))
    }

    /// Whether this node sits above the summary boundary (its home unit is
    /// a city, a province or the nation): it holds its child nodes' rollup
    /// states, never a report or a case.
    pub fn summary_fed(&self) -> bool {
        self.tree().get(&self.config().home_unit).is_some_and(|u| u.tier < fengqiao_core::Tier::District)
    }

    /// What this node sends its parent, resolved by its home unit's tier.
    pub fn uplink_mode(&self) -> crate::UplinkMode {
        let tier = self.tree().get(&self.config().home_unit).map_or(fengqiao_core::Tier::Group, |u| u.tier);
        self.config().uplink.resolve(tier)
    }

    /// The units below with nodes of their own.
    pub fn child_nodes(&self) -> Vec<String> {
        self.view().child_nodes.clone()
    }

    pub fn forward_state(&self) -> ForwardState {
        self.inner.forward_state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn update_forward_state(&self, update: impl FnOnce(&mut ForwardState)) {
        update(&mut self.inner.forward_state.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// Tells long-lived streams to end (called when shutdown begins).
    pub fn begin_shutdown(&self) {
        self.inner.stopping.send_replace(true);
    }

    /// A receiver that turns true when shutdown begins.
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.inner.stopping.subscribe()
    }

    pub fn downlink_appended(&self) -> &Arc<tokio::sync::Notify> {
        &self.inner.downlink_appended
    }

    /// The newest sequence of this node's downlink log when it started.
    pub fn downlink_start_head(&self) -> i64 {
        self.inner.downlink_start_head
    }

    /// The last downlink sequence applied from the parent (0 before any).
    pub async fn downlink_cursor(&self) -> Result<u64, NodeError> {
        let stored = self.inner.store.get_meta(downlink::CURSOR_KEY).await?;
        Ok(stored.and_then(|value| value.parse().ok()).unwrap_or(0))
    }

    /// A unit in this node's subtree, or NOT_FOUND. Units outside the subtree
    /// are reported exactly like unknown ones.
    pub fn served_unit(&self, id: &str) -> Result<Unit, NodeError> {
        // Above the summary boundary the tree stops at the summary depth;
        // a unit below it (its id extends a district's, as official codes
        // do) is answered with the child node that holds its detail.
        if self.summary_fed() && self.view().tree.get(id).is_none() {
            let holder = self.child_nodes().into_iter().find(|child| id.starts_with(child.as_str()));
            if let Some(holder) = holder {
                return Err(DomainError::FailedPrecondition(why!(
                    BELOW_SUMMARY_DEPTH,
                    "unit {unit} lies below what this node holds (it is above the summary boundary): its figures are held by node {holder}",
                    unit = id,
                    holder = holder
                ))
                .into());
            }
        }
        self.view().tree.get(id).cloned().ok_or_else(|| {
            NodeError::Domain(DomainError::NotFound(why!(
                UNIT_NOT_SERVED_BY_THIS_NODE,
                "unit {unit} is not served by this node",
                unit = id
            )))
        })
    }

    /// Serialises case writes at this node.
    pub async fn case_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.case_lock.lock().await
    }

    /// The home unit's parent unit (the parent node's side of an escalation),
    /// learnt from the full tree or from the parent's tree snapshot.
    pub async fn parent_unit(&self) -> Result<Option<fengqiao_core::UnitId>, NodeError> {
        let stored = self.inner.store.get_meta(PARENT_UNIT_KEY).await?;
        Ok(stored.map(|id| fengqiao_core::UnitId::parse(&id)).transpose()?)
    }

    pub(crate) async fn set_parent_unit(&self, parent: &fengqiao_core::UnitId) -> Result<(), NodeError> {
        self.inner.store.set_meta(PARENT_UNIT_KEY, parent.as_str()).await?;
        Ok(())
    }

    /// Whether this node writes for `unit`: it serves it and no child node
    /// does.
    pub fn holds(&self, unit: &str) -> bool {
        self.view().tree.get(unit).is_some() && self.delegated_to(unit).is_none()
    }

    /// At a node above the summary boundary, what is read from reports
    /// (`what`: "reports", "completeness", …) is held by the district nodes
    /// below: FAILED_PRECONDITION naming the node that holds `unit`'s
    /// detail (or the child nodes, for a unit above them). Elsewhere, Ok.
    pub fn reports_held_here(&self, unit: &str, what: &str) -> Result<(), NodeError> {
        if !self.summary_fed() {
            return Ok(());
        }
        let nodes = match self.delegated_to(unit) {
            Some(node) => node,
            None => self.child_nodes().join(", "),
        };
        Err(DomainError::FailedPrecondition(why!(
            HELD_BELOW_SUMMARY_BOUNDARY,
            "this node is above the summary boundary and holds summaries only: the {what} of {unit} are held by the nodes below: {nodes}",
            what = what,
            unit = unit,
            nodes = nodes
        ))
        .into())
    }

    /// Above the summary boundary the figures change only when states
    /// arrive (or the tree does), and a national node's summary reads every
    /// case id and employer key of its range: a summary read once is kept
    /// until the next commit of states. Below the boundary nothing is
    /// cached (reports arrive all day).
    pub(crate) fn cached_summary(&self, key: &SummaryKey) -> Option<fengqiao_core::read::Summary> {
        if !self.summary_fed() {
            return None;
        }
        self.inner.summaries.lock().unwrap_or_else(|p| p.into_inner()).entries.get(key).cloned()
    }

    /// Keeps a summary read at generation `generation` (see
    /// [`Node::summary_generation`]), unless states arrived meanwhile.
    pub(crate) fn keep_summary(
        &self,
        key: SummaryKey,
        generation: u64,
        summary: &fengqiao_core::read::Summary,
    ) {
        if !self.summary_fed() {
            return;
        }
        let mut cache = self.inner.summaries.lock().unwrap_or_else(|p| p.into_inner());
        if cache.generation != generation {
            return;
        }
        if cache.entries.len() >= SUMMARY_CACHE_ENTRIES {
            cache.entries.clear();
        }
        cache.entries.insert(key, summary.clone());
    }

    /// The generation of the states summaries are read from.
    pub(crate) fn summary_generation(&self) -> u64 {
        self.inner.summaries.lock().unwrap_or_else(|p| p.into_inner()).generation
    }

    /// States (or a tree) were committed: every summary kept is stale.
    pub(crate) fn summaries_changed(&self) {
        let mut cache = self.inner.summaries.lock().unwrap_or_else(|p| p.into_inner());
        cache.generation += 1;
        cache.entries.clear();
    }

    /// The child node whose subtree holds `id`, if any.
    pub fn delegated_to(&self, id: &str) -> Option<String> {
        let view = self.view();
        view.child_nodes.iter().find(|child| view.tree.is_within(id, child)).cloned()
    }
}
