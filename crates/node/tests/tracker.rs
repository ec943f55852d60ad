//! The receipt and the public tracker (阳光信访), on both backends: a
//! receipt at registration (once), the petitioner's view for the right
//! case number + query code only, the same refusal for an unknown case, a
//! wrong code and a locked case number (times printed, not asserted: the
//! floor makes them alike by construction), the limits, no byte of the
//! petitioner's data, the notes, the actors or the leaders' names in any
//! answer or page, and the petitioner's rating counted once — recorded by
//! the holder when given at the district for a case a community node holds
//! (relayed by the township node), in plaintext and over mTLS.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{Running, expect_code, fast, poll};
use fengqiao_core::TimePolicy;
use fengqiao_core::UnitId;
use fengqiao_core::identity::{Identity, Role};
use fengqiao_node::pki::{self, CertifiedKey};
use fengqiao_node::tls::connect_endpoint;
use fengqiao_node::{ChildNodes, NodeConfig, PublicConfig, PublicTracker, TlsMaterial, Transport};
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use fengqiao_proto::pb::case_event::Kind;
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::public_tracker_service_client::PublicTrackerServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::{
    self, ActOnCaseRequest, CaseChannel, CaseIntake, CaseStatus, DisputeCategory, DrillDownRequest,
    GetCaseRequest, PeriodSummaryRequest, Petitioner, RateCaseRequest, RecordVisitRequest,
    RegisterCaseRequest, Satisfaction, TrackCaseRequest,
};
use fengqiao_store::Backend;
use prost::Message;
use tonic::Code;
use tonic::transport::Channel;

const TREE: &str = fengqiao_store::testing::trees::TWO_GROUPS;
const GROUP: &str = "410411001001001";

const NAME: &str = "测试乙某";
const PHONE: &str = "13912345678";
const ID_NUMBER: &str = "11010519491231002X";
const SUMMARY: &str = "工地拖欠三名工人工资共计两万元";
const REGISTER_NOTE: &str = "内部备注：当事人情绪激动";
const LEADER: &str = "王副镇长";
const RESPONSIBLE: &str = "司法所李某";
const PLAN: &str = "约谈项目经理并核对考勤";
const RESOLUTION: &str = "项目部已结清全部工资";
const REPLY: &str = "您反映的问题已转交镇劳动保障所，近期答复。";

/// The deployment CA of the mTLS networks (one per test process).
fn ca() -> &'static CertifiedKey {
    static CA: OnceLock<CertifiedKey> = OnceLock::new();
    CA.get_or_init(|| pki::new_ca(2).unwrap())
}

fn transport_of(identity: &Identity) -> Transport {
    let leaf = pki::issue(ca(), identity, &[], 2).unwrap();
    Transport::Tls(Arc::new(TlsMaterial::from_pem(&ca().cert_pem, &leaf.cert_pem, &leaf.key_pem).unwrap()))
}

/// A channel to `node` as `person` with `role` at the node's own unit
/// (over mTLS; a plaintext node takes the stated actor as free text).
fn channel_as(node: &Running, person: &str, role: Role) -> Channel {
    match &node.config.transport {
        Transport::Insecure => Channel::from_shared(node.url()).unwrap().connect_lazy(),
        Transport::Tls(_) => {
            let identity = Identity::person(person, UnitId::parse(node.unit).unwrap(), role).unwrap();
            connect_endpoint(&node.url(), &transport_of(&identity)).unwrap().connect_lazy()
        }
    }
}

/// The case service of `node`, as its leader `leader-9`.
fn cases(node: &Running) -> CaseServiceClient<Channel> {
    CaseServiceClient::new(channel_as(node, "leader-9", Role::Leader))
}

fn today() -> String {
    TimePolicy::default().local_date(Utc::now()).to_string()
}

fn yesterday() -> String {
    (TimePolicy::default().local_date(Utc::now()) - chrono::Duration::days(1)).to_string()
}

/// Registers a case with a petitioner and an internal note; its receipt.
async fn register(node: &Running, unit: &str) -> pb::RegisterCaseResponse {
    let request = RegisterCaseRequest {
        intake: Some(CaseIntake {
            origin_unit_id: unit.into(),
            category: DisputeCategory::WageArrears.into(),
            channel: CaseChannel::Letter.into(),
            summary: SUMMARY.into(),
            workers: 3,
            amount_claimed_cents: 2_000_000,
            ..CaseIntake::default()
        }),
        petitioner: Some(Petitioner { name: NAME.into(), phone: PHONE.into(), id_number: ID_NUMBER.into() }),
        actor: "officer-7".into(),
        note: REGISTER_NOTE.into(),
        ..RegisterCaseRequest::default()
    };
    CaseServiceClient::new(channel_as(node, "officer-7", Role::Officer))
        .register_case(request)
        .await
        .expect("registered")
        .into_inner()
}

async fn act(node: &Running, id: &str, action: Action) -> pb::ActOnCaseResponse {
    let request = ActOnCaseRequest {
        case_id: id.into(),
        actor: "leader-9".into(),
        note: format!("{REGISTER_NOTE}（办理）"),
        action: Some(action),
        ..ActOnCaseRequest::default()
    };
    cases(node).act_on_case(request).await.unwrap_or_else(|s| panic!("at {}: {s:?}", node.unit)).into_inner()
}

/// Accepts, assigns (leader and responsible named), replies to the
/// petitioner, resolves and closes.
async fn work_and_close(node: &Running, id: &str) {
    act(node, id, Action::Accept(act::Accept {})).await;
    act(
        node,
        id,
        Action::Assign(act::Assign {
            leader: LEADER.into(),
            responsible: RESPONSIBLE.into(),
            plan: PLAN.into(),
            deadline: String::new(),
        }),
    )
    .await;
    act(node, id, Action::ReplyToPetitioner(act::ReplyToPetitioner { text: REPLY.into() })).await;
    act(node, id, Action::Resolve(act::Resolve { resolution: RESOLUTION.into(), amount_recovered_cents: 1 }))
        .await;
    act(node, id, Action::Close(act::Close { satisfaction: Satisfaction::Satisfied.into() })).await;
}

/// A public listener for `node` with `config`; its address.
async fn public(node: &Running, config: PublicConfig) -> SocketAddr {
    let tracker = PublicTracker::new(node.node.clone().unwrap(), config);
    let listener = common::bind("127.0.0.1:0".parse().unwrap()).await;
    let address = listener.local_addr().unwrap();
    tokio::spawn(fengqiao_node::serve_public(tracker, listener, std::future::pending()));
    address
}

fn tracker(address: SocketAddr) -> PublicTrackerServiceClient<Channel> {
    PublicTrackerServiceClient::new(Channel::from_shared(format!("http://{address}")).unwrap().connect_lazy())
}

fn quick() -> PublicConfig {
    PublicConfig {
        floor: Duration::from_millis(50),
        per_source_per_minute: 1000,
        per_case_per_minute: 1000,
        ..PublicConfig::default()
    }
}

fn pair(case_id: &str, code: &str) -> TrackCaseRequest {
    TrackCaseRequest { case_id: case_id.into(), query_code: code.into() }
}

/// A wrong code of the right shape.
fn wrong_code(code: &str) -> String {
    let other = if code.starts_with('2') { "3" } else { "2" };
    format!("{other}{}", &code[1..])
}

/// Every secret a public answer must not carry.
fn secrets() -> Vec<&'static str> {
    vec![
        NAME,
        PHONE,
        ID_NUMBER,
        SUMMARY,
        REGISTER_NOTE,
        LEADER,
        RESPONSIBLE,
        PLAN,
        RESOLUTION,
        "officer-7",
        "leader-9",
    ]
}

#[track_caller]
fn assert_no_secret(what: &str, bytes: &[u8]) {
    for secret in secrets() {
        let needle = secret.as_bytes();
        assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{what} carries {secret:?}");
    }
}

fn stats(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    eprintln!(
        "{label}: n={} mean={mean:?} p50={:?} max={:?}",
        times.len(),
        times[times.len() / 2],
        times[times.len() - 1]
    );
}

/// Posts a form to the public router in-process; status and body.
async fn post_form(tracker: &PublicTracker, path: &str, body: String) -> (u16, String) {
    use tower::ServiceExt;
    let request = http::Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body))
        .unwrap();
    let response = fengqiao_node::tracker::public_router(tracker.clone()).oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&")
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

async fn the_right_pair_opens_the_case_and_nothing_else(backend: Backend) {
    let config = NodeConfig {
        public: PublicConfig {
            url: Some("https://xf.example.gov.cn/track".into()),
            ..PublicConfig::default()
        },
        ..NodeConfig::new("410411")
    };
    let mut district = Running::start(TREE, "410411", backend, config, None).await;
    let registered = register(&district, GROUP).await;
    assert!(registered.created);
    let receipt = registered.receipt.clone().expect("a new case has a receipt");
    let id = receipt.case_id.clone();
    assert_eq!(id, registered.r#case.as_ref().unwrap().case_id);
    assert_eq!(receipt.query_code.len(), 14, "{}", receipt.query_code);
    assert_eq!(receipt.tracker_url, format!("https://xf.example.gov.cn/track?case={id}"));
    // A retry of the registration answers with the case and no code.
    let retry = cases(&district)
        .register_case(RegisterCaseRequest {
            case_id: id.clone(),
            intake: Some(CaseIntake {
                origin_unit_id: GROUP.into(),
                category: DisputeCategory::WageArrears.into(),
                channel: CaseChannel::Letter.into(),
                summary: SUMMARY.into(),
                workers: 3,
                amount_claimed_cents: 2_000_000,
                ..CaseIntake::default()
            }),
            petitioner: Some(Petitioner {
                name: NAME.into(),
                phone: PHONE.into(),
                id_number: ID_NUMBER.into(),
            }),
            actor: "officer-7".into(),
            note: REGISTER_NOTE.into(),
            ..RegisterCaseRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!retry.created);
    assert!(retry.receipt.is_none(), "a retry shows no code");
    work_and_close(&district, &id).await;

    // No read returns the code's hash.
    let read = cases(&district)
        .get_case(GetCaseRequest { case_id: id.clone(), with_petitioner: true, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let Some(Kind::Registered(first)) = &read.events[0].kind else { panic!("{:?}", read.events[0]) };
    assert!(first.receipt_code_hash.is_empty(), "GetCase returned the receipt's hash");
    let hash = fengqiao_core::receipt::hash(&id, &receipt.query_code);
    assert_no_secret_hash(&read.encode_to_vec(), &hash);

    let address = public(&district, quick()).await;
    let mut client = tracker(address);
    let seen = client.track_case(pair(&id, &receipt.query_code)).await.expect("the right pair").into_inner();
    assert_eq!(seen.case_id, id);
    assert_eq!(seen.status(), CaseStatus::Closed);
    assert_eq!(seen.category(), DisputeCategory::WageArrears);
    assert_eq!(seen.office, "1号楼");
    assert_eq!(seen.tier(), pb::Tier::Group);
    assert_eq!(seen.registered_on, today());
    assert_eq!(seen.closed_on, today());
    assert_eq!(seen.replies.len(), 1);
    assert_eq!(seen.replies[0].text, REPLY);
    assert_eq!(seen.replies[0].office, "1号楼");
    assert!(seen.can_rate);
    assert_no_secret("TrackCase", &seen.encode_to_vec());
    // Typed in lower case with spaces: the same code.
    let typed = receipt.query_code.to_lowercase().replace('-', " ");
    client.track_case(pair(&id, &typed)).await.expect("the code as typed");

    // Unknown case and wrong code: the same refusal, timed alike.
    let unknown_id = format!("{GROUP}-19990101-1");
    let mut wrong_times = Vec::new();
    let mut unknown_times = Vec::new();
    let mut right_times = Vec::new();
    let mut refusals = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let status = client.track_case(pair(&id, &wrong_code(&receipt.query_code))).await.unwrap_err();
        wrong_times.push(started.elapsed());
        refusals.push((status.code(), status.message().to_owned()));
        let started = Instant::now();
        let status = client.track_case(pair(&unknown_id, &receipt.query_code)).await.unwrap_err();
        unknown_times.push(started.elapsed());
        refusals.push((status.code(), status.message().to_owned()));
        // A success between wrong codes keeps the case number unlocked.
        let started = Instant::now();
        client.track_case(pair(&id, &receipt.query_code)).await.expect("still open");
        right_times.push(started.elapsed());
    }
    assert!(refusals.iter().all(|r| r == &refusals[0]), "refusals differ: {refusals:?}");
    assert_eq!(refusals[0].0, Code::NotFound);
    assert_eq!(refusals[0].1, "case number or query code is wrong");
    stats("wrong code", wrong_times);
    stats("unknown case", unknown_times);
    stats("right code", right_times);
    // Only the shape is INVALID_ARGUMENT.
    expect_code(client.track_case(pair(&id, "12")).await, Code::InvalidArgument);
    expect_code(client.track_case(pair("not a case", &receipt.query_code)).await, Code::InvalidArgument);

    // The page: the same view, no secret; a wrong pair the same refusal.
    let page_tracker = PublicTracker::new(district.node.clone().unwrap(), quick());
    let (status, html) =
        post_form(&page_tracker, "/track", form(&[("case_id", &id), ("code", &receipt.query_code)])).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(REPLY), "{html}");
    assert!(html.contains("data-rate"), "a closed, unrated case offers the rating form");
    assert!(html.contains("已销号"), "the status in Chinese");
    assert_no_secret("/track page", html.as_bytes());
    let (status, wrong_html) = post_form(
        &page_tracker,
        "/track",
        form(&[("case_id", &id), ("code", &wrong_code(&receipt.query_code))]),
    )
    .await;
    assert_eq!(status, 404);
    let (_, unknown_html) =
        post_form(&page_tracker, "/track", form(&[("case_id", &unknown_id), ("code", &receipt.query_code)]))
            .await;
    assert_eq!(wrong_html.replace(&id, "ID"), unknown_html.replace(&unknown_id, "ID"));
    assert!(wrong_html.contains("案件编号或查询码不正确"), "{wrong_html}");
    // The public listener serves the tracker only: no dashboard page.
    let (status, _) = post_form(&page_tracker, "/unit/410411", String::new()).await;
    assert_eq!(status, 404);
    // The petitioner rates on the page, once.
    let rate_form = |satisfaction: &'static str| {
        form(&[("case_id", &id), ("code", &receipt.query_code), ("satisfaction", satisfaction)])
    };
    let (status, rated_html) = post_form(&page_tracker, "/track/rate", rate_form("satisfied")).await;
    assert_eq!(status, 200, "{rated_html}");
    assert!(rated_html.contains("感谢您的评价，已记录"), "{rated_html}");
    assert!(!rated_html.contains("data-rate"), "no second rating form");
    assert_no_secret("/track/rate page", rated_html.as_bytes());
    let (status, again_html) = post_form(&page_tracker, "/track/rate", rate_form("dissatisfied")).await;
    assert_eq!(status, 400, "{again_html}");
    assert!(again_html.contains("该案件已评价"), "{again_html}");

    // A new receipt: the old code stops working, the new one opens.
    let issued = act(&district, &id, Action::IssueReceipt(act::IssueReceipt {})).await;
    let new = issued.receipt.expect("IssueReceipt answers the new code");
    assert_ne!(new.query_code, receipt.query_code);
    let Some(Kind::ReceiptIssued(event)) = issued.event.unwrap().kind else { panic!("receipt_issued") };
    assert!(event.receipt_code_hash.is_empty(), "the answer's event carries no hash");
    let status = client.track_case(pair(&id, &receipt.query_code)).await.unwrap_err();
    assert_eq!((status.code(), status.message()), (Code::NotFound, "case number or query code is wrong"));
    client.track_case(pair(&id, &new.query_code)).await.expect("the new code");

    // A duty-reception visit prints a receipt too.
    let visit = cases(&district)
        .record_visit(RecordVisitRequest {
            unit_id: GROUP.into(),
            category: DisputeCategory::Neighbour.into(),
            summary: "邻里噪音".into(),
            actor: "officer-7".into(),
            ..RecordVisitRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    let visit_receipt = visit.receipt.expect("a visit's receipt");
    let seen = client
        .track_case(pair(&visit_receipt.case_id, &visit_receipt.query_code))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seen.status(), CaseStatus::Assigned);
    assert!(!seen.can_rate);

    district.halt().await;
    district.db.cleanup().await;
}

#[track_caller]
fn assert_no_secret_hash(bytes: &[u8], hash: &str) {
    assert!(!bytes.windows(hash.len()).any(|w| w == hash.as_bytes()), "a read carries the receipt's hash");
}

async fn limits_and_lock(backend: Backend) {
    let mut district = Running::start(TREE, "410411", backend, NodeConfig::new("410411"), None).await;
    let receipt = register(&district, GROUP).await.receipt.unwrap();
    let id = receipt.case_id.clone();

    // Per source: the sixth lookup in a minute waits, with a retry hint.
    let address = public(&district, PublicConfig { per_source_per_minute: 5, ..quick() }).await;
    let mut client = tracker(address);
    for _ in 0..5 {
        client.track_case(pair(&id, &receipt.query_code)).await.expect("within the limit");
    }
    let status =
        expect_code(client.track_case(pair(&id, &receipt.query_code)).await, Code::ResourceExhausted);
    assert!(status.message().contains("retry in"), "{}", status.message());
    assert!(status.metadata().get("grpc-retry-pushback-ms").is_some());

    // Per case number, whoever asks.
    let address = public(&district, PublicConfig { per_case_per_minute: 3, ..quick() }).await;
    let mut client = tracker(address);
    for _ in 0..3 {
        client.track_case(pair(&id, &receipt.query_code)).await.unwrap();
    }
    let status =
        expect_code(client.track_case(pair(&id, &receipt.query_code)).await, Code::ResourceExhausted);
    assert!(status.message().contains("case number"), "{}", status.message());

    // Lock after 3 failures in a row: the right code is refused as wrong.
    let address = public(&district, PublicConfig { lock_after: 3, ..quick() }).await;
    let mut client = tracker(address);
    for _ in 0..3 {
        let status = client.track_case(pair(&id, &wrong_code(&receipt.query_code))).await.unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
    }
    let status = client.track_case(pair(&id, &receipt.query_code)).await.unwrap_err();
    assert_eq!((status.code(), status.message()), (Code::NotFound, "case number or query code is wrong"));
    let rate = RateCaseRequest {
        case_id: id.clone(),
        query_code: receipt.query_code.clone(),
        satisfaction: Satisfaction::Satisfied.into(),
    };
    let status = client.rate_case(rate).await.unwrap_err();
    assert_eq!((status.code(), status.message()), (Code::NotFound, "case number or query code is wrong"));

    district.halt().await;
    district.db.cleanup().await;
}

async fn figures(node: &Running, unit: &str) -> pb::CaseFigures {
    SummaryServiceClient::new(channel_as(node, "leader-9", Role::Leader))
        .period_summary(PeriodSummaryRequest {
            unit_id: unit.into(),
            from_date: yesterday(),
            to_date: today(),
        })
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap()
        .cases
        .unwrap()
}

fn rate(id: &str, code: &str, satisfaction: Satisfaction) -> RateCaseRequest {
    RateCaseRequest { case_id: id.into(), query_code: code.into(), satisfaction: satisfaction.into() }
}

async fn a_rating_is_counted_once_and_travels_to_the_holder(backend: Backend) {
    rating_across_three_tiers(backend, false).await;
}

/// The same over mTLS: the nodes' certificates, people calling with
/// theirs (the public listeners stay plain).
async fn a_rating_travels_over_mtls(backend: Backend) {
    rating_across_three_tiers(backend, true).await;
}

async fn rating_across_three_tiers(backend: Backend, tls: bool) {
    let transport = |unit: &str| {
        if tls {
            transport_of(&Identity::Node { unit: UnitId::parse(unit).unwrap() })
        } else {
            Transport::Insecure
        }
    };
    let config = NodeConfig {
        child_nodes: ChildNodes::Units(vec!["410411001".into()]),
        transport: transport("410411"),
        ..NodeConfig::new("410411")
    };
    let district = Running::start(TREE, "410411", backend, config, None).await;
    let config = NodeConfig {
        parent: Some(district.url()),
        child_nodes: ChildNodes::Units(vec!["410411001001".into()]),
        forwarder: fast(),
        transport: transport("410411001"),
        ..NodeConfig::new("410411001")
    };
    let township = Running::start(TREE, "410411001", backend, config, None).await;
    let config = NodeConfig {
        parent: Some(township.url()),
        forwarder: fast(),
        transport: transport("410411001001"),
        ..NodeConfig::new("410411001001")
    };
    let community = Running::start(TREE, "410411001001", backend, config, None).await;

    // Case A, held by the community node; rated at the district's tracker,
    // relayed by the township node.
    let a = register(&community, GROUP).await.receipt.unwrap();
    let district_public = tracker(public(&district, quick()).await);
    let township_public = tracker(public(&township, quick()).await);
    // Not before it is resolved (once the district has the case: polled
    // on the ledger, since failed lookups would lock the case number).
    poll(Duration::from_secs(20), || {
        let mut client = cases(&district);
        let id = a.case_id.clone();
        async move { client.get_case(GetCaseRequest { case_id: id, ..Default::default() }).await.ok() }
    })
    .await;
    let status =
        district_public.clone().rate_case(rate(&a.case_id, &a.query_code, Satisfaction::Satisfied)).await;
    expect_code(status, Code::FailedPrecondition);
    work_and_close(&community, &a.case_id).await;
    let closed = poll(Duration::from_secs(20), || {
        let mut client = district_public.clone();
        let a = a.clone();
        async move {
            let seen = client.track_case(pair(&a.case_id, &a.query_code)).await.ok()?.into_inner();
            (seen.status() == CaseStatus::Closed).then_some(seen)
        }
    })
    .await;
    assert!(closed.can_rate);
    // Satisfaction outside the two: INVALID_ARGUMENT.
    let status =
        district_public.clone().rate_case(rate(&a.case_id, &a.query_code, Satisfaction::Unreachable)).await;
    expect_code(status, Code::InvalidArgument);
    let answer = district_public
        .clone()
        .rate_case(rate(&a.case_id, &a.query_code, Satisfaction::Satisfied))
        .await
        .expect("rated at the district")
        .into_inner();
    assert!(!answer.recorded, "the township holds the case: the rating travels down");
    assert_eq!(answer.rating(), Satisfaction::Satisfied);
    // A second, different rating is refused; the same one answers the same.
    let status =
        district_public.clone().rate_case(rate(&a.case_id, &a.query_code, Satisfaction::Dissatisfied)).await;
    expect_code(status, Code::FailedPrecondition);
    let again =
        district_public.clone().rate_case(rate(&a.case_id, &a.query_code, Satisfaction::Satisfied)).await;
    // (recorded or not: the holder may have recorded it meanwhile).
    assert_eq!(again.expect("the same rating again").into_inner().rating(), Satisfaction::Satisfied);

    // The community records it once, as the petitioner's (the node doing
    // the public tracker's task), and the event comes back up.
    let rated = |node: &Running| {
        let mut client = cases(node);
        let id = a.case_id.clone();
        async move {
            let read = client
                .get_case(GetCaseRequest { case_id: id, ..Default::default() })
                .await
                .ok()?
                .into_inner();
            let rated: Vec<_> = read
                .events
                .iter()
                .filter(|e| matches!(e.kind, Some(Kind::PetitionerRated(_))))
                .cloned()
                .collect();
            (!rated.is_empty()).then_some(rated)
        }
    };
    let at_community = poll(Duration::from_secs(20), || rated(&community)).await;
    assert_eq!(at_community.len(), 1);
    let by = at_community[0].acted_by.clone().unwrap();
    let Some(pb::actor::Kind::Node(node)) = by.kind else { panic!("{by:?}") };
    assert_eq!((node.unit_id.as_str(), node.task()), ("410411001001", pb::NodeTask::PublicTracker));
    assert_eq!(poll(Duration::from_secs(20), || rated(&township)).await.len(), 1);
    let at_district = poll(Duration::from_secs(20), || rated(&district)).await;
    assert_eq!(at_district.len(), 1);
    // Now recorded: the same rating answers recorded; the other is refused.
    let answer =
        district_public.clone().rate_case(rate(&a.case_id, &a.query_code, Satisfaction::Satisfied)).await;
    assert!(answer.unwrap().into_inner().recorded);
    let seen =
        district_public.clone().track_case(pair(&a.case_id, &a.query_code)).await.unwrap().into_inner();
    assert_eq!(seen.rating(), Satisfaction::Satisfied);
    assert!(!seen.can_rate);

    // Case B, at the township's own unit, rated at the holder's own
    // tracker: recorded at once, once.
    let b = register(&township, "410411001").await.receipt.unwrap();
    work_and_close(&township, &b.case_id).await;
    let answer = township_public
        .clone()
        .rate_case(rate(&b.case_id, &b.query_code, Satisfaction::Dissatisfied))
        .await
        .unwrap()
        .into_inner();
    assert!(answer.recorded);
    let status =
        township_public.clone().rate_case(rate(&b.case_id, &b.query_code, Satisfaction::Satisfied)).await;
    expect_code(status, Code::FailedPrecondition);

    // The figures: one satisfied, one dissatisfied, at both tiers.
    for (node, unit) in [(&township, "410411001"), (&district, "410411")] {
        let figures = poll(Duration::from_secs(20), || async move {
            let f = figures(node, unit).await;
            (f.petitioner_satisfied + f.petitioner_dissatisfied == 2).then_some(f)
        })
        .await;
        assert_eq!((figures.petitioner_satisfied, figures.petitioner_dissatisfied), (1, 1), "at {unit}");
        // The staff's record at closing stays apart.
        assert_eq!(figures.satisfied, 2, "at {unit}");
    }
    let drill = SummaryServiceClient::new(channel_as(&district, "leader-9", Role::Leader))
        .drill_down(DrillDownRequest {
            unit_id: "410411".into(),
            from_date: yesterday(),
            to_date: today(),
            figure: "cases.petitioner_satisfied".into(),
            ..DrillDownRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(drill.case_ids, vec![a.case_id.clone()]);

    for mut node in [community, township, district] {
        node.halt().await;
        node.db.cleanup().await;
    }
}

fengqiao_store::both_backends!(
    the_right_pair_opens_the_case_and_nothing_else,
    limits_and_lock,
    a_rating_is_counted_once_and_travels_to_the_holder,
    a_rating_travels_over_mtls,
);
