//! The reporting calendar (`/unit/<id>/calendar?week=YYYY-Www`): the
//! unit's children × the days of an ISO week, each cell what that child's
//! subtree did that day — reported, zero reports, late, missing,
//! outstanding before the cut-off, or nothing expected (closed, not yet
//! open, not a child that day) — with a row for the unit's own totals.
//! DHIS2's reporting-rate summary done right: a zero report is received,
//! never missing.
//!
//! Each due day is that day's `PeriodSummary` (its scorecard rows are the
//! children's tallies of the day: the same figures as every other face).
//! Today before the cut-off is not due, so its cells come from today's
//! `Completeness` (the outstanding units, each counted under the child it
//! lies in) and say "outstanding until 18:00".
//!
//! **Live at the cut-off.** The page opens `/unit/<id>/calendar/events`, a
//! stream of server-sent events fed by the node's cut-off alerts
//! (`WatchAlerts`, in-process as the viewer); at each cut-off
//! `calendar.js` asks htmx to fetch the grid again (`?part=grid`) and swap
//! it in, so today's column turns from outstanding to reported or missing
//! without a reload.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::time::Duration as StdDuration;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Duration, NaiveDate};
use fengqiao_core::IsoWeek;
use fengqiao_core::read::{Completeness, Figures, Summary};
use fengqiao_i18n::{Messages, tr_in};
use fengqiao_proto::pb;
use fengqiao_proto::pb::summary_service_server::SummaryService;
use futures::StreamExt;

use super::{answer, percent, unreadable};
use crate::summary::Summaries;
use crate::web::auth::Viewer;
use crate::web::{Chrome, PageError, WebState, assets, lang_of, render};

/// What a cell says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellState {
    /// Every expected report received, on time, not all zero.
    Reported,
    /// Every expected report received on time, each a zero report.
    Zero,
    /// Nothing missing, some after the cut-off.
    Late,
    /// Due, and some expected report not received.
    Missing,
    /// Before the cut-off, some expected report not received yet.
    Outstanding,
    /// Nothing expected: closed, not yet open, before reporting began, or
    /// not a child of the unit that day.
    NotExpected,
    /// A day still to come.
    Future,
}

impl CellState {
    /// The name in `data-state` and the stylesheet's class.
    pub fn as_str(self) -> &'static str {
        match self {
            CellState::Reported => "reported",
            CellState::Zero => "zero",
            CellState::Late => "late",
            CellState::Missing => "missing",
            CellState::Outstanding => "outstanding",
            CellState::NotExpected => "not-expected",
            CellState::Future => "future",
        }
    }

    /// The state of a due day's tally.
    pub fn of_due(figures: &Figures) -> CellState {
        if figures.expected == 0 {
            CellState::NotExpected
        } else if figures.missing > 0 {
            CellState::Missing
        } else if figures.late > 0 {
            CellState::Late
        } else if figures.zero_reports == figures.received {
            CellState::Zero
        } else {
            CellState::Reported
        }
    }

    const ALL: [CellState; 7] = [
        CellState::Reported,
        CellState::Zero,
        CellState::Late,
        CellState::Missing,
        CellState::Outstanding,
        CellState::NotExpected,
        CellState::Future,
    ];
}

/// One child's (or the unit's) figures for one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCount {
    pub expected: i64,
    pub received: i64,
    pub zero: i64,
    pub late: i64,
    /// Missing once due, outstanding before.
    pub missing: i64,
}

impl DayCount {
    fn of(figures: &Figures) -> DayCount {
        DayCount {
            expected: figures.expected,
            received: figures.received,
            zero: figures.zero_reports,
            late: figures.late,
            missing: figures.missing,
        }
    }
}

/// A cell of the grid.
#[derive(Debug, Clone)]
pub struct Cell {
    pub state: &'static str,
    /// What it shows: the state's word for a single reporting unit,
    /// received/expected for a subtree.
    pub text: String,
    /// A second line: the state's word under a subtree's count.
    pub word: String,
    /// Everything it counts, for the tooltip and screen readers.
    pub detail: String,
    pub expected: i64,
    pub received: i64,
}

/// A row: a child (or the unit's own totals).
#[derive(Debug, Clone)]
pub struct Row {
    pub unit_id: String,
    pub name: String,
    /// The child's own calendar; none for the totals row.
    pub url: Option<String>,
    pub cells: Vec<Cell>,
    /// The week's received/expected over the due days.
    pub week: String,
}

/// A day's column heading.
#[derive(Debug, Clone)]
pub struct DayHead {
    pub date: String,
    pub label: String,
    pub today: bool,
}

/// The grid alone: what the page shows, and what htmx fetches again at
/// each cut-off.
#[derive(Debug, Template)]
#[template(path = "calendar_grid.html")]
pub struct Grid {
    pub chrome: Chrome,
    pub grid_url: String,
    pub days: Vec<DayHead>,
    pub rows: Vec<Row>,
    pub total: Row,
    pub legend: Vec<(&'static str, String)>,
}

#[derive(Debug, Template)]
#[template(path = "calendar.html")]
pub struct CalendarPage {
    pub chrome: Chrome,
    pub unit_id: String,
    pub unit_name: String,
    pub week: String,
    pub range: String,
    pub previous_url: String,
    pub next_url: Option<String>,
    pub live_note: String,
    pub events_url: String,
    /// The rendered [`Grid`].
    pub grid: String,
    pub htmx_url: String,
    pub script_url: String,
}

#[derive(Debug, serde::Deserialize)]
pub struct CalendarQuery {
    week: Option<String>,
    lang: Option<String>,
    /// `grid`: only the grid (htmx's swap).
    part: Option<String>,
}

/// `GET /unit/{unit_id}/calendar?week=&part=`: the calendar, or its grid.
pub async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(unit_id): Path<String>,
    Query(query): Query<CalendarQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if query.part.as_deref() == Some("grid") {
        let lang = lang_of(query.lang.as_deref(), &headers);
        let chrome = Chrome::new(lang, uri.path_and_query().map_or("/", |p| p.as_str()));
        return match grid(&state, &viewer, &unit_id, query.week.as_deref(), chrome).await {
            Ok((_, grid)) => render(StatusCode::OK, &grid),
            Err(error) => PageError::refused(lang, &error).into_response(),
        };
    }
    answer(&state, &viewer, query.lang.as_deref(), (&headers, &uri), Some(&unit_id), |chrome| {
        calendar_page(&state, &viewer, &unit_id, query.week.as_deref(), chrome)
    })
    .await
}

async fn calendar_page(
    state: &WebState,
    viewer: &Viewer,
    unit_id: &str,
    week: Option<&str>,
    chrome: Chrome,
) -> Result<CalendarPage, tonic::Status> {
    let (head, grid) = grid(state, viewer, unit_id, week, chrome.clone()).await?;
    let m = chrome.messages;
    let policy = &state.node().config().time;
    let this_week = IsoWeek::of(policy.local_date(state.node().clock().now()));
    let week_url = |week: IsoWeek| format!("/unit/{unit_id}/calendar?week={week}");
    let next = IsoWeek::of(head.week.monday() + Duration::days(7));
    let grid = grid.render().map_err(|error| {
        tracing::warn!(%error, "web: the calendar's grid failed to render");
        tonic::Status::internal("internal error")
    })?;
    Ok(CalendarPage {
        unit_id: unit_id.to_owned(),
        unit_name: head.unit_name,
        week: head.week.to_string(),
        range: tr_in!(
            m,
            "web-week-range",
            week = head.week.to_string(),
            from = head.week.monday().to_string(),
            to = head.week.sunday().to_string()
        ),
        previous_url: week_url(IsoWeek::of(head.week.monday() - Duration::days(7))),
        next_url: (next <= this_week).then(|| week_url(next)),
        live_note: tr_in!(m, "web-calendar-live", cutoff = policy.cutoff.format("%H:%M").to_string()),
        events_url: format!("/unit/{unit_id}/calendar/events"),
        grid,
        htmx_url: assets::url("htmx.min.js"),
        script_url: assets::url("calendar.js"),
        chrome,
    })
}

/// What the page's head needs beside the grid.
struct Head {
    unit_name: String,
    week: IsoWeek,
}

/// The grid of `unit_id`'s week: one `PeriodSummary` per due day (all at
/// once), and today's `Completeness` while its cut-off is ahead.
async fn grid(
    state: &WebState,
    viewer: &Viewer,
    unit_id: &str,
    week: Option<&str>,
    chrome: Chrome,
) -> Result<(Head, Grid), tonic::Status> {
    let node = state.node();
    let policy = &node.config().time;
    let now = node.clock().now();
    let today = policy.local_date(now);
    let week = match week.filter(|w| !w.is_empty()) {
        Some(text) => {
            IsoWeek::parse(text, "week").map_err(|e| tonic::Status::from(crate::NodeError::from(e)))?
        }
        None => IsoWeek::of(today),
    };
    let days: Vec<NaiveDate> = week.monday().iter_days().take(7).collect();
    let summaries = Summaries::new(node.clone());
    // Every day up to today: a day not yet due answers with no rows.
    let asked: Vec<NaiveDate> = days.iter().copied().filter(|d| *d <= today).collect();
    let answers = futures::future::join_all(asked.iter().map(|day| {
        SummaryService::period_summary(
            &summaries,
            viewer.request(pb::PeriodSummaryRequest {
                unit_id: unit_id.to_owned(),
                from_date: day.to_string(),
                to_date: day.to_string(),
            }),
        )
    }))
    .await;
    let mut by_day: Vec<Summary> = Vec::with_capacity(answers.len());
    for answer in answers {
        let summary = answer?.into_inner().summary.ok_or_else(|| tonic::Status::internal("no summary"))?;
        by_day.push(Summary::try_from(summary).map_err(unreadable)?);
    }
    let unit_name = by_day.first().map(|s| s.unit_name.clone()).unwrap_or_default();
    let pending = days.contains(&today) && now < policy.cutoff_of(today);
    let outstanding = if pending {
        let request =
            viewer.request(pb::CompletenessRequest { unit_id: unit_id.to_owned(), date: today.to_string() });
        let answer = SummaryService::completeness(&summaries, request).await?.into_inner();
        Some(Completeness::try_from(answer).map_err(unreadable)?)
    } else {
        None
    };
    // Each day's counts, by child, and the unit's.
    let mut children: BTreeMap<String, String> = BTreeMap::new();
    let mut counts: Vec<(Option<BTreeMap<String, DayCount>>, DayCount)> = Vec::new();
    let coverage = node.coverage();
    let tree = node.tree();
    for day in &days {
        let summary = by_day.iter().find(|s| s.from_date == *day);
        let count = match (summary, &outstanding) {
            (_, Some(today_)) if *day == today => {
                // Before the cut-off: the tree says who is expected; the
                // outstanding list says who has not reported yet.
                let mut rows = BTreeMap::new();
                for (child, _) in coverage.children_in(unit_id, today, today) {
                    let expected = coverage.expected(child.as_str(), today, today);
                    let missing = today_
                        .missing
                        .iter()
                        .filter(|u| coverage.is_within_on(u.unit_id.as_str(), child.as_str(), today))
                        .count() as i64;
                    let name = tree.get(child.as_str()).map(|u| u.name.clone()).unwrap_or_default();
                    children.entry(child.to_string()).or_insert(name);
                    rows.insert(
                        child.to_string(),
                        DayCount { expected, received: expected - missing, missing, ..DayCount::default() },
                    );
                }
                let total = DayCount {
                    expected: today_.expected,
                    received: today_.received,
                    missing: today_.missing.len() as i64,
                    ..DayCount::default()
                };
                (Some(rows), total)
            }
            (Some(summary), _) if summary.through_date.is_some() => {
                let mut rows = BTreeMap::new();
                for row in &summary.children {
                    children.entry(row.unit_id.to_string()).or_insert_with(|| row.name.clone());
                    rows.insert(row.unit_id.to_string(), DayCount::of(&row.tally));
                }
                (Some(rows), DayCount::of(&summary.totals))
            }
            _ => (None, DayCount::default()),
        };
        counts.push(count);
    }
    let m = chrome.messages;
    let cutoff = policy.cutoff.format("%H:%M").to_string();
    let cell_of = |day: NaiveDate, count: Option<&DayCount>| -> Cell {
        let state = if day > today {
            CellState::Future
        } else if day == today && pending {
            match count {
                Some(c) if c.expected > 0 && c.missing > 0 => CellState::Outstanding,
                Some(c) if c.expected > 0 => CellState::Reported,
                _ => CellState::NotExpected,
            }
        } else {
            count.map_or(CellState::NotExpected, |c| {
                CellState::of_due(&Figures {
                    expected: c.expected,
                    received: c.received,
                    late: c.late,
                    missing: c.missing,
                    zero_reports: c.zero,
                    ..Figures::default()
                })
            })
        };
        cell(m, state, count.copied().unwrap_or_default(), &cutoff)
    };
    let week_text = |row: &mut dyn Iterator<Item = Option<DayCount>>| {
        let (received, expected) = row.flatten().fold((0, 0), |(r, e), c| (r + c.received, e + c.expected));
        if expected == 0 {
            "-".to_owned()
        } else {
            format!("{received}/{expected} · {}", percent(100.0 * received as f64 / expected as f64))
        }
    };
    let due_count =
        |(rows, _): &(Option<BTreeMap<String, DayCount>>, DayCount), day: &NaiveDate, id: &str| {
            let due = *day < today || (*day == today && !pending);
            rows.as_ref().and_then(|r| r.get(id)).copied().filter(|_| due)
        };
    let rows = children
        .iter()
        .map(|(id, name)| Row {
            unit_id: id.clone(),
            name: name.clone(),
            url: Some(format!("/unit/{id}/calendar?week={week}")),
            cells: days
                .iter()
                .zip(&counts)
                .map(|(day, (rows, _))| cell_of(*day, rows.as_ref().and_then(|r| r.get(id))))
                .collect(),
            week: week_text(&mut days.iter().zip(&counts).map(|(day, c)| due_count(c, day, id))),
        })
        .collect();
    let total = Row {
        unit_id: unit_id.to_owned(),
        name: m.text("web-calendar-total"),
        url: None,
        cells: days
            .iter()
            .zip(&counts)
            .map(|(day, (rows, total))| cell_of(*day, rows.as_ref().map(|_| total)))
            .collect(),
        week: week_text(&mut days.iter().zip(&counts).map(|(day, (rows, total))| {
            let due = *day < today || (*day == today && !pending);
            rows.as_ref().map(|_| *total).filter(|_| due)
        })),
    };
    let grid = Grid {
        grid_url: format!("/unit/{unit_id}/calendar?week={week}&part=grid"),
        days: days
            .iter()
            .map(|day| DayHead {
                date: day.to_string(),
                label: format!(
                    "{} {}",
                    m.name("weekday", &format!("{:?}", day.weekday()).to_lowercase()),
                    day.format("%m-%d")
                ),
                today: *day == today,
            })
            .collect(),
        rows,
        total,
        legend: CellState::ALL.iter().map(|s| (s.as_str(), state_word(m, *s, &cutoff))).collect(),
        chrome,
    };
    Ok((Head { unit_name, week }, grid))
}

/// The word for a state.
fn state_word(m: &Messages, state: CellState, cutoff: &str) -> String {
    match state {
        CellState::Outstanding => tr_in!(m, "web-calendar-outstanding-until", cutoff = cutoff),
        other => m.text(&format!("web-calendar-{}", other.as_str())),
    }
}

/// A cell: the word where one report was expected (a single reporting
/// unit), received/expected with the word under it for a subtree.
fn cell(m: &Messages, state: CellState, count: DayCount, cutoff: &str) -> Cell {
    let word = state_word(m, state, cutoff);
    let counted = !matches!(state, CellState::NotExpected | CellState::Future);
    let detail = if counted {
        tr_in!(
            m,
            "web-calendar-detail",
            expected = count.expected,
            received = count.received,
            zero = count.zero,
            late = count.late,
            missing = count.missing
        )
    } else {
        word.clone()
    };
    let (text, word) = if count.expected <= 1 || !counted {
        (word, String::new())
    } else {
        (format!("{}/{}", count.received, count.expected), word)
    };
    Cell { state: state.as_str(), text, word, detail, expected: count.expected, received: count.received }
}

/// How often an idle event stream sends a comment, so proxies keep it.
const KEEP_ALIVE: StdDuration = StdDuration::from_secs(15);

/// `GET /unit/{unit_id}/calendar/events`: server-sent events, one `cutoff`
/// event at each cut-off (the node's `WatchAlerts` for this unit, as the
/// viewer: refused as gRPC refuses it), its data the day, the expected
/// count and the missing count.
pub async fn events(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(unit_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let summaries = Summaries::new(state.node().clone());
    let request = viewer.request(pb::WatchAlertsRequest { unit_id: unit_id.clone() });
    let alerts = match SummaryService::watch_alerts(&summaries, request).await {
        Ok(alerts) => alerts.into_inner(),
        Err(error) => return PageError::refused(lang_of(None, &headers), &error).into_response(),
    };
    let stream = alerts.map(|alert| {
        let event = match alert {
            Ok(alert) => Event::default().event("cutoff").data(
                serde_json::json!({
                    "date": alert.date,
                    "expected": alert.expected,
                    "missing": alert.missing.len(),
                })
                .to_string(),
            ),
            Err(error) => {
                tracing::warn!(%error, "web: a cut-off alert failed");
                Event::default().event("error").data(error.code().to_string())
            }
        };
        Ok::<Event, Infallible>(event)
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(expected: i64, received: i64, zero: i64, late: i64) -> Figures {
        Figures {
            expected,
            received,
            zero_reports: zero,
            late,
            missing: expected - received,
            ..Figures::default()
        }
    }

    #[test]
    fn zero_is_received_never_missing() {
        assert_eq!(CellState::of_due(&figures(1, 1, 1, 0)), CellState::Zero);
        assert_eq!(CellState::of_due(&figures(3, 3, 1, 0)), CellState::Reported);
        assert_eq!(CellState::of_due(&figures(3, 3, 3, 1)), CellState::Late);
        assert_eq!(CellState::of_due(&figures(3, 2, 2, 0)), CellState::Missing);
        assert_eq!(CellState::of_due(&figures(0, 0, 0, 0)), CellState::NotExpected);
    }

    #[test]
    fn a_subtree_cell_counts_and_a_unit_cell_says() {
        let m = Messages::of(fengqiao_i18n::Lang::En);
        let count = DayCount { expected: 14, received: 12, zero: 3, late: 1, missing: 2 };
        let subtree = cell(m, CellState::Missing, count, "18:00");
        assert_eq!(subtree.text, "12/14");
        assert!(subtree.detail.contains("14") && subtree.detail.contains('3'), "{}", subtree.detail);
        let one = DayCount { expected: 1, received: 0, missing: 1, ..DayCount::default() };
        let unit = cell(m, CellState::Outstanding, one, "18:00");
        assert!(unit.text.contains("18:00"), "{}", unit.text);
        assert!(unit.word.is_empty());
        let closed = cell(m, CellState::NotExpected, DayCount::default(), "18:00");
        assert_eq!(closed.state, "not-expected");
        assert_eq!(closed.detail, closed.text);
    }
}
