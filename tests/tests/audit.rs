//! The audit log end to end, on both backends: a real `fengqiao node`
//! process, changes made through the `fengqiao` command line, then
//! `fengqiao audit verify|list|head` on the node's database. The log shows
//! who did what to which target for every change (and nothing for a no-op);
//! then the database is tampered with behind the node's back — an entry
//! edited, the tail cut, an entry deleted — and `audit verify` fails with a
//! non-zero exit naming the entry.

use std::path::Path;

use fengqiao_store::Backend;
use fengqiao_store::testing::TestDb;
use fengqiao_tests::{
    CliRun, NodeProcess, fengqiao_env, fengqiao_env_ok, shanghai_yesterday, small_tree_csv,
};
use serde_json::Value;

const DISTRICT: &str = "410411";
const GROUP: &str = "410411001001001";
const TOWNSHIP: &str = "410411001";

/// Personal data that must never reach the audit log.
const PETITIONER: [&str; 3] = ["张三丰", "13912345678", "410411198001011232"];

/// The environment of a command run as the user `officer`.
const OFFICER: &[(&str, &str)] = &[("USER", "officer")];

/// Runs `fengqiao ARGS` as the user `officer`.
async fn fengqiao(args: &[&str]) -> CliRun {
    fengqiao_env(args, OFFICER).await
}

/// Runs a command that must succeed as the user `officer`; its standard
/// output.
async fn ok(args: &[&str]) -> String {
    fengqiao_env_ok(args, OFFICER).await
}

/// `fengqiao audit verify` that must fail: its error line.
async fn verify_fails(db: &str, anchor: Option<&str>) -> String {
    let mut args = vec!["audit", "verify", "--db", db];
    args.extend(anchor.iter().flat_map(|a| ["--expect-head", *a]));
    let run = fengqiao(&args).await;
    assert!(!run.success && run.code.is_some_and(|c| c != 0), "verify passed: {}", run.stdout);
    assert!(run.stderr.starts_with("error: audit log does not verify: entry "), "{}", run.stderr);
    run.stderr
}

/// The node under test, started the one way every test here starts it.
async fn start_node(tree: &Path, db: &str) -> NodeProcess {
    NodeProcess::start(DISTRICT, tree, db).await
}

/// Runs SQL on the node's database behind its back.
async fn tamper(db: &TestDb, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match db.backend() {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url()).await.unwrap();
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}"))
}

async fn audit_trail_and_tampering(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree.csv");
    std::fs::write(&tree, small_tree_csv(2)).unwrap();
    let db = TestDb::new(backend).await;
    db.open().await.expect("database ready").close().await;
    let url = db.url();
    let mut node = start_node(&tree, &url).await;
    let server = node.url();
    let yesterday = shanghai_yesterday().to_string();

    // The changes: a report, its resubmission (a no-op), a correction, a
    // notice, a case registered with a petitioner, accepted.
    // A plaintext node has no certificate to take the reporter from.
    let zero =
        ["zero", "--unit", GROUP, "--date", &yesterday, "--reporter", "officer-1", "--server", &server];
    ok(&zero).await;
    ok(&zero).await;
    ok(&[&zero[..], &["--revision", "2", "--reason", "recounted"]].concat()).await;
    ok(&["notice", "--unit", TOWNSHIP, "--text", "audit drill", "--server", &server]).await;
    let registered = ok(&[
        "case",
        "register",
        "--unit",
        GROUP,
        "--channel",
        "letter",
        "--category",
        "wage_arrears",
        "--summary",
        "wages unpaid",
        "--petitioner-name",
        PETITIONER[0],
        "--petitioner-phone",
        PETITIONER[1],
        "--petitioner-id",
        PETITIONER[2],
        "--server",
        &server,
        "--json",
    ])
    .await;
    let registered: Value = serde_json::from_str(&registered).unwrap();
    let case_id = text(&registered["case"]["case_id"]).to_owned();
    ok(&["case", "accept", &case_id, "--server", &server, "--json"]).await;

    // Verified while the node runs (the reader never writes).
    let verified = ok(&["audit", "verify", "--db", &url]).await;
    assert!(verified.starts_with("audit log verified: 6 entries, head 6:"), "{verified}");
    let listed: Value = serde_json::from_str(&ok(&["audit", "list", "--db", &url, "--json"]).await).unwrap();
    let rows: Vec<[&str; 3]> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| [text(&e["actor"]), text(&e["rpc"]), text(&e["target"])])
        .collect();
    let report = format!("report {GROUP}@{yesterday}");
    assert_eq!(
        rows,
        [
            ["node-internal:start", "node/start", "tree rooted at 410411 with 5 units"],
            ["insecure", "fengqiao.v1.ReportingService/SubmitDailyReport", &format!("{report} r1")],
            ["insecure", "fengqiao.v1.ReportingService/SubmitDailyReport", &format!("{report} r2")],
            ["insecure", "fengqiao.v1.NodeService/PostNotice", rows[3][2]],
            ["insecure", "fengqiao.v1.CaseService/RegisterCase", &format!("case {case_id} at {GROUP}")],
            ["insecure", "fengqiao.v1.CaseService/ActOnCase:accepted", &format!("case {case_id} event 2")],
        ]
    );
    assert!(
        rows[3][2].starts_with("notice 410411-") && rows[3][2].ends_with(" to 410411001"),
        "{}",
        rows[3][2]
    );
    let seqs: Vec<u64> = listed.as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
    let lines = ok(&["audit", "list", "--db", &url, "--since", "5", "--limit", "1"]).await;
    assert_eq!(lines.lines().count(), 1, "{lines}");
    assert!(lines.starts_with("5\t") && lines.contains("RegisterCase"), "{lines}");
    let everything = ok(&["audit", "list", "--db", &url]).await + &listed.to_string();
    for personal in PETITIONER {
        assert!(!everything.contains(personal), "{personal} leaked into the audit log");
    }
    let head = ok(&["audit", "head", "--db", &url]).await.trim().to_owned();
    assert!(head.starts_with("6:") && head.len() == 66, "{head}");
    assert_eq!(text(&listed[5]["hash"]), &head[2..]);

    node.stop().await;

    // An edited target is named; restored, the log verifies again.
    let original = rows[3][2].replace('\'', "''");
    tamper(&db, "UPDATE audit_log SET target = 'notice forged to 410411002' WHERE seq = 4").await;
    let error = verify_fails(&url, None).await;
    assert!(error.contains("entry 4: edited"), "{error}");
    tamper(&db, &format!("UPDATE audit_log SET target = '{original}' WHERE seq = 4")).await;
    let verified = ok(&["audit", "verify", "--db", &url, "--expect-head", &head]).await;
    assert!(verified.contains("6 entries") && verified.contains("anchor"), "{verified}");

    // The tail cut: a valid shorter chain, but not against the anchor.
    tamper(&db, "DELETE FROM audit_log WHERE seq = 6").await;
    assert!(ok(&["audit", "verify", "--db", &url]).await.contains("5 entries"));
    let error = verify_fails(&url, Some(&head)).await;
    assert!(error.contains("entry 6: missing") && error.contains("tail was cut"), "{error}");

    // An entry deleted in the middle.
    tamper(&db, "DELETE FROM audit_log WHERE seq = 3").await;
    let error = verify_fails(&url, None).await;
    assert!(error.contains("entry 3: missing"), "{error}");

    // A bad anchor is refused as such.
    let run = fengqiao(&["audit", "verify", "--db", &url, "--expect-head", "6:xyz"]).await;
    assert!(!run.success && run.stderr.contains("--expect-head"), "{}", run.stderr);
    db.cleanup().await;
}

#[tokio::test]
async fn sqlite_audit_trail_and_tampering() {
    audit_trail_and_tampering(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_audit_trail_and_tampering() {
    audit_trail_and_tampering(Backend::Postgres).await;
}
