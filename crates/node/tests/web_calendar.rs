//! The reporting calendar against a real node (the harness of `web.rs`):
//! every cell's received and expected equal that day's `PeriodSummary` row
//! of the same child over gRPC; a zero report is its own state, never
//! missing; today's cells are outstanding before the cut-off; at the
//! cut-off the event stream sends the node's alert and the grid fetched
//! again shows the day missing; another township's calendar and its
//! events are refused. Runs on SQLite and on PostgreSQL.

mod web_harness;

use std::time::Duration;

use chrono::TimeZone;
use fengqiao_core::Clock;
use fengqiao_core::identity::Role;
use fengqiao_proto::pb;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_store::Backend;
use http_body_util::BodyExt;
use pb::DisputeCategory as Cat;
use pb::DisputeOutcome as Out;
use web_harness::*;

const COMMUNITY: &str = "410411001001";
const GROUP_1: &str = "410411001001001";
const GROUP_2: &str = "410411001001002";
const DAYS: [&str; 7] =
    ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29"];

/// One row of the grid: its cells' (state, received, expected).
#[derive(Debug, PartialEq, Eq)]
struct Cell {
    state: String,
    received: i64,
    expected: i64,
}

/// The grid's rows: `data-child` (or `data-total`) → its seven cells.
fn rows(page: &Answer) -> Vec<(String, Vec<Cell>)> {
    let mut rows = Vec::new();
    for marker in ["<tr data-child=\"", "<tr data-total=\""] {
        for chunk in page.body.split(marker).skip(1) {
            let (unit, rest) = chunk.split_once('"').unwrap();
            let row = rest.split("</tr>").next().unwrap();
            let cells = row
                .split(" data-state=\"")
                .skip(1)
                .map(|cell| {
                    let value = |name: &str| -> String {
                        cell.split(&format!(" data-{name}=\""))
                            .nth(1)
                            .unwrap()
                            .split('"')
                            .next()
                            .unwrap()
                            .into()
                    };
                    Cell {
                        state: cell.split('"').next().unwrap().to_owned(),
                        received: value("received").parse().unwrap(),
                        expected: value("expected").parse().unwrap(),
                    }
                })
                .collect();
            rows.push((unit.to_owned(), cells));
        }
    }
    rows
}

fn states(rows: &[(String, Vec<Cell>)], unit: &str) -> Vec<String> {
    let (_, cells) = rows.iter().find(|(id, _)| id == unit).unwrap_or_else(|| panic!("no row {unit}"));
    cells.iter().map(|c| c.state.clone()).collect()
}

async fn every_cell_is_the_days_summary(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    // Monday 17:00 in Shanghai: two reports on time, one a zero report.
    let friday = dashboard.clock.now();
    dashboard.clock.set(chrono::Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap());
    dashboard.submit(report(GROUP_1, 23, vec![dispute("a", Cat::Neighbour, Out::Mediating)])).await;
    dashboard.submit(report(GROUP_2, 23, vec![])).await;
    // Friday 20:00: Tuesday's and Wednesday's come late.
    dashboard.clock.set(friday);
    dashboard.submit(report(GROUP_1, 24, vec![dispute("b", Cat::Neighbour, Out::Mediating)])).await;
    dashboard.submit(report("410411002001001", 25, vec![])).await;
    dashboard.submit(report(TOWNSHIP, 26, vec![])).await;
    let leader = dashboard.session(DISTRICT, "zhang", Role::Leader).await;
    let mut client = SummaryServiceClient::connect(dashboard.grpc.clone()).await.unwrap();
    for unit in [DISTRICT, TOWNSHIP, COMMUNITY] {
        let page = dashboard.get(&format!("/unit/{unit}/calendar?week={WEEK}"), Some(&leader)).await;
        assert_eq!(page.status, 200, "{unit}: {}", page.body);
        page.assert_security_headers();
        let grid = rows(&page);
        assert!(grid.len() >= 2, "{unit}: children and the total");
        // Friday 20:00: Monday to Friday are due, the weekend is to come.
        for (day, date) in DAYS.iter().enumerate() {
            let request = pb::PeriodSummaryRequest {
                unit_id: unit.into(),
                from_date: (*date).into(),
                to_date: (*date).into(),
            };
            let summary = client.period_summary(request).await.unwrap().into_inner().summary.unwrap();
            for (id, cells) in &grid {
                let cell = &cells[day];
                if day >= 5 {
                    assert_eq!(cell.state, "future", "{unit} {id} {date}");
                    continue;
                }
                let tally = if id == unit {
                    summary.totals.clone().unwrap()
                } else {
                    let row = summary.children.iter().find(|r| r.unit_id == *id).unwrap();
                    row.tally.clone().unwrap()
                };
                assert_eq!(
                    (cell.received, cell.expected),
                    (tally.received, tally.expected),
                    "{unit} {id} {date}"
                );
                let state = if tally.expected == 0 {
                    "not-expected"
                } else if tally.missing > 0 {
                    "missing"
                } else if tally.late > 0 {
                    "late"
                } else if tally.zero_reports == tally.received {
                    "zero"
                } else {
                    "reported"
                };
                assert_eq!(cell.state, state, "{unit} {id} {date}");
            }
        }
    }
    // The community's groups, one report each: the words of their days.
    let page = dashboard.get(&format!("/unit/{COMMUNITY}/calendar?week={WEEK}"), Some(&leader)).await;
    let grid = rows(&page);
    let due = ["reported", "late", "missing", "missing", "missing", "future", "future"];
    assert_eq!(states(&grid, GROUP_1), due);
    let zero_first = ["zero", "missing", "missing", "missing", "missing", "future", "future"];
    assert_eq!(states(&grid, GROUP_2), zero_first, "a zero report is not missing");
    assert!(page.body.contains("零报告"), "Chinese by default");
    // Another township's admin is refused this township's calendar and its events.
    let admin = dashboard.session(OTHER_TOWNSHIP, "wang", Role::Admin).await;
    let own = dashboard.get(&format!("/unit/{OTHER_TOWNSHIP}/calendar"), Some(&admin)).await;
    assert_eq!(own.status, 200, "{}", own.body);
    let other = dashboard.get(&format!("/unit/{TOWNSHIP}/calendar"), Some(&admin)).await;
    assert_eq!(other.status, 403, "{}", other.body);
    let events = dashboard.get(&format!("/unit/{TOWNSHIP}/calendar/events"), Some(&admin)).await;
    assert_eq!(events.status, 403, "{}", events.body);
    let grid = dashboard.get(&format!("/unit/{TOWNSHIP}/calendar?part=grid"), Some(&admin)).await;
    assert_eq!(grid.status, 403, "{}", grid.body);
    dashboard.stop().await;
}

/// Opens the event stream and returns the first `cutoff` event's data
/// once `advance` has moved the clock.
async fn next_cutoff_event(
    dashboard: &Dashboard,
    path: &str,
    cookie: &str,
    advance: impl FnOnce(),
) -> String {
    let stream = tokio::net::TcpStream::connect(dashboard.web).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let request = http::Request::builder()
        .uri(path)
        .header("host", dashboard.web.to_string())
        .header("cookie", cookie)
        .header("accept", "text/event-stream")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    advance();
    let mut body = response.into_body();
    let mut text = String::new();
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let frame = body.frame().await.expect("the stream stays open").unwrap();
            if let Some(data) = frame.data_ref() {
                text.push_str(&String::from_utf8_lossy(data));
            }
            if let Some(event) = text.split("event: cutoff\n").nth(1)
                && let Some(line) = event.lines().find_map(|l| l.strip_prefix("data: "))
            {
                return line.to_owned();
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("no cut-off event; got {text:?}"))
}

async fn today_is_outstanding_until_the_cutoff_then_live(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    a_week_of_reports(&dashboard).await;
    // Saturday 17:00 in Shanghai: today is before its cut-off.
    dashboard.clock.set(chrono::Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap());
    dashboard.submit(report(GROUP_1, 28, vec![])).await;
    let leader = dashboard.session(DISTRICT, "zhang", Role::Leader).await;
    let page = dashboard.get(&format!("/unit/{COMMUNITY}/calendar"), Some(&leader)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let grid = rows(&page);
    assert_eq!(states(&grid, GROUP_1)[5], "reported", "in before the cut-off");
    assert_eq!(states(&grid, GROUP_2)[5], "outstanding");
    assert_eq!(states(&grid, GROUP_2)[6], "future");
    assert!(page.body.contains("待报（18:00 截止）"), "says until when");
    assert!(page.body.contains(&format!("data-events=\"/unit/{COMMUNITY}/calendar/events\"")));
    assert!(page.body.contains("hx-trigger=\"cutoff\""), "htmx swaps the grid");
    // The cut-off passes: the stream says so, and the grid shows it missing.
    let clock = dashboard.clock.clone();
    let data =
        next_cutoff_event(&dashboard, &format!("/unit/{COMMUNITY}/calendar/events"), &leader, move || {
            clock.set(chrono::Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 1).unwrap())
        })
        .await;
    let alert: serde_json::Value = serde_json::from_str(&data).unwrap();
    assert_eq!(alert["date"], "2026-11-28");
    // The community itself and group 2 have not reported.
    assert_eq!(alert["missing"], 2, "{alert}");
    let partial =
        dashboard.get(&format!("/unit/{COMMUNITY}/calendar?week={WEEK}&part=grid"), Some(&leader)).await;
    assert_eq!(partial.status, 200, "{}", partial.body);
    assert!(partial.body.contains("id=\"calendar-grid\""));
    assert!(!partial.body.contains("<html"), "the grid alone");
    let grid = rows(&partial);
    assert_eq!(states(&grid, GROUP_2)[5], "missing");
    assert_eq!(states(&grid, GROUP_1)[5], "zero");
    dashboard.stop().await;
}

fengqiao_store::both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    every_cell_is_the_days_summary,
    today_is_outstanding_until_the_cutoff_then_live,
);
