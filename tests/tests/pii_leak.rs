//! The personal-data leak test: distinctive petitioner data is seeded
//! through every path that takes it, on a chain of real node processes
//! (district 410411 ← township 410411001 ← community 410411001001, each with
//! its own personal-data key and `RUST_LOG=debug`), and then searched for
//! everywhere it must not be:
//!
//! - every line each node wrote (stdout and stderr, debug level);
//! - every output of every command run (summaries, drill-downs, case lists,
//!   `case show` without `--petitioner`, report listings, the CSV export);
//! - every database: for SQLite the bytes of the file, its WAL and shared
//!   memory, while the nodes run and after they stop; for PostgreSQL every
//!   column of every row of every table of each node's schema (bytea
//!   decoded from hex).
//!
//! Paths seeded: `case register` with a petitioner (also from a report's
//! dispute), a duty-reception `visit`, an escalation up two tiers
//! (community → township → district, the petitioner travelling on the
//! uplink each time), an assignment down two tiers (district → community,
//! the handover relayed through the township's downlink log), a review
//! request (the petitioner going up with it), supervision and closing.
//!
//! The search is shown to work: a distinctive summary (not personal data) is
//! found in every database, and the values themselves are found in the one
//! place they belong, the answer of `case show --petitioner` at the node
//! holding the case. Last, the district's key is rotated (restart with a new
//! key and the old one as previous, which reseals at start; then the new one
//! alone) and the petitioner still reads. (A key the data was not sealed
//! under is refused in `crates/store/tests/personal_data.rs`.) Each node's
//! Prometheus metrics are scraped and searched too.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fengqiao_store::Backend;
use fengqiao_tests::{TestNetwork, fengqiao_binary, network_tree_csv, shanghai_today, shanghai_yesterday};
use serde_json::Value;

const DISTRICT: &str = "410411";
const TOWNSHIP: &str = "410411001";
const COMMUNITY: &str = "410411001001";
const GROUP: &str = "410411001001001";
const GROUP2: &str = "410411001001002";

const NAME: &str = "Zzqx Leakcheck";
const PHONE: &str = "13800138999";
/// A valid resident identity number (check digit X), entered with a
/// lowercase x and hyphens; the node normalises it to [`ID_NORMALISED`].
const ID_ENTERED: &str = "410411-19770707-007x";
const ID_NORMALISED: &str = "41041119770707007X";

/// A summary that is no personal data, stored in plaintext: the control
/// that the database search reads what is stored.
const MARKER: &str = "Qvvk marker summary";

/// What must be found nowhere (compared ignoring ASCII case).
const NEEDLES: [&str; 6] = [NAME, "Zzqx", "Leakcheck", PHONE, ID_NORMALISED, "41041119770707007"];

const WAIT: Duration = Duration::from_secs(30);

/// Runs commands against the nodes, keeping every output for the search.
struct Cli {
    urls: Vec<(&'static str, String)>,
    outputs: std::sync::Mutex<Vec<(String, String)>>,
}

impl Cli {
    fn url(&self, node: &str) -> String {
        self.urls.iter().find(|(unit, _)| *unit == node).map(|(_, url)| url.clone()).expect("a node")
    }

    /// `fengqiao ARGS --server URL`: (success, stdout, stderr). With
    /// `keep`, its output joins what is searched.
    async fn run_kept(&self, node: &str, args: &[&str], keep: bool) -> (bool, String, String) {
        let url = self.url(node);
        let output = tokio::process::Command::new(fengqiao_binary())
            .args(args)
            .args(["--server", &url])
            .env_remove("FENGQIAO_SERVER")
            .env_remove("FENGQIAO_TIME_ZONE")
            .env("USER", "officer")
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .expect("the binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if keep {
            let command = format!("fengqiao {} --server {url}", args.join(" "));
            self.outputs.lock().unwrap().push((command, format!("{stdout}\n{stderr}")));
        }
        (output.status.success(), stdout, stderr)
    }

    /// A command that must succeed; its stdout.
    async fn ok(&self, node: &str, args: &[&str]) -> String {
        let (success, stdout, stderr) = self.run_kept(node, args, true).await;
        assert!(success, "`fengqiao {}` at {node} failed:\n{stdout}\n{stderr}", args.join(" "));
        stdout
    }

    async fn json(&self, node: &str, args: &[&str]) -> Value {
        let stdout = self.ok(node, args).await;
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("`{}` printed no JSON ({e}): {stdout}", args[0]))
    }

    /// Registers a case (args after `case register`); its id.
    async fn register(&self, node: &str, args: &[&str]) -> String {
        let mut all = vec!["case", "register"];
        all.extend_from_slice(args);
        all.push("--json");
        let answer = self.json(node, &all).await;
        answer["case"]["case_id"].as_str().expect("a case id").to_owned()
    }

    async fn act(&self, node: &str, verb: &str, id: &str, args: &[&str]) {
        let mut all = vec!["case", verb, id];
        all.extend_from_slice(args);
        all.push("--json");
        self.json(node, &all).await;
    }

    /// Polls `case show` (output kept) until the node holds the case.
    async fn until_held(&self, node: &str, id: &str) {
        let started = Instant::now();
        loop {
            let (success, stdout, _) = self.run_kept(node, &["case", "show", id, "--json"], true).await;
            if success && serde_json::from_str::<Value>(&stdout).is_ok_and(|a| a["case"]["held_here"] == true)
            {
                return;
            }
            assert!(started.elapsed() < WAIT, "case {id} never held at {node}: {stdout}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn petitioner_args() -> [&'static str; 6] {
    ["--petitioner-name", NAME, "--petitioner-phone", PHONE, "--petitioner-id", ID_ENTERED]
}

/// The needles found in `haystack`, ignoring ASCII case.
fn hits(haystack: &[u8]) -> Vec<&'static str> {
    NEEDLES
        .into_iter()
        .filter(|needle| haystack.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes())))
        .collect()
}

/// The text, followed by the bytes of every `\x` hex run in it (PostgreSQL
/// prints bytea so).
fn with_hex_decoded(text: &str) -> Vec<u8> {
    let mut out = text.as_bytes().to_vec();
    for part in text.split("\\x").skip(1) {
        let hex: String = part.chars().take_while(char::is_ascii_hexdigit).collect();
        if let Ok(bytes) = hex::decode(&hex[..hex.len() / 2 * 2]) {
            out.extend(bytes);
        }
    }
    out
}

/// A SQLite database's files: (path, bytes) of the file, its WAL and shm.
fn sqlite_files(db_path: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    ["", "-wal", "-shm"]
        .into_iter()
        .filter_map(|suffix| {
            let path = PathBuf::from(format!("{}{suffix}", db_path.display()));
            std::fs::read(&path).ok().map(|bytes| (path, bytes))
        })
        .collect()
}

/// Every row of every table of a PostgreSQL schema, as text with bytea
/// decoded: (table, row).
async fn postgres_rows(url: &str, schema: &str) -> Vec<(String, Vec<u8>)> {
    let pool = sqlx::PgPool::connect(url).await.expect("postgres reachable");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
    )
    .bind(schema)
    .fetch_all(&pool)
    .await
    .expect("tables listed");
    assert!(tables.len() > 10, "the schema {schema} has the node's tables: {tables:?}");
    let mut rows = Vec::new();
    for table in tables {
        let texts: Vec<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT t::text FROM {schema}.\"{table}\" t")))
                .fetch_all(&pool)
                .await
                .unwrap_or_else(|e| panic!("cannot read {schema}.{table}: {e}"));
        rows.extend(texts.into_iter().map(|text| (table.clone(), with_hex_decoded(&text))));
    }
    pool.close().await;
    rows
}

/// Searches every database of the network; asserts the marker is found in
/// each (the search reads what is stored) and no needle anywhere.
async fn search_databases(net: &TestNetwork, when: &str) {
    for unit in [DISTRICT, TOWNSHIP, COMMUNITY] {
        let db = net.db(unit);
        let mut marker_found = false;
        match db.backend() {
            Backend::Sqlite => {
                let files = sqlite_files(&db.sqlite_path().expect("a SQLite file"));
                assert!(!files.is_empty(), "node {unit} has a database file");
                for (path, bytes) in files {
                    marker_found |= bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes());
                    let found = hits(&bytes);
                    assert!(found.is_empty(), "{when}: {found:?} in {} (node {unit})", path.display());
                }
            }
            Backend::Postgres => {
                let schema = db.schema().expect("a schema");
                for (table, row) in postgres_rows(&fengqiao_store::testing::postgres_url(), schema).await {
                    marker_found |= row.windows(MARKER.len()).any(|w| w == MARKER.as_bytes());
                    let found = hits(&row);
                    assert!(found.is_empty(), "{when}: {found:?} in table {table} of node {unit}");
                }
            }
        }
        assert!(marker_found, "{when}: the search finds the plaintext summary in node {unit}'s database");
    }
}

async fn keygen(dir: &Path, name: &str) -> String {
    let path = dir.join(name);
    let output = std::process::Command::new(fengqiao_binary())
        .args(["pii", "keygen", "--out"])
        .arg(&path)
        .output()
        .expect("keygen runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    path.display().to_string()
}

async fn seeded_personal_data_leaks_nowhere(backend: Backend) {
    let work = tempfile::tempdir().expect("temporary directory");
    let logs = work.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let key = keygen(work.path(), "key-1").await;
    let mut net = TestNetwork::builder(network_tree_csv())
        .node(DISTRICT)
        .node(TOWNSHIP)
        .node(COMMUNITY)
        .node_args(&["--personal-data-key-file", &key])
        .rust_log("debug")
        .log_dir(&logs)
        .metrics()
        .start(backend)
        .await;
    let cli = Cli {
        urls: vec![
            (DISTRICT, net.node(DISTRICT).url()),
            (TOWNSHIP, net.node(TOWNSHIP).url()),
            (COMMUNITY, net.node(COMMUNITY).url()),
        ],
        outputs: Default::default(),
    };
    let today = shanghai_today().to_string();
    let yesterday = shanghai_yesterday().to_string();
    let tomorrow = (shanghai_today() + chrono::Days::new(1)).to_string();
    let p = petitioner_args();
    let mut cases = Vec::new();

    // From a report's dispute, at the community.
    cli.ok(
        COMMUNITY,
        &[
            "report",
            "--unit",
            GROUP,
            "--date",
            &today,
            "--reporter",
            "officer-1",
            "--dispute",
            &format!(
                "id=d1,category=neighbour,outcome=registered,case=pii-from-report,parties=2,summary={MARKER}"
            ),
        ],
    )
    .await;
    let from_report = format!("{GROUP}@{today}#d1");
    let dispute_case = cli
        .register(
            COMMUNITY,
            &[
                &["--unit", GROUP, "--channel", "report", "--category", "neighbour"][..],
                &["--summary", MARKER],
                &["--from-report", &from_report],
                &p,
            ]
            .concat(),
        )
        .await;
    cases.push(dispute_case.clone());

    // Registered at the community, escalated two tiers up.
    let escalated = cli
        .register(
            COMMUNITY,
            &[
                &["--unit", COMMUNITY, "--channel", "letter", "--category", "land", "--summary", MARKER][..],
                &p,
            ]
            .concat(),
        )
        .await;
    cases.push(escalated.clone());
    cli.act(COMMUNITY, "accept", &escalated, &[]).await;
    cli.act(COMMUNITY, "escalate", &escalated, &["--reason", "beyond the community"]).await;
    cli.until_held(TOWNSHIP, &escalated).await;
    cli.act(TOWNSHIP, "escalate", &escalated, &["--reason", "beyond the township"]).await;
    cli.until_held(DISTRICT, &escalated).await;

    // Registered at the district, assigned down two tiers, supervised.
    let transferred = cli
        .register(
            DISTRICT,
            &[
                &["--unit", DISTRICT, "--channel", "online", "--category", "labour", "--summary", MARKER][..],
                &p,
            ]
            .concat(),
        )
        .await;
    cases.push(transferred.clone());
    cli.act(DISTRICT, "accept", &transferred, &[]).await;
    cli.act(DISTRICT, "transfer", &transferred, &["--to", GROUP2]).await;
    cli.until_held(COMMUNITY, &transferred).await;
    let reply_by = (shanghai_today() + chrono::Days::new(7)).to_string();
    cli.json(
        DISTRICT,
        &[
            "supervise",
            &transferred,
            "--kind",
            "on_site",
            "--reply-by",
            &reply_by,
            "--text",
            "report back",
            "--json",
        ],
    )
    .await;

    // Closed dissatisfied at the community, then a review goes up with the petitioner.
    let reviewed = cli
        .register(
            COMMUNITY,
            &[
                &["--unit", COMMUNITY, "--channel", "phone", "--category", "neighbour", "--summary", MARKER]
                    [..],
                &p,
            ]
            .concat(),
        )
        .await;
    cases.push(reviewed.clone());
    cli.act(COMMUNITY, "accept", &reviewed, &[]).await;
    cli.act(COMMUNITY, "assign", &reviewed, &["--leader", "L", "--responsible", "R", "--plan", "talk"]).await;
    cli.act(COMMUNITY, "resolve", &reviewed, &["--resolution", "talked"]).await;
    cli.act(COMMUNITY, "close", &reviewed, &["--satisfaction", "dissatisfied"]).await;
    cli.act(COMMUNITY, "review", &reviewed, &["--reason", "the petitioner disputes the closure"]).await;
    cli.until_held(TOWNSHIP, &reviewed).await;

    // A duty-reception visit at the township, answered and closed there.
    cli.json(
        DISTRICT,
        &[
            "roster", "set", "--unit", TOWNSHIP, "--from", &yesterday, "--to", &tomorrow, "--leader", "L",
            "--json",
        ],
    )
    .await;
    let started = Instant::now();
    let visit = loop {
        let mut args = vec!["visit", "--unit", TOWNSHIP, "--category", "labour", "--summary", MARKER];
        args.extend(p);
        args.extend(["--answered", "--resolution", "explained", "--satisfaction", "satisfied", "--json"]);
        let (success, stdout, stderr) = cli.run_kept(TOWNSHIP, &args, true).await;
        if success {
            let answer: Value = serde_json::from_str(&stdout).expect("JSON");
            break answer["case"]["case_id"].as_str().expect("a case id").to_owned();
        }
        // The roster travels down; until it arrives the visit has no leader.
        assert!(started.elapsed() < WAIT, "visit refused: {stderr}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    cases.push(visit);

    // Everything read back the ways a user reads it, at every node.
    net.wait_for_drain(WAIT).await;
    let export = work.path().join("export.csv");
    let export_s = export.display().to_string();
    for node in [DISTRICT, TOWNSHIP, COMMUNITY] {
        let range = ["--from", &yesterday, "--to", &today];
        cli.ok(node, &[&["summary", "--unit", node][..], &range, &["--json"]].concat()).await;
        cli.ok(node, &[&["summary", "--unit", node][..], &range].concat()).await;
        for figure in ["cases.registered", "cases.escalated", "cases.assigned_down", "cases.closed"] {
            cli.ok(node, &[&["drill", "--unit", node][..], &range, &["--figure", figure, "--json"]].concat())
                .await;
        }
        cli.ok(node, &["case", "list", "--unit", node, "--json"]).await;
        cli.ok(node, &["case", "list", "--unit", node]).await;
        cli.ok(node, &[&["reports", "--unit", node][..], &range, &["--json"]].concat()).await;
        cli.ok(node, &[&["export", "--unit", node][..], &range, &["--out", &export_s]].concat()).await;
        let exported = std::fs::read_to_string(&export).expect("the export was written");
        cli.outputs.lock().unwrap().push((format!("export at {node}"), exported));
        cli.ok(node, &["status", "--json"]).await;
        for case in &cases {
            // Shown wherever the case is known, without the petitioner.
            cli.run_kept(node, &["case", "show", case, "--json"], true).await;
            cli.run_kept(node, &["case", "show", case], true).await;
        }
    }

    // The one place the values belong: the holding node's answer when asked.
    let (success, shown, stderr) =
        cli.run_kept(DISTRICT, &["case", "show", &escalated, "--petitioner", "--json"], false).await;
    assert!(success, "{stderr}");
    let found = hits(shown.as_bytes());
    assert_eq!(found, NEEDLES.to_vec(), "the search finds every value where it is shown: {shown}");
    let (success, shown, _) =
        cli.run_kept(COMMUNITY, &["case", "show", &transferred, "--petitioner", "--json"], false).await;
    assert!(
        success && hits(shown.as_bytes()).contains(&NAME),
        "the handover brought the petitioner: {shown}"
    );

    // Every node's metrics, after all of the above.
    for unit in [DISTRICT, TOWNSHIP, COMMUNITY] {
        let metrics = net.node(unit).scrape_metrics().await;
        assert!(metrics.contains("fengqiao_grpc_server_handled_total"), "node {unit}: {metrics}");
        let found = hits(metrics.as_bytes());
        assert!(found.is_empty(), "node {unit}'s metrics hold {found:?}: {metrics}");
    }

    // Databases while the nodes run (WAL pages included), then stopped.
    search_databases(&net, "while running").await;
    for unit in [COMMUNITY, TOWNSHIP, DISTRICT] {
        net.stop(unit).await;
    }
    search_databases(&net, "after stopping").await;

    // Every line of every node's log.
    for unit in [DISTRICT, TOWNSHIP, COMMUNITY] {
        let log = std::fs::read_to_string(logs.join(format!("{unit}.log"))).expect("a log file");
        assert!(log.contains("DEBUG"), "node {unit} logged at debug level");
        for line in log.lines() {
            let found = hits(line.as_bytes());
            assert!(found.is_empty(), "node {unit} logged {found:?}: {line}");
        }
    }
    // Every output of every command.
    let outputs = cli.outputs.lock().unwrap().clone();
    assert!(outputs.len() > 60, "{} outputs searched", outputs.len());
    assert!(outputs.iter().any(|(_, out)| out.contains(MARKER)), "the outputs show the cases");
    for (command, output) in &outputs {
        let found = hits(output.as_bytes());
        assert!(found.is_empty(), "`{command}` printed {found:?}: {output}");
    }

    // Key rotation at the district: a new key with the old one as previous
    // (the start reseals), then the new one alone.
    let key_2 = keygen(work.path(), "key-2").await;
    net.node(DISTRICT).options_mut().extra_args =
        ["--personal-data-key-file", &key_2, "--previous-personal-data-key-file", &key]
            .map(String::from)
            .to_vec();
    net.start(DISTRICT).await;
    net.stop(DISTRICT).await;
    net.node(DISTRICT).options_mut().extra_args =
        ["--personal-data-key-file", &key_2].map(String::from).to_vec();
    net.start(DISTRICT).await;
    let (success, shown, stderr) =
        cli.run_kept(DISTRICT, &["case", "show", &escalated, "--petitioner", "--json"], false).await;
    assert!(success, "{stderr}");
    let answer: Value = serde_json::from_str(&shown).expect("JSON");
    assert_eq!(answer["petitioner"]["name"], NAME, "read under the new key alone: {shown}");
    assert_eq!(answer["petitioner"]["id_number"], ID_NORMALISED);
    net.shutdown().await;
}

#[tokio::test]
async fn sqlite_seeded_personal_data_leaks_nowhere() {
    seeded_personal_data_leaks_nowhere(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_seeded_personal_data_leaks_nowhere() {
    seeded_personal_data_leaks_nowhere(Backend::Postgres).await;
}
