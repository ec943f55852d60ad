//! The dashboard's leaders page (`/leaders`, 领导包片包案) against a real
//! node (the harness of `web.rs`): for a district leader, each leader with
//! a duty in the range, their township with its figures (the
//! `LeaderFigures` answer's over gRPC) and the cases they lead; a
//! township's leader is refused; a bad date is refused. Runs on SQLite and
//! on PostgreSQL.

mod web_harness;

use fengqiao_core::identity::Role;
use fengqiao_proto::pb;
use fengqiao_proto::pb::contact_service_client::ContactServiceClient;
use fengqiao_store::Backend;
use web_harness::*;

async fn the_leaders_page_shows_duties_and_figures(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    let mut contacts = ContactServiceClient::connect(dashboard.grpc.clone()).await.unwrap();
    let duty = pb::ContactDuty {
        duty_id: "duty-1".into(),
        leader: "lead-zhang".into(),
        unit_id: TOWNSHIP.into(),
        from: "2026-11-01".into(),
        ..Default::default()
    };
    contacts.set_contact_duty(pb::SetContactDutyRequest { duty: Some(duty) }).await.unwrap();
    // A case at the township that lead-zhang leads.
    let case = dashboard.register_case(TOWNSHIP).await;
    let mut cases =
        pb::case_service_client::CaseServiceClient::connect(dashboard.grpc.clone()).await.unwrap();
    for action in [
        pb::act_on_case_request::Action::Accept(pb::act_on_case_request::Accept {}),
        pb::act_on_case_request::Action::Assign(pb::act_on_case_request::Assign {
            leader: "lead-zhang".into(),
            responsible: "司法所 李".into(),
            plan: "measure the plot".into(),
            deadline: String::new(),
        }),
    ] {
        let request = pb::ActOnCaseRequest {
            case_id: case.case_id.clone(),
            actor: "leader-1".into(),
            action: Some(action),
            ..Default::default()
        };
        cases.act_on_case(request).await.unwrap();
    }
    let request = pb::LeaderFiguresRequest {
        leader: "lead-zhang".into(),
        from: "2026-11-01".into(),
        to: "2026-11-27".into(),
    };
    let figures = contacts.leader_figures(request).await.unwrap().into_inner();
    assert_eq!(figures.cases_led, 1);
    let township = figures.areas[0].summary.as_ref().unwrap().cases.unwrap();
    assert_eq!(township.registered, 1);

    let leader = dashboard.session(DISTRICT, "zhang", Role::Leader).await;
    let page = dashboard.get("/leaders?from=2026-11-01&to=2026-11-27", Some(&leader)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_security_headers();
    assert!(page.body.contains("领导包片包案"), "Chinese by default");
    assert_eq!(page.attributes("data-leader"), ["lead-zhang"]);
    assert!(page.body.contains("马庄街道"));
    let shown = page.figures();
    assert_eq!(shown["leader.lead-zhang.led"], figures.cases_led.to_string());
    assert_eq!(shown["leader.lead-zhang.overdue"], figures.cases_overdue.to_string());
    assert_eq!(shown["duty.duty-1.registered"], township.registered.to_string());
    assert_eq!(shown["duty.duty-1.closed"], township.closed.to_string());
    // The default range (the last 30 days) holds the duty too; the nav links here.
    let default = dashboard.get("/leaders", Some(&leader)).await;
    assert_eq!(default.attributes("data-leader"), ["lead-zhang"]);
    assert!(default.body.contains("href=\"/leaders\""), "the nav bar");
    // Before the duty: nobody.
    let before = dashboard.get("/leaders?from=2026-10-01&to=2026-10-31", Some(&leader)).await;
    assert_eq!(before.status, 200);
    assert!(before.attributes("data-leader").is_empty());

    let township_leader = dashboard.session(TOWNSHIP, "wang", Role::Leader).await;
    let refused = dashboard.get("/leaders", Some(&township_leader)).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(!refused.body.contains("lead-zhang"));
    let bad = dashboard.get("/leaders?from=11/01", Some(&leader)).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    dashboard.stop().await;
}

fengqiao_store::both_backends!(the_leaders_page_shows_duties_and_figures);
