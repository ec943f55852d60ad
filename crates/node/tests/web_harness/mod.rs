//! What the dashboard's tests share: a district node with a manual clock
//! and its dashboard on ephemeral ports, an HTTP client, and a week of
//! reports.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use fengqiao_core::identity::Role;
use fengqiao_core::read::Summary;
use fengqiao_core::{Clock, ManualClock, UnitId, UnitTree};
use fengqiao_node::web::auth::{LINK_LIFETIME, issue_login_link};
use fengqiao_node::{Node, NodeConfig, TlsMaterial, Transport};
use fengqiao_proto::pb;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_store::Backend;
use fengqiao_store::testing::TestDb;
use http_body_util::BodyExt;
use pb::DisputeCategory as Cat;
use pb::DisputeOutcome as Out;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

pub const TREE: &str = "code,parent_code,tier,name,reporting,active_from,active_to,moves\n\
    410411,,district,湛河区,false,,,\n\
    410411001,410411,township,马庄街道,true,,,\n\
    410411001001,410411001,community,电力社区,true,,,\n\
    410411001001001,410411001001,group,1号楼,true,,,\n\
    410411001001002,410411001001,group,2号楼,true,,,\n\
    410411002,410411,township,南环路街道,true,,,\n\
    410411002001,410411002,community,某村,true,,,\n\
    410411002001001,410411002001,group,第一村民组,true,,,\n";

pub const DISTRICT: &str = "410411";
pub const TOWNSHIP: &str = "410411001";
pub const OTHER_TOWNSHIP: &str = "410411002";
pub const WEEK: &str = "2026-W48";

/// A district node and its dashboard.
pub struct Dashboard {
    pub node: Node,
    pub clock: Arc<ManualClock>,
    pub grpc: String,
    pub web: SocketAddr,
    db: Option<TestDb>,
    stop: Vec<oneshot::Sender<()>>,
}

impl Dashboard {
    pub async fn start(backend: Backend) -> Dashboard {
        Dashboard::start_with(backend, None).await
    }

    /// With `tls`, the node and its dashboard serve over TLS with it.
    pub async fn start_with(backend: Backend, tls: Option<Arc<TlsMaterial>>) -> Dashboard {
        // Friday 2026-11-27, 20:00 in Shanghai: Monday to Friday are due.
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()));
        let db = TestDb::new(backend).await;
        let store = db.open().await.unwrap();
        let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let transport = tls.clone().map_or(Transport::Insecure, Transport::Tls);
        let config = NodeConfig { reporting_start: Some(start), transport, ..NodeConfig::new(DISTRICT) };
        let tree = UnitTree::from_csv(TREE).unwrap();
        let node = Node::start(config, &tree, store, Arc::clone(&clock) as Arc<dyn Clock>).await.unwrap();
        let grpc_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let web_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let grpc = format!("http://{}", grpc_listener.local_addr().unwrap());
        let web = web_listener.local_addr().unwrap();
        let (stop_grpc, grpc_stopped) = oneshot::channel::<()>();
        let (stop_web, web_stopped) = oneshot::channel::<()>();
        tokio::spawn(fengqiao_node::serve(node.clone(), grpc_listener, async {
            let _ = grpc_stopped.await;
        }));
        tokio::spawn(fengqiao_node::serve_web(node.clone(), web_listener, tls, async {
            let _ = web_stopped.await;
        }));
        Dashboard { node, clock, grpc, web, db: Some(db), stop: vec![stop_grpc, stop_web] }
    }

    pub async fn stop(mut self) {
        for stop in self.stop.drain(..) {
            let _ = stop.send(());
        }
        if let Some(db) = self.db.take() {
            db.cleanup().await;
        }
    }

    /// A login link's token for a person.
    pub async fn token(&self, unit: &str, person: &str, role: Role) -> String {
        let link = issue_login_link(
            self.node.store().as_ref(),
            &UnitId::parse(unit).unwrap(),
            person,
            role,
            self.clock.now(),
            LINK_LIFETIME,
        )
        .await
        .unwrap();
        link.token
    }

    /// Opens a session with a fresh login link; returns the cookie.
    pub async fn session(&self, unit: &str, person: &str, role: Role) -> String {
        let token = self.token(unit, person, role).await;
        let answer = self.get(&format!("/login?token={token}"), None).await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        let cookie = answer.header("set-cookie");
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        cookie.split(';').next().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        self.send(http::Method::GET, path, cookie, &[], None).await
    }

    pub async fn send(
        &self,
        method: http::Method,
        path: &str,
        cookie: Option<&str>,
        headers: &[(&str, &str)],
        form: Option<String>,
    ) -> Answer {
        send_to(self.web, method, path, cookie, headers, form).await
    }

    pub async fn submit(&self, report: pb::DailyReport) {
        let mut client = ReportingServiceClient::connect(self.grpc.clone()).await.unwrap();
        client.submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report) }).await.unwrap();
    }

    /// `WeeklySummary` over gRPC, read into the read model as the CLI reads it.
    pub async fn weekly(&self, unit: &str) -> Summary {
        let mut client = SummaryServiceClient::connect(self.grpc.clone()).await.unwrap();
        let request = pb::WeeklySummaryRequest { unit_id: unit.into(), iso_week: WEEK.into() };
        let summary = client.weekly_summary(request).await.unwrap().into_inner().summary.unwrap();
        Summary::try_from(summary).unwrap()
    }
}

#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
    pub length: usize,
}

impl Answer {
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
    }

    /// Every `data-figure="name" data-value="value"` of the page.
    pub fn figures(&self) -> BTreeMap<String, String> {
        let mut figures = BTreeMap::new();
        for part in self.body.split("data-figure=\"").skip(1) {
            let (name, rest) = part.split_once('"').unwrap();
            if let Some(rest) = rest.strip_prefix(" data-value=\"") {
                let (value, _) = rest.split_once('"').unwrap();
                figures.insert(name.to_owned(), value.to_owned());
            }
        }
        figures
    }

    pub fn assert_security_headers(&self) {
        assert_eq!(self.header("content-security-policy"), fengqiao_node::web::CONTENT_SECURITY_POLICY);
        assert_eq!(self.header("x-content-type-options"), "nosniff");
        assert_eq!(self.header("referrer-policy"), "no-referrer");
        assert_eq!(self.header("x-frame-options"), "DENY");
        let cache = self.header("cache-control");
        assert!(cache == "no-store" || cache.contains("immutable"), "cache-control: {cache}");
    }
}

pub fn report(unit: &str, day: u32, disputes: Vec<pb::Dispute>) -> pb::DailyReport {
    pb::DailyReport {
        unit_id: unit.into(),
        date: format!("2026-11-{day:02}"),
        revision: 1,
        reporter: "officer-7".into(),
        zero: disputes.is_empty(),
        disputes,
        correction_reason: String::new(),
    }
}

pub fn dispute(id: &str, category: Cat, outcome: Out) -> pb::Dispute {
    pb::Dispute {
        local_id: id.into(),
        category: category.into(),
        outcome: outcome.into(),
        parties: 2,
        summary: "screened on the round".into(),
        case_id: String::new(),
        wage_arrears: (category == Cat::WageArrears).then(|| pb::WageArrears {
            employer: "某建筑公司".into(),
            workers: 12,
            amount_claimed_cents: 3_600_000,
            amount_recovered_cents: 1_200_000,
        }),
    }
}

pub async fn a_week_of_reports(dashboard: &Dashboard) {
    dashboard
        .submit(report("410411001001001", 23, vec![dispute("a", Cat::WageArrears, Out::ResolvedOnTheSpot)]))
        .await;
    dashboard.submit(report("410411001001001", 24, vec![dispute("b", Cat::Neighbour, Out::Mediating)])).await;
    dashboard.submit(report("410411001001002", 23, vec![])).await;
    dashboard
        .submit(report(
            "410411002001001",
            25,
            vec![dispute("c", Cat::MarriageFamily, Out::ResolvedOnTheSpot)],
        ))
        .await;
    dashboard.submit(report(TOWNSHIP, 26, vec![])).await;
}

impl Dashboard {
    /// Registers a case at `unit` over gRPC (the plaintext node's local
    /// operator), with a petitioner.
    pub async fn register_case(&self, unit: &str) -> pb::Case {
        let mut client =
            pb::case_service_client::CaseServiceClient::connect(self.grpc.clone()).await.unwrap();
        let request = pb::RegisterCaseRequest {
            intake: Some(pb::CaseIntake {
                origin_unit_id: unit.into(),
                category: Cat::Land.into(),
                channel: pb::CaseChannel::Letter.into(),
                summary: "boundary of a contracted plot".into(),
                ..pb::CaseIntake::default()
            }),
            petitioner: Some(pb::Petitioner {
                name: "测试甲某".into(),
                phone: "13800000000".into(),
                id_number: "11010519491231002X".into(),
            }),
            actor: "officer-1".into(),
            ..pb::RegisterCaseRequest::default()
        };
        client.register_case(request).await.unwrap().into_inner().r#case.unwrap()
    }

    /// `GetCase` over gRPC (the whole log of a short case).
    pub async fn case(&self, case_id: &str) -> pb::GetCaseResponse {
        let mut client =
            pb::case_service_client::CaseServiceClient::connect(self.grpc.clone()).await.unwrap();
        let request = pb::GetCaseRequest { case_id: case_id.into(), ..Default::default() };
        client.get_case(request).await.unwrap().into_inner()
    }
}

impl Answer {
    /// The CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        self.body.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
    }

    /// Every value of attribute `name` on the page, in order.
    pub fn attributes(&self, name: &str) -> Vec<String> {
        let marker = format!(" {name}=\"");
        self.body.split(&marker).skip(1).map(|rest| rest.split('"').next().unwrap().to_owned()).collect()
    }
}

/// One HTTP request to a dashboard at `web` (a fresh connection), as a
/// browser sends it: with the session `cookie`, and `form` as the body.
pub async fn send_to(
    web: SocketAddr,
    method: http::Method,
    path: &str,
    cookie: Option<&str>,
    headers: &[(&str, &str)],
    form: Option<String>,
) -> Answer {
    let stream = TcpStream::connect(web).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let mut request = http::Request::builder().method(method).uri(path).header("host", web.to_string());
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = match form {
        Some(form) => {
            request = request.header("content-type", "application/x-www-form-urlencoded");
            http_body_util::Full::new(bytes::Bytes::from(form))
        }
        None => http_body_util::Full::new(bytes::Bytes::new()),
    };
    let response = sender.send_request(request.body(body).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), length: bytes.len() }
}
