//! The end of the case history: the district node's case figures over the
//! history and the days of reporting, read back and checked against what
//! the simulation did ([`print_ledger`]).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use fengqiao_core::actor::Actor;
use fengqiao_core::case::{RepeatLink, normalise_id_number};
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::{self, DisputeCategory};
use futures::StreamExt;

use super::plan::Planned;
use super::{CASE_WAIT, History, Network, PARALLEL, Tally, call};
use crate::connection::refused;

/// Repeat petitions by the rule over the whole district: a case repeats
/// when an earlier case of the same petitioner and category was registered
/// within `window_days` before it — wherever it was registered, since every
/// ancestor's node looks over its subtree. (Cases of one day are registered
/// in parallel, so which of them is first is not known; how many repeat is.)
pub(super) fn district_repeats(plans: &[Planned], window_days: u32) -> u64 {
    let mut order: Vec<&Planned> = plans.iter().collect();
    order.sort_by_key(|planned| planned.on);
    let mut last: HashMap<(String, DisputeCategory), NaiveDate> = HashMap::new();
    let mut repeats = 0;
    for planned in order {
        let person = normalise_id_number(&planned.petitioner.id_number)
            .unwrap_or_else(|_| planned.petitioner.id_number.clone());
        let key = (person, planned.category);
        if last.get(&key).is_some_and(|earlier| *earlier >= RepeatLink::window_start(planned.on, window_days))
        {
            repeats += 1;
        }
        last.insert(key, planned.on);
    }
    repeats
}

/// Reads every event of the district's ledger and counts who acted: over
/// mTLS each must be a certificate's person or a node, never unverified
/// text. Returns (persons, nodes, unverified).
pub(super) async fn check_actors(net: &Network<'_>, root: &str) -> Result<(u64, u64, u64)> {
    let client = CaseServiceClient::new(net.district.clone());
    let (mut persons, mut nodes, mut unverified) = (0, 0, 0);
    let mut page_token = String::new();
    loop {
        let request = pb::ListCasesRequest {
            unit_id: root.to_owned(),
            page_size: 1000,
            page_token,
            ..Default::default()
        };
        let page = call(|| {
            let (mut client, request) = (client.clone(), request.clone());
            async move { client.list_cases(request).await }
        })
        .await
        .map_err(refused)
        .context("listing the district's cases")?;
        // The cases of a page are read at once, PARALLEL at a time.
        let answers: Vec<pb::GetCaseResponse> = futures::stream::iter(&page.cases)
            .map(|case| {
                let request = pb::GetCaseRequest {
                    case_id: case.case_id.clone(),
                    with_petitioner: false,
                    ..Default::default()
                };
                let client = &client;
                async move {
                    call(|| {
                        let (mut client, request) = (client.clone(), request.clone());
                        async move { client.get_case(request).await }
                    })
                    .await
                    .map_err(refused)
                }
            })
            .buffer_unordered(PARALLEL)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_>>()?;
        for answer in &answers {
            for event in &answer.events {
                match fengqiao_proto::actor_from_pb(event.acted_by.clone(), &event.actor, "acted_by") {
                    Ok(Actor::Person { .. }) => persons += 1,
                    Ok(Actor::Node { .. }) => nodes += 1,
                    Ok(Actor::Unverified { .. }) | Err(_) => unverified += 1,
                }
            }
        }
        if page.next_page_token.is_empty() {
            return Ok((persons, nodes, unverified));
        }
        page_token = page.next_page_token;
    }
}

// ------------------------------------------------------------------ print

/// The overdue cases of the district's ledger at the end of `as_of`.
pub(super) async fn overdue_cases(net: &Network<'_>, root: &str, as_of: NaiveDate) -> Result<Vec<pb::Case>> {
    let client = CaseServiceClient::new(net.district.clone());
    let mut cases = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = pb::ListCasesRequest {
            unit_id: root.to_owned(),
            overdue: true,
            as_of: as_of.to_string(),
            page_size: 1000,
            page_token: page_token.clone(),
            ..Default::default()
        };
        let page = call(|| {
            let (mut client, request) = (client.clone(), request.clone());
            async move { client.list_cases(request).await }
        })
        .await
        .map_err(refused)
        .context("listing the district's overdue cases")?;
        cases.extend(page.cases);
        if page.next_page_token.is_empty() {
            return Ok(cases);
        }
        page_token = page.next_page_token;
    }
}

/// The case figures that must equal what the simulation did.
pub(super) fn mismatches(figures: &pb::CaseFigures, t: &Tally, repeats: u64) -> Vec<String> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    [
        ("registered", figures.registered, n(t.registered)),
        ("accepted", figures.accepted, n(t.accepted)),
        ("accepted on time", figures.accepted_on_time, n(t.accepted_on_time)),
        ("closed", figures.closed, n(t.closed)),
        ("escalated", figures.escalated, n(t.escalated)),
        ("assigned down", figures.assigned_down, n(t.assigned_down)),
        ("repeat petitions", figures.repeat_petitions, n(repeats)),
        ("visits", figures.visits, n(t.visits)),
        ("one visit", figures.one_visit, n(t.one_visit)),
    ]
    .into_iter()
    .filter(|(_, figure, done)| figure != done)
    .map(|(name, figure, done)| format!("{name} {figure} (the simulation: {done})"))
    .collect()
}

/// The district's case figures over the history and the days of reporting
/// (to `last_day`), with a line per township, read over gRPC; checked
/// against what the simulation did.
pub async fn print_ledger(net: &Network<'_>, history: &History, last_day: NaiveDate) -> Result<()> {
    let root = net.tree.root_id().to_string();
    let mut summaries = SummaryServiceClient::new(net.district.clone());
    let request = pb::PeriodSummaryRequest {
        unit_id: root.clone(),
        from_date: history.from.to_string(),
        to_date: last_day.to_string(),
    };
    // Every case event has long reached the district; wait briefly anyway.
    let waiting = Instant::now();
    let (summary, figures, differences) = loop {
        let summary = summaries
            .period_summary(request.clone())
            .await
            .map_err(refused)
            .context("the district's period summary")?
            .into_inner()
            .summary
            .context("the district answered without a summary")?;
        let figures = summary.cases.unwrap_or_default();
        let differences = mismatches(&figures, &history.tally, history.repeats);
        if differences.is_empty() || waiting.elapsed() > CASE_WAIT {
            break (summary, figures, differences);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let overdue = overdue_cases(net, &root, last_day).await?;
    let longest = overdue.iter().map(|c| c.days_overdue).max().unwrap_or(0);
    let f = &figures;

    println!(
        "\ncase ledger of the district node, {} to {last_day} (fengqiao.v1.SummaryService/PeriodSummary):",
        history.from
    );
    println!(
        "  registered {:>5}   {} visits to duty reception, {} repeat petitions ({:.1}%)",
        f.registered, f.visits, f.repeat_petitions, f.repeat_rate
    );
    println!(
        "  accepted   {:>5}   on time {} ({})",
        f.accepted,
        f.accepted_on_time,
        crate::render::share(f.accepted_on_time.unsigned_abs(), f.accepted.unsigned_abs())
    );
    println!("  closed     {:>5}   on time {} ({:.1}%)", f.closed, f.closed_on_time, f.on_time_closure_rate);
    println!(
        "  overdue    {:>5}   on {last_day}; ListCases --overdue at the district: {} cases, the longest {longest} days",
        f.overdue,
        overdue.len()
    );
    println!("  escalated  {:>5}   assigned down {}", f.escalated, f.assigned_down);
    println!(
        "  satisfaction {:.1}% (satisfied {}, dissatisfied {}, unreachable {}); one-visit rate {:.1}% ({} of {} visits)",
        f.satisfaction_rate,
        f.satisfied,
        f.dissatisfied,
        f.unreachable,
        f.one_visit_rate,
        f.one_visit,
        f.visits
    );
    let mut table = crate::render::table::new(crate::i18n::headings([
        "township",
        "cases-registered",
        "overdue",
        "cases-closed",
        "on-time-closure",
        "repeat-rate",
        "rank",
    ]));
    let rows: BTreeMap<&str, &pb::ScorecardRow> =
        summary.children.iter().map(|r| (r.unit_id.as_str(), r)).collect();
    for row in rows.values() {
        let cases = row.cases.unwrap_or_default();
        table.add_row(vec![
            format!("{} {}", row.unit_id, row.name),
            cases.registered.to_string(),
            cases.overdue.to_string(),
            cases.closed.to_string(),
            if cases.closed == 0 { "-".into() } else { format!("{:.1}%", cases.on_time_closure_rate) },
            if cases.registered == 0 { "-".into() } else { format!("{:.1}%", cases.repeat_rate) },
            row.rank.to_string(),
        ]);
    }
    println!("{}", crate::tr!("demo-cases-by-township"));
    println!("{table}");
    println!("  e.g. fengqiao case list {} --unit {root} --overdue", net.district_cli);
    println!(
        "       fengqiao drill {} --unit {root} --from {} --to {last_day} --figure cases.overdue",
        net.district_cli, history.from
    );
    if !differences.is_empty() {
        bail!("the district's case figures differ from the simulation: {}", differences.join(", "));
    }
    if overdue.len() as i64 != f.overdue {
        bail!(
            "the district lists {} overdue cases on {last_day} but its summary counts {}",
            overdue.len(),
            f.overdue
        );
    }
    println!(
        "case figures verified: {} registered, {} accepted, {} closed, {} escalated, {} assigned down, {} repeat \
         petitions as simulated; overdue {} as listed",
        f.registered, f.accepted, f.closed, f.escalated, f.assigned_down, f.repeat_petitions, f.overdue
    );
    let (persons, nodes, unverified) = check_actors(net, &root).await?;
    if net.verified && unverified > 0 {
        bail!("{unverified} case events at the district name no certificate");
    }
    println!(
        "who acted, every event at the district: {persons} by a person's certificate (id, unit, role, display \
         name), {nodes} by a node (automatic escalation, repeat detection, supervision), {unverified} unverified"
    );
    Ok(())
}
