//! Accountability actions (责任追究) of a unit's subtree in a year
//! (`/accountability?unit=U&year=Y`, `ListAccountability` in-process): the
//! year's actions with their frozen evidence (rank, missing reports,
//! overdue cases, linked to the pages that list them), the counts per
//! kind, and for a leader the form that records one (`POST
//! /accountability`, `RecordAccountability` as the viewer, with the CSRF
//! token).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Duration};
use fengqiao_core::identity::Role;
use fengqiao_i18n::{Messages, tr_in};
use fengqiao_proto::pb;
use fengqiao_proto::pb::weekly_service_server::WeeklyService;

use super::answer;
use super::cases::Choice;
use super::overview::Figure;
use super::weekly::when;
use crate::web::auth::Viewer;
use crate::web::{Chrome, PageError, WebState, check_csrf, csrf_field, lang_of};
use crate::weekly::WeeklyReports;

/// The identifier of a wire kind (`criticism`, …).
pub fn kind_id(kind: i32) -> &'static str {
    match pb::AccountabilityKind::try_from(kind) {
        Ok(pb::AccountabilityKind::Criticism) => "criticism",
        Ok(pb::AccountabilityKind::Admonition) => "admonition",
        Ok(pb::AccountabilityKind::Commendation) => "commendation",
        _ => "unspecified",
    }
}

/// One action of the list.
#[derive(Debug, Clone)]
pub struct ActionRow {
    pub action_id: String,
    pub date: String,
    pub kind: &'static str,
    pub kind_label: String,
    pub unit_id: String,
    pub unit_name: String,
    pub reason: String,
    /// `n/m`, empty without a place.
    pub rank: String,
    pub missing: u64,
    pub missing_url: String,
    pub overdue: u64,
    pub overdue_url: String,
    pub period: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Template)]
#[template(path = "accountability.html")]
pub struct AccountabilityPage {
    pub chrome: Chrome,
    pub unit_id: String,
    pub unit_name: String,
    pub year: i32,
    pub previous_url: String,
    pub next_url: Option<String>,
    pub counts: Vec<Figure>,
    pub rows: Vec<ActionRow>,
    /// The record form, for a leader.
    pub can_record: bool,
    pub kinds: Vec<Choice>,
    /// Units below the viewer's the form suggests.
    pub targets: Vec<Choice>,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct AccountabilityQuery {
    unit: Option<String>,
    year: Option<String>,
    lang: Option<String>,
}

/// A year of the query: the current one by default.
pub fn year_of(state: &WebState, m: &Messages, asked: Option<&str>) -> Result<i32, tonic::Status> {
    let node = state.node();
    let today = node.config().time.local_date(node.clock().now());
    match asked.filter(|y| !y.is_empty()) {
        None => Ok(today.year()),
        Some(text) => text
            .parse::<i32>()
            .ok()
            .filter(|y| (1900..=today.year()).contains(y))
            .ok_or_else(|| tonic::Status::invalid_argument(tr_in!(m, "web-bad-year", year = text))),
    }
}

/// `GET /accountability?unit=&year=`: the year's actions.
pub async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<AccountabilityQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let unit_id =
        query.unit.clone().filter(|u| !u.is_empty()).unwrap_or_else(|| viewer.identity.unit().to_string());
    answer(&state, &viewer, query.lang.as_deref(), (&headers, &uri), Some(&unit_id), |chrome| {
        accountability_page(&state, &viewer, &unit_id, query.year.as_deref(), chrome)
    })
    .await
}

async fn accountability_page(
    state: &WebState,
    viewer: &Viewer,
    unit_id: &str,
    year: Option<&str>,
    chrome: Chrome,
) -> Result<AccountabilityPage, tonic::Status> {
    let m = chrome.messages;
    let year = year_of(state, m, year)?;
    let node = state.node();
    let list = WeeklyReports::new(node.clone())
        .list_accountability(viewer.request(pb::ListAccountabilityRequest {
            unit_id: unit_id.to_owned(),
            year: u32::try_from(year).unwrap_or_default(),
            kind: pb::AccountabilityKind::Unspecified.into(),
        }))
        .await?
        .into_inner();
    let tree = node.tree();
    let today = node.config().time.local_date(node.clock().now());
    let page_url = |year: i32| format!("/accountability?unit={unit_id}&year={year}");
    let kinds = ["criticism", "admonition", "commendation"];
    let mut counts = Vec::new();
    for count in &list.units_by_kind {
        let kind = kind_id(count.kind);
        let label = m.name("web-accountability", kind);
        counts.push(Figure::count(&format!("kind.{kind}.actions"), label.clone(), i64::from(count.actions)));
        counts.push(Figure::count(
            &format!("kind.{kind}.units"),
            tr_in!(m, "web-accountability-units", kind = label),
            i64::from(count.units),
        ));
    }
    let own = viewer.identity.unit().to_string();
    let can_record = viewer.identity.role() == Some(Role::Leader) && tree.is_within(unit_id, &own);
    // The units two levels below the viewer's, within the unit in view.
    let mut targets = Vec::new();
    if can_record && let Some(units) = tree.subtree(unit_id) {
        let own_depth = tree.ancestors(&own).len();
        for unit in units {
            let id = unit.id.to_string();
            let depth = tree.ancestors(&id).len();
            if id != own && tree.is_within(&id, &own) && depth <= own_depth + 2 {
                targets.push(Choice { label: format!("{} {id}", unit.name), value: id, selected: false });
            }
        }
    }
    Ok(AccountabilityPage {
        unit_name: tree.get(unit_id).map(|u| u.name.clone()).unwrap_or_default(),
        unit_id: unit_id.to_owned(),
        year,
        previous_url: page_url(year - 1),
        next_url: (year < today.year()).then(|| page_url(year + 1)),
        counts,
        rows: list
            .actions
            .iter()
            .map(|a| {
                let evidence = a.evidence.clone().unwrap_or_default();
                let rank = evidence
                    .place
                    .as_ref()
                    .and_then(|p| p.row.as_ref().map(|r| format!("{}/{}", r.rank, p.rows)))
                    .unwrap_or_default();
                let kind = kind_id(a.kind);
                ActionRow {
                    action_id: a.action_id.clone(),
                    date: a.recorded_on.clone(),
                    kind,
                    kind_label: m.name("web-accountability", kind),
                    unit_id: a.unit_id.clone(),
                    unit_name: a.unit_name.clone(),
                    reason: a.reason.clone(),
                    rank,
                    missing: evidence.missing_total,
                    missing_url: format!("/unit/{}/missing?date={}", a.unit_id, evidence.to_date),
                    overdue: evidence.overdue_total,
                    overdue_url: format!("/unit/{}/cases?overdue=1&as_of={}", a.unit_id, evidence.to_date),
                    period: format!("{} – {}", evidence.from_date, evidence.to_date),
                    recorded_by: a.recorded_by_unit_id.clone(),
                    recorded_at: when(a.recorded_at.as_ref(), state),
                }
            })
            .collect(),
        can_record,
        kinds: kinds
            .iter()
            .map(|k| Choice {
                value: (*k).to_owned(),
                label: m.name("web-accountability", k),
                selected: false,
            })
            .collect(),
        targets,
        from: (today - Duration::days(30)).to_string(),
        to: (today - Duration::days(1)).to_string(),
        chrome,
    })
}

/// The fields of the record form.
#[derive(Debug, Default, serde::Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// The unit of the page the form was on.
    #[serde(default)]
    page_unit: String,
}

/// `POST /accountability`: the CSRF token first (403, nothing recorded),
/// then `RecordAccountability` as the viewer; back to the list of the
/// year it counts in (303), or the refusal page.
pub async fn record(
    State(state): State<WebState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = check_csrf(&state, &viewer, &csrf_field(&body), &headers) {
        return refused.into_response();
    }
    let lang = lang_of(None, &headers);
    let form: RecordForm = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(_) => {
            return PageError::refused(lang, &tonic::Status::invalid_argument("form: unreadable"))
                .into_response();
        }
    };
    let kind = pb::AccountabilityKind::from_str_name(&format!(
        "ACCOUNTABILITY_KIND_{}",
        form.kind.trim().to_ascii_uppercase()
    ))
    .unwrap_or(pb::AccountabilityKind::Unspecified);
    let request = pb::RecordAccountabilityRequest {
        unit_id: form.unit_id.trim().to_owned(),
        kind: kind.into(),
        reason: form.reason.trim().to_owned(),
        from_date: form.from.trim().to_owned(),
        to_date: form.to.trim().to_owned(),
    };
    match WeeklyReports::new(state.node().clone()).record_accountability(viewer.request(request)).await {
        Ok(answer) => {
            let action = answer.into_inner().action.unwrap_or_default();
            let year = action.recorded_on.get(..4).unwrap_or_default().to_owned();
            let unit = fengqiao_core::UnitId::parse(form.page_unit.trim())
                .map_or_else(|_| viewer.identity.unit().to_string(), |u| u.to_string());
            Redirect::to(&format!("/accountability?unit={unit}&year={year}")).into_response()
        }
        Err(status) => PageError::refused(lang, &status).into_response(),
    }
}
