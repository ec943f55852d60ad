//! The checks of a node's configuration: [`check`] (values alone,
//! when loading) and [`validate`](fn@validate) (what needs the filesystem or the
//! network: files readable, plaintext only on loopback).

use super::*;

/// The checks that need no file: each failure names the key, its origin
/// and what is expected.
pub(super) fn check(loaded: &Loaded) -> Result<()> {
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
        && fengqiao_store::Backend::of_url(url).is_none()
    {
        return Err(fail("database.url", fengqiao_store::URL_FORMS));
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
    if let Err(DomainError::Invalid { reason, .. }) = fengqiao_core::weekly::DuePolicy::parse(&c.weekly.due) {
        return Err(fail("weekly.due", &reason.text));
    }
    if let Some(months) = c.storage.raw_text_months
        && !(1..=1200).contains(&months)
    {
        return Err(fail(
            "storage.raw_text_months",
            "must be between 1 and 1200 months (leave it unset to keep report text for ever)",
        ));
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
    if let Some(listen) = &c.web.listen {
        check_address(listen).map_err(|e| fail("web.listen", &e))?;
        if listen == &c.node.listen || c.metrics.listen.as_ref() == Some(listen) {
            return Err(fail("web.listen", "must differ from node.listen and metrics.listen"));
        }
    }
    if let Some(listen) = &c.public.listen {
        check_address(listen).map_err(|e| fail("public.listen", &e))?;
        if listen == &c.node.listen
            || c.metrics.listen.as_ref() == Some(listen)
            || c.web.listen.as_ref() == Some(listen)
        {
            return Err(fail("public.listen", "must differ from node.listen, metrics.listen and web.listen"));
        }
    }
    if let Some(url) = &c.public.url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(fail("public.url", "must be an http(s):// address"));
    }
    if c.public.floor_ms > 10_000 {
        return Err(fail("public.floor_ms", "must be at most 10000"));
    }
    if c.public.per_source_per_minute == 0 || c.public.per_case_per_minute == 0 || c.public.lock_after == 0 {
        return Err(fail(
            "public",
            "per_source_per_minute, per_case_per_minute and lock_after must be at least 1",
        ));
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
    // The dashboard's sessions and login links travel in plaintext without
    // TLS: only on loopback, like the node's own plaintext.
    if let Some(listen) = c.web.listen.as_ref().filter(|_| c.tls.insecure) {
        let addresses: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(listen.as_str())
            .map_err(|e| fail("web.listen", &format!("cannot resolve {listen:?}: {e}")))?
            .collect();
        if let Some(open) = addresses.iter().find(|a| !a.ip().is_loopback()) {
            return Err(fail(
                "web.listen",
                &format!(
                    "plaintext is refused on the non-loopback address {open} (web.listen {listen}): listen on \
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
