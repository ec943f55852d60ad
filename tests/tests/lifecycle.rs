//! The node's start-up through the real binary: configuration in layers
//! (TOML file, `FENGQIAO__*` environment, flags), `fengqiao config print`,
//! and failing fast with a message naming the problem on a bad config, a
//! missing tree or an unreachable database — never a password.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use fengqiao_tests::{fengqiao_binary, small_tree_csv};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(fengqiao_binary());
    command.args(args).stdin(Stdio::null()).env("RUST_LOG", "warn").kill_on_drop(true);
    for (variable, _) in std::env::vars_os() {
        if variable.to_string_lossy().starts_with("FENGQIAO") {
            command.env_remove(variable);
        }
    }
    command
}

async fn run(command: &mut Command) -> Output {
    tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .expect("fengqiao finishes within two minutes")
        .expect("fengqiao runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn a_node_starts_from_a_toml_file_the_environment_and_flags_overriding_in_that_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tree = write(d, "tree.csv", &small_tree_csv(2));
    let db = format!("sqlite://{}", d.join("node.db").display());
    let config = write(
        d,
        "node.toml",
        &format!(
            "[node]\nunit = \"410411\"\nlisten = \"127.0.0.1:1\"\ntree = \"{tree}\"\n\n[database]\nurl = \"{db}\"\n\n\
             [tls]\ninsecure = true\n\n[limits]\nmax_in_flight = 10\nrate_limit = 5\n\n[time]\ncutoff = \"17:00\"\n\n\
             [reporting]\nstart_date = 2026-01-01\n"
        ),
    );

    // config print: each value with where it came from.
    let printed = run(command(&["config", "print", "--config", &config, "--rate-limit", "9"])
        .env("FENGQIAO__LIMITS__MAX_IN_FLIGHT", "20")
        .env("FENGQIAO__LIMITS__RATE_LIMIT", "7"))
    .await;
    assert!(printed.status.success(), "{}", text(&printed.stderr));
    let out = text(&printed.stdout);
    assert!(
        out.contains("max_in_flight = 20  # environment variable FENGQIAO__LIMITS__MAX_IN_FLIGHT"),
        "{out}"
    );
    assert!(out.contains("rate_limit = 9  # command-line flags"), "{out}");
    assert!(out.contains(&format!("cutoff = \"17:00\"  # TOML file {config}")), "{out}");
    assert!(out.contains("zone = \"Asia/Shanghai\"  # built-in defaults"), "{out}");
    assert!(out.contains(&format!("start_date = \"2026-01-01\"  # TOML file {config}")), "{out}");
    assert!(out.contains("max_clock_skew_secs = 300  # built-in defaults"), "{out}");

    // The node: listen from the environment over the file's unusable port,
    // and it serves.
    let mut node = command(&["node", "--config", &config, "--drain-grace-seconds", "5"])
        .env("FENGQIAO__NODE__LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await.unwrap().unwrap();
    let first = first.expect("the node announces itself");
    assert!(first.starts_with("fengqiao node 410411 serving"), "{first}");
    assert!(!first.contains("127.0.0.1:1 "), "the environment's listen address won: {first}");
    let address = first.split(" on ").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap();
    let server = format!("http://{address}");

    // `fengqiao health`, as probes run it: exit 0 only when SERVING.
    let healthy = run(&mut command(&["health", "--server", &server])).await;
    assert!(healthy.status.success(), "{}", text(&healthy.stderr));
    assert_eq!(text(&healthy.stdout).trim(), "SERVING");
    let service =
        run(&mut command(&["health", "--server", &server, "--service", "fengqiao.v1.ReportingService"]))
            .await;
    assert!(service.status.success(), "{}", text(&service.stderr));
    let unknown = run(&mut command(&["health", "--server", &server, "--service", "no.such.Service"])).await;
    assert!(!unknown.status.success());
    assert!(text(&unknown.stderr).contains("the node answered NOT_FOUND"), "{}", text(&unknown.stderr));
    // Draining (SIGTERM with drain_grace_seconds): NOT_SERVING, non-zero.
    let pid = node.id().expect("running");
    let killed = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    assert!(killed.success());
    let mut draining = None;
    for _ in 0..40 {
        let out = run(&mut command(&["health", "--server", &server])).await;
        if text(&out.stdout).trim() == "NOT_SERVING" {
            draining = Some(out);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let draining = draining.expect("health turned NOT_SERVING while draining");
    assert!(!draining.status.success());
    assert!(text(&draining.stderr).contains("the node is NOT_SERVING"), "{}", text(&draining.stderr));
    let _ = node.wait().await;
}

/// A new database needs the deployment's first day of reporting; once a
/// node has started with one, its database keeps it.
#[tokio::test]
async fn a_new_database_needs_a_start_date_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let tree = write(dir.path(), "tree.csv", &small_tree_csv(1));
    let db = format!("sqlite://{}", dir.path().join("node.db").display());
    let base =
        ["node", "--unit", "410411", "--insecure", "--tree", &tree, "--db", &db, "--listen", "127.0.0.1:0"];
    let out = run(&mut command(&base)).await;
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(error.contains("reporting.start_date is required for a new database"), "{error}");
    let bad = run(&mut command(&[&base[..], &["--start-date", "2026-13-01"]].concat())).await;
    assert!(text(&bad.stderr).contains("reporting.start_date (command-line flags)"), "{}", text(&bad.stderr));

    // Started once with a start date, then without: it keeps it.
    for args in [&[&base[..], &["--start-date", "2026-03-01"]].concat(), &base.to_vec()] {
        let mut node = command(args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
        let first =
            tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await.unwrap().unwrap().unwrap();
        assert!(first.starts_with("fengqiao node 410411 serving"), "{first}");
        let address = first.split(" on ").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap();
        let status = run(&mut command(&["status", "--server", &format!("http://{address}"), "--json"])).await;
        let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
        assert_eq!(status["reporting_start_date"], "2026-03-01", "{status}");
        node.kill().await.unwrap();
        let _ = node.wait().await;
    }
}

#[tokio::test]
async fn a_bad_config_stops_the_node_at_once_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let typo = write(d, "typo.toml", "[node]\nunit = \"410411\"\n[limits]\nmax_inflight = 3\n");
    for args in [
        vec!["node", "--config", &typo, "--insecure"],
        vec!["config", "print", "--config", &typo, "--insecure"],
    ] {
        let out = run(&mut command(&args)).await;
        assert!(!out.status.success());
        let error = text(&out.stderr);
        assert!(error.contains("max_inflight") && error.contains("typo.toml"), "{error}");
    }
    let out =
        run(command(&["node", "--unit", "410411", "--insecure"]).env("FENGQIAO__LIMITS__RATE_BURST", "x"))
            .await;
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(error.contains("rate_burst"), "{error}");

    let out = run(&mut command(&["node", "--insecure"])).await;
    assert!(
        text(&out.stderr).contains(
            "missing node.unit: pass --unit, set node.unit in the config file, or export FENGQIAO__NODE__UNIT"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn a_missing_tree_stops_the_node_before_it_touches_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("node.db");
    let db = format!("sqlite://{}", db_path.display());
    let missing = dir.path().join("no-such-tree.csv").display().to_string();
    let out =
        run(&mut command(&["node", "--unit", "410411", "--insecure", "--tree", &missing, "--db", &db])).await;
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(error.contains("node.tree") && error.contains("no-such-tree.csv"), "{error}");
    assert!(!db_path.exists(), "no database was created");

    let tree = write(dir.path(), "tree.csv", &small_tree_csv(1));
    let out =
        run(&mut command(&["node", "--unit", "410499", "--insecure", "--tree", &tree, "--db", &db])).await;
    assert!(text(&out.stderr).contains("unit 410499 is not in the tree file"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn an_unreachable_database_stops_the_node_quickly_without_showing_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let tree = write(dir.path(), "tree.csv", &small_tree_csv(1));
    // Nothing listens on port 1.
    let url = "postgres://fengqiao:hunter2secret@127.0.0.1:1/fengqiao";
    let started = Instant::now();
    let out =
        run(&mut command(&["node", "--unit", "410411", "--insecure", "--tree", &tree, "--db", url])).await;
    let took = started.elapsed();
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(error.contains("database.url: cannot open the database"), "{error}");
    assert!(error.contains("fengqiao:***@127.0.0.1:1"), "{error}");
    assert!(error.contains("Connection refused"), "the server's own error, not a pool timeout: {error}");
    assert!(!error.contains("hunter2secret") && !text(&out.stdout).contains("hunter2secret"), "{error}");
    eprintln!("an unreachable database stopped the node after {took:?}");
}
