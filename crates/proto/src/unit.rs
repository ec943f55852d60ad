//! Units both ways.

use fengqiao_core::unit::Move;
use fengqiao_core::{DomainError, Tier, Unit};

use crate::enums::WireEnum;
use crate::pb;
use crate::scalars::{format_date, parse_optional_date, parse_unit_id};

impl From<&Unit> for pb::Unit {
    fn from(unit: &Unit) -> Self {
        pb::Unit {
            id: unit.id.to_string(),
            parent_id: unit.parent.as_ref().map(ToString::to_string).unwrap_or_default(),
            tier: pb::Tier::from(unit.tier).into(),
            name: unit.name.clone(),
            reporting: unit.reporting,
            active_from: unit.active_from.map(format_date).unwrap_or_default(),
            active_to: unit.active_to.map(format_date).unwrap_or_default(),
            moves: unit
                .moves
                .iter()
                .map(|m| pb::UnitMove {
                    from_parent_id: m.from_parent.as_ref().map(ToString::to_string).unwrap_or_default(),
                    on: format_date(m.on),
                })
                .collect(),
        }
    }
}

/// A unit from the wire; errors name `id`, `parent_id`, `tier`, `name`,
/// `active_from`, `active_to` or `moves[i].on` relative to the unit (convert
/// with [`crate::convert_at`] to put them below `unit` or `tree.units[3]`).
/// Checks what `UnitTree` checks of a single unit; the tree itself (parents
/// present, tiers deepening) is not checked.
impl TryFrom<pb::Unit> for Unit {
    type Error = DomainError;

    fn try_from(unit: pb::Unit) -> Result<Self, DomainError> {
        let id = parse_unit_id(&unit.id, "id")?;
        let parent = match unit.parent_id.as_str() {
            "" => None,
            parent_id => Some(parse_unit_id(parent_id, "parent_id")?),
        };
        let tier = Tier::from_wire(unit.tier, "tier")?;
        let active_from = parse_optional_date(&unit.active_from, "active_from")?;
        let active_to = parse_optional_date(&unit.active_to, "active_to")?;
        let moves = unit
            .moves
            .iter()
            .enumerate()
            .map(|(i, m)| {
                Ok(Move {
                    from_parent: match m.from_parent_id.as_str() {
                        "" => None,
                        id => Some(parse_unit_id(id, &format!("moves[{i}].from_parent_id"))?),
                    },
                    on: crate::parse_date(&m.on, &format!("moves[{i}].on"))?,
                })
            })
            .collect::<Result<Vec<_>, DomainError>>()?;
        let unit = Unit {
            id,
            parent,
            tier,
            name: unit.name,
            reporting: unit.reporting,
            active_from,
            active_to,
            moves,
        };
        unit.validate()?;
        Ok(unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert_at;

    /// A unit sent as the field `unit`.
    fn unit_from_pb(unit: pb::Unit) -> Result<Unit, DomainError> {
        convert_at(unit, "unit")
    }

    fn wire() -> pb::Unit {
        pb::Unit {
            id: "410411001001".into(),
            parent_id: "410411001".into(),
            tier: pb::Tier::Community.into(),
            name: "电力社区居民委员会".into(),
            reporting: true,
            active_from: "2026-01-01".into(),
            active_to: String::new(),
            moves: Vec::new(),
        }
    }

    #[test]
    fn round_trips() {
        let unit = unit_from_pb(wire()).unwrap();
        assert_eq!(unit.parent.as_ref().map(|p| p.as_str()), Some("410411001"));
        assert_eq!(unit.active_to, None);
        assert_eq!(pb::Unit::from(&unit), wire());
        let root = pb::Unit { parent_id: String::new(), tier: pb::Tier::District.into(), ..wire() };
        let unit = unit_from_pb(root.clone()).unwrap();
        assert_eq!(unit.parent, None);
        assert_eq!(pb::Unit::from(&unit), root);
    }

    #[test]
    fn errors_name_the_field() {
        type Mutate = fn(&mut pb::Unit);
        let cases: Vec<(Mutate, &str)> = vec![
            (|u| u.id.clear(), "unit.id"),
            (|u| u.parent_id = "a b".into(), "unit.parent_id"),
            (|u| u.tier = 0, "unit.tier"),
            (|u| u.tier = 9, "unit.tier"),
            (|u| u.name.clear(), "unit.name"),
            (|u| u.name = "名".repeat(201), "unit.name"),
            (|u| u.active_from = "2026-02-30".into(), "unit.active_from"),
            (|u| u.active_to = "2025-12-31".into(), "unit.active_to"),
        ];
        for (mutate, expected) in cases {
            let mut unit = wire();
            mutate(&mut unit);
            match unit_from_pb(unit) {
                Err(DomainError::Invalid { field, .. }) => assert_eq!(field, expected),
                other => panic!("expected Invalid at {expected}, got {other:?}"),
            }
        }
    }

    #[test]
    fn nested_paths() {
        let unit = pb::Unit { tier: 0, ..wire() };
        assert!(
            matches!(convert_at::<_, Unit>(unit, "children[3]"), Err(DomainError::Invalid { field, .. }) if field == "children[3].tier")
        );
    }
}
