//! `fengqiao units`: the unit tree a node holds, as a tree to a chosen depth
//! or searched by name or code, over `fengqiao.v1.UnitService/ListUnits`
//! (paged); and the [`UnitNames`] other commands print beside codes
//! ([`names_of_subtree`], [`names_of_top`]).

use std::collections::HashMap;

use anyhow::{Result, anyhow};
use fengqiao_proto::WireEnum;
pub use fengqiao_proto::export::UnitNames;
use fengqiao_proto::pb::unit_service_client::UnitServiceClient;
use fengqiao_proto::pb::{self, ListUnitsRequest};
use serde_json::json;

use crate::connection::{Connection, out, refused};

#[derive(Debug, clap::Args)]
pub struct UnitsArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Root of the subtree shown (default: the node's home unit, or your certificate's unit).
    #[arg(long, default_value = "")]
    pub unit: String,
    /// Levels below the root to show (0: the whole subtree). With --find, how deep to search.
    #[arg(long, default_value_t = 1)]
    pub depth: u32,
    /// Only units whose name or code holds this text (and, in the tree, their ancestors).
    #[arg(long)]
    pub find: Option<String>,
    /// One JSON object per unit and line.
    #[arg(long)]
    pub json: bool,
}

/// Every unit of `root`'s subtree down to `depth` levels (0: all), in
/// depth-first order, page by page.
async fn list(connection: &Connection, root: &str, depth: u32) -> Result<Vec<pb::Unit>> {
    let mut client = UnitServiceClient::new(connection.channel().await?)
        .max_decoding_message_size(fengqiao_proto::CLIENT_MAX_DECODING_BYTES);
    let mut units = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_units(ListUnitsRequest {
                root_unit_id: root.to_owned(),
                max_depth: depth,
                page_size: 5000,
                page_token,
            })
            .await
            .map_err(refused)?
            .into_inner();
        units.extend(page.units);
        if page.next_page_token.is_empty() {
            return Ok(units);
        }
        page_token = page.next_page_token;
    }
}

/// The names of every unit of `root`'s subtree.
pub async fn names_of_subtree(connection: &Connection, root: &str) -> Result<UnitNames> {
    let units = list(connection, root, 0).await?;
    Ok(UnitNames::from_units(units.into_iter().map(|u| (u.id, u.name, u.parent_id))))
}

/// The name of the caller's own unit (the node's home unit for the local
/// operator) and its children.
pub async fn names_of_top(connection: &Connection) -> Result<UnitNames> {
    let units = list(connection, "", 1).await?;
    Ok(UnitNames::from_units(units.into_iter().map(|u| (u.id, u.name, u.parent_id))))
}

fn tier(unit: &pb::Unit) -> String {
    fengqiao_core::Tier::from_wire(unit.tier, "tier").map(|t| t.as_str().to_owned()).unwrap_or_default()
}

/// Which node serves each child of the root: the root's scorecard names the
/// child node of each of its children (empty: the node asked serves it).
async fn served_by(connection: &Connection, root: &str) -> HashMap<String, String> {
    let Ok(mut client) = connection.summaries().await else { return HashMap::new() };
    let request = pb::WeeklySummaryRequest {
        unit_id: root.to_owned(),
        iso_week: fengqiao_core::IsoWeek::of(chrono::Utc::now().date_naive()).to_string(),
    };
    match client.weekly_summary(request).await {
        Ok(answer) => answer
            .into_inner()
            .summary
            .map(|s| {
                s.children
                    .into_iter()
                    .filter_map(|row| {
                        let served = row.freshness.map(|f| f.served_by).unwrap_or_default();
                        (!served.is_empty()).then_some((row.unit_id, served))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Err(_) => HashMap::new(),
    }
}

/// `fengqiao units`.
pub async fn units(args: UnitsArgs) -> Result<()> {
    let units = list(&args.connection, &args.unit, args.depth).await?;
    let root = units
        .first()
        .ok_or_else(|| anyhow!(crate::tr!("error-no-such-unit", unit = format!("{:?}", args.unit))))?
        .clone();
    let by_id: HashMap<&str, &pb::Unit> = units.iter().map(|u| (u.id.as_str(), u)).collect();
    let depth_of = |unit: &pb::Unit| {
        let mut depth = 0usize;
        let mut parent = unit.parent_id.as_str();
        while unit.id != root.id && !parent.is_empty() {
            depth += 1;
            if parent == root.id {
                break;
            }
            parent = by_id.get(parent).map_or("", |p| p.parent_id.as_str());
        }
        depth
    };
    // The branch (child of the root) each unit is in, for the serving node.
    let branch_of = |unit: &pb::Unit| {
        let mut current = unit;
        while current.parent_id != root.id {
            match by_id.get(current.parent_id.as_str()) {
                Some(parent) => current = parent,
                None => return None,
            }
        }
        Some(current.id.clone())
    };
    let served = served_by(&args.connection, &root.id).await;
    let node_of = |unit: &pb::Unit| -> String {
        if unit.id == root.id {
            return "this node".to_owned();
        }
        branch_of(unit)
            .and_then(|branch| served.get(&branch).map(|node| format!("node {node}")))
            .unwrap_or_else(|| "this node".to_owned())
    };
    // With --find: the units that match, and their ancestors to show the way.
    let needle = args.find.as_deref().map(str::to_lowercase);
    let shown: Vec<&pb::Unit> = match &needle {
        None => units.iter().collect(),
        Some(needle) => {
            let mut keep = std::collections::HashSet::new();
            for unit in &units {
                if unit.name.to_lowercase().contains(needle) || unit.id.contains(needle.as_str()) {
                    let mut current = Some(unit);
                    while let Some(u) = current {
                        if !keep.insert(u.id.as_str()) {
                            break;
                        }
                        current = by_id.get(u.parent_id.as_str()).copied();
                    }
                }
            }
            units.iter().filter(|u| keep.contains(u.id.as_str())).collect()
        }
    };
    let matches = |unit: &pb::Unit| {
        needle.as_ref().is_none_or(|n| unit.name.to_lowercase().contains(n) || unit.id.contains(n.as_str()))
    };
    if args.json {
        for unit in &shown {
            let value = json!({
                "unit_id": unit.id, "name": unit.name, "parent_id": unit.parent_id, "tier": tier(unit),
                "reporting": unit.reporting,
                "active_from": crate::render::empty_null(&unit.active_from),
                "active_to": crate::render::empty_null(&unit.active_to),
                "depth": depth_of(unit), "served_by": node_of(unit), "match": matches(unit),
            });
            if !out(value)? {
                return Ok(());
            }
        }
        return Ok(());
    }
    let mut table = crate::render::table::new(crate::i18n::headings([
        "unit",
        "tier",
        "reporting",
        "open",
        "closed",
        "served-by",
    ]));
    let (reports, always) = (crate::tr!("word-reports"), crate::tr!("word-always"));
    for unit in &shown {
        let indent = "  ".repeat(depth_of(unit));
        let mark = if needle.is_some() && matches(unit) { "* " } else { "" };
        table.add_row([
            format!("{indent}{mark}{} {}", unit.id, unit.name),
            crate::i18n::name("tier", &tier(unit)),
            if unit.reporting { reports.clone() } else { String::new() },
            if unit.active_from.is_empty() { always.clone() } else { unit.active_from.clone() },
            unit.active_to.clone(),
            match node_of(unit).strip_prefix("node ") {
                Some(node) => crate::tr!("units-node", node = node),
                None => crate::tr!("word-this-node"),
            },
        ]);
    }
    if !out(&table)? {
        return Ok(());
    }
    let found = shown.iter().filter(|u| matches(u)).count() as u64;
    let summary = match &args.find {
        Some(text) => crate::tr!("units-matching", count = found, text = format!("{text:?}")),
        None => crate::tr!("count-units", count = found),
    };
    let depth = if args.depth == 0 {
        crate::tr!("units-every-level")
    } else {
        crate::tr!("units-depth", depth = args.depth)
    };
    out(crate::tr!("units-footer", summary = summary, unit = &root.id, name = &root.name, depth = depth))?;
    Ok(())
}
