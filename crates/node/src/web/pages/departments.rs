//! The departments (`/departments?unit=…&from=…&to=…`; the viewer's unit
//! and the last 30 days by default): `DepartmentFigures` in-process, one
//! row per department of the unit with its case figures over the range,
//! the best on-time rate first and the slowest last, each row linking to
//! the case ledger filtered by the department.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use fengqiao_i18n::tr_in;
use fengqiao_proto::pb;
use fengqiao_proto::pb::department_service_server::DepartmentService;

use super::{answer, percent};
use crate::departments::service::DepartmentsService;
use crate::web::auth::Viewer;
use crate::web::{Chrome, WebState};

/// Days of the default range, ending today.
pub const DEFAULT_DAYS: i64 = 30;

/// One department's row.
#[derive(Debug, Clone)]
pub struct DepartmentLine {
    pub rank: u32,
    pub department_id: String,
    pub name: String,
    pub five_in_one: bool,
    /// The case ledger of the unit filtered by the department.
    pub cases_url: String,
    pub figures: pb::DepartmentCaseFigures,
    pub on_time_rate: String,
}

#[derive(Debug, Template)]
#[template(path = "departments.html")]
pub struct DepartmentsPage {
    pub chrome: Chrome,
    pub unit_id: String,
    pub unit_name: String,
    pub from: String,
    pub to: String,
    pub range: String,
    pub rows: Vec<DepartmentLine>,
    pub total: pb::DepartmentCaseFigures,
    pub total_rate: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct DepartmentsQuery {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    lang: Option<String>,
}

/// `GET /departments`: the unit's departments and their figures.
pub async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<DepartmentsQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let unit = if query.unit.is_empty() { viewer.identity.unit().to_string() } else { query.unit.clone() };
    answer(&state, &viewer, query.lang.as_deref(), (&headers, &uri), Some(&unit), |chrome| {
        departments_page(&state, &viewer, &unit, &query, chrome)
    })
    .await
}

async fn departments_page(
    state: &WebState,
    viewer: &Viewer,
    unit_id: &str,
    query: &DepartmentsQuery,
    chrome: Chrome,
) -> Result<DepartmentsPage, tonic::Status> {
    super::detail_held_here(state, unit_id, "department figures")?;
    let node = state.node();
    let today = node.config().time.local_date(node.clock().now());
    let m = chrome.messages;
    let day = |text: &str, default: NaiveDate| {
        if text.is_empty() {
            Ok(default)
        } else {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| tonic::Status::invalid_argument(tr_in!(m, "web-bad-date", date = text)))
        }
    };
    let to = day(&query.to, today)?;
    let from = day(&query.from, to - Duration::days(DEFAULT_DAYS - 1))?;
    let answer = DepartmentsService::new(node.clone())
        .department_figures(viewer.request(pb::DepartmentFiguresRequest {
            unit_id: unit_id.to_owned(),
            from: from.to_string(),
            to: to.to_string(),
        }))
        .await?
        .into_inner();
    let rows = answer
        .rows
        .into_iter()
        .map(|row| {
            let department = row.department.unwrap_or_default();
            let figures = row.figures.unwrap_or_default();
            DepartmentLine {
                rank: row.rank,
                cases_url: format!("/unit/{unit_id}/cases?department={}", department.department_id),
                department_id: department.department_id,
                name: department.name,
                five_in_one: department.five_in_one,
                on_time_rate: percent(figures.on_time_rate),
                figures,
            }
        })
        .collect();
    let total = answer.total.unwrap_or_default();
    Ok(DepartmentsPage {
        unit_name: node.tree().get(unit_id).map(|u| u.name.clone()).unwrap_or_default(),
        unit_id: unit_id.to_owned(),
        range: tr_in!(m, "web-departments-range", from = from.to_string(), to = to.to_string()),
        from: from.to_string(),
        to: to.to_string(),
        rows,
        total_rate: percent(total.on_time_rate),
        total,
        chrome,
    })
}
