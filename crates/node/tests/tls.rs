//! mTLS on every hop, in one process on `127.0.0.1:0`: calls with a
//! certificate of the deployment CA succeed; no certificate, another CA's
//! certificate, or one that names nobody are refused; a parent and a child
//! node talk over mTLS both ways; a CA bundle lets two CAs overlap during a
//! rotation; and plaintext is refused off loopback. The transport does not
//! depend on the store, so these run on SQLite only.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Running, fast};
use fengqiao_core::identity::{Identity, Role};
use fengqiao_core::{SystemClock, TimePolicy, UnitId, UnitTree};
use fengqiao_node::pki::{self, CertifiedKey};
use fengqiao_node::tls::connect_endpoint;
use fengqiao_node::{ChildNodes, Node, NodeConfig, ServeError, TlsMaterial, Transport};
use fengqiao_proto::pb;
use fengqiao_proto::pb::node_service_client::NodeServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_store::Backend;
use fengqiao_store::testing::TestDb;
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

const TREE: &str = fengqiao_store::testing::trees::ONE_GROUP;

fn unit(id: &str) -> UnitId {
    UnitId::parse(id).unwrap()
}

fn tls(ca: &CertifiedKey, identity: &Identity) -> Transport {
    let leaf = pki::issue(ca, identity, &[], 2).unwrap();
    Transport::Tls(Arc::new(TlsMaterial::from_pem(&ca.cert_pem, &leaf.cert_pem, &leaf.key_pem).unwrap()))
}

fn node_tls(ca: &CertifiedKey, id: &str) -> Transport {
    tls(ca, &Identity::Node { unit: unit(id) })
}

fn person_tls(ca: &CertifiedKey, id: &str, role: Role) -> Transport {
    tls(ca, &Identity::person(&format!("{role}-{id}"), unit(id), role).unwrap())
}

async fn start(ca: &CertifiedKey, id: &'static str, config: NodeConfig) -> Running {
    let config = NodeConfig { transport: node_tls(ca, id), ..config };
    Running::start(TREE, id, Backend::Sqlite, config, None).await
}

async fn status(channel: Channel) -> Result<pb::GetNodeStatusResponse, tonic::Status> {
    NodeServiceClient::new(channel).get_node_status(pb::GetNodeStatusRequest {}).await.map(|r| r.into_inner())
}

/// A channel presenting `client` (or no certificate) and trusting `ca`.
fn raw_channel(node: &Running, ca: &CertifiedKey, client: Option<&CertifiedKey>) -> Channel {
    let mut config = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&ca.cert_pem));
    if let Some(client) = client {
        config = config.identity(tonic::transport::Identity::from_pem(&client.cert_pem, &client.key_pem));
    }
    Endpoint::from_shared(node.url())
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .tls_config(config)
        .unwrap()
        .connect_lazy()
}

/// The call failed in the transport with the server's TLS `alert` (under
/// TLS 1.3 the client learns of a refused certificate only when it reads).
fn refused_by_the_server(status: &tonic::Status, alert: &str) {
    assert!(matches!(status.code(), Code::Unknown | Code::Unavailable), "{status:?}");
    assert!(format!("{status:?}").contains(&format!("received fatal alert: {alert}")), "{status:?}");
}

#[tokio::test]
async fn only_certificates_of_the_deployment_ca_that_name_someone_get_in() {
    let ca = pki::new_ca(2).unwrap();
    let mut node = start(&ca, "410411", NodeConfig::new("410411")).await;
    assert!(node.url().starts_with("https://"));

    // A person's certificate of the deployment CA: served.
    let admin = person_tls(&ca, "410411", Role::Admin);
    let answer = status(connect_endpoint(&node.url(), &admin).unwrap().connect_lazy()).await.unwrap();
    assert_eq!(answer.home_unit_id, "410411");

    // No client certificate: the server ends the handshake, no call is served.
    let refused = status(raw_channel(&node, &ca, None)).await.unwrap_err();
    refused_by_the_server(&refused, "CertificateRequired");

    // A certificate of another CA (of the same name), naming a real unit:
    // its signature does not verify, refused at the handshake.
    let other_ca = pki::new_ca(2).unwrap();
    let stranger = pki::issue(&other_ca, &Identity::Node { unit: unit("410411001") }, &[], 2).unwrap();
    let refused = status(raw_channel(&node, &ca, Some(&stranger))).await.unwrap_err();
    refused_by_the_server(&refused, "DecryptError");

    // Plaintext to a TLS node: nothing served.
    let plaintext = Endpoint::from_shared(format!("http://{}", node.address)).unwrap().connect_lazy();
    assert!(status(plaintext).await.is_err());

    // Certificates of the right CA that name nobody, or someone malformed:
    // the handshake passes and the call is UNAUTHENTICATED.
    let signed = |sans: Vec<rcgen::SanType>| {
        let issuer =
            rcgen::Issuer::from_ca_cert_pem(&ca.cert_pem, rcgen::KeyPair::from_pem(&ca.key_pem).unwrap())
                .unwrap();
        let mut params = rcgen::CertificateParams::default();
        params.subject_alt_names = sans;
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let key = rcgen::KeyPair::generate().unwrap();
        CertifiedKey {
            cert_pem: params.signed_by(&key, &issuer).unwrap().pem(),
            key_pem: key.serialize_pem(),
        }
    };
    let uri = |value: &str| rcgen::SanType::URI(value.try_into().unwrap());
    for (sans, expected) in [
        (vec![], "no URI SAN"),
        (vec![uri("fengqiao://person/410411/mayor/p1")], "malformed"),
        (vec![uri("fengqiao://node/410411"), uri("fengqiao://node/410411001")], "2 URI SANs"),
    ] {
        let refused = status(raw_channel(&node, &ca, Some(&signed(sans)))).await.unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
        assert!(refused.message().contains(expected), "{}", refused.message());
    }

    // Health is served to any verified caller too.
    let mut health = tonic_health::pb::health_client::HealthClient::new(
        connect_endpoint(&node.url(), &admin).unwrap().connect_lazy(),
    );
    let serving =
        health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await.unwrap();
    assert_eq!(
        serving.into_inner().status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    node.halt().await;
    node.db.cleanup().await;
}

/// A report submitted at the child reaches the parent over the uplink, and a
/// notice issued at the parent reaches the child over the downlink: both
/// hops with the child's node certificate.
#[tokio::test]
async fn a_parent_and_a_child_node_talk_over_mtls() {
    let ca = pki::new_ca(2).unwrap();
    let district_config = NodeConfig { child_nodes: ChildNodes::AllChildren, ..NodeConfig::new("410411") };
    let district = start(&ca, "410411", district_config).await;
    let township_config =
        NodeConfig { parent: Some(district.url()), forwarder: fast(), ..NodeConfig::new("410411001") };
    let township = start(&ca, "410411001", township_config).await;

    let yesterday = TimePolicy::default().local_date(chrono::Utc::now()).pred_opt().unwrap().to_string();
    let officer = person_tls(&ca, "410411001", Role::Officer);
    let report = pb::DailyReport {
        unit_id: "410411001001001".into(),
        date: yesterday.clone(),
        revision: 1,
        // Left to the certificate.
        reporter: String::new(),
        zero: true,
        disputes: vec![],
        correction_reason: String::new(),
    };
    ReportingServiceClient::new(connect_endpoint(&township.url(), &officer).unwrap().connect_lazy())
        .submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report) })
        .await
        .unwrap();

    let district_officer = person_tls(&ca, "410411", Role::Officer);
    let mut at_district = ReportingServiceClient::new(
        connect_endpoint(&district.url(), &district_officer).unwrap().connect_lazy(),
    );
    let request = pb::GetDailyReportRequest {
        unit_id: "410411001001001".into(),
        date: yesterday,
        revision: 0,
        ..Default::default()
    };
    let mut arrived = None;
    for _ in 0..200 {
        if let Ok(answer) = at_district.get_daily_report(request.clone()).await {
            arrived = answer.into_inner().report.and_then(|stored| stored.report);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let arrived = arrived.expect("the report never reached the district over mTLS");
    assert_eq!(arrived.reporter, "officer-410411001", "filed under the officer's certificate");

    let leader = person_tls(&ca, "410411", Role::Leader);
    NodeServiceClient::new(connect_endpoint(&district.url(), &leader).unwrap().connect_lazy())
        .post_notice(pb::PostNoticeRequest {
            target_unit_id: "410411001001".into(),
            text: "over mTLS".into(),
        })
        .await
        .unwrap();
    let mut at_township =
        NodeServiceClient::new(connect_endpoint(&township.url(), &officer).unwrap().connect_lazy());
    let mut texts = Vec::new();
    for _ in 0..200 {
        let answer = at_township
            .list_notices(pb::ListNoticesRequest { unit_id: "410411001001".into(), ..Default::default() })
            .await;
        texts = answer
            .unwrap()
            .into_inner()
            .notices
            .into_iter()
            .filter_map(|n| n.notice.map(|n| n.text))
            .collect();
        if !texts.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(texts, ["over mTLS"], "the notice never reached the township over mTLS");
    let forwarded = township.node.as_ref().unwrap().forward_state();
    assert_eq!(forwarded.last_error, None);

    for mut node in [township, district] {
        node.halt().await;
        node.db.cleanup().await;
    }
}

/// During a CA rotation every node trusts both CAs: a bundle of the old and
/// the new CA certificate accepts callers of either.
#[tokio::test]
async fn a_ca_bundle_accepts_certificates_of_both_cas() {
    let old = pki::new_ca(2).unwrap();
    let new = pki::new_ca(2).unwrap();
    let bundle = format!("{}{}", old.cert_pem, new.cert_pem);
    let material = |ca: &CertifiedKey, identity: &Identity| {
        let leaf = pki::issue(ca, identity, &[], 2).unwrap();
        Transport::Tls(Arc::new(TlsMaterial::from_pem(&bundle, &leaf.cert_pem, &leaf.key_pem).unwrap()))
    };
    // The node still runs on a certificate of the old CA.
    let config = NodeConfig {
        transport: material(&old, &Identity::Node { unit: unit("410411") }),
        ..NodeConfig::new("410411")
    };
    let mut node = Running::start(TREE, "410411", Backend::Sqlite, config, None).await;
    for ca in [&old, &new] {
        let admin = material(ca, &Identity::person("a-1", unit("410411"), Role::Admin).unwrap());
        let answer = status(connect_endpoint(&node.url(), &admin).unwrap().connect_lazy()).await.unwrap();
        assert_eq!(answer.home_unit_id, "410411");
    }
    // A client that trusts only the new CA cannot verify the old server certificate.
    let only_new =
        pki::issue(&new, &Identity::person("a-2", unit("410411"), Role::Admin).unwrap(), &[], 2).unwrap();
    assert!(status(raw_channel(&node, &new, Some(&only_new))).await.is_err());
    node.halt().await;
    node.db.cleanup().await;
}

#[tokio::test]
async fn plaintext_is_refused_off_loopback() {
    let db = TestDb::new(Backend::Sqlite).await;
    let store = db.open().await.unwrap();
    let tree = UnitTree::from_csv(TREE).unwrap();
    let node = Node::start(NodeConfig::new("410411"), &tree, store, Arc::new(SystemClock)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let error = fengqiao_node::serve(node, listener, std::future::pending()).await.unwrap_err();
    assert!(matches!(error, ServeError::InsecureNotLoopback(_)), "{error}");
    assert!(error.to_string().contains("loopback"), "{error}");
    db.cleanup().await;
}

#[tokio::test]
async fn a_parent_url_the_transport_cannot_speak_is_refused_at_start() {
    let ca = pki::new_ca(2).unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let tree = UnitTree::from_csv(TREE).unwrap();
    for (transport, parent) in
        [(node_tls(&ca, "410411001"), "http://127.0.0.1:9"), (Transport::Insecure, "https://127.0.0.1:9")]
    {
        let config = NodeConfig { parent: Some(parent.into()), transport, ..NodeConfig::new("410411001") };
        let store = db.open().await.unwrap();
        let error = match Node::start(config, &tree, store, Arc::new(SystemClock)).await {
            Ok(_) => panic!("a node with parent {parent} started"),
            Err(error) => error,
        };
        assert!(error.to_string().contains(parent), "{error}");
    }
    db.cleanup().await;
}
