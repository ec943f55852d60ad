//! `fengqiao bench web`: how fast a node renders the dashboard's pages, at
//! the district with a year of data, beside the gRPC call each page is
//! built on, in the same run.
//!
//! A fresh database gets the synthetic district and history of
//! `bench summary` (its bulk loader and rollup rebuild); a node starts on
//! it serving gRPC and the dashboard (`web.listen`) on loopback; a session
//! is opened the way a browser opens it, by a login link issued into the
//! node's store and followed (`GET /login?token=…` → the session cookie).
//! Then, per page, `--samples` renders over HTTP (a new connection each,
//! `Connection: close`, no compression: the server's render, not the
//! wire) and as many calls of the gRPC method the page is built on
//! (the overview ↔ `WeeklySummary` of the same unit and week; the
//! calendar ↔ the seven `PeriodSummary` of its days, run at once as the
//! page runs them; wage arrears ↔ the year's and each month's
//! `PeriodSummary`, at once; missing ↔ `Completeness`; the ledger ↔ `ListCases`;
//! units ↔ `ListUnits`), p50/p99 and their ratio.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use chrono::{Duration as Days, TimeZone, Utc};
use fengqiao_core::identity::Role;
use fengqiao_core::{Clock, ManualClock, TimePolicy, UnitId};
use fengqiao_node::web::auth::{LINK_LIFETIME, issue_login_link};
use fengqiao_node::{Limits, Node, NodeConfig};
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::unit_service_client::UnitServiceClient;
use fengqiao_proto::pb::{
    CompletenessRequest, ListCasesRequest, ListUnitsRequest, PeriodSummaryRequest, WeeklySummaryRequest,
};
use fengqiao_store::Backend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tonic::transport::Channel;

use crate::bench::say;
use crate::bench::summary::{bulk_load, last_day, open, time_calls};
use crate::treegen;

#[derive(Debug, clap::Args)]
pub struct WebArgs {
    /// The backend.
    #[arg(long, value_enum, default_value = "sqlite")]
    pub db: Backend,
    /// Townships of the synthetic district (each with 10 communities of 50 groups).
    #[arg(long, default_value_t = 10)]
    pub townships: usize,
    /// Days of history.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Renders (and gRPC calls) measured per page.
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
    /// PostgreSQL server (a fresh schema is made and dropped per run).
    #[arg(long, env = "FENGQIAO_TEST_PG", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub pg_url: String,
}

/// One page: its render and its gRPC call, (p50, p99) in ms.
#[derive(Debug, Clone)]
pub struct PageLine {
    pub page: String,
    pub render: (f64, f64),
    pub grpc_call: String,
    pub grpc: (f64, f64),
    /// The page's HTML, uncompressed.
    pub bytes: usize,
}

/// An HTTP/1.1 answer: status, headers (lower-case names), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// `GET path` on `address` with `cookie`, on a new connection.
async fn get(address: std::net::SocketAddr, path: &str, cookie: &str) -> Result<Answer> {
    let mut stream = TcpStream::connect(address).await?;
    let cookie = if cookie.is_empty() { String::new() } else { format!("Cookie: {cookie}\r\n") };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n{cookie}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8(raw).context("a page that is not UTF-8")?;
    let (head, body) = text.split_once("\r\n\r\n").context("an answer without headers")?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .context("an answer without a status")?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect::<Vec<_>>();
    let chunked = headers.iter().any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked { unchunk(body)? } else { body.to_owned() };
    Ok(Answer { status, headers, body })
}

/// The body of a chunked transfer.
fn unchunk(mut rest: &str) -> Result<String> {
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").context("a chunk without its size")?;
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)?;
        if size == 0 {
            return Ok(body);
        }
        ensure!(after.len() >= size + 2, "a short chunk");
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}

/// The `data-value` of `data-figure="name"` in a page.
fn figure(page: &str, name: &str) -> Option<String> {
    let rest = page.split(&format!("data-figure=\"{name}\" data-value=\"")).nth(1)?;
    Some(rest.split('"').next()?.to_owned())
}

/// Runs the benchmark, prints its table and returns its lines.
pub async fn web(args: WebArgs) -> Result<Vec<PageLine>> {
    let tree = treegen::synthetic(0, args.townships, 10, 50)?;
    let district = tree.root_id().to_string();
    let end = last_day();
    let days = i64::from(args.days.max(7));
    say!(
        "bench web: district of {} units, {days} days of history to {end} ({:?}); week 2026-W48; {} samples",
        tree.len(),
        args.db,
        args.samples
    );
    let run = open(args.db, &args.pg_url, "web").await?;
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()));
    let node = Node::start(
        NodeConfig { limits: Limits::unthrottled(), ..NodeConfig::new(district.clone()) },
        &tree,
        Arc::clone(&run.store),
        Arc::clone(&clock) as Arc<dyn Clock>,
    )
    .await?;
    let started = Instant::now();
    bulk_load(&run.raw, end - Days::days(days - 1), end).await?;
    let reports = run.store.rebuild_rollups(&TimePolicy::default()).await?;
    say!("  {reports} reports generated and rolled up in {:.1} s", started.elapsed().as_secs_f64());

    let grpc_listener = TcpListener::bind("127.0.0.1:0").await?;
    let grpc_address = grpc_listener.local_addr()?;
    let web_listener = TcpListener::bind("127.0.0.1:0").await?;
    let web = web_listener.local_addr()?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut grpc_stopped = stopped.clone();
    let grpc_server = tokio::spawn(fengqiao_node::serve(node.clone(), grpc_listener, async move {
        let _ = grpc_stopped.wait_for(|s| *s).await;
    }));
    let mut web_stopped = stopped.clone();
    let web_server = tokio::spawn(fengqiao_node::serve_web(node.clone(), web_listener, None, async move {
        let _ = web_stopped.wait_for(|s| *s).await;
    }));

    // A session, as a login link opens one.
    let link = issue_login_link(
        run.store.as_ref(),
        &UnitId::parse(&district)?,
        "bench-leader",
        Role::Leader,
        clock.now(),
        LINK_LIFETIME,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let login = get(web, &format!("/login?token={}", link.token), "").await?;
    ensure!(login.status == 303, "the login link answered {}", login.status);
    let cookie = login
        .headers
        .iter()
        .find(|(name, _)| name == "set-cookie")
        .and_then(|(_, value)| value.split(';').next())
        .context("no session cookie")?
        .to_owned();

    let channel = Channel::from_shared(format!("http://{grpc_address}"))?.connect().await?;
    let client = SummaryServiceClient::new(channel);
    // The overview of one unit per tier, each beside its WeeklySummary.
    let township = tree.children(&district).first().map(|u| u.id.to_string()).context("no township")?;
    let community = tree.children(&township).first().map(|u| u.id.to_string()).context("no community")?;
    let group = tree.children(&community).first().map(|u| u.id.to_string()).context("no group")?;
    let week = "2026-W48";
    let mut lines = Vec::new();
    for (tier, unit) in
        [("district", &district), ("township", &township), ("community", &community), ("group", &group)]
    {
        let path = format!("/unit/{unit}?week={week}");
        // The page shows what the call answers.
        let grpc_received = client
            .clone()
            .weekly_summary(WeeklySummaryRequest { unit_id: unit.clone(), iso_week: week.into() })
            .await?
            .into_inner()
            .summary
            .and_then(|s| s.totals)
            .map(|t| t.received)
            .context("no summary")?;
        let page = get(web, &path, &cookie).await?;
        ensure!(page.status == 200, "{path} answered {}", page.status);
        if figure(&page.body, "received") != Some(grpc_received.to_string()) {
            bail!("{path}: received {:?}, WeeklySummary {grpc_received}", figure(&page.body, "received"));
        }
        let render = time_calls(args.samples, || {
            let (path, cookie) = (path.clone(), cookie.clone());
            async move {
                let page = get(web, &path, &cookie).await?;
                ensure!(page.status == 200, "{path} answered {}", page.status);
                Ok(())
            }
        })
        .await?;
        let grpc = time_calls(args.samples, || {
            let mut client = client.clone();
            let unit = unit.clone();
            async move {
                client.weekly_summary(WeeklySummaryRequest { unit_id: unit, iso_week: week.into() }).await?;
                Ok(())
            }
        })
        .await?;
        lines.push(PageLine {
            page: format!("overview of the {tier} ({unit})"),
            render,
            grpc_call: "WeeklySummary".into(),
            grpc,
            bytes: page.body.len(),
        });
    }
    // The other pages at the district, each beside the calls it makes.
    let days: Vec<(String, String)> =
        (23..=29).map(|day| (format!("2026-11-{day}"), format!("2026-11-{day}"))).collect();
    let summaries = client.clone();
    let calendar = || period_summaries(summaries.clone(), district.clone(), days.clone());
    let completeness = || {
        let (mut client, unit) = (summaries.clone(), district.clone());
        async move {
            client.completeness(CompletenessRequest { unit_id: unit, date: "2026-11-27".into() }).await?;
            Ok(())
        }
    };
    let units_channel = Channel::from_shared(format!("http://{grpc_address}"))?.connect().await?;
    let units = UnitServiceClient::new(units_channel.clone());
    let list_units = || {
        let (mut client, unit) = (units.clone(), district.clone());
        async move {
            client
                .list_units(ListUnitsRequest { root_unit_id: unit, max_depth: 2, ..Default::default() })
                .await?;
            Ok(())
        }
    };
    let cases = CaseServiceClient::new(units_channel);
    let list_cases = || {
        let (mut client, unit) = (cases.clone(), district.clone());
        async move {
            client
                .list_cases(ListCasesRequest { unit_id: unit, page_size: 500, ..Default::default() })
                .await?;
            Ok(())
        }
    };
    // The wages page: the year's PeriodSummary and one per month begun, at once.
    let year_ranges: Vec<(String, String)> = std::iter::once(("2026-01-01".to_owned(), end.to_string()))
        .chain((1..=11).map(|month| {
            let first = chrono::NaiveDate::from_ymd_opt(2026, month, 1).expect("a month");
            let last = first + chrono::Months::new(1) - Days::days(1);
            (first.to_string(), last.min(end).to_string())
        }))
        .collect();
    let wages = || period_summaries(summaries.clone(), district.clone(), year_ranges.clone());
    let samples = args.samples;
    lines.push(
        page_line(
            web,
            &cookie,
            samples,
            "calendar of the district",
            &format!("/unit/{district}/calendar?week={week}"),
            "PeriodSummary × 7 days",
            calendar,
        )
        .await?,
    );
    lines.push(
        page_line(
            web,
            &cookie,
            samples,
            "missing of the district",
            &format!("/unit/{district}/missing?date=2026-11-27"),
            "Completeness",
            completeness,
        )
        .await?,
    );
    lines.push(
        page_line(
            web,
            &cookie,
            samples,
            "case ledger of the district",
            &format!("/unit/{district}/cases"),
            "ListCases",
            list_cases,
        )
        .await?,
    );
    let wages_path = format!("/unit/{district}/wages?year=2026");
    let wages_calls = "PeriodSummary × (year + 11 months)";
    lines.push(
        page_line(web, &cookie, samples, "wage arrears of the district", &wages_path, wages_calls, wages)
            .await?,
    );
    lines
        .push(page_line(web, &cookie, samples, "units", "/units", "ListUnits (2 levels)", list_units).await?);
    let _ = stop.send(true);
    let _ = grpc_server.await;
    let _ = web_server.await;
    run.store.close().await;
    if let Some(schema) = &run.schema {
        fengqiao_store::postgres::PgStore::drop_schema(&args.pg_url, schema).await?;
    }
    print_lines(&lines);
    Ok(lines)
}

/// `PeriodSummary` of `unit` for each range, all at once (as the calendar
/// and the wages pages call them).
async fn period_summaries(
    client: SummaryServiceClient<Channel>,
    unit: String,
    ranges: Vec<(String, String)>,
) -> Result<()> {
    futures::future::try_join_all(ranges.into_iter().map(|(from_date, to_date)| {
        let mut client = client.clone();
        let request = PeriodSummaryRequest { unit_id: unit.clone(), from_date, to_date };
        async move { client.period_summary(request).await }
    }))
    .await?;
    Ok(())
}

/// One page's line: its render (`path`) and the gRPC calls it is built on
/// (`grpc`), `samples` of each.
async fn page_line<F, Fut>(
    web: std::net::SocketAddr,
    cookie: &str,
    samples: usize,
    page: &str,
    path: &str,
    grpc_call: &str,
    grpc: F,
) -> Result<PageLine>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let first = get(web, path, cookie).await?;
    ensure!(first.status == 200, "{path} answered {}", first.status);
    let render = time_calls(samples, || async move {
        let answer = get(web, path, cookie).await?;
        ensure!(answer.status == 200, "{path} answered {}", answer.status);
        Ok(())
    })
    .await?;
    let grpc = time_calls(samples, grpc).await?;
    Ok(PageLine { page: page.into(), render, grpc_call: grpc_call.into(), grpc, bytes: first.body.len() })
}

fn print_lines(lines: &[PageLine]) {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::ASCII_MARKDOWN).set_header([
        "page",
        "HTML bytes",
        "render p50/p99 ms",
        "gRPC call",
        "gRPC p50/p99 ms",
        "render/gRPC p99",
    ]);
    for line in lines {
        table.add_row([
            line.page.clone(),
            line.bytes.to_string(),
            format!("{:.2} / {:.2}", line.render.0, line.render.1),
            line.grpc_call.clone(),
            format!("{:.2} / {:.2}", line.grpc.0, line.grpc.1),
            format!("{:.1}×", line.render.1 / line.grpc.1.max(f64::MIN_POSITIVE)),
        ]);
    }
    say!("{table}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_and_figures_are_read() {
        assert_eq!(unchunk("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").unwrap(), "hello world");
        let page = r#"<dd data-figure="received" data-value="42">42</dd>"#;
        assert_eq!(figure(page, "received").as_deref(), Some("42"));
        assert_eq!(figure(page, "missing"), None);
    }

    #[tokio::test]
    async fn a_small_run_measures_every_tier() {
        let lines =
            web(WebArgs { db: Backend::Sqlite, townships: 1, days: 7, samples: 3, pg_url: String::new() })
                .await
                .unwrap();
        assert_eq!(lines.len(), 9, "four overviews and five other pages");
        assert!(lines.iter().all(|l| l.render.1 > 0.0 && l.grpc.1 > 0.0 && l.bytes > 1000));
    }
}
