//! The dashboard's weekly report pages, accountability list and annual
//! report against a real node (the harness of `web.rs`, a root district
//! node, which approves its own weekly report): each page for a leader,
//! its figures `WeeklyStatus`'s, `GetWeeklyReport`'s (the figures frozen
//! at filing), `ListAccountability`'s and `AnnualReport`'s over gRPC; a
//! leader files, and approves, from the pages; a POST without the CSRF
//! token is refused and changes nothing; an officer and an administrator
//! see no review form and a forged post is refused by the service; a
//! leader of another unit is refused the pages and the actions. Runs on
//! SQLite and on PostgreSQL.

mod web_harness;

use chrono::{TimeZone, Utc};
use fengqiao_core::identity::Role;
use fengqiao_proto::pb;
use fengqiao_proto::pb::weekly_service_client::WeeklyServiceClient;
use fengqiao_store::Backend;
use web_harness::*;

async fn post(dashboard: &Dashboard, path: &str, cookie: &str, form: String) -> Answer {
    dashboard.send(http::Method::POST, path, Some(cookie), &[], Some(form)).await
}

async fn weekly_client(dashboard: &Dashboard) -> WeeklyServiceClient<tonic::transport::Channel> {
    WeeklyServiceClient::connect(dashboard.grpc.clone()).await.unwrap()
}

/// `GetWeeklyReport` of the district's week over gRPC.
async fn district_report(dashboard: &Dashboard) -> pb::WeeklyReport {
    let request = pb::GetWeeklyReportRequest { unit_id: DISTRICT.into(), iso_week: WEEK.into() };
    weekly_client(dashboard).await.get_weekly_report(request).await.unwrap().into_inner().report.unwrap()
}

fn state_of(report: &pb::WeeklyReport) -> pb::WeeklyState {
    pb::WeeklyState::try_from(report.state).unwrap()
}

/// The `data-state` of the board's row of `unit`.
fn row_state(page: &Answer, unit: &str) -> String {
    let marker = format!("data-report=\"{unit}\" data-state=\"");
    let rest = page.body.split(&marker).nth(1).unwrap_or_else(|| panic!("no row of {unit}"));
    rest.split('"').next().unwrap().to_owned()
}

async fn a_leader_files_and_approves_the_weekly_report(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    a_week_of_reports(&dashboard).await;
    // Tuesday 2026-12-01, 12:00 in Shanghai: week 48 is over, its report overdue.
    dashboard.clock.set(Utc.with_ymd_and_hms(2026, 12, 1, 4, 0, 0).unwrap());
    let leader = dashboard.session(DISTRICT, "zhang", Role::Leader).await;
    let board_path = format!("/weekly?unit={DISTRICT}&week={WEEK}");
    // The default: the viewer's unit and the last ended week.
    let default = dashboard.get("/weekly", Some(&leader)).await;
    assert_eq!(default.status, 200, "{}", default.body);
    assert_eq!(default.attributes("data-week").first().map(String::as_str), Some(WEEK));
    let board = dashboard.get(&board_path, Some(&leader)).await;
    assert_eq!(board.status, 200, "{}", board.body);
    board.assert_security_headers();
    assert!(!board.body.contains("style=\"") && !board.body.contains("<script>"));
    assert!(board.body.contains(&format!("href=\"/weekly?unit={DISTRICT}\"")), "the nav bar");
    assert_eq!(row_state(&board, DISTRICT), "overdue");
    assert!(board.body.contains("已逾期"));
    let request = pb::WeeklyStatusRequest { unit_id: DISTRICT.into(), iso_week: WEEK.into() };
    let status = weekly_client(&dashboard).await.weekly_status(request).await.unwrap().into_inner();
    let figures = board.figures();
    for (name, value) in [
        ("weekly.children", status.children.len() as u32),
        ("weekly.filed", status.filed),
        ("weekly.approved", status.approved),
        ("weekly.returned", status.returned),
        ("weekly.late", status.late),
        ("weekly.not_filed", status.not_filed),
        ("weekly.held", status.held.len() as u32),
    ] {
        assert_eq!(figures[name], value.to_string(), "{name}");
    }
    assert!(board.attributes("data-action").is_empty(), "nothing filed: nothing to review");

    // The report page offers the leader the file form.
    let report_path = format!("/weekly/report?unit={DISTRICT}&week={WEEK}");
    let page = dashboard.get(&report_path, Some(&leader)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.attributes("data-action"), ["file"]);
    let csrf = page.csrf();
    let file = |csrf: &str| {
        format!(
            "csrf={csrf}&action=file&unit_id={DISTRICT}&week={WEEK}&filing=0&back=%2Fweekly%2Freport%3Funit%3D{DISTRICT}%26week%3D{WEEK}\
             &main_disputes=%E9%82%BB%E9%87%8C%E7%BA%A0%E7%BA%B7&cases=two+open&help_needed=none&next_week_focus=wages"
        )
    };
    let refused = post(&dashboard, "/weekly/act", &leader, file("")).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(district_report(&dashboard).await.filing, 0, "nothing filed");
    let filed = post(&dashboard, "/weekly/act", &leader, file(&csrf)).await;
    assert_eq!(filed.status, 303, "{}", filed.body);
    assert_eq!(filed.header("location"), report_path);
    let report = district_report(&dashboard).await;
    assert_eq!((state_of(&report), report.filing), (pb::WeeklyState::Filed, 1));
    // The document: the figures frozen at filing, the narrative, the signer.
    let frozen = report.history[0].filed.clone().unwrap();
    let summary = fengqiao_core::read::Summary::try_from(frozen.figures.unwrap()).unwrap();
    let page = dashboard.get(&report_path, Some(&leader)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("style=\"") && !page.body.contains("<script>"));
    let shown = page.figures();
    for (name, value) in [
        ("expected", summary.totals.expected),
        ("received", summary.totals.received),
        ("zero_reports", summary.totals.zero_reports),
        ("disputes", summary.totals.disputes),
        ("wage.workers", summary.totals.wage_arrears.workers),
        ("cases.registered", summary.cases.counts.registered as i64),
    ] {
        assert_eq!(shown[name], value.to_string(), "{name}");
    }
    assert_eq!(shown["weekly.filing"], "1");
    assert_eq!(shown["weekly.late"], report.late.to_string());
    assert!(summary.totals.disputes > 0, "the seed's week");
    assert!(page.body.contains("邻里纠纷") && page.body.contains("主要矛盾纠纷及化解情况"));
    assert!(page.body.contains("zhang"), "the signer");
    assert_eq!(page.attributes("data-step"), ["filed"]);
    assert_eq!(page.attributes("data-action"), ["withdraw"]);

    // The board offers the root's leader the review of its own report.
    let board = dashboard.get(&board_path, Some(&leader)).await;
    assert_eq!(row_state(&board, DISTRICT), "filed");
    assert_eq!(board.attributes("data-action"), ["approve", "return"]);
    let approve = |csrf: &str| {
        format!(
            "csrf={csrf}&action=approve&unit_id={DISTRICT}&week={WEEK}&filing=1&back=%2Fweekly%3Funit%3D{DISTRICT}%26week%3D{WEEK}"
        )
    };
    for token in ["", "00ff"] {
        let refused = post(&dashboard, "/weekly/act", &leader, approve(token)).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
    }
    assert_eq!(state_of(&district_report(&dashboard).await), pb::WeeklyState::Filed, "nothing changed");

    // An officer and an administrator of the district: the board, no form;
    // a forged approval refused by the service.
    for (person, role) in [("officer", Role::Officer), ("admin", Role::Admin)] {
        let session = dashboard.session(DISTRICT, person, role).await;
        let page = dashboard.get(&board_path, Some(&session)).await;
        assert_eq!(page.status, 200, "{person}: {}", page.body);
        assert!(page.attributes("data-action").is_empty(), "{person}: no review form");
        let report_page = dashboard.get(&report_path, Some(&session)).await;
        assert!(report_page.attributes("data-action").is_empty(), "{person}: no withdraw form");
        let forged = post(&dashboard, "/weekly/act", &session, approve(&page.csrf())).await;
        assert_eq!(forged.status, 403, "{person}: {}", forged.body);
        assert!(forged.body.contains("data-refusal"));
        assert_eq!(state_of(&district_report(&dashboard).await), pb::WeeklyState::Filed, "{person}");
    }
    // A leader of another unit: refused the pages and the approval.
    let other = dashboard.session(OTHER_TOWNSHIP, "li", Role::Leader).await;
    for path in [&board_path, &report_path] {
        let refused = dashboard.get(path, Some(&other)).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.body);
        assert!(refused.body.contains("data-refusal"));
    }
    let own = dashboard.get(&format!("/weekly?unit={OTHER_TOWNSHIP}&week={WEEK}"), Some(&other)).await;
    assert_eq!(own.status, 200, "{}", own.body);
    let forged = post(&dashboard, "/weekly/act", &other, approve(&own.csrf())).await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(state_of(&district_report(&dashboard).await), pb::WeeklyState::Filed);

    // Approved with the token: back to the board, which offers the unapproval.
    let approved = post(&dashboard, "/weekly/act", &leader, approve(&csrf)).await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(approved.header("location"), board_path);
    assert_eq!(state_of(&district_report(&dashboard).await), pb::WeeklyState::Approved);
    let board = dashboard.get(&board_path, Some(&leader)).await;
    assert_eq!(row_state(&board, DISTRICT), "approved");
    assert!(board.body.contains("已审核通过"));
    assert_eq!(board.attributes("data-action"), ["unapprove"]);
    // The overview keeps the week's figures and shows the approval beside them.
    let overview = dashboard.get(&format!("/unit/{DISTRICT}?week={WEEK}"), Some(&leader)).await;
    assert_eq!(overview.attributes("data-weekly-state"), ["approved"]);
    assert!(!overview.attributes("data-figure").is_empty(), "the figures stay");
    // A stale page's second approval: refused, shown as a refusal.
    let again = post(&dashboard, "/weekly/act", &leader, approve(&csrf)).await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(again.body.contains("data-refusal"));
    let english = dashboard.get(&format!("{board_path}&lang=en"), Some(&leader)).await;
    assert!(english.body.contains("Approved"));
    dashboard.stop().await;
}

async fn the_accountability_and_annual_pages_show_the_services_figures(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    a_week_of_reports(&dashboard).await;
    let leader = dashboard.session(DISTRICT, "zhang", Role::Leader).await;
    let list_path = format!("/accountability?unit={DISTRICT}&year=2026");
    let page = dashboard.get(&list_path, Some(&leader)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_security_headers();
    assert_eq!(page.attributes("data-action"), ["record"]);
    assert_eq!(page.figures()["kind.criticism.actions"], "0");
    let record = |csrf: &str| {
        format!(
            "csrf={csrf}&page_unit={DISTRICT}&unit_id={TOWNSHIP}&kind=criticism&reason=reports+missing&from=2026-11-23&to=2026-11-26"
        )
    };
    let refused = post(&dashboard, "/accountability", &leader, record("")).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let recorded = post(&dashboard, "/accountability", &leader, record(&page.csrf())).await;
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    assert_eq!(recorded.header("location"), list_path);
    let request = pb::ListAccountabilityRequest { unit_id: DISTRICT.into(), year: 2026, kind: 0 };
    let list = weekly_client(&dashboard).await.list_accountability(request).await.unwrap().into_inner();
    assert_eq!(list.actions.len(), 1, "one action, recorded once");
    let action = &list.actions[0];
    let page = dashboard.get(&list_path, Some(&leader)).await;
    assert_eq!(page.attributes("data-accountability"), std::slice::from_ref(&action.action_id));
    let figures = page.figures();
    for count in &list.units_by_kind {
        let kind = match pb::AccountabilityKind::try_from(count.kind).unwrap() {
            pb::AccountabilityKind::Criticism => "criticism",
            pb::AccountabilityKind::Admonition => "admonition",
            _ => "commendation",
        };
        assert_eq!(figures[&format!("kind.{kind}.actions")], count.actions.to_string());
        assert_eq!(figures[&format!("kind.{kind}.units")], count.units.to_string());
    }
    let evidence = action.evidence.clone().unwrap();
    assert_eq!(figures[&format!("action.{}.missing", action.action_id)], evidence.missing_total.to_string());
    assert_eq!(figures[&format!("action.{}.overdue", action.action_id)], evidence.overdue_total.to_string());
    assert!(page.body.contains("通报批评"));
    assert!(page.body.contains(&format!("href=\"/unit/{TOWNSHIP}/missing?date=2026-11-26\"")));
    // An officer sees the list, no form; another township's admin is refused it.
    let officer = dashboard.session(DISTRICT, "officer", Role::Officer).await;
    let seen = dashboard.get(&list_path, Some(&officer)).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert!(seen.attributes("data-action").is_empty());
    let admin = dashboard.session(OTHER_TOWNSHIP, "wang", Role::Admin).await;
    let other = dashboard.get(&format!("/accountability?unit={TOWNSHIP}&year=2026"), Some(&admin)).await;
    assert_eq!(other.status, 403, "{}", other.body);

    // The annual report: AnnualReport's figures.
    let annual_path = format!("/annual?unit={DISTRICT}&year=2026");
    let page = dashboard.get(&annual_path, Some(&leader)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_security_headers();
    assert!(!page.body.contains("style=\"") && !page.body.contains("<script>"));
    assert_eq!(page.attributes("data-chart").len(), 2, "two charts, data in attributes");
    let request = pb::AnnualReportRequest { unit_id: DISTRICT.into(), year: 2026 };
    let annual = weekly_client(&dashboard).await.annual_report(request).await.unwrap().into_inner();
    let summary = fengqiao_core::read::Summary::try_from(annual.summary.clone().unwrap()).unwrap();
    let weekly = annual.weekly.unwrap();
    let figures = page.figures();
    for (name, value) in [
        ("expected", summary.totals.expected),
        ("received", summary.totals.received),
        ("zero_reports", summary.totals.zero_reports),
        ("disputes", summary.totals.disputes),
        ("wage.employers", summary.totals.wage_arrears.employers),
        ("wage.resolved", summary.totals.wage_arrears.resolved),
        ("wage.workers", summary.totals.wage_arrears.workers),
        ("wage.amount_claimed_cents", summary.totals.wage_arrears.amount_claimed_cents),
        ("cases.registered", summary.cases.counts.registered as i64),
        ("cases.repeat_petitions", summary.cases.counts.repeat_petitions as i64),
        ("cases.visits", summary.cases.counts.visits as i64),
        ("weekly.due", i64::from(weekly.due)),
        ("weekly.filed", i64::from(weekly.filed)),
        ("supervisions", i64::from(annual.supervisions)),
        ("accountability.criticism", 1),
    ] {
        assert_eq!(figures[name], value.to_string(), "{name}");
    }
    assert!(summary.totals.disputes > 0);
    for (category, n) in &summary.totals.by_category {
        assert_eq!(figures[&format!("category.{}", category.as_str())], n.to_string());
    }
    assert!(
        page.body.contains(&format!("href=\"/accountability?unit={DISTRICT}&#38;year=2026\""))
            || page.body.contains(&format!("href=\"/accountability?unit={DISTRICT}&amp;year=2026\"")),
        "the accountability actions' drill-down"
    );
    let english = dashboard.get(&format!("{annual_path}&lang=en"), Some(&leader)).await;
    assert!(english.body.contains("Duty reception"));
    let other = dashboard.session(OTHER_TOWNSHIP, "li", Role::Leader).await;
    let refused = dashboard.get(&annual_path, Some(&other)).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let bad = dashboard.get(&format!("/annual?unit={DISTRICT}&year=2099"), Some(&leader)).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    dashboard.stop().await;
}

fengqiao_store::both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    a_leader_files_and_approves_the_weekly_report,
    the_accountability_and_annual_pages_show_the_services_figures,
);
