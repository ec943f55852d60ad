//! The case ledger driven through every path with the `fengqiao` command
//! line only, against a network of real node processes (district 410411 →
//! township 410411001 → community 410411001001), on both backends:
//!
//! 1. register (letter, with a petitioner) → accept → assign → progress →
//!    extend → resolve (with an amount recovered) → close satisfied;
//! 2. register → decline; acting afterwards is refused, naming the state;
//! 3. close dissatisfied → reopen → resolve → close dissatisfied → review:
//!    the case passes to the township's node, which overturns the closure and
//!    handles the case again;
//! 4. escalate from the community's node to the township's; assign down
//!    (交办) from the district to a group under the community's node;
//!    supervision (督办) from the district, answered at the owner;
//! 5. the leader on duty set at the district, a visit answered at the
//!    township, a repeat visit, the repeat and overdue lists;
//! 6. `drill` and `summary` at the district once every event arrived;
//! 7. refusals: unknown case, bad ID number, stale `--expect-seq`, a case
//!    held by another node.
//!
//! The network runs over mTLS, and every command presents a person's
//! certificate (with a display name): the leader of the node's unit, or the
//! community's officer alice. Every event records that certificate's
//! identity — never `--actor` text or `$USER`; an officer naming a leader
//! with `--actor` is refused, and one typing up the leader's instruction
//! with `--on-behalf-of` is recorded as both.
//!
//! Every command runs the binary as a user would (`--json` where the output
//! is read). It runs through `tokio::process::Command` (the async wrapper of
//! `std::process::Command`) so the runtime keeps draining the nodes' output
//! while a command runs.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use fengqiao_core::identity::Role;
use fengqiao_store::Backend;
use fengqiao_tests::{
    TestNetwork, TlsFiles, fengqiao_binary, network_tree_csv, shanghai_today, shanghai_yesterday,
};
use serde_json::{Value, json};

const DISTRICT: &str = "410411";
const TOWNSHIP: &str = "410411001";
const COMMUNITY: &str = "410411001001";
/// Groups under the community, served by the community's node.
const GROUP: &str = "410411001001001";
const GROUP2: &str = "410411001001002";

/// Resident identity numbers with valid check digits (GB 11643).
const ID_ZHANG: &str = "410411198001011232";
const ID_LI: &str = "410411197512120049";

/// How long one condition may take to hold across nodes.
const WAIT: Duration = Duration::from_secs(20);

/// One run of the binary.
struct Run {
    command: String,
    success: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "`{}` exited with {:?}\nstdout: {}\nstderr: {}",
            self.command, self.code, self.stdout, self.stderr
        )
    }
}

/// The people who run the commands: each a certificate of the network's CA
/// with a display name.
struct People {
    /// The community's officer.
    alice: TlsFiles,
    /// The leader of each node's unit, who runs a command unless told otherwise.
    community_leader: TlsFiles,
    township_leader: TlsFiles,
    district_leader: TlsFiles,
}

/// The network's nodes by unit, and the commands run against them.
struct Cli<'a> {
    net: &'a TestNetwork,
    district: String,
    township: String,
    community: String,
    people: People,
}

impl Cli<'_> {
    fn url(&self, node: &str) -> &str {
        match node {
            DISTRICT => &self.district,
            TOWNSHIP => &self.township,
            COMMUNITY => &self.community,
            other => panic!("no node for unit {other}"),
        }
    }

    /// The leader of the node's unit.
    fn leader(&self, node: &str) -> &TlsFiles {
        match node {
            DISTRICT => &self.people.district_leader,
            TOWNSHIP => &self.people.township_leader,
            COMMUNITY => &self.people.community_leader,
            other => panic!("no node for unit {other}"),
        }
    }

    /// `fengqiao ARGS --server URL-of-NODE` as the leader of the node's
    /// unit, whatever its outcome.
    async fn run(&self, node: &str, args: &[&str]) -> Run {
        self.run_as(self.leader(node), node, args).await
    }

    /// `fengqiao ARGS --server URL-of-NODE --ca … --cert … --key …` as `person`.
    async fn run_as(&self, person: &TlsFiles, node: &str, args: &[&str]) -> Run {
        let url = self.url(node);
        let output = tokio::process::Command::new(fengqiao_binary())
            .args(args)
            .args(["--server", url])
            .args(person.args())
            // Only what the test says: the deployment's zone and the
            // certificate; $USER is set to prove nothing takes it.
            .env_remove("FENGQIAO_SERVER")
            .env_remove("FENGQIAO_TIME_ZONE")
            .env_remove("FENGQIAO_CA")
            .env_remove("FENGQIAO_CERT")
            .env_remove("FENGQIAO_KEY")
            .env("USER", "officer")
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", fengqiao_binary().display()));
        Run {
            command: format!("fengqiao {} --server {url} (as {})", args.join(" "), person.cert.display()),
            success: output.status.success(),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs a command that must succeed; its standard output.
    async fn ok(&self, node: &str, args: &[&str]) -> String {
        self.ok_as(self.leader(node), node, args).await
    }

    /// [`Cli::ok`] as `person`.
    async fn ok_as(&self, person: &TlsFiles, node: &str, args: &[&str]) -> String {
        let run = self.run_as(person, node, args).await;
        assert!(run.success, "at node {node}: {}", run.describe());
        run.stdout
    }

    /// Runs a `--json` command that prints one JSON document.
    async fn json(&self, node: &str, args: &[&str]) -> Value {
        self.json_as(self.leader(node), node, args).await
    }

    /// [`Cli::json`] as `person`.
    async fn json_as(&self, person: &TlsFiles, node: &str, args: &[&str]) -> Value {
        let stdout = self.ok_as(person, node, args).await;
        serde_json::from_str(&stdout).unwrap_or_else(|error| {
            panic!("`fengqiao {}` printed no JSON ({error}): {stdout}", args.join(" "))
        })
    }

    /// Runs a `--json` command that prints one JSON document per line.
    async fn json_lines(&self, node: &str, args: &[&str]) -> Vec<Value> {
        let stdout = self.ok(node, args).await;
        stdout
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|error| {
                    panic!("`fengqiao {}` printed a line that is not JSON ({error}): {line}", args.join(" "))
                })
            })
            .collect()
    }

    /// Runs a command that must fail (a one-line message, a non-zero
    /// exit); its standard error.
    async fn refused(&self, node: &str, args: &[&str]) -> String {
        self.refused_as(self.leader(node), node, args).await
    }

    /// [`Cli::refused`] as `person`.
    async fn refused_as(&self, person: &TlsFiles, node: &str, args: &[&str]) -> String {
        let run = self.run_as(person, node, args).await;
        assert!(!run.success, "expected a refusal at node {node}: {}", run.describe());
        assert!(run.code.is_some_and(|code| code != 0), "{}", run.describe());
        assert!(run.stderr.starts_with("error: "), "one error line expected: {}", run.describe());
        assert!(!run.stderr.contains("panicked"), "{}", run.describe());
        run.stderr
    }

    /// `case register --unit U --channel C --category K --summary S ARGS
    /// --json` with `intake` = [U, C, K, S]: the new case.
    async fn register(&self, node: &str, intake: [&str; 4], args: &[&str]) -> Value {
        self.register_as(self.leader(node), node, intake, args).await
    }

    /// [`Cli::register`] as `person`.
    async fn register_as(&self, person: &TlsFiles, node: &str, intake: [&str; 4], args: &[&str]) -> Value {
        let [unit, channel, category, summary] = intake;
        let mut all = vec!["case", "register", "--unit", unit, "--channel", channel];
        all.extend(["--category", category, "--summary", summary]);
        all.extend_from_slice(args);
        all.push("--json");
        let answer = self.json_as(person, node, &all).await;
        assert_eq!(answer["created"], true, "a new registration: {answer}");
        answer["case"].clone()
    }

    /// `case VERB ID ARGS --json`: the case as it now stands, after checking
    /// the event written is of `kind` and follows the case's last.
    async fn act(&self, node: &str, verb: &str, id: &str, args: &[&str], kind: &str) -> Value {
        self.act_as(self.leader(node), node, verb, id, args, kind).await
    }

    /// [`Cli::act`] as `person`.
    async fn act_as(
        &self,
        person: &TlsFiles,
        node: &str,
        verb: &str,
        id: &str,
        args: &[&str],
        kind: &str,
    ) -> Value {
        let mut all = vec!["case", verb, id];
        all.extend_from_slice(args);
        all.push("--json");
        let answer = self.json_as(person, node, &all).await;
        let (case, event) = (&answer["case"], &answer["event"]);
        assert_eq!(event["kind"], kind, "`case {verb} {id}` wrote: {answer}");
        assert_eq!(event["case_id"], id);
        assert_eq!(event["sequence"], case["sequence"], "the event written is the case's newest");
        case.clone()
    }

    /// `case show ID --json` at a node.
    async fn show(&self, node: &str, id: &str) -> Value {
        self.json(node, &["case", "show", id, "--json"]).await
    }

    /// Polls `case show` at a node until `done` holds; panics after
    /// [`WAIT`] naming `what`, with the last answer and every node's state.
    async fn show_until(&self, node: &str, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let run = self.run(node, &["case", "show", id, "--json"]).await;
            let last = if run.success {
                match serde_json::from_str::<Value>(&run.stdout) {
                    Ok(answer) if done(&answer) => return answer,
                    Ok(answer) => answer.to_string(),
                    Err(error) => format!("not JSON ({error}): {}", run.stdout),
                }
            } else {
                run.describe()
            };
            if started.elapsed() > WAIT {
                panic!(
                    "timed out after {WAIT:?} waiting at node {node} until case {id} {what}\nlast answer: {last}\n{}",
                    self.net.diagnostics().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The kinds of a `case show --json` answer's events, after checking they
/// are numbered 1, 2, … in order.
fn kinds(shown: &Value) -> Vec<String> {
    let events = shown["events"].as_array().unwrap_or_else(|| panic!("no events in {shown}"));
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["sequence"], i + 1, "events in order without gaps: {shown}");
    }
    assert_eq!(shown["case"]["sequence"], events.len(), "the case is at its newest event");
    events.iter().map(|e| e["kind"].as_str().unwrap_or("?").to_owned()).collect()
}

/// Who acted in each event of a `case show --json` answer: (kind, person id)
/// for a person's certificate, (kind, `node UNIT`) for a node acting by
/// itself; panics on anything unverified.
fn actors(shown: &Value) -> Vec<(String, String)> {
    let events = shown["events"].as_array().unwrap_or_else(|| panic!("no events in {shown}"));
    events
        .iter()
        .map(|event| {
            let actor = &event["actor"];
            let who = match actor["kind"].as_str() {
                Some("person") => text(&actor["id"]),
                Some("node") => format!("node {}", text(&actor["unit"])),
                _ => panic!("event {} names no certificate: {actor}", event["sequence"]),
            };
            (text(&event["kind"]), who)
        })
        .collect()
}

/// `[(kind, who), …]` from literals.
fn acted(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(kind, who)| ((*kind).to_owned(), (*who).to_owned())).collect()
}

/// Some fields of an object, as an array (to compare several at once).
fn pick(object: &Value, keys: &[&str]) -> Value {
    keys.iter().map(|key| object[*key].clone()).collect()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("{value} is not a string")).to_owned()
}

fn date(value: &Value) -> NaiveDate {
    NaiveDate::parse_from_str(&text(value), "%Y-%m-%d").unwrap_or_else(|e| panic!("{value}: {e}"))
}

fn ids(values: &[Value]) -> BTreeSet<String> {
    values.iter().map(|v| text(&v["case_id"])).collect()
}

fn set<const N: usize>(ids: [&str; N]) -> BTreeSet<String> {
    ids.into_iter().map(str::to_owned).collect()
}

async fn every_path_from_the_cli(backend: Backend) {
    let started = Instant::now();
    let mut net = TestNetwork::builder(network_tree_csv())
        .tls()
        .node(DISTRICT)
        .node(TOWNSHIP)
        .node(COMMUNITY)
        .start(backend)
        .await;
    let (district, township, community) =
        (net.node(DISTRICT).url(), net.node(TOWNSHIP).url(), net.node(COMMUNITY).url());
    let people = People {
        alice: net.person("alice", COMMUNITY, Role::Officer, "李丽"),
        community_leader: net.person("bob", COMMUNITY, Role::Leader, "王书记"),
        township_leader: net.person("ma", TOWNSHIP, Role::Leader, "马镇长"),
        district_leader: net.person("sun", DISTRICT, Role::Leader, "孙局长"),
    };
    let cli = Cli { net: &net, district, township, community, people };
    let alice = &cli.people.alice;
    // Ranges start yesterday (the roster's ends tomorrow; the others end on
    // the day they are read), so a test running across midnight in
    // Asia/Shanghai still covers every day it acted on.
    let today = shanghai_today();
    let (yesterday_s, tomorrow_s) = (shanghai_yesterday().to_string(), (today + Days::new(1)).to_string());
    let mut registered = BTreeSet::new();

    // ---- 1. the whole ordinary life of a case, at the community's node.
    let case = cli
        .register_as(
            alice,
            COMMUNITY,
            [GROUP, "letter", "wage_arrears", "three months of wages unpaid on a building site"],
            &[
                "--workers",
                "3",
                "--amount",
                "36000",
                "--petitioner-name",
                "张三",
                "--petitioner-phone",
                "13800000000",
                "--petitioner-id",
                ID_ZHANG,
                "--actor",
                "alice",
            ],
        )
        .await;
    let ordinary = text(&case["case_id"]);
    registered.insert(ordinary.clone());
    assert_eq!(case["status"], "registered");
    assert_eq!(case["owner_unit_id"], GROUP);
    assert_eq!(case["held_here"], true);
    assert_eq!(case["intake"]["channel"], "letter");
    assert_eq!(case["intake"]["workers"], 3);
    assert_eq!(case["intake"]["amount_claimed_cents"], 3_600_000);
    assert!(case["intake"]["petitioner_ref"].is_string(), "a petitioner reference: {case}");
    let id = ordinary.as_str();
    // The officer may not accept, nor name the leader as the actor.
    let message = cli.refused_as(alice, COMMUNITY, &["case", "accept", id]).await;
    assert!(message.contains("PERMISSION_DENIED"), "{message}");
    let message =
        cli.refused_as(alice, COMMUNITY, &["case", "progress", id, "--note", "n", "--actor", "bob"]).await;
    assert!(message.contains("PERMISSION_DENIED") && message.contains("on_behalf_of"), "{message}");
    let accepted = cli.act(COMMUNITY, "accept", id, &[], "accepted").await;
    assert_eq!(accepted["status"], "accepted");
    let first_deadline = date(&accepted["deadline"]);
    let assigned = cli
        .act(
            COMMUNITY,
            "assign",
            id,
            &["--leader", "李书记", "--responsible", "王主任", "--plan", "mediate with the contractor"],
            "assigned",
        )
        .await;
    assert_eq!(pick(&assigned, &["status", "leader"]), json!(["assigned", "李书记"]));
    // The officer types up the leader's instruction on their behalf.
    let progressed = cli
        .act_as(
            alice,
            COMMUNITY,
            "progress",
            id,
            &["--note", "met the contractor", "--on-behalf-of", "bob", "--on-behalf-of-name", "王书记"],
            "progress",
        )
        .await;
    assert_eq!(progressed["status"], "in_progress");
    let extended =
        cli.act(COMMUNITY, "extend", id, &["--days", "30", "--reason", "audit pending"], "extended").await;
    assert_eq!(extended["extended"], true);
    assert_eq!(date(&extended["deadline"]), first_deadline + Days::new(30), "extended by 30 days");
    let resolved = cli
        .act(
            COMMUNITY,
            "resolve",
            id,
            &["--resolution", "the contractor paid in full", "--recovered", "36000"],
            "resolved",
        )
        .await;
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["amount_recovered_cents"], 3_600_000);
    assert_eq!(resolved["resolved_on_time"], true);
    let closed = cli.act(COMMUNITY, "close", id, &["--satisfaction", "satisfied"], "closed").await;
    assert_eq!(pick(&closed, &["status", "satisfaction"]), json!(["closed", "satisfied"]));
    let shown = cli.json(COMMUNITY, &["case", "show", id, "--petitioner", "--json"]).await;
    assert_eq!(
        kinds(&shown),
        ["registered", "accepted", "assigned", "progress", "extended", "resolved", "closed"],
        "the full log in order: {shown}"
    );
    assert_eq!(shown["case"]["status"], "closed");
    let events = shown["events"].as_array().expect("events");
    assert_eq!(
        json!([events[0]["actor"], events[1]["actor"]]),
        json!([
            {"kind": "person", "unit": COMMUNITY, "role": "officer", "id": "alice", "name": "李丽"},
            {"kind": "person", "unit": COMMUNITY, "role": "leader", "id": "bob", "name": "王书记"},
        ]),
        "the certificates' identities, not --actor text nor $USER: {shown}"
    );
    assert_eq!(
        events[3]["actor"],
        json!({
            "kind": "person", "unit": COMMUNITY, "role": "officer", "id": "alice", "name": "李丽",
            "on_behalf_of": {"id": "bob", "name": "王书记"},
        }),
        "typed up on the leader's behalf: both recorded"
    );
    assert_eq!(
        actors(&shown),
        acted(&[
            ("registered", "alice"),
            ("accepted", "bob"),
            ("assigned", "bob"),
            ("progress", "alice"),
            ("extended", "bob"),
            ("resolved", "bob"),
            ("closed", "bob"),
        ])
    );
    assert_eq!(events[3]["note"], "met the contractor");
    assert_eq!(events[4]["details"]["days"], 30);
    assert_eq!(events[5]["details"]["amount_recovered_cents"], 3_600_000);
    assert!(events.iter().all(|e| e["unit_id"] == GROUP), "the group acted throughout: {shown}");
    let petitioner = &shown["petitioner"];
    assert_eq!(
        pick(petitioner, &["name", "phone", "id_number"]),
        json!(["张三", "13800000000", ID_ZHANG]),
        "the holding node keeps the petitioner: {shown}"
    );

    // ---- 2. declined; nothing more may happen to it.
    let case = cli.register(COMMUNITY, [GROUP2, "phone", "neighbour", "noise at night"], &[]).await;
    let declined = text(&case["case_id"]);
    registered.insert(declined.clone());
    let case = cli
        .act(
            COMMUNITY,
            "decline",
            &declined,
            &["--reason", "a matter for the property management"],
            "not_accepted",
        )
        .await;
    assert_eq!(case["status"], "not_accepted");
    assert_eq!(case["not_accepted_reason"], "a matter for the property management");
    for args in [
        vec!["case", "accept", &declined],
        vec!["case", "assign", &declined, "--leader", "L", "--responsible", "R", "--plan", "P"],
        vec!["case", "resolve", &declined, "--resolution", "done"],
    ] {
        let message = cli.refused(COMMUNITY, &args).await;
        assert!(message.contains("not_accepted"), "the refusal names the state: {message}");
    }
    assert_eq!(kinds(&cli.show(COMMUNITY, &declined).await), ["registered", "not_accepted"]);

    // ---- 3. dissatisfied twice, reviewed by the tier above.
    let reviewed = "review-path-1";
    cli.register(
        COMMUNITY,
        [COMMUNITY, "online", "land", "a boundary between two plots"],
        &["--case-id", reviewed],
    )
    .await;
    registered.insert(reviewed.to_owned());
    cli.act(COMMUNITY, "accept", reviewed, &[], "accepted").await;
    cli.act(
        COMMUNITY,
        "assign",
        reviewed,
        &["--leader", "L1", "--responsible", "R1", "--plan", "survey"],
        "assigned",
    )
    .await;
    cli.act(COMMUNITY, "resolve", reviewed, &["--resolution", "surveyed"], "resolved").await;
    cli.act(COMMUNITY, "close", reviewed, &["--satisfaction", "dissatisfied"], "closed").await;
    let case = cli.act(COMMUNITY, "reopen", reviewed, &["--reason", "survey disputed"], "reopened").await;
    assert_eq!(pick(&case, &["status", "reopened"]), json!(["in_progress", 1]));
    cli.act(COMMUNITY, "resolve", reviewed, &["--resolution", "surveyed again"], "resolved").await;
    cli.act(COMMUNITY, "close", reviewed, &["--satisfaction", "dissatisfied"], "closed").await;
    let case = cli
        .act(
            COMMUNITY,
            "review",
            reviewed,
            &["--reason", "the petitioner disputes the closure"],
            "review_requested",
        )
        .await;
    assert_eq!(case["status"], "under_review");
    assert_eq!(case["owner_unit_id"], TOWNSHIP, "the review goes to the tier above");
    assert_eq!(case["held_here"], false);
    cli.show_until(TOWNSHIP, reviewed, "is held under review", |a| {
        a["case"]["held_here"] == true && a["case"]["status"] == "under_review"
    })
    .await;
    let case = cli.act(TOWNSHIP, "review", reviewed, &["--decide", "overturned"], "reviewed").await;
    assert_eq!(pick(&case, &["status", "reviews"]), json!(["accepted", 1]));
    cli.act(
        TOWNSHIP,
        "assign",
        reviewed,
        &["--leader", "L2", "--responsible", "R2", "--plan", "joint survey"],
        "assigned",
    )
    .await;
    cli.act(TOWNSHIP, "resolve", reviewed, &["--resolution", "joint survey agreed"], "resolved").await;
    cli.act(TOWNSHIP, "close", reviewed, &["--satisfaction", "satisfied"], "closed").await;
    let shown = cli.show(TOWNSHIP, reviewed).await;
    assert_eq!(
        kinds(&shown),
        [
            "registered",
            "accepted",
            "assigned",
            "resolved",
            "closed",
            "reopened",
            "resolved",
            "closed",
            "review_requested",
            "reviewed",
            "assigned",
            "resolved",
            "closed"
        ],
        "{shown}"
    );
    assert_eq!(pick(&shown["case"], &["status", "owner_unit_id"]), json!(["closed", TOWNSHIP]));
    assert_eq!(shown["events"][9]["unit_id"], TOWNSHIP, "the township decided the review");
    // The community no longer writes it: the case went up to the township,
    // and the community's node says so and where to act (FAILED_PRECONDITION
    // naming the owner, issue 15), not that its leader may not …
    let message = cli.refused(COMMUNITY, &["case", "reopen", reviewed, "--reason", "again"]).await;
    assert!(
        message.contains("FAILED_PRECONDITION")
            && message
                .contains(&format!("owned by unit {TOWNSHIP}, which an upper tier's node holds; act there")),
        "names the owner and where to act: {message}"
    );
    // … and one who has, asking at a node that does not hold the case, is
    // told where it is held.
    let message = cli
        .refused_as(&cli.people.township_leader, TOWNSHIP, &["case", "reopen", &ordinary, "--reason", "r"])
        .await;
    assert!(
        message.contains("FAILED_PRECONDITION")
            && message.contains(COMMUNITY)
            && message.contains("act there"),
        "names the node holding it: {message}"
    );

    // ---- 4a. escalated from the community's node to the township's.
    let escalated = "escalate-path-1";
    cli.register(
        COMMUNITY,
        [COMMUNITY, "online", "marriage_family", "maintenance for two children"],
        &["--case-id", escalated],
    )
    .await;
    registered.insert(escalated.to_owned());
    cli.act(COMMUNITY, "accept", escalated, &[], "accepted").await;
    let case = cli
        .act(
            COMMUNITY,
            "escalate",
            escalated,
            &["--reason", "needs the township's court liaison"],
            "escalated",
        )
        .await;
    assert_eq!(pick(&case, &["owner_unit_id", "held_here"]), json!([TOWNSHIP, false]));
    assert_eq!(pick(&case, &["status", "escalations"]), json!(["accepted", 1]));
    cli.show_until(TOWNSHIP, escalated, "is held by the township", |a| a["case"]["held_here"] == true).await;
    let case = cli
        .act(
            TOWNSHIP,
            "assign",
            escalated,
            &["--leader", "镇长", "--responsible", "司法所", "--plan", "mediate"],
            "assigned",
        )
        .await;
    assert_eq!(case["owner_unit_id"], TOWNSHIP);
    cli.act(TOWNSHIP, "progress", escalated, &["--note", "both parents heard"], "progress").await;
    let message = cli.refused(COMMUNITY, &["case", "progress", escalated, "--note", "late word"]).await;
    assert!(
        message.contains("FAILED_PRECONDITION")
            && message
                .contains(&format!("owned by unit {TOWNSHIP}, which an upper tier's node holds; act there")),
        "the community's node says where to act (FAILED_PRECONDITION), not that the caller may not: {message}"
    );

    // ---- 4b. assigned down from the district to a group under the community.
    let transferred = "transfer-path-1";
    cli.register(
        DISTRICT,
        [DISTRICT, "letter", "wage_arrears", "a workshop owes its seasonal workers"],
        &["--case-id", transferred, "--petitioner-name", "王五", "--petitioner-id", "G12345678"],
    )
    .await;
    registered.insert(transferred.to_owned());
    cli.act(DISTRICT, "accept", transferred, &[], "accepted").await;
    let case = cli.act(DISTRICT, "transfer", transferred, &["--to", GROUP2], "assigned_down").await;
    assert_eq!(pick(&case, &["owner_unit_id", "held_here"]), json!([GROUP2, false]));
    assert_eq!(case["assignments_down"], 1);
    let at_owner = cli
        .show_until(COMMUNITY, transferred, "is held by the community's node", |a| {
            a["case"]["held_here"] == true
        })
        .await;
    assert_eq!(kinds(&at_owner), ["registered", "accepted", "assigned_down"]);
    let petitioner = cli.json(COMMUNITY, &["case", "show", transferred, "--petitioner", "--json"]).await;
    assert_eq!(petitioner["petitioner"]["name"], "王五", "the petitioner travelled with the case");
    let reply_by = (today + Days::new(7)).to_string();
    let notice = cli
        .json(
            DISTRICT,
            &[
                "supervise",
                transferred,
                "--kind",
                "on_site",
                "--reply-by",
                &reply_by,
                "--text",
                "report what was recovered",
                "--json",
            ],
        )
        .await;
    assert_eq!(notice["owner_unit_id"], GROUP2);
    let supervision = text(&notice["supervision_id"]);
    let has_supervision = |a: &Value| {
        a["case"]["supervisions"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["supervision_id"] == *supervision))
    };
    let at_owner = cli.show_until(COMMUNITY, transferred, "records the supervision", has_supervision).await;
    assert_eq!(at_owner["case"]["supervisions"][0]["from_unit_id"], DISTRICT);
    assert_eq!(at_owner["case"]["supervisions"][0]["reply_by"], reply_by.as_str());
    cli.act(
        COMMUNITY,
        "reply",
        transferred,
        &["--supervision", &supervision, "--note", "half the wages recovered"],
        "supervision_replied",
    )
    .await;
    let at_district = cli
        .show_until(DISTRICT, transferred, "shows the reply", |a| {
            a["case"]["supervisions"].as_array().is_some_and(|s| {
                s.iter().any(|s| s["supervision_id"] == *supervision && s["replied_on"].is_string())
            })
        })
        .await;
    assert_eq!(
        kinds(&at_district),
        ["registered", "accepted", "assigned_down", "supervised", "supervision_replied"],
        "{at_district}"
    );
    assert_eq!(at_district["events"][4]["note"], "half the wages recovered");
    assert_eq!(at_district["case"]["held_here"], false);

    // ---- 5. duty reception at the township, with the roster set above.
    let stored = cli
        .json(
            DISTRICT,
            &[
                "roster",
                "set",
                "--unit",
                TOWNSHIP,
                "--from",
                &yesterday_s,
                "--to",
                &tomorrow_s,
                "--leader",
                "赵镇长",
                "--json",
            ],
        )
        .await;
    assert_eq!(stored["stored"], 3, "{stored}");
    let deadline = Instant::now() + WAIT;
    loop {
        let roster = cli
            .json(
                TOWNSHIP,
                &[
                    "roster",
                    "show",
                    "--unit",
                    TOWNSHIP,
                    "--from",
                    &yesterday_s,
                    "--to",
                    &tomorrow_s,
                    "--json",
                ],
            )
            .await;
        let entries = roster["entries"].as_array().map_or(0, Vec::len);
        if entries == 3 {
            assert!(roster["entries"].as_array().into_iter().flatten().all(|e| e["leader"] == "赵镇长"));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {WAIT:?} waiting for the district's roster at the township's node: {roster}\n{}",
            net.diagnostics().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let visit = |answered: bool| {
        let mut args = vec![
            "visit",
            "--unit",
            TOWNSHIP,
            "--category",
            "labour",
            "--summary",
            "overtime not paid",
            "--petitioner-name",
            "李四",
            "--petitioner-id",
            ID_LI,
            "--json",
        ];
        if answered {
            args.extend([
                "--answered",
                "--resolution",
                "explained the overtime rules",
                "--satisfaction",
                "satisfied",
            ]);
        }
        let cli = &cli;
        async move { cli.json(TOWNSHIP, &args).await }
    };
    let first = visit(true).await;
    assert_eq!(first["leader_on_duty"], "赵镇长", "{first}");
    let first_id = text(&first["case"]["case_id"]);
    assert_eq!(first["case"]["status"], "closed");
    assert_eq!(first["case"]["intake"]["channel"], "visit");
    assert_eq!(first["case"]["leader"], "赵镇长", "the leader on duty takes the case");
    assert!(first["case"]["repeat"].is_null(), "a first visit is no repeat: {first}");
    let second = visit(false).await;
    let repeat_id = text(&second["case"]["case_id"]);
    registered.extend([first_id.clone(), repeat_id.clone()]);
    assert_ne!(first_id, repeat_id);
    assert_eq!(second["case"]["status"], "assigned", "a visit not answered is taken on: {second}");
    assert_eq!(second["case"]["repeat"]["of_case_ids"], json!([first_id]), "a repeat link: {second}");
    let repeats = cli.json_lines(TOWNSHIP, &["case", "list", "--unit", TOWNSHIP, "--repeat", "--json"]).await;
    assert_eq!(ids(&repeats), set([repeat_id.as_str()]), "only the repeat visit: {repeats:?}");

    // ---- 6. at the district once everything arrived: lists, drill, summary.
    net.wait_for_drain(WAIT).await;
    let open = set([escalated, transferred, repeat_id.as_str()]);
    let overdue_now =
        cli.json_lines(DISTRICT, &["case", "list", "--unit", DISTRICT, "--overdue", "--json"]).await;
    assert!(overdue_now.is_empty(), "nothing is overdue today: {overdue_now:?}");
    let as_of = (today + Days::new(100)).to_string();
    let overdue = cli
        .json_lines(DISTRICT, &["case", "list", "--unit", DISTRICT, "--overdue", "--as-of", &as_of, "--json"])
        .await;
    assert_eq!(ids(&overdue), open, "the open cases are overdue in 100 days: {overdue:?}");
    assert!(overdue.iter().all(|c| c["days_overdue"].as_u64().is_some_and(|d| d > 0)), "{overdue:?}");
    let all = cli.json_lines(DISTRICT, &["case", "list", "--unit", DISTRICT, "--json"]).await;
    assert_eq!(ids(&all), registered, "the district's ledger covers its subtree");
    let drill = |figure: &'static str| {
        let cli = &cli;
        let (from, to) = (yesterday_s.clone(), shanghai_today().to_string());
        async move {
            let lines = cli
                .json_lines(
                    DISTRICT,
                    &[
                        "drill", "--unit", DISTRICT, "--from", &from, "--to", &to, "--figure", figure,
                        "--json",
                    ],
                )
                .await;
            ids(&lines)
        }
    };
    assert_eq!(drill("cases.registered").await, registered, "exactly the cases registered here");
    assert_eq!(drill("cases.escalated").await, set([escalated]));
    assert_eq!(drill("cases.assigned_down").await, set([transferred]));
    assert_eq!(drill("cases.repeat_petitions").await, set([repeat_id.as_str()]));
    assert_eq!(drill("cases.one_visit").await, set([first_id.as_str()]));
    assert_eq!(drill("cases.dissatisfied").await, set([reviewed]));
    assert_eq!(drill("cases.closed").await, set([ordinary.as_str(), reviewed, first_id.as_str()]));
    let summary = cli
        .json(
            DISTRICT,
            &[
                "summary",
                "--unit",
                DISTRICT,
                "--from",
                &yesterday_s,
                "--to",
                &shanghai_today().to_string(),
                "--json",
            ],
        )
        .await;
    let figures = &summary["cases"];
    assert_eq!(figures["registered"], registered.len(), "{summary}");
    assert_eq!(figures["closed"], 3, "{summary}");
    assert_eq!(figures["closed_on_time"], 3, "{summary}");
    assert_eq!(figures["escalated"], 1, "{summary}");
    assert_eq!(figures["repeat_petitions"], 1, "{summary}");
    assert_eq!(figures["overdue"], 0, "{summary}");
    // Personal data stays where the case is held.
    // Who acted, in every event of every case, as the district holds them:
    // certificates, and the district's node for its supervision notice.
    for id in &registered {
        actors(&cli.show(DISTRICT, id).await);
    }
    assert_eq!(
        actors(&cli.show(DISTRICT, escalated).await),
        acted(&[
            ("registered", "bob"),
            ("accepted", "bob"),
            ("escalated", "bob"),
            ("assigned", "ma"),
            ("progress", "ma"),
        ]),
        "worked at two tiers, each event by its certificate"
    );
    let shown = cli.show(DISTRICT, transferred).await;
    assert_eq!(
        actors(&shown),
        acted(&[
            ("registered", "sun"),
            ("accepted", "sun"),
            ("assigned_down", "sun"),
            ("supervised", "node 410411"),
            ("supervision_replied", "bob"),
        ])
    );
    assert_eq!(
        shown["events"][3]["details"]["sender"]["id"], "sun",
        "the notice names who issued it: {shown}"
    );
    let upstairs = cli.json(DISTRICT, &["case", "show", &ordinary, "--petitioner", "--json"]).await;
    assert!(upstairs["petitioner"].is_null(), "the district does not hold the petitioner: {upstairs}");
    assert_eq!(kinds(&upstairs).len(), 7);

    // ---- 7. refusals.
    for node in [COMMUNITY, DISTRICT] {
        let message = cli.refused(node, &["case", "show", "no-such-case"]).await;
        assert!(message.contains("NOT_FOUND") && message.contains("not in this node's ledger"), "{message}");
        let message = cli.refused(node, &["case", "accept", "no-such-case", "--json"]).await;
        assert!(message.contains("not in this node's ledger"), "{message}");
    }
    for bad in ["410411198001011233", "12345"] {
        let message = cli
            .refused(
                COMMUNITY,
                &[
                    "case",
                    "register",
                    "--unit",
                    GROUP,
                    "--channel",
                    "letter",
                    "--category",
                    "other",
                    "--summary",
                    "s",
                    "--petitioner-name",
                    "某某",
                    "--petitioner-id",
                    bad,
                ],
            )
            .await;
        assert!(message.contains("petitioner.id_number"), "names the field: {message}");
    }
    let message =
        cli.refused(TOWNSHIP, &["case", "progress", escalated, "--note", "n", "--expect-seq", "2"]).await;
    assert!(message.contains("ABORTED") && message.contains("reload"), "{message}");
    let before = cli.show(TOWNSHIP, escalated).await;
    assert_eq!(before["case"]["sequence"], 5, "the stale action changed nothing: {before}");
    cli.act(TOWNSHIP, "progress", escalated, &["--note", "fresh", "--expect-seq", "5"], "progress").await;
    let message = cli.refused(COMMUNITY, &["case", "accept", &ordinary]).await;
    assert!(message.contains("closed"), "names the state: {message}");
    // Nothing refused was registered: the community's node has the cases it
    // wrote or was handed, no more.
    let all = cli.json_lines(COMMUNITY, &["case", "list", "--unit", COMMUNITY, "--json"]).await;
    let expected = set([ordinary.as_str(), declined.as_str(), reviewed, escalated, transferred]);
    assert_eq!(ids(&all), expected, "{all:?}");

    eprintln!("{backend:?}: every case path from the CLI in {:.1?}", started.elapsed());
    net.shutdown().await;
}

#[tokio::test]
async fn sqlite_every_case_path_from_the_cli() {
    every_path_from_the_cli(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_every_case_path_from_the_cli() {
    every_path_from_the_cli(Backend::Postgres).await;
}
