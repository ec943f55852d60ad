//! What the multi-node tests share: in-process nodes that stop and start
//! again on the same address and database, and a macro running a test on
//! both backends.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fengqiao_core::{Clock, SystemClock, UnitTree};
use fengqiao_node::{ForwarderConfig, Node, NodeConfig};
use fengqiao_proto::pb::node_service_client::NodeServiceClient;
use fengqiao_store::Backend;
use fengqiao_store::testing::TestDb;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::transport::Channel;

/// One in-process node that can be stopped and started again on the same
/// address and database.
pub struct Running {
    pub unit: &'static str,
    pub config: NodeConfig,
    /// The tree file this node reads; `None`: from its database, else from its parent.
    pub tree: Option<String>,
    pub db: TestDb,
    pub address: SocketAddr,
    /// The clock the node runs on.
    pub clock: Arc<dyn Clock>,
    /// The running node (for calling its functions directly).
    pub node: Option<Node>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub async fn start(
        csv: &str,
        unit: &'static str,
        backend: Backend,
        config: NodeConfig,
        address: Option<SocketAddr>,
    ) -> Running {
        Running::start_with_clock(csv, unit, backend, config, address, Arc::new(SystemClock)).await
    }

    /// [`Running::start`] on a given clock.
    pub async fn start_with_clock(
        csv: &str,
        unit: &'static str,
        backend: Backend,
        config: NodeConfig,
        address: Option<SocketAddr>,
        clock: Arc<dyn Clock>,
    ) -> Running {
        let db = TestDb::new(backend).await;
        let tree = config.parent.is_none().then(|| csv.to_owned());
        let mut running = Running {
            unit,
            config,
            tree,
            db,
            address: "127.0.0.1:0".parse().unwrap(),
            clock,
            node: None,
            stop: None,
            task: None,
        };
        running.serve(address).await;
        running
    }

    /// [`Running::start`] reading its own tree file although it has a parent
    /// (a district node under a city: above the summary boundary the parent
    /// holds no tree of the district's to send down).
    pub async fn start_own_tree(
        csv: &str,
        unit: &'static str,
        backend: Backend,
        config: NodeConfig,
    ) -> Running {
        let db = TestDb::new(backend).await;
        let mut running = Running {
            unit,
            config,
            tree: Some(csv.to_owned()),
            db,
            address: "127.0.0.1:0".parse().unwrap(),
            clock: Arc::new(SystemClock),
            node: None,
            stop: None,
            task: None,
        };
        running.serve(None).await;
        running
    }

    pub async fn serve(&mut self, address: Option<SocketAddr>) {
        let store = self.db.open().await.unwrap();
        let clock = Arc::clone(&self.clock);
        let node = match &self.tree {
            Some(csv) => {
                Node::start(self.config.clone(), &UnitTree::from_csv(csv).unwrap(), store, clock).await
            }
            None => match Node::start_from_store(self.config.clone(), Arc::clone(&store), clock.clone())
                .await
                .unwrap()
            {
                Some(node) => Ok(node),
                None => {
                    let parent = self.config.parent.as_deref().expect("a node without a tree has a parent");
                    let tree = fengqiao_node::downlink::fetch_tree(parent, self.unit, &self.config.transport)
                        .await
                        .unwrap();
                    Node::start(self.config.clone(), &tree, store, clock).await
                }
            },
        }
        .unwrap();
        self.node = Some(node.clone());
        let listener = bind(address.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap())).await;
        self.address = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        self.stop = Some(stop);
        self.task = Some(tokio::spawn(async move {
            fengqiao_node::serve(node, listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        }));
    }

    /// Signals shutdown without waiting for it (see `halt`).
    pub fn signal_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Stops serving and closes the node's database, as a process that
    /// exits does: the stopped node's own tasks (forwarder, committer) must
    /// not keep SQLite's write lock while the next one opens the same file.
    /// The stopped node stays in `node`, for its readiness to be read.
    pub async fn halt(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        if let Some(node) = &self.node {
            node.store().close().await;
        }
    }

    pub async fn restart(&mut self) {
        self.halt().await;
        self.serve(Some(self.address)).await;
    }

    /// The node's URL: `https://` under TLS, `http://` when insecure.
    pub fn url(&self) -> String {
        format!("{}://{}", self.config.transport.scheme(), self.address)
    }

    /// A channel to the node; under TLS it presents the node's own
    /// certificate.
    pub fn channel(&self) -> Channel {
        fengqiao_node::tls::connect_endpoint(&self.url(), &self.config.transport).unwrap().connect_lazy()
    }

    pub async fn client(&self) -> NodeServiceClient<Channel> {
        NodeServiceClient::new(self.channel())
    }
}

/// Binds, retrying while a just-closed listener still holds the port.
pub async fn bind(address: SocketAddr) -> TcpListener {
    for _ in 0..100 {
        if let Ok(listener) = TcpListener::bind(address).await {
            return listener;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cannot bind {address}");
}

/// Retries quickly, so tests don't wait on backoff.
pub fn fast() -> ForwarderConfig {
    ForwarderConfig { max_backoff: Duration::from_millis(200), ..ForwarderConfig::default() }
}

/// The status of a call that must fail with `code`.
#[track_caller]
pub fn expect_code<T: std::fmt::Debug>(result: Result<T, tonic::Status>, code: tonic::Code) -> tonic::Status {
    match result {
        Ok(value) => panic!("expected {code:?}, got OK: {value:?}"),
        Err(status) => {
            assert_eq!(
                status.code(),
                code,
                "expected {code:?}, got {:?}: {}",
                status.code(),
                status.message()
            );
            status
        }
    }
}

/// Polls `check` until it gives a value, at most `timeout` (then panics).
pub async fn poll<T, F, Fut>(timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "condition not met within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `PeriodSummary` of `unit` over `[from, to]` at `node`; panics naming
/// the call when refused.
pub async fn period_summary(
    node: &Running,
    unit: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> fengqiao_proto::pb::Summary {
    fengqiao_proto::pb::summary_service_client::SummaryServiceClient::new(node.channel())
        .period_summary(fengqiao_proto::pb::PeriodSummaryRequest {
            unit_id: unit.into(),
            from_date: from.to_string(),
            to_date: to.to_string(),
        })
        .await
        .unwrap_or_else(|status| panic!("{unit} {from}..{to} at {}: {status}", node.unit))
        .into_inner()
        .summary
        .unwrap()
}

/// A scorecard row's figures: unit, tally, case figures.
pub type Row = (String, Option<fengqiao_proto::pb::Tally>, Option<fengqiao_proto::pb::CaseFigures>);

/// What must be equal at the city and at the district: figures, not
/// freshness or when they were computed.
pub fn figures(
    s: &fengqiao_proto::pb::Summary,
) -> (Option<fengqiao_proto::pb::Tally>, Option<fengqiao_proto::pb::CaseFigures>, Vec<Row>) {
    let rows = s.children.iter().map(|r| (r.unit_id.clone(), r.tally.clone(), r.cases)).collect();
    (s.totals.clone(), s.cases, rows)
}
