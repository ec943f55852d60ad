//! Harness for end-to-end scenarios across real `fengqiao` processes.
//!
//! - [`NodeProcess`] starts the binary, on a loopback port it picks itself the
//!   first time, learns the address from the node's first line of output, can
//!   be killed with SIGKILL (`kill -9`) or stopped with SIGTERM, and comes back
//!   on the same database and the same address (a child's `--parent` URL is
//!   fixed at start, so a parent must return where it was).
//! - [`TestNetwork`] starts a tree of nodes (district → township → community …),
//!   each on its own database, wired parent ↔ child, parents first; in
//!   plaintext, or over mTLS with a deployment CA of its own
//!   ([`TestNetworkBuilder::tls`], [`TestNetwork::person`] for people's
//!   certificates).
//! - [`LinkProxy`] sits on one link (child → parent) and can cut it (the ends
//!   notice), blackhole it (they do not) and heal it.
//! - [`NodeClient`] reads a node (reports, status) and pushes uplink batches;
//!   [`poll_until`] and [`TestNetwork::wait_for`] await a condition by polling.
//! - [`TestNetwork::backup`] and [`TestNetwork::restore`] back a node's
//!   database up and put it back as docs/OPERATIONS.md says (SQLite `VACUUM
//!   INTO`, PostgreSQL `pg_dump -Fc` / `pg_restore` into an empty schema); [`fengqiao`]
//!   runs the command line.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use fengqiao_core::UnitTree;
use fengqiao_proto::pb::node_service_client::NodeServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::uplink_service_client::UplinkServiceClient;
use fengqiao_proto::pb::{
    GetDailyReportRequest, GetDailyReportResponse, GetNodeStatusRequest, GetNodeStatusResponse,
    ListDailyReportsRequest, StoredDailyReport,
};
use fengqiao_store::Backend;
use fengqiao_store::testing::TestDb;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::task::{AbortHandle, JoinHandle};
use tonic::transport::Channel;
use tonic::{Code, Status};

/// The `fengqiao` binary built for this test run.
pub fn fengqiao_binary() -> PathBuf {
    if let Ok(path) = std::env::var("FENGQIAO_BIN") {
        return PathBuf::from(path);
    }
    // target/<profile>/deps/<test> → target/<profile>/fengqiao
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    let binary = profile_dir.join("fengqiao");
    assert!(
        binary.exists(),
        "{} is missing: build it first with `cargo build -p fengqiao` (or set FENGQIAO_BIN)",
        binary.display()
    );
    binary
}

/// Today in the deployment's zone (Asia/Shanghai, UTC+8 all year): a node
/// refuses reports dated after its today.
pub fn shanghai_today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// Yesterday in Asia/Shanghai: a date no node can take for the future, even
/// if the test's clock and the node's differ a little.
pub fn shanghai_yesterday() -> NaiveDate {
    shanghai_today() - Days::new(1)
}

/// The first day of reporting the test networks' nodes go live with
/// (`--start-date`, required for a new database): early enough for any
/// date the tests report for.
pub const START_DATE: &str = "2020-01-01";

/// A zero report (a correction with a reason when `revision` > 1).
pub fn zero_report(unit: &str, date: &str, revision: u32) -> fengqiao_proto::pb::DailyReport {
    fengqiao_proto::pb::DailyReport {
        unit_id: unit.to_owned(),
        date: date.to_owned(),
        revision,
        reporter: "officer".into(),
        zero: true,
        disputes: vec![],
        correction_reason: if revision > 1 { format!("recount {revision}") } else { String::new() },
    }
}

/// A tree file for tests: district → one township → one community → `groups`
/// groups, all reporting, always active
/// ([`fengqiao_store::testing::trees::one_community`]).
pub fn small_tree_csv(groups: usize) -> String {
    fengqiao_store::testing::trees::one_community(groups)
}

/// Groups below each community of [`network_tree_csv`].
pub const NETWORK_GROUPS: usize = 20;

/// The communities of [`network_tree_csv`], each with [`NETWORK_GROUPS`] groups.
pub const NETWORK_COMMUNITIES: [&str; 3] = ["410411001001", "410411001002", "410411002001"];

/// A tree file for network tests: district 410411 → townships 410411001 (two
/// communities, 410411001001 and 410411001002) and 410411002 (one community,
/// 410411002001) → [`NETWORK_GROUPS`] groups per community, all reporting,
/// always active.
pub fn network_tree_csv() -> String {
    let mut csv = String::from(
        "code,parent_code,tier,name\n410411,,district,湛河区\n\
         410411001,410411,township,马庄街道\n410411002,410411,township,姚孟街道\n\
         410411001001,410411001,community,电力社区\n410411001002,410411001,community,马庄社区\n\
         410411002001,410411002,community,姚孟社区\n",
    );
    for community in NETWORK_COMMUNITIES {
        for group in groups_of(community) {
            let number = &group[community.len()..];
            csv.push_str(&format!("{group},{community},group,{number}号楼\n"));
        }
    }
    csv
}

/// The groups of a community of [`network_tree_csv`].
pub fn groups_of(community: &str) -> Vec<String> {
    (1..=NETWORK_GROUPS).map(|group| format!("{community}{group:03}")).collect()
}

/// A certificate, its key and the deployment CA, as files: what
/// `--ca --cert --key` name.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// `--ca CA --cert CERT --key KEY`.
    pub fn args(&self) -> Vec<String> {
        [("--ca", &self.ca), ("--cert", &self.cert), ("--key", &self.key)]
            .into_iter()
            .flat_map(|(flag, path)| [flag.to_owned(), path.display().to_string()])
            .collect()
    }

    /// The client transport presenting this certificate.
    pub fn transport(&self) -> fengqiao_node::Transport {
        let material =
            fengqiao_node::TlsMaterial::load(&self.ca, &self.cert, &self.key).expect("TLS files load");
        fengqiao_node::Transport::Tls(Arc::new(material))
    }
}

/// How a node process is started beyond its unit, tree and database.
#[derive(Debug, Clone, Default)]
pub struct NodeOptions {
    /// Where to listen; a free loopback port (`127.0.0.1:0`) when `None`.
    pub listen: Option<String>,
    /// `--parent URL`.
    pub parent: Option<String>,
    /// `--child-nodes UNIT,UNIT…` (omitted when empty).
    pub child_nodes: Vec<String>,
    /// More arguments for `fengqiao node` (e.g. key files).
    pub extra_args: Vec<String>,
    /// `RUST_LOG` of the process (`warn` when `None`).
    pub rust_log: Option<String>,
    /// A file every line the process writes (stdout and stderr) is appended
    /// to, across restarts; only the last lines are kept otherwise.
    pub log_file: Option<PathBuf>,
    /// `--rate-limit N` (the node's default when `None`): a test whose
    /// concurrent clients all call from 127.0.0.1 share one caller's budget.
    pub rate_limit: Option<u32>,
    /// Serve Prometheus metrics on a free loopback port (`--metrics-listen`),
    /// kept across restarts; read them with [`NodeProcess::scrape_metrics`].
    pub metrics: bool,
    /// Serve over mTLS with this certificate (else `--insecure`).
    pub tls: Option<TlsFiles>,
}

/// A loopback address with a port free at the time of asking.
fn free_loopback_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").to_string()
}

/// Lines of a node's stderr kept for failure messages.
const LOG_LINES: usize = 200;

/// A `fengqiao node` process.
#[derive(Debug)]
pub struct NodeProcess {
    /// `None` while the node is down (killed or stopped).
    child: Option<Child>,
    /// `host:port` it listens on; kept across restarts.
    pub address: String,
    unit: String,
    tree: PathBuf,
    db: String,
    options: NodeOptions,
    /// The last lines the node wrote to stderr, across restarts.
    log: Arc<Mutex<VecDeque<String>>>,
    /// `host:port` of the metrics endpoint, when `options.metrics`.
    metrics_address: Option<String>,
}

impl NodeProcess {
    /// Starts `fengqiao node` for `unit` on a free loopback port and waits
    /// until it serves.
    pub async fn start(unit: &str, tree: &Path, db: &str) -> NodeProcess {
        NodeProcess::start_with(unit, tree, db, NodeOptions::default()).await
    }

    /// Starts `fengqiao node` with `options` and waits until it serves.
    pub async fn start_with(unit: &str, tree: &Path, db: &str, options: NodeOptions) -> NodeProcess {
        let mut node = NodeProcess {
            child: None,
            address: options.listen.clone().unwrap_or_else(|| "127.0.0.1:0".to_owned()),
            unit: unit.to_owned(),
            tree: tree.to_owned(),
            db: db.to_owned(),
            metrics_address: options.metrics.then(free_loopback_address),
            options,
            log: Arc::default(),
        };
        node.launch().await;
        node
    }

    /// Spawns the process on `self.address` and waits for its first line;
    /// on a fixed port that is briefly taken (a restart), tries again for up
    /// to 15 seconds.
    async fn launch(&mut self) {
        assert!(self.child.is_none(), "node {} is already running", self.unit);
        let fixed_port = !self.address.ends_with(":0");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let error = match self.spawn_once().await {
                Ok((child, address)) => {
                    self.child = Some(child);
                    self.address = address;
                    return;
                }
                Err(error) => error,
            };
            assert!(
                fixed_port && Instant::now() < deadline,
                "node {} did not start on {}: {error}",
                self.unit,
                self.address
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn spawn_once(&self) -> Result<(Child, String), String> {
        let mut command = Command::new(fengqiao_binary());
        command.args(["node", "--unit", &self.unit, "--listen", &self.address, "--db", &self.db]);
        match &self.options.tls {
            Some(tls) => command.args(tls.args()),
            None => command.arg("--insecure"),
        };
        command.arg("--tree").arg(&self.tree);
        if !self.options.extra_args.iter().any(|arg| arg == "--start-date") {
            command.args(["--start-date", START_DATE]);
        }
        if let Some(parent) = &self.options.parent {
            command.args(["--parent", parent]);
        }
        if !self.options.child_nodes.is_empty() {
            command.args(["--child-nodes", &self.options.child_nodes.join(",")]);
        }
        command.args(&self.options.extra_args);
        if let Some(metrics) = &self.metrics_address {
            command.args(["--metrics-listen", metrics]);
        }
        if let Some(rate) = self.options.rate_limit {
            command.args(["--rate-limit", &rate.to_string()]);
        }
        // Only what the test says: nothing from the environment.
        for variable in [
            "FENGQIAO_PARENT",
            "FENGQIAO_CHILD_NODES",
            "FENGQIAO_TIME_ZONE",
            "FENGQIAO_CUTOFF",
            "FENGQIAO_CA",
            "FENGQIAO_CERT",
            "FENGQIAO_KEY",
            "FENGQIAO_RATE_LIMIT",
            "FENGQIAO_CONFIG",
        ] {
            command.env_remove(variable);
        }
        for (variable, _) in std::env::vars_os() {
            if variable.to_string_lossy().starts_with("FENGQIAO__") {
                command.env_remove(variable);
            }
        }
        let mut child = command
            .env("RUST_LOG", self.options.rust_log.as_deref().unwrap_or("warn"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| format!("cannot run {}: {error}", fengqiao_binary().display()))?;
        let echo = std::env::var_os("TEST_LOG").is_some().then(|| self.unit.clone());
        let log_file = self.options.log_file.clone();
        drain_lines(
            child.stderr.take().expect("piped stderr"),
            Arc::clone(&self.log),
            echo,
            log_file.clone(),
        );
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let first = match tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await {
            Ok(Ok(Some(line))) => line,
            Ok(_) => {
                let status = child.wait().await.map(|s| s.to_string()).unwrap_or_default();
                // Let the stderr reader catch up before quoting it.
                tokio::time::sleep(Duration::from_millis(50)).await;
                return Err(format!("exited ({status}) before serving; log:\n{}", self.log_tail(20)));
            }
            Err(_) => {
                let _ = child.kill().await;
                return Err("no address announced within a minute".to_owned());
            }
        };
        append_line(log_file.as_deref(), &first);
        // Keep reading stdout so the node never writes into a closed pipe.
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                append_line(log_file.as_deref(), &line);
            }
        });
        // "fengqiao node U serving N units on ADDRESS (database …)"
        let address = first
            .split(" on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .ok_or_else(|| format!("unexpected first line {first:?}"))?
            .to_owned();
        Ok((child, address))
    }

    pub fn unit(&self) -> &str {
        &self.unit
    }

    /// `GET /metrics` of the running node (`options.metrics`): the body.
    pub async fn scrape_metrics(&self) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let address = self.metrics_address.as_deref().expect("the node was started with metrics");
        let mut stream = TcpStream::connect(address).await.expect("the metrics endpoint accepts");
        let request = format!("GET /metrics HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("request sent");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.expect("response read");
        let response = String::from_utf8(response).expect("the metrics are UTF-8");
        let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(head.starts_with("HTTP/1.1 200"), "metrics of {}: {head}", self.unit);
        assert!(!head.to_ascii_lowercase().contains("transfer-encoding: chunked"), "a plain body: {head}");
        body.to_owned()
    }

    pub fn options(&self) -> &NodeOptions {
        &self.options
    }

    /// The options the next start uses (e.g. other key files after a stop).
    pub fn options_mut(&mut self) -> &mut NodeOptions {
        &mut self.options
    }

    /// Whether the process is up (started and not killed or stopped).
    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// `kill -9`: no shutdown, no flush. Waits until the process is gone.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("SIGKILL delivered");
        }
    }

    /// Waits, at most `within`, for the running process to end by itself;
    /// its exit status (`None`: still running, or not started).
    pub async fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let child = self.child.as_mut()?;
        let status = tokio::time::timeout(within, child.wait()).await.ok()?.ok()?;
        self.child = None;
        Some(status)
    }

    /// SIGTERM: the node stops accepting, finishes calls in flight and exits.
    /// Waits until the process is gone; panics (after SIGKILL) if it takes
    /// more than 10 seconds.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        if let Some(pid) = child.id() {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await;
        }
        if tokio::time::timeout(Duration::from_secs(10), child.wait()).await.is_err() {
            let _ = child.kill().await;
            panic!("node {} did not stop within 10 s of SIGTERM; killed it", self.unit);
        }
    }

    /// Starts a node that is down again, on the same database and address.
    pub async fn start_again(&mut self) {
        self.launch().await;
    }

    /// Kills the node if it runs, then starts it again on the same database
    /// and the same address.
    pub async fn restart(&mut self) {
        self.kill().await;
        self.launch().await;
    }

    pub fn url(&self) -> String {
        let scheme = if self.options.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.address)
    }

    /// A connected reporting client.
    pub async fn reporting(&self) -> ReportingServiceClient<Channel> {
        let channel = Channel::from_shared(self.url()).expect("url").connect().await.expect("node reachable");
        ReportingServiceClient::new(channel)
    }

    /// A client that connects when first used (and reconnects after a
    /// restart); over mTLS it presents the node's own certificate.
    pub fn client(&self) -> NodeClient {
        match &self.options.tls {
            Some(tls) => NodeClient::with_transport(&self.url(), &tls.transport()),
            None => NodeClient::new(&self.url()),
        }
    }

    /// The last `lines` lines the node wrote to stderr.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        let skip = log.len().saturating_sub(lines);
        log.iter().skip(skip).fold(String::new(), |mut out, line| {
            let _ = writeln!(out, "    {line}");
            out
        })
    }
}

/// Appends a line to the log file, if any.
fn append_line(file: Option<&Path>, line: &str) {
    use std::io::Write as _;
    let Some(path) = file else { return };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|error| panic!("cannot open the log file {}: {error}", path.display()));
    writeln!(file, "{line}").unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
}

/// Reads `stream` line by line into `log` (bounded) and `file` (whole),
/// echoing with a prefix.
fn drain_lines(
    stream: impl AsyncRead + Unpin + Send + 'static,
    log: Arc<Mutex<VecDeque<String>>>,
    echo: Option<String>,
    file: Option<PathBuf>,
) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            append_line(file.as_deref(), &line);
            if let Some(unit) = &echo {
                eprintln!("[{unit}] {line}");
            }
            let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
            if log.len() == LOG_LINES {
                log.pop_front();
            }
            log.push_back(line);
        }
    });
}

/// A node's report key: (unit id, date `YYYY-MM-DD`).
pub type ReportKey = (String, String);

/// A client of one node over a lazily connected channel: usable while the
/// node is down (calls fail) and again after it comes back.
#[derive(Debug, Clone)]
pub struct NodeClient {
    channel: Channel,
}

impl NodeClient {
    /// Each call times out after 10 seconds.
    pub fn new(url: &str) -> NodeClient {
        NodeClient::with_transport(url, &fengqiao_node::Transport::Insecure)
    }

    /// [`NodeClient::new`] over `transport` (mTLS to an `https://` node).
    pub fn with_transport(url: &str, transport: &fengqiao_node::Transport) -> NodeClient {
        let channel = fengqiao_node::tls::connect_endpoint(url, transport)
            .expect("node url")
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(10))
            .tcp_nodelay(true)
            .connect_lazy();
        NodeClient { channel }
    }

    pub fn reporting(&self) -> ReportingServiceClient<Channel> {
        ReportingServiceClient::new(self.channel.clone())
    }

    pub fn uplink(&self) -> UplinkServiceClient<Channel> {
        UplinkServiceClient::new(self.channel.clone())
    }

    pub fn node_service(&self) -> NodeServiceClient<Channel> {
        NodeServiceClient::new(self.channel.clone())
    }

    /// `GetNodeStatus`.
    pub async fn status(&self) -> Result<GetNodeStatusResponse, Status> {
        Ok(self.node_service().get_node_status(GetNodeStatusRequest {}).await?.into_inner())
    }

    /// The outbox depth (`GetNodeStatus`).
    pub async fn outbox_depth(&self) -> Result<u64, Status> {
        Ok(self.status().await?.outbox_depth)
    }

    /// `GetDailyReport` of the current revision with its history; `None`
    /// when the node has no such report.
    pub async fn get(&self, unit: &str, date: &str) -> Result<Option<GetDailyReportResponse>, Status> {
        let request = GetDailyReportRequest {
            unit_id: unit.to_owned(),
            date: date.to_owned(),
            revision: 0,
            ..Default::default()
        };
        match self.reporting().get_daily_report(request).await {
            Ok(response) => Ok(Some(response.into_inner())),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(status),
        }
    }

    /// The stored revision of a report, `None` when the node has none.
    pub async fn revision(&self, unit: &str, date: &str) -> Result<Option<u32>, Status> {
        Ok(self.get(unit, date).await?.and_then(|r| r.report).and_then(|r| r.report).map(|r| r.revision))
    }

    /// Every report in `root`'s subtree from `from` to `to` (all pages).
    pub async fn list(
        &self,
        root: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StoredDailyReport>, Status> {
        let mut reporting = self.reporting();
        let mut reports = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = reporting
                .list_daily_reports(ListDailyReportsRequest {
                    unit_id: root.to_owned(),
                    from_date: from.to_string(),
                    to_date: to.to_string(),
                    page_size: 1000,
                    page_token,
                })
                .await?
                .into_inner();
            reports.extend(page.reports);
            if page.next_page_token.is_empty() {
                return Ok(reports);
            }
            page_token = page.next_page_token;
        }
    }

    /// The current revision of every report in `root`'s subtree from `from`
    /// to `to`, by (unit, date).
    pub async fn heads(
        &self,
        root: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BTreeMap<ReportKey, u32>, Status> {
        let mut heads = BTreeMap::new();
        for stored in self.list(root, from, to).await? {
            let report = stored.report.ok_or_else(|| Status::internal("a listed report without report"))?;
            if heads.insert((report.unit_id.clone(), report.date.clone()), report.revision).is_some() {
                return Err(Status::internal(format!("{}@{} listed twice", report.unit_id, report.date)));
            }
        }
        Ok(heads)
    }
}

/// Polls `condition` every 50 ms until it holds; panics after `timeout` with
/// `what`. Returns how long it took.
pub async fn poll_until<F, Fut>(what: &str, timeout: Duration, mut condition: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if condition().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A TCP proxy on one loopback link: listens on `127.0.0.1:0` and forwards
/// every connection to the target.
///
/// - [`LinkProxy::cut`]: a partition the endpoints notice — the connections it
///   carries are dropped and new ones refused (accepted and closed at once, so
///   a client fails fast instead of waiting out a timeout);
/// - [`LinkProxy::blackhole`]: a silent one — the connections it carries
///   freeze (bytes are swallowed, nothing is closed, for good, like state a
///   middlebox lost) and new ones are accepted and never answered;
/// - [`LinkProxy::heal`]: new connections are carried again.
#[derive(Debug)]
pub struct LinkProxy {
    address: SocketAddr,
    target: SocketAddr,
    shared: Arc<Mutex<ProxyState>>,
    mode: tokio::sync::watch::Sender<LinkMode>,
    accept: JoinHandle<()>,
}

/// What a [`LinkProxy`] does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkMode {
    Open,
    Cut,
    Blackhole,
}

#[derive(Debug, Default)]
struct ProxyState {
    /// Connection tasks (carried, frozen or held).
    connections: Vec<AbortHandle>,
    accepted: u64,
    refused: u64,
}

impl LinkProxy {
    /// Starts a proxy to `target` (`host:port` or `http://host:port`, loopback only).
    pub async fn start(target: &str) -> LinkProxy {
        let target: SocketAddr = target
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap_or_else(|error| panic!("proxy target {target:?}: {error}"));
        assert!(target.ip().is_loopback(), "the proxy forwards to loopback addresses only, not {target}");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy listens");
        let address = listener.local_addr().expect("proxy address");
        let shared: Arc<Mutex<ProxyState>> = Arc::default();
        let (mode, _) = tokio::sync::watch::channel(LinkMode::Open);
        let state = Arc::clone(&shared);
        let modes = mode.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else { continue };
                // Under the lock, so `cut` sees every connection it must drop.
                let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
                state.connections.retain(|connection| !connection.is_finished());
                let mut mode = modes.subscribe();
                let current = *mode.borrow_and_update();
                let connection = match current {
                    LinkMode::Cut => {
                        state.refused += 1;
                        drop(inbound);
                        continue;
                    }
                    LinkMode::Blackhole => {
                        state.refused += 1;
                        tokio::spawn(async move {
                            let _held = inbound;
                            std::future::pending::<()>().await;
                        })
                    }
                    LinkMode::Open => {
                        state.accepted += 1;
                        tokio::spawn(carry(inbound, target, mode))
                    }
                };
                state.connections.push(connection.abort_handle());
            }
        });
        LinkProxy { address, target, shared, mode, accept }
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// Partitions the link: current connections are dropped, new ones refused.
    pub fn cut(&self) {
        let mut state = self.state();
        self.mode.send_replace(LinkMode::Cut);
        for connection in state.connections.drain(..) {
            connection.abort();
        }
    }

    /// Partitions the link silently: current connections freeze for good,
    /// new ones are accepted and never answered.
    pub fn blackhole(&self) {
        let _state = self.state();
        self.mode.send_replace(LinkMode::Blackhole);
    }

    /// Restores the link for new connections (frozen ones stay frozen).
    pub fn heal(&self) {
        let _state = self.state();
        self.mode.send_replace(LinkMode::Open);
    }

    pub fn mode(&self) -> LinkMode {
        *self.mode.borrow()
    }

    pub fn is_cut(&self) -> bool {
        self.mode() != LinkMode::Open
    }

    /// Connections carried so far.
    pub fn accepted(&self) -> u64 {
        self.state().accepted
    }

    /// Connections refused (or swallowed) while the link was down.
    pub fn refused(&self) -> u64 {
        self.state().refused
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ProxyState> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Carries one connection until either side closes it; freezes it (holds
/// both sockets, moves nothing) once the link is blackholed.
async fn carry(mut inbound: TcpStream, target: SocketAddr, mut mode: tokio::sync::watch::Receiver<LinkMode>) {
    let Ok(mut outbound) = TcpStream::connect(target).await else { return };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    let blackholed = async {
        let _ = mode.wait_for(|mode| *mode == LinkMode::Blackhole).await;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        () = blackholed => std::future::pending::<()>().await,
    }
}

impl Drop for LinkProxy {
    fn drop(&mut self) {
        self.accept.abort();
        for connection in self.state().connections.drain(..) {
            connection.abort();
        }
    }
}

/// One run of the `fengqiao` command line.
#[derive(Debug)]
pub struct CliRun {
    pub success: bool,
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `fengqiao ARGS` (nothing taken from the environment) and waits for it.
pub async fn fengqiao(args: &[&str]) -> CliRun {
    fengqiao_env(args, &[]).await
}

/// Runs `fengqiao ARGS` with only `env` set of what it reads from the
/// environment: no `FENGQIAO*` variable, terminal width or locale of the
/// test's own.
pub async fn fengqiao_env(args: &[&str], env: &[(&str, &str)]) -> CliRun {
    let mut command = Command::new(fengqiao_binary());
    for (variable, _) in std::env::vars_os() {
        if variable.to_string_lossy().starts_with("FENGQIAO") {
            command.env_remove(variable);
        }
    }
    for variable in ["COLUMNS", "LANG", "LC_ALL", "LC_MESSAGES"] {
        command.env_remove(variable);
    }
    let output = command
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", fengqiao_binary().display()));
    CliRun {
        success: output.status.success(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs a command line that must succeed; its standard output.
pub async fn fengqiao_ok(args: &[&str]) -> String {
    fengqiao_env_ok(args, &[]).await
}

/// [`fengqiao_env`] for a command line that must succeed; its standard
/// output.
pub async fn fengqiao_env_ok(args: &[&str], env: &[(&str, &str)]) -> String {
    let run = fengqiao_env(args, env).await;
    assert!(
        run.success,
        "`fengqiao {}` failed ({:?}): {}{}",
        args.join(" "),
        run.code,
        run.stdout,
        run.stderr
    );
    run.stdout
}

/// Runs an external tool that must succeed (`sqlite3`, `pg_dump`, …).
async fn tool(program: &str, args: &[&str]) {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap_or_else(|error| panic!("cannot run {program}: {error}"));
    assert!(
        output.status.success(),
        "`{program} {}` failed: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A backup of one node's database (removed when dropped).
#[derive(Debug)]
pub struct Backup {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

/// Which nodes a [`TestNetwork`] runs.
#[derive(Debug)]
pub struct TestNetworkBuilder {
    tree_csv: String,
    nodes: Vec<String>,
    proxied: Vec<String>,
    node_args: Vec<String>,
    rust_log: Option<String>,
    log_dir: Option<PathBuf>,
    metrics: bool,
    tls: bool,
}

impl TestNetworkBuilder {
    /// Every node serves and calls its parent over mTLS, with a certificate
    /// of a deployment CA made for this network (see [`TestNetwork::person`]).
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// A node for `unit` (serving its subtree except what nodes below serve).
    pub fn node(mut self, unit: &str) -> Self {
        assert!(!self.nodes.iter().any(|u| u == unit), "node {unit} twice");
        self.nodes.push(unit.to_owned());
        self
    }

    /// A node for `unit` whose link to its parent goes through a [`LinkProxy`]
    /// (see [`TestNetwork::link`]).
    pub fn node_behind_proxy(mut self, unit: &str) -> Self {
        self = self.node(unit);
        self.proxied.push(unit.to_owned());
        self
    }

    /// More arguments for every `fengqiao node`.
    /// Every node serves Prometheus metrics (see [`NodeOptions::metrics`]).
    pub fn metrics(mut self) -> Self {
        self.metrics = true;
        self
    }

    pub fn node_args(mut self, args: &[&str]) -> Self {
        self.node_args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    /// `RUST_LOG` for every node.
    pub fn rust_log(mut self, filter: &str) -> Self {
        self.rust_log = Some(filter.to_owned());
        self
    }

    /// Keep every line each node writes in `DIR/UNIT.log`.
    pub fn log_dir(mut self, dir: &Path) -> Self {
        self.log_dir = Some(dir.to_owned());
        self
    }

    /// Starts every node, parents first, each on a fresh database of `backend`.
    pub async fn start(self, backend: Backend) -> TestNetwork {
        let dir = tempfile::tempdir().expect("temporary directory");
        let tree_path = dir.path().join("tree.csv");
        std::fs::write(&tree_path, &self.tree_csv).expect("tree file written");
        let tree = UnitTree::from_csv(&self.tree_csv).expect("a valid tree");
        for unit in &self.nodes {
            assert!(tree.get(unit).is_some(), "node unit {unit} is not in the tree");
        }
        // Parents first: by depth in the tree.
        let mut order = self.nodes.clone();
        order.sort_by_key(|unit| (tree.depth(unit), unit.clone()));
        // Each node's parent: the nearest ancestor with a node.
        let parents: BTreeMap<String, Option<String>> = order
            .iter()
            .map(|unit| {
                let parent = tree
                    .ancestors(unit)
                    .iter()
                    .rev()
                    .map(|ancestor| ancestor.id.to_string())
                    .find(|ancestor| self.nodes.contains(ancestor));
                (unit.clone(), parent)
            })
            .collect();
        let ca = self.tls.then(|| {
            std::fs::create_dir_all(dir.path().join("pki")).expect("pki directory");
            let ca = fengqiao_node::pki::new_ca(2).expect("a CA");
            let (cert, key) = fengqiao_node::pki::ca_paths(&dir.path().join("pki"));
            fengqiao_node::pki::write_pair(&ca, &cert, &key).expect("CA written");
            ca
        });
        let mut network = TestNetwork {
            backend,
            _dir: dir,
            tree_path,
            tree,
            order: Vec::new(),
            nodes: BTreeMap::new(),
            ca,
        };
        for unit in &order {
            let parent = parents[unit].clone();
            let child_nodes: Vec<String> =
                order.iter().filter(|other| parents[*other].as_ref() == Some(unit)).cloned().collect();
            let proxy = match &parent {
                Some(parent) if self.proxied.contains(unit) => {
                    Some(LinkProxy::start(&network.nodes[parent].process.address).await)
                }
                _ => None,
            };
            let parent_url = match (&proxy, &parent) {
                // The proxy carries bytes: TLS goes through it end to end.
                (Some(proxy), _) if self.tls => Some(proxy.url().replacen("http://", "https://", 1)),
                (Some(proxy), _) => Some(proxy.url()),
                (None, Some(parent)) => Some(network.nodes[parent].process.url()),
                (None, None) => None,
            };
            let db = TestDb::new(backend).await;
            db.open().await.expect("database ready").close().await;
            let options = NodeOptions {
                listen: None,
                parent: parent_url,
                child_nodes: child_nodes.clone(),
                extra_args: self.node_args.clone(),
                rust_log: self.rust_log.clone(),
                log_file: self.log_dir.as_ref().map(|dir| dir.join(format!("{unit}.log"))),
                metrics: self.metrics,
                tls: network.ca.is_some().then(|| {
                    let unit_id = fengqiao_core::UnitId::parse(unit).expect("a unit id");
                    let identity = fengqiao_core::identity::Identity::Node { unit: unit_id };
                    network.issue(&identity, None, &format!("node-{unit}"))
                }),
                ..NodeOptions::default()
            };
            let process = NodeProcess::start_with(unit, &network.tree_path, &db.url(), options).await;
            network
                .nodes
                .insert(unit.clone(), NetworkNode { process, db: Some(db), parent, child_nodes, proxy });
            network.order.push(unit.clone());
        }
        network
    }
}

#[derive(Debug)]
struct NetworkNode {
    process: NodeProcess,
    /// `None` once cleaned up.
    db: Option<TestDb>,
    /// The unit of the parent node.
    parent: Option<String>,
    /// Units of the child nodes.
    child_nodes: Vec<String>,
    /// The proxy on the link to the parent, if any.
    proxy: Option<LinkProxy>,
}

/// A tree of real node processes, each on its own database. Dropping it kills
/// the processes and removes the databases; [`TestNetwork::shutdown`] does
/// the same and waits for it.
#[derive(Debug)]
pub struct TestNetwork {
    backend: Backend,
    /// Holds the tree file.
    _dir: tempfile::TempDir,
    tree_path: PathBuf,
    tree: UnitTree,
    /// Node units, parents first.
    order: Vec<String>,
    nodes: BTreeMap<String, NetworkNode>,
    /// The deployment CA of an mTLS network.
    ca: Option<fengqiao_node::pki::CertifiedKey>,
}

impl TestNetwork {
    /// A network over the tree in `tree_csv`; add nodes with
    /// [`TestNetworkBuilder::node`], then [`TestNetworkBuilder::start`].
    pub fn builder(tree_csv: impl Into<String>) -> TestNetworkBuilder {
        TestNetworkBuilder {
            tree_csv: tree_csv.into(),
            nodes: Vec::new(),
            proxied: Vec::new(),
            node_args: Vec::new(),
            rust_log: None,
            log_dir: None,
            metrics: false,
            tls: false,
        }
    }

    /// Issues a certificate of the network's CA into its directory as
    /// `pki/NAME.pem` (and `-key.pem`), once; the same files after that.
    fn issue(
        &self,
        identity: &fengqiao_core::identity::Identity,
        display_name: Option<&str>,
        name: &str,
    ) -> TlsFiles {
        let ca = self.ca.as_ref().expect("an mTLS network (TestNetworkBuilder::tls)");
        let dir = self._dir.path().join("pki");
        let (cert, key) = fengqiao_node::pki::leaf_paths(&dir.join(name));
        if !cert.exists() {
            let display_name = display_name.map(|text| {
                fengqiao_core::actor::DisplayName::parse_field(text, "display name").expect("a display name")
            });
            let leaf =
                fengqiao_node::pki::issue_named(ca, identity, display_name.as_ref(), &[], 2).expect("issued");
            fengqiao_node::pki::write_pair(&leaf, &cert, &key).expect("certificate written");
        }
        TlsFiles { ca: fengqiao_node::pki::ca_paths(&dir).0, cert, key }
    }

    /// A person's certificate of an mTLS network: person `id` with `role` at
    /// `unit`, carrying `display_name`.
    pub fn person(
        &self,
        id: &str,
        unit: &str,
        role: fengqiao_core::identity::Role,
        display_name: &str,
    ) -> TlsFiles {
        let unit = fengqiao_core::UnitId::parse(unit).expect("a unit id");
        let identity = fengqiao_core::identity::Identity::person(id, unit, role).expect("a person");
        self.issue(&identity, Some(display_name), &format!("person-{id}"))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn tree(&self) -> &UnitTree {
        &self.tree
    }

    pub fn tree_path(&self) -> &Path {
        &self.tree_path
    }

    /// The units that have nodes, parents first.
    pub fn node_units(&self) -> &[String] {
        &self.order
    }

    fn entry(&self, unit: &str) -> &NetworkNode {
        self.nodes.get(unit).unwrap_or_else(|| panic!("no node for unit {unit}"))
    }

    fn entry_mut(&mut self, unit: &str) -> &mut NetworkNode {
        self.nodes.get_mut(unit).unwrap_or_else(|| panic!("no node for unit {unit}"))
    }

    /// The process of the node of `unit`.
    pub fn node(&mut self, unit: &str) -> &mut NodeProcess {
        &mut self.entry_mut(unit).process
    }

    /// The unit of the parent node of the node of `unit`.
    pub fn parent_of(&self, unit: &str) -> Option<&str> {
        self.entry(unit).parent.as_deref()
    }

    /// The units of the child nodes of the node of `unit` (its `--child-nodes`).
    pub fn child_nodes_of(&self, unit: &str) -> &[String] {
        &self.entry(unit).child_nodes
    }

    /// The node that serves `unit`: the nearest node at or above it (where its
    /// reporters submit).
    pub fn serving_node(&self, unit: &str) -> &str {
        assert!(self.tree.get(unit).is_some(), "unit {unit} is not in the tree");
        if let Some((node, _)) = self.nodes.get_key_value(unit) {
            return node;
        }
        self.tree
            .ancestors(unit)
            .iter()
            .rev()
            .find_map(|ancestor| {
                self.nodes.get_key_value(ancestor.id.as_str()).map(|(node, _)| node.as_str())
            })
            .unwrap_or_else(|| panic!("no node serves unit {unit}"))
    }

    /// The URL of the node of `node_unit` (`http://127.0.0.1:PORT`).
    pub fn node_url(&self, node_unit: &str) -> String {
        self.entry(node_unit).process.url()
    }

    /// A client of the node of `node_unit`.
    pub fn client(&self, node_unit: &str) -> NodeClient {
        self.entry(node_unit).process.client()
    }

    /// A reporting client of the node that serves `unit`.
    pub fn reporting(&self, unit: &str) -> ReportingServiceClient<Channel> {
        self.client(self.serving_node(unit)).reporting()
    }

    /// The proxy on the link from the node of `unit` to its parent.
    pub fn link(&self, unit: &str) -> &LinkProxy {
        self.entry(unit).proxy.as_ref().unwrap_or_else(|| panic!("node {unit} has no proxied link"))
    }

    /// The database of the node of `unit`.
    pub fn db(&self, unit: &str) -> &TestDb {
        self.entry(unit).db.as_ref().expect("database present")
    }

    /// How many reports the database of the node of `unit` stores.
    pub async fn count_reports(&self, unit: &str) -> u64 {
        let store = self.db(unit).open().await.expect("database opens");
        let count = store.count_reports().await.expect("count");
        store.close().await;
        count
    }

    /// Backs up the database of the (running) node of `unit` as
    /// docs/OPERATIONS.md says: SQLite `sqlite3 DB "VACUUM INTO 'FILE'"`,
    /// PostgreSQL `pg_dump -Fc` of the node's schema — consistent snapshots
    /// while the node serves.
    pub async fn backup(&self, unit: &str) -> Backup {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = self.db(unit);
        let path = dir.path().join("backup");
        match (db.sqlite_path(), db.schema()) {
            (Some(file), _) => {
                let vacuum = format!("VACUUM INTO '{}'", path.display());
                tool("sqlite3", &[&file.to_string_lossy(), &vacuum]).await;
            }
            (None, Some(schema)) => {
                let url = fengqiao_store::testing::postgres_url();
                tool("pg_dump", &["-Fc", "-n", schema, "-d", &url, "-f", &path.to_string_lossy()]).await;
            }
            (None, None) => unreachable!("a test database is a file or a schema"),
        }
        Backup { _dir: dir, path }
    }

    /// Puts `backup` in place of the database of the node of `unit`, which
    /// must be down: SQLite — the file over the database, its `-wal` and
    /// `-shm` deleted; PostgreSQL — the schema dropped, then `pg_restore`.
    pub async fn restore(&mut self, unit: &str, backup: &Backup) {
        assert!(!self.node(unit).is_running(), "stop the node of {unit} before restoring it");
        let db = self.db(unit);
        match (db.sqlite_path(), db.schema()) {
            (Some(file), _) => {
                std::fs::copy(&backup.path, &file).expect("backup copied over the database");
                for suffix in ["-wal", "-shm"] {
                    let side = PathBuf::from(format!("{}{suffix}", file.display()));
                    if side.exists() {
                        std::fs::remove_file(&side).expect("side file removed");
                    }
                }
            }
            (None, Some(schema)) => {
                // Into an empty schema: `pg_restore --clean` cannot drop a
                // monthly partition's inherited primary key.
                let url = fengqiao_store::testing::postgres_url();
                let drop = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                tool("psql", &["-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-c", &drop]).await;
                tool("pg_restore", &["-d", &url, &backup.path.to_string_lossy()]).await;
            }
            (None, None) => unreachable!("a test database is a file or a schema"),
        }
    }

    /// `kill -9` the node of `unit`; it stays down.
    pub async fn kill(&mut self, unit: &str) {
        self.node(unit).kill().await;
    }

    /// Stops the node of `unit` with SIGTERM; it stays down.
    pub async fn stop(&mut self, unit: &str) {
        self.node(unit).stop().await;
    }

    /// Starts the (stopped or killed) node of `unit` again, same address.
    pub async fn start(&mut self, unit: &str) {
        self.node(unit).start_again().await;
    }

    /// Kills the node of `unit` if it runs and starts it again, same address.
    pub async fn restart(&mut self, unit: &str) {
        self.node(unit).restart().await;
    }

    /// Polls `condition` on a client of the node of `node_unit` every 50 ms
    /// until it holds; panics after `timeout` naming `what`, with every node's
    /// status and last log lines. Returns how long it took.
    pub async fn wait_for<F, Fut>(
        &self,
        node_unit: &str,
        what: &str,
        timeout: Duration,
        mut condition: F,
    ) -> Duration
    where
        F: FnMut(NodeClient) -> Fut,
        Fut: Future<Output = bool>,
    {
        let client = self.client(node_unit);
        let started = Instant::now();
        loop {
            if condition(client.clone()).await {
                return started.elapsed();
            }
            if started.elapsed() >= timeout {
                panic!(
                    "timed out after {timeout:?} waiting at node {node_unit} for {what}\n{}",
                    self.diagnostics().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until every outbox is empty, looking at children before their
    /// parents in each round (so with no new submissions, everything has
    /// reached the top). Returns how long it took.
    pub async fn wait_for_drain(&self, timeout: Duration) -> Duration {
        let clients: Vec<NodeClient> = self.order.iter().rev().map(|unit| self.client(unit)).collect();
        let started = Instant::now();
        'poll: loop {
            if started.elapsed() >= timeout {
                panic!(
                    "timed out after {timeout:?} waiting for every outbox to drain\n{}",
                    self.diagnostics().await
                );
            }
            for client in &clients {
                if client.outbox_depth().await.ok() != Some(0) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue 'poll;
                }
            }
            return started.elapsed();
        }
    }

    /// Every node's status and last log lines, for failure messages.
    pub async fn diagnostics(&self) -> String {
        let mut out = String::new();
        for unit in &self.order {
            let node = self.entry(unit);
            let status = tokio::time::timeout(Duration::from_secs(2), node.process.client().status()).await;
            let _ = match status {
                Ok(Ok(s)) => writeln!(
                    out,
                    "node {unit} at {}: outbox {} ({} queued to commit), parent {:?}, last forward error {:?}",
                    node.process.address,
                    s.outbox_depth,
                    s.commit_queue,
                    s.parent_address,
                    s.last_forward_error
                ),
                Ok(Err(status)) => writeln!(out, "node {unit} at {}: {status}", node.process.address),
                Err(_) => writeln!(out, "node {unit} at {}: no status within 2 s", node.process.address),
            };
            if let Some(proxy) = &node.proxy {
                let _ = writeln!(
                    out,
                    "  link to parent via proxy {} ({:?}, carried {}, refused {})",
                    proxy.address,
                    proxy.mode(),
                    proxy.accepted(),
                    proxy.refused()
                );
            }
            out.push_str(&node.process.log_tail(10));
        }
        out
    }

    /// Kills every node (children first) and removes the databases.
    pub async fn shutdown(mut self) {
        let mut dbs = Vec::new();
        for unit in self.order.iter().rev() {
            let node = self.nodes.get_mut(unit).expect("node");
            node.process.kill().await;
            node.proxy = None;
            dbs.extend(node.db.take());
        }
        for db in dbs {
            db.cleanup().await;
        }
    }
}

impl Drop for TestNetwork {
    /// A test that panicked: kill what still runs and drop the PostgreSQL
    /// schemas (SQLite files go with their temporary directories).
    fn drop(&mut self) {
        let mut dbs = Vec::new();
        for node in self.nodes.values_mut() {
            if let Some(child) = node.process.child.as_mut() {
                let _ = child.start_kill();
            }
            dbs.extend(node.db.take());
        }
        if dbs.iter().all(|db| db.backend() == Backend::Sqlite) {
            return;
        }
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                // Let PostgreSQL notice the killed nodes' connections close.
                tokio::time::sleep(Duration::from_millis(200)).await;
                for db in dbs {
                    let _ = tokio::time::timeout(Duration::from_secs(10), db.cleanup()).await;
                }
            });
        });
        let _ = cleanup.join();
    }
}
