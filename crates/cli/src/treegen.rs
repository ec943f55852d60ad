//! Generated unit trees: the group tier under a real tree, and synthetic
//! trees of any size for benchmarks.
//!
//! The official Zhanhe tree (`deploy/zhanhe-410411-official.csv`) stops at the
//! community tier. [`add_groups`] fills in the group tier (buildings under
//! urban communities, villager groups under villages), seeded so the same seed
//! always gives the same tree; the committed default tree
//! `deploy/zhanhe-410411.csv` is `add_groups(official, 2026, 2026)`, checked by
//! the test `committed_tree_matches_generator`.

use std::collections::HashMap;

use anyhow::{Context, Result, bail, ensure};
use chrono::{Datelike, NaiveDate};
use fengqiao_core::{Tier, Unit, UnitId, UnitTree};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Fewest groups [`add_groups`] puts under a community.
pub const MIN_GROUPS_PER_COMMUNITY: usize = 10;
/// Most groups [`add_groups`] puts under a community.
pub const MAX_GROUPS_PER_COMMUNITY: usize = 30;
/// Most children per unit [`synthetic`] accepts at each level: children are
/// numbered with three digits, `001` to `999`.
pub const MAX_SYNTHETIC_PER_LEVEL: usize = 999;
/// The synthetic tree's district code.
pub const SYNTHETIC_DISTRICT: &str = "990001";

/// Fewest groups [`add_groups`] opens, and fewest it closes, during the year
/// (when the tree has that many groups).
const MIN_CHANGES_PER_KIND: usize = 3;

/// How many groups [`add_groups_at`] puts under each community: a number
/// drawn uniformly from `min..=max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupDensity {
    min: usize,
    max: usize,
}

impl GroupDensity {
    /// The density of the committed Zhanhe tree: 10 to 30 groups per community.
    pub const ZHANHE: GroupDensity =
        GroupDensity { min: MIN_GROUPS_PER_COMMUNITY, max: MAX_GROUPS_PER_COMMUNITY };

    /// `min..=max` groups per community: `1 <= min <= max <= 999` (group ids
    /// add three digits to the community's).
    pub fn new(min: usize, max: usize) -> Result<Self> {
        ensure!(
            (1..=MAX_SYNTHETIC_PER_LEVEL).contains(&min) && (min..=MAX_SYNTHETIC_PER_LEVEL).contains(&max),
            "groups per community {min},{max}: need 1 <= MIN <= MAX <= {MAX_SYNTHETIC_PER_LEVEL}"
        );
        Ok(GroupDensity { min, max })
    }

    /// Parses `MIN,MAX` (or a single `N` for exactly N per community).
    pub fn parse(spec: &str) -> Result<Self> {
        let numbers: Vec<usize> = spec
            .split(',')
            .map(|n| n.trim().parse::<usize>())
            .collect::<Result<_, _>>()
            .with_context(|| format!("groups per community {spec:?}: expected MIN,MAX like 5,10"))?;
        match numbers[..] {
            [exact] => GroupDensity::new(exact, exact),
            [min, max] => GroupDensity::new(min, max),
            _ => bail!("groups per community {spec:?}: expected MIN,MAX like 5,10"),
        }
    }

    pub fn min(self) -> usize {
        self.min
    }

    pub fn max(self) -> usize {
        self.max
    }

    /// The next community's number of groups, drawn from `rng`: the one draw
    /// per community, in depth-first order, that every generator here makes.
    pub(crate) fn draw(self, rng: &mut ChaCha8Rng) -> usize {
        rng.random_range(self.min..=self.max)
    }
}

/// Refuses a year the generators cannot date groups in (outside chrono's
/// range), so that `--year` is an error rather than a panic.
pub fn check_year(year: i32) -> Result<()> {
    ensure!(
        NaiveDate::from_ymd_opt(year, 1, 1).is_some() && NaiveDate::from_ymd_opt(year, 12, 31).is_some(),
        "year {year} is out of range: groups open and close on dates of a year like 2026"
    );
    Ok(())
}

/// `add_groups_at(base, GroupDensity::ZHANHE, seed, year)`: 10–30 groups
/// under every community, as in the committed Zhanhe tree.
pub fn add_groups(base: &UnitTree, seed: u64, year: i32) -> UnitTree {
    add_groups_at(base, GroupDensity::ZHANHE, seed, year)
}

/// Returns `base` with `density` groups under every community, chosen by `seed`.
///
/// Group ids are the community id followed by three digits (`001`, `002`, …).
/// Groups under a community whose name contains "社区" are buildings ("1号楼",
/// "2号楼", …); under a village (a name with "村") they are villager groups
/// ("第一村民组", "第二村民组", …); under anything else "第一组", "第二组", ….
///
/// About 1% of the groups open or close during `year`: each of them gets
/// either an `active_from` or an `active_to` on a random day strictly inside
/// the year (not 1 January or 31 December), at least three of each kind when
/// the tree has six groups or more. Every generated group reports.
///
/// The units above the groups are copied unchanged. Group-tier units already
/// in `base`, if any, are replaced by the generated ones, so applying this
/// twice with the same seed gives the same tree. [`write_with_groups`] writes
/// the same tree as CSV without holding the groups in memory.
///
/// # Panics
///
/// If `year` is outside chrono's date range, or a community id is longer
/// than 61 characters (ids hold at most 64).
pub fn add_groups_at(base: &UnitTree, density: GroupDensity, seed: u64, year: i32) -> UnitTree {
    let plan = GroupPlan::new(base, density, seed, year);
    let mut units: Vec<Unit> = Vec::with_capacity(base.len() + plan.total);
    let mut groups: Vec<Unit> = Vec::with_capacity(plan.total);
    plan.for_each_unit(base, |unit| match unit.tier {
        Tier::Group => groups.push(unit),
        _ => units.push(unit),
    });
    units.extend(groups);
    UnitTree::from_units(units).expect("groups under a valid tree make a valid tree")
}

/// Writes `add_groups_at(base, density, seed, year).to_csv()` to `out`, the
/// same bytes, one unit at a time: the national tree with millions of groups
/// never sits in memory. Returns the number of units written.
pub fn write_with_groups(
    base: &UnitTree,
    density: GroupDensity,
    seed: u64,
    year: i32,
    out: impl std::io::Write,
) -> Result<usize> {
    let plan = GroupPlan::new(base, density, seed, year);
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(CSV_HEADER)?;
    let mut written = 0;
    let mut failed = None;
    plan.for_each_unit(base, |unit| {
        if failed.is_none() {
            match writer.write_record(csv_record(&unit)) {
                Ok(()) => written += 1,
                Err(error) => failed = Some(error),
            }
        }
    });
    if let Some(error) = failed {
        return Err(error.into());
    }
    writer.flush()?;
    Ok(written)
}

/// The columns [`UnitTree::to_csv`] writes.
const CSV_HEADER: [&str; 8] =
    ["code", "parent_code", "tier", "name", "reporting", "active_from", "active_to", "moves"];

/// One unit as [`UnitTree::to_csv`] writes it.
fn csv_record(unit: &Unit) -> [String; 8] {
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    [
        unit.id.to_string(),
        unit.parent.as_ref().map(UnitId::to_string).unwrap_or_default(),
        unit.tier.as_str().to_owned(),
        unit.name.clone(),
        if unit.reporting { "true" } else { "false" }.to_owned(),
        date(unit.active_from),
        date(unit.active_to),
        fengqiao_core::unit::format_moves(&unit.moves),
    ]
}

/// The groups to generate under a tree: how many under each community (in
/// depth-first order) and which of them open or close on which day.
struct GroupPlan {
    counts: Vec<usize>,
    total: usize,
    /// Group position (depth-first) → (opens?, day).
    changes: HashMap<usize, (bool, NaiveDate)>,
}

impl GroupPlan {
    fn new(base: &UnitTree, density: GroupDensity, seed: u64, year: i32) -> GroupPlan {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let counts: Vec<usize> = base
            .units()
            .into_iter()
            .filter(|unit| unit.tier == Tier::Community)
            .map(|_| density.draw(&mut rng))
            .collect();
        let total: usize = counts.iter().sum();

        // About 1% of the groups open or close during the year, half each way.
        let changes = total.div_ceil(100).max(2 * MIN_CHANGES_PER_KIND).min(total);
        let openings = changes / 2;
        let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("year within chrono's range");
        let last_ordinal =
            NaiveDate::from_ymd_opt(year, 12, 31).expect("year within chrono's range").ordinal();
        let picked = rand::seq::index::sample(&mut rng, total, changes).into_vec();
        let mut dated = HashMap::with_capacity(changes);
        for (k, position) in picked.into_iter().enumerate() {
            let ordinal = rng.random_range(2..last_ordinal);
            let day = first.with_ordinal(ordinal).expect("ordinal within the year");
            dated.insert(position, (k < openings, day));
        }
        GroupPlan { counts, total, changes: dated }
    }

    /// Calls `each` with every unit of the resulting tree, depth-first (the
    /// order of [`UnitTree::to_csv`]): `base`'s units without its groups,
    /// each community followed by its generated groups.
    fn for_each_unit(&self, base: &UnitTree, mut each: impl FnMut(Unit)) {
        let mut communities = self.counts.iter();
        let mut position = 0;
        for unit in base.units() {
            match unit.tier {
                Tier::Group => continue,
                Tier::Community => {
                    each(unit.clone());
                    let count = *communities.next().expect("one count per community");
                    for number in 1..=count {
                        let change = self.changes.get(&position).copied();
                        position += 1;
                        each(Unit {
                            id: child_id(&unit.id, number),
                            parent: Some(unit.id.clone()),
                            tier: Tier::Group,
                            name: group_name(&unit.name, number),
                            reporting: true,
                            active_from: change.filter(|(opens, _)| *opens).map(|(_, day)| day),
                            active_to: change.filter(|(opens, _)| !*opens).map(|(_, day)| day),
                            moves: Vec::new(),
                        });
                    }
                }
                _ => each(unit.clone()),
            }
        }
    }
}

/// A synthetic tree for benchmarks: district [`SYNTHETIC_DISTRICT`] with
/// `townships` townships, each with `communities_per_township` communities,
/// each with `groups_per_community` groups, `1 + t + t·c + t·c·g` units in
/// all. Ids follow the real code scheme (each child is its parent's id plus
/// three digits, from `001`); names are "Township 3", "Community 3-12",
/// "Group 3-12-7". Every unit reports and is always active.
///
/// The tree depends only on the counts; `_seed` is accepted so the command
/// line treats every generated tree alike, and is reserved.
///
/// Each count may be at most [`MAX_SYNTHETIC_PER_LEVEL`] (999); a larger one
/// is an error. The caller is responsible for the total size (the product of
/// the counts), which is built in memory.
pub fn synthetic(
    seed: u64,
    townships: usize,
    communities_per_township: usize,
    groups_per_community: usize,
) -> Result<UnitTree> {
    synthetic_district(
        seed,
        SYNTHETIC_DISTRICT,
        "Synthetic District",
        townships,
        communities_per_township,
        groups_per_community,
    )
}

/// [`synthetic`] under the district `code` named `name` (a real district's
/// code and name, for the demo's sibling districts under a city): every id
/// below starts with `code`. A `code` that is not a valid unit id is an error.
pub fn synthetic_district(
    _seed: u64,
    code: &str,
    name: &str,
    townships: usize,
    communities_per_township: usize,
    groups_per_community: usize,
) -> Result<UnitTree> {
    for (count, level) in [
        (townships, "townships"),
        (communities_per_township, "communities per township"),
        (groups_per_community, "groups per community"),
    ] {
        ensure!(
            count <= MAX_SYNTHETIC_PER_LEVEL,
            "{count} {level} is too many: at most {MAX_SYNTHETIC_PER_LEVEL} per level (three-digit codes)"
        );
    }
    let unit = |id: UnitId, parent: Option<&UnitId>, tier: Tier, name: String| Unit {
        id,
        parent: parent.cloned(),
        tier,
        name,
        reporting: true,
        active_from: None,
        active_to: None,
        moves: Vec::new(),
    };
    let total = 1 + townships * (1 + communities_per_township * (1 + groups_per_community));
    let mut units = Vec::with_capacity(total);
    let district = UnitId::parse(code)?;
    units.push(unit(district.clone(), None, Tier::District, name.to_owned()));
    for t in 1..=townships {
        let township = child_id(&district, t);
        units.push(unit(township.clone(), Some(&district), Tier::Township, format!("Township {t}")));
        for c in 1..=communities_per_township {
            let community = child_id(&township, c);
            units.push(unit(
                community.clone(),
                Some(&township),
                Tier::Community,
                format!("Community {t}-{c}"),
            ));
            for g in 1..=groups_per_community {
                units.push(unit(
                    child_id(&community, g),
                    Some(&community),
                    Tier::Group,
                    format!("Group {t}-{c}-{g}"),
                ));
            }
        }
    }
    Ok(UnitTree::from_units(units)?)
}

/// `parent` followed by `number` in three digits.
fn child_id(parent: &UnitId, number: usize) -> UnitId {
    debug_assert!((1..=999).contains(&number));
    UnitId::parse(&format!("{parent}{number:03}")).expect("a valid id plus three digits is a valid id")
}

/// The name of group `number` under the community called `community`.
fn group_name(community: &str, number: usize) -> String {
    if community.contains("社区") {
        format!("{number}号楼")
    } else if community.contains('村') {
        format!("第{}村民组", chinese_numeral(number))
    } else {
        format!("第{}组", chinese_numeral(number))
    }
}

/// `n` in Chinese numerals for 1..=99 ("一", "十", "十一", "二十", "九十九");
/// other numbers in Arabic digits.
fn chinese_numeral(n: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => DIGITS[n].to_owned(),
        10..=99 => {
            let (tens, ones) = (n / 10, n % 10);
            let mut out = String::new();
            if tens > 1 {
                out.push_str(DIGITS[tens]);
            }
            out.push('十');
            if ones > 0 {
                out.push_str(DIGITS[ones]);
            }
            out
        }
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFICIAL: &str = include_str!("../../../deploy/zhanhe-410411-official.csv");
    const COMMITTED: &str = include_str!("../../../deploy/zhanhe-410411.csv");
    const SEED: u64 = 2026;
    const YEAR: i32 = 2026;

    fn official() -> UnitTree {
        UnitTree::from_csv(OFFICIAL).expect("official tree parses")
    }

    fn count(tree: &UnitTree, tier: Tier) -> usize {
        tree.units().iter().filter(|u| u.tier == tier).count()
    }

    #[test]
    fn official_tree_has_three_tiers() {
        let tree = official();
        assert_eq!(count(&tree, Tier::District), 1);
        assert_eq!(count(&tree, Tier::Township), 10);
        assert_eq!(count(&tree, Tier::Community), 104);
        assert_eq!(count(&tree, Tier::Group), 0);
    }

    #[test]
    fn same_seed_same_tree() {
        let base = official();
        assert_eq!(add_groups(&base, 7, YEAR).to_csv(), add_groups(&base, 7, YEAR).to_csv());
    }

    #[test]
    fn different_seeds_differ() {
        let base = official();
        assert_ne!(add_groups(&base, 1, YEAR).to_csv(), add_groups(&base, 2, YEAR).to_csv());
    }

    #[test]
    fn every_community_gets_numbered_groups() {
        let base = official();
        let tree = add_groups(&base, SEED, YEAR);
        for community in base.units().into_iter().filter(|u| u.tier == Tier::Community) {
            let groups = tree.children(community.id.as_str());
            assert!(
                (MIN_GROUPS_PER_COMMUNITY..=MAX_GROUPS_PER_COMMUNITY).contains(&groups.len()),
                "{} has {} groups",
                community.id,
                groups.len()
            );
            for (i, group) in groups.iter().enumerate() {
                assert_eq!(group.tier, Tier::Group);
                assert_eq!(group.id.as_str(), format!("{}{:03}", community.id, i + 1));
                assert_eq!(group.id.as_str().len(), community.id.as_str().len() + 3);
                assert!(group.reporting);
                if community.name.contains("社区") {
                    assert_eq!(group.name, format!("{}号楼", i + 1));
                } else {
                    assert!(community.name.contains('村'));
                    assert_eq!(group.name, format!("第{}村民组", chinese_numeral(i + 1)));
                }
            }
        }
        // Nothing above the group tier changed.
        let above: Vec<&Unit> = tree.units().into_iter().filter(|u| u.tier != Tier::Group).collect();
        assert_eq!(above, base.units());
    }

    #[test]
    fn some_groups_open_and_close_during_the_year() {
        let tree = add_groups(&official(), SEED, YEAR);
        let groups = count(&tree, Tier::Group);
        let inside = |d: NaiveDate| {
            d.year() == YEAR
                && d != NaiveDate::from_ymd_opt(YEAR, 1, 1).unwrap()
                && (d.month(), d.day()) != (12, 31)
        };
        let mut opening = 0;
        let mut closing = 0;
        for unit in tree.units() {
            assert!(unit.active_from.is_none() || unit.active_to.is_none());
            if let Some(from) = unit.active_from {
                assert_eq!(unit.tier, Tier::Group);
                assert!(inside(from), "{from}");
                opening += 1;
            }
            if let Some(to) = unit.active_to {
                assert_eq!(unit.tier, Tier::Group);
                assert!(inside(to), "{to}");
                closing += 1;
            }
        }
        assert!(opening >= 3 && closing >= 3, "{opening} open, {closing} close");
        // About 1%.
        assert!(opening + closing <= groups / 50, "{} of {groups}", opening + closing);
    }

    #[test]
    fn regenerating_replaces_groups() {
        let once = add_groups(&official(), SEED, YEAR);
        assert_eq!(add_groups(&once, SEED, YEAR).to_csv(), once.to_csv());
    }

    #[test]
    fn small_trees_get_as_many_changes_as_they_can() {
        let csv =
            "code,parent_code,tier,name\n1,,district,d\n1001,1,township,t\n1001001,1001,community,甲村\n";
        let tree = add_groups(&UnitTree::from_csv(csv).unwrap(), 3, YEAR);
        let changed =
            tree.units().iter().filter(|u| u.active_from.is_some() || u.active_to.is_some()).count();
        assert_eq!(changed, 6);
        let only_root = UnitTree::from_csv("code,parent_code,tier,name\n1,,district,d\n").unwrap();
        assert_eq!(add_groups(&only_root, 3, YEAR).len(), 1);
    }

    #[test]
    fn chinese_numerals() {
        let cases = [
            (1, "一"),
            (9, "九"),
            (10, "十"),
            (11, "十一"),
            (20, "二十"),
            (21, "二十一"),
            (30, "三十"),
            (99, "九十九"),
        ];
        for (n, text) in cases {
            assert_eq!(chinese_numeral(n), text);
        }
        assert_eq!(chinese_numeral(100), "100");
    }

    #[test]
    fn synthetic_tree_has_the_asked_shape() {
        let tree = synthetic(1, 2, 3, 4).unwrap();
        assert_eq!(tree.len(), 1 + 2 + 6 + 24);
        assert_eq!(count(&tree, Tier::Township), 2);
        assert_eq!(count(&tree, Tier::Community), 6);
        assert_eq!(count(&tree, Tier::Group), 24);
        assert_eq!(tree.root_id().as_str(), SYNTHETIC_DISTRICT);
        let group = tree.get("990001002003004").expect("last group");
        assert_eq!(group.name, "Group 2-3-4");
        assert_eq!(group.parent.as_ref().unwrap().as_str(), "990001002003");
        assert_eq!(tree.get("990001002003").unwrap().name, "Community 2-3");
        assert_eq!(tree.get("990001002").unwrap().name, "Township 2");
        assert_eq!(synthetic(9, 2, 3, 4).unwrap().to_csv(), tree.to_csv());
    }

    #[test]
    fn synthetic_district_takes_a_real_code() {
        let tree = synthetic_district(1, "410402", "新华区", 2, 3, 4).unwrap();
        assert_eq!(tree.len(), 1 + 2 + 6 + 24);
        assert_eq!(tree.root_id().as_str(), "410402");
        assert_eq!(tree.root().name, "新华区");
        assert_eq!(tree.get("410402002003004").unwrap().name, "Group 2-3-4");
        assert!(tree.units().iter().all(|u| u.id.as_str().starts_with("410402")));
        assert!(synthetic_district(1, "not a code!", "x", 1, 1, 1).is_err());
    }

    #[test]
    fn synthetic_tree_limits() {
        assert_eq!(synthetic(1, 0, 5, 5).unwrap().len(), 1);
        let widest = synthetic(1, 999, 1, 1).unwrap();
        assert_eq!(widest.len(), 1 + 3 * 999);
        assert!(widest.get("990001999001001").is_some());
        assert!(synthetic(1, 1000, 1, 1).is_err());
        assert!(synthetic(1, 1, 1000, 1).is_err());
        assert!(synthetic(1, 1, 1, 1000).is_err());
    }

    #[test]
    fn streamed_groups_are_the_built_tree_byte_for_byte() {
        let base = official();
        for (density, seed) in [
            (GroupDensity::ZHANHE, SEED),
            (GroupDensity::new(5, 10).unwrap(), 1),
            (GroupDensity::new(1, 1).unwrap(), 2),
        ] {
            let mut out = Vec::new();
            let written = write_with_groups(&base, density, seed, YEAR, &mut out).unwrap();
            let built = add_groups_at(&base, density, seed, YEAR);
            assert_eq!(written, built.len());
            assert!(String::from_utf8(out).unwrap() == built.to_csv(), "{density:?} seed {seed}");
        }
        let mut out = Vec::new();
        write_with_groups(&base, GroupDensity::ZHANHE, SEED, YEAR, &mut out).unwrap();
        assert!(out == COMMITTED.as_bytes());
    }

    #[test]
    fn density_sets_the_groups_per_community() {
        let base = official();
        for (min, max) in [(1, 1), (5, 10), (40, 60), (999, 999)] {
            let tree = add_groups_at(&base, GroupDensity::new(min, max).unwrap(), 4, YEAR);
            for community in base.units().into_iter().filter(|u| u.tier == Tier::Community) {
                let groups = tree.children(community.id.as_str()).len();
                assert!((min..=max).contains(&groups), "{}: {groups} not in {min}..={max}", community.id);
            }
        }
        assert_eq!(
            add_groups_at(&base, GroupDensity::new(3, 3).unwrap(), 4, YEAR).len(),
            base.len() + 3 * 104
        );
    }

    #[test]
    fn years_out_of_range_are_refused() {
        assert!(check_year(YEAR).is_ok());
        assert!(check_year(1).is_ok());
        assert!(check_year(i32::MAX).is_err());
        assert!(check_year(-400_000).is_err());
    }

    #[test]
    fn density_bounds_and_parsing() {
        assert_eq!(GroupDensity::parse("5,10").unwrap(), GroupDensity::new(5, 10).unwrap());
        assert_eq!(GroupDensity::parse(" 7 ").unwrap(), GroupDensity::new(7, 7).unwrap());
        assert_eq!(GroupDensity::parse("10,30").unwrap(), GroupDensity::ZHANHE);
        for bad in ["", "0,5", "6,5", "1,1000", "a,b", "1,2,3", "-1,2"] {
            assert!(GroupDensity::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn committed_tree_matches_generator() {
        let generated = add_groups(&official(), SEED, YEAR).to_csv();
        assert!(
            COMMITTED == generated,
            "deploy/zhanhe-410411.csv is not add_groups(official, {SEED}, {YEAR}); regenerate it with \
             FENGQIAO_WRITE_TREE=1 cargo test -p fengqiao --bin fengqiao treegen::tests::write_committed_tree \
             -- --ignored"
        );
        assert!(UnitTree::from_csv(COMMITTED).is_ok());
    }

    /// Rewrites `deploy/zhanhe-410411.csv` from the generator; runs only when
    /// asked for by name with `--ignored` and `FENGQIAO_WRITE_TREE=1`.
    #[test]
    #[ignore = "writes deploy/zhanhe-410411.csv; run with FENGQIAO_WRITE_TREE=1"]
    fn write_committed_tree() {
        if std::env::var_os("FENGQIAO_WRITE_TREE").is_none() {
            return;
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/zhanhe-410411.csv");
        std::fs::write(path, add_groups(&official(), SEED, YEAR).to_csv()).expect("write the tree");
    }
}
