//! Nothing acknowledged is lost across a `kill -9`: a real node process takes
//! a burst of reports and corrections from concurrent clients, is killed in
//! the middle, and restarted on the same database; every report whose
//! submitter was told "accepted" is there, at (at least) its latest
//! acknowledged revision, and no report exists twice.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, Utc};
use fengqiao_proto::pb::{GetDailyReportRequest, SubmitDailyReportRequest};
use fengqiao_store::Backend;
use fengqiao_store::testing::TestDb;
use fengqiao_tests::{NodeOptions, NodeProcess, small_tree_csv};
use tokio::sync::Mutex;

const GROUPS: usize = 40;
const CLIENTS: usize = 16;

use fengqiao_tests::zero_report as report;

async fn kill_in_a_burst_loses_nothing(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree.csv");
    std::fs::write(&tree, small_tree_csv(GROUPS)).unwrap();
    let db = TestDb::new(backend).await;
    db.open().await.expect("database ready").close().await;
    // The clients flood as fast as the node answers, all from 127.0.0.1:
    // one caller to the rate limit, which this test is not about.
    let options = NodeOptions { rate_limit: Some(0), ..NodeOptions::default() };
    let mut node = NodeProcess::start_with("410411001", &tree, &db.url(), options).await;

    // (unit, date) → highest acknowledged revision; and highest sent.
    let acked: Arc<Mutex<HashMap<(String, String), u32>>> = Arc::default();
    let sent: Arc<Mutex<HashMap<(String, String), u32>>> = Arc::default();
    let yesterday = (Utc::now() + Duration::hours(8)).date_naive() - Duration::days(1);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let url = node.url();
            let (acked, sent) = (Arc::clone(&acked), Arc::clone(&sent));
            tokio::spawn(async move {
                let channel = tonic::transport::Channel::from_shared(url).unwrap().connect().await.unwrap();
                let mut stub =
                    fengqiao_proto::pb::reporting_service_client::ReportingServiceClient::new(channel);
                // Each client owns its keys; every key gets revision 1, then 2.
                for n in 0.. {
                    let unit = format!("410411001001{:03}", 1 + (n * CLIENTS + client) % GROUPS);
                    let date =
                        (yesterday - Duration::days(((n * CLIENTS + client) / GROUPS) as i64)).to_string();
                    for revision in [1, 2] {
                        sent.lock().await.insert((unit.clone(), date.clone()), revision);
                        let request =
                            SubmitDailyReportRequest { report: Some(report(&unit, &date, revision)) };
                        match stub.submit_daily_report(request).await {
                            Ok(_) => {
                                acked.lock().await.insert((unit.clone(), date.clone()), revision);
                            }
                            Err(_) => return, // the node is gone
                        }
                    }
                }
            })
        })
        .collect();
    // Kill once a good share of the burst has been acknowledged.
    loop {
        if acked.lock().await.len() >= 300 {
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    node.kill().await;
    for client in clients {
        client.await.unwrap();
    }
    node.restart().await;

    let acked = acked.lock().await.clone();
    let sent = sent.lock().await.clone();
    let mut stub = node.reporting().await;
    for ((unit, date), revision) in &acked {
        let stored = stub
            .get_daily_report(GetDailyReportRequest {
                unit_id: unit.clone(),
                date: date.clone(),
                revision: 0,
                ..Default::default()
            })
            .await
            .unwrap_or_else(|status| panic!("acknowledged {unit}@{date} r{revision} lost: {status}"))
            .into_inner();
        let stored_revision = stored.report.unwrap().report.unwrap().revision;
        assert!(
            stored_revision >= *revision && stored_revision <= sent[&(unit.clone(), date.clone())],
            "{unit}@{date}: stored r{stored_revision}, acknowledged r{revision}"
        );
    }
    // No report twice: the stored count is the number of distinct keys, at
    // least every acknowledged one and at most every one sent.
    let store = db.open().await.unwrap();
    let count = store.count_reports().await.unwrap() as usize;
    assert!(
        count >= acked.len() && count <= sent.len(),
        "stored {count}, acked {}, sent {}",
        acked.len(),
        sent.len()
    );
    store.close().await;
    drop(node);
    db.cleanup().await;
}

#[tokio::test]
async fn sqlite_kill_in_a_burst_loses_nothing() {
    kill_in_a_burst_loses_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_kill_in_a_burst_loses_nothing() {
    kill_in_a_burst_loses_nothing(Backend::Postgres).await;
}
