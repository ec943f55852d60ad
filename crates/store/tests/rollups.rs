//! The live day and week rollups, the employer sets and the child syncs, on
//! both backends: exact figures through corrections, duplicates and a moved
//! unit, and a property test that the incrementally kept rollups always
//! equal a recomputation from the current reports (and survive a rebuild).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use fengqiao_core::report::{DisputeDraft, ReportDraft, WageArrearsDraft};
use fengqiao_core::revision::Source;
use fengqiao_core::tally::{CATEGORIES, OUTCOMES, employer_key};
use fengqiao_core::{
    Applied, DailyReport, Dispute, DisputeCategory, DisputeOutcome, Head, IsoWeek, ReportKey, Revision,
    StoredReport, Tally, TimePolicy, UnitId, UnitTree, WageArrears, decide,
};
use fengqiao_store::rollup::verify;
use fengqiao_store::testing::TestDb;
use fengqiao_store::{Backend, ChildSync, ItemResult, ListQuery, Outcome, Period, Store, Submission};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const TREE: &str = fengqiao_store::testing::trees::CONFORMANCE;

const DISTRICT: &str = "410411";
const TOWNSHIP: &str = "410411001";
const COMMUNITY: &str = "410411001001";
const GROUP_1: &str = "410411001001001";
const GROUP_2: &str = "410411001001002";
const OTHER_TOWNSHIP: &str = "410411002";
const OTHER_COMMUNITY: &str = "410411002001";
const OTHER_GROUP: &str = "410411002001001";

fn id(unit: &str) -> UnitId {
    UnitId::parse(unit).unwrap()
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

/// An instant in UTC on 2026-11-`day` (the cut-off is 10:00 UTC).
fn utc(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0).unwrap()
}

fn wage(
    local_id: &str,
    employer: &str,
    workers: u32,
    claimed: i64,
    recovered: i64,
    outcome: DisputeOutcome,
) -> Dispute {
    Dispute::new(DisputeDraft {
        local_id: local_id.into(),
        category: DisputeCategory::WageArrears,
        outcome,
        parties: 2,
        summary: "site wages unpaid".into(),
        case_id: None,
        wage_arrears: Some(
            WageArrears::new(WageArrearsDraft {
                employer: employer.into(),
                workers,
                amount_claimed_cents: claimed,
                amount_recovered_cents: recovered,
            })
            .unwrap(),
        ),
    })
    .unwrap()
}

fn neighbour(local_id: &str, parties: u32) -> Dispute {
    Dispute::new(DisputeDraft {
        local_id: local_id.into(),
        category: DisputeCategory::Neighbour,
        outcome: DisputeOutcome::Mediating,
        parties,
        summary: "noise".into(),
        case_id: None,
        wage_arrears: None,
    })
    .unwrap()
}

fn report_on(unit: &str, date: NaiveDate, revision: u32, disputes: Vec<Dispute>) -> DailyReport {
    DailyReport::new(ReportDraft {
        unit_id: id(unit),
        date,
        revision: Revision::new(revision).unwrap(),
        reporter: "officer-1".into(),
        zero: disputes.is_empty(),
        disputes,
        correction_reason: if revision > 1 { format!("correction {revision}") } else { String::new() },
    })
    .unwrap()
}

fn report(unit: &str, day: u32, revision: u32, disputes: Vec<Dispute>) -> DailyReport {
    report_on(unit, date(day), revision, disputes)
}

fn submission(report: DailyReport, accepted_at: DateTime<Utc>) -> Submission {
    let audit = fengqiao_store::testing::audit_record(format!("report {}", report.key()));
    Submission {
        report,
        source: Source::Reporter,
        accepted_at,
        first_accepted_at: None,
        trace_parent: None,
        audit,
    }
}

async fn apply(store: &dyn Store, batch: Vec<Submission>) -> Vec<Applied> {
    store
        .apply_reports(batch, false, &TimePolicy::default())
        .await
        .expect("store works")
        .into_iter()
        .map(|r| r.expect("accepted").applied)
        .collect()
}

async fn setup(backend: Backend, csv: &str) -> (TestDb, Arc<dyn Store>, UnitTree) {
    let db = TestDb::new(backend).await;
    let store = db.open().await.expect("test database opens");
    let tree = UnitTree::from_csv(csv).unwrap();
    store.replace_units(&tree, fengqiao_store::testing::audit_record("tree")).await.expect("tree stored");
    (db, store, tree)
}

/// The stored rollup of one unit over one period; empty when there is no row.
async fn rollup(store: &dyn Store, period: Period, unit: &str, key: NaiveDate) -> Tally {
    let rows = store.rollups(period, &[id(unit)], key, key).await.unwrap();
    assert!(rows.len() <= 1, "one row per unit and period: {rows:?}");
    rows.into_iter()
        .next()
        .map(|row| {
            assert_eq!((row.unit_id.as_str(), row.period), (unit, key));
            row.tally
        })
        .unwrap_or_default()
}

async fn day(store: &dyn Store, unit: &str, d: NaiveDate) -> Tally {
    rollup(store, Period::Day, unit, d).await
}

async fn week(store: &dyn Store, unit: &str, monday: NaiveDate) -> Tally {
    assert_eq!(IsoWeek::of(monday).monday(), monday);
    rollup(store, Period::Week, unit, monday).await
}

/// received, on_time, late, zero_reports, disputes, wage_disputes, wage_recovered_cents
fn figures(t: &Tally) -> [i64; 7] {
    [t.received, t.on_time, t.late, t.zero_reports, t.disputes, t.wage_disputes, t.wage_recovered_cents]
}

async fn employers(store: &dyn Store, unit: &str, from: NaiveDate, to: NaiveDate) -> u64 {
    store.distinct_employers(&id(unit), from, to).await.unwrap()
}

/// Every day and week rollup of every unit of `tree`, as stored.
async fn snapshot(
    store: &dyn Store,
    tree: &UnitTree,
) -> (Vec<fengqiao_store::RollupRow>, Vec<fengqiao_store::RollupRow>) {
    let units: Vec<UnitId> = tree.units().iter().map(|u| u.id.clone()).collect();
    let (from, to) =
        (NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2027, 1, 31).unwrap());
    (
        store.rollups(Period::Day, &units, from, to).await.unwrap(),
        store.rollups(Period::Week, &units, from, to).await.unwrap(),
    )
}

async fn assert_verified(store: &dyn Store, tree: &UnitTree) -> u64 {
    let verification = verify(store, tree, &TimePolicy::default()).await.unwrap();
    assert!(verification.differences.is_empty(), "{:#?}", verification.differences);
    verification.reports
}

async fn rollups_follow_corrections_and_duplicates(backend: Backend) {
    let (db, store, tree) = setup(backend, TREE).await;
    let store = &*store;
    let (friday, monday) = (date(27), date(30));
    let (week_48, week_49) = (date(23), date(30));
    let same_employer = "Pingdingshan Construction Co.";

    // Friday: a zero report on time, a wage-arrears report after the cut-off
    // (10:00 UTC is 18:00 in Shanghai), and a zero report in the other township.
    let applied = apply(
        store,
        vec![
            submission(report(GROUP_1, 27, 1, vec![]), utc(27, 8, 0)),
            submission(
                report(
                    GROUP_2,
                    27,
                    1,
                    vec![wage(
                        "w1",
                        same_employer,
                        9,
                        5_000_000,
                        1_000_000,
                        DisputeOutcome::ResolvedOnTheSpot,
                    )],
                ),
                utc(27, 11, 30),
            ),
            submission(report(OTHER_GROUP, 27, 1, vec![]), utc(27, 9, 59)),
        ],
    )
    .await;
    assert_eq!(applied, [Applied::New; 3]);
    let first = [
        (GROUP_1, [1, 1, 0, 1, 0, 0, 0]),
        (GROUP_2, [1, 0, 1, 0, 1, 1, 1_000_000]),
        (COMMUNITY, [2, 1, 1, 1, 1, 1, 1_000_000]),
        (TOWNSHIP, [2, 1, 1, 1, 1, 1, 1_000_000]),
        (OTHER_GROUP, [1, 1, 0, 1, 0, 0, 0]),
        (OTHER_TOWNSHIP, [1, 1, 0, 1, 0, 0, 0]),
        (DISTRICT, [3, 2, 1, 2, 1, 1, 1_000_000]),
    ];
    for (unit, want) in first {
        assert_eq!(figures(&day(store, unit, friday).await), want, "day rollup of {unit}");
        assert_eq!(figures(&week(store, unit, week_48).await), want, "week rollup of {unit}");
    }
    assert_eq!(employers(store, COMMUNITY, friday, friday).await, 1);
    assert_eq!(employers(store, GROUP_1, friday, friday).await, 0);

    // A duplicate changes nothing.
    let before = snapshot(store, &tree).await;
    let applied = apply(store, vec![submission(report(GROUP_1, 27, 1, vec![]), utc(27, 12, 0))]).await;
    assert_eq!(applied, [Applied::Duplicate]);
    assert_eq!(snapshot(store, &tree).await, before, "a duplicate leaves every rollup as it was");

    // A correction adds two wage-arrears disputes, one naming the same
    // employer as group 2 spelt with other spacing and case; timeliness stays
    // with the first revision (on time) although the correction is late.
    let applied = apply(
        store,
        vec![submission(
            report(
                GROUP_1,
                27,
                2,
                vec![
                    wage(
                        "w1",
                        "  PINGDINGSHAN   construction co. ",
                        4,
                        800_000,
                        250_000,
                        DisputeOutcome::Mediating,
                    ),
                    wage("w2", "甲建筑公司", 2, 100_000, 0, DisputeOutcome::ReferredUp),
                ],
            ),
            utc(27, 20, 0),
        )],
    )
    .await;
    assert_eq!(applied, [Applied::Correction { replaced: Revision::FIRST }]);
    let corrected = [
        (GROUP_1, [1, 1, 0, 0, 2, 2, 250_000]),
        (GROUP_2, [1, 0, 1, 0, 1, 1, 1_000_000]),
        (COMMUNITY, [2, 1, 1, 0, 3, 3, 1_250_000]),
        (TOWNSHIP, [2, 1, 1, 0, 3, 3, 1_250_000]),
        (OTHER_GROUP, [1, 1, 0, 1, 0, 0, 0]),
        (OTHER_TOWNSHIP, [1, 1, 0, 1, 0, 0, 0]),
        (DISTRICT, [3, 2, 1, 1, 3, 3, 1_250_000]),
    ];
    for (unit, want) in corrected {
        assert_eq!(
            figures(&day(store, unit, friday).await),
            want,
            "day rollup of {unit} after the correction"
        );
        assert_eq!(
            figures(&week(store, unit, week_48).await),
            want,
            "week rollup of {unit} after the correction"
        );
    }
    let community = day(store, COMMUNITY, friday).await;
    assert_eq!(community.wage_workers, 9 + 4 + 2);
    assert_eq!(community.wage_claimed_cents, 5_000_000 + 800_000 + 100_000);
    assert_eq!(community.wage_resolved, 1);
    assert_eq!(community.parties, 6);
    assert_eq!(community.category(DisputeCategory::WageArrears), 3);
    assert_eq!(community.outcome(DisputeOutcome::ResolvedOnTheSpot), 1);
    assert_eq!(community.outcome(DisputeOutcome::Mediating), 1);
    assert_eq!(community.outcome(DisputeOutcome::ReferredUp), 1);
    for (unit, want) in
        [(GROUP_1, 2), (GROUP_2, 1), (COMMUNITY, 2), (TOWNSHIP, 2), (DISTRICT, 2), (OTHER_TOWNSHIP, 0)]
    {
        assert_eq!(
            employers(store, unit, friday, friday).await,
            want,
            "distinct employers of {unit}: the same employer however spelt counts once"
        );
    }

    // A second correction takes the disputes out again.
    let applied = apply(store, vec![submission(report(GROUP_1, 27, 3, vec![]), utc(28, 2, 0))]).await;
    assert_eq!(applied, [Applied::Correction { replaced: Revision::new(2).unwrap() }]);
    let zeroed = [
        (GROUP_1, [1, 1, 0, 1, 0, 0, 0]),
        (GROUP_2, [1, 0, 1, 0, 1, 1, 1_000_000]),
        (COMMUNITY, [2, 1, 1, 1, 1, 1, 1_000_000]),
        (TOWNSHIP, [2, 1, 1, 1, 1, 1, 1_000_000]),
        (OTHER_TOWNSHIP, [1, 1, 0, 1, 0, 0, 0]),
        (DISTRICT, [3, 2, 1, 2, 1, 1, 1_000_000]),
    ];
    for (unit, want) in zeroed {
        assert_eq!(figures(&day(store, unit, friday).await), want, "day rollup of {unit} after the removal");
        assert_eq!(
            figures(&week(store, unit, week_48).await),
            want,
            "week rollup of {unit} after the removal"
        );
    }
    let group_2_friday = report(
        GROUP_2,
        27,
        1,
        vec![wage("w1", same_employer, 9, 5_000_000, 1_000_000, DisputeOutcome::ResolvedOnTheSpot)],
    );
    assert_eq!(
        day(store, COMMUNITY, friday).await,
        Tally::of_report(&report(GROUP_1, 27, 3, vec![]), true) + Tally::of_report(&group_2_friday, false),
        "every counter is back to the zero report plus group 2's"
    );
    for (unit, want) in [(GROUP_1, 0), (GROUP_2, 1), (COMMUNITY, 1), (TOWNSHIP, 1), (DISTRICT, 1)] {
        assert_eq!(
            employers(store, unit, friday, friday).await,
            want,
            "employers of {unit} after the removal"
        );
    }

    // Monday, the next ISO week: a zero report exactly at the cut-off (late)
    // and one with a neighbour dispute and the same employer once more.
    let applied = apply(
        store,
        vec![
            submission(report(GROUP_1, 30, 1, vec![]), utc(30, 10, 0)),
            submission(
                report(
                    GROUP_2,
                    30,
                    1,
                    vec![
                        neighbour("n1", 3),
                        wage(
                            "w1",
                            "pingdingshan  construction CO.",
                            3,
                            300_000,
                            300_000,
                            DisputeOutcome::ResolvedOnTheSpot,
                        ),
                    ],
                ),
                utc(30, 1, 0),
            ),
        ],
    )
    .await;
    assert_eq!(applied, [Applied::New; 2]);
    let monday_figures = [
        (GROUP_1, [1, 0, 1, 1, 0, 0, 0]),
        (GROUP_2, [1, 1, 0, 0, 2, 1, 300_000]),
        (COMMUNITY, [2, 1, 1, 1, 2, 1, 300_000]),
        (TOWNSHIP, [2, 1, 1, 1, 2, 1, 300_000]),
        (DISTRICT, [2, 1, 1, 1, 2, 1, 300_000]),
        (OTHER_TOWNSHIP, [0; 7]),
    ];
    for (unit, want) in monday_figures {
        assert_eq!(figures(&day(store, unit, monday).await), want, "Monday's rollup of {unit}");
        assert_eq!(figures(&week(store, unit, week_49).await), want, "week 49 of {unit}");
    }
    for (unit, want) in zeroed {
        assert_eq!(
            figures(&week(store, unit, week_48).await),
            want,
            "week 48 of {unit} is untouched by Monday"
        );
    }
    assert_eq!(day(store, COMMUNITY, monday).await.category(DisputeCategory::Neighbour), 1);
    assert_eq!(day(store, COMMUNITY, monday).await.parties, 3 + 2);
    assert_eq!(employers(store, COMMUNITY, monday, monday).await, 1);
    assert_eq!(employers(store, COMMUNITY, friday, monday).await, 1, "one employer over both weeks");
    assert_eq!(employers(store, DISTRICT, week_48, week_48 + Duration::days(6)).await, 1);
    assert_eq!(employers(store, OTHER_TOWNSHIP, friday, monday).await, 0);

    // Reading ranges: only rows that exist, by unit id (bytewise) then period.
    let rows = store.rollups(Period::Day, &[id(COMMUNITY), id(DISTRICT)], date(1), date(30)).await.unwrap();
    let keys: Vec<(&str, NaiveDate)> = rows.iter().map(|r| (r.unit_id.as_str(), r.period)).collect();
    assert_eq!(keys, [(DISTRICT, friday), (DISTRICT, monday), (COMMUNITY, friday), (COMMUNITY, monday)]);
    let rows = store.rollups(Period::Week, &[id(COMMUNITY)], date(24), date(30)).await.unwrap();
    assert_eq!(rows.len(), 1, "a week is found by its Monday");
    assert_eq!(rows[0].period, week_49);
    assert!(store.rollups(Period::Day, &[id(OTHER_COMMUNITY)], monday, monday).await.unwrap().is_empty());
    assert_eq!(store.rollup_extent().await.unwrap(), Some((friday, monday)));
    assert_eq!(
        store.received_on(&id(TOWNSHIP), friday).await.unwrap(),
        [(id(GROUP_1), utc(27, 8, 0)), (id(GROUP_2), utc(27, 11, 30))]
    );

    assert_eq!(assert_verified(store, &tree).await, 5);
    let before = snapshot(store, &tree).await;
    assert_eq!(store.rebuild_rollups(&TimePolicy::default()).await.unwrap(), 5);
    assert_eq!(snapshot(store, &tree).await, before, "a rebuild finds what was kept incrementally");
    assert_eq!(employers(store, COMMUNITY, friday, monday).await, 1);
    assert_eq!(employers(store, GROUP_1, friday, monday).await, 0);
    db.cleanup().await;
}

/// Group 2 moved from 电力社区 (马庄街道) to 某村 (南环路街道) on Wednesday
/// 2026-11-11, in the middle of ISO week 46 (Monday the 9th).
const MOVED_TREE: &str = "code,parent_code,tier,name,reporting,active_from,active_to,moves\n\
    410411,,district,湛河区,false,,,\n\
    410411001,410411,township,马庄街道,false,,,\n\
    410411001001,410411001,community,电力社区,false,,,\n\
    410411001001001,410411001001,group,1号楼,true,,,\n\
    410411001001002,410411002001,group,2号楼,true,,,410411001001@2026-11-11\n\
    410411002,410411,township,南环路街道,false,,,\n\
    410411002001,410411002,community,某村,false,,,\n\
    410411002001001,410411002001,group,第一村民组,true,,,\n";

async fn a_moved_unit_counts_under_its_old_parent_before_the_move(backend: Backend) {
    let (db, store, tree) = setup(backend, MOVED_TREE).await;
    let store = &*store;
    let mut batch = Vec::new();
    for d in 9..=17 {
        let moved = match d {
            10 => vec![wage("w1", "甲公司", 5, 400_000, 100_000, DisputeOutcome::Mediating)],
            12 => vec![wage("w1", "乙公司", 7, 900_000, 900_000, DisputeOutcome::ResolvedOnTheSpot)],
            _ => vec![],
        };
        batch.push(submission(report(GROUP_1, d, 1, vec![]), utc(d, 3, 0)));
        // The moved group is late on the 9th and the 16th.
        let late = d == 9 || d == 16;
        batch.push(submission(report(GROUP_2, d, 1, moved), utc(d, if late { 11 } else { 4 }, 0)));
        batch.push(submission(report(OTHER_GROUP, d, 1, vec![]), utc(d, 5, 0)));
    }
    assert_eq!(apply(store, batch).await, [Applied::New; 27]);
    check_the_move(store).await;
    assert_eq!(assert_verified(store, &tree).await, 27);

    let before = snapshot(store, &tree).await;
    assert_eq!(store.rebuild_rollups(&TimePolicy::default()).await.unwrap(), 27);
    assert_eq!(snapshot(store, &tree).await, before);
    check_the_move(store).await;
    db.cleanup().await;
}

async fn check_the_move(store: &dyn Store) {
    let (old_c, new_c, old_t, new_t) = (COMMUNITY, OTHER_COMMUNITY, TOWNSHIP, OTHER_TOWNSHIP);
    for d in 9..=17 {
        let before_move = i64::from(d < 11);
        let late = i64::from(d == 9 || d == 16);
        let disputes = i64::from(d == 10 || d == 12);
        let old_disputes = i64::from(d == 10);
        let new_disputes = i64::from(d == 12);
        let (old_received, new_received) = (1 + before_move, 2 - before_move);
        let old_late = if d < 11 { late } else { 0 };
        let new_late = if d < 11 { 0 } else { late };
        for unit in [old_c, old_t] {
            let t = day(store, unit, date(d)).await;
            assert_eq!(
                (t.received, t.late, t.disputes, t.zero_reports),
                (old_received, old_late, old_disputes, old_received - old_disputes),
                "{unit} on the {d}th"
            );
        }
        for unit in [new_c, new_t] {
            let t = day(store, unit, date(d)).await;
            assert_eq!(
                (t.received, t.late, t.disputes, t.zero_reports),
                (new_received, new_late, new_disputes, new_received - new_disputes),
                "{unit} on the {d}th"
            );
        }
        let district = day(store, DISTRICT, date(d)).await;
        assert_eq!(
            (district.received, district.on_time, district.late, district.disputes),
            (3, 3 - late, late, disputes),
            "the district counts the moved group once on the {d}th"
        );
        let moved = day(store, GROUP_2, date(d)).await;
        assert_eq!((moved.received, moved.disputes), (1, disputes));
    }
    let (week_46, week_47) = (date(9), date(16));
    // Week 46 (9th–15th): the moved group's 9th and 10th under its old
    // community, 11th–15th under the new one.
    for unit in [old_c, old_t] {
        assert_eq!(
            figures(&week(store, unit, week_46).await),
            [9, 8, 1, 8, 1, 1, 100_000],
            "{unit}, week 46"
        );
        assert_eq!(figures(&week(store, unit, week_47).await), [2, 2, 0, 2, 0, 0, 0], "{unit}, week 47");
    }
    for unit in [new_c, new_t] {
        assert_eq!(
            figures(&week(store, unit, week_46).await),
            [12, 12, 0, 11, 1, 1, 900_000],
            "{unit}, week 46"
        );
        assert_eq!(figures(&week(store, unit, week_47).await), [4, 3, 1, 4, 0, 0, 0], "{unit}, week 47");
    }
    assert_eq!(figures(&week(store, DISTRICT, week_46).await), [21, 20, 1, 19, 2, 2, 1_000_000]);
    assert_eq!(figures(&week(store, DISTRICT, week_47).await), [6, 5, 1, 6, 0, 0, 0]);
    assert_eq!(figures(&week(store, GROUP_2, week_46).await), [7, 6, 1, 5, 2, 2, 1_000_000]);

    let sunday = week_46 + Duration::days(6);
    assert_eq!(employers(store, old_c, week_46, sunday).await, 1, "甲公司, before the move");
    assert_eq!(employers(store, new_c, week_46, sunday).await, 1, "乙公司, after the move");
    assert_eq!(employers(store, old_t, date(11), sunday).await, 0);
    assert_eq!(employers(store, DISTRICT, week_46, sunday).await, 2);
    assert_eq!(employers(store, GROUP_2, week_46, sunday).await, 2);

    let received = |root: &'static str, d: u32| async move {
        store.received_on(&id(root), date(d)).await.unwrap().into_iter().map(|(u, _)| u).collect::<Vec<_>>()
    };
    assert_eq!(received(old_c, 10).await, [id(GROUP_1), id(GROUP_2)]);
    assert_eq!(received(old_c, 11).await, [id(GROUP_1)]);
    assert_eq!(received(new_c, 10).await, [id(OTHER_GROUP)]);
    assert_eq!(received(new_c, 11).await, [id(GROUP_2), id(OTHER_GROUP)]);
    assert_eq!(received(DISTRICT, 11).await.len(), 3);
}

/// The store fans out by the closure it holds in memory: a tree change
/// (group 2 moved on the 11th) makes every later batch count the group
/// under its new parents from that day — rollups, employers and the
/// digests of the roots above it — and a store reopened on the database
/// fans out by the stored closure and roots before any tree is set again.
async fn later_batches_fan_out_by_the_new_closure_and_after_a_reopen(backend: Backend) {
    let (db, store, _) = setup(backend, TREE).await;
    let roots = [id(DISTRICT), id(OTHER_TOWNSHIP)];
    let old_tree = UnitTree::from_csv(TREE).unwrap();
    assert!(store.ensure_digests(&fengqiao_store::digest::basis(&old_tree, &roots), &roots).await.unwrap());
    // Under the old tree the group's 13th counts under 电力社区.
    apply(&*store, vec![submission(report(GROUP_2, 13, 1, vec![]), utc(13, 3, 0))]).await;
    assert_eq!(day(&*store, COMMUNITY, date(13)).await.received, 1);
    assert_eq!(day(&*store, OTHER_COMMUNITY, date(13)).await.received, 0);
    assert!(store.digest_total(&id(OTHER_TOWNSHIP)).await.unwrap().is_empty());

    // The move; the node rebuilds what depends on the closure.
    let tree = UnitTree::from_csv(MOVED_TREE).unwrap();
    store.replace_units(&tree, fengqiao_store::testing::audit_record("tree")).await.unwrap();
    store.rebuild_rollups(&TimePolicy::default()).await.unwrap();
    assert!(store.ensure_digests(&fengqiao_store::digest::basis(&tree, &roots), &roots).await.unwrap());
    assert_eq!(day(&*store, OTHER_COMMUNITY, date(13)).await.received, 1, "rebuilt under the new parent");
    assert_eq!(store.digest_total(&id(OTHER_TOWNSHIP)).await.unwrap().reports.items, 1);

    // Later batches: a day before the move, a correction and a new day after it.
    let wages = || vec![wage("w1", "甲公司", 3, 300_000, 0, DisputeOutcome::Mediating)];
    apply(
        &*store,
        vec![
            submission(report(GROUP_2, 10, 1, wages()), utc(10, 3, 0)),
            submission(report(GROUP_2, 13, 2, wages()), utc(13, 5, 0)),
            submission(report(GROUP_2, 14, 1, vec![]), utc(14, 3, 0)),
        ],
    )
    .await;
    for (unit, d, received) in [
        (COMMUNITY, 10, 1),
        (TOWNSHIP, 10, 1),
        (OTHER_COMMUNITY, 10, 0),
        (COMMUNITY, 13, 0),
        (OTHER_COMMUNITY, 13, 1),
        (OTHER_TOWNSHIP, 13, 1),
        (COMMUNITY, 14, 0),
        (OTHER_COMMUNITY, 14, 1),
        (DISTRICT, 14, 1),
    ] {
        assert_eq!(day(&*store, unit, date(d)).await.received, received, "{unit} on the {d}th");
    }
    assert_eq!(
        day(&*store, OTHER_COMMUNITY, date(13)).await.disputes,
        1,
        "the correction under the new parent"
    );
    assert_eq!(employers(&*store, COMMUNITY, date(9), date(15)).await, 1, "the 10th, before the move");
    assert_eq!(employers(&*store, OTHER_TOWNSHIP, date(9), date(15)).await, 1, "the 13th, after it");
    assert_eq!(assert_verified(&*store, &tree).await, 3);
    let items = |store: Arc<dyn Store>, root: &'static str| async move {
        store.digest_total(&id(root)).await.unwrap().reports.items
    };
    assert_eq!(items(Arc::clone(&store), OTHER_TOWNSHIP).await, 2, "the 13th and the 14th");
    assert_eq!(items(Arc::clone(&store), DISTRICT).await, 3);

    // Reopened: the closure and the roots come from the database.
    store.close().await;
    let store = db.open().await.unwrap();
    apply(
        &*store,
        vec![
            submission(report(GROUP_2, 9, 1, vec![]), utc(9, 3, 0)),
            submission(report(GROUP_2, 15, 1, wages()), utc(15, 3, 0)),
        ],
    )
    .await;
    for (unit, d, received) in [
        (COMMUNITY, 9, 1),
        (OTHER_COMMUNITY, 9, 0),
        (COMMUNITY, 15, 0),
        (OTHER_COMMUNITY, 15, 1),
        (OTHER_TOWNSHIP, 15, 1),
        (GROUP_2, 15, 1),
    ] {
        assert_eq!(
            day(&*store, unit, date(d)).await.received,
            received,
            "after the reopen: {unit} on the {d}th"
        );
    }
    assert_eq!(figures(&week(&*store, OTHER_TOWNSHIP, date(9)).await)[0], 3, "13th, 14th, 15th");
    assert_eq!(figures(&week(&*store, TOWNSHIP, date(9)).await)[0], 2, "9th, 10th");
    assert_eq!(employers(&*store, OTHER_TOWNSHIP, date(15), date(15)).await, 1);
    assert_eq!(assert_verified(&*store, &tree).await, 5);
    assert_eq!(items(Arc::clone(&store), OTHER_TOWNSHIP).await, 3, "the roots were reloaded");
    assert_eq!(items(Arc::clone(&store), DISTRICT).await, 5);
    assert!(store.digest_total(&id(TOWNSHIP)).await.unwrap().is_empty(), "not a root");
    store.close().await;
    db.cleanup().await;
}

async fn child_syncs_keep_the_latest(backend: Backend) {
    let (db, store, _) = setup(backend, TREE).await;
    assert!(store.child_syncs().await.unwrap().is_empty());
    let township = id(TOWNSHIP);
    let other = id(OTHER_TOWNSHIP);
    store.record_child_sync(&township, utc(27, 8, 0), Some(utc(27, 7, 59))).await.unwrap();
    store.record_child_sync(&other, utc(27, 8, 30), None).await.unwrap();
    store.record_child_sync(&township, utc(27, 9, 0), None).await.unwrap();
    let sync = |child: &str, last: DateTime<Utc>, through: Option<DateTime<Utc>>| ChildSync {
        child_unit_id: child.to_owned(),
        last_push_at: last,
        synced_through: through,
    };
    assert_eq!(
        store.child_syncs().await.unwrap(),
        [sync(TOWNSHIP, utc(27, 9, 0), Some(utc(27, 7, 59))), sync(OTHER_TOWNSHIP, utc(27, 8, 30), None)],
        "a push that states nothing keeps the earlier synced-through"
    );
    store.record_child_sync(&township, utc(27, 10, 0), Some(utc(27, 9, 58))).await.unwrap();
    store.record_child_sync(&other, utc(27, 10, 5), Some(utc(27, 10, 1))).await.unwrap();
    assert_eq!(
        store.child_syncs().await.unwrap(),
        [
            sync(TOWNSHIP, utc(27, 10, 0), Some(utc(27, 9, 58))),
            sync(OTHER_TOWNSHIP, utc(27, 10, 5), Some(utc(27, 10, 1)))
        ]
    );
    // It survives a restart.
    store.close().await;
    let reopened = db.open().await.unwrap();
    assert_eq!(reopened.child_syncs().await.unwrap().len(), 2);
    reopened.close().await;
    db.cleanup().await;
}

/// `verify` walks the weeks that hold data, not every week between the
/// first and the last: a report from year 1 next to three weeks of 2026 is
/// four weeks, not 105,000 (it took 56 s), and a stray rollup row in an
/// otherwise empty week is still found.
async fn verify_walks_only_the_weeks_that_hold_data(backend: Backend) {
    let (db, store, tree) = setup(backend, TREE).await;
    let year_one = NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
    // 2026-11-09 and -11 (week 46), 2026-11-18 (week 47), 2026-11-30 (week 49);
    // week 48 holds nothing.
    let dates = [date(9), date(11), date(18), date(30), year_one];
    let batch = dates.iter().map(|&d| submission(report_on(GROUP_1, d, 1, vec![]), utc(9, 8, 0))).collect();
    apply(&*store, batch).await;
    assert_eq!(store.report_extent().await.unwrap(), Some((year_one, date(30))));
    let mondays: BTreeSet<NaiveDate> =
        store.held_days().await.unwrap().into_iter().map(|d| IsoWeek::of(d).monday()).collect();
    assert_eq!(mondays.len(), 4);
    let verification = verify(&*store, &tree, &TimePolicy::default()).await.unwrap();
    assert!(verification.differences.is_empty(), "{:#?}", verification.differences);
    assert_eq!(verification.reports, 5);
    assert_eq!(verification.weeks, 4, "the weeks of year 1, 46, 47 and 49 of 2026, not those between");
    db.cleanup().await;
}

fengqiao_store::both_backends!(
    verify_walks_only_the_weeks_that_hold_data,
    rollups_follow_corrections_and_duplicates,
    a_moved_unit_counts_under_its_old_parent_before_the_move,
    later_batches_fan_out_by_the_new_closure_and_after_a_reopen,
    child_syncs_keep_the_latest,
);

// ---------------------------------------------------------------------------
// Property: incremental rollups equal a recomputation.
// ---------------------------------------------------------------------------

/// Ten days over two ISO weeks (W47: 19th–22nd, W48: 23rd–28th), units that
/// open and close, a community-level and a township-level reporter, and a
/// group that moves twice: under 电力社区 before the 22nd, under 平高社区
/// from the 22nd to the 24th, under 某村 (another township) from the 25th.
const PROPERTY_TREE: &str = "code,parent_code,tier,name,reporting,active_from,active_to,moves\n\
    410411,,district,湛河区,false,,,\n\
    410411001,410411,township,马庄街道,false,,,\n\
    410411001001,410411001,community,电力社区,true,,,\n\
    410411001001001,410411001001,group,1号楼,true,,,\n\
    410411001001002,410411001001,group,2号楼,true,,2026-11-24,\n\
    410411001002,410411001,community,平高社区,false,2026-11-21,,\n\
    410411001002001,410411001002,group,新1号楼,true,2026-11-22,,\n\
    410411002,410411,township,南环路街道,true,,,\n\
    410411002001,410411002,community,某村,false,,,\n\
    410411002001001,410411002001,group,第一村民组,true,,,\n\
    410411002001002,410411002001,group,第二村民组,true,,,410411001001@2026-11-22;410411001002@2026-11-25\n";

const FIRST_DAY: u32 = 19;
const DAYS: u32 = 10;

/// Units whose reports arrive from a child node (out of order, with the
/// origin's acceptance time).
const UPLINK_UNITS: [&str; 2] = ["410411002001001", "410411002001002"];

/// Employers, some of them one employer spelt differently.
const EMPLOYERS: [&str; 6] = ["ACME Co.", "acme  co.", " Acme Co. ", "甲公司", "乙 公司", "乙  公司"];

#[derive(Debug, Clone)]
struct DisputeSpec {
    /// ≥ CATEGORIES: wage arrears (so they are frequent).
    category: usize,
    outcome: usize,
    parties: u32,
    employer: usize,
    workers: u32,
    claimed: i64,
    recovered_per_mille: i64,
}

#[derive(Debug, Clone)]
struct OpSpec {
    /// 0 next revision of a slot, 1 next revision of an earlier submission's
    /// report (a correction), 2 skip a revision (uplink units; others: as 0),
    /// 3 a skipped revision arriving late, 4 exact duplicate of an earlier
    /// submission, 5 same revision as the highest made, other content.
    kind: u8,
    slot: prop::sample::Index,
    contents: [Vec<DisputeSpec>; 2],
    /// Acceptance, in minutes after 00:00 UTC of the report's date (the
    /// cut-off is minute 600).
    minute: u32,
    /// The origin's first acceptance, likewise (uplink units).
    origin_minute: u32,
    pick: prop::sample::Index,
    /// Whether the batch ends after this submission.
    end_batch: bool,
}

fn dispute_spec() -> impl Strategy<Value = DisputeSpec> {
    (0..CATEGORIES + 4, 0..OUTCOMES, 0u32..6, 0..EMPLOYERS.len(), 1u32..30, 0i64..2_000_000, 0i64..=1000)
        .prop_map(|(category, outcome, parties, employer, workers, claimed, recovered_per_mille)| {
            DisputeSpec { category, outcome, parties, employer, workers, claimed, recovered_per_mille }
        })
}

fn content() -> impl Strategy<Value = Vec<DisputeSpec>> {
    prop::collection::vec(dispute_spec(), 0..=3)
}

fn op_spec() -> impl Strategy<Value = OpSpec> {
    (
        0u8..6,
        any::<prop::sample::Index>(),
        [content(), content()],
        0u32..1200,
        0u32..1200,
        any::<prop::sample::Index>(),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(kind, slot, contents, minute, origin_minute, pick, end_batch)| OpSpec {
            kind,
            slot,
            contents,
            minute,
            origin_minute,
            pick,
            end_batch,
        })
}

fn build_disputes(specs: &[DisputeSpec]) -> Vec<Dispute> {
    specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let wage_arrears = spec.category >= CATEGORIES || spec.category == 0;
            let category =
                if wage_arrears { DisputeCategory::WageArrears } else { DisputeCategory::ALL[spec.category] };
            Dispute::new(DisputeDraft {
                local_id: format!("d{i}"),
                category,
                outcome: DisputeOutcome::ALL[spec.outcome],
                parties: spec.parties,
                summary: String::new(),
                case_id: None,
                wage_arrears: wage_arrears.then(|| {
                    WageArrears::new(WageArrearsDraft {
                        employer: EMPLOYERS[spec.employer].into(),
                        workers: spec.workers,
                        amount_claimed_cents: spec.claimed,
                        amount_recovered_cents: spec.claimed * spec.recovered_per_mille / 1000,
                    })
                    .unwrap()
                }),
            })
            .unwrap()
        })
        .collect()
}

/// Turns abstract operations into a sequence of submissions and batch ends.
#[derive(Default)]
struct Generator {
    /// The report of each (key, revision) once made, so resends are identical.
    made: HashMap<(ReportKey, u32), DailyReport>,
    /// The highest revision made per key.
    highest: HashMap<ReportKey, u32>,
    /// The origin's first acceptance per key (uplink units).
    origin: HashMap<ReportKey, DateTime<Utc>>,
    /// Skipped revisions not yet sent.
    pending: Vec<(ReportKey, u32)>,
    sent: Vec<Submission>,
}

impl Generator {
    fn report(&mut self, key: &ReportKey, revision: u32, content: &[DisputeSpec]) -> DailyReport {
        self.made
            .entry((key.clone(), revision))
            .or_insert_with(|| report_on(key.unit_id.as_str(), key.date, revision, build_disputes(content)))
            .clone()
    }

    fn submission(
        &mut self,
        report: DailyReport,
        accepted_at: DateTime<Utc>,
        origin: DateTime<Utc>,
    ) -> Submission {
        let key = report.key();
        *self.highest.entry(key.clone()).or_default() =
            self.highest.get(&key).copied().unwrap_or(0).max(report.revision().get());
        let uplink = UPLINK_UNITS.contains(&key.unit_id.as_str());
        let submission = if uplink {
            let first = *self.origin.entry(key).or_insert(origin);
            Submission {
                audit: fengqiao_store::testing::audit_record(format!("report {}", report.key())),
                report,
                source: Source::Uplink,
                accepted_at,
                first_accepted_at: Some(first),
                trace_parent: None,
            }
        } else {
            Submission {
                audit: fengqiao_store::testing::audit_record(format!("report {}", report.key())),
                report,
                source: Source::Reporter,
                accepted_at,
                first_accepted_at: None,
                trace_parent: None,
            }
        };
        self.sent.push(submission.clone());
        submission
    }

    fn next(&mut self, op: &OpSpec, slots: &[(UnitId, NaiveDate)]) -> Submission {
        let kind = if self.sent.is_empty() { 0 } else { op.kind };
        let key = if kind == 1 {
            self.sent[op.pick.index(self.sent.len())].report.key()
        } else {
            let (unit_id, date) = slots[op.slot.index(slots.len())].clone();
            ReportKey { unit_id, date }
        };
        let at = |minutes: u32, date: NaiveDate| {
            Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap()) + Duration::minutes(i64::from(minutes))
        };
        let (accepted_at, origin) = (at(op.minute, key.date), at(op.origin_minute, key.date));
        let uplink = UPLINK_UNITS.contains(&key.unit_id.as_str());
        let highest = self.highest.get(&key).copied().unwrap_or(0);
        match kind {
            2 if uplink => {
                self.report(&key, highest + 1, &op.contents[1]);
                self.pending.push((key.clone(), highest + 1));
                let report = self.report(&key, highest + 2, &op.contents[0]);
                self.submission(report, accepted_at, origin)
            }
            3 if !self.pending.is_empty() => {
                let (key, revision) = self.pending.swap_remove(op.pick.index(self.pending.len()));
                let report = self.made[&(key.clone(), revision)].clone();
                self.submission(report, at(op.minute, key.date), at(op.origin_minute, key.date))
            }
            3 | 4 => {
                let mut again = self.sent[op.pick.index(self.sent.len())].clone();
                again.accepted_at = again.accepted_at.max(at(op.minute, again.report.date()));
                self.sent.push(again.clone());
                again
            }
            5 => {
                let revision = highest.max(1);
                self.report(&key, revision, &op.contents[1]);
                let other =
                    report_on(key.unit_id.as_str(), key.date, revision, build_disputes(&op.contents[0]));
                self.submission(other, accepted_at, origin)
            }
            _ => {
                let report = self.report(&key, highest + 1, &op.contents[0]);
                self.submission(report, accepted_at, origin)
            }
        }
    }
}

/// The current reports as the revision rules say they must be.
#[derive(Default)]
struct Model {
    current: BTreeMap<(NaiveDate, UnitId), StoredReport>,
}

impl Model {
    fn apply(&mut self, s: &Submission) -> ItemResult {
        let key = (s.report.date(), s.report.unit_id().clone());
        let stored = self.current.get(&key);
        let head =
            stored.map(|c| Head { revision: c.report.revision(), content_hash: c.report.content_hash() });
        let applied = decide(head.as_ref(), &s.report, s.source)?;
        if applied == Applied::Duplicate {
            let stored = stored.expect("a duplicate has a head");
            return Ok(Outcome {
                applied,
                revision: stored.report.revision(),
                accepted_at: stored.accepted_at,
                first_accepted_at: stored.first_accepted_at,
            });
        }
        let first_accepted_at =
            stored.map_or_else(|| s.first_accepted_at.unwrap_or(s.accepted_at), |c| c.first_accepted_at);
        self.current.insert(
            key,
            StoredReport { report: s.report.clone(), accepted_at: s.accepted_at, first_accepted_at },
        );
        Ok(Outcome { applied, revision: s.report.revision(), accepted_at: s.accepted_at, first_accepted_at })
    }
}

type Figures = BTreeMap<(UnitId, NaiveDate), Tally>;

fn nonempty(rows: Vec<fengqiao_store::RollupRow>) -> Figures {
    let mut out = Figures::new();
    for row in rows.into_iter().filter(|r| !r.tally.is_empty()) {
        assert!(out.insert((row.unit_id, row.period), row.tally).is_none(), "one row per unit and period");
    }
    out
}

fn incremental_rollups_equal_recomputation(backend: Backend) {
    let tree = UnitTree::from_csv(PROPERTY_TREE).unwrap();
    let days: Vec<NaiveDate> = (0..DAYS).map(|i| date(FIRST_DAY + i)).collect();
    let slots: Vec<(UnitId, NaiveDate)> = tree
        .units()
        .iter()
        .filter(|u| u.reporting)
        .flat_map(|u| days.iter().filter(|d| u.expected_on(**d)).map(|d| (u.id.clone(), *d)))
        .collect();
    let config = Config { cases: 24, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let strategy = prop::collection::vec(op_spec(), 1..48);
    let result = runner.run(&strategy, |ops| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(run_case(backend, &tree, &slots, &days, &ops));
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{backend}: {failure}");
    }
}

async fn run_case(
    backend: Backend,
    tree: &UnitTree,
    slots: &[(UnitId, NaiveDate)],
    days: &[NaiveDate],
    ops: &[OpSpec],
) {
    let policy = TimePolicy::default();
    let db = TestDb::new(backend).await;
    let store = db.open().await.expect("test database opens");
    store.replace_units(tree, fengqiao_store::testing::audit_record("tree")).await.unwrap();

    // Submissions, cut into batches, and what each must do.
    let mut generator = Generator::default();
    let mut model = Model::default();
    let mut batches: Vec<Vec<Submission>> = vec![Vec::new()];
    for op in ops {
        let submission = generator.next(op, slots);
        batches.last_mut().unwrap().push(submission);
        if op.end_batch {
            batches.push(Vec::new());
        }
    }
    for (n, batch) in batches.into_iter().filter(|b| !b.is_empty()).enumerate() {
        let expected: Vec<ItemResult> = batch.iter().map(|s| model.apply(s)).collect();
        let results = store.apply_reports(batch, n % 2 == 0, &policy).await.expect("store works");
        assert_eq!(results, expected, "batch {n} applies by the revision rules");
    }

    // The store's current reports are the model's.
    let (first, last) = (days[0], *days.last().unwrap());
    let listed = store
        .list_reports(&ListQuery {
            root: tree.root_id().clone(),
            from: first,
            to: last,
            after: None,
            limit: 10_000,
        })
        .await
        .unwrap();
    let current: Vec<&StoredReport> = model.current.values().collect();
    assert_eq!(listed.iter().collect::<Vec<_>>(), current, "current reports");

    // The verifier finds nothing, and stored rollups equal a tally of the
    // current reports placed with the dated tree.
    let verification = verify(&*store, tree, &policy).await.unwrap();
    assert!(verification.differences.is_empty(), "{:#?}", verification.differences);
    assert_eq!(verification.reports, model.current.len() as u64);
    assert!(verification.reports > 0);

    let mut want_days = Figures::new();
    let mut want_weeks = Figures::new();
    let mut want_employers: HashMap<(UnitId, NaiveDate), BTreeSet<String>> = HashMap::new();
    for stored in model.current.values() {
        let report = &stored.report;
        let tally = Tally::of_report(report, policy.is_on_time(report.date(), stored.first_accepted_at));
        let names: Vec<String> = report
            .disputes()
            .iter()
            .filter_map(|d| d.wage_arrears())
            .map(|w| employer_key(w.employer()))
            .collect();
        let monday = IsoWeek::of(report.date()).monday();
        let units = tree
            .ancestors_on(report.unit_id().as_str(), report.date())
            .into_iter()
            .map(|u| u.id.clone())
            .chain(std::iter::once(report.unit_id().clone()));
        for unit in units {
            *want_days.entry((unit.clone(), report.date())).or_default() += tally;
            *want_weeks.entry((unit.clone(), monday)).or_default() += tally;
            want_employers.entry((unit, report.date())).or_default().extend(names.iter().cloned());
        }
    }
    let units: Vec<UnitId> = tree.units().iter().map(|u| u.id.clone()).collect();
    let first_monday = IsoWeek::of(first).monday();
    let read = || async {
        (
            store.rollups(Period::Day, &units, first, last).await.unwrap(),
            store.rollups(Period::Week, &units, first_monday, last).await.unwrap(),
        )
    };
    let (stored_days, stored_weeks) = read().await;
    assert_eq!(nonempty(stored_days.clone()), want_days, "day rollups");
    assert_eq!(nonempty(stored_weeks.clone()), want_weeks, "week rollups");

    // A read probes each (unit, period) pair of its range, or scans the
    // range when that would be too many pairs (two centuries here): both
    // find exactly the rows of the units and periods asked for.
    let (ages_ago, ages_ahead) =
        (NaiveDate::from_ymd_opt(1900, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2099, 12, 31).unwrap());
    for period in [Period::Day, Period::Week] {
        let want = if period == Period::Day { &want_days } else { &want_weeks };
        let scanned = store.rollups(period, &units, ages_ago, ages_ahead).await.unwrap();
        assert_eq!(&nonempty(scanned), want, "{period:?} rollups read by a range scan");
    }
    for (i, &from) in days.iter().enumerate().step_by(3) {
        for &to in days[i..].iter().step_by(4) {
            let subset: Vec<UnitId> = units.iter().skip(i % 2).step_by(2).cloned().collect();
            for period in [Period::Day, Period::Week] {
                let want: Figures = if period == Period::Day { &want_days } else { &want_weeks }
                    .iter()
                    .filter(|((unit, key), _)| subset.contains(unit) && from <= *key && *key <= to)
                    .map(|(key, tally)| (key.clone(), *tally))
                    .collect();
                let probed = store.rollups(period, &subset, from, to).await.unwrap();
                assert_eq!(nonempty(probed), want, "{period:?} rollups of {subset:?} from {from} to {to}");
            }
        }
    }

    let mut ranges: Vec<(NaiveDate, NaiveDate)> = days.iter().map(|d| (*d, *d)).collect();
    ranges.push((first, last));
    ranges.push((first, date(22)));
    ranges.push((date(23), last));
    // Distinct employers of every unit over each day, each week and the whole
    // range, asked concurrently.
    let mut employer_cases: Vec<(UnitId, NaiveDate, NaiveDate, BTreeSet<String>)> = Vec::new();
    for unit in &units {
        for &(from, to) in &ranges {
            let mut want = BTreeSet::new();
            for ((u, d), names) in &want_employers {
                if u == unit && from <= *d && *d <= to {
                    want.extend(names.iter().cloned());
                }
            }
            employer_cases.push((unit.clone(), from, to, want));
        }
    }
    let check_employers = |when: &'static str| {
        let mut tasks = tokio::task::JoinSet::new();
        for (n, (unit, from, to, _)) in employer_cases.iter().cloned().enumerate() {
            let store = Arc::clone(&store);
            tasks.spawn(async move { (n, store.distinct_employers(&unit, from, to).await.unwrap()) });
        }
        let employer_cases = &employer_cases;
        async move {
            for (n, stored) in tasks.join_all().await {
                let (unit, from, to, want) = &employer_cases[n];
                assert_eq!(
                    stored,
                    want.len() as u64,
                    "{when}: employers of {unit} from {from} to {to}: {want:?}"
                );
            }
        }
    };
    check_employers("incremental").await;

    // A rebuild from scratch finds the same rows.
    assert_eq!(store.rebuild_rollups(&policy).await.unwrap(), model.current.len() as u64);
    let (rebuilt_days, rebuilt_weeks) = read().await;
    assert_eq!(rebuilt_days, stored_days, "day rollups after a rebuild");
    assert_eq!(rebuilt_weeks, stored_weeks, "week rollups after a rebuild");
    check_employers("rebuilt").await;

    store.close().await;
    db.cleanup().await;
}

#[test]
fn sqlite_incremental_rollups_equal_recomputation() {
    incremental_rollups_equal_recomputation(Backend::Sqlite);
}

#[test]
fn postgres_incremental_rollups_equal_recomputation() {
    incremental_rollups_equal_recomputation(Backend::Postgres);
}
