//! A node's configuration, in layers, later wins: built-in defaults → a TOML
//! file (`--config`) → the environment (`FENGQIAO__SECTION__KEY`) → flags.
//! [`load`] merges and checks them without touching the filesystem beyond
//! the config file, so `fengqiao config print` can vet a deployment's files
//! anywhere; `fengqiao node` then opens what the config names.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use fengqiao_core::assessment::{Component, Weights};
use fengqiao_core::{DomainError, TimePolicy};
use fengqiao_node::Limits;
use figment::providers::{Env, Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::{Deserialize, Deserializer, Serialize};

pub use crate::telemetry::LogFormat;

/// Everything `fengqiao node` can be told; the TOML file has one table per
/// field. Unknown sections and keys are refused, so a typo never passes as
/// a default.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub node: NodeSection,
    pub database: DatabaseSection,
    pub tls: TlsSection,
    pub time: TimeSection,
    pub reporting: ReportingSection,
    pub cases: CasesSection,
    pub personal_data: PersonalDataSection,
    pub ranking: RankingSection,
    pub limits: LimitsSection,
    pub metrics: MetricsSection,
    pub log: LogSection,
    pub trace: TraceSection,
    pub reconcile: ReconcileSection,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeSection {
    /// The unit this node serves (with every unit below it). Required.
    #[serde(deserialize_with = "optional_text", skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// `host:port` to serve gRPC on.
    pub listen: String,
    /// The unit tree CSV; only the root needs one (children fetch theirs
    /// from the parent, or read it from their database on a restart).
    pub tree: Option<PathBuf>,
    /// The parent node's URL; absent at the root.
    pub parent: Option<String>,
    /// Units below with nodes of their own: `all` or a comma-separated list.
    #[serde(deserialize_with = "optional_text", skip_serializing_if = "Option::is_none")]
    pub child_nodes: Option<String>,
    /// Seconds of serving with health NOT_SERVING after SIGTERM.
    pub drain_grace_seconds: u64,
}

impl Default for NodeSection {
    fn default() -> Self {
        NodeSection {
            unit: None,
            listen: "127.0.0.1:7400".to_owned(),
            tree: None,
            parent: None,
            child_nodes: None,
            drain_grace_seconds: 0,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSection {
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`; default
    /// `sqlite://fengqiao-{unit}.db`.
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSection {
    /// Plaintext on a loopback address, callers unidentified: local tests only.
    pub insecure: bool,
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimeSection {
    /// The deployment's IANA time zone.
    pub zone: String,
    /// The daily cut-off, local `HH:MM`.
    pub cutoff: String,
    /// How far another node's clock may run ahead of this one's: a child
    /// node's pushed items may carry times this far in the future.
    pub max_clock_skew_secs: u64,
}

impl Default for TimeSection {
    fn default() -> Self {
        TimeSection {
            zone: "Asia/Shanghai".to_owned(),
            cutoff: "18:00".to_owned(),
            max_clock_skew_secs: fengqiao_node::DEFAULT_MAX_CLOCK_SKEW.as_secs(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportingSection {
    /// The deployment's first day of reporting (go-live), `YYYY-MM-DD`, the
    /// same on every node: reports dated before it are refused and nothing
    /// is expected before it. Required for a new database; a database that
    /// has one keeps it when this is unset.
    #[serde(deserialize_with = "optional_date_text", skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CasesSection {
    pub accept_days: u32,
    pub handle_days: u32,
    pub max_extension_days: u32,
    pub review_days: u32,
    pub auto_escalate_after_days: Option<u32>,
    pub repeat_window_days: u32,
    /// The deployment-wide HMAC secret of petitioner references.
    pub petitioner_secret_file: Option<PathBuf>,
}

impl Default for CasesSection {
    fn default() -> Self {
        let policy = fengqiao_core::case::DeadlinePolicy::default();
        CasesSection {
            accept_days: policy.accept_days,
            handle_days: policy.handle_days,
            max_extension_days: policy.max_extension_days,
            review_days: policy.review_days,
            auto_escalate_after_days: policy.auto_escalate_after_days,
            repeat_window_days: policy.repeat_window_days,
            petitioner_secret_file: None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PersonalDataSection {
    /// The current personal-data key (64 hex digits).
    pub key_file: Option<PathBuf>,
    /// Earlier keys, still read during a rotation.
    pub previous_key_files: Vec<PathBuf>,
}

/// The weights of the accountability assessment that ranks the child
/// units of a summary (责任追究): relative, 0 to 1000 each, at least one
/// above 0. The formula is in `fengqiao_core::assessment`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RankingSection {
    pub completeness: u32,
    pub timeliness: u32,
    pub dispute_resolution: u32,
    pub on_time_acceptance: u32,
    pub on_time_closure: u32,
    pub repeat_petitions: u32,
    pub satisfaction: u32,
}

impl Default for RankingSection {
    fn default() -> Self {
        let w = Weights::default();
        RankingSection {
            completeness: w.completeness,
            timeliness: w.timeliness,
            dispute_resolution: w.dispute_resolution,
            on_time_acceptance: w.on_time_acceptance,
            on_time_closure: w.on_time_closure,
            repeat_petitions: w.repeat_petitions,
            satisfaction: w.satisfaction,
        }
    }
}

impl RankingSection {
    pub fn weights(&self) -> Weights {
        Weights {
            completeness: self.completeness,
            timeliness: self.timeliness,
            dispute_resolution: self.dispute_resolution,
            on_time_acceptance: self.on_time_acceptance,
            on_time_closure: self.on_time_closure,
            repeat_petitions: self.repeat_petitions,
            satisfaction: self.satisfaction,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    pub max_message_bytes: usize,
    pub request_timeout_secs: u64,
    pub max_in_flight: usize,
    pub max_streams_per_connection: u32,
    pub max_connections: usize,
    /// Of `max_connections`, the slots kept for connections that showed a
    /// certificate of the deployment CA.
    pub reserved_connections: usize,
    pub max_connections_per_source: usize,
    /// Calls per second per caller; 0 turns the rate limit off.
    pub rate_limit: u32,
    pub rate_burst: u32,
    /// From accept to the first request's headers, TLS handshake included.
    pub handshake_timeout_secs: u64,
    pub idle_timeout_secs: u64,
    pub keepalive_secs: u64,
    pub keepalive_timeout_secs: u64,
    pub tcp_keepalive_secs: u64,
}

impl Default for LimitsSection {
    fn default() -> Self {
        let limits = Limits::default();
        LimitsSection {
            max_message_bytes: limits.max_message_bytes,
            request_timeout_secs: limits.request_timeout.as_secs(),
            max_in_flight: limits.max_in_flight,
            max_streams_per_connection: limits.max_streams_per_connection,
            max_connections: limits.max_connections,
            reserved_connections: limits.reserved_connections,
            max_connections_per_source: limits.max_connections_per_source,
            rate_limit: limits.rate_per_second,
            rate_burst: limits.rate_burst,
            handshake_timeout_secs: limits.handshake_timeout.as_secs(),
            idle_timeout_secs: limits.idle_timeout.as_secs(),
            keepalive_secs: limits.keepalive_interval.as_secs(),
            keepalive_timeout_secs: limits.keepalive_timeout.as_secs(),
            tcp_keepalive_secs: limits.tcp_keepalive.as_secs(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// `host:port` serving Prometheus metrics at `/metrics`; off when absent.
    pub listen: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    pub format: LogFormat,
    /// tracing filter directives (`info`, `fengqiao_node=debug,info`);
    /// `RUST_LOG`, when set, wins.
    pub filter: String,
}

impl Default for LogSection {
    fn default() -> Self {
        LogSection { format: LogFormat::Text, filter: "info".to_owned() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TraceSection {
    /// OTLP/gRPC collector (`http://collector:4317`); no export when absent.
    pub otlp_endpoint: Option<String>,
    /// The `service.name` of exported spans.
    pub service_name: String,
}

impl Default for TraceSection {
    fn default() -> Self {
        TraceSection { otlp_endpoint: None, service_name: "fengqiao".to_owned() }
    }
}

/// Reconciliation with the parent (anti-entropy): the node compares digests
/// of its subtree with the parent's at start, when the parent restarts, on
/// request, and every `interval_secs`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReconcileSection {
    /// Seconds between periodic exchanges; 0 turns them off.
    pub interval_secs: u64,
    /// Most days whose items one exchange lists (the next goes on).
    pub max_days: u32,
}

impl Default for ReconcileSection {
    fn default() -> Self {
        let defaults = fengqiao_node::reconcile::ReconcileConfig::default();
        ReconcileSection { interval_secs: defaults.interval.as_secs(), max_days: defaults.max_days }
    }
}

/// Unit ids are digits: accept `unit = 410411` as well as `"410411"`, and
/// the environment's `FENGQIAO__NODE__UNIT=410411`, which figment reads as
/// a number.
fn optional_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        String(String),
        Number(u64),
    }
    Ok(Option::<Text>::deserialize(deserializer)?.map(|text| match text {
        Text::String(text) => text,
        Text::Number(number) => number.to_string(),
    }))
}

/// A date may be written bare in TOML (`start_date = 2026-03-01`), which
/// arrives as a TOML date rather than a string: take its text either way.
fn optional_date_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        String(String),
        Date(toml::value::Datetime),
    }
    Ok(Option::<Text>::deserialize(deserializer)?.map(|text| match text {
        Text::String(text) => text,
        Text::Date(date) => date.to_string(),
    }))
}

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
    fn overrides(&self) -> Dict {
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
struct Layer {
    name: &'static str,
    values: Dict,
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.values.clone()))
    }
}

/// The environment variables' prefix: `FENGQIAO__LIMITS__MAX_IN_FLIGHT`
/// sets `limits.max_in_flight`.
pub const ENV_PREFIX: &str = "FENGQIAO__";

/// A setting a person gives both the node and the clients: its flag, its
/// key in the node's config file and the environment variable both read.
/// One table, so `fengqiao node` and every client command take the same
/// variables, and every message about a missing one names all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub flag: &'static str,
    pub key: &'static str,
    pub variable: &'static str,
}

/// The deployment CA bundle (`--ca`, `tls.ca`, `FENGQIAO_CA`).
pub const CA: Setting = Setting { flag: "--ca", key: "tls.ca", variable: "FENGQIAO_CA" };
/// The node's or person's certificate.
pub const CERT: Setting = Setting { flag: "--cert", key: "tls.cert", variable: "FENGQIAO_CERT" };
/// The certificate's private key.
pub const KEY: Setting = Setting { flag: "--key", key: "tls.key", variable: "FENGQIAO_KEY" };

/// The settings the node reads from the same variables as the clients.
pub const SHARED_SETTINGS: [Setting; 3] = [CA, CERT, KEY];

/// The name of the layer of [`SHARED_SETTINGS`] variables.
const SHARED_ENV_LAYER: &str = "shared environment variables";

impl Setting {
    /// How a client is given it (clients read no config file): "pass --ca
    /// or export FENGQIAO_CA".
    pub fn how_to_give_a_client(&self) -> String {
        format!("pass {} or export {}", self.flag, self.variable)
    }
}

/// How a node is given the setting of config key `key`: "pass --ca, set
/// tls.ca in the config file, or export FENGQIAO_CA" for a shared one, else
/// its flag and its `FENGQIAO__SECTION__KEY` variable.
pub fn how_to_set(key: &str) -> String {
    let (flag, variable) = match SHARED_SETTINGS.iter().find(|s| s.key == key) {
        Some(shared) => (shared.flag.to_owned(), shared.variable.to_owned()),
        None => {
            let field = key.split_once('.').map_or(key, |(_, field)| field);
            (
                format!("--{}", field.replace('_', "-")),
                format!("{ENV_PREFIX}{}", key.replace('.', "__").to_uppercase()),
            )
        }
    };
    format!("pass {flag}, set {key} in the config file, or export {variable}")
}

/// The [`SHARED_SETTINGS`] variables that are set, as a layer.
fn shared_environment() -> Dict {
    let mut tls = Dict::new();
    for setting in SHARED_SETTINGS {
        if let Some(value) = std::env::var_os(setting.variable).filter(|v| !v.is_empty()) {
            let field = setting.key.split_once('.').expect("section.key").1;
            tls.insert(field.to_owned(), Value::from(value.to_string_lossy().into_owned()));
        }
    }
    let mut dict = Dict::new();
    if !tls.is_empty() {
        dict.insert("tls".to_owned(), Value::from(tls));
    }
    dict
}

/// The tree file a root node reads when none is given.
pub const DEFAULT_TREE: &str = "deploy/zhanhe-410411.csv";

/// The merged, checked configuration and where each value came from.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    figment: Figment,
}

impl Loaded {
    /// Where `key` (`section.field`) got its value: "built-in defaults",
    /// "TOML file PATH", "environment variable FENGQIAO__…" or
    /// "command-line flags".
    pub fn origin(&self, key: &str) -> String {
        match self.figment.find_metadata(key) {
            Some(metadata) => describe_origin(metadata, key),
            None => "not set".to_owned(),
        }
    }

    /// The unit this node serves (checked present by [`load`]).
    pub fn unit(&self) -> &str {
        self.config.node.unit.as_deref().unwrap_or_default()
    }

    /// The database URL, defaulting to a SQLite file named after the unit.
    pub fn database_url(&self) -> String {
        self.config.database.url.clone().unwrap_or_else(|| format!("sqlite://fengqiao-{}.db", self.unit()))
    }

    /// The tree file the node reads, and whether it is the built-in
    /// default: the one given, else at the root (no parent)
    /// `deploy/zhanhe-410411.csv`; a node with a parent and no tree file
    /// takes its subtree from the parent.
    pub fn tree_file(&self) -> Option<(PathBuf, bool)> {
        match (&self.config.node.tree, &self.config.node.parent) {
            (Some(path), _) => Some((path.clone(), false)),
            (None, None) => Some((PathBuf::from(DEFAULT_TREE), true)),
            (None, Some(_)) => None,
        }
    }

    /// The checked limits.
    pub fn limits(&self) -> Limits {
        let l = &self.config.limits;
        Limits {
            max_message_bytes: l.max_message_bytes,
            request_timeout: Duration::from_secs(l.request_timeout_secs),
            max_in_flight: l.max_in_flight,
            max_streams_per_connection: l.max_streams_per_connection,
            max_connections: l.max_connections,
            reserved_connections: l.reserved_connections,
            max_connections_per_source: l.max_connections_per_source,
            rate_per_second: l.rate_limit,
            rate_burst: l.rate_burst,
            handshake_timeout: Duration::from_secs(l.handshake_timeout_secs),
            idle_timeout: Duration::from_secs(l.idle_timeout_secs),
            keepalive_interval: Duration::from_secs(l.keepalive_secs),
            keepalive_timeout: Duration::from_secs(l.keepalive_timeout_secs),
            tcp_keepalive: Duration::from_secs(l.tcp_keepalive_secs),
        }
    }

    /// The time policy (checked by [`load`]).
    pub fn reconcile(&self) -> fengqiao_node::reconcile::ReconcileConfig {
        fengqiao_node::reconcile::ReconcileConfig {
            interval: Duration::from_secs(self.config.reconcile.interval_secs),
            max_days: self.config.reconcile.max_days,
        }
    }

    pub fn time(&self) -> TimePolicy {
        TimePolicy::parse(&self.config.time.zone, &self.config.time.cutoff).expect("checked by load")
    }

    /// How far another node's clock may run ahead (checked by [`load`]).
    pub fn max_clock_skew(&self) -> Duration {
        Duration::from_secs(self.config.time.max_clock_skew_secs)
    }

    /// The configured first day of reporting (checked by [`load`]).
    pub fn reporting_start(&self) -> Option<chrono::NaiveDate> {
        self.config.reporting.start_date.as_deref().map(|date| {
            fengqiao_core::time::parse_date(date, "reporting.start_date").expect("checked by load")
        })
    }

    /// The value an unset optional key takes all the same, and why.
    fn effective_default(&self, key: &str) -> Option<(String, &'static str)> {
        match key {
            "database.url" => Some((self.database_url(), "sqlite://fengqiao-UNIT.db")),
            "node.tree" => self
                .tree_file()
                .filter(|(_, default)| *default)
                .map(|(path, _)| (path.display().to_string(), "a node without node.parent reads it")),
            _ => None,
        }
    }

    /// The effective configuration as TOML, each value with its origin,
    /// unset optional keys commented out, secrets redacted.
    pub fn to_toml(&self) -> String {
        let tree = serde_json::to_value(&self.config).expect("the config serializes");
        let mut out = String::from(
            "# fengqiao node: effective configuration (defaults < TOML file < FENGQIAO__* environment < flags)\n\
             # secrets (passwords in URLs) are redacted\n",
        );
        let serde_json::Value::Object(sections) = tree else { unreachable!("the config is a table") };
        // Every key, including the optional ones serde leaves out when unset.
        let all_keys = all_keys();
        for (section, fields) in sections {
            out.push_str(&format!("\n[{section}]\n"));
            let serde_json::Value::Object(fields) = fields else { continue };
            for field in all_keys.get(section.as_str()).into_iter().flatten() {
                let key = format!("{section}.{field}");
                match fields.get(*field) {
                    None | Some(serde_json::Value::Null) => match self.effective_default(&key) {
                        Some((value, why)) => {
                            let rendered = toml::Value::String(value).to_string();
                            out.push_str(&format!("{field} = {rendered}  # default ({why})\n"))
                        }
                        None => out.push_str(&format!("# {field} =  (not set)\n")),
                    },
                    Some(value) => {
                        let mut value = value.clone();
                        if let serde_json::Value::String(text) = &mut value
                            && SECRET_URL_KEYS.contains(&key.as_str())
                        {
                            *text = redact_url(text);
                        }
                        let rendered = toml::Value::try_from(&value)
                            .map(|v| v.to_string())
                            .unwrap_or_else(|_| value.to_string());
                        out.push_str(&format!("{field} = {rendered}  # {}\n", self.origin(&key)));
                    }
                }
            }
        }
        out
    }
}

/// A layer's name for messages: "TOML file PATH", "environment variable
/// FENGQIAO__SECTION__KEY", or the layer's own name.
fn describe_origin(metadata: &Metadata, key: &str) -> String {
    if metadata.name == SHARED_ENV_LAYER
        && let Some(setting) = SHARED_SETTINGS.iter().find(|s| s.key == key)
    {
        return format!("environment variable {}", setting.variable);
    }
    if metadata.name.contains("environment variable") {
        let variable = format!("{ENV_PREFIX}{}", key.replace('.', "__").to_uppercase());
        return format!("environment variable {variable}");
    }
    match &metadata.source {
        Some(figment::Source::File(path)) => format!("TOML file {}", path.display()),
        _ => metadata.name.to_string(),
    }
}

/// Keys whose values are URLs that may carry a password.
const SECRET_URL_KEYS: &[&str] = &["database.url", "node.parent", "trace.otlp_endpoint"];

/// Every `section -> fields` of [`Config`] in print order, the optional
/// ones serde leaves out when unset included (a test checks it against the
/// struct).
fn all_keys() -> BTreeMap<&'static str, Vec<&'static str>> {
    BTreeMap::from([
        ("node", vec!["unit", "listen", "tree", "parent", "child_nodes", "drain_grace_seconds"]),
        ("database", vec!["url"]),
        ("tls", vec!["insecure", "ca", "cert", "key"]),
        ("time", vec!["zone", "cutoff", "max_clock_skew_secs"]),
        ("reporting", vec!["start_date"]),
        (
            "cases",
            vec![
                "accept_days",
                "handle_days",
                "max_extension_days",
                "review_days",
                "auto_escalate_after_days",
                "repeat_window_days",
                "petitioner_secret_file",
            ],
        ),
        ("personal_data", vec!["key_file", "previous_key_files"]),
        ("ranking", Component::ALL.iter().map(|c| c.name()).collect()),
        (
            "limits",
            vec![
                "max_message_bytes",
                "request_timeout_secs",
                "max_in_flight",
                "max_streams_per_connection",
                "max_connections",
                "reserved_connections",
                "max_connections_per_source",
                "rate_limit",
                "rate_burst",
                "handshake_timeout_secs",
                "idle_timeout_secs",
                "keepalive_secs",
                "keepalive_timeout_secs",
                "tcp_keepalive_secs",
            ],
        ),
        ("metrics", vec!["listen"]),
        ("log", vec!["format", "filter"]),
        ("trace", vec!["otlp_endpoint", "service_name"]),
        ("reconcile", vec!["interval_secs", "max_days"]),
    ])
}

/// `scheme://user:password@host/…` with the password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else { return url.to_owned() };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
        None => url.to_owned(),
    }
}

/// Merges the layers and checks every value, naming the key and where it
/// came from on the first problem found. Reads no file but the config file.
pub fn load(args: &ConfigArgs) -> Result<Loaded> {
    let defaults = match Value::serialize(Config::default()) {
        Ok(Value::Dict(_, dict)) => dict,
        _ => unreachable!("the default config is a table"),
    };
    let mut figment = Figment::from(Layer { name: "built-in defaults", values: defaults });
    if let Some(path) = &args.config {
        if !path.is_file() {
            bail!("the config file {} does not exist", path.display());
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__"));
    // FENGQIAO_CA, FENGQIAO_CERT and FENGQIAO_KEY, as the clients read them;
    // not for a node told to serve plaintext (by a flag, the file or
    // FENGQIAO__TLS__INSECURE): the variables then belong to the clients of
    // the same shell.
    let plaintext = args.insecure || figment.extract_inner::<bool>("tls.insecure").unwrap_or(false);
    if !plaintext {
        figment = figment.merge(Layer { name: SHARED_ENV_LAYER, values: shared_environment() });
    }
    figment = figment.merge(Layer { name: "command-line flags", values: args.overrides() });
    let config: Config = figment.extract().map_err(|error| {
        let problems: Vec<String> = error
            .into_iter()
            .map(|e| {
                // Environment keys arrive upper-case; name them as the file does.
                let key = e.path.join(".").to_lowercase();
                match &e.metadata {
                    Some(metadata) if !key.is_empty() => {
                        format!("{key} ({}): {}", describe_origin(metadata, &key), e.kind)
                    }
                    Some(metadata) => format!("{} ({})", e.kind, describe_origin(metadata, &key)),
                    None => e.to_string(),
                }
            })
            .collect();
        anyhow::anyhow!("configuration: {}", problems.join("; "))
    })?;
    let loaded = Loaded { config, figment };
    check(&loaded)?;
    Ok(loaded)
}

/// The checks that need no file: each failure names the key, its origin
/// and what is expected.
fn check(loaded: &Loaded) -> Result<()> {
    let c = &loaded.config;
    let fail = |key: &str, problem: &str| -> anyhow::Error {
        anyhow::anyhow!("configuration: {key} ({}): {problem}", loaded.origin(key))
    };
    let Some(unit) = &c.node.unit else {
        bail!("configuration: missing node.unit: {}", how_to_set("node.unit"));
    };
    fengqiao_core::UnitId::parse(unit).map_err(|e| fail("node.unit", &e.to_string()))?;
    check_address(&c.node.listen).map_err(|e| fail("node.listen", &e))?;
    if let Some(children) = c.node.child_nodes.as_deref()
        && children.trim() != "all"
    {
        for child in children.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if child == "all" {
                return Err(fail("node.child_nodes", "`all` stands alone, without a list"));
            }
            fengqiao_core::UnitId::parse(child)
                .map_err(|e| fail("node.child_nodes", &format!("expected `all` or unit ids: {e}")))?;
        }
    }
    if c.node.drain_grace_seconds > 300 {
        return Err(fail("node.drain_grace_seconds", "must be at most 300"));
    }
    if let Some(url) = &c.database.url
        && !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://"))
    {
        return Err(fail("database.url", "expected sqlite://PATH or postgres://USER@HOST:PORT/DB"));
    }
    let tls_files = [("tls.ca", &c.tls.ca), ("tls.cert", &c.tls.cert), ("tls.key", &c.tls.key)];
    let given: Vec<&str> = tls_files.iter().filter(|(_, v)| v.is_some()).map(|(k, _)| *k).collect();
    match (c.tls.insecure, given.len()) {
        (true, 0) | (false, 3) => {}
        (true, _) => {
            return Err(fail(
                "tls.insecure",
                &format!("plaintext cannot be combined with {}", given.join(", ")),
            ));
        }
        (false, 0) => bail!(
            "configuration: a node needs TLS (or --insecure for plaintext on loopback): missing tls.ca, tls.cert \
             and tls.key: pass --ca, --cert and --key, set them in the config file, or export FENGQIAO_CA, \
             FENGQIAO_CERT and FENGQIAO_KEY (make them with `fengqiao ca init` and `fengqiao ca issue`)"
        ),
        (false, _) => {
            let missing: Vec<String> = SHARED_SETTINGS
                .iter()
                .zip(tls_files)
                .filter(|(_, (_, value))| value.is_none())
                .map(|(setting, _)| format!("missing {}: {}", setting.key, how_to_set(setting.key)))
                .collect();
            bail!("configuration: TLS needs tls.ca, tls.cert and tls.key together; {}", missing.join("; "))
        }
    }
    if let Some(parent) = &c.node.parent {
        let scheme_ok = parent.starts_with("https://") || (c.tls.insecure && parent.starts_with("http://"));
        if !scheme_ok {
            let expected = if c.tls.insecure { "http:// or https://" } else { "https:// (TLS)" };
            return Err(fail("node.parent", &format!("expected a URL starting with {expected}")));
        }
    }
    TimePolicy::parse(&c.time.zone, &c.time.cutoff).map_err(|e| {
        let key = if e.to_string().contains("zone") { "time.zone" } else { "time.cutoff" };
        fail(key, &e.to_string())
    })?;
    if c.time.max_clock_skew_secs > 3600 {
        return Err(fail("time.max_clock_skew_secs", "must be at most 3600 seconds"));
    }
    if let Some(start) = &c.reporting.start_date {
        fengqiao_core::time::parse_date(start, "reporting.start_date").map_err(|_| {
            fail("reporting.start_date", &format!("{start:?} is not a date (expected YYYY-MM-DD)"))
        })?;
    }
    let cases = &c.cases;
    for (key, value) in [
        ("cases.accept_days", cases.accept_days),
        ("cases.handle_days", cases.handle_days),
        ("cases.max_extension_days", cases.max_extension_days),
        ("cases.review_days", cases.review_days),
        ("cases.repeat_window_days", cases.repeat_window_days),
        ("cases.auto_escalate_after_days", cases.auto_escalate_after_days.unwrap_or(1)),
    ] {
        if !(1..=3660).contains(&value) {
            return Err(fail(key, "must be between 1 and 3660 days"));
        }
    }
    if let Err(DomainError::Invalid { field, reason }) = c.ranking.weights().check() {
        return Err(fail(&format!("ranking.{field}"), &reason.text));
    }
    if !c.personal_data.previous_key_files.is_empty() && c.personal_data.key_file.is_none() {
        return Err(fail(
            "personal_data.previous_key_files",
            "needs personal_data.key_file (the current key)",
        ));
    }
    let l = &c.limits;
    if l.max_message_bytes < 64 * 1024 {
        return Err(fail("limits.max_message_bytes", "must be at least 65536"));
    }
    for (key, value) in [
        ("limits.max_in_flight", l.max_in_flight),
        ("limits.max_streams_per_connection", l.max_streams_per_connection as usize),
        ("limits.max_connections", l.max_connections),
    ] {
        if value == 0 {
            return Err(fail(key, "must be at least 1"));
        }
    }
    for (key, value) in [
        ("limits.request_timeout_secs", l.request_timeout_secs),
        ("limits.handshake_timeout_secs", l.handshake_timeout_secs),
        ("limits.idle_timeout_secs", l.idle_timeout_secs),
        ("limits.keepalive_secs", l.keepalive_secs),
        ("limits.keepalive_timeout_secs", l.keepalive_timeout_secs),
        ("limits.tcp_keepalive_secs", l.tcp_keepalive_secs),
    ] {
        if !(1..=86_400).contains(&value) {
            return Err(fail(key, "must be between 1 and 86400 seconds"));
        }
    }
    if l.reserved_connections >= l.max_connections {
        return Err(fail(
            "limits.reserved_connections",
            &format!(
                "must be below limits.max_connections ({}): connections without a certificate yet need slots too",
                l.max_connections
            ),
        ));
    }
    if l.max_connections_per_source == 0 || l.max_connections_per_source > l.max_connections {
        return Err(fail(
            "limits.max_connections_per_source",
            &format!("must be between 1 and limits.max_connections ({})", l.max_connections),
        ));
    }
    if l.rate_limit > 0 && l.rate_burst == 0 {
        return Err(fail("limits.rate_burst", "must be at least 1 when limits.rate_limit is on"));
    }
    if let Some(listen) = &c.metrics.listen {
        check_address(listen).map_err(|e| fail("metrics.listen", &e))?;
        if listen == &c.node.listen {
            return Err(fail("metrics.listen", "must differ from node.listen"));
        }
    }
    if c.log.filter.trim().is_empty() {
        return Err(fail("log.filter", "must not be empty (e.g. `info`)"));
    }
    tracing_subscriber::EnvFilter::try_new(&c.log.filter).map_err(|e| fail("log.filter", &e.to_string()))?;
    if let Some(endpoint) = &c.trace.otlp_endpoint
        && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
    {
        return Err(fail(
            "trace.otlp_endpoint",
            "expected http://HOST:PORT or https://HOST:PORT (OTLP/gRPC)",
        ));
    }
    if c.trace.service_name.trim().is_empty() {
        return Err(fail("trace.service_name", "must not be empty"));
    }
    if c.reconcile.interval_secs > 0 && !(10..=604_800).contains(&c.reconcile.interval_secs) {
        return Err(fail("reconcile.interval_secs", "must be 0 (off) or between 10 and 604800 seconds"));
    }
    if !(1..=36_600).contains(&c.reconcile.max_days) {
        return Err(fail("reconcile.max_days", "must be between 1 and 36600"));
    }
    Ok(())
}

/// What `fengqiao node` checks before it opens anything, and `fengqiao
/// config print` with it: [`load`]'s checks, then those that look at the
/// machine — plaintext only on loopback (`node.listen` resolved), and every
/// file the configuration names (the TLS trio, the tree, the petitioner
/// secret, the personal-data keys) an existing, readable file. Each failure
/// names the key and where its value came from.
pub fn load_validated(args: &ConfigArgs) -> Result<Loaded> {
    let loaded = load(args)?;
    validate(&loaded)?;
    Ok(loaded)
}

/// The machine-dependent half of [`load_validated`].
pub fn validate(loaded: &Loaded) -> Result<()> {
    let c = &loaded.config;
    let fail = |key: &str, problem: &str| -> anyhow::Error {
        anyhow::anyhow!("configuration: {key} ({}): {problem}", loaded.origin(key))
    };
    if c.tls.insecure {
        let listen = &c.node.listen;
        let addresses: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(listen.as_str())
            .map_err(|e| fail("node.listen", &format!("cannot resolve {listen:?}: {e}")))?
            .collect();
        if let Some(open) = addresses.iter().find(|a| !a.ip().is_loopback()) {
            return Err(fail(
                "tls.insecure",
                &format!(
                    "plaintext is refused on the non-loopback address {open} (node.listen {listen}): listen on \
                     127.0.0.1, or serve TLS with --ca, --cert and --key"
                ),
            ));
        }
    }
    let mut files: Vec<(&str, &PathBuf)> = Vec::new();
    for (key, path) in [
        ("tls.ca", &c.tls.ca),
        ("tls.cert", &c.tls.cert),
        ("tls.key", &c.tls.key),
        ("cases.petitioner_secret_file", &c.cases.petitioner_secret_file),
        ("personal_data.key_file", &c.personal_data.key_file),
    ] {
        if let Some(path) = path {
            files.push((key, path));
        }
    }
    files.extend(
        c.personal_data.previous_key_files.iter().map(|path| ("personal_data.previous_key_files", path)),
    );
    let tree = loaded.tree_file();
    if let Some((path, _)) = &tree {
        files.push(("node.tree", path));
    }
    for (key, path) in files {
        let origin = if key == "node.tree" && tree.as_ref().is_some_and(|(_, default)| *default) {
            "the default at the root: a node without node.parent reads a tree".to_owned()
        } else {
            loaded.origin(key)
        };
        let problem = match std::fs::metadata(path) {
            Err(error) => Some(error.to_string()),
            Ok(metadata) if !metadata.is_file() => Some("not a file".to_owned()),
            Ok(_) => std::fs::File::open(path).err().map(|error| error.to_string()),
        };
        if let Some(problem) = problem {
            bail!("configuration: {key} ({origin}): cannot read {}: {problem}", path.display());
        }
    }
    Ok(())
}

/// `host:port` with a numeric port; the host is resolved when the node binds.
fn check_address(address: &str) -> Result<(), String> {
    if address.parse::<SocketAddr>().is_ok() {
        return Ok(());
    }
    match address.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(()),
        _ => Err(format!("expected HOST:PORT, got {address:?}")),
    }
}

/// `fengqiao config print`: the effective configuration, or the first
/// problem with it (non-zero exit).
pub fn print(args: &ConfigArgs) -> Result<()> {
    let loaded = load_validated(args)?;
    print!("{}", loaded.to_toml());
    Ok(())
}

#[cfg(test)]
// `Jail::expect_with` takes closures returning figment's own (large) error.
#[allow(clippy::result_large_err)]
mod tests {
    use figment::Jail;

    use super::*;

    fn args(file: Option<&str>) -> ConfigArgs {
        ConfigArgs {
            config: file.map(PathBuf::from),
            unit: Some("410411".to_owned()),
            insecure: true,
            ..ConfigArgs::default()
        }
    }

    fn error(result: Result<Loaded>) -> String {
        format!("{:#}", result.expect_err("the config must be refused"))
    }

    #[test]
    fn each_layer_overrides_the_one_before() {
        Jail::expect_with(|jail| {
            let defaults = load(&args(None)).unwrap();
            assert_eq!(defaults.config.limits.max_in_flight, Limits::default().max_in_flight);
            assert_eq!(defaults.origin("limits.max_in_flight"), "built-in defaults");

            jail.create_file("node.toml", "[limits]\nmax_in_flight = 10\nrate_limit = 7\n")?;
            let file = load(&args(Some("node.toml"))).unwrap();
            assert_eq!(file.config.limits.max_in_flight, 10);
            assert!(
                file.origin("limits.max_in_flight").starts_with("TOML file "),
                "{}",
                file.origin("limits.max_in_flight")
            );
            assert!(file.origin("limits.max_in_flight").ends_with("node.toml"));

            jail.set_env("FENGQIAO__LIMITS__MAX_IN_FLIGHT", "20");
            let env = load(&args(Some("node.toml"))).unwrap();
            assert_eq!(env.config.limits.max_in_flight, 20);
            assert_eq!(
                env.origin("limits.max_in_flight"),
                "environment variable FENGQIAO__LIMITS__MAX_IN_FLIGHT"
            );
            assert_eq!(env.config.limits.rate_limit, 7, "the file's other keys stay");

            jail.set_env("FENGQIAO__RANKING__ON_TIME_CLOSURE", "40");
            let ranked = load(&args(Some("node.toml"))).unwrap();
            assert_eq!(ranked.config.ranking.weights().on_time_closure, 40);
            assert_eq!(
                ranked.origin("ranking.on_time_closure"),
                "environment variable FENGQIAO__RANKING__ON_TIME_CLOSURE"
            );
            assert!(
                ranked.to_toml().contains(
                    "on_time_closure = 40  # environment variable FENGQIAO__RANKING__ON_TIME_CLOSURE"
                ),
                "{}",
                ranked.to_toml()
            );
            assert_eq!(defaults.config.ranking.weights(), Weights::default());
            let flags = load(&ConfigArgs { max_in_flight: Some(30), ..args(Some("node.toml")) }).unwrap();
            assert_eq!(flags.config.limits.max_in_flight, 30);
            assert_eq!(flags.origin("limits.max_in_flight"), "command-line flags");
            assert_eq!(flags.config.limits.rate_limit, 7);
            Ok(())
        });
    }

    #[test]
    fn the_unit_may_come_from_the_environment_as_a_number() {
        Jail::expect_with(|jail| {
            jail.set_env("FENGQIAO__NODE__UNIT", "410411001");
            jail.set_env("FENGQIAO__NODE__CHILD_NODES", "410411001001");
            jail.set_env("FENGQIAO__TLS__INSECURE", "true");
            let loaded = load(&ConfigArgs::default()).unwrap();
            assert_eq!(loaded.unit(), "410411001");
            assert_eq!(loaded.config.node.child_nodes.as_deref(), Some("410411001001"));
            assert_eq!(loaded.database_url(), "sqlite://fengqiao-410411001.db");
            jail.create_file("n.toml", "[node]\nunit = 410411\n")?;
            jail.clear_env();
            let loaded =
                load(&ConfigArgs { config: Some("n.toml".into()), insecure: true, ..Default::default() })
                    .unwrap();
            assert_eq!(loaded.unit(), "410411");
            Ok(())
        });
    }

    #[test]
    fn reconciliation_keys_are_layered_and_checked() {
        Jail::expect_with(|jail| {
            let defaults = load(&args(None)).unwrap();
            assert_eq!(defaults.reconcile().interval, Duration::from_secs(600));
            assert_eq!(defaults.reconcile().max_days, 366);
            jail.create_file("node.toml", "[reconcile]\ninterval_secs = 0\nmax_days = 30\n")?;
            let file = load(&args(Some("node.toml"))).unwrap();
            assert_eq!(file.reconcile().interval, Duration::ZERO, "0: no periodic exchange");
            assert_eq!(file.reconcile().max_days, 30);
            let flags = ConfigArgs { reconcile_interval_secs: Some(60), ..args(Some("node.toml")) };
            let flags = load(&flags).unwrap();
            assert_eq!(flags.reconcile().interval, Duration::from_secs(60));
            assert_eq!(flags.origin("reconcile.interval_secs"), "command-line flags");
            assert!(flags.to_toml().contains("[reconcile]\ninterval_secs = 60  # command-line flags"));
            jail.set_env("FENGQIAO__RECONCILE__INTERVAL_SECS", "5");
            assert_eq!(
                error(load(&args(None))),
                "configuration: reconcile.interval_secs (environment variable FENGQIAO__RECONCILE__INTERVAL_SECS): \
                 must be 0 (off) or between 10 and 604800 seconds"
            );
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_refused_naming_the_key_and_where_it_came_from() {
        Jail::expect_with(|jail| {
            jail.create_file("typo.toml", "[limits]\nmax_inflight = 10\n")?;
            let message = error(load(&args(Some("typo.toml"))));
            assert!(message.contains("max_inflight") && message.contains("typo.toml"), "{message}");

            jail.create_file("section.toml", "[metric]\nlisten = \"127.0.0.1:9400\"\n")?;
            let message = error(load(&args(Some("section.toml"))));
            assert!(message.contains("metric"), "{message}");

            jail.create_file("type.toml", "[limits]\nmax_in_flight = \"many\"\n")?;
            let message = error(load(&args(Some("type.toml"))));
            assert!(message.contains("max_in_flight") && message.contains("type.toml"), "{message}");

            jail.set_env("FENGQIAO__LIMITS__MAX_IN_FLIGHT", "0");
            let message = error(load(&args(None)));
            assert_eq!(
                message,
                "configuration: limits.max_in_flight (environment variable FENGQIAO__LIMITS__MAX_IN_FLIGHT): must be at least 1"
            );
            jail.clear_env();

            let message = error(load(&ConfigArgs { cutoff: Some("25:00".into()), ..args(None) }));
            assert!(message.starts_with("configuration: time.cutoff (command-line flags)"), "{message}");
            let message = error(load(&ConfigArgs { time_zone: Some("Mars/Olympus".into()), ..args(None) }));
            assert!(message.starts_with("configuration: time.zone (command-line flags)"), "{message}");
            let message = error(load(&ConfigArgs { unit: Some("41/x".into()), ..args(None) }));
            assert!(message.starts_with("configuration: node.unit (command-line flags)"), "{message}");
            let message = error(load(&ConfigArgs { listen: Some("7400".into()), ..args(None) }));
            assert!(message.contains("node.listen"), "{message}");
            let message =
                error(load(&ConfigArgs { metrics_listen: Some("127.0.0.1:7400".into()), ..args(None) }));
            assert!(message.contains("metrics.listen") && message.contains("differ"), "{message}");
            let message = error(load(&ConfigArgs { db: Some("mysql://x".into()), ..args(None) }));
            assert!(message.contains("database.url"), "{message}");
            let message = error(load(&ConfigArgs { child_nodes: Some("all,4104".into()), ..args(None) }));
            assert!(message.contains("node.child_nodes"), "{message}");
            let message =
                error(load(&ConfigArgs { otlp_endpoint: Some("collector:4317".into()), ..args(None) }));
            assert!(message.contains("trace.otlp_endpoint"), "{message}");
            let message = error(load(&ConfigArgs { log_filter: Some("info,[".into()), ..args(None) }));
            assert!(message.contains("log.filter"), "{message}");
            let message = error(load(&ConfigArgs { start_date: Some("2026-02-30".into()), ..args(None) }));
            assert!(
                message.starts_with("configuration: reporting.start_date (command-line flags)"),
                "{message}"
            );
            let message = error(load(&ConfigArgs { max_clock_skew_secs: Some(3601), ..args(None) }));
            assert!(
                message.starts_with("configuration: time.max_clock_skew_secs (command-line flags)"),
                "{message}"
            );
            let message = error(load(&ConfigArgs { accept_days: Some(0), ..args(None) }));
            assert!(message.contains("cases.accept_days"), "{message}");
            jail.create_file("heavy.toml", "[ranking]\nsatisfaction = 1001\n")?;
            let message = error(load(&args(Some("heavy.toml"))));
            assert!(
                message.starts_with("configuration: ranking.satisfaction (TOML file ")
                    && message.ends_with("heavy.toml): must be at most 1000"),
                "{message}"
            );
            jail.create_file(
                "weightless.toml",
                "[ranking]\ncompleteness = 0\ntimeliness = 0\ndispute_resolution = 0\n\
                 on_time_acceptance = 0\non_time_closure = 0\nrepeat_petitions = 0\nsatisfaction = 0\n",
            )?;
            let message = error(load(&args(Some("weightless.toml"))));
            assert!(message.contains("ranking.completeness") && message.contains("above 0"), "{message}");
            jail.create_file("ranking-typo.toml", "[ranking]\nsatisfied = 3\n")?;
            let message = error(load(&args(Some("ranking-typo.toml"))));
            assert!(message.contains("satisfied") && message.contains("ranking-typo.toml"), "{message}");
            let message = error(load(&ConfigArgs { unit: None, ..args(None) }));
            assert!(message.contains("missing node.unit: pass --unit"), "{message}");
            let message = error(load(&args(Some("missing.toml"))));
            assert!(message.contains("missing.toml") && message.contains("does not exist"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn connection_limits_are_keys_like_any_other_and_checked_against_each_other() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "node.toml",
                "[limits]\nmax_connections = 32\nreserved_connections = 8\nidle_timeout_secs = 60\n",
            )?;
            jail.set_env("FENGQIAO__LIMITS__MAX_CONNECTIONS_PER_SOURCE", "12");
            let loaded =
                load(&ConfigArgs { handshake_timeout_secs: Some(3), ..args(Some("node.toml")) }).unwrap();
            let limits = loaded.limits();
            assert_eq!(
                (limits.max_connections, limits.reserved_connections, limits.max_connections_per_source),
                (32, 8, 12)
            );
            assert_eq!(limits.idle_timeout, Duration::from_secs(60));
            assert_eq!(limits.handshake_timeout, Duration::from_secs(3));
            assert!(loaded.origin("limits.reserved_connections").ends_with("node.toml"));
            assert_eq!(
                loaded.origin("limits.max_connections_per_source"),
                "environment variable FENGQIAO__LIMITS__MAX_CONNECTIONS_PER_SOURCE"
            );
            let printed = loaded.to_toml();
            for line in [
                "reserved_connections = 8  # TOML file",
                "max_connections_per_source = 12  # environment variable",
                "idle_timeout_secs = 60  # TOML file",
                "handshake_timeout_secs = 3  # command-line flags",
            ] {
                assert!(printed.contains(line), "{line} in {printed}");
            }

            let message =
                error(load(&ConfigArgs { reserved_connections: Some(32), ..args(Some("node.toml")) }));
            assert!(
                message.starts_with(
                    "configuration: limits.reserved_connections (command-line flags): must be below"
                ),
                "{message}"
            );
            jail.set_env("FENGQIAO__LIMITS__MAX_CONNECTIONS_PER_SOURCE", "33");
            let message = error(load(&args(Some("node.toml"))));
            assert!(
                message.starts_with(
                    "configuration: limits.max_connections_per_source (environment variable FENGQIAO__LIMITS__MAX_CONNECTIONS_PER_SOURCE)"
                ),
                "{message}"
            );
            jail.clear_env();
            let message = error(load(&ConfigArgs { idle_timeout_secs: Some(0), ..args(None) }));
            assert!(message.contains("limits.idle_timeout_secs"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn tls_needs_all_three_files_or_insecure_alone() {
        Jail::expect_with(|_| {
            let secure = ConfigArgs { insecure: false, ..args(None) };
            let message = error(load(&secure));
            assert!(message.contains("a node needs TLS"), "{message}");
            assert!(
                message.contains("pass --ca, --cert and --key")
                    && message.contains("export FENGQIAO_CA, FENGQIAO_CERT and FENGQIAO_KEY"),
                "{message}"
            );
            let message = error(load(&ConfigArgs { ca: Some("ca.pem".into()), ..secure.clone() }));
            assert!(
                message.ends_with(
                    "missing tls.cert: pass --cert, set tls.cert in the config file, or export FENGQIAO_CERT; \
                     missing tls.key: pass --key, set tls.key in the config file, or export FENGQIAO_KEY"
                ),
                "{message}"
            );
            let full = ConfigArgs {
                ca: Some("ca.pem".into()),
                cert: Some("n.pem".into()),
                key: Some("n.key".into()),
                ..secure.clone()
            };
            assert!(load(&full).is_ok());
            let message = error(load(&ConfigArgs { insecure: true, ..full.clone() }));
            assert!(message.contains("tls.insecure") && message.contains("tls.ca"), "{message}");
            let message = error(load(&ConfigArgs { parent: Some("http://10.0.0.1:7400".into()), ..full }));
            assert!(message.contains("node.parent") && message.contains("https://"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn print_shows_every_key_with_its_origin_and_hides_passwords() {
        Jail::expect_with(|jail| {
            jail.create_file("node.toml", "[database]\nurl = \"postgres://fengqiao:s3cret@db:5432/fq\"\n")?;
            let loaded = load(&args(Some("node.toml"))).unwrap();
            let text = loaded.to_toml();
            assert!(!text.contains("s3cret"), "{text}");
            assert!(text.contains("url = \"postgres://fengqiao:***@db:5432/fq\"  # TOML file"), "{text}");
            assert!(text.contains("# parent =  (not set)"), "{text}");
            assert!(text.contains("max_in_flight = 256  # built-in defaults"), "{text}");
            // The effective default of an unset key is shown, with where it comes from.
            assert!(
                text.contains(
                    "tree = \"deploy/zhanhe-410411.csv\"  # default (a node without node.parent reads it)"
                ),
                "{text}"
            );
            // What is printed loads back to the same configuration, the
            // defaults it shows now given.
            jail.create_file("printed.toml", &text.replace("***", "s3cret"))?;
            let again = load(&args(Some("printed.toml"))).unwrap();
            let mut expected = loaded.config.clone();
            expected.node.tree = Some(DEFAULT_TREE.into());
            assert_eq!(
                serde_json::to_value(&again.config).unwrap(),
                serde_json::to_value(&expected).unwrap()
            );
            assert!(again.origin("limits.max_in_flight").ends_with("printed.toml"));
            Ok(())
        });
    }

    #[test]
    fn the_printed_key_list_matches_the_config() {
        let mut full = Config::default();
        full.node.unit = Some("410411".into());
        full.node.tree = Some("t.csv".into());
        full.node.parent = Some("https://p:7400".into());
        full.node.child_nodes = Some("all".into());
        full.database.url = Some("sqlite://x.db".into());
        full.tls.ca = Some("ca".into());
        full.tls.cert = Some("c".into());
        full.tls.key = Some("k".into());
        full.cases.auto_escalate_after_days = Some(3);
        full.reporting.start_date = Some("2026-03-01".into());
        full.cases.petitioner_secret_file = Some("s".into());
        full.personal_data.key_file = Some("k".into());
        full.metrics.listen = Some("127.0.0.1:9400".into());
        full.trace.otlp_endpoint = Some("http://c:4317".into());
        let serde_json::Value::Object(sections) = serde_json::to_value(&full).unwrap() else { panic!() };
        let listed = all_keys();
        assert_eq!(
            sections.keys().cloned().collect::<Vec<_>>(),
            listed.keys().map(|k| k.to_string()).collect::<Vec<_>>()
        );
        for (section, fields) in sections {
            let serde_json::Value::Object(fields) = fields else { panic!() };
            let mut actual: Vec<&str> = fields.keys().map(String::as_str).collect();
            let mut expected = listed[section.as_str()].clone();
            actual.sort_unstable();
            expected.sort_unstable();
            assert_eq!(actual, expected, "section {section}");
        }
    }

    #[test]
    fn the_start_of_reporting_is_a_date_from_any_layer() {
        Jail::expect_with(|jail| {
            let unset = load(&args(None)).unwrap();
            assert_eq!(unset.reporting_start(), None);
            assert!(unset.to_toml().contains("# start_date =  (not set)"), "{}", unset.to_toml());
            assert_eq!(unset.max_clock_skew(), Duration::from_secs(300));
            // A bare TOML date and a quoted one.
            jail.create_file("bare.toml", "[reporting]\nstart_date = 2026-03-01\n")?;
            let bare = load(&args(Some("bare.toml"))).unwrap();
            assert_eq!(bare.reporting_start(), chrono::NaiveDate::from_ymd_opt(2026, 3, 1));
            let text = bare.to_toml();
            assert!(text.contains("start_date = \"2026-03-01\"  # TOML file"), "{text}");
            jail.create_file("printed.toml", &text)?;
            assert_eq!(load(&args(Some("printed.toml"))).unwrap().reporting_start(), bare.reporting_start());
            jail.set_env("FENGQIAO__REPORTING__START_DATE", "2026-04-01");
            jail.set_env("FENGQIAO__TIME__MAX_CLOCK_SKEW_SECS", "60");
            let env = load(&args(Some("bare.toml"))).unwrap();
            assert_eq!(env.reporting_start(), chrono::NaiveDate::from_ymd_opt(2026, 4, 1));
            assert_eq!(env.max_clock_skew(), Duration::from_secs(60));
            let flags =
                load(&ConfigArgs { start_date: Some("2026-05-01".into()), ..args(Some("bare.toml")) })
                    .unwrap();
            assert_eq!(flags.reporting_start(), chrono::NaiveDate::from_ymd_opt(2026, 5, 1));
            assert_eq!(flags.origin("reporting.start_date"), "command-line flags");
            Ok(())
        });
    }

    #[test]
    fn urls_lose_only_their_password() {
        assert_eq!(
            redact_url("postgres://u:p@h:5432/d?sslmode=require"),
            "postgres://u:***@h:5432/d?sslmode=require"
        );
        assert_eq!(redact_url("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(redact_url("sqlite://fengqiao.db"), "sqlite://fengqiao.db");
        assert_eq!(redact_url("postgres://u:p%40ss@h/d"), "postgres://u:***@h/d");
    }

    #[test]
    fn the_node_reads_the_clients_tls_variables_and_flags_win() {
        Jail::expect_with(|jail| {
            let secure = ConfigArgs { insecure: false, ..args(None) };
            jail.set_env(CA.variable, "ca/ca.pem");
            let message = error(load(&secure));
            assert!(
                message.contains(
                    "missing tls.cert: pass --cert, set tls.cert in the config file, or export FENGQIAO_CERT"
                ) && !message.contains("missing tls.ca"),
                "{message}"
            );
            jail.set_env(CERT.variable, "ca/node.pem");
            jail.set_env(KEY.variable, "ca/node-key.pem");
            let loaded = load(&secure).unwrap();
            assert_eq!(loaded.config.tls.ca, Some(PathBuf::from("ca/ca.pem")));
            assert_eq!(loaded.origin("tls.ca"), "environment variable FENGQIAO_CA");
            assert_eq!(loaded.origin("tls.key"), "environment variable FENGQIAO_KEY");
            let flagged = load(&ConfigArgs { cert: Some("other.pem".into()), ..secure.clone() }).unwrap();
            assert_eq!(flagged.config.tls.cert, Some(PathBuf::from("other.pem")));
            assert_eq!(flagged.origin("tls.cert"), "command-line flags");
            // A node told to serve plaintext leaves the variables to the clients of the shell.
            let plaintext = load(&args(None)).unwrap();
            assert!(plaintext.config.tls.insecure && plaintext.config.tls.ca.is_none());
            jail.create_file("plain.toml", "[tls]\ninsecure = true\n")?;
            let from_file =
                load(&ConfigArgs { config: Some("plain.toml".into()), ..secure.clone() }).unwrap();
            assert!(from_file.config.tls.ca.is_none());
            Ok(())
        });
    }

    #[test]
    fn a_missing_unit_names_flag_key_and_variable() {
        Jail::expect_with(|_| {
            let message = error(load(&ConfigArgs { unit: None, ..args(None) }));
            assert_eq!(
                message,
                "configuration: missing node.unit: pass --unit, set node.unit in the config file, or export \
                 FENGQIAO__NODE__UNIT"
            );
            Ok(())
        });
    }

    #[test]
    fn validation_refuses_plaintext_off_loopback_and_files_that_cannot_be_read() {
        Jail::expect_with(|jail| {
            jail.create_file("tree.csv", "code,parent_code,tier,name\n410411,,district,湛河区\n")?;
            let tree = || Some(PathBuf::from("tree.csv"));
            let open = ConfigArgs { listen: Some("0.0.0.0:7400".into()), tree: tree(), ..args(None) };
            assert!(load(&open).is_ok(), "the pure checks pass");
            let message = error(load_validated(&open));
            assert!(
                message.contains(
                    "tls.insecure (command-line flags): plaintext is refused on the non-loopback address"
                ),
                "{message}"
            );
            assert!(load_validated(&ConfigArgs { tree: tree(), ..args(None) }).is_ok());
            let message = error(load_validated(&args(None)));
            assert!(
                message.starts_with(
                    "configuration: node.tree (the default at the root: a node without node.parent reads a tree): \
                     cannot read deploy/zhanhe-410411.csv: No such file or directory"
                ),
                "{message}"
            );
            jail.create_file("ca.pem", "")?;
            jail.create_dir("key.pem")?;
            jail.set_env(CERT.variable, "gone.pem");
            let secure = ConfigArgs {
                insecure: false,
                tree: tree(),
                ca: Some("ca.pem".into()),
                key: Some("key.pem".into()),
                ..args(None)
            };
            let message = error(load_validated(&secure));
            assert!(
                message.starts_with(
                    "configuration: tls.cert (environment variable FENGQIAO_CERT): cannot read gone.pem: No such file"
                ),
                "{message}"
            );
            jail.create_file("gone.pem", "")?;
            let message = error(load_validated(&secure));
            assert_eq!(
                message,
                "configuration: tls.key (command-line flags): cannot read key.pem: not a file"
            );
            let message = error(load_validated(&ConfigArgs {
                petitioner_secret_file: Some("secret".into()),
                key: Some("gone.pem".into()),
                ..secure
            }));
            assert!(
                message.contains("cases.petitioner_secret_file (command-line flags): cannot read secret"),
                "{message}"
            );
            Ok(())
        });
    }

    #[test]
    fn print_shows_the_effective_database_url() {
        Jail::expect_with(|_| {
            let text = load(&args(None)).unwrap().to_toml();
            assert!(
                text.contains("url = \"sqlite://fengqiao-410411.db\"  # default (sqlite://fengqiao-UNIT.db)"),
                "{text}"
            );
            Ok(())
        });
    }
}
