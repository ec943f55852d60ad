//! How every command reaches a node: [`Connection`] (the `--server`,
//! `--time-zone` and TLS flags; a channel; the service clients; dates,
//! weeks and ranges read in the deployment's zone), [`refused`] (a node's
//! refusal as one line in the reader's language), [`each_report`] (a
//! subtree's reports, page by page) and [`out`] (output that stops quietly
//! when the reader goes away).

use anyhow::{Result, anyhow, bail};
use chrono::{Duration, NaiveDate, Utc};
use fengqiao_core::{IsoWeek, TimePolicy};
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::contact_service_client::ContactServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::weekly_service_client::WeeklyServiceClient;
use fengqiao_proto::pb::{self, ListDailyReportsRequest};
use tonic::transport::Channel;

use crate::tr;

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
    pub tls: crate::commands::ca::TlsArgs,
}

impl Connection {
    pub async fn reporting(&self) -> Result<ReportingServiceClient<Channel>> {
        Ok(ReportingServiceClient::new(self.channel().await?)
            .max_decoding_message_size(fengqiao_proto::CLIENT_MAX_DECODING_BYTES))
    }

    pub async fn summaries(&self) -> Result<SummaryServiceClient<Channel>> {
        Ok(SummaryServiceClient::new(self.channel().await?)
            .max_decoding_message_size(fengqiao_proto::CLIENT_MAX_DECODING_BYTES))
    }

    pub async fn cases(&self) -> Result<CaseServiceClient<Channel>> {
        Ok(CaseServiceClient::new(self.channel().await?)
            .max_decoding_message_size(fengqiao_proto::CLIENT_MAX_DECODING_BYTES))
    }

    pub async fn weekly(&self) -> Result<WeeklyServiceClient<Channel>> {
        Ok(WeeklyServiceClient::new(self.channel().await?)
            .max_decoding_message_size(fengqiao_proto::CLIENT_MAX_DECODING_BYTES))
    }

    pub async fn contacts(&self) -> Result<ContactServiceClient<Channel>> {
        Ok(ContactServiceClient::new(self.channel().await?)
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
                    ca = crate::commands::config::CA.how_to_give_a_client(),
                    cert = crate::commands::config::CERT.how_to_give_a_client(),
                    key = crate::commands::config::KEY.how_to_give_a_client()
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
        let policy = self.zone_policy()?;
        let word = crate::dates::DateWord::parse(value, flag).map_err(|e| anyhow!(e))?;
        Ok(word.on(policy.local_date(Utc::now())))
    }

    /// The deployment's zone, for showing instants as local times.
    pub(crate) fn zone_policy(&self) -> Result<TimePolicy> {
        Ok(TimePolicy::parse(&self.time_zone, "18:00")?)
    }

    /// A week from the command line: `YYYY-Www`, `this`, `last`, or a date
    /// (`YYYY-MM-DD`, `today`, `yesterday`) meaning the week holding it.
    pub(crate) fn week(&self, value: &str, flag: &str) -> Result<IsoWeek> {
        let today = self.date("today", flag)?;
        match value {
            "this" => Ok(IsoWeek::of(today)),
            "last" => Ok(IsoWeek::of(today - Duration::days(7))),
            _ if value.contains("-W") => IsoWeek::parse(value, flag).map_err(|e| anyhow!("{e}")),
            _ => Ok(IsoWeek::of(self.date(value, flag)?)),
        }
    }

    /// A range from the command line: `--week` or `--from`/`--to` (each
    /// defaulting to the other's day); this week when neither is given.
    pub(crate) fn range(
        &self,
        week: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(NaiveDate, NaiveDate)> {
        let (from, to) = match (week, from, to) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => bail!(tr!("error-week-or-range")),
            (Some(week), None, None) => {
                let week = self.week(week, "--week")?;
                (week.monday(), week.sunday())
            }
            (None, None, None) => {
                let week = self.week("this", "--week")?;
                (week.monday(), week.sunday())
            }
            (None, Some(from), to) => {
                let from = self.date(from, "--from")?;
                (from, to.map(|to| self.date(to, "--to")).transpose()?.unwrap_or(from))
            }
            (None, None, Some(to)) => {
                let to = self.date(to, "--to")?;
                (to, to)
            }
        };
        if to < from {
            bail!(tr!("error-to-before-from", to = to.to_string(), from = from.to_string()));
        }
        Ok((from, to))
    }
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
            ca = crate::commands::config::CA.how_to_give_a_client(),
            cert = crate::commands::config::CERT.how_to_give_a_client(),
            key = crate::commands::config::KEY.how_to_give_a_client()
        ));
    }
    anyhow!(tr!("error-node-answered", code = code_name(status.code()), message = refusal_text(&status)))
}

/// A node's refusal in the reader's language: the message of its
/// `google.rpc.ErrorInfo` code (`refusal-…`) with its values, after the
/// field it names; the node's own English sentence for a status without a
/// code, or with a code these message files lack (a newer node).
pub fn refusal_text(status: &tonic::Status) -> String {
    fengqiao_node::web::refusal_text(crate::i18n::Messages::of(crate::i18n::lang()), status)
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
