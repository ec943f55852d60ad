//! `fengqiao missing`: the units of a subtree without a report for a day,
//! grouped by township and community, and the late ones.

use anyhow::Result;
use chrono::Duration;
use fengqiao_core::read::{Completeness, UnitRef};
use fengqiao_proto::pb::{self};

use crate::commands::units::{UnitNames, names_of_subtree};
use crate::connection::{Connection, refused};
use crate::tr;

#[derive(Debug, clap::Args)]
pub struct MissingArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit whose subtree is checked.
    #[arg(long)]
    pub unit: String,
    /// The day: YYYY-MM-DD, today or yesterday.
    #[arg(long, default_value = "today")]
    pub date: String,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao missing`: the units without a report for a day, and the late ones.
pub async fn missing(args: MissingArgs) -> Result<()> {
    let connection = &args.connection;
    let policy = connection.zone_policy()?;
    let date = connection.date(&args.date, "--date")?;
    let answer = connection
        .summaries()
        .await?
        .completeness(pb::CompletenessRequest { unit_id: args.unit.clone(), date: date.to_string() })
        .await
        .map_err(refused)?
        .into_inner();
    let answer = Completeness::try_from(answer)?.in_zone(policy.zone);
    if args.json {
        println!("{}", serde_json::to_string(&answer)?);
        return Ok(());
    }
    let messages = fengqiao_i18n::Messages::of(crate::i18n::lang());
    println!("{}", fengqiao_node::web::words::completeness_text(messages, &answer));
    if !answer.missing.is_empty() {
        let names = names_of_subtree(connection, &args.unit).await?;
        println!("{}", if answer.due { tr!("missing-list") } else { tr!("missing-outstanding-list") });
        print!("{}", grouped_missing(&answer.missing, &args.unit, &names));
    }
    if !answer.late.is_empty() {
        let cutoff = answer.cutoff.instant();
        let mut table = crate::render::table::new(crate::i18n::headings([
            "unit",
            "name",
            "parent",
            "accepted",
            "after-cutoff",
        ]));
        for late in &answer.late {
            let unit = &late.unit;
            let parent = format!(
                "{} {}",
                unit.parent_id.as_ref().map(ToString::to_string).unwrap_or_default(),
                unit.parent_name.as_deref().unwrap_or_default()
            );
            table.add_row([
                unit.unit_id.to_string(),
                unit.name.clone(),
                parent,
                late.first_accepted_at.for_people(),
                duration_text(late.first_accepted_at.instant() - cutoff),
            ]);
        }
        println!("{}\n{table}", tr!("missing-late-list"));
    }
    Ok(())
}

/// Missing units grouped by the two levels below `top` (township and
/// community under a district): a heading with its count for each group,
/// then the units of each lowest group in a table.
fn grouped_missing(missing: &[UnitRef], top: &str, names: &UnitNames) -> String {
    use std::collections::BTreeMap;
    let heading = |id: &str| format!("{id} {}", names.name(id)).trim_end().to_owned();
    // (level 1, level 2) → units; a level is empty when the unit sits higher.
    let mut groups: BTreeMap<(String, String), Vec<&UnitRef>> = BTreeMap::new();
    for unit in missing {
        let mut levels = names.ancestors_below(unit.unit_id.as_str(), top).into_iter();
        let first = levels.next().unwrap_or_default();
        let second = levels.next().unwrap_or_default();
        groups.entry((first, second)).or_default().push(unit);
    }
    let mut text = String::new();
    let mut current_first: Option<&str> = None;
    for ((first, second), units) in &groups {
        if current_first != Some(first.as_str()) {
            current_first = Some(first.as_str());
            let count: usize = groups.iter().filter(|((f, _), _)| f == first).map(|(_, u)| u.len()).sum();
            let title = if first.is_empty() {
                tr!("missing-directly-under", unit = heading(top))
            } else {
                heading(first)
            };
            text += &tr!("missing-group", group = title, count = count);
            text += "\n";
        }
        let mut table = crate::render::table::new(crate::i18n::headings(["unit", "name"]));
        for unit in units {
            table.add_row([unit.unit_id.as_str(), &unit.name]);
        }
        if second.is_empty() {
            text += &format!("{table}\n");
        } else {
            text += &format!(
                "  {}\n{table}\n",
                tr!("missing-group", group = heading(second), count = units.len())
            );
        }
    }
    text
}

/// `2h05m`, `3d4h`, `45s` (the dashboard's missing page says it the same way).
fn duration_text(duration: Duration) -> String {
    fengqiao_node::web::pages::missing::duration_text(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_units_are_grouped_by_township_and_community() {
        let names = UnitNames::from_units([
            ("410411", "湛河区", ""),
            ("410411001", "马庄街道", "410411"),
            ("410411002", "姚孟街道", "410411"),
            ("410411001001", "电力社区", "410411001"),
            ("410411001002", "马庄社区", "410411001"),
            ("410411002001", "姚孟社区", "410411002"),
            ("410411001001001", "1号楼", "410411001001"),
            ("410411001001002", "2号楼", "410411001001"),
            ("410411001002001", "1号楼", "410411001002"),
            ("410411002001001", "1号楼", "410411002001"),
        ]);
        let unit = |id: &str| UnitRef {
            unit_id: fengqiao_core::UnitId::parse(id).unwrap(),
            name: names.name(id).into(),
            parent_id: None,
            parent_name: None,
        };
        let missing =
            ["410411001001001", "410411001001002", "410411001002001", "410411002001001", "410411002"]
                .map(unit);
        let text = grouped_missing(&missing, "410411", &names);
        let headings: Vec<&str> = text.lines().filter(|l| l.contains("missing")).collect();
        assert_eq!(
            headings,
            [
                "directly under 410411 湛河区: 1 missing",
                "410411001 马庄街道: 3 missing",
                "  410411001001 电力社区: 2 missing",
                "  410411001002 马庄社区: 1 missing",
                "410411002 姚孟街道: 1 missing",
                "  410411002001 姚孟社区: 1 missing",
            ],
            "{text}"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(duration_text(Duration::seconds(45)), "45s");
        assert_eq!(duration_text(Duration::minutes(150)), "2h30m");
        assert_eq!(duration_text(Duration::hours(50)), "2d2h");
    }
}
