//! Authorization and the rate limit as a real client meets them: over mTLS,
//! the caller is whoever its certificate names — nothing in the request
//! changes that — and the per-caller budget follows the certificate, not
//! the address (every caller here is on 127.0.0.1).
//!
//! The full RPC × role × relation matrix runs in-process in `authz.rs`;
//! this proves the wire carries the certificate's identity into it.

mod common;

use std::sync::Arc;

use common::Running;
use fengqiao_core::UnitId;
use fengqiao_core::identity::{Identity, Role};
use fengqiao_node::pki::{self, CertifiedKey};
use fengqiao_node::tls::connect_endpoint;
use fengqiao_node::{Limits, NodeConfig, TlsMaterial, Transport};
use fengqiao_proto::pb;
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::unit_service_client::UnitServiceClient;
use fengqiao_proto::pb::uplink_service_client::UplinkServiceClient;
use fengqiao_store::Backend;
use tonic::Code;
use tonic::transport::Channel;

const TREE: &str = fengqiao_store::testing::trees::ONE_GROUP;
const GROUP: &str = "410411001001001";
const SIBLING: &str = "410411002";

fn unit(id: &str) -> UnitId {
    UnitId::parse(id).unwrap()
}

fn transport(ca: &CertifiedKey, identity: &Identity) -> Transport {
    let leaf = pki::issue(ca, identity, &[], 2).unwrap();
    Transport::Tls(Arc::new(TlsMaterial::from_pem(&ca.cert_pem, &leaf.cert_pem, &leaf.key_pem).unwrap()))
}

fn person(ca: &CertifiedKey, node: &Running, id: &str, at: &str, role: Role) -> Channel {
    let identity = Identity::person(id, unit(at), role).unwrap();
    connect_endpoint(&node.url(), &transport(ca, &identity)).unwrap().connect_lazy()
}

async fn start(ca: &CertifiedKey, limits: Limits) -> Running {
    let config = NodeConfig {
        transport: transport(ca, &Identity::Node { unit: unit("410411") }),
        limits,
        ..NodeConfig::new("410411")
    };
    Running::start(TREE, "410411", Backend::Sqlite, config, None).await
}

fn today() -> String {
    // The harness's nodes keep Asia/Shanghai time: UTC+8 all year.
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive().format("%Y-%m-%d").to_string()
}

fn zero_report(unit: &str, reporter: &str) -> pb::SubmitDailyReportRequest {
    pb::SubmitDailyReportRequest {
        report: Some(pb::DailyReport {
            unit_id: unit.into(),
            date: today(),
            revision: 1,
            reporter: reporter.into(),
            zero: true,
            disputes: vec![],
            correction_reason: String::new(),
        }),
    }
}

async fn submit(channel: &Channel, unit: &str) -> Result<pb::SubmitDailyReportResponse, tonic::Status> {
    // The reporter is left to the certificate.
    ReportingServiceClient::new(channel.clone())
        .submit_daily_report(zero_report(unit, ""))
        .await
        .map(tonic::Response::into_inner)
}

#[track_caller]
fn denied<T: std::fmt::Debug>(result: Result<T, tonic::Status>) -> tonic::Status {
    let status = result.expect_err("expected PERMISSION_DENIED");
    assert_eq!(status.code(), Code::PermissionDenied, "{}", status.message());
    status
}

#[tokio::test]
async fn the_certificate_decides_what_a_caller_may_do() {
    let ca = pki::new_ca(2).unwrap();
    let mut node = start(&ca, Limits::default()).await;

    // A reporter files for their own unit, not for a sibling township.
    let reporter = person(&ca, &node, "rep-1", GROUP, Role::Reporter);
    submit(&reporter, GROUP).await.expect("a reporter files for their own unit");
    let refused = denied(submit(&reporter, SIBLING).await);
    assert!(!refused.message().is_empty());

    // An auditor reads but changes nothing.
    let auditor = person(&ca, &node, "aud-1", "410411", Role::Auditor);
    UnitServiceClient::new(auditor.clone())
        .list_units(pb::ListUnitsRequest { root_unit_id: "410411".into(), ..Default::default() })
        .await
        .expect("an auditor reads the tree");
    denied(submit(&auditor, "410411001").await);
    denied(
        CaseServiceClient::new(auditor.clone())
            .get_case(pb::GetCaseRequest {
                case_id: "C-nonexistent".into(),
                with_petitioner: true,
                ..Default::default()
            })
            .await,
    );

    // A person cannot push as a node, and a node that is not a child node
    // of this one cannot push either — whatever unit the batch claims.
    let officer = person(&ca, &node, "off-1", "410411", Role::Officer);
    denied(
        UplinkServiceClient::new(officer.clone())
            .push_batch(pb::PushBatchRequest { sender_unit_id: "410411001".into(), ..Default::default() })
            .await,
    );
    let township_node =
        connect_endpoint(&node.url(), &transport(&ca, &Identity::Node { unit: unit("410411001") }))
            .unwrap()
            .connect_lazy();
    denied(
        UplinkServiceClient::new(township_node.clone())
            .push_batch(pb::PushBatchRequest { sender_unit_id: "410411001".into(), ..Default::default() })
            .await,
    );
    // Nor may a node act as a person.
    denied(submit(&township_node, GROUP).await);

    // A person of another district, certified by the same CA, gets nothing here.
    let stranger = person(&ca, &node, "off-9", "410412", Role::Leader);
    denied(submit(&stranger, GROUP).await);

    // Only the reporter's own report was stored.
    let stored = ReportingServiceClient::new(officer.clone())
        .list_daily_reports(pb::ListDailyReportsRequest {
            unit_id: "410411".into(),
            from_date: today(),
            to_date: today(),
            ..Default::default()
        })
        .await
        .expect("an officer lists the subtree's reports")
        .into_inner();
    let units: Vec<&str> =
        stored.reports.iter().filter_map(|r| r.report.as_ref()).map(|r| r.unit_id.as_str()).collect();
    assert_eq!(units, vec![GROUP]);

    node.halt().await;
    node.db.cleanup().await;
}

#[tokio::test]
async fn the_rate_limit_follows_the_certificate_not_the_address() {
    let ca = pki::new_ca(2).unwrap();
    let limits = Limits { rate_per_second: 2, rate_burst: 5, ..Limits::default() };
    let mut node = start(&ca, limits).await;
    let flooder = person(&ca, &node, "off-1", "410411", Role::Officer);
    let colleague = person(&ca, &node, "off-2", "410411", Role::Officer);
    let list = |channel: &Channel| {
        let mut client = UnitServiceClient::new(channel.clone());
        async move {
            client
                .list_units(pb::ListUnitsRequest { root_unit_id: "410411".into(), ..Default::default() })
                .await
        }
    };

    let mut served = 0;
    let refused = loop {
        match list(&flooder).await {
            Ok(_) => served += 1,
            Err(status) => break status,
        }
        assert!(served < 50, "the flooder was never refused");
    };
    assert_eq!(refused.code(), Code::ResourceExhausted, "{}", refused.message());
    assert!(served >= 5, "the burst of 5 is served first: {served}");
    // Same address, another certificate: its own budget.
    for _ in 0..5 {
        list(&colleague).await.expect("another identity on the same address is served");
    }

    node.halt().await;
    node.db.cleanup().await;
}
