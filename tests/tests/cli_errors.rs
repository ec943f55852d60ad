//! The `fengqiao` binary's errors, as a person reads them (issue 15): one
//! line, each cause once, the next step named; and a closed pipe ends a
//! command quietly.

use std::path::Path;
use std::process::{Command, Output};

use fengqiao_tests::fengqiao_binary;

fn fengqiao(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(fengqiao_binary());
    command.args(args).current_dir(dir);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("FENGQIAO") {
            command.env_remove(name);
        }
    }
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("fengqiao runs")
}

/// The one error line of a failed command.
fn error_line(output: &Output) -> String {
    assert!(!output.status.success(), "expected a failure");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let errors: Vec<&str> = stderr.lines().filter(|line| line.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "one error line expected:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    errors[0].to_owned()
}

fn tree(dir: &Path) -> String {
    let tree = dir.join("tree.csv");
    std::fs::write(&tree, "code,parent_code,tier,name\n410411,,district,湛河区\n").unwrap();
    tree.display().to_string()
}

#[test]
fn postgresql_down_is_said_once_with_the_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let tree = tree(dir.path());
    let node = ["node", "--unit", "410411", "--insecure", "--listen", "127.0.0.1:0", "--tree", &tree];
    let line = error_line(&run(fengqiao(dir.path(), &node).args([
        "--start-date",
        "2026-01-01",
        "--db",
        "postgres://postgres@127.0.0.1:1/fengqiao",
    ])));
    assert_eq!(line.matches("Connection refused").count(), 1, "{line}");
    assert!(
        line.ends_with(
            "is PostgreSQL running and listening on 127.0.0.1:1? Start it, or correct database.url"
        ),
        "{line}"
    );
}

#[test]
fn a_missing_database_says_createdb() {
    let Ok(base) = std::env::var("FENGQIAO_TEST_PG") else {
        eprintln!("skipped: FENGQIAO_TEST_PG is not set (a PostgreSQL server to ask for a missing database)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tree = tree(dir.path());
    let (server, _) = base.rsplit_once('/').expect("postgres://USER@HOST:PORT/DB");
    let url = format!("{server}/fengqiao_no_such_database");
    let node = ["node", "--unit", "410411", "--insecure", "--listen", "127.0.0.1:0", "--tree", &tree];
    let line =
        error_line(&run(fengqiao(dir.path(), &node).args(["--start-date", "2026-01-01", "--db", &url])));
    assert_eq!(line.matches("does not exist").count(), 1, "{line}");
    assert!(line.contains("create it first: createdb -h "), "{line}");
    assert!(line.ends_with(" fengqiao_no_such_database"), "{line}");
}

#[test]
fn an_unreachable_node_is_said_once_with_the_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let line = error_line(&run(&mut fengqiao(dir.path(), &["health", "--server", "http://127.0.0.1:1"])));
    assert!(!line.contains("tcp connect error: tcp connect error"), "{line}");
    assert_eq!(line.matches("Connection refused").count(), 1, "{line}");
    assert!(
        line.ends_with("is the node running, and is --server (or FENGQIAO_SERVER) its address?"),
        "{line}"
    );
}

#[test]
fn certificates_in_the_environment_and_a_plaintext_node_say_how_to_talk_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(run(&mut fengqiao(d, &["ca", "init", "--dir", "ca"])).status.success());
    let issue = ["ca", "issue", "--ca-dir", "ca", "--unit", "410411", "--person", "a-1", "--role", "admin"];
    assert!(run(fengqiao(d, &issue).args(["--out", "ca/admin"])).status.success());
    let line = error_line(&run(fengqiao(d, &["status", "--server", "http://127.0.0.1:7400"])
        .env("FENGQIAO_CA", "ca/ca.pem")
        .env("FENGQIAO_CERT", "ca/admin.pem")
        .env("FENGQIAO_KEY", "ca/admin-key.pem")));
    assert!(line.contains("is plaintext (http://), but certificates are given"), "{line}");
    assert!(line.contains("env -u FENGQIAO_CA -u FENGQIAO_CERT -u FENGQIAO_KEY"), "{line}");
    // Half the material: the missing part named with its flag and variable.
    let line = error_line(&run(
        fengqiao(d, &["status", "--server", "https://127.0.0.1:1"]).env("FENGQIAO_CA", "ca/ca.pem")
    ));
    assert!(line.contains("missing --cert: pass --cert or export FENGQIAO_CERT"), "{line}");
}

#[test]
fn the_node_reads_the_clients_certificate_variables() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tree = tree(d);
    // Only the CA from the environment: the node names what is still missing, each way to give it.
    let line = error_line(&run(fengqiao(
        d,
        &["node", "--unit", "410411", "--tree", &tree, "--listen", "127.0.0.1:0"],
    )
    .env("FENGQIAO_CA", "ca.pem")));
    assert!(
        line.contains(
            "missing tls.cert: pass --cert, set tls.cert in the config file, or export FENGQIAO_CERT"
        ) && line
            .contains("missing tls.key: pass --key, set tls.key in the config file, or export FENGQIAO_KEY")
            && !line.contains("missing tls.ca"),
        "{line}"
    );
    // All three from the environment: config print shows where they came from (and checks the files).
    for file in ["ca.pem", "node.pem", "node-key.pem"] {
        std::fs::write(d.join(file), "").unwrap();
    }
    let printed = run(fengqiao(d, &["config", "print", "--unit", "410411", "--tree", &tree])
        .env("FENGQIAO_CA", "ca.pem")
        .env("FENGQIAO_CERT", "node.pem")
        .env("FENGQIAO_KEY", "node-key.pem"));
    let out = String::from_utf8_lossy(&printed.stdout);
    assert!(printed.status.success(), "{}", String::from_utf8_lossy(&printed.stderr));
    assert!(out.contains("ca = \"ca.pem\"  # environment variable FENGQIAO_CA"), "{out}");
    assert!(out.contains("key = \"node-key.pem\"  # environment variable FENGQIAO_KEY"), "{out}");
    // config print refuses what node refuses: plaintext off loopback, a file that is not there.
    let line = error_line(&run(&mut fengqiao(
        d,
        &["config", "print", "--unit", "410411", "--tree", &tree, "--insecure", "--listen", "0.0.0.0:7400"],
    )));
    assert!(line.contains("plaintext is refused on the non-loopback address 0.0.0.0:7400"), "{line}");
    let line = error_line(&run(fengqiao(d, &["config", "print", "--unit", "410411", "--tree", &tree])
        .env("FENGQIAO_CA", "ca.pem")
        .env("FENGQIAO_CERT", "gone.pem")
        .env("FENGQIAO_KEY", "node-key.pem")));
    assert!(line.contains("tls.cert (environment variable FENGQIAO_CERT): cannot read gone.pem"), "{line}");
}

#[test]
fn tree_national_builds_a_subtree_and_refuses_bad_roots_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("divisions.csv"),
        "code,parent_code,level,name\n41,,province,河南省\n4104,41,city,平顶山市\n\
         410411,4104,county,湛河区\n410411001,410411,township,马庄街道\n\
         410411001001,410411001,village,电力社区居民委员会\n",
    )
    .unwrap();
    let national = |extra: &[&str]| {
        let mut args = vec!["tree", "national", "--divisions", "divisions.csv"];
        args.extend_from_slice(extra);
        run(&mut fengqiao(d, &args))
    };

    let built = national(&["--root", "4104", "--groups", "2", "--out", "city.csv"]);
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let city = std::fs::read_to_string(d.join("city.csv")).unwrap();
    let codes: Vec<&str> = city.lines().skip(1).map(|line| line.split(',').next().unwrap()).collect();
    assert_eq!(codes, ["4104", "410411", "410411001", "410411001001", "410411001001001", "410411001001002"]);
    assert!(city.lines().nth(1).unwrap().starts_with("4104,,city,平顶山市,"));

    let line = error_line(&national(&["--root", "4105"]));
    assert_eq!(line, "error: no division with code 4105 in divisions.csv");
    let line = error_line(&national(&["--root", "410411", "--down-to", "city"]));
    assert!(line.contains("--down-to city is above the root 410411, a district"), "{line}");
    let line = error_line(&national(&["--root", "41", "--year", "2147483647"]));
    assert!(line.contains("year 2147483647 is out of range"), "{line}");
    let line = error_line(&national(&["--root", "41", "--groups", "0,5"]));
    assert!(line.contains("need 1 <= MIN <= MAX <= 999"), "{line}");
    let absent = ["tree", "national", "--divisions", "absent.csv.gz", "--root", "cn"];
    let line = error_line(&run(&mut fengqiao(d, &absent)));
    assert!(line.contains("cannot open absent.csv.gz"), "{line}");
    assert!(!d.join("absent.csv.gz").exists());
}

#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let binary = fengqiao_binary();
    // Thousands of lines into `head -1`: the reader goes away long before the writer is done.
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' tree generate --synthetic 10,20,25 | head -1; echo \"status ${{PIPESTATUS[0]}}\"",
            binary.display()
        ))
        .current_dir(dir.path())
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.is_empty(), "nothing on stderr, no panic: {stderr}");
    let status = stdout.lines().last().unwrap_or_default();
    assert!(status == "status 0" || status == "status 141", "a quiet end (0, or SIGPIPE's 141): {stdout}");
}

#[test]
fn missing_and_summary_into_head_end_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let binary = fengqiao_binary();
    let tree = d.join("deploy-tree.csv");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/zhanhe-410411.csv"), &tree).unwrap();
    let mut node = fengqiao(d, &["node", "--unit", "410411", "--insecure", "--listen", "127.0.0.1:0"])
        .args(["--tree", &tree.display().to_string(), "--start-date", "2026-01-01", "--db", "sqlite://n.db"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(node.stdout.take().unwrap()), &mut first)
        .unwrap();
    let address =
        first.split(" on ").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap().to_owned();
    let server = format!("http://{address}");
    // The district's 2,000 units missing for a day, and a summary as JSON, into readers that stop early.
    for pipeline in [
        format!("'{}' missing --server {server} --unit 410411 --date yesterday | head -1", binary.display()),
        format!("'{}' summary --server {server} --unit 410411 --json | head -c 300", binary.display()),
    ] {
        let output = Command::new("bash")
            .arg("-c")
            .arg(format!("{pipeline} > /dev/null; echo \"status ${{PIPESTATUS[0]}}\""))
            .current_dir(d)
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.is_empty(), "{pipeline}: nothing on stderr, no panic: {stderr}");
        let status = stdout.lines().last().unwrap_or_default();
        assert!(status == "status 0" || status == "status 141", "{pipeline}: a quiet end: {stdout}");
    }
    let _ = node.kill();
    let _ = node.wait();
}
