//! `fengqiao demo --above city`: the district under its city.
//!
//! Zhanhe's district node gets a parent, a node for 平顶山市 (unit 4104,
//! tier city), and so sends it rollup states instead of reports
//! (`uplink.mode` auto resolves to summaries for a district with a parent).
//! Beside it, three sibling districts with their real codes and names
//! (新华区, 卫东区, 石龙区) and synthetic townships, communities and groups
//! below each run as one district node apiece, with their own reports for
//! the same days submitted straight to them; they too send the city states.
//! The city's tree holds the city, its districts and their townships.
//!
//! At the end the city's WeeklySummary of the last full week is read beside
//! each district's own, and every figure of each district's row at the city
//! is checked against the district's own totals, and the city's totals
//! against the sum of the districts'; the city's store must hold no report.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{Datelike, NaiveDate};
use fengqiao_core::read::{CaseCounts, CaseFigure, Figures, Summary};
use fengqiao_core::{IsoWeek, ManualClock, Tier, Unit, UnitId, UnitTree};
use fengqiao_proto::pb;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use indicatif::ProgressBar;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::nodes::{DemoNode, DemoPki, NodeSpec, Shared, start_node};
use super::reports::{Plan, simulate, submit_all};
use crate::treegen;

/// Which tier the demo adds above the district.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Above {
    /// 平顶山市: Zhanhe and three sibling districts send it summaries.
    City,
}

/// 平顶山市.
pub(super) const CITY: &str = "4104";
const CITY_NAME: &str = "平顶山市";
/// Zhanhe's code: the district the demo runs (also its synthetic tree
/// at another scale, with `--above city`).
pub(super) const ZHANHE: &str = "410411";
pub(super) const ZHANHE_NAME: &str = "湛河区";
/// The sibling districts: real codes and names, synthetic units below.
const SIBLINGS: [(&str, &str); 3] = [("410402", "新华区"), ("410403", "卫东区"), ("410404", "石龙区")];
/// Each sibling's synthetic size: townships, communities per township,
/// groups per community (1 + 3 + 12 + 120 reporting units).
const SIBLING_SHAPE: (usize, usize, usize) = (3, 4, 10);
/// How long the ending waits for the city's figures to equal the districts'
/// once every outbox has drained.
const CITY_WAIT: Duration = Duration::from_secs(30);

/// The parts of the city above Zhanhe: the city node and the sibling
/// district nodes, with what the siblings will report.
pub(super) struct City {
    node: DemoNode,
    store: Arc<dyn fengqiao_store::Store>,
    siblings: Vec<Sibling>,
    accepted: AtomicU64,
    refused: AtomicU64,
}

struct Sibling {
    tree: UnitTree,
    node: DemoNode,
    store: Arc<dyn fengqiao_store::Store>,
    plan: Plan,
}

/// A phase of a reporting day.
#[derive(Debug, Clone, Copy)]
pub(super) enum Phase {
    OnTime,
    Late,
    Corrections,
}

/// The city's listener, bound before any district node starts so that
/// Zhanhe's node knows its parent's address.
pub(super) struct Bound {
    listener: TcpListener,
    pub(super) url: String,
}

pub(super) async fn bind(scheme: &str) -> Result<Bound> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("{scheme}://{}", listener.local_addr()?);
    Ok(Bound { listener, url })
}

/// Checks that `zhanhe` is a district the city holds.
pub(super) fn check_district(zhanhe: &UnitTree) -> Result<()> {
    let root = zhanhe.root();
    if root.tier != Tier::District || !root.id.as_str().starts_with(CITY) || root.id.as_str().len() != 6 {
        bail!(
            "--above city runs the district under {CITY_NAME} ({CITY}): the tree's root must be one of its districts, not {} {}",
            root.id,
            root.name
        );
    }
    Ok(())
}

/// The synthetic trees of the sibling districts.
fn sibling_trees(seed: u64) -> Result<Vec<UnitTree>> {
    let (townships, communities, groups) = SIBLING_SHAPE;
    SIBLINGS
        .iter()
        .map(|(code, name)| treegen::synthetic_district(seed, code, name, townships, communities, groups))
        .collect()
}

/// The city's tree: the city, its districts and their townships (depth 1
/// below each district: what the districts' states cover).
fn city_tree(districts: &[&UnitTree]) -> Result<UnitTree> {
    let city = UnitId::parse(CITY)?;
    let mut units = vec![Unit {
        id: city.clone(),
        parent: None,
        tier: Tier::City,
        name: CITY_NAME.to_owned(),
        // Nobody reports at the city: its figures are its districts'.
        reporting: false,
        active_from: None,
        active_to: None,
        moves: Vec::new(),
    }];
    for tree in districts {
        let root = tree.root();
        units.push(Unit { parent: Some(city.clone()), ..root.clone() });
        units.extend(tree.children(root.id.as_str()).into_iter().cloned());
    }
    Ok(UnitTree::from_units(units)?)
}

/// What the city's nodes share with the rest of the demo.
pub(super) struct Start<'a> {
    pub(super) bound: Bound,
    pub(super) zhanhe: &'a UnitTree,
    pub(super) dir: &'a std::path::Path,
    pub(super) pki: Option<Arc<DemoPki>>,
    pub(super) clock: Arc<ManualClock>,
    pub(super) first_day: NaiveDate,
    pub(super) days: u32,
    pub(super) seed: u64,
    pub(super) stopped: watch::Receiver<bool>,
}

/// Starts the city node and the sibling district nodes, and decides what
/// the siblings will report.
pub(super) async fn start(start: Start<'_>) -> Result<City> {
    let Start { bound, zhanhe, dir, pki, clock, first_day, days, seed, stopped } = start;
    let siblings = sibling_trees(seed)?;
    let mut districts: Vec<&UnitTree> = vec![zhanhe];
    districts.extend(siblings.iter());
    let tree = city_tree(&districts)?;
    let shared = |tree: &UnitTree| Shared {
        tree: Arc::new(tree.clone()),
        pki: pki.clone(),
        clock: Arc::clone(&clock),
        first_day,
        stopped: stopped.clone(),
    };
    let city_spec = NodeSpec {
        unit: CITY.to_owned(),
        unit_name: CITY_NAME.to_owned(),
        parent: None,
        children: districts.iter().map(|d| d.root_id().to_string()).collect(),
        listener: bound.listener,
        url: bound.url.clone(),
        database: dir.join(format!("{CITY}.db")),
        web: None,
        public: None,
    };
    let mut starting = vec![tokio::spawn(start_node(city_spec, shared(&tree)))];
    for sibling in &siblings {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let scheme = if pki.is_some() { "https" } else { "http" };
        let unit = sibling.root_id().to_string();
        let spec = NodeSpec {
            unit_name: sibling.root().name.clone(),
            parent: Some(bound.url.clone()),
            children: Vec::new(),
            url: format!("{scheme}://{}", listener.local_addr()?),
            listener,
            database: dir.join(format!("{unit}.db")),
            web: None,
            public: None,
            unit,
        };
        starting.push(tokio::spawn(start_node(spec, shared(sibling))));
    }
    let mut started = Vec::with_capacity(starting.len());
    for task in starting {
        started.push(task.await.context("a city node's start-up failed")??);
    }
    let mut started = started.into_iter();
    let (node, store) = started.next().context("the city node started")?;
    let siblings = siblings
        .into_iter()
        .zip(started)
        .enumerate()
        .map(|(index, (tree, (node, store)))| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (0x00c1_7900 + index as u64));
            let plan = simulate(&tree, first_day, days, &mut rng);
            Sibling { tree, node, store, plan }
        })
        .collect();
    Ok(City { node, store, siblings, accepted: AtomicU64::new(0), refused: AtomicU64::new(0) })
}

impl City {
    /// The nodes above Zhanhe's: the city and the sibling districts.
    pub(super) fn nodes(&self) -> usize {
        1 + self.siblings.len()
    }

    /// The sibling districts' submissions over all days.
    pub(super) fn submissions(&self) -> u64 {
        self.siblings.iter().map(|s| s.plan.submissions()).sum()
    }

    /// Submits the siblings' reports of `day` (its index) in `phase`, each
    /// straight to its district's node, at the clock's current time.
    pub(super) async fn submit(&self, day: usize, phase: Phase, progress: &ProgressBar) {
        let submissions = self.siblings.iter().map(|sibling| {
            let plan = &sibling.plan.days[day];
            let reports = match phase {
                Phase::OnTime => &plan.on_time,
                Phase::Late => &plan.late,
                Phase::Corrections => &plan.corrections,
            };
            let node = &sibling.node;
            async move { submit_all(reports, &sibling.tree, &|_: &Unit| node, progress).await }
        });
        for outcomes in futures::future::join_all(submissions).await {
            for (_, result) in outcomes {
                let counter = if result.is_ok() { &self.accepted } else { &self.refused };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The ending: waits until every district's outbox has drained to the
    /// city and the city's figures equal the districts', prints the city's
    /// week beside each district's own and the proof that no report
    /// reached the city; fails if any figure differs.
    pub(super) async fn check(
        &self,
        zhanhe: &DemoNode,
        zhanhe_outboxes: &[(usize, Arc<dyn fengqiao_store::Store>)],
        first_day: NaiveDate,
        last_day: NaiveDate,
    ) -> Result<()> {
        // The last full week: the one ending on the last Sunday reported.
        let sunday = last_day - chrono::Duration::days(i64::from(last_day.weekday().num_days_from_sunday()));
        let week = IsoWeek::of(if sunday >= first_day { sunday } else { last_day });
        let mut outboxes: Vec<(usize, Arc<dyn fengqiao_store::Store>)> = zhanhe_outboxes.to_vec();
        outboxes.extend(self.siblings.iter().map(|s| (0, Arc::clone(&s.store))));
        let districts: Vec<(&str, &DemoNode)> = std::iter::once((ZHANHE_NAME, zhanhe))
            .chain(self.siblings.iter().map(|s| (s.tree.root().name.as_str(), &s.node)))
            .collect();
        let waiting = Instant::now();
        let (city, own, differences) = loop {
            let drained = super::outboxes_empty(&outboxes).await?;
            let city = weekly(&self.node, CITY, week).await?;
            let mut own = Vec::with_capacity(districts.len());
            for (_, node) in &districts {
                // The district's week at the city and at its own node.
                own.push((
                    weekly(&self.node, &node.unit, week).await?,
                    weekly(node, &node.unit, week).await?,
                ));
            }
            let differences = compare(&city, &own);
            if (drained && differences.is_empty()) || waiting.elapsed() > CITY_WAIT {
                break (city, own, differences);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        println!(
            "\n{}",
            crate::tr!(
                "demo-city-title",
                city = CITY_NAME,
                unit = CITY,
                week = week.to_string(),
                districts = districts.len()
            )
        );
        print_table(&city, &own, &districts);
        println!(
            "{}",
            crate::tr!(
                "demo-city-siblings",
                accepted = self.accepted.load(Ordering::Relaxed),
                refused = self.refused.load(Ordering::Relaxed),
                seconds = format!("{:.1}", waiting.elapsed().as_secs_f64())
            )
        );
        if !differences.is_empty() {
            for difference in &differences {
                println!("  {difference}");
            }
            bail!(
                "the city's figures for {week} differ from the districts' own in {} places",
                differences.len()
            );
        }
        println!("{}", crate::tr!("demo-city-equal", figures = figure_count(&city)));
        self.no_reports_at_the_city(first_day, last_day).await
    }

    /// The city's store holds no report, and ExportReports at the city
    /// answers FAILED_PRECONDITION naming the nodes that hold them.
    async fn no_reports_at_the_city(&self, first_day: NaiveDate, last_day: NaiveDate) -> Result<()> {
        let held = self.store.count_reports().await.context("counting the city's reports")?;
        if held > 0 {
            bail!("the city's store holds {held} reports: raw reports left the districts");
        }
        let mut client = SummaryServiceClient::new(self.node.leader.clone());
        let request = pb::ExportReportsRequest {
            unit_id: CITY.to_owned(),
            from_date: first_day.to_string(),
            to_date: last_day.to_string(),
        };
        let refusal = match client.export_reports(request).await {
            Err(status) => status,
            Ok(stream) => match stream.into_inner().message().await {
                Err(status) => status,
                Ok(_) => bail!("the city exported reports: raw reports left the districts"),
            },
        };
        if refusal.code() != tonic::Code::FailedPrecondition {
            bail!(
                "ExportReports at the city answered {:?} ({}), not FAILED_PRECONDITION",
                refusal.code(),
                refusal.message()
            );
        }
        println!("{}", crate::tr!("demo-city-no-reports", unit = CITY, message = refusal.message()));
        Ok(())
    }
}

/// `unit`'s weekly summary for `week` at `node`.
async fn weekly(node: &DemoNode, unit: &str, week: IsoWeek) -> Result<Summary> {
    let mut client = SummaryServiceClient::new(node.leader.clone());
    let request = pb::WeeklySummaryRequest { unit_id: unit.to_owned(), iso_week: week.to_string() };
    let summary = client
        .weekly_summary(request)
        .await
        .map_err(crate::connection::refused)
        .with_context(|| format!("the weekly summary of {unit} at node {}", node.unit))?
        .into_inner()
        .summary
        .with_context(|| format!("node {} answered without a summary", node.unit))?;
    Ok(Summary::try_from(summary)?)
}

/// Every additive figure of a week, by name: the report figures (every
/// category and outcome, the wage figures but distinct employers) and the
/// case figures.
fn named_figures(figures: &Figures, cases: &CaseCounts) -> Vec<(String, i64)> {
    let wage = &figures.wage_arrears;
    let mut named: Vec<(String, i64)> = vec![
        ("expected".into(), figures.expected),
        ("received".into(), figures.received),
        ("on time".into(), figures.on_time),
        ("late".into(), figures.late),
        ("missing".into(), figures.missing),
        ("zero reports".into(), figures.zero_reports),
        ("disputes".into(), figures.disputes),
        ("parties".into(), figures.parties),
        ("wage disputes".into(), wage.disputes),
        ("wage disputes resolved".into(), wage.resolved),
        ("wage workers".into(), wage.workers),
        ("wage claimed (cents)".into(), wage.amount_claimed_cents),
        ("wage recovered (cents)".into(), wage.amount_recovered_cents),
    ];
    named.extend(figures.by_category.iter().map(|(c, n)| (format!("category {}", c.as_str()), *n)));
    named.extend(figures.by_outcome.iter().map(|(o, n)| (format!("outcome {}", o.as_str()), *n)));
    named.extend(
        CaseFigure::ALL
            .iter()
            .map(|f| (format!("cases {}", f.name()), i64::try_from(cases.get(*f)).unwrap_or(i64::MAX))),
    );
    named
}

/// How many figures the check compares.
fn figure_count(city: &Summary) -> usize {
    // Per district its scorecard row's and its weekly summary's figures at
    // the city with distinct employers, and the city's totals likewise.
    let named = named_figures(&city.totals, &city.cases.counts).len();
    city.children.len() * (2 * named + 1) + named + 1
}

/// Where the city's figures differ from the districts' own: each
/// district's row at the city against its own totals (distinct employers
/// included), and the city's totals against the sum of the districts'
/// (distinct employers between the largest district's and the sum: the
/// same employer may be owed in two districts).
fn compare(city: &Summary, own: &[(Summary, Summary)]) -> Vec<String> {
    let mut differences = Vec::new();
    let (mut sum_figures, mut sum_cases) = (Figures::default(), CaseCounts::default());
    let mut largest_employers = 0;
    for (at_city, district) in own {
        let unit = &district.unit_id;
        add(&mut sum_figures, &mut sum_cases, district);
        largest_employers = largest_employers.max(district.totals.wage_arrears.employers);
        let Some(row) = city.children.iter().find(|row| &row.unit_id == unit) else {
            differences.push(format!("{unit}: no row in the city's scorecard"));
            continue;
        };
        let at_district = named_figures(&district.totals, &district.cases.counts);
        for (what, figures) in [
            ("in the city's scorecard", named_figures(&row.tally, &row.cases.counts)),
            ("in its weekly summary at the city", named_figures(&at_city.totals, &at_city.cases.counts)),
        ] {
            for ((name, city_value), (_, own_value)) in figures.iter().zip(&at_district) {
                if city_value != own_value {
                    differences
                        .push(format!("{unit} {name}: {city_value} {what}, {own_value} at the district"));
                }
            }
        }
        // A scorecard row counts no distinct employers: the district's
        // weekly summary at the city does.
        let (city_employers, own_employers) =
            (at_city.totals.wage_arrears.employers, district.totals.wage_arrears.employers);
        if city_employers != own_employers {
            differences.push(format!(
                "{unit} distinct employers: {city_employers} at the city, {own_employers} at the district"
            ));
        }
    }
    if city.children.len() != own.len() {
        differences.push(format!("the city's scorecard has {} rows, not {}", city.children.len(), own.len()));
    }
    let totals = named_figures(&city.totals, &city.cases.counts);
    let summed = named_figures(&sum_figures, &sum_cases);
    for ((name, total), (_, summed)) in totals.iter().zip(&summed) {
        if total != summed {
            differences
                .push(format!("{CITY} {name}: {total} at the city, {summed} summed over the districts"));
        }
    }
    let employers = (largest_employers, sum_figures.wage_arrears.employers);
    let total_employers = city.totals.wage_arrears.employers;
    if total_employers < employers.0 || total_employers > employers.1 {
        differences.push(format!(
            "{CITY} distinct employers: {total_employers} at the city, outside {}..={} of the districts'",
            employers.0, employers.1
        ));
    }
    differences
}

/// The table: per district its row at the city beside its own figures,
/// then the city's totals beside the districts' sum.
fn print_table(city: &Summary, own: &[(Summary, Summary)], districts: &[(&str, &DemoNode)]) {
    let mut table = crate::render::table::new(crate::i18n::headings([
        "district",
        "figures-from",
        "expected",
        "received",
        "on-time",
        "late",
        "zero",
        "disputes",
        "wage-disputes",
        "employers",
        "cases-registered",
        "cases-closed",
        "equal",
    ]));
    let cells = |figures: &Figures, cases: &CaseCounts| -> Vec<String> {
        [
            figures.expected,
            figures.received,
            figures.on_time,
            figures.late,
            figures.zero_reports,
            figures.disputes,
            figures.wage_arrears.disputes,
            figures.wage_arrears.employers,
        ]
        .iter()
        .map(i64::to_string)
        .chain([cases.registered.to_string(), cases.closed.to_string()])
        .collect()
    };
    let mark = |equal: bool| if equal { "✓".to_owned() } else { "✗".to_owned() };
    let mut sum_figures = Figures::default();
    let mut sum_cases = CaseCounts::default();
    for ((name, node), (at_city, district)) in districts.iter().zip(own) {
        let label = format!("{name} {}", node.unit);
        match city.children.iter().find(|row| row.unit_id == district.unit_id) {
            Some(row) => {
                let equal = at_city.totals == district.totals
                    && at_city.cases.counts == district.cases.counts
                    && named_figures(&row.tally, &row.cases.counts)
                        == named_figures(&district.totals, &district.cases.counts);
                let mut cells_at_city = vec![label.clone(), crate::tr!("demo-city-at-city")];
                // The scorecard row's figures, with the district's distinct
                // employers from its weekly summary at the city.
                let mut figures = row.tally.clone();
                figures.wage_arrears.employers = at_city.totals.wage_arrears.employers;
                cells_at_city.extend(cells(&figures, &row.cases.counts));
                cells_at_city.push(mark(equal));
                table.add_row(cells_at_city);
            }
            None => {
                table.add_row(vec![label.clone(), crate::tr!("demo-city-at-city"), "—".into()]);
            }
        }
        let mut cells_own = vec![label, crate::tr!("demo-city-at-district")];
        cells_own.extend(cells(&district.totals, &district.cases.counts));
        table.add_row(cells_own);
        add(&mut sum_figures, &mut sum_cases, district);
    }
    let mut total = vec![format!("{CITY_NAME} {CITY}"), crate::tr!("demo-city-at-city")];
    total.extend(cells(&city.totals, &city.cases.counts));
    total.push(mark(
        named_figures(&city.totals, &city.cases.counts) == named_figures(&sum_figures, &sum_cases),
    ));
    table.add_row(total);
    let mut summed = vec![crate::tr!("demo-city-sum"), crate::tr!("demo-city-at-district")];
    summed.extend(cells(&sum_figures, &sum_cases));
    table.add_row(summed);
    println!("{table}");
}

/// Adds `district`'s additive figures to the sums (distinct employers too:
/// the table shows their sum beside the city's distinct count).
fn add(figures: &mut Figures, cases: &mut CaseCounts, district: &Summary) {
    let t = &district.totals;
    figures.expected += t.expected;
    figures.received += t.received;
    figures.on_time += t.on_time;
    figures.late += t.late;
    figures.missing += t.missing;
    figures.zero_reports += t.zero_reports;
    figures.disputes += t.disputes;
    figures.parties += t.parties;
    for (category, n) in &t.by_category {
        *figures.by_category.entry(*category).or_default() += n;
    }
    for (outcome, n) in &t.by_outcome {
        *figures.by_outcome.entry(*outcome).or_default() += n;
    }
    let (w, sum) = (&t.wage_arrears, &mut figures.wage_arrears);
    sum.disputes += w.disputes;
    sum.resolved += w.resolved;
    sum.workers += w.workers;
    sum.amount_claimed_cents += w.amount_claimed_cents;
    sum.amount_recovered_cents += w.amount_recovered_cents;
    sum.employers += w.employers;
    let c = &district.cases.counts;
    for (total, value) in [
        (&mut cases.registered, c.registered),
        (&mut cases.repeat_petitions, c.repeat_petitions),
        (&mut cases.visits, c.visits),
        (&mut cases.one_visit, c.one_visit),
        (&mut cases.accepted, c.accepted),
        (&mut cases.accepted_on_time, c.accepted_on_time),
        (&mut cases.closed, c.closed),
        (&mut cases.closed_on_time, c.closed_on_time),
        (&mut cases.satisfied, c.satisfied),
        (&mut cases.dissatisfied, c.dissatisfied),
        (&mut cases.unreachable, c.unreachable),
        (&mut cases.escalated, c.escalated),
        (&mut cases.assigned_down, c.assigned_down),
        (&mut cases.overdue, c.overdue),
        (&mut cases.petitioner_satisfied, c.petitioner_satisfied),
        (&mut cases.petitioner_dissatisfied, c.petitioner_dissatisfied),
    ] {
        *total += value;
    }
}
