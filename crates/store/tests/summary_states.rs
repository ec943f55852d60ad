//! Summaries above the boundary, on both backends: a newer state of a
//! (unit, day) adds its difference to the rollups, employer keys, expected
//! counts and case keys of the unit and of the targets given, and nothing
//! else; the same version again, an older one, or several in one batch in
//! any order leave exactly what the newest says; `forward` queues one
//! outbox entry per (unit, day); the keyed figures read back exactly.
//!
//! The receiver here is a city 4104 with districts 410411 and 410402 and
//! township 410411001: a district's state counts towards the district and
//! the city, a township's towards the township alone.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fengqiao_core::read::{CaseCounts, CaseFigure};
use fengqiao_core::summary_state::RollupState;
use fengqiao_core::{DisputeCategory, IsoWeek, Tally, UnitId};
use fengqiao_store::testing::TestDb;
use fengqiao_store::{Backend, OutboxPayload, Period, StateOutcome, StateWrite, Store};

const CITY: &str = "4104";
const ZHANHE: &str = "410411";
const XINHUA: &str = "410402";
const TOWNSHIP: &str = "410411001";

fn unit(id: &str) -> UnitId {
    UnitId::parse(id).unwrap()
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap()
}

/// A tally with `received` reports, `disputes` land disputes among them,
/// `wage` of those wage arrears, and `expected` reporters.
fn tally(expected: i64, received: i64, disputes: i64, wage: i64) -> Tally {
    let mut tally = Tally {
        expected,
        received,
        on_time: received,
        zero_reports: received - disputes.min(received),
        disputes,
        parties: 2 * disputes,
        wage_disputes: wage,
        wage_workers: 3 * wage,
        wage_claimed_cents: 1_000 * wage,
        ..Tally::default()
    };
    let land = DisputeCategory::ALL.iter().position(|c| *c == DisputeCategory::Land).unwrap();
    tally.by_category[land] = disputes;
    tally.by_outcome[0] = disputes;
    tally
}

fn state(
    id: &str,
    day: NaiveDate,
    version: u64,
    tally: Tally,
    employers: &[(&str, i64)],
    cases: &[(CaseFigure, &str)],
) -> RollupState {
    let mut state = RollupState::empty(unit(id), day);
    state.version = version;
    state.tally = tally;
    state.employers = employers.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect();
    for (figure, case) in cases {
        state.cases.entry(*figure).or_default().insert((*case).to_owned());
    }
    state
}

/// A district's state counts at the district and the city; a township's
/// at the township only.
fn write(state: RollupState) -> StateWrite {
    let targets = match state.unit_id.as_str() {
        ZHANHE | XINHUA => vec![state.unit_id.clone(), unit(CITY)],
        _ => vec![state.unit_id.clone()],
    };
    StateWrite { state, targets }
}

async fn open(backend: Backend) -> (TestDb, std::sync::Arc<dyn Store>) {
    let db = TestDb::new(backend).await;
    let store = db.open().await.expect("test database opens");
    (db, store)
}

async fn day_tally(store: &dyn Store, id: &str, day: NaiveDate) -> Tally {
    let rows = store.rollups(Period::Day, &[unit(id)], day, day).await.unwrap();
    assert!(rows.len() <= 1, "{rows:?}");
    rows.into_iter().next().map(|r| r.tally).unwrap_or_default()
}

async fn week_tally(store: &dyn Store, id: &str, day: NaiveDate) -> Tally {
    let monday = IsoWeek::of(day).monday();
    let rows = store.rollups(Period::Week, &[unit(id)], monday, monday).await.unwrap();
    rows.into_iter().next().map(|r| r.tally).unwrap_or_default()
}

async fn expected(store: &dyn Store, id: &str, from: NaiveDate, to: NaiveDate) -> i64 {
    store.expected_sums(&[(unit(id), from, to)]).await.unwrap()[0]
}

async fn case_figures(store: &dyn Store, id: &str, from: NaiveDate, to: NaiveDate) -> CaseCounts {
    store.keyed_case_figures(&[unit(id)], from, to).await.unwrap()[0]
}

/// Stored counters only: rollups never hold `expected`.
fn stored(mut tally: Tally) -> Tally {
    tally.expected = 0;
    tally
}

/// Everything the receiver holds for the units and days of these tests.
async fn snapshot(store: &dyn Store) -> String {
    let units: Vec<UnitId> = [CITY, ZHANHE, XINHUA, TOWNSHIP].iter().map(|u| unit(u)).collect();
    let mut out = String::new();
    for period in [Period::Day, Period::Week] {
        for row in store.rollups(period, &units, date(1), date(30)).await.unwrap() {
            out.push_str(&format!("{period:?} {} {} {:?}\n", row.unit_id, row.period, row.tally.stored()));
        }
    }
    for u in &units {
        for d in 1..=30 {
            let day = date(d);
            out.push_str(&format!(
                "{u} {day} employers {} expected {} cases {:?} held {:?}\n",
                store.distinct_employers(u, day, day).await.unwrap(),
                expected(store, u.as_str(), day, day).await,
                case_figures(store, u.as_str(), day, day).await,
                store.held_state(u, day).await.unwrap(),
            ));
        }
    }
    out
}

async fn summary_entries(store: &dyn Store) -> Vec<(UnitId, NaiveDate)> {
    store
        .outbox_peek(1000)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|item| match item.payload {
            OutboxPayload::Summary { unit_id, day } => Some((unit_id, day)),
            _ => None,
        })
        .collect()
}

async fn a_newer_state_applies_its_difference(backend: Backend) {
    let (db, store) = open(backend).await;
    let store = &*store;
    let d = date(24);
    let v1 = state(
        ZHANHE,
        d,
        10,
        tally(5, 4, 3, 2),
        &[("k-a", 1), ("k-b", 1)],
        &[(CaseFigure::Registered, "C-1"), (CaseFigure::Registered, "C-2"), (CaseFigure::Overdue, "C-3")],
    );
    let x1 = state(XINHUA, d, 7, tally(3, 2, 1, 1), &[("k-a", 1)], &[(CaseFigure::Registered, "C-9")]);
    let t1 = state(TOWNSHIP, d, 10, tally(2, 2, 1, 1), &[("k-a", 1)], &[(CaseFigure::Registered, "C-1")]);
    let outcomes = store
        .apply_rollup_states(&[write(v1.clone()), write(x1.clone()), write(t1.clone())], false, at())
        .await
        .unwrap();
    assert_eq!(outcomes, vec![StateOutcome::Applied; 3]);

    assert_eq!(day_tally(store, ZHANHE, d).await, stored(tally(5, 4, 3, 2)));
    assert_eq!(day_tally(store, XINHUA, d).await, stored(tally(3, 2, 1, 1)));
    assert_eq!(day_tally(store, TOWNSHIP, d).await, stored(tally(2, 2, 1, 1)));
    assert_eq!(
        day_tally(store, CITY, d).await,
        stored(tally(8, 6, 4, 3)),
        "the districts' sum, not the township's"
    );
    assert_eq!(week_tally(store, CITY, d).await, stored(tally(8, 6, 4, 3)));
    assert_eq!(week_tally(store, TOWNSHIP, d).await, stored(tally(2, 2, 1, 1)));
    assert_eq!(expected(store, ZHANHE, d, d).await, 5);
    assert_eq!(expected(store, CITY, d, d).await, 8);
    assert_eq!(expected(store, TOWNSHIP, d, d).await, 2);
    assert_eq!(store.distinct_employers(&unit(ZHANHE), d, d).await.unwrap(), 2);
    assert_eq!(store.distinct_employers(&unit(CITY), d, d).await.unwrap(), 2, "k-a once for the city");
    assert_eq!(store.distinct_employers(&unit(TOWNSHIP), d, d).await.unwrap(), 1);
    let city = case_figures(store, CITY, d, d).await;
    assert_eq!((city.registered, city.overdue), (3, 1));
    let township = case_figures(store, TOWNSHIP, d, d).await;
    assert_eq!((township.registered, township.overdue), (1, 0));
    assert_eq!(store.held_state(&unit(ZHANHE), d).await.unwrap(), Some(v1.clone()));
    assert_eq!(store.held_state(&unit(CITY), d).await.unwrap(), None, "a target is not a state");

    // v2 drops employer k-b and case C-2, adds a closing, counts more.
    let v2 = state(
        ZHANHE,
        d,
        11,
        tally(5, 5, 2, 1),
        &[("k-a", 2)],
        &[(CaseFigure::Registered, "C-1"), (CaseFigure::Closed, "C-1"), (CaseFigure::Overdue, "C-3")],
    );
    let outcomes = store.apply_rollup_states(&[write(v2.clone())], false, at()).await.unwrap();
    assert_eq!(outcomes, vec![StateOutcome::Applied]);
    assert_eq!(day_tally(store, ZHANHE, d).await, stored(tally(5, 5, 2, 1)));
    assert_eq!(day_tally(store, CITY, d).await, stored(tally(8, 7, 3, 2)));
    assert_eq!(week_tally(store, CITY, d).await, stored(tally(8, 7, 3, 2)));
    assert_eq!(expected(store, CITY, d, d).await, 8);
    assert_eq!(store.distinct_employers(&unit(ZHANHE), d, d).await.unwrap(), 1);
    assert_eq!(store.distinct_employers(&unit(CITY), d, d).await.unwrap(), 1, "k-b is gone");
    let zhanhe = case_figures(store, ZHANHE, d, d).await;
    assert_eq!((zhanhe.registered, zhanhe.closed, zhanhe.overdue), (1, 1, 1), "C-2 is gone");
    let city = case_figures(store, CITY, d, d).await;
    assert_eq!((city.registered, city.closed, city.overdue), (2, 1, 1));
    assert_eq!(store.held_state(&unit(ZHANHE), d).await.unwrap(), Some(v2.clone()));
    // The township's state did not move, nor Xinhua's.
    assert_eq!(store.held_state(&unit(TOWNSHIP), d).await.unwrap(), Some(t1));
    assert_eq!(store.held_state(&unit(XINHUA), d).await.unwrap(), Some(x1));

    // The same version again, then an older one: nothing changes.
    let before = snapshot(store).await;
    let outcomes = store.apply_rollup_states(&[write(v2.clone())], true, at()).await.unwrap();
    assert_eq!(outcomes, vec![StateOutcome::Duplicate]);
    let outcomes = store.apply_rollup_states(&[write(v1.clone())], true, at()).await.unwrap();
    assert_eq!(outcomes, vec![StateOutcome::Superseded]);
    assert_eq!(snapshot(store).await, before);
    assert!(summary_entries(store).await.is_empty(), "nothing applied, nothing queued");

    // A state emptied of everything takes the unit back to nothing.
    let v3 = state(ZHANHE, d, 12, Tally::default(), &[], &[]);
    store.apply_rollup_states(&[write(v3)], false, at()).await.unwrap();
    assert_eq!(day_tally(store, ZHANHE, d).await, Tally::default());
    assert_eq!(day_tally(store, CITY, d).await, stored(tally(3, 2, 1, 1)), "Xinhua's alone");
    assert_eq!(expected(store, CITY, d, d).await, 3);
    assert_eq!(store.distinct_employers(&unit(ZHANHE), d, d).await.unwrap(), 0);
    assert_eq!(case_figures(store, ZHANHE, d, d).await, CaseCounts::default());
    let city = case_figures(store, CITY, d, d).await;
    assert_eq!((city.registered, city.closed, city.overdue), (1, 0, 0));
    db.cleanup().await;
}

async fn the_newest_of_a_batch_counts_whatever_the_order(backend: Backend) {
    let d = date(25);
    let versions: Vec<RollupState> = (1..=3)
        .map(|v| {
            let employers: Vec<(&str, i64)> = [("k-a", 1), ("k-b", 1), ("k-c", 1)][..v as usize].to_vec();
            let cases =
                [(CaseFigure::Registered, "C-1"), (CaseFigure::Accepted, "C-2"), (CaseFigure::Closed, "C-3")];
            state(
                ZHANHE,
                d,
                v * 100,
                tally(6, v as i64, v as i64, v as i64),
                &employers,
                &cases[..v as usize],
            )
        })
        .collect();
    let orders: [[usize; 4]; 4] = [[0, 1, 2, 2], [2, 1, 0, 2], [1, 2, 2, 0], [2, 2, 0, 1]];
    let mut reference: Option<String> = None;
    for order in orders {
        let (db, store) = open(backend).await;
        let store = &*store;
        let batch: Vec<StateWrite> = order.iter().map(|&i| write(versions[i].clone())).collect();
        let outcomes = store.apply_rollup_states(&batch, true, at()).await.unwrap();
        // The newest is applied once, its copies are duplicates, the older
        // ones superseded.
        for (&i, outcome) in order.iter().zip(&outcomes) {
            if i == 2 {
                assert!(
                    matches!(outcome, StateOutcome::Applied | StateOutcome::Duplicate),
                    "{order:?}: {outcomes:?}"
                );
            } else {
                assert_eq!(*outcome, StateOutcome::Superseded, "{order:?}: {outcomes:?}");
            }
        }
        assert_eq!(
            outcomes.iter().filter(|o| **o == StateOutcome::Applied).count(),
            1,
            "{order:?}: {outcomes:?}"
        );
        assert_eq!(store.held_state(&unit(ZHANHE), d).await.unwrap(), Some(versions[2].clone()));
        assert_eq!(day_tally(store, CITY, d).await, stored(tally(6, 3, 3, 3)));
        assert_eq!(store.distinct_employers(&unit(CITY), d, d).await.unwrap(), 3);
        let city = case_figures(store, CITY, d, d).await;
        assert_eq!((city.registered, city.accepted, city.closed), (1, 1, 1));
        assert_eq!(summary_entries(store).await, vec![(unit(ZHANHE), d)], "one entry per (unit, day)");
        let held = snapshot(store).await;
        match &reference {
            None => reference = Some(held),
            Some(reference) => assert_eq!(&held, reference, "{order:?}"),
        }
        db.cleanup().await;
    }
}

async fn forwarding_queues_each_key_once(backend: Backend) {
    let (db, store) = open(backend).await;
    let store = &*store;
    let (d1, d2) = (date(23), date(24));
    store
        .apply_rollup_states(&[write(state(XINHUA, d1, 1, tally(1, 1, 0, 0), &[], &[]))], false, at())
        .await
        .unwrap();
    assert!(summary_entries(store).await.is_empty(), "not forwarding, nothing queued");
    for version in [2, 3] {
        store
            .apply_rollup_states(
                &[
                    write(state(XINHUA, d1, version, tally(1, 1, 0, 0), &[], &[])),
                    write(state(XINHUA, d2, version, tally(1, 1, 0, 0), &[], &[])),
                    write(state(TOWNSHIP, d2, version, tally(1, 1, 0, 0), &[], &[])),
                ],
                true,
                at(),
            )
            .await
            .unwrap();
    }
    let mut entries = summary_entries(store).await;
    entries.sort();
    assert_eq!(entries, vec![(unit(XINHUA), d1), (unit(XINHUA), d2), (unit(TOWNSHIP), d2)]);
    // An entry in flight (read by the forwarder, not yet answered) when a
    // newer state arrives: the answer to the old entry leaves a new one.
    let in_flight: Vec<i64> = store.outbox_peek(1000).await.unwrap().iter().map(|i| i.id).collect();
    store
        .apply_rollup_states(&[write(state(XINHUA, d1, 4, tally(1, 0, 0, 0), &[], &[]))], true, at())
        .await
        .unwrap();
    store.outbox_ack(&in_flight, &[], &[], at()).await.unwrap();
    assert_eq!(summary_entries(store).await, vec![(unit(XINHUA), d1)], "the newer state is still to send");
    // Queuing keys by hand dedupes against the outbox and within the call.
    let queued = store
        .enqueue_summary_keys(
            &[(unit(XINHUA), d1), (unit(ZHANHE), d1), (unit(ZHANHE), d1), (unit(CITY), d2)],
            at(),
        )
        .await
        .unwrap();
    assert_eq!(queued, 2);
    assert_eq!(store.enqueue_summary_keys(&[(unit(ZHANHE), d1)], at()).await.unwrap(), 0);
    assert_eq!(store.enqueue_summary_keys(&[], at()).await.unwrap(), 0);
    assert_eq!(summary_entries(store).await.len(), 3);
    // Once sent and acknowledged, a key may be queued again.
    let ids: Vec<i64> = store.outbox_peek(1000).await.unwrap().iter().map(|i| i.id).collect();
    store.outbox_ack(&ids, &[], &[], at()).await.unwrap();
    assert_eq!(store.enqueue_summary_keys(&[(unit(ZHANHE), d1)], at()).await.unwrap(), 1);
    db.cleanup().await;
}

async fn keyed_figures_over_ranges(backend: Backend) {
    let (db, store) = open(backend).await;
    let store = &*store;
    let (d1, d2, d3) = (date(23), date(24), date(25));
    let states = [
        state(
            ZHANHE,
            d1,
            1,
            tally(4, 4, 0, 0),
            &[("k-a", 1)],
            &[(CaseFigure::Registered, "C-1"), (CaseFigure::Registered, "C-2"), (CaseFigure::Overdue, "C-1")],
        ),
        state(
            ZHANHE,
            d2,
            1,
            tally(4, 3, 0, 0),
            &[("k-a", 2), ("k-b", 1)],
            &[(CaseFigure::Registered, "C-2"), (CaseFigure::Overdue, "C-2"), (CaseFigure::Overdue, "C-3")],
        ),
        state(XINHUA, d2, 1, tally(2, 1, 0, 0), &[("k-c", 1)], &[(CaseFigure::Overdue, "C-7")]),
        state(
            XINHUA,
            d3,
            1,
            tally(2, 2, 0, 0),
            &[],
            &[
                (CaseFigure::Registered, "C-4"),
                (CaseFigure::Registered, "C-5"),
                (CaseFigure::Registered, "C-6"),
            ],
        ),
    ];
    store.apply_rollup_states(&states.map(write), false, at()).await.unwrap();

    // Distinct over the range; overdue as on its last day.
    let z = case_figures(store, ZHANHE, d1, d2).await;
    assert_eq!((z.registered, z.overdue), (2, 2), "C-1, C-2 registered; C-2, C-3 overdue on the 24th");
    let z = case_figures(store, ZHANHE, d1, d1).await;
    assert_eq!((z.registered, z.overdue), (2, 1));
    let z = case_figures(store, ZHANHE, d1, d3).await;
    assert_eq!((z.registered, z.overdue), (2, 0), "nothing overdue on the 25th");
    let c = case_figures(store, CITY, d1, d3).await;
    assert_eq!((c.registered, c.overdue), (5, 0));
    let c = case_figures(store, CITY, d2, d2).await;
    assert_eq!((c.registered, c.overdue), (1, 3));
    let figures =
        store.keyed_case_figures(&[unit(CITY), unit(TOWNSHIP), unit(XINHUA)], d1, d3).await.unwrap();
    assert_eq!(figures.iter().map(|f| f.registered).collect::<Vec<_>>(), vec![5, 0, 3]);

    assert_eq!(expected(store, CITY, d1, d3).await, 12);
    assert_eq!(expected(store, ZHANHE, d2, d3).await, 4);
    let sums = store
        .expected_sums(&[
            (unit(CITY), d1, d2),
            (unit(XINHUA), d1, d3),
            (unit(TOWNSHIP), d1, d3),
            (unit(CITY), d3, d3),
        ])
        .await
        .unwrap();
    assert_eq!(sums, vec![10, 4, 0, 2]);
    assert_eq!(store.distinct_employers(&unit(CITY), d1, d3).await.unwrap(), 3);
    assert_eq!(store.distinct_employers(&unit(CITY), d1, d1).await.unwrap(), 1);

    // Drill: by id, paged.
    let drill = |after: Option<&'static str>, limit| {
        let (root, figure) = (unit(CITY), CaseFigure::Registered);
        async move {
            store
                .keyed_case_drill(&root, d1, d3, figure, after, limit)
                .await
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(drill(None, 2).await, vec!["C-1", "C-2"]);
    assert_eq!(drill(Some("C-2"), 2).await, vec!["C-4", "C-5"]);
    assert_eq!(drill(Some("C-5"), 2).await, vec!["C-6"]);
    assert!(drill(Some("C-6"), 2).await.is_empty());
    let overdue = store.keyed_case_drill(&unit(CITY), d1, d2, CaseFigure::Overdue, None, 10).await.unwrap();
    let overdue: Vec<String> = overdue.iter().map(ToString::to_string).collect();
    assert_eq!(overdue, vec!["C-2", "C-3", "C-7"], "as on the range's last day only");

    // What a node fed summaries sends upward of its own: the keys it holds.
    let held = store.held_case_keys(&[unit(CITY), unit(ZHANHE)], d2).await.unwrap();
    let held: Vec<(String, CaseFigure, String)> =
        held.into_iter().map(|(u, f, c)| (u.to_string(), f, c)).collect();
    let want: Vec<(String, CaseFigure, String)> = [
        (CITY, CaseFigure::Registered, "C-2"),
        (CITY, CaseFigure::Overdue, "C-2"),
        (CITY, CaseFigure::Overdue, "C-3"),
        (CITY, CaseFigure::Overdue, "C-7"),
        (ZHANHE, CaseFigure::Registered, "C-2"),
        (ZHANHE, CaseFigure::Overdue, "C-2"),
        (ZHANHE, CaseFigure::Overdue, "C-3"),
    ]
    .into_iter()
    .map(|(u, f, c)| (u.to_owned(), f, c.to_owned()))
    .collect();
    let sorted = |mut v: Vec<(String, CaseFigure, String)>| {
        v.sort_by(|a, b| (&a.0, a.1.name(), &a.2).cmp(&(&b.0, b.1.name(), &b.2)));
        v
    };
    assert_eq!(sorted(held), sorted(want));
    let counts: BTreeMap<String, i64> = store
        .employer_counts(&[unit(CITY), unit(ZHANHE)], d2)
        .await
        .unwrap()
        .into_iter()
        .map(|(u, k, n)| (format!("{u}/{k}"), n))
        .collect();
    let want: BTreeMap<String, i64> =
        [("4104/k-a", 2), ("4104/k-b", 1), ("4104/k-c", 1), ("410411/k-a", 2), ("410411/k-b", 1)]
            .into_iter()
            .map(|(k, n)| (k.to_owned(), n))
            .collect();
    assert_eq!(counts, want);
    db.cleanup().await;
}

fengqiao_store::both_backends!(
    a_newer_state_applies_its_difference,
    the_newest_of_a_batch_counts_whatever_the_order,
    forwarding_queues_each_key_once,
    keyed_figures_over_ranges,
);
