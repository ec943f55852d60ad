//! `fengqiao node` and `fengqiao tree generate`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use fengqiao_core::{SystemClock, TimePolicy, UnitTree};
use fengqiao_node::{ChildNodes, Node, NodeConfig};
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
    /// The deployment's time zone (IANA name).
    #[arg(long, env = "FENGQIAO_TIME_ZONE", default_value = "Asia/Shanghai")]
    pub time_zone: String,
    /// The daily cut-off, local time HH:MM: reports accepted before it are on time.
    #[arg(long, env = "FENGQIAO_CUTOFF", default_value = "18:00")]
    pub cutoff: String,
    /// The parent node (e.g. http://10.0.0.1:7400): everything accepted here is forwarded to it.
    #[arg(long, env = "FENGQIAO_PARENT")]
    pub parent: Option<String>,
    /// Units below with nodes of their own: `all` (every direct child unit) or a
    /// comma-separated list. Their reporters submit to those nodes; their data
    /// arrives here over the uplink.
    #[arg(long, env = "FENGQIAO_CHILD_NODES", value_name = "all|UNIT,…")]
    pub child_nodes: Option<String>,
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

pub async fn run(args: NodeArgs) -> Result<()> {
    init_logging("info");
    let time = TimePolicy::parse(&args.time_zone, &args.cutoff)?;
    let db = args.db.clone().unwrap_or_else(|| format!("sqlite://fengqiao-{}.db", args.unit));
    let store =
        fengqiao_store::connect(&db).await.with_context(|| format!("cannot open the database {db}"))?;
    let child_nodes = match args.child_nodes.as_deref() {
        None | Some("") => ChildNodes::None,
        Some("all") => ChildNodes::AllChildren,
        Some(list) => ChildNodes::Units(list.split(',').map(|u| u.trim().to_owned()).collect()),
    };
    let config =
        NodeConfig { time, parent: args.parent.clone(), child_nodes, ..NodeConfig::new(args.unit.clone()) };
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
                    let tree = fengqiao_node::downlink::fetch_tree(parent, &args.unit).await?;
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
    println!("fengqiao node {} serving {} units on {address} (database {db})", args.unit, node.tree().len());
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
    tracing::info!("shutting down: no new calls, finishing those in flight");
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
