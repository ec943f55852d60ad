//! `fengqiao demo`: a whole district on this machine.
//!
//! Every node is a real tonic service on its own loopback port with its own
//! SQLite file: the district, each township, each community, and the groups
//! of one township (or all, with `--group-nodes all`); the other groups
//! submit as simulated information officers to their community's node.
//! Every node forwards to its parent over the uplink, over mTLS: the demo
//! makes a CA and every node's and simulated person's certificate in its
//! work directory (`--insecure` runs it in plaintext). All nodes share one
//! simulated clock, so N days of reporting — on time before the 18:00
//! cut-off, late after it, zero reports, missing ones, corrections — run in
//! seconds. Before the reporting, the same clock runs some weeks of case
//! work (the case ledger: registrations, visits, escalations, assignments
//! down, supervision; see [`crate::demo::cases`]). At the end the district's
//! own data answer (on each Monday, the past week's weekly reports are filed
//! and approved tier by tier: [`crate::demo::weekly`]): reports expected, received, on time, zero and missing,
//! per day and per township; then the district node's weekly summary and
//! township scorecard for the week of the last simulated day (over gRPC, as
//! `fengqiao summary` shows it), a check that the district's rollups equal
//! what its reports add up to, and the district's case figures over the case
//! history and the days of reporting, checked against what was simulated.

mod cases;
mod city;
mod contacts;
mod nodes;
mod organization;
mod reports;
mod weekly;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone, Utc};
use fengqiao_core::identity::Role;
use fengqiao_core::read::Summary;
use fengqiao_core::{Clock, IsoWeek, ManualClock, Tier, TimePolicy, Unit};
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::{self};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::io::IsTerminal;
use tokio::net::TcpListener;
use tokio::sync::watch;

use self::cases::HISTORY_DAYS;
pub use self::city::Above;
use self::nodes::{DemoNode, DemoPki, NODES_STARTING_AT_ONCE, NodeSpec, Shared, start_node};
use self::reports::{list_all, print_district_view, simulate, submit_all};
use crate::commands::node::load_tree;
use crate::treegen;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupNodes {
    /// The groups of the first township run nodes of their own.
    One,
    /// Every group runs a node of its own.
    All,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Days of reporting to simulate, ending yesterday.
    #[arg(long, default_value_t = 14)]
    pub days: u32,
    /// Seed of the simulation: the same seed gives the same reports.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// District size: 1 is the real Zhanhe District; another value runs a
    /// synthetic district with round(10 × scale) townships of 10 communities
    /// of 20 groups each.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Which groups run nodes of their own.
    #[arg(long, value_enum, default_value = "one")]
    pub group_nodes: GroupNodes,
    /// The unit tree (for scale 1).
    #[arg(long, default_value = "deploy/zhanhe-410411.csv")]
    pub tree: PathBuf,
    /// Where the nodes keep their databases: emptied first when an earlier demo made it;
    /// another non-empty directory is refused unless --force.
    #[arg(long, default_value = "fengqiao-demo")]
    pub dir: PathBuf,
    /// Empty --dir even though no demo made it.
    #[arg(long)]
    pub force: bool,
    /// Leave the network up after the run, for exploring with the CLI or a gRPC client.
    #[arg(long)]
    pub keep_running: bool,
    /// Run the network in plaintext instead of mTLS (every node is on loopback).
    #[arg(long)]
    pub insecure: bool,
    /// Add the tier above the district: `city` runs 平顶山市's node (4104),
    /// fed summaries by Zhanhe and three sibling districts, and checks its
    /// week against the districts' own figures.
    #[arg(long, value_enum)]
    pub above: Option<Above>,
}

pub async fn run(args: DemoArgs) -> Result<()> {
    crate::commands::node::init_logging("error");
    if args.days == 0 || args.days > 366 {
        bail!("--days must be between 1 and 366");
    }
    if !(args.scale > 0.0 && args.scale <= 50.0) {
        bail!("--scale must be above 0 and at most 50");
    }
    let started = Instant::now();
    let mut phases = PhaseTimes::new(started);
    let tree = if (args.scale - 1.0).abs() < f64::EPSILON {
        load_tree(&args.tree)
            .context("the demo needs the district tree; run it from the project directory")?
    } else {
        let townships = ((10.0 * args.scale).round() as usize).max(1);
        match args.above {
            // Under the city, the synthetic district stands in for Zhanhe.
            Some(Above::City) => {
                treegen::synthetic_district(args.seed, city::ZHANHE, city::ZHANHE_NAME, townships, 10, 20)?
            }
            None => treegen::synthetic(args.seed, townships, 10, 20)?,
        }
    };
    if args.above == Some(Above::City) {
        city::check_district(&tree)?;
    }
    let policy = TimePolicy::default();
    let today = policy.local_date(Utc::now());
    let first_day = today - chrono::Duration::days(i64::from(args.days));
    // The case history runs before the reporting: the clock starts there.
    let history_start = first_day - chrono::Duration::days(i64::from(HISTORY_DAYS));
    let clock = Arc::new(ManualClock::new(local(&policy, history_start, 8, 0)));

    prepare_dir(&args.dir, args.force)?;
    let dir = std::fs::canonicalize(&args.dir)?;
    let pki = if args.insecure { None } else { Some(DemoPki::new(dir.join("pki"))?) };

    // Which units run nodes.
    let root = tree.root_id().to_string();
    let first_township = tree.children(&root).first().map(|u| u.id.to_string());
    let node_units: Vec<String> = tree
        .units()
        .into_iter()
        .filter(|unit| match unit.tier {
            Tier::Nation
            | Tier::Province
            | Tier::City
            | Tier::District
            | Tier::Township
            | Tier::Community => true,
            Tier::Group => match args.group_nodes {
                GroupNodes::All => true,
                GroupNodes::One => {
                    first_township.as_deref().is_some_and(|t| tree.is_within(unit.id.as_str(), t))
                }
            },
        })
        .map(|unit| unit.id.to_string())
        .collect();
    let has_node: HashSet<&str> = node_units.iter().map(String::as_str).collect();

    println!(
        "fengqiao demo: {} ({} units), {} nodes, {} days from {first_day} after {HISTORY_DAYS} days of case history",
        tree.root().name,
        tree.len(),
        node_units.len(),
        args.days
    );
    println!("data: {}", dir.display());
    match &pki {
        Some(pki) => println!("mTLS on every hop: CA and certificates in {}", pki.dir.display()),
        None => println!("PLAINTEXT (--insecure): no TLS, callers are not identified"),
    }

    let (stop, stopped) = watch::channel(false);
    // Every node's listener is bound first, so that each node knows its
    // parent's address before any node starts, and a node that calls its
    // parent before the parent serves waits in the listen backlog instead
    // of being refused: the nodes can then start concurrently, in any order.
    let scheme = if pki.is_some() { "https" } else { "http" };
    // The web dashboard: the district's node, and the first township's.
    let web_township = node_units
        .iter()
        .filter(|unit| tree.get(unit.as_str()).is_some_and(|u| u.tier == Tier::Township))
        .min()
        .cloned();
    let mut specs = Vec::with_capacity(node_units.len());
    let mut urls: HashMap<&str, String> = HashMap::new();
    // Above the district: the city's listener first, the district's parent.
    let city_bound = match args.above {
        Some(Above::City) => {
            let bound = city::bind(scheme).await?;
            urls.insert(city::CITY, bound.url.clone());
            Some(bound)
        }
        None => None,
    };
    for unit in &node_units {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        urls.insert(unit.as_str(), format!("{scheme}://{}", listener.local_addr()?));
        specs.push((unit.clone(), listener));
    }
    // Each node's parent node is the nearest node above it; its child
    // nodes are the nodes whose parent node it is.
    let parent_node = |unit: &str| -> Option<String> {
        tree.ancestors(unit).iter().rev().find(|a| has_node.contains(a.id.as_str())).map(|a| a.id.to_string())
    };
    let mut parents: HashMap<&str, String> = HashMap::new();
    let mut children: HashMap<String, Vec<String>> = HashMap::new();
    for unit in &node_units {
        if let Some(parent) = parent_node(unit) {
            children.entry(parent.clone()).or_default().push(unit.clone());
            parents.insert(unit.as_str(), parent);
        }
    }
    if city_bound.is_some() {
        parents.insert(root.as_str(), city::CITY.to_owned());
    }
    let shared_tree = Arc::new(tree.clone());
    let pki = pki.map(Arc::new);
    let starting = Arc::new(tokio::sync::Semaphore::new(NODES_STARTING_AT_ONCE));
    let mut tasks = tokio::task::JoinSet::new();
    for (unit, listener) in specs {
        let spec = NodeSpec {
            unit_name: tree.get(&unit).map_or_else(String::new, |u| u.name.clone()),
            parent: parents.get(unit.as_str()).map(|parent| urls[parent.as_str()].clone()),
            children: children.remove(&unit).unwrap_or_default(),
            url: urls[unit.as_str()].clone(),
            database: dir.join(format!("{unit}.db")),
            web: if unit == root || Some(&unit) == web_township.as_ref() {
                Some(TcpListener::bind("127.0.0.1:0").await?)
            } else {
                None
            },
            public: if unit == root { Some(TcpListener::bind("127.0.0.1:0").await?) } else { None },
            unit,
            listener,
        };
        let shared = Shared {
            tree: Arc::clone(&shared_tree),
            pki: pki.clone(),
            clock: Arc::clone(&clock),
            first_day,
            stopped: stopped.clone(),
        };
        let starting = Arc::clone(&starting);
        tasks.spawn(async move {
            let _permit = starting.acquire_owned().await?;
            start_node(spec, shared).await
        });
    }
    let mut nodes: HashMap<String, DemoNode> = HashMap::new();
    let mut district_store = None;
    // The nodes serving the dashboard: unit, address, store.
    let mut web_nodes: Vec<(String, String, Arc<dyn fengqiao_store::Store>)> = Vec::new();
    // Every node's store with the node's depth in the tree.
    let mut outboxes: Vec<(usize, Arc<dyn fengqiao_store::Store>)> = Vec::new();
    let start_bar = bar(node_units.len() as u64, "starting nodes");
    while let Some(started) = tasks.join_next().await {
        let (node, store) = started.context("a demo node's start-up failed")??;
        if node.unit == root {
            district_store = Some(Arc::clone(&store));
        }
        if let Some(web) = &node.web {
            web_nodes.push((node.unit.clone(), web.clone(), Arc::clone(&store)));
        }
        outboxes.push((tree.ancestors(&node.unit).len(), store));
        nodes.insert(node.unit.clone(), node);
        start_bar.inc(1);
    }
    start_bar.finish_and_clear();
    let city = match city_bound {
        Some(bound) => Some(
            city::start(city::Start {
                bound,
                zhanhe: &tree,
                dir: &dir,
                pki: pki.clone(),
                clock: Arc::clone(&clock),
                first_day,
                days: args.days,
                seed: args.seed,
                stopped: stopped.clone(),
            })
            .await?,
        ),
        None => None,
    };
    let above_nodes = city.as_ref().map_or(0, city::City::nodes);
    println!("{} nodes up in {:.1} s", nodes.len() + above_nodes, started.elapsed().as_secs_f64());
    phases.end("start-up (certificates, databases, nodes)");

    // Which node each reporting unit submits to: the nearest node at or above it.
    let serving = |unit: &Unit| -> &DemoNode {
        let id = unit.id.as_str();
        if let Some(node) = nodes.get(id) {
            return node;
        }
        let ancestor = tree.ancestors(id).into_iter().rev().find(|a| has_node.contains(a.id.as_str()));
        &nodes[ancestor.expect("the root runs a node").id.as_str()]
    };

    // The case history, on the nodes that hold each unit.
    // The flags `fengqiao` needs to reach the district node as its leader
    // (and as its admin, for `fengqiao status`).
    let (district_cli, district_admin_cli) = match &pki {
        Some(pki) => {
            pki.person(&root, &tree.root().name, Role::Admin)?;
            (
                format!("--server {} {}", nodes[&root].url, pki.flags(&format!("leader-{root}"))),
                format!("--server {} {}", nodes[&root].url, pki.flags(&format!("admin-{root}"))),
            )
        }
        None => (format!("--server {}", nodes[&root].url), format!("--server {}", nodes[&root].url)),
    };
    let holder = |id: &str| tree.get(id).map(|unit| serving(unit).leader.clone());
    let cases = cases::Network {
        tree: &tree,
        policy: &policy,
        clock: &clock,
        holder: &holder,
        district: nodes[&root].leader.clone(),
        district_cli: district_cli.clone(),
        verified: pki.is_some(),
    };
    let history = cases::simulate_history(&cases, history_start, today, args.seed).await?;
    phases.end("case history");
    let contact_leaders =
        contacts::assign_contact_leaders(&tree, nodes[&root].leader.clone(), history_start).await?;

    // Deepest first: see `outboxes_empty`.
    outboxes.sort_by_key(|(depth, _)| std::cmp::Reverse(*depth));
    let weekly_network =
        weekly::Network { tree: &tree, nodes: &nodes, clock: &clock, policy: &policy, outboxes: &outboxes };
    let mut weekly_tally = weekly::Tally::default();
    let mut weekly_rng = ChaCha8Rng::seed_from_u64(args.seed ^ 0x005e_ed0f_7ee4);

    // The simulation.
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let plan = simulate(&tree, first_day, args.days, &mut rng);
    let progress = bar(plan.submissions() + city.as_ref().map_or(0, city::City::submissions), "reporting");
    let mut accepted: HashMap<(String, NaiveDate), u32> = HashMap::new();
    let mut refused = 0u64;
    // The sibling districts' reports of a day's phase, beside Zhanhe's.
    let above = |index: usize, phase: city::Phase| {
        let (city, progress) = (&city, &progress);
        async move {
            if let Some(city) = city {
                city.submit(index, phase, progress).await;
            }
        }
    };
    for (index, day) in plan.days.iter().enumerate() {
        for (name, submissions, at, city_phase) in [
            ("on time", &day.on_time, local(&policy, day.date, 10, 0), city::Phase::OnTime),
            ("late", &day.late, local(&policy, day.date, 20, 30), city::Phase::Late),
        ] {
            clock.set(at);
            phase(&progress, format!("{} {name}", day.date));
            let (outcomes, ()) =
                tokio::join!(submit_all(submissions, &tree, &serving, &progress), above(index, city_phase));
            for (key, result) in outcomes {
                match result {
                    Ok(revision) => {
                        accepted.insert(key, revision);
                    }
                    Err(_) => refused += 1,
                }
            }
            // Monday morning: last week's reports are filed and reviewed,
            // before Monday's late reports come in.
            let last_week = day.date - chrono::Duration::days(1);
            if name == "on time" && day.date.weekday() == chrono::Weekday::Mon && last_week >= first_day {
                phase(&progress, format!("{} weekly reports", IsoWeek::of(last_week)));
                weekly_network.run_week(IsoWeek::of(last_week), &mut weekly_rng, &mut weekly_tally).await?;
            }
        }
        // Corrections for this day arrive the next morning.
        clock.set(local(&policy, day.date + chrono::Duration::days(1), 9, 0));
        phase(&progress, format!("{} corrections", day.date));
        let (corrections, ()) = tokio::join!(
            submit_all(&day.corrections, &tree, &serving, &progress),
            above(index, city::Phase::Corrections)
        );
        for (key, result) in corrections {
            match result {
                Ok(revision) => {
                    accepted.insert(key, revision);
                }
                Err(_) => refused += 1,
            }
        }
    }
    progress.finish_and_clear();
    // Today 08:00, unless the last day's corrections (today 09:00) came
    // later: a clock set back would make a parent refuse their pushes as
    // accepted in the future (set aside, missing at the district).
    let end_of_reporting = local(&policy, today, 8, 0);
    if clock.now() < end_of_reporting {
        clock.set(end_of_reporting);
    }
    let simulated = started.elapsed();
    phases.end("reporting");

    // Wait until the district holds everything that was accepted anywhere.
    let district = &nodes[&root];
    let drain = Instant::now();
    let expected_keys = accepted.len();
    loop {
        if outboxes_empty(&outboxes).await? || drain.elapsed() > DRAIN_WAIT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let reports = list_all(district.channel.clone(), &root, first_day, today).await?;
    let lost: Vec<_> = accepted
        .iter()
        .filter(|((unit, date), revision)| {
            !reports
                .iter()
                .any(|r| r.unit_id == *unit && r.date == date.to_string() && r.revision >= **revision)
        })
        .collect();
    phases.end("draining to the district");

    print_district_view(&tree, &policy, first_day, args.days, &reports);
    println!(
        "accepted {} reports ({} refused by validation); the district holds {} — {} missing at the district after {:.1} s of draining",
        expected_keys,
        refused,
        reports.len(),
        lost.len(),
        drain.elapsed().as_secs_f64()
    );
    println!(
        "simulated {} days in {:.1} s; {} nodes; databases in {}",
        args.days,
        simulated.as_secs_f64(),
        nodes.len(),
        dir.display()
    );
    let last_day = today - chrono::Duration::days(1);
    println!("district node: {}", district.url);
    println!("  e.g. fengqiao summary {district_cli} --unit {root} --week {}", IsoWeek::of(last_day));
    println!("       fengqiao status {district_admin_cli}");
    weekly_tally.print(&root, &district_cli);
    if let Some((leader, townships)) = contact_leaders.first() {
        println!(
            "contact duties (包片): {} district leader(s) on {} townships, e.g. {leader} on {}",
            contact_leaders.len(),
            contact_leaders.iter().map(|(_, t)| t.len()).sum::<usize>(),
            townships.join(", ")
        );
        println!(
            "  e.g. fengqiao summary {district_cli} --leader {leader} --from {history_start} --to {last_day}"
        );
    }

    // The week holding the last simulated day, as the district's own
    // SummaryService computes it from its rollups; meanwhile the district's
    // rollups are recomputed from its reports and compared.
    let store = district_store.context("the district runs a node")?;
    let verifying = async {
        let started = Instant::now();
        let verification = fengqiao_store::rollup::verify(&*store, &tree, &policy).await;
        (verification, started.elapsed())
    };
    let (summary, (verification, verify_time)) =
        tokio::join!(district_summary(district, &root, last_day, &clock, &policy), verifying);
    println!("\nweekly summary of the district node (fengqiao.v1.SummaryService/WeeklySummary):");
    crate::commands::summary::print_summary(&summary?, &policy);
    let verification = verification.context("verifying the district's rollups")?;
    if !verification.differences.is_empty() {
        for difference in &verification.differences {
            println!("  {difference}");
        }
        bail!("the district's rollups differ from its reports in {} places", verification.differences.len());
    }
    println!(
        "rollups verified: {} reports, {} differences ({} rollup rows and {} employer counts recomputed in {:.1} s)",
        verification.reports,
        verification.differences.len(),
        verification.rows,
        verification.employer_checks,
        verify_time.as_secs_f64()
    );
    phases.end("weekly summary and rollup verification");
    cases::print_ledger(&cases, &history, last_day).await?;
    phases.end("case ledger check");

    // Departments, a receipt and the public tracker, today.
    let public_address = district.public.clone().context("the district's node serves the public tracker")?;
    let hrss_person = |role: Role, title: &str| -> Result<tonic::transport::Channel> {
        let Some(pki) = &pki else { return Ok(district.leader.clone()) };
        let department = fengqiao_core::department::DepartmentId::parse(&format!("{root}:hrss"))?;
        let identity = fengqiao_core::identity::Identity::department_person(
            &format!("demo-{role}-hrss"),
            department,
            role,
        )?;
        let display = fengqiao_core::actor::DisplayName::parse_field(title, "display name")?;
        let transport = pki.issue_named(&identity, Some(&display), &format!("{role}-{root}-hrss"))?;
        Ok(fengqiao_node::tls::connect_endpoint(&district.url, &transport)?.connect_lazy())
    };
    let organization = organization::Network {
        tree: &tree,
        policy: &policy,
        clock: &clock,
        district: district.leader.clone(),
        hrss: hrss_person(Role::Officer, "区人社局劳动保障监察员")?,
        hrss_leader: hrss_person(Role::Leader, "区人社局局长")?,
        leader_on_duty: format!("demo-leader-{root}"),
        public: tonic::transport::Endpoint::from_shared(public_address.clone())?.connect_lazy(),
        public_url: format!("{public_address}/track"),
    };
    organization::run(&organization, today).await?;
    phases.end("departments, receipts and the public tracker");
    if let Some(city) = &city {
        city.check(district, &outboxes, first_day, last_day).await?;
        phases.end("the city above the districts");
    }
    phases.print();
    if args.keep_running {
        let mut townships: Vec<&DemoNode> =
            nodes.values().filter(|n| tree.get(&n.unit).is_some_and(|u| u.tier == Tier::Township)).collect();
        townships.sort_by(|a, b| a.unit.cmp(&b.unit));
        for node in townships {
            println!(
                "  township {} {}: {}",
                node.unit,
                tree.get(&node.unit).map_or("", |u| &u.name),
                node.url
            );
        }
        if let Some(pki) = &pki {
            println!(
                "  certificates in {}: officer-UNIT, leader-UNIT per node, admin-{root}; e.g. {}",
                pki.dir.display(),
                pki.flags(&format!("leader-{root}"))
            );
        }
        print_web_links(&web_nodes, &root, clock.now()).await?;
        println!("the network is up; Ctrl-C stops it");
        crate::commands::node::shutdown_signal().await;
    }
    let _ = stop.send(true);
    Ok(())
}

/// A login link to the district's dashboard for its leader, and to the
/// township's for its admin (each works once, within 15 minutes).
async fn print_web_links(
    web_nodes: &[(String, String, Arc<dyn fengqiao_store::Store>)],
    root: &str,
    now: chrono::DateTime<Utc>,
) -> Result<()> {
    use fengqiao_node::web::auth::{LINK_LIFETIME, issue_login_link};
    println!("{}", crate::tr!("demo-web-links", minutes = LINK_LIFETIME.num_minutes()));
    let mut sorted: Vec<&(String, String, Arc<dyn fengqiao_store::Store>)> = web_nodes.iter().collect();
    sorted.sort_by_key(|(unit, _, _)| (unit != root, unit.clone()));
    for (unit, address, store) in sorted {
        let id = fengqiao_core::UnitId::parse(unit)?;
        let (person, role) =
            if unit == root { ("district-leader", Role::Leader) } else { ("township-admin", Role::Admin) };
        let link = issue_login_link(store.as_ref(), &id, person, role, now, LINK_LIFETIME).await?;
        let (scheme, host) = address.split_once("://").unwrap_or(("http", address));
        let url = link.url(scheme, host);
        if unit == root {
            println!("  {}", crate::tr!("demo-web-district", unit = unit, url = url));
        } else {
            println!("  {}", crate::tr!("demo-web-township", unit = unit, url = url));
        }
    }
    Ok(())
}

/// How long the demo waits for every outbox to empty after the reporting.
const DRAIN_WAIT: Duration = Duration::from_secs(60);

/// Whether every node's outbox is empty, the nodes read deepest first.
/// With no more submissions, items only move up: a parent commits an item
/// (into its own outbox, unless it is the district) before the child drops
/// it from its outbox. So an outbox read empty stays empty, and an item
/// that moved up while the outboxes below were read is in an outbox read
/// later. One pass that finds every outbox empty means everything accepted
/// anywhere has reached the district (or was set aside, refused by a
/// parent: the count of reports at the district shows that).
async fn outboxes_empty(deepest_first: &[(usize, Arc<dyn fengqiao_store::Store>)]) -> Result<bool> {
    for (_, store) in deepest_first {
        if store.outbox_stats().await.context("reading a demo node's outbox")?.depth > 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The district's weekly summary for the week holding `day`, once
/// `day`'s cut-off has passed on the simulated clock (only due days count)
/// and every township node has said its data for the week are in (their
/// freshness travels up with each push, or with a heartbeat when idle).
async fn district_summary(
    district: &DemoNode,
    root: &str,
    day: NaiveDate,
    clock: &ManualClock,
    policy: &TimePolicy,
) -> Result<Summary> {
    let after_cutoff = policy.cutoff_of(day) + chrono::Duration::minutes(1);
    if clock.now() < after_cutoff {
        clock.set(after_cutoff);
    }
    let mut client = SummaryServiceClient::new(district.channel.clone());
    let request =
        pb::WeeklySummaryRequest { unit_id: root.to_owned(), iso_week: IsoWeek::of(day).to_string() };
    let waiting = Instant::now();
    let summary = loop {
        let summary = client
            .weekly_summary(request.clone())
            .await
            .map_err(crate::connection::refused)?
            .into_inner()
            .summary
            .context("the district answered without a summary")?;
        if summary.arrived_percent >= 100.0 || waiting.elapsed() > FRESHNESS_WAIT {
            break summary;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    Ok(Summary::try_from(summary)?)
}

/// How long each phase of the demo took, printed as a table at the end.
struct PhaseTimes {
    started: Instant,
    last: Instant,
    phases: Vec<(&'static str, Duration)>,
}

impl PhaseTimes {
    fn new(started: Instant) -> PhaseTimes {
        PhaseTimes { started, last: started, phases: Vec::new() }
    }

    /// Ends the phase `name`: it ran from the end of the previous one to now.
    fn end(&mut self, name: &'static str) {
        let now = Instant::now();
        self.phases.push((name, now - self.last));
        self.last = now;
    }

    fn print(&self) {
        let mut table = crate::render::table::new(crate::i18n::headings(["phase", "seconds"]));
        for (name, took) in &self.phases {
            table.add_row(vec![(*name).to_owned(), format!("{:.1}", took.as_secs_f64())]);
        }
        table.add_row(vec![crate::tr!("demo-total"), format!("{:.1}", self.started.elapsed().as_secs_f64())]);
        println!("\n{}\n{table}", crate::tr!("demo-phases"));
    }
}

/// How long the ending waits for every township's data to be marked arrived.
const FRESHNESS_WAIT: Duration = Duration::from_secs(30);

/// A local time on a date, as an instant.
pub(crate) fn local(policy: &TimePolicy, date: NaiveDate, hour: u32, minute: u32) -> chrono::DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour, minute, 0).expect("valid time");
    policy
        .zone
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .expect("no gap at that hour")
        .with_timezone(&Utc)
}

/// The file that marks a directory as the demo's own, safe to empty.
const DEMO_MARK: &str = ".fengqiao-demo";

/// Empties `dir` for a new run when a demo made it (or `force`), refuses
/// any other non-empty directory, creates it and marks it as the demo's.
fn prepare_dir(dir: &Path, force: bool) -> Result<()> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        let empty = entries.next().is_none();
        if !empty && !force && !dir.join(DEMO_MARK).exists() {
            bail!(
                "{} is not empty and no demo made it: choose another --dir, or add --force to empty it",
                dir.display()
            );
        }
        if !empty {
            std::fs::remove_dir_all(dir).with_context(|| format!("cannot empty {}", dir.display()))?;
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join(DEMO_MARK), "made by fengqiao demo; the next demo empties this directory\n")
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    Ok(())
}

/// A progress bar on standard error when it is a terminal; otherwise hidden,
/// and [`phase`] prints a plain line per phase instead.
pub(crate) fn bar(length: u64, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(length);
    if !std::io::stderr().is_terminal() {
        eprintln!("{message}: {length} steps");
    }
    bar.set_style(
        ProgressStyle::with_template("{msg:>28} [{bar:40}] {pos}/{len} {per_sec}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// Names the phase a bar is in: its message on a terminal, a plain line on
/// standard error otherwise (a log, a CI job), so a long run is never silent.
pub(crate) fn phase(bar: &ProgressBar, text: String) {
    if std::io::stderr().is_terminal() {
        bar.set_message(text);
    } else {
        eprintln!("  {text} ({} of {} done)", bar.position(), bar.length().unwrap_or(0));
    }
}
