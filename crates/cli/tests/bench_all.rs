//! `fengqiao bench all --json` at its tiny size: every row of the issue-16
//! table comes out, measured (the demo too, at a tiny scale) or marked
//! skipped with a reason. No timing is asserted (a benchmark prints; it
//! never fails a build).

use std::process::Command;

#[test]
fn bench_all_json_holds_every_row_of_the_table() {
    let output = Command::new(env!("CARGO_BIN_EXE_fengqiao"))
        .args(["bench", "all", "--json", "--size", "tiny", "--db", "sqlite"])
        .env("RUST_LOG", "error")
        .output()
        .expect("fengqiao runs");
    assert!(
        output.status.success(),
        "bench all failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is the JSON document alone");
    assert_eq!(json["size"], "tiny");
    let rows = json["rows"].as_array().expect("rows");
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(
        ids,
        [
            "ingest.sqlite",
            "ingest.postgres",
            "network.sqlite.drain",
            "network.sqlite.full_day_lag",
            "summary.sqlite.week_p99",
            "summary.sqlite.year_p99",
            "summary.sqlite.year_history_ratio",
            "rebuild.sqlite",
            "summary.postgres.week_p99",
            "summary.postgres.year_p99",
            "summary.postgres.year_history_ratio",
            "rebuild.postgres",
            "web.overview_p99",
            "demo",
            "node.rss_idle",
        ]
    );
    for row in rows {
        let id = row["id"].as_str().unwrap();
        let verdict = row["verdict"].as_str().expect("verdict");
        for key in ["figure", "target", "unit", "note"] {
            assert!(row[key].is_string(), "{id}: {key} is text");
        }
        if id.contains("postgres") {
            assert_eq!(verdict, "skipped", "{id} is not measured in this run");
            assert!(!row["note"].as_str().unwrap().is_empty(), "{id} says why it was skipped");
            assert!(row["measured"].is_null(), "{id} has no figure");
            continue;
        }
        let measured = row["measured"].as_f64().unwrap_or_else(|| panic!("{id} measured: {row}"));
        assert!(measured > 0.0 && measured.is_finite(), "{id}: {measured}");
        assert!(["pass", "short", "info"].contains(&verdict), "{id}: {verdict}");
        let with_baseline =
            ["ingest.sqlite", "network.sqlite.drain", "summary.sqlite.week_p99", "web.overview_p99"];
        if with_baseline.contains(&id) {
            let baseline = row["baseline"].as_f64().unwrap_or_else(|| panic!("{id} baseline: {row}"));
            let ratio = row["ratio"].as_f64().expect("ratio");
            assert!((ratio - measured / baseline).abs() < 1e-9, "{id}: ratio is measured / baseline");
        }
        // The verdict follows the target: ingest's target is on the ratio.
        if id == "ingest.sqlite" {
            let ratio = row["ratio"].as_f64().unwrap();
            assert_eq!(verdict, if ratio >= 0.5 { "pass" } else { "short" });
        }
        if id == "demo" {
            // The demo ran (a tiny one): its phases are in the note.
            assert!(row["note"].as_str().unwrap().contains("reporting "), "{id}: {row}");
        }
        if id == "node.rss_idle" {
            assert_eq!(verdict, if measured < 64.0 { "pass" } else { "short" });
        }
    }
}
