//! `fengqiao accountability record|list`: accountability actions (责任追究
//! — 通报批评, 约谈, 通报表扬) against units below the node, each with its
//! evidence (the unit's scorecard place, missing reports, overdue cases of
//! the period) frozen when it was recorded, over `fengqiao.v1.WeeklyService`.
//! `--json` prints [`ActionView`]s (the wire message, kinds by identifier,
//! instants in the deployment's zone, the place as the summary's read model).

use anyhow::Result;
use chrono_tz::Tz;
use comfy_table::CellAlignment;
use fengqiao_core::actor::Actor;
use fengqiao_core::read::{Moment, ScorecardPlace};
use fengqiao_proto::pb;
use serde::Serialize;

use crate::commands::case::names::{name_of, parse_name};
use crate::connection::{Connection, out, refused};
use crate::render::time_fmt;
use crate::tr;

#[derive(Debug, clap::Subcommand)]
pub enum AccountabilityCommand {
    /// Record an action against a unit below the node; its evidence is frozen now and a notice
    /// goes to the unit and every unit between (leaders).
    Record(RecordArgs),
    /// The actions against a unit and the units below it in a year, with the counts per kind.
    List(ListArgs),
}

/// `fengqiao accountability …`.
pub async fn run(command: AccountabilityCommand) -> Result<()> {
    match command {
        AccountabilityCommand::Record(args) => record(args).await,
        AccountabilityCommand::List(args) => list(args).await,
    }
}

#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit, strictly below the node's own.
    #[arg(long)]
    pub unit: String,
    /// criticism (通报批评), admonition (约谈) or commendation (通报表扬).
    #[arg(long, value_parser = parse_name::<pb::AccountabilityKind>)]
    pub kind: pb::AccountabilityKind,
    /// Why (required, at most 2000 characters, no personal data).
    #[arg(long)]
    pub reason: String,
    /// First day of the evidence: YYYY-MM-DD, today or yesterday.
    #[arg(long)]
    pub from: String,
    /// Last day of the evidence, inclusive (at most 366 days after --from).
    #[arg(long)]
    pub to: String,
    /// Print the action as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao accountability record`.
async fn record(args: RecordArgs) -> Result<()> {
    let connection = &args.connection;
    let (from, to) = (connection.date(&args.from, "--from")?, connection.date(&args.to, "--to")?);
    let zone = connection.zone_policy()?.zone;
    let request = pb::RecordAccountabilityRequest {
        unit_id: args.unit.clone(),
        kind: args.kind.into(),
        reason: args.reason,
        from_date: from.to_string(),
        to_date: to.to_string(),
    };
    let answer =
        connection.weekly().await?.record_accountability(request).await.map_err(refused)?.into_inner();
    let action = answer.action.unwrap_or_default();
    if args.json {
        println!("{}", serde_json::to_string(&ActionView::of(&action, &zone)?)?);
    } else {
        println!(
            "{}",
            tr!(
                "accountability-recorded",
                id = &action.action_id,
                kind = kind_text(action.kind),
                unit = &action.unit_id,
                name = &action.unit_name,
                rank = rank_text(&action)
            )
        );
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit: actions against it and the units below it.
    #[arg(long)]
    pub unit: String,
    /// The calendar year the actions were recorded in.
    #[arg(long)]
    pub year: u32,
    /// Only this kind: criticism, admonition or commendation.
    #[arg(long, value_parser = parse_name::<pb::AccountabilityKind>)]
    pub kind: Option<pb::AccountabilityKind>,
    /// Print the actions and counts as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao accountability list`.
async fn list(args: ListArgs) -> Result<()> {
    let zone = args.connection.zone_policy()?.zone;
    let request = pb::ListAccountabilityRequest {
        unit_id: args.unit.clone(),
        year: args.year,
        kind: args.kind.map_or(0, i32::from),
    };
    let answer =
        args.connection.weekly().await?.list_accountability(request).await.map_err(refused)?.into_inner();
    if args.json {
        println!("{}", serde_json::to_string(&ListView::of(&answer, &zone)?)?);
    } else {
        out(render_list(&answer).trim_end())?;
    }
    Ok(())
}

/// A kind in the reader's language: `通报批评` for criticism.
pub(crate) fn kind_text(kind: i32) -> String {
    crate::i18n::name("accountability", &kind_name(kind))
}

fn kind_name(kind: i32) -> String {
    pb::AccountabilityKind::try_from(kind).map(name_of).unwrap_or_else(|_| "unspecified".to_owned())
}

/// `7/12`: the unit's rank in the evidence's scorecard, `-` without one.
fn rank_text(action: &pb::AccountabilityAction) -> String {
    action
        .evidence
        .as_ref()
        .and_then(|evidence| evidence.place.as_ref())
        .and_then(|place| place.row.as_ref().map(|row| format!("{}/{}", row.rank, place.rows)))
        .unwrap_or_else(|| "-".to_owned())
}

/// The actions, one row each, then the counts per kind.
pub(crate) fn render_list(list: &pb::ListAccountabilityResponse) -> String {
    let mut text = String::new();
    if list.actions.is_empty() {
        text += &tr!("accountability-none");
        text += "\n";
    } else {
        let mut table = crate::render::table::new(crate::i18n::headings([
            "date", "kind", "unit", "name", "rank", "reason", "action",
        ]));
        for action in &list.actions {
            table.add_row([
                action.recorded_on.clone(),
                kind_text(action.kind),
                action.unit_id.clone(),
                action.unit_name.clone(),
                rank_text(action),
                action.reason.clone(),
                action.action_id.clone(),
            ]);
        }
        if let Some(column) = table.column_mut(4) {
            column.set_cell_alignment(CellAlignment::Right);
        }
        text += &format!("{table}\n");
    }
    for count in &list.units_by_kind {
        text += &tr!(
            "accountability-count",
            kind = kind_text(count.kind),
            actions = count.actions,
            units = count.units
        );
        text += "\n";
    }
    text
}

/// One action for `--json`.
#[derive(Debug, Serialize)]
pub struct ActionView {
    pub action_id: String,
    pub unit_id: String,
    pub unit_name: String,
    /// `criticism`, `admonition` or `commendation`.
    pub kind: String,
    pub reason: String,
    pub recorded_by_unit_id: String,
    pub actor: Option<Actor>,
    pub recorded_at: Option<Moment>,
    pub recorded_on: String,
    pub evidence: Option<EvidenceView>,
}

/// What justified an action, as frozen.
#[derive(Debug, Serialize)]
pub struct EvidenceView {
    pub from_date: String,
    pub to_date: String,
    pub place: Option<ScorecardPlace>,
    pub missing_reports: Vec<ReportRefView>,
    pub missing_total: u64,
    pub overdue_case_ids: Vec<String>,
    pub overdue_total: u64,
}

#[derive(Debug, Serialize)]
pub struct ReportRefView {
    pub unit_id: String,
    pub date: String,
}

impl ActionView {
    pub fn of(action: &pb::AccountabilityAction, zone: &Tz) -> Result<ActionView> {
        let evidence = match &action.evidence {
            None => None,
            Some(evidence) => Some(EvidenceView {
                from_date: evidence.from_date.clone(),
                to_date: evidence.to_date.clone(),
                place: match &evidence.place {
                    Some(place) if place.row.is_some() => {
                        Some(fengqiao_proto::convert_at(place.clone(), "evidence.place")?)
                    }
                    _ => None,
                },
                missing_reports: evidence
                    .missing_reports
                    .iter()
                    .map(|r| ReportRefView { unit_id: r.unit_id.clone(), date: r.date.clone() })
                    .collect(),
                missing_total: evidence.missing_total,
                overdue_case_ids: evidence.overdue_case_ids.clone(),
                overdue_total: evidence.overdue_total,
            }),
        };
        Ok(ActionView {
            action_id: action.action_id.clone(),
            unit_id: action.unit_id.clone(),
            unit_name: action.unit_name.clone(),
            kind: kind_name(action.kind),
            reason: action.reason.clone(),
            recorded_by_unit_id: action.recorded_by_unit_id.clone(),
            actor: action.actor.clone().and_then(|actor| Actor::try_from(actor).ok()),
            recorded_at: time_fmt::wire(action.recorded_at).map(|at| Moment::utc(at).in_zone(*zone)),
            recorded_on: action.recorded_on.clone(),
            evidence,
        })
    }
}

/// `accountability list --json` (and the annual report's actions).
#[derive(Debug, Serialize)]
pub struct ListView {
    pub actions: Vec<ActionView>,
    pub counts: Vec<CountView>,
}

/// Of one kind: how many actions, against how many units.
#[derive(Debug, Serialize)]
pub struct CountView {
    pub kind: String,
    pub actions: u32,
    pub units: u32,
}

impl ListView {
    pub fn of(list: &pb::ListAccountabilityResponse, zone: &Tz) -> Result<ListView> {
        Ok(ListView {
            actions: list.actions.iter().map(|action| ActionView::of(action, zone)).collect::<Result<_>>()?,
            counts: list
                .units_by_kind
                .iter()
                .map(|count| CountView {
                    kind: kind_name(count.kind),
                    actions: count.actions,
                    units: count.units,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use fengqiao_core::assessment::{Assessment, Performance, Weights};
    use serde_json::json;

    use super::*;
    use crate::commands::tests::ts;

    fn listed() -> pb::ListAccountabilityResponse {
        let action = pb::AccountabilityAction {
            action_id: "410411-A00001".into(),
            unit_id: "410411001".into(),
            unit_name: "马庄街道".into(),
            kind: pb::AccountabilityKind::Criticism.into(),
            reason: "连续两周漏报".into(),
            recorded_by_unit_id: "410411".into(),
            recorded_at: ts("2026-12-01T02:00:00Z"),
            recorded_on: "2026-12-01".into(),
            evidence: Some(pb::AccountabilityEvidence {
                place: Some(pb::ScorecardPlace {
                    parent_unit_id: "410411".into(),
                    rows: 12,
                    row: Some(pb::ScorecardRow {
                        unit_id: "410411001".into(),
                        name: "马庄街道".into(),
                        rank: 7,
                        assessment: Some(pb::Assessment::from(&Assessment::of(
                            &Performance { expected: 10, received: 6, ..Performance::default() },
                            &Weights::default(),
                        ))),
                        freshness: Some(pb::ChildFreshness::default()),
                        ..Default::default()
                    }),
                }),
                missing_total: 3,
                from_date: "2026-11-01".into(),
                to_date: "2026-11-30".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        pb::ListAccountabilityResponse {
            actions: vec![action],
            units_by_kind: vec![
                pb::AccountabilityCount {
                    kind: pb::AccountabilityKind::Criticism.into(),
                    actions: 1,
                    units: 1,
                },
                pb::AccountabilityCount {
                    kind: pb::AccountabilityKind::Admonition.into(),
                    actions: 0,
                    units: 0,
                },
            ],
        }
    }

    #[test]
    fn actions_and_counts() {
        let zone = chrono_tz::Asia::Shanghai;
        let list = listed();
        let text = render_list(&list);
        let line = text.lines().find(|line| line.contains("410411-A00001")).unwrap();
        assert!(line.contains("2026-12-01") && line.contains("criticism") && line.contains("7/12"), "{line}");
        assert!(text.contains("criticism: 1 action against 1 unit"), "{text}");
        assert!(text.contains("admonition: 0 actions against 0 units"), "{text}");
        let value = serde_json::to_value(ListView::of(&list, &zone).unwrap()).unwrap();
        assert_eq!(value["actions"][0]["kind"], json!("criticism"));
        assert_eq!(value["actions"][0]["recorded_at"], json!("2026-12-01T10:00:00+08:00"));
        assert_eq!(value["actions"][0]["evidence"]["place"]["rows"], json!(12));
        assert_eq!(value["counts"][1], json!({"kind": "admonition", "actions": 0, "units": 0}));
    }
}
