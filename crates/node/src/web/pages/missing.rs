//! Missing and late (`/unit/<id>/missing?date=YYYY-MM-DD`): one day's
//! `Completeness` under a unit, read into the read model as `fengqiao
//! missing` reads it — the units without a report (outstanding before the
//! cut-off, missing after it) with their parents, grouped by the two
//! levels below the page's unit (township and community under a
//! district), and the late reports with when each arrived.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use fengqiao_core::read::{Completeness, UnitRef};
use fengqiao_i18n::tr_in;
use fengqiao_proto::pb;
use fengqiao_proto::pb::summary_service_server::SummaryService;

use super::{answer, unreadable};
use crate::summary::Summaries;
use crate::web::auth::Viewer;
use crate::web::{Chrome, WebState};

/// A missing unit, as the list names it.
#[derive(Debug, Clone)]
pub struct MissingUnit {
    pub unit_id: String,
    pub name: String,
    pub parent: String,
}

/// The missing units under one township (or directly under the page's
/// unit), by community.
#[derive(Debug, Clone)]
pub struct Group {
    pub title: String,
    pub count: usize,
    pub parts: Vec<Part>,
}

/// The missing units under one community (its title empty when they sit higher).
#[derive(Debug, Clone)]
pub struct Part {
    pub title: String,
    pub units: Vec<MissingUnit>,
}

/// A late report.
#[derive(Debug, Clone)]
pub struct LateRow {
    pub unit_id: String,
    pub name: String,
    pub parent: String,
    pub received: String,
    pub after_cutoff: String,
}

#[derive(Debug, Template)]
#[template(path = "missing.html")]
pub struct MissingPage {
    pub chrome: Chrome,
    pub unit_id: String,
    pub unit_name: String,
    pub date: String,
    pub previous_url: String,
    pub next_url: Option<String>,
    pub summary: String,
    pub due: bool,
    pub expected: i64,
    pub received: i64,
    pub on_time: i64,
    pub missing_count: usize,
    pub groups: Vec<Group>,
    pub late: Vec<LateRow>,
}

#[derive(Debug, serde::Deserialize)]
pub struct MissingQuery {
    date: Option<String>,
    lang: Option<String>,
}

/// `GET /unit/{unit_id}/missing?date=`: the day's missing and late units.
pub async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(unit_id): Path<String>,
    Query(query): Query<MissingQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    answer(&state, &viewer, query.lang.as_deref(), (&headers, &uri), Some(&unit_id), |chrome| {
        missing_page(&state, &viewer, &unit_id, query.date.as_deref(), chrome)
    })
    .await
}

async fn missing_page(
    state: &WebState,
    viewer: &Viewer,
    unit_id: &str,
    date: Option<&str>,
    chrome: Chrome,
) -> Result<MissingPage, tonic::Status> {
    let node = state.node();
    let policy = &node.config().time;
    let today = policy.local_date(node.clock().now());
    // The node checks the date; an empty one is today's.
    let date = date.filter(|d| !d.is_empty()).map_or_else(|| today.to_string(), str::to_owned);
    let summaries = Summaries::new(node.clone());
    let request = viewer.request(pb::CompletenessRequest { unit_id: unit_id.to_owned(), date });
    let answer = SummaryService::completeness(&summaries, request).await?.into_inner();
    let day = Completeness::try_from(answer).map_err(unreadable)?.in_zone(policy.zone);
    let m = chrome.messages;
    let tree = node.tree();
    let day_url = |date: NaiveDate| format!("/unit/{unit_id}/missing?date={date}");
    let summary = crate::web::words::completeness_text(m, &day);
    let date = day.date.to_string();
    let heading = |id: &str| tree.get(id).map_or_else(|| id.to_owned(), |u| format!("{} {id}", u.name));
    // (level 1, level 2) below the page's unit → units; empty when the unit sits higher.
    let mut grouped: BTreeMap<(String, String), Vec<&UnitRef>> = BTreeMap::new();
    for missing in &day.missing {
        let chain = tree.ancestors(missing.unit_id.as_str());
        let below: Vec<String> =
            chain.iter().skip_while(|u| u.id.as_str() != unit_id).skip(1).map(|u| u.id.to_string()).collect();
        let first = below.first().cloned().unwrap_or_default();
        let second = below.get(1).cloned().unwrap_or_default();
        grouped.entry((first, second)).or_default().push(missing);
    }
    let mut groups: Vec<Group> = Vec::new();
    for ((first, second), units) in grouped {
        let title = if first.is_empty() {
            tr_in!(m, "missing-directly-under", unit = heading(unit_id))
        } else {
            heading(&first)
        };
        if groups.last().is_none_or(|g| g.title != title) {
            groups.push(Group { title, count: 0, parts: Vec::new() });
        }
        let group = groups.last_mut().expect("just pushed");
        group.count += units.len();
        group.parts.push(Part {
            title: if second.is_empty() { String::new() } else { heading(&second) },
            units: units
                .into_iter()
                .map(|u| MissingUnit {
                    unit_id: u.unit_id.to_string(),
                    name: u.name.clone(),
                    parent: parent(u),
                })
                .collect(),
        });
    }
    let next = day.date + Duration::days(1);
    Ok(MissingPage {
        unit_name: tree.get(unit_id).map(|u| u.name.clone()).unwrap_or_default(),
        unit_id: unit_id.to_owned(),
        date,
        previous_url: day_url(day.date - Duration::days(1)),
        next_url: (next <= today).then(|| day_url(next)),
        summary,
        due: day.due,
        expected: day.expected,
        received: day.received,
        on_time: day.on_time,
        missing_count: day.missing.len(),
        groups,
        late: day
            .late
            .iter()
            .map(|late| LateRow {
                unit_id: late.unit.unit_id.to_string(),
                name: late.unit.name.clone(),
                parent: parent(&late.unit),
                received: late.first_accepted_at.for_people(),
                after_cutoff: duration_text(late.first_accepted_at.instant() - day.cutoff.instant()),
            })
            .collect(),
        chrome,
    })
}

/// `410411001001 电力社区`, or empty at the top.
fn parent(unit: &UnitRef) -> String {
    format!(
        "{} {}",
        unit.parent_id.as_ref().map(ToString::to_string).unwrap_or_default(),
        unit.parent_name.as_deref().unwrap_or_default()
    )
    .trim()
    .to_owned()
}

/// `2h05m`, `3d4h`, `45s`, as `fengqiao missing` says it.
pub fn duration_text(duration: Duration) -> String {
    let seconds = duration.num_seconds().max(0);
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60);
    if days > 0 {
        format!("{days}d{hours}h")
    } else if hours > 0 {
        format!("{hours}h{minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m")
    } else {
        format!("{seconds}s")
    }
}
