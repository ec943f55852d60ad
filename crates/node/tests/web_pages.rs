//! The dashboard's ledger, case and missing pages against a real node (the
//! harness of `web.rs`): each page for an allowed viewer and refused to one
//! outside the subtree; a leader acting from the case page (with the CSRF
//! token the event is in the log; without it 403 and nothing changed; a
//! stale page ABORTED); an auditor sees no form and a forged post is
//! refused by `ActOnCase`'s own rules; the missing page lists exactly
//! `Completeness.missing`; the wages page's year, months and children are
//! `PeriodSummary`'s; the CSV download is byte for byte the export of the
//! range, refused to one outside the subtree. Runs on SQLite and on
//! PostgreSQL.

mod web_harness;

use std::collections::BTreeSet;

use fengqiao_core::identity::Role;
use fengqiao_proto::pb;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_store::Backend;
use web_harness::*;

const GROUP: &str = "410411001001001";

async fn post(dashboard: &Dashboard, path: &str, cookie: &str, form: String) -> Answer {
    dashboard.send(http::Method::POST, path, Some(cookie), &[], Some(form)).await
}

async fn the_ledger_lists_the_subtrees_cases(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    let case = dashboard.register_case(GROUP).await;
    let leader = dashboard.session(DISTRICT, "zhang", Role::Leader).await;
    let page = dashboard.get(&format!("/unit/{DISTRICT}/cases"), Some(&leader)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_security_headers();
    assert!(!page.body.contains("style=\"") && !page.body.contains("<script>"));
    assert_eq!(page.figures().get("cases.listed").map(String::as_str), Some("1"));
    assert_eq!(page.attributes("data-case"), std::slice::from_ref(&case.case_id));
    assert!(page.body.contains(&format!("href=\"/case/{}\"", case.case_id)));
    assert!(page.body.contains("<label for=\"f-status\">"), "labelled filters");
    // The filters: another category, a status it is not in, overdue.
    for query in ["category=wage_arrears", "status=closed", "overdue=1"] {
        let none = dashboard.get(&format!("/unit/{DISTRICT}/cases?{query}"), Some(&leader)).await;
        assert_eq!(none.status, 200, "{query}: {}", none.body);
        assert_eq!(none.figures()["cases.listed"], "0", "{query}");
    }
    let land = dashboard
        .get(&format!("/unit/{DISTRICT}/cases?category=land&status=registered"), Some(&leader))
        .await;
    assert_eq!(land.figures()["cases.listed"], "1");
    let bad = dashboard.get(&format!("/unit/{DISTRICT}/cases?status=lost"), Some(&leader)).await;
    assert_eq!(bad.status, 400);
    // The overview links its overdue figure to the ledger filtered.
    let overview = dashboard.get(&format!("/unit/{DISTRICT}?week={WEEK}"), Some(&leader)).await;
    assert!(overview.body.contains(&format!("href=\"/unit/{DISTRICT}/cases?overdue=1\"")));
    assert!(overview.body.contains(&format!("href=\"/unit/{DISTRICT}/missing\"")), "the nav bar");
    assert!(overview.body.contains(&format!("href=\"/unit/{DISTRICT}/cases\"")), "the ledger in the nav bar");
    // An officer of another township is refused this township's ledger and case.
    let officer = dashboard.session(OTHER_TOWNSHIP, "wang", Role::Officer).await;
    let own = dashboard.get(&format!("/unit/{OTHER_TOWNSHIP}/cases"), Some(&officer)).await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.figures()["cases.listed"], "0");
    let other = dashboard.get(&format!("/unit/{TOWNSHIP}/cases"), Some(&officer)).await;
    assert_eq!(other.status, 403, "{}", other.body);
    assert!(other.body.contains("data-refusal"));
    let page = dashboard.get(&format!("/case/{}", case.case_id), Some(&officer)).await;
    assert_eq!(page.status, 403, "{}", page.body);
    dashboard.stop().await;
}

async fn a_leader_acts_from_the_case_page(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    let case = dashboard.register_case(GROUP).await;
    let id = case.case_id.clone();
    let leader = dashboard.session(DISTRICT, "zhang", Role::Leader).await;
    let page = dashboard.get(&format!("/case/{id}"), Some(&leader)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_security_headers();
    assert_eq!(page.figures()["case.sequence"], case.sequence.to_string());
    assert_eq!(page.attributes("data-kind"), ["registered"]);
    assert!(page.body.contains("测试甲某"), "a leader of the holding subtree sees the petitioner");
    let actions = page.attributes("data-action");
    assert_eq!(
        actions,
        ["accept", "decline", "escalate"],
        "what a registered case allows (the ledger's table)"
    );
    let csrf = page.csrf();
    let accept = |csrf: &str, sequence: u32| {
        format!("csrf={csrf}&action=accept&expected_sequence={sequence}&note=on+the+page")
    };
    // Without the token: refused, nothing changed.
    for form in [accept("", case.sequence), accept("00ff", case.sequence)] {
        let refused = post(&dashboard, &format!("/case/{id}/act"), &leader, form).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
    }
    assert_eq!(dashboard.case(&id).await.events.len(), 1, "nothing changed");
    // With it: accepted, back to the case page.
    let done = post(&dashboard, &format!("/case/{id}/act"), &leader, accept(&csrf, case.sequence)).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.header("location"), format!("/case/{id}"));
    let log = dashboard.case(&id).await;
    let last = log.events.last().unwrap();
    assert_eq!((log.events.len(), last.note.as_str()), (2, "on the page"));
    let after = dashboard.get(&format!("/case/{id}"), Some(&leader)).await;
    assert_eq!(after.attributes("data-kind"), ["registered", "accepted"]);
    assert!(after.body.contains("zhang"), "who acted: the session's person");
    assert_eq!(after.attributes("data-action"), ["assign", "extend", "escalate", "assign_down"]);
    // The page of before is stale: ABORTED, nothing changed.
    let extend =
        format!("csrf={csrf}&action=extend&expected_sequence={}&days=5&reason=more+time", case.sequence);
    let stale = post(&dashboard, &format!("/case/{id}/act"), &leader, extend.clone()).await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(stale.body.contains("data-refusal"));
    assert_eq!(dashboard.case(&id).await.events.len(), 2);
    // Assign from the fresh page.
    let sequence = log.r#case.unwrap().sequence;
    let assign = format!(
        "csrf={csrf}&action=assign&expected_sequence={sequence}&leader=%E7%8E%8B%E4%B9%A6%E8%AE%B0&responsible=li&plan=visit&deadline="
    );
    let assigned = post(&dashboard, &format!("/case/{id}/act"), &leader, assign).await;
    assert_eq!(assigned.status, 303, "{}", assigned.body);
    let case_now = dashboard.case(&id).await.r#case.unwrap();
    assert_eq!(case_now.leader, "王书记");
    let page = dashboard.get(&format!("/case/{id}"), Some(&leader)).await;
    let assigned_actions = ["assign", "progress", "resolve", "extend", "escalate", "assign_down"];
    assert_eq!(page.attributes("data-action"), assigned_actions);
    // Resolve, with the amount recovered as people write it; then close.
    let act = |sequence: u32, rest: &str| format!("csrf={csrf}&expected_sequence={sequence}&{rest}");
    let bad = act(case_now.sequence, "action=resolve&resolution=paid&amount_recovered=12.345");
    let refused = post(&dashboard, &format!("/case/{id}/act"), &leader, bad).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(dashboard.case(&id).await.r#case.unwrap().sequence, case_now.sequence, "nothing changed");
    let resolve =
        act(case_now.sequence, "action=resolve&resolution=paid+in+full&amount_recovered=1%2C200.50");
    let resolved = post(&dashboard, &format!("/case/{id}/act"), &leader, resolve).await;
    assert_eq!(resolved.status, 303, "{}", resolved.body);
    let case_now = dashboard.case(&id).await.r#case.unwrap();
    assert_eq!((case_now.resolution.as_str(), case_now.amount_recovered_cents), ("paid in full", 120_050));
    let page = dashboard.get(&format!("/case/{id}"), Some(&leader)).await;
    assert_eq!(page.attributes("data-action"), ["close"]);
    let close = act(case_now.sequence, "action=close&satisfaction=satisfied");
    assert_eq!(post(&dashboard, &format!("/case/{id}/act"), &leader, close).await.status, 303);
    let page = dashboard.get(&format!("/case/{id}"), Some(&leader)).await;
    assert_eq!(page.attributes("data-action"), ["reopen"], "a closed case can be reopened");
    dashboard.stop().await;
}

async fn a_viewer_without_the_right_sees_no_form(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    let case = dashboard.register_case(GROUP).await;
    let id = case.case_id.clone();
    for (person, role) in [("audit", Role::Auditor), ("officer", Role::Officer)] {
        let session = dashboard.session(DISTRICT, person, role).await;
        let page = dashboard.get(&format!("/case/{id}"), Some(&session)).await;
        assert_eq!(page.status, 200, "{person}: {}", page.body);
        assert!(page.attributes("data-action").is_empty(), "{person}: no action form");
        assert_eq!(page.body.contains("测试甲某"), role == Role::Officer, "{person}: the petitioner");
        let forged = format!("csrf={}&action=accept&expected_sequence={}", page.csrf(), case.sequence);
        let refused = post(&dashboard, &format!("/case/{id}/act"), &session, forged).await;
        assert_eq!(refused.status, 403, "{person}: {}", refused.body);
        assert!(refused.body.contains("data-refusal"));
        assert_eq!(dashboard.case(&id).await.events.len(), 1, "{person}: nothing changed");
    }
    dashboard.stop().await;
}

async fn the_missing_page_lists_completeness_missing(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    a_week_of_reports(&dashboard).await;
    let leader = dashboard.session(DISTRICT, "zhang", Role::Leader).await;
    let mut client = SummaryServiceClient::connect(dashboard.grpc.clone()).await.unwrap();
    for (unit, date) in [(DISTRICT, "2026-11-24"), (DISTRICT, "2026-11-27"), (TOWNSHIP, "2026-11-23")] {
        let page = dashboard.get(&format!("/unit/{unit}/missing?date={date}"), Some(&leader)).await;
        assert_eq!(page.status, 200, "{unit} {date}: {}", page.body);
        page.assert_security_headers();
        let request = pb::CompletenessRequest { unit_id: unit.into(), date: date.into() };
        let answer = client.completeness(request).await.unwrap().into_inner();
        let expected: BTreeSet<String> = answer.missing.iter().map(|u| u.unit_id.clone()).collect();
        let shown: BTreeSet<String> = page.attributes("data-missing").into_iter().collect();
        assert_eq!(shown, expected, "{unit} {date}");
        assert!(!expected.is_empty(), "{unit} {date}: some are missing");
        let figures = page.figures();
        assert_eq!(figures["missing"], answer.missing.len().to_string());
        assert_eq!(figures["expected"], answer.expected.to_string());
        assert_eq!(figures["received"], answer.received.to_string());
        assert_eq!(page.attributes("data-late").len(), answer.late.len());
    }
    let admin = dashboard.session(OTHER_TOWNSHIP, "wang", Role::Admin).await;
    let own = dashboard.get(&format!("/unit/{OTHER_TOWNSHIP}/missing?date=2026-11-24"), Some(&admin)).await;
    assert_eq!(own.status, 200, "{}", own.body);
    // An administrator may not list cases: the nav bar does not offer the ledger.
    assert!(own.body.contains(&format!("href=\"/unit/{OTHER_TOWNSHIP}/missing\"")), "the nav bar");
    assert!(!own.body.contains(&format!("href=\"/unit/{OTHER_TOWNSHIP}/cases\"")), "no ledger for an admin");
    let ledger = dashboard.get(&format!("/unit/{OTHER_TOWNSHIP}/cases"), Some(&admin)).await;
    assert_eq!(ledger.status, 403, "{}", ledger.body);
    let other = dashboard.get(&format!("/unit/{TOWNSHIP}/missing?date=2026-11-24"), Some(&admin)).await;
    assert_eq!(other.status, 403, "{}", other.body);
    let english =
        dashboard.get(&format!("/unit/{DISTRICT}/missing?date=2026-11-24&lang=en"), Some(&leader)).await;
    assert!(english.body.contains("Missing and late"));
    dashboard.stop().await;
}

async fn the_units_page_shows_the_hierarchy_and_finds_units(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    let leader = dashboard.session(DISTRICT, "zhang", Role::Leader).await;
    let page = dashboard.get("/units", Some(&leader)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_security_headers();
    // Two levels below the district without a search.
    let shown = page.attributes("data-unit-row");
    assert_eq!(
        shown,
        [DISTRICT, TOWNSHIP, "410411001001", OTHER_TOWNSHIP, "410411002001"],
        "depth-first, two levels"
    );
    assert!(!page.body.contains(&format!("href=\"/unit/{GROUP}\"")), "groups are three levels down");
    assert!(page.attributes("data-served-by").iter().all(String::is_empty), "this node serves all");
    // A search finds the group and the way to it.
    let found = dashboard.get("/units?q=2%E5%8F%B7%E6%A5%BC", Some(&leader)).await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.attributes("data-unit-row"), [DISTRICT, TOWNSHIP, "410411001001", "410411001001002"]);
    assert_eq!(found.figures()["units.found"], "1");
    // Another township's admin is refused this township's units.
    let admin = dashboard.session(OTHER_TOWNSHIP, "wang", Role::Admin).await;
    let own = dashboard.get("/units", Some(&admin)).await;
    assert_eq!(own.attributes("data-unit-row"), [OTHER_TOWNSHIP, "410411002001", "410411002001001"]);
    let other = dashboard.get(&format!("/units?root={TOWNSHIP}"), Some(&admin)).await;
    assert_eq!(other.status, 403, "{}", other.body);
    dashboard.stop().await;
}

/// Every link of the page, its `&` unescaped.
fn links(page: &Answer) -> Vec<String> {
    page.attributes("href").iter().map(|href| href.replace("&#38;", "&").replace("&amp;", "&")).collect()
}

/// A figure of the page as a number.
fn figure(page: &Answer, name: &str) -> i64 {
    page.figures().get(name).unwrap_or_else(|| panic!("no figure {name}")).parse().unwrap()
}

async fn the_wages_page_shows_the_years_figures(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    a_week_of_reports(&dashboard).await;
    dashboard
        .submit(report(
            "410411002001001",
            26,
            vec![dispute("w", pb::DisputeCategory::WageArrears, pb::DisputeOutcome::Mediating)],
        ))
        .await;
    let leader = dashboard.session(DISTRICT, "zhang", Role::Leader).await;
    // The current year by default: January to today (Friday 2026-11-27).
    let page = dashboard.get(&format!("/unit/{DISTRICT}/wages"), Some(&leader)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_security_headers();
    assert!(!page.body.contains("style=\"") && !page.body.contains("<script>"));
    assert!(page.body.contains(&format!("href=\"/unit/{DISTRICT}/wages\"")), "the nav bar");
    assert!(page.body.contains("<script type=\"application/json\" id=\"wages-data\">"));
    assert!(page.body.contains("2026 年（2026-01-01 至 2026-11-27）"), "the year's range");
    let mut client = SummaryServiceClient::connect(dashboard.grpc.clone()).await.unwrap();
    let request = pb::PeriodSummaryRequest {
        unit_id: DISTRICT.into(),
        from_date: "2026-01-01".into(),
        to_date: "2026-11-27".into(),
    };
    let year = client.period_summary(request).await.unwrap().into_inner().summary.unwrap();
    let year = fengqiao_core::read::Summary::try_from(year).unwrap();
    let wage = year.totals.wage_arrears;
    assert_eq!((wage.disputes, wage.resolved, wage.workers), (2, 1, 24), "the seed's week");
    let additive = [
        ("disputes", wage.disputes),
        ("resolved", wage.resolved),
        ("workers", wage.workers),
        ("amount_claimed_cents", wage.amount_claimed_cents),
        ("amount_recovered_cents", wage.amount_recovered_cents),
    ];
    for (name, value) in additive.iter().chain(&[("employers", wage.employers)]) {
        assert_eq!(figure(&page, &format!("wage.{name}")), *value, "the year's {name}");
    }
    // A row per month begun, adding up to the year.
    let months = page.attributes("data-month");
    assert_eq!(months.len(), 11, "January to November: {months:?}");
    for (name, value) in additive {
        let sum: i64 = months.iter().map(|m| figure(&page, &format!("month.{m}.wage.{name}"))).sum();
        assert_eq!(sum, value, "the months' {name}");
    }
    assert_eq!(figure(&page, "month.2026-11.wage.employers"), 1, "distinct within the month");
    // By child: the year's scorecard rows, each linked to its own page.
    for row in &year.children {
        let id = row.unit_id.as_str();
        assert_eq!(figure(&page, &format!("child.{id}.wage.workers")), row.tally.wage_arrears.workers);
        assert_eq!(figure(&page, &format!("child.{id}.wage.disputes")), row.tally.wage_arrears.disputes);
        assert!(page.body.contains(&format!("href=\"/unit/{id}/wages?year=2026\"")), "{id}");
    }
    assert_eq!(figure(&page, &format!("child.{OTHER_TOWNSHIP}.wage.disputes")), 1);
    assert!(links(&page).contains(&format!("/unit/{DISTRICT}/export.csv?from=2026-01-01&to=2026-11-27")));
    // Another year: every month, nothing in them; no year after this one.
    let before = dashboard.get(&format!("/unit/{DISTRICT}/wages?year=2025"), Some(&leader)).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(before.attributes("data-month").len(), 12);
    assert_eq!(figure(&before, "wage.disputes"), 0);
    assert!(before.body.contains(&format!("href=\"/unit/{DISTRICT}/wages?year=2026\"")), "next year");
    for bad in ["2027", "twenty", "99999"] {
        let refused = dashboard.get(&format!("/unit/{DISTRICT}/wages?year={bad}"), Some(&leader)).await;
        assert_eq!(refused.status, 400, "{bad}: {}", refused.body);
        assert!(refused.body.contains("data-refusal"));
    }
    // A township's admin sees its own, and is refused another township's.
    let admin = dashboard.session(OTHER_TOWNSHIP, "wang", Role::Admin).await;
    let own = dashboard.get(&format!("/unit/{OTHER_TOWNSHIP}/wages?year=2026"), Some(&admin)).await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(figure(&own, "wage.disputes"), 1);
    let other = dashboard.get(&format!("/unit/{TOWNSHIP}/wages"), Some(&admin)).await;
    assert_eq!(other.status, 403, "{}", other.body);
    assert!(other.body.contains("data-refusal"));
    let english = dashboard.get(&format!("/unit/{DISTRICT}/wages?lang=en"), Some(&leader)).await;
    assert!(english.body.contains("Claimed and recovered by month"));
    dashboard.stop().await;
}

/// Every report `ExportReports` streams over gRPC for a unit and range.
async fn exported(dashboard: &Dashboard, unit: &str, from: &str, to: &str) -> Vec<pb::StoredDailyReport> {
    let mut client = SummaryServiceClient::connect(dashboard.grpc.clone()).await.unwrap();
    let request =
        pb::ExportReportsRequest { unit_id: unit.into(), from_date: from.into(), to_date: to.into() };
    let mut stream = client.export_reports(request).await.unwrap().into_inner();
    let mut reports = Vec::new();
    while let Some(page) = stream.message().await.unwrap() {
        reports.extend(page.reports);
    }
    reports
}

async fn the_csv_download_is_the_export_of_the_range(backend: Backend) {
    use fengqiao_proto::export::{CSV_HEADER, UnitNames, csv_reports, csv_start};
    let dashboard = Dashboard::start(backend).await;
    a_week_of_reports(&dashboard).await;
    let leader = dashboard.session(DISTRICT, "zhang", Role::Leader).await;
    // The names of the export's subtree, as `fengqiao export` reads them
    // with `ListUnits` of its root: parents' names stop at the root.
    let tree = fengqiao_core::UnitTree::from_csv(TREE).unwrap();
    let names_of = |root: &str| {
        UnitNames::from_units(tree.subtree(root).unwrap().into_iter().map(|u| {
            (u.id.to_string(), u.name.clone(), u.parent.as_ref().map(ToString::to_string).unwrap_or_default())
        }))
    };
    let policy = dashboard.node.config().time;
    for (unit, query, from, to) in [
        (DISTRICT, format!("week={WEEK}"), "2026-11-23", "2026-11-29"),
        (TOWNSHIP, "from=2026-11-23&to=2026-11-24".to_owned(), "2026-11-23", "2026-11-24"),
    ] {
        let answer = dashboard.get(&format!("/unit/{unit}/export.csv?{query}"), Some(&leader)).await;
        assert_eq!(answer.status, 200, "{unit} {query}: {}", answer.body);
        assert_eq!(answer.header("content-type"), "text/csv; charset=utf-8");
        assert_eq!(
            answer.header("content-disposition"),
            format!("attachment; filename=\"{unit}-{from}-{to}.csv\"")
        );
        assert_eq!(answer.header("cache-control"), "no-store");
        let body = answer.body.strip_prefix('\u{feff}').expect("the byte-order mark first");
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines[0], CSV_HEADER.join(","));
        let reports = exported(&dashboard, unit, from, to).await;
        assert_eq!(lines.len() - 1, reports.len(), "{unit} {query}: a line per report");
        assert!(!reports.is_empty());
        // Byte for byte what `fengqiao export --format csv` writes of the same reports.
        let mut expected = csv_start(true);
        expected.extend(csv_reports(&reports, &policy, &names_of(unit)));
        assert_eq!(answer.body, String::from_utf8(expected).unwrap(), "{unit} {query}");
    }
    assert!(lines_of(&dashboard, &leader, &format!("/unit/{DISTRICT}/export.csv?week=2026-W40")).await == 1);
    // The overview of the week offers its download.
    let overview = dashboard.get(&format!("/unit/{DISTRICT}?week={WEEK}"), Some(&leader)).await;
    assert!(overview.body.contains(&format!("href=\"/unit/{DISTRICT}/export.csv?week={WEEK}\"")));
    // Bad dates: 400, the node's message.
    for query in [
        "from=2026-13-01&to=2026-11-24",
        "week=2026-W99",
        "from=2026-11-24&to=2026-11-23",
        "week=2026-W48&from=2026-11-23",
    ] {
        let refused = dashboard.get(&format!("/unit/{DISTRICT}/export.csv?{query}"), Some(&leader)).await;
        assert_eq!(refused.status, 400, "{query}: {}", refused.body);
        assert!(refused.body.contains("data-refusal"), "{query}");
        assert!(refused.header("content-type").starts_with("text/html"), "{query}");
    }
    // Another township's admin: refused, before any byte of the file.
    let admin = dashboard.session(OTHER_TOWNSHIP, "wang", Role::Admin).await;
    let own = dashboard.get(&format!("/unit/{OTHER_TOWNSHIP}/export.csv?week={WEEK}"), Some(&admin)).await;
    assert_eq!(own.status, 200, "{}", own.body);
    let other = dashboard.get(&format!("/unit/{TOWNSHIP}/export.csv?week={WEEK}"), Some(&admin)).await;
    assert_eq!(other.status, 403, "{}", other.body);
    assert!(other.body.contains("data-refusal"));
    dashboard.stop().await;
}

/// The lines of a CSV download (the header included).
async fn lines_of(dashboard: &Dashboard, cookie: &str, path: &str) -> usize {
    let answer = dashboard.get(path, Some(cookie)).await;
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    answer.body.lines().count()
}

fengqiao_store::both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    the_ledger_lists_the_subtrees_cases,
    a_leader_acts_from_the_case_page,
    a_viewer_without_the_right_sees_no_form,
    the_missing_page_lists_completeness_missing,
    the_units_page_shows_the_hierarchy_and_finds_units,
    the_wages_page_shows_the_years_figures,
    the_csv_download_is_the_export_of_the_range,
);
