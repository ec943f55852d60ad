//! The overview of a unit (`/unit/<id>?week=YYYY-Www`, and `/` for the
//! viewer's own unit): the ISO week's figures from `WeeklySummary`, their
//! freshness, a 12-week trend (`Trend`, drawn by ECharts from a JSON data
//! block), the children's scorecard with every component of each rank, a
//! link down to each child, the breadcrumb back up (`GetUnit`'s
//! ancestors), and the week's reports as a CSV download. Dates are the
//! deployment's zone's.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use fengqiao_core::IsoWeek;
use fengqiao_core::read::{Freshness, Summary, Trend};
use fengqiao_i18n::{Messages, tr_in};
use fengqiao_proto::pb;
use fengqiao_proto::pb::summary_service_server::SummaryService;
use fengqiao_proto::pb::unit_service_server::UnitService;
use fengqiao_proto::pb::weekly_service_server::WeeklyService;

use super::{json_for_html, percent, yuan};
use crate::summary::Summaries;
use crate::units::Units;
use crate::web::auth::Viewer;
use crate::web::{Chrome, WebState, assets};

/// Weeks the trend chart shows, this one included.
pub const TREND_WEEKS: i64 = 12;

/// One figure: `data-figure` names it, `data-value` holds it raw.
#[derive(Debug, Clone)]
pub struct Figure {
    pub key: String,
    pub label: String,
    pub value: String,
    pub shown: String,
}

impl Figure {
    pub fn count(key: &str, label: String, value: i64) -> Figure {
        Figure { key: key.to_owned(), label, value: value.to_string(), shown: value.to_string() }
    }

    pub fn rate(key: &str, label: String, value: f64) -> Figure {
        Figure { key: key.to_owned(), label, value: value.to_string(), shown: percent(value) }
    }

    pub fn fen(key: &str, label: String, value: i64) -> Figure {
        Figure { key: key.to_owned(), label, value: value.to_string(), shown: yuan(value) }
    }
}

/// A titled group of figures.
#[derive(Debug, Clone)]
pub struct FigureGroup {
    pub title: String,
    pub figures: Vec<Figure>,
    pub note: Option<String>,
    /// A page that lists what the figures count.
    pub link: Option<Crumb>,
}

/// A step of the breadcrumb.
#[derive(Debug, Clone)]
pub struct Crumb {
    pub name: String,
    pub url: String,
}

/// One component of a rank: percent, and part of whole.
#[derive(Debug, Clone)]
pub struct Component {
    pub key: String,
    pub shown: String,
    pub detail: String,
}

/// One row of the children's scorecard.
#[derive(Debug, Clone)]
pub struct Row {
    pub rank: u32,
    pub unit_id: String,
    pub name: String,
    pub url: String,
    pub score: String,
    pub components: Vec<Component>,
    pub missing: i64,
    pub cases: u64,
    pub overdue: u64,
    pub freshness: String,
}

#[derive(Debug, Template)]
#[template(path = "overview.html")]
pub struct OverviewPage {
    pub chrome: Chrome,
    pub unit_id: String,
    pub unit_name: String,
    pub tier: String,
    pub week: String,
    pub range: String,
    pub previous_url: String,
    pub next_url: Option<String>,
    pub crumbs: Vec<Crumb>,
    /// "figures of 98% of units have arrived, as of …"; none before the
    /// first day is due.
    pub freshness: Option<String>,
    pub nothing_due: Option<String>,
    /// The week's weekly report beside its figures (never instead of
    /// them): its state and a link to it; none for a unit that files none.
    pub approval: Option<Approval>,
    pub groups: Vec<FigureGroup>,
    pub categories: Vec<Figure>,
    /// The arrived share, raw.
    pub arrived: String,
    pub component_headings: Vec<String>,
    pub weights: String,
    pub rows: Vec<Row>,
    pub trend_json: String,
    pub echarts_url: String,
    pub script_url: String,
    /// The CSV export of the week's reports (none above the summary
    /// boundary, which holds no report).
    pub download_url: Option<String>,
    pub download_note: String,
}

/// Where the week's weekly report stands, shown beside the figures.
#[derive(Debug)]
pub struct Approval {
    /// The state's id (`approved`, `filed`, …), for tests and styles.
    pub state: String,
    pub label: String,
    pub url: String,
}

#[derive(Debug, serde::Deserialize)]
pub struct OverviewQuery {
    week: Option<String>,
    lang: Option<String>,
}

/// `GET /`: the viewer's own unit.
pub async fn home(viewer: Viewer, uri: Uri) -> Response {
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    Redirect::to(&format!("/unit/{}{query}", viewer.identity.unit())).into_response()
}

/// `GET /unit/{unit_id}?week=`: the overview.
pub async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(unit_id): Path<String>,
    Query(query): Query<OverviewQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    super::answer(&state, &viewer, query.lang.as_deref(), (&headers, &uri), Some(&unit_id), |chrome| {
        overview(&state, &viewer, &unit_id, query.week.as_deref(), chrome)
    })
    .await
}

/// The page's content, or the refusal of one of its calls.
async fn overview(
    state: &WebState,
    viewer: &Viewer,
    unit_id: &str,
    week: Option<&str>,
    chrome: Chrome,
) -> Result<OverviewPage, tonic::Status> {
    let node = state.node();
    let policy = &node.config().time;
    let week = match week.filter(|w| !w.is_empty()) {
        Some(text) => {
            IsoWeek::parse(text, "week").map_err(|e| tonic::Status::from(crate::NodeError::from(e)))?
        }
        None => IsoWeek::of(policy.local_date(node.clock().now())),
    };
    let summaries = Summaries::new(node.clone());
    let units = Units::new(node.clone());
    let first = IsoWeek::of(week.monday() - Duration::days(7 * (TREND_WEEKS - 1)));
    let weekly = crate::weekly::WeeklyReports::new(node.clone());
    let (summary, trend, unit, report) =
        tokio::join!(
            summaries.weekly_summary(viewer.request(pb::WeeklySummaryRequest {
                unit_id: unit_id.to_owned(),
                iso_week: week.to_string()
            })),
            summaries.trend(viewer.request(pb::TrendRequest {
                unit_id: unit_id.to_owned(),
                from_week: first.to_string(),
                to_week: week.to_string(),
            })),
            units.get_unit(viewer.request(pb::GetUnitRequest { unit_id: unit_id.to_owned() })),
            weekly.get_weekly_report(viewer.request(pb::GetWeeklyReportRequest {
                unit_id: unit_id.to_owned(),
                iso_week: week.to_string(),
            })),
        );
    let unreadable = super::unreadable;
    let summary = summary?.into_inner().summary.ok_or_else(|| tonic::Status::internal("no summary"))?;
    let summary = Summary::try_from(summary).map_err(unreadable)?.in_zone(policy.zone);
    let trend = Trend::try_from(trend?.into_inner()).map_err(unreadable)?;
    let unit = unit?.into_inner();
    let m = chrome.messages;
    let this_week = IsoWeek::of(policy.local_date(node.clock().now()));
    let week_url = |week: IsoWeek| format!("/unit/{unit_id}?week={week}");
    let next = IsoWeek::of(week.monday() + Duration::days(7));
    Ok(OverviewPage {
        unit_id: summary.unit_id.to_string(),
        unit_name: summary.unit_name.clone(),
        tier: m.name("tier", summary.tier.as_str()),
        week: week.to_string(),
        range: tr_in!(
            m,
            "web-week-range",
            week = week.to_string(),
            from = summary.from_date.to_string(),
            to = summary.to_date.to_string()
        ),
        previous_url: week_url(IsoWeek::of(week.monday() - Duration::days(7))),
        next_url: (next <= this_week).then(|| week_url(next)),
        crumbs: crumbs(state, viewer, &unit, &week),
        freshness: summary.through_date.map(|_| {
            tr_in!(
                m,
                "web-freshness",
                percent = percent(summary.arrived_percent),
                at = summary.computed_at.for_people()
            )
        }),
        nothing_due: summary.through_date.is_none().then(|| m.text("web-nothing-due")),
        approval: approval_of(m, node, unit_id, report.ok().and_then(|r| r.into_inner().report)),
        groups: groups(m, &summary)
            .into_iter()
            // Above the summary boundary the cases are held below: no
            // link to a ledger this node does not keep.
            .map(|group| FigureGroup { link: group.link.filter(|_| !node.summary_fed()), ..group })
            .collect(),
        categories: summary
            .totals
            .by_category
            .iter()
            .map(|(category, n)| {
                Figure::count(
                    &format!("category.{}", category.as_str()),
                    m.name("category", category.as_str()),
                    *n,
                )
            })
            .collect(),
        arrived: summary.arrived_percent.to_string(),
        component_headings: fengqiao_core::assessment::Component::ALL
            .iter()
            .map(|c| m.name("component", c.name()))
            .collect(),
        weights: summary
            .children
            .first()
            .map(|row| {
                row.assessment
                    .components
                    .iter()
                    .map(|c| format!("{} {}", m.name("component", c.component.name()), c.weight))
                    .collect::<Vec<_>>()
                    .join(&m.text("list-separator"))
            })
            .unwrap_or_default(),
        rows: rows(m, &summary, &week),
        trend_json: trend_json(m, &trend),
        echarts_url: assets::url("echarts.min.js"),
        script_url: assets::url("overview.js"),
        download_url: (!node.summary_fed()).then(|| format!("/unit/{unit_id}/export.csv?week={week}")),
        download_note: tr_in!(
            m,
            "web-download-range",
            from = summary.from_date.to_string(),
            to = summary.to_date.to_string()
        ),
        chrome,
    })
}

/// The figures of the week, grouped as the weekly report groups them.
pub(crate) fn groups(m: &Messages, summary: &Summary) -> Vec<FigureGroup> {
    let totals = &summary.totals;
    let rates = summary.rates;
    let wage = totals.wage_arrears;
    let cases = summary.cases;
    let counts = cases.counts;
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    vec![
        FigureGroup {
            title: m.text("web-reporting"),
            figures: vec![
                Figure::count("expected", m.text("web-expected"), totals.expected),
                Figure::count("received", m.text("web-received"), totals.received),
                Figure::rate("completeness_percent", m.text("web-completeness"), rates.completeness_percent),
                Figure::count("on_time", m.text("web-on-time"), totals.on_time),
                Figure::rate("timeliness_percent", m.text("web-timeliness"), rates.timeliness_percent),
                Figure::count("late", m.text("web-late"), totals.late),
                Figure::count("zero_reports", m.text("web-zero-reports"), totals.zero_reports),
                Figure::count("missing", m.text("web-missing"), totals.missing),
            ],
            note: None,
            link: None,
        },
        FigureGroup {
            title: m.text("web-disputes"),
            figures: vec![
                Figure::count("disputes", m.text("web-disputes-found"), totals.disputes),
                Figure::count("parties", m.text("web-parties"), totals.parties),
                Figure::rate(
                    "resolved_on_the_spot_percent",
                    m.text("web-resolved-on-the-spot"),
                    rates.resolved_on_the_spot_percent,
                ),
            ],
            note: None,
            link: None,
        },
        FigureGroup {
            title: m.text("web-wage-arrears"),
            figures: vec![
                Figure::count("wage.disputes", m.text("web-wage-disputes"), wage.disputes),
                Figure::count("wage.workers", m.text("web-wage-workers"), wage.workers),
                Figure::fen(
                    "wage.amount_claimed_cents",
                    m.text("web-wage-claimed"),
                    wage.amount_claimed_cents,
                ),
                Figure::fen(
                    "wage.amount_recovered_cents",
                    m.text("web-wage-recovered"),
                    wage.amount_recovered_cents,
                ),
                Figure::count("wage.employers", m.text("web-wage-employers"), wage.employers),
            ],
            note: None,
            link: None,
        },
        FigureGroup {
            title: m.text("web-cases"),
            figures: vec![
                Figure::count("cases.registered", m.text("web-cases-registered"), n(counts.registered)),
                Figure::count(
                    "cases.accepted_on_time",
                    m.text("web-cases-accepted-on-time"),
                    n(counts.accepted_on_time),
                ),
                Figure::count("cases.closed", m.text("web-cases-closed"), n(counts.closed)),
                Figure::count(
                    "cases.closed_on_time",
                    m.text("web-cases-closed-on-time"),
                    n(counts.closed_on_time),
                ),
                Figure::count("cases.overdue", m.text("web-cases-overdue"), n(counts.overdue)),
                Figure::count(
                    "cases.repeat_petitions",
                    m.text("web-cases-repeat"),
                    n(counts.repeat_petitions),
                ),
                Figure::rate(
                    "cases.satisfaction_rate",
                    m.text("web-cases-satisfaction"),
                    cases.satisfaction_rate,
                ),
                Figure::count(
                    "cases.petitioner_satisfied",
                    m.text("web-cases-petitioner-satisfied"),
                    n(counts.petitioner_satisfied),
                ),
                Figure::count(
                    "cases.petitioner_dissatisfied",
                    m.text("web-cases-petitioner-dissatisfied"),
                    n(counts.petitioner_dissatisfied),
                ),
            ],
            note: Some(if summary.cases_provisional {
                tr_in!(m, "web-cases-provisional", at = summary.cases_as_of.for_people())
            } else {
                tr_in!(m, "web-cases-final", to = summary.to_date.to_string())
            }),
            link: Some(Crumb {
                name: m.text("web-overdue-cases-link"),
                // The week's overdue figure is judged at its end once it
                // is over: the ledger judges the same day.
                url: if summary.cases_provisional {
                    format!("/unit/{}/cases?overdue=1", summary.unit_id)
                } else {
                    format!("/unit/{}/cases?overdue=1&as_of={}", summary.unit_id, summary.to_date)
                },
            }),
        },
    ]
}

/// The scorecard, best first, each component with its part and whole.
fn rows(m: &Messages, summary: &Summary, week: &IsoWeek) -> Vec<Row> {
    let mut rows: Vec<&fengqiao_core::read::ScorecardRow> = summary.children.iter().collect();
    rows.sort_by_key(|row| row.rank);
    rows.into_iter()
        .map(|row| Row {
            rank: row.rank,
            unit_id: row.unit_id.to_string(),
            name: row.name.clone(),
            url: format!("/unit/{}?week={week}", row.unit_id),
            score: row.assessment.score.map(|s| format!("{s:.2}")).unwrap_or_else(|| "-".to_owned()),
            components: row
                .assessment
                .components
                .iter()
                .map(|c| Component {
                    key: c.component.name().to_owned(),
                    shown: c.percent.map(percent).unwrap_or_else(|| m.text("word-not-applicable")),
                    detail: format!("{}/{}", c.share.part, c.share.whole),
                })
                .collect(),
            missing: row.tally.missing,
            cases: row.cases.counts.registered,
            overdue: row.cases.counts.overdue,
            freshness: freshness_text(m, &row.freshness),
        })
        .collect()
}

/// "served here", or the child node's last push and whether the week's
/// data have arrived.
fn freshness_text(m: &Messages, freshness: &Freshness) -> String {
    if freshness.served_by.is_none() {
        return m.text("freshness-served-here");
    }
    let last = freshness.last_sync.map(|at| at.for_people()).unwrap_or_else(|| m.text("freshness-never"));
    let arrived = if freshness.arrived { m.text("freshness-arrived") } else { m.text("freshness-not-yet") };
    format!("{last} · {arrived}")
}

/// The breadcrumb: the unit's ancestors from the viewer's own unit down
/// (the ones above it would refuse them).
fn crumbs(state: &WebState, viewer: &Viewer, unit: &pb::GetUnitResponse, week: &IsoWeek) -> Vec<Crumb> {
    let tree = state.node().tree();
    let own = viewer.identity.unit().to_string();
    let start = unit.ancestor_ids.iter().position(|id| *id == own);
    let Some(start) = start else { return Vec::new() };
    unit.ancestor_ids[start..]
        .iter()
        .map(|id| Crumb {
            name: tree.get(id).map_or_else(|| id.clone(), |u| u.name.clone()),
            url: format!("/unit/{id}?week={week}"),
        })
        .collect()
}

/// The trend chart's data: weeks, and completeness, timeliness and
/// disputes per week (a week before any report has no point).
fn trend_json(m: &Messages, trend: &Trend) -> String {
    let points =
        |f: &dyn Fn(&fengqiao_core::read::WeekPoint) -> serde_json::Value| -> Vec<serde_json::Value> {
            trend.weeks.iter().map(|w| if w.is_empty() { serde_json::Value::Null } else { f(w) }).collect()
        };
    let round = |v: f64| (v * 10.0).round() / 10.0;
    json_for_html(&serde_json::json!({
        "weeks": trend.weeks.iter().map(|w| w.iso_week.to_string()).collect::<Vec<_>>(),
        "series": [
            { "name": m.text("web-completeness"), "kind": "percent",
              "data": points(&|w| serde_json::json!(round(w.rates.completeness_percent))) },
            { "name": m.text("web-timeliness"), "kind": "percent",
              "data": points(&|w| serde_json::json!(round(w.rates.timeliness_percent))) },
            { "name": m.text("web-disputes-found"), "kind": "count",
              "data": points(&|w| serde_json::json!(w.tally.disputes)) },
        ],
        "percentAxis": m.text("web-axis-percent"),
        "countAxis": m.text("web-axis-count"),
    }))
}

/// The weekly report's state for the overview: for a unit that files (this
/// node's home unit, a filing child node, or any unit with a filing here).
fn approval_of(
    m: &Messages,
    node: &crate::Node,
    unit_id: &str,
    report: Option<pb::WeeklyReport>,
) -> Option<Approval> {
    let report = report?;
    let files = report.filing > 0
        || unit_id == node.config().home_unit
        || crate::weekly::filing_children(node).iter().any(|child| child == unit_id);
    if !files {
        return None;
    }
    let state = match pb::WeeklyState::try_from(report.state).ok()? {
        pb::WeeklyState::NotFiled => "not_filed",
        pb::WeeklyState::Overdue => "overdue",
        pb::WeeklyState::Filed => "filed",
        pb::WeeklyState::Withdrawn => "withdrawn",
        pb::WeeklyState::Returned => "returned",
        pb::WeeklyState::Approved => "approved",
        pb::WeeklyState::Unapproved => "unapproved",
        pb::WeeklyState::Unspecified => return None,
    };
    Some(Approval {
        state: state.to_owned(),
        label: tr_in!(m, "web-overview-weekly-state", state = m.name("web-weekly-state", state)),
        url: format!("/weekly/report?unit={unit_id}&week={}", report.iso_week),
    })
}
