//! The units (`/units?root=…&q=…`): the hierarchy under the viewer's unit
//! (or `root`, within it), from `ListUnits` in-process, searchable by name
//! or id (the matches and the units above them, to show the way), each
//! unit with the node that serves its branch — this node, or the child
//! node whose subtree it lies in (the node's own list of child nodes, the
//! one `authz` serves by). Without a search, two levels below the root.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use fengqiao_i18n::tr_in;
use fengqiao_proto::pb;
use fengqiao_proto::pb::unit_service_server::UnitService;

use crate::units::Units;
use crate::web::auth::Viewer;
use crate::web::{Chrome, WebState};

/// Levels below the root shown without a search.
pub const BROWSE_DEPTH: u32 = 2;
/// At most this many units read for one page.
pub const UNITS_LIMIT: usize = 20_000;

/// One unit of the list.
#[derive(Debug, Clone)]
pub struct UnitRow {
    pub unit_id: String,
    pub name: String,
    pub tier: String,
    pub depth: usize,
    pub reporting: bool,
    pub open: String,
    pub served_by: String,
    pub served_by_id: String,
    pub matched: bool,
}

#[derive(Debug, Template)]
#[template(path = "units.html")]
pub struct UnitsPage {
    pub chrome: Chrome,
    pub root: String,
    pub q: String,
    pub rows: Vec<UnitRow>,
    pub found: usize,
    pub summary: String,
}

#[derive(Debug, serde::Deserialize)]
pub struct UnitsQuery {
    #[serde(default)]
    root: String,
    #[serde(default)]
    q: String,
    lang: Option<String>,
}

/// `GET /units?root=&q=`.
pub async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<UnitsQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let root = if query.root.is_empty() { viewer.identity.unit().to_string() } else { query.root.clone() };
    super::answer(&state, &viewer, query.lang.as_deref(), (&headers, &uri), Some(&root), |chrome| {
        units_page(&state, &viewer, &root, query.q.trim(), chrome)
    })
    .await
}

async fn units_page(
    state: &WebState,
    viewer: &Viewer,
    root: &str,
    q: &str,
    chrome: Chrome,
) -> Result<UnitsPage, tonic::Status> {
    let node = state.node();
    let service = Units::new(node.clone());
    let mut units: Vec<pb::Unit> = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = service
            .list_units(viewer.request(pb::ListUnitsRequest {
                root_unit_id: root.to_owned(),
                max_depth: if q.is_empty() { BROWSE_DEPTH } else { 0 },
                page_size: 5000,
                page_token: page_token.clone(),
            }))
            .await?
            .into_inner();
        units.extend(page.units);
        if page.next_page_token.is_empty() || units.len() >= UNITS_LIMIT {
            break;
        }
        page_token = page.next_page_token;
    }
    let m = chrome.messages;
    let by_id: HashMap<&str, &pb::Unit> = units.iter().map(|u| (u.id.as_str(), u)).collect();
    let child_nodes: HashSet<String> = node.view().child_nodes.iter().cloned().collect();
    // The unit's chain up to the root, the unit first.
    let chain = |unit: &pb::Unit| -> Vec<String> {
        let mut chain = vec![unit.id.clone()];
        let mut current = unit;
        while current.id != root {
            match by_id.get(current.parent_id.as_str()) {
                Some(parent) => {
                    chain.push(parent.id.clone());
                    current = parent;
                }
                None => break,
            }
        }
        chain
    };
    let needle = q.to_lowercase();
    let matches = |unit: &pb::Unit| {
        needle.is_empty() || unit.name.to_lowercase().contains(&needle) || unit.id.contains(needle.as_str())
    };
    let mut keep: HashSet<&str> = HashSet::new();
    for unit in units.iter().filter(|u| !needle.is_empty() && matches(u)) {
        let mut current = Some(unit);
        while let Some(u) = current {
            if !keep.insert(u.id.as_str()) {
                break;
            }
            current = by_id.get(u.parent_id.as_str()).copied();
        }
    }
    let this_node = m.text("word-this-node");
    let tree = node.tree();
    let rows: Vec<UnitRow> = units
        .iter()
        .filter(|u| needle.is_empty() || keep.contains(u.id.as_str()))
        .map(|unit| {
            let chain = chain(unit);
            // The child node nearest the root on the way down serves the branch.
            let served = chain.iter().rev().find(|id| child_nodes.contains(id.as_str())).cloned();
            UnitRow {
                unit_id: unit.id.clone(),
                name: unit.name.clone(),
                tier: tree.get(&unit.id).map(|u| m.name("tier", u.tier.as_str())).unwrap_or_default(),
                depth: chain.len() - 1,
                reporting: unit.reporting,
                open: if unit.active_to.is_empty() {
                    String::new()
                } else {
                    format!("{} – {}", unit.active_from, unit.active_to)
                },
                served_by: match &served {
                    Some(id) => {
                        let name = tree.get(id).map(|u| u.name.clone()).unwrap_or_default();
                        tr_in!(m, "units-node", node = format!("{id} {name}").trim().to_owned())
                    }
                    None => this_node.clone(),
                },
                served_by_id: served.unwrap_or_default(),
                matched: !needle.is_empty() && matches(unit),
            }
        })
        .collect();
    let found = if needle.is_empty() { rows.len() } else { rows.iter().filter(|r| r.matched).count() };
    let summary = if needle.is_empty() {
        tr_in!(m, "count-units", count = found as u64)
    } else {
        tr_in!(m, "units-matching", count = found as u64, text = format!("{q:?}"))
    };
    Ok(UnitsPage { root: root.to_owned(), q: q.to_owned(), rows, found, summary, chrome })
}
