//! The flags of `fengqiao node` and `fengqiao config print`, the last and
//! strongest layer of a node's configuration.

use super::*;

/// The flags of `fengqiao node` and `fengqiao config print`: each one set
/// overrides the file and the environment.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConfigArgs {
    /// A TOML configuration file (see deploy/config/); its values are
    /// overridden by FENGQIAO__SECTION__KEY environment variables, and
    /// those by flags.
    #[arg(long, env = "FENGQIAO_CONFIG")]
    pub config: Option<PathBuf>,
    /// node.unit: the unit this node serves (with every unit below it).
    #[arg(long)]
    pub unit: Option<String>,
    /// node.tree: the unit tree file (CSV: code, parent_code, tier, name, and optionally reporting,
    /// active_from, active_to). Only the root needs one: a node with a parent and no tree file takes
    /// its subtree from its parent (or from its database on a restart). Default at the root:
    /// deploy/zhanhe-410411.csv.
    #[arg(long)]
    pub tree: Option<PathBuf>,
    /// node.departments: the departments file (CSV: unit_id, code, name, five_in_one, from, until).
    /// Without one, a district's root node has the ten standard departments, and a child node those
    /// of its units its parent sends (see docs/OPERATIONS.md).
    #[arg(long)]
    pub departments: Option<PathBuf>,
    /// database.url: sqlite://PATH (created when missing) or postgres://USER@HOST:PORT/DB
    /// [default: sqlite://fengqiao-UNIT.db].
    #[arg(long)]
    pub db: Option<String>,
    /// node.listen: the gRPC address [default: 127.0.0.1:7400].
    #[arg(long)]
    pub listen: Option<String>,
    /// tls.ca: the deployment CA certificate(s), PEM.
    #[arg(long, conflicts_with = "insecure")]
    pub ca: Option<PathBuf>,
    /// tls.cert: this node's certificate (`fengqiao ca issue --unit UNIT`), PEM.
    #[arg(long, conflicts_with = "insecure")]
    pub cert: Option<PathBuf>,
    /// tls.key: the certificate's private key, PEM.
    #[arg(long, conflicts_with = "insecure")]
    pub key: Option<PathBuf>,
    /// tls.insecure: serve plaintext without TLS; callers are not identified. Only on a loopback
    /// address, for local tests.
    #[arg(long)]
    pub insecure: bool,
    /// time.zone: the deployment's time zone (IANA name) [default: Asia/Shanghai].
    #[arg(long)]
    pub time_zone: Option<String>,
    /// time.cutoff: the daily cut-off, local HH:MM; reports accepted before it are on time
    /// [default: 18:00].
    #[arg(long)]
    pub cutoff: Option<String>,
    /// time.max_clock_skew_secs: how far a child node's clock may run ahead of this one's; pushed
    /// items dated further in the future are refused [default: 300].
    #[arg(long)]
    pub max_clock_skew_secs: Option<u64>,
    /// reporting.start_date: the deployment's first day of reporting, YYYY-MM-DD, the same on every
    /// node; reports before it are refused and nothing is expected before it. Required for a new
    /// database (one that has a start keeps it).
    #[arg(long)]
    pub start_date: Option<String>,
    /// node.parent: the parent node (https://10.0.0.1:7400; http:// only when insecure); everything
    /// accepted here is forwarded to it.
    #[arg(long)]
    pub parent: Option<String>,
    /// node.child_nodes: units below with nodes of their own, `all` (every direct child unit) or a
    /// comma-separated list. Their reporters submit to those nodes; their data arrives over the uplink.
    #[arg(long, value_name = "all|UNIT,…")]
    pub child_nodes: Option<String>,
    /// cases.petitioner_secret_file: the deployment's secret for petitioner references (HMAC of the
    /// id number); every node needs the same one. Without it a built-in development key is used.
    #[arg(long)]
    pub petitioner_secret_file: Option<PathBuf>,
    /// personal_data.key_file: the current personal-data key (64 hex digits; `fengqiao pii keygen`).
    /// Without it a built-in development key is used: not for production.
    #[arg(long)]
    pub personal_data_key_file: Option<PathBuf>,
    /// personal_data.previous_key_files: a previous personal-data key (repeatable), still read and
    /// resealed under the current key at start.
    #[arg(long = "previous-personal-data-key-file")]
    pub previous_personal_data_key_files: Vec<PathBuf>,
    /// cases.accept_days: days from registration to the acceptance decision [default: 15].
    #[arg(long)]
    pub accept_days: Option<u32>,
    /// cases.handle_days: days from acceptance to resolution [default: 60].
    #[arg(long)]
    pub handle_days: Option<u32>,
    /// cases.max_extension_days: longest single extension [default: 30].
    #[arg(long)]
    pub max_extension_days: Option<u32>,
    /// cases.review_days: days for a review decision [default: 30].
    #[arg(long)]
    pub review_days: Option<u32>,
    /// cases.auto_escalate_after_days: escalate a case automatically once it has been overdue this
    /// many days at its owner (off when unset).
    #[arg(long)]
    pub auto_escalate_after_days: Option<u32>,
    /// cases.repeat_window_days: a new case of the same petitioner and category within this many
    /// days is a repeat petition [default: 365].
    #[arg(long)]
    pub repeat_window_days: Option<u32>,
    /// weekly.due: when a week's report (周报告) is due, a weekday and a local HH:MM in the
    /// following week [default: MON 12:00].
    #[arg(long)]
    pub weekly_due: Option<String>,
    /// reconcile.interval_secs: seconds between periodic reconciliations with the parent; 0: only at
    /// start, when the parent restarts and on request [default: 600].
    #[arg(long)]
    pub reconcile_interval_secs: Option<u64>,
    /// reconcile.max_days: most days whose items one reconciliation lists [default: 366].
    #[arg(long)]
    pub reconcile_max_days: Option<u32>,
    /// node.drain_grace_seconds: on SIGTERM or Ctrl-C, keep serving this many seconds with health
    /// already NOT_SERVING, then stop accepting and finish calls in flight [default: 0].
    #[arg(long)]
    pub drain_grace_seconds: Option<u64>,
    /// limits.max_message_bytes: largest gRPC message accepted (larger: OUT_OF_RANGE).
    #[arg(long)]
    pub max_message_bytes: Option<usize>,
    /// limits.request_timeout_secs: seconds a call may take to start its response.
    #[arg(long)]
    pub request_timeout_secs: Option<u64>,
    /// limits.max_in_flight: most calls handled at once, all callers together.
    #[arg(long)]
    pub max_in_flight: Option<usize>,
    /// limits.max_streams_per_connection: HTTP/2 max concurrent streams.
    #[arg(long)]
    pub max_streams_per_connection: Option<u32>,
    /// limits.max_connections: most open connections.
    #[arg(long)]
    pub max_connections: Option<usize>,
    /// limits.reserved_connections: of max_connections, the slots only connections that showed a
    /// certificate of the deployment CA may hold.
    #[arg(long)]
    pub reserved_connections: Option<usize>,
    /// limits.max_connections_per_source: most connections one source address may hold.
    #[arg(long)]
    pub max_connections_per_source: Option<usize>,
    /// limits.rate_limit: calls per second one caller may make on average; 0 turns it off.
    #[arg(long)]
    pub rate_limit: Option<u32>,
    /// limits.rate_burst: calls one caller may make at once above the average rate.
    #[arg(long)]
    pub rate_burst: Option<u32>,
    /// limits.handshake_timeout_secs: seconds a new connection has from accept to its first
    /// request (TLS handshake, HTTP/2 preface and the request's headers together).
    #[arg(long)]
    pub handshake_timeout_secs: Option<u64>,
    /// limits.idle_timeout_secs: seconds a connection may stay without an open call before the
    /// node closes it.
    #[arg(long)]
    pub idle_timeout_secs: Option<u64>,
    /// limits.keepalive_secs: seconds between HTTP/2 pings.
    #[arg(long)]
    pub keepalive_secs: Option<u64>,
    /// limits.keepalive_timeout_secs: seconds a peer has to answer a ping.
    #[arg(long)]
    pub keepalive_timeout_secs: Option<u64>,
    /// limits.tcp_keepalive_secs: seconds of silence before TCP keepalive probes.
    #[arg(long)]
    pub tcp_keepalive_secs: Option<u64>,
    /// metrics.listen: serve Prometheus metrics at http://ADDRESS/metrics (off when unset).
    #[arg(long)]
    pub metrics_listen: Option<String>,
    /// web.listen: serve the web dashboard at this ADDRESS (off when unset).
    #[arg(long)]
    pub web_listen: Option<String>,
    /// public.listen: serve the public tracker (阳光信访) at this ADDRESS, plain HTTP (off when unset).
    #[arg(long)]
    pub public_listen: Option<String>,
    /// public.url: the tracker page's public address printed on receipts.
    #[arg(long)]
    pub public_url: Option<String>,
    /// log.format: text or json lines on stderr [default: text].
    #[arg(long)]
    pub log_format: Option<LogFormat>,
    /// log.filter: tracing filter directives; RUST_LOG, when set, wins [default: info].
    #[arg(long)]
    pub log_filter: Option<String>,
    /// trace.otlp_endpoint: export spans over OTLP/gRPC to this collector (off when unset).
    #[arg(long)]
    pub otlp_endpoint: Option<String>,
    /// trace.service_name: the service.name of exported spans [default: fengqiao].
    #[arg(long)]
    pub service_name: Option<String>,
}

impl ConfigArgs {
    /// The flags that were given, as a nested dictionary of config keys.
    pub(super) fn overrides(&self) -> Dict {
        let mut dict = Dict::new();
        let mut set = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                let (section, field) = key.split_once('.').expect("section.key");
                let entry = dict.entry(section.to_owned()).or_insert_with(|| Value::from(Dict::new()));
                if let Value::Dict(_, fields) = entry {
                    fields.insert(field.to_owned(), value);
                }
            }
        };
        fn value<T: Serialize>(value: &Option<T>) -> Option<Value> {
            value.as_ref().map(|v| Value::serialize(v).expect("flag values serialize"))
        }
        set("node.unit", value(&self.unit));
        set("node.listen", value(&self.listen));
        set("node.tree", value(&self.tree));
        set("node.departments", value(&self.departments));
        set("node.parent", value(&self.parent));
        set("node.child_nodes", value(&self.child_nodes));
        set("node.drain_grace_seconds", value(&self.drain_grace_seconds));
        set("database.url", value(&self.db));
        set("tls.insecure", self.insecure.then(|| Value::from(true)));
        set("tls.ca", value(&self.ca));
        set("tls.cert", value(&self.cert));
        set("tls.key", value(&self.key));
        set("time.zone", value(&self.time_zone));
        set("time.cutoff", value(&self.cutoff));
        set("time.max_clock_skew_secs", value(&self.max_clock_skew_secs));
        set("reporting.start_date", value(&self.start_date));
        set("weekly.due", value(&self.weekly_due));
        set("cases.accept_days", value(&self.accept_days));
        set("cases.handle_days", value(&self.handle_days));
        set("cases.max_extension_days", value(&self.max_extension_days));
        set("cases.review_days", value(&self.review_days));
        set("cases.auto_escalate_after_days", value(&self.auto_escalate_after_days));
        set("cases.repeat_window_days", value(&self.repeat_window_days));
        set("cases.petitioner_secret_file", value(&self.petitioner_secret_file));
        set("personal_data.key_file", value(&self.personal_data_key_file));
        let previous = &self.previous_personal_data_key_files;
        set(
            "personal_data.previous_key_files",
            (!previous.is_empty()).then(|| value(&Some(previous))).flatten(),
        );
        set("limits.max_message_bytes", value(&self.max_message_bytes));
        set("limits.request_timeout_secs", value(&self.request_timeout_secs));
        set("limits.max_in_flight", value(&self.max_in_flight));
        set("limits.max_streams_per_connection", value(&self.max_streams_per_connection));
        set("limits.max_connections", value(&self.max_connections));
        set("limits.reserved_connections", value(&self.reserved_connections));
        set("limits.max_connections_per_source", value(&self.max_connections_per_source));
        set("limits.rate_limit", value(&self.rate_limit));
        set("limits.rate_burst", value(&self.rate_burst));
        set("limits.handshake_timeout_secs", value(&self.handshake_timeout_secs));
        set("limits.idle_timeout_secs", value(&self.idle_timeout_secs));
        set("limits.keepalive_secs", value(&self.keepalive_secs));
        set("limits.keepalive_timeout_secs", value(&self.keepalive_timeout_secs));
        set("limits.tcp_keepalive_secs", value(&self.tcp_keepalive_secs));
        set("metrics.listen", value(&self.metrics_listen));
        set("web.listen", value(&self.web_listen));
        set("public.listen", value(&self.public_listen));
        set("public.url", value(&self.public_url));
        set("log.format", value(&self.log_format));
        set("log.filter", value(&self.log_filter));
        set("trace.otlp_endpoint", value(&self.otlp_endpoint));
        set("trace.service_name", value(&self.service_name));
        set("reconcile.interval_secs", value(&self.reconcile_interval_secs));
        set("reconcile.max_days", value(&self.reconcile_max_days));
        dict
    }
}

/// A layer of fixed values under a name that error messages and
/// `config print` show (the built-in defaults, the flags).
pub(super) struct Layer {
    pub(super) name: &'static str,
    pub(super) values: Dict,
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.values.clone()))
    }
}
