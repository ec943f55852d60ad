//! `fengqiao node`: run a node serving a unit and every unit below it, with
//! the configuration `fengqiao config print` shows (see [`crate::commands::config`]).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use fengqiao_core::identity::Identity;
use fengqiao_core::{SystemClock, UnitTree};
use fengqiao_node::audit::{self, Auditor};
use fengqiao_node::{ChildNodes, Node, NodeConfig, Transport};
use tokio::net::TcpListener;

use crate::commands::config::{Config, ConfigArgs, Loaded};

#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// The case settings from the config; reads the petitioner secret file.
fn case_config(config: &Config) -> Result<fengqiao_node::CaseConfig> {
    let cases = &config.cases;
    let petitioner_secret: Arc<[u8]> = match &cases.petitioner_secret_file {
        Some(path) => {
            let secret = std::fs::read(path)
                .with_context(|| format!("cases.petitioner_secret_file: cannot read {}", path.display()))?;
            let secret = secret.trim_ascii();
            if secret.len() < 16 {
                bail!(
                    "cases.petitioner_secret_file: the secret in {} must be at least 16 bytes",
                    path.display()
                );
            }
            Arc::from(secret)
        }
        None => {
            tracing::warn!(
                "no cases.petitioner_secret_file: using the built-in development key; petitioner references are not secret"
            );
            Arc::from(fengqiao_node::DEVELOPMENT_SECRET)
        }
    };
    Ok(fengqiao_node::CaseConfig {
        deadlines: fengqiao_core::case::DeadlinePolicy {
            accept_days: cases.accept_days,
            handle_days: cases.handle_days,
            max_extension_days: cases.max_extension_days,
            review_days: cases.review_days,
            auto_escalate_after_days: cases.auto_escalate_after_days,
            repeat_window_days: cases.repeat_window_days,
        },
        petitioner_secret,
        ..fengqiao_node::CaseConfig::default()
    })
}

pub fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colour only for a person at a terminal, never in a log file or a pipe.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn load_tree(path: &PathBuf) -> Result<UnitTree> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the tree file {}", path.display()))?;
    UnitTree::from_csv(&text).with_context(|| format!("tree file {}", path.display()))
}

/// Reads and checks a departments file.
pub fn load_departments(path: &PathBuf) -> Result<fengqiao_core::department::Departments> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the departments file {}", path.display()))?;
    fengqiao_core::department::Departments::from_csv(&text)
        .with_context(|| format!("departments file {}", path.display()))
}

/// The node's transport from `tls.*` (complete, and plaintext only on
/// loopback: checked by [`validate`](crate::commands::config::validate::validate)); the certificate must
/// name this node's unit.
fn transport(loaded: &Loaded) -> Result<Transport> {
    let tls = &loaded.config.tls;
    let unit = loaded.unit();
    if tls.insecure {
        return Ok(Transport::Insecure);
    }
    let files =
        crate::commands::ca::TlsArgs { ca: tls.ca.clone(), cert: tls.cert.clone(), key: tls.key.clone() };
    let material = files.material()?.context("a node needs tls.ca, tls.cert and tls.key")?;
    let expected = Identity::Node {
        unit: fengqiao_core::UnitId::parse(unit).map_err(|e| anyhow::anyhow!("node.unit: {e}"))?,
    };
    if material.identity() != &expected {
        bail!(
            "tls.cert names {} ({}), but this node serves unit {unit}: issue one with `fengqiao ca issue --unit {unit}`",
            material.identity(),
            material.identity().to_uri(),
        );
    }
    Ok(Transport::Tls(Arc::new(material)))
}

/// The next step for a PostgreSQL database that cannot be opened: start
/// the server, or create the database.
fn database_hint(url: &str, causes: &str) -> Option<String> {
    use std::str::FromStr;
    let options = sqlx::postgres::PgConnectOptions::from_str(url).ok()?;
    let (host, port) = (options.get_host(), options.get_port());
    if causes.contains("Connection refused") {
        return Some(crate::tr!("hint-start-postgresql", host = host, port = port));
    }
    if causes.contains("does not exist") && causes.contains("database \"") {
        let database = options.get_database().unwrap_or("DB");
        let user = options.get_username();
        return Some(crate::tr!("hint-createdb", host = host, port = port, user = user, database = database));
    }
    None
}

pub async fn run(args: NodeArgs) -> Result<()> {
    let loaded = crate::commands::config::load_validated(&args.config)?;
    let config = &loaded.config;
    let unit = loaded.unit().to_owned();
    // Logs (text or JSON) and, when configured, spans over OTLP; the guard
    // flushes what is buffered when the node returns.
    let _telemetry = crate::telemetry::init(&crate::telemetry::TelemetryConfig {
        format: config.log.format,
        filter: config.log.filter.clone(),
        otlp_endpoint: config.trace.otlp_endpoint.clone(),
        service_name: config.trace.service_name.clone(),
        unit: unit.clone(),
    })?;
    // Everything that can be wrong with the files is found before the
    // database is touched: certificates, keys, the secret, the tree.
    let transport = transport(&loaded)?;
    let keys = crate::commands::pii::KeyArgs {
        personal_data_key_file: config.personal_data.key_file.clone(),
        previous_personal_data_key_files: config.personal_data.previous_key_files.clone(),
    };
    let keyring = keys.keyring()?;
    let cases = case_config(config)?;
    let parent = config.node.parent.clone();
    let tree_file = loaded.tree_file().map(|(path, _)| path);
    let tree = match &tree_file {
        Some(path) => {
            let tree = load_tree(path).context("node.tree")?;
            if tree.get(&unit).is_none() {
                bail!("node.tree: unit {unit} is not in the tree file {}", path.display());
            }
            Some(tree)
        }
        None => None,
    };
    let departments = match &config.node.departments {
        Some(path) => Some(load_departments(path).context("node.departments")?),
        None => None,
    };
    let db = loaded.database_url();
    let shown_db = crate::commands::config::redact_url(&db);
    #[cfg(unix)]
    crate::sigbus::log_before_death(&shown_db, config.log.format == crate::telemetry::LogFormat::Json)
        .context("cannot install the SIGBUS handler")?;
    let store = fengqiao_store::connect_with(&db, keyring.clone()).await.map_err(|error| {
        let error = anyhow::Error::new(error);
        let causes = crate::errors::one_line(&error);
        match database_hint(&db, &causes) {
            Some(hint) => {
                anyhow::anyhow!("database.url: cannot open the database {shown_db}: {causes}; {hint}")
            }
            None => error.context(format!("database.url: cannot open the database {shown_db}")),
        }
    })?;
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
    let reporting_start = match fengqiao_node::resolve_reporting_start(&*store, loaded.reporting_start())
        .await?
    {
        Some((start, origin)) => {
            if origin == fengqiao_node::StartOrigin::EarliestReport {
                eprintln!(
                    "warning: reporting.start_date is not set; this database's earliest report ({start}) is taken \
                     as the first day of reporting: set it to the deployment's go-live date"
                );
            }
            start
        }
        None => bail!(
            "reporting.start_date is required for a new database: the deployment's first day of reporting \
             (go-live, YYYY-MM-DD), the same on every node; {}",
            crate::commands::config::how_to_set("reporting.start_date")
        ),
    };
    let child_nodes = match config.node.child_nodes.as_deref().map(str::trim) {
        None | Some("") => ChildNodes::None,
        Some("all") => ChildNodes::AllChildren,
        Some(list) => ChildNodes::Units(
            list.split(',').map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect(),
        ),
    };
    let node_config = NodeConfig {
        time: loaded.time(),
        reporting_start: Some(reporting_start),
        max_clock_skew: loaded.max_clock_skew(),
        weekly_due: loaded.weekly_due(),
        parent: parent.clone(),
        transport: transport.clone(),
        child_nodes,
        cases,
        ranking: config.ranking.weights(),
        limits: loaded.limits(),
        drain_grace: std::time::Duration::from_secs(config.node.drain_grace_seconds),
        reconcile: loaded.reconcile(),
        public: config.public.to_node(),
        departments,
        uplink: config.uplink.to_node()?,
        raw_text_months: loaded.raw_text_months(),
        ..NodeConfig::new(unit.clone())
    };
    let clock = Arc::new(SystemClock);
    let node = match (&tree, &parent) {
        (Some(tree), _) => Node::start(node_config, tree, Arc::clone(&store), clock).await?,
        (None, None) => bail!("node.tree: a node without node.parent needs a tree file"),
        (None, Some(parent)) => {
            match Node::start_from_store(node_config.clone(), Arc::clone(&store), clock.clone()).await? {
                Some(node) => node,
                None => {
                    eprintln!("no tree file and an empty database: waiting for the unit tree from {parent}");
                    let tree = fengqiao_node::downlink::fetch_tree(parent, &unit, &transport).await?;
                    Node::start(node_config, &tree, Arc::clone(&store), clock).await?
                }
            }
        }
    };
    let listen = &config.node.listen;
    let listener =
        TcpListener::bind(listen).await.with_context(|| format!("node.listen: cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    tracing::info!(
        unit = %unit,
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
        "fengqiao node {unit} serving {} units on {address} ({mode}; database {shown_db})",
        node.tree().len()
    );
    #[cfg(unix)]
    if let Some(path) = tree_file {
        tokio::spawn(reload_on_hangup(node.clone(), path));
    }
    // Prometheus metrics on their own port, plaintext: no personal data is
    // in them, but keep the port on the monitoring network.
    let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
    let metrics = match &config.metrics.listen {
        Some(metrics_listen) => {
            let metrics_listener = TcpListener::bind(metrics_listen)
                .await
                .with_context(|| format!("metrics.listen: cannot listen on {metrics_listen}"))?;
            let metrics_address = metrics_listener.local_addr()?;
            tracing::info!(address = %metrics_address, "metrics at http://{metrics_address}/metrics");
            println!("metrics of node {unit} on http://{metrics_address}/metrics");
            let shutdown = async {
                let _ = metrics_stopped.await;
            };
            Some(tokio::spawn(fengqiao_node::serve_metrics(node.clone(), metrics_listener, shutdown)))
        }
        None => None,
    };
    // The web dashboard on its own port: over TLS with the node's
    // certificate when it has one, plaintext on loopback otherwise.
    let (stop_web, web_stopped) = tokio::sync::oneshot::channel::<()>();
    let web = match &config.web.listen {
        Some(web_listen) => {
            let web_listener = TcpListener::bind(web_listen)
                .await
                .with_context(|| format!("web.listen: cannot listen on {web_listen}"))?;
            let web_address = web_listener.local_addr()?;
            let tls = match &transport {
                Transport::Tls(material) => Some(Arc::clone(material)),
                Transport::Insecure => None,
            };
            let scheme = if tls.is_some() { "https" } else { "http" };
            tracing::info!(address = %web_address, "web dashboard at {scheme}://{web_address}/");
            println!(
                "web dashboard of node {unit} on {scheme}://{web_address}/ (a login link: fengqiao web link --config …)"
            );
            let shutdown = async {
                let _ = web_stopped.await;
            };
            Some(tokio::spawn(fengqiao_node::serve_web(node.clone(), web_listener, tls, shutdown)))
        }
        None => None,
    };
    // The public tracker (阳光信访) on its own plain port, meant to sit
    // behind the operator's TLS proxy.
    let (stop_public, public_stopped) = tokio::sync::oneshot::channel::<()>();
    let public = match &config.public.listen {
        Some(public_listen) => {
            let public_listener = TcpListener::bind(public_listen)
                .await
                .with_context(|| format!("public.listen: cannot listen on {public_listen}"))?;
            let public_address = public_listener.local_addr()?;
            tracing::info!(address = %public_address, "public tracker at http://{public_address}/track");
            println!("public tracker of node {unit} on http://{public_address}/track");
            let shutdown = async {
                let _ = public_stopped.await;
            };
            let tracker = fengqiao_node::PublicTracker::new(node.clone(), config.public.to_node());
            Some(tokio::spawn(fengqiao_node::serve_public(tracker, public_listener, shutdown)))
        }
        None => None,
    };
    fengqiao_node::serve(node, listener, shutdown_signal()).await?;
    let _ = stop_public.send(());
    if let Some(public) = public {
        match public.await {
            Ok(Err(error)) => tracing::warn!(%error, "public tracker failed"),
            Err(error) => tracing::warn!(%error, "public tracker task failed"),
            Ok(Ok(())) => {}
        }
    }
    let _ = stop_web.send(());
    if let Some(web) = web {
        match web.await {
            Ok(Err(error)) => tracing::warn!(%error, "web dashboard failed"),
            Err(error) => tracing::warn!(%error, "web dashboard task failed"),
            Ok(Ok(())) => {}
        }
    }
    let _ = stop_metrics.send(());
    if let Some(metrics) = metrics {
        match metrics.await {
            Ok(Err(error)) => tracing::warn!(%error, "metrics endpoint failed"),
            Err(error) => tracing::warn!(%error, "metrics endpoint task failed"),
            Ok(Ok(())) => {}
        }
    }
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
            Ok(tree) => {
                match node.replace_tree(tree, &Auditor::internal("reload", audit::rpc::RELOAD_TREE)).await {
                    Ok(()) => tracing::info!(units = node.tree().len(), "tree reloaded"),
                    Err(error) => tracing::error!(%error, "tree reload refused; keeping the current tree"),
                }
            }
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "tree reload failed; keeping the current tree")
            }
        }
    }
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
