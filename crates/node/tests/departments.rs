//! Departments (职能部门) over mTLS, on both backends: a district node
//! (410411) with its departments file and a township child node
//! (410411001), which learns its own department from the district's tree
//! snapshot. A case is transferred (转办) to the district's hrss department
//! and worked and closed by its people's certificates; another is assigned
//! (交办) to housing, whose report-by date lapses; DepartmentFigures counts
//! both, ListCases filters by department, and a department's people see and
//! do only their department's work. Bad inputs change nothing.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use common::{Running, expect_code, fast, poll};
use fengqiao_core::department::{DepartmentId, Departments};
use fengqiao_core::identity::{Identity, Role};
use fengqiao_core::{ManualClock, TimePolicy, UnitId};
use fengqiao_node::pki::{self, CertifiedKey};
use fengqiao_node::tls::connect_endpoint;
use fengqiao_node::{ChildNodes, NodeConfig, TlsMaterial, Transport};
use fengqiao_proto::pb;
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::department_service_client::DepartmentServiceClient;
use fengqiao_store::Backend;
use tonic::Code;
use tonic::transport::Channel;

const DISTRICT: &str = "410411";
const TOWNSHIP: &str = "410411001";
/// Served by the district node itself.
const TOWNSHIP_B: &str = "410411002";

const TREE: &str = "code,parent_code,tier,name,reporting,active_from,active_to\n\
    410411,,district,湛河区,false,,\n\
    410411001,410411,township,马庄街道,false,,\n\
    410411001001,410411001,community,电力社区,true,,\n\
    410411002,410411,township,南环路街道,false,,\n\
    410411002001,410411002,community,姚孟村,true,,\n";

const HRSS: &str = "410411:hrss";
const HOUSING: &str = "410411:housing";
const TOWNSHIP_CENTRE: &str = "410411001:governance";

fn departments_file() -> Departments {
    Departments::from_csv(
        "unit_id,code,name,five_in_one,from,until\n\
         410411,hrss,区人力资源和社会保障局,false,2024-01-01,\n\
         410411,housing,区住房和城乡建设局,false,2024-01-01,\n\
         410411,market,区市场监督管理局,false,2024-01-01,2024-02-29\n\
         410411001,governance,马庄街道综治中心,true,2024-01-01,\n",
    )
    .unwrap()
}

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, n).unwrap()
}

fn local(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    TimePolicy::default().at_local(date.and_hms_opt(hour, 0, 0).unwrap())
}

fn unit(id: &str) -> UnitId {
    UnitId::parse(id).unwrap()
}

fn transport(ca: &CertifiedKey, identity: &Identity) -> Transport {
    let leaf = pki::issue(ca, identity, &[], 2).unwrap();
    Transport::Tls(Arc::new(TlsMaterial::from_pem(&ca.cert_pem, &leaf.cert_pem, &leaf.key_pem).unwrap()))
}

struct Net {
    ca: CertifiedKey,
    clock: Arc<ManualClock>,
    district: Running,
    township: Running,
}

impl Net {
    async fn start(backend: Backend) -> Net {
        let ca = pki::new_ca(2).unwrap();
        let clock = Arc::new(ManualClock::new(local(day(4), 9)));
        let base = |id: &str| NodeConfig {
            transport: transport(&ca, &Identity::Node { unit: unit(id) }),
            reporting_start: Some(day(1)),
            forwarder: fast(),
            ..NodeConfig::new(id)
        };
        let district_config = NodeConfig {
            child_nodes: ChildNodes::Units(vec![TOWNSHIP.into()]),
            departments: Some(departments_file()),
            ..base(DISTRICT)
        };
        let district =
            Running::start_with_clock(TREE, DISTRICT, backend, district_config, None, clock.clone()).await;
        let township_config = NodeConfig { parent: Some(district.url()), ..base(TOWNSHIP) };
        let township =
            Running::start_with_clock(TREE, TOWNSHIP, backend, township_config, None, clock.clone()).await;
        Net { ca, clock, district, township }
    }

    fn channel(&self, node: &Running, identity: Identity) -> Channel {
        connect_endpoint(&node.url(), &transport(&self.ca, &identity)).unwrap().connect_lazy()
    }

    fn person(&self, node: &Running, at_unit: &str, role: Role) -> Channel {
        self.channel(node, Identity::person(&format!("{role}-{at_unit}"), unit(at_unit), role).unwrap())
    }

    fn dept(&self, department: &str, role: Role) -> Channel {
        let id = DepartmentId::parse(department).unwrap();
        let person = format!("{role}-{}", id.code);
        self.channel(&self.district, Identity::department_person(&person, id, role).unwrap())
    }

    fn cases(&self, channel: Channel) -> CaseServiceClient<Channel> {
        CaseServiceClient::new(channel)
    }

    async fn cleanup(self) {
        for mut node in [self.township, self.district] {
            node.halt().await;
            node.db.cleanup().await;
        }
    }
}

fn petitioner() -> pb::Petitioner {
    pb::Petitioner {
        name: "测试甲某".into(),
        phone: "139 0000 0000".into(),
        id_number: "11010519491231002X".into(),
    }
}

async fn register(cases: &mut CaseServiceClient<Channel>, origin: &str, summary: &str) -> String {
    let request = pb::RegisterCaseRequest {
        intake: Some(pb::CaseIntake {
            origin_unit_id: origin.into(),
            category: pb::DisputeCategory::WageArrears.into(),
            channel: pb::CaseChannel::Letter.into(),
            summary: summary.into(),
            ..Default::default()
        }),
        petitioner: Some(petitioner()),
        ..Default::default()
    };
    cases.register_case(request).await.unwrap().into_inner().r#case.unwrap().case_id
}

async fn act_on(
    cases: &mut CaseServiceClient<Channel>,
    id: &str,
    action: Action,
) -> Result<pb::Case, tonic::Status> {
    let request = pb::ActOnCaseRequest {
        case_id: id.into(),
        action: Some(action),
        note: "按计划办理".into(),
        ..Default::default()
    };
    Ok(cases.act_on_case(request).await?.into_inner().r#case.unwrap())
}

fn assign() -> Action {
    Action::Assign(act::Assign {
        leader: "张局长".into(),
        responsible: "劳动监察大队 李".into(),
        plan: "约谈用工单位".into(),
        deadline: String::new(),
    })
}

fn transfer(department: &str) -> Action {
    Action::TransferToDepartment(act::TransferToDepartment {
        department_id: department.into(),
        reason: "欠薪由人社部门处理".into(),
        deadline: String::new(),
    })
}

fn assign_dept(department: &str, report_by: NaiveDate) -> Action {
    Action::AssignToDepartment(act::AssignToDepartment {
        department_id: department.into(),
        report_by: report_by.to_string(),
    })
}

fn report_back(department: &str) -> Action {
    Action::ReportBack(act::ReportBack {
        report: "已核实工程款拨付情况".into(),
        department_id: department.into(),
    })
}

async fn get(
    cases: &mut CaseServiceClient<Channel>,
    id: &str,
    with_petitioner: bool,
) -> Result<pb::GetCaseResponse, tonic::Status> {
    let request = pb::GetCaseRequest { case_id: id.into(), with_petitioner, ..Default::default() };
    cases.get_case(request).await.map(tonic::Response::into_inner)
}

async fn listed(
    cases: &mut CaseServiceClient<Channel>,
    department: &str,
) -> Result<Vec<String>, tonic::Status> {
    let request = pb::ListCasesRequest {
        unit_id: DISTRICT.into(),
        department_id: department.into(),
        ..Default::default()
    };
    let answer = cases.list_cases(request).await?.into_inner();
    Ok(answer.cases.into_iter().map(|c| c.case_id).collect())
}

async fn figures(
    client: &mut DepartmentServiceClient<Channel>,
    from: NaiveDate,
    to: NaiveDate,
) -> pb::DepartmentFiguresResponse {
    let request =
        pb::DepartmentFiguresRequest { unit_id: DISTRICT.into(), from: from.to_string(), to: to.to_string() };
    client.department_figures(request).await.unwrap().into_inner()
}

fn row<'a>(answer: &'a pb::DepartmentFiguresResponse, department: &str) -> &'a pb::DepartmentRow {
    answer
        .rows
        .iter()
        .find(|r| r.department.as_ref().unwrap().department_id == department)
        .unwrap_or_else(|| panic!("no row for {department}: {answer:?}"))
}

fn counts(answer: &pb::DepartmentFiguresResponse, department: &str) -> pb::DepartmentCaseFigures {
    row(answer, department).figures.unwrap()
}

async fn transferred_worked_closed_and_counted(backend: Backend) {
    let net = Net::start(backend).await;
    let mut leader = net.cases(net.person(&net.district, DISTRICT, Role::Leader));
    let mut hrss_officer = net.cases(net.dept(HRSS, Role::Officer));
    let mut hrss_leader = net.cases(net.dept(HRSS, Role::Leader));

    // The departments the file gives, on a day: market ended in February.
    let mut departments = DepartmentServiceClient::new(net.person(&net.district, DISTRICT, Role::Officer));
    let listed_today = departments
        .list_departments(pb::ListDepartmentsRequest { unit_id: DISTRICT.into(), on: String::new() })
        .await
        .unwrap()
        .into_inner();
    let codes: Vec<_> = listed_today.departments.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["housing", "hrss"]);
    let in_february = departments
        .list_departments(pb::ListDepartmentsRequest { unit_id: DISTRICT.into(), on: "2024-02-01".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(in_february.departments.len(), 3);

    let id = register(&mut leader, DISTRICT, "某工地拖欠 12 名农民工工资").await;
    act_on(&mut leader, &id, Action::Accept(act::Accept {})).await.unwrap();

    // Bad inputs change nothing: an unknown department, one of another
    // unit, a department that no longer exists.
    let before = get(&mut leader, &id, false).await.unwrap().r#case.unwrap();
    let unknown = expect_code(act_on(&mut leader, &id, transfer("410411:nope")).await, Code::NotFound);
    assert!(unknown.message().contains("410411:nope"), "{}", unknown.message());
    expect_code(act_on(&mut leader, &id, transfer("410411:market")).await, Code::NotFound);
    let other_unit =
        expect_code(act_on(&mut leader, &id, transfer(TOWNSHIP_CENTRE)).await, Code::InvalidArgument);
    assert!(other_unit.message().contains("department_id"), "{}", other_unit.message());
    expect_code(act_on(&mut leader, &id, transfer("hrss")).await, Code::InvalidArgument);
    expect_code(act_on(&mut leader, &id, assign_dept("410411:nope", day(6))).await, Code::NotFound);
    assert_eq!(get(&mut leader, &id, false).await.unwrap().r#case.unwrap(), before);
    // Before the transfer the department sees nothing of the case.
    expect_code(get(&mut hrss_officer, &id, false).await, Code::PermissionDenied);

    let transferred = act_on(&mut leader, &id, transfer(HRSS)).await.unwrap();
    assert_eq!(transferred.department_id, HRSS);
    // A department's people never transfer, escalate or accept.
    expect_code(act_on(&mut hrss_leader, &id, transfer(HOUSING)).await, Code::PermissionDenied);
    expect_code(
        act_on(&mut hrss_leader, &id, Action::Escalate(act::Escalate { reason: "x".into() })).await,
        Code::PermissionDenied,
    );
    // The department's leader assigns, its officer works and closes; as the
    // case's workers they see the petitioner.
    act_on(&mut hrss_leader, &id, assign()).await.unwrap();
    expect_code(act_on(&mut hrss_officer, &id, assign()).await, Code::PermissionDenied);
    let seen = get(&mut hrss_officer, &id, true).await.unwrap();
    assert_eq!(seen.petitioner.unwrap().name, "测试甲某");
    act_on(&mut hrss_officer, &id, Action::Progress(act::Progress {})).await.unwrap();
    // The unit's leader keeps full rights on the department's case.
    act_on(&mut leader, &id, Action::Extend(act::Extend { days: 5, reason: "需核算工程量".into() }))
        .await
        .unwrap();
    act_on(
        &mut hrss_officer,
        &id,
        Action::Resolve(act::Resolve {
            resolution: "用工单位已足额支付".into(),
            amount_recovered_cents: 1_200_000,
        }),
    )
    .await
    .unwrap();
    let closed = act_on(
        &mut hrss_officer,
        &id,
        Action::Close(act::Close { satisfaction: pb::Satisfaction::Satisfied.into() }),
    )
    .await
    .unwrap();
    assert_eq!(closed.status, pb::CaseStatus::Closed as i32);

    // Another case of the unit, assigned to housing, and one of township B.
    let other = register(&mut leader, DISTRICT, "小区电梯加装纠纷").await;
    act_on(&mut leader, &other, Action::Accept(act::Accept {})).await.unwrap();
    act_on(&mut leader, &other, assign_dept(HOUSING, day(6))).await.unwrap();
    let below = register(&mut leader, TOWNSHIP_B, "宅基地边界纠纷").await;
    for case in [&other, &below] {
        expect_code(get(&mut hrss_officer, case, false).await, Code::PermissionDenied);
    }
    // The department's listing is forced to it, and it may not list another's.
    assert_eq!(listed(&mut hrss_officer, "").await.unwrap(), [id.as_str()]);
    assert_eq!(listed(&mut hrss_officer, HRSS).await.unwrap(), [id.as_str()]);
    expect_code(listed(&mut hrss_officer, HOUSING).await, Code::PermissionDenied);
    assert_eq!(listed(&mut leader, HOUSING).await.unwrap(), [other.as_str()]);
    expect_code(listed(&mut leader, "housing").await, Code::InvalidArgument);
    // Nor any other RPC of the unit.
    let mut summaries = pb::summary_service_client::SummaryServiceClient::new(net.dept(HRSS, Role::Leader));
    expect_code(
        summaries
            .period_summary(pb::PeriodSummaryRequest {
                unit_id: DISTRICT.into(),
                from_date: day(1).to_string(),
                to_date: day(4).to_string(),
            })
            .await,
        Code::PermissionDenied,
    );

    let answer = figures(&mut departments, day(4), day(4)).await;
    let hrss = counts(&answer, HRSS);
    assert_eq!((hrss.transferred_in, hrss.resolved, hrss.resolved_on_time, hrss.held_open), (1, 1, 1, 0));
    assert_eq!(hrss.on_time_rate, 100.0);
    assert_eq!(row(&answer, HRSS).rank, 1);
    let housing = counts(&answer, HOUSING);
    assert_eq!((housing.assigned, housing.reported, housing.report_overdue), (1, 0, 0));
    // The slowest last: housing has nothing resolved or reported yet.
    assert_eq!(answer.rows.last().unwrap().department.as_ref().unwrap().department_id, HOUSING);
    let total = answer.total.unwrap();
    assert_eq!((total.transferred_in, total.resolved, total.assigned), (1, 1, 1));
    // A department's person sees only their own row.
    let mut own = DepartmentServiceClient::new(net.dept(HRSS, Role::Officer));
    let mine = figures(&mut own, day(4), day(4)).await;
    assert_eq!(mine.rows.len(), 1);
    assert_eq!(mine.total.unwrap().resolved, 1);
    expect_code(
        own.department_figures(pb::DepartmentFiguresRequest {
            unit_id: DISTRICT.into(),
            from: day(5).to_string(),
            to: day(4).to_string(),
        })
        .await,
        Code::InvalidArgument,
    );

    // The township node learns its own department from the district.
    let township = DepartmentServiceClient::new(net.person(&net.township, TOWNSHIP, Role::Leader));
    let known = poll(Duration::from_secs(20), || async {
        let answer = township
            .clone()
            .list_departments(pb::ListDepartmentsRequest { unit_id: TOWNSHIP.into(), on: String::new() })
            .await
            .ok()?
            .into_inner();
        (!answer.departments.is_empty()).then_some(answer)
    })
    .await;
    assert_eq!(known.departments[0].department_id, TOWNSHIP_CENTRE);
    assert_eq!(known.departments[0].name, "马庄街道综治中心");

    net.cleanup().await;
}

async fn an_assignment_lapses_and_is_reported_late(backend: Backend) {
    let net = Net::start(backend).await;
    let mut leader = net.cases(net.person(&net.district, DISTRICT, Role::Leader));
    let mut housing_officer = net.cases(net.dept(HOUSING, Role::Officer));
    let mut hrss_officer = net.cases(net.dept(HRSS, Role::Officer));
    let mut figures_client = DepartmentServiceClient::new(net.person(&net.district, DISTRICT, Role::Leader));

    let id = register(&mut leader, DISTRICT, "小区电梯加装纠纷").await;
    act_on(&mut leader, &id, Action::Accept(act::Accept {})).await.unwrap();
    act_on(&mut leader, &id, assign()).await.unwrap();
    act_on(&mut leader, &id, assign_dept(HOUSING, day(6))).await.unwrap();
    expect_code(act_on(&mut leader, &id, assign_dept(HOUSING, day(6))).await, Code::FailedPrecondition);

    // An assigned department reads the case but not the petitioner, and
    // does not work it; another department reads nothing.
    let seen = get(&mut housing_officer, &id, false).await.unwrap();
    assert_eq!(seen.r#case.unwrap().department_tasks.len(), 1);
    expect_code(get(&mut housing_officer, &id, true).await, Code::PermissionDenied);
    expect_code(
        act_on(&mut housing_officer, &id, Action::Progress(act::Progress {})).await,
        Code::PermissionDenied,
    );
    expect_code(get(&mut hrss_officer, &id, false).await, Code::PermissionDenied);
    expect_code(act_on(&mut hrss_officer, &id, report_back(HRSS)).await, Code::PermissionDenied);

    // Past its report-by date, unreported: overdue at the end of the range.
    net.clock.set(local(day(8), 10));
    let answer = figures(&mut figures_client, day(4), day(8)).await;
    let housing = counts(&answer, HOUSING);
    assert_eq!((housing.assigned, housing.reported, housing.report_overdue), (1, 0, 1));
    assert_eq!(listed(&mut leader, HOUSING).await.unwrap(), [id.as_str()]);
    // Not yet lapsed at the end of an earlier range.
    assert_eq!(counts(&figures(&mut figures_client, day(4), day(6)).await, HOUSING).report_overdue, 0);

    // The department reports for itself only; an empty id is its own.
    expect_code(act_on(&mut housing_officer, &id, report_back(HRSS)).await, Code::PermissionDenied);
    let reported = act_on(&mut housing_officer, &id, report_back("")).await.unwrap();
    let task = &reported.department_tasks[0];
    assert_eq!(task.department_id, HOUSING);
    assert!(!task.reported_on.is_empty());
    let answer = figures(&mut figures_client, day(4), day(8)).await;
    let housing = counts(&answer, HOUSING);
    assert_eq!((housing.reported, housing.reported_on_time, housing.report_overdue), (1, 0, 0));
    assert_eq!(housing.on_time_rate, 0.0);
    // Still listed under the department that reported on it.
    assert_eq!(listed(&mut housing_officer, "").await.unwrap(), [id.as_str()]);

    net.cleanup().await;
}

fengqiao_store::both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    transferred_worked_closed_and_counted,
    an_assignment_lapses_and_is_reported_late,
);
