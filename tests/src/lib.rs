//! Harness for end-to-end scenarios across real `fengqiao` processes:
//! [`NodeProcess`] starts the binary on a loopback port it picks itself,
//! learns the address from the node's first line of output, and can be
//! killed with SIGKILL (`kill -9`) and restarted on the same database.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::Channel;

/// The `fengqiao` binary built for this test run.
pub fn fengqiao_binary() -> PathBuf {
    if let Ok(path) = std::env::var("FENGQIAO_BIN") {
        return PathBuf::from(path);
    }
    // target/<profile>/deps/<test> → target/<profile>/fengqiao
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    let binary = profile_dir.join("fengqiao");
    assert!(
        binary.exists(),
        "{} is missing: build it first with `cargo build -p fengqiao` (or set FENGQIAO_BIN)",
        binary.display()
    );
    binary
}

/// A tree file for tests: district → one township → one community → `groups`
/// groups, all reporting, always active.
pub fn small_tree_csv(groups: usize) -> String {
    let mut csv = String::from(
        "code,parent_code,tier,name\n410411,,district,湛河区\n410411001,410411,township,马庄街道\n\
         410411001001,410411001,community,电力社区\n",
    );
    for group in 1..=groups {
        csv.push_str(&format!("410411001001{group:03},410411001001,group,{group}号楼\n"));
    }
    csv
}

/// A running `fengqiao node`.
#[derive(Debug)]
pub struct NodeProcess {
    child: Child,
    pub address: String,
    unit: String,
    tree: PathBuf,
    db: String,
}

impl NodeProcess {
    /// Starts `fengqiao node` for `unit` on a free loopback port and waits
    /// until it serves.
    pub async fn start(unit: &str, tree: &Path, db: &str) -> NodeProcess {
        let mut child = Command::new(fengqiao_binary())
            .args(["node", "--unit", unit, "--listen", "127.0.0.1:0", "--db", db])
            .arg("--tree")
            .arg(tree)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("TEST_LOG").is_some() { Stdio::inherit() } else { Stdio::null() })
            .kill_on_drop(true)
            .spawn()
            .expect("fengqiao node starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("node announces itself within a minute")
            .expect("node stdout readable")
            .expect("node printed its address");
        // "fengqiao node U serving N units on ADDRESS (database …)"
        let address = first
            .split(" on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_owned();
        NodeProcess { child, address, unit: unit.to_owned(), tree: tree.to_owned(), db: db.to_owned() }
    }

    /// `kill -9`: no shutdown, no flush.
    pub async fn kill(&mut self) {
        self.child.kill().await.expect("SIGKILL delivered");
    }

    /// Starts the same node again on the same database (on a new port).
    pub async fn restart(&mut self) {
        let _ = self.child.kill().await;
        *self = NodeProcess::start(&self.unit, &self.tree.clone(), &self.db.clone()).await;
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub async fn reporting(&self) -> ReportingServiceClient<Channel> {
        let channel = Channel::from_shared(self.url()).expect("url").connect().await.expect("node reachable");
        ReportingServiceClient::new(channel)
    }
}
