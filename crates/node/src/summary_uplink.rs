//! The sender's side of the summary boundary (`uplink.mode = summaries`):
//! instead of reports and case events, the forwarder sends the absolute
//! state of every (unit, day) they touched, for the home unit and its
//! descendants down to `uplink.summary_depth` tiers (see `RollupState` in
//! uplink.proto).
//!
//! The outbox still records what changed (a report revision, a case event,
//! or at a node fed summaries itself a state it applied); each entry names
//! the (unit, day) keys whose state it changed, and a push carries the
//! state of those keys as the store reads them at that moment, under a
//! version that only grows. Once a day (and for every day since the last
//! time, after a stop) every key of the day is queued anyway, so figures
//! that change with time alone — overdue cases, expected reporters — reach
//! the parent too. No dispute text, no case text and no employer name is
//! read into a state.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, NaiveDate};
use fengqiao_core::UnitId;
use fengqiao_core::summary_state::{RollupState, employer_digest};
use fengqiao_proto::pb::UplinkItem;
use fengqiao_proto::pb::uplink_item::Payload;
use fengqiao_store::{OutboxItem, OutboxPayload, Period};

use crate::forwarder::Built;
use crate::{Node, NodeError};

/// Most (unit, day) states in one push: a state carries its case ids, so
/// this bounds the push's size.
pub const MAX_STATES_PER_PUSH: usize = 64;

/// The `node_meta` key of the last version sent.
const VERSION_KEY: &str = "summary_version";
/// The `node_meta` key of the last day whose keys were all queued.
const TICKED_KEY: &str = "summary_ticked_through";
/// The `node_meta` key of the parent's instance id at the last answer.
const PARENT_INSTANCE_KEY: &str = "summary_parent_instance";

/// After each answer: when the parent's instance changed (it restarted,
/// perhaps on a restored database that lost states), every key since the
/// first day of reporting is queued again at the next push. The parent
/// answers the states it holds already as duplicates; those it lost it
/// applies. This is reconciliation above the boundary.
pub(crate) async fn observe_parent(node: &Node, instance_id: &str) -> Result<(), NodeError> {
    let store = node.store();
    let known = store.get_meta(PARENT_INSTANCE_KEY).await?;
    if known.as_deref() == Some(instance_id) {
        return Ok(());
    }
    if known.is_some() {
        tracing::info!("the parent restarted: its states are sent again from the first day of reporting");
        store.set_meta(TICKED_KEY, "").await?;
    }
    store.set_meta(PARENT_INSTANCE_KEY, instance_id).await?;
    Ok(())
}

/// The state units a change to `unit`'s `day` touches: `unit` and its
/// ancestors, from the home unit down to `depth` tiers below it.
pub fn state_units(node: &Node, unit: &UnitId, day: NaiveDate, depth: u8) -> Vec<UnitId> {
    let tree = node.tree();
    let home = node.config().home_unit.as_str();
    let mut chain: Vec<UnitId> =
        tree.ancestors_on(unit.as_str(), day).into_iter().map(|u| u.id.clone()).collect();
    chain.push(unit.clone());
    let Some(at) = chain.iter().position(|u| u.as_str() == home) else { return Vec::new() };
    chain.into_iter().skip(at).take(usize::from(depth) + 1).collect()
}

/// Every state unit of `day`: the home unit and its descendants in the
/// tree that day, down to `depth` tiers.
pub fn all_state_units(node: &Node, day: NaiveDate, depth: u8) -> Vec<UnitId> {
    let coverage = node.coverage();
    let Ok(home) = UnitId::parse(&node.config().home_unit) else { return Vec::new() };
    let mut units = vec![home.clone()];
    let mut level = vec![home];
    for _ in 0..depth {
        let next: Vec<UnitId> =
            level.iter().flat_map(|u| coverage.children_in(u.as_str(), day, day)).map(|(id, _)| id).collect();
        units.extend(next.iter().cloned());
        level = next;
    }
    units
}

/// The push for `entries`: their keys' states (at most
/// [`MAX_STATES_PER_PUSH`]), each item carrying the entries that named it;
/// entries naming no key (weekly steps, accountability actions: not sent
/// above the boundary) are cleared.
pub(crate) async fn build(node: &Node, entries: &[OutboxItem], depth: u8) -> Result<Built, NodeError> {
    tick(node, depth).await?;
    let mut keys: BTreeMap<(UnitId, NaiveDate), Vec<i64>> = BTreeMap::new();
    let mut cleared = Vec::new();
    let mut consumed = 0;
    for entry in entries {
        let touched = match &entry.payload {
            OutboxPayload::Report(stored) => {
                state_units(node, stored.report.unit_id(), stored.report.date(), depth)
                    .into_iter()
                    .map(|u| (u, stored.report.date()))
                    .collect()
            }
            // A case event may change any figure of its day anywhere in
            // the subtree (a case counts at its units' ancestors).
            OutboxPayload::CaseEvent(event) => {
                all_state_units(node, event.on, depth).into_iter().map(|u| (u, event.on)).collect()
            }
            OutboxPayload::Summary { unit_id, day } => {
                state_units(node, unit_id, *day, depth).into_iter().map(|u| (u, *day)).collect()
            }
            OutboxPayload::Weekly(_) | OutboxPayload::Accountability(_) => Vec::new(),
        };
        let new: usize = touched.iter().filter(|k| !keys.contains_key(*k)).count();
        if keys.len() + new > MAX_STATES_PER_PUSH && !keys.is_empty() {
            break;
        }
        consumed += 1;
        if touched.is_empty() {
            cleared.push(entry.id);
        }
        for key in touched {
            keys.entry(key).or_default().push(entry.id);
        }
    }
    let version = next_version(node).await?;
    let states = read_states(node, keys.keys().cloned().collect(), version).await?;
    let mut items = Vec::with_capacity(states.len());
    let mut carriers = HashMap::new();
    for (sequence, (state, ids)) in states.into_iter().zip(keys.into_values()).enumerate() {
        let sequence = sequence as u64 + 1;
        carriers.insert(sequence, ids);
        items.push(UplinkItem {
            sequence,
            payload: Some(Payload::RollupState(fengqiao_proto::rollup_state_to_pb(&state))),
            trace_parent: String::new(),
        });
    }
    Ok(Built { items, carriers, cleared, consumed })
}

/// A version above every one sent before: the clock in microseconds, or
/// one more than the last when the clock has not moved on (or went back).
async fn next_version(node: &Node) -> Result<u64, NodeError> {
    let last: u64 = node.store().get_meta(VERSION_KEY).await?.and_then(|v| v.parse().ok()).unwrap_or(0);
    let now = node.clock().now().timestamp_micros().max(0) as u64;
    let version = now.max(last + 1);
    node.store().set_meta(VERSION_KEY, &version.to_string()).await?;
    Ok(version)
}

/// Queues every state unit's key of each day since the last day queued
/// (from the first day of reporting, or today, the first time) up to today.
async fn tick(node: &Node, depth: u8) -> Result<(), NodeError> {
    let today = node.config().time.local_date(node.clock().now());
    let ticked: Option<NaiveDate> =
        node.store().get_meta(TICKED_KEY).await?.and_then(|v| NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok());
    if ticked.is_some_and(|t| t >= today) {
        return Ok(());
    }
    let first = match ticked {
        Some(t) => t + Duration::days(1),
        None => node.coverage().start().unwrap_or(today).min(today),
    };
    let mut keys = Vec::new();
    for day in first.iter_days().take_while(|d| *d <= today) {
        keys.extend(all_state_units(node, day, depth).into_iter().map(|u| (u, day)));
    }
    node.store().enqueue_summary_keys(&keys, node.clock().now()).await?;
    node.store().set_meta(TICKED_KEY, &today.to_string()).await?;
    Ok(())
}

/// The states of `keys` as this node reads them now.
pub async fn read_states(
    node: &Node,
    keys: Vec<(UnitId, NaiveDate)>,
    version: u64,
) -> Result<Vec<RollupState>, NodeError> {
    let summary_fed = node.summary_fed();
    let coverage = node.coverage();
    let store = node.store();
    let secret = &node.config().cases.petitioner_secret;
    let mut by_day: BTreeMap<NaiveDate, Vec<UnitId>> = BTreeMap::new();
    for (unit, day) in &keys {
        by_day.entry(*day).or_default().push(unit.clone());
    }
    let mut states: HashMap<(UnitId, NaiveDate), RollupState> = HashMap::new();
    for (day, units) in by_day {
        for unit in &units {
            let mut state = RollupState::empty(unit.clone(), day);
            state.version = version;
            states.insert((unit.clone(), day), state);
        }
        for row in store.rollups(Period::Day, &units, day, day).await? {
            if let Some(state) = states.get_mut(&(row.unit_id.clone(), day)) {
                state.tally = row.tally;
            }
        }
        let expected: Vec<i64> = if summary_fed {
            let items: Vec<(UnitId, NaiveDate, NaiveDate)> =
                units.iter().map(|u| (u.clone(), day, day)).collect();
            store.expected_sums(&items).await?
        } else {
            units.iter().map(|u| coverage.expected(u.as_str(), day, day)).collect()
        };
        for (unit, expected) in units.iter().zip(expected) {
            if let Some(state) = states.get_mut(&(unit.clone(), day)) {
                state.tally.expected = expected;
            }
        }
        for (unit, employer, reports) in store.employer_counts(&units, day).await? {
            // Names stay here; a node fed summaries holds keys already.
            let key = if summary_fed { employer } else { employer_digest(secret, &employer) };
            if let Some(state) = states.get_mut(&(unit, day)) {
                *state.employers.entry(key).or_default() += reports;
            }
        }
        let cases = if summary_fed {
            store.held_case_keys(&units, day).await?
        } else {
            store.case_keys(&units, day).await?
        };
        for (unit, figure, case) in cases {
            if let Some(state) = states.get_mut(&(unit, day)) {
                state.cases.entry(figure).or_insert_with(BTreeSet::new).insert(case);
            }
        }
    }
    Ok(keys.into_iter().filter_map(|key| states.remove(&key)).collect())
}
