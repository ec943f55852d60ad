//! A node's configuration, in layers, later wins: built-in defaults → a TOML
//! file (`--config`) → the environment (`FENGQIAO__SECTION__KEY`) → flags.
//! [`load`] merges and checks them without touching the filesystem beyond
//! the config file, so `fengqiao config print` can vet a deployment's files
//! anywhere; `fengqiao node` then opens what the config names.
//!
//! Here: the sections, the settings node and clients share, the merge
//! ([`load`]) and [`Loaded`]; the flags are in [`args`], the checks in
//! [`validate`](mod@validate), `fengqiao config print` in [`print`](mod@print).

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

pub use self::args::ConfigArgs;
use self::args::Layer;
#[cfg(test)]
use self::print::all_keys;
use self::print::describe_origin;
pub use self::print::{print, redact_url};
use self::validate::check;
pub use self::validate::load_validated;
pub use crate::telemetry::LogFormat;

pub mod args;
pub mod print;
pub mod validate;

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
    pub weekly: WeeklySection,
    pub cases: CasesSection,
    pub personal_data: PersonalDataSection,
    pub ranking: RankingSection,
    pub limits: LimitsSection,
    pub metrics: MetricsSection,
    pub web: WebSection,
    pub public: PublicSection,
    pub log: LogSection,
    pub trace: TraceSection,
    pub reconcile: ReconcileSection,
    pub uplink: UplinkSection,
    pub storage: StorageSection,
}

/// What a node sends its parent: above the summary boundary only rollup
/// states travel (see `RollupState` in uplink.proto).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UplinkSection {
    /// `auto` (summaries from a district or above, reports below),
    /// `reports` or `summaries`.
    pub mode: String,
    /// With summaries: how many tiers below the home unit get states of
    /// their own (1: a district's townships).
    pub summary_depth: u8,
}

impl Default for UplinkSection {
    fn default() -> Self {
        UplinkSection { mode: "auto".to_owned(), summary_depth: fengqiao_node::DEFAULT_SUMMARY_DEPTH }
    }
}

impl UplinkSection {
    /// The node's mode; a mode this version does not know is refused.
    pub fn to_node(&self) -> Result<fengqiao_node::UplinkMode> {
        match self.mode.as_str() {
            "auto" => Ok(fengqiao_node::UplinkMode::Auto),
            "reports" => Ok(fengqiao_node::UplinkMode::Reports),
            "summaries" if (1..=6).contains(&self.summary_depth) => {
                Ok(fengqiao_node::UplinkMode::Summaries { depth: self.summary_depth })
            }
            "summaries" => bail!("uplink.summary_depth: {} is not between 1 and 6", self.summary_depth),
            other => bail!("uplink.mode: {other:?} is not one of auto, reports, summaries"),
        }
    }
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
    /// The departments file (CSV: unit_id, code, name, five_in_one, from,
    /// until); without one, a district's root node has the standard
    /// departments and a child node those its parent sends.
    pub departments: Option<PathBuf>,
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
            departments: None,
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

/// The weekly resolution work report (化解工作周报告).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WeeklySection {
    /// When a week's report is due: a weekday (its English abbreviation,
    /// any case) and a local `HH:MM` in the following week.
    pub due: String,
}

impl Default for WeeklySection {
    fn default() -> Self {
        WeeklySection { due: "MON 12:00".to_owned() }
    }
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

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSection {
    /// `host:port` serving the web dashboard; off when absent. Over TLS
    /// with the node's certificate when the node has TLS material (a
    /// browser's client certificate asked for, not required), plaintext
    /// on a loopback address otherwise.
    pub listen: Option<String>,
}

/// The public tracker's listener (阳光信访): plain HTTP/2 and HTTP/1, no
/// client certificates, serving only `PublicTrackerService` and `/track`;
/// meant to be exposed behind the operator's TLS proxy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PublicSection {
    /// `host:port` of the public listener; off when absent.
    pub listen: Option<String>,
    /// The tracker page's public address printed on receipts
    /// (`https://xf.example.gov.cn/track`).
    pub url: Option<String>,
    /// Every answer takes at least this long, in milliseconds.
    pub floor_ms: u64,
    /// Lookups per minute from one source address (and its burst).
    pub per_source_per_minute: u32,
    /// Lookups per minute of one case number.
    pub per_case_per_minute: u32,
    /// Failures in a row that lock a case number.
    pub lock_after: u32,
    /// How long a lock lasts, in minutes.
    pub lock_minutes: u64,
}

impl Default for PublicSection {
    fn default() -> Self {
        let d = fengqiao_node::PublicConfig::default();
        PublicSection {
            listen: None,
            url: None,
            floor_ms: u64::try_from(d.floor.as_millis()).unwrap_or(300),
            per_source_per_minute: d.per_source_per_minute,
            per_case_per_minute: d.per_case_per_minute,
            lock_after: d.lock_after,
            lock_minutes: d.lock_for.as_secs() / 60,
        }
    }
}

impl PublicSection {
    /// The node's settings of the public tracker.
    pub fn to_node(&self) -> fengqiao_node::PublicConfig {
        fengqiao_node::PublicConfig {
            url: self.url.clone(),
            floor: std::time::Duration::from_millis(self.floor_ms),
            per_source_per_minute: self.per_source_per_minute,
            per_case_per_minute: self.per_case_per_minute,
            lock_after: self.lock_after,
            lock_for: std::time::Duration::from_secs(self.lock_minutes * 60),
        }
    }
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

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageSection {
    /// Months a report revision keeps its free text (dispute summaries,
    /// correction reasons), at least 1; unset: for ever. Figures, rollups
    /// and the case ledger are always kept (see docs/OPERATIONS.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_text_months: Option<u32>,
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

    /// Months report text is kept (`storage.raw_text_months`; checked by
    /// [`load`]); `None`: for ever.
    pub fn raw_text_months(&self) -> Option<u32> {
        self.config.storage.raw_text_months
    }

    pub fn time(&self) -> TimePolicy {
        TimePolicy::parse(&self.config.time.zone, &self.config.time.cutoff).expect("checked by load")
    }

    /// How far another node's clock may run ahead (checked by [`load`]).
    pub fn max_clock_skew(&self) -> Duration {
        Duration::from_secs(self.config.time.max_clock_skew_secs)
    }

    /// When weekly reports are due (checked by [`load`]).
    pub fn weekly_due(&self) -> fengqiao_core::weekly::DuePolicy {
        fengqiao_core::weekly::DuePolicy::parse(&self.config.weekly.due).expect("checked by load")
    }

    /// The configured first day of reporting (checked by [`load`]).
    pub fn reporting_start(&self) -> Option<chrono::NaiveDate> {
        self.config.reporting.start_date.as_deref().map(|date| {
            fengqiao_core::time::parse_date(date, "reporting.start_date").expect("checked by load")
        })
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

#[cfg(test)]
// `Jail::expect_with` takes closures returning figment's own (large) error.
#[allow(clippy::result_large_err)]
mod tests;
