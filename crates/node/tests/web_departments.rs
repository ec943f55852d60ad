//! The dashboard's departments page (`/departments`) against a real root
//! district node without a departments file (so it has the ten standard
//! departments): a case transferred to hrss and resolved shows in hrss's
//! row, which comes first and opens the ledger filtered by the department;
//! the case page names the holding department and the assignment; a bad
//! date and a viewer outside the unit are refused. SQLite and PostgreSQL.

mod web_harness;

use fengqiao_core::identity::Role;
use fengqiao_proto::pb;
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use fengqiao_store::Backend;
use web_harness::*;

async fn act_on(dashboard: &Dashboard, case_id: &str, action: Action) -> pb::Case {
    let mut client =
        pb::case_service_client::CaseServiceClient::connect(dashboard.grpc.clone()).await.unwrap();
    let request = pb::ActOnCaseRequest {
        case_id: case_id.into(),
        actor: "leader-1".into(),
        note: "按计划办理".into(),
        action: Some(action),
        ..Default::default()
    };
    client.act_on_case(request).await.unwrap().into_inner().r#case.unwrap()
}

fn assign() -> Action {
    Action::Assign(act::Assign {
        leader: "张局长".into(),
        responsible: "劳动监察 李".into(),
        plan: "约谈用工单位".into(),
        deadline: String::new(),
    })
}

async fn departments_page(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    let held = dashboard.register_case(DISTRICT).await.case_id;
    act_on(&dashboard, &held, Action::Accept(act::Accept {})).await;
    act_on(
        &dashboard,
        &held,
        Action::TransferToDepartment(act::TransferToDepartment {
            department_id: "410411:hrss".into(),
            reason: "欠薪".into(),
            deadline: String::new(),
        }),
    )
    .await;
    act_on(&dashboard, &held, assign()).await;
    act_on(
        &dashboard,
        &held,
        Action::Resolve(act::Resolve { resolution: "已支付".into(), amount_recovered_cents: 0 }),
    )
    .await;
    let assigned = dashboard.register_case(DISTRICT).await.case_id;
    act_on(&dashboard, &assigned, Action::Accept(act::Accept {})).await;
    act_on(
        &dashboard,
        &assigned,
        Action::AssignToDepartment(act::AssignToDepartment {
            department_id: "410411:housing".into(),
            report_by: "2026-11-30".into(),
        }),
    )
    .await;

    let leader = dashboard.session(DISTRICT, "leader-1", Role::Leader).await;
    let page = dashboard.get("/departments?from=2026-11-23&to=2026-11-27", Some(&leader)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_security_headers();
    let rows = page.attributes("data-department");
    assert_eq!(rows.len(), 10, "the standard departments: {rows:?}");
    assert_eq!(rows[0], "410411:hrss", "the best on-time rate first");
    let figures = page.figures();
    assert_eq!(figures["410411:hrss.transferred_in"], "1");
    assert_eq!(figures["410411:hrss.resolved_on_time"], "1");
    assert_eq!(figures["410411:hrss.on_time_rate"], "100");
    assert_eq!(figures["410411:housing.assigned"], "1");
    assert!(page.body.contains("职能部门") || page.body.contains("Departments"), "{}", page.body);
    assert!(page.body.contains("/unit/410411/cases?department=410411:hrss"));
    // The row's link: the ledger filtered by the department.
    let ledger = dashboard.get("/unit/410411/cases?department=410411:housing", Some(&leader)).await;
    assert_eq!(ledger.status, 200, "{}", ledger.body);
    assert_eq!(ledger.figures()["cases.listed"], "1");
    assert!(ledger.body.contains(&assigned) && !ledger.body.contains(&held));
    // The case page names the holding department and the assignment.
    let case = dashboard.get(&format!("/case/{held}"), Some(&leader)).await;
    assert!(case.body.contains("区人力资源和社会保障局 410411:hrss"), "{}", case.body);
    let case = dashboard.get(&format!("/case/{assigned}"), Some(&leader)).await;
    assert!(case.body.contains("2026-11-30"), "{}", case.body);
    // The leader transfers a case from its page: the form lists the unit's
    // departments; a post without the CSRF token changes nothing.
    let fresh = dashboard.register_case(DISTRICT).await.case_id;
    act_on(&dashboard, &fresh, Action::Accept(act::Accept {})).await;
    let page = dashboard.get(&format!("/case/{fresh}"), Some(&leader)).await;
    let forms = page.attributes("data-action");
    assert!(forms.iter().any(|a| a == "transfer_to_department"), "{forms:?}");
    assert!(forms.iter().any(|a| a == "assign_to_department"), "{forms:?}");
    assert!(page.body.contains("<option value=\"410411:justice\">区司法局</option>"), "{}", page.body);
    let form = |csrf: &str| {
        format!(
            "csrf={csrf}&action=transfer_to_department&expected_sequence=2&department_id=410411%3Ajustice&reason=%E8%BD%AC%E5%8A%9E&deadline=&note="
        )
    };
    let forged = dashboard
        .send(http::Method::POST, &format!("/case/{fresh}/act"), Some(&leader), &[], Some(form("")))
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(dashboard.case(&fresh).await.r#case.unwrap().department_id, "");
    let posted = dashboard
        .send(http::Method::POST, &format!("/case/{fresh}/act"), Some(&leader), &[], Some(form(&page.csrf())))
        .await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    assert_eq!(dashboard.case(&fresh).await.r#case.unwrap().department_id, "410411:justice");
    // Refused: a bad date, and a viewer whose unit is below.
    let bad = dashboard.get("/departments?from=2026-13-01", Some(&leader)).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let township = dashboard.session(TOWNSHIP, "officer-9", Role::Officer).await;
    let refused = dashboard.get("/departments?unit=410411", Some(&township)).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    dashboard.stop().await;
}

fengqiao_store::both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    departments_page,
);
