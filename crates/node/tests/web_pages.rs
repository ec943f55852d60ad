//! The dashboard's ledger, case and missing pages against a real node (the
//! harness of `web.rs`): each page for an allowed viewer and refused to one
//! outside the subtree; a leader acting from the case page (with the CSRF
//! token the event is in the log; without it 403 and nothing changed; a
//! stale page ABORTED); an auditor sees no form and a forged post is
//! refused by `ActOnCase`'s own rules; the missing page lists exactly
//! `Completeness.missing`. Runs on SQLite and on PostgreSQL.

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

fengqiao_store::both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    the_ledger_lists_the_subtrees_cases,
    a_leader_acts_from_the_case_page,
    a_viewer_without_the_right_sees_no_form,
    the_missing_page_lists_completeness_missing,
    the_units_page_shows_the_hierarchy_and_finds_units,
);
