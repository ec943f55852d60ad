//! The year in one report (年度报告) of a unit's subtree
//! (`/annual?unit=U&year=Y`, `AnnualReport` in-process, one call):
//! screening and zero reports, the weekly reports' figures, disputes by
//! category and outcome, month by month (both drawn by ECharts from the
//! charts' `data-chart` attributes by `annual.js`), wage arrears, repeat
//! petitions, duty reception, supervisions and accountability actions.
//! Every figure carries `data-figure`/`data-value` and links to the page
//! that lists what it counts where there is one. Printable.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use fengqiao_core::read::{Figures, Summary};
use fengqiao_i18n::{Messages, tr_in};
use fengqiao_proto::pb;
use fengqiao_proto::pb::weekly_service_server::WeeklyService;

use super::accountability::{kind_id, year_of};
use super::overview::{Crumb, Figure, FigureGroup};
use super::{answer, percent, unreadable};
use crate::web::auth::Viewer;
use crate::web::{Chrome, WebState, assets};
use crate::weekly::WeeklyReports;

#[derive(Debug, Template)]
#[template(path = "annual.html")]
pub struct AnnualPage {
    pub chrome: Chrome,
    pub unit_id: String,
    pub unit_name: String,
    pub tier: String,
    pub year: i32,
    pub range: String,
    pub previous_url: String,
    pub next_url: Option<String>,
    pub freshness: Option<String>,
    pub arrived: String,
    pub groups: Vec<FigureGroup>,
    pub categories: Vec<Figure>,
    pub outcomes: Vec<Figure>,
    pub disputes_chart: String,
    pub months_chart: String,
    pub echarts_url: String,
    pub script_url: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct AnnualQuery {
    unit: Option<String>,
    year: Option<String>,
    lang: Option<String>,
}

/// `GET /annual?unit=&year=`: the year's report.
pub async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<AnnualQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let unit_id =
        query.unit.clone().filter(|u| !u.is_empty()).unwrap_or_else(|| viewer.identity.unit().to_string());
    answer(&state, &viewer, query.lang.as_deref(), (&headers, &uri), Some(&unit_id), |chrome| {
        annual_page(&state, &viewer, &unit_id, query.year.as_deref(), chrome)
    })
    .await
}

fn link(name: String, url: String) -> Option<Crumb> {
    Some(Crumb { name, url })
}

async fn annual_page(
    state: &WebState,
    viewer: &Viewer,
    unit_id: &str,
    year: Option<&str>,
    chrome: Chrome,
) -> Result<AnnualPage, tonic::Status> {
    let m = chrome.messages;
    let year = year_of(state, m, year)?;
    let node = state.node();
    let zone = node.config().time.zone;
    let today = node.config().time.local_date(node.clock().now());
    let report = WeeklyReports::new(node.clone())
        .annual_report(viewer.request(pb::AnnualReportRequest {
            unit_id: unit_id.to_owned(),
            year: u32::try_from(year).unwrap_or_default(),
        }))
        .await?
        .into_inner();
    let summary = report.summary.clone().ok_or_else(|| tonic::Status::internal("no summary"))?;
    let summary = Summary::try_from(summary).map_err(unreadable)?.in_zone(zone);
    let months = report
        .months
        .iter()
        .map(|p| {
            let tally = p.tally.clone().unwrap_or_default();
            Ok((p.month.clone(), Figures::try_from(tally).map_err(unreadable)?))
        })
        .collect::<Result<Vec<_>, tonic::Status>>()?;
    let page_url = |year: i32| format!("/annual?unit={unit_id}&year={year}");
    let categories: Vec<Figure> = summary
        .totals
        .by_category
        .iter()
        .map(|(c, n)| Figure::count(&format!("category.{}", c.as_str()), m.name("category", c.as_str()), *n))
        .collect();
    let outcomes: Vec<Figure> = summary
        .totals
        .by_outcome
        .iter()
        .map(|(o, n)| Figure::count(&format!("outcome.{}", o.as_str()), m.name("outcome", o.as_str()), *n))
        .collect();
    let disputes_chart = serde_json::json!({
        "categories": categories.iter().map(|f| &f.label).collect::<Vec<_>>(),
        "counts": summary.totals.by_category.values().collect::<Vec<_>>(),
        "outcomes": outcomes.iter().zip(summary.totals.by_outcome.values())
            .map(|(f, n)| serde_json::json!({"name": f.label, "value": n})).collect::<Vec<_>>(),
        "countName": m.text("web-disputes-found"),
    });
    let months_chart = serde_json::json!({
        "months": months.iter().map(|(month, _)| month).collect::<Vec<_>>(),
        "disputes": { "name": m.text("web-disputes-found"),
                      "data": months.iter().map(|(_, f)| f.disputes).collect::<Vec<_>>() },
        "resolved": { "name": m.text("outcome-resolved_on_the_spot"),
                      "data": months.iter().map(|(_, f)| f.by_outcome.iter()
                          .filter(|(o, _)| o.as_str() == "resolved_on_the_spot").map(|(_, n)| *n).sum::<i64>())
                          .collect::<Vec<_>>() },
        "wage": { "name": m.text("web-wage-disputes"),
                  "data": months.iter().map(|(_, f)| f.wage_arrears.disputes).collect::<Vec<_>>() },
        "countAxis": m.text("web-axis-count"),
    });
    Ok(AnnualPage {
        unit_id: summary.unit_id.to_string(),
        unit_name: summary.unit_name.clone(),
        tier: m.name("tier", summary.tier.as_str()),
        year,
        range: tr_in!(
            m,
            "web-year-range",
            year = year.to_string(),
            from = summary.from_date.to_string(),
            to = summary.through_date.unwrap_or(summary.to_date).to_string()
        ),
        previous_url: page_url(year - 1),
        next_url: (year < chrono::Datelike::year(&today)).then(|| page_url(year + 1)),
        freshness: summary.through_date.map(|_| {
            tr_in!(
                m,
                "web-freshness",
                percent = percent(summary.arrived_percent),
                at = summary.computed_at.for_people()
            )
        }),
        arrived: summary.arrived_percent.to_string(),
        groups: groups(m, &summary, &report, unit_id, year),
        categories,
        outcomes,
        disputes_chart: disputes_chart.to_string(),
        months_chart: months_chart.to_string(),
        echarts_url: assets::url("echarts.min.js"),
        script_url: assets::url("annual.js"),
        chrome,
    })
}

/// The report's figures, section by section.
fn groups(
    m: &Messages,
    summary: &Summary,
    report: &pb::AnnualReportResponse,
    unit_id: &str,
    year: i32,
) -> Vec<FigureGroup> {
    let totals = &summary.totals;
    let rates = summary.rates;
    let wage = totals.wage_arrears;
    let cases = summary.cases;
    let counts = cases.counts;
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let weekly = report.weekly.unwrap_or_default();
    let w = |v: u32| i64::from(v);
    let accountability = report.accountability.clone().unwrap_or_default();
    let last = summary.through_date.unwrap_or(summary.to_date);
    vec![
        FigureGroup {
            title: m.text("web-annual-screening"),
            figures: vec![
                Figure::count("expected", m.text("web-expected"), totals.expected),
                Figure::count("received", m.text("web-received"), totals.received),
                Figure::rate("completeness_percent", m.text("web-completeness"), rates.completeness_percent),
                Figure::count("on_time", m.text("web-on-time"), totals.on_time),
                Figure::rate("timeliness_percent", m.text("web-timeliness"), rates.timeliness_percent),
                Figure::count("zero_reports", m.text("web-zero-reports"), totals.zero_reports),
                Figure::rate("zero_share_percent", m.text("web-annual-zero-share"), rates.zero_share_percent),
                Figure::count("missing", m.text("web-missing"), totals.missing),
            ],
            note: None,
            link: link(m.text("web-nav-calendar"), format!("/unit/{unit_id}/calendar")),
        },
        FigureGroup {
            title: m.text("web-annual-weekly"),
            figures: vec![
                Figure::count("weekly.due", m.text("web-annual-weekly-due"), w(weekly.due)),
                Figure::count("weekly.filed", m.text("web-weekly-filed"), w(weekly.filed)),
                Figure::count(
                    "weekly.filed_on_time",
                    m.text("web-annual-weekly-on-time"),
                    w(weekly.filed_on_time),
                ),
                Figure::count("weekly.filed_late", m.text("web-weekly-late"), w(weekly.filed_late)),
                Figure::count("weekly.not_filed", m.text("web-weekly-not-filed"), w(weekly.not_filed)),
                Figure::count("weekly.approved", m.text("web-weekly-approved"), w(weekly.approved)),
                Figure::count("weekly.returned", m.text("web-weekly-returned"), w(weekly.returned)),
            ],
            note: None,
            link: link(m.text("web-nav-weekly"), format!("/weekly?unit={unit_id}")),
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
                Figure::count("wage.employers", m.text("web-wage-employers"), wage.employers),
                Figure::count("wage.disputes", m.text("web-wage-disputes"), wage.disputes),
                Figure::count("wage.resolved", m.text("web-annual-wage-resolved"), wage.resolved),
                Figure::count(
                    "wage.cases_registered",
                    m.text("web-annual-wage-cases"),
                    i64::from(report.wage_cases_registered),
                ),
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
            ],
            note: None,
            link: link(m.text("web-nav-wages"), format!("/unit/{unit_id}/wages?year={year}")),
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
                Figure::count("cases.escalated", m.text("web-annual-escalated"), n(counts.escalated)),
                Figure::count("cases.overdue", m.text("web-cases-overdue"), n(counts.overdue)),
                Figure::rate(
                    "cases.satisfaction_rate",
                    m.text("web-cases-satisfaction"),
                    cases.satisfaction_rate,
                ),
            ],
            note: None,
            link: link(
                m.text("web-overdue-cases-link"),
                format!("/unit/{unit_id}/cases?overdue=1&as_of={last}"),
            ),
        },
        FigureGroup {
            title: m.text("web-annual-repeats"),
            figures: vec![
                Figure::count(
                    "cases.repeat_petitions",
                    m.text("web-cases-repeat"),
                    n(counts.repeat_petitions),
                ),
                Figure::rate("cases.repeat_rate", m.text("web-annual-repeat-rate"), cases.repeat_rate),
            ],
            note: None,
            link: link(m.text("web-annual-repeat-link"), format!("/unit/{unit_id}/cases?repeat=1")),
        },
        FigureGroup {
            title: m.text("web-annual-reception"),
            figures: vec![
                Figure::count("cases.visits", m.text("web-annual-visits"), n(counts.visits)),
                Figure::count("cases.one_visit", m.text("web-annual-one-visit"), n(counts.one_visit)),
                Figure::rate(
                    "cases.one_visit_rate",
                    m.text("web-annual-one-visit-rate"),
                    cases.one_visit_rate,
                ),
            ],
            note: None,
            link: None,
        },
        FigureGroup {
            title: m.text("web-annual-supervision"),
            figures: vec![Figure::count(
                "supervisions",
                m.text("web-annual-supervisions"),
                i64::from(report.supervisions),
            )],
            note: None,
            link: None,
        },
        FigureGroup {
            title: m.text("web-nav-accountability"),
            figures: accountability
                .units_by_kind
                .iter()
                .map(|c| {
                    let kind = kind_id(c.kind);
                    Figure::count(
                        &format!("accountability.{kind}"),
                        m.name("web-accountability", kind),
                        i64::from(c.actions),
                    )
                })
                .collect(),
            note: None,
            link: link(
                m.text("web-accountability-actions"),
                format!("/accountability?unit={unit_id}&year={year}"),
            ),
        },
    ]
}
