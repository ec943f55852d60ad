//! The nodes of `fengqiao demo`: each started on its own loopback port with
//! its own SQLite file, sixteen at a time, and the demo's PKI (a CA, every
//! node's and simulated person's certificate, in the work directory).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use fengqiao_core::UnitId;
use fengqiao_core::actor::{DisplayName, MAX_DISPLAY_NAME_CHARS};
use fengqiao_core::identity::{Identity, Role};
use fengqiao_core::{ManualClock, UnitTree};
use fengqiao_node::{ChildNodes, ForwarderConfig, Limits, Node, NodeConfig, TlsMaterial, Transport};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::Channel;

/// A node of the demo network.
pub(super) struct DemoNode {
    pub(super) unit: String,
    /// `https://host:port` (or `http://` with `--insecure`).
    pub(super) url: String,
    /// As the information officer of the node's home unit: reports.
    pub(super) channel: Channel,
    /// As the leader of the node's home unit: cases, rosters, figures.
    pub(super) leader: Channel,
    /// The `reporter` its reports state: empty over mTLS (the officer's
    /// certificate names them), a name of the unit's officer in plaintext.
    pub(super) reporter: String,
    /// `http://host:port` of its web dashboard, when it serves one.
    pub(super) web: Option<String>,
    /// `http://host:port` of its public tracker (阳光信访), on the district's node.
    pub(super) public: Option<String>,
}

/// Nodes starting at once: opening and migrating a database and a node's
/// first writes wait mostly on the disk, so more than the cores.
pub(super) const NODES_STARTING_AT_ONCE: usize = 16;

/// What one node of the demo starts with.
pub(super) struct NodeSpec {
    pub(super) unit: String,
    pub(super) unit_name: String,
    /// The parent node's URL (none at the district).
    pub(super) parent: Option<String>,
    /// The units of the nodes whose parent this node is.
    pub(super) children: Vec<String>,
    /// Bound before any node starts.
    pub(super) listener: TcpListener,
    pub(super) url: String,
    pub(super) database: PathBuf,
    /// The web dashboard's listener, for the nodes that serve one.
    pub(super) web: Option<TcpListener>,
    /// The public tracker's listener, on the district's node.
    pub(super) public: Option<TcpListener>,
}

/// What every node of the demo shares.
pub(super) struct Shared {
    pub(super) tree: Arc<UnitTree>,
    pub(super) pki: Option<Arc<DemoPki>>,
    pub(super) clock: Arc<ManualClock>,
    pub(super) first_day: NaiveDate,
    pub(super) stopped: watch::Receiver<bool>,
}

/// Issues a node's certificates, opens its database, starts it and serves
/// it on its listener; returns it (with channels to it as its officer and
/// its leader) and its store.
pub(super) async fn start_node(
    spec: NodeSpec,
    shared: Shared,
) -> Result<(DemoNode, Arc<dyn fengqiao_store::Store>)> {
    let NodeSpec { unit, unit_name, parent, children, listener, url, database, web, public } = spec;
    let public_address = public.as_ref().map(|l| l.local_addr()).transpose()?.map(|a| format!("http://{a}"));
    let public_config = fengqiao_node::tracker::PublicConfig {
        url: public_address.as_ref().map(|address| format!("{address}/track")),
        ..fengqiao_node::tracker::PublicConfig::default()
    };
    let Shared { tree, pki, clock, first_day, mut stopped } = shared;
    let (transport, officer, leader) = match &pki {
        Some(pki) => (
            pki.issue(&Identity::Node { unit: UnitId::parse(&unit)? }, &format!("node-{unit}"))?,
            pki.person(&unit, &unit_name, Role::Officer)?,
            pki.person(&unit, &unit_name, Role::Leader)?,
        ),
        None => (Transport::Insecure, Transport::Insecure, Transport::Insecure),
    };
    let store = fengqiao_store::connect(&format!("sqlite://{}", database.display()))
        .await
        .with_context(|| format!("database of node {unit}"))?;
    let config = NodeConfig {
        parent,
        transport,
        child_nodes: ChildNodes::Units(children),
        // The demo's reporters all call from this process, each node's
        // officer with one certificate: to a rate limit they would be one caller.
        limits: Limits::unthrottled(),
        // The deployment goes live on the first simulated day of
        // reporting: nothing is expected (or accepted) before it.
        reporting_start: Some(first_day),
        // The simulated clock passes a day's cut-off in an instant; an idle
        // child's heartbeat (10 s in a deployment, where a day takes a day)
        // is what tells its parent that its data for the day are in, so the
        // demo's summaries waited up to a heartbeat per tier for it.
        forwarder: ForwarderConfig { heartbeat: Duration::from_secs(1), ..ForwarderConfig::default() },
        public: public_config.clone(),
        ..NodeConfig::new(unit.clone())
    };
    let node = Node::start(config, &tree, Arc::clone(&store), clock)
        .await
        .with_context(|| format!("starting node {unit}"))?;
    // The dashboard in plaintext on loopback, also when the nodes speak
    // mTLS: a browser does not trust the demo's CA, and it keeps `Secure`
    // cookies on http://127.0.0.1 (a loopback origin counts as secure).
    let web = match web {
        Some(web_listener) => {
            let address = web_listener.local_addr()?;
            let mut web_stopped = stopped.clone();
            tokio::spawn(fengqiao_node::serve_web(node.clone(), web_listener, None, async move {
                let _ = web_stopped.wait_for(|stop| *stop).await;
            }));
            Some(format!("http://{address}"))
        }
        None => None,
    };
    if let Some(public_listener) = public {
        let mut public_stopped = stopped.clone();
        let tracker = fengqiao_node::PublicTracker::new(node.clone(), public_config);
        tokio::spawn(fengqiao_node::serve_public(tracker, public_listener, async move {
            let _ = public_stopped.wait_for(|stop| *stop).await;
        }));
    }
    let serving = fengqiao_node::serve(node, listener, async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    });
    tokio::spawn(async move {
        if let Err(error) = serving.await {
            eprintln!("error: a demo node stopped: {error}");
        }
    });
    let channel = fengqiao_node::tls::connect_endpoint(&url, &officer)?.connect_lazy();
    let leader = fengqiao_node::tls::connect_endpoint(&url, &leader)?.connect_lazy();
    let reporter = if pki.is_some() { String::new() } else { format!("demo-officer-{unit}") };
    Ok((DemoNode { unit, url, channel, leader, reporter, web, public: public_address }, store))
}

/// The demo's certificates, under `DIR/pki`: the CA, a certificate per
/// node, and per node an officer and a leader of its home unit (and an
/// admin of the district). One officer files for every reporting unit its
/// node holds, instead of a reporter certificate for each of 2,000 units.
/// Each person's certificate carries a display name (the unit's name and
/// the role, e.g. 马庄街道领导), which the ledger shows beside their id.
pub(super) struct DemoPki {
    pub(super) dir: PathBuf,
    pub(super) ca: fengqiao_node::pki::CertifiedKey,
}

impl DemoPki {
    pub(super) fn new(dir: PathBuf) -> Result<DemoPki> {
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let ca = fengqiao_node::pki::new_ca(30)?;
        let (cert, key) = fengqiao_node::pki::ca_paths(&dir);
        fengqiao_node::pki::write_pair(&ca, &cert, &key)?;
        Ok(DemoPki { dir, ca })
    }

    /// Issues `identity` a certificate as `DIR/pki/NAME.pem` and
    /// `NAME-key.pem`, and the transport that presents it.
    pub(super) fn issue(&self, identity: &Identity, name: &str) -> Result<Transport> {
        self.issue_named(identity, None, name)
    }

    /// [`DemoPki::issue`] with a display name in the certificate.
    pub(super) fn issue_named(
        &self,
        identity: &Identity,
        display: Option<&DisplayName>,
        name: &str,
    ) -> Result<Transport> {
        let leaf = fengqiao_node::pki::issue_named(&self.ca, identity, display, &[], 30)?;
        let (cert, key) = fengqiao_node::pki::leaf_paths(&self.dir.join(name));
        fengqiao_node::pki::write_pair(&leaf, &cert, &key)?;
        let material = TlsMaterial::from_pem(&self.ca.cert_pem, &leaf.cert_pem, &leaf.key_pem)?;
        Ok(Transport::Tls(Arc::new(material)))
    }

    /// A person of `unit` (named `unit_name`) with `role`: person id
    /// `demo-ROLE-UNIT`, display name the unit's name and the role.
    pub(super) fn person(&self, unit: &str, unit_name: &str, role: Role) -> Result<Transport> {
        let identity = Identity::person(&format!("demo-{role}-{unit}"), UnitId::parse(unit)?, role)?;
        let title = match role {
            Role::Reporter => "信息员",
            Role::Officer => "工作人员",
            Role::Leader => "领导",
            Role::Admin => "管理员",
            Role::Auditor => "审计员",
        };
        // The title is kept whole; a long unit name is cut before it.
        let name: String = unit_name.chars().take(MAX_DISPLAY_NAME_CHARS - title.chars().count()).collect();
        let display = DisplayName::parse_field(&format!("{name}{title}"), "display name")?;
        self.issue_named(&identity, Some(&display), &format!("{role}-{unit}"))
    }

    /// The `fengqiao` flags that present the certificate `name`.
    pub(super) fn flags(&self, name: &str) -> String {
        let (cert, key) = fengqiao_node::pki::leaf_paths(&self.dir.join(name));
        format!(
            "--ca {} --cert {} --key {}",
            fengqiao_node::pki::ca_paths(&self.dir).0.display(),
            cert.display(),
            key.display()
        )
    }
}
