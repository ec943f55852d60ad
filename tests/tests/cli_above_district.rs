//! The command line against a city node, above the summary boundary (issue
//! 21), with a district node process under it sending summaries:
//! `fengqiao summary` shows the district's figures at the city, and
//! `missing` and `export`, which read reports the city does not hold, print
//! the node's refusal as one line naming the district's node, in English
//! and in Chinese.

use std::path::Path;
use std::time::{Duration, Instant};

use fengqiao_store::Backend;
use fengqiao_store::testing::TestDb;
use fengqiao_tests::{
    CliRun, NodeOptions, NodeProcess, fengqiao, fengqiao_ok as ok, shanghai_today, shanghai_yesterday,
    small_tree_csv,
};
use serde_json::Value;

const CITY_TREE: &str = "code,parent_code,tier,name\n\
    4104,,city,平顶山市\n\
    410411,4104,district,湛河区\n\
    410411001,410411,township,马庄街道\n";

const GROUP: &str = "410411001001001";

async fn start(
    dir: &Path,
    name: &str,
    csv: &str,
    unit: &str,
    db: &TestDb,
    options: NodeOptions,
) -> NodeProcess {
    let tree = dir.join(name);
    std::fs::write(&tree, csv).unwrap();
    db.open().await.expect("database ready").close().await;
    NodeProcess::start_with(unit, &tree, &db.url(), options).await
}

/// The one error line of a command that failed (`error: `, or `错误: ` in
/// Chinese).
fn error_line(run: &CliRun) -> String {
    assert!(!run.success, "expected a refusal: {}", run.stdout);
    let errors: Vec<&str> =
        run.stderr.lines().filter(|line| line.starts_with("error: ") || line.starts_with("错误: ")).collect();
    assert_eq!(errors.len(), 1, "one error line expected:\n{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    errors[0].to_owned()
}

#[tokio::test]
async fn summary_works_at_a_city_and_reads_of_reports_name_the_district() {
    let dir = tempfile::tempdir().unwrap();
    let (city_db, district_db) = (TestDb::new(Backend::Sqlite).await, TestDb::new(Backend::Sqlite).await);
    let city_options = NodeOptions { child_nodes: vec!["410411".into()], ..NodeOptions::default() };
    let mut city = start(dir.path(), "city.csv", CITY_TREE, "4104", &city_db, city_options).await;
    let district_options = NodeOptions { parent: Some(city.url()), ..NodeOptions::default() };
    let mut district =
        start(dir.path(), "district.csv", &small_tree_csv(3), "410411", &district_db, district_options).await;
    let (city_url, district_url) = (city.url(), district.url());
    let yesterday = shanghai_yesterday().to_string();
    let today = shanghai_today().to_string();
    ok(&[
        "zero",
        "--unit",
        GROUP,
        "--date",
        &yesterday,
        "--reporter",
        "officer-1",
        "--server",
        &district_url,
    ])
    .await;

    // The city's summary of the district: the district's own figures, once
    // its summary has arrived.
    let summary = |server: String| {
        let (yesterday, today) = (yesterday.clone(), today.clone());
        async move {
            let args = ["summary", "--unit", "410411", "--from", &yesterday, "--to", &today, "--json"];
            let stdout = ok(&[&args[..], &["--server", &server]].concat()).await;
            serde_json::from_str::<Value>(&stdout).unwrap()
        }
    };
    let own = summary(district_url.clone()).await;
    assert_eq!(own["totals"]["received"], 1, "{own}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let at_city = loop {
        let at_city = summary(city_url.clone()).await;
        if at_city["totals"] == own["totals"] || Instant::now() > deadline {
            break at_city;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(at_city["totals"], own["totals"], "the city's figures are the district's");
    let text =
        ok(&["summary", "--unit", "4104", "--from", &yesterday, "--to", &today, "--server", &city_url]).await;
    assert!(text.contains("湛河区"), "the city's summary names its district:\n{text}");

    // What reads reports: one line naming the node that holds them, and
    // no file written.
    let out = dir.path().join("reports.csv").display().to_string();
    for args in [
        vec!["missing", "--unit", "410411", "--date", &yesterday],
        vec!["export", "--unit", "410411", "--from", &yesterday, "--out", &out],
    ] {
        let run = fengqiao(&[&args[..], &["--server", &city_url]].concat()).await;
        let line = error_line(&run);
        assert!(line.contains("FAILED_PRECONDITION"), "{}: {line}", args[0]);
        assert!(
            line.contains("summaries only") && line.contains("held by the nodes below: 410411"),
            "{line}"
        );
        assert!(run.stdout.is_empty(), "{}: nothing printed but the refusal: {}", args[0], run.stdout);
        assert!(!Path::new(&out).exists() && !Path::new(&format!("{out}.partial")).exists());
        let run = fengqiao(&[&args[..], &["--server", &city_url, "--lang", "zh"]].concat()).await;
        let line = error_line(&run);
        assert!(line.contains("本级只汇总下级数据") && line.contains("下级节点 410411"), "{line}");
    }

    district.stop().await;
    city.stop().await;
    city_db.cleanup().await;
    district_db.cleanup().await;
}
