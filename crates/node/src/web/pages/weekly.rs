//! The weekly resolution work report (化解工作周报告) on the dashboard:
//! the board of a unit for a week (`/weekly?unit=U&week=YYYY-Www`,
//! `WeeklyStatus` in-process: the unit's own report, one row per child
//! node, the counts and the reports held for approval) and one report as a
//! document (`/weekly/report?unit=U&week=W`, `GetWeeklyReport`: state, due
//! time, the figures frozen at filing with their freshness, the narrative,
//! the signer and every step), both printable. A leader acts from them by
//! POST forms to `/weekly/act` carrying the CSRF token and the filing
//! shown (file, withdraw, approve, return, unapprove): a form is offered
//! only where the service would allow it, and a forged or stale post is
//! refused by the service's own rules, shown as every refusal is.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use fengqiao_core::IsoWeek;
use fengqiao_core::authz::{Rpc, Target};
use fengqiao_core::read::{Moment, Summary};
use fengqiao_i18n::{Messages, tr_in};
use fengqiao_proto::pb;
use fengqiao_proto::pb::weekly_service_server::WeeklyService;

use super::overview::{Figure, FigureGroup};
use super::{allowed, answer, percent, unreadable};
use crate::web::auth::Viewer;
use crate::web::words::actor_text;
use crate::web::{Chrome, PageError, WebState, check_csrf, csrf_field, lang_of};
use crate::weekly::WeeklyReports;

/// The identifier of a wire state (`not_filed`, `approved`, …).
pub fn state_id(state: i32) -> &'static str {
    match pb::WeeklyState::try_from(state) {
        Ok(pb::WeeklyState::NotFiled) => "not_filed",
        Ok(pb::WeeklyState::Overdue) => "overdue",
        Ok(pb::WeeklyState::Filed) => "filed",
        Ok(pb::WeeklyState::Withdrawn) => "withdrawn",
        Ok(pb::WeeklyState::Returned) => "returned",
        Ok(pb::WeeklyState::Approved) => "approved",
        Ok(pb::WeeklyState::Unapproved) => "unapproved",
        _ => "unspecified",
    }
}

/// The identifier of a wire step (`filed`, `returned`, …).
pub fn step_id(step: i32) -> &'static str {
    match pb::WeeklyStep::try_from(step) {
        Ok(pb::WeeklyStep::Filed) => "filed",
        Ok(pb::WeeklyStep::Withdrawn) => "withdrawn",
        Ok(pb::WeeklyStep::Returned) => "returned",
        Ok(pb::WeeklyStep::Approved) => "approved",
        Ok(pb::WeeklyStep::Unapproved) => "unapproved",
        _ => "unspecified",
    }
}

/// An instant of the answer, for people in the deployment's zone.
pub fn when(at: Option<&prost_types::Timestamp>, state: &WebState) -> String {
    let zone = state.node().config().time.zone;
    at.and_then(|t| fengqiao_proto::from_timestamp(Some(*t), "at").ok())
        .map(|at| Moment::utc(at).in_zone(zone).for_people())
        .unwrap_or_default()
}

/// The week a page shows: the one asked for, else the last ended week
/// (this week once its last day's cut-off has passed, else the one before).
fn week_of(state: &WebState, asked: Option<&str>) -> Result<IsoWeek, tonic::Status> {
    if let Some(text) = asked.filter(|w| !w.is_empty()) {
        return IsoWeek::parse(text, "week").map_err(|e| tonic::Status::from(crate::NodeError::from(e)));
    }
    let node = state.node();
    let policy = &node.config().time;
    let now = node.clock().now();
    let this = IsoWeek::of(policy.local_date(now));
    Ok(if now >= fengqiao_core::weekly::week_over_at(policy, this) {
        this
    } else {
        IsoWeek::of(this.monday() - Duration::days(7))
    })
}

/// The unit a page shows: the one asked for, else the viewer's.
fn unit_of(viewer: &Viewer, asked: Option<&str>) -> String {
    asked.filter(|u| !u.is_empty()).map_or_else(|| viewer.identity.unit().to_string(), str::to_owned)
}

/// A review form of a board row.
#[derive(Debug, Clone)]
pub struct RowAction {
    /// `approve`, `return` or `unapprove`.
    pub action: &'static str,
    pub label: String,
}

/// One report of the board.
#[derive(Debug, Clone)]
pub struct BoardRow {
    pub unit_id: String,
    pub name: String,
    pub state: &'static str,
    pub state_label: String,
    pub late: bool,
    pub first_filed: String,
    pub filing: u32,
    pub report_url: String,
    pub actions: Vec<RowAction>,
}

/// A report held for the week's approvers.
#[derive(Debug, Clone)]
pub struct HeldRow {
    pub unit_id: String,
    pub name: String,
    pub date: String,
    pub revision: u32,
    pub locked_by: String,
    pub held_at: String,
}

#[derive(Debug, Template)]
#[template(path = "weekly.html")]
pub struct BoardPage {
    pub chrome: Chrome,
    pub unit_id: String,
    pub unit_name: String,
    pub week: String,
    pub range: String,
    pub previous_url: String,
    pub next_url: Option<String>,
    /// The unit's own report first, then one per child node.
    pub rows: Vec<BoardRow>,
    pub has_children: bool,
    pub counts: Vec<Figure>,
    pub held: Vec<HeldRow>,
    /// Where a form returns to.
    pub back: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct WeeklyQuery {
    unit: Option<String>,
    week: Option<String>,
    lang: Option<String>,
}

/// `GET /weekly?unit=&week=`: the board.
pub async fn board(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<WeeklyQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let unit_id = unit_of(&viewer, query.unit.as_deref());
    answer(&state, &viewer, query.lang.as_deref(), (&headers, &uri), Some(&unit_id), |chrome| {
        board_page(&state, &viewer, &unit_id, query.week.as_deref(), chrome)
    })
    .await
}

/// The review forms the service would accept from this viewer for a row:
/// approve and return a filed report, unapprove an approved one, where
/// this node reviews the unit (a child node's, or the root's own) and the
/// viewer is a leader of this node's home unit.
fn row_actions(state: &WebState, viewer: &Viewer, m: &Messages, report: &pb::WeeklyReport) -> Vec<RowAction> {
    let node = state.node();
    let home = node.config().home_unit.as_str();
    if viewer.identity.unit().as_str() != home {
        return Vec::new();
    }
    let unit = report.unit_id.as_str();
    let root_itself = unit == home && node.config().parent.is_none();
    let action = |action: &'static str| RowAction { action, label: m.name("weekly-action", action) };
    match pb::WeeklyState::try_from(report.state) {
        Ok(pb::WeeklyState::Filed)
            if (root_itself || node.child_nodes().iter().any(|c| c == unit))
                && allowed(state, viewer, Rpc::ReviewWeekly, Target::Unit(unit)) =>
        {
            vec![action("approve"), action("return")]
        }
        Ok(pb::WeeklyState::Approved)
            if (root_itself || node.delegated_to(unit).is_some())
                && allowed(state, viewer, Rpc::UnapproveWeekly, Target::Unit(unit)) =>
        {
            vec![action("unapprove")]
        }
        _ => Vec::new(),
    }
}

fn board_row(state: &WebState, viewer: &Viewer, m: &Messages, report: &pb::WeeklyReport) -> BoardRow {
    let id = state_id(report.state);
    BoardRow {
        unit_id: report.unit_id.clone(),
        name: report.unit_name.clone(),
        state: id,
        state_label: m.name("web-weekly-state", id),
        late: report.late,
        first_filed: when(report.first_filed_at.as_ref(), state),
        filing: report.filing,
        report_url: format!("/weekly/report?unit={}&week={}", report.unit_id, report.iso_week),
        actions: row_actions(state, viewer, m, report),
    }
}

async fn board_page(
    state: &WebState,
    viewer: &Viewer,
    unit_id: &str,
    week: Option<&str>,
    chrome: Chrome,
) -> Result<BoardPage, tonic::Status> {
    let week = week_of(state, week)?;
    let service = WeeklyReports::new(state.node().clone());
    let status = service
        .weekly_status(
            viewer
                .request(pb::WeeklyStatusRequest { unit_id: unit_id.to_owned(), iso_week: week.to_string() }),
        )
        .await?
        .into_inner();
    let m = chrome.messages;
    let own = status.own.clone().unwrap_or_default();
    let tree = state.node().tree();
    let name = |id: &str| tree.get(id).map_or_else(|| id.to_owned(), |u| u.name.clone());
    let count = |key: &str, label: &str, n: u32| Figure::count(key, m.text(label), i64::from(n));
    let page_url = |week: IsoWeek| format!("/weekly?unit={unit_id}&week={week}");
    let next = IsoWeek::of(week.monday() + Duration::days(7));
    let last = week_of(state, None)?;
    Ok(BoardPage {
        unit_id: unit_id.to_owned(),
        unit_name: name(unit_id),
        week: week.to_string(),
        range: tr_in!(
            m,
            "web-week-range",
            week = week.to_string(),
            from = week.monday().to_string(),
            to = week.sunday().to_string()
        ),
        previous_url: page_url(IsoWeek::of(week.monday() - Duration::days(7))),
        next_url: (next <= last).then(|| page_url(next)),
        rows: std::iter::once(&own)
            .chain(status.children.iter())
            .map(|r| board_row(state, viewer, m, r))
            .collect(),
        has_children: !status.children.is_empty(),
        counts: vec![
            Figure::count("weekly.children", m.text("web-weekly-children"), status.children.len() as i64),
            count("weekly.filed", "web-weekly-filed", status.filed),
            count("weekly.approved", "web-weekly-approved", status.approved),
            count("weekly.returned", "web-weekly-returned", status.returned),
            count("weekly.late", "web-weekly-late", status.late),
            count("weekly.not_filed", "web-weekly-not-filed", status.not_filed),
            Figure::count("weekly.held", m.text("web-weekly-held"), status.held.len() as i64),
        ],
        held: status
            .held
            .iter()
            .map(|h| HeldRow {
                unit_id: h.unit_id.clone(),
                name: name(&h.unit_id),
                date: h.date.clone(),
                revision: h.revision,
                locked_by: name(&h.locked_by_unit_id),
                held_at: when(h.held_at.as_ref(), state),
            })
            .collect(),
        back: page_url(week),
        chrome,
    })
}

/// One step of a report's history.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub filing: u32,
    pub step: &'static str,
    pub step_label: String,
    pub at: String,
    pub actor: String,
    pub by_unit: String,
    pub text: String,
}

/// A part of the narrative.
#[derive(Debug, Clone)]
pub struct NarrativePart {
    pub key: &'static str,
    pub title: String,
    pub text: String,
}

#[derive(Debug, Template)]
#[template(path = "weekly_report.html")]
pub struct ReportPage {
    pub chrome: Chrome,
    pub unit_id: String,
    pub unit_name: String,
    pub week: String,
    pub range: String,
    pub state: &'static str,
    pub state_label: String,
    pub due: String,
    pub late: bool,
    pub first_filed: String,
    pub filing: u32,
    /// The figures of the latest filing, as frozen (none before one).
    pub groups: Vec<FigureGroup>,
    pub categories: Vec<Figure>,
    pub freshness: Option<String>,
    pub arrived: String,
    pub narrative: Vec<NarrativePart>,
    pub signer: String,
    pub signed_at: String,
    pub history: Vec<HistoryRow>,
    pub board_url: String,
    /// The file form (the four parts), when the viewer may file now.
    pub can_file: bool,
    /// Why there is no file form though the state awaits one.
    pub file_note: Option<String>,
    pub can_withdraw: bool,
    pub back: String,
}

/// `GET /weekly/report?unit=&week=`: one report as a document.
pub async fn report(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<WeeklyQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let unit_id = unit_of(&viewer, query.unit.as_deref());
    answer(&state, &viewer, query.lang.as_deref(), (&headers, &uri), Some(&unit_id), |chrome| {
        report_page(&state, &viewer, &unit_id, query.week.as_deref(), chrome)
    })
    .await
}

async fn report_page(
    state: &WebState,
    viewer: &Viewer,
    unit_id: &str,
    week: Option<&str>,
    chrome: Chrome,
) -> Result<ReportPage, tonic::Status> {
    let week = week_of(state, week)?;
    let node = state.node();
    let zone = node.config().time.zone;
    let report =
        WeeklyReports::new(node.clone())
            .get_weekly_report(viewer.request(pb::GetWeeklyReportRequest {
                unit_id: unit_id.to_owned(),
                iso_week: week.to_string(),
            }))
            .await?
            .into_inner()
            .report
            .ok_or_else(|| tonic::Status::internal("no report"))?;
    let m = chrome.messages;
    let filed =
        report.history.iter().rev().find(|e| e.step == pb::WeeklyStep::Filed as i32 && e.filed.is_some());
    let figures = match filed.and_then(|e| e.filed.as_ref()).and_then(|f| f.figures.clone()) {
        Some(figures) => Some(Summary::try_from(figures).map_err(unreadable)?.in_zone(zone)),
        None => None,
    };
    let narrative =
        filed.and_then(|e| e.filed.as_ref()).and_then(|f| f.narrative.clone()).unwrap_or_default();
    let id = state_id(report.state);
    let awaits_filing = matches!(id, "not_filed" | "overdue" | "withdrawn" | "returned" | "unapproved");
    let own_leader = unit_id == node.config().home_unit
        && viewer.identity.unit().as_str() == unit_id
        && allowed(state, viewer, Rpc::FileWeekly, Target::Unit(unit_id));
    let over = node.clock().now() >= fengqiao_core::weekly::week_over_at(&node.config().time, week);
    let actor = |actor: Option<&pb::Actor>| {
        actor
            .cloned()
            .and_then(|a| fengqiao_core::actor::Actor::try_from(a).ok())
            .map(|a| actor_text(m, &a))
            .unwrap_or_default()
    };
    let part = |key: &'static str, text: &str| NarrativePart {
        key,
        title: m.text(&format!("web-weekly-part-{key}")),
        text: text.to_owned(),
    };
    Ok(ReportPage {
        unit_id: report.unit_id.clone(),
        unit_name: report.unit_name.clone(),
        week: week.to_string(),
        range: tr_in!(
            m,
            "web-week-range",
            week = week.to_string(),
            from = week.monday().to_string(),
            to = week.sunday().to_string()
        ),
        state: id,
        state_label: m.name("web-weekly-state", id),
        due: when(report.due_at.as_ref(), state),
        late: report.late,
        first_filed: when(report.first_filed_at.as_ref(), state),
        filing: report.filing,
        groups: figures.as_ref().map(|s| super::overview::groups(m, s)).unwrap_or_default(),
        categories: figures
            .as_ref()
            .map(|s| {
                s.totals
                    .by_category
                    .iter()
                    .map(|(category, n)| {
                        Figure::count(
                            &format!("category.{}", category.as_str()),
                            m.name("category", category.as_str()),
                            *n,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        freshness: figures.as_ref().map(|s| {
            tr_in!(
                m,
                "web-weekly-frozen",
                percent = percent(s.arrived_percent),
                at = s.computed_at.for_people()
            )
        }),
        arrived: figures.as_ref().map(|s| s.arrived_percent.to_string()).unwrap_or_default(),
        narrative: if filed.is_some() {
            vec![
                part("main_disputes", &narrative.main_disputes),
                part("cases", &narrative.cases),
                part("help_needed", &narrative.help_needed),
                part("next_week_focus", &narrative.next_week_focus),
            ]
        } else {
            Vec::new()
        },
        signer: actor(filed.and_then(|e| e.actor.as_ref())),
        signed_at: filed.map(|e| when(e.at.as_ref(), state)).unwrap_or_default(),
        history: report
            .history
            .iter()
            .map(|e| {
                let step = step_id(e.step);
                HistoryRow {
                    filing: e.filing,
                    step,
                    step_label: m.name("web-weekly-step", step),
                    at: when(e.at.as_ref(), state),
                    actor: actor(e.actor.as_ref()),
                    by_unit: e.by_unit_id.clone(),
                    text: e.text.clone(),
                }
            })
            .collect(),
        board_url: format!("/weekly?unit={unit_id}&week={week}"),
        can_file: own_leader && awaits_filing && over,
        file_note: (own_leader && awaits_filing && !over).then(|| m.text("web-weekly-not-over")),
        can_withdraw: own_leader && id == "filed",
        back: format!("/weekly/report?unit={unit_id}&week={week}"),
        chrome,
    })
}

/// The fields of a weekly form.
#[derive(Debug, Default, serde::Deserialize)]
pub struct WeeklyForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    week: String,
    #[serde(default)]
    filing: u32,
    #[serde(default)]
    comments: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    main_disputes: String,
    #[serde(default)]
    cases: String,
    #[serde(default)]
    help_needed: String,
    #[serde(default)]
    next_week_focus: String,
    /// The page to return to (a path of this dashboard).
    #[serde(default)]
    back: String,
}

/// `POST /weekly/act`: the CSRF token first (403, nothing changed), then
/// the step in-process as the viewer with the filing the page showed; back
/// to the page (303), or the refusal page.
pub async fn act(State(state): State<WebState>, viewer: Viewer, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = check_csrf(&state, &viewer, &csrf_field(&body), &headers) {
        return refused.into_response();
    }
    let lang = lang_of(None, &headers);
    let form: WeeklyForm = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(_) => {
            return PageError::refused(lang, &tonic::Status::invalid_argument("form: unreadable"))
                .into_response();
        }
    };
    let service = WeeklyReports::new(state.node().clone());
    let (unit_id, iso_week) = (form.unit_id.trim().to_owned(), form.week.trim().to_owned());
    let review = |decision: pb::WeeklyDecision| pb::ReviewWeeklyReportRequest {
        unit_id: unit_id.clone(),
        iso_week: iso_week.clone(),
        filing: form.filing,
        decision: decision.into(),
        comments: form.comments.trim().to_owned(),
    };
    let result = match form.action.as_str() {
        "approve" => {
            service.review_weekly_report(viewer.request(review(pb::WeeklyDecision::Approve))).await.map(drop)
        }
        "return" => {
            service.review_weekly_report(viewer.request(review(pb::WeeklyDecision::Return))).await.map(drop)
        }
        "unapprove" => service
            .unapprove_weekly_report(viewer.request(pb::UnapproveWeeklyReportRequest {
                unit_id: unit_id.clone(),
                iso_week: iso_week.clone(),
                filing: form.filing,
                reason: form.reason.trim().to_owned(),
            }))
            .await
            .map(drop),
        "withdraw" => service
            .withdraw_weekly_report(viewer.request(pb::WithdrawWeeklyReportRequest {
                unit_id: unit_id.clone(),
                iso_week: iso_week.clone(),
                filing: form.filing,
                reason: form.reason.trim().to_owned(),
            }))
            .await
            .map(drop),
        "file" => service
            .file_weekly_report(viewer.request(pb::FileWeeklyReportRequest {
                unit_id: unit_id.clone(),
                iso_week: iso_week.clone(),
                narrative: Some(pb::WeeklyNarrative {
                    main_disputes: form.main_disputes.trim().to_owned(),
                    cases: form.cases.trim().to_owned(),
                    help_needed: form.help_needed.trim().to_owned(),
                    next_week_focus: form.next_week_focus.trim().to_owned(),
                }),
                expected_filing: form.filing,
            }))
            .await
            .map(drop),
        other => Err(tonic::Status::invalid_argument(format!("action: unknown value {other:?}"))),
    };
    match result {
        Ok(_) => Redirect::to(&back_to(&form.back, &unit_id, &iso_week)).into_response(),
        Err(status) => PageError::refused(lang, &status).into_response(),
    }
}

/// Where a form returns: its `back` when it is a weekly page of this
/// dashboard (no open redirect), else the report's board.
fn back_to(back: &str, unit_id: &str, week: &str) -> String {
    let ours = (back.starts_with("/weekly?") || back.starts_with("/weekly/report?"))
        && !back.contains("//")
        && !back.contains('\\');
    if ours { back.to_owned() } else { format!("/weekly?unit={unit_id}&week={week}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_returns_only_to_a_weekly_page() {
        assert_eq!(back_to("/weekly?unit=1&week=2026-W48", "1", "w"), "/weekly?unit=1&week=2026-W48");
        assert_eq!(back_to("https://evil.example/", "1", "2026-W48"), "/weekly?unit=1&week=2026-W48");
        assert_eq!(back_to("/weekly?//evil", "1", "2026-W48"), "/weekly?unit=1&week=2026-W48");
        assert_eq!(state_id(pb::WeeklyState::Approved as i32), "approved");
        assert_eq!(step_id(pb::WeeklyStep::Returned as i32), "returned");
    }
}
