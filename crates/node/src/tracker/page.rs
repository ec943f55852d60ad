//! The `/track` page (阳光信访查询): a form for the case number and the
//! query code, posted (so the code is in no URL and no access log), the
//! petitioner's view of the case, and the rating form once resolved. No
//! login; Chinese by default; the dashboard's layout, which fits a phone.

use std::net::IpAddr;

use askama::Template;
use axum::Router;
use axum::extract::{Extension, Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use fengqiao_core::DisputeCategory;
use fengqiao_core::case::{CaseStatus, Satisfaction};
use fengqiao_core::unit::Tier;
use fengqiao_i18n::{Lang, Messages};
use fengqiao_proto::WireEnum;
use fengqiao_proto::pb::{RateCaseRequest, TrackCaseRequest, TrackCaseResponse};
use serde::Deserialize;
use tonic::transport::server::TcpConnectInfo;

use super::PublicTracker;
use crate::web::{Chrome, http_status, lang_of, refusal_text, render};

pub(super) fn router(tracker: PublicTracker) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/track") }))
        .route("/track", get(form).post(track))
        .route("/track/rate", axum::routing::post(rate))
        .route("/static/{name}", get(crate::web::assets::serve))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .with_state(tracker)
}

#[derive(Debug, Deserialize)]
struct FormQuery {
    #[serde(default)]
    case: String,
    #[serde(default)]
    lang: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Pair {
    #[serde(default)]
    case_id: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    satisfaction: String,
    /// The page's language, carried by the form.
    #[serde(default)]
    lang: Option<String>,
}

/// One line of the petitioner's view.
#[derive(Debug)]
struct Line {
    label: String,
    value: String,
}

/// A public reply as shown.
#[derive(Debug)]
struct Reply {
    on: String,
    office: String,
    text: String,
}

/// The view of a case.
#[derive(Debug)]
struct Shown {
    case_id: String,
    status: String,
    lines: Vec<Line>,
    replies: Vec<Reply>,
    can_rate: bool,
    /// The code, carried back in the rating form's body (never a URL).
    code: String,
}

#[derive(Debug, Template)]
#[template(path = "track.html")]
struct TrackPage {
    chrome: Chrome,
    case_id: String,
    /// What went wrong, or what was done.
    message: String,
    shown: Option<Shown>,
}

fn source(connection: Option<Extension<TcpConnectInfo>>) -> IpAddr {
    connection
        .and_then(|Extension(info)| info.remote_addr)
        .map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |a| a.ip())
}

fn page(lang: Lang, case_id: String, message: String, shown: Option<Shown>, status: StatusCode) -> Response {
    let chrome = Chrome::new(lang, "/track");
    render(status, &TrackPage { chrome, case_id, message, shown })
}

async fn form(Query(query): Query<FormQuery>, headers: HeaderMap) -> Response {
    let lang = lang_of(query.lang.as_deref(), &headers);
    page(lang, query.case.trim().to_owned(), String::new(), None, StatusCode::OK)
}

fn shown(m: &Messages, view: TrackCaseResponse, code: String) -> Shown {
    let status = CaseStatus::from_wire(view.status, "status").map(|s| m.name("status", &s.to_string()));
    let category =
        DisputeCategory::from_wire(view.category, "category").map(|c| m.name("category", c.as_str()));
    let tier = Tier::from_wire(view.tier, "tier").map(|t| m.name("tier", &t.to_string())).unwrap_or_default();
    let mut office = view.office.clone();
    if !tier.is_empty() {
        office = format!("{office}（{tier}）");
    }
    if !view.department.is_empty() {
        office = format!("{office} · {}", view.department);
    }
    let mut lines = Vec::new();
    let mut line = |key: &str, value: String| {
        if !value.is_empty() {
            lines.push(Line { label: m.text(key), value });
        }
    };
    line("track-category", category.unwrap_or_default());
    line("track-office", office);
    line("track-registered-on", view.registered_on.clone());
    line("track-accept-by", if view.accepted_on.is_empty() { view.accept_by.clone() } else { String::new() });
    line("track-accepted-on", view.accepted_on.clone());
    line("track-deadline", if view.resolved_on.is_empty() { view.deadline.clone() } else { String::new() });
    line("track-resolved-on", view.resolved_on.clone());
    line("track-closed-on", view.closed_on.clone());
    let rating = Satisfaction::from_wire(view.rating, "rating").ok();
    line("track-rating", rating.map(|r| m.name("satisfaction", r.as_str())).unwrap_or_default());
    Shown {
        case_id: view.case_id,
        status: status.unwrap_or_default(),
        lines,
        replies: view
            .replies
            .into_iter()
            .map(|r| Reply { on: r.on, office: r.office, text: r.text })
            .collect(),
        can_rate: view.can_rate,
        code,
    }
}

async fn track(
    State(tracker): State<PublicTracker>,
    connection: Option<Extension<TcpConnectInfo>>,
    headers: HeaderMap,
    Form(pair): Form<Pair>,
) -> Response {
    let lang = lang_of(pair.lang.as_deref(), &headers);
    let m = Messages::of(lang);
    let request = TrackCaseRequest { case_id: pair.case_id.clone(), query_code: pair.code.clone() };
    match tracker.track(source(connection), request).await {
        Ok(view) => page(lang, pair.case_id, String::new(), Some(shown(m, view, pair.code)), StatusCode::OK),
        Err(status) => page(lang, pair.case_id, refusal_text(m, &status), None, http_status(status.code())),
    }
}

async fn rate(
    State(tracker): State<PublicTracker>,
    connection: Option<Extension<TcpConnectInfo>>,
    headers: HeaderMap,
    Form(pair): Form<Pair>,
) -> Response {
    let lang = lang_of(pair.lang.as_deref(), &headers);
    let m = Messages::of(lang);
    let source = source(connection);
    let satisfaction = match pair.satisfaction.as_str() {
        "satisfied" => Satisfaction::Satisfied,
        "dissatisfied" => Satisfaction::Dissatisfied,
        _ => return page(lang, pair.case_id, m.text("track-choose-rating"), None, StatusCode::BAD_REQUEST),
    };
    let request = RateCaseRequest {
        case_id: pair.case_id.clone(),
        query_code: pair.code.clone(),
        satisfaction: fengqiao_proto::pb::Satisfaction::from(satisfaction).into(),
    };
    let message = match tracker.rate(source, request).await {
        Ok(answer) if answer.recorded => m.text("track-rated"),
        Ok(_) => m.text("track-rating-on-its-way"),
        Err(status) => {
            return page(lang, pair.case_id, refusal_text(m, &status), None, http_status(status.code()));
        }
    };
    let request = TrackCaseRequest { case_id: pair.case_id.clone(), query_code: pair.code.clone() };
    match tracker.track(source, request).await {
        Ok(view) => page(lang, pair.case_id, message, Some(shown(m, view, pair.code)), StatusCode::OK),
        Err(_) => page(lang, pair.case_id, message, None, StatusCode::OK),
    }
    .into_response()
}
