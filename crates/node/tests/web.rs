//! The web dashboard against a real node: a district node on
//! `127.0.0.1:0` with a manual clock, its dashboard on another ephemeral
//! port (plaintext, loopback), reports submitted over gRPC, and an HTTP
//! client checking login links (once, then refused; expired refused),
//! the redirect without a session, the security headers, CSRF on POST, the
//! overview's figures against `WeeklySummary` over gRPC, a township admin
//! refused another township, and the static files (hashed names,
//! compressed when asked). Runs on SQLite and on PostgreSQL.

mod web_harness;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use chrono::Duration;
use fengqiao_core::UnitId;
use fengqiao_core::identity::Role;
use fengqiao_node::TlsMaterial;
use fengqiao_node::pki::{self, CertifiedKey};
use fengqiao_node::web::auth::LINK_LIFETIME;
use fengqiao_store::Backend;
use http_body_util::BodyExt;
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use web_harness::*;

async fn login_links_work_once_and_not_after_they_expire(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    let answer = dashboard.get("/", None).await;
    assert!(matches!(answer.status, 302 | 303 | 307), "no session: {answer:?}");
    assert_eq!(answer.header("location"), "/login");
    answer.assert_security_headers();
    let login = dashboard.get("/login", None).await;
    assert_eq!(login.status, 401);
    assert!(login.body.contains("fengqiao web link"), "{}", login.body);
    login.assert_security_headers();

    let token = dashboard.token(DISTRICT, "zhang", Role::Leader).await;
    let first = dashboard.get(&format!("/login?token={token}"), None).await;
    assert_eq!(first.status, 303, "{}", first.body);
    let cookie = first.header("set-cookie");
    let session = cookie.split(';').next().unwrap();
    let home = dashboard.get("/", Some(session)).await;
    assert_eq!(home.header("location"), format!("/unit/{DISTRICT}"));
    let again = dashboard.get(&format!("/login?token={token}"), None).await;
    assert_eq!(again.status, 403, "a link works once");
    assert!(again.body.contains("已经用过"), "{}", again.body);
    again.assert_security_headers();

    let expiring = dashboard.token(DISTRICT, "li", Role::Admin).await;
    dashboard.clock.advance(LINK_LIFETIME + Duration::seconds(1));
    let late = dashboard.get(&format!("/login?token={expiring}"), None).await;
    assert_eq!(late.status, 403, "an expired link is refused");
    assert!(late.body.contains("已过期"), "{}", late.body);
    let unknown = dashboard.get("/login?token=0123", None).await;
    assert_eq!(unknown.status, 403);
    assert!(!unknown.header("set-cookie").contains("fengqiao_session"));
    // The audit log has each issue (for whom) and the one opening (by whom).
    let log = dashboard.node.store().audit_page(0, 100).await.unwrap();
    let web: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e.rpc.starts_with("web/"))
        .map(|e| (e.rpc.as_str(), e.actor.as_str()))
        .collect();
    let issuer = fengqiao_node::web::auth::LINK_ISSUER;
    let zhang = format!("fengqiao://person/{DISTRICT}/leader/zhang");
    assert_eq!(web, [("web/login-link", issuer), ("web/login", zhang.as_str()), ("web/login-link", issuer)]);
    assert!(log.iter().any(|e| e.target.contains("person=li role=admin")), "for whom");
    dashboard.stop().await;
}

async fn the_overview_shows_what_weekly_summary_answers(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    a_week_of_reports(&dashboard).await;
    let session = dashboard.session(DISTRICT, "zhang", Role::Leader).await;
    for unit in [DISTRICT, TOWNSHIP, "410411001001", "410411001001001"] {
        let page = dashboard.get(&format!("/unit/{unit}?week={WEEK}"), Some(&session)).await;
        assert_eq!(page.status, 200, "{unit}: {}", page.body);
        page.assert_security_headers();
        assert_eq!(page.header("cache-control"), "no-store", "a page is not kept");
        assert!(!page.body.contains("style=\""), "no inline style");
        assert!(!page.body.contains("<script>"), "no inline script");
        let shown = page.figures();
        let summary = dashboard.weekly(unit).await;
        let (t, cases) = (&summary.totals, summary.cases);
        let mut expected: BTreeMap<String, String> = BTreeMap::new();
        let mut put = |key: &str, value: String| {
            expected.insert(key.to_owned(), value);
        };
        put("expected", t.expected.to_string());
        put("received", t.received.to_string());
        put("completeness_percent", summary.rates.completeness_percent.to_string());
        put("on_time", t.on_time.to_string());
        put("timeliness_percent", summary.rates.timeliness_percent.to_string());
        put("late", t.late.to_string());
        put("zero_reports", t.zero_reports.to_string());
        put("missing", t.missing.to_string());
        put("disputes", t.disputes.to_string());
        put("parties", t.parties.to_string());
        put("resolved_on_the_spot_percent", summary.rates.resolved_on_the_spot_percent.to_string());
        put("wage.disputes", t.wage_arrears.disputes.to_string());
        put("wage.workers", t.wage_arrears.workers.to_string());
        put("wage.amount_claimed_cents", t.wage_arrears.amount_claimed_cents.to_string());
        put("wage.amount_recovered_cents", t.wage_arrears.amount_recovered_cents.to_string());
        put("wage.employers", t.wage_arrears.employers.to_string());
        put("cases.registered", cases.counts.registered.to_string());
        put("cases.accepted_on_time", cases.counts.accepted_on_time.to_string());
        put("cases.closed", cases.counts.closed.to_string());
        put("cases.closed_on_time", cases.counts.closed_on_time.to_string());
        put("cases.overdue", cases.counts.overdue.to_string());
        put("cases.repeat_petitions", cases.counts.repeat_petitions.to_string());
        put("cases.satisfaction_rate", cases.satisfaction_rate.to_string());
        put("cases.petitioner_satisfied", cases.counts.petitioner_satisfied.to_string());
        put("cases.petitioner_dissatisfied", cases.counts.petitioner_dissatisfied.to_string());
        put("arrived_percent", summary.arrived_percent.to_string());
        for (category, n) in &t.by_category {
            put(&format!("category.{}", category.as_str()), n.to_string());
        }
        for row in &summary.children {
            let link = format!("href=\"/unit/{}?week={WEEK}\"", row.unit_id);
            assert!(page.body.contains(&link), "{unit}: a link down to {}", row.unit_id);
            assert!(page.body.contains(&format!("data-rank=\"{}\"", row.rank)), "{unit}");
        }
        assert_eq!(shown, expected, "{unit}");
        if unit == DISTRICT {
            assert_eq!(t.received, 5, "the reports arrived");
            assert_eq!(t.wage_arrears.workers, 12);
            assert!(page.body.contains("下级数据已到"), "freshness in Chinese");
        }
    }
    // The breadcrumb leads back up; English on asking.
    let group = dashboard.get(&format!("/unit/410411001001001?week={WEEK}&lang=en"), Some(&session)).await;
    assert!(group.body.contains(&format!("href=\"/unit/{DISTRICT}?week={WEEK}\"")), "{}", group.body);
    assert!(group.body.contains("Expected") && group.body.contains("lang=\"en\""));
    assert!(group.header("set-cookie").contains("lang=en"));
    dashboard.stop().await;
}

async fn refusals_are_grpcs(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    let admin = dashboard.session(OTHER_TOWNSHIP, "wang", Role::Admin).await;
    let own = dashboard.get(&format!("/unit/{OTHER_TOWNSHIP}?week={WEEK}"), Some(&admin)).await;
    assert_eq!(own.status, 200, "{}", own.body);
    let other = dashboard.get(&format!("/unit/{TOWNSHIP}?week={WEEK}"), Some(&admin)).await;
    assert_eq!(other.status, 403, "another township's overview is refused: {}", other.body);
    assert!(other.body.contains("data-refusal"), "{}", other.body);
    other.assert_security_headers();
    let bad_week = dashboard.get(&format!("/unit/{OTHER_TOWNSHIP}?week=2026-W99"), Some(&admin)).await;
    assert_eq!(bad_week.status, 400, "{}", bad_week.body);
    let missing = dashboard.get("/no/such/page", Some(&admin)).await;
    assert_eq!(missing.status, 404);
    missing.assert_security_headers();
    dashboard.stop().await;
}

async fn posts_need_the_csrf_token(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    let session = dashboard.session(DISTRICT, "zhang", Role::Leader).await;
    let page = dashboard.get(&format!("/unit/{DISTRICT}?week={WEEK}"), Some(&session)).await;
    let csrf =
        page.body.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    for form in [None, Some(String::new()), Some("csrf=00ff".to_owned())] {
        let refused = dashboard.send(http::Method::POST, "/logout", Some(&session), &[], form).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        refused.assert_security_headers();
    }
    let still = dashboard.get(&format!("/unit/{DISTRICT}?week={WEEK}"), Some(&session)).await;
    assert_eq!(still.status, 200, "nothing changed: the session is still open");
    let out = dashboard
        .send(http::Method::POST, "/logout", Some(&session), &[], Some(format!("csrf={csrf}")))
        .await;
    assert_eq!(out.status, 303);
    let after = dashboard.get(&format!("/unit/{DISTRICT}?week={WEEK}"), Some(&session)).await;
    assert_eq!(after.header("location"), "/login", "logged out");
    dashboard.stop().await;
}

async fn static_files_are_hashed_and_compressed(backend: Backend) {
    let dashboard = Dashboard::start(backend).await;
    let session = dashboard.session(DISTRICT, "zhang", Role::Leader).await;
    let page = dashboard.get(&format!("/unit/{DISTRICT}?week={WEEK}"), Some(&session)).await;
    let echarts = page.body.split("src=\"").find_map(|rest| {
        let url = rest.split('"').next()?;
        url.starts_with("/static/echarts.min.").then(|| url.to_owned())
    });
    let echarts = echarts.expect("the page loads ECharts from a hashed name");
    let plain = dashboard.get(&echarts, None).await;
    assert_eq!(plain.status, 200);
    assert!(plain.header("cache-control").contains("immutable"));
    assert!(plain.header("content-type").starts_with("text/javascript"));
    plain.assert_security_headers();
    for encoding in ["gzip", "br"] {
        let compressed =
            dashboard.send(http::Method::GET, &echarts, None, &[("accept-encoding", encoding)], None).await;
        assert_eq!(compressed.header("content-encoding"), encoding);
        assert!(
            compressed.length * 2 < plain.length,
            "{encoding}: {} of {}",
            compressed.length,
            plain.length
        );
    }
    let stale = dashboard.get("/static/echarts.min.0000000000000000.js", None).await;
    assert_eq!(stale.status, 404);
    dashboard.stop().await;
}

/// The DER contents of the first PEM block labelled `label`.
fn der(pem: &str, label: &str) -> Vec<u8> {
    x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes())
        .map(|block| block.unwrap())
        .find(|block| block.label == label)
        .unwrap()
        .contents
}

/// A GET over TLS to the dashboard, trusting `ca`, presenting `client`'s
/// certificate when given.
async fn https_get(
    address: SocketAddr,
    path: &str,
    ca: &CertifiedKey,
    client: Option<&CertifiedKey>,
) -> Answer {
    use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(der(&ca.cert_pem, "CERTIFICATE"))).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = match client {
        Some(leaf) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from(der(&leaf.cert_pem, "CERTIFICATE"))],
                PrivatePkcs8KeyDer::from(der(&leaf.key_pem, "PRIVATE KEY")).into(),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(address).await.unwrap();
    let tls = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls)).await.unwrap();
    tokio::spawn(connection);
    let request = http::Request::builder()
        .uri(path)
        .header("host", "localhost")
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), length: bytes.len() }
}

async fn over_tls_the_client_certificate_is_the_identity(backend: Backend) {
    let ca = pki::new_ca(2).unwrap();
    let node_identity = fengqiao_core::identity::Identity::Node { unit: UnitId::parse(DISTRICT).unwrap() };
    let node_leaf = pki::issue(&ca, &node_identity, &[], 2).unwrap();
    let material = TlsMaterial::from_pem(&ca.cert_pem, &node_leaf.cert_pem, &node_leaf.key_pem).unwrap();
    let dashboard = Dashboard::start_with(backend, Some(Arc::new(material))).await;
    let admin = fengqiao_core::identity::Identity::person(
        "wang",
        UnitId::parse(OTHER_TOWNSHIP).unwrap(),
        Role::Admin,
    )
    .unwrap();
    let admin_leaf = pki::issue(&ca, &admin, &[], 2).unwrap();
    // No certificate: the login page, as over plaintext.
    let anonymous = https_get(dashboard.web, "/", &ca, None).await;
    assert_eq!(anonymous.header("location"), "/login");
    assert!(anonymous.header("strict-transport-security").starts_with("max-age="), "HSTS over TLS");
    anonymous.assert_security_headers();
    // The certificate is the person: no link, no session.
    let home = https_get(dashboard.web, "/", &ca, Some(&admin_leaf)).await;
    assert_eq!(home.header("location"), format!("/unit/{OTHER_TOWNSHIP}"));
    let own =
        https_get(dashboard.web, &format!("/unit/{OTHER_TOWNSHIP}?week={WEEK}"), &ca, Some(&admin_leaf))
            .await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(own.body.contains("wang"), "the header names who is logged in");
    let other =
        https_get(dashboard.web, &format!("/unit/{TOWNSHIP}?week={WEEK}"), &ca, Some(&admin_leaf)).await;
    assert_eq!(other.status, 403, "{}", other.body);
    // A certificate of another CA is refused in the handshake.
    let stranger_ca = pki::new_ca(2).unwrap();
    let stranger = pki::issue(&stranger_ca, &admin, &[], 2).unwrap();
    let address = dashboard.web;
    let refused = tokio::spawn(async move {
        https_get(address, "/", &ca, Some(&stranger)).await;
    })
    .await;
    assert!(refused.is_err(), "a certificate the CA did not issue ends the connection");
    dashboard.stop().await;
}

fengqiao_store::both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    login_links_work_once_and_not_after_they_expire,
    the_overview_shows_what_weekly_summary_answers,
    refusals_are_grpcs,
    posts_need_the_csrf_token,
    static_files_are_hashed_and_compressed,
    over_tls_the_client_certificate_is_the_identity,
);
