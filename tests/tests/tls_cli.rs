//! Certificates and mTLS through the `fengqiao` binary: `ca init` and
//! `ca issue` make a deployment CA and certificates, a node serves with its
//! certificate, a client with a person's certificate is answered, one
//! without is refused; and a node refuses to start without TLS unless told
//! `--insecure`, which in turn is refused off loopback.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use fengqiao_tests::{fengqiao_binary, small_tree_csv};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(fengqiao_binary());
    command.args(args).stdin(Stdio::null()).env("RUST_LOG", "warn").kill_on_drop(true);
    for variable in ["FENGQIAO_CA", "FENGQIAO_CERT", "FENGQIAO_KEY", "FENGQIAO_SERVER", "FENGQIAO_LISTEN"] {
        command.env_remove(variable);
    }
    command
}

async fn run(args: &[&str]) -> Output {
    command(args).output().await.expect("fengqiao runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

#[tokio::test]
async fn a_node_and_a_client_talk_over_mtls_with_issued_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tree = path(d, "tree.csv");
    std::fs::write(&tree, small_tree_csv(2)).unwrap();
    let ca_dir = path(d, "ca");

    let init = run(&["ca", "init", "--dir", &ca_dir]).await;
    assert!(init.status.success(), "{}", stderr(&init));
    let again = run(&["ca", "init", "--dir", &ca_dir]).await;
    assert!(!again.status.success());
    assert!(stderr(&again).contains("refusing to overwrite"), "{}", stderr(&again));

    let node_prefix = path(d, "node-410411");
    let issue = run(&[
        "ca",
        "issue",
        "--ca-dir",
        &ca_dir,
        "--unit",
        "410411",
        "--host",
        "node.example",
        "--out",
        &node_prefix,
    ])
    .await;
    assert!(issue.status.success(), "{}", stderr(&issue));
    let admin_prefix = path(d, "admin");
    let issue = run(&[
        "ca",
        "issue",
        "--ca-dir",
        &ca_dir,
        "--unit",
        "410411",
        "--person",
        "a-1",
        "--role",
        "admin",
        "--out",
        &admin_prefix,
    ])
    .await;
    assert!(issue.status.success(), "{}", stderr(&issue));
    let bad_role = run(&[
        "ca",
        "issue",
        "--ca-dir",
        &ca_dir,
        "--unit",
        "410411",
        "--person",
        "a-2",
        "--role",
        "mayor",
        "--out",
        &path(d, "x"),
    ])
    .await;
    assert!(!bad_role.status.success() && stderr(&bad_role).contains("--role"), "{}", stderr(&bad_role));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(format!("{admin_prefix}-key.pem")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let ca = path(d, "ca/ca.pem");
    let (node_cert, node_key) = (format!("{node_prefix}.pem"), format!("{node_prefix}-key.pem"));
    let (admin_cert, admin_key) = (format!("{admin_prefix}.pem"), format!("{admin_prefix}-key.pem"));
    let db = format!("sqlite://{}", path(d, "node.db"));
    let node_args = [
        "node",
        "--unit",
        "410411",
        "--tree",
        &tree,
        "--db",
        &db,
        "--listen",
        "127.0.0.1:0",
        "--start-date",
        fengqiao_tests::START_DATE,
    ];

    // A person's certificate is not a node's.
    let wrong =
        run(&[&node_args[..], &["--ca", &ca, "--cert", &admin_cert, "--key", &admin_key]].concat()).await;
    assert!(!wrong.status.success());
    assert!(stderr(&wrong).contains("but this node serves unit 410411"), "{}", stderr(&wrong));

    let mut node =
        command(&[&node_args[..], &["--ca", &ca, "--cert", &node_cert, "--key", &node_key]].concat())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    let first =
        tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await.unwrap().unwrap().unwrap();
    assert!(first.contains("mTLS"), "{first}");
    let address =
        first.split(" on ").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap().to_owned();
    let server = format!("https://{address}");

    let status =
        run(&["status", "--server", &server, "--ca", &ca, "--cert", &admin_cert, "--key", &admin_key]).await;
    assert!(status.status.success(), "{}", stderr(&status));
    assert!(String::from_utf8_lossy(&status.stdout).contains("node of unit      410411"));

    // Without a certificate: https:// needs one; http:// is told the node speaks TLS.
    let bare = run(&["status", "--server", &server]).await;
    assert!(!bare.status.success());
    assert!(
        stderr(&bare)
            .contains("needs the deployment CA, your certificate and key: pass --ca or export FENGQIAO_CA"),
        "{}",
        stderr(&bare)
    );
    for command in ["status", "health"] {
        let plain = run(&[command, "--server", &format!("http://{address}")]).await;
        assert_eq!(plain.status.code(), Some(1), "{command}: {}", stderr(&plain));
        let line = stderr(&plain);
        assert!(
            line.starts_with(&format!(
                "error: the node at http://{address} speaks TLS: use https://{address} with"
            )) && line.contains("pass --ca or export FENGQIAO_CA")
                && line.lines().count() == 1,
            "{command}: {line}"
        );
    }
    // Half the flags: named.
    let half = run(&["status", "--server", &server, "--ca", &ca]).await;
    assert!(
        stderr(&half).contains(
            "missing --cert: pass --cert or export FENGQIAO_CERT; missing --key: pass --key or export FENGQIAO_KEY"
        ),
        "{}",
        stderr(&half)
    );

    node.kill().await.unwrap();
}

#[tokio::test]
async fn a_node_needs_tls_or_insecure_and_insecure_only_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let tree = path(dir.path(), "tree.csv");
    std::fs::write(&tree, small_tree_csv(2)).unwrap();
    let db = format!("sqlite://{}", path(dir.path(), "node.db"));
    let base = ["node", "--unit", "410411", "--tree", &tree, "--db", &db];

    let open = run(&[&base[..], &["--insecure", "--listen", "0.0.0.0:0"]].concat()).await;
    assert!(!open.status.success());
    assert!(stderr(&open).contains("refused on the non-loopback address"), "{}", stderr(&open));

    let neither = run(&[&base[..], &["--listen", "127.0.0.1:0"]].concat()).await;
    assert!(!neither.status.success());
    assert!(stderr(&neither).contains("a node needs TLS"), "{}", stderr(&neither));
}
