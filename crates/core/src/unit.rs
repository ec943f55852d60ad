//! The unit tree: district → township → community → group, with the dates
//! each unit is active.

use crate::why;
use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// Longest unit id accepted.
pub const MAX_UNIT_ID_LEN: usize = 64;
/// Longest unit name accepted, in characters.
pub const MAX_UNIT_NAME_CHARS: usize = 200;

/// An opaque unit id: 1–64 characters of `A–Z a–z 0–9 - _ .`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnitId(String);

impl UnitId {
    /// Parses an id, naming `field` in the error.
    pub fn parse_field(value: &str, field: &str) -> Result<Self, DomainError> {
        if value.is_empty() {
            return Err(DomainError::invalid(field, why!(MUST_NOT_BE_EMPTY, "must not be empty")));
        }
        if value.len() > MAX_UNIT_ID_LEN {
            return Err(DomainError::invalid(
                field,
                why!(MUST_BE_AT_MOST_CHARACTERS, "must be at most {max} characters", max = MAX_UNIT_ID_LEN),
            ));
        }
        if !value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
            return Err(DomainError::invalid(
                field,
                why!(MAY_HOLD_ONLY_LETTERS_DIGITS, "may hold only letters, digits, '-', '_' and '.'"),
            ));
        }
        Ok(UnitId(value.to_owned()))
    }

    pub fn parse(value: &str) -> Result<Self, DomainError> {
        Self::parse_field(value, "unit_id")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UnitId {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        UnitId::parse(&value)
    }
}

impl From<UnitId> for String {
    fn from(id: UnitId) -> String {
        id.0
    }
}

// Hash, Eq and Ord of UnitId are those of its string, so maps keyed by
// UnitId can be searched with a &str.
impl std::borrow::Borrow<str> for UnitId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The four tiers, root first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The country (全国): the root of the national summary tree.
    Nation,
    /// A province-level unit (省、自治区、直辖市).
    Province,
    /// A prefecture-level city (地级市) or its equivalent.
    City,
    District,
    Township,
    Community,
    Group,
}

impl Tier {
    pub const ALL: [Tier; 7] = [
        Tier::Nation,
        Tier::Province,
        Tier::City,
        Tier::District,
        Tier::Township,
        Tier::Community,
        Tier::Group,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Nation => "nation",
            Tier::Province => "province",
            Tier::City => "city",
            Tier::District => "district",
            Tier::Township => "township",
            Tier::Community => "community",
            Tier::Group => "group",
        }
    }

    pub fn parse(value: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|tier| tier.as_str() == value)
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One unit of the official tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub parent: Option<UnitId>,
    pub tier: Tier,
    pub name: String,
    /// Whether the unit files daily reports.
    pub reporting: bool,
    /// First active day (inclusive); `None` when it always was.
    pub active_from: Option<NaiveDate>,
    /// Last active day (inclusive); `None` while open.
    pub active_to: Option<NaiveDate>,
    /// Earlier parents, oldest first: before each move's date the unit sat
    /// under that move's `from_parent`; from the last move on, under `parent`.
    pub moves: Vec<Move>,
}

/// A dated change of parent: before `on`, the unit's parent was
/// `from_parent` — or, when `None`, a unit outside this tree (a node's own
/// tree records the days a unit spent elsewhere this way).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Move {
    pub on: NaiveDate,
    pub from_parent: Option<UnitId>,
}

/// Moves as written in tree files and storage: `PARENT@YYYY-MM-DD`, `;`-separated.
pub fn format_moves(moves: &[Move]) -> String {
    moves
        .iter()
        .map(|m| format!("{}@{}", m.from_parent.as_ref().map_or("", UnitId::as_str), m.on))
        .collect::<Vec<_>>()
        .join(";")
}

/// Reads [`format_moves`]' form, naming `field` in errors.
pub fn parse_moves(text: &str, field: &str) -> Result<Vec<Move>, DomainError> {
    text.split(';')
        .filter(|entry| !entry.trim().is_empty())
        .map(|entry| {
            let (from_parent, on) = entry.trim().split_once('@').ok_or_else(|| {
                DomainError::invalid(
                    field,
                    why!(
                        EXPECTED_PARENT_YYYY_MM_DD,
                        "\"{entry}\": expected PARENT@YYYY-MM-DD",
                        entry = entry
                    ),
                )
            })?;
            Ok(Move {
                on: crate::time::parse_date(on, field)?,
                from_parent: match from_parent {
                    "" => None,
                    id => Some(UnitId::parse_field(id, field)?),
                },
            })
        })
        .collect()
}

impl Unit {
    /// The unit's parent on `date` (moves are dated: a moved unit keeps its
    /// history under its old parent for the days before the move).
    pub fn parent_on(&self, date: NaiveDate) -> Option<&UnitId> {
        match self.moves.iter().find(|m| date < m.on) {
            Some(moved) => moved.from_parent.as_ref(),
            None => self.parent.as_ref(),
        }
    }

    /// Whether the unit exists (is open) on `date`.
    pub fn is_active_on(&self, date: NaiveDate) -> bool {
        self.active_from.is_none_or(|from| from <= date) && self.active_to.is_none_or(|to| date <= to)
    }

    /// Whether the unit is expected to report on `date`.
    pub fn expected_on(&self, date: NaiveDate) -> bool {
        self.reporting && self.is_active_on(date)
    }

    /// Checks the unit on its own (the tree checks parents and tiers);
    /// field paths are relative to the unit.
    pub fn validate(&self) -> Result<(), DomainError> {
        let name_chars = self.name.chars().count();
        if name_chars == 0 || name_chars > MAX_UNIT_NAME_CHARS {
            return Err(DomainError::invalid(
                "name",
                why!(MUST_BE_1_CHARACTERS, "must be 1 to {max} characters", max = MAX_UNIT_NAME_CHARS),
            ));
        }
        if self.moves.windows(2).any(|pair| pair[1].on <= pair[0].on) {
            return Err(DomainError::invalid(
                "moves",
                why!(MUST_BE_IN_DATE_ORDER_ONE, "must be in date order, one move a day at most"),
            ));
        }
        if let (Some(from), Some(to)) = (self.active_from, self.active_to)
            && to < from
        {
            return Err(DomainError::invalid(
                "active_to",
                why!(BEFORE_ACTIVE_FROM, "{to} is before active_from {from}", to = to, from = from),
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct Node {
    unit: Unit,
    parent: Option<usize>,
    children: Vec<usize>,
    depth: usize,
}

/// A validated tree: one root, every parent present, no cycles, each child
/// on a deeper tier than its parent, children ordered by id.
#[derive(Debug, Clone)]
pub struct UnitTree {
    nodes: Vec<Node>,
    index: HashMap<UnitId, usize>,
    root: usize,
}

impl UnitTree {
    /// Builds and validates a tree from its units, in any order.
    pub fn from_units(units: Vec<Unit>) -> Result<Self, DomainError> {
        let mut index = HashMap::with_capacity(units.len());
        for (position, unit) in units.iter().enumerate() {
            unit.validate().map_err(|e| e.within(&format!("unit {}", unit.id)))?;
            if index.insert(unit.id.clone(), position).is_some() {
                return Err(DomainError::invalid(
                    "tree",
                    why!(UNIT_APPEARS_TWICE, "unit {unit} appears twice", unit = unit.id),
                ));
            }
        }
        let mut nodes: Vec<Node> = units
            .into_iter()
            .map(|unit| Node { unit, parent: None, children: Vec::new(), depth: 0 })
            .collect();
        let mut root = None;
        for position in 0..nodes.len() {
            match nodes[position].unit.parent.clone() {
                None => {
                    if let Some(existing) = root {
                        let existing: &Node = &nodes[existing];
                        return Err(DomainError::invalid(
                            "tree",
                            why!(
                                TWO_ROOTS,
                                "two roots: {unit} and {other}",
                                unit = existing.unit.id,
                                other = nodes[position].unit.id
                            ),
                        ));
                    }
                    root = Some(position);
                }
                Some(parent_id) => {
                    let Some(&parent) = index.get(&parent_id) else {
                        return Err(DomainError::invalid(
                            "tree",
                            why!(
                                UNIT_NAMES_PARENT_WHICH_NOT_IN,
                                "unit {unit} names parent {parent_id}, which is not in the tree",
                                unit = nodes[position].unit.id,
                                parent_id = parent_id
                            ),
                        ));
                    };
                    if nodes[parent].unit.tier >= nodes[position].unit.tier {
                        return Err(DomainError::invalid(
                            "tree",
                            why!(
                                UNIT_CANNOT_SIT_UNDER,
                                "unit {unit} ({tier}) cannot sit under {parent} ({parent_tier})",
                                unit = nodes[position].unit.id,
                                tier = nodes[position].unit.tier,
                                parent = parent_id,
                                parent_tier = nodes[parent].unit.tier
                            ),
                        ));
                    }
                    nodes[position].parent = Some(parent);
                    nodes[parent].children.push(position);
                }
            }
        }
        let Some(root) = root else {
            return Err(DomainError::invalid(
                "tree",
                why!(HAS_NO_ROOT_UNIT_WITHOUT_PARENT, "has no root (a unit without a parent)"),
            ));
        };
        for node in &nodes {
            for moved in &node.unit.moves {
                let Some(from_parent) = &moved.from_parent else { continue };
                let Some(&from) = index.get(from_parent) else {
                    return Err(DomainError::invalid(
                        "tree",
                        why!(
                            UNIT_MOVED_FROM_WHICH_NOT_IN,
                            "unit {unit} moved from {from_parent}, which is not in the tree",
                            unit = node.unit.id,
                            from_parent = from_parent
                        ),
                    ));
                };
                if nodes[from].unit.tier >= node.unit.tier {
                    return Err(DomainError::invalid(
                        "tree",
                        why!(
                            UNIT_CANNOT_HAVE_SAT_UNDER,
                            "unit {unit} cannot have sat under {from_parent}",
                            unit = node.unit.id,
                            from_parent = from_parent
                        ),
                    ));
                }
            }
        }
        // Tiers strictly deepen along every edge, so there can be no cycle;
        // still, every unit must be reachable from the root.
        let mut stack = vec![root];
        let mut reached = 0;
        while let Some(position) = stack.pop() {
            reached += 1;
            let depth = nodes[position].depth;
            let mut children = std::mem::take(&mut nodes[position].children);
            children.sort_by(|a, b| nodes[*a].unit.id.cmp(&nodes[*b].unit.id));
            for &child in &children {
                nodes[child].depth = depth + 1;
                stack.push(child);
            }
            nodes[position].children = children;
        }
        if reached != nodes.len() {
            return Err(DomainError::invalid(
                "tree",
                why!(SOME_UNITS_ARE_NOT_CONNECTED_ROOT, "some units are not connected to the root"),
            ));
        }
        Ok(UnitTree { nodes, index, root })
    }

    /// Parses the tree file: a CSV with the header
    /// `code,parent_code,tier,name` and optionally `reporting,active_from,active_to`
    /// (`reporting` is `true`/`false`, default true; dates `YYYY-MM-DD` or empty).
    pub fn from_csv(text: &str) -> Result<Self, DomainError> {
        #[derive(Deserialize)]
        struct Row {
            code: String,
            parent_code: String,
            tier: String,
            name: String,
            #[serde(default)]
            reporting: Option<String>,
            #[serde(default)]
            active_from: Option<String>,
            #[serde(default)]
            active_to: Option<String>,
            #[serde(default)]
            moves: Option<String>,
        }
        let mut reader =
            csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
        let mut units = Vec::new();
        for (line, row) in reader.deserialize::<Row>().enumerate() {
            let field = |name: &str| format!("tree line {}: {name}", line + 2);
            let row = row.map_err(|error| {
                DomainError::invalid(field("row"), why!(TREE_ROW_UNREADABLE, "{error}", error = error))
            })?;
            let id = UnitId::parse_field(&row.code, &field("code"))?;
            let parent = match row.parent_code.as_str() {
                "" => None,
                code => Some(UnitId::parse_field(code, &field("parent_code"))?),
            };
            let tier = Tier::parse(&row.tier).ok_or_else(|| {
                DomainError::invalid(
                    field("tier"),
                    why!(
                        MUST_BE_DISTRICT_TOWNSHIP_COMMUNITY_GROUP,
                        "must be district, township, community or group"
                    ),
                )
            })?;
            let reporting = match row.reporting.as_deref().unwrap_or("") {
                "" | "true" | "1" => true,
                "false" | "0" => false,
                _ => {
                    return Err(DomainError::invalid(
                        field("reporting"),
                        why!(MUST_BE_TRUE_FALSE, "must be true or false"),
                    ));
                }
            };
            let date = |value: Option<String>, name: &str| -> Result<Option<NaiveDate>, DomainError> {
                match value.as_deref().unwrap_or("") {
                    "" => Ok(None),
                    text => crate::time::parse_date(text, &field(name)).map(Some),
                }
            };
            let moves = parse_moves(row.moves.as_deref().unwrap_or(""), &field("moves"))?;
            units.push(Unit {
                id,
                parent,
                tier,
                name: row.name,
                reporting,
                active_from: date(row.active_from, "active_from")?,
                active_to: date(row.active_to, "active_to")?,
                moves,
            });
        }
        UnitTree::from_units(units)
    }

    /// Writes the tree in the format [`UnitTree::from_csv`] reads, root first,
    /// depth-first.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let header =
            ["code", "parent_code", "tier", "name", "reporting", "active_from", "active_to", "moves"];
        writer.write_record(header).expect("writing to memory");
        for unit in self.subtree(self.root_id().as_str()).expect("root is in the tree") {
            let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            writer
                .write_record([
                    unit.id.as_str(),
                    unit.parent.as_ref().map_or("", UnitId::as_str),
                    unit.tier.as_str(),
                    &unit.name,
                    if unit.reporting { "true" } else { "false" },
                    &date(unit.active_from),
                    &date(unit.active_to),
                    &format_moves(&unit.moves),
                ])
                .expect("writing to memory");
        }
        String::from_utf8(writer.into_inner().expect("writing to memory")).expect("csv of utf-8 is utf-8")
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn root(&self) -> &Unit {
        &self.nodes[self.root].unit
    }

    pub fn root_id(&self) -> &UnitId {
        &self.nodes[self.root].unit.id
    }

    pub fn get(&self, id: &str) -> Option<&Unit> {
        self.position(id).map(|position| &self.nodes[position].unit)
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Depth below the root (the root is 0).
    pub fn depth(&self, id: &str) -> Option<usize> {
        self.position(id).map(|position| self.nodes[position].depth)
    }

    /// Direct children of `id`, by id.
    pub fn children(&self, id: &str) -> Vec<&Unit> {
        self.position(id)
            .map(|position| self.nodes[position].children.iter().map(|&c| &self.nodes[c].unit).collect())
            .unwrap_or_default()
    }

    /// Ancestors of `id`, root first, without `id` itself.
    pub fn ancestors(&self, id: &str) -> Vec<&Unit> {
        let mut chain = Vec::new();
        let mut current = self.position(id).and_then(|position| self.nodes[position].parent);
        while let Some(position) = current {
            chain.push(&self.nodes[position].unit);
            current = self.nodes[position].parent;
        }
        chain.reverse();
        chain
    }

    /// Ancestors of `id` on `date` (following dated moves), root first.
    pub fn ancestors_on(&self, id: &str, date: NaiveDate) -> Vec<&Unit> {
        let mut chain = Vec::new();
        let mut current = self.get(id).and_then(|u| u.parent_on(date));
        // Tiers deepen along every edge, so a chain has at most four links.
        while let Some(parent) = current
            && chain.len() < Tier::ALL.len()
        {
            let Some(unit) = self.get(parent.as_str()) else { break };
            chain.push(unit);
            current = unit.parent_on(date);
        }
        chain.reverse();
        chain
    }

    /// Whether `id` is `ancestor` or lay below it on `date`.
    pub fn is_within_on(&self, id: &str, ancestor: &str, date: NaiveDate) -> bool {
        id == ancestor || self.ancestors_on(id, date).iter().any(|u| u.id.as_str() == ancestor)
    }

    /// Every date on which some unit changed parent.
    pub fn move_dates(&self) -> Vec<NaiveDate> {
        let mut dates: Vec<NaiveDate> =
            self.nodes.iter().flat_map(|n| n.unit.moves.iter().map(|m| m.on)).collect();
        dates.sort_unstable();
        dates.dedup();
        dates
    }

    /// Whether `id` is `ancestor` or lies below it.
    pub fn is_within(&self, id: &str, ancestor: &str) -> bool {
        let Some(target) = self.position(ancestor) else {
            return false;
        };
        let mut current = self.position(id);
        while let Some(position) = current {
            if position == target {
                return true;
            }
            current = self.nodes[position].parent;
        }
        false
    }

    /// The subtree rooted at `id`, depth-first, a unit before its children and
    /// children by id; `None` when `id` is not in the tree.
    pub fn subtree(&self, id: &str) -> Option<Vec<&Unit>> {
        let start = self.position(id)?;
        let mut out = Vec::new();
        let mut stack = vec![start];
        while let Some(position) = stack.pop() {
            out.push(&self.nodes[position].unit);
            stack.extend(self.nodes[position].children.iter().rev());
        }
        Some(out)
    }

    /// The subtree rooted at `id` as a tree of its own (what a node serves).
    ///
    /// Units that moved are seen from the subtree: a unit that has moved out
    /// stays, under its last parent here, closed from the day it left (its
    /// history before the move belongs here); a unit that moved in is open
    /// from the day it arrived; moves within the subtree are kept.
    pub fn restricted_to(&self, id: &str) -> Option<UnitTree> {
        let current: Vec<&Unit> = self.subtree(id)?;
        let dates = self.move_dates();
        let day_before = |d: NaiveDate| d.pred_opt().unwrap_or(d);
        // Every membership interval starts or ends on a move date.
        let checkpoints: Vec<NaiveDate> = dates.iter().flat_map(|&d| [day_before(d), d]).collect();
        let within = |unit: &Unit, date: NaiveDate| self.is_within_on(unit.id.as_str(), id, date);
        let mut members: HashMap<&str, Unit> =
            current.iter().map(|u| (u.id.as_str(), (*u).clone())).collect();
        for unit in self.units() {
            if members.contains_key(unit.id.as_str()) {
                continue;
            }
            let Some(&last_inside) = checkpoints.iter().filter(|&&d| within(unit, d)).max() else { continue };
            let left = dates.iter().copied().find(|&d| d > last_inside && !within(unit, d));
            let mut former = unit.clone();
            former.parent = unit.parent_on(last_inside).cloned();
            if let Some(left) = left {
                // From the day it left for good, it is closed here.
                let closed = day_before(left);
                former.active_to = Some(former.active_to.map_or(closed, |to| to.min(closed)));
                former.moves.retain(|m| m.on <= left);
            }
            members.insert(unit.id.as_str(), former);
        }
        let member_ids: std::collections::HashSet<UnitId> = members.values().map(|u| u.id.clone()).collect();
        let mut units: Vec<Unit> = Vec::with_capacity(members.len());
        for unit in self.units() {
            let Some(mut unit) = members.remove(unit.id.as_str()) else { continue };
            // Days spent under a parent outside the subtree are days elsewhere.
            for moved in &mut unit.moves {
                if moved.from_parent.as_ref().is_some_and(|p| !member_ids.contains(p)) {
                    moved.from_parent = None;
                }
            }
            units.push(unit);
        }
        let root = units.iter_mut().find(|u| u.id.as_str() == id).expect("the root is a member");
        root.parent = None;
        root.moves.clear();
        // Should a tangle of moves in and out ever leave a reference outside
        // the subtree, fall back to today's subtree without its history
        // rather than fail: a node must always get a tree.
        UnitTree::from_units(units).ok().or_else(|| {
            let members: Vec<Unit> = current.into_iter().cloned().collect();
            let ids: std::collections::HashSet<UnitId> = members.iter().map(|u| u.id.clone()).collect();
            let units = members
                .into_iter()
                .map(|mut unit| {
                    if unit.id.as_str() == id {
                        unit.parent = None;
                    }
                    unit.moves.retain(|m| m.from_parent.as_ref().is_some_and(|p| ids.contains(p)));
                    unit
                })
                .collect();
            UnitTree::from_units(units).ok()
        })
    }

    /// Every unit, depth-first from the root.
    pub fn units(&self) -> Vec<&Unit> {
        self.subtree(self.root_id().as_str()).expect("root is in the tree")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "code,parent_code,tier,name\n\
        410411,,district,湛河区\n\
        410411001,410411,township,马庄街道\n\
        410411001002,410411001,community,平高社区居民委员会\n\
        410411001001,410411001,community,电力社区居民委员会\n\
        410411001001001,410411001001,group,1号楼\n\
        410411002,410411,township,南环路街道\n";

    #[test]
    fn parses_and_orders_depth_first() {
        let tree = UnitTree::from_csv(SAMPLE).unwrap();
        let ids: Vec<&str> = tree.units().iter().map(|u| u.id.as_str()).collect();
        assert_eq!(
            ids,
            ["410411", "410411001", "410411001001", "410411001001001", "410411001002", "410411002"]
        );
        assert!(tree.is_within("410411001001001", "410411001"));
        assert!(!tree.is_within("410411001001001", "410411002"));
        assert_eq!(tree.ancestors("410411001001001").len(), 3);
        assert_eq!(tree.depth("410411001001001"), Some(3));
        let again = UnitTree::from_csv(&tree.to_csv()).unwrap();
        assert_eq!(again.len(), tree.len());
    }

    #[test]
    fn rejects_broken_trees() {
        let orphan = "code,parent_code,tier,name\n1,,district,a\n2,9,township,b\n";
        assert!(matches!(UnitTree::from_csv(orphan), Err(DomainError::Invalid { .. })));
        let two_roots = "code,parent_code,tier,name\n1,,district,a\n2,,district,b\n";
        assert!(UnitTree::from_csv(two_roots).is_err());
        let upside_down = "code,parent_code,tier,name\n1,,district,a\n2,1,district,b\n";
        assert!(UnitTree::from_csv(upside_down).is_err());
        let duplicate = "code,parent_code,tier,name\n1,,district,a\n1,,district,b\n";
        assert!(UnitTree::from_csv(duplicate).is_err());
        let bad_dates = "code,parent_code,tier,name,reporting,active_from,active_to\n1,,district,a,true,2026-02-01,2026-01-01\n";
        assert!(UnitTree::from_csv(bad_dates).is_err());
    }

    const MOVED: &str = "code,parent_code,tier,name,reporting,active_from,active_to,moves\n\
        1,,district,d,true,,,\n\
        11,1,township,a,true,,,\n\
        12,1,township,b,true,,,\n\
        111,11,community,a1,true,,,\n\
        121,12,community,b1,true,,,\n\
        1111,121,group,g,true,,,111@2026-07-01\n";

    #[test]
    fn a_moved_unit_keeps_its_history_under_its_old_parent() {
        let tree = UnitTree::from_csv(MOVED).unwrap();
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert!(tree.is_within_on("1111", "11", day(6, 30)));
        assert!(!tree.is_within_on("1111", "11", day(7, 1)));
        assert!(tree.is_within_on("1111", "12", day(7, 1)));
        assert!(tree.is_within("1111", "12"), "today it sits under b");
        let ids = |t: &UnitTree| t.units().iter().map(|u| u.id.to_string()).collect::<Vec<_>>();
        // Township a keeps the group, closed from the day it left.
        let a = tree.restricted_to("11").unwrap();
        assert_eq!(ids(&a), ["11", "111", "1111"]);
        assert_eq!(a.get("1111").unwrap().active_to, Some(day(6, 30)));
        assert_eq!(a.get("1111").unwrap().parent.as_ref().unwrap().as_str(), "111");
        // Township b has it from the day it arrived.
        let b = tree.restricted_to("12").unwrap();
        assert_eq!(ids(&b), ["12", "121", "1111"]);
        assert!(!b.is_within_on("1111", "12", day(6, 30)), "before it arrived it was elsewhere");
        assert!(b.is_within_on("1111", "12", day(7, 1)));
        assert_eq!(b.get("1111").unwrap().moves, [Move { on: day(7, 1), from_parent: None }]);
        // The district keeps the dated move; the file round-trips.
        let again = UnitTree::from_csv(&tree.to_csv()).unwrap();
        assert_eq!(again.get("1111").unwrap().moves, tree.get("1111").unwrap().moves);
        assert_eq!(tree.restricted_to("1").unwrap().get("1111").unwrap().moves.len(), 1);
        let bad = MOVED.replace("111@2026-07-01", "999@2026-07-01");
        assert!(UnitTree::from_csv(&bad).is_err(), "a move from an unknown unit");
    }

    proptest::proptest! {
        /// Whatever the moves, a node's own tree keeps every unit that lay in
        /// its subtree on a day, active and under it on that day.
        #[test]
        fn restricted_trees_keep_history(
            moves in proptest::collection::vec((0usize..8, proptest::collection::vec((0usize..4, 1u32..60), 0..3)), 0..8),
        ) {
            let mut csv = String::from("code,parent_code,tier,name,reporting,active_from,active_to,moves\n1,,district,d,true,,,\n");
            let communities = ["111", "112", "121", "122"];
            for township in ["11", "12"] {
                csv.push_str(&format!("{township},1,township,t,true,,,\n"));
            }
            for community in communities {
                csv.push_str(&format!("{community},{},community,c,true,,,\n", &community[..2]));
            }
            let base = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
            for group in 0..8usize {
                let mut history: Vec<(usize, u32)> =
                    moves.iter().filter(|(g, _)| *g == group).flat_map(|(_, m)| m.clone()).collect();
                history.sort_by_key(|(_, day)| *day);
                history.dedup_by_key(|(_, day)| *day);
                let current = communities[group % 4];
                let encoded: Vec<String> = history
                    .iter()
                    .map(|(from, day)| format!("{}@{}", communities[*from], base + chrono::Duration::days(i64::from(*day))))
                    .collect();
                csv.push_str(&format!("9{group},{current},group,g,true,,,{}\n", encoded.join(";")));
            }
            let tree = UnitTree::from_csv(&csv).unwrap();
            for root in ["11", "12", "111", "112", "121", "122"] {
                let own = tree.restricted_to(root).expect("a node always gets a tree");
                for offset in 0..62 {
                    let day = base + chrono::Duration::days(offset);
                    for unit in tree.units() {
                        if tree.is_within_on(unit.id.as_str(), root, day) {
                            let kept = own.get(unit.id.as_str());
                            proptest::prop_assert!(kept.is_some(), "{} lost from {root}", unit.id);
                            proptest::prop_assert!(kept.unwrap().is_active_on(day), "{} closed in {root} on {day}", unit.id);
                            proptest::prop_assert!(own.is_within_on(unit.id.as_str(), root, day));
                        } else if own.get(unit.id.as_str()).is_some_and(|u| u.is_active_on(day)) {
                            proptest::prop_assert!(
                                !own.is_within_on(unit.id.as_str(), root, day),
                                "{} invented under {root} on {day}", unit.id
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn activity_is_inclusive() {
        let text = "code,parent_code,tier,name,reporting,active_from,active_to\n1,,district,a,true,2026-03-02,2026-03-04\n";
        let tree = UnitTree::from_csv(text).unwrap();
        let unit = tree.root();
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        assert!(!unit.is_active_on(day(1)));
        assert!(unit.is_active_on(day(2)));
        assert!(unit.is_active_on(day(4)));
        assert!(!unit.is_active_on(day(5)));
    }
}
