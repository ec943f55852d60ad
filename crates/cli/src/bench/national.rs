//! `fengqiao bench national`: a national day over the summary uplink,
//! measured (issue 21, part 3).
//!
//! The real national division tree (`--divisions`, the gzip CSV of
//! provinces, cities, counties, townships and villages) with a seeded 10–30
//! reporting groups per village. Real nodes, on PostgreSQL, each in a schema
//! of its own: the national node (home unit [`NATION`], the provinces as
//! child nodes) and the province nodes of `--real-provinces` (each with its
//! counties as child nodes, forwarding summaries to the national node).
//! Simulated in this process as gRPC clients, not servers:
//! - one **county client** per county (2,978), speaking
//!   `UplinkService.PushBatch` with the `RollupState`s of the county and its
//!   townships for the day: `--pushes` rounds during the day (the reports
//!   that arrived so far, on time) and a final one after the cut-off (every
//!   group reported, the late ones included), each state's counters
//!   consistent with one report per group, a few disputes, employer keys of
//!   the wage-arrears ones and case ids of the registered ones;
//! - for a province not in `--real-provinces`, a **province client** that
//!   pushes what its node would forward (the province's and its cities'
//!   states, summed from its counties') straight to the national node; its
//!   counties' pushes are encoded (bytes counted) but not sent.
//!
//! Before the day, the national node is given the year before it: 364 days
//! of province and city states from every province's client (or `--days`).
//! Figures: bytes per district-day, time for the national node to absorb the
//! day after the last county's final push, the national weekly summary and
//! year summary p50/p99, storage per tier and the process's RSS.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use chrono::{Datelike, NaiveDate, Utc};
use fengqiao_core::read::CaseFigure;
use fengqiao_core::summary_state::{RollupState, employer_digest};
use fengqiao_core::{SystemClock, Tally, Tier, TimePolicy, Unit, UnitId, UnitTree};
use fengqiao_node::{ChildNodes, ForwarderConfig, Limits, Node, NodeConfig};
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::uplink_item::Payload;
use fengqiao_proto::pb::uplink_service_client::UplinkServiceClient;
use fengqiao_proto::pb::{
    ItemOutcome, PeriodSummaryRequest, PushBatchRequest, UplinkItem, WeeklySummaryRequest,
};
use fengqiao_store::Store;
use fengqiao_store::postgres::PgStore;
use futures::StreamExt;
use prost::Message;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::Channel;

use crate::bench::say;
use crate::treegen::{MAX_GROUPS_PER_COMMUNITY, MIN_GROUPS_PER_COMMUNITY};

/// The national root's unit id.
pub const NATION: &str = "CN";
/// Most items in one push (the receiver's limit).
const MAX_ITEMS: usize = 1000;
/// The 5-minute target for absorbing a national day.
const TARGET_ABSORB_S: f64 = 300.0;
/// The weekly summary p99 target.
const TARGET_WEEKLY_P99_MS: f64 = 10.0;
/// The bytes per district-day target.
const TARGET_DISTRICT_DAY_BYTES: f64 = 100.0 * 1024.0;

#[derive(Debug, clap::Args)]
pub struct NationalArgs {
    /// The national division tree (gzip CSV: code,parent_code,level,name).
    #[arg(long, default_value = "../shared/data/china-divisions-2023.csv.gz")]
    pub divisions: PathBuf,
    /// Provinces run as real nodes (codes, comma-separated, or `all`); the
    /// others are simulated as clients pushing to the national node.
    #[arg(long, default_value = "41")]
    pub real_provinces: String,
    /// Days of history the national node is given before the day (the
    /// year before it: 364).
    #[arg(long, default_value_t = 364)]
    pub days: u32,
    /// Pushes of every county during the day, before the final one after
    /// the cut-off.
    #[arg(long, default_value_t = 12)]
    pub pushes: u32,
    /// County pushes in flight at once.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Calls measured per summary figure.
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
    /// Seed of the groups per village and of the day's contents.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// PostgreSQL server (a fresh schema per node is made and dropped).
    #[arg(long, env = "FENGQIAO_TEST_PG", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub pg_url: String,
}

/// The national tree as the benchmark needs it: provinces, cities,
/// counties and townships (code, parent, name), and the reporting groups
/// under each township (its villages' 10–30 each, seeded).
#[derive(Debug, Default)]
pub struct Divisions {
    pub provinces: Vec<(String, String)>,
    pub cities: Vec<(String, String, String)>,
    pub counties: Vec<(String, String, String)>,
    pub townships: Vec<(String, String, String)>,
    pub groups: HashMap<String, i64>,
}

/// Reads the divisions file, streaming (villages are only counted).
/// The one place the file's format is known here; helper B's `national`
/// module can take its place.
pub fn read_divisions(path: &std::path::Path, seed: u64) -> Result<Divisions> {
    let file = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let mut reader = csv::Reader::from_reader(BufReader::new(flate2::read::GzDecoder::new(file)));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Divisions::default();
    for (line, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{} line {}", path.display(), line + 2))?;
        let field = |i: usize| record.get(i).unwrap_or("").to_owned();
        let (code, parent, level, name) = (field(0), field(1), field(2), field(3));
        match level.as_str() {
            "province" => out.provinces.push((code, name)),
            "city" => out.cities.push((code, parent, name)),
            "county" => out.counties.push((code, parent, name)),
            "township" => out.townships.push((code, parent, name)),
            "village" => {
                let groups = rng.random_range(MIN_GROUPS_PER_COMMUNITY..=MAX_GROUPS_PER_COMMUNITY) as i64;
                *out.groups.entry(parent).or_default() += groups;
            }
            other => bail!("{} line {}: unknown level {other:?}", path.display(), line + 2),
        }
    }
    ensure!(
        !out.provinces.is_empty() && !out.counties.is_empty(),
        "{}: no provinces or counties",
        path.display()
    );
    Ok(out)
}

fn unit(id: &str, parent: Option<&str>, tier: Tier, name: &str) -> Result<Unit> {
    Ok(Unit {
        id: UnitId::parse(id)?,
        parent: parent.map(UnitId::parse).transpose()?,
        tier,
        name: name.to_owned(),
        reporting: false,
        active_from: None,
        active_to: None,
        moves: Vec::new(),
    })
}

/// The national node's tree: the nation, its provinces and their cities.
fn national_tree(d: &Divisions) -> Result<UnitTree> {
    let mut units = vec![unit(NATION, None, Tier::Nation, "全国")?];
    for (code, name) in &d.provinces {
        units.push(unit(code, Some(NATION), Tier::Province, name)?);
    }
    for (code, parent, name) in &d.cities {
        units.push(unit(code, Some(parent), Tier::City, name)?);
    }
    Ok(UnitTree::from_units(units)?)
}

/// A province node's tree: the province, its cities, counties and townships.
fn province_tree(d: &Divisions, province: &str) -> Result<UnitTree> {
    let name = d.provinces.iter().find(|(c, _)| c == province).map(|(_, n)| n.as_str()).unwrap_or(province);
    let mut units = vec![unit(province, None, Tier::Province, name)?];
    let in_province = |code: &str| code.starts_with(province);
    for (code, parent, name) in d.cities.iter().filter(|c| in_province(&c.0)) {
        units.push(unit(code, Some(parent), Tier::City, name)?);
    }
    for (code, parent, name) in d.counties.iter().filter(|c| in_province(&c.0)) {
        units.push(unit(code, Some(parent), Tier::District, name)?);
    }
    for (code, parent, name) in d.townships.iter().filter(|c| in_province(&c.0)) {
        units.push(unit(code, Some(parent), Tier::Township, name)?);
    }
    Ok(UnitTree::from_units(units)?)
}

/// One county as its client sees it.
#[derive(Debug, Clone)]
pub struct County {
    pub code: String,
    pub city: String,
    pub province: String,
    /// (township, reporting groups).
    pub townships: Vec<(String, i64)>,
}

pub fn counties(d: &Divisions) -> Vec<County> {
    let mut by_county: HashMap<&str, Vec<(String, i64)>> = HashMap::new();
    for (code, parent, _) in &d.townships {
        by_county.entry(parent).or_default().push((code.clone(), d.groups.get(code).copied().unwrap_or(0)));
    }
    d.counties
        .iter()
        .map(|(code, city, _)| County {
            code: code.clone(),
            city: city.clone(),
            province: code[..2].to_owned(),
            townships: by_county.remove(code.as_str()).unwrap_or_default(),
        })
        .collect()
}

/// One dispute of the day, as far as the figures see it.
#[derive(Debug, Clone)]
struct Dispute {
    category: usize,
    outcome: usize,
    parties: i64,
    /// Workers, claimed and recovered cents, employer key.
    wage: Option<(i64, i64, i64, String)>,
    case: Option<String>,
}

/// A township's day: its groups, how many report late, its disputes.
#[derive(Debug, Clone)]
struct TownshipDay {
    unit: String,
    groups: i64,
    late: i64,
    disputes: Vec<Dispute>,
}

/// Index of `registered` among the outcomes (resolved on the spot,
/// mediating, registered, referred up).
const REGISTERED: usize = 2;

/// The day of `county`'s townships, seeded by the county and the day.
fn county_day(county: &County, day: NaiveDate, seed: u64, secret: &[u8]) -> Vec<TownshipDay> {
    let code: u64 = county.code.parse().unwrap_or(0);
    let mut rng = ChaCha8Rng::seed_from_u64(
        seed ^ code.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ day.num_days_from_ce() as u64,
    );
    let mut cases = 0;
    county
        .townships
        .iter()
        .map(|(unit, groups)| {
            let late = (*groups as f64 * rng.random_range(0.0..0.03)) as i64;
            let count = rng.random_range(0..=2usize).min(*groups as usize);
            let disputes = (0..count)
                .map(|_| {
                    let category = rng.random_range(0..fengqiao_core::tally::CATEGORIES);
                    let outcome = rng.random_range(0..fengqiao_core::tally::OUTCOMES);
                    let wage = (category == 0).then(|| {
                        let workers = rng.random_range(1..=20i64);
                        let claimed = workers * 300_000;
                        let employer = format!("employer {} {}", county.code, rng.random_range(0..5));
                        (
                            workers,
                            claimed,
                            if outcome == 0 { claimed } else { 0 },
                            employer_digest(secret, &employer),
                        )
                    });
                    let case = (outcome == REGISTERED).then(|| {
                        cases += 1;
                        format!("{}-{}-{cases:04}", county.code, day.format("%Y%m%d"))
                    });
                    Dispute { category, outcome, parties: rng.random_range(2..=4), wage, case }
                })
                .collect();
            TownshipDay { unit: unit.clone(), groups: *groups, late, disputes }
        })
        .collect()
}

/// The state of a township at round `round` of `rounds` (the last one is
/// after the cut-off: every group reported, the late ones too); before it,
/// the on-time reports in so far, the disputes among them.
fn township_state(
    t: &TownshipDay,
    day: NaiveDate,
    round: u32,
    rounds: u32,
    version: u64,
) -> Result<RollupState> {
    let mut state = RollupState::empty(UnitId::parse(&t.unit)?, day);
    state.version = version;
    let on_time_all = t.groups - t.late;
    let (received, on_time, late) = if round >= rounds {
        (t.groups, on_time_all, t.late)
    } else {
        let n = on_time_all * i64::from(round) / i64::from(rounds - 1).max(1);
        (n, n, 0)
    };
    let shown = if round >= rounds {
        t.disputes.len()
    } else {
        (t.disputes.len() * round as usize / (rounds - 1).max(1) as usize).min(received as usize)
    };
    let tally = &mut state.tally;
    tally.expected = t.groups;
    tally.received = received;
    tally.on_time = on_time;
    tally.late = late;
    tally.disputes = shown as i64;
    tally.zero_reports = received - shown as i64;
    for d in &t.disputes[..shown] {
        tally.by_category[d.category] += 1;
        tally.by_outcome[d.outcome] += 1;
        tally.parties += d.parties;
        if let Some((workers, claimed, recovered, key)) = &d.wage {
            tally.wage_disputes += 1;
            tally.wage_resolved += i64::from(d.outcome == 0);
            tally.wage_workers += workers;
            tally.wage_claimed_cents += claimed;
            tally.wage_recovered_cents += recovered;
            *state.employers.entry(key.clone()).or_default() += 1;
        }
        if let Some(case) = &d.case {
            state.cases.entry(CaseFigure::Registered).or_default().insert(case.clone());
        }
    }
    Ok(state)
}

/// Adds `part` to `into` (tally, employers, cases).
fn merge(into: &mut RollupState, part: &RollupState) {
    // A tally's sum includes `expected`.
    into.tally += part.tally;
    for (key, n) in &part.employers {
        *into.employers.entry(key.clone()).or_default() += n;
    }
    for (figure, ids) in &part.cases {
        into.cases.entry(*figure).or_default().extend(ids.iter().cloned());
    }
}

/// The states a county sends at `round` of `rounds`: its own (the sum of
/// its townships') first, then its townships'.
pub fn county_states(
    county: &County,
    day: NaiveDate,
    round: u32,
    rounds: u32,
    version: u64,
    seed: u64,
    secret: &[u8],
) -> Result<Vec<RollupState>> {
    let townships = county_day(county, day, seed, secret);
    let mut own = RollupState::empty(UnitId::parse(&county.code)?, day);
    own.version = version;
    let mut states = vec![];
    for t in &townships {
        let state = township_state(t, day, round, rounds, version)?;
        merge(&mut own, &state);
        states.push(state);
    }
    states.insert(0, own);
    Ok(states)
}

/// A push of `states` from `sender`, in items of at most [`MAX_ITEMS`].
fn pushes(sender: &str, states: &[RollupState]) -> Vec<PushBatchRequest> {
    states
        .chunks(MAX_ITEMS)
        .map(|chunk| PushBatchRequest {
            sender_unit_id: sender.to_owned(),
            items: chunk
                .iter()
                .enumerate()
                .map(|(i, s)| UplinkItem {
                    sequence: i as u64 + 1,
                    payload: Some(Payload::RollupState(fengqiao_proto::rollup_state_to_pb(s))),
                    trace_parent: String::new(),
                })
                .collect(),
            synced_through: None,
        })
        .collect()
}

/// Pushes `requests`, `in_flight` at a time, each on its own client of
/// `channel`; the first failure fails them all.
async fn push_all(channel: &Channel, requests: Vec<PushBatchRequest>, in_flight: usize) -> Result<()> {
    let results: Vec<Result<()>> = futures::stream::iter(requests)
        .map(|request| {
            let mut client = UplinkServiceClient::new(channel.clone());
            async move { push(&mut client, request).await }
        })
        .buffer_unordered(in_flight)
        .collect()
        .await;
    results.into_iter().collect()
}

async fn push(client: &mut UplinkServiceClient<Channel>, request: PushBatchRequest) -> Result<()> {
    let response = loop {
        match client.push_batch(request.clone()).await {
            Err(status) if status.code() == tonic::Code::Unavailable => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => break other.with_context(|| format!("push from {}", request.sender_unit_id))?,
        }
    };
    let refused: Vec<_> = response
        .into_inner()
        .acks
        .into_iter()
        .filter(|a| a.outcome == ItemOutcome::Refused as i32 || a.outcome == ItemOutcome::Conflict as i32)
        .collect();
    ensure!(refused.is_empty(), "{} items refused: {:?}", refused.len(), refused.first());
    Ok(())
}

/// Province and city states of one province for a day, summed from its
/// counties' states (the first of each county's list is the county's own).
fn province_states(
    province: &str,
    counties: &[&County],
    own: &[RollupState],
    day: NaiveDate,
    version: u64,
) -> Result<Vec<RollupState>> {
    let mut top = RollupState::empty(UnitId::parse(province)?, day);
    top.version = version;
    let mut cities: BTreeMap<&str, RollupState> = BTreeMap::new();
    for (county, state) in counties.iter().zip(own) {
        merge(&mut top, state);
        let city = cities.entry(county.city.as_str()).or_insert_with(|| {
            let mut s = RollupState::empty(UnitId::parse(&county.city).expect("city codes parse"), day);
            s.version = version;
            s
        });
        merge(city, state);
    }
    let mut states = vec![top];
    states.extend(cities.into_values());
    Ok(states)
}

struct RunningNode {
    address: String,
    schema: String,
    store: Arc<dyn Store>,
}

async fn start_node(
    config: NodeConfig,
    tree: &UnitTree,
    pg_url: &str,
    schema: String,
    stop: &watch::Receiver<bool>,
) -> Result<RunningNode> {
    let store: Arc<dyn Store> = Arc::new(PgStore::connect_in_schema(pg_url, &schema).await?);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?.to_string();
    let node = Node::start(config, tree, Arc::clone(&store), Arc::new(SystemClock)).await?;
    let mut stopped = stop.clone();
    tokio::spawn(async move {
        fengqiao_node::serve(node, listener, async move {
            let _ = stopped.wait_for(|s| *s).await;
        })
        .await
    });
    Ok(RunningNode { address, schema, store })
}

fn channel(address: &str) -> Result<Channel> {
    Ok(Channel::from_shared(format!("http://{address}"))?.connect_lazy())
}

/// Bytes of every table and index in `schema`.
async fn schema_bytes(pool: &sqlx::PgPool, schema: &str) -> Result<i64> {
    let bytes: Option<i64> = sqlx::query_scalar(
        "SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'm')",
    )
    .bind(schema)
    .fetch_one(pool)
    .await?;
    Ok(bytes.unwrap_or(0))
}

/// VmRSS of this process, in bytes.
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()))
        })
        .map_or(0, |kb| kb * 1024)
}

fn mib(bytes: f64) -> f64 {
    bytes / (1024.0 * 1024.0)
}

pub async fn national(args: NationalArgs) -> Result<()> {
    crate::commands::node::init_logging("error");
    let secret: &[u8] = fengqiao_node::DEVELOPMENT_SECRET;
    let read_started = Instant::now();
    let divisions = read_divisions(&args.divisions, args.seed)?;
    let all_counties = counties(&divisions);
    let groups: i64 = divisions.groups.values().sum();
    say!(
        "national benchmark: {} provinces, {} cities, {} counties, {} townships, {groups} reporting groups \
         (10–30 per village, seed {}); tree read in {:.1} s",
        divisions.provinces.len(),
        divisions.cities.len(),
        all_counties.len(),
        divisions.townships.len(),
        args.seed,
        read_started.elapsed().as_secs_f64()
    );
    let real: BTreeSet<String> = if args.real_provinces == "all" {
        divisions.provinces.iter().map(|(c, _)| c.clone()).collect()
    } else {
        args.real_provinces.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
    };
    for code in &real {
        ensure!(divisions.provinces.iter().any(|(c, _)| c == code), "--real-provinces: no province {code}");
    }
    let real_counties = all_counties.iter().filter(|c| real.contains(&c.province)).count();
    say!(
        "  real nodes on PostgreSQL: the national node and {} province node(s) ({}) fed by {real_counties} county \
         clients; the other {} provinces are province clients pushing to the national node \
         (their {} counties' pushes encoded and counted, not sent)",
        real.len(),
        real.iter().cloned().collect::<Vec<_>>().join(", "),
        divisions.provinces.len() - real.len(),
        all_counties.len() - real_counties
    );

    let today = TimePolicy::default().local_date(Utc::now());
    let day = today - chrono::Duration::days(1);
    let pid = std::process::id();
    let (stop, stopped) = watch::channel(false);
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(2).connect(&args.pg_url).await?;

    // The national node, then the real province nodes under it.
    let rss_before = rss_bytes();
    let ntree = national_tree(&divisions)?;
    let nation = start_node(
        NodeConfig {
            child_nodes: ChildNodes::AllChildren,
            limits: Limits::unthrottled(),
            ..NodeConfig::new(NATION)
        },
        &ntree,
        &args.pg_url,
        format!("bench_nat_{pid}_cn"),
        &stopped,
    )
    .await?;
    let mut provinces: HashMap<String, RunningNode> = HashMap::new();
    for code in &real {
        let tree = province_tree(&divisions, code)?;
        let counties: Vec<String> =
            all_counties.iter().filter(|c| &c.province == code).map(|c| c.code.clone()).collect();
        let config = NodeConfig {
            parent: Some(format!("http://{}", nation.address)),
            child_nodes: ChildNodes::Units(counties),
            forwarder: ForwarderConfig {
                max_backoff: Duration::from_millis(200),
                ..ForwarderConfig::default()
            },
            limits: Limits::unthrottled(),
            ..NodeConfig::new(code.clone())
        };
        let node =
            start_node(config, &tree, &args.pg_url, format!("bench_nat_{pid}_p{code}"), &stopped).await?;
        provinces.insert(code.clone(), node);
    }
    let mut schemas: Vec<String> = vec![nation.schema.clone()];
    schemas.extend(provinces.values().map(|p| p.schema.clone()));
    let result = run(&args, &all_counties, &real, &nation, &provinces, &pool, day, secret, rss_before).await;
    let _ = stop.send(true);
    nation.store.close().await;
    for p in provinces.values() {
        p.store.close().await;
    }
    for schema in schemas {
        let _ = PgStore::drop_schema(&args.pg_url, &schema).await;
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn run(
    args: &NationalArgs,
    all_counties: &[County],
    real: &BTreeSet<String>,
    nation: &RunningNode,
    provinces: &HashMap<String, RunningNode>,
    pool: &sqlx::PgPool,
    day: NaiveDate,
    secret: &[u8],
    rss_before: u64,
) -> Result<()> {
    let national_channel = channel(&nation.address)?;
    let by_province: BTreeMap<&str, Vec<&County>> = {
        let mut map: BTreeMap<&str, Vec<&County>> = BTreeMap::new();
        for c in all_counties {
            map.entry(c.province.as_str()).or_default().push(c);
        }
        map
    };
    let province_baseline: HashMap<String, i64> = {
        let mut map = HashMap::new();
        for (code, node) in provinces {
            map.insert(code.clone(), schema_bytes(pool, &node.schema).await?);
        }
        map
    };
    let national_baseline = schema_bytes(pool, &nation.schema).await?;

    // 1. The year before the day, from every province's client: province and
    //    city states, in versions above any a province node stamps (its
    //    clock's microseconds), so the empty states a real province sends for
    //    days it never received do not replace them.
    let history_base: u64 = 1 << 62;
    let first = day - chrono::Duration::days(i64::from(args.days));
    let history_started = Instant::now();
    let mut history_states = 0usize;
    let mut history_bytes = 0usize;
    for (n, d) in first.iter_days().take(args.days as usize).enumerate() {
        let version = history_base + n as u64;
        let requests: Vec<PushBatchRequest> = by_province
            .iter()
            .map(|(province, counties)| {
                let own: Vec<RollupState> = counties
                    .iter()
                    .map(|c| Ok(county_states(c, d, 1, 1, version, args.seed, secret)?.swap_remove(0)))
                    .collect::<Result<_>>()?;
                let states = province_states(province, counties, &own, d, version)?;
                history_states += states.len();
                Ok(pushes(province, &states))
            })
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        history_bytes += requests.iter().map(|r| r.encoded_len()).sum::<usize>();
        push_all(&national_channel, requests, 4).await?;
    }
    let history_time = history_started.elapsed().as_secs_f64();
    if args.days > 0 {
        say!(
            "  history: {} days × {} provinces pushed to the national node: {history_states} states, {:.1} MiB, \
             in {history_time:.1} s ({:.0} states/s)",
            args.days,
            by_province.len(),
            mib(history_bytes as f64),
            history_states as f64 / history_time
        );
    }

    // 2. The day: `pushes` rounds during the day, then the final push after
    //    the cut-off.
    let rounds = args.pushes + 1;
    let version_base = Utc::now().timestamp_micros().max(0) as u64;
    let mut bytes_per_county: HashMap<&str, usize> = HashMap::new();
    let mut states_per_county_push = Vec::new();
    let channels: HashMap<&str, Channel> =
        provinces.iter().map(|(c, n)| Ok((c.as_str(), channel(&n.address)?))).collect::<Result<_>>()?;
    let mut expected_total = Tally::default();
    let day_started = Instant::now();
    let mut replay: Option<PushBatchRequest> = None;
    let mut last_push_done = Instant::now();
    let mut sent_pushes = 0usize;
    for round in 1..=rounds {
        let version = version_base + u64::from(round);
        let mut real_requests = Vec::new();
        let mut simulated: Vec<PushBatchRequest> = Vec::new();
        for (province, counties) in &by_province {
            let mut own = Vec::with_capacity(counties.len());
            for county in counties {
                let states = county_states(county, day, round, rounds, version, args.seed, secret)?;
                states_per_county_push.push(states.len());
                if round == rounds {
                    expected_total += states[0].tally;
                }
                own.push(states[0].clone());
                for request in pushes(&county.code, &states) {
                    *bytes_per_county.entry(county.code.as_str()).or_default() += request.encoded_len();
                    if real.contains(*province) {
                        real_requests.push((*province, request));
                    }
                }
            }
            if !real.contains(*province) {
                simulated.extend(pushes(province, &province_states(province, counties, &own, day, version)?));
            }
        }
        sent_pushes += real_requests.len();
        let results: Vec<Result<()>> = futures::stream::iter(real_requests)
            .map(|(province, request)| {
                let mut client = UplinkServiceClient::new(channels[province].clone());
                async move { push(&mut client, request).await }
            })
            .buffer_unordered(args.clients)
            .collect()
            .await;
        results.into_iter().collect::<Result<()>>()?;
        last_push_done = Instant::now();
        if let Some(first) = simulated.first() {
            replay = Some(first.clone());
        }
        push_all(&national_channel, simulated, 4).await?;
    }
    let pushing = last_push_done.duration_since(day_started).as_secs_f64();
    say!(
        "  the day {day}: {rounds} rounds ({} during the day, the final after the cut-off); {sent_pushes} county \
         pushes to real province nodes in {pushing:.1} s; states per county push: mean {:.1}, max {}",
        args.pushes,
        states_per_county_push.iter().sum::<usize>() as f64 / states_per_county_push.len().max(1) as f64,
        states_per_county_push.iter().max().copied().unwrap_or(0)
    );

    // 3. Until the national node's figures of the day are the counties' sum.
    let mut summary = SummaryServiceClient::new(national_channel.clone());
    let absorbed = loop {
        let response = summary
            .period_summary(PeriodSummaryRequest {
                unit_id: NATION.into(),
                from_date: day.to_string(),
                to_date: day.to_string(),
            })
            .await?
            .into_inner();
        let totals = response.summary.and_then(|s| s.totals).unwrap_or_default();
        if totals.received == expected_total.received
            && totals.expected == expected_total.expected
            && totals.disputes == expected_total.disputes
            && totals.parties == expected_total.parties
        {
            break last_push_done.elapsed().as_secs_f64();
        }
        if last_push_done.elapsed() > Duration::from_secs(1800) {
            bail!(
                "after 30 min the national node holds received {} expected {} disputes {}; the counties sent \
                 {} / {} / {}",
                totals.received,
                totals.expected,
                totals.disputes,
                expected_total.received,
                expected_total.expected,
                expected_total.disputes
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    say!(
        "  national day absorbed {absorbed:.2} s after the last county's final push (target ≤ {TARGET_ABSORB_S:.0} s; \
         ratio {:.4}): {} reports received of {} expected, {} disputes, equal to the counties' sum",
        absorbed / TARGET_ABSORB_S,
        expected_total.received,
        expected_total.expected,
        expected_total.disputes
    );
    let mut per_county: Vec<usize> = bytes_per_county.values().copied().collect();
    per_county.sort_unstable();
    let mean = per_county.iter().sum::<usize>() as f64 / per_county.len().max(1) as f64;
    let at = |p: f64| per_county[((per_county.len() as f64 - 1.0) * p).round() as usize] as f64;
    say!(
        "  bytes per district-day (encoded PushBatchRequest, {rounds} pushes): mean {:.1} KiB, p50 {:.1} KiB, \
         max {:.1} KiB (target < 100 KiB; mean / target = {:.3}, max / target = {:.3})",
        mean / 1024.0,
        at(0.5) / 1024.0,
        at(1.0) / 1024.0,
        mean / TARGET_DISTRICT_DAY_BYTES,
        at(1.0) / TARGET_DISTRICT_DAY_BYTES
    );

    // 4. Summaries at the national node with the year in it.
    // The week holding the day: its days before it are history.
    let week = fengqiao_core::time::IsoWeek::of(day).to_string();
    let (weekly_p50, weekly_p99) = crate::bench::summary::time_calls(args.samples, || {
        let mut client = summary.clone();
        let week = week.clone();
        async move {
            client.weekly_summary(WeeklySummaryRequest { unit_id: NATION.into(), iso_week: week }).await?;
            Ok(())
        }
    })
    .await?;
    // The same read, cold: a node fed summaries keeps a summary until the
    // next states arrive, so each of these calls follows a resent push (all
    // duplicates, which still clears what the node kept).
    let cold_samples = (args.samples / 4).max(5);
    let mut cold = Vec::with_capacity(cold_samples);
    if let Some(replay) = &replay {
        for _ in 0..cold_samples {
            push(&mut UplinkServiceClient::new(national_channel.clone()), replay.clone()).await?;
            let started = Instant::now();
            summary
                .weekly_summary(WeeklySummaryRequest { unit_id: NATION.into(), iso_week: week.clone() })
                .await?;
            cold.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    cold.sort_by(f64::total_cmp);
    let cold_at = |p: f64| cold.get(((cold.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0);
    let year_from = day - chrono::Duration::days(364);
    let (year_p50, year_p99) = crate::bench::summary::time_calls(args.samples, || {
        let mut client = summary.clone();
        async move {
            client
                .period_summary(PeriodSummaryRequest {
                    unit_id: NATION.into(),
                    from_date: year_from.to_string(),
                    to_date: day.to_string(),
                })
                .await?;
            Ok(())
        }
    })
    .await?;
    say!(
        "  national weekly summary warm ({week}, the same read repeated, {} calls): p50 {weekly_p50:.2} ms, p99 {weekly_p99:.2} ms \
         (target p99 < {TARGET_WEEKLY_P99_MS:.0} ms; ratio {:.3})",
        args.samples,
        weekly_p99 / TARGET_WEEKLY_P99_MS
    );
    say!(
        "  national weekly summary cold (the first read after states arrived, {} calls): p50 {:.2} ms, \
         p99 {:.2} ms (ratio to the target {:.3})",
        cold.len(),
        cold_at(0.5),
        cold_at(0.99),
        cold_at(0.99) / TARGET_WEEKLY_P99_MS
    );
    say!(
        "  national year summary warm ({year_from}..{day}, {} days held): p50 {year_p50:.2} ms, p99 {year_p99:.2} ms; \
         year / week p50 = {:.2}",
        args.days + 1,
        year_p50 / weekly_p50
    );

    // 5. Storage per tier, RSS.
    let national_bytes = schema_bytes(pool, &nation.schema).await? - national_baseline;
    let held_days = f64::from(args.days + 1);
    say!(
        "  storage, national node: {:.1} MiB for {held_days} days (over an empty schema) → {:.1} MiB per year",
        mib(national_bytes as f64),
        mib(national_bytes as f64 * 365.0 / held_days)
    );
    for (code, node) in provinces {
        let bytes = schema_bytes(pool, &node.schema).await? - province_baseline[code];
        let counties = by_province.get(code.as_str()).map_or(0, Vec::len);
        say!(
            "  storage, province node {code} ({counties} counties): {:.2} MiB for the day (over an empty schema) → \
             {:.0} MiB per year (× 365)",
            mib(bytes as f64),
            mib(bytes as f64 * 365.0)
        );
    }
    let rss = rss_bytes();
    say!(
        "  RSS of the whole process (VmRSS: national node, {} province node(s), clients, the tree): {:.0} MiB \
         ({:.0} MiB before the nodes started)",
        provinces.len(),
        mib(rss as f64),
        mib(rss_before as f64)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn county() -> County {
        County {
            code: "410411".into(),
            city: "4104".into(),
            province: "41".into(),
            townships: vec![("410411001".into(), 250), ("410411002".into(), 40), ("410411003".into(), 3)],
        }
    }

    #[test]
    fn a_county_s_states_are_consistent_and_grow_to_one_report_per_group() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let rounds = 5;
        let mut last_received = -1;
        for round in 1..=rounds {
            let states = county_states(&county(), day, round, rounds, u64::from(round), 7, b"s").unwrap();
            assert_eq!(states.len(), 4);
            let (own, townships) = states.split_first().unwrap();
            let mut sum = Tally::default();
            let mut expected = 0;
            for t in townships {
                let tally = t.tally;
                assert!(tally.received <= tally.expected);
                assert_eq!(tally.received, tally.on_time + tally.late);
                assert_eq!(tally.received, tally.zero_reports + tally.disputes);
                assert_eq!(tally.by_category.iter().sum::<i64>(), tally.disputes);
                assert_eq!(tally.by_outcome.iter().sum::<i64>(), tally.disputes);
                assert_eq!(t.employers.values().sum::<i64>(), tally.wage_disputes);
                sum += tally;
                expected += tally.expected;
            }
            assert_eq!(own.tally.stored(), sum.stored());
            assert_eq!(own.tally.expected, expected);
            assert_eq!(own.tally.expected, 293);
            assert!(own.tally.received >= last_received, "received never goes down");
            last_received = own.tally.received;
            if round == rounds {
                assert_eq!(own.tally.received, 293, "the final push: one report from every group");
            } else {
                assert_eq!(own.tally.late, 0);
            }
            // Every state goes over the wire and back unchanged.
            for s in &states {
                let back =
                    fengqiao_proto::rollup_state_from_pb(fengqiao_proto::rollup_state_to_pb(s), "s").unwrap();
                assert_eq!(&back, s);
            }
        }
        // The same seed gives the same day.
        assert_eq!(
            county_states(&county(), day, rounds, rounds, 1, 7, b"s").unwrap(),
            county_states(&county(), day, rounds, rounds, 1, 7, b"s").unwrap()
        );
    }

    #[test]
    fn province_states_sum_their_counties() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let a = county();
        let mut b = county();
        b.code = "410102".into();
        b.city = "4101".into();
        b.townships = vec![("410102001".into(), 30)];
        let own: Vec<RollupState> = [&a, &b]
            .iter()
            .map(|c| county_states(c, day, 1, 1, 1, 3, b"s").unwrap().swap_remove(0))
            .collect();
        let states = province_states("41", &[&a, &b], &own, day, 9).unwrap();
        let ids: Vec<&str> = states.iter().map(|s| s.unit_id.as_str()).collect();
        assert_eq!(ids, ["41", "4101", "4104"]);
        assert_eq!(states[0].tally.received, own[0].tally.received + own[1].tally.received);
        assert_eq!(states[0].tally.expected, 323);
        assert_eq!(states[2].tally, own[0].tally);
    }
}
