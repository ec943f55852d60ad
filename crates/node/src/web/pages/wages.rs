//! Wage arrears (`/unit/<id>/wages?year=YYYY`, the current year of the
//! deployment's zone by default): the seed's headline figures of a year.
//! The year's totals are `PeriodSummary` of the year (up to today in the
//! current year); each month is its own `PeriodSummary` (the months asked
//! concurrently; months not yet begun left out), shown as a table and an
//! ECharts bar chart of claimed against recovered, with workers; the
//! children's figures are the year summary's scorecard rows. A month's, as
//! the year's, count of employers is distinct within it: months do not add
//! up to the year, and the children have none (distinct counts do not add
//! over children either), which the page says.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate};
use fengqiao_core::read::{Summary, WageFigures};
use fengqiao_i18n::{Messages, tr_in};
use fengqiao_proto::pb;
use fengqiao_proto::pb::summary_service_server::SummaryService;

use super::overview::Figure;
use super::{answer, json_for_html, unreadable};
use crate::summary::Summaries;
use crate::web::auth::Viewer;
use crate::web::{Chrome, WebState, assets};

/// A row of the by-month or by-child table.
#[derive(Debug, Clone)]
pub struct WageRow {
    /// `2026-11` for a month, the unit's id for a child.
    pub key: String,
    pub label: String,
    /// The child's own wages page; none for a month.
    pub url: Option<String>,
    pub cells: Vec<Figure>,
}

#[derive(Debug, Template)]
#[template(path = "wages.html")]
pub struct WagesPage {
    pub chrome: Chrome,
    pub unit_id: String,
    pub unit_name: String,
    pub tier: String,
    pub year: i32,
    pub range: String,
    pub previous_url: String,
    pub next_url: Option<String>,
    pub totals: Vec<Figure>,
    pub month_headings: Vec<String>,
    pub months: Vec<WageRow>,
    pub child_headings: Vec<String>,
    pub children: Vec<WageRow>,
    /// The CSV export of the year's reports (none above the summary
    /// boundary, which holds no report).
    pub download_url: Option<String>,
    pub download_note: String,
    pub chart_json: String,
    pub echarts_url: String,
    pub script_url: String,
}

#[derive(Debug, serde::Deserialize)]
pub struct WagesQuery {
    year: Option<String>,
    lang: Option<String>,
}

/// `GET /unit/{unit_id}/wages?year=`: the year's wage arrears.
pub async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(unit_id): Path<String>,
    Query(query): Query<WagesQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    answer(&state, &viewer, query.lang.as_deref(), (&headers, &uri), Some(&unit_id), |chrome| {
        wages_page(&state, &viewer, &unit_id, query.year.as_deref(), chrome)
    })
    .await
}

/// The first day of each month of `year` begun by `today`, with its last
/// day (today in the current month).
pub fn months_of(year: i32, today: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    (1..=12)
        .filter_map(|month| NaiveDate::from_ymd_opt(year, month, 1))
        .filter(|first| *first <= today)
        .map(|first| {
            let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
            (first, (next - Duration::days(1)).min(today))
        })
        .collect()
}

async fn wages_page(
    state: &WebState,
    viewer: &Viewer,
    unit_id: &str,
    year: Option<&str>,
    chrome: Chrome,
) -> Result<WagesPage, tonic::Status> {
    let node = state.node();
    let policy = &node.config().time;
    let today = policy.local_date(node.clock().now());
    let m = chrome.messages;
    let year = match year.filter(|y| !y.is_empty()) {
        None => today.year(),
        Some(text) => text
            .parse::<i32>()
            .ok()
            .filter(|y| (1000..=today.year()).contains(y))
            .ok_or_else(|| tonic::Status::invalid_argument(tr_in!(m, "web-bad-year", year = text)))?,
    };
    let months = months_of(year, today);
    let first = months.first().map(|(from, _)| *from).unwrap_or(today);
    let last = months.last().map(|(_, to)| *to).unwrap_or(today);
    let summaries = Summaries::new(node.clone());
    let period = |from: NaiveDate, to: NaiveDate| {
        summaries.period_summary(viewer.request(pb::PeriodSummaryRequest {
            unit_id: unit_id.to_owned(),
            from_date: from.to_string(),
            to_date: to.to_string(),
        }))
    };
    let (whole, by_month) = tokio::join!(
        period(first, last),
        futures::future::join_all(months.iter().map(|(from, to)| period(*from, *to))),
    );
    let read = |answer: Result<tonic::Response<pb::PeriodSummaryResponse>, tonic::Status>| {
        let summary = answer?.into_inner().summary.ok_or_else(|| tonic::Status::internal("no summary"))?;
        Ok::<Summary, tonic::Status>(Summary::try_from(summary).map_err(unreadable)?.in_zone(policy.zone))
    };
    let whole = read(whole)?;
    let by_month = by_month.into_iter().map(read).collect::<Result<Vec<_>, _>>()?;
    let page_url = |year: i32| format!("/unit/{unit_id}/wages?year={year}");
    let mut children: Vec<&fengqiao_core::read::ScorecardRow> = whole.children.iter().collect();
    children.sort_by(|a, b| a.unit_id.as_str().cmp(b.unit_id.as_str()));
    Ok(WagesPage {
        unit_id: whole.unit_id.to_string(),
        unit_name: whole.unit_name.clone(),
        tier: m.name("tier", whole.tier.as_str()),
        year,
        range: tr_in!(
            m,
            "web-year-range",
            year = year.to_string(),
            from = first.to_string(),
            to = last.to_string()
        ),
        previous_url: page_url(year - 1),
        next_url: (year < today.year()).then(|| page_url(year + 1)),
        totals: figures(m, "wage", &whole.totals.wage_arrears, true),
        month_headings: headings(m, true),
        months: by_month
            .iter()
            .map(|month| {
                let key = month.from_date.format("%Y-%m").to_string();
                WageRow {
                    cells: figures(m, &format!("month.{key}.wage"), &month.totals.wage_arrears, true),
                    label: key.clone(),
                    key,
                    url: None,
                }
            })
            .collect(),
        child_headings: headings(m, false),
        children: children
            .into_iter()
            .map(|row| WageRow {
                key: row.unit_id.to_string(),
                label: row.name.clone(),
                url: Some(format!("/unit/{}/wages?year={year}", row.unit_id)),
                cells: figures(m, &format!("child.{}.wage", row.unit_id), &row.tally.wage_arrears, false),
            })
            .collect(),
        download_url: (!state.node().summary_fed())
            .then(|| format!("/unit/{unit_id}/export.csv?from={first}&to={last}")),
        download_note: tr_in!(m, "web-download-range", from = first.to_string(), to = last.to_string()),
        chart_json: chart_json(m, &by_month),
        echarts_url: assets::url("echarts.min.js"),
        script_url: assets::url("wages.js"),
        chrome,
    })
}

/// The wage figures of a tally, each named `<prefix>.<field>`; employers
/// only where they were counted (a summary's totals).
fn figures(m: &Messages, prefix: &str, wage: &WageFigures, employers: bool) -> Vec<Figure> {
    let key = |field: &str| format!("{prefix}.{field}");
    let mut figures = vec![
        Figure::count(&key("disputes"), m.text("web-wage-disputes"), wage.disputes),
        Figure::count(&key("resolved"), m.text("web-wage-resolved"), wage.resolved),
        Figure::count(&key("workers"), m.text("web-wage-workers"), wage.workers),
        Figure::fen(&key("amount_claimed_cents"), m.text("web-wage-claimed"), wage.amount_claimed_cents),
        Figure::fen(
            &key("amount_recovered_cents"),
            m.text("web-wage-recovered"),
            wage.amount_recovered_cents,
        ),
    ];
    if employers {
        figures.push(Figure::count(&key("employers"), m.text("web-wage-employers"), wage.employers));
    }
    figures
}

/// The column headings of a table of [`figures`].
fn headings(m: &Messages, employers: bool) -> Vec<String> {
    figures(m, "", &WageFigures::default(), employers).into_iter().map(|f| f.label).collect()
}

/// The chart's data: months, claimed and recovered in yuan, workers.
fn chart_json(m: &Messages, months: &[Summary]) -> String {
    let yuan = |fen: i64| fen as f64 / 100.0;
    let series = |f: &dyn Fn(&WageFigures) -> serde_json::Value| -> Vec<serde_json::Value> {
        months.iter().map(|month| f(&month.totals.wage_arrears)).collect()
    };
    json_for_html(&serde_json::json!({
        "months": months.iter().map(|s| s.from_date.format("%Y-%m").to_string()).collect::<Vec<_>>(),
        "claimed": { "name": m.text("web-wage-claimed"),
                     "data": series(&|w| serde_json::json!(yuan(w.amount_claimed_cents))) },
        "recovered": { "name": m.text("web-wage-recovered"),
                       "data": series(&|w| serde_json::json!(yuan(w.amount_recovered_cents))) },
        "workers": { "name": m.text("web-wage-workers"),
                     "data": series(&|w| serde_json::json!(w.workers)) },
        "yuanAxis": m.text("web-axis-yuan"),
        "workersAxis": m.text("web-axis-workers"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_begun_by_today() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let months = months_of(2026, day(2026, 3, 5));
        assert_eq!(
            months,
            [
                (day(2026, 1, 1), day(2026, 1, 31)),
                (day(2026, 2, 1), day(2026, 2, 28)),
                (day(2026, 3, 1), day(2026, 3, 5))
            ]
        );
        assert_eq!(months_of(2025, day(2026, 3, 5)).len(), 12);
        assert_eq!(months_of(2025, day(2026, 3, 5))[11], (day(2025, 12, 1), day(2025, 12, 31)));
        assert!(months_of(2027, day(2026, 3, 5)).is_empty());
    }
}
