//! Who the ledger names, over mTLS across three tiers (district → township
//! → community, each node with its own certificate): every event, notice,
//! supervision and report carries the identity of the certificate that
//! called — unit, role, person id and the display name the certificate
//! carries — never what the request says. An officer who names a leader as
//! the actor is refused and nothing changes; an officer typing up a
//! leader's decision "on behalf of" them is recorded as both; a node acting
//! by itself (the district's supervision notice) is a node. Both backends.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use common::{Running, expect_code, fast};
use fengqiao_core::actor::{Actor, DisplayName, NodeTask, Principal};
use fengqiao_core::identity::{Identity, Role};
use fengqiao_core::{TimePolicy, UnitId};
use fengqiao_node::pki::{self, CertifiedKey};
use fengqiao_node::tls::connect_endpoint;
use fengqiao_node::{ChildNodes, NodeConfig, TlsMaterial, Transport};
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use fengqiao_proto::pb::case_event::Kind;
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::node_service_client::NodeServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::{self, CaseStatus};
use fengqiao_store::Backend;
use tonic::Code;
use tonic::transport::Channel;

const TREE: &str = fengqiao_store::testing::trees::ONE_GROUP;

const DISTRICT: &str = "410411";
const TOWNSHIP: &str = "410411001";
const COMMUNITY: &str = "410411001001";
const GROUP: &str = "410411001001001";

fn unit(id: &str) -> UnitId {
    UnitId::parse(id).unwrap()
}

fn name(text: &str) -> DisplayName {
    DisplayName::parse_field(text, "name").unwrap()
}

/// A person of the deployment, with the display name their certificate carries.
struct Person {
    id: &'static str,
    unit: &'static str,
    role: Role,
    name: &'static str,
}

const OFFICER: Person = Person { id: "off-li", unit: COMMUNITY, role: Role::Officer, name: "李干事" };
const LEADER: Person = Person { id: "lead-wang", unit: COMMUNITY, role: Role::Leader, name: "王书记" };
const TOWNSHIP_LEADER: Person =
    Person { id: "lead-zhao", unit: TOWNSHIP, role: Role::Leader, name: "赵镇长" };
const DISTRICT_LEADER: Person =
    Person { id: "lead-sun", unit: DISTRICT, role: Role::Leader, name: "孙区长" };

impl Person {
    fn identity(&self) -> Identity {
        Identity::person(self.id, unit(self.unit), self.role).unwrap()
    }

    /// What the ledger records for this person acting by themselves.
    fn actor(&self) -> Actor {
        Actor::Person {
            unit: unit(self.unit),
            role: self.role,
            id: self.id.into(),
            name: Some(name(self.name)),
            on_behalf_of: None,
            department: None,
        }
    }

    /// A channel to `node` presenting this person's certificate.
    fn channel(&self, ca: &CertifiedKey, node: &Running) -> Channel {
        let leaf = pki::issue_named(ca, &self.identity(), Some(&name(self.name)), &[], 2).unwrap();
        let material = TlsMaterial::from_pem(&ca.cert_pem, &leaf.cert_pem, &leaf.key_pem).unwrap();
        connect_endpoint(&node.url(), &Transport::Tls(Arc::new(material))).unwrap().connect_lazy()
    }

    fn cases(&self, ca: &CertifiedKey, node: &Running) -> CaseServiceClient<Channel> {
        CaseServiceClient::new(self.channel(ca, node))
    }
}

fn node_transport(ca: &CertifiedKey, id: &str) -> Transport {
    let leaf = pki::issue(ca, &Identity::Node { unit: unit(id) }, &[], 2).unwrap();
    Transport::Tls(Arc::new(TlsMaterial::from_pem(&ca.cert_pem, &leaf.cert_pem, &leaf.key_pem).unwrap()))
}

/// District → township → community, every hop over mTLS.
async fn three_tiers(ca: &CertifiedKey, backend: Backend) -> (Running, Running, Running) {
    let config = NodeConfig {
        transport: node_transport(ca, DISTRICT),
        child_nodes: ChildNodes::Units(vec![TOWNSHIP.into()]),
        ..NodeConfig::new(DISTRICT)
    };
    let district = Running::start(TREE, DISTRICT, backend, config, None).await;
    let config = NodeConfig {
        transport: node_transport(ca, TOWNSHIP),
        parent: Some(district.url()),
        child_nodes: ChildNodes::Units(vec![COMMUNITY.into()]),
        forwarder: fast(),
        ..NodeConfig::new(TOWNSHIP)
    };
    let township = Running::start(TREE, TOWNSHIP, backend, config, None).await;
    let config = NodeConfig {
        transport: node_transport(ca, COMMUNITY),
        parent: Some(township.url()),
        forwarder: fast(),
        ..NodeConfig::new(COMMUNITY)
    };
    let community = Running::start(TREE, COMMUNITY, backend, config, None).await;
    // A node escalates to the parent unit its parent's tree snapshot names.
    for node in [&township, &community] {
        let node = node.node.clone().unwrap();
        for _ in 0..400 {
            if node.parent_unit().await.unwrap().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(node.parent_unit().await.unwrap().is_some(), "no tree snapshot from the parent");
    }
    (district, township, community)
}

/// The events of a case at `node`, read as `reader`, once `done` holds.
async fn events_at(
    reader: &mut CaseServiceClient<Channel>,
    node: &str,
    id: &str,
    done: impl Fn(&pb::GetCaseResponse) -> bool,
) -> pb::GetCaseResponse {
    let mut last = None;
    for _ in 0..400 {
        let request = pb::GetCaseRequest { case_id: id.into(), with_petitioner: false, ..Default::default() };
        if let Ok(answer) = reader.get_case(request).await {
            let answer = answer.into_inner();
            if done(&answer) {
                return answer;
            }
            last = Some(answer);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("node {node}: case {id} never got there; last seen {last:?}");
}

/// Each event's kind and who acted, as the wire carries them.
fn acted(answer: &pb::GetCaseResponse) -> Vec<(&'static str, Actor)> {
    answer
        .events
        .iter()
        .map(|event| {
            let kind = match event.kind.as_ref() {
                Some(Kind::Registered(_)) => "registered",
                Some(Kind::Accepted(_)) => "accepted",
                Some(Kind::Assigned(_)) => "assigned",
                Some(Kind::Progress(_)) => "progress",
                Some(Kind::Escalated(_)) => "escalated",
                Some(Kind::Resolved(_)) => "resolved",
                Some(Kind::Closed(_)) => "closed",
                Some(Kind::Supervised(_)) => "supervised",
                Some(Kind::SupervisionReplied(_)) => "supervision_replied",
                other => panic!("unexpected event {other:?}"),
            };
            let actor = fengqiao_proto::actor_from_pb(event.acted_by.clone(), &event.actor, "acted_by")
                .expect("a valid actor");
            (kind, actor)
        })
        .collect()
}

fn register_request(stated_actor: &str) -> pb::RegisterCaseRequest {
    pb::RegisterCaseRequest {
        intake: Some(pb::CaseIntake {
            origin_unit_id: COMMUNITY.into(),
            category: pb::DisputeCategory::Land.into(),
            channel: pb::CaseChannel::Letter.into(),
            summary: "boundary of a contracted plot".into(),
            ..Default::default()
        }),
        actor: stated_actor.into(),
        note: "letter received".into(),
        ..Default::default()
    }
}

fn act_request(id: &str, action: Action) -> pb::ActOnCaseRequest {
    pb::ActOnCaseRequest { case_id: id.into(), action: Some(action), ..Default::default() }
}

fn assign() -> Action {
    Action::Assign(act::Assign {
        leader: "王书记".into(),
        responsible: "李干事".into(),
        plan: "measure the plot with both families".into(),
        deadline: String::new(),
    })
}

async fn act_as(
    client: &mut CaseServiceClient<Channel>,
    request: pb::ActOnCaseRequest,
) -> Result<pb::ActOnCaseResponse, tonic::Status> {
    client.act_on_case(request).await.map(tonic::Response::into_inner)
}

async fn the_ledger_names_who_really_acted(backend: Backend) {
    let ca = pki::new_ca(2).unwrap();
    let (district, township, community) = three_tiers(&ca, backend).await;
    let mut officer = OFFICER.cases(&ca, &community);
    let mut leader = LEADER.cases(&ca, &community);

    // An officer claiming the leader's id registers nothing.
    let refused =
        expect_code(officer.register_case(register_request(LEADER.id)).await, Code::PermissionDenied);
    assert!(refused.message().contains("on_behalf_of"), "{}", refused.message());
    let listed = officer
        .list_cases(pb::ListCasesRequest { unit_id: COMMUNITY.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.cases.is_empty(), "nothing registered: {listed:?}");

    // Registered by the officer as their certificate says (naming oneself is fine).
    let case =
        officer.register_case(register_request(OFFICER.id)).await.unwrap().into_inner().r#case.unwrap();
    let id = case.case_id.clone();
    // The officer may record progress, but not as the leader; nor accept
    // "on behalf of" the leader: that lends no authority.
    let mut as_leader = act_request(&id, Action::Progress(act::Progress {}));
    as_leader.actor = LEADER.id.into();
    as_leader.note = "met both families".into();
    expect_code(act_as(&mut officer, as_leader).await, Code::PermissionDenied);
    let mut accept_for_leader = act_request(&id, Action::Accept(act::Accept {}));
    accept_for_leader.on_behalf_of =
        Some(pb::OnBehalfOf { person_id: LEADER.id.into(), display_name: String::new() });
    expect_code(act_as(&mut officer, accept_for_leader).await, Code::PermissionDenied);
    let unchanged = events_at(&mut officer, COMMUNITY, &id, |_| true).await;
    assert_eq!(unchanged.r#case.as_ref().unwrap().sequence, 1, "the refused calls changed nothing");

    // The leader accepts and assigns; the officer types up the leader's
    // instruction on their behalf; the leader escalates.
    act_as(&mut leader, act_request(&id, Action::Accept(act::Accept {}))).await.unwrap();
    act_as(&mut leader, act_request(&id, assign())).await.unwrap();
    let mut typed_up = act_request(&id, Action::Progress(act::Progress {}));
    typed_up.note = "王书记批示：先丈量，再调解".into();
    typed_up.on_behalf_of =
        Some(pb::OnBehalfOf { person_id: LEADER.id.into(), display_name: "王书记".into() });
    let written = act_as(&mut officer, typed_up).await.unwrap().event.unwrap();
    assert_eq!(written.actor, OFFICER.id, "old clients read the typist's id");
    let escalate = Action::Escalate(act::Escalate { reason: "needs the township's land office".into() });
    let escalated = act_as(&mut leader, act_request(&id, escalate)).await.unwrap().r#case.unwrap();
    assert_eq!(escalated.owner_unit_id, TOWNSHIP);

    // The township's leader finishes it once the case is held there.
    let mut township_leader = TOWNSHIP_LEADER.cases(&ca, &township);
    events_at(&mut township_leader, TOWNSHIP, &id, |a| a.r#case.as_ref().is_some_and(|c| c.held_here)).await;
    act_as(&mut township_leader, act_request(&id, assign())).await.unwrap();
    let resolve =
        Action::Resolve(act::Resolve { resolution: "boundary re-marked".into(), amount_recovered_cents: 0 });
    act_as(&mut township_leader, act_request(&id, resolve)).await.unwrap();
    let close = Action::Close(act::Close { satisfaction: pb::Satisfaction::Satisfied.into() });
    let closed = act_as(&mut township_leader, act_request(&id, close)).await.unwrap().r#case.unwrap();
    assert_eq!(closed.status(), CaseStatus::Closed);

    // Every event at every tier names the certificate that acted.
    let typist = Actor::Person {
        unit: unit(OFFICER.unit),
        role: OFFICER.role,
        id: OFFICER.id.into(),
        name: Some(name(OFFICER.name)),
        on_behalf_of: Some(Principal::new(LEADER.id, Some(name("王书记")), "on_behalf_of").unwrap()),
        department: None,
    };
    let expected = vec![
        ("registered", OFFICER.actor()),
        ("accepted", LEADER.actor()),
        ("assigned", LEADER.actor()),
        ("progress", typist),
        ("escalated", LEADER.actor()),
        ("assigned", TOWNSHIP_LEADER.actor()),
        ("resolved", TOWNSHIP_LEADER.actor()),
        ("closed", TOWNSHIP_LEADER.actor()),
    ];
    let mut district_leader = DISTRICT_LEADER.cases(&ca, &district);
    let complete = |a: &pb::GetCaseResponse| a.events.len() == 8;
    for (node, reader) in [(TOWNSHIP, &mut township_leader), (DISTRICT, &mut district_leader)] {
        let answer = events_at(reader, node, &id, complete).await;
        assert_eq!(acted(&answer), expected, "at {node}");
    }
    // The community has what it wrote.
    let at_community = events_at(&mut leader, COMMUNITY, &id, |a| a.events.len() >= 5).await;
    assert_eq!(acted(&at_community)[..5], expected[..5]);

    // A supervision notice from the district: recorded at the township by the
    // district's node, with the district leader as its sender; the reply is
    // the township leader's.
    let case2 = officer.register_case(register_request("")).await.unwrap().into_inner().r#case.unwrap();
    let id2 = case2.case_id;
    act_as(&mut leader, act_request(&id2, Action::Accept(act::Accept {}))).await.unwrap();
    let escalate = Action::Escalate(act::Escalate { reason: "needs the township".into() });
    act_as(&mut leader, act_request(&id2, escalate)).await.unwrap();
    events_at(&mut district_leader, DISTRICT, &id2, |a| a.events.len() == 3).await;
    let today = TimePolicy::default().local_date(Utc::now());
    let notice = pb::SuperviseRequest {
        case_id: id2.clone(),
        kind: pb::SupervisionKind::Document.into(),
        reply_by: (today + chrono::Duration::days(7)).to_string(),
        text: "report progress within a week".into(),
        ..Default::default()
    };
    // Naming somebody else as the sender is refused like any actor.
    let mut forged = notice.clone();
    forged.actor = "lead-zhao".into();
    expect_code(district_leader.supervise(forged).await, Code::PermissionDenied);
    let issued = district_leader.supervise(notice).await.unwrap().into_inner();
    let supervised = events_at(&mut township_leader, TOWNSHIP, &id2, |a| a.events.len() == 4).await;
    let Some(Kind::Supervised(entry)) = supervised.events[3].kind.as_ref() else { panic!("{supervised:?}") };
    assert_eq!(
        fengqiao_proto::required_at::<_, Actor>(entry.sender.clone(), "sender").unwrap(),
        DISTRICT_LEADER.actor(),
        "the notice names who issued it"
    );
    assert_eq!(acted(&supervised)[3], ("supervised", Actor::node(unit(DISTRICT), NodeTask::Supervision)));
    assert_eq!(supervised.events[3].actor, "system");
    let reply = Action::ReplySupervision(act::ReplySupervision { supervision_id: issued.supervision_id });
    let mut replied = act_request(&id2, reply);
    replied.note = "measured; mediation on Monday".into();
    let event = act_as(&mut township_leader, replied).await.unwrap().event.unwrap();
    let actor = fengqiao_proto::actor_from_pb(event.acted_by, &event.actor, "acted_by").unwrap();
    assert_eq!(actor, TOWNSHIP_LEADER.actor());

    // A notice names its sender; a report its certificate's reporter.
    NodeServiceClient::new(DISTRICT_LEADER.channel(&ca, &district))
        .post_notice(pb::PostNoticeRequest {
            target_unit_id: COMMUNITY.into(),
            text: "wage cases by Friday".into(),
        })
        .await
        .unwrap();
    let mut notices = NodeServiceClient::new(LEADER.channel(&ca, &community));
    let mut received = Vec::new();
    for _ in 0..200 {
        received = notices
            .list_notices(pb::ListNoticesRequest { unit_id: COMMUNITY.into(), ..Default::default() })
            .await
            .unwrap()
            .into_inner()
            .notices;
        if !received.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sender = received.first().and_then(|n| n.notice.as_ref()).and_then(|n| n.sender.clone());
    assert_eq!(
        fengqiao_proto::required_at::<_, Actor>(sender, "sender").unwrap(),
        DISTRICT_LEADER.actor(),
        "the notice reached the community with its sender"
    );
    let mut reporting = ReportingServiceClient::new(OFFICER.channel(&ca, &community));
    let report = |reporter: &str| pb::SubmitDailyReportRequest {
        report: Some(pb::DailyReport {
            unit_id: GROUP.into(),
            date: today.to_string(),
            revision: 1,
            reporter: reporter.into(),
            zero: true,
            ..Default::default()
        }),
    };
    expect_code(reporting.submit_daily_report(report(LEADER.id)).await, Code::PermissionDenied);
    reporting.submit_daily_report(report("")).await.unwrap();
    let stored = reporting
        .get_daily_report(pb::GetDailyReportRequest {
            unit_id: GROUP.into(),
            date: today.to_string(),
            revision: 0,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.report.unwrap().report.unwrap().reporter, OFFICER.id);
    assert_eq!(stored.history.len(), 1, "the refused report stored nothing");

    for mut node in [community, township, district] {
        node.halt().await;
        node.db.cleanup().await;
    }
}

/// A visit's receiver is the caller; the case names them by the display
/// name their certificate carries.
async fn a_visit_is_received_by_the_certificate(backend: Backend) {
    let ca = pki::new_ca(2).unwrap();
    let config = NodeConfig { transport: node_transport(&ca, DISTRICT), ..NodeConfig::new(DISTRICT) };
    let mut district = Running::start(TREE, DISTRICT, backend, config, None).await;
    let mut receiver = DISTRICT_LEADER.cases(&ca, &district);
    let visit = pb::RecordVisitRequest {
        unit_id: DISTRICT.into(),
        category: pb::DisputeCategory::Labour.into(),
        summary: "overtime not paid".into(),
        answered: true,
        resolution: "explained the overtime rules".into(),
        satisfaction: pb::Satisfaction::Satisfied.into(),
        ..Default::default()
    };
    let mut forged = visit.clone();
    forged.actor = TOWNSHIP_LEADER.id.into();
    expect_code(receiver.record_visit(forged).await, Code::PermissionDenied);
    let case = receiver.record_visit(visit).await.unwrap().into_inner().r#case.unwrap();
    assert_eq!(case.responsible, "孙区长", "the receiver, by the name the certificate carries");
    assert_eq!(case.leader, "孙区长", "no roster: the receiver leads");
    let answer = events_at(&mut receiver, DISTRICT, &case.case_id, |_| true).await;
    assert!(acted(&answer).iter().all(|(_, actor)| *actor == DISTRICT_LEADER.actor()), "{answer:?}");
    district.halt().await;
    district.db.cleanup().await;
}

fengqiao_store::both_backends!(the_ledger_names_who_really_acted, a_visit_is_received_by_the_certificate);
