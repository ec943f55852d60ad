//! The district's leaders and their contact duties (包片/包案)
//! (`/leaders?from=&to=`, `ListContactDuties` and `LeaderFigures`
//! in-process as the viewer): for each leader with a duty in the range,
//! their townships and key projects with the key case figures, and the
//! cases they lead with on-time closure. Readable by the district's
//! officers, leaders, admins and auditors (the service's rule).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use fengqiao_i18n::tr_in;
use fengqiao_proto::pb;
use fengqiao_proto::pb::contact_service_server::ContactService;

use super::answer;
use super::overview::Figure;
use crate::contacts::Contacts;
use crate::web::auth::Viewer;
use crate::web::{Chrome, WebState};

/// One contact area of a leader.
#[derive(Debug, Clone)]
pub struct AreaRow {
    pub duty_id: String,
    /// The township's id, or the project's.
    pub area: String,
    pub name: String,
    /// A township's page; none for a project.
    pub url: Option<String>,
    pub days: String,
    pub registered: i64,
    pub closed: i64,
    pub closed_on_time: i64,
    pub overdue: i64,
    pub on_time_rate: String,
}

/// A leader's card.
#[derive(Debug, Clone)]
pub struct LeaderCard {
    pub leader: String,
    pub areas: Vec<AreaRow>,
    /// 包案: led, closed, on time, overdue, on-time closure rate.
    pub led: Vec<Figure>,
}

#[derive(Debug, Template)]
#[template(path = "leaders.html")]
pub struct LeadersPage {
    pub chrome: Chrome,
    pub from: String,
    pub to: String,
    pub leaders: Vec<LeaderCard>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct LeadersQuery {
    from: Option<String>,
    to: Option<String>,
    lang: Option<String>,
}

/// `GET /leaders?from=&to=`: every leader with a duty in the range (the
/// last 30 days by default).
pub async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<LeadersQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let root = state.node().tree().root_id().to_string();
    answer(&state, &viewer, query.lang.as_deref(), (&headers, &uri), Some(&root), |chrome| {
        leaders_page(&state, &viewer, &query, chrome)
    })
    .await
}

fn day_of(
    text: Option<&str>,
    default: NaiveDate,
    field: &str,
    chrome: &Chrome,
) -> Result<NaiveDate, tonic::Status> {
    match text.filter(|t| !t.is_empty()) {
        None => Ok(default),
        Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| {
            tonic::Status::invalid_argument(tr_in!(
                chrome.messages,
                "web-leaders-bad-date",
                field = field,
                date = t
            ))
        }),
    }
}

async fn leaders_page(
    state: &WebState,
    viewer: &Viewer,
    query: &LeadersQuery,
    chrome: Chrome,
) -> Result<LeadersPage, tonic::Status> {
    super::detail_held_here(state, state.node().tree().root_id().as_str(), "leaders' duties")?;
    let node = state.node();
    let today = node.config().time.local_date(node.clock().now());
    let to = day_of(query.to.as_deref(), today, "to", &chrome)?;
    let from = day_of(query.from.as_deref(), to - Duration::days(29), "from", &chrome)?;
    let contacts = Contacts::new(node.clone());
    let duties = contacts
        .list_contact_duties(viewer.request(pb::ListContactDutiesRequest {
            unit_id: node.tree().root_id().to_string(),
            ..Default::default()
        }))
        .await?
        .into_inner()
        .duties;
    let mut leaders: Vec<String> = duties
        .iter()
        .filter(|d| {
            d.from.as_str() <= to.to_string().as_str() && (d.until.is_empty() || d.until >= from.to_string())
        })
        .map(|d| d.leader.clone())
        .collect();
    leaders.dedup();
    let m = chrome.messages;
    let mut cards = Vec::with_capacity(leaders.len());
    for leader in leaders {
        let request = viewer.request(pb::LeaderFiguresRequest {
            leader: leader.clone(),
            from: from.to_string(),
            to: to.to_string(),
        });
        let figures = ContactService::leader_figures(&contacts, request).await?.into_inner();
        let areas = figures
            .areas
            .iter()
            .map(|a| {
                let duty = a.duty.clone().unwrap_or_default();
                let cases = a.summary.as_ref().and_then(|s| s.cases).or(a.project_cases).unwrap_or_default();
                let township = !duty.unit_id.is_empty();
                AreaRow {
                    duty_id: duty.duty_id.clone(),
                    area: if township { duty.unit_id.clone() } else { duty.project_id.clone() },
                    name: a.name.clone(),
                    url: township.then(|| format!("/unit/{}", duty.unit_id)),
                    days: format!("{} – {}", duty.from, if duty.until.is_empty() { "" } else { &duty.until }),
                    registered: cases.registered,
                    closed: cases.closed,
                    closed_on_time: cases.closed_on_time,
                    overdue: cases.overdue,
                    on_time_rate: format!("{:.1}%", cases.on_time_closure_rate),
                }
            })
            .collect();
        let key = |k: &str| format!("leader.{leader}.{k}");
        let led = vec![
            Figure::count(&key("led"), m.text("web-leaders-led"), figures.cases_led),
            Figure::count(&key("closed"), m.text("heading-cases-closed"), figures.cases_closed),
            Figure::count(
                &key("closed_on_time"),
                m.text("heading-closed-on-time"),
                figures.cases_closed_on_time,
            ),
            Figure::count(&key("overdue"), m.text("heading-overdue"), figures.cases_overdue),
            Figure::rate(
                &key("on_time_closure_rate"),
                m.text("heading-on-time-closure"),
                figures.on_time_closure_rate,
            ),
        ];
        cards.push(LeaderCard { leader, areas, led });
    }
    Ok(LeadersPage { chrome, from: from.to_string(), to: to.to_string(), leaders: cards })
}
