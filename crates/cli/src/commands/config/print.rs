//! `fengqiao config print`: the effective configuration as TOML, each value
//! with its origin, unset optional keys commented out, secrets redacted.

use super::*;

impl Loaded {
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
pub(super) fn describe_origin(metadata: &Metadata, key: &str) -> String {
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
pub(super) fn all_keys() -> BTreeMap<&'static str, Vec<&'static str>> {
    BTreeMap::from([
        (
            "node",
            vec!["unit", "listen", "tree", "departments", "parent", "child_nodes", "drain_grace_seconds"],
        ),
        ("database", vec!["url"]),
        ("storage", vec!["raw_text_months"]),
        ("tls", vec!["insecure", "ca", "cert", "key"]),
        ("time", vec!["zone", "cutoff", "max_clock_skew_secs"]),
        ("reporting", vec!["start_date"]),
        ("weekly", vec!["due"]),
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
        ("web", vec!["listen"]),
        (
            "public",
            vec![
                "listen",
                "url",
                "floor_ms",
                "per_source_per_minute",
                "per_case_per_minute",
                "lock_after",
                "lock_minutes",
            ],
        ),
        ("log", vec!["format", "filter"]),
        ("trace", vec!["otlp_endpoint", "service_name"]),
        ("reconcile", vec!["interval_secs", "max_days"]),
        ("uplink", vec!["mode", "summary_depth"]),
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

/// `fengqiao config print`: the effective configuration, or the first
/// problem with it (non-zero exit).
pub fn print(args: &ConfigArgs) -> Result<()> {
    let loaded = load_validated(args)?;
    print!("{}", loaded.to_toml());
    Ok(())
}
