//! `fengqiao demo --above city` at a small scale: the city node's week over
//! four districts equals each district's own and their sum, and no report
//! reached the city; and a tree that is not one of the city's districts is
//! refused before anything starts.

use std::process::Command;

fn demo(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fengqiao"))
        .args(["demo", "--lang", "en", "--wide"])
        .args(args)
        .arg("--dir")
        .arg(dir)
        .env("RUST_LOG", "error")
        .output()
        .expect("fengqiao runs")
}

#[test]
fn the_city_week_equals_the_districts_own() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let output = demo(&["--above", "city", "--scale", "0.1", "--days", "8"], &dir.path().join("demo"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the demo failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let table = &stdout[stdout.find("平顶山市 (4104), week ").expect("the city's table")..];
    for district in ["湛河区 410411", "新华区 410402", "卫东区 410403", "石龙区 410404"] {
        assert_eq!(
            table.matches(district).count(),
            2,
            "{district}: its row at the city and its own\n{table}"
        );
    }
    // Each district's row, and the city's totals against their sum.
    assert_eq!(table.matches('✓').count(), 5, "{table}");
    assert!(!table.contains('✗'), "{table}");
    assert!(stdout.contains("the city's figures equal the districts' own"), "{stdout}");
    assert!(stdout.contains("the city's store holds 0 reports"), "{stdout}");
    assert!(stdout.contains("FAILED_PRECONDITION: this node is above the summary boundary"), "{stdout}");
    assert!(stdout.contains("the city above the districts"), "the phase is timed: {stdout}");
}

#[test]
fn a_district_outside_the_city_is_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let tree = dir.path().join("tree.csv");
    std::fs::write(&tree, "code,parent_code,tier,name\n990001,,district,Elsewhere\n").expect("write");
    let output = demo(
        &["--above", "city", "--tree", tree.to_str().expect("utf-8 path"), "--days", "1"],
        &dir.path().join("demo"),
    );
    assert!(!output.status.success(), "a district outside 平顶山市 ran under it");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--above city runs the district under 平顶山市 (4104)"), "{stderr}");
    assert!(!dir.path().join("demo").exists(), "nothing was made before the refusal");
}
