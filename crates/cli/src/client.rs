//! The client commands: `report`, `zero`, `reports`.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{NaiveDate, Utc};
use fengqiao_core::{DisputeCategory, DisputeOutcome, TimePolicy};
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::{self, DailyReport, Disposition, ListDailyReportsRequest, SubmitDailyReportRequest};
use fengqiao_proto::{category_to_pb, outcome_to_pb};
use serde::Deserialize;
use tonic::transport::Channel;

use crate::{time_fmt, tr};

#[derive(Debug, Clone, clap::Args)]
pub struct Connection {
    /// The node to talk to.
    #[arg(long, visible_alias = "node", env = "FENGQIAO_SERVER", default_value = "http://127.0.0.1:7400")]
    pub server: String,
    /// The deployment's time zone, for `today` and `yesterday`.
    #[arg(long, env = "FENGQIAO_TIME_ZONE", default_value = "Asia/Shanghai")]
    pub time_zone: String,
    /// mTLS to an https:// node: the CA, your certificate and key.
    #[command(flatten)]
    pub tls: crate::ca::TlsArgs,
}

impl Connection {
    pub async fn reporting(&self) -> Result<ReportingServiceClient<Channel>> {
        Ok(ReportingServiceClient::new(self.channel().await?)
            .max_decoding_message_size(fengqiao_proto::CLIENT_MAX_DECODING_BYTES))
    }

    pub async fn channel(&self) -> Result<Channel> {
        let _ = SERVER.set(self.server.clone());
        let transport = self.tls.client_transport()?;
        let endpoint =
            fengqiao_node::tls::connect_endpoint(&self.server, &transport).map_err(|error| match error {
                fengqiao_node::tls::TlsError::BadUrl { .. } => {
                    anyhow!(tr!("error-server-not-a-url", server = format!("{:?}", self.server)))
                }
                fengqiao_node::tls::TlsError::SchemeMismatch { found, .. } if found == "http" => {
                    anyhow!(tr!("error-plaintext-with-certificates", server = &self.server))
                }
                fengqiao_node::tls::TlsError::SchemeMismatch { .. } => anyhow!(tr!(
                    "error-tls-needs-certificates",
                    server = &self.server,
                    ca = crate::config::CA.how_to_give_a_client(),
                    cert = crate::config::CERT.how_to_give_a_client(),
                    key = crate::config::KEY.how_to_give_a_client()
                )),
                other => anyhow!("--server: {other}"),
            })?;
        let channel = endpoint
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_secs(30))
            .connect()
            .await
            .map_err(|error| self.unreachable(anyhow::Error::new(error)))?;
        Ok(channel)
    }

    /// Why the node could not be reached, with what to do about it.
    fn unreachable(&self, error: anyhow::Error) -> anyhow::Error {
        let causes = crate::errors::one_line(&error);
        let server = &self.server;
        if causes.contains("InvalidContentType") || causes.contains("corrupt message") {
            let plain = server.replacen("https://", "http://", 1);
            return anyhow!(tr!("error-node-is-plaintext", server = server, plain = plain));
        }
        let cause = error.chain().last().map(|e| e.to_string()).unwrap_or_default();
        if causes.contains("Connection refused") {
            return anyhow!(tr!("error-connection-refused", server = server, cause = cause));
        }
        error.context(tr!("error-cannot-reach", server = server))
    }

    /// A date from the command line: `YYYY-MM-DD`, `today` or `yesterday`.
    pub fn date(&self, value: &str, flag: &str) -> Result<NaiveDate> {
        let policy = TimePolicy::parse(&self.time_zone, "18:00")?;
        let word = crate::dates::DateWord::parse(value, flag).map_err(|e| anyhow!(e))?;
        Ok(word.on(policy.local_date(Utc::now())))
    }
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct HealthArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The service to ask about (`fengqiao.v1.ReportingService`, …); the node as a whole when empty.
    #[arg(long, default_value = "")]
    pub service: String,
    /// Give up after this many seconds (a probe must not hang).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout_secs: u64,
    /// Ask again until the node answers SERVING or --timeout-secs has passed (a node just
    /// started in the background, in a script).
    #[arg(long)]
    pub wait: bool,
}

/// `fengqiao health`: `grpc.health.v1.Health/Check`, printed; exits
/// non-zero unless SERVING (a draining node, one whose database does not
/// answer, an unknown service), so probes can run it with the node's own
/// certificate.
pub async fn health(args: HealthArgs) -> Result<()> {
    use tonic_health::pb::health_check_response::ServingStatus;
    let what = if args.service.is_empty() { tr!("health-the-node") } else { args.service.clone() };
    let ask = || async {
        let channel = args.connection.channel().await?;
        let answer = tonic_health::pb::health_client::HealthClient::new(channel)
            .check(tonic_health::pb::HealthCheckRequest { service: args.service.clone() })
            .await
            .map_err(refused)?;
        anyhow::Ok(answer.into_inner().status)
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(args.timeout_secs);
    let status = loop {
        let answer = tokio::time::timeout_at(deadline, ask()).await.map_err(|_| {
            anyhow!(tr!(
                "error-no-answer-within",
                server = &args.connection.server,
                seconds = args.timeout_secs
            ))
        })?;
        let again = args.wait
            && !matches!(answer, Ok(status) if status == ServingStatus::Serving as i32)
            && tokio::time::Instant::now() + std::time::Duration::from_millis(200) < deadline;
        if !again {
            break answer?;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let name = ServingStatus::try_from(status).map(|s| s.as_str_name()).unwrap_or("UNKNOWN");
    println!("{name}");
    if status != ServingStatus::Serving as i32 {
        bail!(tr!("error-health-not-serving", what = what, status = name));
    }
    Ok(())
}

/// `fengqiao status`: the node's identity, parent and outbox.
pub async fn status(args: StatusArgs) -> Result<()> {
    let channel = args.connection.channel().await?;
    let status = fengqiao_proto::pb::node_service_client::NodeServiceClient::new(channel)
        .get_node_status(pb::GetNodeStatusRequest {})
        .await
        .map_err(refused)?
        .into_inner();
    let zone = TimePolicy::parse(&args.connection.time_zone, "18:00")?.zone;
    let time = |t: Option<prost_types::Timestamp>| time_fmt::wire_for_machines(t, &zone);
    if args.json {
        let value = serde_json::json!({
            "home_unit_id": status.home_unit_id, "served_units": status.served_units,
            "parent_address": status.parent_address, "outbox_depth": status.outbox_depth,
            "outbox_oldest": time(status.outbox_oldest), "last_forwarded_at": time(status.last_forwarded_at),
            "last_forward_error": status.last_forward_error, "commit_queue": status.commit_queue,
            "downlink_cursor": status.downlink_cursor,
            "reporting_start_date": crate::render::empty_null(&status.reporting_start_date),
            "set_aside_count": status.set_aside_count,
            "set_aside": status.set_aside.iter().map(|item| serde_json::json!({
                "kind": item.kind, "key": item.key, "date": item.date, "revision": item.revision,
                "reason": item.reason, "set_aside_at": time(item.set_aside_at),
            })).collect::<Vec<_>>(),
        });
        println!("{value}");
        return Ok(());
    }
    let time = |t: Option<prost_types::Timestamp>| time_fmt::wire_for_people(t, &zone);
    let home = crate::units::UnitNames::of_top(&args.connection).await.unwrap_or_default();
    let line = |label: String, value: String| println!("{}{value}", crate::table::pad(&label, 18));
    line(
        tr!("status-node-of-unit"),
        tr!(
            "status-node-of-unit-value",
            unit = &status.home_unit_id,
            name = home.name(&status.home_unit_id),
            count = status.served_units
        ),
    );
    line(
        tr!("status-parent"),
        if status.parent_address.is_empty() {
            tr!("status-no-parent")
        } else {
            status.parent_address.clone()
        },
    );
    line(
        tr!("status-outbox"),
        tr!(
            "status-outbox-value",
            count = status.outbox_depth,
            oldest = time(status.outbox_oldest).unwrap_or_else(|| "-".into())
        ),
    );
    line(
        tr!("status-last-forwarded"),
        time(status.last_forwarded_at).unwrap_or_else(|| tr!("freshness-never")),
    );
    if !status.last_forward_error.is_empty() {
        line(tr!("status-last-error"), status.last_forward_error.clone());
    }
    line(tr!("status-commit-queue"), status.commit_queue.to_string());
    line(tr!("status-downlink-cursor"), status.downlink_cursor.to_string());
    line(
        tr!("status-reporting-since"),
        if status.reporting_start_date.is_empty() {
            tr!("status-no-start-date")
        } else {
            status.reporting_start_date.clone()
        },
    );
    if status.set_aside_count > 0 {
        line(tr!("status-set-aside"), tr!("status-set-aside-value", count = status.set_aside_count));
        let mut table = crate::table::new(crate::i18n::headings([
            "kind",
            "unit-or-case",
            "date",
            "revision",
            "set-aside-at",
            "parents-reason",
        ]));
        for item in &status.set_aside {
            table.add_row([
                crate::i18n::name("set-aside", &item.kind),
                item.key.clone(),
                item.date.clone(),
                item.revision.to_string(),
                time(item.set_aside_at).unwrap_or_default(),
                item.reason.clone(),
            ]);
        }
        println!("{table}");
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct NoticeArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit the notice is for (below the node's home unit).
    #[arg(long)]
    pub unit: String,
    /// The notice (no names, phone numbers or ID numbers).
    #[arg(long)]
    pub text: String,
}

/// `fengqiao notice`: issue a notice down the tree.
pub async fn notice(args: NoticeArgs) -> Result<()> {
    let channel = args.connection.channel().await?;
    let answer = fengqiao_proto::pb::node_service_client::NodeServiceClient::new(channel)
        .post_notice(pb::PostNoticeRequest { target_unit_id: args.unit.clone(), text: args.text })
        .await
        .map_err(refused)?
        .into_inner();
    println!("{}", tr!("notice-issued", notice = &answer.notice_id, unit = &args.unit));
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct NoticesArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// A unit the node serves.
    #[arg(long)]
    pub unit: String,
}

/// `fengqiao notices`: the notices a node holds for a unit, page by page.
pub async fn notices(args: NoticesArgs) -> Result<()> {
    let channel = args.connection.channel().await?;
    let mut client = fengqiao_proto::pb::node_service_client::NodeServiceClient::new(channel)
        .max_decoding_message_size(fengqiao_proto::CLIENT_MAX_DECODING_BYTES);
    let zone = TimePolicy::parse(&args.connection.time_zone, "18:00")?.zone;
    // Notices come from units above: the node's whole tree names them.
    let names = crate::units::UnitNames::of_subtree(&args.connection, "").await?;
    let mut page_token = String::new();
    let mut count = 0;
    loop {
        let request = pb::ListNoticesRequest { unit_id: args.unit.clone(), page_size: 1000, page_token };
        let page = client.list_notices(request).await.map_err(refused)?.into_inner();
        for received in &page.notices {
            let Some(notice) = &received.notice else { continue };
            count += 1;
            let at = time_fmt::wire_for_people(received.created_at, &zone).unwrap_or_default();
            let from = format!("{} {}", notice.from_unit_id, names.name(&notice.from_unit_id));
            let line = tr!(
                "notice-line",
                at = at,
                from = from.trim_end(),
                notice = &notice.notice_id,
                text = &notice.text
            );
            if !out(line)? {
                return Ok(());
            }
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    println!("{}", tr!("notices-footer", count = count, unit = &args.unit));
    Ok(())
}

/// The node this command talks to, once its channel is made (for the
/// messages of failures that surface only on the first call).
static SERVER: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Whether a call over plaintext HTTP/2 failed because the node speaks
/// TLS. The failure is then the client's own (the status has a transport
/// error as its source, never a status the node sent), and which one
/// depends on timing: the TLS server's alert read as an HTTP/2 frame far
/// longer than any allowed, or the connection closed under the request.
/// The first says it; for the others (which a node going away would also
/// cause) the node is asked again, by hand: a TLS server answers the
/// HTTP/2 preface with a TLS record (an alert, 0x15) where an HTTP/2
/// server sends a SETTINGS frame.
fn speaks_tls(status: &tonic::Status, server: &str) -> bool {
    let Some(first) = std::error::Error::source(status) else { return false };
    let mut cause = Some(first);
    while let Some(error) = cause {
        if error.to_string().contains("frame with invalid size") {
            return true;
        }
        cause = error.source();
    }
    answers_with_tls(server)
}

/// Sends the HTTP/2 preface to the node at `server` (`http://HOST:PORT`)
/// and tells whether the first byte back starts a TLS record.
fn answers_with_tls(server: &str) -> bool {
    use std::io::{Read, Write};
    use std::net::ToSocketAddrs;
    let authority = server.trim_start_matches("http://").split('/').next().unwrap_or_default();
    let Some(address) = authority.to_socket_addrs().ok().and_then(|mut addresses| addresses.next()) else {
        return false;
    };
    let wait = std::time::Duration::from_secs(2);
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&address, wait) else { return false };
    let _ = stream.set_read_timeout(Some(wait));
    let _ = stream.set_write_timeout(Some(wait));
    let mut first = [0u8; 1];
    stream.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").is_ok()
        && stream.read_exact(&mut first).is_ok()
        && matches!(first[0], 0x15 | 0x16)
}

/// Turns a refusal into a message naming the code.
pub fn refused(status: tonic::Status) -> anyhow::Error {
    if let Some(server) = SERVER.get().filter(|server| server.starts_with("http://"))
        && speaks_tls(&status, server)
    {
        return anyhow!(tr!(
            "error-node-speaks-tls",
            server = server,
            tls = server.replacen("http://", "https://", 1),
            ca = crate::config::CA.how_to_give_a_client(),
            cert = crate::config::CERT.how_to_give_a_client(),
            key = crate::config::KEY.how_to_give_a_client()
        ));
    }
    anyhow!(tr!("error-node-answered", code = code_name(status.code()), message = refusal_text(&status)))
}

/// A node's refusal in the reader's language: the message of its
/// `google.rpc.ErrorInfo` code (`refusal-…`) with its values, after the
/// field it names; the node's own English sentence for a status without a
/// code, or with a code these message files lack (a newer node).
pub fn refusal_text(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    let details = status.get_error_details();
    let Some(info) = details.error_info().filter(|info| info.domain == fengqiao_core::error::ERROR_DOMAIN)
    else {
        return status.message().to_owned();
    };
    let values: Vec<(String, String)> = info
        .metadata
        .iter()
        .filter(|(name, _)| name.as_str() != "field")
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let key = fengqiao_core::error::Why::message_key(&info.reason);
    let Some(reason) = crate::i18n::text_if_known(&key, &values) else { return status.message().to_owned() };
    match info.metadata.get("field") {
        Some(field) => tr!("refusal-field", field = field, reason = reason),
        None => reason,
    }
}

/// A gRPC status code for people (`code-invalid_argument`).
fn code_name(code: tonic::Code) -> String {
    use tonic::Code::*;
    let id = match code {
        Ok => "ok",
        Cancelled => "cancelled",
        Unknown => "unknown",
        InvalidArgument => "invalid_argument",
        DeadlineExceeded => "deadline_exceeded",
        NotFound => "not_found",
        AlreadyExists => "already_exists",
        PermissionDenied => "permission_denied",
        ResourceExhausted => "resource_exhausted",
        FailedPrecondition => "failed_precondition",
        Aborted => "aborted",
        OutOfRange => "out_of_range",
        Unimplemented => "unimplemented",
        Internal => "internal",
        Unavailable => "unavailable",
        DataLoss => "data_loss",
        Unauthenticated => "unauthenticated",
    };
    crate::i18n::name("code", id)
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// A JSON file with the whole report (see README); --unit, --dispute, --date, --revision and
    /// --reason are then refused (the file says them); --reporter is the default reporter.
    #[arg(long, conflicts_with_all = ["unit", "dispute", "date", "revision", "reason"])]
    pub file: Option<PathBuf>,
    /// The reporting unit.
    #[arg(long, required_unless_present = "file")]
    pub unit: Option<String>,
    #[command(flatten)]
    pub revision: RevisionArgs,
    /// A dispute, as comma-separated key=value pairs: id, category, outcome,
    /// parties, summary, case, and for wage arrears employer, workers,
    /// claimed and recovered (yuan). E.g.
    /// `category=wage_arrears,outcome=mediating,employer=某建筑公司,workers=12,claimed=36000`.
    /// A value holding a comma writes it `\,` (and a backslash `\\`); quote the
    /// whole flag for the shell: `--dispute 'summary=wages\, two months,outcome=mediating'`.
    #[arg(long, required_unless_present = "file")]
    pub dispute: Vec<String>,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What every submission states besides its disputes.
#[derive(Debug, clap::Args)]
pub struct RevisionArgs {
    /// The date reported on: YYYY-MM-DD, today or yesterday.
    #[arg(long, default_value = "today")]
    pub date: String,
    /// Revision: 1 first, higher to correct.
    #[arg(long, default_value_t = 1)]
    pub revision: u32,
    /// Why this revision corrects the last (required for revision > 1).
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Staff id of the information officer. Over mTLS leave it out: the report is filed under your
    /// certificate's person id (naming anybody else is refused). A plaintext local node needs it.
    #[arg(long, env = "FENGQIAO_REPORTER")]
    pub reporter: Option<String>,
}

impl RevisionArgs {
    /// The report without its disputes (and `zero` to be set by the caller).
    fn report(&self, connection: &Connection, unit: String) -> Result<DailyReport> {
        Ok(DailyReport {
            unit_id: unit,
            date: connection.date(&self.date, "--date")?.to_string(),
            revision: self.revision,
            reporter: self.reporter.clone().unwrap_or_default(),
            zero: true,
            disputes: Vec::new(),
            correction_reason: self.reason.clone(),
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct ZeroArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The reporting unit.
    #[arg(long)]
    pub unit: String,
    #[command(flatten)]
    pub revision: RevisionArgs,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A report in a JSON file: the wire message's fields, with categories and
/// outcomes by name and amounts in fen.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportFile {
    unit_id: String,
    date: String,
    #[serde(default = "first_revision")]
    revision: u32,
    #[serde(default)]
    reporter: Option<String>,
    #[serde(default)]
    disputes: Vec<DisputeFile>,
    #[serde(default)]
    correction_reason: String,
}

fn first_revision() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DisputeFile {
    local_id: String,
    category: String,
    outcome: String,
    #[serde(default)]
    parties: u32,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    case_id: String,
    #[serde(default)]
    wage_arrears: Option<WageFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WageFile {
    employer: String,
    workers: u32,
    amount_claimed_cents: i64,
    #[serde(default)]
    amount_recovered_cents: i64,
}

fn category(name: &str) -> Result<i32> {
    parse_category(name).map(|c| c as i32).map_err(|why| anyhow!(why))
}

/// A category by its snake_case name (for flags and files).
pub(crate) fn parse_category(value: &str) -> Result<pb::DisputeCategory, String> {
    DisputeCategory::parse(value.trim()).map(category_to_pb).ok_or_else(|| {
        let names: Vec<&str> = DisputeCategory::ALL.iter().map(|c| c.as_str()).collect();
        format!("unknown category {value:?}; one of {}", names.join(", "))
    })
}

fn outcome(name: &str) -> Result<i32> {
    DisputeOutcome::parse(name).map(|o| outcome_to_pb(o) as i32).ok_or_else(|| {
        let names: Vec<&str> = DisputeOutcome::ALL.iter().map(|o| o.as_str()).collect();
        anyhow!(tr!("error-unknown-outcome", name = format!("{name:?}"), names = names.join(", ")))
    })
}

/// Yuan with at most two decimals, in fen.
fn yuan_to_fen(value: &str, key: &str) -> Result<i64> {
    parse_yuan(value).map_err(|why| anyhow!("{key}={why}"))
}

/// Yuan with at most two decimals, in fen.
pub(crate) fn parse_yuan(value: &str) -> Result<i64, String> {
    let bad = || format!("{value:?}: expected an amount in yuan like 36000 or 120.50");
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 2 {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    whole.checked_mul(100).and_then(|f| f.checked_add(fraction)).ok_or_else(bad)
}

fn parse_dispute(spec: &str, position: usize) -> Result<pb::Dispute> {
    let mut dispute = pb::Dispute { local_id: format!("d{}", position + 1), ..Default::default() };
    let mut wage = pb::WageArrears::default();
    let mut has_wage = false;
    for pair in split_pairs(spec)?.iter().filter(|p| !p.trim().is_empty()) {
        let (key, value) = pair.split_once('=').ok_or_else(|| {
            anyhow!(tr!(
                "error-dispute-not-key-value",
                spec = format!("{spec:?}"),
                pair = format!("{pair:?}")
            ))
        })?;
        let (key, value) = (key.trim(), value.trim());
        let number = |v: &str| {
            v.parse::<u32>()
                .map_err(|_| anyhow!(tr!("error-expected-whole-number", key = key, value = format!("{v:?}"))))
        };
        match key {
            "id" => dispute.local_id = value.to_owned(),
            "category" => dispute.category = category(value)?,
            "outcome" => dispute.outcome = outcome(value)?,
            "parties" => dispute.parties = number(value)?,
            "summary" => dispute.summary = value.to_owned(),
            "case" => dispute.case_id = value.to_owned(),
            "employer" => (wage.employer, has_wage) = (value.to_owned(), true),
            "workers" => (wage.workers, has_wage) = (number(value)?, true),
            "claimed" => (wage.amount_claimed_cents, has_wage) = (yuan_to_fen(value, key)?, true),
            "recovered" => (wage.amount_recovered_cents, has_wage) = (yuan_to_fen(value, key)?, true),
            other => bail!(
                "--dispute: unknown key {other:?}; use id, category, outcome, parties, summary, case, \
                 employer, workers, claimed, recovered"
            ),
        }
    }
    if has_wage {
        dispute.wage_arrears = Some(wage);
    }
    Ok(dispute)
}

/// `a=1,b=x\, y` → `["a=1", "b=x, y"]`: pairs split at commas not escaped
/// with a backslash; `\,` is a comma and `\\` a backslash in a value.
fn split_pairs(spec: &str) -> Result<Vec<String>> {
    let mut pairs = vec![String::new()];
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped @ (',' | '\\')) => pairs.last_mut().expect("one pair").push(escaped),
                _ => {
                    bail!(tr!("error-dispute-backslash", spec = format!("{spec:?}")))
                }
            },
            ',' => pairs.push(String::new()),
            other => pairs.last_mut().expect("one pair").push(other),
        }
    }
    Ok(pairs)
}

fn report_from_file(path: &PathBuf, default_reporter: Option<&str>) -> Result<DailyReport> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: ReportFile =
        serde_json::from_str(&text).with_context(|| format!("{} is not a report file", path.display()))?;
    let disputes = file
        .disputes
        .into_iter()
        .map(|d| {
            Ok(pb::Dispute {
                local_id: d.local_id,
                category: category(&d.category)?,
                outcome: outcome(&d.outcome)?,
                parties: d.parties,
                summary: d.summary,
                case_id: d.case_id,
                wage_arrears: d.wage_arrears.map(|w| pb::WageArrears {
                    employer: w.employer,
                    workers: w.workers,
                    amount_claimed_cents: w.amount_claimed_cents,
                    amount_recovered_cents: w.amount_recovered_cents,
                }),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(DailyReport {
        unit_id: file.unit_id,
        date: file.date,
        revision: file.revision,
        reporter: file.reporter.or_else(|| default_reporter.map(str::to_owned)).unwrap_or_default(),
        zero: disputes.is_empty(),
        disputes,
        correction_reason: file.correction_reason,
    })
}

async fn submit(connection: &Connection, report: DailyReport, json: bool) -> Result<()> {
    let mut client = connection.reporting().await?;
    let (unit, date, zero) = (report.unit_id.clone(), report.date.clone(), report.zero);
    let answer = client
        .submit_daily_report(SubmitDailyReportRequest { report: Some(report) })
        .await
        .map_err(refused)?
        .into_inner();
    let disposition = match answer.disposition() {
        Disposition::New => tr!("disposition-new"),
        Disposition::Duplicate => tr!("disposition-duplicate"),
        Disposition::Correction => tr!("disposition-correction"),
        Disposition::Unspecified => tr!("disposition-unspecified"),
    };
    if json {
        let value = serde_json::json!({
            "unit_id": unit, "date": date, "revision": answer.revision,
            "disposition": answer.disposition().as_str_name(),
            "replaced_revision": answer.replaced_revision, "on_time": answer.on_time,
        });
        println!("{value}");
    } else {
        let timing = if answer.on_time { tr!("word-on-time") } else { tr!("word-late") };
        let kind = if zero { tr!("report-kind-zero") } else { tr!("report-kind-daily") };
        println!(
            "{}",
            tr!(
                "report-accepted",
                kind = kind,
                unit = unit,
                date = date,
                revision = answer.revision,
                disposition = disposition,
                timing = timing
            )
        );
    }
    Ok(())
}

pub async fn report(args: ReportArgs) -> Result<()> {
    let report = match &args.file {
        Some(path) => report_from_file(path, args.revision.reporter.as_deref())?,
        None => {
            let disputes = args
                .dispute
                .iter()
                .enumerate()
                .map(|(i, spec)| parse_dispute(spec, i))
                .collect::<Result<Vec<_>>>()?;
            let report = args.revision.report(&args.connection, args.unit.clone().unwrap_or_default())?;
            DailyReport { zero: disputes.is_empty(), disputes, ..report }
        }
    };
    submit(&args.connection, report, args.json).await
}

pub async fn zero(args: ZeroArgs) -> Result<()> {
    let report = args.revision.report(&args.connection, args.unit.clone())?;
    submit(&args.connection, report, args.json).await
}

#[derive(Debug, clap::Args)]
pub struct ReportsArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Root of the subtree.
    #[arg(long)]
    pub unit: String,
    /// An ISO week instead of --from/--to: `2026-W48`, `this`, `last`, or a date in it.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub week: Option<String>,
    /// First date: YYYY-MM-DD, today or yesterday.
    #[arg(long, default_value = "today")]
    pub from: String,
    /// Last date (inclusive): YYYY-MM-DD, today or yesterday.
    #[arg(long, default_value = "today")]
    pub to: String,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub async fn reports(args: ReportsArgs) -> Result<()> {
    let (from, to) = match &args.week {
        Some(week) => args.connection.range(Some(week), None, None)?,
        None => args.connection.range(None, Some(&args.from), Some(&args.to))?,
    };
    let policy = TimePolicy::parse(&args.connection.time_zone, "18:00")?;
    let names = crate::units::UnitNames::of_subtree(&args.connection, &args.unit).await?;
    let mut table = crate::table::new(crate::i18n::headings([
        "date", "unit", "name", "revision", "zero", "disputes", "on-time", "accepted",
    ]));
    let (yes, late, zero) =
        (crate::i18n::text("word-yes"), crate::i18n::text("word-late"), crate::i18n::text("heading-zero"));
    let count = each_report(&args.connection, &args.unit, from, to, |stored| {
        let Some(report) = &stored.report else { return Ok(true) };
        if args.json {
            let value = serde_json::json!({
                "unit_id": report.unit_id, "date": report.date, "revision": report.revision,
                "reporter": report.reporter, "zero": report.zero, "disputes": report.disputes.len(),
                "on_time": stored.on_time,
                "accepted_at": time_fmt::wire_for_machines(stored.accepted_at, &policy.zone),
                "correction_reason": report.correction_reason,
            });
            // False when the reader went away (`| head`): stop quietly.
            return out(value);
        }
        table.add_row([
            report.date.clone(),
            report.unit_id.clone(),
            names.name(&report.unit_id).to_owned(),
            report.revision.to_string(),
            if report.zero { zero.clone() } else { String::new() },
            report.disputes.len().to_string(),
            if stored.on_time { yes.clone() } else { late.clone() },
            time_fmt::wire_for_people(stored.accepted_at, &policy.zone).unwrap_or_default(),
        ]);
        Ok(true)
    })
    .await?;
    if !args.json {
        println!("{table}");
        println!(
            "{}",
            tr!(
                "reports-footer",
                count = count,
                unit = &args.unit,
                name = names.name(&args.unit),
                from = from,
                to = to
            )
        );
    }
    Ok(())
}

/// Reads every current report of `unit`'s subtree from `from` to `to`, page
/// by page as the node hands them out (pages are bounded in bytes, so a few
/// large reports make a page), and gives each to `visit` until it says stop.
/// Returns how many it visited.
pub(crate) async fn each_report(
    connection: &Connection,
    unit: &str,
    from: NaiveDate,
    to: NaiveDate,
    mut visit: impl FnMut(&pb::StoredDailyReport) -> Result<bool>,
) -> Result<usize> {
    let mut client = connection.reporting().await?;
    let mut page_token = String::new();
    let mut count = 0usize;
    loop {
        let page = client
            .list_daily_reports(ListDailyReportsRequest {
                unit_id: unit.to_owned(),
                from_date: from.to_string(),
                to_date: to.to_string(),
                page_size: 1000,
                page_token: page_token.clone(),
            })
            .await
            .map_err(refused)?
            .into_inner();
        for stored in &page.reports {
            count += 1;
            if !visit(stored)? {
                return Ok(count);
            }
        }
        if page.next_page_token.is_empty() {
            return Ok(count);
        }
        page_token = page.next_page_token;
    }
}

/// Prints a (possibly long) piece of output and a newline. `Ok(false)` when
/// the reader went away (`| head`): the command then stops quietly instead
/// of panicking on the closed pipe.
pub(crate) fn out(text: impl std::fmt::Display) -> Result<bool> {
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(error) => Err(anyhow!(tr!("error-cannot-write-output", error = error.to_string()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_amounts() {
        assert_eq!(yuan_to_fen("36000", "claimed").unwrap(), 3_600_000);
        assert_eq!(yuan_to_fen("120.5", "claimed").unwrap(), 12_050);
        assert_eq!(yuan_to_fen("0.07", "claimed").unwrap(), 7);
        assert!(yuan_to_fen("-3", "claimed").is_err());
        assert!(yuan_to_fen("1.234", "claimed").is_err());
        assert!(yuan_to_fen("99999999999999999999", "claimed").is_err());
    }

    #[test]
    fn dispute_specs() {
        let d =
            parse_dispute("category=wage_arrears,outcome=mediating,employer=某公司,workers=3,claimed=10", 0)
                .unwrap();
        assert_eq!(d.local_id, "d1");
        assert_eq!(d.wage_arrears.unwrap().amount_claimed_cents, 1000);
        assert!(parse_dispute("category=nope", 0).is_err());
        let d =
            parse_dispute(r"summary=wages\, two months,outcome=mediating,category=wage_arrears", 0).unwrap();
        assert_eq!(d.summary, "wages, two months");
        let d = parse_dispute(r"summary=a\\b,category=other,outcome=mediating", 0).unwrap();
        assert_eq!(d.summary, r"a\b");
        assert!(parse_dispute(r"summary=a\b,category=other", 0).is_err());
        assert!(parse_dispute("colour=red", 0).is_err());
    }
}
