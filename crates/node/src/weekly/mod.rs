//! The weekly resolution work report (化解工作周报告) as a document and
//! accountability actions (责任追究): `fengqiao.v1.WeeklyService`
//! (`service`), what a node knows of approvals (`book`), the steps and
//! actions that travel up and down (`sync`), the evidence of an action and
//! the year in one report (`annual`). The rules are the domain's
//! (`fengqiao_core::weekly`).

pub mod annual;
pub mod book;
pub mod service;
pub mod sync;

use chrono::{DateTime, Utc};
use fengqiao_core::weekly::{Step, StepRecord, Week, ord};
use fengqiao_core::{DomainError, IsoWeek, UnitId, why};
use fengqiao_proto::pb;
use fengqiao_store::WeeklyEventRow;
use prost::Message;

pub use book::Book;
pub use service::WeeklyReports;

use crate::{Node, NodeError};

/// Longest part of a narrative, and of comments, in characters.
pub const MAX_NARRATIVE_CHARS: usize = 4000;
/// Longest reason (withdrawal, unapproval, accountability), in characters.
pub const MAX_REASON_CHARS: usize = 2000;

/// A text field at most `max` characters long.
pub(crate) fn check_length(value: &str, max: usize, field: &str) -> Result<(), DomainError> {
    if value.chars().count() > max {
        return Err(DomainError::invalid(field, why!(TEXT_TOO_LONG, "at most {max} characters", max = max)));
    }
    Ok(())
}

/// The stored row of a step.
pub(crate) fn row_of(event: &pb::WeeklyEvent) -> Result<WeeklyEventRow, DomainError> {
    let week = IsoWeek::parse(&event.iso_week, "iso_week")?;
    UnitId::parse_field(&event.unit_id, "unit_id")?;
    let step = Step::from_number(event.step)
        .ok_or_else(|| DomainError::invalid("step", why!(MUST_BE_SET, "must be set")))?;
    if event.filing == 0 {
        return Err(DomainError::invalid("filing", why!(MUST_BE_SET, "must be set")));
    }
    let at = fengqiao_proto::from_timestamp(event.at, "at")?;
    Ok(WeeklyEventRow {
        unit_id: event.unit_id.clone(),
        week_start: week.monday(),
        ord: ord(event.filing, step),
        step: step.as_str().to_owned(),
        at,
        reviewer: (!event.reviewer_unit_id.is_empty()).then(|| event.reviewer_unit_id.clone()),
        body: event.encode_to_vec(),
    })
}

/// A stored step, decoded.
pub(crate) fn decode(row: &WeeklyEventRow) -> Result<pb::WeeklyEvent, NodeError> {
    pb::WeeklyEvent::decode(row.body.as_slice()).map_err(|error| {
        NodeError::from(fengqiao_store::StoreError::Corrupt(format!(
            "weekly step {}@{}#{} does not decode: {error}",
            row.unit_id, row.week_start, row.ord
        )))
    })
}

/// A unit's week as stored here, with every step's body.
pub(crate) async fn load(
    node: &Node,
    unit: &UnitId,
    week: IsoWeek,
) -> Result<(Week, Vec<pb::WeeklyEvent>), NodeError> {
    let rows = node.store().weekly_events(unit.as_str(), week.monday()).await?;
    let mut events = Vec::with_capacity(rows.len());
    let mut steps = Vec::with_capacity(rows.len());
    for row in &rows {
        let event = decode(row)?;
        let Some((filing, step)) = fengqiao_core::weekly::of_ord(row.ord) else { continue };
        steps.push(StepRecord {
            filing,
            step,
            at: row.at,
            reviewer: row.reviewer.as_deref().and_then(|r| UnitId::parse(r).ok()),
            child_nodes: event
                .filed
                .as_ref()
                .map(|f| f.child_node_unit_ids.iter().filter_map(|c| UnitId::parse(c).ok()).collect())
                .unwrap_or_default(),
        });
        events.push(event);
    }
    Ok((Week::new(unit.clone(), week, steps), events))
}

/// The units below this node that file weekly reports: its child nodes
/// above the group tier (communities, townships: a group's node files
/// daily reports only).
pub fn filing_children(node: &Node) -> Vec<String> {
    let tree = node.tree();
    node.child_nodes()
        .into_iter()
        .filter(|child| tree.get(child).is_some_and(|unit| unit.tier != fengqiao_core::Tier::Group))
        .collect()
}

/// When `week`'s report is due under this node's settings.
pub(crate) fn due_at(node: &Node, week: IsoWeek) -> DateTime<Utc> {
    node.config().weekly_due.due_at(&node.config().time, week)
}

/// The wire's view of a week (history included when `events` is given).
pub(crate) fn report_of(node: &Node, week: &Week, events: Option<Vec<pb::WeeklyEvent>>) -> pb::WeeklyReport {
    let now = node.clock().now();
    let due = due_at(node, week.week);
    let state = match week.state(now, due) {
        fengqiao_core::weekly::State::NotFiled => pb::WeeklyState::NotFiled,
        fengqiao_core::weekly::State::Overdue => pb::WeeklyState::Overdue,
        fengqiao_core::weekly::State::Filed => pb::WeeklyState::Filed,
        fengqiao_core::weekly::State::Withdrawn => pb::WeeklyState::Withdrawn,
        fengqiao_core::weekly::State::Returned => pb::WeeklyState::Returned,
        fengqiao_core::weekly::State::Approved => pb::WeeklyState::Approved,
        fengqiao_core::weekly::State::Unapproved => pb::WeeklyState::Unapproved,
    };
    pb::WeeklyReport {
        unit_id: week.unit.to_string(),
        unit_name: node.tree().get(week.unit.as_str()).map(|u| u.name.clone()).unwrap_or_default(),
        iso_week: week.week.to_string(),
        state: state.into(),
        due_at: Some(fengqiao_proto::timestamp(due)),
        first_filed_at: week.first_filed_at().map(fengqiao_proto::timestamp),
        late: week.late(now, due),
        filing: week.latest_filing(),
        history: events.unwrap_or_default(),
    }
}
