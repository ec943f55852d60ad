//! Faults of the database under a real `fengqiao node` process: a kill -9
//! in the middle of a burst leaves exactly one audit entry per stored
//! change (both backends); a SQLite file with a damaged page is refused at
//! start, naming the file; and a node whose SQLite WAL index (`-shm`) loses
//! its storage under it logs an error naming it before SIGBUS ends it.

use std::os::unix::process::ExitStatusExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use fengqiao_proto::pb::SubmitDailyReportRequest;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_store::Backend;
use fengqiao_store::testing::TestDb;
use fengqiao_tests::{
    NodeOptions, NodeProcess, fengqiao_binary, shanghai_yesterday, small_tree_csv, zero_report,
};

const TOWNSHIP: &str = "410411001";
const GROUPS: usize = 40;
const SUBMIT: &str = "fengqiao.v1.ReportingService/SubmitDailyReport";

/// One number from the node's database, read behind its back.
async fn count(url: &str, sql: &str) -> i64 {
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let n = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&pool).await.unwrap();
        pool.close().await;
        n
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let n = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&pool).await.unwrap();
        pool.close().await;
        n
    }
}

/// `clients` tasks submitting reports and corrections (keys from
/// `first_key` on) as fast as the node answers, until it stops answering;
/// counts the acknowledged ones.
fn burst(
    url: String,
    clients: usize,
    first_key: usize,
    acked: Arc<AtomicU64>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let yesterday = shanghai_yesterday();
    (0..clients)
        .map(|client| {
            let (url, acked) = (url.clone(), Arc::clone(&acked));
            tokio::spawn(async move {
                let channel = match tonic::transport::Channel::from_shared(url).unwrap().connect().await {
                    Ok(channel) => channel,
                    Err(error) => {
                        eprintln!("client {client}: cannot connect: {error}");
                        return;
                    }
                };
                let mut stub = ReportingServiceClient::new(channel);
                for n in 0.. {
                    let key = first_key + n * clients + client;
                    let unit = format!("410411001001{:03}", 1 + key % GROUPS);
                    let date = (yesterday - chrono::Duration::days((key / GROUPS) as i64)).to_string();
                    for revision in [1, 2] {
                        let request =
                            SubmitDailyReportRequest { report: Some(zero_report(&unit, &date, revision)) };
                        if let Err(status) = stub.submit_daily_report(request).await {
                            if status.code() != tonic::Code::Unknown
                                && status.code() != tonic::Code::Unavailable
                            {
                                eprintln!("client {client}: {status:?}");
                            }
                            return; // the node is gone
                        }
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect()
}

/// Killed with -9 mid-burst, the node has committed some reports whose
/// callers never heard back, and maybe was about to commit more: whatever
/// it committed, each stored revision has its audit entry, and no entry
/// names a revision that is not stored. (Before, the entry was appended in
/// a transaction of its own after the report's: a kill between the two
/// left revisions without entries.)
async fn kill_9_in_a_burst_leaves_an_entry_per_change(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree.csv");
    std::fs::write(&tree, small_tree_csv(GROUPS)).unwrap();
    let db = TestDb::new(backend).await;
    db.open().await.expect("database ready").close().await;
    let url = db.url();
    let options = NodeOptions { rate_limit: Some(0), ..NodeOptions::default() };
    let mut node = NodeProcess::start_with(TOWNSHIP, &tree, &url, options).await;
    for round in 0..3 {
        let acked = Arc::new(AtomicU64::new(0));
        let clients = burst(node.url(), 16, round * 4000, Arc::clone(&acked));
        // Kill at a different point of each burst.
        let kill_after = 100 + 150 * round as u64;
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while acked.load(Ordering::SeqCst) < kill_after {
            assert!(
                std::time::Instant::now() < deadline,
                "round {round}: {} acknowledged; node log:\n{}",
                acked.load(Ordering::SeqCst),
                node.log_tail(20)
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        node.kill().await;
        for client in clients {
            client.await.unwrap();
        }
        let revisions = count(&url, "SELECT COUNT(*) FROM report_revisions").await;
        let entries = count(&url, &format!("SELECT COUNT(*) FROM audit_log WHERE rpc = '{SUBMIT}'")).await;
        assert!(revisions >= kill_after as i64, "round {round}: {revisions} revisions stored");
        assert_eq!(entries, revisions, "round {round}: audit entries for report revisions");
        node.start_again().await;
    }
    // The chain holds across the kills.
    let store = db.open().await.unwrap();
    let mut log = Vec::new();
    loop {
        let page = store
            .audit_page(log.last().map_or(0, |e: &fengqiao_core::audit::AuditEntry| e.seq), 1000)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        log.extend(page);
    }
    assert!(fengqiao_core::audit::verify(&log, None).is_ok(), "the chain verifies");
    store.close().await;
    node.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn sqlite_kill_9_in_a_burst_leaves_an_entry_per_change() {
    kill_9_in_a_burst_leaves_an_entry_per_change(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_kill_9_in_a_burst_leaves_an_entry_per_change() {
    kill_9_in_a_burst_leaves_an_entry_per_change(Backend::Postgres).await;
}

/// Runs `fengqiao node` on `db` until it exits (it must, within a minute).
async fn node_exits(tree: &std::path::Path, db: &str) -> std::process::Output {
    let run = tokio::process::Command::new(fengqiao_binary())
        .args(["node", "--insecure", "--unit", TOWNSHIP, "--listen", "127.0.0.1:0", "--db", db, "--tree"])
        .arg(tree)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(60), run).await.expect("the node exits").expect("the node runs")
}

/// A page in the middle of the file overwritten: the node does not start on
/// it (before, it started and served, reads of that page failing INTERNAL),
/// and says which file and what the check found.
#[tokio::test]
async fn a_sqlite_file_with_a_damaged_page_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree.csv");
    std::fs::write(&tree, small_tree_csv(GROUPS)).unwrap();
    let file = dir.path().join("node.db");
    let db = format!("sqlite://{}", file.display());
    let mut node = NodeProcess::start_with(
        TOWNSHIP,
        &tree,
        &db,
        NodeOptions { rate_limit: Some(0), ..Default::default() },
    )
    .await;
    let acked = Arc::new(AtomicU64::new(0));
    let clients = burst(node.url(), 4, 0, Arc::clone(&acked));
    while acked.load(Ordering::SeqCst) < 400 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    node.stop().await;
    for client in clients {
        client.await.unwrap();
    }
    // A stopped node leaves no WAL: the file holds everything.
    assert!(!dir.path().join("node.db-wal").exists());
    let mut bytes = std::fs::read(&file).unwrap();
    let pages = bytes.len() / 4096;
    assert!(pages > 8, "{pages} pages");
    let middle = pages / 2 * 4096;
    for (i, byte) in bytes[middle..middle + 4096].iter_mut().enumerate() {
        *byte = (i * 7 + 13) as u8;
    }
    std::fs::write(&file, &bytes).unwrap();

    let run = node_exits(&tree, &db).await;
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "the node refused to start");
    assert!(stderr.contains(&format!("database file {} ", file.display())), "names the file: {stderr}");
    assert!(stderr.contains("is damaged"), "says why: {stderr}");
}

/// The WAL index (`node.db-shm`) truncated under a running node: its next
/// transaction touches a mapped page with no storage behind it, which is
/// SIGBUS. The node dies by it (there is no recovering in the process), but
/// first logs an error naming the database and the `-shm` file. Restarted,
/// it serves again with everything it had committed.
#[tokio::test]
async fn sigbus_from_the_wal_index_is_logged_before_the_node_dies() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree.csv");
    std::fs::write(&tree, small_tree_csv(GROUPS)).unwrap();
    let file = dir.path().join("node.db");
    let db = format!("sqlite://{}", file.display());
    let log = dir.path().join("node.log");
    let options = NodeOptions { log_file: Some(log.clone()), ..NodeOptions::default() };
    let mut node = NodeProcess::start_with(TOWNSHIP, &tree, &db, options).await;
    let yesterday = shanghai_yesterday().to_string();
    let mut stub = node.reporting().await;
    let first = SubmitDailyReportRequest { report: Some(zero_report("410411001001001", &yesterday, 1)) };
    stub.submit_daily_report(first).await.expect("a report before the fault");

    let shm = dir.path().join("node.db-shm");
    std::fs::OpenOptions::new().write(true).open(&shm).unwrap().set_len(0).unwrap();
    let second = SubmitDailyReportRequest { report: Some(zero_report("410411001001002", &yesterday, 1)) };
    assert!(stub.submit_daily_report(second).await.is_err(), "the node cannot answer");
    let status = node.wait_exit(Duration::from_secs(20)).await.expect("the node died");
    assert_eq!(status.signal(), Some(7), "died by SIGBUS: {status:?}");
    let logged = std::fs::read_to_string(&log).unwrap();
    let line = logged
        .lines()
        .find(|line| line.contains("SIGBUS"))
        .unwrap_or_else(|| panic!("no log line:\n{logged}"));
    assert!(line.contains("ERROR") && line.contains(&format!("{}-shm", file.display())), "{line}");

    node.start_again().await;
    let mut stub = node.reporting().await;
    let stored = stub
        .get_daily_report(fengqiao_proto::pb::GetDailyReportRequest {
            unit_id: "410411001001001".into(),
            date: yesterday,
            revision: 0,
            ..Default::default()
        })
        .await
        .expect("what was committed before the fault is there");
    assert!(stored.into_inner().report.is_some());
    node.stop().await;
}
