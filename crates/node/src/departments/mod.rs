//! Departments (职能部门): which a node holds, and `DepartmentService`.
//!
//! A node holds the departments of the units it serves, with their dates:
//! - from its departments file (`node.departments`), when one is given;
//! - else, at a node whose parent sent a tree snapshot with departments,
//!   those (kept in `node_meta` across restarts);
//! - else, at the root node of a district (its home unit is a district
//!   with no parent), the standard departments of the district
//!   ([`fengqiao_core::department::standard`]) from the district's
//!   `active_from` (or the deployment's first day of reporting, else
//!   2000-01-01);
//! - else none.
//!
//! The node sends each child node the departments of the units of the
//! child's subtree with its tree snapshot.

pub mod service;

use chrono::NaiveDate;
use fengqiao_core::department::{self, Department, Departments};
use fengqiao_core::{Tier, UnitTree};
use fengqiao_proto::convert_at;
use fengqiao_store::Store;

use crate::{Node, NodeConfig, NodeError};

/// The `node_meta` key of the departments the parent last sent (CSV).
const RECEIVED_KEY: &str = "departments_received";

/// The departments a node starts with (see the module documentation):
/// `tree` as given, `served` restricted to the home unit's subtree.
pub(crate) async fn initial(
    config: &NodeConfig,
    tree: &UnitTree,
    served: &UnitTree,
    store: &dyn Store,
) -> Result<Departments, NodeError> {
    if let Some(file) = &config.departments {
        return Ok(of_subtree(file, served));
    }
    if let Some(csv) = store.get_meta(RECEIVED_KEY).await? {
        return Ok(of_subtree(&Departments::from_csv(&csv)?, served));
    }
    let home = served.root();
    let is_root = tree.get(home.id.as_str()).is_some_and(|unit| unit.parent.is_none());
    if is_root && home.tier == Tier::District {
        let from = home
            .active_from
            .or(config.reporting_start)
            .unwrap_or(NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date"));
        return Ok(Departments::new(department::standard(&home.id, from))?);
    }
    Ok(Departments::default())
}

/// The departments of the units of `tree`.
pub fn of_subtree(departments: &Departments, tree: &UnitTree) -> Departments {
    departments.restricted(|unit| tree.get(unit.as_str()).is_some())
}

/// Takes the departments of a tree snapshot from the parent (of the units
/// of `tree`, the snapshot's), unless this node has its own departments file.
pub(crate) async fn receive(
    node: &Node,
    wire: Vec<fengqiao_proto::pb::Department>,
    tree: &UnitTree,
) -> Result<(), NodeError> {
    if node.config().departments.is_some() {
        return Ok(());
    }
    let all = wire
        .into_iter()
        .enumerate()
        .map(|(i, d)| convert_at(d, &format!("tree.departments[{i}]")))
        .collect::<Result<Vec<Department>, _>>()?;
    let departments = Departments::new(all)?;
    node.store().set_meta(RECEIVED_KEY, &departments.to_csv()).await?;
    node.set_departments(of_subtree(&departments, tree));
    Ok(())
}
