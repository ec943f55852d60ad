//! The CSV download (`/unit/<id>/export.csv?from=YYYY-MM-DD&to=YYYY-MM-DD`,
//! or `?week=YYYY-Www`): every current report of the unit's subtree and
//! range, the same file `fengqiao export --format csv` writes (the rows of
//! `fengqiao_proto::export`, the UTF-8 byte-order mark first for Excel and
//! WPS, the units' and their parents' names beside their codes).
//!
//! The handler calls `ExportReports` in-process as the viewer and streams
//! its pages into the response body as they arrive, so memory stays
//! constant whatever the range. A refusal before the first byte — the
//! viewer's role or place, a bad date, a failing store — is the error page
//! with its HTTP status; a failure after it cuts the download short (the
//! browser reports it failed rather than keeping a truncated file).

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fengqiao_core::IsoWeek;
use fengqiao_i18n::Messages;
use fengqiao_proto::export::{UnitNames, csv_reports, csv_start};
use fengqiao_proto::pb;
use fengqiao_proto::pb::summary_service_server::SummaryService;
use futures::StreamExt;

use crate::summary::Summaries;
use crate::web::auth::Viewer;
use crate::web::{Chrome, PageError, WebState, lang_of, render};

#[derive(Debug, serde::Deserialize)]
pub struct DownloadQuery {
    from: Option<String>,
    to: Option<String>,
    week: Option<String>,
    lang: Option<String>,
}

/// `GET /unit/{unit_id}/export.csv?from=&to=` (or `?week=`): the CSV export.
pub async fn csv(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(unit_id): Path<String>,
    Query(query): Query<DownloadQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(query.lang.as_deref(), &headers);
    match download(&state, &viewer, &unit_id, &query, lang).await {
        Ok(response) => response,
        // Above the summary boundary: where the reports are, as a page.
        Err(status) if super::held_below(&status) => {
            let chrome = Chrome::new(lang, &format!("/unit/{unit_id}/export.csv"))
                .for_viewer(&state.sessions, &viewer)
                .with_unit(&unit_id, false, false);
            render(StatusCode::OK, &super::HeldBelowPage::new(&state, chrome, &unit_id))
        }
        Err(status) => PageError::refused(lang, &status).into_response(),
    }
}

/// The range asked for: a week (Monday to Sunday), or from and to (to
/// defaults to today, as for `fengqiao export`), or this week. The node
/// checks the dates themselves.
fn range(
    state: &WebState,
    query: &DownloadQuery,
    lang: fengqiao_i18n::Lang,
) -> Result<(String, String), tonic::Status> {
    let node = state.node();
    let today = node.config().time.local_date(node.clock().now());
    let given = |value: &Option<String>| value.as_deref().filter(|v| !v.is_empty()).map(str::to_owned);
    let week = |week: IsoWeek| (week.monday().to_string(), week.sunday().to_string());
    match (given(&query.week), given(&query.from), given(&query.to)) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            Err(tonic::Status::invalid_argument(Messages::of(lang).text("web-week-or-range")))
        }
        (Some(text), None, None) => IsoWeek::parse(&text, "week")
            .map(week)
            .map_err(|error| tonic::Status::from(crate::NodeError::from(error))),
        (None, None, None) => Ok(week(IsoWeek::of(today))),
        (None, Some(from), to) => Ok((from, to.unwrap_or_else(|| today.to_string()))),
        (None, None, Some(to)) => Ok((to.clone(), to)),
    }
}

async fn download(
    state: &WebState,
    viewer: &Viewer,
    unit_id: &str,
    query: &DownloadQuery,
    lang: fengqiao_i18n::Lang,
) -> Result<Response, tonic::Status> {
    let (from, to) = range(state, query, lang)?;
    let node = state.node();
    let summaries = Summaries::new(node.clone());
    let request = viewer.request(pb::ExportReportsRequest {
        unit_id: unit_id.to_owned(),
        from_date: from.clone(),
        to_date: to.clone(),
    });
    let mut pages = SummaryService::export_reports(&summaries, request).await?.into_inner();
    // The first page decides between the file and the error page.
    let first = pages.next().await.transpose()?;
    let names = names_of_subtree(state, unit_id);
    let policy = node.config().time;
    let mut start = csv_start(true);
    if let Some(page) = &first {
        start.extend(csv_reports(&page.reports, &policy, &names));
    }
    let rest = pages.map(move |page| match page {
        Ok(page) => Ok(Bytes::from(csv_reports(&page.reports, &policy, &names))),
        Err(status) => {
            tracing::warn!(code = ?status.code(), "web: a CSV download was cut short");
            Err(status)
        }
    });
    let body =
        futures::stream::once(async move { Ok::<Bytes, tonic::Status>(Bytes::from(start)) }).chain(rest);
    let filename = format!("attachment; filename=\"{unit_id}-{from}-{to}.csv\"");
    let mut response = (StatusCode::OK, Body::from_stream(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    // The unit id and dates were checked by the node: plain ASCII.
    if let Ok(value) = HeaderValue::from_str(&filename) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The names of the units of `root`'s subtree as the node's tree has them
/// (what `ListUnits` of the subtree answers the CLI), for the names and
/// parents' names beside the codes.
fn names_of_subtree(state: &WebState, root: &str) -> UnitNames {
    let tree = state.node().tree();
    let units = tree.subtree(root).unwrap_or_default();
    UnitNames::from_units(units.into_iter().map(|unit| {
        (
            unit.id.to_string(),
            unit.name.clone(),
            unit.parent.as_ref().map(ToString::to_string).unwrap_or_default(),
        )
    }))
}
