//! The assessment: the examples issue 14 names (a silent week, no free
//! 100% for a unit without cases, ties), the formula by hand, and proptest
//! over random scorecards that the order is total, ignores the input's
//! order, never rewards a missing report and puts complete units first.

use proptest::prelude::*;

use super::*;

fn id(n: usize) -> UnitId {
    UnitId::parse(&format!("4104110{n:02}")).unwrap()
}

/// A week of daily reports: `received` of 7 expected, `on_time` of them on time.
fn week(received: u64, on_time: u64) -> Performance {
    Performance { expected: 7, received, on_time, ..Performance::default() }
}

fn assess(performances: &[Performance], weights: &Weights) -> Vec<(UnitId, Assessment)> {
    performances.iter().enumerate().map(|(n, p)| (id(n + 1), Assessment::of(p, weights))).collect()
}

fn percent(assessment: &Assessment, component: Component) -> Option<f64> {
    assessment.component(component).percent
}

#[test]
fn in_a_silent_week_the_one_township_that_reported_ranks_first() {
    // Township 1 reported every day on time, registered two cases (one a
    // repeat petition), accepted one on time and closed it late, the
    // petitioner satisfied. The nine others sent nothing.
    let reporter = Performance {
        registered: 2,
        repeat_petitions: 1,
        accepted: 1,
        accepted_on_time: 1,
        closed: 1,
        closed_on_time: 0,
        satisfied: 1,
        ..week(7, 7)
    };
    let mut performances = vec![reporter];
    performances.extend(std::iter::repeat_n(week(0, 0), 9));
    let entries = assess(&performances, &Weights::default());
    assert_eq!(ranks(&entries), (1..=10).collect::<Vec<u32>>());

    let first = &entries[0].1;
    // (25·100 + 15·100 + 10·100 + 15·0 + 10·50 + 10·100) / 85; dispute
    // resolution does not apply (no dispute found).
    assert_eq!(first.score, Some(6500.0 / 85.0));
    assert_eq!(percent(first, Component::DisputeResolution), None);
    assert_eq!(percent(first, Component::RepeatPetitions), Some(50.0));
    assert!(first.complete);
    for (_, silent) in &entries[1..] {
        assert_eq!(silent.score, Some(0.0));
        assert!(!silent.complete);
        assert_eq!(percent(silent, Component::OnTimeClosure), None, "no free 100% for closing nothing");
    }
}

#[test]
fn no_case_is_not_a_free_hundred_percent() {
    // Both reported 5 of 7 days on time; township 2 also closed two cases,
    // both on time, accepted on time, the petitioners satisfied.
    let no_cases = Performance { ..week(7, 5) };
    let cases = Performance {
        registered: 2,
        accepted: 2,
        accepted_on_time: 2,
        closed: 2,
        closed_on_time: 2,
        satisfied: 2,
        ..week(7, 5)
    };
    let entries = assess(&[no_cases, cases], &Weights::default());
    let timeliness = 500.0 / 7.0;
    // Only completeness and timeliness apply to township 1.
    assert_eq!(entries[0].1.score, Some((25.0 * 100.0 + 15.0 * timeliness) / 40.0));
    for component in [
        Component::DisputeResolution,
        Component::OnTimeAcceptance,
        Component::OnTimeClosure,
        Component::RepeatPetitions,
        Component::Satisfaction,
    ] {
        assert_eq!(percent(&entries[0].1, component), None, "{component:?}");
    }
    assert_eq!(entries[1].1.score, Some((25.0 * 100.0 + 15.0 * timeliness + 45.0 * 100.0) / 85.0));
    assert_eq!(ranks(&entries), [2, 1]);

    // Closed late instead, township 2 falls behind the one without cases.
    let late = Performance { closed_on_time: 0, accepted_on_time: 0, ..cases };
    assert_eq!(ranks(&assess(&[no_cases, late], &Weights::default())), [1, 2]);
}

#[test]
fn ties_are_broken_in_the_documented_order() {
    let weights = Weights::default();
    // Identical figures: by unit id, whatever the input order.
    let same = assess(&[week(7, 7), week(7, 7), week(7, 7)], &weights);
    assert_eq!(ranks(&same), [1, 2, 3]);
    let reversed: Vec<_> = same.iter().rev().cloned().collect();
    assert_eq!(ranks(&reversed), [3, 2, 1]);

    // An equal score (100): the unit judged on more of its work first.
    let perfect_case = Performance { accepted: 1, accepted_on_time: 1, ..week(7, 7) };
    let entries = assess(&[week(7, 7), perfect_case], &weights);
    assert_eq!(entries[0].1.score, entries[1].1.score);
    assert_eq!(ranks(&entries), [2, 1]);

    // Timeliness weighing nothing: equal scores and judged weights, the
    // more timely unit first.
    let weights = Weights { timeliness: 0, ..Weights::default() };
    let entries = assess(&[week(7, 6), week(7, 7)], &weights);
    assert_eq!(entries[0].1.score, entries[1].1.score);
    assert_eq!(ranks(&entries), [2, 1]);

    // No applicable component: no score, after every unit with one.
    let nothing = Performance::default();
    let entries = assess(&[nothing, week(0, 0)], &Weights::default());
    assert_eq!(entries[0].1.score, None);
    assert!(entries[0].1.complete, "nothing expected is nothing missing");
    assert_eq!(ranks(&assess(&[nothing, week(7, 0)], &Weights::default())), [2, 1]);
}

#[test]
fn a_missing_report_outweighs_everything_else() {
    // Township 1 missed one day but did perfect case work; township 2
    // reported every day, late, and closed its cases late.
    let missed = Performance {
        disputes: 4,
        resolved_on_the_spot: 4,
        registered: 3,
        accepted: 3,
        accepted_on_time: 3,
        closed: 3,
        closed_on_time: 3,
        satisfied: 3,
        ..week(6, 6)
    };
    let late = Performance { registered: 3, accepted: 3, closed: 3, dissatisfied: 3, ..week(7, 0) };
    let entries = assess(&[missed, late], &Weights::default());
    assert!(entries[0].1.score > entries[1].1.score);
    assert_eq!(ranks(&entries), [2, 1]);
}

#[test]
fn shares_never_pass_their_whole() {
    assert_eq!(Share::new(9, 7), Share { part: 7, whole: 7 });
    let odd = Performance {
        expected: 3,
        received: 5,
        on_time: 9,
        registered: 1,
        repeat_petitions: 4,
        ..Default::default()
    };
    let assessment = Assessment::of(&odd, &Weights::default());
    for scored in &assessment.components {
        assert!(scored.percent.is_none_or(|p| (0.0..=100.0).contains(&p)), "{scored:?}");
    }
    assert_eq!(percent(&assessment, Component::RepeatPetitions), Some(0.0));
}

#[test]
fn weights_are_checked_naming_the_component() {
    assert_eq!(Weights::default().check(), Ok(()));
    let heavy = Weights { satisfaction: MAX_WEIGHT + 1, ..Weights::default() };
    assert_eq!(
        heavy.check(),
        Err(DomainError::invalid(
            "satisfaction",
            crate::why!(MUST_BE_AT_MOST, "must be at most {max}", max = MAX_WEIGHT)
        ))
    );
    let none = Weights {
        completeness: 0,
        timeliness: 0,
        dispute_resolution: 0,
        on_time_acceptance: 0,
        on_time_closure: 0,
        repeat_petitions: 0,
        satisfaction: 0,
    };
    assert!(matches!(none.check(), Err(DomainError::Invalid { field, .. }) if field == "completeness"));
    let total: u32 = Component::ALL.iter().map(|c| Weights::default().get(*c)).sum();
    assert_eq!(total, 100);
}

// ---------------------------------------------------------------- proptest

fn performance() -> impl Strategy<Value = Performance> {
    let reports = (0u64..=8).prop_flat_map(|expected| {
        (Just(expected), 0..=expected)
            .prop_flat_map(|(expected, received)| (Just(expected), Just(received), 0..=received))
    });
    let disputes = (0u64..=6).prop_flat_map(|d| (Just(d), 0..=d));
    let accepted = (0u64..=4).prop_flat_map(|a| (Just(a), 0..=a));
    let closed =
        (0u64..=4).prop_flat_map(|c| (Just(c), 0..=c, 0..=c)).prop_flat_map(|(c, on_time, satisfied)| {
            (Just(c), Just(on_time), Just(satisfied), 0..=c - satisfied)
        });
    let registered = (0u64..=4).prop_flat_map(|r| (Just(r), 0..=r));
    (reports, disputes, accepted, closed, registered).prop_map(
        |(
            (expected, received, on_time),
            (disputes, resolved),
            (accepted, accepted_on_time),
            closed,
            (registered, repeats),
        )| {
            let (closed, closed_on_time, satisfied, dissatisfied) = closed;
            Performance {
                expected,
                received,
                on_time,
                disputes,
                resolved_on_the_spot: resolved,
                accepted,
                accepted_on_time,
                closed,
                closed_on_time,
                registered,
                repeat_petitions: repeats,
                satisfied,
                dissatisfied,
            }
        },
    )
}

fn weights() -> impl Strategy<Value = Weights> {
    let random = proptest::array::uniform7(0u32..=30).prop_filter_map("one weight above 0", |w| {
        let weights = Weights {
            completeness: w[0],
            timeliness: w[1],
            dispute_resolution: w[2],
            on_time_acceptance: w[3],
            on_time_closure: w[4],
            repeat_petitions: w[5],
            satisfaction: w[6],
        };
        weights.check().is_ok().then_some(weights)
    });
    prop_oneof![Just(Weights::default()), random]
}

/// A scorecard of up to eight units; drawn from a small pool, so ties are common.
fn scorecard() -> impl Strategy<Value = Vec<Performance>> {
    proptest::collection::vec(performance(), 1..=3).prop_flat_map(|pool| {
        let n = pool.len();
        proptest::collection::vec(0..n, 1..=8)
            .prop_map(move |picks| picks.into_iter().map(|i| pool[i]).collect::<Vec<_>>())
    })
}

/// The score recomputed from what a scorecard row carries.
fn score_from_components(assessment: &Assessment) -> Option<f64> {
    let applicable: Vec<&Scored> =
        assessment.components.iter().filter(|c| c.share.whole > 0 && c.weight > 0).collect();
    let total: u64 = applicable.iter().map(|c| u64::from(c.weight)).sum();
    (total > 0).then(|| {
        let sum: f64 = applicable
            .iter()
            .map(|c| f64::from(c.weight) * (100.0 * c.share.part as f64 / c.share.whole as f64))
            .sum();
        (sum / total as f64).clamp(0.0, 100.0)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ranking_is_a_total_order(performances in scorecard(), weights in weights()) {
        let entries = assess(&performances, &weights);
        let ranks = ranks(&entries);
        let mut sorted = ranks.clone();
        sorted.sort_unstable();
        prop_assert_eq!(sorted, (1..=entries.len() as u32).collect::<Vec<_>>());
        let at = |i: usize| (&entries[i].0, &entries[i].1);
        for i in 0..entries.len() {
            prop_assert_eq!(compare(at(i), at(i)), Ordering::Equal);
            for j in 0..entries.len() {
                let order = compare(at(i), at(j));
                prop_assert_eq!(order, compare(at(j), at(i)).reverse());
                if i != j {
                    prop_assert_eq!(order == Ordering::Less, ranks[i] < ranks[j]);
                }
                for k in 0..entries.len() {
                    if order == Ordering::Less && compare(at(j), at(k)) == Ordering::Less {
                        prop_assert_eq!(compare(at(i), at(k)), Ordering::Less);
                    }
                }
            }
        }
    }

    #[test]
    fn the_input_order_does_not_change_a_rank(
        (performances, shuffled) in scorecard().prop_flat_map(|p| {
            let indices: Vec<usize> = (0..p.len()).collect();
            (Just(p), Just(indices).prop_shuffle())
        }),
        weights in weights(),
    ) {
        let entries = assess(&performances, &weights);
        let ranks = ranks(&entries);
        let permuted: Vec<(UnitId, Assessment)> = shuffled.iter().map(|&i| entries[i].clone()).collect();
        let permuted_ranks = super::ranks(&permuted);
        for (position, &original) in shuffled.iter().enumerate() {
            prop_assert_eq!(permuted_ranks[position], ranks[original]);
        }
    }

    #[test]
    fn one_more_missing_report_never_improves_a_rank(
        performances in scorecard(),
        weights in weights(),
        which in any::<prop::sample::Index>(),
        report in (any::<bool>(), 0u64..=6, any::<prop::sample::Index>()),
    ) {
        let before = assess(&performances, &weights);
        let k = which.index(performances.len());
        let mut worse = performances.clone();
        let unit = &mut worse[k];
        prop_assume!(unit.received > 0);
        // The report that goes missing: on time or not (as the others
        // allow), with some of the unit's disputes, resolved or not.
        let (coin, disputes, resolved_pick) = report;
        let on_time = if unit.on_time == unit.received { true } else if unit.on_time == 0 { false } else { coin };
        let gone = disputes.min(unit.disputes);
        let low = unit.resolved_on_the_spot.saturating_sub(unit.disputes - gone);
        let high = unit.resolved_on_the_spot.min(gone);
        let resolved_gone = low + resolved_pick.index((high - low + 1) as usize) as u64;
        unit.received -= 1;
        unit.on_time -= u64::from(on_time);
        unit.disputes -= gone;
        unit.resolved_on_the_spot -= resolved_gone;
        let after = assess(&worse, &weights);
        prop_assert!(
            super::ranks(&after)[k] >= super::ranks(&before)[k],
            "{:?} → {:?}", performances[k], worse[k]
        );
    }

    #[test]
    fn complete_units_rank_above_units_with_a_missing_report(
        performances in scorecard(),
        weights in weights(),
    ) {
        let entries = assess(&performances, &weights);
        let ranks = ranks(&entries);
        for (i, (_, a)) in entries.iter().enumerate() {
            for (j, (_, b)) in entries.iter().enumerate() {
                if a.complete && !b.complete {
                    prop_assert!(ranks[i] < ranks[j]);
                }
            }
        }
    }

    #[test]
    fn scores_are_reproducible_from_the_components(performance in performance(), weights in weights()) {
        let assessment = Assessment::of(&performance, &weights);
        prop_assert_eq!(assessment.score, score_from_components(&assessment));
        prop_assert!(assessment.score.is_none_or(|s| (0.0..=100.0).contains(&s)));
        // A component that does not apply weighs nothing, whatever its weight.
        for component in Component::ALL {
            if !performance.share(component).is_applicable() {
                let mut other = weights;
                let heavier = match component {
                    Component::Completeness => &mut other.completeness,
                    Component::Timeliness => &mut other.timeliness,
                    Component::DisputeResolution => &mut other.dispute_resolution,
                    Component::OnTimeAcceptance => &mut other.on_time_acceptance,
                    Component::OnTimeClosure => &mut other.on_time_closure,
                    Component::RepeatPetitions => &mut other.repeat_petitions,
                    Component::Satisfaction => &mut other.satisfaction,
                };
                *heavier += 100;
                prop_assert_eq!(Assessment::of(&performance, &other).score, assessment.score);
            }
        }
    }
}
