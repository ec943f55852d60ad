//! `fengqiao node` and `fengqiao tree generate`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use fengqiao_core::identity::Identity;
use fengqiao_core::{SystemClock, TimePolicy, UnitTree};
use fengqiao_node::{ChildNodes, Limits, Node, NodeConfig, Transport};
use tokio::net::TcpListener;

use crate::treegen;

#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// The unit this node serves (with every unit below it).
    #[arg(long, env = "FENGQIAO_UNIT")]
    pub unit: String,
    /// The unit tree file: CSV with columns code, parent_code, tier, name and optionally reporting,
    /// active_from, active_to. Only the root needs one: a node with --parent and no tree file
    /// takes its subtree from its parent (or from its database on a restart). Default at the root:
    /// deploy/zhanhe-410411.csv.
    #[arg(long, env = "FENGQIAO_TREE")]
    pub tree: Option<PathBuf>,
    /// Database URL: sqlite://PATH (created when missing) or postgres://USER@HOST:PORT/DB.
    #[arg(long, env = "FENGQIAO_DB")]
    pub db: Option<String>,
    /// Address to listen on.
    #[arg(long, env = "FENGQIAO_LISTEN", default_value = "127.0.0.1:7400")]
    pub listen: String,
    /// mTLS: the deployment CA (one or more CA certificates), this node's
    /// certificate (`fengqiao ca issue --unit UNIT`) and its key. Required
    /// unless --insecure.
    #[command(flatten)]
    pub tls: crate::ca::TlsArgs,
    /// Serve plaintext without TLS: callers are not identified. Only on a
    /// loopback --listen address, for local tests.
    #[arg(long, conflicts_with_all = ["ca", "cert", "key"])]
    pub insecure: bool,
    /// The deployment's time zone (IANA name).
    #[arg(long, env = "FENGQIAO_TIME_ZONE", default_value = "Asia/Shanghai")]
    pub time_zone: String,
    /// The daily cut-off, local time HH:MM: reports accepted before it are on time.
    #[arg(long, env = "FENGQIAO_CUTOFF", default_value = "18:00")]
    pub cutoff: String,
    /// The parent node (e.g. https://10.0.0.1:7400; http:// only with --insecure): everything
    /// accepted here is forwarded to it.
    #[arg(long, env = "FENGQIAO_PARENT")]
    pub parent: Option<String>,
    /// Units below with nodes of their own: `all` (every direct child unit) or a
    /// comma-separated list. Their reporters submit to those nodes; their data
    /// arrives here over the uplink.
    #[arg(long, env = "FENGQIAO_CHILD_NODES", value_name = "all|UNIT,…")]
    pub child_nodes: Option<String>,
    /// File holding the deployment's secret for petitioner references
    /// (HMAC-SHA256 of the id number): every node of a deployment needs the
    /// same one, or repeat petitions go unnoticed across units. Without it a
    /// built-in development key is used and the node says so.
    #[arg(long, env = "FENGQIAO_PETITIONER_SECRET_FILE")]
    pub petitioner_secret_file: Option<PathBuf>,
    #[command(flatten)]
    pub keys: crate::pii::KeyArgs,
    /// Days from registration to the acceptance decision (2022 regulation: 15).
    #[arg(long, env = "FENGQIAO_ACCEPT_DAYS", default_value_t = 15)]
    pub accept_days: u32,
    /// Days from acceptance to resolution (2022 regulation: 60).
    #[arg(long, env = "FENGQIAO_HANDLE_DAYS", default_value_t = 60)]
    pub handle_days: u32,
    /// Longest single extension, in days (2022 regulation: 30).
    #[arg(long, env = "FENGQIAO_MAX_EXTENSION_DAYS", default_value_t = 30)]
    pub max_extension_days: u32,
    /// Days for a review decision (2022 regulation: 30).
    #[arg(long, env = "FENGQIAO_REVIEW_DAYS", default_value_t = 30)]
    pub review_days: u32,
    /// Escalate a case automatically once it has been overdue this many days
    /// at its current owner (off when unset).
    #[arg(long, env = "FENGQIAO_AUTO_ESCALATE_AFTER_DAYS")]
    pub auto_escalate_after_days: Option<u32>,
    /// A new case of the same petitioner and category within this many days is a repeat petition.
    #[arg(long, env = "FENGQIAO_REPEAT_WINDOW_DAYS", default_value_t = 365)]
    pub repeat_window_days: u32,
    /// On SIGTERM or Ctrl-C, keep serving this many seconds with health
    /// already NOT_SERVING, so that load balancers and readiness probes stop
    /// sending calls first; then stop accepting and finish calls in flight.
    #[arg(long, env = "FENGQIAO_DRAIN_GRACE_SECONDS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=300))]
    pub drain_grace_seconds: u64,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// What one caller or connection may take of the node (see "Limits" in
/// docs/ARCHITECTURE.md). The defaults are `fengqiao_node::Limits::default()`.
#[derive(Debug, clap::Args)]
pub struct LimitArgs {
    /// Largest gRPC message accepted, in bytes (larger: OUT_OF_RANGE).
    #[arg(long, env = "FENGQIAO_MAX_MESSAGE_BYTES", default_value_t = Limits::default().max_message_bytes)]
    pub max_message_bytes: usize,
    /// Seconds a call may take to produce its response (then DEADLINE_EXCEEDED); open streams are not cut.
    #[arg(long, env = "FENGQIAO_REQUEST_TIMEOUT_SECS", default_value_t = Limits::default().request_timeout.as_secs())]
    pub request_timeout_secs: u64,
    /// Most calls handled at once, all callers together; more are answered UNAVAILABLE at once.
    #[arg(long, env = "FENGQIAO_MAX_IN_FLIGHT", default_value_t = Limits::default().max_in_flight)]
    pub max_in_flight: usize,
    /// Most calls open at once on one connection (HTTP/2 max concurrent streams).
    #[arg(long, env = "FENGQIAO_MAX_STREAMS_PER_CONNECTION", default_value_t = Limits::default().max_streams_per_connection)]
    pub max_streams_per_connection: u32,
    /// Most open connections; more are closed when accepted.
    #[arg(long, env = "FENGQIAO_MAX_CONNECTIONS", default_value_t = Limits::default().max_connections)]
    pub max_connections: usize,
    /// Calls per second one caller (certificate identity, else IP address) may make on average;
    /// over it RESOURCE_EXHAUSTED. 0 turns the rate limit off.
    #[arg(long, env = "FENGQIAO_RATE_LIMIT", default_value_t = Limits::default().rate_per_second)]
    pub rate_limit: u32,
    /// Calls one caller may make at once above the average rate.
    #[arg(long, env = "FENGQIAO_RATE_BURST", default_value_t = Limits::default().rate_burst)]
    pub rate_burst: u32,
    /// Seconds a new connection has to send its first bytes before it is closed.
    #[arg(long, env = "FENGQIAO_HANDSHAKE_TIMEOUT_SECS", default_value_t = Limits::default().handshake_timeout.as_secs())]
    pub handshake_timeout_secs: u64,
    /// Seconds between HTTP/2 pings on a connection.
    #[arg(long, env = "FENGQIAO_KEEPALIVE_SECS", default_value_t = Limits::default().keepalive_interval.as_secs())]
    pub keepalive_secs: u64,
    /// Seconds a peer has to answer a ping before its connection is closed.
    #[arg(long, env = "FENGQIAO_KEEPALIVE_TIMEOUT_SECS", default_value_t = Limits::default().keepalive_timeout.as_secs())]
    pub keepalive_timeout_secs: u64,
    /// Seconds of silence before the kernel probes a connection's peer (TCP keepalive).
    #[arg(long, env = "FENGQIAO_TCP_KEEPALIVE_SECS", default_value_t = Limits::default().tcp_keepalive.as_secs())]
    pub tcp_keepalive_secs: u64,
}

impl LimitArgs {
    /// The limits, checked.
    pub fn limits(&self) -> Result<Limits> {
        if self.max_message_bytes < 64 * 1024 {
            bail!("--max-message-bytes must be at least 65536");
        }
        for (flag, value) in [
            ("--max-in-flight", self.max_in_flight),
            ("--max-streams-per-connection", self.max_streams_per_connection as usize),
            ("--max-connections", self.max_connections),
        ] {
            if value == 0 {
                bail!("{flag} must be at least 1");
            }
        }
        for (flag, value) in [
            ("--request-timeout-secs", self.request_timeout_secs),
            ("--handshake-timeout-secs", self.handshake_timeout_secs),
            ("--keepalive-secs", self.keepalive_secs),
            ("--keepalive-timeout-secs", self.keepalive_timeout_secs),
            ("--tcp-keepalive-secs", self.tcp_keepalive_secs),
        ] {
            if !(1..=86_400).contains(&value) {
                bail!("{flag} must be between 1 and 86400 seconds");
            }
        }
        if self.rate_limit > 0 && self.rate_burst == 0 {
            bail!("--rate-burst must be at least 1 when --rate-limit is on");
        }
        Ok(Limits {
            max_message_bytes: self.max_message_bytes,
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            max_in_flight: self.max_in_flight,
            max_streams_per_connection: self.max_streams_per_connection,
            max_connections: self.max_connections,
            rate_per_second: self.rate_limit,
            rate_burst: self.rate_burst,
            handshake_timeout: Duration::from_secs(self.handshake_timeout_secs),
            keepalive_interval: Duration::from_secs(self.keepalive_secs),
            keepalive_timeout: Duration::from_secs(self.keepalive_timeout_secs),
            tcp_keepalive: Duration::from_secs(self.tcp_keepalive_secs),
        })
    }
}

/// The case settings from the flags.
fn case_config(args: &NodeArgs) -> Result<fengqiao_node::CaseConfig> {
    for (flag, value) in [
        ("--accept-days", args.accept_days),
        ("--handle-days", args.handle_days),
        ("--max-extension-days", args.max_extension_days),
        ("--review-days", args.review_days),
        ("--repeat-window-days", args.repeat_window_days),
    ] {
        if !(1..=3660).contains(&value) {
            bail!("{flag} must be between 1 and 3660 days");
        }
    }
    let petitioner_secret: Arc<[u8]> = match &args.petitioner_secret_file {
        Some(path) => {
            let secret = std::fs::read(path)
                .with_context(|| format!("cannot read the petitioner secret file {}", path.display()))?;
            let secret = secret.trim_ascii();
            if secret.len() < 16 {
                bail!("the petitioner secret in {} must be at least 16 bytes", path.display());
            }
            Arc::from(secret)
        }
        None => {
            tracing::warn!(
                "no --petitioner-secret-file: using the built-in development key; petitioner references are not secret"
            );
            Arc::from(fengqiao_node::DEVELOPMENT_SECRET)
        }
    };
    Ok(fengqiao_node::CaseConfig {
        deadlines: fengqiao_core::case::DeadlinePolicy {
            accept_days: args.accept_days,
            handle_days: args.handle_days,
            max_extension_days: args.max_extension_days,
            review_days: args.review_days,
            auto_escalate_after_days: args.auto_escalate_after_days,
            repeat_window_days: args.repeat_window_days,
        },
        petitioner_secret,
        ..fengqiao_node::CaseConfig::default()
    })
}

pub fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

pub fn load_tree(path: &PathBuf) -> Result<UnitTree> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the tree file {}", path.display()))?;
    UnitTree::from_csv(&text).with_context(|| format!("tree file {}", path.display()))
}

/// The node's transport from `--ca/--cert/--key` or `--insecure`: exactly
/// one of them, the certificate naming this node's unit, plaintext only on
/// loopback.
async fn transport(args: &NodeArgs) -> Result<Transport> {
    match (args.tls.material()?, args.insecure) {
        (Some(material), false) => {
            let expected = Identity::Node {
                unit: fengqiao_core::UnitId::parse(&args.unit).map_err(|e| anyhow::anyhow!("--unit: {e}"))?,
            };
            if material.identity() != &expected {
                bail!(
                    "--cert names {} ({}), but this node serves unit {}: issue one with `fengqiao ca issue --unit {}`",
                    material.identity(),
                    material.identity().to_uri(),
                    args.unit,
                    args.unit
                );
            }
            Ok(Transport::Tls(Arc::new(material)))
        }
        (None, true) => {
            let addresses: Vec<_> = tokio::net::lookup_host(&args.listen)
                .await
                .with_context(|| format!("--listen {:?} is not an address", args.listen))?
                .collect();
            if let Some(open) = addresses.iter().find(|a| !a.ip().is_loopback()) {
                bail!(
                    "--insecure serves plaintext and is refused on the non-loopback address {open}: listen on 127.0.0.1, or give --ca, --cert and --key"
                );
            }
            Ok(Transport::Insecure)
        }
        (Some(_), true) => bail!("--insecure cannot be combined with --ca, --cert and --key"),
        (None, false) => bail!(
            "a node needs TLS: give --ca, --cert and --key (or FENGQIAO_CA, FENGQIAO_CERT, FENGQIAO_KEY; make them with `fengqiao ca init` and `fengqiao ca issue`), or --insecure for plaintext on loopback"
        ),
    }
}

pub async fn run(args: NodeArgs) -> Result<()> {
    init_logging("info");
    let transport = transport(&args).await?;
    let time = TimePolicy::parse(&args.time_zone, &args.cutoff)?;
    let db = args.db.clone().unwrap_or_else(|| format!("sqlite://fengqiao-{}.db", args.unit));
    let keyring = args.keys.keyring()?;
    let store = fengqiao_store::connect_with(&db, keyring.clone())
        .await
        .with_context(|| format!("cannot open the database {db}"))?;
    // Seal what an older version stored in plaintext and reseal what a
    // previous key sealed, before anything reads it.
    let resealed = store
        .rekey_personal_data()
        .await
        .context("cannot reseal stored personal data under the current key")?;
    if resealed != fengqiao_store::RekeyReport::default() {
        tracing::info!(
            key_id = %keyring.current_id(),
            petitioners = resealed.petitioners,
            downlink_events = resealed.downlink_events,
            plaintext_sealed = resealed.plaintext_sealed,
            "personal data resealed under the current key"
        );
    }
    let child_nodes = match args.child_nodes.as_deref() {
        None | Some("") => ChildNodes::None,
        Some("all") => ChildNodes::AllChildren,
        Some(list) => ChildNodes::Units(list.split(',').map(|u| u.trim().to_owned()).collect()),
    };
    let config = NodeConfig {
        time,
        parent: args.parent.clone(),
        transport: transport.clone(),
        child_nodes,
        cases: case_config(&args)?,
        limits: args.limits.limits()?,
        drain_grace: std::time::Duration::from_secs(args.drain_grace_seconds),
        ..NodeConfig::new(args.unit.clone())
    };
    let clock = Arc::new(SystemClock);
    let tree_file = match (&args.tree, &args.parent) {
        (Some(path), _) => Some(path.clone()),
        (None, None) => Some(PathBuf::from("deploy/zhanhe-410411.csv")),
        (None, Some(_)) => None,
    };
    let node = match (&tree_file, &args.parent) {
        (Some(path), _) => start_with_file(config, path, &args.unit, Arc::clone(&store), clock).await?,
        (None, None) => bail!("a node without --parent needs --tree"),
        (None, Some(parent)) => {
            match Node::start_from_store(config.clone(), Arc::clone(&store), clock.clone()).await? {
                Some(node) => node,
                None => {
                    eprintln!("no tree file and an empty database: waiting for the unit tree from {parent}");
                    let tree = fengqiao_node::downlink::fetch_tree(parent, &args.unit, &transport).await?;
                    Node::start(config, &tree, Arc::clone(&store), clock).await?
                }
            }
        }
    };
    let listener =
        TcpListener::bind(&args.listen).await.with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(
        unit = %args.unit,
        units = node.tree().len(),
        backend = %store.backend(),
        %address,
        "node serving"
    );
    let mode = match &transport {
        Transport::Tls(_) => "mTLS: https",
        Transport::Insecure => "PLAINTEXT: http",
    };
    println!(
        "fengqiao node {} serving {} units on {address} ({mode}; database {db})",
        args.unit,
        node.tree().len()
    );
    #[cfg(unix)]
    if let Some(path) = tree_file {
        tokio::spawn(reload_on_hangup(node.clone(), path));
    }
    fengqiao_node::serve(node, listener, shutdown_signal()).await?;
    store.close().await;
    tracing::info!("node stopped");
    Ok(())
}

/// On SIGHUP, reads the tree file again and, when the home unit's subtree
/// changed, swaps it in and sends every child node its new part: this is how
/// tree changes made at the root (units opened, closed or renamed, each
/// dated in the file) reach the whole network without a restart.
#[cfg(unix)]
async fn reload_on_hangup(node: Node, path: PathBuf) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        return;
    };
    while hangups.recv().await.is_some() {
        let home = node.config().home_unit.clone();
        let reloaded = load_tree(&path).and_then(|tree| {
            tree.restricted_to(&home)
                .with_context(|| format!("unit {home} is no longer in {}", path.display()))
        });
        match reloaded {
            Ok(tree) => match node.replace_tree(tree).await {
                Ok(()) => tracing::info!(units = node.tree().len(), "tree reloaded"),
                Err(error) => tracing::error!(%error, "tree reload refused; keeping the current tree"),
            },
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "tree reload failed; keeping the current tree")
            }
        }
    }
}

async fn start_with_file(
    config: NodeConfig,
    path: &PathBuf,
    unit: &str,
    store: Arc<dyn fengqiao_store::Store>,
    clock: Arc<SystemClock>,
) -> Result<Node> {
    let tree = load_tree(path)?;
    if tree.get(unit).is_none() {
        bail!("unit {unit} is not in the tree file {}", path.display());
    }
    Ok(Node::start(config, &tree, store, clock).await?)
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: drain (health NOT_SERVING), then no new calls; calls in flight finish");
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Seed: the same seed gives the same tree.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// The real tree to add groups under (down to communities).
    #[arg(long, default_value = "deploy/zhanhe-410411-official.csv", conflicts_with = "synthetic")]
    pub from: PathBuf,
    /// The year in which some groups open or close.
    #[arg(long, default_value_t = 2026)]
    pub year: i32,
    /// Build a synthetic tree instead: TOWNSHIPS,COMMUNITIES_PER_TOWNSHIP,GROUPS_PER_COMMUNITY.
    #[arg(long, value_name = "T,C,G")]
    pub synthetic: Option<String>,
    /// Where to write the tree (standard output when absent).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn generate(args: GenerateArgs) -> Result<()> {
    let tree = match &args.synthetic {
        Some(spec) => {
            let counts: Vec<usize> = spec
                .split(',')
                .map(|n| n.trim().parse::<usize>())
                .collect::<Result<_, _>>()
                .with_context(|| format!("--synthetic {spec:?}: expected three counts like 10,20,25"))?;
            let [townships, communities, groups] = counts[..] else {
                bail!("--synthetic {spec:?}: expected three counts like 10,20,25");
            };
            treegen::synthetic(args.seed, townships, communities, groups)?
        }
        None => treegen::add_groups(&load_tree(&args.from)?, args.seed, args.year),
    };
    let csv = tree.to_csv();
    match &args.out {
        Some(path) => {
            std::fs::write(path, csv).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {} units to {}", tree.len(), path.display());
        }
        None => print!("{csv}"),
    }
    Ok(())
}
