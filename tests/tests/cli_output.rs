//! What the `fengqiao` command line prints, checked against a real node
//! process (SQLite): the one form of time for people and the one for
//! machines across commands; unit names beside codes and the `units` tree;
//! the same flags for dates and ranges everywhere; CSV for Excel; tables
//! that fit the width and counted nouns; the demo's refusal to empty a
//! directory it did not make.

use std::path::Path;

use fengqiao_store::Backend;
use fengqiao_store::testing::TestDb;
use fengqiao_tests::{
    NodeProcess, fengqiao, fengqiao_env, fengqiao_ok as ok, shanghai_yesterday, small_tree_csv,
};
use serde_json::Value;

const DISTRICT: &str = "410411";
const TOWNSHIP: &str = "410411001";
const GROUP: &str = "410411001001001";
const GROUP2: &str = "410411001001002";

/// Runs a `--json` command that prints one document.
async fn json(args: &[&str]) -> Value {
    let stdout = ok(args).await;
    serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("`{}` printed no JSON ({error}): {stdout}", args.join(" ")))
}

/// Whether `text` has the shape `shape`, where `9` stands for any digit.
fn shaped(text: &str, shape: &str) -> bool {
    text.len() == shape.len()
        && text.bytes().zip(shape.bytes()).all(|(t, s)| if s == b'9' { t.is_ascii_digit() } else { t == s })
}

/// `2026-11-27 17:42:10`: how people read a time.
const PEOPLE: &str = "9999-99-99 99:99:99";
/// `2026-11-27T17:42:10+08:00`: how programs read a time (Asia/Shanghai).
const MACHINES: &str = "9999-99-99T99:99:99+08:00";

/// Every substring of `text` shaped like a time for people.
fn people_times(text: &str) -> Vec<&str> {
    (0..text.len().saturating_sub(PEOPLE.len() - 1))
        .filter(|&i| text.is_char_boundary(i) && text.is_char_boundary(i + PEOPLE.len()))
        .map(|i| &text[i..i + PEOPLE.len()])
        .filter(|slice| shaped(slice, PEOPLE))
        .collect()
}

/// No other form of time: no `T` between date and time, no `Z`, no
/// fraction of a second, in text meant for people.
fn assert_people_only(what: &str, text: &str) {
    assert!(!people_times(text).is_empty(), "{what}: no time shown: {text}");
    for (i, _) in text.match_indices(':') {
        let after = &text[i..];
        // hh:mm:ss.fraction or hh:mm:ssZ
        if after.len() > 3 && after.as_bytes()[1].is_ascii_digit() && after.as_bytes()[2].is_ascii_digit() {
            let next = after.as_bytes().get(3).copied();
            assert!(!matches!(next, Some(b'.') | Some(b'Z')), "{what}: a machine form in {text}");
        }
    }
    assert!(
        !text.contains("+00:00") && !text.contains("+08:00"),
        "{what}: an offset shown to people: {text}"
    );
}

fn assert_machine(what: &str, value: &Value) {
    let text = value.as_str().unwrap_or_else(|| panic!("{what}: not a string: {value}"));
    assert!(shaped(text, MACHINES), "{what}: {text:?} is not RFC 3339 with +08:00 to the second");
}

async fn start(dir: &Path, db: &TestDb) -> NodeProcess {
    let tree = dir.join("tree.csv");
    std::fs::write(&tree, small_tree_csv(3)).unwrap();
    db.open().await.expect("database ready").close().await;
    NodeProcess::start(DISTRICT, &tree, &db.url()).await
}

#[tokio::test]
async fn times_for_people_and_for_machines() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let node = start(dir.path(), &db).await;
    let server = node.url();
    let yesterday = shanghai_yesterday().to_string();
    ok(&["zero", "--unit", GROUP, "--date", &yesterday, "--reporter", "officer-1", "--server", &server])
        .await;
    ok(&[
        "report",
        "--unit",
        GROUP2,
        "--date",
        &yesterday,
        "--reporter",
        "officer-2",
        "--dispute",
        "category=wage_arrears,outcome=mediating,employer=某建筑公司,workers=12,claimed=36000",
        "--server",
        &server,
    ])
    .await;
    ok(&["notice", "--unit", TOWNSHIP, "--text", "check the ledger", "--server", &server]).await;
    let registered = json(&[
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
        "--server",
        &server,
        "--json",
    ])
    .await;
    assert_machine("case register --json registered_at", &registered["case"]["registered_at"]);
    let case_id = registered["case"]["case_id"].as_str().unwrap().to_owned();

    let range = ["--from", &yesterday, "--to", &yesterday];
    let reports = ok(&[&["reports", "--unit", DISTRICT, "--server", &server][..], &range].concat()).await;
    assert_people_only("reports", &reports);
    let lines =
        ok(&[&["reports", "--unit", DISTRICT, "--server", &server, "--json"][..], &range].concat()).await;
    for line in lines.lines() {
        let value: Value = serde_json::from_str(line).unwrap();
        assert_machine("reports --json accepted_at", &value["accepted_at"]);
    }
    assert_people_only("notices", &ok(&["notices", "--unit", TOWNSHIP, "--server", &server]).await);
    assert_people_only("case show", &ok(&["case", "show", &case_id, "--server", &server]).await);
    let shown = json(&["case", "show", &case_id, "--server", &server, "--json"]).await;
    assert_machine("case show --json updated_at", &shown["case"]["updated_at"]);
    assert_machine("case show --json event at", &shown["events"][0]["at"]);
    let listed = ok(&["case", "list", "--unit", DISTRICT, "--server", &server, "--json"]).await;
    let first: Value = serde_json::from_str(listed.lines().next().unwrap()).unwrap();
    assert_machine("case list --json registered_at", &first["registered_at"]);

    let csv =
        ok(&[&["export", "--unit", DISTRICT, "--out", "-", "--server", &server][..], &range].concat()).await;
    let mut reader = csv::ReaderBuilder::new().from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().unwrap().clone();
    let accepted = header.iter().position(|h| h == "accepted_at").expect("an accepted_at column");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(!rows.is_empty(), "{csv}");
    for row in &rows {
        assert!(shaped(&row[accepted], MACHINES), "export accepted_at {:?}", &row[accepted]);
    }
    let jsonl = ok(&[
        &["export", "--unit", DISTRICT, "--out", "-", "--format", "jsonl", "--server", &server][..],
        &range,
    ]
    .concat())
    .await;
    for line in jsonl.lines() {
        let value: Value = serde_json::from_str(line).unwrap();
        assert_machine("export jsonl accepted_at", &value["accepted_at"]);
    }

    let url = db.url();
    assert_people_only("audit list", &ok(&["audit", "list", "--db", &url]).await);
    let audit = json(&["audit", "list", "--db", &url, "--json"]).await;
    for entry in audit.as_array().unwrap() {
        assert_machine("audit list --json at", &entry["at"]);
    }
    drop(node);
}

/// Unit names beside codes, the `units` tree and search, missing units
/// grouped by township and community.
#[tokio::test]
async fn units_and_their_names() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let node = start(dir.path(), &db).await;
    let server = node.url();
    let yesterday = shanghai_yesterday().to_string();
    ok(&["zero", "--unit", GROUP, "--date", &yesterday, "--reporter", "officer-1", "--server", &server])
        .await;

    let tree = ok(&["units", "--unit", DISTRICT, "--depth", "2", "--server", &server]).await;
    for expected in
        ["410411 湛河区", "410411001 马庄街道", "410411001001 电力社区", "district", "township", "this node"]
    {
        assert!(tree.contains(expected), "{expected:?} missing from:\n{tree}");
    }
    assert!(!tree.contains(GROUP), "depth 2 stops at the communities:\n{tree}");
    assert!(tree.contains("3 units in the subtree of 410411 湛河区 (depth 2)"), "{tree}");
    let found =
        ok(&["units", "--unit", DISTRICT, "--depth", "0", "--find", "2号楼", "--json", "--server", &server])
            .await;
    let found: Vec<Value> = found.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let matched: Vec<&str> =
        found.iter().filter(|u| u["match"] == true).map(|u| u["unit_id"].as_str().unwrap()).collect();
    assert_eq!(matched, [GROUP2], "{found:?}");
    assert_eq!(found[0]["unit_id"], DISTRICT, "the way down is shown: {found:?}");
    assert_eq!(found.last().unwrap()["tier"], "group");
    let status = ok(&["status", "--server", &server]).await;
    assert!(status.contains("node of unit      410411 湛河区 (6 units)"), "{status}");
    assert!(status.contains("outbox            0 items"), "{status}");
    let refused = fengqiao(&["units", "--unit", "999999", "--server", &server]).await;
    assert!(!refused.success && refused.stderr.contains("999999"), "{}", refused.stderr);

    let reports =
        ok(&["reports", "--unit", DISTRICT, "--from", &yesterday, "--to", &yesterday, "--server", &server])
            .await;
    assert!(reports.contains("1号楼") && reports.contains("1 report in the subtree"), "{reports}");

    let missing = ok(&["missing", "--unit", DISTRICT, "--date", &yesterday, "--server", &server]).await;
    for heading in ["410411001 马庄街道: 3 missing", "  410411001001 电力社区: 2 missing"] {
        assert!(missing.lines().any(|l| l == heading), "{heading:?} missing from:\n{missing}");
    }
    let drilled =
        ok(&["drill", "--unit", DISTRICT, "--figure", "received", "--from", &yesterday, "--server", &server])
            .await;
    assert!(drilled.contains(&format!("{yesterday}  {GROUP}  1号楼")), "{drilled}");
    drop(node);
}

/// Dates, ranges and flags the same way everywhere.
#[tokio::test]
async fn flags_mean_the_same_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let node = start(dir.path(), &db).await;
    let server = node.url();
    let yesterday = shanghai_yesterday().to_string();
    // A comma inside a value, escaped.
    ok(&[
        "report",
        "--unit",
        GROUP,
        "--date",
        "yesterday",
        "--reporter",
        "officer-1",
        "--dispute",
        r"category=wage_arrears,outcome=mediating,summary=wages\, two months,employer=某公司,workers=3,claimed=900",
        "--dispute",
        "category=land,outcome=registered,summary=boundary",
        "--server",
        &server,
    ])
    .await;
    let lines = ok(&[
        "export",
        "--unit",
        DISTRICT,
        "--from",
        "yesterday",
        "--format",
        "jsonl",
        "--out",
        "-",
        "--server",
        &server,
    ])
    .await;
    let line: Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(line["disputes"][0]["summary"], "wages, two months");
    assert_eq!(line["date"], yesterday.as_str());

    // A case from that dispute, the date as a word.
    let from_report = format!("{GROUP}@yesterday#d2");
    let case =
        json(&["case", "register", "--from-report", &from_report, "--server", &server, "--json"]).await;
    let source = &case["case"]["intake"]["source"];
    assert_eq!(
        (source["unit_id"].as_str(), source["date"].as_str()),
        (Some(GROUP), Some(yesterday.as_str())),
        "{case}"
    );

    // --week on drill; missing as a figure.
    let week =
        ok(&["drill", "--unit", DISTRICT, "--figure", "received", "--week", &yesterday, "--server", &server])
            .await;
    assert!(week.contains(GROUP), "{week}");
    let missing =
        ok(&["drill", "--unit", DISTRICT, "--figure", "missing", "--from", "yesterday", "--server", &server])
            .await;
    assert!(missing.contains(GROUP2) && !missing.contains(&format!("{GROUP} ")), "{missing}");
    assert!(missing.contains("5 reports missing for unit 410411"), "{missing}");
    let both = fengqiao(&[
        "drill", "--unit", DISTRICT, "--figure", "received", "--week", "this", "--from", "today", "--server",
        &server,
    ])
    .await;
    assert_eq!(both.code, Some(2), "{}", both.stderr);

    // --week on reports and export too.
    let reports =
        ok(&["reports", "--unit", DISTRICT, "--week", &yesterday, "--json", "--server", &server]).await;
    assert_eq!(reports.lines().count(), 1, "{reports}");
    let exported = ok(&[
        "export", "--unit", DISTRICT, "--week", &yesterday, "--format", "jsonl", "--out", "-", "--server",
        &server,
    ])
    .await;
    assert_eq!(exported.lines().count(), 1, "{exported}");

    // A bad date names the flag and the forms.
    let bad = fengqiao(&["reports", "--unit", DISTRICT, "--from", "2026-2-1", "--server", &server]).await;
    assert!(
        !bad.success
            && bad.stderr.contains("--from")
            && bad.stderr.contains("YYYY-MM-DD, today or yesterday"),
        "{}",
        bad.stderr
    );

    // report --file refuses what it would ignore.
    let file = dir.path().join("report.json");
    std::fs::write(
        &file,
        format!(r#"{{"unit_id": "{GROUP2}", "date": "{yesterday}", "reporter": "officer-2"}}"#),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    for flag in [&["--date", "today"][..], &["--revision", "2"], &["--reason", "again"]] {
        let refused = fengqiao(&[&["report", "--file", file, "--server", &server][..], flag].concat()).await;
        assert_eq!(refused.code, Some(2), "{flag:?} taken with --file: {}", refused.stdout);
        assert!(refused.stderr.contains("cannot be used with"), "{}", refused.stderr);
    }
    ok(&["report", "--file", file, "--server", &server]).await;
    drop(node);
}

/// CSV that Excel and WPS read: a byte-order mark (unless --no-bom), unit
/// and parent names, and one row per dispute in the flat form.
#[tokio::test]
async fn csv_for_spreadsheets() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let node = start(dir.path(), &db).await;
    let server = node.url();
    ok(&[
        "report",
        "--unit",
        GROUP,
        "--date",
        "yesterday",
        "--reporter",
        "officer-1",
        "--dispute",
        "category=wage_arrears,outcome=mediating,employer=某建筑公司,workers=12,claimed=36000",
        "--dispute",
        "category=neighbour,outcome=resolved_on_the_spot,parties=2",
        "--server",
        &server,
    ])
    .await;
    ok(&["zero", "--unit", GROUP2, "--date", "yesterday", "--reporter", "officer-2", "--server", &server])
        .await;
    let path = dir.path().join("reports.csv");
    let out = path.to_str().unwrap();
    ok(&["export", "--unit", DISTRICT, "--from", "yesterday", "--out", out, "--server", &server]).await;
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "no BOM");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(&header[..4], ["date", "unit_id", "unit_name", "parent_names"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!((&rows[0][2], &rows[0][3]), ("1号楼", "湛河区 / 马庄街道 / 电力社区"));

    ok(&["export", "--unit", DISTRICT, "--from", "yesterday", "--out", out, "--no-bom", "--server", &server])
        .await;
    assert!(std::fs::read(&path).unwrap().starts_with(b"date,"));

    ok(&[
        "export",
        "--unit",
        DISTRICT,
        "--from",
        "yesterday",
        "--format",
        "csv-disputes",
        "--out",
        out,
        "--server",
        &server,
    ])
    .await;
    let bytes = std::fs::read(&path).unwrap();
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let column =
        |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} column"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "one row per dispute, none for the zero report");
    assert_eq!(&rows[0][column("category")], "wage_arrears");
    assert_eq!(&rows[0][column("employer")], "某建筑公司");
    assert_eq!(&rows[0][column("claimed_yuan")], "36000.00");
    assert_eq!(&rows[1][column("outcome")], "resolved_on_the_spot");
    assert_eq!(&rows[1][column("parties")], "2");
    drop(node);
}

/// Tables fit COLUMNS (everything with --wide); one of a thing is singular.
#[tokio::test]
async fn output_fits_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let node = start(dir.path(), &db).await;
    let server = node.url();
    let registered = json(&[
        "case",
        "register",
        "--unit",
        GROUP,
        "--channel",
        "letter",
        "--category",
        "wage_arrears",
        "--summary",
        "wages unpaid for the whole of the autumn at the building site by the river",
        "--server",
        &server,
        "--json",
    ])
    .await;
    let case_id = registered["case"]["case_id"].as_str().unwrap().to_owned();
    let widest = |text: &str| text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    let fitted = fengqiao_env(&["case", "show", &case_id, "--server", &server], &[("COLUMNS", "80")]).await;
    assert!(fitted.success, "{}", fitted.stderr);
    assert!(widest(&fitted.stdout) <= 80, "wider than 80:\n{}", fitted.stdout);
    let wide =
        fengqiao_env(&["case", "show", &case_id, "--server", &server, "--wide"], &[("COLUMNS", "80")]).await;
    assert!(wide.success, "{}", wide.stderr);
    assert!(widest(&wide.stdout) > 80, "--wide kept everything on one line:\n{}", wide.stdout);
    let listed =
        fengqiao_env(&["case", "list", "--unit", DISTRICT, "--server", &server], &[("COLUMNS", "100")]).await;
    assert!(widest(&listed.stdout) <= 100, "{}", listed.stdout);
    let listed = ok(&["case", "list", "--unit", DISTRICT, "--server", &server, "--wide"]).await;
    assert!(listed.contains(&format!("{GROUP} 1号楼")), "owner names: {listed}");

    // Chinese by --lang or by the locale; JSON stays English.
    let shown = ok(&["case", "show", &case_id, "--lang", "zh", "--server", &server]).await;
    assert!(shown.contains("拖欠工资") && shown.contains("已登记"), "{shown}");
    let chinese = ok(&["case", "list", "--unit", DISTRICT, "--lang", "zh", "--server", &server]).await;
    assert!(
        chinese.contains("拖欠工资") && chinese.contains("案件") && chinese.contains("已登记"),
        "{chinese}"
    );
    let by_locale =
        fengqiao_env(&["units", "--unit", DISTRICT, "--server", &server], &[("LANG", "zh_CN.UTF-8")]).await;
    assert!(
        by_locale.stdout.contains("镇(街道)") && by_locale.stdout.contains("层级"),
        "{}",
        by_locale.stdout
    );
    let english = fengqiao_env(
        &["units", "--unit", DISTRICT, "--server", &server, "--lang", "en"],
        &[("LANG", "zh_CN.UTF-8")],
    )
    .await;
    assert!(
        english.stdout.contains("township") && !english.stdout.contains("镇(街道)"),
        "{}",
        english.stdout
    );
    let listed = fengqiao_env(
        &["case", "list", "--unit", DISTRICT, "--server", &server, "--json"],
        &[("LANG", "zh_CN.UTF-8")],
    )
    .await;
    assert!(
        listed.stdout.contains("\"wage_arrears\"") && !listed.stdout.contains("拖欠工资"),
        "{}",
        listed.stdout
    );

    ok(&["notice", "--unit", TOWNSHIP, "--text", "one notice", "--server", &server]).await;
    let notices = ok(&["notices", "--unit", TOWNSHIP, "--server", &server]).await;
    assert!(notices.contains("1 notice for unit") && notices.contains("410411 湛河区"), "{notices}");
    drop(node);

    // The demo empties only a directory it made.
    let foreign = dir.path().join("mine");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("thesis.txt"), "keep me").unwrap();
    let tree = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/zhanhe-410411.csv");
    let refused =
        fengqiao(&["demo", "--dir", foreign.to_str().unwrap(), "--tree", tree, "--days", "1"]).await;
    assert!(!refused.success, "the demo emptied a directory it did not make");
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(std::fs::read_to_string(foreign.join("thesis.txt")).unwrap(), "keep me");
}

/// Removes what changes from one call to the next (when the node computed
/// a figure), so two answers can be compared.
fn without_instants(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, _| !matches!(key.as_str(), "computed_at" | "cases_as_of" | "last_sync"));
            map.values_mut().for_each(without_instants);
        }
        Value::Array(items) => items.iter_mut().for_each(without_instants),
        _ => {}
    }
}

/// A Chinese officer reads Chinese (`--lang zh` or a zh locale) in every
/// table, label, confirmation and error; `--json` is the same whatever the
/// language. And `case list --week`.
#[tokio::test]
async fn chinese_for_chinese_officers() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let node = start(dir.path(), &db).await;
    let server = node.url();
    let yesterday = shanghai_yesterday().to_string();
    let zh = |args: &[&str]| {
        let args = [args, &["--lang", "zh", "--server", &server]]
            .concat()
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>();
        async move { ok(&args.iter().map(String::as_str).collect::<Vec<_>>()).await }
    };
    let zero = zh(&["zero", "--unit", GROUP, "--date", &yesterday, "--reporter", "officer-1"]).await;
    assert!(zero.contains("零报告已接收") && zero.contains("新报告"), "{zero}");
    let filed = zh(&[
        "report",
        "--unit",
        GROUP2,
        "--date",
        &yesterday,
        "--reporter",
        "officer-2",
        "--dispute",
        "category=wage_arrears,outcome=mediating,employer=某建筑公司,workers=12,claimed=36000",
    ])
    .await;
    assert!(filed.contains("日报告已接收"), "{filed}");
    let registered = zh(&[
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
    ])
    .await;
    assert!(registered.contains("已登记案件") && registered.contains("来信，拖欠工资"), "{registered}");
    let case_id = json(&["case", "list", "--unit", DISTRICT, "--server", &server, "--json"]).await["case_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let summary = zh(&["summary", "--unit", DISTRICT, "--week", &yesterday]).await;
    for expected in ["应报", "已报", "完成率", "及时率", "矛盾纠纷", "拖欠工资 1", "排名", "得分", "马庄街道"]
    {
        assert!(summary.contains(expected), "{expected:?} missing from:\n{summary}");
    }
    assert!(!summary.contains("received") && !summary.contains("wage_arrears"), "{summary}");
    let english = ok(&["summary", "--unit", DISTRICT, "--week", &yesterday, "--server", &server]).await;
    assert!(english.contains("  received") && english.contains("wage_arrears 1"), "{english}");

    let shown = zh(&["case", "show", &case_id]).await;
    for expected in ["状态", "已登记", "承办单位", "来信", "拖欠工资", "事件", "登记", "共 1 个事件"]
    {
        assert!(shown.contains(expected), "{expected:?} missing from:\n{shown}");
    }
    let status = zh(&["status"]).await;
    assert!(
        status.contains("本节点单位") && status.contains("待上报队列") && status.contains("6 个单位"),
        "{status}"
    );
    let missing = zh(&["missing", "--unit", DISTRICT, "--date", &yesterday]).await;
    assert!(missing.contains("缺报") && missing.contains("马庄街道"), "{missing}");

    // --json is the same in either language.
    for args in [
        &["case", "show", case_id.as_str(), "--json"][..],
        &["summary", "--unit", DISTRICT, "--week", &yesterday, "--json"],
        &["case", "list", "--unit", DISTRICT, "--json"],
        &["reports", "--unit", DISTRICT, "--from", &yesterday, "--json"],
    ] {
        let parse = |text: String| -> Vec<Value> {
            let mut values: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            values.iter_mut().for_each(without_instants);
            values
        };
        let english = parse(ok(&[args, &["--server", &server]].concat()).await);
        let chinese = parse(
            fengqiao_env(&[args, &["--server", &server]].concat(), &[("LANG", "zh_CN.UTF-8")]).await.stdout,
        );
        assert_eq!(english, chinese, "`{}` depends on the language", args.join(" "));
        assert!(!english.is_empty());
    }

    // The command's own error framing and next step, in Chinese; English by default.
    let refused = fengqiao(&["status", "--server", "http://127.0.0.1:1", "--lang", "zh"]).await;
    assert!(!refused.success);
    assert!(
        refused.stderr.starts_with("错误: 无法连接 http://127.0.0.1:1 的节点")
            && refused.stderr.contains("节点是否在运行"),
        "{}",
        refused.stderr
    );
    let refused = fengqiao(&["case", "show", "no-such-case", "--server", &server]).await;
    assert_eq!(
        refused.stderr.trim_end(),
        "error: the node answered NOT_FOUND: case no-such-case is not in this node's ledger"
    );
    let refused =
        fengqiao_env(&["case", "show", "no-such-case", "--server", &server], &[("LANG", "zh_CN.UTF-8")])
            .await;
    assert_eq!(refused.stderr.trim_end(), "错误: 节点答复 未找到：案件 no-such-case 不在本节点的台账中");

    // The node's own refusals, in Chinese from their codes: an invalid
    // field (named, then the reason), a case in the wrong state (the
    // status and the action by their Chinese names, and the next step).
    let tomorrow = (shanghai_yesterday() + chrono::Duration::days(2)).to_string();
    let late = fengqiao(&[
        "zero",
        "--unit",
        GROUP,
        "--date",
        &tomorrow,
        "--reporter",
        "officer-1",
        "--lang",
        "zh",
        "--server",
        &server,
    ])
    .await;
    assert!(!late.success);
    assert!(
        late.stderr.contains("节点答复 参数无效：")
            && late.stderr.contains(&format!("date：{tomorrow} 晚于今天（")),
        "{}",
        late.stderr
    );
    ok(&["case", "accept", &case_id, "--server", &server]).await;
    let twice = fengqiao(&["case", "accept", &case_id, "--lang", "zh", "--server", &server]).await;
    assert!(!twice.success);
    assert!(twice.stderr.contains(&format!("案件 {case_id} 无法受理：案件当前为已受理")), "{}", twice.stderr);
    let early =
        fengqiao(&["case", "resolve", &case_id, "--resolution", "paid", "--lang", "zh", "--server", &server])
            .await;
    assert!(
        early.stderr.contains("须先确定责任领导和化解方案予以交办（`fengqiao case assign"),
        "{}",
        early.stderr
    );
    let english = fengqiao(&["case", "accept", &case_id, "--server", &server]).await;
    assert!(
        english.stderr.contains(&format!(
            "the node answered FAILED_PRECONDITION: cannot accept case {case_id}: it is accepted"
        )),
        "{}",
        english.stderr
    );

    // case list --week: the week of a day, refused with --from.
    let this_week = ok(&["case", "list", "--unit", DISTRICT, "--week", "today", "--server", &server]).await;
    assert!(this_week.contains(&case_id) && this_week.contains("1 case in the subtree"), "{this_week}");
    let earlier = (shanghai_yesterday() - chrono::Duration::days(13)).to_string();
    let before = ok(&["case", "list", "--unit", DISTRICT, "--week", &earlier, "--server", &server]).await;
    assert!(before.contains("0 cases in the subtree"), "{before}");
    let both = fengqiao(&[
        "case", "list", "--unit", DISTRICT, "--week", "this", "--from", "today", "--server", &server,
    ])
    .await;
    assert_eq!(both.code, Some(2), "{}", both.stderr);
    drop(node);
}
