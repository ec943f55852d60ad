//! Leaders' contact duties (包片/包案), key projects and special working
//! groups (专门工作组), through the real handlers in-process with verified
//! callers, on both backends: duties are set, listed and ended, an overlap
//! and bad input are refused and change nothing; a leader's figures are
//! their township's summary, their project's cases and the cases they lead
//! with on-time closure; the contact leader of a township supervises its
//! cases; a working group's people read the case (others do not), and the
//! case counts once.
//!
//! ```text
//! D ─┬─ T1 ─┬─ C11
//!    │      └─ C12
//!    └─ T2 ─── C21
//! ```

use std::sync::Arc;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use fengqiao_core::identity::{Identity, Role};
use fengqiao_core::{ManualClock, UnitId, UnitTree};
use fengqiao_node::caller::Caller;
use fengqiao_node::cases::Cases;
use fengqiao_node::contacts::Contacts;
use fengqiao_node::summary::Summaries;
use fengqiao_node::{Node, NodeConfig};
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use fengqiao_proto::pb::case_service_server::CaseService;
use fengqiao_proto::pb::contact_service_server::ContactService;
use fengqiao_proto::pb::summary_service_server::SummaryService;
use fengqiao_proto::pb::{self, CaseChannel, DisputeCategory, Satisfaction};
use fengqiao_store::Backend;
use fengqiao_store::testing::TestDb;
use tonic::Code;

const TREE: &str = "code,parent_code,tier,name\n\
    D,,district,湛河区\n\
    T1,D,township,姚孟街道\n\
    T2,D,township,曹镇乡\n\
    C11,T1,community,电力社区\n\
    C12,T1,community,姚孟社区\n\
    C21,T2,community,曹镇村\n";

struct Fixture {
    node: Node,
    clock: Arc<ManualClock>,
    _db: TestDb,
}

/// 2026-11-10 11:00 in Beijing.
fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 10, 3, 0, 0).unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

async fn fixture(backend: Backend) -> Fixture {
    let db = TestDb::new(backend).await;
    let clock = Arc::new(ManualClock::new(start_time()));
    let tree = UnitTree::from_csv(TREE).unwrap();
    let node =
        Node::start(NodeConfig::new("D"), &tree, db.open().await.unwrap(), clock.clone()).await.unwrap();
    Fixture { node, clock, _db: db }
}

/// The person id of a wire actor.
fn person_id(actor: Option<&pb::Actor>) -> &str {
    match actor.and_then(|a| a.kind.as_ref()) {
        Some(pb::actor::Kind::Person(person)) => &person.person_id,
        other => panic!("not a person: {other:?}"),
    }
}

fn person(id: &str, unit: &str, role: Role) -> Caller {
    Caller::Verified(Identity::person(id, UnitId::parse(unit).unwrap(), role).unwrap())
}

fn request<T>(caller: &Caller, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.extensions_mut().insert(caller.clone());
    request
}

fn duty(
    id: &str,
    leader: &str,
    unit: &str,
    project: &str,
    from: NaiveDate,
    until: Option<NaiveDate>,
) -> pb::ContactDuty {
    pb::ContactDuty {
        duty_id: id.into(),
        leader: leader.into(),
        unit_id: unit.into(),
        project_id: project.into(),
        from: from.to_string(),
        until: until.map(|d| d.to_string()).unwrap_or_default(),
        set_by: None,
    }
}

impl Fixture {
    fn contacts(&self) -> Contacts {
        Contacts::new(self.node.clone())
    }

    fn cases(&self) -> Cases {
        Cases::new(self.node.clone())
    }

    async fn set_duty(
        &self,
        caller: &Caller,
        duty: pb::ContactDuty,
    ) -> Result<pb::ContactDuty, tonic::Status> {
        let message = pb::SetContactDutyRequest { duty: Some(duty) };
        Ok(self.contacts().set_contact_duty(request(caller, message)).await?.into_inner().duty.unwrap())
    }

    async fn set_project(&self, caller: &Caller, id: &str, unit: &str) -> Result<bool, tonic::Status> {
        let project = pb::Project {
            project_id: id.into(),
            name: "城东安置房七标段".into(),
            unit_id: unit.into(),
            kind: "construction".into(),
            from: day(1).to_string(),
            until: String::new(),
        };
        let message = pb::SetProjectRequest { project: Some(project) };
        Ok(self.contacts().set_project(request(caller, message)).await?.into_inner().created)
    }

    async fn duties(&self, leader: &str, unit: &str, on: &str) -> Vec<pb::ContactDuty> {
        let message =
            pb::ListContactDutiesRequest { leader: leader.into(), unit_id: unit.into(), on: on.into() };
        let caller = person("auditor-1", "D", Role::Auditor);
        self.contacts().list_contact_duties(request(&caller, message)).await.unwrap().into_inner().duties
    }

    /// A case registered at `unit` by the local operator (with `project`).
    async fn register(&self, unit: &str, project: &str) -> String {
        let message = pb::RegisterCaseRequest {
            intake: Some(pb::CaseIntake {
                origin_unit_id: unit.into(),
                category: DisputeCategory::WageArrears.into(),
                channel: CaseChannel::Letter.into(),
                summary: "wages of the site's crew unpaid since September".into(),
                workers: 12,
                amount_claimed_cents: 36_000_000,
                project_id: project.into(),
                ..Default::default()
            }),
            petitioner: Some(pb::Petitioner {
                name: "测试甲某".into(),
                phone: "139 0000 0000".into(),
                id_number: "11010519491231002X".into(),
            }),
            actor: "officer-1".into(),
            ..Default::default()
        };
        let answer =
            self.cases().register_case(request(&Caller::Insecure, message)).await.expect("registered");
        answer.into_inner().r#case.unwrap().case_id
    }

    async fn act(&self, caller: &Caller, id: &str, action: Action) -> Result<pb::Case, tonic::Status> {
        let actor = match caller {
            Caller::Insecure => "leader-1".to_owned(),
            Caller::Verified(_) => String::new(),
        };
        let message = pb::ActOnCaseRequest {
            case_id: id.into(),
            actor,
            note: "as planned".into(),
            action: Some(action),
            ..Default::default()
        };
        Ok(self.cases().act_on_case(request(caller, message)).await?.into_inner().r#case.unwrap())
    }

    /// Accepts `id` and assigns it to `leader` with `deadline`.
    async fn accept_and_assign(&self, id: &str, leader: &str, deadline: NaiveDate) {
        self.act(&Caller::Insecure, id, Action::Accept(act::Accept {})).await.unwrap();
        let assign = Action::Assign(act::Assign {
            leader: leader.into(),
            responsible: "劳动保障所 李".into(),
            plan: "call the contractor in".into(),
            deadline: deadline.to_string(),
        });
        self.act(&Caller::Insecure, id, assign).await.unwrap();
    }

    async fn close(&self, id: &str) {
        let resolve =
            Action::Resolve(act::Resolve { resolution: "wages paid".into(), amount_recovered_cents: 0 });
        self.act(&Caller::Insecure, id, resolve).await.unwrap();
        let close = Action::Close(act::Close { satisfaction: Satisfaction::Satisfied.into() });
        self.act(&Caller::Insecure, id, close).await.unwrap();
    }

    async fn leader_figures(
        &self,
        leader: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> pb::LeaderFiguresResponse {
        let message =
            pb::LeaderFiguresRequest { leader: leader.into(), from: from.to_string(), to: to.to_string() };
        let caller = person("leader-d", "D", Role::Leader);
        self.contacts().leader_figures(request(&caller, message)).await.unwrap().into_inner()
    }

    async fn period_summary(&self, unit: &str, from: NaiveDate, to: NaiveDate) -> pb::Summary {
        let message = pb::PeriodSummaryRequest {
            unit_id: unit.into(),
            from_date: from.to_string(),
            to_date: to.to_string(),
        };
        let caller = person("leader-d", "D", Role::Leader);
        let summaries = Summaries::new(self.node.clone());
        summaries.period_summary(request(&caller, message)).await.unwrap().into_inner().summary.unwrap()
    }

    async fn get_case(
        &self,
        caller: &Caller,
        id: &str,
        with_petitioner: bool,
    ) -> Result<pb::GetCaseResponse, tonic::Status> {
        let message = pb::GetCaseRequest { case_id: id.into(), with_petitioner, ..Default::default() };
        Ok(self.cases().get_case(request(caller, message)).await?.into_inner())
    }

    async fn list_ids(&self, caller: &Caller, message: pb::ListCasesRequest) -> Vec<String> {
        let answer = self.cases().list_cases(request(caller, message)).await.unwrap().into_inner();
        answer.cases.into_iter().map(|c| c.case_id).collect()
    }

    /// What a set could change: the stored duties and projects, and the audit log's length.
    async fn state(&self) -> String {
        let store = self.node.store();
        format!(
            "duties {:?}\nprojects {:?}\naudit {:?}",
            store.contact_duties(None, None).await.unwrap(),
            store.projects().await.unwrap(),
            store.audit_head().await.unwrap().map(|e| e.seq)
        )
    }
}

async fn duties_are_set_listed_and_ended(backend: Backend) {
    let f = fixture(backend).await;
    let admin = person("admin-1", "D", Role::Admin);
    let district_leader = person("leader-d", "D", Role::Leader);

    assert!(f.set_project(&admin, "site-7", "C11").await.unwrap(), "created");
    assert!(!f.set_project(&admin, "site-7", "C11").await.unwrap(), "the same project again is no new one");
    // A township's leader sets projects in their subtree, not elsewhere.
    let t1_leader = person("leader-t1", "T1", Role::Leader);
    assert!(f.set_project(&t1_leader, "site-8", "C12").await.unwrap());
    let denied = f.set_project(&t1_leader, "site-9", "C21").await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");

    let set = f.set_duty(&district_leader, duty("d1", "lead-zhang", "T1", "", day(1), None)).await.unwrap();
    assert_eq!(person_id(set.set_by.as_ref()), "leader-d", "set_by from the certificate");
    let site = f.set_duty(&admin, duty("d2", "lead-zhang", "", "site-7", day(1), None)).await.unwrap();
    assert_eq!(site.project_id, "site-7");
    f.set_duty(&admin, duty("d3", "lead-li", "T2", "", day(1), None)).await.unwrap();
    // Resending the same duty changes nothing (not even set_by).
    let again = f.set_duty(&admin, duty("d1", "lead-zhang", "T1", "", day(1), None)).await.unwrap();
    assert_eq!(person_id(again.set_by.as_ref()), "leader-d");

    let ids = |duties: Vec<pb::ContactDuty>| duties.into_iter().map(|d| d.duty_id).collect::<Vec<_>>();
    assert_eq!(ids(f.duties("", "", "").await), ["d3", "d1", "d2"]);
    assert_eq!(ids(f.duties("lead-zhang", "", "").await), ["d1", "d2"]);
    // A unit's subtree: its townships' duties and its projects'.
    assert_eq!(ids(f.duties("", "T1", "").await), ["d1", "d2"]);
    assert_eq!(ids(f.duties("", "T2", "").await), ["d3"]);

    // Refused, changing nothing: an overlap, bad input, the wrong caller.
    let before = f.state().await;
    let refusals = [
        (duty("d4", "lead-zhang", "T1", "", day(5), Some(day(6))), &admin, Code::FailedPrecondition, "d1"),
        (duty("d4", "lead-zhang", "C11", "", day(5), None), &admin, Code::InvalidArgument, "township"),
        (duty("d4", "lead-zhang", "T9", "", day(5), None), &admin, Code::NotFound, "T9"),
        (duty("d4", "lead-zhang", "", "site-0", day(5), None), &admin, Code::NotFound, "site-0"),
        (duty("d4", "lead-zhang", "T2", "site-7", day(5), None), &admin, Code::InvalidArgument, "duty"),
        (duty("d4", "lead-zhang", "", "", day(5), None), &admin, Code::InvalidArgument, "duty"),
        (
            duty("d4", "lead-zhang", "T2", "", day(5), Some(day(4))),
            &admin,
            Code::InvalidArgument,
            "duty.until",
        ),
        (duty("d4", "lead/zhang", "T2", "", day(5), None), &admin, Code::InvalidArgument, "duty.leader"),
        (duty("d 4", "lead-zhang", "T2", "", day(5), None), &admin, Code::InvalidArgument, "duty.duty_id"),
        (duty("d4", "lead-zhang", "T2", "", day(5), None), &t1_leader, Code::PermissionDenied, "T1"),
        (
            duty("d4", "lead-zhang", "T2", "", day(5), None),
            &person("officer-d", "D", Role::Officer),
            Code::PermissionDenied,
            "officer",
        ),
    ];
    for (duty, caller, code, named) in refusals {
        let status = f.set_duty(caller, duty.clone()).await.expect_err("refused");
        assert_eq!(status.code(), code, "{duty:?}: {status:?}");
        assert!(status.message().contains(named), "{duty:?}: {}", status.message());
    }
    let message = pb::SetContactDutyRequest { duty: None };
    let status = f.contacts().set_contact_duty(request(&admin, message)).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(f.state().await, before, "a refused duty changes nothing");

    // Ending a duty: resend it with its last day; the township is then free
    // for a new duty of the same leader after it.
    let ended = f.set_duty(&admin, duty("d1", "lead-zhang", "T1", "", day(1), Some(day(10)))).await.unwrap();
    assert_eq!(ended.until, day(10).to_string());
    assert_eq!(ids(f.duties("lead-zhang", "", &day(11).to_string()).await), ["d2"]);
    assert_eq!(ids(f.duties("lead-zhang", "", &day(10).to_string()).await), ["d1", "d2"]);
    f.set_duty(&admin, duty("d5", "lead-zhang", "T1", "", day(11), None)).await.unwrap();
    assert_eq!(ids(f.duties("lead-zhang", "T1", "").await), ["d1", "d2", "d5"]);
    // Bad filters are refused.
    let message = pb::ListContactDutiesRequest { on: "11/10".into(), ..Default::default() };
    let status = f.contacts().list_contact_duties(request(&admin, message)).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

async fn leader_figures_are_their_areas_and_cases(backend: Backend) {
    let f = fixture(backend).await;
    let admin = person("admin-1", "D", Role::Admin);
    f.set_project(&admin, "site-7", "C11").await.unwrap();
    f.set_duty(&admin, duty("d1", "lead-zhang", "T1", "", day(5), None)).await.unwrap();
    f.set_duty(&admin, duty("d2", "lead-zhang", "", "site-7", day(1), None)).await.unwrap();
    f.set_duty(&admin, duty("d3", "lead-li", "T2", "", day(1), None)).await.unwrap();

    // Two cases of the project, one elsewhere; lead-zhang leads two of them,
    // closes one on time; the other's deadline lapses.
    let site_a = f.register("C11", "site-7").await;
    let site_b = f.register("C11", "site-7").await;
    let other = f.register("C21", "").await;
    f.accept_and_assign(&site_a, "lead-zhang", day(20)).await;
    f.accept_and_assign(&other, "lead-zhang", day(11)).await;
    f.accept_and_assign(&site_b, "lead-li", day(20)).await;
    f.close(&site_a).await;
    f.clock.advance(Duration::days(3));

    let figures = f.leader_figures("lead-zhang", day(1), day(13)).await;
    assert_eq!(figures.leader, "lead-zhang");
    assert_eq!(figures.areas.len(), 2, "{figures:?}");
    let township = figures.areas.iter().find(|a| a.duty.as_ref().unwrap().duty_id == "d1").unwrap();
    assert_eq!(township.name, "姚孟街道");
    // The township's summary over the days the duty held: the period summary's.
    let summary = township.summary.clone().expect("a township's summary");
    assert_eq!(summary, f.period_summary("T1", day(5), day(13)).await);
    assert_eq!(summary.cases.as_ref().unwrap().registered, 2, "the two cases at C11");
    let project = figures.areas.iter().find(|a| a.duty.as_ref().unwrap().duty_id == "d2").unwrap();
    assert_eq!(project.name, "城东安置房七标段");
    let project_cases = project.project_cases.expect("a project's cases");
    assert_eq!(project_cases.registered, 2);
    assert_eq!(project_cases.closed, 1);
    assert_eq!(project_cases.closed_on_time, 1);
    // 包案.
    assert_eq!(figures.cases_led, 2);
    assert_eq!(figures.cases_closed, 1);
    assert_eq!(figures.cases_closed_on_time, 1);
    assert_eq!(figures.cases_overdue, 1, "the other case's deadline lapsed on the 11th");
    assert!((figures.on_time_closure_rate - 100.0).abs() < 1e-9, "{}", figures.on_time_closure_rate);

    // A range before the township duty began: only the project.
    let early = f.leader_figures("lead-zhang", day(1), day(3)).await;
    assert_eq!(early.areas.len(), 1);
    assert_eq!(early.cases_led, 0, "nothing was registered yet");
    let li = f.leader_figures("lead-li", day(1), day(13)).await;
    assert_eq!((li.cases_led, li.cases_closed, li.cases_overdue), (1, 0, 0));
    assert_eq!(li.on_time_closure_rate, 0.0);

    // ListCases by leader and by project.
    let auditor = person("auditor-1", "D", Role::Auditor);
    let by = |leader: &str, project: &str| pb::ListCasesRequest {
        unit_id: "D".into(),
        leader: leader.into(),
        project_id: project.into(),
        ..Default::default()
    };
    let mut led = f.list_ids(&auditor, by("lead-zhang", "")).await;
    led.sort();
    let mut expected = vec![site_a.clone(), other.clone()];
    expected.sort();
    assert_eq!(led, expected);
    let mut in_project = f.list_ids(&auditor, by("", "site-7")).await;
    in_project.sort();
    let mut expected = vec![site_a.clone(), site_b.clone()];
    expected.sort();
    assert_eq!(in_project, expected);
    assert_eq!(f.list_ids(&auditor, by("lead-zhang", "site-7")).await, std::slice::from_ref(&site_a));

    // Refused: a bad leader, a reversed range, a caller outside the district.
    let leader_d = person("leader-d", "D", Role::Leader);
    for (message, code) in [
        (
            pb::LeaderFiguresRequest { leader: "".into(), from: day(1).to_string(), to: day(2).to_string() },
            Code::InvalidArgument,
        ),
        (
            pb::LeaderFiguresRequest {
                leader: "lead-zhang".into(),
                from: day(3).to_string(),
                to: day(2).to_string(),
            },
            Code::InvalidArgument,
        ),
        (
            pb::LeaderFiguresRequest {
                leader: "lead-zhang".into(),
                from: "x".into(),
                to: day(2).to_string(),
            },
            Code::InvalidArgument,
        ),
    ] {
        let status = f.contacts().leader_figures(request(&leader_d, message)).await.unwrap_err();
        assert_eq!(status.code(), code, "{status:?}");
    }
    let message = pb::LeaderFiguresRequest {
        leader: "lead-zhang".into(),
        from: day(1).to_string(),
        to: day(2).to_string(),
    };
    let status = f
        .contacts()
        .leader_figures(request(&person("leader-t1", "T1", Role::Leader), message))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = f.cases().list_cases(request(&auditor, by("a/b", ""))).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

async fn the_contact_leader_supervises_their_township(backend: Backend) {
    let f = fixture(backend).await;
    let admin = person("admin-1", "D", Role::Admin);
    // A leader whose own unit is T2: supervision goes below T2 only.
    let wang = person("lead-wang", "T2", Role::Leader);
    let id = f.register("C11", "").await;
    let supervise = |id: &str| pb::SuperviseRequest {
        case_id: id.into(),
        kind: pb::SupervisionKind::Document.into(),
        reply_by: day(20).to_string(),
        text: "请于20日前报告进展".into(),
        ..Default::default()
    };
    let status = f.cases().supervise(request(&wang, supervise(&id))).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    // A duty that has not begun yet does not count either.
    f.set_duty(&admin, duty("d1", "lead-wang", "T1", "", day(11), None)).await.unwrap();
    let status = f.cases().supervise(request(&wang, supervise(&id))).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    // In force today: the contact leader of T1 supervises a case of C11.
    f.set_duty(&admin, duty("d1", "lead-wang", "T1", "", day(1), None)).await.unwrap();
    let issued = f.cases().supervise(request(&wang, supervise(&id))).await.unwrap().into_inner();
    assert_eq!(issued.owner_unit_id, "C11");
    let case = f.get_case(&Caller::Insecure, &id, false).await.unwrap().r#case.unwrap();
    assert_eq!(case.supervisions.len(), 1);
    let case_id = fengqiao_core::case::CaseId::parse_field(&id, "case_id").unwrap();
    let stored = f.node.store().list_supervisions(&case_id).await.unwrap();
    assert_eq!(stored.len(), 1);
    match &stored[0].sender {
        fengqiao_core::actor::Actor::Person { id, unit, .. } => {
            assert_eq!((id.as_str(), unit.as_str()), ("lead-wang", "T2"), "the sender from the certificate");
        }
        other => panic!("sender {other:?}"),
    }
    // A duty on T1 does not reach a case at C21 (T2's); an officer with a
    // duty supervises nothing.
    let elsewhere = f.register("C21", "").await;
    f.set_duty(&admin, duty("d2", "lead-zhou", "T1", "", day(1), None)).await.unwrap();
    let zhou = person("lead-zhou", "C21", Role::Leader);
    let status = f.cases().supervise(request(&zhou, supervise(&elsewhere))).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let officer = person("lead-wang", "T2", Role::Officer);
    let status = f.cases().supervise(request(&officer, supervise(&id))).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    // A project's contact leader supervises the project's cases, not the
    // other cases of its unit.
    f.set_project(&admin, "site-5", "C12").await.unwrap();
    f.set_duty(&admin, duty("d3", "lead-qian", "", "site-5", day(1), None)).await.unwrap();
    let qian = person("lead-qian", "C21", Role::Leader);
    let of_project = f.register("C12", "site-5").await;
    let not_of_project = f.register("C12", "").await;
    let status = f.cases().supervise(request(&qian, supervise(&not_of_project))).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let issued = f.cases().supervise(request(&qian, supervise(&of_project))).await.unwrap().into_inner();
    assert_eq!(issued.owner_unit_id, "C12");
}

async fn a_working_group_reads_its_case_and_counts_once(backend: Backend) {
    let f = fixture(backend).await;
    let id = f.register("C11", "").await;
    f.accept_and_assign(&id, "lead-c11", day(20)).await;
    let t1_leader = person("leader-t1", "T1", Role::Leader);
    let member = |person: &str, unit: &str| pb::WorkingGroupMember {
        person_id: person.into(),
        unit_id: unit.into(),
        department_id: String::new(),
    };
    // A unit outside the tree is refused and changes nothing.
    let bad = Action::SetWorkingGroup(act::SetWorkingGroup {
        lead: Some(member("lead-zhang", "D")),
        members: vec![member("m-li", "T9")],
    });
    let status = f.act(&t1_leader, &id, bad).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert!(status.message().contains("T9"), "{}", status.message());
    assert!(f.get_case(&Caller::Insecure, &id, false).await.unwrap().r#case.unwrap().working_group.is_none());
    // So is a department the node does not know.
    let bad = Action::SetWorkingGroup(act::SetWorkingGroup {
        lead: Some(member("lead-zhang", "D")),
        members: vec![pb::WorkingGroupMember {
            person_id: "m-hr".into(),
            unit_id: "D".into(),
            department_id: "D:no_such_dept".into(),
        }],
    });
    let status = f.act(&t1_leader, &id, bad).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert!(status.message().contains("D:no_such_dept"), "{}", status.message());
    assert!(f.get_case(&Caller::Insecure, &id, false).await.unwrap().r#case.unwrap().working_group.is_none());
    // Lead at the district, members at T2 and C21 (three units).
    let group = Action::SetWorkingGroup(act::SetWorkingGroup {
        lead: Some(member("lead-zhang", "D")),
        members: vec![member("m-li", "T2"), member("m-zhao", "C21")],
    });
    let case = f.act(&t1_leader, &id, group).await.unwrap();
    assert_eq!(case.working_group.as_ref().unwrap().members.len(), 2);

    let li = person("m-li", "T2", Role::Leader);
    let zhao = person("m-zhao", "C21", Role::Leader);
    let stranger = person("m-sun", "T2", Role::Leader);
    for reader in [&li, &zhao] {
        let answer = f.get_case(reader, &id, false).await.expect("a member reads the case");
        assert_eq!(answer.r#case.unwrap().case_id, id);
        let status = f.get_case(reader, &id, true).await.unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "never the petitioner: {status:?}");
    }
    let status = f.get_case(&stranger, &id, false).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    // A member at another unit is not the member (person and unit both).
    let status = f.get_case(&person("m-li", "C21", Role::Leader), &id, false).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let list = |unit: &str| pb::ListCasesRequest { unit_id: unit.into(), ..Default::default() };
    assert_eq!(f.list_ids(&li, list("T2")).await, std::slice::from_ref(&id));
    assert_eq!(f.list_ids(&zhao, list("C21")).await, std::slice::from_ref(&id));
    assert!(f.list_ids(&stranger, list("T2")).await.is_empty());

    // Counted once: one registered and one closed case at the district,
    // one case led by the group's lead (no longer by the assigned leader).
    f.close(&id).await;
    let district = f.period_summary("D", day(1), day(10)).await;
    let cases = district.cases.unwrap();
    assert_eq!((cases.registered, cases.closed), (1, 1));
    let lead = f.leader_figures("lead-zhang", day(1), day(10)).await;
    assert_eq!((lead.cases_led, lead.cases_closed, lead.cases_closed_on_time), (1, 1, 1));
    let assigned = f.leader_figures("lead-c11", day(1), day(10)).await;
    assert_eq!(assigned.cases_led, 0, "the lead answers for the case");
}

fengqiao_store::both_backends!(
    duties_are_set_listed_and_ended,
    leader_figures_are_their_areas_and_cases,
    the_contact_leader_supervises_their_township,
    a_working_group_reads_its_case_and_counts_once
);
